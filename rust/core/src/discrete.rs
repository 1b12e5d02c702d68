//! Mutual information between two discrete variables: the plug-in estimate from the
//! contingency table, optionally with the Miller-Madow bias correction, and its bootstrap.

use rand::RngExt;
use rayon::prelude::*;

use crate::control::Control;
use crate::error::{Error, Result};
use crate::rng::{self, Purpose};
use crate::stats::mean_std;

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

/// The contingency table of two code vectors, kept sparse: only its non-empty cells, so
/// two ID-like columns (as many levels as rows) cost memory in the rows, not in
/// `levels_x * levels_y`.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Non-empty cells `(a, b)` in row-major order.
    pub cells: Vec<(usize, usize)>,
    /// The cell of each row (an index into `cells`).
    pub cell_of_row: Vec<usize>,
    /// Number of levels of `a` and of `b`.
    pub na: usize,
    /// Number of levels of `b`.
    pub nb: usize,
}

/// A vector of `n` copies of `v`, or an error naming `what` when the memory is not there
/// (every buffer sized by the input goes through this, so no input aborts the process).
pub(crate) fn try_filled<T: Clone>(n: usize, v: T, what: &str) -> Result<Vec<T>> {
    let mut out = Vec::new();
    out.try_reserve_exact(n).map_err(|_| {
        Error::arg(
            what,
            format!(
                "not enough memory for {n} entries of {} bytes",
                std::mem::size_of::<T>()
            ),
        )
    })?;
    out.resize(n, v);
    Ok(out)
}

impl Table {
    /// Counts the cells of the codes `a` (in `0..na`) and `b` (in `0..nb`), by sorting the
    /// rows by cell: `O(n log n)` time and `O(n)` memory whatever the numbers of levels.
    pub fn new(a: &[usize], b: &[usize], na: usize, nb: usize) -> Result<Self> {
        let n = a.len();
        let mut order: Vec<usize> = try_filled(n, 0, "x")?;
        order.iter_mut().enumerate().for_each(|(i, o)| *o = i);
        order.par_sort_unstable_by_key(|&i| (a[i], b[i]));
        let mut cell_of_row = try_filled(n, 0, "x")?;
        let mut cells = Vec::new();
        for &i in &order {
            let key = (a[i], b[i]);
            if cells.last() != Some(&key) {
                cells
                    .try_reserve(1)
                    .map_err(|_| Error::arg("x", "not enough memory"))?;
                cells.push(key);
            }
            cell_of_row[i] = cells.len() - 1;
        }
        Ok(Table {
            cells,
            cell_of_row,
            na,
            nb,
        })
    }

    /// Plug-in mutual information (nats), each row weighted by `w` (bootstrap
    /// multiplicities) or once. With `miller_madow`, each entropy gets the correction
    /// `(m - 1) / (2 n)`, `m` its number of non-empty cells. The joint entropy sums the
    /// non-empty cells in row-major order, as a dense table would.
    pub fn mi(
        &self,
        a: &[usize],
        b: &[usize],
        w: Option<&[f64]>,
        miller_madow: bool,
    ) -> Result<f64> {
        let mut joint = try_filled(self.cells.len(), 0.0, "x")?;
        let mut ca = try_filled(self.na, 0.0, "x")?;
        let mut cb = try_filled(self.nb, 0.0, "y")?;
        let mut n = 0.0;
        for i in 0..a.len() {
            let wi = w.map_or(1.0, |w| w[i]);
            joint[self.cell_of_row[i]] += wi;
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
        Ok(mi.max(0.0))
    }
}

/// Plug-in mutual information (nats) of the codes `a` (in `0..na`) and `b` (in `0..nb`),
/// each row weighted by `w` (bootstrap multiplicities) or once; see [`Table::mi`].
pub fn plugin_mi(
    a: &[usize],
    b: &[usize],
    na: usize,
    nb: usize,
    w: Option<&[f64]>,
    miller_madow: bool,
) -> Result<f64> {
    Table::new(a, b, na, nb)?.mi(a, b, w, miller_madow)
}

/// Plug-in estimate on all rows and its bootstrap replicates.
#[derive(Debug, Clone)]
pub struct DiscreteEstimate {
    /// The estimate on all rows.
    pub full_value: f64,
    /// Bootstrap replicates (rows resampled in pairs).
    pub values: Vec<f64>,
    /// The non-empty cells of the contingency table, row-major: `(a, b, count)`.
    pub cells: Vec<(usize, usize, u64)>,
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
    let table = Table::new(a, b, na, nb)?;
    let mut counts = try_filled(table.cells.len(), 0u64, "x")?;
    for &c in &table.cell_of_row {
        counts[c] += 1;
    }
    let full_value = table.mi(a, b, None, miller_madow)?;
    ctrl.add_total(n_bootstrap as u64);
    let values = (0..n_bootstrap)
        .into_par_iter()
        .map(|rep| {
            ctrl.check()?;
            let mut r = rng::stream(seed, Purpose::Bootstrap, rep as u64, 0);
            let mut w = try_filled(n, 0.0, "x")?;
            for _ in 0..n {
                w[r.random_range(0..n)] += 1.0;
            }
            ctrl.task_done();
            table.mi(a, b, Some(&w), miller_madow)
        })
        .collect::<Result<Vec<f64>>>()?;
    let cells = table
        .cells
        .iter()
        .zip(counts)
        .map(|(&(i, j), c)| (i, j, c))
        .collect();
    Ok(DiscreteEstimate {
        full_value,
        values,
        cells,
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
        assert!((plugin_mi(&a, &b, 2, 2, None, false).unwrap() - truth).abs() < 1e-15);
        // Miller-Madow: (1 + 1 - 3) / 12 added.
        let mm = plugin_mi(&a, &b, 2, 2, None, true).unwrap();
        assert!((mm - (truth - 1.0 / 12.0).max(0.0)).abs() < 1e-15);
    }

    #[test]
    fn identical_variables_give_their_entropy() {
        let a = [0, 1, 2, 0, 1, 2];
        assert!((plugin_mi(&a, &a, 3, 3, None, false).unwrap() - 3f64.ln()).abs() < 1e-14);
    }

    #[test]
    fn bootstrap_is_reproducible() {
        let a: Vec<usize> = (0..200).map(|i| i % 3).collect();
        let b: Vec<usize> = (0..200).map(|i| (i / 2) % 2).collect();
        let c = Control::new();
        let e1 = estimate(&a, &b, 3, 2, false, 30, 5, &c).unwrap();
        let e2 = estimate(&a, &b, 3, 2, false, 30, 5, &c).unwrap();
        assert_eq!(e1.values, e2.values);
        assert_eq!(e1.cells.iter().map(|c| c.2).sum::<u64>(), 200);
    }

    /// The dense-table computation this module used before, as a reference.
    fn dense_mi(a: &[usize], b: &[usize], na: usize, nb: usize, w: &[f64]) -> f64 {
        let mut joint = vec![0.0; na * nb];
        let (mut ca, mut cb, mut n) = (vec![0.0; na], vec![0.0; nb], 0.0);
        for i in 0..a.len() {
            joint[a[i] * nb + b[i]] += w[i];
            ca[a[i]] += w[i];
            cb[b[i]] += w[i];
            n += w[i];
        }
        let h = |c: &[f64]| plugin_entropy(c, n).0;
        (h(&ca) + h(&cb) - h(&joint)).max(0.0)
    }

    #[test]
    fn sparse_table_equals_the_dense_one_bit_for_bit() {
        let mut r = rng::stream(3, Purpose::Bootstrap, 0, 0);
        let a: Vec<usize> = (0..500).map(|_| r.random_range(0..7)).collect();
        let b: Vec<usize> = a
            .iter()
            .map(|&v| (v * 3 + r.random_range(0..4)) % 11)
            .collect();
        let w: Vec<f64> = (0..500).map(|_| r.random_range(0..3) as f64).collect();
        let t = Table::new(&a, &b, 7, 11).unwrap();
        let sparse = t.mi(&a, &b, Some(&w), false).unwrap();
        assert_eq!(sparse.to_bits(), dense_mi(&a, &b, 7, 11, &w).to_bits());
    }

    #[test]
    fn id_like_columns_need_memory_in_the_rows_only() {
        // 1e5 levels each: a dense table would need 1e10 cells (80 GB).
        let n = 100_000;
        let a: Vec<usize> = (0..n).collect();
        let b: Vec<usize> = (0..n).map(|i| (i * 7919) % n).collect();
        let e = estimate(&a, &b, n, n, false, 2, 0, &Control::new()).unwrap();
        assert_eq!(e.cells.len(), n);
        // A bijection: I = H(X) = ln n.
        assert!((e.full_value - (n as f64).ln()).abs() < 1e-9);
    }
}
