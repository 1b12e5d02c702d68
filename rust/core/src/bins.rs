//! The rows of one column grouped into narrow bins, so that EM on many rows of one column
//! (a continuous variable's rows within one class of categorical MI) runs on a few hundred
//! to a few thousand weighted points instead (ALGORITHM.md, step 6).
//!
//! A bin holds sorted values within a small share of the local spread of its smallest one
//! ([`BIN_WIDTH`]). Any weighting of the rows (a training fold's, a bootstrap resample's
//! counts) is given to EM as at most two points per bin, at the weighted mean of its rows
//! plus and minus their weighted standard deviation, each with half the bin's weight: every
//! bin's weight, mean and variance are exactly those of its rows. EM's M-step uses only
//! those moments, weighted by the responsibilities; it is exact when the responsibilities
//! are the same across a bin, and bins this narrow against the rows about them leave that
//! to the second order in their width wherever the fitted components are wider than the
//! bins. A component narrower than a bin (a cluster of fewer rows than [`LOCAL_SHARE`]
//! with almost no spread) is fitted as wide as its bin. Equal values make a bin of their
//! own, one point: they are then exact at any width. What is scored on held-out rows (the
//! component search's folds, a replicate's out-of-bag rows) is scored on the rows
//! themselves, and the search's k-means starts run on the sorted rows.

use crate::kmeans1d::Sorted;

/// A bin holds the values within this share of the local spread of its smallest value:
/// the span of the [`LOCAL_SHARE`] of the rows next to it in rank, on its denser side
/// (below or above), and at most [`MAX_BIN_WIDTH`]. On Gaussian rows that is 0.01 standard
/// deviations at the median. Below 1, a bin never reaches past the rows of its window on
/// either side: a narrow cluster of at least that many rows (half a percent of them) is
/// reached only by bins starting within it, which its own dense rows keep narrow, not by a
/// bin from the sparser rows beside it (a two-sided window of 5% of the rows let one bin
/// hold a cluster of 5% of the rows with standard deviation 1e-4 and fifteen ordinary
/// rows beside it: EM then fitted the cluster's component 10x too wide, and the MI moved by
/// 0.7-1.1 bootstrap standard deviations).
pub const BIN_WIDTH: f64 = 0.8;

/// No bin is wider than this many robust standard deviations of the column (its
/// interquartile range / 1.349, or its standard deviation where that is 0): in heavy
/// tails the rows about a bin span far more than the structure a mixture fits there (on
/// Student t classes, nu = 2, 16,000 rows each, bins limited by the rows about them alone
/// chose 3 components where every row chose 7-22, and the MI moved by 5-17 standard
/// errors).
pub const MAX_BIN_WIDTH: f64 = 0.01;

/// See [`BIN_WIDTH`]: the share of the rows on each side of a bin's smallest value whose
/// span sets its width (at least [`LOCAL_MIN_ROWS`]).
pub const LOCAL_SHARE: f64 = 0.005;

/// See [`LOCAL_SHARE`].
pub const LOCAL_MIN_ROWS: usize = 16;

/// Columns of fewer rows are not binned: their EM is cheap already, and their estimates stay
/// those of EM on every row.
pub const BIN_MIN_ROWS: usize = 3_000;

/// The rows of one column in bins of values within [`BIN_WIDTH`] of each other.
#[derive(Debug, Clone)]
pub struct Bins {
    /// The rows' values sorted, for the search's k-means starts ([`crate::kmeans1d`]).
    sorted: Sorted,
    /// The bin of each row.
    of_row: Vec<u32>,
    /// Each bin's smallest value: its sums are taken about it, so that a bin's variance is
    /// computed from differences no larger than the bin's width.
    base: Vec<f64>,
}

/// Weighted points standing for weighted rows (see [`Bins::compress`]).
#[derive(Debug, Clone, Default)]
pub struct Points {
    /// The points' values (one column).
    pub x: Vec<f64>,
    /// Their weights.
    pub w: Vec<f64>,
}

impl Bins {
    /// The bins of the column `x` (`d` columns: binned only when `d == 1`), or `None` where
    /// they would not pay: fewer than [`BIN_MIN_ROWS`] rows, more points than a third of
    /// the rows (values spread too thinly for bins to hold several rows), or a non-finite
    /// spread.
    pub fn for_column(x: &[f64], d: usize) -> Option<Bins> {
        let n = x.len();
        if d != 1 || n < BIN_MIN_ROWS || u32::try_from(n).is_err() {
            return None;
        }
        if x.iter().any(|v| !v.is_finite()) {
            return None;
        }
        let mut order: Vec<u32> = (0..n as u32).collect();
        order.sort_unstable_by(|&a, &b| x[a as usize].total_cmp(&x[b as usize]).then(a.cmp(&b)));
        // The sorted values, gathered once: read below in order, and kept for the search's
        // k-means starts.
        let sorted = Sorted::new(x, order);
        let vals = sorted.values();
        let at = |r: usize| vals[r.min(n - 1)];
        let side = ((LOCAL_SHARE * n as f64).ceil() as usize).max(LOCAL_MIN_ROWS);
        // (the standard deviation where half the rows or more share one value)
        let quartiles = (at(3 * n / 4) - at(n / 4)) / 1.349;
        let spread = if quartiles > 0.0 {
            quartiles
        } else {
            crate::stats::column_moments(x.iter().copied(), n).1
        };
        let cap = MAX_BIN_WIDTH * spread;
        if !cap.is_finite() {
            return None;
        }
        let mut of_row = vec![0u32; n];
        let mut base: Vec<f64> = Vec::new();
        let mut width = 0.0;
        // The points of all the rows: two per bin of unequal values, one per bin of one.
        let (mut points, mut varied, mut tie_bin) = (0, false, false);
        for (r, (&i, &v)) in sorted.order().iter().zip(vals).enumerate() {
            // Equal values (a point mass: a rectified variable's zeros) make a bin of their
            // own, which is then exact.
            let tied = (r + 1 < n && at(r + 1) == v) || (r > 0 && at(r - 1) == v);
            let new_bin = match base.last() {
                None => true,
                Some(&b) => v - b > width || (v != b && (tied || tie_bin)),
            };
            if new_bin {
                base.push(v);
                // The denser side's span (at the ends of the column, the side there is).
                let above = at(r + side) - v;
                let below = if r >= side {
                    v - at(r - side)
                } else {
                    f64::INFINITY
                };
                width = (BIN_WIDTH * above.min(below)).min(cap);
                points += 1;
                varied = false;
                tie_bin = tied;
            } else if !varied && v != base[base.len() - 1] {
                points += 1;
                varied = true;
            }
            of_row[i as usize] = (base.len() - 1) as u32;
        }
        (3 * points <= n).then_some(Bins {
            sorted,
            of_row,
            base,
        })
    }

    /// The rows' values sorted, with their prefix sums.
    pub fn sorted(&self) -> &Sorted {
        &self.sorted
    }

    /// The number of bins.
    pub fn n_bins(&self) -> usize {
        self.base.len()
    }

    /// The rows of `x` (the column the bins were made of) with weights `weight(i)` as
    /// weighted points, into `out` (its memory reused), in the order of the bins: for each
    /// bin of positive weight `W`, mean `m` and variance `s^2` (of its rows under these
    /// weights), the points `m - s` and `m + s` of weight `W / 2`, or `m` of weight `W` when
    /// `s = 0`. `sums` is scratch memory. The sums run in row order: the same points on any
    /// thread count. Returns whether every weight was finite and non-negative (the points
    /// are not meaningful otherwise).
    pub fn compress_into(
        &self,
        x: &[f64],
        weight: impl Fn(usize) -> f64,
        sums: &mut Vec<[f64; 3]>,
        out: &mut Points,
    ) -> bool {
        debug_assert_eq!(x.len(), self.of_row.len());
        sums.clear();
        sums.resize(self.base.len(), [0.0; 3]);
        // Rows of weight 0 add zeros (a third of a resample's rows: a branch on them would
        // be mispredicted every other row); invalid weights are counted, not branched on.
        let mut invalid = 0usize;
        for (i, (&v, &b)) in x.iter().zip(&self.of_row).enumerate() {
            let w = weight(i);
            invalid += usize::from(!(0.0..f64::INFINITY).contains(&w));
            let t = v - self.base[b as usize];
            let s = &mut sums[b as usize];
            s[0] += w;
            s[1] += w * t;
            s[2] += w * t * t;
        }
        out.x.clear();
        out.w.clear();
        for (&[w, s1, s2], &b) in sums.iter().zip(&self.base) {
            if w <= 0.0 {
                continue;
            }
            // (weights so large that a bin's sums overflow)
            invalid += usize::from(!(w + s1 + s2).is_finite());
            let mean = s1 / w;
            let var = (s2 / w - mean * mean).max(0.0);
            if var > 0.0 {
                let sd = var.sqrt();
                out.x.extend([b + mean - sd, b + mean + sd]);
                out.w.extend([0.5 * w, 0.5 * w]);
            } else {
                out.x.push(b + mean);
                out.w.push(w);
            }
        }
        invalid == 0
    }

    /// [`Bins::compress_into`] into new memory, for weights known to be finite and
    /// non-negative (a fold's 0 and 1, every row's 1).
    pub fn compress(&self, x: &[f64], weight: impl Fn(usize) -> f64) -> Points {
        let mut out = Points::default();
        self.compress_into(x, weight, &mut Vec::new(), &mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{self, Purpose};
    use rand::RngExt;
    use rand_distr::{Distribution, StandardNormal};

    fn normal(n: usize, seed: u64) -> Vec<f64> {
        let mut r = rng::stream(seed, Purpose::Init, 0, 0);
        (0..n).map(|_| StandardNormal.sample(&mut r)).collect()
    }

    /// Sum of `w`, `w x`, `w x^2`.
    fn moments(x: &[f64], w: &[f64]) -> [f64; 3] {
        let mut m = [0.0; 3];
        for (&v, &c) in x.iter().zip(w) {
            m[0] += c;
            m[1] += c * v;
            m[2] += c * v * v;
        }
        m
    }

    #[test]
    fn few_rows_or_many_columns_are_not_binned() {
        assert!(Bins::for_column(&normal(BIN_MIN_ROWS - 1, 1), 1).is_none());
        assert!(Bins::for_column(&normal(2 * BIN_MIN_ROWS, 1), 2).is_none());
        assert!(Bins::for_column(&[f64::NAN; BIN_MIN_ROWS], 1).is_none());
    }

    #[test]
    fn bins_are_narrow_and_every_bin_keeps_its_moments() {
        let x = normal(12_000, 2);
        let bins = Bins::for_column(&x, 1).expect("12,000 Gaussian rows are binned");
        // A few hundred bins: a large share of the rows in each.
        assert!((100..1_000).contains(&bins.n_bins()), "{}", bins.n_bins());
        // Every bin narrow: within 0.015 sd in the bulk (|x| < 0.5, where 5% of the rows
        // span at most 0.05 / phi(0.5) = 0.14 sd, and 0.08 of that is 0.0114), within 0.5 sd
        // anywhere.
        for (i, &v) in x.iter().enumerate() {
            let b = bins.of_row[i] as usize;
            let limit = if v.abs() < 0.5 { 0.015 } else { 0.5 };
            assert!(
                v >= bins.base[b] && v - bins.base[b] <= limit,
                "{v} in bin at {}",
                bins.base[b]
            );
        }
        // Bootstrap counts: weights of 0 (left out) to 4.
        let mut r = rng::stream(3, Purpose::Bootstrap, 0, 0);
        let counts: Vec<f64> = (0..x.len())
            .map(|_| f64::from(r.random_range(0..5u8)))
            .collect();
        let p = bins.compress(&x, |i| counts[i]);
        assert!(p.x.len() <= 2 * bins.n_bins());
        // Per bin (every 17th): the points' weight, mean and second moment are its rows'.
        for b in (0..bins.n_bins()).step_by(17) {
            let in_b = |i: usize| bins.of_row[i] as usize == b;
            let q = bins.compress(&x, |i| if in_b(i) { counts[i] } else { 0.0 });
            let rows: Vec<usize> = (0..x.len())
                .filter(|&i| in_b(i) && counts[i] > 0.0)
                .collect();
            let want = moments(
                &rows.iter().map(|&i| x[i]).collect::<Vec<_>>(),
                &rows.iter().map(|&i| counts[i]).collect::<Vec<_>>(),
            );
            let got = moments(&q.x, &q.w);
            assert!(q.x.len() <= 2);
            for j in 0..3 {
                // Sums of at most a few hundred terms of size <= 4 * 4^2: rounding ~1e-12.
                assert!(
                    (want[j] - got[j]).abs() <= 1e-10 * want[0].max(1.0),
                    "bin {b}"
                );
            }
        }
        let (all_x, all_c) = (moments(&x, &counts), moments(&p.x, &p.w));
        for j in 0..3 {
            assert!(
                (all_x[j] - all_c[j]).abs() <= 1e-9 * all_x[0],
                "moment {j}: {} vs {}",
                all_x[j],
                all_c[j]
            );
        }
    }

    #[test]
    fn a_narrow_cluster_is_not_binned_with_the_rows_beside_it() {
        // 8,000 Gaussian rows, 5% (and then 1%) of them replaced by a cluster at 1 with sd
        // 1e-5: every bin holding cluster rows spans at most 1e-3 (the cluster spans ~1e-4;
        // Gaussian rows fall within 1e-3 of it ~2 times in 8,000), so EM sees the cluster's
        // own moments, not those of the rows beside it.
        for (every, seed) in [(20, 6), (100, 7)] {
            let mut x = normal(8_000, seed);
            let noise = normal(8_000, seed + 100);
            for i in (0..x.len()).step_by(every) {
                x[i] = 1.0 + 1e-5 * noise[i];
            }
            let bins = Bins::for_column(&x, 1).expect("binned");
            let mut lo = vec![f64::INFINITY; bins.n_bins()];
            let mut hi = vec![f64::NEG_INFINITY; bins.n_bins()];
            for (&v, &b) in x.iter().zip(&bins.of_row) {
                lo[b as usize] = lo[b as usize].min(v);
                hi[b as usize] = hi[b as usize].max(v);
            }
            for (i, &v) in x.iter().enumerate().step_by(every) {
                let b = bins.of_row[i] as usize;
                assert!(
                    hi[b] - lo[b] <= 1e-3,
                    "{v}: its bin spans {} to {}",
                    lo[b],
                    hi[b]
                );
            }
        }
    }

    #[test]
    fn equal_values_stay_exact() {
        // A fifth of the rows at 0 (a point mass amid continuous values), the rest Gaussian.
        let mut x = normal(20_000, 4);
        for v in x.iter_mut().step_by(5) {
            *v = 0.0;
        }
        let bins = Bins::for_column(&x, 1).expect("binned");
        let p = bins.compress(&x, |_| 1.0);
        let at_zero: f64 =
            p.x.iter()
                .zip(&p.w)
                .filter(|(v, _)| **v == 0.0)
                .map(|(_, w)| w)
                .sum();
        assert_eq!(
            at_zero, 4_000.0,
            "the tied rows are one point of their whole weight"
        );
    }
}
