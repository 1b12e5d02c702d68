//! Learned per-variable representations (ALGORITHM.md, "Representation"): strictly
//! increasing smooth maps of each column, fitted from the data and chosen by the held-out
//! likelihood of the joint mixture in the original units.
//!
//! Mutual information (and conditional mutual information) is unchanged by any strictly
//! increasing differentiable map of each variable, so the mixture may be fitted in whichever
//! coordinates it fits best. Three families are compared, each applied to every column with
//! its own parameters:
//!
//! - [`MapFamily::Identity`]: the data as they are (the published method);
//! - [`MapFamily::Asinh`]: `asinh((x - m) / s)` with `m` the median and `s` the
//!   normal-consistent median absolute deviation: linear in the bulk, logarithmic in the
//!   tails (for heavy tails and outliers);
//! - [`MapFamily::Gaussianize`]: the asinh map, then `Phi^-1(F(u))` with `F` the distribution
//!   function of a 1-D Gaussian mixture fitted to the column (K by BIC): a smooth map to
//!   standard-normal scores (for skewed, bounded and otherwise non-mixture marginals).
//!
//! A candidate is scored as a density of the original data: the held-out metric of the
//! component search on the mapped, standardised data, plus the mean log-Jacobian of the map
//! and of the standardisation, minus the expected in-sample optimism `p / n` of the map's `p`
//! fitted mixture parameters (AIC's correction; the map is fitted on all the rows the held-out
//! scores are computed on).

use rand::{RngExt, SeedableRng};
use rayon::prelude::*;

use crate::em::{self, Data, EmOptions};
use crate::error::{Error, Result};
use crate::gmm::{log_sum_exp, GaussianMixture};
use crate::rng::{self, Purpose};
use crate::select::SelectOptions;
use crate::stats::quantile;

/// A family of strictly increasing maps of one column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapFamily {
    /// The data as they are.
    Identity,
    /// `asinh((x - median) / scale)` with a robust scale.
    Asinh,
    /// The asinh map followed by the normal scores of a fitted 1-D Gaussian mixture.
    Gaussianize,
}

impl MapFamily {
    /// Every family, in the order candidates are compared (ties go to the earlier).
    pub const ALL: [MapFamily; 3] = [
        MapFamily::Identity,
        MapFamily::Asinh,
        MapFamily::Gaussianize,
    ];

    /// The family's name, as accepted by [`TransformOption::parse`].
    pub fn name(self) -> &'static str {
        match self {
            MapFamily::Identity => "identity",
            MapFamily::Asinh => "asinh",
            MapFamily::Gaussianize => "gaussianize",
        }
    }
}

/// Which representation the estimator uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransformOption {
    /// Compare every [`MapFamily`] by held-out likelihood and use the best (gmmi's default).
    Auto,
    /// Use this family (`Fixed(Identity)`: the published method).
    Fixed(MapFamily),
}

impl TransformOption {
    /// Parses `"auto"`, `"identity"`, `"asinh"` or `"gaussianize"`.
    pub fn parse(name: &str) -> Result<Self> {
        if name == "auto" {
            return Ok(TransformOption::Auto);
        }
        MapFamily::ALL
            .iter()
            .find(|f| f.name() == name)
            .map(|&f| TransformOption::Fixed(f))
            .ok_or_else(|| {
                Error::arg(
                    "transform",
                    format!(
                        "unknown transform {name:?}; expected 'auto', 'identity', 'asinh' or \
                         'gaussianize'"
                    ),
                )
            })
    }

    /// The names the `transform` option takes: `"auto"`, then every map family's.
    pub fn names() -> Vec<&'static str> {
        std::iter::once("auto")
            .chain(MapFamily::ALL.iter().map(|f| f.name()))
            .collect()
    }

    /// The option's name.
    pub fn name(self) -> &'static str {
        match self {
            TransformOption::Auto => "auto",
            TransformOption::Fixed(f) => f.name(),
        }
    }

    /// The families to compare. `Auto` compares the identity and the Gaussianising map (whose
    /// pre-maps include the asinh map): on the families the asinh map alone would win (heavy
    /// tails), the Gaussianising map gave the same MI to within noise, at the price of one
    /// component search less.
    pub fn families(self) -> Vec<MapFamily> {
        match self {
            TransformOption::Auto => vec![MapFamily::Identity, MapFamily::Gaussianize],
            TransformOption::Fixed(f) => vec![f],
        }
    }
}

/// The fitted map of one column.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnMap {
    /// `x`.
    Identity,
    /// `asinh((x - centre) / scale)`.
    Asinh {
        /// Median of the column.
        centre: f64,
        /// Normal-consistent median absolute deviation (or a fallback, see [`robust_location_scale`]).
        scale: f64,
    },
    /// `Phi^-1(F((asinh((x - centre) / scale) - shift) / spread))` with `F` the distribution
    /// function of the 1-D mixture `(weights, means, sds)` (`x - centre` in place of the
    /// asinh when `scale` is infinite; see [`PRE_SCALES`]).
    Gaussianize {
        /// Median of the column.
        centre: f64,
        /// Scale of the asinh pre-map (infinite: none).
        scale: f64,
        /// Mean of the pre-mapped column.
        shift: f64,
        /// Standard deviation of the asinh-mapped column.
        spread: f64,
        /// Mixture weights.
        weights: Vec<f64>,
        /// Component means.
        means: Vec<f64>,
        /// Component standard deviations.
        sds: Vec<f64>,
    },
}

/// A Gaussianising map's 1-D mixture is fitted to at most this many evenly spaced order
/// statistics of the column (its quantiles at `(i + 1/2) / m`): the distribution function
/// they trace is the column's to within `1 / (2 m)`, with none of a random subset's noise,
/// and the cost of the fit no longer grows with n.
pub const SKETCH_SIZE: usize = 1_000;

/// `m` evenly spaced order statistics of the sorted values `sorted` (all of them when there
/// are not more).
pub(crate) fn quantile_sketch(sorted: &[f64], m: usize) -> Vec<f64> {
    if sorted.len() <= m {
        return sorted.to_vec();
    }
    (0..m)
        .map(|i| quantile(sorted, (i as f64 + 0.5) / m as f64))
        .collect()
}

/// The largest number of 1-D components a Gaussianising map tries.
pub const MAX_MAP_COMPONENTS: usize = 8;
/// Maps are fitted, and candidates compared, on at most this many rows (a seeded random
/// subset beyond it): any strictly increasing map leaves MI unchanged, so its parameters need
/// only be good, and the cost of the choice stays fixed at large n. The held-out scores of
/// the candidates then have a standard error of about 0.003 nat per row, below the differences
/// between families that matter for MI (0.01-0.1 nat per row on skewed, heavy-tailed or
/// bounded data); a closer call goes to the identity (see
/// [`crate::estimator::choose_representation`]).
pub const MAP_FIT_ROWS: usize = 2_000;
/// Variance floor of the 1-D mixture of a Gaussianising map, in units of the asinh-mapped
/// column's variance: ties and rounding cannot make a component collapse into a spike whose
/// density would win the likelihood comparison by itself.
pub const MAP_REG_COVAR: f64 = 1e-4;

/// The scales, in units of the robust scale, of the asinh pre-maps a Gaussianising map
/// tries (`inf`: none, the column as it is): small scales turn a power-law spike or a
/// log-normal-like skew into a smooth shape a few components fit.
pub const PRE_SCALES: [f64; 4] = [f64::INFINITY, 1.0, 0.1, 0.01];
/// A Gaussianising map's two searches, over the number of 1-D components and over the
/// pre-map scales (in the order of [`PRE_SCALES`]), stop after this many in a row that do
/// not lower the BIC of the best so far: the smaller scales need the most components, and on
/// a column the identity pre-map fits, they are the most expensive fits of the map and lose.
pub const MAP_PATIENCE: usize = 2;

/// A Gaussianising map tries a pre-map from an end of the column where the span of this
/// share of the rows at that end is at most half that of the next share (a pile-up there).
pub const BOUNDARY_SHARE: f64 = 0.01;

/// The scale of a pre-map from an end of the column (see [`BOUNDARY_SHARE`]): the span of
/// this share of the rows next to the end (the rows that stay in its linear part).
pub const BOUNDARY_SCALE_SHARE: f64 = 0.005;

/// The `(centre, scale)` of the pre-maps anchored at an end of the sorted values `sorted`
/// where they pile up there: the span of the first [`BOUNDARY_SHARE`] of the rows (from
/// the end) is at most half that of the next share, as for a density `(x - b)^(a - 1)` at
/// a bound `b` with `a` <= 0.63 (a square of a variable bounded there has `a = 1/2`, a
/// cube `1/3`); a light or heavy tail, or a density finite at a bound (an exponential),
/// has the first share the wider. The centre is the end value, the scale the span of the
/// [`BOUNDARY_SCALE_SHARE`] of the rows next to it: `asinh((x - centre) / scale)` is then
/// the logarithm of the distance to the end beyond those rows, under which such a density
/// is a smooth tail. Fewer than 400 rows (four rows in a share) give none.
fn boundary_pre_maps(sorted: &[f64]) -> Vec<(f64, f64)> {
    let n = sorted.len();
    let mut out = Vec::new();
    if n < 400 {
        return out;
    }
    let at = |q: f64| quantile(sorted, q);
    let (lo, hi) = (sorted[0], sorted[n - 1]);
    let (s, b) = (BOUNDARY_SHARE, BOUNDARY_SCALE_SHARE);
    let first = at(s) - lo;
    if first > 0.0 && first <= 0.5 * (at(2.0 * s) - at(s)) && at(b) > lo {
        out.push((lo, at(b) - lo));
    }
    let last = hi - at(1.0 - s);
    if last > 0.0 && last <= 0.5 * (at(1.0 - s) - at(1.0 - 2.0 * s)) && hi > at(1.0 - b) {
        out.push((hi, hi - at(1.0 - b)));
    }
    out
}

/// `(value, ln derivative)` of the pre-map of a Gaussianising map: `asinh((x - centre) /
/// scale)`, or `x - centre` when `scale` is infinite.
#[inline]
fn pre_map(x: f64, centre: f64, scale: f64) -> (f64, f64) {
    if scale.is_infinite() {
        (x - centre, 0.0)
    } else {
        asinh_map(x, centre, scale)
    }
}

/// `(value, ln derivative)` of `asinh((x - centre) / scale)`, finite for every finite `x`:
/// beyond `|t| = 1e300` (where `t` itself, or the standard library's `asinh`, overflows
/// near the largest double) `asinh t = sign(t) (ln 2 + ln |t|)` to within `1e-600`,
/// `ln |t|` taken from halves that cannot overflow.
#[inline]
fn asinh_map(x: f64, centre: f64, scale: f64) -> (f64, f64) {
    let t = (x - centre) / scale;
    if t.abs() < 1e300 {
        return (t.asinh(), -scale.ln() - 1f64.hypot(t).ln());
    }
    let half = x / 2.0 - centre / 2.0;
    let ln_t = half.abs().ln() + std::f64::consts::LN_2 - scale.ln();
    (
        (ln_t + std::f64::consts::LN_2).copysign(half),
        -scale.ln() - ln_t,
    )
}

impl ColumnMap {
    /// The map's family.
    pub fn family(&self) -> MapFamily {
        match self {
            ColumnMap::Identity => MapFamily::Identity,
            ColumnMap::Asinh { .. } => MapFamily::Asinh,
            ColumnMap::Gaussianize { .. } => MapFamily::Gaussianize,
        }
    }

    /// Fits a map of `family` to the values `col` (any order). The fit is deterministic: the
    /// same values give the same map.
    pub fn fit(family: MapFamily, col: &[f64]) -> Result<ColumnMap> {
        match family {
            MapFamily::Identity => Ok(ColumnMap::Identity),
            MapFamily::Asinh => {
                let (centre, scale) = robust_location_scale(&sorted_copy(col))?;
                Ok(ColumnMap::Asinh { centre, scale })
            }
            MapFamily::Gaussianize => {
                let sorted = sorted_copy(col);
                let (centre, mad) = robust_location_scale(&sorted)?;
                let sketch = quantile_sketch(&sorted, SKETCH_SIZE);
                let col: &[f64] = &sketch;
                // The 1-D density model behind the map is `f(u(x)) u'(x)`: the pre-map scale
                // and K are chosen together by its BIC in the original units, the scales in
                // the order of PRE_SCALES until MAP_PATIENCE in a row bring no improvement
                // (the first of the lowest BIC wins).
                let mut best: Option<(f64, ColumnMap)> = None;
                let mut stale = 0;
                for &c in &PRE_SCALES {
                    match fit_pre_scaled(col, centre, c * mad)? {
                        Some((bic, map)) if best.as_ref().is_none_or(|(b, _)| bic < *b) => {
                            best = Some((bic, map));
                            stale = 0;
                        }
                        _ => stale += 1,
                    }
                    if best.is_some() && stale >= MAP_PATIENCE {
                        break;
                    }
                }
                // A density that piles up at an end of the column (a power of a variable
                // with a bound there: a square, a chi-square of one degree, the cube of an
                // exponential) keeps its pile-up under every pre-map above, centred at the
                // median; a pre-map centred at that end, with the scale of the rows next
                // to it, is a logarithm from the bound and spreads the pile-up into a tail.
                for (centre, scale) in boundary_pre_maps(&sorted) {
                    if let Some((bic, map)) = fit_pre_scaled(col, centre, scale)? {
                        if best.as_ref().is_none_or(|(b, _)| bic < *b) {
                            best = Some((bic, map));
                        }
                    }
                }
                best.map(|(_, m)| m).ok_or_else(|| {
                    Error::Numerical("no 1-D mixture could be fitted for the map".into())
                })
            }
        }
    }

    /// Checks the parameters of a map built from stored values: finite, positive scales,
    /// weights summing to one, at most [`MAX_MAP_COMPONENTS`] components.
    pub fn check(&self) -> Result<()> {
        let bad = |m: &str| Err(Error::arg("columns", m.to_string()));
        match self {
            ColumnMap::Identity => Ok(()),
            ColumnMap::Asinh { centre, scale } => {
                if !(centre.is_finite() && scale.is_finite() && *scale > 0.0) {
                    return bad("an asinh map needs a finite centre and a positive scale");
                }
                Ok(())
            }
            ColumnMap::Gaussianize {
                centre,
                scale,
                shift,
                spread,
                weights,
                means,
                sds,
            } => {
                let k = weights.len();
                if k == 0 || k > MAX_MAP_COMPONENTS || means.len() != k || sds.len() != k {
                    return bad(
                        "a gaussianize map needs 1 to 8 components with a weight, mean \
                                and sd each",
                    );
                }
                let finite = [centre, shift, spread].iter().all(|v| v.is_finite())
                    && means.iter().all(|v| v.is_finite())
                    && !scale.is_nan();
                let positive = *scale > 0.0
                    && *spread > 0.0
                    && sds.iter().all(|s| s.is_finite() && *s > 0.0)
                    && weights.iter().all(|w| w.is_finite() && *w > 0.0);
                let total: f64 = weights.iter().sum();
                if !(finite && positive && (total - 1.0).abs() < 1e-9) {
                    return bad(
                        "a gaussianize map needs finite parameters, positive scales and \
                                weights summing to 1",
                    );
                }
                Ok(())
            }
        }
    }

    /// `(value, ln derivative)` of the map at `x`.
    pub fn apply(&self, x: f64) -> (f64, f64) {
        match self {
            ColumnMap::Identity => (x, 0.0),
            ColumnMap::Asinh { centre, scale } => asinh_map(x, *centre, *scale),
            ColumnMap::Gaussianize {
                centre,
                scale,
                shift,
                spread,
                weights,
                means,
                sds,
            } => {
                let (a, lj) = pre_map(x, *centre, *scale);
                let v = (a - shift) / spread;
                let k = weights.len();
                if v.abs() > AFFINE_TAIL {
                    // Far out (only without a pre-map, which bounds v), the normal score of
                    // the component with the heaviest tail on v's side (see AFFINE_TAIL).
                    let c = (0..k)
                        .max_by(|&i, &j| {
                            sds[i]
                                .total_cmp(&sds[j])
                                .then((means[i] * v.signum()).total_cmp(&(means[j] * v.signum())))
                        })
                        .expect("a map has components");
                    return ((v - means[c]) / sds[c], lj - spread.ln() - sds[c].ln());
                }
                let mut lower = [0.0; MAX_MAP_COMPONENTS];
                let mut upper = [0.0; MAX_MAP_COMPONENTS];
                let mut dens = [0.0; MAX_MAP_COMPONENTS];
                for c in 0..k {
                    let t = (v - means[c]) / sds[c];
                    let lw = weights[c].ln();
                    lower[c] = lw + log_ndtr(t);
                    upper[c] = lw + log_ndtr(-t);
                    dens[c] = lw - 0.5 * t * t - sds[c].ln() - 0.5 * LN_2PI;
                }
                let log_f = log_sum_exp(&dens[..k]);
                let log_lower = log_sum_exp(&lower[..k]);
                let z = if log_lower <= -std::f64::consts::LN_2 {
                    ndtri_log(log_lower)
                } else {
                    -ndtri_log(log_sum_exp(&upper[..k]))
                };
                let log_phi = -0.5 * z * z - 0.5 * LN_2PI;
                (z, lj - spread.ln() + log_f - log_phi)
            }
        }
    }

    /// Mixture parameters fitted by maximum likelihood inside the map (the count behind the
    /// optimism correction of the comparison; the robust centre and scale are not counted,
    /// as the standardisation's mean and deviation are not).
    pub fn n_parameters(&self) -> usize {
        match self {
            ColumnMap::Gaussianize { weights, .. } => 3 * weights.len() - 1,
            _ => 0,
        }
    }

    /// Whether the map is affine (`a x + b`, `a > 0`): the identity, or a Gaussianising map
    /// without an asinh pre-map whose 1-D mixture has a single component (the normal scores
    /// of one Gaussian are `(x - m) / s`). The map a Gaussian column gets.
    pub fn is_affine(&self) -> bool {
        match self {
            ColumnMap::Identity => true,
            ColumnMap::Asinh { .. } => false,
            ColumnMap::Gaussianize { scale, weights, .. } => {
                scale.is_infinite() && weights.len() == 1
            }
        }
    }
}

const LN_2PI: f64 = 1.837_877_066_409_345_5;

/// Beyond this standardised value a Gaussianising map is its widest component's affine
/// tail (see [`ColumnMap::apply`]): the exact path's log-derivative, a difference of two
/// terms of order `t^2 / 2`, loses every digit there (and its squares overflow to NaN
/// beyond 1e154), while the tail's normal score is that component's to within `1e-16`
/// relatively. Without a pre-map (an asinh pre-map bounds the standardised values) only a
/// value 10^8 standard deviations out reaches it: a point evaluated far outside the data
/// (pointwise MI, the check of a fit on other rows) or an extreme outlier.
const AFFINE_TAIL: f64 = 1e8;

/// Median and normal-consistent median absolute deviation of the sorted values `sorted`;
/// when more than half the values tie (MAD 0), the interquartile range / 1.349, then the
/// standard deviation.
pub fn robust_location_scale(sorted: &[f64]) -> Result<(f64, f64)> {
    let centre = quantile(sorted, 0.5);
    let dev = sorted_copy(
        &sorted
            .iter()
            .map(|x| (x - centre).abs())
            .collect::<Vec<_>>(),
    );
    let mad = 1.482_602_218_505_602 * quantile(&dev, 0.5);
    let scale = if mad > 0.0 {
        mad
    } else {
        let iqr = (quantile(sorted, 0.75) - quantile(sorted, 0.25)) / 1.349;
        if iqr > 0.0 {
            iqr
        } else {
            crate::stats::column_moments(sorted.iter().copied(), sorted.len()).1
        }
    };
    if !(scale > 0.0 && scale.is_finite() && centre.is_finite()) {
        return Err(Error::Numerical("a constant column has no map".into()));
    }
    Ok((centre, scale))
}

/// The Gaussianising map of the sorted values `col` with the pre-map of scale `scale` about
/// `centre` (infinite: none) and the BIC of its 1-D density in the original units, `None`
/// when the pre-mapped values are constant or no 1-D mixture can be fitted to them.
fn fit_pre_scaled(col: &[f64], centre: f64, scale: f64) -> Result<Option<(f64, ColumnMap)>> {
    let n = col.len() as f64;
    let (u, lj): (Vec<f64>, Vec<f64>) = col.iter().map(|&x| pre_map(x, centre, scale)).unzip();
    let (shift, spread) = crate::stats::column_moments(u.iter().copied(), u.len());
    if !(spread > 0.0 && spread.is_finite()) {
        return Ok(None);
    }
    let v: Vec<f64> = u.iter().map(|a| (a - shift) / spread).collect();
    let (g, bic_v) = match fit_1d_mixture(&v) {
        Ok(f) => f,
        Err(Error::Numerical(_)) => return Ok(None),
        Err(e) => return Err(e),
    };
    let bic = bic_v - 2.0 * (lj.iter().sum::<f64>() - n * spread.ln());
    let sds = g.covariances().iter().map(|c| c.sqrt()).collect();
    Ok(Some((
        bic,
        ColumnMap::Gaussianize {
            centre,
            scale,
            shift,
            spread,
            weights: g.weights().to_vec(),
            means: g.means().to_vec(),
            sds,
        },
    )))
}

fn sorted_copy(v: &[f64]) -> Vec<f64> {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    s
}

/// A 1-D Gaussian mixture for `v` (standardised values, sorted ascending): K = 1, 2, ... by
/// BIC, stopping after [`MAP_PATIENCE`] K without improvement or at [`MAX_MAP_COMPONENTS`].
/// Each K starts from `K` equal-count bins of the sorted values (weights, means and
/// variances of the bins): in one dimension that is the classic start, it needs no random
/// seeding or k-means restarts (which took 40% of a map's fit), and the fit is deterministic.
fn fit_1d_mixture(v: &[f64]) -> Result<(GaussianMixture, f64)> {
    debug_assert!(v.windows(2).all(|w| w[0] <= w[1]), "values must be sorted");
    let data = Data::new(v, 1);
    let opts = EmOptions {
        threshold: 1e-4,
        max_iter: 300,
        reg_covar: MAP_REG_COVAR,
        record_curves: false,
        accelerate: false,
    };
    let mut best: Option<(f64, GaussianMixture)> = None;
    let mut stale = 0;
    for k in 1..=MAX_MAP_COMPONENTS.min(v.len() / 10).max(1) {
        let fitted = binned_start(v, k).and_then(|init| em::fit(&data, None, &init, &opts, None));
        let g = match fitted {
            Ok(f) => f.model,
            Err(Error::Numerical(_)) => {
                stale += 1;
                if stale >= MAP_PATIENCE {
                    break;
                }
                continue;
            }
            Err(e) => return Err(e),
        };
        let bic = g.bic(v)?;
        if best.as_ref().is_none_or(|(b, _)| bic < *b) {
            best = Some((bic, g));
            stale = 0;
        } else {
            stale += 1;
            if stale >= MAP_PATIENCE {
                break;
            }
        }
    }
    best.map(|(b, g)| (g, b))
        .ok_or_else(|| Error::Numerical("no 1-D mixture could be fitted for the map".into()))
}

/// `k` components on `k` equal-count bins of the sorted values `v` (each bin's share, mean
/// and variance, the variance at least [`MAP_REG_COVAR`]).
fn binned_start(v: &[f64], k: usize) -> Result<GaussianMixture> {
    let n = v.len();
    let (mut weights, mut means, mut vars) = (Vec::new(), Vec::new(), Vec::new());
    for b in 0..k {
        let bin = &v[b * n / k..(b + 1) * n / k];
        let (m, sd) = crate::stats::column_moments(bin.iter().copied(), bin.len());
        weights.push(bin.len() as f64 / n as f64);
        means.push(m);
        vars.push((sd * sd).max(MAP_REG_COVAR));
    }
    GaussianMixture::from_parts(1, weights, means, vars)
        .map_err(|c| Error::Numerical(format!("1-D bin {c} has a degenerate variance")))
}

/// `ln Phi(t)` of the standard normal distribution function, accurate in both tails.
pub fn log_ndtr(t: f64) -> f64 {
    use statrs::function::erf::erfc;
    if t > 0.0 {
        (-0.5 * erfc(t / std::f64::consts::SQRT_2)).ln_1p()
    } else if t > -20.0 {
        (0.5 * erfc(-t / std::f64::consts::SQRT_2)).ln()
    } else {
        // Asymptotic series of the Mills ratio; its next term is below 1e-12 here.
        let r = 1.0 / (t * t);
        let series = 1.0 - r * (1.0 - r * (3.0 - r * (15.0 - r * 105.0)));
        -0.5 * t * t - 0.5 * LN_2PI - (-t).ln() + series.ln()
    }
}

/// The standard normal quantile of the probability `exp(log_p)` (`log_p <= ln 0.5`), far
/// into the tail: `erfc^-1` while the probability is a normal double, then Newton's method
/// on [`log_ndtr`].
pub fn ndtri_log(log_p: f64) -> f64 {
    use statrs::function::erf::erfc_inv;
    if log_p > -700.0 {
        return -std::f64::consts::SQRT_2 * erfc_inv(2.0 * log_p.exp());
    }
    let mut z = -(-2.0 * log_p).sqrt();
    for _ in 0..50 {
        let lf = log_ndtr(z);
        // d/dz ln Phi(z) = phi(z) / Phi(z).
        let slope = (-0.5 * z * z - 0.5 * LN_2PI - lf).exp();
        let step = (lf - log_p) / slope;
        z -= step;
        if step.abs() < 1e-13 * z.abs() {
            break;
        }
    }
    z
}

/// The maps of every column of a data matrix.
#[derive(Debug, Clone, PartialEq)]
pub struct Transform {
    /// The family every column's map belongs to.
    pub family: MapFamily,
    /// One fitted map per column.
    pub columns: Vec<ColumnMap>,
}

impl Transform {
    /// The identity on `d` columns.
    pub fn identity(d: usize) -> Self {
        Transform {
            family: MapFamily::Identity,
            columns: vec![ColumnMap::Identity; d],
        }
    }

    /// Fits a map of `family` to every column of `x` (row-major, `d` columns), on at most
    /// [`MAP_FIT_ROWS`] rows.
    pub fn fit(family: MapFamily, x: &[f64], d: usize, seed: u64) -> Result<Self> {
        Self::fit_known(family, x, d, seed, None)
    }

    /// As [`Transform::fit`], taking the map of column `j` from `known` where it has one
    /// (a map fitted beforehand by [`Transform::fit_column`] on the same values: many pairs of
    /// a matrix share their columns).
    pub fn fit_known(
        family: MapFamily,
        x: &[f64],
        d: usize,
        seed: u64,
        known: Option<KnownMaps<'_>>,
    ) -> Result<Self> {
        if family == MapFamily::Identity {
            return Ok(Self::identity(d));
        }
        let n = x.len() / d;
        let rows = fit_rows(n, seed);
        let columns = (0..d)
            .into_par_iter()
            .map(|j| {
                if let Some(map) = known.and_then(|k| k(family, j)) {
                    return Ok(map);
                }
                Self::fit_column(family, x, d, j, rows.as_deref())
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Transform { family, columns })
    }

    /// The map of `family` that [`Transform::fit`] fits to column `col` of the row-major
    /// matrix `x` (`width` columns), on its rows `rows` (= [`fit_rows`] of the data; `None`:
    /// all). Only those rows are read.
    pub fn fit_column(
        family: MapFamily,
        x: &[f64],
        width: usize,
        col: usize,
        rows: Option<&[usize]>,
    ) -> Result<ColumnMap> {
        let values: Vec<f64> = match rows {
            Some(r) => r.iter().map(|&i| x[i * width + col]).collect(),
            None => x.iter().skip(col).step_by(width).copied().collect(),
        };
        ColumnMap::fit(family, &values)
    }

    /// Whether every column is left as it is.
    pub fn is_identity(&self) -> bool {
        self.columns.iter().all(|c| *c == ColumnMap::Identity)
    }

    /// The mapped data (row-major) and the log-Jacobian determinant of the map at every row
    /// (their mean: [`mean_log_jacobian`]).
    pub fn apply(&self, x: &[f64]) -> (Vec<f64>, Vec<f64>) {
        let d = self.columns.len();
        let mut out = vec![0.0; x.len()];
        let mut lj = vec![0.0; x.len() / d];
        for ((row, dst), l) in x.chunks_exact(d).zip(out.chunks_exact_mut(d)).zip(&mut lj) {
            for j in 0..d {
                let (v, lj_j) = self.columns[j].apply(row[j]);
                dst[j] = v;
                *l += lj_j;
            }
        }
        (out, lj)
    }

    /// Mixture parameters fitted inside the maps (see [`ColumnMap::n_parameters`]).
    pub fn n_parameters(&self) -> usize {
        self.columns.iter().map(ColumnMap::n_parameters).sum()
    }

    /// Whether every column's map is affine ([`ColumnMap::is_affine`]). A Gaussian mixture
    /// of affinely mapped columns is a Gaussian mixture of the columns themselves, so such a
    /// representation offers the same densities of the original data as the identity (with
    /// the map's fitted parameters more), and the comparison does not search it.
    pub fn is_affine(&self) -> bool {
        self.columns.iter().all(ColumnMap::is_affine)
    }
}

/// The rows of `x` mapped by `t` and standardised (when `standardize`): the
/// standardisation, the mapped standardised rows and the log-Jacobian determinant of the map
/// at every row (empty for the identity, whose log-Jacobian is 0).
pub fn map_and_standardize(
    t: &Transform,
    x: &[f64],
    d: usize,
    standardize: bool,
) -> Result<(crate::stats::Standardizer, Vec<f64>, Vec<f64>)> {
    use crate::stats::Standardizer;
    if t.is_identity() {
        let st = Standardizer::fit(x, d, standardize)?;
        let z = st.transform(x);
        return Ok((st, z, Vec::new()));
    }
    let (mapped, log_jac) = t.apply(x);
    let st = Standardizer::fit(&mapped, d, standardize)?;
    let z = st.transform(&mapped);
    Ok((st, z, log_jac))
}

/// The mean of per-row log-Jacobians as [`map_and_standardize`] returns them (0 when empty).
pub fn mean_log_jacobian(rows: &[f64]) -> f64 {
    rows.iter().sum::<f64>() / rows.len().max(1) as f64
}

/// A held-out log-density `v` of the mapped, standardised row `i` in the units of the
/// original data: plus the map's log-Jacobian at the row (`lj` as [`map_and_standardize`]
/// returns it, empty for the identity) and the standardisation's
/// ([`crate::stats::Standardizer::log_jacobian`]).
pub(crate) fn in_original_units(
    v: f64,
    lj: &[f64],
    i: usize,
    st: &crate::stats::Standardizer,
) -> f64 {
    v + lj.get(i).copied().unwrap_or(0.0) + st.log_jacobian()
}

/// Maps fitted beforehand: `(family, j)` -> the map of column `j`, if known.
pub type KnownMaps<'a> = &'a (dyn Fn(MapFamily, usize) -> Option<ColumnMap> + Sync);

/// The rows maps are fitted on: `None` (all of them) up to [`MAP_FIT_ROWS`], else a seeded
/// random subset of that size.
pub fn fit_rows(n: usize, seed: u64) -> Option<Vec<usize>> {
    subset(
        n,
        MAP_FIT_ROWS,
        rng::derive(seed, Purpose::Transform, u64::MAX, 0),
    )
}

/// A sorted seeded random subset of `m` of `0..n` (`None` when `n <= m`).
pub fn subset(n: usize, m: usize, seed: u64) -> Option<Vec<usize>> {
    if n <= m {
        return None;
    }
    let mut r = rng::Rng::seed_from_u64(seed);
    // Floyd's algorithm: m distinct indices without a permutation of all n.
    let mut chosen = std::collections::BTreeSet::new();
    for j in (n - m)..n {
        let t = r.random_range(0..=j);
        if !chosen.insert(t) {
            chosen.insert(j);
        }
    }
    Some(chosen.into_iter().collect())
}

/// How many standard errors a challenger must beat the identity by on the bulk of the rows
/// (the comparison's rule): the standard error of the [`BULK_TRIM`]-trimmed mean of the
/// per-row differences of held-out log-densities in the original units (Yuen's paired
/// test). A map is taken only on evidence (a one-sided test at about 2%), because picking
/// one on noise is not harmless: on heavy-tailed data the two candidates' held-out scores
/// are dominated by a few far rows and trade places from one data set to the next, while
/// their MI differ by a factor of two (uncorrelated multivariate t, nu = 2, 3+3 columns:
/// 0.12 nat after the Gaussianising map, 0.29 as the data are, the truth). On weaker
/// evidence the published representation (the identity) stands.
pub const CHALLENGER_SE: f64 = 2.0;

/// The fraction trimmed from each end of the per-row differences before the challenger's
/// test (20%, the usual choice for Yuen's test: Wilcox 2012, *Introduction to Robust
/// Estimation and Hypothesis Testing*). The plain mean is the score; the trimmed mean asks
/// whether the gain holds on the bulk of the rows or rests on a handful of far ones, whose
/// differences (hundreds of nats on Cauchy-like data) make a plain standard error useless.
pub const BULK_TRIM: f64 = 0.2;

/// What one candidate representation gave: its score, the mean log-Jacobian of its map,
/// the K its search chose, every compared row's held-out log-density in the original units
/// (empty when nothing is compared) and the candidate itself.
pub(crate) struct Offer<T> {
    pub(crate) score: f64,
    pub(crate) log_jacobian: f64,
    pub(crate) n_components: usize,
    pub(crate) held_out: Vec<f64>,
    pub(crate) value: T,
}

/// The maps of the families of a [`TransformOption`], fitted before any component search,
/// and which of them the comparison must search.
///
/// A challenger whose map is affine on every column ([`Transform::is_affine`]: the
/// Gaussianising map of Gaussian columns) is not searched: a Gaussian mixture of affinely
/// mapped columns is a Gaussian mixture of the columns, so it offers the same densities of
/// the original data as the identity, with the map's parameters more. Its score could only
/// be the identity's minus that penalty, it cannot pass the challenger's rule, and searching
/// it (with the identity's search on the comparison's subset of the rows, wasted when the
/// identity is the only candidate left) was most of the representation's cost on Gaussian
/// data. It is recorded with [`Candidate::affine`] set.
pub(crate) struct FittedMaps {
    /// Every family of the option, in its order, with its fitted map.
    maps: Vec<(MapFamily, Result<Transform>)>,
}

impl FittedMaps {
    /// Fits the map of every family of `option` concurrently with `fit(family)` (the
    /// identity, on `d` columns, needs none). A fit's error is kept for the family's
    /// candidate to meet in the comparison ([`Comparison::offer`] records a numerical
    /// failure; any other error is returned).
    pub(crate) fn fit<F>(option: TransformOption, d: usize, fit: F) -> Self
    where
        F: Fn(MapFamily) -> Result<Transform> + Sync,
    {
        let maps = option
            .families()
            .into_par_iter()
            .map(|family| match family {
                MapFamily::Identity => (family, Ok(Transform::identity(d))),
                f => (f, fit(f)),
            })
            .collect();
        FittedMaps { maps }
    }

    /// The map of `family` (its fit's error when it failed).
    pub(crate) fn get(&self, family: MapFamily) -> Result<Transform> {
        self.maps
            .iter()
            .find(|(f, _)| *f == family)
            .map(|(_, t)| t.clone())
            .unwrap_or_else(|| Err(Error::arg("transform", "family not fitted")))
    }

    /// Whether `family` is a challenger of the identity whose map is affine on every column
    /// (a family fixed by the user is used as it is).
    fn affine(&self, family: MapFamily) -> bool {
        family != MapFamily::Identity
            && self.maps.iter().any(|(f, _)| *f == MapFamily::Identity)
            && self
                .maps
                .iter()
                .any(|(f, t)| *f == family && t.as_ref().is_ok_and(Transform::is_affine))
    }

    /// The families whose candidates are searched: all but the affine challengers.
    fn searched(&self) -> Vec<MapFamily> {
        self.maps
            .iter()
            .map(|(f, _)| *f)
            .filter(|&f| !self.affine(f))
            .collect()
    }

    /// Whether several candidates are searched and compared (else the one left is used
    /// as it is, its search run on all the rows with every start).
    pub(crate) fn compared(&self) -> bool {
        self.searched().len() > 1
    }
}

/// The comparison of candidate representations, shared by the joint and the categorical
/// estimators: which search options each candidate gets, every candidate's record, and the
/// best so far (the identity first; a challenger must score higher and beat it on the bulk of
/// the rows by [`CHALLENGER_SE`] standard errors; between challengers, the higher score).
///
/// Challengers of the identity are searched with one start per K (the first of the
/// strategy's: k-means for gmmi's `mixed`): a screening score, slightly pessimistic, so a
/// close call goes to the identity; a challenger that wins is searched again with every start
/// before its search is used. When the candidates are compared on a subset of the rows (the
/// winner's search is then run again on all of them anyway), the identity is screened the same
/// way: the comparison's cost is then one start per K for every candidate, and the rule for a
/// challenger (the bulk of the rows must prefer it) keeps close calls with the identity.
pub(crate) struct Comparison<T> {
    full: SelectOptions,
    screening: SelectOptions,
    /// Every family of the option, in its order (the order of the records).
    families: Vec<MapFamily>,
    /// The families searched (see [`FittedMaps`]).
    searched: Vec<MapFamily>,
    on_subset: bool,
    candidates: Vec<Candidate>,
    identity: Option<(f64, Vec<f64>)>,
    best: Option<(f64, MapFamily, T)>,
    /// The best scored candidate that is not `best` (the identity when a challenger won).
    runner_up: Option<(f64, MapFamily, T)>,
}

impl<T> Comparison<T> {
    /// A comparison of the families of `maps` (those it searches: see [`FittedMaps`]),
    /// searched with `select`, on a subset of the rows (`on_subset`) or on all of them.
    pub(crate) fn new(maps: &FittedMaps, select: &SelectOptions, on_subset: bool) -> Self {
        Comparison {
            full: select.clone(),
            screening: SelectOptions {
                n_inits: 1,
                ..select.clone()
            },
            families: maps.maps.iter().map(|(f, _)| *f).collect(),
            searched: maps.searched(),
            on_subset,
            candidates: Vec::new(),
            identity: None,
            best: None,
            runner_up: None,
        }
    }

    /// Whether several families are compared (only then are the rows' held-out
    /// log-densities needed).
    fn compared(&self) -> bool {
        self.searched.len() > 1
    }

    /// The search options of `family`'s candidate.
    pub(crate) fn options(&self, family: MapFamily) -> &SelectOptions {
        if !self.compared() || (family == MapFamily::Identity && !self.on_subset) {
            &self.full
        } else {
            &self.screening
        }
    }

    /// Fits every family of the option concurrently with `candidate(family, its search
    /// options, whether several families are compared)` and offers the outcomes in the
    /// families' order, the identity first, as the rule needs ([`Comparison::offer`]): the
    /// outcome does not depend on the thread count. (One after the other, each search on the
    /// 2,000-row subset was too small to keep two threads busy.)
    pub(crate) fn run<F>(&mut self, candidate: F) -> Result<()>
    where
        T: Send + Sync,
        F: Fn(MapFamily, &SelectOptions, bool) -> Result<Offer<T>> + Sync,
    {
        let families = self.searched.clone();
        let outcomes: Vec<Result<Offer<T>>> = families
            .par_iter()
            .map(|&family| candidate(family, self.options(family), self.compared()))
            .collect();
        for (family, outcome) in families.into_iter().zip(outcomes) {
            self.offer(family, outcome)?;
        }
        Ok(())
    }

    /// Whether the winner so far was only screened, so that its search must be run again
    /// with every start before it is used.
    pub(crate) fn needs_full_search_of_winner(&self) -> bool {
        self.compared()
            && !self.on_subset
            && self.full.n_inits > 1
            && self
                .best
                .as_ref()
                .is_some_and(|(_, f, _)| *f != MapFamily::Identity)
    }

    /// Records the outcome of `family`'s candidate. A challenger replaces the identity only
    /// when its score is higher and the trimmed mean of the per-row differences of their
    /// held-out log-densities (the rows and folds are the same, so the two pair) exceeds
    /// [`CHALLENGER_SE`] of its standard errors; another challenger, when it also scores
    /// higher. A non-identity family that fails numerically is recorded with score `-inf`;
    /// any other error is returned.
    pub(crate) fn offer(&mut self, family: MapFamily, outcome: Result<Offer<T>>) -> Result<()> {
        match outcome {
            Ok(o) => {
                let (beats_identity, bulk_gain, se) = match (&self.identity, family) {
                    (Some((s, rows)), f) if f != MapFamily::Identity => {
                        challenger_wins((*s, rows), (o.score, &o.held_out))
                    }
                    _ => (true, f64::NAN, f64::NAN),
                };
                self.candidates.push(Candidate {
                    family,
                    score: o.score,
                    n_components: o.n_components,
                    log_jacobian: o.log_jacobian,
                    bulk_gain,
                    se,
                    affine: false,
                    value: f64::NAN,
                    bootstrap_share: f64::NAN,
                });
                let better = match &self.best {
                    None => true,
                    Some((b, best_family, _)) => {
                        beats_identity && (*best_family == MapFamily::Identity || o.score > *b)
                    }
                };
                if family == MapFamily::Identity && self.compared() {
                    self.identity = Some((o.score, o.held_out));
                }
                let scored = o.score.is_finite();
                if better {
                    let previous = self.best.replace((o.score, family, o.value));
                    if let Some(p) = previous.filter(|p| p.0.is_finite()) {
                        self.runner_up = Some(p);
                    }
                } else if scored
                    && self
                        .runner_up
                        .as_ref()
                        .is_none_or(|(s, f, _)| *f == MapFamily::Identity || o.score > *s)
                {
                    self.runner_up = Some((o.score, family, o.value));
                }
                Ok(())
            }
            Err(Error::Numerical(_)) if family != MapFamily::Identity => {
                self.candidates.push(Candidate::not_searched(family, false));
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    /// Takes the runner-up of the comparison: the best scored candidate other than the
    /// winner (the identity when a challenger won), with its family; `None` when fewer than
    /// two candidates were scored.
    pub(crate) fn take_runner_up(&mut self) -> Option<(MapFamily, T)> {
        self.runner_up.take().map(|(_, f, v)| (f, v))
    }

    /// The winner and every candidate's record, in the option's order of the families (an
    /// affine challenger's record, not searched, has [`Candidate::affine`] set).
    pub(crate) fn winner(self) -> Result<(T, Vec<Candidate>)> {
        let (_, _, value) = self
            .best
            .ok_or_else(|| Error::Numerical("no representation could be fitted".into()))?;
        let mut searched = self.candidates.into_iter();
        let records = self
            .families
            .iter()
            .map(|&family| {
                if self.searched.contains(&family) {
                    searched.next().expect("one record per searched family")
                } else {
                    Candidate::not_searched(family, true)
                }
            })
            .collect();
        Ok((value, records))
    }
}

/// The challenger's rule of [`Comparison::offer`]: whether a challenger with `score` and
/// held-out rows `rows` (per-row log-densities in the original units, paired with the
/// identity's) replaces the identity, with the [`BULK_TRIM`]-trimmed mean of the per-row
/// gains and its standard error. It must score higher and gain more than [`CHALLENGER_SE`]
/// standard errors on the bulk of the rows; an identity that could not be scored loses to
/// any scored challenger.
pub(crate) fn challenger_wins(
    identity: (f64, &[f64]),
    challenger: (f64, &[f64]),
) -> (bool, f64, f64) {
    let (verdict, bulk_gain, se) = verdict(identity, challenger);
    (verdict == Verdict::Challenger, bulk_gain, se)
}

/// What the held-out rows say of a challenger against the identity (see [`verdict`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// The identity stands: the challenger does not both score higher and gain on the bulk
    /// of the rows, and the two criteria do not contradict each other.
    Identity,
    /// The challenger replaces the identity: it scores higher and gains more than
    /// [`CHALLENGER_SE`] standard errors on the bulk of the rows.
    Challenger,
    /// The two criteria contradict each other: the held-out likelihood prefers one
    /// representation and the bulk of the rows, by more than [`CHALLENGER_SE`] standard
    /// errors, the other (see [`verdict`]).
    Conflict,
}

/// The comparison's verdict on a challenger (`score`, held-out `rows`) against the identity,
/// with the [`BULK_TRIM`]-trimmed mean of the per-row gains and its standard error.
///
/// [`Verdict::Challenger`] when both criteria prefer the challenger; [`Verdict::Conflict`]
/// when the mean held-out log-likelihood prefers one representation while the bulk of the
/// rows prefers the other by more than [`CHALLENGER_SE`] standard errors. That happens
/// where neither representation fits the density: on heavy-tailed multivariate data a
/// handful of far rows, which the identity's few components give densities far too low,
/// decide the mean for the map, while the bulk prefers the data as they are (or the other
/// way round); the MI of the two then differ by more than either's interval, the truth
/// between them (multivariate t, nu = 1, 3+3 columns, n = 1,000: 0.64-1.0 nat as the data
/// are, 0.17-0.34 after the Gaussianising map, truth 0.585). The comparison on all the data
/// keeps the identity then (the published representation stands without evidence); the
/// bootstrap's re-choice splits such replicates evenly between the two (see
/// `estimator::rechoose`).
pub(crate) fn verdict(identity: (f64, &[f64]), challenger: (f64, &[f64])) -> (Verdict, f64, f64) {
    let ((s, id_rows), (score, rows)) = (identity, challenger);
    let (bulk_gain, se) = crate::stats::trimmed_paired_difference(rows, id_rows, BULK_TRIM);
    if !s.is_finite() {
        let v = if score.is_finite() {
            Verdict::Challenger
        } else {
            Verdict::Identity
        };
        return (v, bulk_gain, se);
    }
    let bulk_for = bulk_gain.is_finite() && bulk_gain > CHALLENGER_SE * se;
    let bulk_against = bulk_gain.is_finite() && bulk_gain < -CHALLENGER_SE * se;
    let v = if score > s && bulk_for {
        Verdict::Challenger
    } else if (score > s && bulk_against) || (score < s && bulk_for) {
        Verdict::Conflict
    } else {
        Verdict::Identity
    };
    (v, bulk_gain, se)
}

/// One candidate representation and its score.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// The family compared.
    pub family: MapFamily,
    /// Held-out log-likelihood per row in the original units (higher is better; `-inf` when
    /// the candidate could not be fitted).
    pub score: f64,
    /// The number of components the search chose on the mapped data (0 when not fitted).
    pub n_components: usize,
    /// The mean log-Jacobian of the map per row (included in `score`).
    pub log_jacobian: f64,
    /// The [`BULK_TRIM`]-trimmed mean over the compared rows of this candidate's held-out
    /// log-density minus the identity's (NaN for the identity, and when nothing is
    /// compared): the gain on the bulk of the rows.
    pub bulk_gain: f64,
    /// The standard error of `bulk_gain`. A challenger wins only with a higher score and a
    /// `bulk_gain` above [`CHALLENGER_SE`] of these.
    pub se: f64,
    /// The family's map is affine on every column, so it offers the same densities as the
    /// identity and was not searched; `score`, `log_jacobian`, `bulk_gain` and `se` are
    /// then NaN and `n_components` 0.
    pub affine: bool,
    /// The quantity of the fit on all the data in this representation, where the estimator
    /// computed it (the chosen one, and the runner-up it checked: see
    /// `estimator::estimate`); NaN otherwise.
    pub value: f64,
    /// The fraction of the bootstrap replicates fitted in this representation (the
    /// representation is re-chosen inside the bootstrap where the runner-up's value falls
    /// outside the interval); NaN without a bootstrap.
    pub bootstrap_share: f64,
}

impl Candidate {
    /// The record of a family without a search: an affine one (`score` NaN) or one whose map
    /// could not be fitted (`score` `-inf`).
    fn not_searched(family: MapFamily, affine: bool) -> Self {
        Candidate {
            family,
            score: if affine { f64::NAN } else { f64::NEG_INFINITY },
            n_components: 0,
            log_jacobian: f64::NAN,
            bulk_gain: f64::NAN,
            se: f64::NAN,
            affine,
            value: f64::NAN,
            bootstrap_share: f64::NAN,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_ndtr_matches_known_values_in_both_tails() {
        // Phi(0) = 1/2; Phi(-1.96) = 0.0249979; ln Phi(-40) from the series (reference:
        // mpmath, -804.608442013754); ln Phi(5) = -2.866516e-7.
        assert!((log_ndtr(0.0) - 0.5f64.ln()).abs() < 1e-15);
        // statrs' erfc is accurate to about 1e-11 relative here.
        let got = log_ndtr(-1.96);
        assert!(
            (got - 0.024_997_895_148_220_43f64.ln()).abs() < 1e-9,
            "{got}"
        );
        assert!((log_ndtr(-40.0) + 804.608_442_013_754).abs() < 1e-9);
        assert!((log_ndtr(5.0) + 2.866_516_129_637_636e-7).abs() < 1e-15);
        // Continuity at the switch to the series.
        assert!((log_ndtr(-20.0 + 1e-9) - log_ndtr(-20.0 - 1e-9)).abs() < 1e-6);
    }

    #[test]
    fn ndtri_log_inverts_log_ndtr() {
        for z in [-60.0, -38.5, -20.0, -5.0, -1.0, -1e-3, 0.0] {
            let back = ndtri_log(log_ndtr(z));
            assert!((back - z).abs() < 1e-9 * (1.0 + z.abs()), "{z} -> {back}");
        }
    }

    fn sample_lognormal(n: usize) -> Vec<f64> {
        let g = GaussianMixture::new(1, vec![1.0], vec![0.0], vec![1.0]).unwrap();
        g.sample(n, 5).0.into_iter().map(f64::exp).collect()
    }

    #[test]
    fn maps_are_increasing_with_the_right_derivative() {
        let x = sample_lognormal(2000);
        for family in MapFamily::ALL {
            let t = Transform::fit(family, &x, 1, 3).unwrap();
            let m = &t.columns[0];
            let mut prev = f64::NEG_INFINITY;
            for i in 0..400 {
                let v = 1e-3 * 1.03f64.powi(i);
                let (y, lj) = m.apply(v);
                assert!(y > prev, "{family:?} not increasing at {v}");
                prev = y;
                // Central difference of the map against its reported log-derivative.
                let h = v * 1e-6;
                let num = (m.apply(v + h).0 - m.apply(v - h).0) / (2.0 * h);
                assert!(
                    (num.ln() - lj).abs() < 1e-5,
                    "{family:?} at {v}: {} vs {lj}",
                    num.ln()
                );
            }
        }
    }

    #[test]
    fn the_pre_scale_sweep_stops_early_without_changing_the_chosen_map() {
        // The sweep stops after MAP_PATIENCE scales that do not lower the BIC; on these
        // shapes it must return the map of the exhaustive sweep: a Gaussian column (no
        // pre-map wins and the smallest scale is never fitted), log-normal ones (sigma 1, 6),
        // a Cauchy one, and odd powers of a normal variable (a spike at zero: the smallest
        // scale wins, after every scale is fitted).
        let std_normal = GaussianMixture::new(1, vec![1.0], vec![0.0], vec![1.0]).unwrap();
        let (z, _) = std_normal.sample(3000, 21);
        let columns: Vec<Vec<f64>> = vec![
            z.iter().map(|v| 3.0 + 2.0 * v).collect(),
            z.iter().map(|v| v.exp()).collect(),
            z.iter().map(|v| (6.0 * v).exp()).collect(),
            z.chunks(2).map(|v| v[0] / v[1]).collect(),
            z.iter().map(|v| v.powi(5)).collect(),
            z.iter().map(|v| v.powi(9)).collect(),
        ];
        let mut winners = Vec::new();
        for col in &columns {
            let sorted = sorted_copy(col);
            let (centre, mad) = robust_location_scale(&sorted).unwrap();
            let sketch = quantile_sketch(&sorted, SKETCH_SIZE);
            let mut best: Option<(usize, f64, ColumnMap)> = None;
            for (i, &c) in PRE_SCALES.iter().enumerate() {
                if let Some((bic, map)) = fit_pre_scaled(&sketch, centre, c * mad).unwrap() {
                    if best.as_ref().is_none_or(|(_, b, _)| bic < *b) {
                        best = Some((i, bic, map));
                    }
                }
            }
            // The pre-maps from an end, tried after the sweep (index past its scales).
            for (c, s) in boundary_pre_maps(&sorted) {
                if let Some((bic, map)) = fit_pre_scaled(&sketch, c, s).unwrap() {
                    if best.as_ref().is_none_or(|(_, b, _)| bic < *b) {
                        best = Some((PRE_SCALES.len(), bic, map));
                    }
                }
            }
            let (i, _, exhaustive) = best.unwrap();
            assert_eq!(
                ColumnMap::fit(MapFamily::Gaussianize, col).unwrap(),
                exhaustive
            );
            winners.push(i);
        }
        // Both ends of the sweep are exercised: an early stop and a win at the last scale.
        assert_eq!(winners[0], 0, "{winners:?}");
        assert!(winners.contains(&(PRE_SCALES.len() - 1)), "{winners:?}");
    }

    #[test]
    fn the_gaussianising_map_of_a_gaussian_column_is_affine_and_of_a_skewed_one_is_not() {
        // A Gaussian column: BIC keeps one component without a pre-map, and the map is then
        // exactly affine (its second differences vanish to rounding); a log-normal column
        // needs a pre-map or more components and is not affine.
        let g = GaussianMixture::new(1, vec![1.0], vec![3.0], vec![4.0]).unwrap();
        let (x, _) = g.sample(2000, 11);
        let m = ColumnMap::fit(MapFamily::Gaussianize, &x).unwrap();
        assert!(m.is_affine(), "{m:?}");
        for v in [-5.0, 0.0, 2.5, 9.0] {
            let (a, b, c) = (m.apply(v - 1.0).0, m.apply(v).0, m.apply(v + 1.0).0);
            assert!((a - 2.0 * b + c).abs() < 1e-9, "not affine at {v}");
        }
        let t = Transform {
            family: MapFamily::Gaussianize,
            columns: vec![m, ColumnMap::Identity],
        };
        assert!(t.is_affine());
        let skewed = ColumnMap::fit(MapFamily::Gaussianize, &sample_lognormal(2000)).unwrap();
        assert!(!skewed.is_affine(), "{skewed:?}");
        assert!(!ColumnMap::Asinh {
            centre: 0.0,
            scale: 1.0
        }
        .is_affine());
    }

    #[test]
    fn a_pile_up_at_an_end_gets_a_pre_map_from_that_end() {
        // Squares and cubes of variables bounded at 0 (densities ~ x^(-1/2), x^(-2/3) there)
        // and 1 - u^4 at the upper end are offered a pre-map centred at their end; a
        // Gaussian, a log-normal and an exponential (density finite at its bound) are not.
        let g = GaussianMixture::new(1, vec![1.0], vec![0.0], vec![1.0]).unwrap();
        let (z, _) = g.sample(2000, 12);
        let u: Vec<f64> = z.iter().map(|v| log_ndtr(*v).exp()).collect();
        let exp: Vec<f64> = u.iter().map(|p| -(1.0 - p).ln()).collect();
        let ends = |col: &[f64]| boundary_pre_maps(&sorted_copy(col));
        let square: Vec<f64> = z.iter().map(|v| v * v).collect();
        let cube: Vec<f64> = exp.iter().map(|v| v.powi(3)).collect();
        let upper: Vec<f64> = u.iter().map(|v| 1.0 - v.powi(4)).collect();
        for (col, centre) in [(&square, 0.0), (&cube, 0.0), (&upper, 1.0)] {
            let maps = ends(col);
            assert_eq!(maps.len(), 1, "{maps:?}");
            // The end value of 2,000 rows, within its spacing of the bound.
            assert!((maps[0].0 - centre).abs() < 1e-3, "{maps:?}");
        }
        assert!(ends(&z).is_empty());
        assert!(ends(&sample_lognormal(2000)).is_empty());
        assert!(ends(&exp).is_empty());
        // The square's map then takes the pre-map from 0, and its normal scores are close
        // to Gaussian where the median-centred pre-maps leave the pile-up: the share of
        // rows within 0.1 sd of the lowest score is ~3% for normal scores of 2,000 rows.
        let m = ColumnMap::fit(MapFamily::Gaussianize, &square).unwrap();
        match &m {
            ColumnMap::Gaussianize { centre, .. } => assert!(centre.abs() < 1e-3, "{m:?}"),
            other => panic!("{other:?}"),
        }
        let scores: Vec<f64> = square.iter().map(|&v| m.apply(v).0).collect();
        let lo = scores.iter().copied().fold(f64::INFINITY, f64::min);
        let near = scores.iter().filter(|&&v| v < lo + 0.1).count();
        assert!(near < 20, "{near} of 2,000 scores pile up at the lowest");
    }

    #[test]
    fn the_asinh_map_is_finite_up_to_the_largest_double() {
        for (x, centre, scale) in [
            (f64::MAX, -1.0, 0.5),
            (-f64::MAX, f64::MAX, 2.0),
            (1e305, 0.0, 1e-3),
        ] {
            let (v, lj) = asinh_map(x, centre, scale);
            assert!(
                v.is_finite() && lj.is_finite(),
                "{x} {centre} {scale}: {v} {lj}"
            );
            // asinh t = ln(2 t) there; the halves keep (x - centre) / scale from overflowing.
            let ln_t = (x / 2.0 - centre / 2.0).abs().ln() + 2f64.ln() - scale.ln();
            assert!(
                (v.abs() - (ln_t + 2f64.ln())).abs() < 1e-12 * v.abs(),
                "{v}"
            );
            assert_eq!(v.signum(), (x - centre).signum());
        }
        // Ordinary values take the standard library's asinh, to the last bit.
        assert_eq!(asinh_map(3.0, 1.0, 0.5).0, 4f64.asinh());
    }

    #[test]
    fn gaussianizing_maps_stay_finite_at_any_finite_value() {
        let one = ColumnMap::Gaussianize {
            centre: 0.0,
            scale: f64::INFINITY,
            shift: 0.5,
            spread: 2.0,
            weights: vec![1.0],
            means: vec![0.0],
            sds: vec![1.0],
        };
        let two = ColumnMap::Gaussianize {
            centre: 0.0,
            scale: f64::INFINITY,
            shift: 0.0,
            spread: 1.0,
            weights: vec![0.3, 0.7],
            means: vec![-1.0, 2.0],
            sds: vec![3.0, 0.5],
        };
        for x in [1e149, 1e155, 1e200, -1e300, f64::MAX, -f64::MAX] {
            // One component: the normal score is affine, (x - 0.5) / 2, at any x.
            let (z, lj) = one.apply(x);
            assert_eq!((z, lj), ((x - 0.5) / 2.0 / 1.0, -(2.0f64.ln())), "x = {x}");
            let (z, lj) = two.apply(x);
            assert!(z.is_finite() && lj.is_finite(), "x = {x}: {z} {lj}");
            // The wider component (sd 3) sets the tail on both sides.
            assert!((z / ((x + 1.0) / 3.0) - 1.0).abs() < 1e-6, "x = {x}: {z}");
        }
        // Continuous across the switch: the exact path just inside it agrees.
        let (inside, _) = two.apply(0.99e8);
        let (outside, _) = two.apply(1.01e8);
        assert!(
            (outside / inside - 1.01 / 0.99).abs() < 1e-6,
            "{inside} {outside}"
        );
    }

    #[test]
    fn gaussianize_makes_a_lognormal_column_normal() {
        // log X ~ N(0,1): the map's scores are close to normal: mean 0, sd 1 (sampling sd
        // of either at n = 4000 is about 0.016; a fitted 1-D mixture adds a little more).
        let x = sample_lognormal(4000);
        let t = Transform::fit(MapFamily::Gaussianize, &x, 1, 3).unwrap();
        let (z, _) = t.apply(&x);
        let (m, s) = crate::stats::column_moments(z.iter().copied(), z.len());
        assert!(m.abs() < 0.05 && (s - 1.0).abs() < 0.05, "{m} {s}");
    }

    #[test]
    fn parse_names_and_refuses_unknown() {
        assert_eq!(
            TransformOption::parse("auto").unwrap(),
            TransformOption::Auto
        );
        for f in MapFamily::ALL {
            assert_eq!(
                TransformOption::parse(f.name()).unwrap(),
                TransformOption::Fixed(f)
            );
        }
        assert!(
            matches!(TransformOption::parse("log"), Err(Error::InvalidArgument { ref arg, .. }) if arg == "transform")
        );
    }

    fn compare(ident: &[f64], chal: &[f64]) -> (&'static str, Vec<Candidate>) {
        let (winner, records, _) = compare_keeping_runner_up(ident, chal);
        (winner, records)
    }

    /// The comparison of an identity and a challenger with these held-out rows: the winner,
    /// the records and the runner-up.
    fn compare_keeping_runner_up(
        ident: &[f64],
        chal: &[f64],
    ) -> (
        &'static str,
        Vec<Candidate>,
        Option<(MapFamily, &'static str)>,
    ) {
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
        let offer = |rows: &[f64], tag: &'static str| Offer {
            score: mean(rows),
            log_jacobian: 0.0,
            n_components: 1,
            held_out: rows.to_vec(),
            value: tag,
        };
        // A challenger whose map is not affine (asinh), so that it is compared.
        let maps = FittedMaps::fit(TransformOption::Auto, 1, |family| {
            Ok(Transform {
                family,
                columns: vec![ColumnMap::Asinh {
                    centre: 0.0,
                    scale: 1.0,
                }],
            })
        });
        let mut c = Comparison::new(&maps, &SelectOptions::default(), false);
        c.offer(MapFamily::Identity, Ok(offer(ident, "identity")))
            .unwrap();
        c.offer(MapFamily::Gaussianize, Ok(offer(chal, "map")))
            .unwrap();
        let runner_up = c.take_runner_up();
        let (winner, records) = c.winner().unwrap();
        (winner, records, runner_up)
    }

    #[test]
    fn a_challenger_must_beat_the_identity_on_the_bulk_by_two_standard_errors() {
        // Paired rows: the challenger is better by `gain` on every row, plus +-1 alternating.
        // The 20%-trimmed mean of the differences is `gain`; the winsorised sd is 1, so its
        // standard error is 1 / (0.6 sqrt(400)) = 0.083. A gain of 0.1 (1.2 se) keeps the
        // identity; 0.25 (3 se) takes the map.
        let ident: Vec<f64> = (0..400).map(|i| -1.0 - 0.001 * i as f64).collect();
        for (gain, wins) in [(0.1, false), (0.25, true)] {
            let chal: Vec<f64> = ident
                .iter()
                .enumerate()
                .map(|(i, v)| v + gain + if i % 2 == 0 { 1.0 } else { -1.0 })
                .collect();
            let (chosen, cands) = compare(&ident, &chal);
            assert_eq!(chosen == "map", wins, "gain {gain}");
            assert!(cands[0].se.is_nan() && cands[0].bulk_gain.is_nan());
            assert!((cands[1].bulk_gain - gain).abs() < 1e-9);
            assert!((cands[1].se - 1.0 / 12.0).abs() < 1e-3, "{}", cands[1].se);
            assert!(cands[1].score > cands[0].score);
        }
    }

    #[test]
    fn the_verdict_is_a_conflict_when_the_mean_and_the_bulk_disagree() {
        // 400 paired rows; the challenger's per-row gain is `bulk` on every row (+-1
        // alternating: a trimmed mean of `bulk`, standard error 1/12 as above), except five
        // far rows shifted by `far` nats each, which move the mean score by `far / 80` and
        // are trimmed from the bulk. The four combinations of a mean for or against the map
        // and a bulk beyond two standard errors either way give the four verdicts; a bulk
        // within two standard errors (0.1 = 1.2 se) never makes a conflict.
        let ident: Vec<f64> = (0..400).map(|i| -1.0 - 0.001 * i as f64).collect();
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
        let verdict_of = |bulk: f64, far: f64| {
            let chal: Vec<f64> = ident
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    let alt = if i % 2 == 0 { 1.0 } else { -1.0 };
                    v + bulk + alt + if i % 80 == 3 { far } else { 0.0 }
                })
                .collect();
            verdict((mean(&ident), &ident), (mean(&chal), &chal)).0
        };
        assert_eq!(verdict_of(0.25, 0.0), Verdict::Challenger);
        assert_eq!(verdict_of(-0.25, 0.0), Verdict::Identity);
        // The far rows lift the map's mean (+1,000 / 80 = 12.5 nat) over a bulk that
        // prefers the identity: a conflict; and sink it under a bulk that prefers the map.
        assert_eq!(verdict_of(-0.25, 1000.0), Verdict::Conflict);
        assert_eq!(verdict_of(0.25, -1000.0), Verdict::Conflict);
        assert_eq!(verdict_of(0.1, -1000.0), Verdict::Identity);
        assert_eq!(verdict_of(-0.1, 1000.0), Verdict::Identity);
        // The comparison's rule on all the data keeps the identity in a conflict.
        let chal: Vec<f64> = ident.iter().map(|v| v - 0.25).collect();
        assert!(!challenger_wins((mean(&ident), &ident), (mean(&chal) + 1.0, &chal)).0);
    }

    #[test]
    fn the_runner_up_is_kept_for_the_bootstrap() {
        // The loser of the comparison is kept (the bootstrap checks it): the challenger
        // when the identity stays, the identity when a challenger wins; an unscored
        // challenger is not a runner-up.
        let ident: Vec<f64> = (0..400).map(|i| -1.0 - 0.001 * i as f64).collect();
        let run = |chal: &[f64]| {
            let (winner, _, runner_up) = compare_keeping_runner_up(&ident, chal);
            (winner, runner_up)
        };
        let worse: Vec<f64> = ident.iter().map(|v| v - 0.5).collect();
        assert_eq!(
            run(&worse),
            ("identity", Some((MapFamily::Gaussianize, "map")))
        );
        let better: Vec<f64> = ident.iter().map(|v| v + 0.5).collect();
        assert_eq!(
            run(&better),
            ("map", Some((MapFamily::Identity, "identity")))
        );
        let unscored = vec![f64::NEG_INFINITY; 400];
        assert_eq!(run(&unscored), ("identity", None));
    }

    #[test]
    fn a_gain_on_a_few_far_rows_only_keeps_the_identity() {
        // Heavy tails: the identity gives 5 far rows of 400 a log-density 1,000 nat lower,
        // which lifts the challenger's mean score by 12.5 nat per row, but the bulk of the
        // rows is no better under it: the identity stays.
        let ident: Vec<f64> = (0..400)
            .map(|i| {
                if i % 80 == 0 {
                    -1000.0
                } else {
                    -1.0 - 0.001 * i as f64
                }
            })
            .collect();
        let chal: Vec<f64> = (0..400)
            .map(|i| -1.0 - 0.001 * i as f64 + if i % 2 == 0 { 0.3 } else { -0.3 })
            .collect();
        let (chosen, cands) = compare(&ident, &chal);
        assert!(cands[1].score > cands[0].score + 10.0);
        assert_eq!(chosen, "identity");
        // With a real gain on every row as well, the map wins.
        let better: Vec<f64> = chal.iter().map(|v| v + 0.5).collect();
        assert_eq!(compare(&ident, &better).0, "map");
    }

    #[test]
    fn subsets_are_distinct_sorted_and_seeded() {
        let s = subset(1000, 100, 9).unwrap();
        assert_eq!(s.len(), 100);
        assert!(s.windows(2).all(|w| w[0] < w[1]) && *s.last().unwrap() < 1000);
        assert_eq!(subset(1000, 100, 9), Some(s));
        assert_eq!(subset(50, 100, 9), None);
    }
}
