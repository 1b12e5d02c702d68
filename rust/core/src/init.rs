//! Initial parameters for EM: the six strategies of the GMM-MI method.

use std::str::FromStr;

use rand::RngExt;
use rand_distr::StandardNormal;

use crate::error::{Error, Result};
use crate::gmm::GaussianMixture;
use crate::kmeans::{kmeans, KMeans};
use crate::kmeans1d::{kmeans_sorted, Sorted};
use crate::rng::Rng;

/// How initial parameters are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InitMethod {
    /// Random responsibilities (uniform, rows normalised), then one M-step (the default).
    RandomSklearn,
    /// k-means labels as one-hot responsibilities, then one M-step.
    KmeansSklearn,
    /// Means at random data points plus `N(0, s^2 I)` jitter, covariances `s^2 I`.
    Random,
    /// Means uniform in the bounding box, covariances `s^2 I`.
    Minmax,
    /// k-means clusters: per-cluster weight, mean and covariance.
    Kmeans,
    /// k-means clusters, each mean then pushed by a draw from its own covariance times
    /// `scale`.
    RandomizedKmeans,
    /// gmmi's default for the component search: start `r` uses `Kmeans` when `r` is even
    /// and `RandomSklearn` when it is odd, so that each K is tried from both kinds of start
    /// and the held-out score picks the better. k-means starts do not stall at the data mean
    /// (random responsibilities' blind spot on separated clusters and large data); random
    /// responsibilities do not inherit k-means' partition of heavy-tailed or curved data,
    /// from which EM can converge to a poor optimum. A single fit uses `Kmeans`.
    Mixed,
}

impl InitMethod {
    /// All methods with their names.
    pub const ALL: [(&'static str, InitMethod); 7] = [
        ("random_sklearn", InitMethod::RandomSklearn),
        ("kmeans_sklearn", InitMethod::KmeansSklearn),
        ("random", InitMethod::Random),
        ("minmax", InitMethod::Minmax),
        ("kmeans", InitMethod::Kmeans),
        ("randomized_kmeans", InitMethod::RandomizedKmeans),
        ("mixed", InitMethod::Mixed),
    ];

    /// The method used for start number `r` of a component search (see
    /// [`InitMethod::Mixed`]; every other method is used for all starts).
    pub fn for_start(self, r: usize) -> InitMethod {
        match self {
            InitMethod::Mixed if r.is_multiple_of(2) => InitMethod::Kmeans,
            InitMethod::Mixed => InitMethod::RandomSklearn,
            m => m,
        }
    }

    /// Whether the method reads `scale` (the spread of random means and covariances, or the
    /// push of randomised k-means).
    pub fn uses_scale(self) -> bool {
        matches!(
            self,
            InitMethod::Random | InitMethod::Minmax | InitMethod::RandomizedKmeans
        )
    }

    /// The method's name as accepted by [`InitMethod::from_str`].
    pub fn name(&self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, m)| m == self)
            .map(|(n, _)| *n)
            .unwrap_or("?")
    }
}

impl FromStr for InitMethod {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::ALL
            .iter()
            .find(|(n, _)| *n == s)
            .map(|(_, m)| *m)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|(n, _)| *n).collect();
                Error::arg(
                    "init",
                    format!("unknown init {s:?}; expected one of {names:?}"),
                )
            })
    }
}

/// Volume of the unit ball in `d` dimensions.
fn unit_ball_volume(d: usize) -> f64 {
    // V_0 = 1, V_1 = 2, V_d = V_{d-2} * 2 pi / d
    let mut v = [1.0f64, 2.0];
    for i in 2..=d {
        let next = v[i % 2] * 2.0 * std::f64::consts::PI / i as f64;
        v[i % 2] = next;
    }
    v[d % 2]
}

/// Per-dimension minimum and maximum of the rows.
pub(crate) fn bounding_box(x: &[f64], d: usize) -> (Vec<f64>, Vec<f64>) {
    let mut lo = vec![f64::INFINITY; d];
    let mut hi = vec![f64::NEG_INFINITY; d];
    for r in x.chunks_exact(d) {
        for j in 0..d {
            lo[j] = lo[j].min(r[j]);
            hi[j] = hi[j].max(r[j]);
        }
    }
    (lo, hi)
}

/// The ball radius `s` such that `k` balls fill the bounding box's volume.
pub fn default_scale(x: &[f64], d: usize, k: usize) -> f64 {
    let (lo, hi) = bounding_box(x, d);
    // Work in logs: the volume of a high-dimensional box under/overflows easily.
    let log_vol: f64 = lo
        .iter()
        .zip(&hi)
        .map(|(a, b)| (b - a).max(1e-12).ln())
        .sum();
    ((log_vol - (k as f64).ln() - unit_ball_volume(d).ln()) / d as f64).exp()
}

/// Weights, means and covariances from (soft or hard) responsibilities `resp` (`n x k`):
/// one M-step with `reg` on the diagonal. `None` when a covariance is not positive definite.
fn mstep_from_resp(
    x: &[f64],
    d: usize,
    k: usize,
    resp: &[f64],
    reg: f64,
) -> Option<GaussianMixture> {
    let eps = crate::em::COUNT_EPS;
    let mut nk = vec![eps; k];
    let mut means = vec![0.0; k * d];
    for (r, row) in resp.chunks_exact(k).zip(x.chunks_exact(d)) {
        for c in 0..k {
            nk[c] += r[c];
            for j in 0..d {
                means[c * d + j] += r[c] * row[j];
            }
        }
    }
    for c in 0..k {
        for j in 0..d {
            means[c * d + j] /= nk[c];
        }
    }
    let mut covs = vec![0.0; k * d * d];
    for (r, row) in resp.chunks_exact(k).zip(x.chunks_exact(d)) {
        for c in 0..k {
            for a in 0..d {
                let ua = row[a] - means[c * d + a];
                for b in 0..d {
                    covs[c * d * d + a * d + b] += r[c] * ua * (row[b] - means[c * d + b]);
                }
            }
        }
    }
    for c in 0..k {
        for a in 0..d {
            for b in 0..d {
                covs[c * d * d + a * d + b] /= nk[c];
            }
            covs[c * d * d + a * d + a] += reg;
        }
    }
    let total: f64 = nk.iter().sum();
    let weights = nk.iter().map(|v| v / total).collect();
    GaussianMixture::from_parts(d, weights, means, covs).ok()
}

/// A regularisation that makes a covariance estimate usable when it is singular: a millionth
/// of the data's average variance, and at least the square of the rounding error of a mean
/// of the data (`n` epsilon times their largest magnitude): where the data hardly vary
/// (a constant column), the covariance from rounded means is a rank-one matrix of that
/// size, which a smaller regularisation would leave singular.
fn fallback_reg(x: &[f64], d: usize) -> f64 {
    let n = (x.len() / d) as f64;
    let mut total = 0.0;
    for j in 0..d {
        let m: f64 = x.iter().skip(j).step_by(d).sum::<f64>() / n;
        total += x
            .iter()
            .skip(j)
            .step_by(d)
            .map(|v| (v - m) * (v - m))
            .sum::<f64>()
            / n;
    }
    let largest = x.iter().fold(0.0_f64, |a, v| a.max(v.abs()));
    let rounding = n * f64::EPSILON * largest;
    (1e-6 * total / d as f64)
        .max(rounding * rounding)
        .max(f64::MIN_POSITIVE)
}

fn m_step_or_regularised(x: &[f64], d: usize, k: usize, resp: &[f64]) -> Result<GaussianMixture> {
    mstep_from_resp(x, d, k, resp, 0.0)
        .or_else(|| mstep_from_resp(x, d, k, resp, fallback_reg(x, d)))
        .ok_or_else(|| {
            Error::Numerical(
                "could not form positive-definite initial covariances; the data may have \
                 fewer distinct rows than components"
                    .into(),
            )
        })
}

fn isotropic(d: usize, k: usize, means: Vec<f64>, s: f64) -> Result<GaussianMixture> {
    let mut covs = vec![0.0; k * d * d];
    for c in 0..k {
        for j in 0..d {
            covs[c * d * d + j * d + j] = s * s;
        }
    }
    GaussianMixture::from_parts(d, vec![1.0 / k as f64; k], means, covs).map_err(|_| {
        let fix = if s * s > 1.0 { "smaller" } else { "larger" };
        Error::arg(
            "scale",
            format!(
                "{s:e} gives initial covariances ({:e} I) that are not finite positive \
                     definite; use a {fix} scale",
                s * s
            ),
        )
    })
}

/// A start from the k-means clustering of the rows: each cluster's share, mean and
/// covariance; a cluster too small for a full covariance gets `s() * s() I` (`s` is asked
/// for only then: its default scans every row for the bounding box).
fn kmeans_model(
    x: &[f64],
    d: usize,
    k: usize,
    s: impl Fn() -> f64,
    sorted: Option<&Sorted>,
    rng: &mut Rng,
) -> Result<GaussianMixture> {
    let km = cluster(x, d, k, sorted, rng);
    let n = x.len() / d;
    let mut counts = vec![0usize; k];
    let mut means = vec![0.0; k * d];
    for (i, &l) in km.labels.iter().enumerate() {
        counts[l] += 1;
        for j in 0..d {
            means[l * d + j] += x[i * d + j];
        }
    }
    let mut covs = vec![0.0; k * d * d];
    for c in 0..k {
        for j in 0..d {
            means[c * d + j] /= counts[c].max(1) as f64;
        }
    }
    for (i, &l) in km.labels.iter().enumerate() {
        for a in 0..d {
            for b in 0..d {
                covs[l * d * d + a * d + b] +=
                    (x[i * d + a] - means[l * d + a]) * (x[i * d + b] - means[l * d + b]);
            }
        }
    }
    let weights: Vec<f64> = counts.iter().map(|&c| c.max(1) as f64).collect();
    let wt: f64 = weights.iter().sum();
    let weights: Vec<f64> = weights.iter().map(|w| w / wt).collect();
    for c in 0..k {
        let block = &mut covs[c * d * d..(c + 1) * d * d];
        for v in block.iter_mut() {
            *v /= counts[c].max(1) as f64;
        }
        // A cluster too small for a full covariance gets the isotropic s^2 I instead.
        let singular = counts[c] <= d || crate::gmm::cholesky(block, d).is_none();
        if singular {
            let s = s();
            block.iter_mut().for_each(|v| *v = 0.0);
            for j in 0..d {
                block[j * d + j] = s * s;
            }
        }
    }
    let _ = n;
    GaussianMixture::from_parts(d, weights, means, covs)
        .map_err(|c| Error::Numerical(format!("k-means cluster {c} has a degenerate covariance")))
}

/// The k-means clustering of the rows of `x` (300 Lloyd iterations at most): on the sorted
/// values `sorted` of a one-column `x` when given ([`crate::kmeans1d`]), else
/// [`kmeans`].
fn cluster(x: &[f64], d: usize, k: usize, sorted: Option<&Sorted>, rng: &mut Rng) -> KMeans {
    match sorted {
        Some(s) if d == 1 && s.len() == x.len() => kmeans_sorted(s, k, 300, rng),
        _ => kmeans(x, d, k, 300, rng),
    }
}

/// Initial parameters for `k` components on the rows of `x` (row-major `n x d`, `n >= k`).
///
/// `scale` replaces the default ball radius `s` of `random` and `minmax` (the radius at which
/// `k` balls fill the data's bounding box) and is the push size of `randomized_kmeans`
/// (default 1).
pub fn initialize(
    x: &[f64],
    d: usize,
    k: usize,
    method: InitMethod,
    scale: Option<f64>,
    rng: &mut Rng,
) -> Result<GaussianMixture> {
    initialize_sorted(x, d, k, method, scale, None, rng)
}

/// [`initialize`] with the sorted values of a one-column `x` (the search's starts on a
/// binned column, [`crate::bins::Bins::sorted`]), on which k-means runs from prefix sums.
pub fn initialize_sorted(
    x: &[f64],
    d: usize,
    k: usize,
    method: InitMethod,
    scale: Option<f64>,
    sorted: Option<&Sorted>,
    rng: &mut Rng,
) -> Result<GaussianMixture> {
    let n = x.len() / d;
    if k == 0 {
        return Err(Error::arg("n_components", "must be at least 1"));
    }
    if n < k {
        return Err(Error::arg(
            "X",
            format!("{n} rows are fewer than the {k} components requested"),
        ));
    }
    if let Some(s) = scale {
        if !(s.is_finite() && s > 0.0) {
            return Err(Error::arg("scale", "must be a finite positive number"));
        }
    }
    let s = || scale.unwrap_or_else(|| default_scale(x, d, k));
    match method {
        InitMethod::RandomSklearn => {
            let mut resp = vec![0.0; n * k];
            for r in resp.chunks_exact_mut(k) {
                let mut t = 0.0;
                for v in r.iter_mut() {
                    *v = rng.random::<f64>();
                    t += *v;
                }
                for v in r.iter_mut() {
                    *v /= t;
                }
            }
            m_step_or_regularised(x, d, k, &resp)
        }
        InitMethod::KmeansSklearn => {
            let km = cluster(x, d, k, sorted, rng);
            let mut resp = vec![0.0; n * k];
            for (i, &l) in km.labels.iter().enumerate() {
                resp[i * k + l] = 1.0;
            }
            m_step_or_regularised(x, d, k, &resp)
        }
        InitMethod::Random => {
            let s = s();
            let mut means = Vec::with_capacity(k * d);
            for _ in 0..k {
                let i = rng.random_range(0..n);
                for j in 0..d {
                    let z: f64 = rng.sample(StandardNormal);
                    means.push(x[i * d + j] + s * z);
                }
            }
            isotropic(d, k, means, s)
        }
        InitMethod::Minmax => {
            let (lo, hi) = bounding_box(x, d);
            let mut means = Vec::with_capacity(k * d);
            for _ in 0..k {
                for j in 0..d {
                    let u: f64 = rng.random();
                    means.push(lo[j] + u * (hi[j] - lo[j]));
                }
            }
            isotropic(d, k, means, s())
        }
        InitMethod::Kmeans | InitMethod::Mixed => kmeans_model(x, d, k, s, sorted, rng),
        InitMethod::RandomizedKmeans => {
            let base = kmeans_model(x, d, k, s, sorted, rng)?;
            let push = scale.unwrap_or(1.0);
            let mut means = base.means().to_vec();
            let mut z = vec![0.0; d];
            for c in 0..k {
                for v in z.iter_mut() {
                    *v = rng.sample(StandardNormal);
                }
                let l = base.chol(c);
                for i in 0..d {
                    let mut p = 0.0;
                    for j in 0..=i {
                        p += l[i * d + j] * z[j];
                    }
                    means[c * d + i] += push * p;
                }
            }
            GaussianMixture::from_parts(
                d,
                base.weights().to_vec(),
                means,
                base.covariances().to_vec(),
            )
            .map_err(|c| Error::Numerical(format!("component {c} is degenerate")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{stream, Purpose};

    fn data() -> Vec<f64> {
        let g = GaussianMixture::new(
            2,
            vec![0.5, 0.5],
            vec![-3.0, 0.0, 3.0, 1.0],
            vec![1.0, 0.2, 0.2, 1.0, 0.5, 0.0, 0.0, 0.5],
        )
        .unwrap();
        g.sample(400, 9).0
    }

    #[test]
    fn every_method_gives_a_valid_seeded_model() {
        let x = data();
        for (name, m) in InitMethod::ALL {
            for k in [1, 2, 5] {
                let a = initialize(&x, 2, k, m, None, &mut stream(1, Purpose::Init, 0, 0));
                let b = initialize(&x, 2, k, m, None, &mut stream(1, Purpose::Init, 0, 0));
                let a = a.unwrap_or_else(|e| panic!("{name} K={k}: {e}"));
                assert_eq!(a, b.unwrap(), "{name} is not reproducible");
                assert_eq!(a.n_components(), k);
                assert!((a.weights().iter().sum::<f64>() - 1.0).abs() < 1e-12);
            }
            assert_eq!(name.parse::<InitMethod>().unwrap(), m);
        }
        assert!("nope".parse::<InitMethod>().is_err());
    }

    #[test]
    fn constant_data_get_a_regularised_start_at_every_row_count() {
        // Ten rows of (1, 1) have a mean that rounds off 1, so the unregularised covariance is
        // a rank-one matrix of about 1e-32, which the former fallback (a millionth of the
        // data's variance, 1e-38) left singular; 2, 3, 5 or 20 rows happened to round exactly.
        for n in 2..=64 {
            for value in [1.0, -7.3, 1e6] {
                let x = vec![value; 2 * n];
                for m in [InitMethod::RandomSklearn, InitMethod::KmeansSklearn] {
                    let g = initialize(&x, 2, 1, m, None, &mut stream(3, Purpose::Init, 0, 0));
                    let g = g.unwrap_or_else(|e| panic!("{m:?} n={n} value={value}: {e}"));
                    assert_eq!(g.n_components(), 1);
                }
            }
        }
    }

    #[test]
    fn random_sklearn_with_one_component_is_the_sample_moments() {
        let x = data();
        let g = initialize(
            &x,
            2,
            1,
            InitMethod::RandomSklearn,
            None,
            &mut stream(0, Purpose::Init, 0, 0),
        )
        .unwrap();
        let n = 400.0;
        let m0: f64 = x.iter().step_by(2).sum::<f64>() / n;
        assert!((g.means()[0] - m0).abs() < 1e-12);
    }

    #[test]
    fn scale_controls_random_and_minmax() {
        let x = data();
        let g = initialize(
            &x,
            2,
            3,
            InitMethod::Minmax,
            Some(0.25),
            &mut stream(0, Purpose::Init, 0, 0),
        )
        .unwrap();
        assert!((g.covariances()[0] - 0.0625).abs() < 1e-15);
        let bad = initialize(
            &x,
            2,
            3,
            InitMethod::Random,
            Some(-1.0),
            &mut stream(0, Purpose::Init, 0, 0),
        );
        assert!(bad.is_err());
    }

    #[test]
    fn unit_ball_volumes() {
        assert!((unit_ball_volume(1) - 2.0).abs() < 1e-15);
        assert!((unit_ball_volume(2) - std::f64::consts::PI).abs() < 1e-15);
        assert!((unit_ball_volume(3) - 4.0 / 3.0 * std::f64::consts::PI).abs() < 1e-14);
    }

    #[test]
    fn too_few_rows_is_an_error() {
        let x = [0.0, 1.0, 2.0, 3.0];
        let r = initialize(
            &x,
            2,
            3,
            InitMethod::RandomSklearn,
            None,
            &mut stream(0, Purpose::Init, 0, 0),
        );
        assert!(matches!(r, Err(Error::InvalidArgument { .. })));
    }
}
