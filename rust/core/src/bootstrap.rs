//! The bootstrap: refit on resampled data, recompute, in parallel with one random stream per
//! replicate.

use rand::RngExt;
use rayon::prelude::*;
use std::sync::Mutex;

use crate::bins::{Bins, Points};
use crate::control::Control;
use crate::diagnostics::{Warning, WarningKind};
use crate::em::{self, Data, EmOptions};
use crate::error::{Error, Result};
use crate::gmm::GaussianMixture;
use crate::kernels::Packed;
use crate::rng::{self, Purpose};

/// The most replicates [`run`] accepts.
pub const MAX_BOOTSTRAP: usize = 10_000_000;

/// One bootstrap replicate.
#[derive(Debug, Clone, PartialEq)]
pub struct Replicate {
    /// The quantity computed on the refitted model.
    pub value: f64,
    /// EM iterations of the refit.
    pub n_iter: usize,
    /// Whether the refit converged.
    pub converged: bool,
    /// Resamples drawn again because the refit failed numerically (see [`MAX_REDRAWS`]).
    pub redraws: usize,
    /// Components of the model the replicate kept.
    pub n_components: usize,
    /// The replicate's number `b`: its resample is drawn from the stream
    /// `(seed, Bootstrap, b, redraw_key(redraws))` (see [`resample_of`]).
    pub index: usize,
    /// The replicate was fitted in the estimate's alternative representation (see
    /// `estimator::estimate`), not in the one chosen on all the data.
    pub alternative: bool,
    /// The model the replicate kept (in the representation chosen on all the data) has a
    /// component its resample cannot support ([`has_degenerate_component`]): its value is
    /// set by `reg_covar` and the resample's duplicated rows, not by the data (see
    /// [`degenerate_warning`]).
    pub degenerate: bool,
    /// The refitted model (in the units the bootstrap ran in), when asked for (see
    /// [`run_selecting`]'s `keep_models`).
    pub model: Option<GaussianMixture>,
}

/// Refuses more than [`MAX_BOOTSTRAP`] replicates (their results are held in memory).
pub fn check_count(n_boot: usize) -> Result<()> {
    if n_boot > MAX_BOOTSTRAP {
        return Err(Error::arg(
            "n_bootstrap",
            format!(
                "must be at most {MAX_BOOTSTRAP} (got {n_boot}): the bootstrap std is stable \
                 to a few percent after a few hundred replicates"
            ),
        ));
    }
    Ok(())
}

/// Multiplicities of the rows in a resample of `n` rows drawn with replacement: `n` draws of
/// `rng.random_range(0..n)`, each adding one to its row's count.
///
/// Above [`RESAMPLE_BUCKET_ROWS`] rows the counts no longer fit in the CPU's caches and one
/// increment at a random place costs a trip to memory (about 60 ns a row at n = 10^7, most of
/// a bootstrap replicate's time at K = 1). The same draws are then taken in blocks, grouped
/// by the region of rows they fall in, and each region's increments applied together, while
/// its counts are in cache. The counts are sums of ones, exact in any order: the result is
/// the same draw for draw, only faster (16-20 ns a row at n = 10^7, 7-10 ns at 10^6, against
/// 37 ns one by one at 10^6).
pub fn resample_counts(n: usize, rng: &mut rng::Rng) -> Vec<f64> {
    let mut scratch = Scratch::default();
    resample_counts_into(n, rng, &mut scratch);
    scratch.counts
}

/// The row multiplicities of replicate `b`'s resample of `n` rows after `redraws` redraws
/// (the draw of [`run_selecting`] with `seed`).
pub fn resample_of(n: usize, seed: u64, b: usize, redraws: usize) -> Vec<f64> {
    let mut r = rng::stream(seed, Purpose::Bootstrap, b as u64, redraw_key(redraws));
    resample_counts(n, &mut r)
}

/// [`resample_counts`] into `scratch.counts`, in the memory of `scratch`.
fn resample_counts_into(n: usize, rng: &mut rng::Rng, scratch: &mut Scratch) {
    let Scratch {
        counts,
        draws,
        sorted,
        ..
    } = scratch;
    counts.clear();
    counts.resize(n, 0.0);
    if n <= RESAMPLE_BUCKET_ROWS || u32::try_from(n).is_err() {
        for _ in 0..n {
            counts[rng.random_range(0..n)] += 1.0;
        }
        return;
    }
    // A block of draws is counting-sorted by region of 2^RESAMPLE_REGION_SHIFT rows, then
    // applied region by region.
    let shift = RESAMPLE_REGION_SHIFT;
    let n_regions = (n >> shift) + 1;
    let block = RESAMPLE_BLOCK.min(n);
    sorted.clear();
    sorted.resize(block, 0);
    let mut starts = vec![0usize; n_regions + 1];
    let mut left = n;
    while left > 0 {
        let m = block.min(left);
        left -= m;
        draws.clear();
        // `n` fits in u32 (checked above), so every index does.
        draws.extend((0..m).map(|_| rng.random_range(0..n) as u32));
        starts.iter_mut().for_each(|s| *s = 0);
        for &i in &*draws {
            starts[(i >> shift) as usize + 1] += 1;
        }
        for r in 0..n_regions {
            starts[r + 1] += starts[r];
        }
        for &i in &*draws {
            let slot = &mut starts[(i >> shift) as usize];
            sorted[*slot] = i;
            *slot += 1;
        }
        for &i in &sorted[..m] {
            counts[i as usize] += 1.0;
        }
    }
}

/// The working memory of a bootstrap replicate, handed on to the next replicate when it is
/// done: the counts, the out-of-bag rows, the layout of the resample and the out-of-bag
/// densities. At 10^7 rows these are about 400 MB per replicate; allocated afresh each time,
/// every page of them had to be provided (and zeroed) by the system again, which took a
/// fifth of the CPU time.
#[derive(Default)]
struct Scratch {
    counts: Vec<f64>,
    draws: Vec<u32>,
    sorted: Vec<u32>,
    fit: FitScratch,
}

/// The part of a replicate's [`Scratch`] its refit uses.
#[derive(Default)]
struct FitScratch {
    oob: Vec<f64>,
    densities: Vec<f64>,
    layout: Vec<f64>,
    points: Points,
    sums: Vec<[f64; 3]>,
}

/// See [`resample_counts`]: up to this many rows (512 KiB of counts, within a core's L2
/// cache) the draws are applied one by one.
pub const RESAMPLE_BUCKET_ROWS: usize = 1 << 16;

/// See [`resample_counts`]: draws grouped per block (4 MiB of indices, twice).
pub const RESAMPLE_BLOCK: usize = 1 << 20;

/// See [`resample_counts`]: draws are grouped by regions of `2^this` rows (128 KiB of
/// counts, within a core's L2 cache). Measured at n = 10^7 (AVX2 machine, 1 thread): 59 ns a
/// row one by one; 16-20 ns grouped, with regions of 2^13 to 2^16 rows and blocks of 2^16 to
/// 2^23 draws alike (the memory traffic of the grouped draws sets the floor).
pub const RESAMPLE_REGION_SHIFT: u32 = 14;

/// The list behind `m`, also after a panic elsewhere (it holds only spare memory).
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Runs `n_boot` replicates on the rows of `x` (row-major `n x d`): replicate `b` resamples
/// the rows with the stream `(seed, Bootstrap, b)`, fits EM from `warm`, and evaluates
/// `functional(model, b)`. Replicates run in parallel; the output is in replicate order and
/// does not depend on the number of threads.
#[allow(clippy::too_many_arguments)]
pub fn run<F>(
    x: &[f64],
    d: usize,
    warm: &GaussianMixture,
    em_opts: &EmOptions,
    n_boot: usize,
    seed: u64,
    ctrl: &Control,
    functional: F,
) -> Result<Vec<Replicate>>
where
    F: Fn(&GaussianMixture, usize) -> Result<f64> + Sync,
{
    let (reps, dropped) = run_selecting(
        x,
        d,
        std::slice::from_ref(warm),
        em_opts,
        n_boot,
        seed,
        false,
        ctrl,
        functional,
    )?;
    if dropped > 0 {
        return Err(Error::Numerical(format!(
            "{dropped} bootstrap replicate(s) failed on {} resamples in a row",
            MAX_REDRAWS + 1
        )));
    }
    Ok(reps)
}

/// The bootstrap with the choice of the model inside it: replicate `b` resamples the rows
/// with the stream `(seed, Bootstrap, b)`, refits every candidate (warm starts of
/// neighbouring numbers of components, say) on the resample, keeps the one with the highest
/// mean log-likelihood on the rows the resample left out (out of bag, about 37% of them), or
/// the one with the fewest components within the EM tolerance of it ([`refit`]),
/// and evaluates `functional(model, b)` on it. A candidate whose refit fails numerically is
/// skipped; the resample is redrawn only when every candidate fails. With one candidate no
/// out-of-bag score is computed (the plain bootstrap of the published method).
///
/// With `keep_models` every replicate also holds its refitted model.
///
/// Returns the replicates that succeeded, in replicate order, and the number dropped
/// because their refits failed on [`MAX_REDRAWS`]` + 1` resamples in a row; a numerical
/// error only when every replicate failed.
#[allow(clippy::too_many_arguments)]
pub fn run_selecting<F>(
    x: &[f64],
    d: usize,
    candidates: &[GaussianMixture],
    em_opts: &EmOptions,
    n_boot: usize,
    seed: u64,
    keep_models: bool,
    ctrl: &Control,
    functional: F,
) -> Result<(Vec<Replicate>, usize)>
where
    F: Fn(&GaussianMixture, usize) -> Result<f64> + Sync,
{
    check_count(n_boot)?;
    if candidates.is_empty() {
        return Err(Error::arg(
            "candidates",
            "at least one warm start is needed",
        ));
    }
    let n = x.len() / d;
    ctrl.add_total(n_boot as u64);
    // The working memory of finished replicates, for the next ones (freed on return).
    let spare: Mutex<Vec<Scratch>> = Mutex::new(Vec::new());
    let out: Vec<Option<Replicate>> = (0..n_boot)
        .into_par_iter()
        .map(|b| {
            ctrl.check()?;
            let mut scratch = lock(&spare).pop().unwrap_or_default();
            let attempt = with_redraws(b, |attempt| {
                let mut r = rng::stream(seed, Purpose::Bootstrap, b as u64, redraw_key(attempt));
                resample_counts_into(n, &mut r, &mut scratch);
                let Refit { fit, degenerate } = refit_in(
                    x,
                    d,
                    &scratch.counts,
                    None,
                    candidates,
                    em_opts,
                    ctrl,
                    &mut scratch.fit,
                )?;
                let k = fit.model.n_components();
                Ok((functional(&fit.model, b)?, fit, k, degenerate))
            });
            lock(&spare).push(scratch);
            ctrl.task_done();
            match attempt {
                Ok(((value, fit, k, degenerate), redraws)) => Ok(Some(Replicate {
                    value,
                    n_iter: fit.n_iter,
                    converged: fit.converged,
                    redraws,
                    n_components: k,
                    index: b,
                    alternative: false,
                    degenerate,
                    model: keep_models.then_some(fit.model),
                })),
                Err(Error::Numerical(_)) => Ok(None),
                Err(e) => Err(e),
            }
        })
        .collect::<Result<_>>()?;
    let dropped = out.iter().filter(|r| r.is_none()).count();
    if n_boot > 0 && dropped == n_boot {
        return Err(Error::Numerical(format!(
            "every bootstrap replicate ({n_boot}) failed on {} resamples in a row (the refit \
             failed numerically: a covariance stopped being positive definite); increase \
             reg_covar (e.g. 1e-6) or use fewer components",
            MAX_REDRAWS + 1
        )));
    }
    Ok((out.into_iter().flatten().collect(), dropped))
}

/// Refits the candidates on the resample of the rows of `x` with multiplicities `counts`:
/// one candidate is simply refitted; among several, the fit with the fewest components whose
/// mean log-likelihood on the out-of-bag rows (count 0) is within the EM tolerance
/// (`em_opts.threshold`, per row) of the best one's is kept (ties: the earlier candidate),
/// skipping fits that fail numerically, and a fit with a component the resample cannot
/// support ([`has_degenerate_component`]) only when every candidate has one, also where the
/// component collapsed in the kept fit's last iterations (the choice is then made again).
/// A numerical error when every fit fails.
///
/// The fits are converged to that tolerance only, so a smaller difference is no evidence for
/// the extra components, as the component search keeps the smaller K when a larger one
/// gains less than its threshold. Without the tolerance, on a bivariate Gaussian
/// (n = 10,000, K = 1 selected) the K = 2 candidate, two nearly coinciding components
/// warm-started from a fit that had seen the out-of-bag rows too, scored them 1e-7 to 1e-6
/// nat per row above K = 1 and was kept by 39-49 of 50 replicates: the same MI, computed by
/// a quasi-Monte Carlo integral instead of in closed form, and a continuation of a
/// two-component fit to the full tolerance.
pub fn refit(
    x: &[f64],
    d: usize,
    counts: &[f64],
    candidates: &[GaussianMixture],
    em_opts: &EmOptions,
    ctrl: &Control,
) -> Result<Refit> {
    refit_binned(x, d, counts, None, candidates, em_opts, ctrl)
}

/// [`refit`] with EM fitted to the resample binned by `bins` (the bins of the rows of `x`:
/// see [`crate::bins`]); the out-of-bag scores and the check of the kept fit's components
/// use the rows as they are.
pub fn refit_binned(
    x: &[f64],
    d: usize,
    counts: &[f64],
    bins: Option<&Bins>,
    candidates: &[GaussianMixture],
    em_opts: &EmOptions,
    ctrl: &Control,
) -> Result<Refit> {
    let scratch = &mut FitScratch::default();
    refit_in(x, d, counts, bins, candidates, em_opts, ctrl, scratch)
}

/// A resample's refit ([`refit`]): the fit kept, and whether it has a component the resample
/// cannot support ([`has_degenerate_component`]; kept only when every candidate has one).
pub struct Refit {
    /// The fit kept.
    pub fit: em::EmFit,
    /// Whether [`has_degenerate_component`] holds for it.
    pub degenerate: bool,
}

/// [`refit_binned`] in the memory of `scratch`.
#[allow(clippy::too_many_arguments)]
fn refit_in(
    x: &[f64],
    d: usize,
    counts: &[f64],
    bins: Option<&Bins>,
    candidates: &[GaussianMixture],
    em_opts: &EmOptions,
    ctrl: &Control,
    scratch: &mut FitScratch,
) -> Result<Refit> {
    refit_staged(x, d, counts, bins, candidates, em_opts, ctrl, scratch, None)
        .map(|f| f.expect("without a predicate every refit is continued"))
}

/// The refit of [`refit`] and [`refit_if`] in the memory of `scratch`. Several candidates
/// are compared after EM to a 10x looser tolerance (and at most [`SCREEN_MAX_ITER`]
/// iterations) and only the one kept is run to the full tolerance (the losers' last, slow
/// iterations are skipped); a single candidate is fitted to the full tolerance directly,
/// unless there is a predicate. With `wanted`, the fit kept is screened first and continued
/// only when `wanted(screened model)` holds (`None` otherwise). With `bins`, EM fits the
/// resample binned ([`Bins::compress_into`]).
#[allow(clippy::too_many_arguments)]
fn refit_staged(
    x: &[f64],
    d: usize,
    counts: &[f64],
    bins: Option<&Bins>,
    candidates: &[GaussianMixture],
    em_opts: &EmOptions,
    ctrl: &Control,
    scratch: &mut FitScratch,
    wanted: Option<&dyn Fn(&GaussianMixture) -> bool>,
) -> Result<Option<Refit>> {
    let FitScratch {
        oob,
        densities,
        layout,
        points,
        sums,
    } = scratch;
    // The counts are checked once for every candidate's fit (after the options, as a fit
    // checks them).
    em_opts.validate()?;
    let rows = Data::weighted(x, d, counts);
    let data = match bins {
        Some(b) => {
            // The counts are checked as they are binned (one pass over them, not two).
            if counts.len() != x.len() || !b.compress_into(x, |i| counts[i], sums, points) {
                rows.check()?;
            }
            Data::weighted(&points.x, 1, &points.w).checked()?
        }
        None => rows.checked()?,
    };
    let summary = CountSummary::of(counts);
    // One layout of the resample for every candidate's fit.
    let packed = em::pack_in(&data, std::mem::take(layout));
    let fit = (|| {
        let packed = packed.as_ref();
        let mut fits = match candidates {
            [only] => {
                let opts = if wanted.is_some() {
                    &screening(em_opts)
                } else {
                    em_opts
                };
                let fit = em::fit_prepared(&data, packed, None, only, opts, Some(ctrl))?;
                if wanted.is_none() {
                    let degenerate = degenerate_given(&fit.model, x, counts, summary);
                    return Ok(Some(Refit { fit, degenerate }));
                }
                vec![(f64::NEG_INFINITY, false, fit)]
            }
            _ => {
                rows_where_into(x, d, counts, |c| c == 0.0, oob);
                let (fits, last_err) = screen_out_of_bag(
                    &rows, summary, &data, packed, oob, densities, candidates, em_opts, ctrl,
                )?;
                if fits.is_empty() {
                    return Err(Error::Numerical(
                        last_err.unwrap_or_else(|| "every candidate refit failed".into()),
                    ));
                }
                fits
            }
        };
        // The kept fit is run to the full tolerance. A spare component can collapse onto a
        // few duplicated rows of the resample only then, after the screened fit looked
        // sound (a 3+3 Gaussian at n = 300: one replicate of 50 at 1.41 nat among values
        // of 0.60-0.82); that fit is then marked degenerate and the choice made again, so
        // that a sound candidate is kept whenever one fits (each continued at most once).
        let mut continued: Vec<Option<em::EmFit>> = fits.iter().map(|_| None).collect();
        loop {
            let i = choose_screened(&fits, em_opts.threshold).expect("at least one screened fit");
            if let Some(fit) = continued[i].take() {
                return Ok(Some(Refit {
                    fit,
                    degenerate: true,
                }));
            }
            let screened = fits[i].2.clone();
            if wanted.is_some_and(|w| !w(&screened.model)) {
                return Ok(None);
            }
            let fit = em::continue_fit(&data, packed, screened, em_opts, Some(ctrl))?;
            let degenerate = degenerate_given(&fit.model, x, counts, summary);
            if fits.len() == 1 || fits[i].1 || !degenerate {
                return Ok(Some(Refit { fit, degenerate }));
            }
            fits[i].1 = true;
            continued[i] = Some(fit);
        }
    })();
    if let Some(p) = packed {
        *layout = p.into_values();
    }
    fit
}

/// The EM options of a screening fit: [`SCREEN_FACTOR`] times the tolerance of `em_opts`,
/// at most [`SCREEN_MAX_ITER`] iterations.
pub(crate) fn screening(em_opts: &EmOptions) -> EmOptions {
    EmOptions {
        threshold: em_opts.threshold * SCREEN_FACTOR,
        max_iter: em_opts.max_iter.min(SCREEN_MAX_ITER),
        ..em_opts.clone()
    }
}

/// A candidate's fit to the screening tolerance on a resample: its mean log-likelihood on
/// the out-of-bag rows (`-inf` without one), whether it has a component the resample cannot
/// support ([`has_degenerate_component`]) and the fit.
type Screened = (f64, bool, em::EmFit);

/// The screening half of [`refit`] with several candidates: every candidate fitted to the
/// screening tolerance ([`screening`]) on `data` (the resample's `rows`, or their bins);
/// the fits that did not fail numerically, in the order of the candidates, and the last
/// numerical failure's message.
#[allow(clippy::too_many_arguments)]
fn screen_out_of_bag(
    rows: &Data,
    summary: CountSummary,
    data: &Data,
    packed: Option<&Packed>,
    oob: &[f64],
    densities: &mut Vec<f64>,
    candidates: &[GaussianMixture],
    em_opts: &EmOptions,
    ctrl: &Control,
) -> Result<(Vec<Screened>, Option<String>)> {
    let (x, counts) = (rows.x, rows.weights.expect("a resample has counts"));
    let screen = screening(em_opts);
    let mut fits: Vec<Screened> = Vec::with_capacity(candidates.len());
    let mut last_err = None;
    for g in candidates {
        let fit = match em::fit_prepared(data, packed, None, g, &screen, Some(ctrl)) {
            Ok(f) => f,
            Err(Error::Numerical(m)) => {
                last_err = Some(m);
                continue;
            }
            Err(e) => return Err(e),
        };
        // No out-of-bag row (a tiny data set): no score, so the choice below keeps the
        // first sound candidate that fits.
        let score = if oob.is_empty() {
            f64::NEG_INFINITY
        } else {
            match fit.model.score_into(oob, densities) {
                Ok(s) if s.is_finite() => s,
                _ => f64::NEG_INFINITY,
            }
        };
        let degenerate = degenerate_given(&fit.model, x, counts, summary);
        fits.push((score, degenerate, fit));
    }
    Ok((fits, last_err))
}

/// The fit [`refit`] keeps among `fits` (see [`screen_out_of_bag`]): a non-degenerate fit
/// beats any degenerate one; among those, the smallest K whose score is within `threshold`
/// (per row) of the best (ties: the earlier candidate); without finite scores, the first.
/// `None` when `fits` is empty.
fn choose_screened(fits: &[Screened], threshold: f64) -> Option<usize> {
    let any_sound = fits.iter().any(|(_, deg, _)| !deg);
    let sound = |deg: bool| !any_sound || !deg;
    let top = fits
        .iter()
        .filter(|(_, deg, _)| sound(*deg))
        .map(|(s, _, _)| *s)
        .fold(f64::NEG_INFINITY, f64::max);
    let mut chosen: Option<usize> = None;
    for (i, (s, deg, f)) in fits.iter().enumerate() {
        if !sound(*deg) {
            continue;
        }
        if !top.is_finite() {
            // No out-of-bag row, or no finite score: the first candidate that fits.
            return Some(i);
        }
        let k = f.model.n_components();
        if *s >= top - threshold && chosen.is_none_or(|c| k < fits[c].2.model.n_components()) {
            chosen = Some(i);
        }
    }
    chosen
}

/// [`refit`] in two stages, for a refit that matters only when `wanted` accepts it: the
/// candidates are screened as in [`refit`] (a single candidate too), and the fit kept is
/// run to the full tolerance only when `wanted(screened model)` holds; `None` otherwise.
/// The slow last iterations of a fit that is then thrown away are skipped.
pub fn refit_if<P>(
    x: &[f64],
    d: usize,
    counts: &[f64],
    candidates: &[GaussianMixture],
    em_opts: &EmOptions,
    ctrl: &Control,
    wanted: P,
) -> Result<Option<em::EmFit>>
where
    P: Fn(&GaussianMixture) -> bool,
{
    let scratch = &mut FitScratch::default();
    refit_staged(
        x,
        d,
        counts,
        None,
        candidates,
        em_opts,
        ctrl,
        scratch,
        Some(&wanted),
    )
    .map(|r| r.map(|r| r.fit))
}

/// Whether a component of `g` rests on too few distinct rows of the resample to be a
/// density: the responsibilities it takes from the distinct in-bag rows (rows of `x` with a
/// positive count, each counted once) add up to less than `d + 2`, or it is numerically
/// singular (a squared diagonal entry of its Cholesky factor below
/// [`crate::diagnostics::DEGENERATE_EIGENVALUE`], on standardised data). On a bootstrap
/// resample a spare component can settle on two or three duplicated rows and take an
/// unbounded share of mutual information (seen: 0.6 nat against 0.2 for a Gaussian at
/// n = 200): an artefact of the resample, whose duplicates real data do not have. The
/// out-of-bag choice therefore prefers any candidate without such a component; when every
/// candidate has one (the variables are deterministic functions of each other, say) the
/// choice is by score as usual. `g` is an EM fit on the rows of `x` with multiplicities
/// `counts` (its weights are then the shares of the responsibilities).
pub fn has_degenerate_component(g: &GaussianMixture, x: &[f64], counts: &[f64]) -> bool {
    degenerate_given(g, x, counts, CountSummary::of(counts))
}

/// The sum and the largest of a resample's counts, which [`has_degenerate_component`] needs
/// for every candidate fitted to the resample: taken once per resample.
#[derive(Debug, Clone, Copy)]
struct CountSummary {
    total: f64,
    max: f64,
}

impl CountSummary {
    fn of(counts: &[f64]) -> Self {
        // (whole numbers: their sum is exact in any order; eight running maxima, as the
        // sums of `spread_sum`, so that the pass does not wait on each comparison)
        let total = crate::stats::spread_sum_of(counts);
        let mut maxima = [0.0f64; 8];
        let chunks = counts.chunks_exact(8);
        for c in chunks.clone().chain([chunks.remainder()]) {
            for (m, &v) in maxima.iter_mut().zip(c) {
                *m = if v > *m { v } else { *m };
            }
        }
        CountSummary {
            total,
            max: maxima.iter().copied().fold(0.0, f64::max),
        }
    }
}

/// [`has_degenerate_component`] with the counts' sum and maximum given.
fn degenerate_given(g: &GaussianMixture, x: &[f64], counts: &[f64], summary: CountSummary) -> bool {
    let d = g.dim();
    let singular = g.cholesky_factors().chunks_exact(d * d).any(|l| {
        (0..d).any(|i| l[i * d + i] * l[i * d + i] < crate::diagnostics::DEGENERATE_EIGENVALUE)
    });
    if singular {
        return true;
    }
    // After EM on these rows a component's weight is its share of the count-weighted
    // responsibilities (to within one iteration's change); each distinct row carries at most
    // the largest count, so a weight of twice (d + 2) * that / total shows the support is
    // large enough without computing the responsibilities.
    let floor = 2.0 * (d + 2) as f64 * summary.max / summary.total;
    if g.weights().iter().all(|&w| w >= floor) {
        return false;
    }
    let distinct = rows_where(x, d, counts, |c| c > 0.0);
    let Ok(resp) = g.responsibilities(&distinct) else {
        return true;
    };
    let k = g.n_components();
    let mut support = vec![0.0; k];
    for row in resp.chunks_exact(k) {
        for (s, r) in support.iter_mut().zip(row) {
            *s += r;
        }
    }
    support.iter().any(|&s| s < (d + 2) as f64)
}

/// The rows of `x` (row-major, `d` columns) whose count passes `keep`, row-major.
fn rows_where(x: &[f64], d: usize, counts: &[f64], keep: impl Fn(f64) -> bool) -> Vec<f64> {
    let mut out = Vec::new();
    rows_where_into(x, d, counts, keep, &mut out);
    out
}

/// [`rows_where`] into `out` (cleared first, its memory reused).
fn rows_where_into(
    x: &[f64],
    d: usize,
    counts: &[f64],
    keep: impl Fn(f64) -> bool,
    out: &mut Vec<f64>,
) {
    // Every row is written at the end of the kept ones and counted only if kept: which rows
    // of a resample are kept is random (a third of them out of bag), a branch the CPU would
    // mispredict on every other row. The room to write in grows a block of rows at a time,
    // so that the buffer holds about the kept rows, not all of them (at 10^7 rows the
    // difference is 100 MB for each replicate in flight).
    out.clear();
    let mut len = 0;
    for (xb, cb) in x.chunks(GATHER_ROWS * d).zip(counts.chunks(GATHER_ROWS)) {
        out.resize(len + xb.len(), 0.0);
        for (row, &c) in xb.chunks_exact(d).zip(cb) {
            out[len..len + d].copy_from_slice(row);
            len += if keep(c) { d } else { 0 };
        }
        out.truncate(len);
    }
}

/// Rows gathered at a time by [`rows_where_into`].
const GATHER_ROWS: usize = 4096;

/// See [`refit`]: candidates are screened with EM to this many times the tolerance.
pub const SCREEN_FACTOR: f64 = 10.0;

/// See [`refit`]: and at most this many EM iterations (a spare component of an overfitted
/// candidate can make EM crawl for thousands of iterations; the comparison needs only its
/// rough fit, and the candidate kept is then run to convergence).
pub const SCREEN_MAX_ITER: usize = 100;

/// How many times a bootstrap replicate whose refit fails numerically (a covariance loses
/// positive definiteness on the resample, say) is redrawn before the estimate fails.
pub const MAX_REDRAWS: usize = 5;

/// Runs `replicate(attempt)` for attempt 0, 1, ... until it succeeds; a numerical failure
/// (a refit that lost positive definiteness, say) is retried on the next resample at most
/// [`MAX_REDRAWS`] times. Returns the result and the number of redraws; other errors (a
/// cancellation) pass through.
pub fn with_redraws<T>(
    b: usize,
    mut replicate: impl FnMut(usize) -> Result<T>,
) -> Result<(T, usize)> {
    let mut attempt = 0;
    loop {
        match replicate(attempt) {
            Ok(v) => return Ok((v, attempt)),
            Err(Error::Numerical(_)) if attempt < MAX_REDRAWS => attempt += 1,
            Err(Error::Numerical(m)) => {
                return Err(Error::Numerical(format!(
                    "bootstrap replicate {b} failed on {} resamples in a row: {m}",
                    MAX_REDRAWS + 1
                )))
            }
            Err(e) => return Err(e),
        }
    }
}

/// The last key of a replicate's random stream for its `attempt`-th redraw (0: the first
/// draw). Keys below 2^32 are left to the caller (the class of a per-class bootstrap).
pub fn redraw_key(attempt: usize) -> u64 {
    (attempt as u64) << 32
}

/// A warning when some replicates were dropped because every redraw failed.
pub fn dropped_warning(dropped: usize, n_boot: usize) -> Option<Warning> {
    (dropped > 0).then(|| Warning {
        kind: WarningKind::Redrawn,
        message: format!(
            "{dropped} of {n_boot} bootstrap replicates were dropped: their refits failed \
             numerically (a covariance stopped being positive definite) on {} resamples in a \
             row; the interval rests on the {} that succeeded. Frequent failures suggest \
             fewer components or a larger reg_covar",
            MAX_REDRAWS + 1,
            n_boot - dropped
        ),
    })
}

/// About how many distinct rows a resample of `n` rows drawn with replacement holds, for the
/// warnings: `(1 - 1/e) n = 0.63 n`, the limit of the expectation `n (1 - (1 - 1/n)^n)`.
pub fn expected_distinct_rows(n: usize) -> f64 {
    (1.0 - (-1.0f64).exp()) * n as f64
}

/// A warning when `degenerate` of the `n_boot` replicates kept a model with a component
/// their resample cannot support ([`has_degenerate_component`]: fewer than `d + 2` distinct
/// rows under it, or numerically singular) and the sample is so small that the resamples
/// are the cause: a resample of `n` rows holds about `0.63 n` distinct ones, and when that
/// is fewer than `FEW_DISTINCT_FACTOR` (4) times the `d + 2` a full covariance in `d`
/// dimensions needs, the refits become singular and their values (tens of nats for a
/// Gaussian) are set by `reg_covar`: the replicates' spread, the bias correction and the
/// interval then describe that artefact, not the data (a 3+3 Gaussian at n = 9 gave
/// 0.000 +- 14 for a truth of 0.67, without a warning). On larger samples a replicate keeps
/// such a fit only when every candidate has one ([`refit`]), as where the fits on all the
/// rows give a few far rows (heavy tails) a component of their own; that is the model's
/// choice, not an artefact of the resample, and raises nothing.
/// `context` starts the message (`"class 2: "` for a class of a categorical MI).
pub fn degenerate_warning(
    degenerate: usize,
    n_boot: usize,
    n: usize,
    d: usize,
    context: &str,
) -> Option<Warning> {
    let distinct = expected_distinct_rows(n);
    (degenerate > 0 && few_distinct_rows(n, d)).then(|| Warning {
        kind: WarningKind::Degenerate,
        message: format!(
            "{context}{degenerate} of {n_boot} bootstrap replicates fitted a component that \
             their resample cannot support (fewer than d + 2 = {} distinct rows under it, or \
             numerically singular): a resample of {n} rows holds about {distinct:.0} distinct \
             ones, too few for a mixture in {d} {}. Those replicates' values are set \
             by reg_covar, not by the data, and the interval and the bias-corrected estimate \
             rest on them: they are not meaningful. Use more rows or fewer columns",
            d + 2,
            if d == 1 { "dimension" } else { "dimensions" }
        ),
    })
}

/// A warning when at least half of the `n_boot` replicates, refitted at the `k` components
/// the caller fixed (`n_components`), kept a component their resample cannot support
/// ([`has_degenerate_component`]) on a sample large enough that [`degenerate_warning`] does
/// not speak: `k` is more than a resample of `n` rows supports, whose duplicated rows the
/// spare components then fit, so the replicates' values run above the full-data one and
/// the bias-corrected estimate below it, down to the clip at 0 (30 components on 300 rows
/// of a Gaussian pair: replicates averaging 1.34 nat for a full-data 0.185, and an
/// estimate of 0.000 +- 1.29, without a word). A search that chooses `k` from the data
/// keeps such fits only where every candidate has one.
pub fn fixed_k_degenerate_warning(
    degenerate: usize,
    n_boot: usize,
    n: usize,
    d: usize,
    k: usize,
) -> Option<Warning> {
    let distinct = expected_distinct_rows(n);
    (n_boot > 0 && 2 * degenerate >= n_boot && !few_distinct_rows(n, d)).then(|| Warning {
        kind: WarningKind::Degenerate,
        message: format!(
            "{degenerate} of {n_boot} bootstrap replicates, refitted at a fixed \
             n_components={k}, fitted a component that their resample cannot support (fewer than d + 2 = \
             {} distinct rows under it, or numerically singular): a resample of {n} rows holds \
             about {distinct:.0} distinct ones, too few for {k} components, and the spare \
             components fit its duplicated rows. The replicates' values then run above the \
             fit on all the rows, and the bias-corrected estimate and its interval rest on \
             them: fix fewer components, or let the search choose (n_components=None)",
            d + 2
        ),
    })
}

/// Whether a resample of `n` rows holds fewer distinct rows than [`FEW_DISTINCT_FACTOR`]
/// times the `d + 2` a component in `d` dimensions needs (see [`degenerate_warning`]).
fn few_distinct_rows(n: usize, d: usize) -> bool {
    expected_distinct_rows(n) < (FEW_DISTINCT_FACTOR * (d + 2)) as f64
}

/// [`degenerate_warning`] speaks when a resample's distinct rows are fewer than this many
/// times the `d + 2` a component needs: the tiny samples where the replicates' fits are near
/// singular (1+1 columns below 25 rows, 3+3 below 51, 5+5 below 76; the degenerate
/// replicates were seen at 1+1 n = 4-8, 3+3 n = 9-12, 5+5 n = 20).
const FEW_DISTINCT_FACTOR: usize = 4;

/// A warning when some replicates were redrawn.
pub fn redraw_warning(redraws: usize, n_boot: usize) -> Option<Warning> {
    (redraws > 0).then(|| Warning {
        kind: WarningKind::Redrawn,
        message: format!(
            "{redraws} bootstrap resample(s) of {n_boot} replicates gave a refit that failed \
             numerically (a covariance stopped being positive definite) and were redrawn; the \
             uncertainty describes resamples on which the fit succeeds. Frequent failures \
             suggest fewer components or a larger reg_covar"
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_where_keeps_exactly_the_rows_whose_count_passes() {
        // The branchless gather against the filter's definition, in 1-3 columns, with the
        // first and last rows kept or not, a reused buffer longer than the result, and more
        // rows than one block of the gather (GATHER_ROWS).
        let mut r = rng::stream(9, Purpose::Bootstrap, 0, 0);
        let mut out = vec![7.0; 500];
        for d in 1..=3 {
            for n in [0, 1, 2, 33, 100, 9000] {
                let x: Vec<f64> = (0..n * d).map(|i| i as f64 + 0.5).collect();
                let counts = resample_counts(n, &mut r);
                for keep in [|c: f64| c == 0.0, |c: f64| c > 0.0] {
                    let want: Vec<f64> = x
                        .chunks_exact(d)
                        .zip(&counts)
                        .filter(|(_, &c)| keep(c))
                        .flat_map(|(row, _)| row.iter().copied())
                        .collect();
                    rows_where_into(&x, d, &counts, keep, &mut out);
                    assert_eq!(out, want, "d={d} n={n}");
                }
            }
        }
    }

    #[test]
    fn checked_counts_are_checked_once_and_bad_ones_refused() {
        let x = [0.0, 1.0, 2.0, 3.0];
        let bad = [1.0, f64::NAN, 1.0, 0.0];
        let e = Data::weighted(&x, 1, &bad).checked().unwrap_err();
        assert!(e.to_string().contains("weights"), "{e}");
        let e = Data::weighted(&x, 1, &[1.0, -1.0, 0.0, 2.0])
            .checked()
            .unwrap_err();
        assert!(e.to_string().contains("weights"), "{e}");
        // A refit on bad counts says so (checked once for all candidates), as each fit did.
        let g = GaussianMixture::new(1, vec![1.0], vec![1.5], vec![1.0]).unwrap();
        let e = refit(&x, 1, &bad, &[g], &EmOptions::default(), &Control::new()).err();
        assert!(matches!(e, Some(Error::InvalidArgument { .. })), "{e:?}");
    }

    #[test]
    fn replicates_are_reproducible_and_vary() {
        let g =
            GaussianMixture::new(2, vec![1.0], vec![0.0, 0.0], vec![1.0, 0.5, 0.5, 1.0]).unwrap();
        let (x, _) = g.sample(300, 1);
        let f = |m: &GaussianMixture, _b: usize| Ok(m.covariances()[1]);
        let ctrl = Control::new();
        let a = run(&x, 2, &g, &EmOptions::default(), 20, 4, &ctrl, f).unwrap();
        let b = crate::on_threads(1, || {
            run(&x, 2, &g, &EmOptions::default(), 20, 4, &ctrl, f).unwrap()
        });
        assert_eq!(a, b);
        let vals: Vec<f64> = a.iter().map(|r| r.value).collect();
        let (m, s) = crate::stats::mean_std(&vals);
        // The bootstrap sd of a sample covariance at n=300 is about sqrt((1+rho^2)/n) ~ 0.065.
        assert!(s > 0.02 && s < 0.15, "{s}");
        assert!((m - 0.5).abs() < 0.2);
        assert_eq!(ctrl.tasks_done(), 40);
    }

    #[test]
    fn replicates_of_too_few_distinct_rows_are_flagged_degenerate() {
        // Six rows in two dimensions: a resample holds about four distinct ones, and a
        // Gaussian on fewer than d + 2 = 4 distinct rows cannot be a density (its refit is
        // singular up to reg_covar).
        let g =
            GaussianMixture::new(2, vec![1.0], vec![0.0, 0.0], vec![1.0, 0.5, 0.5, 1.0]).unwrap();
        let ctrl = Control::new();
        let replicates_on = |n: usize| {
            let (x, _) = g.sample(n, 2);
            let f = |m: &GaussianMixture, _b: usize| Ok(m.covariances()[1]);
            run(&x, 2, &g, &EmOptions::default(), 40, 7, &ctrl, f).unwrap()
        };
        let reps = replicates_on(6);
        for r in &reps {
            let counts = resample_of(6, 7, r.index, r.redraws);
            let distinct = counts.iter().filter(|&&c| c > 0.0).count();
            // The flag is the rule on the kept refit: fewer than 4 distinct rows always
            // (their support), and the refit of 4 or more distinct rows in general position
            // is a density.
            assert_eq!(
                r.degenerate,
                distinct < 4,
                "replicate {}: {distinct}",
                r.index
            );
        }
        let flagged = reps.iter().filter(|r| r.degenerate).count();
        // P(fewer than 4 distinct rows among 6 draws of 6) = 0.25: 10 of 40 expected, sd 2.7.
        assert!((3..=20).contains(&flagged), "{flagged}");
        // At n = 300 no resample is that short of distinct rows.
        assert!(replicates_on(300).iter().all(|r| !r.degenerate));
    }

    #[test]
    fn the_degenerate_warning_speaks_on_tiny_samples_only() {
        assert!(degenerate_warning(0, 50, 9, 6, "").is_none());
        let few = degenerate_warning(31, 50, 9, 6, "class 1: ").unwrap();
        assert_eq!(few.kind, WarningKind::Degenerate);
        assert!(few
            .message
            .starts_with("class 1: 31 of 50 bootstrap replicates"));
        assert!(few
            .message
            .contains("a resample of 9 rows holds about 6 distinct ones"));
        assert!(
            few.message.contains("Use more rows or fewer columns"),
            "{}",
            few.message
        );
        // 0.63 n against 4 (d + 2): 1+1 columns warn up to 25 rows, 3+3 up to 50.
        assert!(degenerate_warning(1, 50, 25, 2, "").is_some());
        assert!(degenerate_warning(1, 50, 26, 2, "").is_none());
        assert!(degenerate_warning(1, 50, 50, 6, "").is_some());
        assert!(degenerate_warning(1, 50, 51, 6, "").is_none());
        // A few far rows given a component of their own at n = 5,000: no warning.
        assert!(degenerate_warning(50, 50, 5000, 6, "").is_none());
        // At a fixed K on a sample whose resamples are not tiny: half the replicates or more.
        let fixed = fixed_k_degenerate_warning(30, 50, 300, 2, 30).unwrap();
        assert!(
            fixed.message.contains("n_components=30"),
            "{}",
            fixed.message
        );
        assert!(fixed_k_degenerate_warning(24, 50, 300, 2, 30).is_none());
        assert!(fixed_k_degenerate_warning(50, 50, 9, 6, 2).is_none()); // degenerate_warning's
        assert!(fixed_k_degenerate_warning(0, 0, 300, 2, 30).is_none());
    }

    #[test]
    fn failed_replicates_are_redrawn_reproducibly() {
        let g =
            GaussianMixture::new(2, vec![1.0], vec![0.0, 0.0], vec![1.0, 0.5, 0.5, 1.0]).unwrap();
        let (x, _) = g.sample(300, 1);
        let ctrl = Control::new();
        let opts = EmOptions::default();
        let plain = run(
            &x,
            2,
            &g,
            &opts,
            40,
            4,
            &ctrl,
            |m, _| Ok(m.covariances()[1]),
        )
        .unwrap();
        // A functional that fails (numerically) above the median of the plain replicates:
        // about half the first draws fail and are redrawn until one falls below it.
        let mut v: Vec<f64> = plain.iter().map(|r| r.value).collect();
        v.sort_by(f64::total_cmp);
        let cut = v[20];
        let f = |m: &GaussianMixture, _b: usize| {
            let c = m.covariances()[1];
            if c > cut {
                Err(Error::Numerical("too large".into()))
            } else {
                Ok(c)
            }
        };
        let a = run(&x, 2, &g, &opts, 40, 4, &ctrl, f).unwrap();
        assert_eq!(
            a,
            crate::on_threads(1, || run(&x, 2, &g, &opts, 40, 4, &ctrl, f).unwrap())
        );
        assert!(a.iter().all(|r| r.value <= cut));
        let redrawn = a.iter().filter(|r| r.redraws > 0).count();
        // 19 of the 40 first draws lie above the cut (the 21st smallest value).
        assert_eq!(redrawn, 19);
        for (p, r) in plain.iter().zip(&a) {
            if r.redraws == 0 {
                assert_eq!(p, r); // first draws are the plain replicates
            }
        }
        // A functional that always fails gives up after MAX_REDRAWS redraws.
        let never =
            |_: &GaussianMixture, _: usize| -> Result<f64> { Err(Error::Numerical("no".into())) };
        let err = run(&x, 2, &g, &opts, 3, 4, &ctrl, never).unwrap_err();
        assert!(
            err.to_string().contains("failed on 6 resamples in a row"),
            "{err}"
        );
    }

    #[test]
    fn a_replicate_that_always_fails_is_dropped_not_fatal() {
        let g =
            GaussianMixture::new(2, vec![1.0], vec![0.0, 0.0], vec![1.0, 0.5, 0.5, 1.0]).unwrap();
        let (x, _) = g.sample(200, 1);
        let ctrl = Control::new();
        // Replicate 1 fails on every redraw; the others succeed.
        let f = |m: &GaussianMixture, b: usize| {
            if b == 1 {
                Err(Error::Numerical("collapsed".into()))
            } else {
                Ok(m.covariances()[1])
            }
        };
        let cands = [g.clone()];
        let (reps, dropped) =
            run_selecting(&x, 2, &cands, &EmOptions::default(), 4, 3, false, &ctrl, f).unwrap();
        assert_eq!((reps.len(), dropped), (3, 1));
        // The strict form refuses the same run, naming the cause.
        let err = run(&x, 2, &g, &EmOptions::default(), 4, 3, &ctrl, f).unwrap_err();
        assert!(
            err.to_string().contains("1 bootstrap replicate(s)"),
            "{err}"
        );
    }

    /// Two separated bivariate clusters (the truth), 1,000 rows drawn from them, and a
    /// three-component warm start that splits one of them.
    fn two_clusters() -> (GaussianMixture, Vec<f64>, GaussianMixture) {
        let truth = GaussianMixture::new(
            2,
            vec![0.5, 0.5],
            vec![-4.0, 0.0, 4.0, 0.0],
            vec![1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0],
        )
        .unwrap();
        let (x, _) = truth.sample(1000, 2);
        let three = GaussianMixture::new(
            2,
            vec![0.5, 0.25, 0.25],
            vec![-4.0, 0.0, 4.0, 1.0, 4.0, -1.0],
            vec![1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.5, 1.0, 0.0, 0.0, 0.5],
        )
        .unwrap();
        (truth, x, three)
    }

    #[test]
    fn out_of_bag_choice_prefers_the_true_number_of_components() {
        // Two separated clusters: from warm starts at K = 1, 2, 3 the out-of-bag likelihood
        // picks K = 2 on most resamples (K = 1 misfits; K = 3 splits a Gaussian and pays on
        // held-out rows). K = 3 may win a few by chance (its extra component costs little),
        // so the test asks for a majority, not all.
        let (truth, x, three) = two_clusters();
        let one =
            GaussianMixture::new(2, vec![1.0], vec![0.0, 0.0], vec![17.0, 0.0, 0.0, 1.0]).unwrap();
        let cands = [truth.clone(), one, three];
        let f = |m: &GaussianMixture, _b: usize| Ok(m.n_components() as f64);
        let ctrl = Control::new();
        let (reps, dropped) =
            run_selecting(&x, 2, &cands, &EmOptions::default(), 20, 5, false, &ctrl, f).unwrap();
        assert_eq!(dropped, 0);
        let twos = reps.iter().filter(|r| r.n_components == 2).count();
        assert!(twos >= 14, "K=2 kept by {twos} of 20");
        assert!(reps.iter().all(|r| r.n_components != 1));
    }

    #[test]
    fn a_larger_k_within_the_em_tolerance_of_a_smaller_one_is_not_kept() {
        // One Gaussian, 4,000 rows, warm starts at K = 1 and at K = 2 with two nearly
        // coinciding components (as a search's K = 2 fit of a Gaussian often is). On a
        // resample the K = 2 refit scores the out-of-bag rows within a hair of K = 1 (on
        // such data 1e-7 to 1e-6 nat per row), below the EM tolerance of 1e-5: no evidence
        // for the second component, so every replicate keeps K = 1. The strictly higher
        // score (the rule before this tolerance) took K = 2 on 15 of these 20 replicates.
        let truth =
            GaussianMixture::new(2, vec![1.0], vec![0.0, 0.0], vec![1.0, 0.6, 0.6, 1.0]).unwrap();
        let (x, _) = truth.sample(4000, 3);
        let split = GaussianMixture::new(
            2,
            vec![0.5, 0.5],
            vec![-0.01, 0.0, 0.01, 0.0],
            vec![1.0, 0.6, 0.6, 1.0, 1.0, 0.6, 0.6, 1.0],
        )
        .unwrap();
        let opts = EmOptions::default();
        let cands = [truth, split];
        let f = |m: &GaussianMixture, _b: usize| Ok(m.n_components() as f64);
        let ctrl = Control::new();
        let (reps, dropped) = run_selecting(&x, 2, &cands, &opts, 20, 5, false, &ctrl, f).unwrap();
        assert_eq!(dropped, 0);
        let twos = reps.iter().filter(|r| r.n_components == 2).count();
        assert_eq!(twos, 0, "K = 2 kept by {twos} of 20");
    }

    #[test]
    fn a_staged_refit_is_the_refit_when_wanted_and_stops_at_screening_when_not() {
        // Two separated clusters, warm starts at K = 2 and 3: `refit_if` screens them as
        // `refit` does; accepted, it continues the same screened fit, so the two agree to the
        // bit; refused, nothing is continued. The predicate sees the screened model, looser
        // than the final one (fewer iterations, the same K).
        let (truth, x, three) = two_clusters();
        let cands = [truth.clone(), three];
        let counts = resample_of(1000, 9, 0, 0);
        let (opts, ctrl) = (EmOptions::default(), Control::new());
        let full = refit(&x, 2, &counts, &cands, &opts, &ctrl).unwrap().fit;
        let seen = Mutex::new(None);
        let staged = refit_if(&x, 2, &counts, &cands, &opts, &ctrl, |g| {
            *lock(&seen) = Some(g.clone());
            true
        })
        .unwrap()
        .expect("accepted");
        assert_eq!(staged.model, full.model);
        assert_eq!(staged.n_iter, full.n_iter);
        let screened = lock(&seen).take().expect("the predicate was asked");
        assert_eq!(screened.n_components(), full.model.n_components());
        assert_ne!(screened, full.model, "the predicate saw the screening fit");
        let refused = refit_if(&x, 2, &counts, &cands, &opts, &ctrl, |_| false).unwrap();
        assert!(refused.is_none());
    }

    #[test]
    fn a_binned_refit_keeps_the_k_and_checks_the_counts() {
        // One column of 6,000 rows from two components, candidates K = 1, 2, 3: binned, the
        // refit keeps the K that every row keeps, with its parameters within 1e-4 of their
        // values (bins 0.01 sd wide move them by ~1e-6; a different optimum would move them
        // by ~1e-1); an invalid count is refused on "weights", as unbinned.
        let g = GaussianMixture::new(1, vec![0.5, 0.5], vec![-2.0, 2.0], vec![1.0, 1.0]).unwrap();
        let (x, _) = g.sample(6_000, 3);
        let bins = Bins::for_column(&x, 1).expect("binned");
        let one = GaussianMixture::new(1, vec![1.0], vec![0.0], vec![5.0]).unwrap();
        let three =
            GaussianMixture::new(1, vec![0.3, 0.3, 0.4], vec![-2.0, 0.0, 2.0], vec![1.0; 3])
                .unwrap();
        let cands = [one, g.clone(), three];
        let counts = resample_of(6_000, 4, 0, 0);
        let (opts, ctrl) = (EmOptions::default(), Control::new());
        let rows = refit(&x, 1, &counts, &cands, &opts, &ctrl)
            .unwrap()
            .fit
            .model;
        let binned = refit_binned(&x, 1, &counts, Some(&bins), &cands, &opts, &ctrl)
            .unwrap()
            .fit
            .model;
        assert_eq!(rows.n_components(), 2);
        assert_eq!(binned.n_components(), 2);
        for (a, b) in rows.means().iter().zip(binned.means()) {
            assert!((a - b).abs() < 1e-4, "{a} vs {b}");
        }
        let mut bad = counts.clone();
        bad[17] = -1.0;
        let e = refit_binned(&x, 1, &bad, Some(&bins), &cands, &opts, &ctrl)
            .err()
            .unwrap();
        assert!(
            matches!(e, Error::InvalidArgument { ref arg, .. } if arg == "weights"),
            "{e:?}"
        );
    }

    #[test]
    fn a_replicates_resample_can_be_drawn_again_from_its_index_and_redraws() {
        // `resample_of(n, seed, index, redraws)` is the resample a replicate was fitted on
        // (the estimator's re-choice of representation refits on it): refitting the same
        // candidates on it gives the kept model to the last bit, for replicates chosen
        // among two candidates, after a dropped replicate (1) and after redraws (the
        // functional fails on the first draw of replicate 2).
        let g =
            GaussianMixture::new(2, vec![1.0], vec![0.0, 0.0], vec![1.0, 0.5, 0.5, 1.0]).unwrap();
        let (x, _) = g.sample(300, 4);
        let two = GaussianMixture::new(
            2,
            vec![0.5, 0.5],
            vec![-1.0, -0.5, 1.0, 0.5],
            vec![1.0, 0.5, 0.5, 1.0, 1.0, 0.5, 0.5, 1.0],
        )
        .unwrap();
        let cands = [g.clone(), two];
        let ctrl = Control::new();
        let first_draw_of_2 = std::sync::atomic::AtomicBool::new(true);
        let f = |m: &GaussianMixture, b: usize| match b {
            1 => Err(Error::Numerical("always".into())),
            2 if first_draw_of_2.swap(false, std::sync::atomic::Ordering::SeqCst) => {
                Err(Error::Numerical("once".into()))
            }
            _ => Ok(m.covariances()[1]),
        };
        let opts = EmOptions::default();
        let (reps, dropped) = run_selecting(&x, 2, &cands, &opts, 5, 9, true, &ctrl, f).unwrap();
        assert_eq!(dropped, 1);
        let indices: Vec<usize> = reps.iter().map(|r| r.index).collect();
        assert_eq!(indices, [0, 2, 3, 4]);
        assert_eq!(reps[1].redraws, 1);
        for r in &reps {
            let counts = resample_of(300, 9, r.index, r.redraws);
            assert_eq!(counts.iter().sum::<f64>(), 300.0);
            let again = refit(&x, 2, &counts, &cands, &opts, &ctrl).unwrap().fit;
            assert_eq!(
                Some(&again.model),
                r.model.as_ref(),
                "replicate {}",
                r.index
            );
            assert!(!r.alternative);
        }
    }

    #[test]
    fn kept_models_are_the_models_the_values_came_from() {
        let g =
            GaussianMixture::new(2, vec![1.0], vec![0.0, 0.0], vec![1.0, 0.5, 0.5, 1.0]).unwrap();
        let (x, _) = g.sample(300, 4);
        let ctrl = Control::new();
        let f = |m: &GaussianMixture, _b: usize| Ok(m.covariances()[1]);
        let cands = [g.clone()];
        let opts = EmOptions::default();
        let (plain, _) = run_selecting(&x, 2, &cands, &opts, 5, 9, false, &ctrl, f).unwrap();
        let (kept, _) = run_selecting(&x, 2, &cands, &opts, 5, 9, true, &ctrl, f).unwrap();
        assert!(plain.iter().all(|r| r.model.is_none()));
        for (p, k) in plain.iter().zip(&kept) {
            // Keeping the models changes no value, and each is the model behind its value.
            assert_eq!(p.value, k.value);
            assert_eq!(k.model.as_ref().unwrap().covariances()[1], k.value);
        }
    }

    #[test]
    fn a_component_on_a_few_duplicated_rows_is_degenerate() {
        let g =
            GaussianMixture::new(2, vec![1.0], vec![0.0, 0.0], vec![1.0, 0.5, 0.5, 1.0]).unwrap();
        let (x, _) = g.sample(300, 7);
        let counts = vec![1.0; 300];
        assert!(!has_degenerate_component(&g, &x, &counts));
        // A second component centred far from every row takes almost no responsibility:
        // fewer than d + 2 = 4 rows' worth (its weight, 0.005, is what EM would give it
        // with about 1.5 rows).
        let spare = GaussianMixture::new(
            2,
            vec![0.995, 0.005],
            vec![0.0, 0.0, 30.0, 30.0],
            vec![1.0, 0.5, 0.5, 1.0, 0.01, 0.0, 0.0, 0.01],
        )
        .unwrap();
        assert!(has_degenerate_component(&spare, &x, &counts));
        // A numerically singular component is degenerate whatever its support.
        let flat = GaussianMixture::new(
            2,
            vec![1.0],
            vec![0.0, 0.0],
            vec![1.0, 1.0, 1.0, 1.0 + 1e-12],
        );
        if let Ok(flat) = flat {
            assert!(has_degenerate_component(&flat, &x, &counts));
        }
    }

    #[test]
    fn counts_sum_to_n() {
        let mut r = rng::stream(0, Purpose::Bootstrap, 0, 0);
        let c = resample_counts(1000, &mut r);
        assert_eq!(c.iter().sum::<f64>(), 1000.0);
    }

    #[test]
    fn grouped_counts_are_the_draws_counted_one_by_one() {
        // Above RESAMPLE_BUCKET_ROWS the draws are grouped by region before they are counted;
        // with more than one block (and a partial last one) the counts must still be exactly
        // those of the same draws counted in order.
        for n in [
            RESAMPLE_BUCKET_ROWS + 1,
            RESAMPLE_BLOCK + RESAMPLE_BLOCK / 3 + 7,
        ] {
            let got = resample_counts(n, &mut rng::stream(5, Purpose::Bootstrap, 1, 0));
            let mut r = rng::stream(5, Purpose::Bootstrap, 1, 0);
            let mut want = vec![0.0; n];
            for _ in 0..n {
                want[r.random_range(0..n)] += 1.0;
            }
            assert!(got == want, "n = {n}");
        }
    }
}
