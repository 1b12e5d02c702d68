//! Error type shared by the whole crate.

use std::fmt;

/// Everything that can go wrong in gmmi-core.
#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// An argument has the wrong form or value; `arg` names it.
    InvalidArgument {
        /// Name of the offending argument, as the user knows it.
        arg: String,
        /// What was wrong and what is expected.
        msg: String,
    },
    /// The numbers went wrong (a covariance lost positive definiteness, a likelihood became
    /// non-finite). The message says what to try.
    Numerical(String),
    /// The computation was cancelled through [`crate::Control::cancel`].
    Cancelled,
}

impl Error {
    /// Shorthand for [`Error::InvalidArgument`].
    pub fn arg(arg: impl Into<String>, msg: impl Into<String>) -> Self {
        Error::InvalidArgument {
            arg: arg.into(),
            msg: msg.into(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidArgument { arg, msg } => write!(f, "{arg}: {msg}"),
            Error::Numerical(msg) => write!(f, "{msg}"),
            Error::Cancelled => write!(f, "computation cancelled"),
        }
    }
}

impl std::error::Error for Error {}

/// Result alias used throughout the crate.
pub type Result<T> = std::result::Result<T, Error>;
