//! Branch-free `exp` and `ln` that the compiler can vectorise, and runtime selection of the
//! widest vector instructions for the hot kernels.
//!
//! The EM pass and the Monte Carlo integral spend most of their time in `exp` and `ln`;
//! libm's are scalar calls that no loop around them can vectorise. These versions are plain
//! arithmetic on `f64` and `u64` (range reduction by `ln 2`, a polynomial, exponent
//! arithmetic on the bits), accurate to a few units in the last place, so a loop over a block
//! of [`LANES`] values compiles to SIMD instructions.
//!
//! Kernels are written once over blocks of `LANES` values and compiled for several
//! instruction sets ([`crate::dispatch!`]). Rust never fuses `a * b + c` into one instruction
//! unless asked, and the polynomials ask explicitly (`mul_add`, a correctly rounded fused
//! multiply-add: one instruction with FMA, an exact software routine without), so every
//! variant performs the same IEEE operations in the same order and returns bit-identical
//! results. Only the speed depends on the machine (x86-64 processors without FMA, made
//! before 2013, run the baseline variant with software FMA: correct but slower).

/// Rows processed together by the vectorised EM kernel (four AVX-512 registers of `f64`;
/// measured at d = 2: 32 beats 16 by 7-25% and 8 by 25-35%, depending on K).
pub const LANES: usize = 32;

/// ln 2 split in two (fdlibm's): the high part has trailing zero bits, so `n * LN2_HI` is
/// exact for the exponents that occur.
const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);
/// 1.5 * 2^52: adding it rounds to an integer, which then sits in the low mantissa bits.
const SHIFTER: f64 = 6_755_399_441_055_744.0;

/// `e^x`, within 2 units in the last place of the correctly rounded value on
/// `[-708, 709]`; 0 below -708 and infinity above 709 (cut-offs inside the normal range, so
/// that `2^n` is a normal double for every exponent the reduction produces: libm's exact
/// limits are -708.40 for the smallest normal result and 709.78 for overflow), NaN for NaN.
#[inline(always)]
pub fn exp(x: f64) -> f64 {
    let y = exp_reduced(x.clamp(-708.0, 709.0));
    if x < -708.0 {
        0.0
    } else if x > 709.0 {
        f64::INFINITY
    } else if x.is_nan() {
        f64::NAN
    } else {
        y
    }
}

/// [`exp`] of `x <= 0` (or NaN), bit for bit, in fewer instructions: the exponentials of a
/// log-sum-exp, `e^(v - max)`, whose arguments are never positive. Without the overflow
/// branch and the NaN test (a NaN argument gives NaN through the arithmetic itself) the
/// exponential of the EM pass is six vector instructions shorter.
#[inline(always)]
pub fn exp_nonpositive(x: f64) -> f64 {
    debug_assert!(x <= 0.0 || x.is_nan(), "exp_nonpositive of {x}");
    let y = exp_reduced(if x < -708.0 { -708.0 } else { x });
    if x < -708.0 {
        0.0
    } else {
        y
    }
}

/// The arithmetic of [`exp`] on an argument already clamped to `[-708, 709]` (or NaN).
#[inline(always)]
fn exp_reduced(xc: f64) -> f64 {
    let t = xc * std::f64::consts::LOG2_E + SHIFTER;
    let n = t - SHIFTER;
    let r = (xc - n * LN2_HI) - n * LN2_LO;
    // Taylor series of e^r to degree 13 on |r| <= ln(2)/2: truncation error below 5e-18.
    // Estrin's scheme: pairs c_i + c_(i+1) r, combined with r^2, r^4 and r^8, a chain of 5
    // dependent FMAs instead of Horner's 13 (the exponential of the EM pass was bound by
    // that chain's latency).
    let r2 = r * r;
    let r4 = r2 * r2;
    let r8 = r4 * r4;
    let p01 = r + 1.0;
    let p23 = r.mul_add(1.0 / 6.0, 0.5);
    let p45 = r.mul_add(1.0 / 120.0, 1.0 / 24.0);
    let p67 = r.mul_add(1.0 / 5_040.0, 1.0 / 720.0);
    let p89 = r.mul_add(1.0 / 362_880.0, 1.0 / 40_320.0);
    let p1011 = r.mul_add(1.0 / 39_916_800.0, 1.0 / 3_628_800.0);
    let p1213 = r.mul_add(1.0 / 6_227_020_800.0, 1.0 / 479_001_600.0);
    let p03 = p23.mul_add(r2, p01);
    let p47 = p67.mul_add(r2, p45);
    let p811 = p1011.mul_add(r2, p89);
    let p07 = p47.mul_add(r4, p03);
    let p813 = p1213.mul_add(r4, p811);
    let p = p813.mul_add(r8, p07);
    // 2^n from the integer in the low bits of t (n in [-1022, 1023] after the clamp).
    let scale = f64::from_bits(t.to_bits().wrapping_add(1023) << 52);
    p * scale
}

/// `ln x` for finite positive normal `x` (the only values the kernels pass: sums of
/// exponentials of which the largest is 1), within 2 units in the last place.
#[inline(always)]
pub fn ln_normal(x: f64) -> f64 {
    // x = m 2^e with m in [sqrt(1/2), sqrt(2)); ln x = e ln 2 + ln m, and
    // ln m = 2 atanh(s) with s = (m - 1) / (m + 1), |s| <= 0.1716.
    let bits = x.to_bits();
    // Offsetting by the bits of sqrt(1/2) puts m in [sqrt(1/2), sqrt(2)).
    let off = bits.wrapping_sub(0x3fe6_a09e_667f_3bcd);
    // The exponent e = off >> 52 (arithmetic) as a double, through the bits of 1.5 * 2^52 + e
    // instead of an integer conversion: AVX2 and AVX-512F have no vector i64 -> f64
    // conversion, which kept every loop calling this function scalar.
    let e = f64::from_bits(SHIFTER.to_bits().wrapping_add((off as i64 >> 52) as u64)) - SHIFTER;
    let m = f64::from_bits(bits.wrapping_sub(off & 0xfff0_0000_0000_0000));
    let s = (m - 1.0) / (m + 1.0);
    let s2 = s * s;
    // 2 atanh(s) = 2 (s + s^3/3 + s^5/5 + ...): to s^21, truncation below 3e-18 relative.
    let mut q: f64 = 1.0 / 21.0;
    q = q.mul_add(s2, 1.0 / 19.0);
    q = q.mul_add(s2, 1.0 / 17.0);
    q = q.mul_add(s2, 1.0 / 15.0);
    q = q.mul_add(s2, 1.0 / 13.0);
    q = q.mul_add(s2, 1.0 / 11.0);
    q = q.mul_add(s2, 1.0 / 9.0);
    q = q.mul_add(s2, 1.0 / 7.0);
    q = q.mul_add(s2, 1.0 / 5.0);
    q = q.mul_add(s2, 1.0 / 3.0);
    let lnm = 2.0 * s + 2.0 * s * s2 * q;
    (e * LN2_LO + lnm) + e * LN2_HI
}

/// `ln sum_c exp(v[c][l])` for every lane `l`, the terms added in order of `c`: returns
/// `(lse, sum)` and overwrites `v[c][l]` with `exp(v[c][l] - max_c v[c][l])` (the
/// responsibilities up to `sum`). A single row is returned as it is (and becomes 1); a lane
/// whose terms are all `-inf` gives `-inf`.
#[inline(always)]
pub fn log_sum_exp_lanes<const L: usize>(v: &mut [[f64; L]]) -> ([f64; L], [f64; L]) {
    match v {
        [row] => {
            let lse = *row;
            *row = [1.0; L];
            (lse, [1.0; L])
        }
        [a, b] => log_sum_exp_two(a, b),
        _ => log_sum_exp_rows(v),
    }
}

/// [`log_sum_exp_lanes`] of two rows, bit for bit, with one exponential per lane instead of
/// two: the larger term's is `e^0 = 1` exactly, and the other's argument, `min - max`, is
/// `-|a - b|` (IEEE subtraction rounds `b - a` to exactly minus `a - b`). Two components
/// are the most common over-fitted candidate of the search and the bootstrap, where the
/// exponentials bound the EM pass. A lane with a NaN gives NaN as there (the term that is
/// not the maximum takes the NaN exponential); lanes whose terms are both `-inf` give a
/// NaN sum and `-inf`, as there.
#[inline(always)]
fn log_sum_exp_two<const L: usize>(a: &mut [f64; L], b: &mut [f64; L]) -> ([f64; L], [f64; L]) {
    let mut mx = [0.0; L];
    let mut sum = [0.0; L];
    for l in 0..L {
        mx[l] = a[l].max(b[l]);
        let other = exp_nonpositive(-(a[l] - b[l]).abs());
        let a_is_max = a[l] == mx[l];
        a[l] = if a_is_max { 1.0 } else { other };
        b[l] = if a_is_max { other } else { 1.0 };
        sum[l] = a[l] + b[l];
    }
    (log_of_sum(&mx, &sum), sum)
}

/// `max + ln(sum)` per lane (`-inf` where the maximum is: every term was `-inf`).
#[inline(always)]
fn log_of_sum<const L: usize>(mx: &[f64; L], sum: &[f64; L]) -> [f64; L] {
    let mut lse = [0.0; L];
    for l in 0..L {
        lse[l] = if mx[l] == f64::NEG_INFINITY {
            f64::NEG_INFINITY
        } else {
            mx[l] + ln_normal(sum[l])
        };
    }
    lse
}

/// The largest of the rows in every lane (at least one row).
#[inline(always)]
fn lane_max<const L: usize>(v: &[[f64; L]]) -> [f64; L] {
    let mut mx = v[0];
    for row in &v[1..] {
        for l in 0..L {
            mx[l] = mx[l].max(row[l]);
        }
    }
    mx
}

/// [`log_sum_exp_lanes`] of any number of rows (at least one).
#[inline(always)]
fn log_sum_exp_rows<const L: usize>(v: &mut [[f64; L]]) -> ([f64; L], [f64; L]) {
    let mx = lane_max(v);
    let mut sum = [0.0; L];
    for row in v.iter_mut() {
        for l in 0..L {
            row[l] = exp_nonpositive(row[l] - mx[l]);
            sum[l] += row[l];
        }
    }
    (log_of_sum(&mx, &sum), sum)
}

/// [`log_sum_exp_lanes`] that leaves out the rows far below the maximum: a row whose every
/// lane is more than `gap` below that lane's maximum is marked in `far` (`far[c] = true`),
/// set to 0 and not exponentiated; every other row is as there. With `gap = 53 ln 2` a term
/// left out is below half the last bit of the lane's sum (at least 1): the sum and the
/// responsibilities change by rounding only. A lane with a NaN or whose terms are all
/// `-inf` marks no row far (`NaN < -gap` is false), so such lanes give what the general
/// path of [`log_sum_exp_lanes`] gives.
#[inline(always)]
pub fn log_sum_exp_lanes_skipping<const L: usize>(
    v: &mut [[f64; L]],
    gap: f64,
    far: &mut [bool],
) -> ([f64; L], [f64; L]) {
    let mx = lane_max(v);
    let mut sum = [0.0; L];
    for (row, f) in v.iter_mut().zip(far.iter_mut()) {
        // Far lanes counted (a NaN difference is not one): far if all are.
        let mut far_lanes = 0u64;
        for l in 0..L {
            far_lanes += u64::from(row[l] - mx[l] < -gap);
        }
        *f = far_lanes == L as u64;
        if *f {
            *row = [0.0; L];
        } else {
            for l in 0..L {
                row[l] = exp_nonpositive(row[l] - mx[l]);
                sum[l] += row[l];
            }
        }
    }
    (log_of_sum(&mx, &sum), sum)
}

/// A compiled instruction-set variant of the dispatched kernels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// AVX-512F + FMA.
    Avx512,
    /// AVX2 + FMA.
    Avx2,
    /// The target's baseline instruction set (software FMA where the CPU has none).
    Baseline,
}

impl Variant {
    /// Every variant, widest first.
    pub const ALL: [Variant; 3] = [Variant::Avx512, Variant::Avx2, Variant::Baseline];

    /// Whether this machine can run the variant.
    pub fn supported(self) -> bool {
        #[cfg(target_arch = "x86_64")]
        {
            let fma = std::is_x86_feature_detected!("fma");
            match self {
                Variant::Avx512 => fma && std::is_x86_feature_detected!("avx512f"),
                Variant::Avx2 => fma && std::is_x86_feature_detected!("avx2"),
                Variant::Baseline => true,
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            self == Variant::Baseline
        }
    }
}

#[cfg(test)]
thread_local! {
    static FORCED: std::cell::Cell<Option<Variant>> = const { std::cell::Cell::new(None) };
}

/// Runs `f` with every dispatched kernel called on this thread using `variant` (tests only:
/// so that each compiled variant the machine supports is checked against the baseline, not
/// only the widest one).
#[cfg(test)]
pub fn with_variant<T>(variant: Variant, f: impl FnOnce() -> T) -> T {
    assert!(variant.supported(), "{variant:?} is not supported here");
    let old = FORCED.with(|c| c.replace(Some(variant)));
    let out = f();
    FORCED.with(|c| c.set(old));
    out
}

/// The widest variant allowed by the environment variable `GMMI_SIMD` (`avx512`, `avx2` or
/// `baseline`, read once; unset or any other value: no limit). It lets a machine with
/// AVX-512 measure or reproduce what an AVX2 machine runs (every variant gives the same
/// numbers, bit for bit; only the speed differs).
fn simd_limit() -> Variant {
    static LIMIT: std::sync::OnceLock<Variant> = std::sync::OnceLock::new();
    *LIMIT.get_or_init(|| {
        match std::env::var("GMMI_SIMD")
            .map(|v| v.to_ascii_lowercase())
            .as_deref()
        {
            Ok("avx2") => Variant::Avx2,
            Ok("baseline") => Variant::Baseline,
            _ => Variant::Avx512,
        }
    })
}

/// The variant dispatched kernels use: the widest the machine supports within
/// the limit set by the environment variable `GMMI_SIMD` (`avx2` or `baseline`; or, in
/// tests, the variant `with_variant` forces).
#[inline]
pub fn chosen_variant() -> Variant {
    #[cfg(test)]
    if let Some(v) = FORCED.with(|c| c.get()) {
        return v;
    }
    let limit = simd_limit();
    if limit == Variant::Avx512 && Variant::Avx512.supported() {
        Variant::Avx512
    } else if limit != Variant::Baseline && Variant::Avx2.supported() {
        Variant::Avx2
    } else {
        Variant::Baseline
    }
}

/// Calls the same kernel compiled for AVX-512 + FMA, AVX2 + FMA or the baseline instruction set,
/// whichever the machine has ([`chosen_variant`]; the feature checks are cached by the
/// standard library). `dispatch!(fn name = impl_fn, (args: types) -> ret)` defines
/// `fn name(args) -> ret`.
#[macro_export]
#[doc(hidden)]
macro_rules! dispatch {
    ($vis:vis fn $name:ident = $imp:path, ($($arg:ident : $ty:ty),* $(,)?) -> $ret:ty) => {
        $vis fn $name($($arg: $ty),*) -> $ret {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f,fma")]
                fn wide($($arg: $ty),*) -> $ret {
                    $imp($($arg),*)
                }
                #[target_feature(enable = "avx2,fma")]
                fn avx2($($arg: $ty),*) -> $ret {
                    $imp($($arg),*)
                }
                match $crate::vmath::chosen_variant() {
                    // SAFETY: chosen_variant returns a variant only when the CPU supports it.
                    $crate::vmath::Variant::Avx512 => return unsafe { wide($($arg),*) },
                    // SAFETY: as above.
                    $crate::vmath::Variant::Avx2 => return unsafe { avx2($($arg),*) },
                    $crate::vmath::Variant::Baseline => {}
                }
            }
            $imp($($arg),*)
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ulps(a: f64, b: f64) -> f64 {
        ((a - b) / b).abs() / f64::EPSILON
    }

    #[test]
    fn skipping_log_sum_exp_leaves_out_only_rows_far_in_every_lane() {
        // Rows: the maximum; far in every lane (-40 < -53 ln 2); near in one lane only; -inf
        // everywhere (far); a NaN in one lane (never far). A second case: a lane whose terms
        // are all -inf (its maximum -inf, every difference NaN) keeps every row.
        let gap = 53.0 * std::f64::consts::LN_2;
        let inf = f64::INFINITY;
        let cases: [Vec<[f64; 4]>; 2] = [
            vec![
                [0.0; 4],
                [-40.0; 4],
                [-30.0, -100.0, -100.0, -100.0],
                [-inf; 4],
                [-100.0, -100.0, -100.0, f64::NAN],
            ],
            vec![[-inf, 0.0, 0.0, 0.0], [-inf, -60.0, -60.0, -60.0]],
        ];
        let expect_far = [vec![false, true, false, true, false], vec![false, false]];
        for (rows, want_far) in cases.iter().zip(&expect_far) {
            // (the reference is the general path, which the skipping pass replaces; two
            // rows take a one-exponential path in `log_sum_exp_lanes`)
            let mut full = rows.clone();
            let (lse_full, sum_full) = log_sum_exp_rows(&mut full);
            let mut skip = rows.clone();
            let mut far = vec![false; rows.len()];
            let (lse, sum) = log_sum_exp_lanes_skipping(&mut skip, gap, &mut far);
            assert_eq!(&far, want_far);
            let bits = |v: &[f64; 4]| v.map(f64::to_bits);
            for (c, f) in far.iter().enumerate() {
                if *f {
                    assert_eq!(skip[c], [0.0; 4]);
                } else {
                    assert_eq!(bits(&skip[c]), bits(&full[c]), "row {c}");
                }
            }
            // The terms left out (e^-40 and 0) are below half the last bit of a sum of at
            // least 1, added after the maximum's 1: the same bits.
            assert_eq!(bits(&lse), bits(&lse_full));
            assert_eq!(bits(&sum), bits(&sum_full));
        }
    }

    #[test]
    fn exp_nonpositive_is_exp_bit_for_bit() {
        // Every argument a log-sum-exp passes: 0, negative values down to and past the
        // cut-off, -inf and NaN (-inf minus -inf); compared through their bits.
        let n = 400_000;
        let mut xs: Vec<f64> = (0..=n).map(|i| -750.0 * i as f64 / n as f64).collect();
        xs.extend([
            0.0,
            -0.0,
            -1e-300,
            -5e-324,
            -708.0,
            -708.0000001,
            f64::NEG_INFINITY,
        ]);
        for x in xs {
            assert_eq!(exp_nonpositive(x).to_bits(), exp(x).to_bits(), "{x}");
        }
        assert!(exp_nonpositive(f64::NAN).is_nan());
    }

    #[test]
    fn exp_matches_libm() {
        let mut worst: f64 = 0.0;
        let n = 200_000;
        for i in 0..=n {
            let x = -708.0 + (709.0 + 708.0) * i as f64 / n as f64;
            worst = worst.max(ulps(exp(x), x.exp()));
        }
        // Within 2 ulp of libm (itself within 1 ulp of the exact value).
        assert!(worst <= 2.0, "{worst} ulp");
        for x in [0.0, -0.0, 1.0, -1.0, 1e-300, -1e-17] {
            assert!(ulps(exp(x), x.exp()) <= 1.0, "{x}");
        }
        assert_eq!(exp(-709.0), 0.0);
        // The documented cut-offs, inside libm's range.
        assert_eq!(exp(-708.2), 0.0);
        assert_eq!(exp(709.5), f64::INFINITY);
        assert!(exp(709.0).is_finite() && exp(-708.0) > 0.0);
        assert_eq!(exp(f64::NEG_INFINITY), 0.0);
        assert_eq!(exp(710.0), f64::INFINITY);
        assert!(exp(f64::NAN).is_nan());
    }

    #[test]
    fn ln_matches_libm() {
        let mut worst: f64 = 0.0;
        let mut x = f64::MIN_POSITIVE;
        while x < 1e300 {
            for m in [1.0, 1.1, 1.41, 1.42, 1.5, 1.9, 1.999] {
                let v = x * m;
                worst = worst.max((ln_normal(v) - v.ln()).abs() / v.ln().abs().max(1.0));
            }
            x *= 3.7;
        }
        // Relative to max(1, |ln x|): within 2 ulp of libm.
        assert!(worst <= 2.0 * f64::EPSILON, "{}", worst / f64::EPSILON);
        for v in [1.0, 2.0, 0.5, 1.0 + 1e-12, 1.0 - 1e-12, 8.0] {
            assert!(ulps(ln_normal(v), v.ln()) <= 2.0 || v == 1.0, "{v}");
        }
        assert_eq!(ln_normal(1.0), 0.0);
    }

    #[test]
    fn two_rows_are_the_general_log_sum_exp_bit_for_bit() {
        let mut rng = 12345u64;
        let mut next = || {
            rng = rng.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            ((rng >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 1600.0
        };
        let special = [
            0.0,
            -0.0,
            -1e-300,
            -745.0,
            -708.5,
            1.0,
            f64::NEG_INFINITY,
            f64::NAN,
        ];
        let mut a = [0.0; 72];
        let mut b = [0.0; 72];
        for l in 0..72 {
            (a[l], b[l]) = if l < special.len() * special.len() {
                (special[l / special.len()], special[l % special.len()])
            } else {
                (next(), next())
            };
        }
        // Ties and close values, where the order of the two decides which term is 1.
        a[70] = 3.5;
        b[70] = 3.5;
        a[71] = 1.0;
        b[71] = 1.0 + f64::EPSILON;
        let mut two = [a, b];
        let mut rows = [a, b];
        let got = log_sum_exp_lanes(&mut two);
        let want = log_sum_exp_rows(&mut rows);
        let same = |x: f64, y: f64| x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan());
        for l in 0..72 {
            assert!(
                same(got.0[l], want.0[l]),
                "lse, lane {l}: {a:?} {b:?}",
                a = a[l],
                b = b[l]
            );
            let both_nan_or_inf = want.1[l].is_nan();
            assert!(same(got.1[l], want.1[l]), "sum, lane {l}");
            if !both_nan_or_inf {
                // The responsibilities up to the sum (where the sum is a number: a NaN sum
                // makes every responsibility NaN whatever its exponential).
                assert!(same(two[0][l], rows[0][l]), "first row, lane {l}");
                assert!(same(two[1][l], rows[1][l]), "second row, lane {l}");
            }
        }
    }

    #[test]
    fn variants_can_be_forced_and_the_host_runs_avx2() {
        for v in Variant::ALL.into_iter().filter(|v| v.supported()) {
            assert_eq!(with_variant(v, chosen_variant), v);
        }
        assert!(Variant::Baseline.supported());
        // This project's machines (and CI runners) have AVX2 + FMA: the AVX2 variant must be
        // among those the bit-identity tests run.
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            assert!(Variant::Avx2.supported());
        }
    }
}
