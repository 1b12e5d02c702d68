//! Property-based fuzzing of the public entry points: whatever the input, no panic, and
//! every outcome is either a value that makes sense or an error.
//!
//! The default case count keeps `cargo test` fast; `benches/fuzz.sh` runs the same
//! properties with many more cases (`PROPTEST_CASES`) for a bounded time.

use gmmi_core::em::{self, Data, EmOptions};
use gmmi_core::estimator::{estimate, EstimatorOptions, Quantity};
use gmmi_core::init::{initialize, InitMethod};
use gmmi_core::integrate::{mutual_information, Integral};
use gmmi_core::rng::{stream, Purpose};
use gmmi_core::select::SelectOptions;
use gmmi_core::stats::{far_from_median, median_in_place};
use gmmi_core::{Control, Error, GaussianMixture};
use proptest::prelude::*;

/// Floats including the awkward ones.
fn any_float() -> impl Strategy<Value = f64> {
    prop_oneof![
        8 => -10.0f64..10.0,
        1 => prop::num::f64::ANY,
        1 => Just(0.0),
        1 => prop_oneof![Just(1e-300), Just(1e300), Just(-1e300), Just(1e-12), Just(1e12)],
    ]
}

/// A valid mixture: covariances A A^T + eps I.
fn valid_gmm() -> impl Strategy<Value = GaussianMixture> {
    // Dimensions up to 17: the vectorised kernels cover d <= 16, the scalar path the rest.
    (1usize..18, 1usize..5).prop_flat_map(|(d, k)| {
        (
            prop::collection::vec(0.05f64..1.0, k),
            prop::collection::vec(-5.0f64..5.0, k * d),
            prop::collection::vec(-2.0f64..2.0, k * d * d),
            1e-3f64..1.0,
        )
            .prop_map(move |(w, m, a, eps)| {
                let total: f64 = w.iter().sum();
                let w: Vec<f64> = w.iter().map(|v| v / total).collect();
                let mut c = vec![0.0; k * d * d];
                for comp in 0..k {
                    for i in 0..d {
                        for j in 0..d {
                            let mut s = if i == j { eps } else { 0.0 };
                            for l in 0..d {
                                s += a[comp * d * d + i * d + l] * a[comp * d * d + j * d + l];
                            }
                            c[comp * d * d + i * d + j] = s;
                        }
                    }
                }
                GaussianMixture::new(d, w, m, c).expect("constructed to be valid")
            })
    })
}

fn data(max_rows: usize) -> impl Strategy<Value = (Vec<f64>, usize)> {
    (1usize..4, 1usize..max_rows).prop_flat_map(|(d, n)| {
        (
            prop_oneof![
                3 => prop::collection::vec(-5.0f64..5.0, n * d),
                1 => prop::collection::vec((-3i32..3).prop_map(f64::from), n * d),
                1 => prop::collection::vec(any_float(), n * d),
            ],
            Just(d),
        )
    })
}

/// Cases per property: 64 by default, `PROPTEST_CASES` to fuzz longer.
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn construction_never_panics(
        d in 1usize..4, k in 1usize..4,
        w in prop::collection::vec(any_float(), 1..4),
        m in prop::collection::vec(any_float(), 1..16),
        c in prop::collection::vec(any_float(), 1..40),
    ) {
        let _ = (k, GaussianMixture::new(d, w, m, c));
    }

    #[test]
    fn densities_are_never_nan(g in valid_gmm(), x in prop::collection::vec(any_float(), 1..12)) {
        let d = g.dim();
        let n = x.len() / d;
        if n > 0 {
            let lp = g.log_density(&x[..n * d]).unwrap();
            for (i, v) in lp.iter().enumerate() {
                let row = &x[i * d..(i + 1) * d];
                if row.iter().all(|v| v.is_finite()) {
                    prop_assert!(!v.is_nan(), "NaN density at finite point {row:?}");
                }
            }
        }
    }

    #[test]
    fn vectorised_density_equals_the_scalar_one(
        g in valid_gmm(),
        x in prop::collection::vec(any_float(), 1..40),
    ) {
        let d = g.dim();
        let n = x.len() / d;
        if n > 0 {
            let fast = g.log_density(&x[..n * d]).unwrap();
            for (i, v) in fast.iter().enumerate() {
                let row = &x[i * d..(i + 1) * d];
                if row.iter().all(|v| v.is_finite()) {
                    let slow = g.log_density_one(row);
                    // Same arithmetic but exp/ln: within a few ulp (or both -inf far away).
                    prop_assert!(
                        *v == slow || (v - slow).abs() <= 1e-12 * slow.abs().max(1.0),
                        "{v} vs {slow} at {row:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn em_never_panics((x, d) in data(40), k in 1usize..4, init in 0usize..6, seed in 0u64..1000) {
        let method = InitMethod::ALL[init].1;
        let n = x.len() / d;
        if x.iter().all(|v| v.is_finite()) && n >= k {
            if let Ok(g0) = initialize(&x, d, k, method, None, &mut stream(seed, Purpose::Init, 0, 0)) {
                let opts = EmOptions { max_iter: 50, reg_covar: 1e-6, ..EmOptions::default() };
                match em::fit(&Data::new(&x, d), None, &g0, &opts, None) {
                    Ok(f) => prop_assert!(f.lower_bound.is_finite()),
                    Err(Error::Numerical(_)) | Err(Error::InvalidArgument { .. }) => {}
                    Err(e) => prop_assert!(false, "unexpected error {e}"),
                }
            }
        }
    }

    #[test]
    fn mi_is_finite_or_an_error(g in valid_gmm(), seed in 0u64..100, quad in any::<bool>()) {
        if g.dim() >= 2 {
            let integral = if quad { Integral::Quadrature { order: Some(8) } }
                           else { Integral::MonteCarlo { samples: 500 } };
            match mutual_information(&g, &[0], &[1], &integral, seed, &gmmi_core::Control::new()) {
                Ok(v) => prop_assert!(v.is_finite()),
                Err(Error::Numerical(_)) => {}
                Err(e) => prop_assert!(false, "unexpected error {e}"),
            }
        }
    }

    #[test]
    fn sampling_is_finite(g in valid_gmm(), n in 0usize..200, seed in any::<u64>()) {
        let (x, labels) = g.sample(n, seed);
        prop_assert_eq!(x.len(), n * g.dim());
        prop_assert!(x.iter().all(|v| v.is_finite()));
        prop_assert!(labels.iter().all(|&l| l < g.n_components()));
    }

    #[test]
    fn the_median_by_selection_is_the_sorted_one(
        v in prop::collection::vec(prop_oneof![3 => -1e3f64..1e3, 1 => (-3i32..3).prop_map(f64::from)], 1..80),
        sds in 0.5f64..30.0,
    ) {
        // The middle order statistic, or the mean of the two, of a sorted copy; and the
        // far values as the same rule computes them from those medians.
        let mut sorted = v.clone();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let median_of = |s: &[f64]| if n % 2 == 1 { s[n / 2] } else { (s[n / 2 - 1] + s[n / 2]) / 2.0 };
        let centre = median_of(&sorted);
        prop_assert_eq!(median_in_place(&mut v.clone()), centre);
        let mut dev: Vec<f64> = v.iter().map(|x| (x - centre).abs()).collect();
        dev.sort_by(f64::total_cmp);
        let mad = 1.4826 * median_of(&dev);
        let want: Vec<bool> = v.iter().map(|x| mad > 0.0 && (x - centre).abs() > sds * mad).collect();
        prop_assert_eq!(far_from_median(&v, sds), want);
    }

    #[test]
    fn the_estimator_never_panics((x, d) in data(60), seed in 0u64..100) {
        let opts = EstimatorOptions {
            n_bootstrap: 2,
            integral: Integral::MonteCarlo { samples: 200 },
            select: SelectOptions { max_components: 3, ..SelectOptions::default() },
            em: EmOptions { max_iter: 100, ..EmOptions::default() },
            seed,
            ..EstimatorOptions::default()
        }
        .validated()
        .unwrap();
        let q = if d >= 2 {
            Quantity::MutualInformation { x: vec![0], y: (1..d).collect() }
        } else {
            Quantity::Entropy
        };
        match estimate(&x, d, &q, &opts, &Control::new()) {
            Ok(e) => prop_assert!(e.mean().is_finite()),
            Err(Error::Numerical(_)) | Err(Error::InvalidArgument { .. }) => {}
            Err(e) => prop_assert!(false, "unexpected error {e}"),
        }
    }
}
