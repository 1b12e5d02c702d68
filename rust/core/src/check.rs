//! A check of a fitted mixture against the data it was fitted to, through a statistic the
//! fit did not use: the k-nearest-neighbour mutual information of Kraskov, Stögbauer and
//! Grassberger (KSG, their first algorithm, max-norm).
//!
//! KSG is biased (its bias depends on the density, the dimension and the number of rows),
//! but the bias is the same for two samples of one distribution. So the KSG of the data
//! (`m` rows) is compared with the KSG of `m` draws from the fitted mixture, repeated with
//! independent draws: where the mixture is a good model of the data the data's KSG looks
//! like one more draw of the mixture's; where the mixture misses dependence that the data
//! have (curved or spiralling multivariate structure, which a few components cannot follow)
//! the data's KSG is higher than every draw's, and the MI of the mixture is likely too low.
//! The statistic is a prediction-interval t: `(ksg_data - mean) / (sd * sqrt(1 + 1/R))`
//! over `R` draws, Student t with `R - 1` degrees of freedom when the data are one more
//! draw (up to the KSG's near-normality).
//!
//! The same comparison checks a conditional MI's mixture of `(x, y, z)` with the KSG of
//! the conditional MI (Frenzel and Pompe 2007, [`ksg_conditional`]) and the class mixtures
//! of a continuous-categorical MI with the KSG of Ross (2014, [`ksg_categorical`]). The
//! neighbours are searched in k-d trees (the crate's `kdtree` module) in few columns and
//! by comparing every pair of rows in many ([`searches_trees`]).

use rand::RngExt;
use rayon::prelude::*;
use statrs::distribution::{ContinuousCDF, StudentsT};
use statrs::function::gamma::digamma;

use crate::control::Control;
use crate::error::{Error, Result};
use crate::gmm::GaussianMixture;
use crate::kdtree::{insert_nearer, larger, KdTree};
use crate::rng::{self, Purpose};

/// The two-sided level of [`FitCheck::threshold`]: the data's KSG is flagged when a draw of
/// the mixture would fall as far out with probability below this (1%; 2.95 for 16 draws).
///
/// The statistic is Student t when the data are a fresh draw of the mixture; a mixture
/// fitted to the data is closer to them than to a fresh draw, so on data a fitted mixture
/// represents the statistic is narrower than t. Over 1,580 checks of estimates on data a
/// mixture fits exactly (the accuracy suite's Gaussians and mixtures in seven committed
/// runs, 16 draws), `|statistic|` exceeded 2.95 twice (0.13%) and 3.73 once, the
/// threshold of a 0.2% level used up to session 53: at 1% fitted mixtures are flagged
/// about as rarely as that nominal 0.2% promised, and the check flags misses the stricter
/// bound let through (a spiral across columns, Student t data through asinh).
pub const CHECK_LEVEL: f64 = 0.01;

/// The most columns (all blocks together) for which [`ksg`] and [`ksg_conditional`] always
/// search k-d trees rather than compare every pair of rows (vectorised over rows); see
/// [`searches_trees`].
pub const TREE_MAX_COLUMNS: usize = 7;

/// From [`TREE_MAX_COLUMNS`] + 1 to this many columns, [`ksg`] and [`ksg_conditional`]
/// compare every pair of rows only up to [`PAIRS_MAX_ROWS`] rows; beyond it, always.
pub const TREES_UP_TO_COLUMNS_ON_MANY_ROWS: usize = 12;

/// See [`TREES_UP_TO_COLUMNS_ON_MANY_ROWS`].
pub const PAIRS_MAX_ROWS: usize = 8_000;

/// Whether the KSG of `m` rows in `d` columns searches k-d trees (else it compares every
/// pair of rows, vectorised over rows; the two give the same terms to the bit). The trees'
/// work grows with the columns, as a query's ball meets more of their leaves; the pairs'
/// grows with the columns read and with `m^2`. Measured on one thread (Gaussian pairs,
/// k = 10, AVX2 kernels, session 60), trees against pairs: at 4,000 rows 7 / 25 / 47 / 78
/// / 124 / 160 / 305 ms against 45 / 45 / 53 / 59 / 67 / 73 / 94 ms at 2 / 4 / 6 / 8 / 10 /
/// 12 / 16 columns; at 10,000 rows 454 / 786 / 846 / 1,634 ms against 479 / 547 / 420 /
/// 543 ms at 8 / 10 / 12 / 16 columns; at 20,000 rows 895 / 1,629 / 2,556 / 5,580 ms
/// against 1,258 / 1,516 / 1,791 / 2,005 ms; at 50,000 rows (two threads) 3.2 / 5.1 / 11.5
/// s against 4.7 / 5.4 / 6.6 s at 10 / 12 / 16 columns. (The scalar comparison of every
/// pair that the vectorised one replaced had taken over only above 12 columns.)
pub fn searches_trees(m: usize, d: usize) -> bool {
    d <= TREE_MAX_COLUMNS || (d <= TREES_UP_TO_COLUMNS_ON_MANY_ROWS && m > PAIRS_MAX_ROWS)
}

/// The most columns for which [`ksg_categorical`] searches k-d trees rather than compare
/// every pair of rows (its comparison of every pair is not vectorised: measured through
/// `MIResult.check_fit`, 17 KSG of 4,000 rows of Gaussians, two threads, the trees took
/// 0.34 / 0.54 / 0.79 s at 8 / 10 / 12 columns against 1.17 / 1.22 / 1.31 s for every
/// pair, and both 1.4 s at 14).
pub const CATEGORICAL_TREE_MAX_COLUMNS: usize = 12;

/// A subspace of the KSG sums: its columns, and the sign of its term.
type Space = (Vec<usize>, f64);

/// Refuses `k` outside `1..m` (`m` rows).
fn check_ksg_args(m: usize, k: usize) -> Result<()> {
    if k == 0 || k >= m {
        return Err(Error::arg(
            "k",
            format!("must be at least 1 and below the number of rows ({m}); got {k}"),
        ));
    }
    Ok(())
}

/// Refuses rows (`d` columns) with a value that is not finite: the neighbour searches
/// assume finite distances (an infinite coordinate makes a row's distance to itself NaN,
/// and the trees' count of the others would underflow).
fn check_finite_rows(v: &[f64], d: usize) -> Result<()> {
    match v.iter().position(|a| !a.is_finite()) {
        None => Ok(()),
        Some(at) => Err(Error::arg(
            "x",
            format!(
                "the rows must be finite; row {} holds {} (column {})",
                at / d,
                v[at],
                at % d
            ),
        )),
    }
}

/// The KSG estimate (nats, not clipped at 0) of `I(X; Y)` from the rows of `v` (row-major,
/// `d` columns, `X` the first `dx` of them) with `k` neighbours: `psi(k) + psi(m) -
/// mean(psi(n_x + 1) + psi(n_y + 1))`, `n_x` (`n_y`) the rows strictly closer than the
/// k-th neighbour in the joint max-norm within `X` (`Y`). The neighbours are found exactly,
/// through k-d trees in few columns and by comparing every pair of rows in many (`O(m^2
/// d)`; [`searches_trees`]), which give the same value to the last bit; rows that are not
/// all finite are refused; in parallel over rows,
/// the per-row terms summed in row order, so the value does not depend on the thread count
/// either. Stops with [`Error::Cancelled`] soon after `ctrl` is cancelled.
pub fn ksg(v: &[f64], d: usize, dx: usize, k: usize, ctrl: &Control) -> Result<f64> {
    if d < 2 || dx == 0 || dx >= d {
        return Err(Error::arg(
            "dx",
            format!("must split the {d} columns into two non-empty blocks (got {dx})"),
        ));
    }
    let m = v.len() / d;
    check_ksg_args(m, k)?;
    check_finite_rows(v, d)?;
    let spaces = [((0..dx).collect(), 1.0), ((dx..d).collect(), 1.0)];
    let mean = mean_term(v, d, &spaces, k, ctrl)?;
    Ok(digamma(k as f64) + digamma(m as f64) - mean)
}

/// The KSG estimate of the conditional mutual information `I(X; Y | Z)` (Frenzel and Pompe
/// 2007; nats, not clipped at 0) from the rows of `v` (`X` the first `dx` columns, `Y` the
/// next `dy`, `Z` the rest, at least one each): `psi(k) - mean(psi(n_xz + 1) + psi(n_yz + 1)
/// - psi(n_z + 1))`, the counts those of rows strictly closer than the k-th neighbour in the
/// joint max-norm within `(X, Z)`, `(Y, Z)` and `Z`. Neighbours, order and cancellation as
/// in [`ksg`].
pub fn ksg_conditional(
    v: &[f64],
    d: usize,
    dx: usize,
    dy: usize,
    k: usize,
    ctrl: &Control,
) -> Result<f64> {
    if dx == 0 || dy == 0 || dx + dy >= d {
        return Err(Error::arg(
            "blocks",
            format!("must split the {d} columns into three non-empty blocks (got {dx}, {dy})"),
        ));
    }
    check_ksg_args(v.len() / d, k)?;
    check_finite_rows(v, d)?;
    let z: Vec<usize> = (dx + dy..d).collect();
    let with_z = |block: std::ops::Range<usize>| block.chain(z.iter().copied()).collect();
    let spaces = [
        (with_z(0..dx), 1.0),
        (with_z(dx..dx + dy), 1.0),
        (z.clone(), -1.0),
    ];
    let mean = mean_term(v, d, &spaces, k, ctrl)?;
    Ok(digamma(k as f64) - mean)
}

/// The mean over rows of `sum_s sign_s psi(n_s + 1)`, `n_s` the other rows strictly closer
/// within subspace `s` than the k-th neighbour in the joint max-norm.
fn mean_term(v: &[f64], d: usize, spaces: &[Space], k: usize, ctrl: &Control) -> Result<f64> {
    let m = v.len() / d;
    let terms: Vec<f64> = if searches_trees(m, d) {
        tree_terms(v, d, spaces, k, ctrl)
    } else {
        pair_terms(v, d, spaces, k, ctrl)
    };
    ctrl.check()?;
    Ok(terms.iter().sum::<f64>() / m as f64)
}

/// A row's term from its counts, summed in the spaces' order.
fn row_term(spaces: &[Space], counts: impl Iterator<Item = usize>) -> f64 {
    spaces.iter().zip(counts).fold(0.0, |acc, ((_, sign), n)| {
        acc + sign * digamma(n as f64 + 1.0)
    })
}

/// Where a subspace's rows strictly within a radius are counted: a k-d tree over its
/// columns, or, for a single column, its values sorted (two binary searches a query instead
/// of a walk down the tree; the MI of two scalars counts in two such subspaces).
enum Counter {
    Tree(KdTree),
    Sorted(Vec<f64>),
}

impl Counter {
    fn new(v: &[f64], d: usize, cols: &[usize]) -> Self {
        match cols {
            [j] => {
                let mut col: Vec<f64> = v.iter().skip(*j).step_by(d).copied().collect();
                col.sort_unstable_by(f64::total_cmp);
                Counter::Sorted(col)
            }
            _ => Counter::Tree(KdTree::new(v, d, cols)),
        }
    }

    /// The rows (the query's own included) at distance strictly below `radius` from `q`,
    /// by the tree's own test, `(a - b).abs() < radius`: on the sorted values those rows
    /// are one run, bounded by two binary searches on that same test (below `q`, the test
    /// fails for a prefix of the values and holds after it; from `q` up, it holds for a
    /// prefix), so the counts, and the terms, are the tree's to the bit.
    fn count_within(&self, q: &[f64], radius: f64, stack: &mut Vec<usize>) -> usize {
        match self {
            Counter::Tree(tree) => tree.count_within(q, radius, stack),
            Counter::Sorted(col) => {
                let c = q[0];
                let lo = col.partition_point(|&x| x < c && (x - c).abs() >= radius);
                let hi = col.partition_point(|&x| x < c || (x - c).abs() < radius);
                hi - lo
            }
        }
    }
}

/// Per-row terms through k-d trees over the joint rows and over each subspace's columns
/// ([`crate::kdtree`]; a single column's sorted values, [`Counter`]); the same values as
/// [`pair_terms`].
fn tree_terms(v: &[f64], d: usize, spaces: &[Space], k: usize, ctrl: &Control) -> Vec<f64> {
    let m = v.len() / d;
    let all: Vec<usize> = (0..d).collect();
    let (joint, trees): (KdTree, Vec<Counter>) = rayon::join(
        || KdTree::new(v, d, &all),
        || {
            spaces
                .par_iter()
                .map(|(cols, _)| Counter::new(v, d, cols))
                .collect()
        },
    );
    (0..m)
        .into_par_iter()
        .map_init(
            || (vec![0.0; k], Vec::new(), Vec::with_capacity(d)),
            |(best, stack, q), i| {
                if ctrl.is_cancelled() {
                    return f64::NAN;
                }
                let row = &v[i * d..(i + 1) * d];
                let eps = joint.kth_distance(row, i, best, stack);
                // The row itself is in every tree, at distance 0.
                let own = usize::from(eps > 0.0);
                let counts = spaces.iter().zip(&trees).map(|((cols, _), tree)| {
                    q.clear();
                    q.extend(cols.iter().map(|&c| row[c]));
                    tree.count_within(q, eps, stack) - own
                });
                row_term(spaces, counts)
            },
        )
        .collect()
}

/// Per-row terms by comparing every pair of rows (`O(m^2 d)`), on the columns laid out one
/// after another so that the comparisons vectorise over rows ([`pair_query`]).
fn pair_terms(v: &[f64], d: usize, spaces: &[Space], k: usize, ctrl: &Control) -> Vec<f64> {
    let m = v.len() / d;
    // Each column padded to whole blocks with +inf: a padding row is farther than any row
    // (the k-th neighbour's distance is finite, as k < m), so it is never a neighbour and
    // never counted.
    let padded = m.div_ceil(PAIR_LANES) * PAIR_LANES;
    let cols: Vec<Vec<f64>> = (0..d)
        .map(|c| {
            let mut col: Vec<f64> = v.iter().skip(c).step_by(d).copied().collect();
            col.resize(padded, f64::INFINITY);
            col
        })
        .collect();
    (0..m)
        .into_par_iter()
        .map_init(
            || PairScratch {
                within: vec![vec![0.0; padded]; spaces.len()],
                best: vec![0.0; k],
                counts: Vec::with_capacity(spaces.len()),
            },
            |scratch, i| {
                if ctrl.is_cancelled() {
                    return f64::NAN;
                }
                let q = &v[i * d..(i + 1) * d];
                pair_query(&cols, m, q, i, spaces, scratch);
                row_term(spaces, scratch.counts.iter().copied())
            },
        )
        .collect()
}

/// Working memory of [`pair_query`]: per subspace the distances of every row (padded), the
/// `k` nearest joint distances, and the counts.
struct PairScratch {
    within: Vec<Vec<f64>>,
    best: Vec<f64>,
    counts: Vec<usize>,
}

/// Rows compared at once by [`pair_query`] (two vectors of four on AVX2).
const PAIR_LANES: usize = 8;

/// The max-norm distances from `q` over the columns `which` of the [`PAIR_LANES`] rows from
/// `lo` of the column-major `cols` (0 over no column). Every `|a - b|` is at least +0 (or
/// +inf, for padding) and maxima are exact in any order: the distances of the k-d trees.
/// The running maxima stay in registers (a maximum stored back to memory on every column
/// had compiled to masked stores, five times slower).
#[inline(always)]
fn lane_distances(cols: &[Vec<f64>], q: &[f64], which: &[usize], lo: usize) -> [f64; PAIR_LANES] {
    let mut t = [0.0; PAIR_LANES];
    for &c in which {
        let (col, qc) = (&cols[c][lo..lo + PAIR_LANES], q[c]);
        for l in 0..PAIR_LANES {
            t[l] = larger(t[l], (col[l] - qc).abs());
        }
    }
    t
}

/// For row `i` (`q`, its values) of the `m` column-major rows `cols` (padded to whole
/// blocks of [`PAIR_LANES`]): into `scratch.counts`, per subspace, the other rows strictly
/// closer within it than the `k`-th nearest other row in the joint max-norm (`k` the length
/// of `scratch.best`). One pass over the rows, [`PAIR_LANES`] at a time, computes each
/// subspace's distances (kept in `scratch.within`), the joint distance (the largest of
/// theirs: the subspaces cover every column, as those of an MI and of a conditional MI do)
/// and the `k` smallest joint distances; then each subspace's distances are compared with
/// that radius.
#[inline(always)]
fn pair_query_impl(
    cols: &[Vec<f64>],
    m: usize,
    q: &[f64],
    i: usize,
    spaces: &[Space],
    scratch: &mut PairScratch,
) {
    let PairScratch {
        within,
        best,
        counts,
    } = scratch;
    let padded = cols[0].len();
    let k = best.len();
    best.fill(f64::INFINITY);
    for lo in (0..padded).step_by(PAIR_LANES) {
        let mut t = [0.0; PAIR_LANES];
        for ((space, _), dist) in spaces.iter().zip(within.iter_mut()) {
            let ts = lane_distances(cols, q, space, lo);
            dist[lo..lo + PAIR_LANES].copy_from_slice(&ts);
            for l in 0..PAIR_LANES {
                t[l] = larger(t[l], ts[l]);
            }
        }
        if (lo..lo + PAIR_LANES).contains(&i) {
            t[i - lo] = f64::INFINITY; // not its own neighbour
        }
        // Most blocks hold no row nearer than the k-th so far once k rows are near.
        let radius = best[k - 1];
        let mut nearer = false;
        for &d in &t {
            nearer |= d < radius;
        }
        if !nearer {
            continue;
        }
        for &d in &t {
            insert_nearer(best, d);
        }
    }
    let eps = best[k - 1];
    counts.clear();
    for dist in within.iter_mut() {
        // (A subspace without columns, as the conditioning block of a degenerate conditional
        // MI, puts every row at distance 0, the padding included: the padding is set apart.)
        dist[m..].fill(f64::INFINITY);
        let mut below = [0usize; PAIR_LANES];
        for block in dist.chunks_exact(PAIR_LANES) {
            for l in 0..PAIR_LANES {
                below[l] += usize::from(block[l] < eps);
            }
        }
        // The row itself, at distance 0 within every subspace, is not one of the others.
        counts.push(below.iter().sum::<usize>() - usize::from(eps > 0.0));
    }
}

crate::dispatch!(fn pair_query = pair_query_impl,
    (cols: &[Vec<f64>], m: usize, q: &[f64], i: usize, spaces: &[Space],
     scratch: &mut PairScratch) -> ());

/// The outcome of [`fit_check`].
#[derive(Debug, Clone, PartialEq)]
pub struct FitCheck {
    /// The KSG of the data's rows (a seeded subset of `max_rows` of them beyond that).
    pub ksg_data: f64,
    /// The KSG of each set of draws from the mixture, as many rows as `ksg_data` used.
    pub ksg_model: Vec<f64>,
    /// `(ksg_data - mean(ksg_model)) / (sd(ksg_model) * sqrt(1 + 1 / R))`, `sd` with
    /// `R - 1` degrees of freedom; positive when the data show more dependence than the
    /// mixture's draws.
    pub statistic: f64,
    /// The two-sided [`CHECK_LEVEL`] quantile of Student's t with `R - 1` degrees of freedom:
    /// `|statistic|` beyond it flags the fit.
    pub threshold: f64,
    /// The rows of the data (and of each draw) the KSG ran on.
    pub n_rows: usize,
}

impl FitCheck {
    /// Whether the data's KSG is within [`FitCheck::threshold`] of the draws'.
    pub fn passed(&self) -> bool {
        self.statistic.abs() <= self.threshold
    }
}

/// The settings of [`fit_check`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckOptions {
    /// The KSG runs on a seeded random subset of this many rows beyond it.
    pub max_rows: usize,
    /// Independent draws from the mixture (at least 3).
    pub n_draws: usize,
    /// Neighbours of the KSG.
    pub k: usize,
    /// Seed of the rows' subset and of every draw (each has its own stream).
    pub seed: u64,
}

impl Default for CheckOptions {
    /// 4,000 rows, 16 draws, 10 neighbours (the Python layer's default from 101 rows:
    /// the check compares two KSG values whose bias is alike, so the bias that grows with
    /// `k` cancels while the spread falls), seed 0.
    fn default() -> Self {
        CheckOptions {
            max_rows: 4000,
            n_draws: 16,
            k: 10,
            seed: 0,
        }
    }
}

/// Checks the mixture `model` against the rows `z` (row-major, in the coordinates the
/// mixture was fitted in; the columns split into `blocks`: `[dx, dy]` for `I(X; Y)` and the
/// KSG of [`ksg`], `[dx, dy, dz]` for `I(X; Y | Z)` and [`ksg_conditional`]) on at most
/// `opts.max_rows` rows and `opts.n_draws` independent draws of as many rows from the
/// mixture (see the module documentation), every column of both scaled by the data rows'
/// robust scale (their median absolute deviation). Counts one task of `ctrl` per KSG and
/// stops soon after it is cancelled.
pub fn fit_check(
    z: &[f64],
    blocks: &[usize],
    model: &GaussianMixture,
    opts: &CheckOptions,
    ctrl: &Control,
) -> Result<FitCheck> {
    fit_check_in_cells(z, blocks, model, &[], opts, ctrl)
}

/// [`fit_check`] with columns on a lattice that the mixture was fitted to as they are (tied
/// values): `cells[j]`, when given, holds the edges of column `j`'s cells in the check's
/// coordinates (increasing; a lattice value lies inside its cell), and both the data's
/// values and the draws' are replaced by a uniform draw within the cell they fall in (cells
/// beyond the ends: the end cells). The KSG of tied rows counts neighbours at distance 0
/// that continuous draws never have: compared as they are, a mixture that follows the data
/// failed the check by several standard deviations (two columns rounded to half a standard
/// deviation: statistics of +6 to +10 for a mixture of the right MI). Spread over the same
/// cells, the data and the draws are two samples of the same kind (the MI of the cells is
/// that of the lattice values: the spread is independent of everything else and undone by
/// the cells). `cells` empty: none (every column as it is); otherwise one entry per column,
/// each with at least two finite, strictly increasing edges ([`check_cells`]).
pub fn fit_check_in_cells(
    z: &[f64],
    blocks: &[usize],
    model: &GaussianMixture,
    cells: &[Option<Vec<f64>>],
    opts: &CheckOptions,
    ctrl: &Control,
) -> Result<FitCheck> {
    let d = check_blocks(blocks)?;
    check_options(model.dim(), d, opts)?;
    let rows = prepared_rows(z, d, cells, opts)?;
    let m = rows.len() / d;
    compare(
        rows,
        d,
        opts,
        ctrl,
        |v| block_ksg(v, d, blocks, opts.k, ctrl),
        |b| {
            let seed = rng::derive(opts.seed, Purpose::Check, 1, b as u64);
            let mut draws = model.try_sample(m, seed)?.0;
            let spread = rng::stream(opts.seed, Purpose::Check, 2, 1 + b as u64);
            spread_over_cells(&mut draws, d, cells, spread);
            Ok(draws)
        },
    )
}

/// The data's half of [`fit_check_in_cells`] alone: the KSG of the same rows (subset, cells
/// and scaling as there, so the same value as its `ksg_data` with the same `opts`; no draw
/// is made and `opts.n_draws` is not used) and the number of rows it ran on. A screen: a
/// mixture whose MI is well above this value is not missing the dependence the data show,
/// and the full check (17 KSG estimates) can be left out.
pub fn data_ksg_in_cells(
    z: &[f64],
    blocks: &[usize],
    cells: &[Option<Vec<f64>>],
    opts: &CheckOptions,
    ctrl: &Control,
) -> Result<(f64, usize)> {
    let d = check_blocks(blocks)?;
    check_rows_options(opts)?;
    let mut rows = prepared_rows(z, d, cells, opts)?;
    let m = rows.len() / d;
    let inv_sd = robust_inverse_scales(&rows, d);
    scale_columns(&mut rows, d, &inv_sd);
    ctrl.add_total(1);
    let out = block_ksg(&rows, d, blocks, opts.k, ctrl)?;
    ctrl.task_done();
    Ok((out, m))
}

/// The column count of the check's rows for `blocks` (two or three non-zero counts: an MI
/// or a conditional MI).
fn check_blocks(blocks: &[usize]) -> Result<usize> {
    if !(2..=3).contains(&blocks.len()) || blocks.contains(&0) {
        return Err(Error::arg(
            "blocks",
            format!("must be two or three non-zero column counts; got {blocks:?}"),
        ));
    }
    Ok(blocks.iter().sum())
}

/// The KSG of `blocks` on the rows `v` (`d` columns): [`ksg_conditional`] for three blocks,
/// [`ksg`] for two.
fn block_ksg(v: &[f64], d: usize, blocks: &[usize], k: usize, ctrl: &Control) -> Result<f64> {
    match *blocks {
        [dx, dy, _] => ksg_conditional(v, d, dx, dy, k, ctrl),
        _ => ksg(v, d, blocks[0], k, ctrl),
    }
}

/// The rows of `z` (`d` columns) the check runs on: its seeded subset of `opts.max_rows`
/// rows ([`data_subset`]), at least `10 k + 1` of them, with the columns of `cells` spread
/// over their cells (see [`fit_check_in_cells`]).
fn prepared_rows(
    z: &[f64],
    d: usize,
    cells: &[Option<Vec<f64>>],
    opts: &CheckOptions,
) -> Result<Vec<f64>> {
    check_cells(cells, d)?;
    let (mut rows, _) = data_subset(z, d, opts);
    let m = rows.len() / d;
    if m < least_rows(opts.k) {
        return Err(Error::arg(
            "x",
            format!(
                "the check needs 10 k + 1 rows for its neighbours (k = {}), at least {} rows; \
                 the data have {m}",
                opts.k,
                least_rows(opts.k)
            ),
        ));
    }
    spread_over_cells(
        &mut rows,
        d,
        cells,
        rng::stream(opts.seed, Purpose::Check, 2, 0),
    );
    Ok(rows)
}

/// Refuses cells ([`fit_check_in_cells`]) that are neither empty nor one entry per column
/// of `d`, or whose edges are fewer than two, not finite or not strictly increasing.
pub fn check_cells(cells: &[Option<Vec<f64>>], d: usize) -> Result<()> {
    if !cells.is_empty() && cells.len() != d {
        return Err(Error::arg(
            "cells",
            format!(
                "must be empty or one entry per column ({d}); got {}",
                cells.len()
            ),
        ));
    }
    for (j, edges) in cells.iter().enumerate() {
        if let Some(e) = edges {
            if e.len() < 2 || e.iter().any(|v| !v.is_finite()) || e.windows(2).any(|w| w[0] >= w[1])
            {
                return Err(Error::arg(
                    "cells",
                    format!(
                        "the edges of column {j} must be at least two finite, strictly \
                         increasing values"
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// The edges of cells for [`fit_check_in_cells`] from `edges` as a map gave them: the
/// finite ones, each kept only when above the last kept (a map that saturates at an end
/// gives equal or infinite values there); `None` when fewer than two are left.
pub fn cells_from_edges(edges: &[f64]) -> Option<Vec<f64>> {
    let mut out: Vec<f64> = Vec::with_capacity(edges.len());
    for &v in edges {
        if v.is_finite() && out.last().is_none_or(|&last| v > last) {
            out.push(v);
        }
    }
    (out.len() >= 2).then_some(out)
}

/// Replaces each value of a column with cells (row-major `rows`, `d` columns) by a uniform
/// draw within its cell (values below the first cell or above the last: the end cell), the
/// draws from `g`, in row order.
fn spread_over_cells(rows: &mut [f64], d: usize, cells: &[Option<Vec<f64>>], mut g: rng::Rng) {
    if cells.iter().all(Option::is_none) {
        return;
    }
    for row in rows.chunks_exact_mut(d) {
        for (v, edges) in row.iter_mut().zip(cells) {
            if let Some(e) = edges {
                let i = e.partition_point(|&t| t <= *v).clamp(1, e.len() - 1);
                let u: f64 = g.random();
                *v = e[i - 1] + u * (e[i] - e[i - 1]);
            }
        }
    }
}

/// The KSG estimate (nats, not clipped at 0) of the MI between the rows of `v` (row-major,
/// `d` columns) and their classes `labels` (codes below `n_classes`), after Ross (2014):
/// `psi(m) - mean(psi(m_c)) + mean(psi(k_i)) - mean(psi(n_i))` over the rows of classes with
/// at least two rows, `m_c` the rows of the row's class, `k_i = min(k, m_c - 1)`, and
/// `n_i` the row itself and the rows of any class strictly closer than its `k_i`-th nearest
/// row of its own class (max-norm). Neighbours through k-d trees up to
/// [`CATEGORICAL_TREE_MAX_COLUMNS`]
/// columns (every pair beyond), summed in row order; stops soon after `ctrl` is cancelled.
pub fn ksg_categorical(
    v: &[f64],
    d: usize,
    labels: &[usize],
    n_classes: usize,
    k: usize,
    ctrl: &Control,
) -> Result<f64> {
    let trees = d <= CATEGORICAL_TREE_MAX_COLUMNS;
    categorical_search(v, d, labels, n_classes, k, ctrl, trees)
}

/// [`ksg_categorical`] through k-d trees (`trees`) or every pair of rows.
fn categorical_search(
    v: &[f64],
    d: usize,
    labels: &[usize],
    n_classes: usize,
    k: usize,
    ctrl: &Control,
    trees: bool,
) -> Result<f64> {
    let m = v.len() / d;
    if labels.len() != m || labels.iter().any(|&c| c >= n_classes) {
        return Err(Error::arg(
            "labels",
            format!("must be {m} codes below {n_classes}"),
        ));
    }
    if k == 0 {
        return Err(Error::arg("k", "must be at least 1"));
    }
    check_finite_rows(v, d)?;
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); n_classes];
    for (i, &c) in labels.iter().enumerate() {
        members[c].push(i);
    }
    let used: Vec<usize> = (0..m).filter(|&i| members[labels[i]].len() >= 2).collect();
    if used.is_empty() {
        return Err(Error::arg("labels", "no class has two rows"));
    }
    let all: Vec<usize> = (0..d).collect();
    // Each row's position within its class (its index in its class's tree).
    let mut within = vec![0; m];
    for r in &members {
        for (p, &i) in r.iter().enumerate() {
            within[i] = p;
        }
    }
    let (class_trees, tree): (Vec<Option<KdTree>>, Option<KdTree>) = if trees {
        rayon::join(
            || {
                members
                    .par_iter()
                    .map(|r| {
                        let rows = crate::select::gather(v, d, r.iter().copied());
                        (!r.is_empty()).then(|| KdTree::new(&rows, d, &all))
                    })
                    .collect()
            },
            || Some(KdTree::new(v, d, &all)),
        )
    } else {
        (Vec::new(), None)
    };
    let terms: Vec<f64> = used
        .par_iter()
        .map_init(
            || (Vec::new(), Vec::new()),
            |(best, stack), &i| {
                if ctrl.is_cancelled() {
                    return f64::NAN;
                }
                let c = labels[i];
                let own = members[c].len();
                let ki = k.min(own - 1);
                let q = &v[i * d..(i + 1) * d];
                // The other rows, of any class, strictly closer than the row's ki-th nearest
                // row of its own class.
                let closer = match (&tree, class_trees.get(c)) {
                    (Some(all_rows), Some(Some(class_tree))) => {
                        best.resize(ki, 0.0);
                        let eps = class_tree.kth_distance(q, within[i], best, stack);
                        // The row itself is in the tree, at distance 0.
                        all_rows.count_within(q, eps, stack) - usize::from(eps > 0.0)
                    }
                    _ => {
                        let dist = |j: usize| {
                            let rj = &v[j * d..(j + 1) * d];
                            q.iter()
                                .zip(rj)
                                .fold(0.0, |s, (a, b)| larger(s, (a - b).abs()))
                        };
                        best.clear();
                        best.extend(members[c].iter().filter(|&&j| j != i).map(|&j| dist(j)));
                        let eps = *best.select_nth_unstable_by(ki - 1, f64::total_cmp).1;
                        (0..m).filter(|&j| j != i && dist(j) < eps).count()
                    }
                };
                digamma(ki as f64) - digamma(own as f64) - digamma((closer + 1) as f64)
            },
        )
        .collect();
    ctrl.check()?;
    let u = used.len() as f64;
    Ok(digamma(u) + terms.iter().sum::<f64>() / u)
}

/// Checks the class mixtures `models` (one per class code, with `x`'s `d` columns, in the
/// coordinates they were fitted in) against the rows `x` and their classes `labels` with
/// [`ksg_categorical`]: on at most `opts.max_rows` rows, against `opts.n_draws` draws with
/// the same classes, each row drawn from its class's mixture; columns scaled as in
/// [`fit_check`].
pub fn fit_check_categorical(
    x: &[f64],
    d: usize,
    labels: &[usize],
    models: &[GaussianMixture],
    opts: &CheckOptions,
    ctrl: &Control,
) -> Result<FitCheck> {
    if models.is_empty() {
        return Err(Error::arg("models", "one mixture per class is needed"));
    }
    for g in models {
        check_options(g.dim(), d, opts)?;
    }
    if labels.len() != x.len() / d.max(1) || labels.iter().any(|&c| c >= models.len()) {
        return Err(Error::arg(
            "y",
            format!(
                "must be {} class codes below {}",
                x.len() / d.max(1),
                models.len()
            ),
        ));
    }
    let (rows, idx) = data_subset(x, d, opts);
    let labels: Vec<usize> = match idx {
        Some(idx) => idx.iter().map(|&i| labels[i]).collect(),
        None => labels.to_vec(),
    };
    let mut counts = vec![0; models.len()];
    for &c in &labels {
        counts[c] += 1;
    }
    let n_classes = models.len();
    compare(
        rows,
        d,
        opts,
        ctrl,
        |v| ksg_categorical(v, d, &labels, n_classes, opts.k, ctrl),
        |b| {
            // Each class's rows drawn from its mixture, then put in the data's row order.
            let mut drawn: Vec<std::vec::IntoIter<f64>> = Vec::with_capacity(n_classes);
            for (c, (g, &nc)) in models.iter().zip(&counts).enumerate() {
                let seed = rng::derive(opts.seed, Purpose::Check, 2 + c as u64, b as u64);
                let v = if nc == 0 {
                    Vec::new()
                } else {
                    g.try_sample(nc, seed)?.0
                };
                drawn.push(v.into_iter());
            }
            let mut out = Vec::with_capacity(labels.len() * d);
            for &c in &labels {
                out.extend(drawn[c].by_ref().take(d));
            }
            Ok(out)
        },
    )
}

/// Refuses a mixture of the wrong dimension and options out of range.
fn check_options(dim: usize, d: usize, opts: &CheckOptions) -> Result<()> {
    if dim != d {
        return Err(Error::arg(
            "x",
            format!("the data have {d} columns in all, the mixture {dim}"),
        ));
    }
    if opts.n_draws < 3 {
        return Err(Error::arg(
            "n_draws",
            format!(
                "must be at least 3 (a spread needs two degrees of freedom); got {}",
                opts.n_draws
            ),
        ));
    }
    check_rows_options(opts)
}

/// Refuses a `max_rows` below 50 or below the `10 k + 1` rows of `k` neighbours.
fn check_rows_options(opts: &CheckOptions) -> Result<()> {
    if opts.max_rows < least_rows(opts.k.max(1)) || opts.max_rows < 50 {
        return Err(Error::arg(
            "max_rows",
            format!(
                "must be at least 50 and at least 10 k + 1 (got {}, k = {})",
                opts.max_rows, opts.k
            ),
        ));
    }
    Ok(())
}

/// The fewest rows a check with `k` neighbours runs on, of the data and of `max_rows`:
/// `10 k + 1` (the Python layer's `min_check_rows`).
fn least_rows(k: usize) -> usize {
    10 * k + 1
}

/// The rows the check runs on: a seeded random subset of `opts.max_rows` rows beyond that
/// (with their indices), or all of them.
fn data_subset(z: &[f64], d: usize, opts: &CheckOptions) -> (Vec<f64>, Option<Vec<usize>>) {
    let n = z.len() / d;
    let seed = rng::derive(opts.seed, Purpose::Check, 0, 0);
    match crate::transform::subset(n, opts.max_rows, seed) {
        Some(idx) => (crate::select::gather(z, d, idx.iter().copied()), Some(idx)),
        None => (z.to_vec(), None),
    }
}

/// The KSG (`ksg_of`) of the data `rows` against that of `opts.n_draws` draws (`draw(b)`,
/// rows like `rows`), every column of both divided by the data's robust scale, and
/// the prediction-interval t statistic (see the module documentation).
fn compare(
    rows: Vec<f64>,
    d: usize,
    opts: &CheckOptions,
    ctrl: &Control,
    ksg_of: impl Fn(&[f64]) -> Result<f64>,
    draw: impl Fn(usize) -> Result<Vec<f64>>,
) -> Result<FitCheck> {
    let m = rows.len() / d;
    let inv_sd = robust_inverse_scales(&rows, d);
    ctrl.add_total(opts.n_draws as u64 + 1);
    let counted = |mut v: Vec<f64>| {
        scale_columns(&mut v, d, &inv_sd);
        let out = ksg_of(&v);
        ctrl.task_done();
        out
    };
    let ksg_data = counted(rows)?;
    let ksg_model: Vec<f64> = (0..opts.n_draws)
        .map(|b| counted(draw(b)?))
        .collect::<Result<_>>()?;
    let r = opts.n_draws as f64;
    let mean = ksg_model.iter().sum::<f64>() / r;
    let sd = (ksg_model.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (r - 1.0)).sqrt();
    let diff = ksg_data - mean;
    let statistic = if sd > 0.0 {
        diff / (sd * (1.0 + 1.0 / r).sqrt())
    } else if diff == 0.0 {
        0.0
    } else {
        diff.signum() * f64::INFINITY
    };
    Ok(FitCheck {
        ksg_data,
        ksg_model,
        statistic,
        threshold: threshold(opts.n_draws)?,
        n_rows: m,
    })
}

/// The inverse of each column's robust scale in `rows` (`d` columns): the normal-consistent
/// median absolute deviation (see `robust_location_scale`), so that the max-norm of the KSG
/// weighs the columns alike. Not the standard deviation: one far value (an outlier, a heavy
/// tail) inflates it and squeezes the bulk of its column to a point, where the data and the
/// draws alike show no dependence through that column (a value 1e6 among standard normals
/// made every KSG 0 and the statistic infinite). A constant column keeps its units (1): the
/// rounding of its mean leaves it a tiny non-zero deviation (1e-14 for a column of ones),
/// whose inverse would shrink the draws to a point and make them look like the data.
fn robust_inverse_scales(rows: &[f64], d: usize) -> Vec<f64> {
    (0..d)
        .map(|j| {
            let mut col: Vec<f64> = rows.iter().skip(j).step_by(d).copied().collect();
            if col.iter().all(|&v| v == col[0]) {
                return 1.0;
            }
            col.sort_by(f64::total_cmp);
            match crate::transform::robust_location_scale(&col) {
                Ok((_, s)) => 1.0 / s,
                Err(_) => 1.0,
            }
        })
        .collect()
}

/// Multiplies column `j` of `rows` (`d` columns) by `factors[j]`.
fn scale_columns(rows: &mut [f64], d: usize, factors: &[f64]) {
    for row in rows.chunks_exact_mut(d) {
        for (a, s) in row.iter_mut().zip(factors) {
            *a *= s;
        }
    }
}

/// [`FitCheck::threshold`] for `n_draws` draws (at least 2): the two-sided [`CHECK_LEVEL`]
/// quantile of Student's t with `n_draws - 1` degrees of freedom, the distribution of the
/// statistic when the data are one more draw of the mixture.
pub fn threshold(n_draws: usize) -> Result<f64> {
    let t = StudentsT::new(0.0, 1.0, n_draws as f64 - 1.0)
        .map_err(|e| Error::arg("n_draws", e.to_string()))?;
    Ok(t.inverse_cdf(1.0 - CHECK_LEVEL / 2.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;
    use crate::vmath::{with_variant, Variant};
    use rand::SeedableRng;
    use rand_distr::{Distribution, StandardNormal};

    fn opts(max_rows: usize, n_draws: usize, k: usize, seed: u64) -> CheckOptions {
        CheckOptions {
            max_rows,
            n_draws,
            k,
            seed,
        }
    }

    fn gaussian_rows(m: usize, rho: f64, seed: u64) -> Vec<f64> {
        let mut r = Rng::seed_from_u64(seed);
        let mut v = Vec::with_capacity(2 * m);
        for _ in 0..m {
            let a: f64 = StandardNormal.sample(&mut r);
            let b: f64 = StandardNormal.sample(&mut r);
            v.push(a);
            v.push(rho * a + (1.0 - rho * rho).sqrt() * b);
        }
        v
    }

    #[test]
    fn ksg_is_near_the_gaussian_mi() {
        // Bivariate Gaussian, rho = 0.6 (MI 0.2231 nat), 2,000 rows: KSG-1's standard
        // deviation at this n is about 0.015 and its bias below 0.01, so the mean of four
        // independent sets is within 0.03 of the truth.
        let truth = -0.5 * (1.0f64 - 0.36).ln();
        let mean = (0..4)
            .map(|s| ksg(&gaussian_rows(2000, 0.6, s), 2, 1, 3, &Control::new()).unwrap())
            .sum::<f64>()
            / 4.0;
        assert!((mean - truth).abs() < 0.03, "{mean} vs {truth}");
        // Independent columns: near 0 (sd about 0.01 per set).
        let zero = ksg(&gaussian_rows(2000, 0.0, 9), 2, 1, 3, &Control::new()).unwrap();
        assert!(zero.abs() < 0.04, "{zero}");
    }

    #[test]
    fn a_sorted_column_counts_as_its_tree_does() {
        // Values on a grid (ties, and radii equal to distances, where < and <= differ),
        // signed zeros, radius 0 and radii between values; every value as the query.
        let mut r = Rng::seed_from_u64(3);
        let mut v: Vec<f64> = (0..500)
            .map(|_| {
                let g: f64 = StandardNormal.sample(&mut r);
                (g * 4.0).round() / 4.0
            })
            .collect();
        v.extend([0.0, -0.0, -0.0, 1e-300, -1e-300]);
        let tree = Counter::Tree(KdTree::new(&v, 1, &[0]));
        let sorted = Counter::new(&v, 1, &[0]);
        assert!(matches!(sorted, Counter::Sorted(_)));
        let stack = &mut Vec::new();
        for &q in &v {
            for radius in [0.0, 1e-300, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, f64::INFINITY] {
                assert_eq!(
                    sorted.count_within(&[q], radius, stack),
                    tree.count_within(&[q], radius, stack),
                    "q {q} radius {radius}"
                );
            }
        }
    }

    #[test]
    fn rows_that_are_not_finite_are_refused() {
        // An infinite coordinate puts a row at distance NaN from itself: the trees' count of
        // the other rows would underflow and the two searches would disagree. Every KSG
        // refuses such rows by name, on either search.
        let ctrl = Control::new();
        for d in [3, 10] {
            let mut v: Vec<f64> = (0..40 * d).map(|i| ((i * 7919) % 97) as f64).collect();
            for bad in [f64::INFINITY, f64::NEG_INFINITY, f64::NAN] {
                v[3 * d + 1] = bad;
                let is_x = |r: Result<f64>| matches!(r, Err(Error::InvalidArgument { ref arg, .. }) if arg == "x");
                assert!(is_x(ksg(&v, d, 1, 3, &ctrl)), "d {d} {bad}");
                assert!(is_x(ksg_conditional(&v, d, 1, 1, 3, &ctrl)), "d {d} {bad}");
                let labels: Vec<usize> = (0..40).map(|i| i % 2).collect();
                assert!(
                    is_x(ksg_categorical(&v, d, &labels, 2, 3, &ctrl)),
                    "d {d} {bad}"
                );
            }
        }
    }

    #[test]
    fn trees_and_every_pair_give_the_same_terms() {
        // Gaussian rows, and rows on a coarse grid (equal distances and repeated rows, where
        // strict and non-strict comparisons would differ), in 2 to 7 columns split into the
        // two blocks of an MI or the three of a conditional MI, and in 10 and 16 columns
        // (the widths where every pair is compared by default); row counts that leave a
        // partial block of the pair comparison (padded with +inf). Every instruction-set
        // variant of the pair comparison gives the tree's bits.
        let mut r = Rng::seed_from_u64(11);
        let range = |a: usize, b: usize| (a..b).collect::<Vec<usize>>();
        for (m, d, dx, dy) in [
            (300, 2, 1, 1),
            (400, 4, 1, 3),
            (400, 4, 2, 1),
            (250, 7, 3, 2),
            (203, 10, 5, 5),
            (150, 16, 6, 4),
        ] {
            let gauss: Vec<f64> = (0..m * d).map(|_| StandardNormal.sample(&mut r)).collect();
            let grid: Vec<f64> = gauss.iter().map(|v| (v * 2.0).round() / 2.0).collect();
            let mi: Vec<Space> = vec![(range(0, dx), 1.0), (range(dx, d), 1.0)];
            let z = range(dx + dy, d);
            let cmi: Vec<Space> = vec![
                ([range(0, dx), z.clone()].concat(), 1.0),
                ([range(dx, dx + dy), z.clone()].concat(), 1.0),
                (z, -1.0),
            ];
            for v in [&gauss, &grid] {
                for k in [1, 3, 5] {
                    for spaces in [&mi, &cmi] {
                        let ctrl = Control::new();
                        let a = tree_terms(v, d, spaces, k, &ctrl);
                        let bits = |t: &[f64]| t.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                        for variant in Variant::ALL.into_iter().filter(|x| x.supported()) {
                            // On one thread: the variant is chosen per thread, and the
                            // rows run on the pool's threads.
                            let b = crate::on_threads(1, || {
                                with_variant(variant, || pair_terms(v, d, spaces, k, &ctrl))
                            });
                            assert_eq!(
                                bits(&a),
                                bits(&b),
                                "m {m} d {d} dx {dx} k {k} {variant:?} {spaces:?}"
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn conditional_ksg_is_near_the_gaussian_conditional_mi() {
        // x = z + e1, y = 0.8 x + z + e2 (z, e1, e2 standard normal): given z, x and y are
        // Gaussian with correlation 0.8 / sqrt(0.64 + 1), so I(X; Y | Z) = 0.5 ln(1.64)
        // = 0.247 nat. KSG's sd at 2,000 rows is about 0.02 per set and its bias in three
        // columns a few hundredths, so the mean of three sets is within 0.05. With y
        // independent of x given z (y = z + e2), near 0 (within 0.04 for one set).
        let rows = |m: usize, coupling: f64, seed: u64| {
            let mut r = Rng::seed_from_u64(seed);
            let mut v = Vec::with_capacity(3 * m);
            for _ in 0..m {
                let (z, e1, e2): (f64, f64, f64) = (
                    StandardNormal.sample(&mut r),
                    StandardNormal.sample(&mut r),
                    StandardNormal.sample(&mut r),
                );
                let x = z + e1;
                let y = coupling * x + z + e2;
                v.extend([x, y, z]);
            }
            v
        };
        let truth = 0.5 * 1.64f64.ln();
        let mean = (0..3)
            .map(|s| ksg_conditional(&rows(2000, 0.8, s), 3, 1, 1, 3, &Control::new()).unwrap())
            .sum::<f64>()
            / 3.0;
        assert!((mean - truth).abs() < 0.05, "{mean} vs {truth}");
        let zero = ksg_conditional(&rows(2000, 0.0, 7), 3, 1, 1, 3, &Control::new()).unwrap();
        assert!(zero.abs() < 0.04, "{zero}");
        assert!(ksg_conditional(&rows(50, 0.0, 1), 3, 1, 2, 3, &Control::new()).is_err());
        assert!(ksg_conditional(&rows(50, 0.0, 1), 3, 0, 1, 3, &Control::new()).is_err());
    }

    /// 1-D rows, class `c` drawn from N(mu_c, 1), classes in turn.
    fn class_rows(m: usize, mus: &[f64], seed: u64) -> (Vec<f64>, Vec<usize>) {
        let mut r = Rng::seed_from_u64(seed);
        let labels: Vec<usize> = (0..m).map(|i| i % mus.len()).collect();
        let v = labels
            .iter()
            .map(|&c| {
                let e: f64 = StandardNormal.sample(&mut r);
                mus[c] + e
            })
            .collect();
        (v, labels)
    }

    /// I(X; C) for two equally likely classes N(-a, 1) and N(a, 1): h(X) - h(X | C), h(X)
    /// by a Riemann sum (step 1e-3 over +-12: error far below 1e-6).
    fn two_gaussians_mi(a: f64) -> f64 {
        let norm = |x: f64| (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt();
        let h: f64 = (-12_000..=12_000)
            .map(|i| {
                let x = f64::from(i) * 1e-3;
                let p = 0.5 * (norm(x - a) + norm(x + a));
                if p > 0.0 {
                    -p * p.ln() * 1e-3
                } else {
                    0.0
                }
            })
            .sum();
        h - 0.5 * (2.0 * std::f64::consts::PI * std::f64::consts::E).ln()
    }

    #[test]
    fn categorical_ksg_is_near_the_truth_and_trees_agree_with_every_pair() {
        let ctrl = Control::new();
        // Classes N(-1, 1) and N(1, 1): MI 0.3368 nat. KSG at 2,000 rows has sd about 0.015
        // and a bias of a few thousandths here, so within 0.05.
        let truth = two_gaussians_mi(1.0);
        assert!((truth - 0.3368).abs() < 1e-3, "{truth}");
        let (v, labels) = class_rows(2000, &[-1.0, 1.0], 4);
        let est = ksg_categorical(&v, 1, &labels, 2, 3, &ctrl).unwrap();
        assert!((est - truth).abs() < 0.05, "{est} vs {truth}");
        // Far apart: ln 2; the same distribution: 0.
        let (v, labels) = class_rows(2000, &[0.0, 100.0], 5);
        let far = ksg_categorical(&v, 1, &labels, 2, 3, &ctrl).unwrap();
        assert!((far - 2f64.ln()).abs() < 0.01, "{far}");
        let (v, labels) = class_rows(2000, &[0.0, 0.0, 0.0], 6);
        let none = ksg_categorical(&v, 1, &labels, 3, 3, &ctrl).unwrap();
        assert!(none.abs() < 0.04, "{none}");
        // Trees and every pair, on rows with ties, in 1 and 3 columns, a class of one row
        // (left out), a class of two (k capped at 1) and an empty class.
        let mut r = Rng::seed_from_u64(12);
        for d in [1, 3] {
            let m = 300;
            let v: Vec<f64> = (0..m * d)
                .map(|_| {
                    let e: f64 = StandardNormal.sample(&mut r);
                    (e * 2.0).round() / 2.0
                })
                .collect();
            let mut labels: Vec<usize> = (0..m).map(|i| i % 3).collect();
            labels[0] = 3;
            labels[1] = 4;
            labels[2] = 4;
            for k in [1, 3] {
                let a = categorical_search(&v, d, &labels, 6, k, &ctrl, true).unwrap();
                let b = categorical_search(&v, d, &labels, 6, k, &ctrl, false).unwrap();
                assert_eq!(a.to_bits(), b.to_bits(), "d {d} k {k}");
            }
        }
        assert!(ksg_categorical(&v_of(5), 1, &[0, 1, 2, 3, 4], 5, 3, &ctrl).is_err());
        assert!(ksg_categorical(&v_of(4), 1, &[0, 0, 1, 9], 2, 3, &ctrl).is_err());
    }

    fn v_of(m: usize) -> Vec<f64> {
        (0..m).map(|i| i as f64).collect()
    }

    #[test]
    fn class_mixtures_of_the_data_pass_and_wrong_ones_fail() {
        let (v, labels) = class_rows(3000, &[-1.0, 1.0, 2.5], 9);
        let one = |mu: f64| GaussianMixture::new(1, vec![1.0], vec![mu], vec![1.0]).unwrap();
        let right = [one(-1.0), one(1.0), one(2.5)];
        let o = opts(4000, 16, 3, 3);
        let c = fit_check_categorical(&v, 1, &labels, &right, &o, &Control::new()).unwrap();
        // Under the null the statistic is t with 15 degrees of freedom (2.95 is its 99.5%
        // quantile; fixed seed).
        assert!(c.passed(), "{c:?}");
        assert_eq!(c.n_rows, 3000);
        // Classes closer together in the mixtures than in the data: the data's KSG is far
        // above the draws'.
        let close = [one(-0.3), one(0.3), one(0.8)];
        let c = fit_check_categorical(&v, 1, &labels, &close, &o, &Control::new()).unwrap();
        assert!(!c.passed() && c.statistic > 0.0, "{c:?}");
        assert!(fit_check_categorical(&v, 1, &labels[1..], &right, &o, &Control::new()).is_err());
        assert!(fit_check_categorical(&v, 1, &labels, &right[..2], &o, &Control::new()).is_err());
    }

    #[test]
    fn ksg_does_not_depend_on_the_thread_count() {
        let v = gaussian_rows(500, 0.5, 3);
        let one = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap()
            .install(|| ksg(&v, 2, 1, 3, &Control::new()).unwrap());
        let three = rayon::ThreadPoolBuilder::new()
            .num_threads(3)
            .build()
            .unwrap()
            .install(|| ksg(&v, 2, 1, 3, &Control::new()).unwrap());
        assert_eq!(one.to_bits(), three.to_bits());
    }

    #[test]
    fn a_mixture_of_the_data_passes_and_a_wrong_one_fails() {
        let v = gaussian_rows(1500, 0.8, 5);
        let cov = |rho: f64| vec![1.0, rho, rho, 1.0];
        let right = GaussianMixture::new(2, vec![1.0], vec![0.0, 0.0], cov(0.8)).unwrap();
        let c = fit_check(&v, &[1, 1], &right, &opts(4000, 8, 3, 1), &Control::new()).unwrap();
        // The statistic is t with 7 degrees of freedom under the null; 3.50 is its 99.5%
        // quantile.
        assert!(c.passed(), "{c:?}");
        assert_eq!(c.n_rows, 1500);
        assert!((c.threshold - 3.499).abs() < 0.01, "{}", c.threshold);
        // A mixture with no dependence: the data's KSG (about 0.5 nat) is far above the
        // draws' (about 0, sd 0.015).
        let wrong = GaussianMixture::new(2, vec![1.0], vec![0.0, 0.0], cov(0.0)).unwrap();
        let c = fit_check(&v, &[1, 1], &wrong, &opts(4000, 8, 3, 1), &Control::new()).unwrap();
        assert!(!c.passed() && c.statistic > 0.0, "{c:?}");
        // Too much dependence: flagged the other way.
        let strong = GaussianMixture::new(2, vec![1.0], vec![0.0, 0.0], cov(0.97)).unwrap();
        let c = fit_check(&v, &[1, 1], &strong, &opts(4000, 8, 3, 1), &Control::new()).unwrap();
        assert!(!c.passed() && c.statistic < 0.0, "{c:?}");
    }

    #[test]
    fn columns_on_a_lattice_are_checked_over_their_cells() {
        // x = two columns of a 3-D Gaussian rounded to steps of 0.5, y the third: the
        // Gaussian is the right model of the cells, but the data's ties count neighbours at
        // distance 0 in x that its draws never have.
        let cov = vec![1.0, 0.7, 0.5, 0.7, 1.0, 0.6, 0.5, 0.6, 1.0];
        let right = GaussianMixture::new(3, vec![1.0], vec![0.0; 3], cov).unwrap();
        let (mut v, _) = right.try_sample(1000, 3).unwrap();
        for row in v.chunks_exact_mut(3) {
            row[0] = (2.0 * row[0]).round() / 2.0;
            row[1] = (2.0 * row[1]).round() / 2.0;
        }
        let o = CheckOptions {
            seed: 1,
            ..CheckOptions::default()
        };
        let ctrl = Control::new();
        // As they are: failed, as if the mixture missed dependence (+6 to +10 on such data
        // sets through the estimator).
        let tied = fit_check(&v, &[2, 1], &right, &o, &ctrl).unwrap();
        assert!(tied.statistic > tied.threshold, "{tied:?}");
        // Cells of 0.5 around every level from -6.5 to 6.5 (all the data's, and beyond where
        // a draw of this Gaussian falls); y left as it is.
        let edges: Vec<f64> = (-13..=14).map(|i| 0.5 * f64::from(i) - 0.25).collect();
        let cells = vec![Some(edges.clone()), Some(edges.clone()), None];
        let c = fit_check_in_cells(&v, &[2, 1], &right, &cells, &o, &ctrl).unwrap();
        // Spread over the cells, the data and the draws are two samples of one distribution
        // (a Gaussian rounded to the lattice, then spread uniformly within each cell): the
        // statistic is t with 15 degrees of freedom, within its 1% threshold (2.95) but for
        // 1% of seeds.
        assert!(c.passed(), "{c:?}");
        // The same on any thread count (the spreading draws are seeded per row).
        let one = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap()
            .install(|| fit_check_in_cells(&v, &[2, 1], &right, &cells, &o, &ctrl).unwrap());
        assert_eq!(one, c);
        // No cells: fit_check itself.
        assert_eq!(
            fit_check_in_cells(&v, &[2, 1], &right, &[], &o, &ctrl).unwrap(),
            tied
        );
        // Refused: a list of another length, too few edges, edges not increasing or not
        // finite.
        for bad in [
            vec![Some(edges.clone())],
            vec![Some(vec![0.0]), None, None],
            vec![Some(vec![0.0, 1.0, 1.0]), None, None],
            vec![Some(vec![0.0, f64::NAN, 2.0]), None, None],
        ] {
            let e = fit_check_in_cells(&v, &[2, 1], &right, &bad, &o, &ctrl).unwrap_err();
            assert!(e.to_string().contains("cells"), "{e}");
        }
        // Edges a map gave (saturating at the ends) are made usable.
        let mapped = [
            f64::NEG_INFINITY,
            -1.0,
            -1.0,
            0.5,
            f64::NAN,
            2.0,
            2.0,
            f64::INFINITY,
        ];
        assert_eq!(cells_from_edges(&mapped), Some(vec![-1.0, 0.5, 2.0]));
        assert_eq!(cells_from_edges(&[1.0, 1.0, f64::INFINITY]), None);
    }

    #[test]
    fn the_data_half_alone_is_the_checks_ksg_of_the_data() {
        // The screen's value is the full check's ksg_data to the bit, with and without
        // cells, on a subset (max_rows below the rows) and on every row.
        let cov = vec![1.0, 0.7, 0.5, 0.7, 1.0, 0.6, 0.5, 0.6, 1.0];
        let g = GaussianMixture::new(3, vec![1.0], vec![0.0; 3], cov).unwrap();
        let (mut v, _) = g.try_sample(1200, 4).unwrap();
        for row in v.chunks_exact_mut(3) {
            row[0] = (2.0 * row[0]).round() / 2.0;
        }
        let edges: Vec<f64> = (-13..=14).map(|i| 0.5 * f64::from(i) - 0.25).collect();
        let ctrl = Control::new();
        for (cells, max_rows) in [
            (vec![], 4000),
            (vec![], 700),
            (vec![Some(edges.clone()), None, None], 700),
        ] {
            for blocks in [&[2, 1][..], &[1, 1, 1][..]] {
                let o = opts(max_rows, 3, 5, 9);
                let full = fit_check_in_cells(&v, blocks, &g, &cells, &o, &ctrl).unwrap();
                let (alone, m) = data_ksg_in_cells(&v, blocks, &cells, &o, &ctrl).unwrap();
                assert_eq!(
                    alone.to_bits(),
                    full.ksg_data.to_bits(),
                    "{blocks:?} {max_rows}"
                );
                assert_eq!(m, full.n_rows);
            }
        }
        // Its options are checked as the check's (n_draws aside: no draw is made).
        let o = opts(4000, 0, 5, 9);
        assert!(data_ksg_in_cells(&v, &[2, 1], &[], &o, &ctrl).is_ok());
        let e = data_ksg_in_cells(&v, &[2, 1], &[], &opts(40, 3, 5, 9), &ctrl).unwrap_err();
        assert!(e.to_string().contains("max_rows"), "{e}");
        let e = data_ksg_in_cells(&v, &[3], &[], &o, &ctrl).unwrap_err();
        assert!(e.to_string().contains("blocks"), "{e}");
    }

    #[test]
    fn too_few_rows_for_the_neighbours_are_refused() {
        // 10 k + 1 rows at the least (the Python layer's rule), also for max_rows.
        let v = gaussian_rows(30, 0.5, 1);
        let g =
            GaussianMixture::new(2, vec![1.0], vec![0.0, 0.0], vec![1.0, 0.5, 0.5, 1.0]).unwrap();
        let e = fit_check(&v, &[1, 1], &g, &opts(4000, 4, 3, 1), &Control::new()).unwrap_err();
        assert!(e.to_string().contains("10 k + 1"), "{e}");
        let v = gaussian_rows(31, 0.5, 1);
        assert!(fit_check(&v, &[1, 1], &g, &opts(4000, 4, 3, 1), &Control::new()).is_ok());
        let v = gaussian_rows(200, 0.5, 1);
        let e = fit_check(&v, &[1, 1], &g, &opts(100, 4, 10, 1), &Control::new()).unwrap_err();
        assert!(e.to_string().starts_with("max_rows"), "{e}");
        assert!(fit_check(&v, &[1, 1], &g, &opts(101, 4, 10, 1), &Control::new()).is_ok());
    }

    #[test]
    fn one_far_value_does_not_blind_the_check() {
        // Scaled by its standard deviation, a column with one value 1e6 among 1,500
        // standard normals was squeezed to a point (its standard deviation grows about
        // 1e6 / sqrt(1500) = 26,000-fold): every KSG read 0, the draws had no spread and
        // the statistic was infinite. Scaled by the bulk's spread, the right mixture passes and
        // a mixture with no dependence still fails.
        let mut v = gaussian_rows(1500, 0.8, 5);
        v[0] = 1e6;
        let cov = |rho: f64| vec![1.0, rho, rho, 1.0];
        let right = GaussianMixture::new(2, vec![1.0], vec![0.0, 0.0], cov(0.8)).unwrap();
        let c = fit_check(&v, &[1, 1], &right, &opts(4000, 8, 3, 1), &Control::new()).unwrap();
        assert!(c.passed() && c.statistic.is_finite(), "{c:?}");
        assert!(c.ksg_data > 0.3, "{c:?}"); // the dependence is seen (0.51 nat)
        let wrong = GaussianMixture::new(2, vec![1.0], vec![0.0, 0.0], cov(0.0)).unwrap();
        let c = fit_check(&v, &[1, 1], &wrong, &opts(4000, 8, 3, 1), &Control::new()).unwrap();
        assert!(!c.passed() && c.statistic > 0.0, "{c:?}");
    }

    #[test]
    fn rows_beyond_max_rows_are_subsampled_and_bad_options_are_refused() {
        let v = gaussian_rows(900, 0.5, 7);
        let g =
            GaussianMixture::new(2, vec![1.0], vec![0.0, 0.0], vec![1.0, 0.5, 0.5, 1.0]).unwrap();
        let c = fit_check(&v, &[1, 1], &g, &opts(300, 4, 3, 2), &Control::new()).unwrap();
        assert_eq!(c.n_rows, 300);
        assert_eq!(c.ksg_model.len(), 4);
        assert_eq!(
            c,
            fit_check(&v, &[1, 1], &g, &opts(300, 4, 3, 2), &Control::new()).unwrap()
        );
        assert!(fit_check(&v, &[1, 1], &g, &opts(300, 2, 3, 2), &Control::new()).is_err());
        assert!(fit_check(&v, &[1, 1], &g, &opts(20, 4, 3, 2), &Control::new()).is_err());
        assert!(fit_check(&v, &[0, 2], &g, &opts(300, 4, 3, 2), &Control::new()).is_err());
        assert!(fit_check(&v, &[2], &g, &opts(300, 4, 3, 2), &Control::new()).is_err());
        assert!(fit_check(&v, &[1, 0, 1], &g, &opts(300, 4, 3, 2), &Control::new()).is_err());
        assert!(ksg(&v, 2, 1, 0, &Control::new()).is_err());
        assert!(ksg(&v[..6], 2, 1, 3, &Control::new()).is_err());
        let cancelled = Control::new();
        cancelled.cancel();
        assert!(matches!(
            fit_check(&v, &[1, 1], &g, &opts(300, 4, 3, 2), &cancelled),
            Err(Error::Cancelled)
        ));
    }
}
