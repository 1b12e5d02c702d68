"""Properties that must always hold, checked with hypothesis on generated data.

Every property states its tolerance and why. Two kinds of claims appear:

* exact ones (1e-9): gmmi standardises every column before fitting and seeds its folds,
  bootstrap rows and Monte Carlo draws from ``random_state`` alone, so a transformation that
  leaves the standardised numbers *bit-identical* (scaling by a power of two, a change of
  sign with the mirror-symmetric quadrature, the thread count, the unit) leaves every number
  unchanged; a general affine map changes them by rounding only, which EM can amplify in a
  poorly determined fit, so there the claim is "far inside the noise" (0.1 std);
* statistical ones, in units of the bootstrap standard deviation ``std`` (which includes the
  Monte Carlo noise of each replicate): an unbiased, roughly normal estimate lies within
  3 std of its target 99.7% of the time.

Examples are few and small so that the file stays fast; hypothesis runs derandomised, so the
suite is deterministic. Counterexamples found while writing these (at larger example counts)
are regression tests in test_hostile.py.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gmmi

# The properties are about the numbers; fit warnings (convergence, degenerate components)
# on random data are expected now and then and are tested in test_hostile.py.
pytestmark = pytest.mark.filterwarnings("ignore::gmmi.GmmiWarning")

FAST = {"n_bootstrap": 8, "mc_samples": 4000}
EXACT = 1e-9
SETTINGS = settings(max_examples=20, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])
# Slow (n = 1000) properties. (At 15 examples the monotone-map property once hit a
# NumericalError on valid log-normal data: test_hostile.py::test_skewed_data_do_not_abort_...)
FEW = settings(SETTINGS, max_examples=5)

seeds = st.integers(0, 2**32 - 1)
rhos = st.floats(-0.9, 0.9)
sizes = st.integers(150, 400)
kinds = st.sampled_from(["gaussian", "two clusters"])
scales = st.floats(0.01, 100.0)
shifts = st.floats(-50.0, 50.0)
signs = st.sampled_from([-1.0, 1.0])


def sample(seed, rho, n, kind="gaussian"):
    """n draws of a correlated Gaussian pair, or of a two-cluster mixture (K > 1 fits)."""
    rng = np.random.default_rng(seed)
    V = rng.multivariate_normal([0, 0], [[1, rho], [rho, 1]], size=n)
    if kind == "two clusters":
        V[: n // 3] = 0.4 * V[: n // 3] + [2.5, -2.0]
    return V[:, 0], V[:, 1]


def close(a, b, tol=EXACT):
    return abs(a - b) <= tol * max(1.0, abs(a), abs(b))


def within_noise(a, b, k=3.0, extra=0.0):
    """|a - b| within k combined bootstrap std (+ ``extra`` for a stated model error)."""
    return abs(a.mean - b.mean) <= k * math.hypot(a.std, b.std) + extra


def components(g, swap=False):
    """Weights, means and covariances of a fitted model, columns swapped back if ``swap``,
    components in a canonical order (EM may number them differently)."""
    m, c = g.means_, g.covariances_
    if swap:
        m, c = m[:, ::-1], c[:, ::-1, ::-1]
    order = np.lexsort(m.T[::-1])
    return g.weights_[order], m[order], c[order]


@SETTINGS
@given(seeds, rhos, sizes, kinds)
def test_symmetric_in_x_and_y(seed, rho, n, kind):
    x, y = sample(seed, rho, n, kind)
    a = gmmi.mutual_information(x, y, random_state=seed, **FAST)
    b = gmmi.mutual_information(y, x, random_state=seed, **FAST)
    # Swapping x and y permutes the columns; folds and bootstrap rows are defined on rows, so
    # every fit sees the same data: the same K and the same model up to the permutation of
    # columns and of component labels (EM is equivariant; observed <= 5e-15; 1e-6 leaves
    # room for EM amplifying the rounding differences of the permuted arithmetic).
    assert a.n_components == b.n_components
    for u, v in zip(components(a.model), components(b.model, swap=True)):
        np.testing.assert_allclose(u, v, rtol=1e-6, atol=1e-6)
    # The Monte Carlo draws are taken through the permuted Cholesky factor, so the MI values
    # differ by integration noise only: within 3 combined std. For K = 1 the MI integrand
    # depends only on the (swap-symmetric) correlation, so the values are then equal: every
    # replicate that kept one component (gmmi's default bootstrap re-chooses K per replicate)
    # in both orders.
    assert within_noise(a, b)
    ka, kb = a.details["boot_n_components"], b.details["boot_n_components"]
    both = (ka == 1) & (kb == 1)
    np.testing.assert_allclose(a.samples[both], b.samples[both], rtol=EXACT, atol=EXACT)


@SETTINGS
@given(seeds, rhos, kinds, st.integers(-10, 10), st.integers(-10, 10), signs, signs)
def test_exactly_invariant_under_power_of_two_scaling_and_sign(seed, rho, kind, i, j, s, t):
    x, y = sample(seed, rho, 250, kind)
    # Multiplying by +-2^k is exact in binary floating point and gmmi standardises every
    # column, so the fits see exactly the same (or exactly mirrored) numbers; Gauss-Hermite
    # nodes are mirror-symmetric, so the quadrature MI is identical: every replicate to
    # 1e-9 (observed <= 1e-12 over 30 data sets).
    p = gmmi.mutual_information(x, y, random_state=seed, integral="quadrature", **FAST)
    q = gmmi.mutual_information(s * 2.0**i * x, t * 2.0**j * y, random_state=seed,
                                integral="quadrature", **FAST)
    assert p.n_components == q.n_components
    np.testing.assert_allclose(q.samples, p.samples, rtol=EXACT, atol=EXACT)


@SETTINGS
@given(seeds, rhos, kinds, scales, shifts, signs, scales, shifts)
def test_invariant_under_affine_maps(seed, rho, kind, a, b, sign, c, d):
    x, y = sample(seed, rho, 250, kind)
    u, v = sign * a * x + b, c * y + d
    # Standardisation turns (a x + b, c y + d) back into (+-) the numbers of (x, y) up to
    # rounding (relative error ~ eps (1 + |b| / (a sd(x))) < 1e-11 here). Usually every
    # number is then equal to ~1e-14, but EM can amplify that rounding in a poorly
    # determined fit (seen: a 2% component, one replicate off by 6e-4, the mean by 1e-4 =
    # 0.002 std), and gmmi's bootstrap makes discrete choices on near ties (each replicate
    # keeps the K with the best out-of-bag score): a rounding-level flip of one of the 8
    # replicates moves the bias-corrected estimate (2 full - mean) by a quarter of the gap
    # between its two candidates' values (seen: 0.13 std). The estimates must agree to
    # 0.3 std, still far inside the statistical noise.
    # Quadrature (mirror-symmetric nodes) covers both signs; Monte Carlo draws are not
    # mirrored, so with a < 0 the MC estimates agree within noise only (3 combined std).
    p = gmmi.mutual_information(x, y, random_state=seed, integral="quadrature", **FAST)
    q = gmmi.mutual_information(u, v, random_state=seed, integral="quadrature", **FAST)
    assert p.n_components == q.n_components
    assert abs(p.mean - q.mean) <= 0.3 * p.std + EXACT
    r = gmmi.mutual_information(x, y, random_state=seed, **FAST)
    s = gmmi.mutual_information(u, v, random_state=seed, **FAST)
    if sign > 0:
        assert abs(r.mean - s.mean) <= 0.3 * r.std + EXACT
    else:
        assert within_noise(r, s)


@SETTINGS
@given(seeds, kinds, scales, shifts, signs)
def test_entropy_shifts_by_log_abs_scale(seed, kind, a, b, sign):
    x, _ = sample(seed, 0.0, 250, kind)
    # H(a x + b) = H(x) + ln|a|: the same fit up to the rounding of the standardisation
    # (as above) and an exact Jacobian term: within 0.1 std (observed <= 1e-13).
    h = gmmi.entropy(x, random_state=seed, integral="quadrature", **FAST)
    g = gmmi.entropy(sign * a * x + b, random_state=seed, integral="quadrature", **FAST)
    assert abs(g.mean - h.mean - math.log(a)) <= 0.1 * h.std + EXACT


@FEW
@given(seeds, st.floats(0.3, 0.8))
def test_approximately_invariant_under_monotone_maps(seed, rho):
    x, y = sample(seed, rho, 1000)
    a = gmmi.mutual_information(x, y, random_state=seed, **FAST)
    b = gmmi.mutual_information(np.exp(x), y, random_state=seed, **FAST)
    # MI is invariant under a monotone map of x, but the mixture must now fit a log-normal
    # marginal with several components (K = 4-8 observed), which biases the estimate a
    # little (up to ~0.015 nat upwards over ten seeds): 3 combined std + 0.02 nat.
    assert b.n_components >= a.n_components
    assert within_noise(a, b, extra=0.02)


@SETTINGS
@given(seeds, sizes)
def test_independent_variables_give_about_zero_and_never_negative(seed, n):
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=n), rng.normal(size=n)
    r = gmmi.mutual_information(x, y, random_state=seed, **FAST)
    # Truth 0. Fitting noise biases the estimate upwards (E[rho_hat^2]/2 ~ 1/(2n) <= 0.004
    # nat for K = 1), hence + 0.01 nat. The bootstrap refits with the selected K fixed, so
    # its std omits the uncertainty of the selection: when the CV search picks K = 2 on
    # independent data (3 of 60 seeds at n = 150; here seed 0, n = 150: 0.054 +- 0.012 nat,
    # while random_state=1..3 select K = 1 and give ~0.007 +- 0.008) the estimate sits
    # ~4 std above 0. Hence 4 std, not 3 (see the report of the robustness issue).
    assert r.mean <= 4 * r.std + 0.01
    # A replicate is the Monte Carlo mean of the pointwise MI of a model with true MI ~ 0,
    # whose standard error is then tiny (|rho_hat| / sqrt(4000) < 0.002): it may dip below 0
    # only by that (worst of 25 seeds: -0.0003).
    assert r.samples.min() >= -0.005
    # With quadrature (exact for a single Gaussian, whose MI is >= 0) no replicate is below
    # zero beyond rounding.
    q = gmmi.mutual_information(x, y, random_state=seed, integral="quadrature", n_components=1,
                                n_bootstrap=8)
    assert q.samples.min() >= -1e-12


@SETTINGS
@given(seeds, rhos, sizes, kinds)
def test_mutual_information_is_not_negative(seed, rho, n, kind):
    x, y = sample(seed, rho, n, kind)
    r = gmmi.mutual_information(x, y, random_state=seed, **FAST)
    # MI >= 0 for any model; an MC replicate can only dip below 0 by its integration error,
    # which is small when the MI is small (see above): >= -0.005 nat.
    assert r.samples.min() >= -0.005 and r.mean >= -0.005


@SETTINGS
@given(seeds, rhos, sizes, kinds)
def test_row_order(seed, rho, n, kind):
    x, y = sample(seed, rho, n, kind)
    perm = np.random.default_rng(seed + 1).permutation(n)
    # Folds and bootstrap draws are defined on row positions, so a permutation with the same
    # seed gives other folds and replicates: the estimates agree within 3 combined std.
    a = gmmi.mutual_information(x, y, random_state=seed, **FAST)
    b = gmmi.mutual_information(x[perm], y[perm], random_state=seed, **FAST)
    assert within_noise(a, b)
    # What is exact: with one component, no bootstrap and a fixed representation the fit on
    # all rows is the unique maximum-likelihood Gaussian (order-free up to the rounding of
    # sums) and the Monte Carlo draws depend on the seed only: equal to 1e-9. (With K >= 2
    # the warm start comes from the CV folds, so even the full-data fit can move to another
    # local optimum; under transform="auto" the choice of representation is scored on the
    # folds too, and on a near tie it can differ: seed 33788, n = 150, two clusters gave the
    # identity one way and the Gaussianising map the other, 0.102 against 0.069.)
    c = gmmi.mutual_information(x, y, random_state=seed, n_components=1, n_bootstrap=0,
                                mc_samples=4000, transform="identity")
    d = gmmi.mutual_information(x[perm], y[perm], random_state=seed, n_components=1,
                                n_bootstrap=0, mc_samples=4000, transform="identity")
    assert close(c.mean, d.mean)


RUNS = {
    "mi": lambda x, y, z, lab, **kw: gmmi.mutual_information(x, y, **kw),
    "cmi": lambda x, y, z, lab, **kw: gmmi.conditional_mutual_information(x, y, z, **kw),
    "categorical": lambda x, y, z, lab, **kw: gmmi.mutual_information(x, lab, discrete_y=True,
                                                                      **kw),
    "entropy": lambda x, y, z, lab, **kw: gmmi.entropy(np.column_stack([x, y]), **kw),
    "matrix": lambda x, y, z, lab, **kw: gmmi.mi_matrix(np.column_stack([x, y, z]), **kw),
}


@SETTINGS
@given(seeds, rhos, st.sampled_from(sorted(RUNS)), st.sampled_from([2, 3, -1]))
def test_results_do_not_depend_on_n_jobs(seed, rho, kind, jobs):
    x, y = sample(seed, rho, 200, "two clusters")
    rng = np.random.default_rng(seed)
    z, lab = rng.normal(size=200), rng.integers(0, 3, 200)
    a = RUNS[kind](x, y, z, lab, random_state=seed, n_jobs=1, **FAST)
    b = RUNS[kind](x, y, z, lab, random_state=seed, n_jobs=jobs, **FAST)
    # Every random stream is derived from (seed, task), never from a thread: bit-identical.
    np.testing.assert_array_equal(a.samples, b.samples)
    np.testing.assert_array_equal(a.mean, b.mean)
    if not isinstance(a, gmmi.MIMatrix):
        assert (a.full_value, a.n_components) == (b.full_value, b.n_components)


@SETTINGS
@given(seeds, st.floats(0.3, 0.8), st.integers(400, 800))
def test_conditioning_on_independent_z_leaves_mi(seed, rho, n):
    x, y = sample(seed, rho, n)
    z = np.random.default_rng(seed + 2).normal(size=n)
    a = gmmi.mutual_information(x, y, random_state=seed, **FAST)
    c = gmmi.conditional_mutual_information(x, y, z, random_state=seed, **FAST)
    # I(X;Y|Z) = I(X;Y) for Z independent of (X, Y); the 3-D fit adds noise but no bias:
    # within 3 combined std (worst of 25 seeds: 0.74).
    assert within_noise(a, c)


@SETTINGS
@given(seeds, rhos, st.sampled_from([2, 10, "bit", "ban"]))
def test_base_only_rescales(seed, rho, base):
    x, y = sample(seed, rho, 200)
    nat = gmmi.mutual_information(x, y, random_state=seed, **FAST)
    other = gmmi.mutual_information(x, y, random_state=seed, base=base, **FAST)
    b = {"bit": 2.0, "ban": 10.0}.get(base, base)
    # Same fits, values divided by ln(base): to rounding.
    np.testing.assert_allclose(other.samples, nat.samples / math.log(b), rtol=1e-12)
    assert other.unit == {2.0: "bit", 10.0: "ban"}[b]


@SETTINGS
@given(seeds, st.integers(3, 4), st.booleans())
def test_matrix_cells_equal_single_estimates(seed, p, discrete_b):
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(200, p))
    A[:, 1] += A[:, 0]
    B = rng.integers(0, 3, 200) if discrete_b else A[:, 0] + rng.normal(size=200)
    m = gmmi.mi_matrix(A, B, discrete_b=discrete_b, random_state=seed, **FAST)
    # Documented: a cell equals mutual_information of the pair with the same random_state,
    # exactly (same seed, same streams).
    for i in range(p):
        r = gmmi.mutual_information(A[:, i], B, discrete_y=discrete_b, random_state=seed,
                                    **FAST)
        np.testing.assert_array_equal(m.samples[i, 0], r.samples)


@SETTINGS
@given(seeds, rhos)
def test_result_is_finite_and_replicates_are_consistent(seed, rho):
    x, y = sample(seed, rho, 200)
    r = gmmi.mutual_information(x, y, random_state=seed, **FAST)
    assert np.isfinite(r.samples).all() and r.samples.size == FAST["n_bootstrap"]
    # gmmi's default estimate: the full-data value minus the bootstrap bias, clipped at 0.
    assert r.bias_corrected
    # (the core sums the replicates in its own order: equal to rounding)
    assert r.mean == pytest.approx(max(0.0, 2 * r.full_value - np.mean(r.samples)),
                                   rel=1e-12, abs=1e-15)
    lo, hi = r.ci(0.9)
    assert lo <= hi
