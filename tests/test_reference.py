"""The Rust engine held to the plain-NumPy reference (tests/reference.py).

Tolerances. Both sides evaluate the same formulas in double precision, in different orders:
the Rust E/M step is one fused pass that accumulates second moments about the *old* means
and forms ``Sigma^-1/2 (x - mu)`` with a precomputed inverse Cholesky factor; the reference
uses a triangular solve and two passes. For the well-conditioned covariances used here
(condition number below ~10) rounding differences are a few ulps of the quantities involved,
i.e. ~1e-15 relative; the bounds 1e-12 (log-densities) and 1e-10 (one EM step, whose
covariances are differences of accumulated sums over up to 9000 rows) leave a margin of
100x or more over what is observed, while still catching any formula error (a missing
``reg_covar`` of 1e-6, a wrong ``10 eps``, an unbiased covariance, ... are all far larger).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import multivariate_normal

import gmmi
from gmmi import _core

import reference as ref

EPS = np.finfo(float).eps
DIMS = range(1, 7)
KS = (1, 2, 4)
TOL_LD = {"rtol": 1e-12, "atol": 1e-12}
TOL_EM = {"rtol": 1e-10, "atol": 1e-10}


def random_model(rng, d, k):
    """Random well-conditioned parameters: Dirichlet weights, spread-out means, covariances
    ``s (A A^T + d I) / d`` (eigenvalues of A A^T / d lie in about [0, 4], so the condition
    number is at most ~5) with a per-component scale s in [0.3, 3]."""
    weights = rng.dirichlet(np.full(k, 2.0))
    means = rng.normal(scale=3.0, size=(k, d))
    covs = np.empty((k, d, d))
    for j in range(k):
        a = rng.normal(size=(d, d))
        covs[j] = rng.uniform(0.3, 3.0) * (a @ a.T + d * np.eye(d)) / d
    return weights, means, covs


def points(rng, w, m, c, n, seed):
    """Rows sampled from the model, plus rows in the far tails (where ln p ~ -1e4 and every
    component's density underflows: only a log-sum-exp gets them right)."""
    X, _ = gmmi.GaussianMixture.from_parameters(w, m, c).sample(n, random_state=seed)
    d = m.shape[1]
    tails = rng.normal(scale=8.0, size=(20, d))
    far = m[0] + rng.choice([-1.0, 1.0], size=(5, d)) * 150.0
    return np.vstack([X, tails, far])


# -- the reference itself ---------------------------------------------------------------------
@pytest.mark.parametrize("d", DIMS)
def test_reference_log_density_matches_scipy(d):
    """The reference is checked independently, so agreement below is not shared error."""
    rng = np.random.default_rng(d)
    w, m, c = random_model(rng, d, 3)
    X = rng.normal(scale=3.0, size=(50, d))
    comps = np.column_stack(
        [np.log(w[j]) + multivariate_normal(m[j], c[j]).logpdf(X) for j in range(3)]
    )
    comps = comps.reshape(50, 3)
    np.testing.assert_allclose(ref.component_log_densities(X, w, m, c), comps, rtol=1e-12)
    dens = np.exp(comps).sum(axis=1)
    np.testing.assert_allclose(ref.log_density(X, w, m, c), np.log(dens), rtol=1e-12)
    resp, ll = ref.e_step(X, w, m, c)
    np.testing.assert_allclose(resp, np.exp(comps) / dens[:, None], rtol=1e-12)
    assert ll == pytest.approx(np.log(dens).mean(), rel=1e-12)


def test_reference_m_step_single_component_is_sample_moments():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(200, 3)) @ rng.normal(size=(3, 3))
    w, mu, cov = ref.m_step(X, np.ones((200, 1)), 0.5)
    assert w.tolist() == [1.0]
    # n_k = 200 + 10 eps: the mean differs from X.mean by a relative 10 eps / 200.
    np.testing.assert_allclose(mu[0], X.mean(axis=0), rtol=1e-14)
    np.testing.assert_allclose(cov[0], np.cov(X.T, bias=True) + 0.5 * np.eye(3), rtol=1e-13)


# -- densities ----------------------------------------------------------------------------------
@pytest.mark.parametrize("k", KS)
@pytest.mark.parametrize("d", DIMS)
def test_log_densities_agree(d, k):
    rng = np.random.default_rng(100 * d + k)
    w, m, c = random_model(rng, d, k)
    X = points(rng, w, m, c, 300, seed=d * k)
    want_ld = ref.log_density(X, w, m, c)
    want_comp = ref.component_log_densities(X, w, m, c)
    want_resp, _ = ref.e_step(X, w, m, c)
    assert np.all(np.isfinite(want_ld)) and want_ld.min() < -1000.0  # the far rows count

    g = gmmi.GaussianMixture.from_parameters(w, m, c)
    core = _core.GaussianMixture(w, m, c)
    for name, got in [
        ("GaussianMixture.score_samples", g.score_samples(X)),
        ("GaussianMixture.score_samples", core.score_samples(X)),
    ]:
        np.testing.assert_allclose(got, want_ld, **TOL_LD, err_msg=name)
    for name, got in [
        ("GaussianMixture.component_log_densities", g.component_log_densities(X)),
        ("GaussianMixture.component_log_densities", core.component_log_densities(X)),
    ]:
        np.testing.assert_allclose(got, want_comp, **TOL_LD, err_msg=name)
    # r = exp(lp_k - ln p): an absolute error delta in the exponent is a relative error delta
    # in r; delta is a few ulps of |lp| <= ~2e4 here, i.e. < 1e-11, so rtol 1e-10 is tight.
    for name, got in [
        ("GaussianMixture.predict_proba", g.predict_proba(X)),
        ("GaussianMixture.responsibilities", core.responsibilities(X)),
    ]:
        np.testing.assert_allclose(got, want_resp, rtol=1e-10, atol=1e-14, err_msg=name)
    # Rows sum to 1 up to the same exponent error (a few ulps of |ln p| ~ 1e4: ~1e-12).
    np.testing.assert_allclose(g.predict_proba(X).sum(axis=1), 1.0, rtol=1e-11)


@pytest.mark.parametrize("d", [2, 6])
def test_log_densities_agree_across_parallel_chunks(d):
    # 9000 rows > 2 x 4096 (the core's chunk size): the parallel path is exercised.
    rng = np.random.default_rng(50 + d)
    w, m, c = random_model(rng, d, 3)
    X, _ = gmmi.GaussianMixture.from_parameters(w, m, c).sample(9000, random_state=d)
    np.testing.assert_allclose(_core.GaussianMixture(w, m, c).score_samples(X),
                               ref.log_density(X, w, m, c), **TOL_LD)


# -- one EM iteration --------------------------------------------------------------------------
def check_em_step(X, start, reg):
    w0, m0, c0 = start
    new, ll = _core.em_step(_core.GaussianMixture(w0, m0, c0), X, reg)
    (w1, m1, c1), ll_ref = ref.em_step(X, w0, m0, c0, reg)
    # The log-likelihood is a mean of log-densities, each within 1e-12 relative.
    assert ll == pytest.approx(ll_ref, rel=1e-12, abs=1e-12)
    # Weights are positive: compare them relatively, so that even the 10 eps / n weight of
    # an empty component is checked.
    np.testing.assert_allclose(new.weights, w1, rtol=1e-10, atol=0.0, err_msg="weights")
    np.testing.assert_allclose(new.means, m1, **TOL_EM, err_msg="means")
    np.testing.assert_allclose(new.covariances, c1, **TOL_EM, err_msg="covariances")
    return new, ll


@pytest.mark.parametrize("k", KS)
@pytest.mark.parametrize("d", DIMS)
def test_one_em_iteration_agrees(d, k):
    rng = np.random.default_rng(7 + 100 * d + k)
    w, m, c = random_model(rng, d, k)
    X, _ = gmmi.GaussianMixture.from_parameters(w, m, c).sample(600, random_state=k)
    # Start away from the truth so the step really moves every parameter; reg_covar = 1e-6
    # is far above the tolerance, so dropping or misplacing it would fail.
    w0, m0, c0 = random_model(np.random.default_rng(k + 31 * d), d, k)
    new, _ = check_em_step(X, (w0, 0.5 * m0, c0), 1e-6)
    assert not np.allclose(new.means, 0.5 * m0, atol=1e-3)


@pytest.mark.parametrize("d", [1, 3, 6])
def test_em_iteration_agrees_across_parallel_chunks(d):
    rng = np.random.default_rng(90 + d)
    w, m, c = random_model(rng, d, 3)
    X, _ = gmmi.GaussianMixture.from_parameters(w, m, c).sample(9000, random_state=d)
    w0, m0, c0 = random_model(np.random.default_rng(d), d, 3)
    check_em_step(X, (w0, m0, c0), 0.0)


def test_em_step_with_far_off_data_uses_shifted_moments_accurately():
    # Data centred at 1e4 with unit spread: a naive one-pass E[xx^T] - mu mu^T would lose
    # ~8 digits. The core shifts by the old means, the reference uses two passes.
    rng = np.random.default_rng(11)
    X = 1e4 + rng.normal(size=(2000, 2)) @ np.array([[1.0, 0.3], [0.0, 0.7]])
    start = (np.array([0.4, 0.6]), np.array([[1e4 - 0.5, 1e4], [1e4 + 0.5, 1e4]]),
             np.array([np.eye(2), np.eye(2)]))
    check_em_step(X, start, 0.0)


def test_empty_component_gets_the_10_eps_count():
    """A component no row reaches (its responsibilities underflow to exactly 0) keeps
    n_k = 10 eps: weight 10 eps / (n + K 10 eps), mean 0 / n_k = 0, covariance reg_covar I."""
    rng = np.random.default_rng(12)
    n, reg = 100, 1e-3
    X = rng.normal(size=(n, 2))
    start = (np.array([0.5, 0.5]), np.array([[0.0, 0.0], [1e4, 1e4]]),
             np.array([np.eye(2), np.eye(2)]))
    resp, _ = ref.e_step(X, *start)
    assert np.all(resp[:, 1] == 0.0)
    new, _ = check_em_step(X, start, reg)
    assert new.weights[1] == pytest.approx(10 * EPS / (n + 20 * EPS), rel=1e-12)
    np.testing.assert_array_equal(new.means[1], [0.0, 0.0])
    np.testing.assert_allclose(new.covariances[1], reg * np.eye(2), rtol=1e-14)


def test_em_fit_is_repeated_reference_steps():
    """em_fit runs exactly the reference iteration: after 6 steps the parameters and the
    recorded curve agree. Rounding differences may grow through the iterations, but EM is a
    smooth map with a stable fixed point and 6 steps multiply them by a modest factor:
    1e-9 is still five orders of magnitude above what is observed."""
    rng = np.random.default_rng(13)
    w, m, c = random_model(rng, 3, 3)
    X, _ = gmmi.GaussianMixture.from_parameters(w, m, c).sample(1500, random_state=0)
    w0, m0, c0 = random_model(np.random.default_rng(14), 3, 3)
    out = _core.em_fit(_core.GaussianMixture(w0, m0, c0), X, None, 1e-300, 6, 1e-6, True)
    lls = []
    params = (w0, m0, c0)
    for _ in range(6):
        params, ll = ref.em_step(X, *params, 1e-6)
        lls.append(ll)
    assert out["n_iter"] == 6 and not out["converged"]
    np.testing.assert_allclose(out["train_curve"], lls, rtol=1e-10)
    assert out["lower_bound"] == pytest.approx(lls[-1], rel=1e-10)
    model = out["model"]
    for got, want in zip((model.weights, model.means, model.covariances), params):
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9)
