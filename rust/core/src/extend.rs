//! What the interval of an estimate must also hold when the check of its fit
//! ([`crate::check`]) finds that the data show more dependence than the fitted mixture.
//!
//! The component search chooses the number of components `K` by held-out likelihood, a
//! criterion of the whole density. Where a mixture only approximates the density (a spiral
//! across columns, dependence carried by the joint tails of several columns), the `K` it
//! chooses can follow the bulk of the rows and miss part of the dependence: the estimate is
//! then low by many times its bootstrap interval, and the check of the fit (the
//! k-nearest-neighbour (KSG) MI of the data against that of draws from the mixture) fails
//! with a positive statistic. The data then reject the chosen mixture on the statistic that
//! bears on the MI, and the MI of a mixture whose draws show the data's dependence is as
//! plausible a value.
//!
//! [`misfit_extension`] fits mixtures of more components to all the rows, `K` growing by a
//! quarter (at least one) per step, and checks each with the same rows and draws' seeds
//! until the data's KSG no longer exceeds the mean KSG of the draws (the statistic is at
//! most 0: the mixture shows at least the data's dependence) or `max_components` is reached.
//! The value of that mixture is what the interval of the estimate is extended to hold
//! (`MIResult.ci`); the estimate itself is unchanged.

use crate::check::{self, CheckOptions};
use crate::control::Control;
use crate::error::{Error, Result};
use crate::estimator::{Quantity, ValidOptions};
use crate::fit::{fit_mixture, FitOptions};
use crate::init::InitMethod;
use crate::rng::{self, Purpose};

/// One mixture the extension fitted: its components, its value and its check's statistic.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExtensionStep {
    /// Components of the mixture.
    pub n_components: usize,
    /// The quantity (MI or conditional MI, nats) of the mixture.
    pub value: f64,
    /// The statistic of its check ([`check::FitCheck::statistic`]).
    pub statistic: f64,
}

/// The outcome of [`misfit_extension`].
#[derive(Debug, Clone, PartialEq)]
pub struct Extension {
    /// Every mixture fitted, in order of `K`; the last is the one the interval holds.
    pub steps: Vec<ExtensionStep>,
    /// Whether the last mixture's statistic is at most 0 (otherwise the steps stopped at
    /// `max_components`, at the rows' limit or at a fit that failed numerically).
    pub reached: bool,
}

impl Extension {
    /// The mixture the interval is extended to hold (the last step).
    pub fn last(&self) -> ExtensionStep {
        *self
            .steps
            .last()
            .expect("an extension has at least one step")
    }
}

/// The next number of components of the extension: `k` plus a quarter of it, at least one
/// more.
pub fn next_components(k: usize) -> usize {
    k + k.div_ceil(4).max(1)
}

/// Fits mixtures of more than `k_start` components to the rows `z` (row-major, in the
/// coordinates the estimate's mixture was fitted in; columns split into `blocks`, `[dx, dy]`
/// for `I(X; Y)`, `[dx, dy, dz]` for `I(X; Y | Z)`), each from one k-means start, to the
/// EM tolerance of the estimator's fits on these rows, standardised (`opts`), and
/// checks each against the rows with `check_opts` and `cells` (those of the check that
/// failed, so that every step sees the same rows and draws' seeds, and the same columns
/// spread over their cells: [`check::fit_check_in_cells`]), until the statistic is at most
/// 0 (see the module documentation). Returns `None` when no mixture larger than `k_start`
/// could be fitted (`max_components` or the rows' count reached, or a numerical failure at
/// the first step). Counts the fits and checks as tasks of `ctrl` and stops soon after it
/// is cancelled.
pub fn misfit_extension(
    z: &[f64],
    blocks: &[usize],
    k_start: usize,
    opts: &ValidOptions,
    check_opts: &CheckOptions,
    cells: &[Option<Vec<f64>>],
    ctrl: &Control,
) -> Result<Option<Extension>> {
    let quantity = match *blocks {
        [dx, dy] if dx > 0 && dy > 0 => Quantity::MutualInformation {
            x: (0..dx).collect(),
            y: (dx..dx + dy).collect(),
        },
        [dx, dy, dz] if dx > 0 && dy > 0 && dz > 0 => Quantity::ConditionalMutualInformation {
            x: (0..dx).collect(),
            y: (dx..dx + dy).collect(),
            z: (dx + dy..dx + dy + dz).collect(),
        },
        _ => {
            return Err(Error::arg(
                "blocks",
                format!("must be two or three non-zero column counts; got {blocks:?}"),
            ))
        }
    };
    let d: usize = blocks.iter().sum();
    if z.is_empty() || !z.len().is_multiple_of(d) {
        return Err(Error::arg(
            "z",
            format!(
                "must hold whole rows of {d} columns; got {} values",
                z.len()
            ),
        ));
    }
    check::check_cells(cells, d)?;
    let n = z.len() / d;
    let opts = opts.for_rows(n);
    let fit_opts = |k: usize| FitOptions {
        n_components: k,
        init: InitMethod::Kmeans,
        n_init: 1,
        scale: opts.select.scale,
        standardize: opts.standardize,
        em: opts.em_for(n),
    };
    let mut steps = Vec::new();
    let mut k = k_start.max(1);
    loop {
        k = next_components(k);
        // Each component needs rows of its own (d + 1 to hold a full covariance).
        if k > opts.select.max_components || k * (d + 1) > n {
            break;
        }
        let seed = rng::derive(opts.seed, Purpose::Extension, k as u64, 0);
        ctrl.add_total(1);
        let fit = match fit_mixture(z, d, None, &fit_opts(k), seed, ctrl) {
            Ok(fit) => fit,
            Err(Error::Numerical(_)) => break,
            Err(e) => return Err(e),
        };
        ctrl.task_done();
        let value = match quantity.evaluate(
            &fit.model,
            &opts.integral,
            rng::derive(opts.seed, Purpose::Extension, k as u64, 1),
            ctrl,
        ) {
            Ok(v) => v,
            Err(Error::Numerical(_)) => break,
            Err(e) => return Err(e),
        };
        let found = check::fit_check_in_cells(z, blocks, &fit.model, cells, check_opts, ctrl)?;
        steps.push(ExtensionStep {
            n_components: k,
            value,
            statistic: found.statistic,
        });
        if found.statistic <= 0.0 {
            return Ok(Some(Extension {
                steps,
                reached: true,
            }));
        }
    }
    Ok((!steps.is_empty()).then_some(Extension {
        steps,
        reached: false,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::estimator::EstimatorOptions;
    use crate::rng::Rng;
    use rand::{RngExt, SeedableRng};
    use rand_distr::{Distribution, StandardNormal};

    #[test]
    fn components_grow_by_a_quarter_and_at_least_one() {
        let ks: Vec<usize> = std::iter::successors(Some(1), |&k| Some(next_components(k)))
            .take(12)
            .collect();
        assert_eq!(ks, vec![1, 2, 3, 4, 5, 7, 9, 12, 15, 19, 24, 30]);
    }

    /// Rows on a ring: `x = (cos a, sin a) * r` and `y = a + noise`, dependence a single
    /// Gaussian cannot show (x and y are uncorrelated in every column).
    fn ring(n: usize, seed: u64) -> Vec<f64> {
        let mut g = Rng::seed_from_u64(seed);
        let normal = |g: &mut Rng| -> f64 { StandardNormal.sample(g) };
        let mut z = Vec::with_capacity(3 * n);
        for _ in 0..n {
            let a: f64 = g.random_range(-std::f64::consts::PI..std::f64::consts::PI);
            let r = 1.0 + 0.05 * normal(&mut g);
            z.extend([r * a.cos(), r * a.sin(), a + 0.1 * normal(&mut g)]);
        }
        z
    }

    #[test]
    fn a_ring_that_one_gaussian_misses_is_followed_to_a_mixture_that_shows_it() {
        let z = ring(2000, 5);
        let opts = EstimatorOptions {
            seed: 3,
            ..EstimatorOptions::default()
        }
        .validated()
        .unwrap();
        let ctrl = Control::new();
        let check_opts = CheckOptions {
            seed: 7,
            ..CheckOptions::default()
        };
        // One Gaussian: the data's KSG MI lies far above its draws'.
        let one = fit_mixture(
            &z,
            3,
            None,
            &FitOptions {
                n_components: 1,
                init: InitMethod::Kmeans,
                n_init: 1,
                scale: None,
                standardize: true,
                em: opts.em_for(2000),
            },
            0,
            &ctrl,
        )
        .unwrap();
        let first = check::fit_check(&z, &[2, 1], &one.model, &check_opts, &ctrl).unwrap();
        assert!(first.statistic > first.threshold, "{first:?}");
        let ext = misfit_extension(&z, &[2, 1], 1, &opts, &check_opts, &[], &ctrl)
            .unwrap()
            .expect("larger mixtures fit 2000 rows");
        // It stops at the first mixture whose draws show the data's dependence, and the
        // ones before it did not.
        assert!(ext.reached, "{ext:?}");
        let last = ext.last();
        assert!(last.statistic <= 0.0);
        assert!(ext.steps[..ext.steps.len() - 1]
            .iter()
            .all(|s| s.statistic > 0.0));
        let ks: Vec<usize> = ext.steps.iter().map(|s| s.n_components).collect();
        assert_eq!(ks[0], 2);
        assert!(
            ks.windows(2).all(|w| w[1] == next_components(w[0])),
            "{ks:?}"
        );
        // x fixes the angle (its noise is radial) and y is the angle plus N(0, 0.1^2), so
        // I(X; Y) = h(Y) - h(noise) = ln(2 pi) - ln(0.1 sqrt(2 pi e)) = 2.72 nat (the wrap at
        // +-pi changes it by far less than 0.01). The mixture that shows the data's
        // dependence has it within 0.15 nat (mixtures of 5-9 components on these rows give
        // 2.68-2.72, and the integral's error is below 0.01).
        assert!((last.value - 2.72).abs() < 0.15, "{last:?}");
        // The same on any thread count.
        let again = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap()
            .install(|| misfit_extension(&z, &[2, 1], 1, &opts, &check_opts, &[], &ctrl))
            .unwrap()
            .unwrap();
        assert_eq!(again, ext);
    }

    #[test]
    fn stops_at_max_components_and_refuses_bad_blocks() {
        let z = ring(500, 1);
        let mut o = EstimatorOptions::default();
        o.select.max_components = 3;
        let opts = o.validated().unwrap();
        let ctrl = Control::new();
        let ext = misfit_extension(&z, &[2, 1], 1, &opts, &CheckOptions::default(), &[], &ctrl)
            .unwrap()
            .unwrap();
        assert!(ext.steps.iter().all(|s| s.n_components <= 3), "{ext:?}");
        if !ext.reached {
            assert_eq!(ext.last().n_components, 3);
        }
        // Nothing above max_components: no extension.
        assert_eq!(
            misfit_extension(&z, &[2, 1], 3, &opts, &CheckOptions::default(), &[], &ctrl).unwrap(),
            None
        );
        assert!(
            misfit_extension(&z, &[3], 1, &opts, &CheckOptions::default(), &[], &ctrl).is_err()
        );
        assert!(
            misfit_extension(&z, &[0, 3], 1, &opts, &CheckOptions::default(), &[], &ctrl).is_err()
        );
    }
}
