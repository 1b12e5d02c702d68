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

/// Floor of the eigenvalue test of [`degeneracy`], relative to the data's variance:
/// below it a direction of a component holds (nearly) no data whatever `reg_covar` is.
pub const DEGENERATE_EIGENVALUE: f64 = 1e-9;

/// A direction of a component is "set by `reg_covar`" when its variance is below this many
/// times `reg_covar` (`reg_covar` is then more than a tenth of it).
pub const DEGENERATE_FACTOR: f64 = 10.0;

/// A variable has "many tied values" when at least this share of its rows repeat another
/// row's values.
pub const TIED_SHARE: f64 = 0.01;

/// Fewest rows a stretch of [`function_relation`] holds on average: independent variables
/// put 20 rows in one order (either way) with probability `2 / 20!`, 8e-19, and dependent
/// ones of finite MI only when their noise is below what the rows resolve.
pub const FUNCTION_ROWS_PER_STRETCH: usize = 20;

/// Fewest rows [`function_relation`] reads a relation on. On fewer, a pair of finite but
/// large MI is often in one order: a Gaussian pair of correlation 0.9999 (4.3 nat) put 8 of
/// 20 samples of 20 rows and 2 of 20 of 30 rows in one order. In 2,000 samples each of 50,
/// 100 and 200 rows (a simulation of this rule): correlation 0.999 (3.1 nat) none,
/// 0.9999 0.65%, 0, 0, and 0.99999 (5.4 nat) 18%, 3.8%, 0.
pub const FUNCTION_MIN_ROWS: usize = 50;

/// Most stretches of [`function_relation`]: a function with up to 15 turns over the data's
/// range (`sin(3 x)` of a standard normal x turns 5 times).
pub const FUNCTION_MAX_STRETCHES: usize = 16;

/// Rows (evenly spaced) that [`function_relation`] sorts first. A subsequence of a sequence
/// changes direction at most as often as the sequence does, so a relation on all the rows
/// holds on these; the rows of most pairs of columns change direction on about two thirds
/// of them, and the check then costs a sort of this many rows instead of the column's.
const FUNCTION_PROBE_ROWS: usize = 64;

/// A column that is a function of another on every row: monotone on each of `stretches`
/// stretches of the other (sorted by it), the first of them increasing or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Relation {
    /// Stretches of the argument's range on which the function is strictly monotone.
    pub stretches: usize,
    /// Whether the function increases on the first (lowest) stretch.
    pub increasing: bool,
    /// Distinct rows (a row repeated exactly counts once).
    pub distinct: usize,
}

/// [`function_relation`] on the rows `rows`, with at most `max` stretches.
fn relation_on(
    x: &[f64],
    d: usize,
    a: usize,
    b: usize,
    rows: impl Iterator<Item = usize>,
    max: usize,
) -> Option<Relation> {
    let mut pts: Vec<(f64, f64)> = rows.map(|i| (x[i * d + a], x[i * d + b])).collect();
    pts.sort_unstable_by(|p, q| p.0.total_cmp(&q.0).then(p.1.total_cmp(&q.1)));
    let (mut stretches, mut direction, mut first, mut distinct) = (1, 0i8, 0i8, 1);
    for w in pts.windows(2) {
        // A tie in a with another b: b is not a function of a; a tie in b alone: a flat
        // stretch (or a level of a count), which the tie diagnostics speak for.
        let step = if w[1] == w[0] {
            continue;
        } else if w[1].0 == w[0].0 {
            return None;
        } else if w[1].1 > w[0].1 {
            1
        } else if w[1].1 < w[0].1 {
            -1
        } else {
            return None;
        };
        distinct += 1;
        if direction != 0 && step != direction {
            stretches += 1;
            if stretches > max {
                return None;
            }
        }
        if first == 0 {
            first = step;
        }
        direction = step;
    }
    (first != 0).then_some(Relation {
        stretches,
        increasing: first > 0,
        distinct,
    })
}

/// Whether, on every one of the rows of `x` (row-major, `d` columns; at least
/// [`FUNCTION_MIN_ROWS`] distinct rows), column `b` is a function of column `a` that is
/// strictly monotone on each of at most [`FUNCTION_MAX_STRETCHES`] stretches of `a`, with
/// at least [`FUNCTION_ROWS_PER_STRETCH`] distinct rows a stretch on average: sorted by
/// `a`, with no tie in either column but rows repeated exactly, `b` changes direction at
/// most that many times less one. A strictly monotone map of either column keeps the
/// number of stretches as long as it keeps every value distinct (a standardisation can
/// round the smallest values of `exp(8 x)` onto each other), so it is read on the data as
/// given.
pub fn function_relation(x: &[f64], d: usize, a: usize, b: usize) -> Option<Relation> {
    let n = x.len() / d.max(1);
    if n < FUNCTION_MIN_ROWS {
        return None;
    }
    let most = |rows: usize| FUNCTION_MAX_STRETCHES.min(rows / FUNCTION_ROWS_PER_STRETCH);
    let m = FUNCTION_PROBE_ROWS.min(n);
    relation_on(x, d, a, b, (0..m).map(|k| k * n / m), most(n))?;
    let r = relation_on(x, d, a, b, 0..n, most(n))?;
    (r.distinct >= FUNCTION_MIN_ROWS && r.stretches <= most(r.distinct)).then_some(r)
}

/// The warning for a column of `y` that is a function of a column of `x` on every row, or
/// one of `x` of one of `y` ([`function_relation`]; `blocks` are `x` and `y` of an MI, `x`
/// the data as given), which the fit need not show as a singular component: a curve such
/// as `y = x**3` or `x**2` is followed by many narrow components whose MI grows with the
/// rows and components, finite and with a tight interval, while the truth (of continuous
/// variables) is infinite. Columns for which `skip` is true (those spread over their
/// lattice's cells, whose order within a cell is the spread's) are not read.
pub fn relation_warning(
    x: &[f64],
    d: usize,
    blocks: &[(&str, Vec<usize>)],
    skip: impl Fn(usize) -> bool,
    context: &str,
) -> Option<Warning> {
    let [(xname, xs), (yname, ys)] = blocks else {
        return None;
    };
    let label = |name: &str, cols: &[usize], k: usize| {
        if cols.len() > 1 {
            format!("column {k} of {name}")
        } else {
            name.to_string()
        }
    };
    let n = x.len() / d.max(1);
    for (i, &a) in xs.iter().enumerate().filter(|(_, &a)| !skip(a)) {
        for (j, &b) in ys.iter().enumerate().filter(|(_, &b)| !skip(b)) {
            let (xa, yb) = (label(xname, xs, i), label(yname, ys, j));
            let found = function_relation(x, d, a, b)
                .map(|r| (r, &yb, &xa))
                .or_else(|| function_relation(x, d, b, a).map(|r| (r, &xa, &yb)));
            let Some((r, value, argument)) = found else {
                continue;
            };
            let rows = if r.distinct < n {
                format!("all {n} rows ({} distinct)", r.distinct)
            } else {
                format!("all {n} rows")
            };
            let what = if r.stretches == 1 {
                let (how, order) = if r.increasing {
                    ("increasing", "")
                } else {
                    ("decreasing", " in reverse")
                };
                format!(
                    "{value} is a strictly {how} function of {argument} on {rows} (sorting \
                     them by {argument} sorts {value}{order}, with no ties)"
                )
            } else {
                format!(
                    "{value} is a function of {argument} on {rows}, strictly monotone on each \
                     of {} stretches of {argument} (sorted by {argument}, {value} turns {} \
                     times, with no ties)",
                    r.stretches,
                    r.stretches - 1
                )
            };
            return Some(Warning {
                kind: WarningKind::Degenerate,
                message: format!(
                    "{context}{what}: if the relation holds beyond these rows, the mutual \
                     information of continuous variables is infinite, and the reported value \
                     and its interval are set by how finely the mixture follows the curve \
                     (the rows, the components, reg_covar), not by the data"
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

/// Robust standard deviations (1.4826 median absolute deviations) beyond which a singular
/// component's mean, in a column of its variable, sits apart from the column's rows: the
/// heavy-tail checks' bound.
const FAR_COMPONENT_SDS: f64 = 20.0;

/// How many robust standard deviations from its column's median the mean of component `c`
/// lies, in the column of `cols` where it lies farthest, when that is beyond
/// [`FAR_COMPONENT_SDS`]: a component sitting on a few far-away values. `None` otherwise
/// (or where the column's MAD is 0).
fn far_component(
    g: &GaussianMixture,
    c: usize,
    x: &[f64],
    d: usize,
    cols: &[usize],
) -> Option<f64> {
    let mean = g.mean(c);
    let mut work = Vec::with_capacity(x.len() / d);
    let mut farthest: Option<f64> = None;
    for &j in cols {
        let column = x.chunks_exact(d).map(|row| row[j]);
        let (median, sd) = crate::stats::median_and_robust_sd(column, &mut work);
        if sd.is_nan() || sd <= 0.0 {
            continue;
        }
        let dist = (mean[j] - median).abs() / sd;
        if dist > FAR_COMPONENT_SDS && farthest.is_none_or(|f| dist > f) {
            farthest = Some(dist);
        }
    }
    farthest
}

/// What [`degeneracy`] found.
#[derive(Debug, Clone, PartialEq)]
pub struct Degeneracy {
    /// The warnings for the singular components.
    pub warnings: Vec<Warning>,
    /// Whether a component is singular across the variables (with `Singularity::Across`:
    /// the MI is effectively infinite, and the first warning says so).
    pub across: bool,
    /// The warning for a component singular across the variables (or, for an entropy,
    /// at all) that holds too few rows to be read as a deterministic relation
    /// ([`COLLAPSED_ROWS_PER_DIM`]): it collapsed onto them. Kept apart from `warnings`:
    /// a curve that the rows follow is fitted by many such components, and the caller says
    /// that instead where the rows show it ([`relation_warning`]).
    pub collapsed: Option<Warning>,
}

/// A singular component holding fewer rows than this many per dimension of the fit has
/// collapsed onto them (see [`degeneracy`]): a full covariance in `d` dimensions needs
/// `d + 1` rows to be non-singular, and a deterministic relation of the data puts many
/// more than that on its line.
pub const COLLAPSED_ROWS_PER_DIM: f64 = 2.0;

/// Warnings for fitted components that are (numerically) singular, i.e. whose variance in
/// some direction is set by `reg_covar` rather than by the data, and whether one is singular
/// across the variables.
///
/// `g` is in the units it was fitted in (where `reg_covar` was added) and `x` holds the rows
/// it was fitted on, `data` (when given) the same rows as the caller gave them, before
/// centring and scaling (ties that only the fitted units show were made by rounding, not
/// measured); `blocks` names the variables (such as `("x", [0])`, `("y", [1])`). Each
/// component's covariance is scaled by the mixture's overall standard deviations, and a
/// direction counts as singular when its variance is below
/// `max(DEGENERATE_FACTOR * reg_covar / smallest variance, DEGENERATE_EIGENVALUE)`.
/// A singular direction shared across blocks means perfect dependence (`Across`); one within
/// a block means tied values, collinear columns or a component collapsed onto a few points.
pub fn degeneracy(
    g: &GaussianMixture,
    x: &[f64],
    data: Option<&[f64]>,
    blocks: &[(&str, Vec<usize>)],
    what: Singularity,
    reg_covar: f64,
    context: &str,
) -> Degeneracy {
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
    let n = x.len() / d;
    // A component on fewer rows than a few per dimension has collapsed onto them (more
    // components than the data support, or a few far or repeated rows): its zero width is
    // the fit's, and by itself no deterministic relation of the data.
    let few_rows = |c: usize| g.weights()[c] * (n as f64) < COLLAPSED_ROWS_PER_DIM * d as f64;
    // The smallest singular eigenvalue across the variables and its component, among the
    // components of many rows and among the collapsed ones.
    let mut across: Option<(f64, usize)> = None;
    let mut collapsed_across: Option<(f64, usize)> = None;
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
        let seen = if few_rows(c) {
            &mut collapsed_across
        } else {
            &mut across
        };
        if shared && seen.is_none_or(|(a, _)| min < a) {
            *seen = Some((min, c));
        }
    }
    let mut collapsed = None;
    if let Some((min, c)) = collapsed_across.filter(|_| across.is_none()) {
        let rows = g.weights()[c] * n as f64;
        collapsed = Some(Warning {
            kind: WarningKind::Degenerate,
            message: format!(
                "{context}a fitted component is singular (smallest scaled eigenvalue \
                 {min:.1e}, reg_covar={reg_covar:.0e}) and holds about {rows:.0} row(s): it \
                 collapsed onto them (more components than the data support, or a few far or \
                 repeated rows), and the reported value is set by reg_covar there, not by the \
                 data: fix fewer components (n_components / max_components) or raise \
                 reg_covar"
            ),
        });
    }
    if let Some((min, _)) = across {
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
    }
    // Per block with a singular component: whether a column of it shrank, the columns its
    // ties are counted in (those that shrank, or all the block's where none did), and the
    // share of rows that repeat another's values there. A column of a few levels beside a
    // continuous one in the same variable repeats its values on most rows while the block's
    // rows are distinct: counted over the whole block its ties were hidden, and the warning
    // blamed outliers.
    let tie_cols: Vec<(bool, Vec<usize>)> = blocks
        .iter()
        .zip(&within)
        .map(|((_, cols), found)| {
            let Some((_, c)) = found else {
                return (false, Vec::new());
            };
            let cov = g.covariance(*c);
            let shrank: Vec<usize> = cols
                .iter()
                .copied()
                .filter(|&j| {
                    let v = cov[j * d + j] / (sd[j] * sd[j]);
                    v < thr || v.is_nan()
                })
                .collect();
            if shrank.is_empty() {
                (false, cols.clone())
            } else {
                (true, shrank)
            }
        })
        .collect();
    let tie_shares: Vec<Option<f64>> = within
        .iter()
        .zip(&tie_cols)
        .map(|(found, (_, counted))| found.map(|_| tie_fraction(x, d, counted)))
        .collect();
    // The same share in the rows as given, for the blocks whose fitted units show many ties.
    let given_ties = |cols: &[usize]| data.map(|raw| tie_fraction(raw, d, cols));
    let tied_blocks = tie_cols
        .iter()
        .zip(&tie_shares)
        .filter(|((shrank, _), t)| *shrank && t.is_some_and(|t| t >= TIED_SHARE))
        .count();
    // Entropy changes under a map of the variable; MI and conditional MI do not.
    let far_advice = |name: &str| match what {
        Singularity::Entropy => "Remove the far values".to_string(),
        _ => format!("Remove the far values or transform {name} (ranks, a logarithm)"),
    };
    for ((((name, cols), found), share), (column_shrunk, tied_cols)) in
        blocks.iter().zip(&within).zip(&tie_shares).zip(&tie_cols)
    {
        let (Some((min, c)), Some(ties)) = (*found, *share) else {
            continue;
        };
        let column_shrunk = *column_shrunk;
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
        } else if ties >= TIED_SHARE
            && given_ties(tied_cols).is_some_and(|given| given < TIED_SHARE)
        {
            format!(
                "{name}'s values are distinct, but {:.0}% of its rows became equal to another \
                 in the coordinates of the fit (centred and scaled, or mapped): a few values \
                 lie so far from the rest that double precision cannot resolve the bulk beside \
                 them. {}",
                100.0 * ties,
                far_advice(name)
            )
        } else if ties >= TIED_SHARE {
            format!(
                "{name} has many tied values ({:.0}% of rows repeat another): add jitter below \
                 the measurement precision, or, if {name} is a label, pass it as a discrete \
                 variable where the function takes one",
                100.0 * ties
            )
        } else if let Some(v) = cols
            .iter()
            .map(|&j| sd[j] * sd[j])
            .find(|&v| v < DEGENERATE_FACTOR * reg_covar)
        {
            // Every component is then as wide as reg_covar in that column: no outliers, and
            // no collapse, but a variable on the scale of the regularisation.
            format!(
                "The whole of {name} varies on the scale of reg_covar (a column's variance is \
                 {v:.1e} in the units of the fit): the regularisation, not the data, sets its \
                 fitted covariances. Rescale {name} (the mutual information does not change) \
                 or lower reg_covar"
            )
        } else if let Some(far) = far_component(g, c, x, d, cols) {
            format!(
                "The component holds about {rows:.0} row(s) of {name} lying {far:.0e} robust \
                 standard deviations from its median (far values, beyond the bulk), and the \
                 estimate rests on their zero-width component. {}",
                far_advice(name)
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
    Degeneracy {
        warnings: out,
        across: across.is_some(),
        collapsed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn singular_pair(rho: f64) -> GaussianMixture {
        GaussianMixture::new(2, vec![1.0], vec![0.0, 0.0], vec![1.0, rho, rho, 1.0]).unwrap()
    }

    #[test]
    fn a_variable_on_the_scale_of_reg_covar_is_named_as_such_not_as_outliers() {
        // Two independent columns whose variance (1.2e-10) is that of reg_covar (1e-10), as
        // data of standard deviation 1e-6 fitted with standardize=False: every component is
        // as wide as the regularisation, which is the cause, not far values.
        let x: Vec<f64> = (0..400)
            .flat_map(|i| {
                let t = (i as f64 * 0.7).sin() * 1.5e-5;
                [t, (i as f64 * 1.3).cos() * 1.5e-5]
            })
            .collect();
        let g = GaussianMixture::new(
            2,
            vec![1.0],
            vec![0.0, 0.0],
            vec![1.2e-10, 0.0, 0.0, 1.2e-10],
        )
        .unwrap();
        let blocks = [("x", vec![0]), ("y", vec![1])];
        let w = degeneracy(&g, &x, None, &blocks, Singularity::Across, 1e-10, "").warnings;
        assert_eq!(w.len(), 2, "{w:?}");
        for (warning, name) in w.iter().zip(["x", "y"]) {
            assert!(
                warning.message.contains(&format!(
                    "The whole of {name} varies on the scale of reg_covar"
                )) && !warning.message.contains("outliers"),
                "{warning:?}"
            );
        }
        // Ten times wider than reg_covar: no warning at all.
        let wide =
            GaussianMixture::new(2, vec![1.0], vec![0.0, 0.0], vec![1.2e-8, 0.0, 0.0, 1.2e-8])
                .unwrap();
        assert!(
            degeneracy(&wide, &x, None, &blocks, Singularity::Across, 1e-10, "")
                .warnings
                .is_empty()
        );
    }

    #[test]
    fn singular_across_variables_means_infinite_mi_and_within_does_not() {
        let x: Vec<f64> = (0..200).flat_map(|i| [i as f64, i as f64]).collect();
        let blocks = [("x", vec![0]), ("y", vec![1])];
        // y = x with reg_covar 1e-3: the variance across is 2e-3, within 10 reg_covar.
        let g = singular_pair(1.0 - 1e-3);
        let w = degeneracy(&g, &x, None, &blocks, Singularity::Across, 1e-3, "").warnings;
        assert!(
            w.len() == 1 && w[0].message.contains("effectively infinite"),
            "{w:?}"
        );
        // The same component as two columns of one variable: not infinite MI.
        let one = [("x", vec![0, 1])];
        let w = degeneracy(&g, &x, None, &one, Singularity::Across, 1e-3, "").warnings;
        assert!(
            w.len() == 1 && w[0].message.contains("linearly dependent"),
            "{w:?}"
        );
        // The same singular component beside a broad one of correlation 0, holding 1 of the
        // 200 rows: a component collapsed onto a row is named as such, not as a
        // deterministic relation (the broad component carries the rows, and its MI is 0).
        let two = GaussianMixture::new(
            2,
            vec![0.995, 0.005],
            vec![100.0, 100.0, 50.0, 50.0],
            vec![3333.0, 0.0, 0.0, 3333.0, 1.0, 1.0 - 1e-3, 1.0 - 1e-3, 1.0],
        )
        .unwrap();
        let found = degeneracy(&two, &x, None, &blocks, Singularity::Across, 1e-3, "");
        // (apart from the warnings: the caller says so unless the rows follow a curve)
        assert!(!found.across && found.warnings.is_empty(), "{found:?}");
        let w = found.collapsed.expect("a collapsed component");
        assert!(
            w.message
                .contains("holds about 1 row(s): it collapsed onto them")
                && !w.message.contains("effectively infinite"),
            "{w:?}"
        );
        // A correlation of 0.9 is no degeneracy at any small reg_covar.
        let ok = singular_pair(0.9);
        assert!(
            degeneracy(&ok, &x, None, &blocks, Singularity::Across, 1e-6, "")
                .warnings
                .is_empty()
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
            degeneracy(g, x, None, blocks, Singularity::Across, 1e-3, "").warnings
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
    fn a_curve_is_said_when_no_component_shows_it() {
        // y = x^3 on 200 rows: the data say it (the estimator asks where no component is
        // singular across the variables; the component diagnostics never say it).
        let rows = |f: &dyn Fn(f64) -> f64, n: usize| -> Vec<f64> {
            (0..n)
                .flat_map(|i| {
                    let t = ((i * 37 % n) as f64 - n as f64 / 2.0) / 10.0;
                    [t, f(t)]
                })
                .collect()
        };
        let blocks = [("x", vec![0]), ("y", vec![1])];
        let warn = |x: &[f64]| -> Vec<Warning> {
            relation_warning(x, 2, &blocks, |_| false, "")
                .into_iter()
                .collect()
        };
        // One warning, a DegenerateWarning, saying `text`.
        let says = |x: &[f64], text: &str| {
            let w = warn(x);
            assert!(
                w.len() == 1 && w[0].kind == WarningKind::Degenerate && w[0].message.contains(text),
                "{w:?}"
            );
        };
        says(
            &rows(&|t| t * t * t, 200),
            "y is a strictly increasing function of x on all 200",
        );
        let w = warn(&rows(&|t| (-t).exp(), 200));
        assert!(
            w.len() == 1 && w[0].message.contains("strictly decreasing"),
            "{w:?}"
        );
        let cubic = rows(&|t| t * t * t, 200);
        for what in [
            Singularity::Across,
            Singularity::Within,
            Singularity::Entropy,
        ] {
            let g = singular_pair(0.9);
            assert!(degeneracy(&g, &cubic, None, &blocks, what, 1e-6, "")
                .warnings
                .is_empty());
        }
        // A curve that turns: sin(t) over t in [-10, 10) turns at +-pi/2, +-3pi/2, +-5pi/2
        // (7 stretches, the first decreasing); x = y^2 is a function of y, not y of x.
        says(
            &rows(&|t| t.sin(), 200),
            "y is a function of x on all 200 rows, strictly monotone on each of 7 \
                     stretches of x (sorted by x, y turns 6 times",
        );
        let squared: Vec<f64> = rows(&|t| t * t, 200)
            .chunks(2)
            .flat_map(|r| [r[1], r[0]])
            .collect();
        says(&squared, "x is a function of y on all 200 rows");
        assert_eq!(
            function_relation(&rows(&|t| t.sin(), 200), 2, 0, 1),
            Some(Relation {
                stretches: 7,
                increasing: false,
                distinct: 200
            })
        );
        // A row out of order is a turn and back (3 stretches), whether or not the probe holds
        // it (row 50 is one of its rows, every 3.125th of 200; row 1 is not).
        for out_of_order in [50, 1] {
            let mut x = rows(&|t| t * t * t, 200);
            x[2 * out_of_order + 1] = -x[2 * out_of_order + 1];
            assert_eq!(
                function_relation(&x, 2, 0, 1).map(|r| r.stretches),
                Some(3),
                "row {out_of_order}"
            );
        }
        // Not read: noise on the curve (y turns at most rows), more than 16 stretches
        // (sin(3 t): 20), fewer than 20 rows a stretch (sin(t) on 100 rows: 5 stretches
        // read, on 99: none), a tie in y (a flat stretch), fewer than 50 rows.
        let noisy = rows(&|t| t * t * t / 100.0 + 0.5 * (t * 1000.0).sin(), 200);
        assert!(warn(&noisy).is_empty());
        assert!(warn(&rows(&|t| (3.0 * t).sin(), 200)).is_empty());
        assert_eq!(
            function_relation(&rows(&|t| t.sin(), 100), 2, 0, 1).map(|r| r.stretches),
            Some(5)
        );
        assert_eq!(function_relation(&rows(&|t| t.sin(), 99), 2, 0, 1), None);
        assert!(warn(&rows(&|t| t.max(0.0), 200)).is_empty());
        let few = FUNCTION_MIN_ROWS;
        assert!(warn(&rows(&|t| t * t * t, few - 1)).is_empty());
        assert_eq!(
            function_relation(&rows(&|t| t * t * t, few), 2, 0, 1),
            Some(Relation {
                stretches: 1,
                increasing: true,
                distinct: few
            })
        );
        // Rows repeated exactly count once (a tie in x with another y is no function, nor
        // are 49 distinct rows, however often repeated); a column spread over its lattice's
        // cells (skipped) is not read.
        let cubic = rows(&|t| t * t * t, 60);
        let repeated: Vec<f64> = cubic.iter().chain(&cubic[..20]).copied().collect();
        assert_eq!(
            function_relation(&repeated, 2, 0, 1).map(|r| (r.stretches, r.distinct)),
            Some((1, 60))
        );
        says(&repeated, "on all 70 rows (60 distinct) (sorting");
        let mut other = repeated.clone();
        other[121] += 1e-3;
        assert_eq!(function_relation(&other, 2, 0, 1), None);
        let few: Vec<f64> = rows(&|t| t * t * t, 49).repeat(3);
        assert_eq!(function_relation(&few, 2, 0, 1), None);
        assert!(relation_warning(&cubic, 2, &blocks, |c| c == 1, "").is_none());
        // Columns of blocks named in the message; only an MI's two blocks are read.
        let xy: Vec<f64> = (0..200)
            .flat_map(|i| {
                let t = ((i * 37 % 200) as f64 - 100.0) / 10.0;
                [(i * 7 % 13) as f64, t, t * t * t]
            })
            .collect();
        let two = [("x", vec![0, 1]), ("y", vec![2])];
        let w = relation_warning(&xy, 3, &two, |_| false, "");
        assert!(
            w.as_ref().is_some_and(|w| w
                .message
                .contains("y is a strictly increasing function of column 1 of x")),
            "{w:?}"
        );
        let three = [("x", vec![0]), ("y", vec![1]), ("z", vec![2])];
        assert!(relation_warning(&xy, 3, &three, |_| false, "").is_none());
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
        assert!(
            degeneracy(&g, &x, None, &blocks, Singularity::Across, 1e-12, "")
                .warnings
                .is_empty()
        );
        for what in [Singularity::Entropy, Singularity::Within] {
            let w = degeneracy(&g, &x, None, &blocks, what, 1e-12, "").warnings;
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
        let w = degeneracy(&g2, &both, None, &blocks, Singularity::Across, 1e-12, "").warnings;
        assert!(
            w.iter()
                .filter(|w| w.message.contains("many tied values"))
                .count()
                == 2,
            "{w:?}"
        );
        // Without ties the same component is EM's collapse onto a few points, said for MI.
        let spread: Vec<f64> = (0..200).flat_map(|i| [i as f64, i as f64 * 0.01]).collect();
        let w = degeneracy(&g, &spread, None, &blocks, Singularity::Across, 1e-12, "").warnings;
        assert!(
            w.iter().any(|w| w.message.contains("singular within x")),
            "{w:?}"
        );
    }
}
