"""gmmi.GaussianMixture as a drop-in for sklearn.mixture.GaussianMixture (full covariances)."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest

import gmmi

sklearn = pytest.importorskip("sklearn")

from sklearn.base import clone  # noqa: E402
from sklearn.mixture import GaussianMixture as SkGaussianMixture  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import check_estimator  # noqa: E402


def _three_blobs(n: int, seed: int) -> np.ndarray:
    g = gmmi.GaussianMixture.from_parameters(
        [0.3, 0.3, 0.4], [[-4.0, 0.0], [4.0, 0.0], [0.0, 5.0]],
        [np.eye(2), [[1.0, 0.5], [0.5, 1.0]], 0.5 * np.eye(2)])
    return g.sample(n, random_state=seed)[0]


def test_check_estimator_passes():
    # Every scikit-learn estimator check, except the two that contradict gmmi's conventions
    # (listed, with the reason, on the class).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = check_estimator(
            gmmi.GaussianMixture(), on_fail=None,
            expected_failed_checks=gmmi.GaussianMixture.SKLEARN_EXPECTED_FAILED_CHECKS)
    failed = [(r["check_name"], str(r["exception"])) for r in results if r["status"] == "failed"]
    assert failed == []
    xfail = {r["check_name"] for r in results if r["status"] == "xfail"}
    assert xfail <= set(gmmi.GaussianMixture.SKLEARN_EXPECTED_FAILED_CHECKS)
    assert sum(r["status"] == "passed" for r in results) >= 35


def test_hyperparameters_clone_and_set_params():
    g = gmmi.GaussianMixture(3, init="random", n_init=2, tol=1e-4, random_state=1)
    assert g.get_params()["n_components"] == 3 and g.get_params()["tol"] == 1e-4
    c = clone(g)
    assert c is not g and c.get_params() == g.get_params()
    assert not hasattr(c, "weights_") or c.__sklearn_is_fitted__() is False
    c.set_params(n_components=2)
    assert c.n_components == 2 and g.n_components == 3
    with pytest.raises(ValueError, match=r"^nope: not a parameter"):
        c.set_params(nope=1)
    # Nothing is validated before fit (scikit-learn's contract); fit names the bad one.
    bad = gmmi.GaussianMixture(n_components=0)
    with pytest.raises(ValueError, match=r"^n_components"):
        bad.fit(_three_blobs(50, 0))


def test_fit_agrees_with_scikit_learn():
    # Same data, same k-means initialisation family, both run EM to a tight tolerance: the
    # maxima agree (mean log-likelihood per sample within 1e-4 nat, means within 0.05, which
    # is ~2 standard errors of a component mean at n_k ~ 1,500).
    X = _three_blobs(5000, 3)
    ours = gmmi.GaussianMixture(3, random_state=0, tol=1e-8, reg_covar=1e-6).fit(X)
    theirs = SkGaussianMixture(3, random_state=0, tol=1e-8, reg_covar=1e-6,
                               max_iter=1000).fit(X)
    assert abs(ours.score(X) - theirs.score(X)) < 1e-4
    order = [int(np.argmin(np.linalg.norm(theirs.means_ - m, axis=1))) for m in ours.means_]
    np.testing.assert_allclose(ours.means_, theirs.means_[order], atol=0.05)
    np.testing.assert_allclose(ours.weights_, theirs.weights_[order], atol=0.01)
    assert ours.converged_ and ours.n_iter_ >= 1 and ours.n_features_in_ == 2
    # The same fitted attributes and methods.
    for name in ("weights_", "means_", "covariances_", "precisions_cholesky_", "converged_",
                 "n_iter_", "lower_bound_", "n_features_in_"):
        assert hasattr(ours, name), name
    np.testing.assert_allclose(
        ours.precisions_cholesky_ @ ours.precisions_cholesky_.transpose(0, 2, 1),
        np.linalg.inv(ours.covariances_), rtol=1e-10)
    assert ours.predict(X).shape == (5000,) and ours.predict_proba(X).shape == (5000, 3)
    assert np.isfinite(ours.bic(X)) and ours.aic(X) < ours.bic(X)
    np.testing.assert_array_equal(ours.fit_predict(X), ours.predict(X))


def test_a_start_from_given_parameters_is_scikit_learn_s():
    # From the same weights, means and precisions, in the data's units and with reg_covar in
    # those units (standardize=False), EM is the same iteration in both libraries: the same
    # count and the same parameters to rounding (1e-9 of values of order 1, over ~10
    # iterations of sums over 5,000 rows).
    X = _three_blobs(5000, 4)
    w0, m0 = [0.2, 0.5, 0.3], [[-3.0, 1.0], [3.0, -1.0], [1.0, 4.0]]
    p0 = np.stack([np.eye(2), [[2.0, 0.3], [0.3, 1.0]], 0.5 * np.eye(2)])
    start = {"weights_init": w0, "means_init": m0, "precisions_init": p0}
    ours = gmmi.GaussianMixture(3, tol=1e-9, reg_covar=1e-9, standardize=False,
                                **start).fit(X)
    theirs = SkGaussianMixture(3, tol=1e-9, reg_covar=1e-9, max_iter=1000, **start).fit(X)
    assert ours.n_iter_ == theirs.n_iter_
    for name in ("weights_", "means_", "covariances_"):
        np.testing.assert_allclose(getattr(ours, name), getattr(theirs, name), atol=1e-9)
    # Standardised (gmmi's default) from the same start: the same maximum.
    std = gmmi.GaussianMixture(3, tol=1e-9, reg_covar=1e-12, **start).fit(X)
    np.testing.assert_allclose(std.means_, theirs.means_, atol=1e-6)
    # Means alone replace those of the k-means start: the fit follows them (the start's
    # first component is the one at (-3, 1), the blob at (-4, 0)).
    means = gmmi.GaussianMixture(3, means_init=m0, random_state=0).fit(X)
    np.testing.assert_allclose(means.means_[0], [-4.0, 0.0], atol=0.1)
    # The checks of each, naming it.
    for bad, pattern in (({"weights_init": [0.5, 0.6, 0.1]}, r"^weights_init: .*sum to 1"),
                         ({"means_init": m0[:2]}, r"^means_init: expected shape \(3, 2\)"),
                         ({"precisions_init": -p0}, r"^precisions_init: component 0 is not "
                                                    r"positive definite"),
                         ({"precisions_init": p0 + np.array([[0.0, 1.0], [0.0, 0.0]])},
                          r"^precisions_init: component 0 is not symmetric")):
        with pytest.raises(ValueError, match=pattern):
            gmmi.GaussianMixture(3, **bad).fit(X)


def test_warm_start_continues_where_the_last_fit_stopped():
    # Two fits of 3 EM iterations with warm_start are one fit of 6 from the same start: EM
    # is a map of the parameters, and every fit standardises X alike (the model between
    # the two goes to the data's units and back: rounding of about 1e-12, hence 1e-9).
    # (three components on one Gaussian: EM creeps, so every fit runs to max_iter)
    X = np.random.default_rng(5).normal(size=(3000, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", gmmi.ConvergenceWarning)
        warm = gmmi.GaussianMixture(3, max_iter=3, tol=1e-300, warm_start=True,
                                    random_state=0)
        warm.fit(X)
        first = warm.lower_bound_
        warm.fit(X)
        once = gmmi.GaussianMixture(3, max_iter=6, tol=1e-300, random_state=0).fit(X)
    assert warm.n_iter_ == 3 and once.n_iter_ == 6
    assert warm.lower_bound_ > first
    assert warm.lower_bound_ == pytest.approx(once.lower_bound_, abs=1e-9)
    np.testing.assert_allclose(warm.means_, once.means_, atol=1e-9)
    # Another number of components cannot continue the fitted model.
    warm.set_params(n_components=2)
    with pytest.raises(ValueError, match=r"^warm_start: the fitted model has 3 components"):
        warm.fit(X)


def test_n_init_keeps_the_best_fit():
    X = _three_blobs(600, 4)
    one = gmmi.GaussianMixture(3, init="random", random_state=0).fit(X)
    many = gmmi.GaussianMixture(3, init="random", n_init=6, random_state=0).fit(X)
    # The first of the six starts is the single fit's start, so the best is at least as good.
    assert many.lower_bound_ >= one.lower_bound_
    assert many == gmmi.GaussianMixture(3, init="random", n_init=6, random_state=0).fit(X)


def test_grid_search_and_pipeline():
    X = _three_blobs(900, 5)
    search = GridSearchCV(gmmi.GaussianMixture(random_state=0), {"n_components": [1, 2, 3, 4]},
                          cv=3).fit(X)
    # Held-out log-likelihood: three well-separated blobs need at least three components.
    assert search.best_params_["n_components"] >= 3
    pipe = make_pipeline(StandardScaler(), gmmi.GaussianMixture(3, random_state=0)).fit(X)
    assert np.isfinite(pipe.score(X))


def test_pickled_fitted_model_keeps_its_hyperparameters():
    X = _three_blobs(300, 6)
    g = gmmi.GaussianMixture(3, init="random", random_state=2).fit(X)
    h = pickle.loads(pickle.dumps(g))
    assert h == g and h.get_params() == g.get_params()
    np.testing.assert_array_equal(h.score_samples(X), g.score_samples(X))


def test_not_fitted_error_is_both_gmmi_s_and_scikit_learn_s():
    from sklearn.exceptions import NotFittedError

    g = gmmi.GaussianMixture()
    with pytest.raises(NotFittedError):
        g.predict(np.zeros((2, 2)))
    with pytest.raises(gmmi.NotFittedError):
        g.predict(np.zeros((2, 2)))
