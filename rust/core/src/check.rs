//! A check of a fitted mixture against the data it was fitted to, through a statistic the
//! fit did not use: the k-nearest-neighbour mutual information of Kraskov, Stögbauer and
//! Grassberger (KSG, their first algorithm, max-norm).
//!
//! KSG is biased (its bias depends on the density, the dimension and the number of rows),
//! but the bias is the same for two samples of one distribution. So the KSG of the data
//! (`m` rows) is compared with the KSG of `m` draws from the fitted mixture, repeated with
//! independent draws: where the mixture is a good model of the data the data's KSG looks
//! like one more draw of the mixture's; where the mixture misses dependence that the data
//! have (curved or spiralling multivariate structure, which a few components cannot follow)
//! the data's KSG is higher than every draw's, and the MI of the mixture is likely too low.
//! The statistic is a prediction-interval t: `(ksg_data - mean) / (sd * sqrt(1 + 1/R))`
//! over `R` draws, Student t with `R - 1` degrees of freedom when the data are one more
//! draw (up to the KSG's near-normality).

use rayon::prelude::*;
use statrs::distribution::{ContinuousCDF, StudentsT};
use statrs::function::gamma::digamma;

use crate::control::Control;
use crate::error::{Error, Result};
use crate::gmm::GaussianMixture;
use crate::kdtree::KdTree;
use crate::rng::{self, Purpose};

/// The two-sided level of [`FitCheck::threshold`]: the data's KSG is flagged when a draw of
/// the mixture would fall as far out with probability below this (0.2%).
pub const CHECK_LEVEL: f64 = 0.002;

/// The most columns (both blocks together) for which [`ksg`] searches k-d trees rather
/// than every pair of rows. Measured on 4,000 rows of Gaussians (check of a fit, 17 KSG):
/// the trees took 0.05 / 0.30 / 1.00 / 1.44 s at 2 / 6 / 10 / 12 columns against 0.62 /
/// 0.92 / 1.46 / 1.67 s for every pair, and 2.09 / 2.49 / 4.21 s at 14 / 16 / 20 columns
/// against 2.06 / 2.04 / 2.31 s: in many dimensions a query's ball meets most leaves.
pub const TREE_MAX_COLUMNS: usize = 12;

/// The KSG estimate (nats, not clipped at 0) of `I(X; Y)` from the rows of `v` (row-major,
/// `d` columns, `X` the first `dx` of them) with `k` neighbours: `psi(k) + psi(m) -
/// mean(psi(n_x + 1) + psi(n_y + 1))`, `n_x` (`n_y`) the rows strictly closer than the
/// k-th neighbour in the joint max-norm within `X` (`Y`). The neighbours are found exactly,
/// through k-d trees up to [`TREE_MAX_COLUMNS`] columns and by comparing every pair of rows
/// beyond (`O(m^2 d)`), which give the same value to the last bit; in parallel over rows,
/// the per-row terms summed in row order, so the value does not depend on the thread count
/// either. Stops with [`Error::Cancelled`] soon after `ctrl` is cancelled.
pub fn ksg(v: &[f64], d: usize, dx: usize, k: usize, ctrl: &Control) -> Result<f64> {
    if d < 2 || dx == 0 || dx >= d {
        return Err(Error::arg(
            "dx",
            format!("must split the {d} columns into two non-empty blocks (got {dx})"),
        ));
    }
    let m = v.len() / d;
    if k == 0 || k >= m {
        return Err(Error::arg(
            "k",
            format!("must be at least 1 and below the number of rows ({m}); got {k}"),
        ));
    }
    let terms: Vec<f64> = if d <= TREE_MAX_COLUMNS {
        tree_terms(v, d, dx, k, ctrl)
    } else {
        pair_terms(v, d, dx, k, ctrl)
    };
    ctrl.check()?;
    let mean = terms.iter().sum::<f64>() / m as f64;
    Ok(digamma(k as f64) + digamma(m as f64) - mean)
}

/// Per-row KSG terms `psi(n_x + 1) + psi(n_y + 1)` through k-d trees over the joint rows
/// and over each block's columns ([`crate::kdtree`]); the same values as [`pair_terms`].
fn tree_terms(v: &[f64], d: usize, dx: usize, k: usize, ctrl: &Control) -> Vec<f64> {
    let m = v.len() / d;
    let (joint, (tx, ty)) = rayon::join(
        || KdTree::new(v, d, 0..d),
        || rayon::join(|| KdTree::new(v, d, 0..dx), || KdTree::new(v, d, dx..d)),
    );
    (0..m)
        .into_par_iter()
        .map_init(
            || (vec![0.0; k], Vec::new()),
            |(best, stack), i| {
                if ctrl.is_cancelled() {
                    return f64::NAN;
                }
                let q = &v[i * d..(i + 1) * d];
                let eps = joint.kth_distance(q, i, best, stack);
                // The row itself is in both trees, at distance 0.
                let own = usize::from(eps > 0.0);
                let nx = tx.count_within(&q[..dx], eps, stack) - own;
                let ny = ty.count_within(&q[dx..], eps, stack) - own;
                digamma(nx as f64 + 1.0) + digamma(ny as f64 + 1.0)
            },
        )
        .collect()
}

/// Per-row KSG terms by comparing every pair of rows (`O(m^2 d)`).
fn pair_terms(v: &[f64], d: usize, dx: usize, k: usize, ctrl: &Control) -> Vec<f64> {
    let m = v.len() / d;
    (0..m)
        .into_par_iter()
        .map_init(
            || (vec![0.0; m], vec![0.0; m], vec![0.0; m]),
            |(ax, ay, joint), i| {
                if ctrl.is_cancelled() {
                    return f64::NAN;
                }
                let ri = &v[i * d..(i + 1) * d];
                for (j, rj) in v.chunks_exact(d).enumerate() {
                    let mut mx: f64 = 0.0;
                    for c in 0..dx {
                        mx = mx.max((ri[c] - rj[c]).abs());
                    }
                    let mut my: f64 = 0.0;
                    for c in dx..d {
                        my = my.max((ri[c] - rj[c]).abs());
                    }
                    ax[j] = mx;
                    ay[j] = my;
                    joint[j] = mx.max(my);
                }
                joint[i] = f64::INFINITY;
                let eps = *joint.select_nth_unstable_by(k - 1, f64::total_cmp).1;
                let closer = |a: &[f64]| {
                    a.iter()
                        .enumerate()
                        .filter(|&(j, &t)| j != i && t < eps)
                        .count() as f64
                };
                digamma(closer(ax) + 1.0) + digamma(closer(ay) + 1.0)
            },
        )
        .collect()
}

/// The outcome of [`fit_check`].
#[derive(Debug, Clone, PartialEq)]
pub struct FitCheck {
    /// The KSG of the data's rows (a seeded subset of `max_rows` of them beyond that).
    pub ksg_data: f64,
    /// The KSG of each set of draws from the mixture, as many rows as `ksg_data` used.
    pub ksg_model: Vec<f64>,
    /// `(ksg_data - mean(ksg_model)) / (sd(ksg_model) * sqrt(1 + 1 / R))`, `sd` with
    /// `R - 1` degrees of freedom; positive when the data show more dependence than the
    /// mixture's draws.
    pub statistic: f64,
    /// The two-sided [`CHECK_LEVEL`] quantile of Student's t with `R - 1` degrees of freedom:
    /// `|statistic|` beyond it flags the fit.
    pub threshold: f64,
    /// The rows of the data (and of each draw) the KSG ran on.
    pub n_rows: usize,
}

impl FitCheck {
    /// Whether the data's KSG is within [`FitCheck::threshold`] of the draws'.
    pub fn passed(&self) -> bool {
        self.statistic.abs() <= self.threshold
    }
}

/// The settings of [`fit_check`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckOptions {
    /// The KSG runs on a seeded random subset of this many rows beyond it.
    pub max_rows: usize,
    /// Independent draws from the mixture (at least 3).
    pub n_draws: usize,
    /// Neighbours of the KSG.
    pub k: usize,
    /// Seed of the rows' subset and of every draw (each has its own stream).
    pub seed: u64,
}

impl Default for CheckOptions {
    /// 4,000 rows, 16 draws, 3 neighbours, seed 0.
    fn default() -> Self {
        CheckOptions {
            max_rows: 4000,
            n_draws: 16,
            k: 3,
            seed: 0,
        }
    }
}

/// Checks the mixture `model` against the rows `z` (row-major, `d` columns, in the
/// coordinates the mixture was fitted in; `X` the first `dx` columns) with KSG on at most
/// `opts.max_rows` rows and `opts.n_draws` independent draws of as many rows from the
/// mixture (see the module documentation), every column of both scaled by the data rows'
/// standard deviation. Counts one task of `ctrl` per KSG and stops soon after it is
/// cancelled.
pub fn fit_check(
    z: &[f64],
    d: usize,
    dx: usize,
    model: &GaussianMixture,
    opts: &CheckOptions,
    ctrl: &Control,
) -> Result<FitCheck> {
    let CheckOptions {
        max_rows,
        n_draws,
        k,
        seed,
    } = *opts;
    if model.dim() != d {
        return Err(Error::arg(
            "x",
            format!(
                "the data have {d} columns in all, the mixture {}",
                model.dim()
            ),
        ));
    }
    if n_draws < 3 {
        return Err(Error::arg(
            "n_draws",
            format!("must be at least 3 (a spread needs two degrees of freedom); got {n_draws}"),
        ));
    }
    let n = z.len() / d;
    if max_rows < 10 * k.max(1) || max_rows < 50 {
        return Err(Error::arg(
            "max_rows",
            format!("must be at least 50 and at least 10 k (got {max_rows}, k = {k})"),
        ));
    }
    let subset = crate::transform::subset(n, max_rows, rng::derive(seed, Purpose::Check, 0, 0));
    let rows: Vec<f64> = match &subset {
        Some(idx) => crate::select::gather(z, d, idx.iter().copied()),
        None => z.to_vec(),
    };
    let m = rows.len() / d;
    // Every column divided by the data rows' standard deviation (the draws by the same), so
    // that the max-norm weighs the columns alike; one affine map for both, so the two
    // samples stay comparable.
    let inv_sd: Vec<f64> = (0..d)
        .map(|j| {
            let s = crate::stats::column_moments(rows.iter().skip(j).step_by(d).copied(), m).1;
            if s > 0.0 && s.is_finite() {
                1.0 / s
            } else {
                1.0
            }
        })
        .collect();
    let scaled = |mut v: Vec<f64>| {
        for row in v.chunks_exact_mut(d) {
            for (a, s) in row.iter_mut().zip(&inv_sd) {
                *a *= s;
            }
        }
        v
    };
    ctrl.add_total(n_draws as u64 + 1);
    let counted = |v: Vec<f64>| {
        let out = ksg(&scaled(v), d, dx, k, ctrl);
        ctrl.task_done();
        out
    };
    let ksg_data = counted(rows)?;
    let ksg_model: Vec<f64> = (0..n_draws)
        .map(|b| {
            let (draw, _) = model.try_sample(m, rng::derive(seed, Purpose::Check, 1, b as u64))?;
            counted(draw)
        })
        .collect::<Result<_>>()?;
    let r = n_draws as f64;
    let mean = ksg_model.iter().sum::<f64>() / r;
    let sd = (ksg_model.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (r - 1.0)).sqrt();
    let diff = ksg_data - mean;
    let statistic = if sd > 0.0 {
        diff / (sd * (1.0 + 1.0 / r).sqrt())
    } else if diff == 0.0 {
        0.0
    } else {
        diff.signum() * f64::INFINITY
    };
    let t = StudentsT::new(0.0, 1.0, r - 1.0).map_err(|e| Error::Numerical(e.to_string()))?;
    Ok(FitCheck {
        ksg_data,
        ksg_model,
        statistic,
        threshold: t.inverse_cdf(1.0 - CHECK_LEVEL / 2.0),
        n_rows: m,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;
    use rand::SeedableRng;
    use rand_distr::{Distribution, StandardNormal};

    fn opts(max_rows: usize, n_draws: usize, k: usize, seed: u64) -> CheckOptions {
        CheckOptions {
            max_rows,
            n_draws,
            k,
            seed,
        }
    }

    fn gaussian_rows(m: usize, rho: f64, seed: u64) -> Vec<f64> {
        let mut r = Rng::seed_from_u64(seed);
        let mut v = Vec::with_capacity(2 * m);
        for _ in 0..m {
            let a: f64 = StandardNormal.sample(&mut r);
            let b: f64 = StandardNormal.sample(&mut r);
            v.push(a);
            v.push(rho * a + (1.0 - rho * rho).sqrt() * b);
        }
        v
    }

    #[test]
    fn ksg_is_near_the_gaussian_mi() {
        // Bivariate Gaussian, rho = 0.6 (MI 0.2231 nat), 2,000 rows: KSG-1's standard
        // deviation at this n is about 0.015 and its bias below 0.01, so the mean of four
        // independent sets is within 0.03 of the truth.
        let truth = -0.5 * (1.0f64 - 0.36).ln();
        let mean = (0..4)
            .map(|s| ksg(&gaussian_rows(2000, 0.6, s), 2, 1, 3, &Control::new()).unwrap())
            .sum::<f64>()
            / 4.0;
        assert!((mean - truth).abs() < 0.03, "{mean} vs {truth}");
        // Independent columns: near 0 (sd about 0.01 per set).
        let zero = ksg(&gaussian_rows(2000, 0.0, 9), 2, 1, 3, &Control::new()).unwrap();
        assert!(zero.abs() < 0.04, "{zero}");
    }

    #[test]
    fn trees_and_every_pair_give_the_same_terms() {
        // Gaussian rows, and rows on a coarse grid (equal distances and repeated rows, where
        // strict and non-strict comparisons would differ), in 2 to 7 columns split anyhow.
        let mut r = Rng::seed_from_u64(11);
        for (m, d, dx) in [(300, 2, 1), (400, 4, 1), (400, 4, 2), (250, 7, 3)] {
            let gauss: Vec<f64> = (0..m * d).map(|_| StandardNormal.sample(&mut r)).collect();
            let grid: Vec<f64> = gauss.iter().map(|v| (v * 2.0).round() / 2.0).collect();
            for v in [&gauss, &grid] {
                for k in [1, 3, 5] {
                    let ctrl = Control::new();
                    let (a, b) = (
                        tree_terms(v, d, dx, k, &ctrl),
                        pair_terms(v, d, dx, k, &ctrl),
                    );
                    let bits = |t: &[f64]| t.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                    assert_eq!(bits(&a), bits(&b), "m {m} d {d} dx {dx} k {k}");
                }
            }
        }
    }

    #[test]
    fn ksg_does_not_depend_on_the_thread_count() {
        let v = gaussian_rows(500, 0.5, 3);
        let one = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap()
            .install(|| ksg(&v, 2, 1, 3, &Control::new()).unwrap());
        let three = rayon::ThreadPoolBuilder::new()
            .num_threads(3)
            .build()
            .unwrap()
            .install(|| ksg(&v, 2, 1, 3, &Control::new()).unwrap());
        assert_eq!(one.to_bits(), three.to_bits());
    }

    #[test]
    fn a_mixture_of_the_data_passes_and_a_wrong_one_fails() {
        let v = gaussian_rows(1500, 0.8, 5);
        let cov = |rho: f64| vec![1.0, rho, rho, 1.0];
        let right = GaussianMixture::new(2, vec![1.0], vec![0.0, 0.0], cov(0.8)).unwrap();
        let c = fit_check(&v, 2, 1, &right, &opts(4000, 8, 3, 1), &Control::new()).unwrap();
        // The statistic is t with 7 degrees of freedom under the null; 4.8 is its 99.9%
        // quantile.
        assert!(c.passed(), "{c:?}");
        assert_eq!(c.n_rows, 1500);
        assert!((c.threshold - 4.785).abs() < 0.01, "{}", c.threshold);
        // A mixture with no dependence: the data's KSG (about 0.5 nat) is far above the
        // draws' (about 0, sd 0.015).
        let wrong = GaussianMixture::new(2, vec![1.0], vec![0.0, 0.0], cov(0.0)).unwrap();
        let c = fit_check(&v, 2, 1, &wrong, &opts(4000, 8, 3, 1), &Control::new()).unwrap();
        assert!(!c.passed() && c.statistic > 0.0, "{c:?}");
        // Too much dependence: flagged the other way.
        let strong = GaussianMixture::new(2, vec![1.0], vec![0.0, 0.0], cov(0.97)).unwrap();
        let c = fit_check(&v, 2, 1, &strong, &opts(4000, 8, 3, 1), &Control::new()).unwrap();
        assert!(!c.passed() && c.statistic < 0.0, "{c:?}");
    }

    #[test]
    fn rows_beyond_max_rows_are_subsampled_and_bad_options_are_refused() {
        let v = gaussian_rows(900, 0.5, 7);
        let g =
            GaussianMixture::new(2, vec![1.0], vec![0.0, 0.0], vec![1.0, 0.5, 0.5, 1.0]).unwrap();
        let c = fit_check(&v, 2, 1, &g, &opts(300, 4, 3, 2), &Control::new()).unwrap();
        assert_eq!(c.n_rows, 300);
        assert_eq!(c.ksg_model.len(), 4);
        assert_eq!(
            c,
            fit_check(&v, 2, 1, &g, &opts(300, 4, 3, 2), &Control::new()).unwrap()
        );
        assert!(fit_check(&v, 2, 1, &g, &opts(300, 2, 3, 2), &Control::new()).is_err());
        assert!(fit_check(&v, 2, 1, &g, &opts(20, 4, 3, 2), &Control::new()).is_err());
        assert!(fit_check(&v, 2, 0, &g, &opts(300, 4, 3, 2), &Control::new()).is_err());
        assert!(ksg(&v, 2, 1, 0, &Control::new()).is_err());
        assert!(ksg(&v[..6], 2, 1, 3, &Control::new()).is_err());
        let cancelled = Control::new();
        cancelled.cancel();
        assert!(matches!(
            fit_check(&v, 2, 1, &g, &opts(300, 4, 3, 2), &cancelled),
            Err(Error::Cancelled)
        ));
    }
}
