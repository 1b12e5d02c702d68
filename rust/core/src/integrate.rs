//! Expectations over a fitted mixture: mutual information, conditional mutual information,
//! differential entropy and Kullback-Leibler divergence, by Monte Carlo, randomised
//! quasi-Monte Carlo ([`crate::qmc`]) or tensor Gauss-Hermite quadrature.
//!
//! Every quantity is `E_p[ sum_j c_j ln q_j(v[S_j]) ]` for a sampling mixture `p` and a few
//! terms (a coefficient, a mixture `q_j` and the dimensions `S_j` it sees); see [`Term`].

use nalgebra::DMatrix;
use rayon::prelude::*;

use crate::control::Control;
use crate::error::{Error, Result};
use crate::gmm::{GaussianMixture, CHUNK_ROWS};
use crate::qmc::{self, Points};
use crate::rng::{self, Purpose};
use crate::vmath;

/// Quadrature nodes evaluated between two checks of the cancel flag (a few milliseconds of
/// work at most; Monte Carlo checks once per chunk of [`CHUNK_ROWS`] draws).
const NODES_PER_CHECK: usize = 4096;

/// Draws per block of the Monte Carlo pair kernel (measured: 32 beats 8 and 16 by 35-50%
/// on AVX-512, and 64 is no better; wider blocks give the out-of-order core more
/// independent work).
const LANES: usize = 32;

/// Largest dimension for which quadrature is offered.
pub const MAX_QUADRATURE_DIM: usize = 6;

/// Largest number of tensor nodes per component accepted by quadrature.
pub const MAX_QUADRATURE_NODES: usize = 1_000_000;

/// Largest Gauss-Hermite order (nodes per dimension): the nodes come from the eigenvalues of
/// an `order x order` matrix, and beyond a few hundred nodes the outer weights underflow in
/// double precision, so a larger order adds cost (and memory: `order^2` doubles) but no
/// accuracy.
pub const MAX_QUADRATURE_ORDER: usize = 1000;

/// The most Monte Carlo draws [`Integral::validate`] accepts.
pub const MAX_MC_SAMPLES: usize = 10_000_000_000;

/// How an expectation over the model is computed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Integral {
    /// Average over `samples` draws from the model.
    MonteCarlo {
        /// Number of draws.
        samples: usize,
    },
    /// Tensor Gauss-Hermite quadrature per component with `order` nodes per dimension
    /// (`None`: a default that depends on the dimension).
    Quadrature {
        /// Nodes per dimension.
        order: Option<usize>,
    },
    /// Randomised quasi-Monte Carlo ([`crate::qmc`]) where a lattice rule is implemented
    /// (the MI of two scalar variables, categorical MI of a scalar variable), with an error
    /// estimate and, for [`Points::Target`], as many points as the target needs; Monte Carlo
    /// with `fallback` draws (or the fixed number of points) elsewhere.
    Qmc {
        /// How many points.
        points: Points,
        /// Monte Carlo draws where no lattice rule applies and `points` is a target.
        fallback: usize,
    },
}

/// The fraction of the statistical error the estimators allow the integration error of a
/// quasi-Monte Carlo integral (see [`Integral::for_rows`]): 20% of `sd(f)/sqrt(n)`. Added
/// in quadrature to the spread of the bootstrap replicates it inflates their standard
/// deviation by at most 2%; the full-data value, with half that error, moves by at most a
/// tenth of the statistical error. (Monte Carlo with a fixed 1e5 draws has an error of 32%
/// of the statistical error at n = 10,000, and 3 times it at n = 1e6.)
pub const QMC_REL_ERROR: f64 = 0.2;

impl Integral {
    /// The same integral with `factor` times the Monte Carlo draws (at most
    /// [`MAX_MC_SAMPLES`]); quadrature is returned unchanged.
    pub fn with_more_draws(&self, factor: usize) -> Integral {
        match *self {
            Integral::MonteCarlo { samples } => Integral::MonteCarlo {
                samples: samples
                    .saturating_mul(factor)
                    .min(MAX_MC_SAMPLES.max(samples)),
            },
            Integral::Qmc { points, fallback } => Integral::Qmc {
                points: match points {
                    Points::Fixed(m) => {
                        Points::Fixed(m.saturating_mul(factor).min(qmc::MAX_POINTS))
                    }
                    Points::Target { rel } => Points::Target {
                        rel: rel / (factor as f64).sqrt(),
                    },
                },
                fallback: fallback
                    .saturating_mul(factor)
                    .min(MAX_MC_SAMPLES.max(fallback)),
            },
            q => q,
        }
    }

    /// The integral an estimator on `n` rows uses: a quasi-Monte Carlo target `rel` (a
    /// fraction of the statistical error `sd(f)/sqrt(n)`) becomes `rel/sqrt(n)` times
    /// `sd(f)`; any other integral is returned unchanged.
    pub fn for_rows(&self, n: usize) -> Integral {
        match *self {
            Integral::Qmc {
                points: Points::Target { rel },
                fallback,
            } => Integral::Qmc {
                points: Points::Target {
                    rel: rel / (n.max(1) as f64).sqrt(),
                },
                fallback,
            },
            q => q,
        }
    }

    /// The same integral with the share `fraction` (in `(0, 1]`) of the Monte Carlo draws,
    /// at least one; quadrature is returned unchanged. A weighted average of integrals
    /// `sum_t f_t I_t` computed with the shares `f_t` (summing to 1) of `N` draws has the
    /// Monte Carlo error of one integral with `N` draws.
    pub fn with_share(&self, fraction: f64) -> Integral {
        match *self {
            Integral::MonteCarlo { samples } => Integral::MonteCarlo {
                samples: share_of(samples, fraction),
            },
            // Each integral of the average meets the target on its own, so the average does.
            Integral::Qmc { points, fallback } => Integral::Qmc {
                points: match points {
                    Points::Fixed(m) => Points::Fixed(share_of(m, fraction)),
                    t => t,
                },
                fallback: share_of(fallback, fraction),
            },
            q => q,
        }
    }

    /// The Monte Carlo integral used where no lattice rule applies.
    fn monte_carlo(&self) -> Integral {
        match *self {
            Integral::Qmc {
                points: Points::Fixed(m),
                ..
            } => Integral::MonteCarlo { samples: m },
            Integral::Qmc { fallback, .. } => Integral::MonteCarlo { samples: fallback },
            q => q,
        }
    }

    /// Checks the integral's settings for a model of dimension `d`: [`Self::check`] and the
    /// limits of quadrature in `d` dimensions.
    pub fn validate(&self, d: usize) -> Result<()> {
        self.check()?;
        self.check_dim(d)
    }

    /// The limits of quadrature in `d` dimensions (for an integral that passed
    /// [`Self::check`]).
    pub fn check_dim(&self, d: usize) -> Result<()> {
        if let Integral::Quadrature { order } = *self {
            if d > MAX_QUADRATURE_DIM {
                return Err(Error::arg(
                    "integral",
                    format!(
                        "quadrature is available up to {MAX_QUADRATURE_DIM} joint dimensions \
                         (the node count grows as order^d); this model has {d}: use \
                         integral='mc'"
                    ),
                ));
            }
            let m = order.unwrap_or_else(|| default_order(d));
            let nodes = (m as f64).powi(d as i32);
            if nodes > MAX_QUADRATURE_NODES as f64 {
                return Err(Error::arg(
                    "quadrature_order",
                    format!(
                        "{m}^{d} nodes per component exceed {MAX_QUADRATURE_NODES}; use a \
                         smaller order or integral='mc'"
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Checks every bound that does not depend on the model, naming the offending option.
    pub fn check(&self) -> Result<()> {
        match *self {
            Integral::Qmc { points, fallback } => {
                match points {
                    Points::Target { rel } if !(rel.is_finite() && rel > 0.0) => {
                        return Err(Error::arg(
                            "mc_samples",
                            "the error target must be positive",
                        ));
                    }
                    Points::Fixed(m) => Integral::MonteCarlo { samples: m }.check()?,
                    Points::Target { .. } => {}
                }
                Integral::MonteCarlo { samples: fallback }.check()
            }
            Integral::MonteCarlo { samples } => {
                if samples == 0 {
                    return Err(Error::arg("mc_samples", "must be at least 1"));
                }
                if samples > MAX_MC_SAMPLES {
                    return Err(Error::arg(
                        "mc_samples",
                        format!(
                            "must be at most {MAX_MC_SAMPLES} (got {samples}): the Monte Carlo \
                             error falls as 1/sqrt(mc_samples) and is far below the bootstrap \
                             error long before; use integral='quadrature' for low dimensions"
                        ),
                    ));
                }
                Ok(())
            }
            Integral::Quadrature { order } => match order {
                Some(0) => Err(Error::arg("quadrature_order", "must be at least 1")),
                Some(m) if m > MAX_QUADRATURE_ORDER => Err(Error::arg(
                    "quadrature_order",
                    format!(
                        "must be at most {MAX_QUADRATURE_ORDER} (got {m}): beyond a few \
                         hundred nodes per dimension the Gauss-Hermite weights underflow and \
                         the integral gains no accuracy"
                    ),
                )),
                _ => Ok(()),
            },
        }
    }
}

fn share_of(count: usize, fraction: f64) -> usize {
    ((count as f64 * fraction.clamp(0.0, 1.0)).ceil() as usize).max(1)
}

/// Default Gauss-Hermite order per dimension: about 4,000 nodes per component at most.
pub fn default_order(d: usize) -> usize {
    match d {
        0 | 1 => 64,
        2 => 48,
        3 => 16,
        4 => 8,
        5 => 6,
        _ => 4,
    }
}

/// Nodes and weights of Gauss-Hermite quadrature for the standard normal density:
/// `E[f(Z)] ~ sum_i w_i f(t_i)`, exact for polynomials of degree `< 2m`.
///
/// Computed by the Golub-Welsch algorithm (eigen-decomposition of the Jacobi matrix of the
/// probabilists' Hermite polynomials).
pub fn gauss_hermite(m: usize) -> (Vec<f64>, Vec<f64>) {
    let mut j = DMatrix::<f64>::zeros(m, m);
    for i in 1..m {
        let b = (i as f64).sqrt();
        j[(i, i - 1)] = b;
        j[(i - 1, i)] = b;
    }
    let eig = j.symmetric_eigen();
    let mut pairs: Vec<(f64, f64)> = (0..m)
        .map(|i| (eig.eigenvalues[i], eig.eigenvectors[(0, i)].powi(2)))
        .collect();
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total: f64 = pairs.iter().map(|p| p.1).sum();
    (
        pairs.iter().map(|p| p.0).collect(),
        pairs.iter().map(|p| p.1 / total).collect(),
    )
}

/// One term `coef * ln q(v[dims])` of an integrand.
#[derive(Debug, Clone)]
pub struct Term {
    /// Coefficient.
    pub coef: f64,
    /// The mixture evaluated.
    pub model: GaussianMixture,
    /// Dimensions of the sampled point it sees (`None`: all, in order).
    pub dims: Option<Vec<usize>>,
}

struct Evaluator<'a> {
    terms: &'a [Term],
    buf: Vec<f64>,
    sub: Vec<f64>,
}

impl<'a> Evaluator<'a> {
    fn new(terms: &'a [Term]) -> Self {
        let kmax = terms
            .iter()
            .map(|t| t.model.n_components())
            .max()
            .unwrap_or(1);
        let dmax = terms.iter().map(|t| t.model.dim()).max().unwrap_or(1);
        Evaluator {
            terms,
            buf: vec![0.0; kmax],
            sub: vec![0.0; dmax],
        }
    }

    #[inline]
    fn eval(&mut self, v: &[f64]) -> f64 {
        let mut s = 0.0;
        for t in self.terms {
            let lp = match &t.dims {
                None => t.model.weighted_log_densities(v, &mut self.buf),
                Some(dims) => {
                    for (o, &i) in self.sub.iter_mut().zip(dims) {
                        *o = v[i];
                    }
                    t.model
                        .weighted_log_densities(&self.sub[..dims.len()], &mut self.buf)
                }
            };
            s += t.coef * lp;
        }
        s
    }
}

/// `E_p[ sum_j coef_j ln q_j(v[dims_j]) ]`, by the chosen integral; `seed` drives the Monte
/// Carlo draws (one stream per chunk of draws, so the value does not depend on threads).
/// Stops with [`Error::Cancelled`] within one chunk of draws (or of quadrature nodes) of
/// `ctrl` being cancelled.
pub fn expectation(
    p: &GaussianMixture,
    terms: &[Term],
    integral: &Integral,
    seed: u64,
    ctrl: &Control,
) -> Result<f64> {
    integral.validate(p.dim())?;
    for t in terms {
        let need = t.dims.as_ref().map_or(p.dim(), Vec::len);
        if need != t.model.dim()
            || t.dims
                .as_ref()
                .is_some_and(|v| v.iter().any(|&i| i >= p.dim()))
        {
            return Err(Error::arg(
                "dims",
                "a term's dimensions do not match its model",
            ));
        }
    }
    let single = |g: &GaussianMixture| g.n_components() == 1;
    if single(p) && terms.iter().all(|t| single(&t.model)) {
        // Every density is one Gaussian: the expectation is exact, whatever the integral
        // option (a Monte Carlo or quadrature value only approximates this number).
        let value: f64 = terms
            .iter()
            .map(|t| t.coef * gaussian_log_expectation(p, t))
            .sum();
        return finite(value);
    }
    if let Integral::MonteCarlo { samples } = integral.monte_carlo() {
        return finite(monte_carlo_expectation(p, terms, samples, seed, ctrl)?);
    }
    integrate(p, integral, seed, ctrl, || {
        let mut ev = Evaluator::new(terms);
        move |v: &[f64]| ev.eval(v)
    })
}

/// The Monte Carlo branch of [`expectation`], a chunk of draws at a time: the draws of
/// [`integrate`] (the same streams, the same order), then each term's log-densities of the
/// whole chunk through the mixture's batched log-density (the lane kernels, up to
/// [`crate::kernels::MAX_LANE_DIM`] columns, instead of one draw at a time through the
/// scalar path: at 5 + 5 columns and K = 3 that path was about half of an estimate's
/// time), summed per draw in the terms' order and over draws in their order, as
/// [`integrate`] adds them; the log-densities agree with the scalar ones to a few ulps.
fn monte_carlo_expectation(
    p: &GaussianMixture,
    terms: &[Term],
    samples: usize,
    seed: u64,
    ctrl: &Control,
) -> Result<f64> {
    let d = p.dim();
    let sums = monte_carlo_chunks(samples, ctrl, |ci, rows| {
        let mut r = rng::stream(seed, Purpose::Chunk, ci as u64, 0);
        let mut z = vec![0.0; d];
        let mut draws = vec![0.0; rows * d];
        for v in draws.chunks_exact_mut(d) {
            p.sample_one(&mut r, &mut z, v);
        }
        let mut per_draw = vec![0.0; rows];
        let (mut sub, mut lp) = (Vec::new(), vec![0.0; rows]);
        for t in terms {
            let x = match &t.dims {
                None => &draws[..],
                Some(dims) => {
                    sub.clear();
                    for v in draws.chunks_exact(d) {
                        sub.extend(dims.iter().map(|&i| v[i]));
                    }
                    &sub[..]
                }
            };
            t.model.log_density_rows(x, &mut lp);
            for (s, l) in per_draw.iter_mut().zip(&lp) {
                *s += t.coef * l;
            }
        }
        per_draw.iter().sum::<f64>()
    })?;
    Ok(sums.iter().sum::<f64>() / samples as f64)
}

/// Runs `chunk(ci, rows)` on the Monte Carlo chunks of `samples` draws ([`CHUNK_ROWS`]
/// each, the last one shorter) in parallel, checking `ctrl` before each; the results are in
/// chunk order, so sums over them do not depend on the number of threads.
pub(crate) fn monte_carlo_chunks<T, F>(samples: usize, ctrl: &Control, chunk: F) -> Result<Vec<T>>
where
    T: Send,
    F: Fn(usize, usize) -> T + Sync,
{
    (0..samples.div_ceil(CHUNK_ROWS))
        .into_par_iter()
        .map(|ci| {
            ctrl.check()?;
            Ok(chunk(ci, CHUNK_ROWS.min(samples - ci * CHUNK_ROWS)))
        })
        .collect()
}

/// `E_p[f(v)]` by the chosen integral, for an integrand made per worker by `make` (so it
/// may keep scratch space); `seed` drives the Monte Carlo draws (one stream per chunk of
/// draws, so the value does not depend on threads). Stops with [`Error::Cancelled`] within
/// one chunk of draws (or of quadrature nodes) of `ctrl` being cancelled; a non-finite value
/// is a numerical error.
pub fn integrate<M, F>(
    p: &GaussianMixture,
    integral: &Integral,
    seed: u64,
    ctrl: &Control,
    make: M,
) -> Result<f64>
where
    M: Fn() -> F + Sync,
    F: FnMut(&[f64]) -> f64,
{
    integral.validate(p.dim())?;
    let d = p.dim();
    let value = match integral.monte_carlo() {
        Integral::Qmc { .. } => unreachable!("monte_carlo() maps Qmc to MonteCarlo"),
        Integral::MonteCarlo { samples } => {
            let sums = monte_carlo_chunks(samples, ctrl, |ci, rows| {
                let mut r = rng::stream(seed, Purpose::Chunk, ci as u64, 0);
                let mut f = make();
                let mut z = vec![0.0; d];
                let mut v = vec![0.0; d];
                let mut s = 0.0;
                for _ in 0..rows {
                    p.sample_one(&mut r, &mut z, &mut v);
                    s += f(&v);
                }
                s
            })?;
            sums.iter().sum::<f64>() / samples as f64
        }
        Integral::Quadrature { order } => {
            let m = order.unwrap_or_else(|| default_order(d));
            let (t, w) = gauss_hermite(m);
            let n_nodes = m.pow(d as u32);
            let per_comp: Vec<f64> = (0..p.n_components())
                .into_par_iter()
                .map(|c| {
                    let mut f = make();
                    let mut node = vec![0.0; d];
                    let mut v = vec![0.0; d];
                    let mut s = 0.0;
                    for idx in 0..n_nodes {
                        if idx % NODES_PER_CHECK == 0 {
                            ctrl.check()?;
                        }
                        let mut rem = idx;
                        let mut weight = 1.0;
                        for nd in node.iter_mut() {
                            let i = rem % m;
                            rem /= m;
                            *nd = t[i];
                            weight *= w[i];
                        }
                        p.map_node(c, &node, &mut v);
                        s += weight * f(&v);
                    }
                    Ok(p.weights()[c] * s)
                })
                .collect::<Result<_>>()?;
            per_comp.iter().sum()
        }
    };
    finite(value)
}

fn finite(value: f64) -> Result<f64> {
    if !value.is_finite() {
        return Err(Error::Numerical(
            "the integral is not finite: the fitted model is degenerate (for example, one \
             variable is an exact function of the other)"
                .into(),
        ));
    }
    Ok(value)
}

/// `E_{v ~ p}[ln q(v[dims])]` for a single Gaussian `p = N(mu, S)` and a term whose model
/// `q = N(m, C)` is a single Gaussian: `ln N-normaliser(C) - 1/2 (tr(C^-1 S_DD) +
/// |P (mu_D - m)|^2)` with `P` the inverse Cholesky factor of `C` and `D` the term's
/// dimensions.
fn gaussian_log_expectation(p: &GaussianMixture, t: &Term) -> f64 {
    let d = p.dim();
    let q = &t.model;
    let m = q.dim();
    let dim = |i: usize| t.dims.as_ref().map_or(i, |v| v[i]);
    let (mu, s) = (p.mean(0), p.covariance(0));
    let (qm, il) = (q.mean(0), &q.inverse_cholesky_factors()[..m * m]);
    let mut e = 0.0;
    for i in 0..m {
        let row = &il[i * m..i * m + i + 1];
        let shift: f64 = row
            .iter()
            .enumerate()
            .map(|(j, a)| a * (mu[dim(j)] - qm[j]))
            .sum();
        let mut spread = 0.0;
        for (j, a) in row.iter().enumerate() {
            for (k, b) in row.iter().enumerate() {
                spread += a * s[dim(j) * d + dim(k)] * b;
            }
        }
        e += shift * shift + spread;
    }
    q.log_norms()[0] - 0.5 * e
}

fn check_blocks(d: usize, blocks: &[(&str, &[usize])]) -> Result<()> {
    let mut seen = vec![false; d];
    for (name, b) in blocks {
        if b.is_empty() {
            return Err(Error::arg(*name, "needs at least one dimension"));
        }
        for &i in *b {
            if i >= d {
                return Err(Error::arg(
                    *name,
                    format!("dimension {i} is out of range ({d})"),
                ));
            }
            if seen[i] {
                return Err(Error::arg(*name, format!("dimension {i} is used twice")));
            }
            seen[i] = true;
        }
    }
    Ok(())
}

fn concat(parts: &[&[usize]]) -> Vec<usize> {
    parts.iter().flat_map(|p| p.iter().copied()).collect()
}

/// `I(X;Y) = E[ln p(x,y) - ln p(x) - ln p(y)]` for the dimensions `x` and `y` of `g`
/// (other dimensions are marginalised out).
pub fn mutual_information(
    g: &GaussianMixture,
    x: &[usize],
    y: &[usize],
    integral: &Integral,
    seed: u64,
    ctrl: &Control,
) -> Result<f64> {
    Ok(mutual_information_with_error(g, x, y, integral, seed, ctrl)?.0)
}

/// As [`mutual_information`], with the standard error of the integral where it is known:
/// the quasi-Monte Carlo estimate of two scalar variables (its spread over the random
/// shifts), or 0 where the integral is exact (a single Gaussian); `None` otherwise.
pub fn mutual_information_with_error(
    g: &GaussianMixture,
    x: &[usize],
    y: &[usize],
    integral: &Integral,
    seed: u64,
    ctrl: &Control,
) -> Result<(f64, Option<f64>)> {
    check_blocks(g.dim(), &[("x", x), ("y", y)])?;
    let xy = concat(&[x, y]);
    let joint = g.marginal(&xy)?;
    if (x.len(), y.len()) == (1, 1) && joint.n_components() > 1 {
        match *integral {
            Integral::MonteCarlo { samples } => {
                return Ok((mi_scalar_pair_mc(&joint, samples, seed, ctrl)?, None));
            }
            Integral::Qmc { points, .. } => {
                integral.validate(2)?;
                let e = mi_scalar_pair_qmc(&joint, points, seed, ctrl)?;
                return Ok((e.value, Some(e.error)));
            }
            Integral::Quadrature { .. } => {}
        }
    }
    let terms = mi_terms(&joint, x.len())?;
    let exact = joint.n_components() == 1;
    let value = expectation(&joint, &terms, integral, seed, ctrl)?;
    Ok((value, exact.then_some(0.0)))
}

/// The terms of `I(X; Y) = E[ln p(x, y) - ln p(x) - ln p(y)]` under `joint`, whose first
/// `nx` coordinates are `X` and the rest `Y`.
fn mi_terms(joint: &GaussianMixture, nx: usize) -> Result<[Term; 3]> {
    let xs: Vec<usize> = (0..nx).collect();
    let ys: Vec<usize> = (nx..joint.dim()).collect();
    Ok([
        Term {
            coef: 1.0,
            model: joint.clone(),
            dims: None,
        },
        Term {
            coef: -1.0,
            model: joint.marginal(&xs)?,
            dims: Some(xs),
        },
        Term {
            coef: -1.0,
            model: joint.marginal(&ys)?,
            dims: Some(ys),
        },
    ])
}

/// Per-component constants of the fused kernel for the MI of two scalar variables.
struct PairComponent {
    mu: [f64; 2],
    /// Lower Cholesky factor of the joint covariance (for sampling): l11, l21, l22.
    l: [f64; 3],
    /// Inverse of that factor: p11, p21, p22. `p11 = 1 / sd_x`, so the x-marginal's
    /// standardised value comes free with the joint one.
    p: [f64; 3],
    /// `1 / sd_y` for the y-marginal.
    iy: f64,
    /// Log-normalisers (with the log-weight) of the joint, x- and y-marginal densities.
    nj: f64,
    nx: f64,
    ny: f64,
}

/// The control variate of the fused pair kernel: the MI integrand of the Gaussian with the
/// mixture's mean and covariance, minus its expectation under the mixture (which only
/// needs those two moments): with `z` the draw standardised by the mixture's moments and
/// `rho` their correlation, `h = -rho (rho zx^2 - 2 zx zy + rho zy^2) / (2 (1 - rho^2))`,
/// whose mean under the mixture is exactly 0.
#[derive(Debug, Clone, Copy)]
struct PairControl {
    mu: [f64; 2],
    inv_sd: [f64; 2],
    rho: f64,
    /// `-rho / (2 (1 - rho^2))`.
    scale: f64,
}

impl PairControl {
    fn new(g: &GaussianMixture) -> Self {
        let (mu, cov) = g.moments();
        let inv_sd = [1.0 / cov[0].sqrt(), 1.0 / cov[3].sqrt()];
        let rho = (cov[1] * inv_sd[0] * inv_sd[1]).clamp(-1.0, 1.0);
        let scale = if rho.abs() < 1.0 {
            -rho / (2.0 * (1.0 - rho * rho))
        } else {
            0.0
        };
        PairControl {
            mu: [mu[0], mu[1]],
            inv_sd,
            rho,
            scale,
        }
    }
}

/// Sums over a chunk of draws of the integrand `f`, the control `h`, `f h` and `h^2`.
type PairSums = [f64; 4];

crate::dispatch!(fn pair_chunk = pair_chunk_impl,
    (comps: &[PairComponent], cum: &[f64], cv: &PairControl, seed: u64, ci: usize,
     rows: usize) -> PairSums);

/// The sums ([`PairSums`]) of `f = ln p(x,y) - ln p(x) - ln p(y)` and of the control
/// variate `h` ([`PairControl`]) over the `rows` draws of Monte Carlo chunk `ci`, [`LANES`]
/// draws at a time: the draws are made one by one in the stream's order, then the three
/// densities of a block are evaluated with the component loop outside and the lane loop
/// inside, which vectorises.
#[inline(always)]
fn pair_chunk_impl(
    comps: &[PairComponent],
    cum: &[f64],
    cv: &PairControl,
    seed: u64,
    ci: usize,
    rows: usize,
) -> PairSums {
    use rand::RngExt;
    use rand_distr::StandardNormal;

    let k = comps.len();
    let mut r = rng::stream(seed, Purpose::Chunk, ci as u64, 0);
    let (mut lj, mut lx, mut ly) = (
        vec![[0.0; LANES]; k],
        vec![[0.0; LANES]; k],
        vec![[0.0; LANES]; k],
    );
    let mut sums = [0.0; 4];
    let mut done = 0;
    while done < rows {
        let m = LANES.min(rows - done);
        let (mut v1, mut v2) = ([0.0; LANES], [0.0; LANES]);
        for l in 0..m {
            let c = if k == 1 {
                0
            } else {
                let u: f64 = r.random();
                // The first c with u < cum[c] (k - 1 if none), counted without branches
                // that a random u would mispredict.
                cum[..k - 1].iter().filter(|&&a| u >= a).count()
            };
            let e1: f64 = r.sample(StandardNormal);
            let e2: f64 = r.sample(StandardNormal);
            let s = &comps[c];
            v1[l] = s.mu[0] + s.l[0] * e1;
            v2[l] = s.mu[1] + s.l[1] * e1 + s.l[2] * e2;
        }
        for l in m..LANES {
            // Unused lanes of the last block: any finite point (results are dropped).
            (v1[l], v2[l]) = (v1[0], v2[0]);
        }
        let f = pair_block(comps, &v1, &v2, &mut lj, &mut lx, &mut ly);
        for l in 0..m {
            let f = f[l];
            let zx = (v1[l] - cv.mu[0]) * cv.inv_sd[0];
            let zy = (v2[l] - cv.mu[1]) * cv.inv_sd[1];
            let h = cv.scale * (cv.rho * (zx * zx + zy * zy) - 2.0 * zx * zy);
            sums[0] += f;
            sums[1] += h;
            sums[2] += f * h;
            sums[3] += h * h;
        }
        done += m;
    }
    sums
}

/// `f = ln p(x,y) - ln p(x) - ln p(y)` at the [`LANES`] points `(v1, v2)`: the three
/// densities with the component loop outside and the lane loop inside, which vectorises
/// (`lj`, `lx`, `ly`: scratch rows, one per component).
#[inline(always)]
fn pair_block(
    comps: &[PairComponent],
    v1: &[f64; LANES],
    v2: &[f64; LANES],
    lj: &mut [[f64; LANES]],
    lx: &mut [[f64; LANES]],
    ly: &mut [[f64; LANES]],
) -> [f64; LANES] {
    for (j, q) in comps.iter().enumerate() {
        for l in 0..LANES {
            let u1 = v1[l] - q.mu[0];
            let u2 = v2[l] - q.mu[1];
            let z1 = q.p[0] * u1;
            let z2 = q.p[1] * u1 + q.p[2] * u2;
            let zy = q.iy * u2;
            lx[j][l] = q.nx - 0.5 * z1 * z1;
            lj[j][l] = q.nj - 0.5 * (z1 * z1 + z2 * z2);
            ly[j][l] = q.ny - 0.5 * zy * zy;
        }
    }
    let (a, b, c) = (
        vmath::log_sum_exp_lanes(lj).0,
        vmath::log_sum_exp_lanes(lx).0,
        vmath::log_sum_exp_lanes(ly).0,
    );
    let mut f = [0.0; LANES];
    for l in 0..LANES {
        f[l] = a[l] - b[l] - c[l];
    }
    f
}

crate::dispatch!(fn pair_lattice = pair_lattice_impl,
    (comps: &[PairComponent], c: usize, lat: qmc::Lattice, shift: [f64; 2], start: usize,
     len: usize) -> (f64, f64));

/// The sums of `f` ([`pair_block`]) and `f^2` over the points `start..start + len` of
/// component `c`'s lattice `lat` moved by `shift`, mapped to the component by `Phi^-1` and
/// its Cholesky factor.
#[inline(always)]
fn pair_lattice_impl(
    comps: &[PairComponent],
    c: usize,
    lat: qmc::Lattice,
    shift: [f64; 2],
    start: usize,
    len: usize,
) -> (f64, f64) {
    let k = comps.len();
    let s = &comps[c];
    let (mut lj, mut lx, mut ly) = (
        vec![[0.0; LANES]; k],
        vec![[0.0; LANES]; k],
        vec![[0.0; LANES]; k],
    );
    let (mut sum, mut sq) = (0.0, 0.0);
    let mut done = 0;
    while done < len {
        let m = LANES.min(len - done);
        // Lanes past the block's points hold further lattice points (finite; dropped).
        let e1: [f64; LANES] = lat.normal_lanes(start + done, 0, shift[0]);
        let e2: [f64; LANES] = lat.normal_lanes(start + done, 1, shift[1]);
        let (mut v1, mut v2) = ([0.0; LANES], [0.0; LANES]);
        for l in 0..LANES {
            v1[l] = s.mu[0] + s.l[0] * e1[l];
            v2[l] = s.mu[1] + s.l[1] * e1[l] + s.l[2] * e2[l];
        }
        let f = pair_block(comps, &v1, &v2, &mut lj, &mut lx, &mut ly);
        for &v in &f[..m] {
            sum += v;
            sq += v * v;
        }
        done += m;
    }
    (sum, sq)
}

/// Quasi-Monte Carlo MI of a 2-D mixture between its two coordinates ([`crate::qmc`]): the
/// fused densities of the pair kernel at shifted Fibonacci lattice points of each component.
pub fn mi_scalar_pair_qmc(
    g: &GaussianMixture,
    points: Points,
    seed: u64,
    ctrl: &Control,
) -> Result<qmc::Estimate> {
    let (comps, _) = pair_components(g);
    qmc::integrate(
        g.weights(),
        2,
        points,
        seed,
        ctrl,
        |c, lat, shift, start, len| pair_lattice(&comps, c, lat, shift, start, len),
    )
}

/// The per-component constants of [`pair_chunk`] and the cumulative weights.
fn pair_components(g: &GaussianMixture) -> (Vec<PairComponent>, Vec<f64>) {
    let k = g.n_components();
    let half_ln_2pi = 0.5 * crate::gmm::LN_2PI;
    let comps: Vec<PairComponent> = (0..k)
        .map(|c| {
            let (mu, l, p, s) = (
                g.mean(c),
                g.chol(c),
                g.inverse_cholesky_factors(),
                g.covariance(c),
            );
            let p = &p[c * 4..(c + 1) * 4];
            let lw = g.weights()[c].ln();
            PairComponent {
                mu: [mu[0], mu[1]],
                l: [l[0], l[2], l[3]],
                p: [p[0], p[2], p[3]],
                iy: 1.0 / s[3].sqrt(),
                nj: g.log_norms()[c],
                nx: lw - half_ln_2pi + p[0].ln(),
                ny: lw - half_ln_2pi - 0.5 * s[3].ln(),
            }
        })
        .collect();
    (comps, g.cumulative_weights())
}

/// Monte Carlo MI of a 2-D mixture between its two coordinates, with the joint and both
/// marginal densities evaluated in one pass per draw: the same integral as the general
/// path, about three times faster. Draws come in chunks with their own streams, so the
/// value does not depend on the number of threads.
///
/// The moment-matched Gaussian's integrand is a control variate ([`PairControl`]): the
/// estimate is `mean(f) - beta mean(h)` with `beta = cov(f, h) / var(h)` from the same
/// draws (a bias of order 1 / samples). Where the mixture is close to a Gaussian (two
/// components fitted to Gaussian data, common when the bootstrap re-chooses K) `f` and `h`
/// nearly coincide and the Monte Carlo error all but vanishes; elsewhere `beta` falls to
/// about 0 and the estimate is plain Monte Carlo.
fn mi_scalar_pair_mc(
    g: &GaussianMixture,
    samples: usize,
    seed: u64,
    ctrl: &Control,
) -> Result<f64> {
    Integral::MonteCarlo { samples }.validate(2)?;
    let (comps, cum) = pair_components(g);
    let cv = PairControl::new(g);
    let chunks = monte_carlo_chunks(samples, ctrl, |ci, rows| {
        pair_chunk(&comps, &cum, &cv, seed, ci, rows)
    })?;
    let mut t = [0.0; 4];
    for c in &chunks {
        for (a, b) in t.iter_mut().zip(c) {
            *a += b;
        }
    }
    let n = samples as f64;
    let (mf, mh) = (t[0] / n, t[1] / n);
    let var_h = t[3] / n - mh * mh;
    let cov_fh = t[2] / n - mf * mh;
    let beta = if var_h > 0.0 && var_h.is_finite() {
        cov_fh / var_h
    } else {
        0.0
    };
    finite(mf - beta * mh)
}

/// `I(X;Y|Z) = E[ln p(x,y,z) + ln p(z) - ln p(x,z) - ln p(y,z)]`.
pub fn conditional_mutual_information(
    g: &GaussianMixture,
    x: &[usize],
    y: &[usize],
    z: &[usize],
    integral: &Integral,
    seed: u64,
    ctrl: &Control,
) -> Result<f64> {
    check_blocks(g.dim(), &[("x", x), ("y", y), ("z", z)])?;
    let all = concat(&[x, y, z]);
    let joint = g.marginal(&all)?;
    let (nx, ny) = (x.len(), y.len());
    let xs: Vec<usize> = (0..nx).collect();
    let ys: Vec<usize> = (nx..nx + ny).collect();
    let zs: Vec<usize> = (nx + ny..all.len()).collect();
    let xz = concat(&[&xs, &zs]);
    let yz = concat(&[&ys, &zs]);
    let terms = [
        Term {
            coef: 1.0,
            model: joint.clone(),
            dims: None,
        },
        Term {
            coef: 1.0,
            model: joint.marginal(&zs)?,
            dims: Some(zs),
        },
        Term {
            coef: -1.0,
            model: joint.marginal(&xz)?,
            dims: Some(xz),
        },
        Term {
            coef: -1.0,
            model: joint.marginal(&yz)?,
            dims: Some(yz),
        },
    ];
    expectation(&joint, &terms, integral, seed, ctrl)
}

/// Differential entropy `H = -E[ln p(v)]` of the whole model.
pub fn entropy(g: &GaussianMixture, integral: &Integral, seed: u64, ctrl: &Control) -> Result<f64> {
    let terms = [Term {
        coef: -1.0,
        model: g.clone(),
        dims: None,
    }];
    expectation(g, &terms, integral, seed, ctrl)
}

/// `KL(p || q) = E_p[ln p - ln q]` for two mixtures of the same dimension.
pub fn kl_divergence(
    p: &GaussianMixture,
    q: &GaussianMixture,
    integral: &Integral,
    seed: u64,
    ctrl: &Control,
) -> Result<f64> {
    if p.dim() != q.dim() {
        return Err(Error::arg(
            "y",
            "the two distributions must have the same dimension",
        ));
    }
    let terms = [
        Term {
            coef: 1.0,
            model: p.clone(),
            dims: None,
        },
        Term {
            coef: -1.0,
            model: q.clone(),
            dims: None,
        },
    ];
    expectation(p, &terms, integral, seed, ctrl)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vmath::{with_variant, Variant};

    fn gauss(rho: f64) -> GaussianMixture {
        GaussianMixture::new(
            2,
            vec![1.0],
            vec![0.3, -1.0],
            vec![1.0, rho * 2.0, rho * 2.0, 4.0],
        )
        .unwrap()
    }

    #[test]
    fn vector_pair_kernel_equals_the_baseline_bit_for_bit() {
        let g = GaussianMixture::new(
            2,
            vec![0.3, 0.7],
            vec![0.0, 1.0, -2.0, 0.5],
            vec![1.0, 0.3, 0.3, 2.0, 0.5, -0.1, -0.1, 0.4],
        )
        .unwrap();
        let (comps, cum) = pair_components(&g);
        let cv = PairControl::new(&g);
        for rows in [1, 7, 4096] {
            let b = pair_chunk_impl(&comps, &cum, &cv, 5, 3, rows);
            for v in Variant::ALL.into_iter().filter(|v| v.supported()) {
                let a = with_variant(v, || pair_chunk(&comps, &cum, &cv, 5, 3, rows));
                for (x, y) in a.iter().zip(&b) {
                    assert_eq!(x.to_bits(), y.to_bits(), "{rows} {v:?}");
                }
            }
        }
    }

    #[test]
    fn gauss_hermite_integrates_moments() {
        let (t, w) = gauss_hermite(10);
        let moment = |p: i32| t.iter().zip(&w).map(|(x, w)| w * x.powi(p)).sum::<f64>();
        assert!((moment(0) - 1.0).abs() < 1e-14);
        assert!(moment(1).abs() < 1e-14);
        assert!((moment(2) - 1.0).abs() < 1e-13);
        assert!((moment(4) - 3.0).abs() < 1e-12);
        assert!((moment(6) - 15.0).abs() < 1e-11);
    }

    #[test]
    fn quadrature_is_exact_for_one_gaussian() {
        for rho in [0.0, 0.3, 0.6, 0.9, -0.95] {
            let truth = -0.5 * (1.0f64 - rho * rho).ln();
            let q = mutual_information(
                &gauss(rho),
                &[0],
                &[1],
                &Integral::Quadrature { order: None },
                0,
                &Control::new(),
            )
            .unwrap();
            assert!((q - truth).abs() < 1e-10, "rho={rho}: {q} vs {truth}");
        }
    }

    fn two_components(d: usize) -> GaussianMixture {
        let mut cov = vec![0.0; 2 * d * d];
        for c in 0..2 {
            for i in 0..d {
                for j in 0..d {
                    cov[c * d * d + i * d + j] = if i == j { 1.0 + c as f64 } else { 0.3 };
                }
            }
        }
        let mut means = vec![0.0; 2 * d];
        means[d..].iter_mut().for_each(|m| *m = 1.5);
        GaussianMixture::new(d, vec![0.4, 0.6], means, cov).unwrap()
    }

    #[test]
    fn one_gaussian_is_integrated_exactly_whatever_the_option() {
        let mc = Integral::MonteCarlo { samples: 1000 };
        let ctrl = Control::new();
        for rho in [0.0, 0.3, 0.6, 0.9, -0.95] {
            let truth = -0.5 * (1.0f64 - rho * rho).ln();
            let v = mutual_information(&gauss(rho), &[0], &[1], &mc, 3, &ctrl).unwrap();
            // Closed form: only rounding separates it from the truth (1000 MC draws would
            // be off by ~0.02).
            assert!((v - truth).abs() < 1e-12, "rho={rho}: {v} vs {truth}");
        }
        // Chain x -> z -> y (order x, y, z): I(X;Y|Z) = 0 and I(X;Y) = -1/2 ln(2/3).
        let cov = vec![1.0, 1.0, 1.0, 1.0, 3.0, 2.0, 1.0, 2.0, 2.0];
        let g = GaussianMixture::new(3, vec![1.0], vec![0.5, -1.0, 2.0], cov).unwrap();
        let cmi = conditional_mutual_information(&g, &[0], &[1], &[2], &mc, 0, &ctrl).unwrap();
        assert!(cmi.abs() < 1e-12, "{cmi}");
        let mi = mutual_information(&g, &[0, 2], &[1], &mc, 0, &ctrl).unwrap();
        // I(X,Z;Y) = I(Z;Y) = -1/2 ln(1 - 4/6).
        assert!((mi + 0.5 * (1.0 - 4.0 / 6.0f64).ln()).abs() < 1e-12, "{mi}");
        // KL(N(0,1) || N(1,4)) = ln 2 + (1 + 1)/8 - 1/2, entropy of N(1, 4).
        let p = GaussianMixture::new(1, vec![1.0], vec![0.0], vec![1.0]).unwrap();
        let q = GaussianMixture::new(1, vec![1.0], vec![1.0], vec![4.0]).unwrap();
        let k = kl_divergence(&p, &q, &mc, 0, &ctrl).unwrap();
        assert!((k - (2f64.ln() + 2.0 / 8.0 - 0.5)).abs() < 1e-12, "{k}");
        let h = entropy(&q, &mc, 0, &ctrl).unwrap();
        let truth = 0.5 * (2.0 * std::f64::consts::PI * std::f64::consts::E * 4.0).ln();
        assert!((h - truth).abs() < 1e-12, "{h}");
        // The closed form agrees with the quadrature that is exact for one Gaussian.
        let quad = Integral::Quadrature { order: None };
        let gq = mutual_information(&g, &[0, 2], &[1], &quad, 0, &ctrl).unwrap();
        assert!((gq - mi).abs() < 1e-10, "{gq} vs {mi}");
    }

    #[test]
    fn batched_monte_carlo_equals_the_draw_by_draw_integral_up_to_rounding() {
        // expectation's Monte Carlo branch evaluates each term on a chunk of draws through
        // the lane kernels (row by row above MAX_LANE_DIM columns); integrate with the
        // Evaluator takes the same draws one at a time through the scalar path. The draws
        // and the order of the sums are the same, the log-densities agree to a few ulps, so
        // the means of 5,000 draws (two chunks, one partial) agree to ~1e-15 of the
        // integrand's scale; 1e-12 leaves room. Other draws (a wrong stream or order) move
        // the mean by its Monte Carlo error, order 1e-2. Terms of the whole vector and of a
        // subset of its coordinates, in dimensions within the lane kernels and above.
        let ctrl = Control::new();
        for d in [3, 10, crate::kernels::MAX_LANE_DIM + 1] {
            let g = two_components(d);
            let mut terms = mi_terms(&g, d / 2).unwrap();
            terms[2].coef = -0.5; // a coefficient other than +-1
            let mc = Integral::MonteCarlo {
                samples: CHUNK_ROWS + 904,
            };
            let batched = expectation(&g, &terms, &mc, 7, &ctrl).unwrap();
            let by_draw = integrate(&g, &mc, 7, &ctrl, || {
                let mut ev = Evaluator::new(&terms);
                move |v: &[f64]| ev.eval(v)
            })
            .unwrap();
            assert!(
                (batched - by_draw).abs() <= 1e-12 * by_draw.abs().max(1.0),
                "d = {d}: {batched} vs {by_draw}"
            );
        }
    }

    #[test]
    fn monte_carlo_matches_quadrature_within_its_error() {
        // Two overlapping components: Monte Carlo is used and has an error.
        let g = two_components(2);
        let ctrl = Control::new();
        let quad = Integral::Quadrature { order: Some(64) };
        let q = mutual_information(&g, &[0], &[1], &quad, 0, &ctrl).unwrap();
        let mc = Integral::MonteCarlo { samples: 100_000 };
        let v = mutual_information(&g, &[0], &[1], &mc, 3, &ctrl).unwrap();
        // The integrand's standard deviation is below 1 here, so the MC standard error is
        // below 1/sqrt(1e5) = 0.0032; allow 5 of them.
        assert!((v - q).abs() < 0.016, "{v} vs {q}");
        assert_ne!(v, q, "Monte Carlo on a mixture is not exact");
    }

    /// D3 of the paper.
    fn paper_d3() -> GaussianMixture {
        GaussianMixture::new(
            2,
            vec![0.3, 0.45, 0.25],
            vec![-1.0, 1.0, 0.0, 2.0, -1.5, 2.0],
            vec![1.0, 0.0, 0.0, 0.1, 0.5, 0.2, 0.2, 0.5, 0.1, 0.05, 0.05, 0.1],
        )
        .unwrap()
    }

    #[test]
    fn pair_qmc_meets_its_target_and_agrees_with_quadrature() {
        // D3 of the paper; the reference is fine quadrature (order 96; its error on this
        // smooth integrand is far below 1e-4, see fused_kernel tests below).
        let g = paper_d3();
        let ctrl = Control::new();
        let quad = Integral::Quadrature { order: Some(96) };
        let truth = mutual_information(&g, &[0], &[1], &quad, 0, &ctrl).unwrap();
        let mut misses = 0;
        for seed in 0..20 {
            let e = mi_scalar_pair_qmc(&g, Points::Target { rel: 1e-3 }, seed, &ctrl).unwrap();
            assert!(e.error <= 1e-3 * e.sd, "{e:?}");
            if (e.value - truth).abs() > 3.0 * e.error + 1e-5 {
                misses += 1;
            }
        }
        // The error estimate (7 degrees of freedom) is honest: beyond 3 standard errors in
        // about 2% of seeds; more than 3 of 20 has probability below 1%. (The 1e-5 allows
        // for the quadrature reference.)
        assert!(misses <= 3, "{misses} of 20 beyond 3 standard errors");
        // Through the public entry point, a fixed number of points.
        let fixed = Integral::Qmc {
            points: Points::Fixed(20_000),
            fallback: 1,
        };
        let v = mutual_information(&g, &[0], &[1], &fixed, 3, &ctrl).unwrap();
        // 20,000 lattice points: error ~3e-4 sd(f) (sd(f) < 1 here); 0.003 is > 10 errors.
        assert!((v - truth).abs() < 3e-3, "{v} vs {truth}");
    }

    #[test]
    fn qmc_targets_scale_with_the_rows_and_fall_back_to_monte_carlo() {
        let auto = Integral::Qmc {
            points: Points::Target { rel: 0.2 },
            fallback: 1000,
        };
        assert_eq!(
            auto.for_rows(10_000),
            Integral::Qmc {
                points: Points::Target { rel: 0.002 },
                fallback: 1000
            }
        );
        // Four times the draws: half the error target, four times the fallback draws.
        assert_eq!(
            auto.with_more_draws(4),
            Integral::Qmc {
                points: Points::Target { rel: 0.1 },
                fallback: 4000
            }
        );
        assert_eq!(auto.monte_carlo(), Integral::MonteCarlo { samples: 1000 });
        let bad = Integral::Qmc {
            points: Points::Target { rel: 0.0 },
            fallback: 1000,
        };
        assert!(
            matches!(bad.validate(2), Err(Error::InvalidArgument { ref arg, .. }) if arg == "mc_samples")
        );
        // A 3-D joint (no lattice rule): Monte Carlo with the fallback draws, the same value
        // as asking for them.
        let g = GaussianMixture::new(
            3,
            vec![0.5, 0.5],
            vec![0.0, 0.0, 0.0, 1.0, 1.0, -1.0],
            vec![
                1.0, 0.3, 0.0, 0.3, 1.0, 0.2, 0.0, 0.2, 1.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0,
                0.0, 1.0,
            ],
        )
        .unwrap();
        let ctrl = Control::new();
        let a = mutual_information(&g, &[0, 1], &[2], &auto, 5, &ctrl).unwrap();
        let b = mutual_information(&g, &[0, 1], &[2], &auto.monte_carlo(), 5, &ctrl).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn mixture_quadrature_agrees_with_monte_carlo() {
        // D3 of the paper.
        let g = paper_d3();
        let q = mutual_information(
            &g,
            &[0],
            &[1],
            &Integral::Quadrature { order: None },
            0,
            &Control::new(),
        )
        .unwrap();
        let mc = mutual_information(
            &g,
            &[0],
            &[1],
            &Integral::MonteCarlo { samples: 400_000 },
            1,
            &Control::new(),
        )
        .unwrap();
        // MC standard error ~ 1/sqrt(4e5) = 0.0016 (integrand sd ~ 1); allow 5.
        assert!((q - mc).abs() < 0.008, "{q} vs {mc}");
    }

    #[test]
    fn conditional_mi_of_a_gaussian_chain() {
        // x -> z -> y with x ~ N(0,1), z = x + e1, y = z + e2, unit noises: I(X;Y|Z) = 0,
        // and I(X;Y) = -0.5 ln(1 - rho^2) with rho^2 = 1/3.
        let cov = vec![1.0, 1.0, 1.0, 1.0, 3.0, 2.0, 1.0, 2.0, 2.0];
        // order (x, y, z): var x 1, var y 3, var z 2, cov(x,y)=1, cov(x,z)=1, cov(y,z)=2
        let g = GaussianMixture::new(3, vec![1.0], vec![0.0; 3], cov).unwrap();
        let q = Integral::Quadrature { order: None };
        let cmi =
            conditional_mutual_information(&g, &[0], &[1], &[2], &q, 0, &Control::new()).unwrap();
        assert!(cmi.abs() < 1e-10, "{cmi}");
        let mi = mutual_information(&g, &[0], &[1], &q, 0, &Control::new()).unwrap();
        assert!((mi + 0.5 * (1.0 - 1.0 / 3.0f64).ln()).abs() < 1e-10);
    }

    #[test]
    fn kl_and_entropy_of_gaussians() {
        let p = GaussianMixture::new(1, vec![1.0], vec![0.0], vec![1.0]).unwrap();
        let q = GaussianMixture::new(1, vec![1.0], vec![1.0], vec![4.0]).unwrap();
        // KL(N(0,1)||N(1,4)) = ln 2 + (1 + 1)/8 - 1/2
        let truth = 2f64.ln() + 2.0 / 8.0 - 0.5;
        let k = kl_divergence(
            &p,
            &q,
            &Integral::Quadrature { order: None },
            0,
            &Control::new(),
        )
        .unwrap();
        assert!((k - truth).abs() < 1e-12);
        let h = entropy(
            &q,
            &Integral::Quadrature { order: None },
            0,
            &Control::new(),
        )
        .unwrap();
        assert!(
            (h - 0.5 * (2.0 * std::f64::consts::PI * std::f64::consts::E * 4.0).ln()).abs() < 1e-12
        );
    }

    #[test]
    fn refuses_quadrature_in_high_dimension() {
        let g = GaussianMixture::new(7, vec![1.0], vec![0.0; 7], {
            let mut c = vec![0.0; 49];
            for i in 0..7 {
                c[i * 7 + i] = 1.0;
            }
            c
        })
        .unwrap();
        let r = mutual_information(
            &g,
            &[0, 1, 2],
            &[3, 4, 5, 6],
            &Integral::Quadrature { order: None },
            0,
            &Control::new(),
        );
        assert!(matches!(r, Err(Error::InvalidArgument { ref arg, .. }) if arg == "integral"));
    }

    #[test]
    fn fused_pair_kernel_agrees_with_the_general_path() {
        // The fused 2-D kernel and the general term-by-term integrand are the same integral:
        // on the same model their MC estimates agree within MC error, and the fused one
        // agrees with the exact quadrature.
        let g = paper_d3();
        let fused = mi_scalar_pair_mc(&g, 400_000, 9, &Control::new()).unwrap();
        let terms = mi_terms(&g, 1).unwrap();
        let general = expectation(
            &g,
            &terms,
            &Integral::MonteCarlo { samples: 400_000 },
            9,
            &Control::new(),
        )
        .unwrap();
        let quad = mutual_information(
            &g,
            &[0],
            &[1],
            &Integral::Quadrature { order: Some(96) },
            0,
            &Control::new(),
        )
        .unwrap();
        // Integrand sd < 1.5: MC standard error < 0.0024 each; 4 of them for the
        // difference of two independent estimates (sqrt 2 x 0.0024 x 4 < 0.014).
        assert!((fused - general).abs() < 0.014, "{fused} vs {general}");
        assert!((fused - quad).abs() < 0.01, "{fused} vs {quad}");
        // Single Gaussian: the integrand is exactly quadratic, MC error ~ 1/sqrt(n).
        let one = gauss(0.6);
        let v = mi_scalar_pair_mc(&one, 200_000, 1, &Control::new()).unwrap();
        assert!((v + 0.5 * (1.0f64 - 0.36).ln()).abs() < 0.01);
    }

    #[test]
    fn control_variate_removes_the_error_of_a_near_gaussian_mixture() {
        // Two components fitted to Gaussian-like data: the integrand is close to the
        // moment-matched Gaussian's, so with 20,000 draws the estimate is within 0.001 of
        // the quadrature value on every seed; plain Monte Carlo has a standard error of
        // ~0.006 here (integrand sd ~0.9) and would land within 0.001 with probability
        // ~0.13 per seed.
        let g = GaussianMixture::new(
            2,
            vec![0.5, 0.5],
            vec![0.0, 0.0, 0.3, 0.3],
            vec![1.0, 0.85, 0.85, 1.0, 1.0, 0.9, 0.9, 1.0],
        )
        .unwrap();
        let ctrl = Control::new();
        let quad = mutual_information(
            &g,
            &[0],
            &[1],
            &Integral::Quadrature { order: Some(96) },
            0,
            &ctrl,
        )
        .unwrap();
        for seed in 0..5 {
            let v = mi_scalar_pair_mc(&g, 20_000, seed, &ctrl).unwrap();
            assert!((v - quad).abs() < 1e-3, "seed {seed}: {v} vs {quad}");
        }
    }

    #[test]
    fn refuses_an_order_whose_node_matrix_would_not_fit() {
        // order^2 doubles for the Golub-Welsch matrix: 1e5 used to abort on 80 GB.
        let g = GaussianMixture::new(1, vec![1.0], vec![0.0], vec![1.0]).unwrap();
        let q = Integral::Quadrature {
            order: Some(100_000),
        };
        let r = entropy(&g, &q, 0, &Control::new());
        assert!(
            matches!(r, Err(Error::InvalidArgument { ref arg, .. }) if arg == "quadrature_order")
        );
        let ok = Integral::Quadrature {
            order: Some(MAX_QUADRATURE_ORDER),
        };
        assert!(ok.validate(1).is_ok());
    }

    #[test]
    fn a_cancelled_control_stops_every_integral() {
        // Sizes that would take minutes: each path must see the flag at its first chunk.
        let c = Control::new();
        c.cancel();
        let mc = Integral::MonteCarlo {
            samples: MAX_MC_SAMPLES,
        };
        let t0 = std::time::Instant::now();
        // Mixtures: a single Gaussian is integrated in closed form, with nothing to stop.
        let pair = mutual_information(&two_components(2), &[0], &[1], &mc, 0, &c);
        assert_eq!(pair, Err(Error::Cancelled));
        let g3 = two_components(3);
        assert_eq!(entropy(&g3, &mc, 0, &c), Err(Error::Cancelled));
        let quad = Integral::Quadrature { order: Some(99) };
        assert_eq!(
            conditional_mutual_information(&g3, &[0], &[1], &[2], &quad, 0, &c),
            Err(Error::Cancelled)
        );
        assert!(t0.elapsed().as_secs_f64() < 1.0, "{:?}", t0.elapsed());
    }

    #[test]
    fn monte_carlo_is_thread_independent() {
        let g = two_components(3);
        let i = Integral::MonteCarlo { samples: 20_000 };
        for y in [vec![1], vec![1, 2]] {
            let run = || mutual_information(&g, &[0], &y, &i, 5, &Control::new()).unwrap();
            let (a, b) = (crate::on_threads(1, run), run());
            assert_eq!(a.to_bits(), b.to_bits());
        }
    }
}
