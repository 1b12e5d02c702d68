"""The Rust engine held to the plain-NumPy reference (tests/reference.py).

Tolerances: both sides compute the same formulas in double precision, but in different
orders (the Rust E/M step is a single fused pass with second moments accumulated about the
old means; the reference uses a triangular solve and two passes). Rounding differences are a
few ulps times the condition of the covariances (kept below ~1e3 here), hence 1e-12 on
log-densities and 1e-10 on one EM step.
"""

from __future__ import annotations

import numpy as np
import pytest

import gmmi
from gmmi import _core

import reference as ref


def random_model(rng, d, k):
    weights = rng.dirichlet(np.ones(k) * 2)
    means = rng.normal(scale=3.0, size=(k, d))
    covs = np.empty((k, d, d))
    for j in range(k):
        a = rng.normal(size=(d, d))
        covs[j] = a @ a.T / d + 0.3 * np.eye(d)
    return weights, means, covs


CASES = [(d, k) for d in range(1, 7) for k in (1, 3, 5)]


@pytest.mark.parametrize(("d", "k"), CASES)
def test_log_densities_agree(d, k):
    rng = np.random.default_rng(100 * d + k)
    w, m, c = random_model(rng, d, k)
    g = gmmi.GaussianMixture(w, m, c)
    X, _ = g.sample(500, random_state=d * k)
    X = np.vstack([X, rng.normal(scale=8.0, size=(20, d))])  # some points in the tails
    np.testing.assert_allclose(g.score_samples(X), ref.log_density(X, w, m, c),
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(g.component_log_densities(X),
                               ref.component_log_densities(X, w, m, c), rtol=1e-12, atol=1e-12)
    resp, _ = ref.e_step(X, w, m, c)
    np.testing.assert_allclose(g.predict_proba(X), resp, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(("d", "k"), CASES)
def test_one_em_iteration_agrees(d, k):
    rng = np.random.default_rng(7 + 100 * d + k)
    w, m, c = random_model(rng, d, k)
    X, _ = gmmi.GaussianMixture(w, m, c).sample(800, random_state=k)
    # Start somewhere else than the truth so the step moves the parameters.
    w0, m0, c0 = random_model(np.random.default_rng(k + 31 * d), d, k)
    m0 = m0 * 0.5
    reg = 1e-6
    new, ll = _core.em_step(_core.Mixture(w0, m0, c0), X, reg)
    resp, ll_ref = ref.e_step(X, w0, m0, c0)
    w1, m1, c1 = ref.m_step(X, resp, reg)
    assert ll == pytest.approx(ll_ref, rel=1e-12, abs=1e-12)
    np.testing.assert_allclose(new.weights, w1, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(new.means, m1, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(new.covariances, c1, rtol=1e-10, atol=1e-10)


def test_worst_discrepancies_are_small():
    """Records the worst agreement over all cases (printed with -s) and bounds it."""
    worst_ld, worst_em = 0.0, 0.0
    for d, k in CASES:
        rng = np.random.default_rng(1000 + 10 * d + k)
        w, m, c = random_model(rng, d, k)
        X, _ = gmmi.GaussianMixture(w, m, c).sample(400, random_state=1)
        ld = gmmi.GaussianMixture(w, m, c).score_samples(X)
        worst_ld = max(worst_ld, float(np.max(np.abs(ld - ref.log_density(X, w, m, c))
                                              / np.maximum(1, np.abs(ld)))))
        new, _ = _core.em_step(_core.Mixture(w, m, c), X, 0.0)
        w1, m1, c1 = ref.m_step(X, ref.e_step(X, w, m, c)[0], 0.0)
        for a, b in [(new.weights, w1), (new.means, m1), (new.covariances, c1)]:
            worst_em = max(worst_em, float(np.max(np.abs(a - b) / np.maximum(1, np.abs(b)))))
    print(f"worst relative discrepancy: log-density {worst_ld:.2e}, one EM step {worst_em:.2e}")
    assert worst_ld < 1e-12 and worst_em < 1e-10
