//! Expectation-maximisation for a full-covariance Gaussian mixture.
//!
//! One iteration is a single fused pass over the rows: the E-step responsibilities of a row
//! are used at once to accumulate the sufficient statistics of the M-step, so no `n x k`
//! matrix is ever stored. Second moments are accumulated about the current means (a shift
//! that keeps the one-pass formula as accurate as the two-pass one). Rows are processed in
//! fixed chunks whose statistics are added in chunk order, so the result is identical
//! whether the chunks run on one thread or many.

use rayon::prelude::*;

use crate::control::Control;
use crate::error::{Error, Result};
use crate::gmm::GaussianMixture;
use crate::kernels::{chunk_stats, Packed, Stats, SKIP_MIN_COMPONENTS};

/// `10 * machine epsilon`, added to every component's effective count (as in the method).
pub const COUNT_EPS: f64 = 10.0 * f64::EPSILON;

/// Options of one EM fit.
#[derive(Debug, Clone, PartialEq)]
pub struct EmOptions {
    /// Stop when the change of the mean log-likelihood per sample is below this.
    pub threshold: f64,
    /// Maximum number of iterations.
    pub max_iter: usize,
    /// Added to the diagonal of every covariance in the M-step.
    pub reg_covar: f64,
    /// Record the training (and validation) log-likelihood after every iteration.
    pub record_curves: bool,
    /// Accelerate EM by squared extrapolation (SQUAREM, see [`fit`]): the same fixed points
    /// in fewer iterations where EM is slow. Off: plain EM (the published method).
    pub accelerate: bool,
}

impl Default for EmOptions {
    fn default() -> Self {
        EmOptions {
            threshold: 1e-5,
            max_iter: 10_000,
            reg_covar: 1e-15,
            record_curves: false,
            accelerate: false,
        }
    }
}

impl EmOptions {
    /// Checks the options once, naming the offending one.
    pub fn validate(&self) -> Result<()> {
        if !(self.threshold.is_finite() && self.threshold > 0.0) {
            return Err(Error::arg(
                "threshold_fit",
                "must be a finite positive number",
            ));
        }
        if self.max_iter == 0 {
            return Err(Error::arg("max_iter", "must be at least 1"));
        }
        if !(self.reg_covar.is_finite() && self.reg_covar >= 0.0) {
            return Err(Error::arg(
                "reg_covar",
                "must be a finite non-negative number",
            ));
        }
        Ok(())
    }
}

/// Rows of a data set, optionally with non-negative weights (bootstrap multiplicities).
#[derive(Debug, Clone, Copy)]
pub struct Data<'a> {
    /// Row-major `n x d` values.
    pub x: &'a [f64],
    /// Dimension.
    pub d: usize,
    /// Optional weight of each row (length n); `None` means every row counts once.
    pub weights: Option<&'a [f64]>,
    /// The weights passed [`Data::check`] already ([`Data::checked`]): the fits of several
    /// candidates on one resample scan them once.
    weights_checked: bool,
}

impl<'a> Data<'a> {
    /// Unweighted rows.
    pub fn new(x: &'a [f64], d: usize) -> Self {
        Data {
            x,
            d,
            weights: None,
            weights_checked: false,
        }
    }

    /// Rows with weights.
    pub fn weighted(x: &'a [f64], d: usize, weights: &'a [f64]) -> Self {
        Data {
            x,
            d,
            weights: Some(weights),
            weights_checked: false,
        }
    }

    /// The same rows after [`Data::check`] passed on them: later checks skip the scan of the
    /// weights (every fit checks its data; the candidates of a bootstrap replicate are
    /// fitted to the same resample).
    pub(crate) fn checked(self) -> Result<Self> {
        self.check()?;
        Ok(Data {
            weights_checked: true,
            ..self
        })
    }

    /// Checks the shape: `d >= 1`, whole rows, one finite non-negative weight per row (a
    /// short weight slice would otherwise be read out of bounds).
    pub fn check(&self) -> Result<()> {
        if self.d == 0 || !self.x.len().is_multiple_of(self.d) {
            return Err(Error::arg(
                "X",
                format!(
                    "{} values do not make whole rows of {} columns",
                    self.x.len(),
                    self.d
                ),
            ));
        }
        if let Some(w) = self.weights {
            if w.len() != self.n_rows() {
                return Err(Error::arg(
                    "weights",
                    format!("has {} entries for {} rows", w.len(), self.n_rows()),
                ));
            }
            if self.weights_checked {
                return Ok(());
            }
            // A count of comparisons without early exit vectorises (checked on every fit,
            // over every row); a NaN is in no range.
            let invalid: usize = w
                .iter()
                .map(|&v| usize::from(!(0.0..f64::INFINITY).contains(&v)))
                .sum();
            if invalid > 0 {
                return Err(Error::arg("weights", "must be finite and non-negative"));
            }
        }
        Ok(())
    }

    /// Number of rows.
    pub fn n_rows(&self) -> usize {
        self.x.len() / self.d
    }

    /// Sum of the weights (the effective sample size).
    pub fn total_weight(&self) -> f64 {
        match self.weights {
            Some(w) => w.iter().sum(),
            None => self.n_rows() as f64,
        }
    }
}

/// The outcome of one EM fit.
#[derive(Debug, Clone)]
pub struct EmFit {
    /// The fitted mixture (parameters after the last M-step).
    pub model: GaussianMixture,
    /// Iterations performed.
    pub n_iter: usize,
    /// Whether the tolerance was met before `max_iter`.
    pub converged: bool,
    /// Mean log-likelihood per sample at the last E-step.
    pub lower_bound: f64,
    /// Mean training log-likelihood at every iteration (when recorded).
    pub train_curve: Vec<f64>,
    /// Mean validation log-likelihood at every iteration (when recorded and a validation set
    /// was given).
    pub valid_curve: Vec<f64>,
}

/// Rows per chunk of the EM pass: chunks are the unit of parallel work and their sums are
/// added in chunk order (so the result does not depend on the thread count). Measured end to
/// end (D5, K = 5, published defaults), 1024 beats 4096 with two threads at every n (n = 1e4:
/// one thread no longer idles a third of each pass; n = 1e5: 0.52 s against 0.62 s; n = 1e6:
/// 4.2 s against 4.4 s), though a single pass at n = 1e6 is 10% slower in isolation.
pub const EM_CHUNK_ROWS: usize = 1024;

/// Accumulates the statistics of all rows in fixed chunks, added in chunk order; from the
/// rows laid out once for the fit (`packed`, the same chunks and the same sums) when given.
fn all_stats(g: &GaussianMixture, data: &Data, packed: Option<&Packed>) -> Stats {
    let d = data.d;
    if let Some(p) = packed.filter(|_| g.n_components() >= SKIP_MIN_COMPONENTS) {
        // Rows in Z-order, far components left out of each block (see `Packed`); the
        // layout is made here, before the chunks run in parallel.
        return sum_chunks(g, p.n_spatial_chunks(), |ci| p.spatial_chunk_stats(g, ci));
    }
    let n = data.n_rows();
    let rows = EM_CHUNK_ROWS;
    let step = rows * d;
    let chunk = |ci: usize| match packed {
        Some(p) => p.chunk_stats(g, ci),
        None => {
            let lo = ci * rows;
            let hi = (lo + rows).min(n);
            chunk_stats(g, &data.x[lo * d..hi * d], data.weights.map(|w| &w[lo..hi]))
        }
    };
    let n_chunks = data.x.len().div_ceil(step).max(1);
    debug_assert!(packed.is_none_or(|p| p.n_chunks() == n_chunks));
    sum_chunks(g, n_chunks, chunk)
}

/// The statistics of `n_chunks` chunks (`chunk(ci)`), computed in parallel and added in
/// chunk order.
fn sum_chunks<F>(g: &GaussianMixture, n_chunks: usize, chunk: F) -> Stats
where
    F: Fn(usize) -> Stats + Sync + Send,
{
    if n_chunks <= 1 {
        return chunk(0);
    }
    let parts: Vec<Stats> = (0..n_chunks).into_par_iter().map(chunk).collect();
    let mut total = Stats::zeros(g.n_components(), g.dim());
    for p in &parts {
        total.add(p);
    }
    total
}

/// One EM iteration from `g` on `data`: returns the new mixture and the mean log-likelihood
/// per sample of `g` (the E-step value).
pub fn em_step(g: &GaussianMixture, data: &Data, reg_covar: f64) -> Result<(GaussianMixture, f64)> {
    data.check()?;
    if g.dim() != data.d {
        return Err(Error::arg(
            "X",
            format!("data have {} columns but the model has {}", data.d, g.dim()),
        ));
    }
    step(g, data, None, data.total_weight(), reg_covar)
}

/// [`em_step`] on data already checked against the model (the EM loop checks once, not on
/// every iteration).
fn step(
    g: &GaussianMixture,
    data: &Data,
    packed: Option<&Packed>,
    total_w: f64,
    reg_covar: f64,
) -> Result<(GaussianMixture, f64)> {
    let (k, d) = (g.n_components(), g.dim());
    let st = all_stats(g, data, packed);
    let mean_ll = st.ll / total_w;
    if !mean_ll.is_finite() {
        return Err(Error::Numerical(
            "the log-likelihood became non-finite during EM; the data may contain extreme \
             values or the model is degenerate"
                .into(),
        ));
    }
    // Each component's count, kept off zero by COUNT_EPS.
    let count = |c: usize| st.nk[c] + COUNT_EPS;
    let sum_counts: f64 = (0..k).map(count).sum();
    let weights: Vec<f64> = (0..k).map(|c| count(c) / sum_counts).collect();
    let mut means = vec![0.0; k * d];
    let mut covs = vec![0.0; k * d * d];
    let mut delta = vec![0.0; d];
    for c in 0..k {
        let nr = st.nk[c];
        let ne = count(c);
        let old = g.mean(c);
        let s1 = &st.s1[c * d..(c + 1) * d];
        let s2 = &st.s2[c * d * d..(c + 1) * d * d];
        for j in 0..d {
            // mean = (sum r v) / n_eps = (old * R + s1) / n_eps, s1 = sum r (v - old)
            let mean = (old[j] * nr + s1[j]) / ne;
            means[c * d + j] = mean;
            delta[j] = mean - old[j];
        }
        let cv = &mut covs[c * d * d..(c + 1) * d * d];
        for a in 0..d {
            for b in a..d {
                let v = (s2[a * d + b] - delta[a] * s1[b] - s1[a] * delta[b]
                    + nr * delta[a] * delta[b])
                    / ne;
                cv[a * d + b] = v;
                cv[b * d + a] = v;
            }
            cv[a * d + a] += reg_covar;
        }
    }
    let new = GaussianMixture::from_parts(d, weights, means, covs).map_err(|c| {
        Error::Numerical(format!(
            "the covariance of component {c} stopped being positive definite during EM \
             (a component collapsed onto too few points); increase reg_covar (e.g. 1e-6) \
             or use fewer components"
        ))
    })?;
    Ok((new, mean_ll))
}

/// Plain EM iterations before SQUAREM cycles start (see [`fit`]).
pub const PLAIN_BEFORE_SQUAREM: usize = 10;

/// The extrapolation of a SQUAREM cycle `g -> g1 -> g2` (see [`fit`]): the model one EM
/// step after the accepted jump and the jump's log-likelihood, or `None` (the cycle ends at
/// `g2`).
fn squarem_jump<F>(
    g: &GaussianMixture,
    g1: &GaussianMixture,
    g2: &GaussianMixture,
    ll1: f64,
    opts: &EmOptions,
    n_iter: &mut usize,
    iterate: &mut F,
) -> Result<Option<(GaussianMixture, f64)>>
where
    F: FnMut(&GaussianMixture, &mut usize) -> Result<(GaussianMixture, f64)>,
{
    let (p0, p1, p2) = (params(g), params(g1), params(g2));
    let r: Vec<f64> = p1.iter().zip(&p0).map(|(a, b)| a - b).collect();
    let v: Vec<f64> = (0..p0.len()).map(|i| p2[i] - p1[i] - r[i]).collect();
    let (rr, vv) = (dot(&r, &r), dot(&v, &v));
    if !(vv > 0.0 && rr.is_finite()) {
        return Ok(None);
    }
    let mut alpha = -(rr / vv).sqrt();
    for _ in 0..3 {
        if alpha >= -1.0 || *n_iter >= opts.max_iter {
            return Ok(None);
        }
        let p: Vec<f64> = (0..p0.len())
            .map(|i| p0[i] - 2.0 * alpha * r[i] + alpha * alpha * v[i])
            .collect();
        let kept_weights = p.iter().zip(g2.weights()).all(|(w, w2)| *w >= 0.5 * w2);
        if let (true, Some(jump)) = (kept_weights, from_params(g, &p)) {
            match iterate(&jump, n_iter) {
                Ok((after, ll)) if ll.is_finite() && ll >= ll1 => return Ok(Some((after, ll))),
                Ok(_) | Err(Error::Numerical(_)) => {}
                Err(e) => return Err(e),
            }
        }
        alpha = (alpha - 1.0) / 2.0;
    }
    Ok(None)
}

/// The parameters of `g` as one vector: weights, means, covariances.
fn params(g: &GaussianMixture) -> Vec<f64> {
    let mut p = Vec::with_capacity(g.weights().len() + g.means().len() + g.covariances().len());
    p.extend_from_slice(g.weights());
    p.extend_from_slice(g.means());
    p.extend_from_slice(g.covariances());
    p
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// The mixture with the layout of `like` and the parameters `p` ([`params`]), if they make
/// one: positive weights (renormalised), finite means, positive definite covariances
/// (symmetrised).
fn from_params(like: &GaussianMixture, p: &[f64]) -> Option<GaussianMixture> {
    let (k, d) = (like.n_components(), like.dim());
    let (w, rest) = p.split_at(k);
    let (m, c) = rest.split_at(k * d);
    if w.iter().any(|v| !(v.is_finite() && *v > 0.0)) || m.iter().any(|v| !v.is_finite()) {
        return None;
    }
    let total: f64 = w.iter().sum();
    let mut cov = c.to_vec();
    for b in 0..k {
        let s = &mut cov[b * d * d..(b + 1) * d * d];
        for i in 0..d {
            for j in 0..i {
                let avg = 0.5 * (s[i * d + j] + s[j * d + i]);
                s[i * d + j] = avg;
                s[j * d + i] = avg;
            }
        }
    }
    GaussianMixture::from_parts(d, w.iter().map(|v| v / total).collect(), m.to_vec(), cov).ok()
}

/// Fits a mixture by EM from `init` on `data`, optionally recording the log-likelihood on a
/// held-out set `valid` (row-major, same dimension).
///
/// Stops when `|ll_t - ll_{t-1}| < threshold` or after `max_iter` iterations. A single
/// component stops after two: its M-step is the closed-form maximum-likelihood estimate, so
/// the first step lands on the optimum and the second evaluates it (its log-likelihood is
/// the fit's `lower_bound`); further steps would return the same model. With
/// `opts.accelerate`, after [`PLAIN_BEFORE_SQUAREM`] plain iterations the fit continues in
/// SQUAREM cycles (below), converged when a cycle gains less than `threshold`. `ctrl`, when
/// given, is checked for cancellation before every iteration.
pub fn fit(
    data: &Data,
    valid: Option<&[f64]>,
    init: &GaussianMixture,
    opts: &EmOptions,
    ctrl: Option<&Control>,
) -> Result<EmFit> {
    fit_prepared(data, None, valid, init, opts, ctrl)
}

/// The rows of `data` laid out for the lane kernels (see [`Packed`]), `None` above
/// [`crate::kernels::MAX_LANE_DIM`] columns
/// (the scalar kernel reads the rows as they are).
pub(crate) fn pack(data: &Data) -> Option<Packed> {
    pack_in(data, Vec::new())
}

/// [`pack`] in the memory of `buf` (see [`Packed::new_in`]).
pub(crate) fn pack_in(data: &Data, buf: Vec<f64>) -> Option<Packed> {
    (data.d <= crate::kernels::MAX_LANE_DIM)
        .then(|| Packed::new_in(data.x, data.d, data.weights, EM_CHUNK_ROWS, buf))
}

/// [`fit`] with the rows of `data` already laid out by [`pack`] (`packed`; `None`: laid out
/// here), for several fits on the same rows: the folds of the component search, the
/// candidates of a bootstrap replicate. At 10^7 rows a layout is 240 MB whose pages the
/// system must provide afresh on every allocation.
pub(crate) fn fit_prepared(
    data: &Data,
    packed: Option<&Packed>,
    valid: Option<&[f64]>,
    init: &GaussianMixture,
    opts: &EmOptions,
    ctrl: Option<&Control>,
) -> Result<EmFit> {
    fit_from(data, packed, valid, init, f64::NEG_INFINITY, 0, opts, ctrl)
}

/// Continues `earlier`, a fit on the same rows to a looser tolerance, to `opts`'s: the
/// first iteration's log-likelihood is compared with `earlier`'s last, so a fit that is
/// already converged to `opts.threshold` stops after one iteration instead of two, and a
/// converged single component (already the optimum) is returned as it is. The iterations
/// count both fits', and so does the plain start before SQUAREM ([`PLAIN_BEFORE_SQUAREM`]):
/// the two stages run as one accelerated fit would, instead of starting plain EM again
/// where the first stage left off in the slow part of the fit (about 9% fewer iterations in
/// the bootstrap's refits of the gamma-exponential benchmark, n = 10,000, K = 7-11).
pub(crate) fn continue_fit(
    data: &Data,
    packed: Option<&Packed>,
    earlier: EmFit,
    opts: &EmOptions,
    ctrl: Option<&Control>,
) -> Result<EmFit> {
    if earlier.converged && earlier.model.n_components() == 1 {
        return Ok(earlier);
    }
    let mut fit = fit_from(
        data,
        packed,
        None,
        &earlier.model,
        earlier.lower_bound,
        earlier.n_iter,
        opts,
        ctrl,
    )?;
    fit.n_iter += earlier.n_iter;
    Ok(fit)
}

/// [`fit_prepared`] from `init` whose predecessor's log-likelihood was `prev`, after `done`
/// iterations of an earlier stage of the same fit (counted towards
/// [`PLAIN_BEFORE_SQUAREM`] only).
#[allow(clippy::too_many_arguments)]
fn fit_from(
    data: &Data,
    packed: Option<&Packed>,
    valid: Option<&[f64]>,
    init: &GaussianMixture,
    mut prev: f64,
    done: usize,
    opts: &EmOptions,
    ctrl: Option<&Control>,
) -> Result<EmFit> {
    opts.validate()?;
    data.check()?;
    if init.dim() != data.d {
        return Err(Error::arg(
            "X",
            format!(
                "data have {} columns but the model has {}",
                data.d,
                init.dim()
            ),
        ));
    }
    if data.n_rows() == 0 {
        return Err(Error::arg("X", "at least one row is needed"));
    }
    // The rows are laid out for the lane kernels once per fit, or were by the caller.
    let own;
    let packed = match packed {
        Some(p) => Some(p),
        None => {
            own = pack(data);
            own.as_ref()
        }
    };
    // The weights' sum, once per fit (it was taken in every step: a sum in row order, n
    // dependent additions, beside a pass that evaluates K components a row in vectors).
    let total_w = data.total_weight();
    let mut g = init.clone();
    let mut lower_bound = f64::NEG_INFINITY;
    let mut converged = false;
    let mut n_iter = 0;
    let mut train_curve = Vec::new();
    let mut valid_curve = Vec::new();
    // One EM iteration from `g`: records the curves, counts it and returns the next model
    // with the log-likelihood of `g`.
    let mut iterate = |g: &GaussianMixture, n_iter: &mut usize| -> Result<(GaussianMixture, f64)> {
        if let Some(c) = ctrl {
            c.check()?;
        }
        if opts.record_curves {
            if let Some(v) = valid {
                valid_curve.push(g.score(v)?);
            }
        }
        let (next, ll) = step(g, data, packed, total_w, opts.reg_covar)?;
        *n_iter += 1;
        if opts.record_curves {
            train_curve.push(ll);
        }
        Ok((next, ll))
    };
    // Plain EM first: most warm-started fits (bootstrap replicates, the full-data fit) end
    // within a few iterations, where SQUAREM's cycles of three would only add iterations;
    // the rest are slow, and are accelerated from there on.
    let plain_first = if opts.accelerate {
        PLAIN_BEFORE_SQUAREM.saturating_sub(done)
    } else {
        opts.max_iter
    };
    let single = g.n_components() == 1;
    while n_iter < plain_first.min(opts.max_iter) {
        let (next, ll) = iterate(&g, &mut n_iter)?;
        g = next;
        lower_bound = ll;
        if (ll - prev).abs() < opts.threshold || (single && n_iter == 2) {
            converged = true;
            break;
        }
        prev = ll;
    }
    if opts.accelerate && !converged {
        // SQUAREM (Varadhan & Roland 2008, scheme S3). A cycle from g: g1 = F(g),
        // g2 = F(g1); with r = g1 - g and v = g2 - g1 - r in the parameters, the model
        // g - 2 a r + a^2 v, a = -|r|/|v| (a = -1 is g2: two plain EM steps), then one EM
        // step from there. The jump is kept only if it is a valid model whose weights are at
        // least half of g2's (a jump that empties a component lands on a plateau where EM
        // crawls) and whose log-likelihood is at least that of g1; otherwise a is halved
        // towards -1, and after three tries the cycle ends at g2. The fit has converged when
        // a whole cycle gains less than the threshold (stricter than one plain step, which
        // gains less than a cycle). A fixed point of EM is a fixed point of the cycle, so
        // the fits converge to the optima of EM, in a third of the iterations where EM is
        // slow.
        while n_iter < opts.max_iter {
            let (g1, ll0) = iterate(&g, &mut n_iter)?;
            lower_bound = ll0;
            if (ll0 - prev).abs() < opts.threshold {
                g = g1;
                converged = true;
                break;
            }
            prev = ll0;
            if n_iter >= opts.max_iter {
                g = g1;
                break;
            }
            let (g2, ll1) = iterate(&g1, &mut n_iter)?;
            lower_bound = ll1;
            g = squarem_jump(&g, &g1, &g2, ll1, opts, &mut n_iter, &mut iterate)?.map_or(
                g2,
                |(after, ll)| {
                    lower_bound = ll;
                    after
                },
            );
        }
    }
    if let Some(c) = ctrl {
        c.fit_done();
    }
    Ok(EmFit {
        model: g,
        n_iter,
        converged,
        lower_bound,
        train_curve,
        valid_curve,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vmath::{with_variant, Variant};

    fn three_blobs() -> GaussianMixture {
        GaussianMixture::new(
            2,
            vec![0.5, 0.3, 0.2],
            vec![-5.0, 0.0, 5.0, 5.0, 5.0, -5.0],
            vec![1.0, 0.3, 0.3, 1.0, 0.5, 0.0, 0.0, 2.0, 1.5, -0.4, -0.4, 0.6],
        )
        .unwrap()
    }

    /// Three overlapping components, on which plain EM is slow.
    fn overlapping_three() -> GaussianMixture {
        GaussianMixture::new(
            2,
            vec![0.5, 0.3, 0.2],
            vec![-1.0, 0.0, 0.5, 0.5, 1.5, -0.5],
            vec![1.0, 0.3, 0.3, 1.0, 0.5, 0.0, 0.0, 0.8, 1.0, -0.4, -0.4, 0.6],
        )
        .unwrap()
    }

    /// A start for [`overlapping_three`]'s samples: equal weights, unit covariances, means
    /// off the truth's.
    fn overlapping_start() -> GaussianMixture {
        GaussianMixture::new(
            2,
            vec![0.34, 0.33, 0.33],
            vec![-1.5, 0.5, 1.0, 1.0, 1.0, -1.0],
            vec![1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0],
        )
        .unwrap()
    }

    #[test]
    fn squarem_reaches_the_optimum_of_plain_em_in_fewer_iterations() {
        // Three overlapping components, where plain EM is slow: from the same start both
        // reach the same optimum (EM's fixed point); the accelerated fit in fewer
        // iterations. With a tolerance of 1e-12 on the mean log-likelihood the parameters
        // are pinned only to about sqrt(2 tol / curvature) on this flat likelihood (~1e-4
        // seen between the two fits at 1e-10), so 1e-3 on weights and means: a different
        // optimum would differ by 0.1 or more.
        let truth = overlapping_three();
        let (x, _) = truth.sample(3000, 11);
        let data = Data::new(&x, 2);
        let start = overlapping_start();
        let base = EmOptions {
            threshold: 1e-12,
            reg_covar: 1e-6,
            ..EmOptions::default()
        };
        let plain = fit(&data, None, &start, &base, None).unwrap();
        let accelerated = EmOptions {
            accelerate: true,
            ..base.clone()
        };
        let fast = fit(&data, None, &start, &accelerated, None).unwrap();
        assert!(plain.converged && fast.converged);
        assert!(
            (plain.lower_bound - fast.lower_bound).abs() < 1e-8,
            "{} vs {}",
            plain.lower_bound,
            fast.lower_bound
        );
        for (a, b) in plain.model.weights().iter().zip(fast.model.weights()) {
            assert!((a - b).abs() < 1e-3, "{a} vs {b}");
        }
        for (a, b) in plain.model.means().iter().zip(fast.model.means()) {
            assert!((a - b).abs() < 1e-3, "{a} vs {b}");
        }
        assert!(
            2 * fast.n_iter < plain.n_iter,
            "{} vs {} iterations",
            fast.n_iter,
            plain.n_iter
        );
    }

    #[test]
    fn single_gaussian_converges_to_sample_moments() {
        let truth =
            GaussianMixture::new(2, vec![1.0], vec![1.0, -2.0], vec![2.0, 0.6, 0.6, 1.0]).unwrap();
        let n = 500;
        let (x, _) = truth.sample(n, 3);
        let init =
            GaussianMixture::new(2, vec![1.0], vec![0.0, 0.0], vec![1.0, 0.0, 0.0, 1.0]).unwrap();
        let opts = EmOptions {
            reg_covar: 0.0,
            ..Default::default()
        };
        let f = fit(&Data::new(&x, 2), None, &init, &opts, None).unwrap();
        // For K = 1 the M-step is the closed-form maximum-likelihood estimate: the first step
        // lands on the sample mean and the biased sample covariance, the second evaluates
        // that optimum, and the fit stops there (a third would return the same model).
        let mut m = [0.0; 2];
        for r in x.chunks(2) {
            m[0] += r[0] / n as f64;
            m[1] += r[1] / n as f64;
        }
        let mut s = [0.0; 4];
        for r in x.chunks(2) {
            for a in 0..2 {
                for b in 0..2 {
                    s[a * 2 + b] += (r[a] - m[a]) * (r[b] - m[b]) / n as f64;
                }
            }
        }
        for j in 0..2 {
            assert!((f.model.means()[j] - m[j]).abs() < 1e-12);
        }
        for j in 0..4 {
            assert!((f.model.covariances()[j] - s[j]).abs() < 1e-12);
        }
        assert!(f.converged);
        assert_eq!(f.n_iter, 2);
        // The reported log-likelihood is the optimum's, not the start's.
        let at_optimum = f.model.score(&x).unwrap();
        assert!((f.lower_bound - at_optimum).abs() < 1e-12);
        // Continuing a converged single component changes nothing and costs nothing.
        let again = continue_fit(&Data::new(&x, 2), None, f.clone(), &opts, None).unwrap();
        assert_eq!(again.model, f.model);
        assert_eq!(again.n_iter, 2);
    }

    #[test]
    fn continuing_a_looser_fit_reaches_the_tight_fit() {
        // Three overlapping components: EM is slow, so a fit stopped at a 10x looser tolerance
        // is not yet at the tight one. Continued to the tight tolerance it must end where a
        // fresh tight fit from the same start ends (plain EM: the same path, equal models);
        // and a fit continued at the tolerance it already met stops after one iteration,
        // not the two a fresh fit needs to see its first change.
        let truth = overlapping_three();
        let (x, _) = truth.sample(2000, 5);
        let data = Data::new(&x, 2);
        let start = overlapping_start();
        let tight = EmOptions {
            threshold: 1e-7,
            reg_covar: 1e-6,
            accelerate: false,
            ..EmOptions::default()
        };
        let loose = EmOptions {
            threshold: 1e-6,
            ..tight.clone()
        };
        let first = fit(&data, None, &start, &loose, None).unwrap();
        assert!(first.converged);
        let fresh = fit(&data, None, &start, &tight, None).unwrap();
        let continued = continue_fit(&data, None, first.clone(), &tight, None).unwrap();
        assert!(continued.converged);
        assert!(continued.n_iter > first.n_iter);
        assert_eq!(continued.model, fresh.model);
        assert_eq!(continued.n_iter, fresh.n_iter);
        let same = continue_fit(&data, None, first.clone(), &loose, None).unwrap();
        assert_eq!(same.n_iter, first.n_iter + 1);
    }

    #[test]
    fn recovers_well_separated_mixture() {
        let truth = three_blobs();
        let n = 6000;
        let (x, _) = truth.sample(n, 11);
        // Start from perturbed truth: EM must converge to the sampled parameters.
        let init = GaussianMixture::new(
            2,
            vec![1.0 / 3.0; 3],
            vec![-4.0, 1.0, 4.0, 4.0, 4.0, -4.0],
            vec![1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0],
        )
        .unwrap();
        let f = fit(&Data::new(&x, 2), None, &init, &EmOptions::default(), None).unwrap();
        assert!(f.converged);
        let g = &f.model;
        for c in 0..3 {
            let w = truth.weights()[c];
            let nc = w * n as f64;
            // Weight: binomial standard error sqrt(w(1-w)/n); allow 5.
            assert!((g.weights()[c] - w).abs() < 5.0 * (w * (1.0 - w) / n as f64).sqrt());
            for j in 0..2 {
                let var = truth.covariance(c)[j * 2 + j];
                // Mean: standard error sqrt(var / n_c); allow 5.
                let se = (var / nc).sqrt();
                assert!((g.mean(c)[j] - truth.mean(c)[j]).abs() < 5.0 * se);
                // Variance: standard error var * sqrt(2 / n_c); allow 5.
                let sv = var * (2.0 / nc).sqrt();
                assert!((g.covariance(c)[j * 2 + j] - var).abs() < 5.0 * sv);
            }
        }
    }

    #[test]
    fn weights_act_as_multiplicities() {
        let truth = three_blobs();
        let (x, _) = truth.sample(300, 5);
        let w: Vec<f64> = (0..300).map(|i| (i % 3) as f64).collect();
        let mut rep = Vec::new();
        for (i, r) in x.chunks(2).enumerate() {
            for _ in 0..(i % 3) {
                rep.extend_from_slice(r);
            }
        }
        let init = three_blobs();
        let a = em_step(&init, &Data::weighted(&x, 2, &w), 1e-6).unwrap();
        let b = em_step(&init, &Data::new(&rep, 2), 1e-6).unwrap();
        assert!((a.1 - b.1).abs() < 1e-12);
        for (u, v) in a.0.covariances().iter().zip(b.0.covariances()) {
            assert!((u - v).abs() < 1e-12);
        }
    }

    #[test]
    fn vector_kernels_equal_the_baseline_bit_for_bit() {
        // Every dispatched variant the CPU supports (forced in turn) against the same
        // code compiled for the baseline instruction set: the same IEEE operations in the
        // same order, so identical sums on any machine. Weights with zeros exercise the
        // skipping of rows and a partial last block.
        let truth = three_blobs();
        let (x, _) = truth.sample(1001, 9);
        let w: Vec<f64> = (0..1001).map(|i| (i % 3) as f64).collect();
        for weights in [None, Some(&w[..])] {
            let b = crate::kernels::chunk_stats_lanes::<2>(&truth, &x, weights);
            for v in Variant::ALL.into_iter().filter(|v| v.supported()) {
                let a = with_variant(v, || chunk_stats(&truth, &x, weights));
                assert_eq!(a.ll.to_bits(), b.ll.to_bits(), "{v:?}");
                assert_eq!((&a.nk, &a.s1, &a.s2), (&b.nk, &b.s1, &b.s2), "{v:?}");
            }
        }
    }

    #[test]
    fn packed_rows_give_the_gathered_sums_bit_for_bit() {
        // The rows laid out once per fit must give exactly the statistics of the gathering
        // kernel, chunk by chunk, on every variant: unweighted rows, weights with zeros (rows
        // skipped, partial blocks), a chunk with no weight at all, several chunks and a
        // partial last chunk, in every dimension the lane kernels take.
        for d in 1..=crate::kernels::MAX_LANE_DIM {
            let n = 2 * EM_CHUNK_ROWS + 37;
            let g = {
                let means: Vec<f64> = (0..2 * d).map(|i| (i % 5) as f64 - 2.0).collect();
                let covs: Vec<f64> = (0..2)
                    .flat_map(|_| (0..d * d).map(move |i| if i % (d + 1) == 0 { 1.5 } else { 0.2 }))
                    .collect();
                GaussianMixture::new(d, vec![0.4, 0.6], means, covs).unwrap()
            };
            let (x, _) = g.sample(n, 3);
            let mut w: Vec<f64> = (0..n).map(|i| ((i * 7) % 4) as f64).collect();
            w[EM_CHUNK_ROWS..2 * EM_CHUNK_ROWS]
                .iter_mut()
                .for_each(|v| *v = 0.0);
            // The weighted layout is made in the memory of the unweighted one (as the
            // bootstrap reuses its layouts): it must equal a layout made afresh.
            let mut memory = Vec::new();
            for weights in [None, Some(&w[..])] {
                let fresh = Packed::new_in(&x, d, weights, EM_CHUNK_ROWS, Vec::new()).into_values();
                let packed = Packed::new_in(&x, d, weights, EM_CHUNK_ROWS, memory);
                assert_eq!(packed.n_chunks(), n.div_ceil(EM_CHUNK_ROWS));
                for v in Variant::ALL.into_iter().filter(|v| v.supported()) {
                    for c in 0..packed.n_chunks() {
                        let (lo, hi) = (c * EM_CHUNK_ROWS, ((c + 1) * EM_CHUNK_ROWS).min(n));
                        let want = with_variant(v, || {
                            chunk_stats(&g, &x[lo * d..hi * d], weights.map(|w| &w[lo..hi]))
                        });
                        let got = with_variant(v, || packed.chunk_stats(&g, c));
                        assert_eq!(got.ll.to_bits(), want.ll.to_bits(), "d={d} {v:?} {c}");
                        assert_eq!((&got.nk, &got.s1), (&want.nk, &want.s1), "d={d} {v:?}");
                        assert_eq!(got.s2, want.s2, "d={d} {v:?} chunk {c}");
                    }
                }
                memory = packed.into_values();
                let bits = |v: &[f64]| v.iter().map(|a| a.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&memory), bits(&fresh), "d={d}");
            }
        }
    }

    /// Two overlapping components in `d` dimensions with correlated covariances (every entry
    /// of the factors in play).
    fn two_correlated(d: usize) -> GaussianMixture {
        let means: Vec<f64> = (0..2 * d).map(|i| (i % 5) as f64 * 0.4 - 0.8).collect();
        let covs: Vec<f64> = (0..2)
            .flat_map(|c| {
                (0..d * d).map(move |i| {
                    let (a, b) = (i / d, i % d);
                    if a == b {
                        1.0 + 0.25 * c as f64
                    } else {
                        0.3 / (1.0 + a.abs_diff(b) as f64)
                    }
                })
            })
            .collect();
        GaussianMixture::new(d, vec![0.45, 0.55], means, covs).unwrap()
    }

    #[test]
    fn lane_kernels_equal_the_row_by_row_pass_up_to_rounding() {
        // In every dimension the lane kernels take, their sums (each lane adding its own,
        // lanes added at the end) and the row-by-row pass (one running sum; the path above
        // MAX_LANE_DIM) add the same terms in other orders, with the same densities up to
        // the last bits of their exponentials: over 1,037 rows a relative error of at most
        // ~1e3 * 2^-53 ~ 1e-13 per sum; 1e-11 of the largest entry leaves room for
        // cancellation. A wrong coordinate, factor or lane would be off by far more (order
        // 1e-2 or worse). Weights with zeros skip rows, as a bootstrap resample does; every
        // variant the CPU supports. A dimension above the lane kernels goes row by row.
        for d in 1..=crate::kernels::MAX_LANE_DIM + 1 {
            let g = two_correlated(d);
            let n = 1037;
            let (x, _) = g.sample(n, 5);
            let w: Vec<f64> = (0..n).map(|i| ((i * 5) % 3) as f64).collect();
            for weights in [None, Some(&w[..])] {
                let want = crate::kernels::chunk_stats_dyn(&g, &x, weights);
                for v in Variant::ALL.into_iter().filter(|v| v.supported()) {
                    let got = with_variant(v, || chunk_stats(&g, &x, weights));
                    let close = |a: &[f64], b: &[f64]| {
                        let scale = b.iter().fold(1.0f64, |m, q| m.max(q.abs()));
                        a.iter().zip(b).all(|(p, q)| (p - q).abs() <= 1e-11 * scale)
                    };
                    assert!(close(&[got.ll], &[want.ll]), "d={d} {v:?}");
                    assert!(close(&got.nk, &want.nk), "d={d} {v:?}");
                    assert!(close(&got.s1, &want.s1), "d={d} {v:?}");
                    assert!(close(&got.s2, &want.s2), "d={d} {v:?}");
                }
            }
        }
    }

    /// Sixteen unit-covariance components in `d` dimensions, their means 6 apart on a
    /// pseudo-random grid: most are far (more than 36.7 in log-density) from any given
    /// row, so the EM pass leaves them out of most blocks of rows in Z-order.
    fn sixteen_apart(d: usize) -> GaussianMixture {
        let k = SKIP_MIN_COMPONENTS.max(16);
        let means: Vec<f64> = (0..k)
            .flat_map(|c| (0..d).map(move |j| 6.0 * ((c * (2 * j + 3) + j) % 16) as f64))
            .collect();
        let covs: Vec<f64> = (0..k)
            .flat_map(|_| (0..d * d).map(move |i| if i % (d + 1) == 0 { 1.0 } else { 0.0 }))
            .collect();
        GaussianMixture::new(d, vec![1.0 / k as f64; k], means, covs).unwrap()
    }

    #[test]
    fn rows_in_z_order_give_the_plain_sums_up_to_rounding() {
        // From SKIP_MIN_COMPONENTS components on, the pass reads the rows in Z-order and
        // leaves out of each block the components far from all its rows. Its sums must be
        // the plain pass's (all chunks added) up to rounding: each of the ~2,000 terms of a
        // sum is reordered (a relative error of at most n * 2^-53, ~2.4e-13) and each term
        // left out is below 2^-53 of a row's total; 1e-11 leaves room for cancellation in
        // the second moments. Leaving out a component that is near a row would change a
        // responsibility sum by a row's worth, 1 in ~130 (about 1e-2): that the test catches.
        // Weights with zeros (a bootstrap resample) and every dimension and variant.
        for d in 1..=crate::kernels::MAX_LANE_DIM {
            let g = sixteen_apart(d);
            let n = 2 * EM_CHUNK_ROWS + 37;
            let (x, _) = g.sample(n, 11);
            let w: Vec<f64> = (0..n).map(|i| ((i * 7) % 4) as f64).collect();
            for weights in [None, Some(&w[..])] {
                let packed = Packed::new_in(&x, d, weights, EM_CHUNK_ROWS, Vec::new());
                let total = |chunk: &dyn Fn(usize) -> Stats, n_chunks: usize| {
                    let mut t = Stats::zeros(g.n_components(), d);
                    (0..n_chunks).for_each(|c| t.add(&chunk(c)));
                    t
                };
                for v in Variant::ALL.into_iter().filter(|v| v.supported()) {
                    let plain = with_variant(v, || {
                        total(&|c| packed.chunk_stats(&g, c), packed.n_chunks())
                    });
                    let spatial = with_variant(v, || {
                        total(
                            &|c| packed.spatial_chunk_stats(&g, c),
                            packed.n_spatial_chunks(),
                        )
                    });
                    let close = |a: &[f64], b: &[f64], scale: f64| {
                        a.iter().zip(b).all(|(p, q)| (p - q).abs() <= 1e-11 * scale)
                    };
                    let rows = plain.nk.iter().sum::<f64>();
                    assert!(
                        close(&[spatial.ll], &[plain.ll], plain.ll.abs()),
                        "d={d} {v:?}"
                    );
                    assert!(close(&spatial.nk, &plain.nk, rows), "d={d} {v:?}");
                    let m1 = plain.s1.iter().fold(1.0f64, |m, a| m.max(a.abs()));
                    assert!(close(&spatial.s1, &plain.s1, m1), "d={d} {v:?}");
                    let m2 = plain.s2.iter().fold(1.0f64, |m, a| m.max(a.abs()));
                    assert!(close(&spatial.s2, &plain.s2, m2), "d={d} {v:?}");
                }
            }
        }
    }

    #[test]
    fn a_fit_of_many_components_is_the_same_on_any_thread_count() {
        // The Z-order layout is made once, before the chunks run in parallel, and the chunks
        // are added in order: one thread and three give the same bits.
        let g = sixteen_apart(2);
        let (x, _) = g.sample(5 * EM_CHUNK_ROWS + 3, 4);
        let data = Data::new(&x, 2);
        let opts = EmOptions {
            max_iter: 5,
            ..EmOptions::default()
        };
        let a = crate::on_threads(1, || fit(&data, None, &g, &opts, None).unwrap());
        let b = crate::on_threads(3, || fit(&data, None, &g, &opts, None).unwrap());
        assert_eq!(a.model, b.model);
        assert_eq!(a.lower_bound.to_bits(), b.lower_bound.to_bits());
    }

    #[test]
    fn chunked_parallel_pass_equals_itself_on_one_thread() {
        let truth = three_blobs();
        let (x, _) = truth.sample(3 * EM_CHUNK_ROWS + 17, 8);
        let data = Data::new(&x, 2);
        let a = crate::on_threads(1, || em_step(&truth, &data, 1e-6).unwrap());
        let b = crate::on_threads(2, || em_step(&truth, &data, 1e-6).unwrap());
        assert_eq!(a.0, b.0);
        assert_eq!(a.1.to_bits(), b.1.to_bits());
    }

    #[test]
    fn records_curves_and_respects_max_iter() {
        let truth = three_blobs();
        let (x, _) = truth.sample(400, 1);
        let (v, _) = truth.sample(100, 2);
        let init = GaussianMixture::new(
            2,
            vec![1.0 / 3.0; 3],
            vec![-1.0, 0.0, 0.0, 1.0, 1.0, 0.0],
            vec![9.0, 0.0, 0.0, 9.0, 9.0, 0.0, 0.0, 9.0, 9.0, 0.0, 0.0, 9.0],
        )
        .unwrap();
        let opts = EmOptions {
            max_iter: 3,
            record_curves: true,
            ..Default::default()
        };
        let f = fit(&Data::new(&x, 2), Some(&v), &init, &opts, None).unwrap();
        assert_eq!(f.n_iter, 3);
        assert!(!f.converged);
        assert_eq!(f.train_curve.len(), 3);
        assert_eq!(f.valid_curve.len(), 3);
        // EM never decreases the training likelihood.
        assert!(f.train_curve.windows(2).all(|w| w[1] >= w[0] - 1e-12));
    }

    #[test]
    fn cancellation_stops_the_fit() {
        let truth = three_blobs();
        let (x, _) = truth.sample(100, 1);
        let ctrl = Control::new();
        ctrl.cancel();
        let r = fit(
            &Data::new(&x, 2),
            None,
            &truth,
            &EmOptions::default(),
            Some(&ctrl),
        );
        assert_eq!(r.unwrap_err(), Error::Cancelled);
    }

    #[test]
    fn collapse_is_reported_not_nan() {
        // Two identical points and two components with no regularisation: a component
        // collapses and the error says to raise reg_covar.
        let x = [0.0, 0.0, 0.0, 0.0, 1.0, 1.0];
        let init = GaussianMixture::new(
            2,
            vec![0.5, 0.5],
            vec![0.0, 0.0, 1.0, 1.0],
            vec![0.1, 0.0, 0.0, 0.1, 0.1, 0.0, 0.0, 0.1],
        )
        .unwrap();
        let opts = EmOptions {
            reg_covar: 0.0,
            ..Default::default()
        };
        match fit(&Data::new(&x, 2), None, &init, &opts, None) {
            Err(Error::Numerical(m)) => assert!(m.contains("reg_covar")),
            other => panic!("expected a numerical error, got {other:?}"),
        }
    }

    #[test]
    fn mismatched_weights_are_an_argument_error_not_a_panic() {
        let g = GaussianMixture::new(1, vec![1.0], vec![0.0], vec![1.0]).unwrap();
        let x = [0.0, 1.0, -1.0, 0.5];
        let short = [1.0, 1.0];
        for w in [
            &short[..],
            &[1.0, 1.0, f64::NAN, 1.0][..],
            &[1.0, -1.0, 1.0, 1.0][..],
        ] {
            let data = Data::weighted(&x, 1, w);
            let e = fit(&data, None, &g, &EmOptions::default(), None).unwrap_err();
            assert!(matches!(e, Error::InvalidArgument { ref arg, .. } if arg == "weights"));
            let e = em_step(&g, &data, 1e-6).unwrap_err();
            assert!(matches!(e, Error::InvalidArgument { ref arg, .. } if arg == "weights"));
        }
        // A ragged matrix and a model of the wrong dimension are refused too.
        let e = em_step(&g, &Data::new(&x[..3], 2), 1e-6).unwrap_err();
        assert!(matches!(e, Error::InvalidArgument { ref arg, .. } if arg == "X"));
    }
}
