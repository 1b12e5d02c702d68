//! What the estimator tells the user about its fits: warning kinds and messages, and the
//! degeneracy diagnostics of fitted components.

use crate::gmm::GaussianMixture;

/// Kind of a warning raised during selection or bootstrap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WarningKind {
    /// The search reached `max_components` without the metric stopping to improve.
    MaxComponents,
    /// Every CV fit of the selected K stopped within two EM iterations.
    ShortFits,
    /// At least one EM fit hit `max_iter` before converging.
    NotConverged,
    /// The search stopped early because there were too few training rows for more K.
    TooFewRows,
    /// A fitted component is (numerically) singular: the variables are deterministic
    /// functions of each other on part of the data, or there are many ties.
    Degenerate,
    /// Some bootstrap resamples were redrawn because their refit failed numerically.
    Redrawn,
    /// The bootstrap replicates split between two representations of the data (see
    /// `estimator::estimate`): the data do not settle which one the mixture fits better.
    Representation,
}

/// A warning with its kind and a message for the user.
#[derive(Debug, Clone, PartialEq)]
pub struct Warning {
    /// Machine-readable kind.
    pub kind: WarningKind,
    /// Human-readable message.
    pub message: String,
}

/// Floor of the eigenvalue test of [`degeneracy_warnings`], relative to the data's variance:
/// below it a direction of a component holds (nearly) no data whatever `reg_covar` is.
pub const DEGENERATE_EIGENVALUE: f64 = 1e-9;

/// A direction of a component is "set by `reg_covar`" when its variance is below this many
/// times `reg_covar` (`reg_covar` is then more than a tenth of it).
pub const DEGENERATE_FACTOR: f64 = 10.0;

/// A variable has "many tied values" when at least this share of its rows repeat another
/// row's values.
pub const TIED_SHARE: f64 = 0.01;

/// Fewest rows on which [`degeneracy_warnings`] reads an order that every row shares as a
/// deterministic relation (see [`monotone_relation`]): independent variables put `n` rows in
/// one order (either way) with probability `2 / n!`, 8e-19 at 20 rows, and dependent ones
/// of finite MI only when it is large.
pub const MONOTONE_MIN_ROWS: usize = 20;

/// Rows (evenly spaced) that [`monotone_relation`] sorts first: two columns in one order on
/// all the rows are so on these, and nearly every pair that is not shows it here, so the
/// check costs a sort of this many rows instead of the column's.
const MONOTONE_PROBE_ROWS: usize = 64;

/// Whether column `b` of `x` (row-major, `d` columns) is a strictly increasing (`Some(true)`)
/// or decreasing (`Some(false)`) function of column `a` on the rows `rows`; `None` when it is
/// neither or `a` has a tie there.
fn monotone_on(
    x: &[f64],
    d: usize,
    a: usize,
    b: usize,
    rows: impl Iterator<Item = usize>,
) -> Option<bool> {
    let mut pts: Vec<(f64, f64)> = rows.map(|i| (x[i * d + a], x[i * d + b])).collect();
    pts.sort_unstable_by(|p, q| p.0.total_cmp(&q.0));
    let (mut up, mut down) = (true, true);
    for w in pts.windows(2) {
        if w[1].0 <= w[0].0 || !(up || down) {
            return None;
        }
        up &= w[1].1 > w[0].1;
        down &= w[1].1 < w[0].1;
    }
    (up || down).then_some(up)
}

/// Whether, on every one of the rows of `x` (row-major, `d` columns, at least
/// [`MONOTONE_MIN_ROWS`]), column `b` is a strictly increasing (`Some(true)`) or decreasing
/// (`Some(false)`) function of column `a`: sorting the rows by `a` sorts `b`, with no tie in
/// either. A strictly monotone map of either column keeps the answer, so it is the same on
/// the data as given and as the mixture is fitted.
pub fn monotone_relation(x: &[f64], d: usize, a: usize, b: usize) -> Option<bool> {
    let n = x.len() / d.max(1);
    if n < MONOTONE_MIN_ROWS {
        return None;
    }
    let m = MONOTONE_PROBE_ROWS.min(n);
    monotone_on(x, d, a, b, (0..m).map(|k| k * n / m))?;
    monotone_on(x, d, a, b, 0..n)
}

/// The warning for a column of `y` that is a strictly monotone function of a column of `x`
/// on every row (MI and CMI: `blocks` are `x`, `y` and maybe `z`), which the fit need not
/// show as a singular component: a curve such as `y = x**3` is followed by many narrow
/// components whose MI grows with the rows and components, finite and with a tight
/// interval, while the truth is infinite. A pair of which either column is also such a
/// function of a column of `z` is left (the conditional MI of variables that `z` fixes is
/// not defined by them).
fn monotone_warning(
    x: &[f64],
    d: usize,
    blocks: &[(&str, Vec<usize>)],
    context: &str,
) -> Option<Warning> {
    let [(xname, xs), (yname, ys), rest @ ..] = blocks else {
        return None;
    };
    let zs: &[usize] = rest.first().map_or(&[], |(_, z)| z.as_slice());
    let label = |name: &str, cols: &[usize], k: usize| {
        if cols.len() > 1 {
            format!("column {k} of {name}")
        } else {
            name.to_string()
        }
    };
    let fixed_by_z = |c: usize| zs.iter().any(|&z| monotone_relation(x, d, z, c).is_some());
    let n = x.len() / d.max(1);
    for (i, &a) in xs.iter().enumerate() {
        for (j, &b) in ys.iter().enumerate() {
            let Some(up) = monotone_relation(x, d, a, b) else {
                continue;
            };
            if fixed_by_z(a) || fixed_by_z(b) {
                continue;
            }
            let (xa, yb) = (label(xname, xs, i), label(yname, ys, j));
            let quantity = if zs.is_empty() {
                "mutual information"
            } else {
                "conditional mutual information"
            };
            let (how, order) = if up {
                ("increasing", "")
            } else {
                ("decreasing", " in reverse")
            };
            return Some(Warning {
                kind: WarningKind::Degenerate,
                message: format!(
                    "{context}{yb} is a strictly {how} function of {xa} on all {n} rows \
                     (sorting them by {xa} sorts {yb}{order}, with no ties): if the relation \
                     holds beyond these rows the {quantity} is infinite, and the reported \
                     value and its interval are set by how finely the mixture follows the \
                     curve (the rows, the components, reg_covar), not by the data"
                ),
            });
        }
    }
    None
}

/// What a singular component means for the quantity estimated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Singularity {
    /// MI / CMI between the blocks: a singular direction shared across blocks (not explained
    /// by singular directions within them) means the MI is effectively infinite; for a CMI
    /// (blocks `x`, `y`, `z`) one between `x` or `y` and `z` alone cancels from it, as one
    /// within a block does.
    Across,
    /// An entropy: any singular direction makes it effectively -infinite.
    Entropy,
    /// Only singular directions within a block matter (marginal KL, per-class fits).
    Within,
}

/// Fraction of the rows of `x` (row-major, `d` columns) whose values in `cols` repeat an
/// earlier row's.
fn tie_fraction(x: &[f64], d: usize, cols: &[usize]) -> f64 {
    let n = x.len() / d;
    let mut rows: Vec<Vec<u64>> = (0..n)
        .map(|i| cols.iter().map(|&j| x[i * d + j].to_bits()).collect())
        .collect();
    rows.sort_unstable();
    let dup = rows.windows(2).filter(|w| w[0] == w[1]).count();
    dup as f64 / n.max(1) as f64
}

/// Warnings for fitted components that are (numerically) singular, i.e. whose variance in
/// some direction is set by `reg_covar` rather than by the data.
///
/// `g` is in the units it was fitted in (where `reg_covar` was added) and `x` holds the rows
/// it was fitted on; `blocks` names the variables (such as `("x", [0])`, `("y", [1])`). Each
/// component's covariance is scaled by the mixture's overall standard deviations, and a
/// direction counts as singular when its variance is below
/// `max(DEGENERATE_FACTOR * reg_covar / smallest variance, DEGENERATE_EIGENVALUE)`.
/// A singular direction shared across blocks means perfect dependence (`Across`); one within
/// a block means tied values, collinear columns or a component collapsed onto a few points.
pub fn degeneracy_warnings(
    g: &GaussianMixture,
    x: &[f64],
    blocks: &[(&str, Vec<usize>)],
    what: Singularity,
    reg_covar: f64,
    context: &str,
) -> Vec<Warning> {
    let d = g.dim();
    let (_, total) = g.moments();
    let sd: Vec<f64> = (0..d).map(|j| total[j * d + j].max(0.0).sqrt()).collect();
    let min_var = sd.iter().fold(f64::INFINITY, |a, &b| a.min(b * b));
    let thr = (DEGENERATE_FACTOR * reg_covar / min_var).max(DEGENERATE_EIGENVALUE);
    // Number of eigenvalues below `thr` and the smallest one, of a component's scaled
    // covariance restricted to `idx`.
    let small = |c: usize, idx: &[usize]| -> (usize, f64) {
        let s = g.covariance(c);
        let m = nalgebra::DMatrix::from_fn(idx.len(), idx.len(), |a, b| {
            let (i, j) = (idx[a], idx[b]);
            s[i * d + j] / (sd[i] * sd[j])
        });
        let ev = m.symmetric_eigenvalues();
        // NaN (a broken covariance) counts as singular.
        let count = ev.iter().filter(|&&v| v < thr || v.is_nan()).count();
        (count, ev.iter().copied().fold(f64::INFINITY, f64::min))
    };
    let joint: Vec<usize> = blocks.iter().flat_map(|(_, v)| v.iter().copied()).collect();
    // A conditional MI's blocks x, y, z: a singular direction between x (or y) and z alone
    // lies in both p(x, y, z) and p(x, z) (or p(y, z)) and cancels from I(X;Y|Z), as one
    // within a block does (its value does not depend on reg_covar: 0 where x is z, the
    // truth where z is one of x's columns); only what is singular beyond those directions
    // makes the conditional MI infinite.
    let with_z: Option<[Vec<usize>; 2]> = match blocks {
        [(_, x), (_, y), (name, z)] if *name == "z" && what == Singularity::Across => Some([
            x.iter().chain(z).copied().collect(),
            y.iter().chain(z).copied().collect(),
        ]),
        _ => None,
    };
    let mut out = Vec::new();
    let mut across: Option<f64> = None;
    // Per block: the smallest eigenvalue seen and the component it belongs to.
    let mut within: Vec<Option<(f64, usize)>> = vec![None; blocks.len()];
    for c in 0..g.n_components() {
        let per_block: Vec<(usize, f64)> = blocks.iter().map(|(_, v)| small(c, v)).collect();
        for (b, &(count, min)) in per_block.iter().enumerate() {
            if count > 0 && within[b].is_none_or(|(w, _)| min < w) {
                within[b] = Some((min, c));
            }
        }
        let (count, min) = small(c, &joint);
        // The singular directions that cancel: within the blocks, or (a conditional MI)
        // within x and z or within y and z, whose counts both hold z's own.
        let explained: usize = match &with_z {
            Some([xz, yz]) => small(c, xz).0 + small(c, yz).0 - per_block[2].0,
            None => per_block.iter().map(|p| p.0).sum(),
        };
        let shared = match what {
            Singularity::Across => count > explained,
            Singularity::Entropy => count > 0,
            Singularity::Within => false,
        };
        if shared {
            across = Some(across.map_or(min, |a| a.min(min)));
        }
    }
    if let Some(min) = across {
        let message = match what {
            Singularity::Entropy => format!(
                "{context}a fitted component is singular (smallest scaled eigenvalue \
                 {min:.1e}, reg_covar={reg_covar:.0e}): the variables are (nearly) \
                 deterministic functions of each other, or the data have many ties. The \
                 differential entropy is then effectively infinite (it tends to -inf) and the \
                 reported value is set by reg_covar, not by the data"
            ),
            _ => format!(
                "{context}a fitted component is singular across the variables (smallest \
                 scaled eigenvalue {min:.1e}, reg_covar={reg_covar:.0e}): they are (nearly) \
                 deterministic functions of each other. The mutual information is then \
                 effectively infinite and the reported value is set by reg_covar, not by the \
                 data"
            ),
        };
        out.push(Warning {
            kind: WarningKind::Degenerate,
            message,
        });
    } else if what == Singularity::Across {
        // No component shows a deterministic relation; the data may still: a monotone
        // curve, fitted piece by piece.
        out.extend(monotone_warning(x, d, blocks, context));
    }
    let n = x.len() / d;
    // Per block with a singular component: whether a column of it shrank, and the share of
    // the block's rows that repeat another's values.
    let shrunk: Vec<Option<(bool, f64)>> = blocks
        .iter()
        .zip(&within)
        .map(|((_, cols), found)| {
            found.map(|(_, c)| {
                let cov = g.covariance(c);
                let column_shrunk = cols.iter().any(|&j| {
                    let v = cov[j * d + j] / (sd[j] * sd[j]);
                    v < thr || v.is_nan()
                });
                (column_shrunk, tie_fraction(x, d, cols))
            })
        })
        .collect();
    let tied_blocks = shrunk
        .iter()
        .filter(|s| matches!(s, Some((true, t)) if *t >= TIED_SHARE))
        .count();
    for (((name, _), found), block) in blocks.iter().zip(&within).zip(&shrunk) {
        let (Some((min, c)), Some((column_shrunk, ties))) = (*found, *block) else {
            continue;
        };
        let rows = g.weights()[c] * n as f64;
        if what == Singularity::Across && column_shrunk && ties >= TIED_SHARE && tied_blocks == 1 {
            // A component of no width on a value that many rows of this variable repeat
            // holds a point mass of it (a level of a count, the zeros of a rectified
            // variable): its factor is the same in the joint density and in this variable's
            // marginal and cancels from the (conditional) MI, which reg_covar does not set.
            // Not so where two variables shrank onto their ties: the mixture then also
            // holds lines of their joint lattice, which no marginal shares.
            continue;
        }
        let cause = if !column_shrunk {
            format!(
                "The columns of {name} are (nearly) linearly dependent: drop the redundant \
                 ones (the mutual information does not change)"
            )
        } else if ties >= TIED_SHARE {
            format!(
                "{name} has many tied values ({:.0}% of rows repeat another): add jitter below \
                 the measurement precision, or, if {name} is a label, pass it as a discrete \
                 variable where the function takes one",
                100.0 * ties
            )
        } else if rows >= 10.0 {
            format!(
                "The component holds about {rows:.0} rows, so the spread of {name} is \
                 dominated by a few far-away values (outliers) and the bulk is narrower than \
                 reg_covar resolves: remove the outliers or transform {name} (say ranks or a \
                 logarithm)"
            )
        } else {
            format!(
                "{name} has no ties to speak of: the component collapsed onto a few points \
                 (EM's degenerate solution); fix fewer components (n_components / \
                 max_components) or raise reg_covar"
            )
        };
        out.push(Warning {
            kind: WarningKind::Degenerate,
            message: format!(
                "{context}a fitted component is singular within {name} (smallest scaled \
                 eigenvalue {min:.1e}, reg_covar={reg_covar:.0e}); the estimate may be set by \
                 reg_covar rather than by the data. {cause}"
            ),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn singular_pair(rho: f64) -> GaussianMixture {
        GaussianMixture::new(2, vec![1.0], vec![0.0, 0.0], vec![1.0, rho, rho, 1.0]).unwrap()
    }

    #[test]
    fn singular_across_variables_means_infinite_mi_and_within_does_not() {
        let x: Vec<f64> = (0..200).flat_map(|i| [i as f64, i as f64]).collect();
        let blocks = [("x", vec![0]), ("y", vec![1])];
        // y = x with reg_covar 1e-3: the variance across is 2e-3, within 10 reg_covar.
        let g = singular_pair(1.0 - 1e-3);
        let w = degeneracy_warnings(&g, &x, &blocks, Singularity::Across, 1e-3, "");
        assert!(
            w.len() == 1 && w[0].message.contains("effectively infinite"),
            "{w:?}"
        );
        // The same component as two columns of one variable: not infinite MI.
        let one = [("x", vec![0, 1])];
        let w = degeneracy_warnings(&g, &x, &one, Singularity::Across, 1e-3, "");
        assert!(
            w.len() == 1 && w[0].message.contains("linearly dependent"),
            "{w:?}"
        );
        // A correlation of 0.9 is no degeneracy at any small reg_covar (on rows that are
        // not in one order; see the monotone test below).
        let ok = singular_pair(0.9);
        let noisy: Vec<f64> = (0..200)
            .flat_map(|i| [i as f64, (i * 7 % 13) as f64])
            .collect();
        assert!(
            degeneracy_warnings(&ok, &noisy, &blocks, Singularity::Across, 1e-6, "").is_empty()
        );
        // Conditional MI: a singular direction between x and z alone cancels from it (z = x:
        // 0); one between x and y beyond z makes it infinite; so do both at once, x's first
        // column z and its second y (I((a, b); b | a) is infinite).
        let g_cov = |d: usize, pairs: &[(usize, usize)]| {
            let mut cov = vec![0.0; d * d];
            for i in 0..d {
                cov[i * d + i] = 1.0;
            }
            for &(i, j) in pairs {
                cov[i * d + j] = 1.0 - 1e-3;
                cov[j * d + i] = 1.0 - 1e-3;
            }
            GaussianMixture::new(d, vec![1.0], vec![0.0; d], cov).unwrap()
        };
        let cmi = |g: &GaussianMixture, x: &[f64], blocks: &[(&str, Vec<usize>)]| {
            degeneracy_warnings(g, x, blocks, Singularity::Across, 1e-3, "")
        };
        let infinite =
            |w: &[Warning]| w.len() == 1 && w[0].message.contains("effectively infinite");
        let xyz: Vec<f64> = (0..200)
            .flat_map(|i| [i as f64, (i * 7 % 13) as f64, i as f64])
            .collect();
        let three = [("x", vec![0]), ("y", vec![1]), ("z", vec![2])];
        let w = cmi(&g_cov(3, &[(0, 2)]), &xyz, &three);
        assert!(w.is_empty(), "{w:?}");
        let w = cmi(&g_cov(3, &[(0, 1)]), &xyz, &three);
        assert!(infinite(&w), "{w:?}");
        let xxyz: Vec<f64> = (0..200)
            .flat_map(|i| [i as f64, (i * 7 % 13) as f64, (i * 7 % 13) as f64, i as f64])
            .collect();
        let four = [("x", vec![0, 1]), ("y", vec![2]), ("z", vec![3])];
        let w = cmi(&g_cov(4, &[(0, 3), (1, 2)]), &xxyz, &four);
        assert!(infinite(&w), "{w:?}");
    }

    #[test]
    fn a_monotone_curve_is_said_when_no_component_shows_it() {
        // y = x^3 on 200 rows, under a fit with no singular component: the data say it.
        let rows = |f: &dyn Fn(f64) -> f64, n: usize| -> Vec<f64> {
            (0..n)
                .flat_map(|i| {
                    let t = ((i * 37 % n) as f64 - n as f64 / 2.0) / 10.0;
                    [t, f(t)]
                })
                .collect()
        };
        let blocks = [("x", vec![0]), ("y", vec![1])];
        let g = singular_pair(0.9);
        let warn = |x: &[f64], what| degeneracy_warnings(&g, x, &blocks, what, 1e-6, "");
        let w = warn(&rows(&|t| t * t * t, 200), Singularity::Across);
        assert!(
            w.len() == 1
                && w[0].kind == WarningKind::Degenerate
                && w[0]
                    .message
                    .contains("y is a strictly increasing function of x on all 200"),
            "{w:?}"
        );
        let w = warn(&rows(&|t| (-t).exp(), 200), Singularity::Across);
        assert!(
            w.len() == 1 && w[0].message.contains("strictly decreasing"),
            "{w:?}"
        );
        // Only where it means an infinite MI (not for an entropy, KL or per-class fits).
        assert!(warn(&rows(&|t| t * t * t, 200), Singularity::Within).is_empty());
        // One row out of order, a tie in y (a flat stretch), or fewer than MONOTONE_MIN_ROWS
        // rows: no relation read. Row 50, one of the probe's (every 3.125th of 200 rows),
        // and row 1 (not among them) both show.
        for out_of_order in [50, 1] {
            let mut x = rows(&|t| t * t * t, 200);
            x[2 * out_of_order + 1] = -x[2 * out_of_order + 1];
            assert!(
                warn(&x, Singularity::Across).is_empty(),
                "row {out_of_order}"
            );
        }
        assert!(warn(&rows(&|t| t.max(0.0), 200), Singularity::Across).is_empty());
        assert!(warn(
            &rows(&|t| t * t * t, MONOTONE_MIN_ROWS - 1),
            Singularity::Across
        )
        .is_empty());
        assert_eq!(
            monotone_relation(&rows(&|t| t * t * t, MONOTONE_MIN_ROWS), 2, 0, 1),
            Some(true)
        );
        // Columns of blocks named in the message; a CMI whose x is also a function of z is
        // left, one whose z is unrelated is said.
        let xyz = |z: &dyn Fn(f64, usize) -> f64| -> Vec<f64> {
            (0..200)
                .flat_map(|i| {
                    let t = ((i * 37 % 200) as f64 - 100.0) / 10.0;
                    [(i * 7 % 13) as f64, t, t * t * t, z(t, i)]
                })
                .collect()
        };
        let g4 = GaussianMixture::new(4, vec![1.0], vec![0.0; 4], {
            let mut c = vec![0.0; 16];
            for i in 0..4 {
                c[i * 4 + i] = 1.0;
            }
            c
        })
        .unwrap();
        let cmi_blocks = [("x", vec![0, 1]), ("y", vec![2]), ("z", vec![3])];
        let cmi =
            |x: &[f64]| degeneracy_warnings(&g4, x, &cmi_blocks, Singularity::Across, 1e-6, "");
        let w = cmi(&xyz(&|_, i| (i * 11 % 17) as f64 + 0.5));
        assert!(
            w.len() == 1
                && w[0]
                    .message
                    .contains("y is a strictly increasing function of column 1 of x")
                && w[0]
                    .message
                    .contains("conditional mutual information is infinite"),
            "{w:?}"
        );
        assert!(cmi(&xyz(&|t, _| 2.0 * t)).is_empty());
    }

    #[test]
    fn a_point_mass_of_one_variable_is_no_degeneracy_of_its_mi() {
        // x a count with many repeated values, y continuous; one component has no width in
        // x (a level): its factor cancels from the MI, so no warning for MI, but an
        // entropy or a per-class fit is set by reg_covar there.
        let x: Vec<f64> = (0..200)
            .flat_map(|i| [(i % 5) as f64, i as f64 * 0.01])
            .collect();
        let blocks = [("x", vec![0]), ("y", vec![1])];
        let g = GaussianMixture::new(
            2,
            vec![0.5, 0.5],
            vec![0.0, 1.0, 2.0, 1.0],
            vec![1e-12, 0.0, 0.0, 0.3, 2.0, 0.1, 0.1, 0.3],
        )
        .unwrap();
        assert!(degeneracy_warnings(&g, &x, &blocks, Singularity::Across, 1e-12, "").is_empty());
        for what in [Singularity::Entropy, Singularity::Within] {
            let w = degeneracy_warnings(&g, &x, &blocks, what, 1e-12, "");
            assert!(
                w.iter().any(|w| w.message.contains("many tied values")),
                "{w:?}"
            );
        }
        // Both variables tied, a component of no width in each: a point of their joint
        // lattice, or lines of it, which no marginal shares: said for MI.
        let both: Vec<f64> = (0..200)
            .flat_map(|i| [(i % 5) as f64, (i % 7) as f64])
            .collect();
        let g2 = GaussianMixture::new(
            2,
            vec![0.5, 0.5],
            vec![0.0, 1.0, 2.0, 3.0],
            vec![1e-12, 0.0, 0.0, 0.3, 2.0, 0.0, 0.0, 1e-12],
        )
        .unwrap();
        let w = degeneracy_warnings(&g2, &both, &blocks, Singularity::Across, 1e-12, "");
        assert!(
            w.iter()
                .filter(|w| w.message.contains("many tied values"))
                .count()
                == 2,
            "{w:?}"
        );
        // Without ties the same component is EM's collapse onto a few points, said for MI.
        let spread: Vec<f64> = (0..200).flat_map(|i| [i as f64, i as f64 * 0.01]).collect();
        let w = degeneracy_warnings(&g, &spread, &blocks, Singularity::Across, 1e-12, "");
        assert!(
            w.iter().any(|w| w.message.contains("singular within x")),
            "{w:?}"
        );
    }
}
