//! The whole GMM-MI estimator: standardise, choose K, fit, bootstrap, integrate.

use crate::bootstrap::{self, Replicate};
use crate::control::Control;
use crate::em::{self, Data, EmOptions};
use crate::error::{Error, Result};
use crate::gmm::Gmm;
use crate::integrate::{self, Integral};
use crate::rng::{self, Purpose};
use crate::select::{self, SelectOptions, Selection, Warning, WarningKind};

/// What is estimated from the fitted joint model.
#[derive(Debug, Clone, PartialEq)]
pub enum Quantity {
    /// `I(X;Y)` between two blocks of columns.
    MutualInformation {
        /// Columns of x.
        x: Vec<usize>,
        /// Columns of y.
        y: Vec<usize>,
    },
    /// `I(X;Y|Z)`.
    ConditionalMutualInformation {
        /// Columns of x.
        x: Vec<usize>,
        /// Columns of y.
        y: Vec<usize>,
        /// Columns of z.
        z: Vec<usize>,
    },
    /// Differential entropy of all columns (in the original units).
    Entropy,
    /// `KL(p_x || p_y)` (or the reverse) between the marginals of two 1-D columns.
    KlDivergence {
        /// Column of x.
        x: usize,
        /// Column of y.
        y: usize,
        /// `KL(p_y || p_x)` instead.
        reverse: bool,
    },
}

impl Quantity {
    /// Evaluates the quantity on a model (in original units) with the given integral.
    pub fn evaluate(&self, g: &Gmm, integral: &Integral, seed: u64) -> Result<f64> {
        match self {
            Quantity::MutualInformation { x, y } => {
                integrate::mutual_information(g, x, y, integral, seed)
            }
            Quantity::ConditionalMutualInformation { x, y, z } => {
                integrate::conditional_mutual_information(g, x, y, z, integral, seed)
            }
            Quantity::Entropy => integrate::entropy(g, integral, seed),
            Quantity::KlDivergence { x, y, reverse } => {
                let (px, py) = (g.marginal(&[*x])?, g.marginal(&[*y])?);
                if *reverse {
                    integrate::kl_divergence(&py, &px, integral, seed)
                } else {
                    integrate::kl_divergence(&px, &py, integral, seed)
                }
            }
        }
    }

    /// Dimension of the model the integral runs over.
    fn integral_dim(&self, d: usize) -> usize {
        match self {
            Quantity::MutualInformation { x, y } => x.len() + y.len(),
            Quantity::ConditionalMutualInformation { x, y, z } => x.len() + y.len() + z.len(),
            Quantity::Entropy => d,
            Quantity::KlDivergence { .. } => 1,
        }
    }
}

/// All options of the estimator.
#[derive(Debug, Clone, PartialEq)]
pub struct EstimatorOptions {
    /// Component selection.
    pub select: SelectOptions,
    /// Every EM fit.
    pub em: EmOptions,
    /// Bootstrap replicates (0: a single fit on all the data).
    pub n_bootstrap: usize,
    /// How the integral is computed.
    pub integral: Integral,
    /// Standardise every column before fitting (the reported model is in original units).
    pub standardize: bool,
    /// The random state everything derives from.
    pub seed: u64,
}

impl Default for EstimatorOptions {
    fn default() -> Self {
        EstimatorOptions {
            select: SelectOptions::default(),
            em: EmOptions::default(),
            n_bootstrap: 50,
            integral: Integral::MonteCarlo { samples: 100_000 },
            standardize: true,
            seed: 0,
        }
    }
}

/// Per-column location and scale used to standardise a data matrix.
#[derive(Debug, Clone, PartialEq)]
pub struct Standardizer {
    /// Column means (zeros when not standardising).
    pub shift: Vec<f64>,
    /// Column standard deviations (ones when not standardising).
    pub scale: Vec<f64>,
}

impl Standardizer {
    /// Computes the column means and standard deviations (ddof 0) of `x`; a constant column
    /// is an error naming its index.
    pub fn fit(x: &[f64], d: usize, enabled: bool) -> Result<Self> {
        let n = x.len() / d;
        if !enabled {
            return Ok(Standardizer {
                shift: vec![0.0; d],
                scale: vec![1.0; d],
            });
        }
        let mut shift = vec![0.0; d];
        let mut scale = vec![0.0; d];
        for j in 0..d {
            let m = x.iter().skip(j).step_by(d).sum::<f64>() / n as f64;
            let v = x
                .iter()
                .skip(j)
                .step_by(d)
                .map(|a| (a - m) * (a - m))
                .sum::<f64>()
                / n as f64;
            if v <= 0.0 || !v.is_finite() {
                return Err(Error::arg(
                    format!("column {j}"),
                    "is constant (zero variance): mutual information with a constant is zero; \
                     drop the column",
                ));
            }
            shift[j] = m;
            scale[j] = v.sqrt();
        }
        Ok(Standardizer { shift, scale })
    }

    /// `(x - shift) / scale`, row-major.
    pub fn transform(&self, x: &[f64]) -> Vec<f64> {
        let d = self.shift.len();
        x.chunks_exact(d)
            .flat_map(|r| (0..d).map(move |j| (r[j] - self.shift[j]) / self.scale[j]))
            .collect()
    }

    /// A model fitted on standardised data, in original units.
    pub fn to_original(&self, g: &Gmm) -> Result<Gmm> {
        g.affine(&self.scale, &self.shift)
    }
}

/// The outcome of an estimate.
#[derive(Debug, Clone)]
pub struct Estimate {
    /// The bootstrap replicates (empty when `n_bootstrap` is 0).
    pub replicates: Vec<Replicate>,
    /// The quantity of the model fitted on all the data.
    pub full_value: f64,
    /// The model fitted on all the data, in original units.
    pub model: Gmm,
    /// EM iterations of the full-data fit.
    pub model_n_iter: usize,
    /// Whether the full-data fit converged.
    pub model_converged: bool,
    /// The component search.
    pub selection: Selection,
    /// Warnings for the user (selection and bootstrap).
    pub warnings: Vec<Warning>,
}

impl Estimate {
    /// The replicate values.
    pub fn values(&self) -> Vec<f64> {
        self.replicates.iter().map(|r| r.value).collect()
    }

    /// Mean of the replicates (the full-data value when there are none).
    pub fn mean(&self) -> f64 {
        if self.replicates.is_empty() {
            self.full_value
        } else {
            bootstrap::mean_std(&self.values()).0
        }
    }

    /// Standard deviation (ddof 1) of the replicates; NaN with fewer than two.
    pub fn std(&self) -> f64 {
        bootstrap::mean_std(&self.values()).1
    }
}

/// Checks that the data matrix is usable: finite values, at least two rows.
pub fn check_data(x: &[f64], d: usize) -> Result<usize> {
    if d == 0 {
        return Err(Error::arg("x", "needs at least one column"));
    }
    if x.len() % d != 0 {
        return Err(Error::arg(
            "x",
            "the data length is not a multiple of the column count",
        ));
    }
    let n = x.len() / d;
    if n < 2 {
        return Err(Error::arg(
            "x",
            format!("at least 2 rows are needed, got {n}"),
        ));
    }
    if let Some(i) = x.iter().position(|v| !v.is_finite()) {
        return Err(Error::arg(
            "x",
            format!("row {} column {} is not finite ({})", i / d, i % d, x[i]),
        ));
    }
    Ok(n)
}

/// Smallest eigenvalue of a component's correlation matrix below which the model is
/// treated as degenerate: the variables are then deterministic functions of each other on
/// that component (to about 1e-4.5 relative noise) and the MI is effectively infinite.
pub const DEGENERATE_EIGENVALUE: f64 = 1e-9;

/// A warning when a component of `g` is (numerically) singular, judged on its correlation
/// matrix so that units do not matter.
pub fn degeneracy_warning(g: &Gmm, context: &str) -> Option<Warning> {
    let d = g.dim();
    if d < 2 {
        // In 1-D a component collapsed onto tied values shows as a tiny variance relative to
        // the mixture's.
        let (_, total) = g.moments();
        let worst = (0..g.n_components())
            .map(|c| g.covariance(c)[0] / total[0])
            .fold(f64::INFINITY, f64::min);
        return (worst < DEGENERATE_EIGENVALUE).then(|| Warning {
            kind: WarningKind::Degenerate,
            message: format!(
                "{context}a fitted component has a variance {worst:.1e} times the data's: \
                 the data have many tied values; the estimate is set by reg_covar, not by the \
                 data. Add jitter below the measurement precision or treat the variable as \
                 discrete"
            ),
        });
    }
    let mut worst = f64::INFINITY;
    for c in 0..g.n_components() {
        let s = g.covariance(c);
        let corr = nalgebra::DMatrix::from_fn(d, d, |i, j| {
            s[i * d + j] / (s[i * d + i] * s[j * d + j]).sqrt()
        });
        let min = corr
            .symmetric_eigenvalues()
            .iter()
            .copied()
            .fold(f64::INFINITY, f64::min);
        worst = worst.min(min);
    }
    (worst < DEGENERATE_EIGENVALUE).then(|| Warning {
        kind: WarningKind::Degenerate,
        message: format!(
            "{context}a fitted component is singular (smallest correlation eigenvalue \
             {worst:.1e}): the variables are (nearly) deterministic functions of each other, \
             or the data have many ties. The mutual information is then effectively infinite \
             and the reported value is set by reg_covar, not by the data"
        ),
    })
}

fn not_converged_warning(reps: &[Replicate], max_iter: usize) -> Option<Warning> {
    let bad = reps
        .iter()
        .filter(|r| !r.converged && r.n_iter >= max_iter)
        .count();
    (bad > 0).then(|| Warning {
        kind: WarningKind::NotConverged,
        message: format!(
            "{bad} of {} bootstrap fits reached max_iter={max_iter} before converging; raise \
             max_iter or threshold_fit",
            reps.len()
        ),
    })
}

/// Fits the full-data model from the warm start and computes the bootstrap replicates of a
/// functional of it; shared by the joint and the per-class estimators.
pub(crate) fn fit_and_bootstrap<F>(
    z: &[f64],
    d: usize,
    warm: &Gmm,
    opts: &EstimatorOptions,
    ctrl: &Control,
    functional: F,
) -> Result<(em::EmFit, f64, Vec<Replicate>)>
where
    F: Fn(&Gmm, u64) -> Result<f64> + Sync,
{
    ctrl.add_total(1);
    let full = em::fit(&Data::new(z, d), None, warm, &opts.em, Some(ctrl))?;
    ctrl.task_done();
    let full_value = functional(
        &full.model,
        rng::derive(opts.seed, Purpose::MonteCarlo, u64::MAX, 0),
    )?;
    let reps = bootstrap::run(
        z,
        d,
        warm,
        &opts.em,
        opts.n_bootstrap,
        opts.seed,
        ctrl,
        |g, b| functional(g, rng::derive(opts.seed, Purpose::MonteCarlo, b as u64, 0)),
    )?;
    Ok((full, full_value, reps))
}

/// Estimates `quantity` from the rows of `x` (row-major `n x d`).
pub fn estimate(
    x: &[f64],
    d: usize,
    quantity: &Quantity,
    opts: &EstimatorOptions,
    ctrl: &Control,
) -> Result<Estimate> {
    check_data(x, d)?;
    opts.em.validate()?;
    opts.integral.validate(quantity.integral_dim(d))?;
    crate::bootstrap::check_count(opts.n_bootstrap)?;
    if let Quantity::KlDivergence { x: a, y: b, .. } = quantity {
        if *a >= d || *b >= d || a == b {
            return Err(Error::arg("x", "KL needs two distinct 1-D columns"));
        }
    }
    let st = Standardizer::fit(x, d, opts.standardize)?;
    let z = st.transform(x);
    let selection = select::select(&z, d, &opts.select, &opts.em, opts.seed, ctrl)?;
    let functional =
        |g: &Gmm, seed: u64| quantity.evaluate(&st.to_original(g)?, &opts.integral, seed);
    let (full, full_value, replicates) =
        fit_and_bootstrap(&z, d, &selection.warm_start, opts, ctrl, functional)?;
    let mut warnings = selection.warnings.clone();
    warnings.extend(not_converged_warning(&replicates, opts.em.max_iter));
    warnings.extend(degeneracy_warning(&full.model, ""));
    Ok(Estimate {
        replicates,
        full_value,
        model: st.to_original(&full.model)?,
        model_n_iter: full.n_iter,
        model_converged: full.converged,
        selection,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bivariate_gaussian_truth_within_bootstrap_error() {
        let rho: f64 = 0.6;
        let g = Gmm::new(
            2,
            vec![1.0],
            vec![1.0, 5.0],
            vec![1.0, rho * 3.0, rho * 3.0, 9.0],
        )
        .unwrap();
        let (x, _) = g.sample(2000, 17);
        let q = Quantity::MutualInformation {
            x: vec![0],
            y: vec![1],
        };
        let opts = EstimatorOptions {
            n_bootstrap: 20,
            integral: Integral::MonteCarlo { samples: 20_000 },
            ..Default::default()
        };
        let e = estimate(&x, 2, &q, &opts, &Control::new()).unwrap();
        let truth = -0.5 * (1.0 - rho * rho).ln();
        assert_eq!(e.selection.k, 1);
        // 4 bootstrap standard deviations: the estimator's sd at n=2000 is ~0.015, and the MC
        // error of each replicate (~0.007) is included in the bootstrap spread.
        assert!(
            (e.mean() - truth).abs() < 4.0 * e.std(),
            "{} +- {} vs {truth}",
            e.mean(),
            e.std()
        );
        // The reported model is in original units.
        assert!((e.model.means()[1] - 5.0).abs() < 0.5);
    }

    #[test]
    fn perfect_dependence_is_flagged() {
        let x: Vec<f64> = (0..300)
            .flat_map(|i| {
                let v = (i as f64 * 0.37).sin() * 3.0 + i as f64 * 0.01;
                [v, 2.0 * v + 1.0]
            })
            .collect();
        let opts = EstimatorOptions {
            n_bootstrap: 2,
            integral: Integral::MonteCarlo { samples: 1000 },
            ..Default::default()
        };
        let q = Quantity::MutualInformation {
            x: vec![0],
            y: vec![1],
        };
        let e = estimate(&x, 2, &q, &opts, &Control::new()).unwrap();
        assert!(e.warnings.iter().any(|w| w.kind == WarningKind::Degenerate));
        // An ordinary Gaussian sample is not flagged.
        let g = Gmm::new(2, vec![1.0], vec![0.0, 0.0], vec![1.0, 0.9, 0.9, 1.0]).unwrap();
        let (y, _) = g.sample(300, 3);
        let e = estimate(&y, 2, &q, &opts, &Control::new()).unwrap();
        assert!(e.warnings.iter().all(|w| w.kind != WarningKind::Degenerate));
    }

    #[test]
    fn too_few_rows_per_fold_is_refused() {
        let x = [0.0, 1.0, 1.0, 0.5, 2.0, 3.0];
        let q = Quantity::MutualInformation {
            x: vec![0],
            y: vec![1],
        };
        let r = estimate(&x, 2, &q, &EstimatorOptions::default(), &Control::new());
        match r {
            Err(Error::InvalidArgument { arg, msg }) => {
                assert_eq!(arg, "x");
                assert!(msg.contains("at least 6 rows"), "{msg}");
            }
            other => panic!("expected an argument error, got {other:?}"),
        }
    }

    #[test]
    fn constant_column_is_named() {
        let x = vec![1.0, 3.0, 2.0, 3.0, 5.0, 3.0];
        let r = estimate(
            &x,
            2,
            &Quantity::Entropy,
            &EstimatorOptions::default(),
            &Control::new(),
        );
        assert!(matches!(r, Err(Error::InvalidArgument { ref arg, .. }) if arg == "column 1"));
    }

    #[test]
    fn entropy_is_in_original_units() {
        let g = Gmm::new(1, vec![1.0], vec![0.0], vec![100.0]).unwrap();
        let (x, _) = g.sample(3000, 1);
        let opts = EstimatorOptions {
            n_bootstrap: 0,
            integral: Integral::Quadrature { order: None },
            select: SelectOptions {
                fixed_components: Some(1),
                ..Default::default()
            },
            ..Default::default()
        };
        let e = estimate(&x, 1, &Quantity::Entropy, &opts, &Control::new()).unwrap();
        let truth = 0.5 * (2.0 * std::f64::consts::PI * std::f64::consts::E * 100.0).ln();
        // The sample variance at n=3000 has relative sd sqrt(2/3000)=0.026, so the entropy
        // (0.5 ln var) has sd 0.013; allow 0.05.
        assert!((e.mean() - truth).abs() < 0.05, "{} vs {truth}", e.mean());
        assert!(e.std().is_nan());
    }
}
