"""gmmi.GaussianMixture: construction, fitting, densities, transformations, pickling,
input handling."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import gmmi
from gmmi.mixture import INITS

SEP3 = (
    [0.5, 0.3, 0.2],
    [[-6.0, 0.0], [6.0, 6.0], [6.0, -6.0]],
    [[[1.0, 0.3], [0.3, 1.0]], [[0.5, 0.0], [0.0, 2.0]], [[1.5, -0.4], [-0.4, 0.6]]],
)


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (([0.5, 0.4], [[0.0], [1.0]], [[[1.0]], [[1.0]]]), "weights.*sum to 1"),
        (([1.5, -0.5], [[0.0], [1.0]], [[[1.0]], [[1.0]]]), "weights.*positive"),
        (([1.0], [[0.0, 0.0]], [[[1.0, 0.5], [0.1, 1.0]]]), "covariances.*symmetric"),
        (([1.0], [[0.0, 0.0]], [[[1.0, 2.0], [2.0, 1.0]]]), "covariances.*positive definite"),
        (([1.0], [[0.0, 0.0]], [[[1.0, 0.0, 0.0]]]), "covariances"),
        (([0.5, 0.5], [[0.0, 0.0]], [np.eye(2), np.eye(2)]), "weights"),
        (([1.0], [[np.nan, 0.0]], [np.eye(2)]), "means"),
    ],
)
def test_construction_is_validated(args, match):
    with pytest.raises(ValueError, match=match):
        gmmi.GaussianMixture(*args)


def test_partial_parameters_and_unfitted_use():
    with pytest.raises(ValueError, match="covariances"):
        gmmi.GaussianMixture([1.0], [[0.0]])
    g = gmmi.GaussianMixture()
    with pytest.raises(AttributeError, match="fit"):
        g.score_samples([[0.0]])
    assert repr(g) == "GaussianMixture(unfitted)"


def test_single_gaussian_fit_is_the_sample_moments():
    rng = np.random.default_rng(0)
    X = rng.multivariate_normal([1, -2, 0.5], [[2, 0.6, 0], [0.6, 1, 0.2], [0, 0.2, 0.5]], 1000)
    g = gmmi.GaussianMixture().fit(X, 1, reg_covar=0.0, random_state=0)
    # For K = 1 the M-step is the closed-form ML estimate: equal up to rounding.
    np.testing.assert_allclose(g.means_[0], X.mean(0), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(g.covariances_[0], np.cov(X.T, bias=True), rtol=1e-10)
    # The default init (k-means labels, then an M-step) is already the sample moments at
    # K = 1: the second iteration sees no change and stops.
    assert g.converged_ and g.n_iter_ == 2


@pytest.mark.parametrize("init", INITS)
def test_every_init_recovers_separated_components(init):
    truth = gmmi.GaussianMixture(*SEP3)
    X, _ = truth.sample(3000, random_state=1)
    g = gmmi.GaussianMixture().fit(X, 3, init=init, random_state=2)
    order = np.argsort(g.means_[:, 0] * 10 + g.means_[:, 1])
    torder = np.argsort(truth.means_[:, 0] * 10 + truth.means_[:, 1])
    # Means: standard error sqrt(var / n_k) <= sqrt(2 / 600) = 0.058; allow 5 of them.
    np.testing.assert_allclose(g.means_[order], truth.means_[torder], atol=0.3)
    # Weights: binomial standard error <= sqrt(0.25 / 3000) = 0.009; allow 5.
    np.testing.assert_allclose(g.weights_[order], truth.weights_[torder], atol=0.045)


def test_reproducible_with_random_state():
    X, _ = gmmi.GaussianMixture(*SEP3).sample(500, random_state=3)
    a = gmmi.GaussianMixture().fit(X, 3, init="random", random_state=5)
    b = gmmi.GaussianMixture().fit(X, 3, init="random", random_state=5)
    assert a == b


def test_marginal_affine_sample():
    g = gmmi.GaussianMixture(*SEP3)
    m = g.marginal([1])
    np.testing.assert_array_equal(m.means_[:, 0], g.means_[:, 1])
    np.testing.assert_array_equal(m.covariances_[:, 0, 0], g.covariances_[:, 1, 1])
    # Density of the image: p'(a x + b) = p(x) / |a1 a2|.
    h = g.affine([2.0, -3.0], [1.0, 0.5])
    x = np.array([[0.3, -1.0], [5.0, 5.0]])
    y = x * [2.0, -3.0] + [1.0, 0.5]
    np.testing.assert_allclose(h.score_samples(y), g.score_samples(x) - np.log(6.0),
                               rtol=1e-12)
    X, labels = g.sample(20000, random_state=4)
    assert X.shape == (20000, 2) and set(np.unique(labels)) == {0, 1, 2}
    # Label frequencies: binomial standard error < 0.0036; 5 of them.
    np.testing.assert_allclose(np.bincount(labels) / 20000, g.weights_, atol=0.018)
    with pytest.raises(ValueError, match="dims"):
        g.marginal([2])


def test_aic_bic_formulas():
    g = gmmi.GaussianMixture(*SEP3)
    X, _ = g.sample(400, random_state=5)
    n, p = 400, 2 + 3 * 2 + 3 * 3
    assert g.n_parameters == p
    ll = g.score(X) * n
    assert g.aic(X) == pytest.approx(-2 * ll + 2 * p, rel=1e-12)
    assert g.bic(X) == pytest.approx(-2 * ll + p * np.log(n), rel=1e-12)


def test_curves_and_convergence_flags():
    X, _ = gmmi.GaussianMixture(*SEP3).sample(1000, random_state=6)
    V, _ = gmmi.GaussianMixture(*SEP3).sample(300, random_state=7)
    g = gmmi.GaussianMixture().fit(X, 3, init="random", random_state=1, record_curves=True,
                                   validation_data=V)
    assert len(g.train_curve_) == len(g.valid_curve_) == g.n_iter_
    assert np.all(np.diff(g.train_curve_) >= -1e-10)  # EM never decreases the likelihood
    with pytest.warns(gmmi.ConvergenceWarning, match="max_iter"):
        h = gmmi.GaussianMixture().fit(X, 3, init="random", random_state=1, max_iter=2)
    assert not h.converged_ and h.n_iter_ == 2


def test_pickle_round_trip():
    X, _ = gmmi.GaussianMixture(*SEP3).sample(500, random_state=8)
    g = gmmi.GaussianMixture().fit(X, 3, random_state=0)
    h = pickle.loads(pickle.dumps(g))
    assert h == g and h.n_iter_ == g.n_iter_
    np.testing.assert_array_equal(h.score_samples(X), g.score_samples(X))


def test_input_layouts_and_dtypes_work():
    X, _ = gmmi.GaussianMixture(*SEP3).sample(400, random_state=9)
    g = gmmi.GaussianMixture().fit(X, 2, random_state=0)
    ref = g.score_samples(X)
    ro = X.copy()
    ro.setflags(write=False)
    for variant in (np.asfortranarray(X), ro,
                    X.tolist()):
        np.testing.assert_allclose(g.score_samples(variant), ref, rtol=1e-12)
    np.testing.assert_allclose(g.score_samples(X.astype(np.float32)),
                               g.score_samples(X.astype(np.float32).astype(np.float64)))
    wide = np.zeros((400, 4))
    wide[:, ::2] = X
    np.testing.assert_allclose(g.score_samples(wide[:, ::2]), ref, rtol=1e-12)  # strided
    one = gmmi.GaussianMixture().fit(np.arange(50, dtype=np.int64) % 7, 1)  # 1-D int64
    assert one.n_features == 1


@pytest.mark.parametrize(
    ("X", "kwargs", "exc", "match"),
    [
        (np.array([[0.0, np.nan]] * 10), {}, ValueError, "X.*nan"),
        (np.array([[0.0, np.inf]] * 10), {}, ValueError, "X.*inf"),
        (np.zeros((3, 2)), {"n_components": 4}, ValueError, "n_components"),
        (np.zeros((10, 2, 2)), {}, ValueError, "X.*dimensions"),
        (np.ones((10, 2)), {"init": "nope"}, ValueError, "init"),
        (np.ones((10, 2), dtype=complex), {}, TypeError, "X.*complex"),
        (np.array([["a", "b"]] * 10), {}, TypeError, "X"),
    ],
)
def test_bad_fit_inputs(X, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        gmmi.GaussianMixture().fit(X, **kwargs)


def test_wrong_columns_for_scoring():
    g = gmmi.GaussianMixture(*SEP3)
    with pytest.raises(ValueError, match="X: expected 2 columns"):
        g.score_samples(np.zeros((5, 3)))
