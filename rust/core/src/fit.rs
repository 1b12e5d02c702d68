//! Fitting one mixture to data (the engine of `gmmi.GaussianMixture.fit`): standardise,
//! run EM from `n_init` initialisations, keep the best, and map it back to the data's units.

use crate::control::Control;
use crate::em::{self, Data, EmFit, EmOptions};
use crate::error::{Error, Result};
use crate::gmm::GaussianMixture;
use crate::init::{initialize, InitMethod};
use crate::rng::{self, Purpose};
use crate::stats::Standardizer;

/// Options of [`fit_mixture`].
#[derive(Debug, Clone, PartialEq)]
pub struct FitOptions {
    /// Number of components.
    pub n_components: usize,
    /// Initialisation strategy (`Mixed` alternates k-means and random responsibilities).
    pub init: InitMethod,
    /// Initialisations; the one with the highest final log-likelihood is kept.
    pub n_init: usize,
    /// Scale of the `random` / `minmax` / `randomized_kmeans` initialisations.
    pub scale: Option<f64>,
    /// Fit in standardised units (constant columns are only centred) and map back.
    pub standardize: bool,
    /// EM options (in standardised units with `standardize`).
    pub em: EmOptions,
}

impl FitOptions {
    /// Checks every bound that does not depend on the data, naming the offending option by
    /// its name in `gmmi.GaussianMixture` (whose engine this is: `tol` for the EM
    /// threshold).
    pub fn check(&self) -> Result<()> {
        if self.n_components == 0 {
            return Err(Error::arg("n_components", "must be at least 1"));
        }
        if self.n_init == 0 {
            return Err(Error::arg("n_init", "must be at least 1"));
        }
        if self.n_init > crate::select::MAX_INITS {
            return Err(Error::arg(
                "n_init",
                format!(
                    "must be at most {} (got {}), as the estimator's n_inits: every start is \
                     a full EM fit, run one after another",
                    crate::select::MAX_INITS,
                    self.n_init
                ),
            ));
        }
        if let Some(s) = self.scale {
            if !(s.is_finite() && s > 0.0) {
                return Err(Error::arg("scale", "must be a finite positive number"));
            }
        }
        self.em.validate().map_err(|e| match e {
            Error::InvalidArgument { arg, msg } if arg == "threshold_fit" => Error::arg("tol", msg),
            e => e,
        })
    }
}

/// Parameters every start takes as given, in the units of the data (scikit-learn's
/// `weights_init`, `means_init` and `precisions_init`, the last as covariances, row-major
/// `K`, `K x d` and `K x d x d`): each replaces the initialisation's; with all three the
/// initialisation is not run (a warm start).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GivenStart {
    /// Component weights.
    pub weights: Option<Vec<f64>>,
    /// Component means.
    pub means: Option<Vec<f64>>,
    /// Component covariances.
    pub covariances: Option<Vec<f64>>,
}

impl GivenStart {
    fn is_complete(&self) -> bool {
        self.weights.is_some() && self.means.is_some() && self.covariances.is_some()
    }

    fn is_empty(&self) -> bool {
        self.weights.is_none() && self.means.is_none() && self.covariances.is_none()
    }

    /// The start: the initialisation's parameters (`init`, in the standardised units of
    /// `st`; none when every parameter is given) with the given ones, mapped to those units.
    fn start(
        &self,
        init: Option<&GaussianMixture>,
        k: usize,
        st: &Standardizer,
    ) -> Result<GaussianMixture> {
        let d = st.shift.len();
        let size = |given: &Option<Vec<f64>>, want: usize, name: &str| match given {
            Some(v) if v.len() != want => Err(Error::arg(
                name,
                format!(
                    "holds {} values; {k} components in {d} dimensions need {want}",
                    v.len()
                ),
            )),
            _ => Ok(()),
        };
        size(&self.weights, k, "weights_init")?;
        size(&self.means, k * d, "means_init")?;
        size(&self.covariances, k * d * d, "precisions_init")?;
        let pick = |given: &Option<Vec<f64>>, from: fn(&GaussianMixture) -> &[f64]| {
            given
                .clone()
                .or_else(|| init.map(|g| from(g).to_vec()))
                .ok_or_else(|| Error::Numerical("a start needs every parameter".into()))
        };
        let weights = pick(&self.weights, GaussianMixture::weights)?;
        let mut means = pick(&self.means, GaussianMixture::means)?;
        if self.means.is_some() {
            for (i, m) in means.iter_mut().enumerate() {
                let j = i % d;
                *m = (*m - st.shift[j]) / st.scale[j];
            }
        }
        let mut covs = pick(&self.covariances, GaussianMixture::covariances)?;
        if self.covariances.is_some() {
            for (i, c) in covs.iter_mut().enumerate() {
                let (a, b) = ((i / d) % d, i % d);
                *c /= st.scale[a] * st.scale[b];
            }
        }
        GaussianMixture::from_parts(d, weights, means, covs)
            .map_err(|e| Error::Numerical(format!("the given start is not a valid mixture ({e})")))
    }
}

/// Fits a mixture to the rows of `x` (row-major, `d` columns) from `n_init` starts; start `r`
/// draws from the stream `(seed, Init, n_components, r)`. The fit (model, lower bound and
/// curves) is in the units of `x`; `valid` rows are scored for the validation curve.
pub fn fit_mixture(
    x: &[f64],
    d: usize,
    valid: Option<&[f64]>,
    opts: &FitOptions,
    seed: u64,
    ctrl: &Control,
) -> Result<EmFit> {
    fit_mixture_from(x, d, valid, opts, &GivenStart::default(), seed, ctrl)
}

/// [`fit_mixture`] with parameters of the starts given ([`GivenStart`]).
pub fn fit_mixture_from(
    x: &[f64],
    d: usize,
    valid: Option<&[f64]>,
    opts: &FitOptions,
    given: &GivenStart,
    seed: u64,
    ctrl: &Control,
) -> Result<EmFit> {
    opts.check()?;
    let st = Standardizer::fit_with(x, d, opts.standardize, true)?;
    let z = st.transform(x);
    let zv = valid.map(|v| st.transform(v));
    let data = Data::new(&z, d);
    let mut best: Option<EmFit> = None;
    // Every start of a complete given start would be the same.
    let starts = if given.is_complete() { 1 } else { opts.n_init };
    for r in 0..starts {
        ctrl.check()?;
        let mut g = rng::stream(seed, Purpose::Init, opts.n_components as u64, r as u64);
        let start = if given.is_complete() {
            given.start(None, opts.n_components, &st)?
        } else {
            let init = initialize(
                &z,
                d,
                opts.n_components,
                opts.init.for_start(r),
                opts.scale,
                &mut g,
            )?;
            if given.is_empty() {
                init
            } else {
                given.start(Some(&init), opts.n_components, &st)?
            }
        };
        let fit = em::fit(&data, zv.as_deref(), &start, &opts.em, Some(ctrl))?;
        if best
            .as_ref()
            .is_none_or(|b| fit.lower_bound > b.lower_bound)
        {
            best = Some(fit);
        }
    }
    let mut fit = best.expect("n_init >= 1");
    // Back to the units of x: the density picks up the Jacobian 1 / prod(scale).
    let log_jac = -st.log_jacobian();
    fit.model = st.to_original(&fit.model)?;
    fit.lower_bound -= log_jac;
    fit.train_curve.iter_mut().for_each(|v| *v -= log_jac);
    fit.valid_curve.iter_mut().for_each(|v| *v -= log_jac);
    Ok(fit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_is_equivariant_under_rescaling_and_keeps_the_best_start() {
        let truth = GaussianMixture::new(
            2,
            vec![0.5, 0.5],
            vec![-3.0, 0.0, 3.0, 1.0],
            vec![1.0, 0.3, 0.3, 1.0, 1.0, -0.2, -0.2, 0.5],
        )
        .unwrap();
        let (x, _) = truth.sample(2000, 3);
        let opts = FitOptions {
            n_components: 2,
            init: InitMethod::Kmeans,
            n_init: 3,
            scale: None,
            standardize: true,
            em: EmOptions {
                threshold: 1e-8,
                ..EmOptions::default()
            },
        };
        let a = fit_mixture(&x, 2, None, &opts, 7, &Control::new()).unwrap();
        let scaled: Vec<f64> = x.iter().map(|v| v * 1e-9).collect();
        let b = fit_mixture(&scaled, 2, None, &opts, 7, &Control::new()).unwrap();
        // Standardised, both fits see the same numbers up to rounding (~1e-15 relative):
        // ln p_aX(a x) = ln p_X(x) - d ln a.
        assert!((b.lower_bound - (a.lower_bound - 2.0 * 1e-9f64.ln())).abs() < 1e-8);
        // Three starts are at least as good as the first alone.
        let one = fit_mixture(
            &x,
            2,
            None,
            &FitOptions {
                n_init: 1,
                ..opts.clone()
            },
            7,
            &Control::new(),
        )
        .unwrap();
        assert!(a.lower_bound >= one.lower_bound);
        // A constant column is centred, not refused.
        let c: Vec<f64> = x.chunks_exact(2).flat_map(|r| [r[0], 4.0]).collect();
        assert!(fit_mixture(
            &c,
            2,
            None,
            &FitOptions {
                n_components: 1,
                ..opts
            },
            7,
            &Control::new()
        )
        .is_ok());
    }

    #[test]
    fn a_given_start_is_used_in_the_data_s_units_and_checked() {
        let truth = GaussianMixture::new(
            2,
            vec![0.4, 0.6],
            vec![-3.0, 10.0, 3.0, 14.0],
            vec![1.0, 0.3, 0.3, 4.0, 2.0, -0.2, -0.2, 0.5],
        )
        .unwrap();
        let (x, _) = truth.sample(1500, 11);
        let opts = FitOptions {
            n_components: 2,
            init: InitMethod::RandomSklearn,
            n_init: 4,
            scale: None,
            standardize: true,
            em: EmOptions {
                threshold: 1e-9,
                ..EmOptions::default()
            },
        };
        let given = GivenStart {
            weights: Some(truth.weights().to_vec()),
            means: Some(truth.means().to_vec()),
            covariances: Some(truth.covariances().to_vec()),
        };
        let fit = fit_mixture_from(&x, 2, None, &opts, &given, 3, &Control::new()).unwrap();
        // The same EM as from the start itself on the unstandardised rows (standardising is
        // an affine map, under which EM is equivariant): the same maximum, in one start.
        let plain = em::fit(&Data::new(&x, 2), None, &truth, &opts.em, None).unwrap();
        assert!((fit.lower_bound - plain.lower_bound).abs() < 1e-8);
        for (a, b) in fit.model.means().iter().zip(plain.model.means()) {
            assert!((a - b).abs() < 1e-6, "{a} {b}");
        }
        // A seed changes nothing when every parameter is given.
        let other = fit_mixture_from(&x, 2, None, &opts, &given, 4, &Control::new()).unwrap();
        assert_eq!(fit.model, other.model);
        // A parameter of the wrong size is refused by its scikit-learn name.
        let short = GivenStart {
            means: Some(vec![0.0; 3]),
            ..GivenStart::default()
        };
        let err = fit_mixture_from(&x, 2, None, &opts, &short, 3, &Control::new()).unwrap_err();
        assert!(err.to_string().contains("means_init"), "{err}");
    }
}
