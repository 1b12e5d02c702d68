//! Progress counters and cooperative cancellation shared between the caller and workers.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crate::error::{Error, Result};

/// Shared progress and cancellation state of one long computation.
///
/// The caller keeps a reference, reads the counters while the computation runs (for a
/// progress bar) and may call [`Control::cancel`]; workers call [`Control::check`] between EM
/// iterations and stop with [`Error::Cancelled`].
#[derive(Debug, Default)]
pub struct Control {
    cancelled: AtomicBool,
    fits_done: AtomicU64,
    tasks_done: AtomicU64,
    tasks_total: AtomicU64,
    units_done: AtomicU64,
    units_total: AtomicU64,
}

impl Control {
    /// A fresh control with zero counters.
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks every worker to stop as soon as possible.
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::SeqCst);
    }

    /// Whether cancellation was requested.
    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Relaxed)
    }

    /// `Err(Error::Cancelled)` once cancellation was requested.
    #[inline]
    pub fn check(&self) -> Result<()> {
        if self.is_cancelled() {
            Err(Error::Cancelled)
        } else {
            Ok(())
        }
    }

    /// Records one finished EM fit.
    pub fn fit_done(&self) {
        self.fits_done.fetch_add(1, Ordering::Relaxed);
    }

    /// Number of EM fits finished so far.
    pub fn fits_done(&self) -> u64 {
        self.fits_done.load(Ordering::Relaxed)
    }

    /// Adds `n` units of planned work (component-selection steps, replicates, pairs).
    pub fn add_total(&self, n: u64) {
        self.tasks_total.fetch_add(n, Ordering::Relaxed);
    }

    /// Records one finished unit of planned work.
    pub fn task_done(&self) {
        self.tasks_done.fetch_add(1, Ordering::Relaxed);
    }

    /// Units of planned work finished so far.
    pub fn tasks_done(&self) -> u64 {
        self.tasks_done.load(Ordering::Relaxed)
    }

    /// Units of planned work announced so far (grows while component selection runs).
    pub fn tasks_total(&self) -> u64 {
        self.tasks_total.load(Ordering::Relaxed)
    }

    /// Announces `n` outer units (pairs of variables), counted apart from the inner tasks.
    pub fn add_units(&self, n: u64) {
        self.units_total.fetch_add(n, Ordering::Relaxed);
    }

    /// Records one finished outer unit.
    pub fn unit_done(&self) {
        self.units_done.fetch_add(1, Ordering::Relaxed);
    }

    /// Outer units finished so far.
    pub fn units_done(&self) -> u64 {
        self.units_done.load(Ordering::Relaxed)
    }

    /// Outer units announced so far.
    pub fn units_total(&self) -> u64 {
        self.units_total.load(Ordering::Relaxed)
    }
}
