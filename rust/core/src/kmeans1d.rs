//! k-means of one column on its sorted values, for the starts of the component search on a
//! binned column ([`crate::bins`]): the same method as [`crate::kmeans::kmeans`] (greedy
//! k-means++ seeding with [`KMEANS_RESTARTS`] restarts, Lloyd's iterations to
//! [`LLOYD_TOL`], an empty cluster re-seeded at the row farthest from its centre, the
//! restart of the lowest inertia kept), computed from prefix sums.
//!
//! In one column the rows nearest to each centre are a run of the sorted values, between
//! the midpoints of neighbouring centres: a cluster's count, sum and sum of squares are
//! differences of prefix sums, found by binary search, so a Lloyd iteration or a seeding
//! trial costs `O(k log n)` instead of a pass over the rows. The draws differ from
//! [`crate::kmeans::kmeans`]'s (its seeding draws a row in the rows' order, this one in the
//! sorted order; it runs on a subset of large data sets, this one on every row), so the
//! seeds, and rarely the clustering, differ: the same method with other random draws.

use rand::RngExt;

use crate::kmeans::{KMeans, KMEANS_RESTARTS, LLOYD_TOL};
use crate::rng::Rng;

/// The sorted values of one column and their prefix sums (about the median, so that sums
/// of squares keep their precision).
#[derive(Debug, Clone)]
pub struct Sorted {
    /// The row of each sorted value.
    order: Vec<u32>,
    /// The values in ascending order.
    v: Vec<f64>,
    /// The value the prefix sums are taken about.
    c0: f64,
    /// `p1[j]`, `p2[j]`: sums of `v - c0` and `(v - c0)^2` over the first `j` values.
    p1: Vec<f64>,
    p2: Vec<f64>,
}

impl Sorted {
    /// The values of `x` in the order `order` (a permutation of its rows sorting them
    /// ascending).
    pub fn new(x: &[f64], order: Vec<u32>) -> Sorted {
        let v: Vec<f64> = order.iter().map(|&i| x[i as usize]).collect();
        let c0 = v[v.len() / 2];
        let (mut p1, mut p2) = (
            Vec::with_capacity(v.len() + 1),
            Vec::with_capacity(v.len() + 1),
        );
        let (mut s1, mut s2) = (0.0, 0.0);
        p1.push(0.0);
        p2.push(0.0);
        for &a in &v {
            let t = a - c0;
            s1 += t;
            s2 += t * t;
            p1.push(s1);
            p2.push(s2);
        }
        Sorted {
            order,
            v,
            c0,
            p1,
            p2,
        }
    }

    /// The values in ascending order.
    pub fn values(&self) -> &[f64] {
        &self.v
    }

    /// The row of each sorted value.
    pub fn order(&self) -> &[u32] {
        &self.order
    }

    /// The number of values.
    pub fn len(&self) -> usize {
        self.v.len()
    }

    /// Whether there are no values.
    pub fn is_empty(&self) -> bool {
        self.v.is_empty()
    }

    /// Count, sum of `v - c0` and sum of `(v - c0)^2` of the sorted values `a..b`.
    fn moments(&self, a: usize, b: usize) -> (f64, f64, f64) {
        (
            (b - a) as f64,
            self.p1[b] - self.p1[a],
            self.p2[b] - self.p2[a],
        )
    }

    /// The sum of squared distances of the sorted values `a..b` to `c` (at least 0).
    fn sse(&self, a: usize, b: usize, c: f64) -> f64 {
        let (n, s1, s2) = self.moments(a, b);
        let t = c - self.c0;
        (s2 - 2.0 * t * s1 + t * t * n).max(0.0)
    }

    /// The mean of the sorted values `a..b` (`a < b`).
    fn mean(&self, a: usize, b: usize) -> f64 {
        let (n, s1, _) = self.moments(a, b);
        self.c0 + s1 / n
    }

    /// Each centre's run of the sorted values: `runs[c] = (a, b)`, the values `a..b`
    /// nearest to centre `c` (a value midway between two centres goes to the lower; of
    /// equal centres, the first in `centers` takes the run and the others none).
    fn runs(&self, centers: &[f64]) -> Vec<(usize, usize)> {
        let k = centers.len();
        let mut by_value: Vec<usize> = (0..k).collect();
        by_value.sort_by(|&a, &b| centers[a].total_cmp(&centers[b]).then(a.cmp(&b)));
        let mut runs = vec![(0, 0); k];
        let mut start = 0;
        for (i, &c) in by_value.iter().enumerate() {
            let end = match by_value.get(i + 1) {
                Some(&next) => {
                    let mid = 0.5 * (centers[c] + centers[next]);
                    start.max(self.v.partition_point(|&t| t <= mid))
                }
                None => self.v.len(),
            };
            runs[c] = (start, end);
            start = end;
        }
        runs
    }

    /// The total squared distance of the values to their nearest centre.
    fn potential(&self, centers: &[f64]) -> f64 {
        self.runs(centers)
            .iter()
            .zip(centers)
            .map(|(&(a, b), &c)| self.sse(a, b, c))
            .sum()
    }

    /// The sorted position drawn with probability proportional to the squared distance to
    /// the nearest centre (uniform when that is 0 everywhere).
    fn draw(&self, centers: &[f64], total: f64, rng: &mut Rng) -> usize {
        let n = self.v.len();
        if !(total > 0.0 && total.is_finite()) {
            return rng.random_range(0..n);
        }
        let mut u: f64 = rng.random::<f64>() * total;
        let runs = self.runs(centers);
        let mut last = n - 1;
        for (&(a, b), &c) in runs.iter().zip(centers) {
            if a == b {
                continue;
            }
            let here = self.sse(a, b, c);
            if u < here {
                // The first value whose cumulative squared distance from `a` exceeds `u`
                // (nondecreasing in the position, up to rounding), by bisection.
                let (mut lo, mut hi) = (a, b);
                while lo < hi {
                    let mid = lo + (hi - lo) / 2;
                    if self.sse(a, mid + 1, c) <= u {
                        lo = mid + 1;
                    } else {
                        hi = mid;
                    }
                }
                return lo.min(b - 1);
            }
            u -= here;
            last = b - 1;
        }
        last
    }
}

/// Greedy k-means++ seeding (see [`crate::kmeans`]): `2 + ln k` candidates per centre, the
/// one of the lowest potential kept.
fn seed(s: &Sorted, k: usize, rng: &mut Rng) -> Vec<f64> {
    let n = s.len();
    let trials = 2 + (k as f64).ln().floor() as usize;
    let mut centers = vec![s.v[rng.random_range(0..n)]];
    for _ in 1..k {
        let total = s.potential(&centers);
        let mut best: Option<(f64, f64)> = None;
        for _ in 0..trials {
            let c = s.v[s.draw(&centers, total, rng)];
            centers.push(c);
            let pot = s.potential(&centers);
            centers.pop();
            if best.is_none_or(|(p, _)| pot < p) {
                best = Some((pot, c));
            }
        }
        centers.push(best.expect("at least two trials").1);
    }
    centers
}

/// Lloyd's iterations from `centers` until no run changes, the centres' squared shifts
/// add up to at most `tol`, or `max_iter`; the runs, the iterations and the inertia.
fn lloyd(
    s: &Sorted,
    centers: &mut [f64],
    tol: f64,
    max_iter: usize,
) -> (Vec<(usize, usize)>, usize, f64) {
    let k = centers.len();
    let mut runs = vec![(usize::MAX, usize::MAX); k];
    let mut n_iter = 0;
    for it in 1..=max_iter {
        n_iter = it;
        let new_runs = s.runs(centers);
        let mut changed = new_runs != runs;
        runs = new_runs;
        let mut shift = 0.0;
        for c in 0..k {
            let (a, b) = runs[c];
            if a == b {
                // Re-seed at the value farthest from its own centre (an end of a run).
                let (mut far, mut fd) = (0, -1.0);
                for (&(a2, b2), &c2) in runs.iter().zip(centers.iter()) {
                    for j in [a2, b2.wrapping_sub(1)] {
                        if a2 < b2 && (s.v[j] - c2).abs() > fd {
                            fd = (s.v[j] - c2).abs();
                            far = j;
                        }
                    }
                }
                centers[c] = s.v[far];
                changed = true;
                shift = f64::INFINITY;
            } else {
                let new = s.mean(a, b);
                shift += (new - centers[c]) * (new - centers[c]);
                centers[c] = new;
            }
        }
        if !changed {
            break;
        }
        if shift <= tol {
            runs = s.runs(centers);
            break;
        }
    }
    let inertia = runs
        .iter()
        .zip(centers.iter())
        .map(|(&(a, b), &c)| s.sse(a, b, c))
        .sum();
    (runs, n_iter, inertia)
}

/// Clusters the column `s` into `k` groups (`s.len() >= k >= 1`): see the module.
pub fn kmeans_sorted(s: &Sorted, k: usize, max_iter: usize, rng: &mut Rng) -> KMeans {
    let n = s.len();
    assert!(n >= k && k >= 1, "kmeans needs n >= k >= 1");
    let (whole, _, s2) = s.moments(0, n);
    let mean = s.mean(0, n);
    let variance = (s2 / whole - (mean - s.c0) * (mean - s.c0)).max(0.0);
    let tol = LLOYD_TOL * variance;
    // (centres, runs, iterations, inertia)
    type Run = (Vec<f64>, Vec<(usize, usize)>, usize, f64);
    let mut best: Option<Run> = None;
    for _ in 0..KMEANS_RESTARTS {
        let mut centers = seed(s, k, rng);
        let (runs, it, inertia) = lloyd(s, &mut centers, tol, max_iter);
        if best.as_ref().is_none_or(|b| inertia < b.3) {
            best = Some((centers, runs, it, inertia));
        }
    }
    let (centers, runs, n_iter, inertia) = best.expect("at least one restart");
    let mut labels = vec![0usize; n];
    for (c, &(a, b)) in runs.iter().enumerate() {
        for &i in &s.order[a..b] {
            labels[i as usize] = c;
        }
    }
    KMeans {
        centers,
        labels,
        n_iter,
        inertia,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gmm::GaussianMixture;
    use crate::rng::{self, Purpose};

    fn sorted(x: &[f64]) -> Sorted {
        let mut order: Vec<u32> = (0..x.len() as u32).collect();
        order.sort_by(|&a, &b| x[a as usize].total_cmp(&x[b as usize]));
        Sorted::new(x, order)
    }

    #[test]
    fn runs_are_the_nearest_centres_rows() {
        let g = GaussianMixture::new(1, vec![0.3, 0.7], vec![-2.0, 1.0], vec![0.5, 1.0]).unwrap();
        let (x, _) = g.sample(3_000, 1);
        let s = sorted(&x);
        let centers = [0.7, -1.9, 3.0];
        for (c, &(a, b)) in s.runs(&centers).iter().enumerate() {
            for &v in &s.v[a..b] {
                let d = (v - centers[c]).abs();
                assert!(
                    centers.iter().all(|&o| (v - o).abs() >= d),
                    "{v} in run of {}",
                    centers[c]
                );
            }
        }
        // The potential from prefix sums equals the direct sum (rounding ~1e-12 of it).
        let direct: f64 = x
            .iter()
            .map(|&v| {
                centers
                    .iter()
                    .map(|&c| (v - c) * (v - c))
                    .fold(f64::INFINITY, f64::min)
            })
            .sum();
        assert!((s.potential(&centers) - direct).abs() <= 1e-9 * direct);
    }

    #[test]
    fn separated_clusters_are_found_with_their_means() {
        // Three clusters 10 sds apart: every restart finds them; centres within 0.05 of the
        // cluster means (standard error 1 / sqrt(1,000) = 0.03), labels those of the rows'
        // clusters.
        let g = GaussianMixture::new(1, vec![0.2, 0.5, 0.3], vec![-10.0, 0.0, 10.0], vec![1.0; 3])
            .unwrap();
        let (x, comp) = g.sample(5_000, 2);
        let s = sorted(&x);
        let mut r = rng::stream(3, Purpose::Init, 0, 0);
        let km = kmeans_sorted(&s, 3, 300, &mut r);
        let mut c = km.centers.clone();
        c.sort_by(f64::total_cmp);
        for (got, want) in c.iter().zip([-10.0, 0.0, 10.0]) {
            assert!((got - want).abs() < 0.1, "{got} vs {want}");
        }
        // One label per true cluster, consistent over the rows.
        for k in 0..3 {
            let labels: std::collections::BTreeSet<usize> = (0..x.len())
                .filter(|&i| comp[i] == k)
                .map(|i| km.labels[i])
                .collect();
            assert_eq!(labels.len(), 1);
        }
        let inertia: f64 = x
            .iter()
            .zip(&km.labels)
            .map(|(&v, &l)| (v - km.centers[l]).powi(2))
            .sum();
        assert!((inertia - km.inertia).abs() <= 1e-9 * inertia);
    }

    #[test]
    fn equal_values_and_more_centres_than_values_do_not_panic() {
        // Two distinct values, four clusters: empty clusters are re-seeded and the run ends.
        let x: Vec<f64> = (0..100).map(|i| f64::from(i % 2)).collect();
        let s = sorted(&x);
        let mut r = rng::stream(4, Purpose::Init, 0, 0);
        let km = kmeans_sorted(&s, 4, 300, &mut r);
        assert_eq!(km.labels.len(), 100);
        assert!(km.inertia.abs() < 1e-12);
    }
}
