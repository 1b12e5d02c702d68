//! Criterion benchmarks of the hot kernels: one EM iteration, log-density evaluation and
//! the Monte Carlo MI integral. Throughput is reported in point-components (rows x K).
//!
//! Run: `cargo bench -p gmmi-core --bench kernels` (add `-- em_step` to filter).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use gmmi_core::em::{em_step, Data};
use gmmi_core::integrate::{mutual_information, Integral};
use gmmi_core::GaussianMixture;
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

fn density(c: &mut Criterion) {
    let mut group = c.benchmark_group("log_density");
    group.sample_size(10);
    let n = 1_000_000;
    for &(d, k) in &[(2, 8), (8, 8)] {
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

criterion_group!(kernels, em, density, mc);
criterion_main!(kernels);
