//! # gmmi-core
//!
//! The numerical engine of gmmi: full-covariance Gaussian mixture models in any dimension,
//! expectation-maximisation, the initialisation strategies of the GMM-MI method, the
//! cross-validated choice of the number of components, mutual-information integrals (Monte
//! Carlo and Gauss-Hermite quadrature) and the bootstrap.
//!
//! Data matrices are row-major `&[f64]` slices of `n * d` values (one row per sample), the
//! layout of a C-ordered NumPy array. Everything random is driven by explicit `u64` seeds:
//! each fit, fold, bootstrap replicate and Monte Carlo chunk owns a stream derived from
//! `(random_state, purpose, index)` by [`rng::stream`], so results do not depend on the number
//! of threads.
//!
//! The crate has no Python dependency; the `gmmi-py` crate exposes it to Python.

// Numerical kernels index several arrays by the same dimension or component index; index
// loops say that more plainly than zipped iterators.
#![allow(clippy::needless_range_loop)]

pub mod bins;
pub mod bootstrap;
pub mod categorical;
pub mod check;
pub mod control;
pub mod diagnostics;
pub mod discrete;
pub mod em;
pub mod error;
pub mod estimator;
pub mod extend;
pub mod fit;
pub mod gmm;
pub mod init;
pub mod integrate;
pub(crate) mod kdtree;
pub(crate) mod kernels;
pub mod kmeans;
pub mod kmeans1d;
pub mod lattice;
pub mod pairs;
pub mod qmc;
pub mod rng;
pub mod select;
pub mod stats;
pub mod transform;
pub mod vmath;

pub use control::Control;
pub use error::{Error, Result};
pub use gmm::GaussianMixture;

/// Runs `f` on a pool of `threads` threads: the tests that a result does not depend on the
/// thread count.
#[cfg(test)]
pub(crate) fn on_threads<R: Send>(threads: usize, f: impl FnOnce() -> R + Send) -> R {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a test thread pool")
        .install(f)
}
