//! Exact neighbour queries in the max-norm (Chebyshev distance) over a k-d tree, for the
//! KSG estimator of [`crate::check`]: the distance to the k-th nearest other row, and the
//! number of rows strictly closer than a radius.
//!
//! The tree splits a node's rows at the median of the coordinate with the widest range,
//! down to leaves of at most [`LEAF_ROWS`] rows, and keeps every node's bounding box. A query
//! skips a node whose box is not closer than what it looks for, and a count takes a whole
//! node whose box lies inside the radius. Distances are the maximum of the coordinates'
//! absolute differences, exactly as a comparison of every pair of rows computes them, and
//! maxima do not depend on their order: the answers are those of the comparison of every
//! pair, to the last bit. Building costs `O(m log m)`; a query in few dimensions visits a
//! few leaves instead of all `m` rows (in many dimensions most of them, see
//! [`crate::check::ksg`]).

/// Rows per leaf: enough for the leaf's loop to amortise the descent, few enough that a
/// query near a leaf's edge reads little it does not need.
pub(crate) const LEAF_ROWS: usize = 16;

/// The larger of two distances or box offsets (finite, as the rows are; the same value as
/// `f64::max` without its handling of NaN).
#[inline(always)]
pub(crate) fn larger(a: f64, b: f64) -> f64 {
    if b > a {
        b
    } else {
        a
    }
}

/// Inserts `dist` into `best` (ascending, `k >= 1` values) if it is below the largest,
/// which it drops: the `k` smallest distances seen so far.
#[inline(always)]
pub(crate) fn insert_nearer(best: &mut [f64], dist: f64) {
    let k = best.len();
    if dist < best[k - 1] {
        let mut at = k - 1;
        while at > 0 && best[at - 1] > dist {
            best[at] = best[at - 1];
            at -= 1;
        }
        best[at] = dist;
    }
}

/// A node: rows `lo..hi` of the tree's order, its box, and its children (`None`: a leaf).
#[derive(Debug, Clone)]
struct Node {
    lo: usize,
    hi: usize,
    children: Option<(usize, usize)>,
}

/// A k-d tree over some columns of a row-major table.
#[derive(Debug, Clone)]
pub(crate) struct KdTree {
    /// Columns per row.
    d: usize,
    /// The rows' coordinates in the tree's order (row-major, `d` columns).
    points: Vec<f64>,
    /// Each row's index in the table, in the tree's order.
    index: Vec<usize>,
    nodes: Vec<Node>,
    /// Per node, the lower then the upper corner of its box (`2 d` values).
    boxes: Vec<f64>,
}

impl KdTree {
    /// A tree over columns `cols` of the rows of `v` (row-major, `width` columns; at least
    /// one row, `cols` non-empty and within `width`); queries take those columns, in that
    /// order.
    pub(crate) fn new(v: &[f64], width: usize, cols: &[usize]) -> Self {
        let d = cols.len();
        let m = v.len() / width;
        let coords: Vec<f64> = v
            .chunks_exact(width)
            .flat_map(|row| cols.iter().map(|&c| row[c]))
            .collect();
        let mut tree = KdTree {
            d,
            points: Vec::with_capacity(m * d),
            index: (0..m).collect(),
            nodes: Vec::with_capacity(2 * m.div_ceil(LEAF_ROWS)),
            boxes: Vec::with_capacity(4 * d * m.div_ceil(LEAF_ROWS)),
        };
        tree.build(&coords, 0, m);
        tree.points = tree
            .index
            .iter()
            .flat_map(|&i| coords[i * d..(i + 1) * d].iter().copied())
            .collect();
        tree
    }

    /// Adds the node of rows `lo..hi` (of `index`) and its subtree; returns its position.
    fn build(&mut self, coords: &[f64], lo: usize, hi: usize) -> usize {
        let d = self.d;
        let at = self.nodes.len();
        let mut lower = vec![f64::INFINITY; d];
        let mut upper = vec![f64::NEG_INFINITY; d];
        for &i in &self.index[lo..hi] {
            for j in 0..d {
                let c = coords[i * d + j];
                lower[j] = lower[j].min(c);
                upper[j] = upper[j].max(c);
            }
        }
        self.boxes.extend_from_slice(&lower);
        self.boxes.extend_from_slice(&upper);
        self.nodes.push(Node {
            lo,
            hi,
            children: None,
        });
        let (axis, spread) = (0..d)
            .map(|j| (j, upper[j] - lower[j]))
            .fold((0, f64::NEG_INFINITY), |a, b| if b.1 > a.1 { b } else { a });
        // A leaf when small, or when every row is the same point (no split separates them).
        if hi - lo <= LEAF_ROWS || spread <= 0.0 {
            return at;
        }
        let mid = lo + (hi - lo) / 2;
        self.index[lo..hi].select_nth_unstable_by(mid - lo, |&a, &b| {
            coords[a * d + axis]
                .total_cmp(&coords[b * d + axis])
                .then(a.cmp(&b))
        });
        let left = self.build(coords, lo, mid);
        let right = self.build(coords, mid, hi);
        self.nodes[at].children = Some((left, right));
        at
    }

    /// The max-norm distance from `q` to node `n`'s box (0 inside it).
    #[inline]
    fn box_distance(&self, n: usize, q: &[f64]) -> f64 {
        let d = self.d;
        let b = &self.boxes[2 * d * n..2 * d * (n + 1)];
        let mut dist: f64 = 0.0;
        for j in 0..d {
            dist = larger(larger(dist, b[j] - q[j]), q[j] - b[d + j]);
        }
        dist
    }

    /// The largest max-norm distance from `q` to a point of node `n`'s box.
    #[inline]
    fn box_reach(&self, n: usize, q: &[f64]) -> f64 {
        let d = self.d;
        let b = &self.boxes[2 * d * n..2 * d * (n + 1)];
        let mut dist: f64 = 0.0;
        for j in 0..d {
            dist = larger(larger(dist, q[j] - b[j]), b[d + j] - q[j]);
        }
        dist
    }

    #[inline]
    fn distance(&self, p: usize, q: &[f64]) -> f64 {
        let row = &self.points[p * self.d..(p + 1) * self.d];
        let mut dist: f64 = 0.0;
        for (a, b) in row.iter().zip(q) {
            dist = larger(dist, (a - b).abs());
        }
        dist
    }

    /// The max-norm distance from `q` to its `best.len()`-th nearest row other than the
    /// table's row `skip` (infinite if there are fewer). `best` is working memory
    /// (`k >= 1` values, overwritten); `stack` too.
    pub(crate) fn kth_distance(
        &self,
        q: &[f64],
        skip: usize,
        best: &mut [f64],
        stack: &mut Vec<usize>,
    ) -> f64 {
        let k = best.len();
        best.fill(f64::INFINITY);
        stack.clear();
        stack.push(0);
        while let Some(n) = stack.pop() {
            // A box no closer than the k-th distance so far holds nothing that lowers it.
            if self.box_distance(n, q) >= best[k - 1] {
                continue;
            }
            let node = &self.nodes[n];
            match node.children {
                Some((l, r)) => {
                    // The nearer child is searched first (pushed last).
                    if self.box_distance(l, q) <= self.box_distance(r, q) {
                        stack.extend([r, l]);
                    } else {
                        stack.extend([l, r]);
                    }
                }
                None => {
                    for p in node.lo..node.hi {
                        if self.index[p] == skip {
                            continue;
                        }
                        insert_nearer(best, self.distance(p, q));
                    }
                }
            }
        }
        best[k - 1]
    }

    /// The number of rows (the query's own included, if it is in the tree) at max-norm
    /// distance strictly below `radius` from `q`. `stack` is working memory.
    pub(crate) fn count_within(&self, q: &[f64], radius: f64, stack: &mut Vec<usize>) -> usize {
        let mut count = 0;
        stack.clear();
        stack.push(0);
        while let Some(n) = stack.pop() {
            if self.box_distance(n, q) >= radius {
                continue;
            }
            let node = &self.nodes[n];
            if self.box_reach(n, q) < radius {
                count += node.hi - node.lo;
                continue;
            }
            match node.children {
                Some((l, r)) => stack.extend([l, r]),
                None => {
                    count += (node.lo..node.hi)
                        .filter(|&p| self.distance(p, q) < radius)
                        .count();
                }
            }
        }
        count
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;
    use rand::{RngExt, SeedableRng};

    /// Rows with ties: coordinates on a coarse grid, so that many distances are equal and
    /// some rows repeat.
    fn grid_rows(m: usize, d: usize, seed: u64) -> Vec<f64> {
        let mut r = Rng::seed_from_u64(seed);
        (0..m * d)
            .map(|_| f64::from(r.random_range(0..7u32)) * 0.5)
            .collect()
    }

    fn brute_kth(v: &[f64], width: usize, cols: &[usize], i: usize, k: usize) -> f64 {
        let q = &v[i * width..(i + 1) * width];
        let mut dist: Vec<f64> = v
            .chunks_exact(width)
            .enumerate()
            .filter(|&(j, _)| j != i)
            .map(|(_, row)| {
                cols.iter()
                    .map(|&c| (row[c] - q[c]).abs())
                    .fold(0.0, f64::max)
            })
            .collect();
        dist.sort_by(f64::total_cmp);
        dist.get(k - 1).copied().unwrap_or(f64::INFINITY)
    }

    #[test]
    fn answers_equal_a_comparison_of_every_pair() {
        for (m, width, seed) in [(1, 2, 0), (5, 2, 1), (200, 3, 2), (700, 5, 3), (300, 1, 4)] {
            let v = grid_rows(m, width, seed);
            let all: Vec<usize> = (0..width).collect();
            let ends: Vec<usize> = vec![width - 1, 0];
            for cols in [&all[..], &[0], &ends[..ends.len().min(width)]] {
                let tree = KdTree::new(&v, width, cols);
                let (mut best, mut stack) = (vec![0.0; 3], Vec::new());
                for i in 0..m {
                    let q: Vec<f64> = cols.iter().map(|&c| v[i * width + c]).collect();
                    let want = brute_kth(&v, width, cols, i, 3);
                    let got = tree.kth_distance(&q, i, &mut best, &mut stack);
                    assert_eq!(got.to_bits(), want.to_bits(), "m {m} row {i}");
                    for radius in [0.0, 0.5, 0.75, 1.0, 2.5, f64::INFINITY] {
                        let want = v
                            .chunks_exact(width)
                            .filter(|row| {
                                cols.iter()
                                    .zip(&q)
                                    .map(|(&c, a)| (row[c] - a).abs())
                                    .fold(0.0, f64::max)
                                    < radius
                            })
                            .count();
                        assert_eq!(tree.count_within(&q, radius, &mut stack), want);
                    }
                }
            }
        }
    }
}
