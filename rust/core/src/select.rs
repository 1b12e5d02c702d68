//! Cross-validated choice of the number of components (ALGORITHM.md, step 2).

use std::str::FromStr;

use rand::RngExt;
use rayon::prelude::*;

use crate::bins::{Bins, Points};
use crate::control::Control;
use crate::diagnostics::{Warning, WarningKind};
use crate::em::{self, Data, EmOptions};
use crate::error::{Error, Result};
use crate::gmm::GaussianMixture;
use crate::init::{initialize, initialize_sorted, InitMethod};
use crate::rng::{self, Purpose};

/// The score that ranks numbers of components.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    /// Mean held-out log-likelihood per sample, averaged over folds (the default).
    Valid,
    /// Minus the Akaike information criterion of a refit on all the data.
    Aic,
    /// Minus the Bayesian information criterion of a refit on all the data.
    Bic,
}

impl Metric {
    /// The names of the metrics, as the `selection` option takes them.
    pub const NAMES: [&'static str; 3] = ["valid", "aic", "bic"];
}

impl FromStr for Metric {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "valid" => Ok(Metric::Valid),
            "aic" => Ok(Metric::Aic),
            "bic" => Ok(Metric::Bic),
            _ => Err(Error::arg(
                "selection",
                format!("unknown selection metric {s:?}; expected 'valid', 'aic' or 'bic'"),
            )),
        }
    }
}

/// Options of the component search, validated once by [`SelectOptions::validate`].
#[derive(Debug, Clone, PartialEq)]
pub struct SelectOptions {
    /// Initialisations tried per number of components.
    pub n_inits: usize,
    /// Cross-validation folds (on `n` rows, [`Folds::for_rows`]).
    pub n_folds: Folds,
    /// How many consecutive non-improving K end the search.
    pub patience: Patience,
    /// Minimal improvement of the metric that counts.
    pub threshold: f64,
    /// Largest K tried.
    pub max_components: usize,
    /// A fixed K: skip the search.
    pub fixed_components: Option<usize>,
    /// The ranking metric.
    pub metric: Metric,
    /// The initialisation strategy.
    pub init: InitMethod,
    /// Scale for the `random`, `minmax` and `randomized_kmeans` initialisations.
    pub scale: Option<f64>,
    /// Whether the starts of a K are compared on screening fits (EM to
    /// [`crate::bootstrap::SCREEN_FACTOR`] times the tolerance, at most
    /// [`crate::bootstrap::SCREEN_MAX_ITER`] iterations) and only the best start's fits are
    /// run on to the full tolerance (gmmi's default); `false`: every start's fits are run to
    /// the full tolerance (the published method). The starts of one K mostly end at the same
    /// optimum or at optima whose held-out scores differ by far more than the screening
    /// tolerance; the last, slow iterations of the starts that lose are skipped.
    pub screen_starts: bool,
}

/// How many cross-validation folds the component search splits its rows into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Folds {
    /// This many (the published method: 2).
    Fixed(usize),
    /// gmmi's default: [`AUTO_SMALL_FOLDS`] folds on fewer than [`AUTO_FOLDS_ROWS`] rows,
    /// 2 from there on (see [`AUTO_FOLDS_ROWS`]).
    Auto,
}

/// Below this many rows [`Folds::Auto`] uses [`AUTO_SMALL_FOLDS`] folds instead of 2.
///
/// With two folds each K is fitted on half the rows, and held-out likelihood then chooses
/// the K that half the data support. At a few hundred rows that is a component or two fewer
/// than all the rows support, and where the mixture only approximates the density (sharp
/// edges, heavy tails, skewed margins) a component fewer is MI lost, while the bootstrap,
/// whose resamples have the same shape, cannot see it. Five folds fit on 80% of the rows.
/// Measured at n = 200 and 500 (`benches/accuracy.py --sizes 200,500`, 10 data sets per
/// task and n; looked at first on one set of data seeds, then checked on a second and on
/// the held-out tasks): coverage of the 95% intervals 814 -> 827 and 812 -> 825 of the
/// suite's 860 estimates, 491 -> 523 of the held-out tasks' 620, mean absolute errors lower
/// (see the Measurements page). Five folds cost four times the EM work of two per K
/// searched (four fits on 80% of the rows instead of two on half): 1.33-1.36x the time of
/// those runs, by task up to 4.6x on the suite and 7.9x on 5+5 columns of t data at
/// n = 200 (0.16 -> 1.25 s an estimate); below 1,000 rows that is at most the work two
/// folds do on 4,000 rows. At n = 1,000 the same change cost 2.1-2.4x for 6 more intervals
/// of 430 (suite) and of 310 (held-out tasks), so from 1,000 rows on two folds are kept.
pub const AUTO_FOLDS_ROWS: usize = 1_000;

/// The folds of [`Folds::Auto`] below [`AUTO_FOLDS_ROWS`] rows.
pub const AUTO_SMALL_FOLDS: usize = 5;

impl Folds {
    /// The number of folds on `n` rows: the fixed number, or for [`Folds::Auto`]
    /// [`AUTO_SMALL_FOLDS`] (at most `n`, at least 2) below [`AUTO_FOLDS_ROWS`] rows and 2
    /// from there on.
    pub fn for_rows(self, n: usize) -> usize {
        match self {
            Folds::Fixed(k) => k,
            Folds::Auto if n < AUTO_FOLDS_ROWS => AUTO_SMALL_FOLDS.min(n).max(2),
            Folds::Auto => 2,
        }
    }

    /// The training rows of the smallest training split of `n` rows in these folds (0 when
    /// there are fewer rows than folds).
    pub fn training_rows(self, n: usize) -> usize {
        let k = self.for_rows(n);
        if n < k {
            0
        } else {
            n - n.div_ceil(k)
        }
    }

    /// The fewest rows whose folds ([`Folds::for_rows`]) each leave at least `needed`
    /// training rows.
    pub fn min_rows(self, needed: usize) -> usize {
        match self {
            Folds::Fixed(k) => (needed * k).div_ceil(k - 1).max(k),
            // Two folds of 2 needed rows always fit, so the search ends.
            Folds::Auto => (2..)
                .find(|&m| self.training_rows(m) >= needed)
                .expect("2 * needed rows in 2 folds fit"),
        }
    }
}

/// The least patience of gmmi's search: it goes on past two non-improving K. On densities a
/// mixture only approximates (heavy tails, sharp edges) the held-out score creeps up with K
/// in steps smaller than its noise, and a search that stops at the first dip keeps too few
/// components for the MI (multivariate t, nu = 1, 3+3 at n = 5,000: mean |error| 0.177 nat
/// with patience 1, 0.077 with 2 on the calibration suite; mixtures and Gaussians: the same
/// K and estimates).
pub const GMMI_PATIENCE: usize = 2;

/// [`Patience::Auto`] waits for `ceil(K_best / AUTO_PATIENCE_DIVISOR)` non-improving K once
/// that exceeds [`GMMI_PATIENCE`] (from `K_best = 5` on).
///
/// Where the best K is large the density is not a small mixture (sharp edges, heavy tails,
/// skewed margins), and there the held-out curve climbs in plateaus whose length grows with
/// K, and dips where EM at some K settled in a poor optimum (with three starts per K, more
/// often the larger K is): on additive uniform noise at n = 5,000 it has flat stretches of
/// 2-4 K between K = 10 and 25 while the MI of the fitted mixture keeps rising to the truth.
/// A fixed patience of 2 stopped at K of 10-17 there; waiting a third of the best K (gmmi's
/// rule from session 8 to 19) reached 19-26 on most data sets, but still stopped at K = 9,
/// 13 and 17 on three of them after a dip of three or four K (`unoise-e0.1`, n = 5,000: the
/// held-out score per row -0.9807 at K = 9, -1.0002 / -0.9829 / -0.9875 at K = 10-12, then
/// -0.9528 at K = 23, where the estimate is 1.691 +- 0.015 against 1.674 +- 0.010 at K = 9
/// for a truth of 1.709). Waiting half the best K: on the calibration suite's committed
/// seeds, uniform-noise coverage 54 -> 57 of 60, every other family equal (742 -> 745 of
/// 780); on held-out data sets (`--seed-offset 5000`, the same code with a third as the
/// baseline, both run that day) 798 -> 802 of 860 (uniform noise 52 -> 54, Student t
/// 153 -> 155, no family lower; 34 estimates changed). The cost: the search runs one or two
/// K more wherever the best K is 5 or more, even when the choice does not change: on
/// `benches/benchmark.py`'s cases (every estimate the same) D5 at n = 1,000 +14% time, at
/// n = 10,000 +20-30%, the gamma-exponential +15%; the suite +10%.
pub const AUTO_PATIENCE_DIVISOR: usize = 2;

/// The bootstrap window of [`Neighbours::Auto`]: `ceil(K / AUTO_WINDOW_DIVISOR)` K either
/// side of the selected K (at least one).
pub const AUTO_WINDOW_DIVISOR: usize = 3;

/// When the component search stops: after how many consecutive K that do not improve on the
/// best metric so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Patience {
    /// After this many (the published method: 1).
    Fixed(usize),
    /// gmmi's default: after `max(GMMI_PATIENCE, ceil(K_best / AUTO_PATIENCE_DIVISOR))`, with
    /// `K_best` the best K so far (see [`AUTO_PATIENCE_DIVISOR`]).
    Auto,
}

impl Patience {
    /// How far past the best K so far, `k_best`, the search goes without improvement before
    /// it stops: the number of consecutive K for [`Patience::Fixed`] (which evaluates every
    /// K), the distance in K for [`Patience::Auto`] (whose grid, [`Patience::next_k`], is
    /// every K up to `2 AUTO_GRID_DIVISOR - 1`, where the two are the same).
    pub fn after(self, k_best: usize) -> usize {
        match self {
            Patience::Fixed(p) => p,
            Patience::Auto => GMMI_PATIENCE.max(k_best.div_ceil(AUTO_PATIENCE_DIVISOR)),
        }
    }

    /// The K the search evaluates after `k` (before the caps of `max_components` and the
    /// training-fold size): `k + 1` for [`Patience::Fixed`], the published search; for
    /// [`Patience::Auto`] `k + max(1, floor(k / AUTO_GRID_DIVISOR))`, see
    /// [`AUTO_GRID_DIVISOR`].
    pub fn next_k(self, k: usize) -> usize {
        match self {
            Patience::Fixed(_) => k + 1,
            Patience::Auto => k + (k / AUTO_GRID_DIVISOR).max(1),
        }
    }
}

/// The step of the [`Patience::Auto`] search beyond `K = 2 AUTO_GRID_DIVISOR - 1`:
/// `floor(K / AUTO_GRID_DIVISOR)`, so every K up to 15, then 16, 18, 20, 22, 24, 27, 30,
/// 33, 37, 41, 46 and 50.
///
/// Where the best K is that large the density is not a small mixture, the held-out score
/// is flat over stretches of K that grow with K (the reason for [`Patience::Auto`]), and the
/// bootstrap already treats every K within `ceil(K / 3)` of the selected one as a model the
/// data cannot reject, sampling two of them on each side ([`WINDOW_STEPS`]): a grid whose
/// spacing is an eighth of K resolves that window, and evaluating every K on it cost the
/// search most of its time (additive uniform noise at n = 5,000: K up to 32, 5.4 s of the
/// 14.9 s estimate; 3.3 s on the grid). The patience is measured in K, not in grid points,
/// so the search looks as far past the best K as before.
pub const AUTO_GRID_DIVISOR: usize = 8;

impl Default for SelectOptions {
    /// gmmi's defaults: the published search with starts that alternate k-means (greedy
    /// k-means++ with restarts) and random responsibilities (see [`InitMethod::Mixed`]),
    /// [`Patience::Auto`] and [`Folds::Auto`].
    fn default() -> Self {
        SelectOptions {
            init: InitMethod::Mixed,
            patience: Patience::Auto,
            n_folds: Folds::Auto,
            screen_starts: true,
            ..Self::published()
        }
    }
}

impl SelectOptions {
    /// The published method's defaults (Piras et al. 2023): 3 random-responsibility starts,
    /// 2 folds, patience 1, threshold 1e-5, up to 50 components, held-out likelihood.
    pub fn published() -> Self {
        SelectOptions {
            n_inits: 3,
            n_folds: Folds::Fixed(2),
            patience: Patience::Fixed(1),
            threshold: 1e-5,
            max_components: 50,
            fixed_components: None,
            metric: Metric::Valid,
            init: InitMethod::RandomSklearn,
            scale: None,
            screen_starts: false,
        }
    }
}

/// The most initialisations per K that [`SelectOptions::validate`] accepts.
pub const MAX_INITS: usize = 10_000;

impl SelectOptions {
    /// Checks the options against a data set of `n` rows in `d` dimensions: [`Self::check`]
    /// and the folds the data allow.
    pub fn validate(&self, n: usize, d: usize) -> Result<()> {
        self.check()?;
        let n_folds = self.n_folds.for_rows(n);
        if n_folds > n {
            return Err(Error::arg(
                "n_folds",
                format!("{n_folds} folds need at least as many rows; got {n}"),
            ));
        }
        // Every training split must hold more rows than dimensions (or a full covariance is
        // singular) and at least as many rows as components.
        let n_train = self.n_folds.training_rows(n);
        let k_needed = self.fixed_components.unwrap_or(1);
        let needed = k_needed.max(d + 1);
        if n_train < needed {
            let n_min = self.n_folds.min_rows(needed);
            // The components asked for, rather than the data, set the need.
            let (culprit, fix) = if k_needed > d + 1 {
                ("n_components", "fix fewer components or provide more data")
            } else {
                ("x", "provide more data")
            };
            return Err(Error::arg(
                culprit,
                format!(
                    "{n} rows leave {n_train} training rows per cross-validation fold; fitting \
                     {k_needed} component(s) with full covariances in {d} dimensions needs at \
                     least {needed} (at least {n_min} rows with n_folds={}): {fix}",
                    self.n_folds.for_rows(n_min)
                ),
            ));
        }
        Ok(())
    }

    /// Checks every bound that does not depend on the data, naming the offending option
    /// (the one place these bounds are written; Python reads them through the options).
    pub fn check(&self) -> Result<()> {
        if self.n_inits == 0 {
            return Err(Error::arg("n_inits", "must be at least 1"));
        }
        if self.n_inits > MAX_INITS {
            return Err(Error::arg(
                "n_inits",
                format!(
                    "must be at most {MAX_INITS} (got {}): every initialisation is a full EM \
                     fit per fold and is held in memory while a K is evaluated",
                    self.n_inits
                ),
            ));
        }
        if matches!(self.n_folds, Folds::Fixed(k) if k < 2) {
            return Err(Error::arg("n_folds", "must be at least 2"));
        }
        if self.patience == Patience::Fixed(0) {
            return Err(Error::arg("patience", "must be at least 1"));
        }
        if !(self.threshold.is_finite() && self.threshold >= 0.0) {
            return Err(Error::arg(
                "threshold_components",
                "must be finite and non-negative",
            ));
        }
        if self.max_components == 0 {
            return Err(Error::arg("max_components", "must be at least 1"));
        }
        if let Some(k) = self.fixed_components {
            if k == 0 {
                return Err(Error::arg("n_components", "must be at least 1"));
            }
        }
        if let Some(s) = self.scale {
            if !(s.is_finite() && s > 0.0) {
                return Err(Error::arg("scale", "must be a finite positive number"));
            }
        }
        Ok(())
    }
}

/// What was recorded for one number of components.
#[derive(Debug, Clone)]
pub struct KRecord {
    /// Number of components.
    pub k: usize,
    /// Metric value (higher is better; `-inf` when every fit failed).
    pub metric: f64,
    /// Index of the best initialisation.
    pub best_init: usize,
    /// Held-out score of every (init, fold) fit, row-major `n_inits x n_folds`
    /// (`-inf` for a fit that failed numerically). With
    /// [`SelectOptions::screen_starts`] and several distinct starts, the fits of every
    /// start but the best are the screening fits the starts were compared on.
    pub fold_scores: Vec<f64>,
    /// EM iterations of every (init, fold) fit (the best start's: both stages).
    pub n_iter: Vec<usize>,
    /// Convergence flag of every (init, fold) fit (a screening fit's: to its tolerance).
    pub converged: Vec<bool>,
    /// Warm-start parameters of this K (the best init's best fold), if any fit succeeded.
    pub warm_start: Option<GaussianMixture>,
    /// The best initialisation's model of every fold (`None` where that fit failed), kept
    /// for the selected K only (empty for the others): with the folds they give every
    /// row's held-out log-density ([`Selection::held_out_log_density`]).
    pub fold_models: Vec<Option<GaussianMixture>>,
}

impl KRecord {
    /// The fold this K's warm start was validated on: the best initialisation's fold with
    /// the highest held-out score (ties: the first), as chosen by the search.
    pub fn best_fold(&self, n_folds: usize) -> usize {
        let row = &self.fold_scores[self.best_init * n_folds..(self.best_init + 1) * n_folds];
        (0..n_folds)
            .max_by(|&a, &b| row[a].total_cmp(&row[b]).then(b.cmp(&a)))
            .unwrap_or(0)
    }
}

/// The outcome of the component search.
#[derive(Debug, Clone)]
pub struct Selection {
    /// One record per K tried, in order.
    pub records: Vec<KRecord>,
    /// The selected number of components.
    pub k: usize,
    /// Warm-start parameters of the selected K.
    pub warm_start: GaussianMixture,
    /// Warnings for the user.
    pub warnings: Vec<Warning>,
    /// For every record (in order), the standard error of the difference between its
    /// metric and the selected K's: the standard deviation over the rows of the selected
    /// warm start's validation fold of the difference of the two warm starts' log-densities,
    /// divided by the square root of their number (for `aic` / `bic`, in those units: times
    /// `2 n`); NaN for the selected K and for a K without a fit. The noise scale for
    /// comparing neighbouring K: the two scores are computed on largely the same rows, so
    /// the paired difference is far less noisy than either score.
    pub metric_se: Vec<f64>,
    /// The seed the folds were drawn with ([`make_folds`]).
    pub fold_seed: u64,
}

/// A neighbouring K enters the bootstrap's re-choice only when its metric is within this
/// many standard errors ([`Selection::metric_se`]) of the selected K's: a K the held-out
/// data reject by more than that would rarely be chosen on another data set from the same
/// source, and refitting it on every replicate would only add time and the occasional
/// degenerate refit.
pub const NEIGHBOUR_SE: f64 = 3.0;

/// How far from the selected K a bootstrap replicate may re-choose the number of components
/// (see [`Selection::neighbours_within`]).
///
/// Where a mixture fits, the selected K is clear and its neighbours K +/- 1 are the K the
/// data might have chosen instead. Where it only approximates the density (sharp edges,
/// heavy tails) the held-out score is flat over a stretch of K that grows with K, and the
/// MI of the fitted mixture changes along it (on additive uniform noise it rises towards
/// the truth): every K on that stretch is a model the data cannot reject, and their spread
/// of MI is part of the estimate's uncertainty (model averaging over the K the data do not
/// reject, the "Occam's window" of Madigan & Raftery 1994). On the calibration suite, a
/// window of `ceil(K / 3)` either side (with the [`NEIGHBOUR_SE`] rule) took the coverage of
/// the uniform-noise tasks from 37 to 44 of 60 and of the Student-t tasks from 150 to 153 of
/// 180, with every other family's coverage and, up to K = 3, every estimate unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Neighbours {
    /// At most this many K either side (0: refit at the selected K only, the published
    /// bootstrap).
    Fixed(usize),
    /// gmmi's default: `max(1, ceil(K / AUTO_WINDOW_DIVISOR))` either side of the selected
    /// K: one up to K = 3, then a third of K, within the stretch the search itself waits
    /// through ([`Patience::Auto`], half the best K), so the K above the selected one were
    /// all searched.
    Auto,
}

impl Neighbours {
    /// The number of K either side of the selected K `k` that a replicate may choose.
    pub fn width(self, k: usize) -> usize {
        match self {
            Neighbours::Fixed(w) => w,
            Neighbours::Auto => k.div_ceil(AUTO_WINDOW_DIVISOR).max(1),
        }
    }

    /// At most how many K on each side of the selected K a replicate may choose: every K of
    /// a window fixed by the user; [`WINDOW_STEPS`] for `Auto` (see
    /// [`Selection::neighbours_within`]).
    pub fn per_side(self) -> usize {
        match self {
            Neighbours::Fixed(_) => usize::MAX,
            Neighbours::Auto => WINDOW_STEPS,
        }
    }
}

/// How many K on each side of the selected K the [`Neighbours::Auto`] window offers the
/// bootstrap at most: of the K on that side that the held-out data cannot reject, the
/// farthest and evenly spaced ones nearer (see [`Selection::neighbours_within`]).
///
/// A wide window is sampled, not enumerated: its K are models the held-out data cannot tell
/// apart, the MI of the fitted mixture changes smoothly along K, and the spread of the
/// replicates needs the window's ends and a point between, not every K. Each candidate is
/// refitted on every replicate, so enumerating a window of `2 ceil(K / 3) + 1` K made the
/// bootstrap's cost grow as K^2: on additive uniform noise at n = 5,000 (K = 19, up to 15
/// candidates) it was three quarters of the time of the estimate.
pub const WINDOW_STEPS: usize = 2;

impl Selection {
    /// The warm starts a bootstrap replicate chooses among under the window `window`: the
    /// selected K and the K of [`Selection::neighbours_within`] with the window's width and
    /// [`Neighbours::per_side`], within [`NEIGHBOUR_SE`] standard errors.
    pub fn bootstrap_candidates(&self, window: Neighbours) -> Vec<GaussianMixture> {
        self.neighbours_within(window.width(self.k), window.per_side(), NEIGHBOUR_SE)
    }

    /// Warm starts of the selected K and of its neighbours `K - width ..= K + width` that the
    /// search fitted, the selected K first, then by distance (smaller K first on a tie): the
    /// fallbacks when the selected K's fit fails.
    pub fn neighbours(&self, width: usize) -> Vec<GaussianMixture> {
        self.neighbours_within(width, usize::MAX, f64::INFINITY)
    }

    /// As [`Selection::neighbours`], keeping only the K whose metric is within `n_se`
    /// standard errors ([`Selection::metric_se`]) of the selected K's, and of those at most
    /// `per_side` on each side: the farthest and, nearer, the ones at evenly spaced ranks
    /// (`per_side` 2 keeps the farthest and the middle one). These are the candidates the
    /// bootstrap chooses among when it re-selects K on every replicate.
    pub fn neighbours_within(
        &self,
        width: usize,
        per_side: usize,
        n_se: f64,
    ) -> Vec<GaussianMixture> {
        let best = self
            .records
            .iter()
            .find(|r| r.k == self.k)
            .map_or(f64::NEG_INFINITY, |r| r.metric);
        let farthest = self
            .records
            .iter()
            .map(|r| r.k.abs_diff(self.k))
            .max()
            .unwrap_or(0);
        // The K on one side (by distance, nearest first) that the held-out data accept.
        let side = |below: bool| -> Vec<(usize, &GaussianMixture)> {
            let close: Vec<(usize, &GaussianMixture)> = (1..=width.min(farthest))
                .map_while(|step| {
                    if below {
                        self.k.checked_sub(step).filter(|&k| k >= 1)
                    } else {
                        self.k.checked_add(step)
                    }
                })
                .filter_map(|k| {
                    let i = self.records.iter().position(|r| r.k == k)?;
                    let r = &self.records[i];
                    let accepted =
                        n_se.is_infinite() || r.metric >= best - n_se * self.metric_se[i];
                    let g = r.warm_start.as_ref().filter(|_| accepted)?;
                    Some((k.abs_diff(self.k), g))
                })
                .collect();
            let m = close.len();
            if m <= per_side {
                return close;
            }
            // Ranks ceil(j m / per_side) - 1 for j = 1..=per_side: evenly spaced, ending at
            // the farthest.
            (1..=per_side)
                .map(|j| close[(j * m).div_ceil(per_side) - 1])
                .collect()
        };
        // Both sides merged by distance, the smaller K first on a tie.
        let mut near: Vec<(usize, bool, &GaussianMixture)> = side(true)
            .into_iter()
            .map(|(dist, g)| (dist, false, g))
            .chain(side(false).into_iter().map(|(dist, g)| (dist, true, g)))
            .collect();
        near.sort_by_key(|&(dist, above, _)| (dist, above));
        let mut out = vec![self.warm_start.clone()];
        out.extend(near.into_iter().map(|(_, _, g)| g.clone()));
        out
    }
}

impl Selection {
    /// Every row's held-out log-density under the selected K: row `i` of `x` (the rows the
    /// search ran on, row-major `n x d`) scored by the best initialisation's model of the
    /// fold that held it out. Their mean is the `valid` metric up to the weighting of
    /// unequal folds; the rows' spread is the noise of that metric, and two searches on the
    /// same rows with the same seed share their folds, so their per-row values pair. A row
    /// whose fold's fit failed is `-inf`.
    pub fn held_out_log_density(&self, x: &[f64], d: usize) -> Result<Vec<f64>> {
        let n = x.len() / d;
        let rec = self
            .records
            .iter()
            .find(|r| r.k == self.k)
            .expect("selected K was recorded");
        let mut out = vec![f64::NEG_INFINITY; n];
        let folds = make_folds(n, rec.fold_models.len(), self.fold_seed);
        for (rows, model) in folds.iter().zip(&rec.fold_models) {
            let Some(g) = model else { continue };
            let valid = gather(x, d, rows.iter().copied());
            for (&i, v) in rows.iter().zip(g.log_density(&valid)?) {
                out[i] = v;
            }
        }
        Ok(out)
    }
}

/// Shuffled fold assignment: `folds[f]` holds the row indices of fold `f`.
pub fn make_folds(n: usize, n_folds: usize, seed: u64) -> Vec<Vec<usize>> {
    let mut perm: Vec<usize> = (0..n).collect();
    let mut r = rng::stream(seed, Purpose::Folds, 0, 0);
    for i in (1..n).rev() {
        let j = r.random_range(0..=i);
        perm.swap(i, j);
    }
    let mut folds = Vec::with_capacity(n_folds);
    let mut start = 0;
    for f in 0..n_folds {
        let size = n / n_folds + usize::from(f < n % n_folds);
        folds.push(perm[start..start + size].to_vec());
        start += size;
    }
    folds
}

/// The rows `rows` of `x` (row-major, `d` columns), in that order.
pub(crate) fn gather(x: &[f64], d: usize, rows: impl Iterator<Item = usize>) -> Vec<f64> {
    let mut out = Vec::new();
    for i in rows {
        out.extend_from_slice(&x[i * d..(i + 1) * d]);
    }
    out
}

/// One (start, fold) fit of the search: its held-out score (`-inf` where it failed or
/// scored no finite value) and the fit (`None` where it failed numerically).
#[derive(Clone)]
struct FoldFit {
    score: f64,
    fit: Option<em::EmFit>,
}

impl FoldFit {
    /// The record of a fit that failed numerically.
    fn failed() -> Self {
        FoldFit {
            score: f64::NEG_INFINITY,
            fit: None,
        }
    }

    /// The record of `fit` (or of its numerical failure) scored on the held-out rows `valid`.
    fn scored(fit: Result<em::EmFit>, valid: &[f64]) -> Result<Self> {
        match fit {
            Ok(fit) => {
                let score = fit.model.score(valid)?;
                Ok(FoldFit {
                    score: if score.is_finite() {
                        score
                    } else {
                        f64::NEG_INFINITY
                    },
                    fit: Some(fit),
                })
            }
            Err(Error::Numerical(_)) => Ok(Self::failed()),
            Err(e) => Err(e),
        }
    }

    /// The fitted model, if the fit succeeded.
    fn model(&self) -> Option<&GaussianMixture> {
        self.fit.as_ref().map(|f| &f.model)
    }
}

/// Relative difference below which two starts are taken as the same (see the component search's start comparison):
/// k-means starts of one clustering from different seeds differ by a few thousandths of a
/// standard deviation where Lloyd stopped, and by about 1% on data sets large enough for
/// k-means to run on a random subset of rows; EM from starts this close ends at the same
/// optimum.
pub const SAME_START_TOL: f64 = 0.05;

/// Whether two starts are the same mixture up to [`SAME_START_TOL`]: the same components in
/// any order, weights equal to that fraction, means to that fraction of the component's
/// standard deviation, covariances to that fraction of the product of standard deviations
/// (scale-free). k-means starts from different seeds usually reach the same clustering,
/// up to the order of the components and where Lloyd stopped; EM from two such starts
/// converges to the same optimum, so the second is not refitted.
fn same_start(a: &GaussianMixture, b: &GaussianMixture) -> bool {
    let (k, d) = (a.n_components(), a.dim());
    if k != b.n_components() || d != b.dim() {
        return false;
    }
    let matches = |c: usize, e: usize| {
        let (wa, wb) = (a.weights()[c], b.weights()[e]);
        if (wa - wb).abs() > SAME_START_TOL * wa.max(wb) {
            return false;
        }
        let (ma, mb, sa, sb) = (a.mean(c), b.mean(e), a.covariance(c), b.covariance(e));
        let sd: Vec<f64> = (0..d)
            .map(|j| sa[j * d + j].max(sb[j * d + j]).sqrt())
            .collect();
        (0..d).all(|j| (ma[j] - mb[j]).abs() <= SAME_START_TOL * sd[j])
            && (0..d * d).all(|i| (sa[i] - sb[i]).abs() <= SAME_START_TOL * sd[i / d] * sd[i % d])
    };
    let mut used = vec![false; k];
    (0..k).all(|c| {
        let found = (0..k).find(|&e| !used[e] && matches(c, e));
        if let Some(e) = found {
            used[e] = true;
        }
        found.is_some()
    })
}

/// One cross-validation fold of the component search.
struct Split {
    /// Its training rows (row-major).
    train: Vec<f64>,
    /// Its held-out rows (row-major), scored as they are.
    valid: Vec<f64>,
    /// The training rows as EM fits them where the rows are binned ([`Bins`]): weighted
    /// points with the bins' moments. `None`: EM fits the rows themselves.
    binned: Option<Points>,
    /// What EM fits, laid out for the EM kernels ([`em::pack`]).
    packed: Option<crate::kernels::Packed>,
}

impl Split {
    /// The data EM fits for this fold: the binned points, or the training rows.
    fn fit_data(&self, d: usize) -> Data<'_> {
        match &self.binned {
            Some(p) => Data::weighted(&p.x, 1, &p.w),
            None => Data::new(&self.train, d),
        }
    }

    /// The number of training rows.
    fn n_train(&self, d: usize) -> usize {
        self.train.len() / d
    }
}

/// The cross-validation splits of the rows of `x` (row-major, `d` columns): the folds of
/// [`make_folds`] with `seed`, each fold's training data laid out for the EM kernels once,
/// for every K and start fitted on it; with `bins` (of the rows of `x`), each fold's
/// training rows binned into weighted points for EM.
fn make_splits(x: &[f64], d: usize, n_folds: usize, seed: u64, bins: Option<&Bins>) -> Vec<Split> {
    let folds = make_folds(x.len() / d, n_folds, seed);
    let mut fold_of = vec![0usize; if bins.is_some() { x.len() / d } else { 0 }];
    if bins.is_some() {
        for (f, rows) in folds.iter().enumerate() {
            for &i in rows {
                fold_of[i] = f;
            }
        }
    }
    (0..n_folds)
        .map(|f| {
            let train = gather(
                x,
                d,
                folds
                    .iter()
                    .enumerate()
                    .filter(|(g, _)| *g != f)
                    .flat_map(|(_, v)| v.iter().copied()),
            );
            let binned = bins.map(|b| b.compress(x, |i| f64::from(u8::from(fold_of[i] != f))));
            let mut split = Split {
                train,
                valid: gather(x, d, folds[f].iter().copied()),
                binned,
                packed: None,
            };
            split.packed = em::pack(&split.fit_data(d));
            split
        })
        .collect()
}

/// Evaluates one K: all (init, fold) fits in parallel.
#[allow(clippy::too_many_arguments)]
fn evaluate_k(
    x: &[f64],
    d: usize,
    k: usize,
    splits: &[Split],
    bins: Option<&Bins>,
    opts: &SelectOptions,
    em_opts: &EmOptions,
    seed: u64,
    ctrl: &Control,
) -> Result<(KRecord, Option<GaussianMixture>)> {
    let n_f = splits.len();
    let inits: Vec<Result<GaussianMixture>> = (0..opts.n_inits)
        .into_par_iter()
        .map(|r| {
            let mut g = rng::stream(seed, Purpose::Init, k as u64, r as u64);
            let sorted = bins.map(Bins::sorted);
            initialize_sorted(x, d, k, opts.init.for_start(r), opts.scale, sorted, &mut g)
        })
        .collect();
    // A start equal to an earlier one (k-means starts from different seeds usually reach
    // the same clustering; every start is the same at K = 1) gives the same fits: they are
    // copied instead of refitted.
    let same_as: Vec<Option<usize>> = (0..opts.n_inits)
        .map(|r| {
            (0..r).find(|&q| match (&inits[q], &inits[r]) {
                (Ok(a), Ok(b)) => same_start(a, b),
                _ => false,
            })
        })
        .collect();
    let tasks: Vec<usize> = (0..opts.n_inits * n_f)
        .filter(|t| same_as[t / n_f].is_none())
        .collect();
    // With several distinct starts and `screen_starts`, every (start, fold) fit is screened
    // and only the best start's are run on to the full tolerance (below).
    let staged = opts.screen_starts && tasks.len() > n_f;
    let first_opts = if staged {
        crate::bootstrap::screening(em_opts)
    } else {
        em_opts.clone()
    };
    let fitted: Vec<Result<FoldFit>> = tasks
        .par_iter()
        .map(|&t| {
            let (r, f) = (t / n_f, t % n_f);
            let init = match &inits[r] {
                Ok(g) => g,
                Err(Error::Numerical(_)) => {
                    ctrl.task_done();
                    return Ok(FoldFit::failed());
                }
                Err(e) => return Err(e.clone()),
            };
            let split = &splits[f];
            let res = em::fit_prepared(
                &split.fit_data(d),
                split.packed.as_ref(),
                None,
                init,
                &first_opts,
                Some(ctrl),
            );
            ctrl.task_done();
            FoldFit::scored(res, &split.valid)
        })
        .collect();
    let fitted: Vec<FoldFit> = fitted.into_iter().collect::<Result<_>>()?;
    let mut fits: Vec<Option<FoldFit>> = (0..opts.n_inits * n_f).map(|_| None).collect();
    for (&t, fit) in tasks.iter().zip(fitted) {
        fits[t] = Some(fit);
    }
    for r in 0..opts.n_inits {
        if let Some(q) = same_as[r] {
            for f in 0..n_f {
                fits[r * n_f + f] = fits[q * n_f + f].clone();
                ctrl.task_done();
            }
        }
    }
    let mut fits: Vec<FoldFit> = fits
        .into_iter()
        .map(|f| f.expect("every (start, fold) was fitted or copied"))
        .collect();
    let mean_score = |row: &[FoldFit]| row.iter().map(|f| f.score).sum::<f64>() / n_f as f64;
    let mut best_init = 0;
    let mut best_mean = f64::NEG_INFINITY;
    for r in 0..opts.n_inits {
        let m = mean_score(&fits[r * n_f..(r + 1) * n_f]);
        if m > best_mean {
            best_mean = m;
            best_init = r;
        }
    }
    if staged {
        // The best start's screened fits go on to the full tolerance; the metric is theirs.
        let row = &fits[best_init * n_f..(best_init + 1) * n_f];
        let continued: Vec<FoldFit> = row
            .par_iter()
            .zip(splits)
            .map(|(screened, split)| {
                let Some(earlier) = screened.fit.clone() else {
                    return Ok(screened.clone());
                };
                let res = em::continue_fit(
                    &split.fit_data(d),
                    split.packed.as_ref(),
                    earlier,
                    em_opts,
                    Some(ctrl),
                );
                FoldFit::scored(res, &split.valid)
            })
            .collect::<Result<_>>()?;
        // (the copies of the best start, never the best themselves, are left screened)
        fits.splice(best_init * n_f..(best_init + 1) * n_f, continued);
        best_mean = mean_score(&fits[best_init * n_f..(best_init + 1) * n_f]);
    }
    let row = &fits[best_init * n_f..(best_init + 1) * n_f];
    let best_fold = (0..n_f)
        .max_by(|&a, &b| row[a].score.total_cmp(&row[b].score).then(b.cmp(&a)))
        .unwrap_or(0);
    let warm = row[best_fold].model().cloned();
    let mut metric = best_mean;
    if let (Some(w), Metric::Aic | Metric::Bic) = (&warm, opts.metric) {
        metric = match em::fit(&Data::new(x, d), None, w, em_opts, Some(ctrl)) {
            Ok(full) => match opts.metric {
                Metric::Aic => -full.model.aic(x)?,
                _ => -full.model.bic(x)?,
            },
            Err(Error::Numerical(_)) => f64::NEG_INFINITY,
            Err(e) => return Err(e),
        };
    }
    let rec = KRecord {
        k,
        metric,
        best_init,
        fold_scores: fits.iter().map(|f| f.score).collect(),
        n_iter: fits
            .iter()
            .map(|f| f.fit.as_ref().map_or(0, |f| f.n_iter))
            .collect(),
        converged: fits
            .iter()
            .map(|f| f.fit.as_ref().is_some_and(|f| f.converged))
            .collect(),
        warm_start: warm.clone(),
        fold_models: row.iter().map(|f| f.model().cloned()).collect(),
    };
    Ok((rec, warm))
}

/// Fits stopped within this many EM iterations are taken as stalled at their start.
const STALLED_ITERATIONS: usize = 3;

/// A check of the published method's blind spot, which changes no result: when the search
/// stopped because every fit at the next K stalled at its start (random responsibilities
/// put all components at the data mean; with many rows or well-separated clusters EM can
/// stop there), the next K is refitted from a k-means start. If that scores better on the
/// held-out folds than the selected K, the selected K is likely too small and a warning
/// says so.
#[allow(clippy::too_many_arguments)]
fn stalled_stop_check(
    d: usize,
    k: usize,
    warm: &GaussianMixture,
    records: &[KRecord],
    splits: &[Split],
    opts: &SelectOptions,
    em_opts: &EmOptions,
    seed: u64,
    ctrl: &Control,
) -> Result<Option<Warning>> {
    if matches!(
        opts.init,
        InitMethod::Kmeans | InitMethod::KmeansSklearn | InitMethod::Mixed
    ) {
        return Ok(None);
    }
    let Some(next) = records.iter().find(|r| r.k == k + 1) else {
        return Ok(None);
    };
    // (fits cut short by `max_iter` did not stall)
    if !next.n_iter.iter().all(|&it| it <= STALLED_ITERATIONS) || !next.converged.iter().all(|&c| c)
    {
        return Ok(None);
    }
    // Compare on the fold the selected K's warm start was validated on, point by point, so
    // that only a gain well beyond the held-out noise counts.
    let selected = records
        .iter()
        .find(|r| r.k == k)
        .expect("selected K was recorded");
    let split = &splits[selected.best_fold(splits.len())];
    let valid = &split.valid;
    let mut g = rng::stream(seed, Purpose::Init, (k + 1) as u64, u64::MAX);
    let start = match initialize(&split.train, d, k + 1, InitMethod::Kmeans, None, &mut g) {
        Ok(s) => s,
        Err(Error::Numerical(_)) => return Ok(None),
        Err(e) => return Err(e),
    };
    let fitted = match em::fit_prepared(
        &split.fit_data(d),
        split.packed.as_ref(),
        None,
        &start,
        em_opts,
        Some(ctrl),
    ) {
        Ok(f) => f.model,
        Err(Error::Numerical(_)) => return Ok(None),
        Err(e) => return Err(e),
    };
    let (gain, se) =
        crate::stats::paired_difference(&fitted.log_density(valid)?, &warm.log_density(valid)?);
    // Three standard errors of the mean held-out gain: chance alone exceeds that 0.1% of
    // the time, where a stalled search leaves an obvious gain (0.17 nat per point on D5).
    Ok(
        (gain.is_finite() && gain > opts.threshold && gain > 3.0 * se).then(|| Warning {
            kind: WarningKind::ShortFits,
            message: format!(
                "the search stopped at K={k} because every fit at K={} stalled at its start \
                 (within {STALLED_ITERATIONS} EM iterations: with init='{}' all components \
                 start at the data mean), but a k-means start at K={} scores {gain:.4} nat \
                 per point higher on held-out data ({:.1} standard errors): the selected K is \
                 likely too small. Use init='kmeans'",
                k + 1,
                opts.init.name(),
                k + 1,
                gain / se
            ),
        }),
    )
}

/// Chooses the number of components for the rows of `x` (row-major `n x d`) and returns
/// the per-K records and the warm-start parameters of the chosen K.
///
/// K = 1, 2, ... are searched in order, on the grid of [`Patience::next_k`] (every K with
/// a fixed patience; with [`Patience::Auto`] every K up to 15, then steps of an eighth of
/// K); where the next K is searched whatever this one gives (it improves on the best so
/// far, or the search waits at least one more K: see [`Patience`]), the two are evaluated
/// at once. Every K's evaluation depends only on the
/// data, K and the seed, so the records and the choice are those of one K at a time, with
/// twice the fits to spread over the threads (each K has only `n_inits x n_folds` fits of
/// unequal length, and the k-means starts before them).
pub fn select(
    x: &[f64],
    d: usize,
    opts: &SelectOptions,
    em_opts: &EmOptions,
    seed: u64,
    ctrl: &Control,
) -> Result<Selection> {
    select_binned(x, d, None, opts, em_opts, seed, ctrl)
}

/// [`select`] with EM fitted to each fold's training rows binned by `bins` (the bins of the
/// rows of `x`: see [`crate::bins`]); starts and held-out scores use the rows as they are.
pub fn select_binned(
    x: &[f64],
    d: usize,
    bins: Option<&Bins>,
    opts: &SelectOptions,
    em_opts: &EmOptions,
    seed: u64,
    ctrl: &Control,
) -> Result<Selection> {
    let n = x.len() / d;
    opts.validate(n, d)?;
    em_opts.validate()?;
    let n_folds = opts.n_folds.for_rows(n);
    let splits = make_splits(x, d, n_folds, seed, bins);
    let n_train_min = splits.iter().map(|s| s.n_train(d)).min().unwrap_or(0);
    let mut warnings = Vec::new();
    // The K searched run from `first` to `last` on the grid of `opts.patience`, one at a
    // time (`max_components` may be far above what the data allow: the search stops at the
    // training-fold size anyway).
    let (first, last) = match opts.fixed_components {
        Some(k) => (k, k),
        None => (1, opts.max_components),
    };
    let mut records = Vec::new();
    let mut best: Option<(f64, usize, GaussianMixture)> = None;
    let mut stopped = opts.fixed_components.is_some();
    let evaluate = |k: usize| {
        ctrl.add_total((opts.n_inits * n_folds) as u64);
        evaluate_k(x, d, k, &splits, bins, opts, em_opts, seed, ctrl)
    };
    // The K after `k`: the grid's next, but not past `last`, nor past the training-fold size
    // while `k` is below it (so that the largest K the folds allow is searched).
    let next_of = |k: usize| {
        let next = opts.patience.next_k(k).min(last);
        if k < n_train_min {
            next.min(n_train_min)
        } else {
            next
        }
    };
    // The evaluation of the next K, when it ran beside this one.
    let mut ahead = None;
    let mut k = first;
    loop {
        if k > n_train_min {
            let searched = records.last().map_or(0, |r: &KRecord| r.k);
            warnings.push(Warning {
                kind: WarningKind::TooFewRows,
                message: format!(
                    "the search stopped at K={searched} because a training fold has only \
                     {n_train_min} rows"
                ),
            });
            stopped = true;
            break;
        }
        let next = next_of(k);
        // Whether the next K is searched whatever K gives (see [`select`]): then both are
        // evaluated at once.
        let next_is_certain = opts.fixed_components.is_none()
            && k < last
            && k < n_train_min
            && best
                .as_ref()
                .is_none_or(|(_, k_best, _)| k - k_best < opts.patience.after(*k_best));
        let (rec, warm) = match ahead.take() {
            Some(evaluated) => evaluated?,
            None if next_is_certain => {
                let (this, then) = rayon::join(|| evaluate(k), || evaluate(next));
                ahead = Some(then);
                this?
            }
            None => evaluate(k)?,
        };
        let metric = rec.metric;
        records.push(rec);
        let improved = match &best {
            None => warm.is_some(),
            Some((b, _, _)) => warm.is_some() && metric > b + opts.threshold,
        };
        if improved {
            best = Some((metric, k, warm.expect("checked above")));
        } else if let Some((_, k_best, _)) = &best {
            // Every K up to here was searched (the grid's step is 1 there) or the patience
            // is measured in K: either way, `k - k_best` K past the best without a gain.
            if k - k_best >= opts.patience.after(*k_best) {
                stopped = true;
                break;
            }
        }
        if k >= last {
            break;
        }
        k = next;
    }
    // The search ran out of K before its patience did: a limit that matters only where the
    // best K is the last one searched (the metric still improving there); a best K below
    // it means the metric had stopped improving within the range. With a single K searched
    // (max_components = 1, say) nothing was compared, and nothing was still improving.
    let best_is_last = records.len() > 1
        && matches!((&best, records.last()), (Some((_, k_best, _)), Some(r)) if *k_best == r.k);
    if !stopped && best_is_last {
        warnings.push(Warning {
            kind: WarningKind::MaxComponents,
            message: format!(
                "the metric was still improving at max_components={}; the selected K may be \
                 too small: raise max_components",
                opts.max_components
            ),
        });
    }
    let (_, k, warm_start) = best.ok_or_else(|| match opts.scale {
        // The starts a user's scale places (far from every row, each component's
        // responsibilities vanish) are the likelier cause than the data.
        Some(s) if opts.init.uses_scale() => Error::arg(
            "scale",
            format!(
                "every cross-validation fit failed from the starts scale={s:e} gives with \
                 init='{}' (components placed where no rows are collapse); use a smaller \
                 scale, or leave it unset",
                opts.init.name()
            ),
        ),
        _ => Error::Numerical(
            "every cross-validation fit failed (covariances became singular); the data may be \
             degenerate (duplicated or discrete values): increase reg_covar (e.g. 1e-6)"
                .into(),
        ),
    })?;
    let rec = records
        .iter()
        .find(|r| r.k == k)
        .expect("selected K was recorded");
    // One component converges in one step from any start: only K > 1 can stall. Fits cut
    // short by `max_iter` did not stall (a convergence warning says so).
    if k > 1 && rec.n_iter.iter().all(|&it| it <= 2) && rec.converged.iter().all(|&c| c) {
        let why = match opts.init {
            InitMethod::RandomSklearn => {
                "with init='random_sklearn' every component starts at the data mean (the \
                 more rows, the closer) and EM can stop there; use init='kmeans' or a \
                 smaller threshold_fit"
                    .to_string()
            }
            other => format!(
                "EM stopped next to the starts of init='{}'; use a smaller threshold_fit or \
                 another init",
                other.name()
            ),
        };
        warnings.push(Warning {
            kind: WarningKind::ShortFits,
            message: format!(
                "every cross-validation fit at K={k} stopped within 2 EM iterations, a sign of a \
                 bad fit: {why}"
            ),
        });
    }
    warnings.extend(stalled_stop_check(
        d,
        k,
        &warm_start,
        &records,
        &splits,
        opts,
        em_opts,
        seed,
        ctrl,
    )?);
    let unconverged: usize = records
        .iter()
        .map(|r| {
            r.converged
                .iter()
                .zip(&r.n_iter)
                .filter(|(c, it)| !**c && **it >= em_opts.max_iter)
                .count()
        })
        .sum();
    if unconverged > 0 {
        warnings.push(Warning {
            kind: WarningKind::NotConverged,
            message: format!(
                "{unconverged} cross-validation fit(s) reached max_iter={} before converging; \
                 raise max_iter or threshold_fit",
                em_opts.max_iter
            ),
        });
    }
    let metric_se = metric_standard_errors(&records, rec, &warm_start, &splits, opts.metric, n)?;
    for r in records.iter_mut().filter(|r| r.k != k) {
        r.fold_models = Vec::new();
    }
    Ok(Selection {
        records,
        k,
        warm_start,
        warnings,
        metric_se,
        fold_seed: seed,
    })
}

/// See [`Selection::metric_se`].
fn metric_standard_errors(
    records: &[KRecord],
    rec: &KRecord,
    warm: &GaussianMixture,
    splits: &[Split],
    metric: Metric,
    n: usize,
) -> Result<Vec<f64>> {
    let valid = &splits[rec.best_fold(splits.len())].valid;
    let base = warm.log_density(valid)?;
    let scale = match metric {
        Metric::Valid => 1.0,
        Metric::Aic | Metric::Bic => 2.0 * n as f64,
    };
    records
        .iter()
        .map(|r| match &r.warm_start {
            Some(g) if r.k != rec.k => {
                let se = scale * crate::stats::paired_difference(&base, &g.log_density(valid)?).1;
                Ok(if se.is_finite() { se } else { f64::INFINITY })
            }
            _ => Ok(f64::NAN),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn three_blobs() -> GaussianMixture {
        GaussianMixture::new(
            2,
            vec![0.4, 0.35, 0.25],
            vec![-4.0, 0.0, 4.0, 4.0, 4.0, -4.0],
            vec![1.0, 0.3, 0.3, 1.0, 0.5, 0.0, 0.0, 1.0, 1.0, -0.4, -0.4, 0.6],
        )
        .unwrap()
    }

    #[test]
    fn folds_partition_the_rows() {
        let folds = make_folds(11, 3, 5);
        assert_eq!(
            folds.iter().map(Vec::len).collect::<Vec<_>>(),
            vec![4, 4, 3]
        );
        let mut all: Vec<usize> = folds.concat();
        all.sort();
        assert_eq!(all, (0..11).collect::<Vec<_>>());
    }

    #[test]
    fn finds_three_well_separated_components() {
        let (x, _) = three_blobs().sample(1500, 4);
        let ctrl = Control::new();
        for metric in [Metric::Valid, Metric::Aic, Metric::Bic] {
            let opts = SelectOptions {
                metric,
                ..Default::default()
            };
            let s = select(&x, 2, &opts, &EmOptions::default(), 1, &ctrl).unwrap();
            assert_eq!(
                s.k,
                3,
                "{metric:?}: {:?}",
                s.records.iter().map(|r| r.metric).collect::<Vec<_>>()
            );
            // The search stops after `patience` non-improving K (2 for K = 3).
            assert_eq!(s.records.len(), 3 + opts.patience.after(3));
            assert_eq!(opts.patience.after(3), GMMI_PATIENCE);
            assert_eq!(s.records[0].fold_scores.len(), 6);
        }
    }

    #[test]
    fn screened_starts_run_only_the_best_start_to_the_full_tolerance() {
        // Three blobs, 1,500 rows, every start run to the full tolerance (the published
        // search) or the starts compared on screening fits (gmmi's): the same K. The
        // screened starts follow the same EM path as their full fits and stop earlier (a
        // looser tolerance on the same gains), so no record has more iterations there; the
        // best start's fits go on to the full tolerance and converge to the same optimum,
        // so its metric matches the full search's to well within the search's threshold.
        let (x, _) = three_blobs().sample(1500, 4);
        let (em, ctrl) = (EmOptions::default(), Control::new());
        assert!(SelectOptions::default().screen_starts);
        assert!(!SelectOptions::published().screen_starts);
        let full_opts = SelectOptions {
            screen_starts: false,
            ..Default::default()
        };
        let full = select(&x, 2, &full_opts, &em, 1, &ctrl).unwrap();
        let screened = select(&x, 2, &SelectOptions::default(), &em, 1, &ctrl).unwrap();
        assert_eq!(
            (screened.k, screened.records.len()),
            (full.k, full.records.len())
        );
        let n_f = 2;
        let (mut it_full, mut it_screened) = (0, 0);
        for (a, b) in full.records.iter().zip(&screened.records) {
            assert_eq!((a.k, a.best_init), (b.k, b.best_init), "K = {}", a.k);
            // (a tenth of the search's threshold, 1e-5 a row: 7e-14 seen)
            let tol = SelectOptions::default().threshold / 10.0;
            assert!(
                (a.metric - b.metric).abs() < tol,
                "K = {}: {} vs {}",
                a.k,
                a.metric,
                b.metric
            );
            for r in 0..3 {
                for f in 0..n_f {
                    let i = r * n_f + f;
                    if r == b.best_init {
                        assert!(b.converged[i], "K = {}, start {r}, fold {f}", b.k);
                    } else {
                        assert!(b.n_iter[i] <= a.n_iter[i], "K = {}, start {r}", b.k);
                    }
                }
            }
            it_full += a.n_iter.iter().sum::<usize>();
            it_screened += b.n_iter.iter().sum::<usize>();
        }
        // (470 against 922 iterations seen)
        assert!(
            it_screened < it_full,
            "{it_screened} vs {it_full} iterations"
        );
    }

    #[test]
    fn held_out_log_densities_average_to_the_metric() {
        // 1500 rows in 2 folds of 750: the `valid` metric is the mean of the two folds' mean
        // held-out log-densities, which equals the mean over all rows of each row's held-out
        // log-density (equal folds), up to rounding.
        let (x, _) = three_blobs().sample(1500, 4);
        let ctrl = Control::new();
        let s = select(
            &x,
            2,
            &SelectOptions::default(),
            &EmOptions::default(),
            1,
            &ctrl,
        )
        .unwrap();
        let h = s.held_out_log_density(&x, 2).unwrap();
        assert_eq!(h.len(), 1500);
        let mean = h.iter().sum::<f64>() / h.len() as f64;
        let rec = s.records.iter().find(|r| r.k == s.k).unwrap();
        assert!((mean - rec.metric).abs() < 1e-12, "{mean} {}", rec.metric);
        // Only the selected K keeps its fold models.
        assert!(s
            .records
            .iter()
            .all(|r| r.fold_models.is_empty() == (r.k != s.k)));
    }

    #[test]
    fn a_stop_caused_by_stalled_fits_is_flagged() {
        // D5 of the paper at n = 100,000: random responsibilities start every component at
        // the data mean, with this many rows EM stalls there at K=3 and the published
        // search keeps K=2 (truth: 5). The check refits K=3 from k-means, finds it better on
        // held-out data and warns.
        let d5 = GaussianMixture::new(
            2,
            vec![0.2, 0.35, 0.15, 0.12, 0.18],
            vec![-1.0, 1.0, 0.0, 2.0, -1.5, 2.0, 2.0, 1.0, -0.25, 0.0],
            vec![
                1.0, 0.0, 0.0, 0.1, 0.5, 0.2, 0.2, 0.5, 0.1, 0.05, 0.05, 0.1, 0.5, -0.1, -0.1, 0.9,
                0.2, -0.05, -0.05, 0.1,
            ],
        )
        .unwrap();
        let (x, _) = d5.sample(100_000, 1);
        let ctrl = Control::new();
        let s = select(
            &x,
            2,
            &SelectOptions::published(),
            &EmOptions::default(),
            0,
            &ctrl,
        )
        .unwrap();
        assert!(
            s.k < 5,
            "the published search did not stall here (K={})",
            s.k
        );
        assert!(
            s.warnings.iter().any(|w| w.kind == WarningKind::ShortFits),
            "K={} without a warning",
            s.k
        );
        // A single Gaussian: the stalled K=2 fits are right to lose; no warning.
        let g =
            GaussianMixture::new(2, vec![1.0], vec![0.0, 0.0], vec![1.0, 0.6, 0.6, 1.0]).unwrap();
        let (y, _) = g.sample(20_000, 5);
        let s = select(
            &y,
            2,
            &SelectOptions::published(),
            &EmOptions::default(),
            1,
            &ctrl,
        )
        .unwrap();
        assert_eq!(s.k, 1);
        assert!(
            s.warnings.iter().all(|w| w.kind != WarningKind::ShortFits),
            "{:?}",
            s.warnings
        );
    }

    #[test]
    fn fits_cut_short_by_max_iter_are_not_called_stalled_and_the_init_is_named() {
        let (x, _) = three_blobs().sample(3_000, 2);
        let ctrl = Control::new();
        // Two iterations at most: every fit stops there unconverged, which the convergence
        // count reports; "stopped within 2 EM iterations" would blame the starts.
        let short = EmOptions {
            max_iter: 2,
            ..EmOptions::default()
        };
        for opts in [SelectOptions::default(), SelectOptions::published()] {
            let s = select(&x, 2, &opts, &short, 0, &ctrl).unwrap();
            assert!(
                s.warnings.iter().all(|w| w.kind != WarningKind::ShortFits),
                "{:?}",
                s.warnings
            );
        }
        // Converged fits that stopped within two iterations name the init used: here a
        // tolerance so loose that EM stops at once, from gmmi's mixed starts (unscreened: a
        // screened start's run-on adds an iteration).
        let loose = EmOptions {
            threshold: 1e3,
            ..EmOptions::default()
        };
        let opts = SelectOptions {
            screen_starts: false,
            ..SelectOptions::default()
        };
        let s = select(&x, 2, &opts, &loose, 0, &ctrl).unwrap();
        let short_fits: Vec<&str> = s
            .warnings
            .iter()
            .filter(|w| w.kind == WarningKind::ShortFits)
            .map(|w| w.message.as_str())
            .collect();
        assert!(s.k > 1, "K = {}", s.k);
        assert!(
            short_fits.len() == 1 && short_fits[0].contains("init='mixed'"),
            "{short_fits:?}"
        );
        assert!(!short_fits[0].contains("random_sklearn"), "{short_fits:?}");
    }

    #[test]
    fn auto_patience_is_two_up_to_four_components_then_half_the_best_k() {
        for k in 1..=4 {
            assert_eq!(Patience::Auto.after(k), GMMI_PATIENCE, "K_best = {k}");
        }
        let waits: Vec<usize> = (5..=13).map(|k| Patience::Auto.after(k)).collect();
        assert_eq!(waits, vec![3, 3, 4, 4, 5, 5, 6, 6, 7]);
        assert_eq!(Patience::Fixed(1).after(20), 1);
        assert_eq!(SelectOptions::published().patience, Patience::Fixed(1));
        assert_eq!(SelectOptions::default().patience, Patience::Auto);
        let zero = SelectOptions {
            patience: Patience::Fixed(0),
            ..Default::default()
        };
        assert!(matches!(
            zero.validate(100, 2),
            Err(Error::InvalidArgument { arg, .. }) if arg == "patience"
        ));
    }

    #[test]
    fn the_auto_search_steps_by_an_eighth_of_k_beyond_fifteen() {
        let grid = |p: Patience| {
            let mut ks = vec![1];
            while *ks.last().unwrap() < 50 {
                ks.push(p.next_k(*ks.last().unwrap()).min(50));
            }
            ks
        };
        let mut expected: Vec<usize> = (1..=15).collect();
        expected.extend([16, 18, 20, 22, 24, 27, 30, 33, 37, 41, 46, 50]);
        assert_eq!(grid(Patience::Auto), expected);
        // The published search (a fixed patience) evaluates every K.
        assert_eq!(grid(Patience::Fixed(1)), (1..=50).collect::<Vec<_>>());
        // Where the grid's step is 1, "K past the best" is "consecutive K": the two rules
        // agree, so searches that stop below K = 16 are unchanged.
        assert!((1..15).all(|k| Patience::Auto.next_k(k) == k + 1));
    }

    #[test]
    fn a_search_past_fifteen_components_follows_the_grid_and_its_patience() {
        // Eighteen well-separated clusters in one dimension: K = 18 (a grid point) is
        // selected, K = 17 is never evaluated, and the search stops at the first grid point
        // at least ceil(18 / 2) = 9 K past it (27).
        let k_true = 18;
        let w = vec![1.0 / k_true as f64; k_true];
        let means: Vec<f64> = (0..k_true).map(|i| 12.0 * i as f64).collect();
        let g = GaussianMixture::new(1, w, means, vec![1.0; k_true]).unwrap();
        let (x, _) = g.sample(2400, 9);
        let opts = SelectOptions {
            init: InitMethod::Kmeans,
            ..Default::default()
        };
        let s = select(&x, 1, &opts, &EmOptions::default(), 3, &Control::new()).unwrap();
        let searched: Vec<usize> = s.records.iter().map(|r| r.k).collect();
        let mut expected: Vec<usize> = (1..=15).collect();
        expected.extend([16, 18, 20, 22, 24, 27]);
        assert_eq!(searched, expected);
        assert_eq!(s.k, k_true);
    }

    #[test]
    fn neighbours_are_the_k_the_held_out_data_cannot_reject() {
        // Three separated blobs: K = 3 is selected; K = 2 scores far worse (a blob merged
        // into another), so it is a fallback but not a bootstrap candidate; K = 4 splits a
        // Gaussian and scores about the same, so it is both.
        let (x, _) = three_blobs().sample(1500, 4);
        let opts = SelectOptions {
            patience: Patience::Fixed(1),
            ..Default::default()
        };
        let s = select(&x, 2, &opts, &EmOptions::default(), 1, &Control::new()).unwrap();
        assert_eq!(s.k, 3);
        let ks = |v: Vec<GaussianMixture>| {
            v.iter()
                .map(GaussianMixture::n_components)
                .collect::<Vec<_>>()
        };
        assert_eq!(ks(s.neighbours(1)), vec![3, 2, 4]);
        assert_eq!(ks(s.neighbours(usize::MAX)), vec![3, 2, 4, 1]);
        let within = ks(s.neighbours_within(1, usize::MAX, NEIGHBOUR_SE));
        assert_eq!(within[0], 3);
        assert!(!within.contains(&2), "{within:?}");
        // The paired standard errors are finite and positive for the other K, NaN for K.
        for (r, se) in s.records.iter().zip(&s.metric_se) {
            assert!(if r.k == 3 {
                se.is_nan()
            } else {
                *se > 0.0 && se.is_finite()
            });
        }
    }

    #[test]
    fn the_bootstrap_window_is_one_k_up_to_three_then_a_third_of_k() {
        for k in 1..=3 {
            assert_eq!(Neighbours::Auto.width(k), 1, "K = {k}");
        }
        let widths: Vec<usize> = (4..=12).map(|k| Neighbours::Auto.width(k)).collect();
        assert_eq!(widths, vec![2, 2, 2, 3, 3, 3, 4, 4, 4]);
        assert_eq!(Neighbours::Fixed(0).width(20), 0);
        // The search always fitted the K above the selected one that the window reaches:
        // it waits at least as many K as the window is wide.
        for k in 1..=60 {
            assert!(
                Patience::Auto.after(k) >= Neighbours::Auto.width(k),
                "K = {k}"
            );
        }
    }

    #[test]
    fn a_wider_window_adds_the_k_the_held_out_data_cannot_reject() {
        // Additive uniform noise (a parallelogram of constant density): the held-out score
        // climbs slowly over many K. The window of the selected K holds K either side up to
        // its width, and only K whose score is within NEIGHBOUR_SE standard errors.
        let mut r = <crate::rng::Rng as rand::SeedableRng>::seed_from_u64(3);
        let x: Vec<f64> = (0..3000)
            .flat_map(|_| {
                let u: f64 = r.random();
                let e: f64 = r.random::<f64>() * 0.2 - 0.1;
                [u, u + e]
            })
            .collect();
        let s = select(
            &x,
            2,
            &SelectOptions::default(),
            &EmOptions::default(),
            1,
            &Control::new(),
        )
        .unwrap();
        assert!(s.k >= 4, "K = {}", s.k);
        let ks = |v: Vec<GaussianMixture>| {
            v.iter()
                .map(GaussianMixture::n_components)
                .collect::<Vec<_>>()
        };
        let w = Neighbours::Auto.width(s.k);
        assert!(w >= 2);
        let wide = ks(s.neighbours_within(w, usize::MAX, NEIGHBOUR_SE));
        let narrow = ks(s.neighbours_within(1, usize::MAX, NEIGHBOUR_SE));
        assert_eq!(
            wide[..narrow.len()],
            narrow[..],
            "the window grows outwards"
        );
        for &k in &wide {
            assert!(
                k.abs_diff(s.k) <= w,
                "K = {k} outside the window of {}",
                s.k
            );
            let i = s.records.iter().position(|r| r.k == k).unwrap();
            let best = s.records.iter().find(|r| r.k == s.k).unwrap().metric;
            assert!(k == s.k || s.records[i].metric >= best - NEIGHBOUR_SE * s.metric_se[i]);
        }
        // Sampled to at most WINDOW_STEPS a side: the farthest accepted K on each side stays.
        let sampled = ks(s.neighbours_within(w, WINDOW_STEPS, NEIGHBOUR_SE));
        assert_eq!(sampled[0], s.k);
        for below in [true, false] {
            let on_side = |v: &[usize]| -> Vec<usize> {
                v.iter()
                    .copied()
                    .filter(|&k| k != s.k && (k < s.k) == below)
                    .collect()
            };
            let (all, kept) = (on_side(&wide), on_side(&sampled));
            assert!(kept.len() <= WINDOW_STEPS && kept.len() == all.len().min(WINDOW_STEPS));
            assert!(
                kept.iter().all(|k| all.contains(k)),
                "{kept:?} not in {all:?}"
            );
            assert_eq!(all.last(), kept.last(), "the farthest accepted K is kept");
        }
        assert!(wide.len() > narrow.len(), "{wide:?} vs {narrow:?}");
    }

    #[test]
    fn fixed_components_skips_the_search() {
        let (x, _) = three_blobs().sample(300, 4);
        let opts = SelectOptions {
            fixed_components: Some(2),
            ..Default::default()
        };
        let s = select(&x, 2, &opts, &EmOptions::default(), 1, &Control::new()).unwrap();
        assert_eq!(s.k, 2);
        assert_eq!(s.records.len(), 1);
        assert!(s
            .warnings
            .iter()
            .all(|w| w.kind != WarningKind::MaxComponents));
    }

    #[test]
    fn warns_when_max_components_is_reached() {
        let (x, _) = three_blobs().sample(600, 4);
        let opts = SelectOptions {
            max_components: 2,
            ..Default::default()
        };
        let s = select(&x, 2, &opts, &EmOptions::default(), 1, &Control::new()).unwrap();
        assert_eq!(s.k, 2);
        assert!(s
            .warnings
            .iter()
            .any(|w| w.kind == WarningKind::MaxComponents));
    }

    #[test]
    fn no_max_components_warning_when_the_metric_stopped_improving_below_it() {
        // One Gaussian blob: K = 2 scores below K = 1, so the search would stop there if its
        // patience allowed; max_components = 2 ends it first, with nothing left to find.
        let g =
            GaussianMixture::new(2, vec![1.0], vec![0.0, 0.0], vec![1.0, 0.5, 0.5, 1.0]).unwrap();
        let (x, _) = g.sample(600, 3);
        let opts = SelectOptions {
            max_components: 2,
            ..Default::default()
        };
        let s = select(&x, 2, &opts, &EmOptions::default(), 1, &Control::new()).unwrap();
        assert_eq!((s.k, s.records.len()), (1, 2));
        assert!(s.records[1].metric < s.records[0].metric);
        assert!(
            s.warnings
                .iter()
                .all(|w| w.kind != WarningKind::MaxComponents),
            "{:?}",
            s.warnings
        );
    }

    #[test]
    fn same_result_on_any_thread_count() {
        let (x, _) = three_blobs().sample(500, 2);
        let run = |t: usize| {
            crate::on_threads(t, || {
                select(
                    &x,
                    2,
                    &SelectOptions::default(),
                    &EmOptions::default(),
                    9,
                    &Control::new(),
                )
                .unwrap()
            })
        };
        let (a, b) = (run(1), run(2));
        assert_eq!(a.k, b.k);
        assert_eq!(a.warm_start, b.warm_start);
        for (ra, rb) in a.records.iter().zip(&b.records) {
            assert_eq!(ra.fold_scores, rb.fold_scores);
        }
    }

    #[test]
    fn two_k_at_once_give_the_records_of_one_k_at_a_time() {
        // The search evaluates K and K + 1 together where K + 1 is searched whatever K
        // gives: its records must be those of the plain loop, one K at a time (every K's
        // evaluation on the same folds and seed), ending at the same K, for gmmi's patience
        // (which waits half the best K) and the published one (stops at the first dip).
        let (x, _) = three_blobs().sample(600, 4);
        for opts in [SelectOptions::default(), SelectOptions::published()] {
            let em_opts = EmOptions::default();
            let ctrl = Control::new();
            let sel = crate::on_threads(2, || select(&x, 2, &opts, &em_opts, 5, &ctrl).unwrap());
            // The plain loop, on the same splits.
            let splits = make_splits(&x, 2, opts.n_folds.for_rows(x.len() / 2), 5, None);
            let (mut best, mut stale, mut plain) = (None::<(f64, usize)>, 0, Vec::new());
            for k in 1..=opts.max_components {
                let (rec, warm) =
                    evaluate_k(&x, 2, k, &splits, None, &opts, &em_opts, 5, &ctrl).unwrap();
                let metric = rec.metric;
                plain.push(rec);
                match best {
                    Some((b, _)) if !(warm.is_some() && metric > b + opts.threshold) => {
                        stale += 1;
                        if stale >= opts.patience.after(best.unwrap().1) {
                            break;
                        }
                    }
                    _ => {
                        best = Some((metric, k));
                        stale = 0;
                    }
                }
            }
            assert!(plain.len() >= 3, "the search went past K = 2");
            assert_eq!(sel.records.len(), plain.len());
            for (a, b) in sel.records.iter().zip(&plain) {
                assert_eq!(
                    (a.k, a.metric, &a.fold_scores),
                    (b.k, b.metric, &b.fold_scores)
                );
                assert_eq!(a.n_iter, b.n_iter);
            }
            assert_eq!(sel.k, best.unwrap().1);
        }
    }

    #[test]
    fn automatic_folds_are_five_below_a_thousand_rows_and_two_from_there() {
        assert_eq!(Folds::Auto.for_rows(200), AUTO_SMALL_FOLDS);
        assert_eq!(Folds::Auto.for_rows(AUTO_FOLDS_ROWS - 1), AUTO_SMALL_FOLDS);
        assert_eq!(Folds::Auto.for_rows(AUTO_FOLDS_ROWS), 2);
        // At most one fold a row, at least two.
        assert_eq!(Folds::Auto.for_rows(3), 3);
        assert_eq!(Folds::Auto.for_rows(1), 2);
        assert_eq!(Folds::Fixed(7).for_rows(200), 7);
        // The search splits its rows into those folds: one score per (start, fold).
        let opts = SelectOptions {
            fixed_components: Some(2),
            ..SelectOptions::default()
        };
        for (n, folds) in [(400, AUTO_SMALL_FOLDS), (AUTO_FOLDS_ROWS, 2)] {
            let (x, _) = three_blobs().sample(n, 4);
            let sel = select(&x, 2, &opts, &EmOptions::default(), 1, &Control::new()).unwrap();
            assert_eq!(sel.records[0].fold_scores.len(), opts.n_inits * folds);
            assert_eq!(sel.records[0].fold_models.len(), folds);
        }
        // The rows a search needs follow its folds: 4 rows make 4 folds of 3 training rows,
        // enough for a 2-D covariance; 3 rows make 3 of 2, not enough.
        let one = SelectOptions::default();
        assert!(one.validate(4, 2).is_ok());
        assert!(one.validate(3, 2).is_err());
        assert!(SelectOptions::published().validate(5, 2).is_err());
        // The fewest rows the folds allow, as the error gives them.
        assert_eq!(Folds::Auto.min_rows(3), 4);
        assert_eq!(Folds::Fixed(2).min_rows(3), 6);
        assert_eq!(Folds::Fixed(5).min_rows(1), 5);
        for needed in [1, 3, 40, 700] {
            let m = Folds::Auto.min_rows(needed);
            let ok = |n: usize| Folds::Auto.training_rows(n) >= needed;
            assert!(ok(m) && (2..m).all(|n| !ok(n)), "needed {needed}: {m}");
        }
    }

    #[test]
    fn rejects_bad_options() {
        let x = vec![0.0; 20];
        let bad = SelectOptions {
            n_folds: Folds::Fixed(1),
            ..Default::default()
        };
        assert!(select(&x, 2, &bad, &EmOptions::default(), 0, &Control::new()).is_err());
        assert!("foo".parse::<Metric>().is_err());
    }
}
