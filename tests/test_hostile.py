"""Hostile but valid data: gmmi must give a finite, sensible estimate or a clear warning or
error (naming the argument) — never NaN, a hang or a crash.

Statistical tolerances are in units of the bootstrap standard deviation ``std`` of an
estimate, which includes the Monte Carlo noise of each replicate: an unbiased, roughly normal
estimate lies within 3 std of the truth 99.7% of the time, and every test uses fixed seeds,
so a pass is reproducible. Where a Gaussian mixture cannot give the right answer (heavy
tails, extreme outliers, perfect dependence) the test requires a named warning instead.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest

import gmmi

FAST = {"n_bootstrap": 10, "mc_samples": 5000, "random_state": 0}
MI = gmmi.mutual_information


def gaussian(n=500, rho=0.6, seed=0):
    X = np.random.default_rng(seed).multivariate_normal([0, 0], [[1, rho], [rho, 1]], n)
    return X[:, 0], X[:, 1]


def truth(rho=0.6):
    return -0.5 * math.log(1 - rho**2)


def fit_warnings(fn):
    """Calls ``fn`` recording every warning; returns (result, list of warnings)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = fn()
    return r, caught


def assert_sane(r):
    """A usable estimate: finite mean, std and replicates."""
    assert math.isfinite(r.mean), r
    assert math.isfinite(r.std), r
    assert np.isfinite(r.samples).all(), r.samples


# --- constant columns ----------------------------------------------------------------------
x500, y500 = gaussian()
z500 = np.random.default_rng(9).normal(size=500)
ones = np.ones(500)


def case(cid, call, pattern):
    """One row of the table."""
    return pytest.param(call, pattern, id=cid)


CONSTANT = [
    case("x", lambda: MI(ones, y500), r"^x: column 0 is constant"),
    case("y", lambda: MI(x500, np.full(500, 3.0)), r"^y: column 0 is constant"),
    case("z", lambda: MI(x500, y500, np.full(500, -2.5)), r"^z: column 0 is constant"),
    case("second column of 2-D x", lambda: MI(np.column_stack([x500, ones]), y500),
         r"^x: column 1 is constant"),
    case("entropy", lambda: gmmi.entropy(np.column_stack([x500, ones])),
         r"^x: column 1 is constant"),
    case("kl", lambda: gmmi.kl_divergence_marginals(x500, ones), r"^y: column 0 is constant"),
    case("categorical", lambda: MI(ones, (y500 > 0).astype(int), discrete_y=True),
         r"^x: column 0 is constant"),
    case("GaussianMixture.fit, 10 constant rows",
         lambda: gmmi.GaussianMixture(n_components=2, random_state=0).fit(np.ones((10, 2))),
         r"fewer distinct rows than components"),
    case("GaussianMixture.fit, 50 constant rows",
         lambda: gmmi.GaussianMixture(n_components=2, random_state=0).fit(np.ones((50, 2))),
         r"fewer distinct rows than components"),
]


@pytest.mark.parametrize(("call", "pattern"), CONSTANT)
def test_constant_columns_are_a_clear_error(call, pattern):
    # A constant has zero MI with anything and no density; the error names the argument and
    # the column. GaussianMixture.fit raises gmmi.NumericalError (an ArithmeticError).
    with pytest.raises((ValueError, gmmi.NumericalError), match=pattern):
        call()


def test_constant_columns_in_pairs_are_reported_not_nan_silently():
    A = np.column_stack([x500, ones, y500])
    with pytest.warns(gmmi.FailedPairWarning, match="2 of 3 pairs"):
        m = gmmi.mi_matrix(A, n_bootstrap=2, mc_samples=2000, random_state=0)
    # Documented: a failing pair is NaN with its reason in .errors; the others are computed.
    assert np.isnan(m.mean[0, 1]) and np.isnan(m.mean[1, 2])
    assert "constant" in m.errors[("A[0]", "A[1]")]
    # The reason names the constant variable, in both cells of a mirrored pair.
    for cell in [("A[0]", "A[1]"), ("A[1]", "A[0]"), ("A[1]", "A[2]"), ("A[2]", "A[1]")]:
        assert m.errors[cell].startswith("'A[1]': is constant"), m.errors[cell]
    assert np.isfinite(m.mean[0, 2]) and m.mean[0, 2] > 0.1
    with warnings.catch_warnings():
        # mi_score scores a constant feature 0 (documented), not a failure to warn about.
        warnings.simplefilter("error", gmmi.FailedPairWarning)
        s = gmmi.mi_score(A, y500, mc_samples=2000)
    assert s[1] == 0.0 and np.isfinite(s).all()  # documented: a constant feature scores 0


# --- duplicated rows -------------------------------------------------------------------------
def test_rows_repeated_three_times():
    x, y = gaussian(300)
    r = MI(np.repeat(x, 3), np.repeat(y, 3), **FAST)
    assert_sane(r)
    # Triplicated rows look like a 3x larger sample, so the bootstrap std is too small by
    # about sqrt(3): allow 3 * sqrt(3) of it around the truth.
    assert abs(r.mean - truth()) < 3 * math.sqrt(3) * r.std


def test_rows_repeated_ten_times_is_accurate_or_warned():
    x, y = gaussian(100, seed=0)
    r, caught = fit_warnings(lambda: MI(np.repeat(x, 10), np.repeat(y, 10), **FAST))
    assert_sane(r)
    # With 10 copies of every row each CV fold sees the held-out rows in training, so the
    # search overfits. That is acceptable only with a clear warning: either the estimate is
    # within 3 * sqrt(10) std of the truth (std too small by sqrt(10), as above) or gmmi warns
    # that the data have ties/degenerate components. (It warns: the estimate is ~1.3 nat.)
    warned = any(issubclass(w.category, gmmi.DegenerateWarning) for w in caught)
    assert warned or abs(r.mean - truth()) < 3 * math.sqrt(10) * r.std


# --- scale -----------------------------------------------------------------------------------
@pytest.mark.parametrize(("a", "b"), [(1e-12, 1e-12), (1e12, 1e12), (1e-12, 1e12),
                                      (1e12, 1e-12), (1e-150, 1e150)])
def test_scaled_data_give_the_unscaled_estimate(a, b):
    x, y = gaussian()
    base = MI(x, y, **FAST)
    r = MI(a * x + 5 * a, b * y - 3 * b, **FAST)
    # Columns are standardised before fitting, so the fits see the same numbers up to the
    # rounding of the standardisation (~1e-15 relative; observed differences ~1e-14). 1e-9
    # leaves five orders of magnitude of margin and still catches any real dependence on the
    # scale, which would show at 1e-3 or more.
    assert r.mean == pytest.approx(base.mean, rel=1e-9, abs=1e-12)
    np.testing.assert_allclose(r.samples, base.samples, rtol=1e-9, atol=1e-12)


def test_mixed_scales_within_one_variable():
    rng = np.random.default_rng(3)
    V = rng.multivariate_normal([0, 0, 0], [[1, .5, .3], [.5, 1, .2], [.3, .2, 1]], 500)
    base = MI(V[:, :2], V[:, 2], **FAST)
    r = MI(V[:, :2] * [1e-12, 1e12], V[:, 2] * 1e-6, **FAST)
    assert r.mean == pytest.approx(base.mean, rel=1e-9)  # as above
    c0 = gmmi.conditional_mutual_information(V[:, 0], V[:, 1], V[:, 2], **FAST)
    c1 = gmmi.conditional_mutual_information(V[:, 0] * 1e12, V[:, 1] * 1e-12, V[:, 2] * 1e9,
                                             **FAST)
    assert c1.mean == pytest.approx(c0.mean, rel=1e-9)


def test_entropy_and_kl_follow_the_scale_exactly():
    x, y = gaussian()
    h = gmmi.entropy(x, **FAST)
    for a in (1e-12, 1e12):
        # H(a x) = H(x) + ln a: the fit is scale-free, the Jacobian term exact: to 1e-9.
        assert gmmi.entropy(a * x, **FAST).mean == pytest.approx(h.mean + math.log(a),
                                                                 abs=1e-9)
        # KL between the marginals is invariant under the same map of both variables.
        k0 = gmmi.kl_divergence_marginals(x, 2 * y + 1, **FAST)
        k1 = gmmi.kl_divergence_marginals(a * x, a * (2 * y + 1), **FAST)
        assert k1.mean == pytest.approx(k0.mean, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("a", [1e-200, 1e200])
def test_extreme_scales_give_the_estimate_or_a_named_error(a):
    x, y = gaussian()
    base = MI(x, y, **FAST)
    try:
        r = MI(a * x, y, **FAST)
    except ValueError as exc:
        # Acceptable: a clear error naming x and the real problem (range), not "constant".
        assert str(exc).startswith("x:") and "constant" not in str(exc)
    else:
        assert r.mean == pytest.approx(base.mean, rel=1e-6)  # standardisation, as above


def test_gaussian_mixture_fit_is_scale_equivariant():
    X = np.random.default_rng(0).normal(size=(300, 2))
    g1 = gmmi.GaussianMixture(n_components=1, random_state=0).fit(X)
    g2 = gmmi.GaussianMixture(n_components=1, random_state=0).fit(1e-12 * X)
    # log p_aX(a x) = log p_X(x) - d ln a, exactly for a one-component fit (closed form);
    # 1e-6 allows for EM's tolerance.
    np.testing.assert_allclose(g2.score_samples(1e-12 * X[:5]),
                               g1.score_samples(X[:5]) - 2 * math.log(1e-12), rtol=1e-6)


# --- heavy tails and outliers ----------------------------------------------------------------
def test_heavy_tails_give_finite_estimates():
    rng = np.random.default_rng(1)
    c = rng.standard_t(1, 1000)  # Cauchy: no mean, no variance
    for y in (rng.standard_t(1, 1000), c + rng.standard_t(1, 1000), rng.normal(size=1000)):
        r = MI(c, y, **FAST)
        assert_sane(r)
        assert r.mean > -0.01  # MI >= 0 up to Monte Carlo noise (5000 draws: < 0.01)
    dep = MI(c, c + rng.standard_t(1, 1000), **FAST)
    assert dep.mean > 0.3  # strongly dependent: true MI well above 0.3 nat


def test_independent_heavy_tails_give_about_zero_or_warn():
    rng = np.random.default_rng(1)
    a, b = rng.standard_t(1, 1000), rng.standard_t(1, 1000)
    r, caught = fit_warnings(lambda: MI(a, b, **FAST))
    assert_sane(r)
    # Truth 0. A finite mixture cannot model Cauchy tails and the misfit shows as dependence
    # (0.084 +- 0.016 nat here): gmmi must say so. GMM-MI's small upward bias on 1000
    # Gaussian points is < 0.005 nat.
    warned = {str(w.message)[:2] for w in caught if issubclass(w.category,
                                                              gmmi.HeavyTailWarning)}
    assert warned == {"x:", "y:"} or r.mean < 3 * r.std + 0.01
    # Ranks (a monotone map: the same MI) remove the tails and the spurious dependence.
    ranks = MI(np.argsort(np.argsort(a)), np.argsort(np.argsort(b)), **FAST)
    assert ranks.mean < 3 * ranks.std + 0.01


def test_gaussian_and_moderately_skewed_data_are_not_called_heavy_tailed():
    rng = np.random.default_rng(2)
    for v in (rng.normal(size=2000), np.exp(rng.normal(size=2000)),
              rng.standard_t(3, 2000), rng.exponential(size=2000)):
        _, caught = fit_warnings(lambda v=v: MI(v, rng.normal(size=2000), n_bootstrap=2,
                                                mc_samples=2000, random_state=0))
        assert not any(issubclass(w.category, gmmi.HeavyTailWarning) for w in caught)


def test_a_moderate_outlier_does_not_move_the_estimate():
    x, y = gaussian()
    base = MI(x, y, **FAST)
    x = x.copy()
    x[7] = 1e6
    r = MI(x, y, **FAST)
    assert_sane(r)
    # One point of 500 changes the estimate by O(1/n); two estimates on (almost) the same
    # data: within 3 combined std.
    assert abs(r.mean - base.mean) < 3 * math.hypot(r.std, base.std)


@pytest.mark.parametrize("kind", ["one outlier at 1e12", "second cluster at 1e8"])
def test_an_extreme_outlier_is_handled_or_warned(kind):
    x, y = gaussian()
    base = MI(x, y, **FAST)
    x = x.copy()
    if kind == "one outlier at 1e12":
        x[7] = 1e12
    else:
        x[250:] += 1e8  # a cluster label independent of y: I(x';y) = I(x;y)
    r, caught = fit_warnings(lambda: MI(x, y, **FAST))
    assert_sane(r)
    warned = any(issubclass(w.category, gmmi.GmmiWarning) for w in caught)
    assert warned or abs(r.mean - base.mean) < 3 * math.hypot(r.std, base.std)


@pytest.mark.parametrize(("far", "cause"), [
    # The far value keeps a zero-width component of its own (the bulk resolves).
    (1e6, r"holds about 1 row\(s\) of x lying 1e6 robust standard deviations"),
    # Centred at a mean of 2e47, the bulk's 499 values round to one number.
    (1e50, r"x's values are distinct, but 100% of its rows became equal"),
])
def test_the_entropy_of_a_far_value_names_the_far_value_not_ties(far, cause):
    # Found by a review: one value at 1e50 among 499 normal ones gave 102 nats with a
    # warning that "x has many tied values (100% of rows repeat another): add jitter", and
    # at 1e6 one that blamed EM's degenerate solution. The values are distinct; the far
    # one is the cause (the entropy is then set by reg_covar, as the warning says).
    x = np.r_[np.random.default_rng(0).normal(size=499), far]
    _, caught = fit_warnings(lambda: gmmi.entropy(x, n_bootstrap=4, random_state=0, n_jobs=1))
    singular = [str(w.message) for w in caught if issubclass(w.category, gmmi.DegenerateWarning)]
    within = [m for m in singular if "singular within x" in m]
    assert len(within) == 1, singular
    assert re.search(cause, within[0]), within[0]
    assert "tied values" not in within[0] and "degenerate solution" not in within[0]
    # Entropy is not invariant under a map of x: the advice is to remove the value only.
    assert "Remove the far values" in within[0] and "transform x" not in within[0]


def test_censored_data_respect_the_data_processing_bound():
    x, y = gaussian(500, seed=0)
    r, caught = fit_warnings(lambda: MI(np.maximum(x, 0), np.maximum(y, 0), **FAST))
    assert_sane(r)
    warned = any(issubclass(w.category, gmmi.GmmiWarning) for w in caught)
    assert warned or r.mean < truth() + 3 * r.std


# --- perfect dependence -------------------------------------------------------------------
PERFECT = """
import json, math, warnings, numpy as np, gmmi
x = np.random.default_rng(2).normal(size=300)
z = np.random.default_rng(3).normal(size=300)
F = {"n_bootstrap": 10, "mc_samples": 5000, "random_state": 0}
out = {}
cases = {
    "y = x": lambda: gmmi.mutual_information(x, x, **F),
    "y = 2x + 1": lambda: gmmi.mutual_information(x, 2 * x + 1, **F),
    "y = -x": lambda: gmmi.mutual_information(x, -x, **F),
    "y = x, quadrature": lambda: gmmi.mutual_information(x, x, integral="quadrature", **F),
    "cmi y = x": lambda: gmmi.conditional_mutual_information(x, x, z, **F),
    "entropy (x, x)": lambda: gmmi.entropy(np.column_stack([x, x]), **F),
}
for name, fn in cases.items():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            r = fn()
            out[name] = {"mean": r.mean, "std": r.std,
                         "warnings": [w.category.__name__ + ": " + str(w.message)
                                      for w in caught]}
        except Exception as exc:
            out[name] = {"error": type(exc).__name__ + ": " + str(exc)}
print(json.dumps(out))
"""


def test_perfect_dependence_is_flagged_and_does_not_hang():
    # In a subprocess with a timeout so that a hang fails the test instead of the suite.
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(PERFECT)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    for name, r in out.items():
        assert "error" not in r, (name, r)
        # The MI is infinite; gmmi must say so (DegenerateWarning) and report a finite
        # number, never NaN or inf. reg_covar bounds it: for standardised x and y = x the
        # fitted covariance is [[1 + r, 1], [1, 1 + r]], MI = -0.5 ln(1 - 1 / (1 + r)^2)
        # ~ -0.5 ln(2 r) = 11.2 nat for gmmi's r = 1e-10 (17 nat for the published 1e-15).
        assert any(w.startswith("DegenerateWarning") and "effectively infinite" in w
                   for w in r["warnings"]), (name, r["warnings"])
        assert math.isfinite(r["mean"]) and math.isfinite(r["std"]), (name, r)
        if name != "entropy (x, x)":
            assert r["mean"] > 5, (name, r)
        else:
            # A degenerate density: entropy -> -inf. With r = 1e-10 it is H(x) + H(x) - MI
            # = 2 * 1.42 - 11.2 = -8.3 nat (x standard normal), far below the 2.84 of two
            # independent copies.
            assert r["mean"] < -5, (name, r)


def test_nearly_perfect_dependence_is_an_error_or_flagged():
    x = np.random.default_rng(0).normal(size=500)
    y = x + 1e-12 * np.random.default_rng(1).normal(size=500)
    # Acceptable outcomes: a clear NumericalError/ValueError, or a finite estimate with a
    # DegenerateWarning. (Observed: NumericalError advising a larger reg_covar.)
    try:
        r, caught = fit_warnings(lambda: MI(x, y, **FAST))
    except (gmmi.NumericalError, ValueError) as exc:
        assert "reg_covar" in str(exc) or "singular" in str(exc)
    else:
        assert_sane(r)
        assert any(issubclass(w.category, gmmi.DegenerateWarning) for w in caught)


def test_perfect_dependence_is_flagged_for_any_reg_covar():
    x = np.random.default_rng(0).normal(size=500)
    r, caught = fit_warnings(lambda: MI(x, x, reg_covar=1e-3, **FAST))
    assert_sane(r)
    assert any(issubclass(w.category, gmmi.DegenerateWarning) for w in caught)


def _says_infinite(caught):
    return [str(w.message) for w in caught if issubclass(w.category, gmmi.DegenerateWarning)
            and " infinite" in str(w.message)]


@pytest.mark.parametrize("n", [100, 500])
@pytest.mark.parametrize("curve", ["x**3", "exp(-x)", "tanh(3x)", "x**2", "cos(2x)"])
def test_deterministic_nonlinear_dependence_is_finite_and_flagged(curve, n):
    x = np.random.default_rng(0).normal(size=n)
    y = {"x**3": x**3, "exp(-x)": np.exp(-x), "tanh(3x)": np.tanh(3 * x), "x**2": x**2,
         "cos(2x)": np.cos(2 * x)}[curve]
    r, caught = fit_warnings(lambda: MI(x, y, **FAST))
    assert_sane(r)
    # The true MI is infinite. A smooth mixture cannot represent a curve exactly, so gmmi
    # reports a finite value (0.02 nat for cos(2x) at n = 100, 2-8 nat elsewhere, growing
    # with n) with a tight interval; it must say the MI is infinite: a component singular
    # across x and y where the fit has one, otherwise the curve the rows follow (y monotone
    # on each of a few stretches of x, here 1, 2 or 4-5).
    assert _says_infinite(caught), [str(w.message) for w in caught]


def test_a_relation_is_read_only_where_the_rows_follow_a_curve():
    x = np.random.default_rng(0).normal(size=500)
    # Noise of sd 0.3 on x**3 (an MI of about 2 nat, finite) makes y turn between most
    # neighbouring rows: no relation is read.
    y = x**3 + 0.3 * np.random.default_rng(1).normal(size=500)
    r, caught = fit_warnings(lambda: MI(x, y, **FAST))
    assert_sane(r)
    assert not _says_infinite(caught)
    # One row off the curve is a turn there and back: three stretches, still a function.
    flipped = np.where(np.arange(500) == 7, -(x**3), x**3)
    r, caught = fit_warnings(lambda: MI(x, flipped, **FAST))
    assert any("strictly monotone on each of 3 stretches" in m for m in _says_infinite(caught))
    # Read on the data as given: standardising exp(8 x) rounds its smallest values onto each
    # other (ties that would hide the order), but no two of them are equal as given.
    steep = np.exp(8 * x)
    r, caught = fit_warnings(lambda: MI(x, steep, transform="identity", **FAST))
    assert any("y is a strictly increasing function of x" in m for m in _says_infinite(caught))
    # A matrix cell says it as the single estimate does (here from the order of the rows: no
    # component of these fits is singular); its other cells do not.
    z = np.random.default_rng(2).normal(size=500)
    m, _ = fit_warnings(lambda: gmmi.mi_matrix(np.column_stack([x, x**3, z]), n_bootstrap=10,
                                               mc_samples=5000, random_state=0))
    _, caught = fit_warnings(lambda: MI(x, x**3, **FAST))
    said = _says_infinite(caught)
    assert len(said) == 1 and "y is a strictly increasing function of x on all 500" in said[0]
    for cell in (("A[0]", "A[1]"), ("A[1]", "A[0]")):
        assert m.cell_warnings[cell] == [
            f"pair ('A[0]', 'A[1]') (x = 'A[0]', y = 'A[1]'): {said[0]}"]
    assert not any(" infinite" in w for cell in (("A[0]", "A[2]"), ("A[1]", "A[2]"))
                   for w in m.cell_warnings.get(cell, []))
    # Not for a conditional MI: given z = |x|, y = x**3 takes two values (the CMI is
    # ln 2 = 0.69), which the order of the rows cannot tell from an infinite one.
    r, caught = fit_warnings(lambda: gmmi.conditional_mutual_information(x, x**3, np.abs(x),
                                                                         **FAST))
    assert not any("strictly" in m for m in _says_infinite(caught))


def test_a_relation_is_read_on_distinct_rows_of_the_data_as_given():
    # Duplicated rows count once: cos(2x) on 500 rows with three repeated.
    x = np.random.default_rng(0).normal(size=500)
    x = np.concatenate([x, x[:3]])
    r, caught = fit_warnings(lambda: MI(x, np.cos(2 * x), **FAST))
    assert any("y is a function of x on all 503 rows" in m for m in _says_infinite(caught))
    # Integers with a few repeated rows are a lattice, spread over its cells before the fit
    # (result.details["dequantized"]): the order within a cell is the spread's, and the MI
    # of the lattice is finite (at most ln 100 nat here); no relation is read.
    t = np.concatenate([np.arange(100), [1, 2]]).astype(float)
    y = t + t**3 // 1000
    r, caught = fit_warnings(lambda: MI(t, y, **FAST))
    assert r.details.get("dequantized") == {"x": [1.0], "y": [1.0]}
    assert not any("strictly" in m or "stretches" in m for m in _says_infinite(caught))


def test_redundant_column_inside_x_is_not_called_infinite():
    a, y = gaussian()
    r, caught = fit_warnings(lambda: MI(np.column_stack([a, a]), y, **FAST))
    assert_sane(r)
    assert abs(r.mean - MI(a, y, **FAST).mean) < 3 * r.std  # I([a, a]; y) = I(a; y)
    assert not any("effectively infinite" in str(w.message) for w in caught)


# --- ties --------------------------------------------------------------------------------
def test_many_ties_from_rounding_to_one_decimal():
    x, y = gaussian(1000)
    base = MI(x, y, **FAST)
    r, caught = fit_warnings(lambda: MI(np.round(x, 1), np.round(y, 1), **FAST))
    assert_sane(r)
    assert all(issubclass(w.category, gmmi.GmmiWarning) for w in caught)
    # Rounding to 0.1 adds noise of variance 0.1^2/12 = 8e-4: the MI of a rho = 0.6
    # Gaussian changes by < 0.001 nat. Same data otherwise: within 3 combined std + 0.001.
    assert abs(r.mean - base.mean) < 3 * math.hypot(r.std, base.std) + 0.001


def test_integer_valued_data_are_flagged_as_discrete():
    x, y = gaussian(1000)
    r, caught = fit_warnings(lambda: MI(np.round(x), np.round(y), **FAST))
    flagged = {str(w.message)[:2] for w in caught
               if issubclass(w.category, gmmi.DiscreteDataWarning)
               and "few distinct values" in str(w.message)}
    assert flagged == {"x:", "y:"}
    assert_sane(r)
    assert r.mean > 0.05  # rounding to integers keeps most of the dependence


# --- tiny samples --------------------------------------------------------------------------
SMALL = [
    ("mi", lambda x, y, z: MI(x, y, **FAST)),
    ("cmi", lambda x, y, z: gmmi.conditional_mutual_information(x, y, z, **FAST)),
    ("entropy", lambda x, y, z: gmmi.entropy(x, **FAST)),
    ("categorical", lambda x, y, z: MI(x, np.arange(x.size) % 2, discrete_y=True, **FAST)),
]


@pytest.mark.parametrize("n", [10, 20, 50])
@pytest.mark.parametrize("fn", [c[1] for c in SMALL], ids=[c[0] for c in SMALL])
def test_small_samples(n, fn):
    x, y = gaussian(n, seed=n)
    z = np.random.default_rng(n + 1).normal(size=n)
    r, caught = fit_warnings(lambda: fn(x, y, z))
    # Tiny samples may warn (a CV fit on 5 rows crawls to max_iter), but only with gmmi's
    # named warnings, and the estimate must be usable.
    assert all(issubclass(w.category, gmmi.GmmiWarning) for w in caught), caught
    assert_sane(r)
    assert r.std > 0
    if r.n_components is not None:
        assert 1 <= r.n_components <= n // 2
    if r.quantity != "entropy":
        # MI of a rho = 0.6 Gaussian (or of the CMI / class labels) with a 4 std band plus
        # 0.3 nat for the small-sample bias of a flexible density fit.
        assert -0.05 < r.mean < 4 * r.std + 0.3 + truth()


def test_far_away_points_get_finite_responsibilities():
    g = gmmi.GaussianMixture.from_parameters([0.5, 0.5], [[0.0, 0.0], [1.0, 1.0]], [np.eye(2)] * 2)
    p = g.predict_proba([[1e160, 0.0], [1e200, 0.0]])
    assert np.isfinite(p).all()
    np.testing.assert_allclose(p.sum(axis=1), 1.0)


# --- counterexamples found by the property tests ---------------------------------------------
def test_skewed_data_do_not_abort_on_one_bad_bootstrap_replicate():
    rng = np.random.default_rng(107634)
    V = rng.multivariate_normal([0, 0], [[1, 0.375], [0.375, 1]], size=1000)
    # The published preset (random starts, reg_covar 1e-15) hits the collapse.
    r, caught = fit_warnings(lambda: MI(np.exp(V[:, 0]), V[:, 1], n_bootstrap=10,
                                        mc_samples=5000, random_state=107634,
                                        preset="published"))
    assert_sane(r)
    # Regression: one resample's refit lost positive definiteness and aborted the estimate
    # (NumericalError). It is now redrawn, and said.
    assert any(issubclass(w.category, gmmi.BadFitWarning) and "redrawn" in str(w.message)
               for w in caught)
    # Truth 0.5 ln(1 / (1 - 0.375^2)) = 0.075 nat (MI is invariant under exp): 3 std.
    assert abs(r.mean - 0.0754) < 3 * r.std
    # gmmi's defaults on the same data: no failure either, and the same tolerance.
    g, _ = fit_warnings(lambda: MI(np.exp(V[:, 0]), V[:, 1], n_bootstrap=10,
                                   mc_samples=5000, random_state=107634))
    assert_sane(g)
    assert abs(g.mean - 0.0754) < 3 * g.std


def test_tie_free_data_are_not_blamed_for_ties():
    rng = np.random.default_rng(8)
    A = rng.normal(size=(200, 3))
    labels = rng.integers(0, 3, 200)
    assert np.unique(A[:, 0]).size == 200
    r, caught = fit_warnings(lambda: MI(A[:, 0], labels, discrete_y=True, n_bootstrap=10,
                                        mc_samples=5000, random_state=8))
    assert_sane(r)
    assert not any("tied values" in str(w.message) for w in caught)


def test_memory_does_not_grow_over_repeated_calls():
    resource = pytest.importorskip("resource")
    x, y = gaussian(300)

    def rss_mib():
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    for _ in range(20):  # warm up allocators and caches
        gmmi.mutual_information(x, y, n_bootstrap=2, mc_samples=1000, random_state=0)
    before = rss_mib()
    for _ in range(200):
        gmmi.mutual_information(x, y, n_bootstrap=2, mc_samples=1000, random_state=0)
    grown = rss_mib() - before
    # A leak of even one result (a few KiB) per call would show as > 1 MiB over 200 calls;
    # allocator noise stays well below 10 MiB.
    assert grown < 10, f"RSS grew by {grown:.1f} MiB over 200 calls"


def test_unstandardised_columns_at_the_scale_of_reg_covar_are_warned():
    # With standardize=False reg_covar (1e-10) is added in the data's units: at a variance of
    # 1e-12 it sets the covariances and the MI falls to about 0 (truth 0.22 nat here).
    x, y = gaussian(n=300, rho=0.6, seed=1)
    for scale, warned in ((1.0, False), (1e-6, True)):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            gmmi.mutual_information(x * scale, y * scale, standardize=False, **FAST)
            gmmi.mi_matrix(np.column_stack([x, y]) * scale, standardize=False, **FAST)
        found = [str(w.message) for w in caught if "with standardize=False" in str(w.message)]
        assert bool(found) == warned, found
        if warned:
            assert re.match(r"x: variance \d\.\de-13, less than 10000 times reg_covar", found[0])
            assert any(m.startswith("A column 'A[0]': variance") for m in found), found


def test_a_huge_kl_divergence_has_a_finite_spread():
    # KL between N(0, 1) and N(0, 1e-160) is about 1e160: the replicates' squared
    # deviations overflowed to an infinite std and interval.
    rng = np.random.default_rng(0)
    r = gmmi.kl_divergence_marginals(rng.normal(size=300), rng.normal(size=300) * 1e-80,
                                     n_bootstrap=5, random_state=0)
    assert 1e158 < r.mean < 1e161
    assert math.isfinite(r.std) and 0 < r.std < r.mean
    assert all(math.isfinite(v) for v in r.ci())
