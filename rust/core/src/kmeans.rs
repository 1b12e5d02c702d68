//! Lloyd's k-means with greedy k-means++ seeding and restarts, used by the k-means
//! initialisations.
//!
//! Seeding follows Arthur & Vassilvitskii's k-means++ in its greedy form: each new centre is
//! the best (lowest total squared distance) of `2 + ln k` candidates drawn with probability
//! proportional to the squared distance to the nearest existing centre. Plain k-means++ (one
//! candidate) often puts two seeds in one cluster of well-separated data, and Lloyd then
//! stays in that local optimum. On large data sets seeding and Lloyd run on a random subset
//! of [`MAX_KMEANS_ROWS`] rows (enough to place the centres of a handful of clusters to a
//! fraction of their spread); every row is then labelled by its nearest centre.

use rand::RngExt;
use rayon::prelude::*;

use crate::kernels;
use crate::rng::Rng;
use crate::stats::{spread_sum, spread_sum_of};
use crate::vmath::LANES;

/// Result of a k-means run.
#[derive(Debug, Clone)]
pub struct KMeans {
    /// Cluster centres, row-major `k x d`.
    pub centers: Vec<f64>,
    /// Cluster label of every row.
    pub labels: Vec<usize>,
    /// Lloyd iterations performed (by the kept restart).
    pub n_iter: usize,
    /// Sum of squared distances of the rows to their centres.
    pub inertia: f64,
}

/// Independent seedings + Lloyd runs; the one with the lowest inertia is kept.
pub const KMEANS_RESTARTS: usize = 3;

/// Above this many rows, seeding and Lloyd iterations run on a random subset of this size.
pub const MAX_KMEANS_ROWS: usize = 20_000;

fn sq_dist(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(u, v)| (u - v) * (u - v)).sum()
}

/// Index of the nearest centre and its squared distance (the scalar reference of
/// [`assign`], for the tests).
#[cfg(test)]
fn nearest(p: &[f64], centers: &[f64], d: usize) -> (usize, f64) {
    let mut best = 0;
    let mut bd = f64::INFINITY;
    for (c, ctr) in centers.chunks_exact(d).enumerate() {
        let v = sq_dist(p, ctr);
        if v < bd {
            bd = v;
            best = c;
        }
    }
    (best, bd)
}

/// Rows per block of [`draw_weighted`]'s search.
const DRAW_BLOCK: usize = 64;

/// Index drawn with probability proportional to `w` (uniform when all are zero).
fn draw_weighted(w: &[f64], total: f64, rng: &mut Rng) -> usize {
    let n = w.len();
    if !(total > 0.0 && total.is_finite()) {
        return rng.random_range(0..n);
    }
    let u: f64 = rng.random::<f64>() * total;
    draw_at(w, u)
}

/// The row of `w` at which the cumulative weight first exceeds `u` (`0 <= u < ` the sum of
/// `w`): whole blocks are passed by their sums ([`spread_sum`]), the row is then found
/// within its block by a running sum. Rounding can leave that running sum at or below `u`
/// where the block's sum was above it: the block's last row with weight is taken then, as
/// is the last row of all when `u` is above every sum.
fn draw_at(w: &[f64], u: f64) -> usize {
    let n = w.len();
    let mut acc = 0.0;
    for (b, block) in w.chunks(DRAW_BLOCK).enumerate() {
        let s = spread_sum_of(block);
        if acc + s > u {
            let mut run = acc;
            for (i, v) in block.iter().enumerate() {
                run += v;
                if run > u {
                    return b * DRAW_BLOCK + i;
                }
            }
            if let Some(i) = block.iter().rposition(|&v| v > 0.0) {
                return b * DRAW_BLOCK + i;
            }
        }
        acc += s;
    }
    // Rounding left `u` above the running sum: take the last row with weight.
    w.iter().rposition(|&v| v > 0.0).unwrap_or(n - 1)
}

/// Greedy k-means++ seeding of the rows of `x` (laid out as `lanes`).
fn seed_greedy(x: &[f64], lanes: &Lanes, k: usize, rng: &mut Rng) -> Vec<f64> {
    let d = lanes.d;
    let n = x.len() / d;
    let row = |i: usize| &x[i * d..(i + 1) * d];
    let trials = 2 + (k as f64).ln().floor() as usize;
    let mut centers = Vec::with_capacity(k * d);
    let first = rng.random_range(0..n);
    centers.extend_from_slice(row(first));
    let mut dist = vec![0.0; n];
    distances(lanes, row(first), &mut dist);
    let mut cand_dist = vec![0.0; n];
    let mut best_dist = vec![0.0; n];
    for _ in 1..k {
        let total = spread_sum_of(&dist);
        let mut best: Option<(f64, usize)> = None;
        for _ in 0..trials {
            let c = draw_weighted(&dist, total, rng);
            distances(lanes, row(c), &mut cand_dist);
            for (cd, &dv) in cand_dist.iter_mut().zip(&dist) {
                *cd = dv.min(*cd);
            }
            let pot = spread_sum_of(&cand_dist);
            if best.is_none_or(|(p, _)| pot < p) {
                best = Some((pot, c));
                std::mem::swap(&mut best_dist, &mut cand_dist);
            }
        }
        let (_, c) = best.expect("at least two trials");
        centers.extend_from_slice(row(c));
        std::mem::swap(&mut dist, &mut best_dist);
    }
    centers
}

/// Lloyd stops when the centres move by at most this fraction of the data's mean variance
/// (the sum over centres of their squared shifts; scikit-learn's `tol` criterion and value).
/// On overlapping clusters the last labels keep flipping between neighbouring centres for
/// hundreds of iterations while the centres barely move; for a starting point of EM those
/// iterations buy nothing.
pub const LLOYD_TOL: f64 = 1e-4;

/// Mean over the columns of the variance of the rows of `x`.
fn mean_variance(x: &[f64], d: usize) -> f64 {
    let n = (x.len() / d) as f64;
    (0..d)
        .map(|j| {
            let m = spread_sum(x.iter().skip(j).step_by(d).copied()) / n;
            spread_sum(x.iter().skip(j).step_by(d).map(|v| (v - m) * (v - m))) / n
        })
        .sum::<f64>()
        / d as f64
}

/// Rows laid out for the lane loops once, for the many passes of a k-means run (seeding
/// trials, Lloyd iterations and restarts): the blocks of [`LANES`] rows of the EM kernels'
/// gather ([`kernels::gather_block`], every row, coordinate `j` of lane `l` at
/// `j * LANES + l`; the lanes past the end repeat a row of their block and are never read).
/// Each pass then reads whole vectors instead of gathering every row again.
struct Lanes {
    d: usize,
    n: usize,
    values: Vec<f64>,
}

impl Lanes {
    fn new(x: &[f64], d: usize) -> Self {
        let n = x.len() / d;
        let mut values = Vec::with_capacity(n.div_ceil(LANES) * LANES * d);
        let (mut block, mut weights) = (vec![0.0; d * LANES], [0.0; LANES]);
        let mut i = 0;
        while kernels::gather_block(x, d, None, &mut i, &mut block, &mut weights) > 0 {
            values.extend_from_slice(&block);
        }
        Lanes { d, n, values }
    }

    /// The blocks with the index of their first row and their number of real rows.
    fn blocks(&self) -> impl Iterator<Item = (usize, usize, &[f64])> {
        self.values
            .chunks_exact(LANES * self.d)
            .enumerate()
            .map(|(b, v)| (b * LANES, LANES.min(self.n - b * LANES), v))
    }
}

/// Per-cluster sums of the rows and counts, accumulated by [`assign`]: each lane of the
/// blocks (rows `l`, `l + LANES`, ...) adds its rows to its own sums in row order, and the
/// lanes' sums are added up in lane order by [`Sums::totals`]. One sum per cluster in row
/// order took a scattered, dependent addition per row; the lanes' sums are independent (and
/// added as whole vectors up to [`MASKED_SUMS_MAX`]). A fixed order: the same centres on
/// every machine and thread count.
struct Sums {
    /// Lane `l`'s sum of coordinate `j` over cluster `c` at `(c * d + j) * LANES + l`.
    lane_sums: Vec<f64>,
    /// Lane `l`'s count of cluster `c` at `c * LANES + l`.
    lane_counts: Vec<u64>,
}

impl Sums {
    fn zeros(k: usize, d: usize) -> Self {
        Sums {
            lane_sums: vec![0.0; k * d * LANES],
            lane_counts: vec![0; k * LANES],
        }
    }

    /// The per-cluster sums (row-major `k x d`) and counts.
    fn totals(&self) -> (Vec<f64>, Vec<usize>) {
        let add = |lanes: &[f64]| lanes.iter().fold(0.0, |s, v| s + v);
        let sums = self.lane_sums.chunks_exact(LANES).map(add).collect();
        let counts = self
            .lane_counts
            .chunks_exact(LANES)
            .map(|c| c.iter().sum::<u64>() as usize)
            .collect();
        (sums, counts)
    }

    /// Number of clusters.
    fn k(&self) -> usize {
        self.lane_counts.len() / LANES
    }
}

/// Up to this many clusters times columns, [`assign`] adds every block to every cluster's
/// lane sums under a mask (whole vectors, no scattered addition); above, each row is added
/// to its cluster's lane sums alone, which costs less than `k d` masked additions a row
/// from about a dozen on (one k-means run, one AVX2 thread, 10,000 rows in two columns,
/// best of 15 on a busy machine: masked 0.52 ms against 0.80 at K = 2, 2.35 against 2.43 at
/// K = 6, 3.95 against 3.65 at K = 8). Both give the same sums.
const MASKED_SUMS_MAX: usize = 12;

crate::dispatch!(fn assign = assign_impl,
    (lanes: &Lanes, centers: &[f64], labels: &mut [usize], sums: Option<&mut Sums>) -> bool);

crate::dispatch!(fn distances = distances_impl, (lanes: &Lanes, p: &[f64], out: &mut [f64]) -> ());

/// The squared distance of `p` to the `LANES` rows of `block`, summed over the coordinates
/// in order from 0 (the value of [`sq_dist`], bit for bit).
#[inline(always)]
fn block_distances(block: &[f64], p: &[f64]) -> [f64; LANES] {
    let mut dist = [0.0; LANES];
    for (col, &v) in block.chunks_exact(LANES).zip(p) {
        for l in 0..LANES {
            let u = col[l] - v;
            dist[l] += u * u;
        }
    }
    dist
}

/// The squared distance of every row to the point `p`, into `out`.
#[inline(always)]
fn distances_impl(lanes: &Lanes, p: &[f64], out: &mut [f64]) {
    for (start, m, block) in lanes.blocks() {
        let dist = block_distances(block, p);
        out[start..start + m].copy_from_slice(&dist[..m]);
    }
}

/// Labels every row by its nearest centre (the first on a tie, with the same squared
/// distances), [`LANES`] rows at a time with the centre loop outside so that the distances
/// and the running minimum vectorise; adds each row to its cluster's sums in `sums` (see
/// [`Sums`]), when given; returns whether a label changed.
#[inline(always)]
fn assign_impl(
    lanes: &Lanes,
    centers: &[f64],
    labels: &mut [usize],
    mut sums: Option<&mut Sums>,
) -> bool {
    let d = lanes.d;
    let mut changed = false;
    for (start, m, block) in lanes.blocks() {
        let mut best = [f64::INFINITY; LANES];
        let mut arg = [0u64; LANES];
        for (c, ctr) in centers.chunks_exact(d).enumerate() {
            let dist = block_distances(block, ctr);
            for l in 0..LANES {
                let closer = dist[l] < best[l];
                best[l] = if closer { dist[l] } else { best[l] };
                arg[l] = if closer { c as u64 } else { arg[l] };
            }
        }
        for (label, &a) in labels[start..start + m].iter_mut().zip(&arg) {
            changed |= *label != a as usize;
            *label = a as usize;
        }
        let Some(s) = sums.as_deref_mut() else {
            continue;
        };
        // Lanes past the end of the data (a last, partial block) are added to no cluster.
        for a in &mut arg[m..] {
            *a = u64::MAX;
        }
        if s.k() * d <= MASKED_SUMS_MAX {
            for (c, counts) in s.lane_counts.chunks_exact_mut(LANES).enumerate() {
                let c = c as u64;
                let sums = &mut s.lane_sums[c as usize * d * LANES..(c as usize + 1) * d * LANES];
                for (col, acc) in block.chunks_exact(LANES).zip(sums.chunks_exact_mut(LANES)) {
                    for l in 0..LANES {
                        acc[l] += if arg[l] == c { col[l] } else { 0.0 };
                    }
                }
                for l in 0..LANES {
                    counts[l] += u64::from(arg[l] == c);
                }
            }
        } else {
            for (l, &a) in arg.iter().enumerate().take(m) {
                let a = a as usize;
                s.lane_counts[a * LANES + l] += 1;
                for j in 0..d {
                    s.lane_sums[(a * d + j) * LANES + l] += block[j * LANES + l];
                }
            }
        }
    }
    changed
}

/// Labels the rows of `x` by their nearest centre, [`LABEL_CHUNK`] rows laid out at a time
/// (the labelling of all the rows of a large data set after a run on a subset).
fn label_rows(x: &[f64], d: usize, centers: &[f64], labels: &mut [usize]) {
    for (xc, lc) in x
        .chunks(LABEL_CHUNK * d)
        .zip(labels.chunks_mut(LABEL_CHUNK))
    {
        assign(&Lanes::new(xc, d), centers, lc, None);
    }
}

/// Rows laid out at a time by [`label_rows`].
const LABEL_CHUNK: usize = 1 << 14;

/// Lloyd iterations from `centers` until no label changes, the centres' squared shifts add
/// up to at most `tol` (then the rows are relabelled by the final centres), or `max_iter`;
/// returns the labels, the iterations and the inertia.
fn lloyd(
    x: &[f64],
    lanes: &Lanes,
    k: usize,
    centers: &mut [f64],
    tol: f64,
    max_iter: usize,
) -> (Vec<usize>, usize, f64) {
    let d = lanes.d;
    let n = x.len() / d;
    let row = |i: usize| &x[i * d..(i + 1) * d];
    let mut labels = vec![usize::MAX; n];
    let mut n_iter = 0;
    for it in 1..=max_iter {
        n_iter = it;
        let mut acc = Sums::zeros(k, d);
        let mut changed = assign(lanes, centers, &mut labels, Some(&mut acc));
        let (sums, counts) = acc.totals();
        let mut shift = 0.0;
        for c in 0..k {
            if counts[c] == 0 {
                // Re-seed at the point farthest from its own centre.
                let far = (0..n)
                    .max_by(|&a, &b| {
                        let da = sq_dist(row(a), &centers[labels[a] * d..(labels[a] + 1) * d]);
                        let db = sq_dist(row(b), &centers[labels[b] * d..(labels[b] + 1) * d]);
                        da.total_cmp(&db)
                    })
                    .unwrap_or(0);
                centers[c * d..(c + 1) * d].copy_from_slice(row(far));
                labels[far] = c;
                changed = true;
                // A re-seeded centre has not settled: never stop on this iteration's shift.
                shift = f64::INFINITY;
            } else {
                for j in 0..d {
                    let new = sums[c * d + j] / counts[c] as f64;
                    shift += (new - centers[c * d + j]) * (new - centers[c * d + j]);
                    centers[c * d + j] = new;
                }
            }
        }
        if !changed {
            break;
        }
        if shift <= tol {
            assign(lanes, centers, &mut labels, None);
            break;
        }
    }
    let inertia =
        spread_sum((0..n).map(|i| sq_dist(row(i), &centers[labels[i] * d..(labels[i] + 1) * d])));
    (labels, n_iter, inertia)
}

/// Clusters the rows of `x` (row-major `n x d`, `n >= k >= 1`) into `k` groups.
///
/// [`KMEANS_RESTARTS`] greedy k-means++ seedings, each followed by Lloyd iterations until no
/// label changes or `max_iter` is reached (an empty cluster is re-seeded at the point
/// farthest from its centre); the run with the lowest inertia is kept. With more than
/// [`MAX_KMEANS_ROWS`] rows the runs use a random subset of that size and every row is then
/// labelled by its nearest centre.
pub fn kmeans(x: &[f64], d: usize, k: usize, max_iter: usize, rng: &mut Rng) -> KMeans {
    let n = x.len() / d;
    assert!(n >= k && k >= 1, "kmeans needs n >= k >= 1");
    let subset: Option<Vec<f64>> = (n > MAX_KMEANS_ROWS).then(|| {
        // Partial Fisher-Yates: the first MAX_KMEANS_ROWS entries are a uniform subset.
        let mut idx: Vec<usize> = (0..n).collect();
        for i in 0..MAX_KMEANS_ROWS {
            let j = rng.random_range(i..n);
            idx.swap(i, j);
        }
        idx[..MAX_KMEANS_ROWS]
            .iter()
            .flat_map(|&i| x[i * d..(i + 1) * d].iter().copied())
            .collect()
    });
    let xs: &[f64] = subset.as_deref().unwrap_or(x);
    if k == 1 {
        return one_cluster(x, xs, d, rng);
    }
    let lanes = Lanes::new(xs, d);
    // Lloyd's tolerance: LLOYD_TOL of the rows' mean variance, the same for every restart.
    let tol = LLOYD_TOL * mean_variance(xs, d);
    // The seedings draw from `rng` one after the other; Lloyd's iterations draw nothing, so
    // the restarts' iterations run in parallel and the result does not depend on it.
    let seeds: Vec<Vec<f64>> = (0..KMEANS_RESTARTS)
        .map(|_| seed_greedy(xs, &lanes, k, rng))
        .collect();
    let runs: Vec<(Vec<f64>, Vec<usize>, usize, f64)> = seeds
        .into_par_iter()
        .map(|mut centers| {
            let (labels, it, inertia) = lloyd(xs, &lanes, k, &mut centers, tol, max_iter);
            (centers, labels, it, inertia)
        })
        .collect();
    // The first restart of the lowest inertia.
    let mut best: Option<(Vec<f64>, Vec<usize>, usize, f64)> = None;
    for run in runs {
        if best.as_ref().is_none_or(|b| run.3 < b.3) {
            best = Some(run);
        }
    }
    let (centers, mut labels, n_iter, mut inertia) = best.expect("at least one restart");
    if subset.is_some() {
        labels = vec![usize::MAX; x.len() / d];
        label_rows(x, d, &centers, &mut labels);
        inertia = spread_sum(
            x.chunks_exact(d)
                .zip(&labels)
                .map(|(p, &c)| sq_dist(p, &centers[c * d..(c + 1) * d])),
        );
    }
    KMeans {
        centers,
        labels,
        n_iter,
        inertia,
    }
}

/// [`kmeans`] with one cluster: every row is in it, whatever the seeds, and Lloyd stops
/// after its first pass with the centre at the mean of the rows it ran on (`xs`, the subset
/// on a large data set). That is returned without the passes (at K = 1 they were most of a
/// fixed-K estimate's start on 10,000 rows); the seedings' draws are still taken from
/// `rng`, so that it is left as a full run leaves it.
fn one_cluster(x: &[f64], xs: &[f64], d: usize, rng: &mut Rng) -> KMeans {
    let m = xs.len() / d;
    for _ in 0..KMEANS_RESTARTS {
        // The first (and, at K = 1, only) draw of each greedy seeding.
        let _ = rng.random_range(0..m);
    }
    let mut centers = vec![0.0; d];
    for p in xs.chunks_exact(d) {
        for (c, v) in centers.iter_mut().zip(p) {
            *c += v;
        }
    }
    for c in centers.iter_mut() {
        *c /= m as f64;
    }
    let inertia = spread_sum(x.chunks_exact(d).map(|p| sq_dist(p, &centers)));
    KMeans {
        centers,
        labels: vec![0; x.len() / d],
        n_iter: 1,
        inertia,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gmm::GaussianMixture;
    use crate::rng::{stream, Purpose};

    #[test]
    fn vectorised_assignment_equals_the_nearest_centre() {
        use crate::vmath::{with_variant, Variant};
        let mut r = stream(3, Purpose::Init, 0, 0);
        // k d <= 12: the sums under a mask; 20 centres: one row at a time (MASKED_SUMS_MAX).
        for (d, k) in [(1, 4), (2, 4), (3, 4), (1, 20), (2, 20), (3, 20)] {
            // 101 rows (a partial last block), values on a coarse grid so that ties occur.
            let x: Vec<f64> = (0..101 * d)
                .map(|_| (r.random_range(0..7) as f64) * 0.5)
                .collect();
            let centers: Vec<f64> = (0..k * d).map(|i| (i % 5) as f64 * 0.75).collect();
            let want: Vec<usize> = x
                .chunks_exact(d)
                .map(|p| nearest(p, &centers, d).0)
                .collect();
            for v in Variant::ALL.into_iter().filter(|v| v.supported()) {
                let lanes = Lanes::new(&x, d);
                let mut got = vec![usize::MAX; 101];
                let mut acc = Sums::zeros(k, d);
                assert!(with_variant(v, || assign(
                    &lanes,
                    &centers,
                    &mut got,
                    Some(&mut acc)
                )));
                assert_eq!(got, want, "{v:?} d={d} k={k}");
                assert!(!with_variant(v, || assign(
                    &lanes, &centers, &mut got, None
                )));
                // The sums are the rows of each lane (row i in lane i % LANES) added to their
                // cluster in row order, then the lanes in order, bit for bit; and they are
                // the clusters' sums (to rounding: the values are multiples of 0.5 below 4,
                // so every partial sum here is exact and the two orders agree exactly).
                let mut lane_sums = vec![vec![0.0; k * d]; LANES];
                let mut want_counts = vec![0; k];
                let mut row_order = vec![0.0; k * d];
                for (i, (p, &c)) in x.chunks_exact(d).zip(&want).enumerate() {
                    want_counts[c] += 1;
                    for j in 0..d {
                        lane_sums[i % LANES][c * d + j] += p[j];
                        row_order[c * d + j] += p[j];
                    }
                }
                let mut want_sums = vec![0.0; k * d];
                for lane in &lane_sums {
                    for (s, v) in want_sums.iter_mut().zip(lane) {
                        *s += v;
                    }
                }
                let (got_sums, got_counts) = acc.totals();
                assert_eq!(got_counts, want_counts);
                let bits = |s: &[f64]| s.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&got_sums), bits(&want_sums));
                assert_eq!(got_sums, row_order);
                // The distances to a point are those of the scalar reference, bit for bit.
                let mut dist = vec![0.0; 101];
                with_variant(v, || distances(&lanes, &centers[..d], &mut dist));
                for (p, got) in x.chunks_exact(d).zip(&dist) {
                    assert_eq!(got.to_bits(), sq_dist(p, &centers[..d]).to_bits());
                }
            }
        }
    }

    #[test]
    fn a_weighted_draw_takes_a_row_of_weight_where_the_sums_round_apart() {
        // Block 0: 1 and 63 values of 1e-16, which a running sum from 1 rounds away but its
        // eight running sums do not; block 1 starts with a row of weight 0. A `u` just above
        // 1 lies between the two sums of block 0: the draw is in block 0, a row of weight.
        let mut w = vec![1.0];
        w.extend([1e-16; 63]);
        w.extend([0.0, 5.0]);
        let u = 1.0 + 2.0 * f64::EPSILON;
        let i = draw_at(&w, u);
        assert!(i < DRAW_BLOCK && w[i] > 0.0, "{i}");
        // Otherwise the row where the cumulative weight passes u, in any block.
        assert_eq!(draw_at(&w, 0.5), 0);
        assert_eq!(draw_at(&w, 3.0), 65);
        let v: Vec<f64> = (0..300).map(|i| (i % 7) as f64).collect();
        let mut cum = 0.0;
        for (i, x) in v.iter().enumerate() {
            if *x > 0.0 {
                // Whole numbers: every sum is exact, the draw is the row-order one.
                assert_eq!(draw_at(&v, cum), i);
                assert_eq!(draw_at(&v, cum + x - 0.5), i);
            }
            cum += x;
        }
    }

    #[test]
    fn separates_obvious_clusters() {
        let mut x = Vec::new();
        for i in 0..50 {
            let e = (i as f64) * 1e-3;
            x.extend_from_slice(&[e, e]);
            x.extend_from_slice(&[10.0 + e, 10.0 - e]);
        }
        let mut r = stream(1, Purpose::Init, 0, 0);
        let km = kmeans(&x, 2, 2, 100, &mut r);
        for i in (0..100).step_by(2) {
            assert_ne!(km.labels[i], km.labels[i + 1]);
            assert_eq!(km.labels[i], km.labels[0]);
        }
    }

    /// Three separated clusters with unequal sizes, the case where plain k-means++ (one
    /// candidate per centre, one run) often seeds two centres in the big cluster.
    fn unequal_clusters(n: usize, seed: u64) -> Vec<f64> {
        let g = GaussianMixture::new(
            2,
            vec![0.5, 0.3, 0.2],
            vec![0.0, 0.0, 6.0, 0.0, 0.0, 6.0],
            vec![0.5, 0.0, 0.0, 0.5, 0.5, 0.0, 0.0, 0.5, 0.5, 0.0, 0.0, 0.5],
        )
        .unwrap();
        g.sample(n, seed).0
    }

    #[test]
    fn finds_unequal_separated_clusters_for_every_seed() {
        let x = unequal_clusters(3000, 3);
        for s in 0..30 {
            let mut r = stream(s, Purpose::Init, 3, 0);
            let km = kmeans(&x, 2, 3, 300, &mut r);
            let mut counts = [0usize; 3];
            for &l in &km.labels {
                counts[l] += 1;
            }
            counts.sort_unstable();
            // The true sizes are 1500 / 900 / 600 (binomial sd < 30); clusters 8.5 sd apart
            // leave essentially no row mislabelled, so a wrong optimum is far off these.
            assert!(
                (counts[0] as i64 - 600).abs() < 100 && (counts[2] as i64 - 1500).abs() < 100,
                "seed {s}: {counts:?}"
            );
        }
    }

    #[test]
    fn restarts_in_parallel_give_the_sequential_result() {
        // The seedings draw from the stream in order and the Lloyd runs draw nothing: the
        // same centres, labels and stream state on one thread and on several.
        let x = unequal_clusters(3000, 4);
        let run = |threads: usize| {
            crate::on_threads(threads, || {
                let mut r = stream(9, Purpose::Init, 4, 0);
                let km = kmeans(&x, 2, 4, 300, &mut r);
                (km.centers, km.labels, km.inertia, r.random::<u64>())
            })
        };
        assert_eq!(run(1), run(3));
    }

    #[test]
    fn large_data_use_a_subset_and_label_every_row() {
        let x = unequal_clusters(50_000, 5);
        let mut r = stream(0, Purpose::Init, 3, 0);
        let km = kmeans(&x, 2, 3, 300, &mut r);
        assert_eq!(km.labels.len(), 50_000);
        // Every row's label is its nearest centre.
        for (i, p) in x.chunks_exact(2).enumerate().step_by(97) {
            assert_eq!(km.labels[i], nearest(p, &km.centers, 2).0);
        }
        // Centres within 0.05 of the true means (a subset of 20,000 rows puts >= 4,000 in
        // each cluster: the sd of a centre is about 0.7 / sqrt(4000) = 0.011).
        let mut cs: Vec<(f64, f64)> = km.centers.chunks_exact(2).map(|c| (c[0], c[1])).collect();
        cs.sort_by(|a, b| (a.0 + 2.0 * a.1).total_cmp(&(b.0 + 2.0 * b.1)));
        for (c, t) in cs.iter().zip([(0.0, 0.0), (6.0, 0.0), (0.0, 6.0)]) {
            assert!(
                (c.0 - t.0).abs() < 0.05 && (c.1 - t.1).abs() < 0.05,
                "{cs:?}"
            );
        }
    }

    #[test]
    fn one_cluster_is_lloyds_answer_and_leaves_the_stream_where_lloyd_does() {
        // What a full run gives at K = 1 (its seedings and Lloyd passes), by hand: the same
        // labels, a centre at the mean, and the stream in the same state afterwards.
        let x = unequal_clusters(3000, 7);
        let (d, n) = (2, 3000);
        let mut full = stream(5, Purpose::Init, 1, 0);
        let lanes = Lanes::new(&x, d);
        let tol = LLOYD_TOL * mean_variance(&x, d);
        let mut runs = Vec::new();
        for _ in 0..KMEANS_RESTARTS {
            let mut c = seed_greedy(&x, &lanes, 1, &mut full);
            let (labels, _, inertia) = lloyd(&x, &lanes, 1, &mut c, tol, 300);
            runs.push((c, labels, inertia));
        }
        let mut short = stream(5, Purpose::Init, 1, 0);
        let km = kmeans(&x, d, 1, 300, &mut short);
        assert_eq!(short.random::<u64>(), full.random::<u64>());
        for (c, labels, inertia) in runs {
            assert_eq!(labels, km.labels);
            assert!(c
                .iter()
                .zip(&km.centers)
                .all(|(a, b)| (a - b).abs() < 1e-12));
            assert!((inertia - km.inertia).abs() < 1e-9 * inertia);
        }
        assert_eq!(km.labels, vec![0; n]);
        // On a large data set the subset's draws are taken as well.
        let big = unequal_clusters(MAX_KMEANS_ROWS + 1000, 8);
        let mut short = stream(6, Purpose::Init, 1, 0);
        let km = kmeans(&big, d, 1, 300, &mut short);
        let mut full = stream(6, Purpose::Init, 1, 0);
        let m = big.len() / d;
        for i in 0..MAX_KMEANS_ROWS {
            let _ = full.random_range(i..m);
        }
        for _ in 0..KMEANS_RESTARTS {
            let _ = full.random_range(0..MAX_KMEANS_ROWS);
        }
        assert_eq!(short.random::<u64>(), full.random::<u64>());
        assert_eq!(km.labels, vec![0; m]);
    }
}
