//! Mutual information between two discrete variables: the plug-in estimate from the
//! contingency table, optionally with the Miller-Madow bias correction, and its bootstrap.

use rand::RngExt;
use rayon::prelude::*;

use crate::bootstrap::mean_std;
use crate::control::Control;
use crate::error::{Error, Result};
use crate::rng::{self, Purpose};

/// `sum p ln(1/p)` of counts with total `n`, and the number of non-empty cells.
fn plugin_entropy(counts: &[f64], n: f64) -> (f64, usize) {
    let mut h = 0.0;
    let mut m = 0;
    for &c in counts {
        if c > 0.0 {
            let p = c / n;
            h -= p * p.ln();
            m += 1;
        }
    }
    (h, m)
}

/// Plug-in mutual information (nats) of the codes `a` (in `0..na`) and `b` (in `0..nb`),
/// each row weighted by `w` (bootstrap multiplicities) or once. With `miller_madow`, each
/// entropy gets the correction `(m - 1) / (2 n)`, `m` its number of non-empty cells.
pub fn plugin_mi(
    a: &[usize],
    b: &[usize],
    na: usize,
    nb: usize,
    w: Option<&[f64]>,
    miller_madow: bool,
) -> f64 {
    let mut joint = vec![0.0; na * nb];
    let mut ca = vec![0.0; na];
    let mut cb = vec![0.0; nb];
    let mut n = 0.0;
    for i in 0..a.len() {
        let wi = w.map_or(1.0, |w| w[i]);
        joint[a[i] * nb + b[i]] += wi;
        ca[a[i]] += wi;
        cb[b[i]] += wi;
        n += wi;
    }
    let (ha, ma) = plugin_entropy(&ca, n);
    let (hb, mb) = plugin_entropy(&cb, n);
    let (hab, mab) = plugin_entropy(&joint, n);
    let mut mi = ha + hb - hab;
    if miller_madow {
        mi += ((ma as f64 - 1.0) + (mb as f64 - 1.0) - (mab as f64 - 1.0)) / (2.0 * n);
    }
    // The plug-in MI is non-negative; rounding can leave -1e-17.
    mi.max(0.0)
}

/// Plug-in estimate on all rows and its bootstrap replicates.
#[derive(Debug, Clone)]
pub struct DiscreteEstimate {
    /// The estimate on all rows.
    pub full_value: f64,
    /// Bootstrap replicates (rows resampled in pairs).
    pub values: Vec<f64>,
    /// The contingency table, row-major `na x nb`.
    pub table: Vec<u64>,
}

impl DiscreteEstimate {
    /// Mean and standard deviation of the replicates.
    pub fn mean_std(&self) -> (f64, f64) {
        mean_std(&self.values)
    }
}

/// Plug-in MI of two code vectors with `n_bootstrap` replicates, each from the stream
/// `(seed, Bootstrap, b)`.
#[allow(clippy::too_many_arguments)]
pub fn estimate(
    a: &[usize],
    b: &[usize],
    na: usize,
    nb: usize,
    miller_madow: bool,
    n_bootstrap: usize,
    seed: u64,
    ctrl: &Control,
) -> Result<DiscreteEstimate> {
    crate::bootstrap::check_count(n_bootstrap)?;
    if a.len() != b.len() {
        return Err(Error::arg(
            "y",
            format!("has {} rows but x has {}", b.len(), a.len()),
        ));
    }
    if a.len() < 2 {
        return Err(Error::arg("x", "at least 2 rows are needed"));
    }
    if a.iter().any(|&v| v >= na) || b.iter().any(|&v| v >= nb) {
        return Err(Error::arg("x", "codes out of range"));
    }
    let n = a.len();
    let mut table = vec![0u64; na * nb];
    for i in 0..n {
        table[a[i] * nb + b[i]] += 1;
    }
    let full_value = plugin_mi(a, b, na, nb, None, miller_madow);
    ctrl.add_total(n_bootstrap as u64);
    let values = (0..n_bootstrap)
        .into_par_iter()
        .map(|rep| {
            ctrl.check()?;
            let mut r = rng::stream(seed, Purpose::Bootstrap, rep as u64, 0);
            let mut w = vec![0.0; n];
            for _ in 0..n {
                w[r.random_range(0..n)] += 1.0;
            }
            ctrl.task_done();
            Ok(plugin_mi(a, b, na, nb, Some(&w), miller_madow))
        })
        .collect::<Result<Vec<f64>>>()?;
    Ok(DiscreteEstimate {
        full_value,
        values,
        table,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed_table() {
        // Table [[2, 1], [1, 2]] (n = 6): p(a) = p(b) = (1/2, 1/2),
        // I = sum p(a,b) ln(p(a,b) / (p(a)p(b))) = 2*(1/3) ln(4/3) + 2*(1/6) ln(2/3).
        let a = [0, 0, 0, 1, 1, 1];
        let b = [0, 0, 1, 0, 1, 1];
        let truth = 2.0 / 3.0 * (4.0f64 / 3.0).ln() + 1.0 / 3.0 * (2.0f64 / 3.0).ln();
        assert!((plugin_mi(&a, &b, 2, 2, None, false) - truth).abs() < 1e-15);
        // Miller-Madow: (1 + 1 - 3) / 12 added.
        let mm = plugin_mi(&a, &b, 2, 2, None, true);
        assert!((mm - (truth - 1.0 / 12.0).max(0.0)).abs() < 1e-15);
    }

    #[test]
    fn identical_variables_give_their_entropy() {
        let a = [0, 1, 2, 0, 1, 2];
        assert!((plugin_mi(&a, &a, 3, 3, None, false) - 3f64.ln()).abs() < 1e-14);
    }

    #[test]
    fn bootstrap_is_reproducible() {
        let a: Vec<usize> = (0..200).map(|i| i % 3).collect();
        let b: Vec<usize> = (0..200).map(|i| (i / 2) % 2).collect();
        let c = Control::new();
        let e1 = estimate(&a, &b, 3, 2, false, 30, 5, &c).unwrap();
        let e2 = estimate(&a, &b, 3, 2, false, 30, 5, &c).unwrap();
        assert_eq!(e1.values, e2.values);
        assert_eq!(e1.table.iter().sum::<u64>(), 200);
    }
}
