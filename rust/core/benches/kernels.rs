//! Criterion benchmarks of the hot kernels: one EM iteration, EM fits on rows laid out for
//! the lane kernels (the path every fit takes), log-density evaluation and the Monte Carlo
//! MI integral, and k-means. Throughput is reported in point-components (rows x K, times the iterations
//! of a fit).
//!
//! Run: `cargo bench -p gmmi-core --bench kernels` (add `-- em_step` to filter; with
//! `GMMI_SIMD=avx2` on an AVX-512 machine to time what an AVX2 machine runs, and
//! `RAYON_NUM_THREADS=1` for one thread).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use gmmi_core::em::{em_step, fit, Data, EmOptions};
use gmmi_core::integrate::{mutual_information, Integral};
use gmmi_core::rng::{stream, Purpose};
use gmmi_core::GaussianMixture;
use rand::RngExt;
use std::hint::black_box;

/// A well-spread mixture of `k` components in `d` dimensions.
fn model(k: usize, d: usize) -> GaussianMixture {
    let weights = vec![1.0 / k as f64; k];
    let mut means = Vec::with_capacity(k * d);
    let mut covs = Vec::with_capacity(k * d * d);
    for c in 0..k {
        for j in 0..d {
            means.push(((c * 7 + j * 3) % 11) as f64 - 5.0);
        }
        for a in 0..d {
            for b in 0..d {
                covs.push(if a == b { 1.0 } else { 0.1 });
            }
        }
    }
    GaussianMixture::new(d, weights, means, covs).expect("valid benchmark model")
}

fn em(c: &mut Criterion) {
    let mut group = c.benchmark_group("em_step");
    group.sample_size(10);
    let n = 1_000_000;
    for &(d, k) in &[(2, 1), (2, 8), (2, 32), (8, 1), (8, 8), (8, 32)] {
        let g = model(k, d);
        let (x, _) = g.sample(n, 1);
        group.throughput(Throughput::Elements((n * k) as u64));
        group.bench_with_input(
            BenchmarkId::new(format!("d{d}"), format!("k{k}")),
            &x,
            |b, x| b.iter(|| em_step(black_box(&g), &Data::new(x, d), 1e-6).expect("em step")),
        );
    }
    group.finish();
}

/// Iterations of every fit of [`em_fit`].
const FIT_ITERATIONS: usize = 30;

/// The benchmark model of `k` components in `d` dimensions and `n` rows drawn from it with
/// three times the spread: overlapping components, so that EM moves slowly and does not
/// reach its fixed point within [`FIT_ITERATIONS`].
fn overlapping_rows(k: usize, d: usize, n: usize) -> (GaussianMixture, Vec<f64>) {
    let g = model(k, d);
    let wide: Vec<f64> = g.covariances().iter().map(|v| 9.0 * v).collect();
    let truth = GaussianMixture::new(d, g.weights().to_vec(), g.means().to_vec(), wide)
        .expect("valid model");
    let (x, _) = truth.sample(n, 1);
    (g, x)
}

/// EM fits of [`FIT_ITERATIONS`] plain iterations on 200,000 rows (laid out once per fit,
/// as every fit of the estimator does), from a start away from the optimum so that no fit
/// stops early: the per-iteration cost of the EM pass by dimension and K.
fn em_fit(c: &mut Criterion) {
    let mut group = c.benchmark_group("em_fit");
    group.sample_size(10);
    let n = 200_000;
    let opts = EmOptions {
        threshold: f64::MIN_POSITIVE,
        max_iter: FIT_ITERATIONS,
        reg_covar: 1e-6,
        record_curves: false,
        accelerate: false,
    };
    // (10 columns: two variables of 5 columns each, in the lane kernels from session 60.)
    for &(d, k) in &[(1, 2), (1, 8), (2, 3), (2, 8), (3, 8), (5, 8), (10, 4)] {
        let (g, x) = overlapping_rows(k, d, n);
        let start = shifted(&g, 0.5);
        let data = Data::new(&x, d);
        let f = fit(&data, None, &start, &opts, None).expect("em fit");
        assert_eq!(
            f.n_iter, FIT_ITERATIONS,
            "d = {d}, K = {k}: the fit stopped early"
        );
        group.throughput(Throughput::Elements((n * k * FIT_ITERATIONS) as u64));
        group.bench_function(BenchmarkId::new(format!("d{d}"), format!("k{k}")), |b| {
            b.iter(|| fit(black_box(&data), None, &start, &opts, None).expect("em fit"))
        });
    }
    // A bootstrap replicate's fit: the rows weighted by their counts in a resample (about a
    // third 0, left out of the layout; the rest 1-8, each row's sums times its count).
    for &(d, k) in &[(1, 2), (2, 3)] {
        let (g, x) = overlapping_rows(k, d, n);
        let mut counts = vec![0.0; n];
        let mut r = stream(11, Purpose::Init, 0, 0);
        for _ in 0..n {
            counts[r.random_range(0..n)] += 1.0;
        }
        let start = shifted(&g, 0.5);
        let data = Data::weighted(&x, d, &counts);
        let f = fit(&data, None, &start, &opts, None).expect("em fit");
        assert_eq!(
            f.n_iter, FIT_ITERATIONS,
            "d = {d}, K = {k}, counts: the fit stopped early"
        );
        group.throughput(Throughput::Elements((n * k * FIT_ITERATIONS) as u64));
        group.bench_function(
            BenchmarkId::new(format!("d{d}"), format!("k{k}-counts")),
            |b| b.iter(|| fit(black_box(&data), None, &start, &opts, None).expect("em fit")),
        );
    }
    // Many narrow components tiling a band, as the search fits to additive uniform noise at
    // large n (K = 20-50): the passes of K >= 12 that read the rows in Z-order and leave out
    // of each block the components far from all its rows.
    let k = 32;
    let tiled = tiled_band(k);
    let (x, _) = tiled.sample(n, 3);
    let start = shifted(&tiled, 0.005);
    let data = Data::new(&x, 2);
    group.throughput(Throughput::Elements((n * k * FIT_ITERATIONS) as u64));
    group.bench_function(BenchmarkId::new("d2", "k32-band"), |b| {
        b.iter(|| fit(black_box(&data), None, &start, &opts, None).expect("em fit"))
    });
    group.finish();
}

/// `g` with every mean coordinate moved by `by`: a start away from the optimum.
fn shifted(g: &GaussianMixture, by: f64) -> GaussianMixture {
    let means: Vec<f64> = g.means().iter().map(|m| m + by).collect();
    GaussianMixture::new(
        g.dim(),
        g.weights().to_vec(),
        means,
        g.covariances().to_vec(),
    )
    .expect("valid start")
}

/// `k` components along the diagonal of the unit square, each elongated along it (sd 0.7
/// of the spacing) over a band 0.1 wide, their means off the diagonal by -0.1, 0 or 0.1 in
/// turn: the shape of a mixture fitted to `y = x + uniform noise`.
fn tiled_band(k: usize) -> GaussianMixture {
    let step = 1.0 / (k - 1) as f64;
    let (a, b) = ((0.7 * step).powi(2), 0.1f64.powi(2));
    let means: Vec<f64> = (0..k)
        .flat_map(|c| {
            let t = c as f64 * step;
            [t, t + 0.1 * ((c % 3) as f64 - 1.0)]
        })
        .collect();
    let covs: Vec<f64> = (0..k).flat_map(|_| [a, a, a, a + b]).collect();
    GaussianMixture::new(2, vec![1.0 / k as f64; k], means, covs).expect("valid band model")
}

fn density(c: &mut Criterion) {
    let mut group = c.benchmark_group("log_density");
    group.sample_size(10);
    let n = 1_000_000;
    for &(d, k) in &[(2, 8), (8, 8), (10, 8)] {
        let g = model(k, d);
        let (x, _) = g.sample(n, 2);
        group.throughput(Throughput::Elements((n * k) as u64));
        group.bench_with_input(
            BenchmarkId::new(format!("d{d}"), format!("k{k}")),
            &x,
            |b, x| b.iter(|| g.log_density(black_box(x)).expect("density")),
        );
    }
    group.finish();
}

fn mc(c: &mut Criterion) {
    let mut group = c.benchmark_group("mc_mutual_information");
    group.sample_size(10);
    let samples = 100_000;
    for &k in &[1usize, 5, 20] {
        let g = model(k, 2);
        // Three densities (joint and two marginals) of k components per draw.
        group.throughput(Throughput::Elements((samples * k) as u64));
        group.bench_function(BenchmarkId::new("d2", format!("k{k}")), |b| {
            b.iter(|| {
                mutual_information(
                    &g,
                    &[0],
                    &[1],
                    &Integral::MonteCarlo { samples },
                    3,
                    &gmmi_core::Control::new(),
                )
                .expect("mi")
            })
        });
    }
    group.finish();
}

/// One k-means run (the seedings of [`gmmi_core::kmeans::KMEANS_RESTARTS`] restarts and their
/// Lloyd iterations) on the rows of a correlated Gaussian (d = 2, 10,000 rows) and of a
/// two-component 1-D mixture (12,000 rows): the k-means starts of the component search.
/// Throughput in rows.
fn kmeans(c: &mut Criterion) {
    let mut group = c.benchmark_group("kmeans");
    group.sample_size(20);
    let blob = GaussianMixture::new(2, vec![1.0], vec![0.0, 0.0], vec![1.0, 0.6, 0.6, 1.0])
        .expect("valid blob");
    let pair = GaussianMixture::new(1, vec![0.5, 0.5], vec![-1.0, 1.0], vec![0.6, 0.8])
        .expect("valid pair");
    for (name, g, n) in [("d2", &blob, 10_000), ("d1", &pair, 12_000)] {
        let (x, _) = g.sample(n, 5);
        let d = g.dim();
        group.throughput(Throughput::Elements(n as u64));
        for k in [2usize, 3, 5, 8] {
            group.bench_function(BenchmarkId::new(name, format!("k{k}")), |b| {
                b.iter(|| {
                    let mut r = stream(7, Purpose::Init, k as u64, 0);
                    gmmi_core::kmeans::kmeans(black_box(&x), d, k, 300, &mut r)
                })
            });
        }
    }
    group.finish();
}

criterion_group!(kernels, em, em_fit, density, mc, kmeans);
criterion_main!(kernels);
