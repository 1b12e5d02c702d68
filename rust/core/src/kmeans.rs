//! Lloyd's k-means with k-means++ seeding, used by the k-means initialisations.

use rand::RngExt;

use crate::rng::Rng;

/// Result of a k-means run.
#[derive(Debug, Clone)]
pub struct KMeans {
    /// Cluster centres, row-major `k x d`.
    pub centers: Vec<f64>,
    /// Cluster label of every row.
    pub labels: Vec<usize>,
    /// Lloyd iterations performed.
    pub n_iter: usize,
}

fn sq_dist(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(u, v)| (u - v) * (u - v)).sum()
}

/// Clusters the rows of `x` (row-major `n x d`, `n >= k >= 1`) into `k` groups.
///
/// Seeding is k-means++ (each new centre drawn with probability proportional to the squared
/// distance to the nearest existing one); Lloyd iterations run until no label changes or
/// `max_iter` is reached. An empty cluster is re-seeded at the point farthest from its
/// centre.
pub fn kmeans(x: &[f64], d: usize, k: usize, max_iter: usize, rng: &mut Rng) -> KMeans {
    let n = x.len() / d;
    assert!(n >= k && k >= 1, "kmeans needs n >= k >= 1");
    let row = |i: usize| &x[i * d..(i + 1) * d];
    let mut centers = Vec::with_capacity(k * d);
    let first = rng.random_range(0..n);
    centers.extend_from_slice(row(first));
    let mut dist: Vec<f64> = (0..n).map(|i| sq_dist(row(i), row(first))).collect();
    for _ in 1..k {
        let total: f64 = dist.iter().sum();
        let pick = if total > 0.0 {
            let u: f64 = rng.random::<f64>() * total;
            let mut acc = 0.0;
            let mut pick = n - 1;
            for (i, v) in dist.iter().enumerate() {
                acc += v;
                if acc > u {
                    pick = i;
                    break;
                }
            }
            pick
        } else {
            rng.random_range(0..n)
        };
        let c = centers.len() / d;
        centers.extend_from_slice(row(pick));
        for (i, dv) in dist.iter_mut().enumerate() {
            let nd = sq_dist(row(i), &centers[c * d..(c + 1) * d]);
            if nd < *dv {
                *dv = nd;
            }
        }
    }
    let mut labels = vec![usize::MAX; n];
    let mut n_iter = 0;
    for it in 1..=max_iter {
        n_iter = it;
        let mut changed = false;
        for (i, l) in labels.iter_mut().enumerate() {
            let mut best = 0;
            let mut bd = f64::INFINITY;
            for c in 0..k {
                let v = sq_dist(row(i), &centers[c * d..(c + 1) * d]);
                if v < bd {
                    bd = v;
                    best = c;
                }
            }
            if *l != best {
                *l = best;
                changed = true;
            }
        }
        let mut sums = vec![0.0; k * d];
        let mut counts = vec![0usize; k];
        for (i, &l) in labels.iter().enumerate() {
            counts[l] += 1;
            for j in 0..d {
                sums[l * d + j] += row(i)[j];
            }
        }
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
            } else {
                for j in 0..d {
                    centers[c * d + j] = sums[c * d + j] / counts[c] as f64;
                }
            }
        }
        if !changed {
            break;
        }
    }
    KMeans {
        centers,
        labels,
        n_iter,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{stream, Purpose};

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
}
