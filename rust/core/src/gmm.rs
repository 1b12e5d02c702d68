//! A fitted Gaussian mixture: validated parameters, densities, marginals, affine images and
//! sampling.

use nalgebra::{DMatrix, SMatrix};
use rand::RngExt;
use rand_distr::StandardNormal;
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::kernels;
use crate::rng::{self, Purpose, Rng};

/// ln(2 pi).
pub const LN_2PI: f64 = 1.837_877_066_409_345_5;

/// Rows per chunk when work over many rows is split; fixed (not derived from the thread
/// count) so that sums are always formed in the same order.
pub const CHUNK_ROWS: usize = 4096;

/// A full-covariance Gaussian mixture in `d` dimensions with `k` components.
///
/// Parameters are validated on construction (weights positive and summing to one,
/// covariances symmetric positive definite) and the Cholesky factors are kept with them.
#[derive(Debug, Clone, PartialEq)]
pub struct GaussianMixture {
    d: usize,
    k: usize,
    weights: Vec<f64>,
    means: Vec<f64>,
    covariances: Vec<f64>,
    /// Lower Cholesky factor `L` of each covariance (`S = L L^T`), row-major `d x d`.
    chol: Vec<f64>,
    /// Inverse of `L` (lower triangular), row-major: `z = L^{-1} (x - mu)`.
    inv_chol: Vec<f64>,
    /// `ln w_k - d/2 ln(2 pi) - 1/2 ln det S_k`.
    log_norm: Vec<f64>,
}

/// Lower Cholesky factor of a row-major `d x d` symmetric matrix and its inverse, or `None`
/// when the matrix is not (numerically) positive definite.
pub fn cholesky(cov: &[f64], d: usize) -> Option<(Vec<f64>, Vec<f64>, f64)> {
    let mut lv = vec![0.0; d * d];
    let mut iv = vec![0.0; d * d];
    let logdet = cholesky_into(cov, d, &mut lv, &mut iv)?;
    Some((lv, iv, logdet))
}

/// [`cholesky`] into `l` and `inv` (row-major `d x d`, their upper triangles left as they
/// are), returning `ln det`. Up to 8 dimensions the factorisation runs on nalgebra's
/// fixed-size matrices, on the stack: an EM step rebuilds every component's factor, and at a
/// few hundred rows the heap allocations of the dynamic matrices took a fifth of the time.
/// Both paths run nalgebra's same generic algorithm, so they give the same numbers.
pub fn cholesky_into(cov: &[f64], d: usize, l: &mut [f64], inv: &mut [f64]) -> Option<f64> {
    match d {
        1 => cholesky_fixed::<1>(cov, l, inv),
        2 => cholesky_fixed::<2>(cov, l, inv),
        3 => cholesky_fixed::<3>(cov, l, inv),
        4 => cholesky_fixed::<4>(cov, l, inv),
        5 => cholesky_fixed::<5>(cov, l, inv),
        6 => cholesky_fixed::<6>(cov, l, inv),
        7 => cholesky_fixed::<7>(cov, l, inv),
        8 => cholesky_fixed::<8>(cov, l, inv),
        _ => cholesky_dynamic(cov, d, l, inv),
    }
}

/// [`cholesky_into`] on heap-allocated matrices, in any dimension.
fn cholesky_dynamic(cov: &[f64], d: usize, l: &mut [f64], inv: &mut [f64]) -> Option<f64> {
    let m = DMatrix::from_row_slice(d, d, cov);
    let lm = m.cholesky()?.l();
    let im = lm.solve_lower_triangular(&DMatrix::identity(d, d))?;
    copy_factors(d, &lm, &im, l, inv)
}

/// [`cholesky_into`] in a compile-time dimension.
fn cholesky_fixed<const D: usize>(cov: &[f64], l: &mut [f64], inv: &mut [f64]) -> Option<f64> {
    let m = SMatrix::<f64, D, D>::from_row_slice(cov);
    let lm = m.cholesky()?.l();
    let im = lm.solve_lower_triangular(&SMatrix::<f64, D, D>::identity())?;
    copy_factors(D, &lm, &im, l, inv)
}

/// Copies the lower triangles of the factor `lm` and its inverse `im` into the row-major
/// `l` and `inv`; `ln det` from the factor's diagonal, or `None` when it is not positive and
/// finite or the inverse is not finite.
fn copy_factors<M>(d: usize, lm: &M, im: &M, l: &mut [f64], inv: &mut [f64]) -> Option<f64>
where
    M: std::ops::Index<(usize, usize), Output = f64>,
{
    let mut logdet = 0.0;
    for i in 0..d {
        let v = lm[(i, i)];
        if v <= 0.0 || !v.is_finite() {
            return None;
        }
        logdet += 2.0 * v.ln();
    }
    let mut finite = true;
    for i in 0..d {
        for j in 0..=i {
            l[i * d + j] = lm[(i, j)];
            inv[i * d + j] = im[(i, j)];
            finite &= im[(i, j)].is_finite();
        }
    }
    (finite && logdet.is_finite()).then_some(logdet)
}

impl GaussianMixture {
    /// Builds a mixture from `weights` (k), `means` (k*d, row-major) and `covariances`
    /// (k*d*d, row-major), validating every parameter.
    pub fn new(
        d: usize,
        weights: Vec<f64>,
        means: Vec<f64>,
        covariances: Vec<f64>,
    ) -> Result<Self> {
        let k = weights.len();
        if d == 0 {
            return Err(Error::arg("means", "the dimension must be at least 1"));
        }
        if k == 0 {
            return Err(Error::arg("weights", "at least one component is needed"));
        }
        if means.len() != k * d {
            return Err(Error::arg(
                "means",
                format!("expected {k} x {d} values, got {}", means.len()),
            ));
        }
        if covariances.len() != k * d * d {
            return Err(Error::arg(
                "covariances",
                format!("expected {k} x {d} x {d} values, got {}", covariances.len()),
            ));
        }
        if weights.iter().any(|w| !(w.is_finite() && *w > 0.0)) {
            return Err(Error::arg(
                "weights",
                "every weight must be finite and positive",
            ));
        }
        let total: f64 = weights.iter().sum();
        if (total - 1.0).abs() > 1e-8 {
            return Err(Error::arg(
                "weights",
                format!("weights must sum to 1 (they sum to {total})"),
            ));
        }
        if means.iter().any(|m| !m.is_finite()) {
            return Err(Error::arg("means", "every mean must be finite"));
        }
        if covariances.iter().any(|c| !c.is_finite()) {
            return Err(Error::arg(
                "covariances",
                "every covariance entry must be finite",
            ));
        }
        for c in 0..k {
            let s = &covariances[c * d * d..(c + 1) * d * d];
            let scale = (0..d).map(|i| s[i * d + i].abs()).fold(0.0, f64::max);
            for i in 0..d {
                for j in 0..i {
                    if (s[i * d + j] - s[j * d + i]).abs() > 1e-10 * scale.max(f64::MIN_POSITIVE) {
                        return Err(Error::arg(
                            "covariances",
                            format!("covariance of component {c} is not symmetric"),
                        ));
                    }
                }
            }
        }
        Self::from_parts(d, weights, means, covariances).map_err(|bad| {
            Error::arg(
                "covariances",
                format!("covariance of component {bad} is not positive definite"),
            )
        })
    }

    /// Builds a mixture without the symmetry and weight checks (used inside EM where they
    /// hold by construction). Returns the index of the first component whose covariance is
    /// not positive definite on failure.
    pub(crate) fn from_parts(
        d: usize,
        weights: Vec<f64>,
        means: Vec<f64>,
        covariances: Vec<f64>,
    ) -> std::result::Result<Self, usize> {
        let k = weights.len();
        let mut chol = vec![0.0; k * d * d];
        let mut inv_chol = vec![0.0; k * d * d];
        let mut log_norm = vec![0.0; k];
        for c in 0..k {
            let block = c * d * d..(c + 1) * d * d;
            let logdet = cholesky_into(
                &covariances[block.clone()],
                d,
                &mut chol[block.clone()],
                &mut inv_chol[block],
            )
            .ok_or(c)?;
            log_norm[c] = weights[c].ln() - 0.5 * (d as f64 * LN_2PI + logdet);
        }
        Ok(GaussianMixture {
            d,
            k,
            weights,
            means,
            covariances,
            chol,
            inv_chol,
            log_norm,
        })
    }

    /// Dimension of the space.
    pub fn dim(&self) -> usize {
        self.d
    }

    /// Number of components.
    pub fn n_components(&self) -> usize {
        self.k
    }

    /// Mixture weights (length k).
    pub fn weights(&self) -> &[f64] {
        &self.weights
    }

    /// Component means, row-major `k x d`.
    pub fn means(&self) -> &[f64] {
        &self.means
    }

    /// Component covariances, row-major `k x d x d`.
    pub fn covariances(&self) -> &[f64] {
        &self.covariances
    }

    /// Inverses of the lower Cholesky factors, row-major `k x d x d` (lower triangular).
    pub fn inverse_cholesky_factors(&self) -> &[f64] {
        &self.inv_chol
    }

    /// `ln w_c - d/2 ln(2 pi) - 1/2 ln det S_c` for every component.
    pub fn log_norms(&self) -> &[f64] {
        &self.log_norm
    }

    /// Lower Cholesky factors of the covariances, row-major `k x d x d`.
    pub fn cholesky_factors(&self) -> &[f64] {
        &self.chol
    }

    /// Number of free parameters of a full-covariance mixture: `k-1 + k d + k d(d+1)/2`.
    pub fn n_parameters(&self) -> usize {
        n_parameters(self.k, self.d)
    }

    /// `ln w_c + ln N(x | mu_c, S_c)` for one point and one component.
    #[inline]
    pub fn component_log_density(&self, c: usize, x: &[f64]) -> f64 {
        let d = self.d;
        let mu = &self.means[c * d..(c + 1) * d];
        let p = &self.inv_chol[c * d * d..(c + 1) * d * d];
        let mut maha = 0.0;
        for i in 0..d {
            let row = &p[i * d..i * d + i + 1];
            let mut z = 0.0;
            for j in 0..=i {
                z += row[j] * (x[j] - mu[j]);
            }
            maha += z * z;
        }
        self.log_norm[c] - 0.5 * maha
    }

    /// Fills `out[c] = ln w_c + ln N(x | mu_c, S_c)` for every component and returns the
    /// log-sum-exp of `out`, `ln p(x)`.
    #[inline]
    pub fn weighted_log_densities(&self, x: &[f64], out: &mut [f64]) -> f64 {
        // A compile-time dimension lets the compiler unroll the small loops of the common
        // low-dimensional cases (the same arithmetic in the same order as the general path).
        match self.d {
            1 => self.fill_fixed::<1>(x, out),
            2 => self.fill_fixed::<2>(x, out),
            3 => self.fill_fixed::<3>(x, out),
            _ => {
                for (c, o) in out.iter_mut().enumerate().take(self.k) {
                    *o = self.component_log_density(c, x);
                }
            }
        }
        log_sum_exp(&out[..self.k])
    }

    #[inline(always)]
    fn fill_fixed<const D: usize>(&self, x: &[f64], out: &mut [f64]) {
        for (c, o) in out.iter_mut().enumerate().take(self.k) {
            let mu = &self.means[c * D..(c + 1) * D];
            let p = &self.inv_chol[c * D * D..(c + 1) * D * D];
            let mut maha = 0.0;
            for i in 0..D {
                let mut z = 0.0;
                for j in 0..=i {
                    z += p[i * D + j] * (x[j] - mu[j]);
                }
                maha += z * z;
            }
            *o = self.log_norm[c] - 0.5 * maha;
        }
    }

    /// `ln p(x)` for one point.
    pub fn log_density_one(&self, x: &[f64]) -> f64 {
        let mut buf = vec![0.0; self.k];
        self.weighted_log_densities(x, &mut buf)
    }

    fn check_points(&self, x: &[f64]) -> Result<usize> {
        if !x.len().is_multiple_of(self.d) {
            return Err(Error::arg(
                "X",
                format!(
                    "expected rows of {} values, got {} values in all",
                    self.d,
                    x.len()
                ),
            ));
        }
        Ok(x.len() / self.d)
    }

    /// `ln p(x_i)` for every row of `x` (row-major `n x d`), in parallel over row chunks.
    pub fn log_density(&self, x: &[f64]) -> Result<Vec<f64>> {
        let mut out = Vec::new();
        self.log_density_into(x, &mut out)?;
        Ok(out)
    }

    /// [`GaussianMixture::log_density`] into `out` (resized to the number of rows; its
    /// memory is reused, for callers that evaluate many times).
    pub fn log_density_into(&self, x: &[f64], out: &mut Vec<f64>) -> Result<()> {
        let n = self.check_points(x)?;
        out.clear();
        out.resize(n, 0.0);
        let d = self.d;
        let work = |(xs, os): (&[f64], &mut [f64])| self.log_density_rows(xs, os);
        if n > CHUNK_ROWS {
            x.par_chunks(CHUNK_ROWS * d)
                .zip(out.par_chunks_mut(CHUNK_ROWS))
                .for_each(work);
        } else {
            work((x, out));
        }
        Ok(())
    }

    /// `ln p(x_i)` of the rows of `x` (row-major, the mixture's dimension; not checked) into
    /// `out` (one per row), on the calling thread: the lane kernels up to
    /// [`kernels::MAX_LANE_DIM`] columns, row by row above.
    pub(crate) fn log_density_rows(&self, x: &[f64], out: &mut [f64]) {
        let d = self.d;
        if d <= kernels::MAX_LANE_DIM {
            kernels::log_density(self, x, out);
        } else {
            let mut buf = vec![0.0; self.k];
            for (row, o) in x.chunks_exact(d).zip(out.iter_mut()) {
                *o = self.weighted_log_densities(row, &mut buf);
            }
        }
    }

    /// Per-component `ln w_c + ln N(x_i | mu_c, S_c)`, row-major `n x k`.
    pub fn component_log_densities(&self, x: &[f64]) -> Result<Vec<f64>> {
        let n = self.check_points(x)?;
        let mut out = vec![0.0; n * self.k];
        for (row, o) in x.chunks_exact(self.d).zip(out.chunks_exact_mut(self.k)) {
            for (c, v) in o.iter_mut().enumerate() {
                *v = self.component_log_density(c, row);
            }
        }
        Ok(out)
    }

    /// Responsibilities `p(c | x_i)`, row-major `n x k`; each row sums to one.
    pub fn responsibilities(&self, x: &[f64]) -> Result<Vec<f64>> {
        let n = self.check_points(x)?;
        let mut out = vec![0.0; n * self.k];
        for (row, o) in x.chunks_exact(self.d).zip(out.chunks_exact_mut(self.k)) {
            let lse = self.weighted_log_densities(row, o);
            if lse.is_finite() {
                for v in o.iter_mut() {
                    *v = (*v - lse).exp();
                }
            } else {
                self.far_responsibilities(row, o);
            }
        }
        Ok(out)
    }

    /// Responsibilities of a point so far from every component that its squared
    /// Mahalanobis distances overflow (every log-density is -inf): the limit, in which the
    /// component with the smallest distance takes everything (exact ties share). Distances
    /// are compared after dividing by the largest whitened coordinate, which cannot
    /// overflow.
    fn far_responsibilities(&self, x: &[f64], out: &mut [f64]) {
        let (d, k) = (self.d, self.k);
        let mut z = vec![0.0; k * d];
        for c in 0..k {
            let mu = &self.means[c * d..(c + 1) * d];
            let p = &self.inv_chol[c * d * d..(c + 1) * d * d];
            for i in 0..d {
                z[c * d + i] = (0..=i).map(|j| p[i * d + j] * (x[j] - mu[j])).sum();
            }
        }
        let s = z.iter().fold(0.0_f64, |a, v| a.max(v.abs()));
        if !(s.is_finite() && s > 0.0) {
            out.iter_mut().for_each(|v| *v = 1.0 / k as f64);
            return;
        }
        let q: Vec<f64> = z
            .chunks_exact(d)
            .map(|zc| zc.iter().map(|v| (v / s) * (v / s)).sum())
            .collect();
        let best = q.iter().copied().fold(f64::INFINITY, f64::min);
        let winners = q.iter().filter(|&&v| v == best).count();
        for (o, &v) in out.iter_mut().zip(&q) {
            *o = if v == best { 1.0 / winners as f64 } else { 0.0 };
        }
    }

    /// Mean of `ln p(x_i)` over the rows of `x`.
    pub fn score(&self, x: &[f64]) -> Result<f64> {
        self.score_into(x, &mut Vec::new())
    }

    /// [`GaussianMixture::score`] with the per-row log-densities written to `buf` (its
    /// memory reused).
    pub fn score_into(&self, x: &[f64], buf: &mut Vec<f64>) -> Result<f64> {
        self.log_density_into(x, buf)?;
        if buf.is_empty() {
            return Err(Error::arg("X", "at least one row is needed"));
        }
        Ok(ordered_sum(buf) / buf.len() as f64)
    }

    /// Akaike information criterion on `x`: `-2 ln L + 2 p`.
    pub fn aic(&self, x: &[f64]) -> Result<f64> {
        let n = self.check_points(x)? as f64;
        Ok(-2.0 * self.score(x)? * n + 2.0 * self.n_parameters() as f64)
    }

    /// Bayesian information criterion on `x`: `-2 ln L + p ln n`.
    pub fn bic(&self, x: &[f64]) -> Result<f64> {
        let n = self.check_points(x)? as f64;
        Ok(-2.0 * self.score(x)? * n + self.n_parameters() as f64 * n.ln())
    }

    /// The marginal mixture over the dimensions `dims` (in that order): same weights,
    /// sub-vectors of the means and sub-blocks of the covariances.
    pub fn marginal(&self, dims: &[usize]) -> Result<GaussianMixture> {
        if dims.is_empty() {
            return Err(Error::arg("dims", "at least one dimension is needed"));
        }
        let mut seen = vec![false; self.d];
        for &i in dims {
            if i >= self.d {
                return Err(Error::arg(
                    "dims",
                    format!(
                        "dimension {i} is out of range for a {}-dimensional model",
                        self.d
                    ),
                ));
            }
            if seen[i] {
                return Err(Error::arg("dims", format!("dimension {i} is repeated")));
            }
            seen[i] = true;
        }
        let (d, m) = (self.d, dims.len());
        let mut means = Vec::with_capacity(self.k * m);
        let mut covs = Vec::with_capacity(self.k * m * m);
        for c in 0..self.k {
            for &i in dims {
                means.push(self.means[c * d + i]);
            }
            for &i in dims {
                for &j in dims {
                    covs.push(self.covariances[c * d * d + i * d + j]);
                }
            }
        }
        GaussianMixture::from_parts(m, self.weights.clone(), means, covs).map_err(|c| {
            Error::Numerical(format!(
                "the marginal covariance of component {c} is not positive definite"
            ))
        })
    }

    /// The image of the mixture under `x -> scale * x + shift`, applied per dimension
    /// (`scale` must be non-zero). Used to report a model fitted on standardised data in the
    /// original units.
    pub fn affine(&self, scale: &[f64], shift: &[f64]) -> Result<GaussianMixture> {
        let d = self.d;
        if scale.len() != d || shift.len() != d {
            return Err(Error::arg(
                "scale",
                format!("expected {d} scales and {d} shifts"),
            ));
        }
        if scale.iter().any(|s| *s == 0.0 || !s.is_finite()) || shift.iter().any(|s| !s.is_finite())
        {
            return Err(Error::arg(
                "scale",
                "scales must be finite and non-zero, shifts finite",
            ));
        }
        let mut means = self.means.clone();
        let mut covs = self.covariances.clone();
        for c in 0..self.k {
            for i in 0..d {
                means[c * d + i] = scale[i] * self.means[c * d + i] + shift[i];
                for j in 0..d {
                    covs[c * d * d + i * d + j] *= scale[i] * scale[j];
                }
            }
        }
        GaussianMixture::from_parts(d, self.weights.clone(), means, covs).map_err(|c| {
            Error::Numerical(format!(
                "the transformed covariance of component {c} is not positive definite"
            ))
        })
    }

    /// Running sums of the weights, accumulated in the order [`GaussianMixture::sample_one`] uses, so
    /// that a kernel choosing components from them draws the same components.
    pub fn cumulative_weights(&self) -> Vec<f64> {
        self.weights
            .iter()
            .scan(0.0, |acc, w| {
                *acc += w;
                Some(*acc)
            })
            .collect()
    }

    /// Draws one point into `out` (length d) and returns its component.
    #[inline]
    pub fn sample_one(&self, rng: &mut Rng, z: &mut [f64], out: &mut [f64]) -> usize {
        let d = self.d;
        let u: f64 = rng.random();
        // The first c whose cumulative weight exceeds u (the last if rounding leaves none),
        // counted without a data-dependent branch: a random u would mispredict it.
        let mut acc = 0.0;
        let mut comp = 0;
        for w in &self.weights[..self.k - 1] {
            acc += w;
            comp += usize::from(u >= acc);
        }
        for v in z.iter_mut() {
            *v = rng.sample(StandardNormal);
        }
        let mu = &self.means[comp * d..(comp + 1) * d];
        let l = &self.chol[comp * d * d..(comp + 1) * d * d];
        for i in 0..d {
            let mut s = mu[i];
            for j in 0..=i {
                s += l[i * d + j] * z[j];
            }
            out[i] = s;
        }
        comp
    }

    /// Draws `n` points (row-major `n x d`) and their component labels.
    ///
    /// The draws are made in chunks, each from its own stream derived from `seed`, so the
    /// output is the same for any number of threads.
    ///
    /// # Panics
    /// If `n x d` overflows or the memory cannot be allocated; [`GaussianMixture::try_sample`] returns
    /// an error instead.
    pub fn sample(&self, n: usize, seed: u64) -> (Vec<f64>, Vec<usize>) {
        self.try_sample(n, seed).expect("sample")
    }

    /// [`GaussianMixture::sample`] that refuses, with an error naming `n_samples`, a draw whose memory
    /// cannot be allocated (instead of aborting the process).
    pub fn try_sample(&self, n: usize, seed: u64) -> Result<(Vec<f64>, Vec<usize>)> {
        let d = self.d;
        let too_big = || {
            Error::arg(
                "n_samples",
                format!(
                    "{n} points of dimension {d} need more memory than can be allocated; \
                     draw them in batches (each with its own random_state)"
                ),
            )
        };
        let len = n.checked_mul(d).ok_or_else(too_big)?;
        let mut x: Vec<f64> = Vec::new();
        x.try_reserve_exact(len).map_err(|_| too_big())?;
        x.resize(len, 0.0);
        let mut labels: Vec<usize> = Vec::new();
        labels.try_reserve_exact(n).map_err(|_| too_big())?;
        labels.resize(n, 0);
        x.par_chunks_mut(CHUNK_ROWS * d)
            .zip(labels.par_chunks_mut(CHUNK_ROWS))
            .enumerate()
            .for_each(|(ci, (xs, ls))| {
                let mut r = rng::stream(seed, Purpose::Chunk, ci as u64, 0);
                let mut z = vec![0.0; d];
                for (row, l) in xs.chunks_exact_mut(d).zip(ls.iter_mut()) {
                    *l = self.sample_one(&mut r, &mut z, row);
                }
            });
        Ok((x, labels))
    }

    /// Evaluates `ln N(x | mu_c, S_c)` (without the weight) for one point.
    pub fn gaussian_log_density(&self, c: usize, x: &[f64]) -> f64 {
        self.component_log_density(c, x) - self.weights[c].ln()
    }

    /// Mean vector of component `c`.
    pub fn mean(&self, c: usize) -> &[f64] {
        &self.means[c * self.d..(c + 1) * self.d]
    }

    /// Lower Cholesky factor of component `c`.
    pub fn chol(&self, c: usize) -> &[f64] {
        &self.chol[c * self.d * self.d..(c + 1) * self.d * self.d]
    }

    /// Covariance of component `c`.
    pub fn covariance(&self, c: usize) -> &[f64] {
        &self.covariances[c * self.d * self.d..(c + 1) * self.d * self.d]
    }

    /// Mean of the whole mixture and its covariance (law of total covariance).
    pub fn moments(&self) -> (Vec<f64>, Vec<f64>) {
        let d = self.d;
        let mut m = vec![0.0; d];
        for c in 0..self.k {
            for i in 0..d {
                m[i] += self.weights[c] * self.means[c * d + i];
            }
        }
        let mut s = vec![0.0; d * d];
        for c in 0..self.k {
            let w = self.weights[c];
            for i in 0..d {
                for j in 0..d {
                    let di = self.means[c * d + i] - m[i];
                    let dj = self.means[c * d + j] - m[j];
                    s[i * d + j] += w * (self.covariances[c * d * d + i * d + j] + di * dj);
                }
            }
        }
        (m, s)
    }

    /// The vector `mu_c + L_c t`, for quadrature nodes `t`.
    pub fn map_node(&self, c: usize, t: &[f64], out: &mut [f64]) {
        let d = self.d;
        let mu = self.mean(c);
        let l = self.chol(c);
        for i in 0..d {
            let mut s = mu[i];
            for j in 0..=i {
                s += l[i * d + j] * t[j];
            }
            out[i] = s;
        }
    }
}

/// `ln sum_i exp(v_i)`, stable far in the tails; a single term is returned as it is.
#[inline]
pub fn log_sum_exp(v: &[f64]) -> f64 {
    if v.len() == 1 {
        return v[0];
    }
    let max = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if max == f64::NEG_INFINITY {
        return max;
    }
    let s: f64 = v.iter().map(|x| (x - max).exp()).sum();
    max + s.ln()
}

/// `ln sum_i exp(v_i)`, overwriting `v` with `exp(v_i - max)` (the responsibilities up to
/// their sum); a single term is returned as it is (and `v` becomes `[1]`).
#[inline]
pub fn log_sum_exp_in_place(v: &mut [f64]) -> f64 {
    if v.len() == 1 {
        let x = v[0];
        v[0] = 1.0;
        return x;
    }
    let max = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if max == f64::NEG_INFINITY {
        return max;
    }
    for x in v.iter_mut() {
        *x = (*x - max).exp();
    }
    let s: f64 = v.iter().sum();
    max + s.ln()
}

/// Number of free parameters of a full-covariance mixture of `k` components in `d` dimensions.
pub fn n_parameters(k: usize, d: usize) -> usize {
    k - 1 + k * d + k * d * (d + 1) / 2
}

/// Sum in index order (deterministic, unlike a parallel reduction).
pub fn ordered_sum(v: &[f64]) -> f64 {
    v.iter().sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vmath::{with_variant, Variant};

    fn d3() -> GaussianMixture {
        GaussianMixture::new(
            2,
            vec![0.3, 0.45, 0.25],
            vec![-1.0, 1.0, 0.0, 2.0, -1.5, 2.0],
            vec![1.0, 0.0, 0.0, 0.1, 0.5, 0.2, 0.2, 0.5, 0.1, 0.05, 0.05, 0.1],
        )
        .unwrap()
    }

    #[test]
    fn fixed_size_cholesky_equals_the_dynamic_one_bit_for_bit() {
        // The stack path (d <= 8) must give the heap path's factors to the last bit, so that
        // a model's densities do not depend on which one built it. Random SPD matrices
        // A A^T + 0.1 I of every fixed size, and a singular one refused by both.
        let mut rng = rng::stream(7, Purpose::Sample, 0, 0);
        for d in 1..=8 {
            for _ in 0..20 {
                let a: Vec<f64> = (0..d * d).map(|_| rng.sample(StandardNormal)).collect();
                let mut cov = vec![0.0; d * d];
                for i in 0..d {
                    for j in 0..d {
                        cov[i * d + j] = (0..d).map(|t| a[i * d + t] * a[j * d + t]).sum::<f64>()
                            + if i == j { 0.1 } else { 0.0 };
                    }
                }
                let (mut l1, mut i1, mut l2, mut i2) = (
                    vec![0.0; d * d],
                    vec![0.0; d * d],
                    vec![0.0; d * d],
                    vec![0.0; d * d],
                );
                let a1 = cholesky_into(&cov, d, &mut l1, &mut i1).unwrap();
                let a2 = cholesky_dynamic(&cov, d, &mut l2, &mut i2).unwrap();
                assert_eq!(a1.to_bits(), a2.to_bits(), "d = {d}");
                assert!(l1.iter().zip(&l2).all(|(x, y)| x.to_bits() == y.to_bits()));
                assert!(i1.iter().zip(&i2).all(|(x, y)| x.to_bits() == y.to_bits()));
            }
            let mut singular = vec![1.0; d * d];
            singular[0] = if d == 1 { -1.0 } else { 1.0 };
            let (mut l, mut i) = (vec![0.0; d * d], vec![0.0; d * d]);
            assert!(
                cholesky_into(&singular, d, &mut l, &mut i).is_none(),
                "d = {d}"
            );
            assert!(
                cholesky_dynamic(&singular, d, &mut l, &mut i).is_none(),
                "d = {d}"
            );
        }
    }

    #[test]
    fn validates_parameters() {
        let bad_w = GaussianMixture::new(1, vec![0.5, 0.4], vec![0.0, 1.0], vec![1.0, 1.0]);
        assert!(matches!(bad_w, Err(Error::InvalidArgument { ref arg, .. }) if arg == "weights"));
        let neg = GaussianMixture::new(1, vec![1.0], vec![0.0], vec![-1.0]);
        assert!(matches!(neg, Err(Error::InvalidArgument { ref arg, .. }) if arg == "covariances"));
        let asym = GaussianMixture::new(2, vec![1.0], vec![0.0, 0.0], vec![1.0, 0.5, 0.1, 1.0]);
        assert!(asym.is_err());
        let shape = GaussianMixture::new(2, vec![1.0], vec![0.0], vec![1.0, 0.0, 0.0, 1.0]);
        assert!(matches!(shape, Err(Error::InvalidArgument { ref arg, .. }) if arg == "means"));
    }

    #[test]
    fn single_gaussian_density_matches_closed_form() {
        // N(0, diag(4, 9)) at (2, 3): ln p = -ln(2 pi) - 0.5 ln 36 - 0.5 (1 + 1)
        let g =
            GaussianMixture::new(2, vec![1.0], vec![0.0, 0.0], vec![4.0, 0.0, 0.0, 9.0]).unwrap();
        let lp = g.log_density(&[2.0, 3.0]).unwrap()[0];
        let want = -LN_2PI - 0.5 * 36f64.ln() - 1.0;
        assert!((lp - want).abs() < 1e-14, "{lp} vs {want}");
    }

    #[test]
    fn log_density_is_stable_far_in_the_tails() {
        let g = d3();
        let lp = g.log_density(&[1e3, -1e3]).unwrap()[0];
        assert!(lp.is_finite() && lp < -1e5);
    }

    #[test]
    fn responsibilities_sum_to_one() {
        let g = d3();
        let r = g
            .responsibilities(&[0.0, 0.0, -1.0, 2.0, 5.0, 5.0])
            .unwrap();
        for row in r.chunks(3) {
            assert!((row.iter().sum::<f64>() - 1.0).abs() < 1e-14);
        }
    }

    #[test]
    fn marginal_of_gaussian_is_the_sub_block() {
        let g = GaussianMixture::new(
            3,
            vec![1.0],
            vec![1.0, 2.0, 3.0],
            vec![2.0, 0.3, 0.1, 0.3, 1.0, 0.2, 0.1, 0.2, 3.0],
        )
        .unwrap();
        let m = g.marginal(&[2, 0]).unwrap();
        assert_eq!(m.means(), &[3.0, 1.0]);
        assert_eq!(m.covariances(), &[3.0, 0.1, 0.1, 2.0]);
        assert!(g.marginal(&[3]).is_err());
        assert!(g.marginal(&[0, 0]).is_err());
    }

    #[test]
    fn marginal_density_integrates_the_joint() {
        // Numerically integrate p(x, y) over y on a fine grid and compare with p_x(x).
        let g = d3();
        let mx = g.marginal(&[0]).unwrap();
        for &x in &[-2.0, -0.5, 0.7] {
            let h = 1e-3;
            let mut s = 0.0;
            let mut y = -6.0;
            while y < 9.0 {
                s += g.log_density_one(&[x, y]).exp() * h;
                y += h;
            }
            let want = mx.log_density_one(&[x]).exp();
            assert!((s - want).abs() < 1e-6 * want.max(1.0), "{s} vs {want}");
        }
    }

    #[test]
    fn affine_image_transforms_the_density() {
        // p'(a x + b) = p(x) / |a1 a2|
        let g = d3();
        let a = [2.0, -0.5];
        let b = [1.0, 3.0];
        let h = g.affine(&a, &b).unwrap();
        let x = [0.3, 1.2];
        let y = [a[0] * x[0] + b[0], a[1] * x[1] + b[1]];
        let lhs = h.log_density_one(&y);
        let rhs = g.log_density_one(&x) - (a[0] * a[1]).abs().ln();
        assert!((lhs - rhs).abs() < 1e-12);
    }

    #[test]
    fn sampling_reproduces_the_moments() {
        let g = d3();
        let n = 200_000;
        let (x, _) = g.sample(n, 42);
        let (m, s) = g.moments();
        let mut em = [0.0; 2];
        for r in x.chunks(2) {
            em[0] += r[0] / n as f64;
            em[1] += r[1] / n as f64;
        }
        // Standard error of a mean is sqrt(var / n) < 0.003 here; 5 standard errors.
        for i in 0..2 {
            let se = (s[i * 2 + i] / n as f64).sqrt();
            assert!(
                (em[i] - m[i]).abs() < 5.0 * se,
                "dim {i}: {} vs {}",
                em[i],
                m[i]
            );
        }
        let (x2, _) = g.sample(n, 42);
        assert_eq!(x, x2);
    }

    #[test]
    fn aic_bic_count_parameters() {
        let g = d3();
        assert_eq!(g.n_parameters(), 2 + 6 + 9);
        let x = [0.0, 1.0, -1.0, 2.0];
        let ll = g.score(&x).unwrap() * 2.0;
        assert!((g.aic(&x).unwrap() - (-2.0 * ll + 34.0)).abs() < 1e-10);
        assert!((g.bic(&x).unwrap() - (-2.0 * ll + 17.0 * 2f64.ln())).abs() < 1e-10);
    }

    #[test]
    fn far_points_get_finite_responsibilities() {
        let g = GaussianMixture::new(2, vec![0.5, 0.5], vec![0.0, 0.0, 1e145, 0.0], {
            let mut c = vec![1.0, 0.0, 0.0, 1.0];
            c.extend([1.0, 0.0, 0.0, 1.0]);
            c
        })
        .unwrap();
        // Squared distances (~1e320) overflow: the nearer component takes all. (The means
        // must differ by more than the rounding of the point's coordinates to be told apart;
        // points beyond that get equal shares.)
        let r = g
            .responsibilities(&[1e160, 0.0, -1e160, 0.0, 1e250, 0.0])
            .unwrap();
        assert_eq!(r, vec![0.0, 1.0, 1.0, 0.0, 0.5, 0.5]);
    }

    #[test]
    fn vectorised_log_density_matches_the_scalar_path() {
        // Every dimension of the lane kernels, and one above them (the scalar path).
        for d in 1..=kernels::MAX_LANE_DIM + 1 {
            let k = 3;
            let means: Vec<f64> = (0..k * d).map(|i| (i % 5) as f64 - 2.0).collect();
            let mut covs = Vec::new();
            for c in 0..k {
                for a in 0..d {
                    for b in 0..d {
                        covs.push(if a == b { 1.0 + c as f64 } else { 0.2 });
                    }
                }
            }
            let g = GaussianMixture::new(d, vec![0.2, 0.3, 0.5], means, covs).unwrap();
            let (mut x, _) = g.sample(37, 4); // a partial last block
            x[..d].iter_mut().for_each(|v| *v = 1e200); // far from everything: -inf
            let fast = g.log_density(&x).unwrap();
            assert_eq!(fast[0], f64::NEG_INFINITY);
            for (i, row) in x.chunks_exact(d).enumerate().skip(1) {
                let slow = g.log_density_one(row);
                // Within a few ulp (vectorised exp/ln vs libm's).
                assert!(
                    (fast[i] - slow).abs() <= 1e-14 * slow.abs().max(1.0),
                    "{d} {i}"
                );
            }
            if d == 2 {
                // Every dispatched variant the CPU supports equals the baseline compilation
                // bit for bit.
                let mut base = vec![0.0; 37];
                kernels::log_density_lanes::<2>(&g, &x, &mut base);
                for v in Variant::ALL.into_iter().filter(|v| v.supported()) {
                    let forced = with_variant(v, || g.log_density(&x).unwrap());
                    assert_eq!(forced, base, "{v:?}");
                }
                assert_eq!(fast, base);
            }
        }
    }
}
