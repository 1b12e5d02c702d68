//! The spread of lattice columns taken out of a fitted mixture before its integral
//! (ALGORITHM.md, "Tied values").
//!
//! Where two variables of an estimate have columns on a lattice of step `h` (rounded
//! measurements, counts), the Python layer spreads each value over its cell, `v + h (u -
//! 1/2)` with `u` uniform: the MI of the spread variables is that of the lattice values
//! exactly, and they have a density. A mixture of few components, though, fits that density
//! smoothly, as if each component had been widened by the rounding (its error, about
//! uniform on the cell, variance `h^2 / 12`, Sheppard's correction) and again by the spread
//! (another `h^2 / 12`): its MI is that of the variables with two such errors added, below
//! that of the lattice values by an amount that does not shrink with n (a rounded Gaussian
//! pair, correlation 0.8 and a step of 0.75 standard deviations: 0.385 nat for 0.439).
//! The lattice values themselves carry about one such error: the MI of a Gaussian pair with
//! `h^2 / 12` added to each variance is that of its cells to within 0.003 nat while a cell
//! is at most about 2.4 conditional standard deviations of a variable wide (`h <=
//! 2.4 sqrt(1 - rho^2)` for unit variances: correlation 0.8 and a step of one standard
//! deviation, 0.9 and 1, 0.95 and 0.75), and falls below it beyond (0.009-0.016 nat at 3.2
//! conditional standard deviations, 0.04 at 4.6, 0.09 at 6.4).
//!
//! So the integral runs over the fitted mixture with the spread's variance taken out of each
//! component: `Sigma_k - t_k D_k`, `D_k` diagonal with `(h_j f_j'(m_kj))^2 / 12` for each
//! spread column `j` (`f_j` the column's representation map, `m_kj` the component's mean;
//! the identity: `h_j^2 / 12`). With `lambda_k = lambda_max(D^1/2 Sigma_k^-1 D^1/2)`, the
//! whole spread comes out of a component with `lambda_k <= 1/4` ([`WHOLE_UP_TO`]: a
//! component of a smooth fit whose cells are at most about 2.4 of its own standard
//! deviations wide), none out of one with `lambda_k >= 1/2` ([`NONE_FROM`]: no wider than
//! the rounding and the spread of a single cell; mixtures of many components fitted to
//! coarse lattices or to a few levels have such components, and follow the cells' steps
//! themselves), and a share falling linearly in between, so that the value is continuous in
//! the parameters. `Sigma_k - t_k D_k` keeps at least three quarters of `Sigma_k` in every
//! direction.

use nalgebra::{DMatrix, SymmetricEigen};

use crate::error::{Error, Result};
use crate::gmm::GaussianMixture;
use crate::transform::{quantile_sketch, ColumnMap, Transform};

/// The map's log-derivative of a spread column is tabulated at this many evenly spaced
/// order statistics of the column (the derivative at a component's mean is interpolated).
pub const DERIVATIVE_POINTS: usize = 512;

/// The whole spread comes out of a component whose `lambda` (the largest eigenvalue of
/// `D^1/2 Sigma^-1 D^1/2`) is at most this: in a smooth fit `Sigma = S + 2 D` in the
/// lattice directions (`S` the variable's own spread, `D` the rounding's and the spread's
/// variance `h^2 / 12` each), and `lambda <= 1/4` is `S >= h^2 / 6`, a cell at most 2.45 of
/// the variable's (conditional) standard deviations wide, where the MI of a Gaussian pair
/// with the rounding's `h^2 / 12` added is that of its cells to within 0.003 nat.
pub const WHOLE_UP_TO: f64 = 0.25;

/// None of the spread comes out of a component whose `lambda` is at least this: `lambda =
/// 1/2` is `S = 0`, a component no wider than the rounding and the spread of one cell
/// (components that resolve single cells: mixtures of many components fitted to a coarse
/// lattice or to a few levels, whose fits follow the cells' steps themselves). In between
/// the share falls linearly, so that the value is continuous in the parameters.
pub const NONE_FROM: f64 = 0.5;

/// One spread column.
#[derive(Debug, Clone, PartialEq)]
struct SpreadColumn {
    /// Variance of the spread in the column's units, `h^2 / 12`.
    variance: f64,
    /// `(mapped value, ln derivative of the map)` at order statistics of the column, in
    /// increasing order of the mapped value; empty for the identity map.
    table: Vec<(f64, f64)>,
}

impl SpreadColumn {
    /// Variance of the spread at `m` in the mapped units.
    fn variance_at(&self, m: f64) -> f64 {
        let t = &self.table;
        if t.is_empty() {
            return self.variance;
        }
        let i = t.partition_point(|&(u, _)| u < m);
        let lj = if i == 0 {
            t[0].1
        } else if i == t.len() {
            t[t.len() - 1].1
        } else {
            let ((u0, l0), (u1, l1)) = (t[i - 1], t[i]);
            if u1 > u0 {
                l0 + (l1 - l0) * (m - u0) / (u1 - u0)
            } else {
                l0
            }
        };
        self.variance * (2.0 * lj).exp()
    }
}

/// The spread of an estimate's lattice columns, for [`Deconvolution::apply`].
#[derive(Debug, Clone, PartialEq)]
pub struct Deconvolution {
    /// Per column of the model: the spread column, or `None`.
    columns: Vec<Option<SpreadColumn>>,
}

impl Deconvolution {
    /// The deconvolution of the columns of `x` (row-major, `d` columns, the values as the
    /// mixture's representation receives them, spread) with lattice steps `steps` (one per
    /// column, `0`: not spread; empty: none is), under the representation `transform`.
    /// `None` when no column is spread.
    pub fn new(steps: &[f64], transform: &Transform, x: &[f64], d: usize) -> Result<Option<Self>> {
        check_steps(steps, d)?;
        if steps.iter().all(|&h| h == 0.0) {
            return Ok(None);
        }
        let columns = steps
            .iter()
            .enumerate()
            .map(|(j, &h)| {
                (h > 0.0).then(|| SpreadColumn {
                    variance: h * h / 12.0,
                    table: derivative_table(&transform.columns[j], x, d, j),
                })
            })
            .collect();
        Ok(Some(Deconvolution { columns }))
    }

    /// The mixture `g` (in the representation's units, not standardised) with the spread's
    /// variance taken out of each component (see the module documentation).
    pub fn apply(&self, g: &GaussianMixture) -> Result<GaussianMixture> {
        let (k, d) = (g.n_components(), g.dim());
        if d != self.columns.len() {
            return Err(Error::arg(
                "lattice_steps",
                format!("{} steps for a model of {d} columns", self.columns.len()),
            ));
        }
        let spread: Vec<usize> = (0..d).filter(|&j| self.columns[j].is_some()).collect();
        let mut cov = g.covariances().to_vec();
        for c in 0..k {
            let mean = g.mean(c);
            let delta: Vec<f64> = spread
                .iter()
                .map(|&j| {
                    self.columns[j]
                        .as_ref()
                        .map_or(0.0, |s| s.variance_at(mean[j]))
                })
                .collect();
            if delta.iter().any(|v| !v.is_finite()) {
                return Err(Error::Numerical(
                    "the spread of a lattice column is not finite in the units of its map".into(),
                ));
            }
            // The precision Sigma^-1 = L^-T L^-1 from the model's inverse Cholesky factor
            // (lower triangular), on the spread columns only.
            let inv = &g.inverse_cholesky_factors()[c * d * d..(c + 1) * d * d];
            let precision = |a: usize, b: usize| -> f64 {
                (a.max(b)..d).map(|i| inv[i * d + a] * inv[i * d + b]).sum()
            };
            let m = spread.len();
            let scaled = DMatrix::from_fn(m, m, |a, b| {
                delta[a].sqrt() * precision(spread[a], spread[b]) * delta[b].sqrt()
            });
            let lambda = SymmetricEigen::new(scaled).eigenvalues.max();
            let share = ((NONE_FROM - lambda) / (NONE_FROM - WHOLE_UP_TO)).clamp(0.0, 1.0);
            for (a, &j) in spread.iter().enumerate() {
                cov[c * d * d + j * d + j] -= share * delta[a];
            }
        }
        GaussianMixture::new(d, g.weights().to_vec(), g.means().to_vec(), cov)
    }
}

/// Checks lattice steps: none, or one per column, each finite, non-negative and at most
/// `1e150`.
pub fn check_steps(steps: &[f64], d: usize) -> Result<()> {
    if steps.is_empty() {
        return Ok(());
    }
    if steps.len() != d {
        return Err(Error::arg(
            "lattice_steps",
            format!(
                "one step per column is needed: {} for {d} columns",
                steps.len()
            ),
        ));
    }
    // (a step beyond 1e150 would make its variance h^2 / 12 overflow)
    if let Some(h) = steps
        .iter()
        .find(|h| !(h.is_finite() && **h >= 0.0 && **h <= 1e150))
    {
        return Err(Error::arg(
            "lattice_steps",
            format!("steps must be finite, non-negative and at most 1e150; got {h}"),
        ));
    }
    Ok(())
}

/// `(mapped value, ln derivative)` of `map` at [`DERIVATIVE_POINTS`] evenly spaced order
/// statistics of column `j` of `x` (all its values when there are fewer), in increasing
/// order; empty for the identity.
fn derivative_table(map: &ColumnMap, x: &[f64], d: usize, j: usize) -> Vec<(f64, f64)> {
    if *map == ColumnMap::Identity {
        return Vec::new();
    }
    let mut col: Vec<f64> = x.iter().skip(j).step_by(d).copied().collect();
    col.sort_unstable_by(f64::total_cmp);
    let mut table: Vec<(f64, f64)> = quantile_sketch(&col, DERIVATIVE_POINTS)
        .into_iter()
        .map(|v| map.apply(v))
        .collect();
    // (the map is increasing; a sort guards the search against rounding at its flat ends)
    table.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(rho: f64, var: f64) -> GaussianMixture {
        GaussianMixture::new(
            2,
            vec![1.0],
            vec![0.0, 0.0],
            vec![var, rho * var, rho * var, var],
        )
        .unwrap()
    }

    #[test]
    fn a_wide_component_loses_the_whole_spread_in_its_spread_columns_only() {
        let d = Deconvolution::new(&[0.5, 0.0], &Transform::identity(2), &[0.0; 4], 2)
            .unwrap()
            .unwrap();
        let g = d.apply(&pair(0.5, 1.0)).unwrap();
        let c = g.covariance(0);
        // 0.25 / 12 out of x's variance; y and the covariance as they were.
        assert!((c[0] - (1.0 - 0.25 / 12.0)).abs() < 1e-15);
        assert_eq!((c[1], c[2], c[3]), (0.5, 0.5, 1.0));
    }

    #[test]
    fn no_steps_no_deconvolution_and_bad_steps_are_refused() {
        let id = Transform::identity(2);
        assert!(Deconvolution::new(&[], &id, &[0.0; 4], 2)
            .unwrap()
            .is_none());
        assert!(Deconvolution::new(&[0.0, 0.0], &id, &[0.0; 4], 2)
            .unwrap()
            .is_none());
        for bad in [vec![0.5], vec![0.5, f64::NAN], vec![-1.0, 0.5]] {
            let e = Deconvolution::new(&bad, &id, &[0.0; 4], 2).unwrap_err();
            assert!(e.to_string().contains("lattice_steps"), "{e}");
        }
    }

    #[test]
    fn the_share_taken_out_falls_from_all_to_none_as_a_component_narrows_to_the_spread() {
        // One spread column of variance v = h^2 / 12 = 1: lambda = v / sigma^2 for a 1-D
        // component, share (1/2 - lambda) / (1/4) clamped to [0, 1].
        let h = 12f64.sqrt();
        let d = Deconvolution::new(&[h], &Transform::identity(1), &[0.0], 1)
            .unwrap()
            .unwrap();
        // lambda 1/4: all of it; 1/3: two thirds; 1/2 and beyond: none.
        for (var, expected) in [(4.0, 3.0), (3.0, 3.0 - 2.0 / 3.0), (2.0, 2.0), (1.0, 1.0)] {
            let g = GaussianMixture::new(1, vec![1.0], vec![0.0], vec![var]).unwrap();
            let out = d.apply(&g).unwrap().covariance(0)[0];
            assert!((out - expected).abs() < 1e-12, "{var}: {out} vs {expected}");
            // never below three quarters of the fitted variance
            assert!(out >= 0.75 * var - 1e-12);
        }
    }

    #[test]
    fn every_component_keeps_three_quarters_of_its_covariance_and_loses_no_more_than_the_spread() {
        // Random 3-D components (covariances A A^T + small ridge, scales over four orders
        // of magnitude) and steps: Sigma - t D must satisfy 3 Sigma / 4 <= Sigma - t D <=
        // Sigma, i.e. the eigenvalues of Sigma^-1/2 (Sigma - t D) Sigma^-1/2 lie in
        // [3/4, 1] (t lambda <= max over lambda of (2 - 4 lambda) lambda = 1/4).
        use crate::rng::{self, Purpose};
        use rand_distr::{Distribution, StandardNormal};
        let mut r = rng::stream(7, Purpose::Init, 0, 0);
        let mut normal = || -> f64 { StandardNormal.sample(&mut r) };
        for trial in 0..300 {
            let a: Vec<f64> = (0..9).map(|_| normal()).collect();
            let scale = 10f64.powf(2.0 * normal().tanh());
            let am = DMatrix::from_row_slice(3, 3, &a);
            let sigma = (&am * am.transpose()) * scale + DMatrix::identity(3, 3) * 1e-3 * scale;
            let steps = [
                normal().abs() * scale.sqrt(),
                0.0,
                normal().abs() * scale.sqrt(),
            ];
            let dc = Deconvolution::new(&steps, &Transform::identity(3), &[0.0; 3], 3)
                .unwrap()
                .unwrap();
            let g = GaussianMixture::new(3, vec![1.0], vec![0.0; 3], sigma.as_slice().to_vec())
                .unwrap();
            let out = DMatrix::from_row_slice(3, 3, dc.apply(&g).unwrap().covariance(0));
            let eig = sigma.clone().symmetric_eigen();
            let inv_sqrt = DMatrix::from_diagonal(&eig.eigenvalues.map(|v| 1.0 / v.sqrt()));
            let w = &eig.eigenvectors * inv_sqrt * eig.eigenvectors.transpose();
            let ratio = (&w * &out * &w).symmetric_eigen().eigenvalues;
            assert!(
                ratio.min() >= 0.75 - 1e-9 && ratio.max() <= 1.0 + 1e-9,
                "{trial}: {ratio}"
            );
            // only the spread columns' variances change
            for i in 0..3 {
                for j in 0..3 {
                    if i != j || i == 1 {
                        assert_eq!(out[(i, j)], sigma[(i, j)], "{trial}");
                    }
                }
            }
        }
    }

    #[test]
    fn a_mapped_column_loses_the_spread_through_the_maps_derivative() {
        // asinh(x / s): derivative 1 / sqrt(s^2 + x^2); at x = 0 it is 1 / s.
        let map = ColumnMap::Asinh {
            centre: 0.0,
            scale: 2.0,
        };
        let t = Transform {
            family: crate::transform::MapFamily::Asinh,
            columns: vec![map],
        };
        let x: Vec<f64> = (0..2001).map(|i| (i as f64 - 1000.0) / 100.0).collect();
        let d = Deconvolution::new(&[0.6], &t, &x, 1).unwrap().unwrap();
        let g = GaussianMixture::new(1, vec![1.0], vec![0.0], vec![1.0]).unwrap();
        let out = d.apply(&g).unwrap().covariance(0)[0];
        let expected = 1.0 - 0.36 / 12.0 / 4.0;
        assert!((out - expected).abs() < 1e-6, "{out} vs {expected}");
    }
}
