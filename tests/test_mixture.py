"""gmmi.GaussianMixture: construction, fitting, densities, transformations, information
criteria, convergence records, pickling and input handling."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest
from scipy.integrate import quad

import gmmi
from gmmi import _core
from gmmi.mixture import INITS

import reference as ref

# Three well-separated components (means 12 apart, standard deviations <= 1.5).
SEP3 = (
    [0.5, 0.3, 0.2],
    [[-6.0, 0.0], [6.0, 6.0], [6.0, -6.0]],
    [[[1.0, 0.3], [0.3, 1.0]], [[0.5, 0.0], [0.0, 2.0]], [[1.5, -0.4], [-0.4, 0.6]]],
)
# A 3-D, 2-component model for the transformations.
W3 = [0.35, 0.65]
M3 = [[0.0, 1.0, -1.0], [2.0, -1.0, 0.5]]
C3 = [
    [[1.0, 0.3, 0.1], [0.3, 0.8, -0.2], [0.1, -0.2, 0.5]],
    [[0.6, -0.1, 0.0], [-0.1, 1.2, 0.4], [0.0, 0.4, 0.9]],
]


def sep3() -> gmmi.GaussianMixture:
    return gmmi.GaussianMixture.from_parameters(*SEP3)


def sep3_data(n: int, seed: int) -> np.ndarray:
    return sep3().sample(n, random_state=seed)[0]


def match_components(fitted_means, true_means):
    """Index of the fitted component nearest to each true one (must be a permutation)."""
    dist = np.linalg.norm(fitted_means[None, :, :] - true_means[:, None, :], axis=2)
    order = dist.argmin(axis=1)
    assert sorted(order.tolist()) == list(range(len(true_means))), dist
    return order


# -- construction -------------------------------------------------------------------------------
EYE2 = np.eye(2)


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (([0.5, 0.4], [[0.0], [1.0]], [[[1.0]], [[1.0]]]), r"^weights: .*sum to 1"),
        (([1.5, -0.5], [[0.0], [1.0]], [[[1.0]], [[1.0]]]), r"^weights: .*positive"),
        (([1.0, 0.0], [[0.0], [1.0]], [[[1.0]], [[1.0]]]), r"^weights: .*positive"),
        (([0.5, 0.5], [[0.0, 0.0]], [EYE2, EYE2]), r"^weights: expected 1 weights"),
        (([1.0], [[0.0, 0.0]], [[[1.0, 0.5], [0.1, 1.0]]]), r"^covariances: .*not symmetric"),
        (([1.0], [[0.0, 0.0]], [[[1.0, 2.0], [2.0, 1.0]]]), r"^covariances: .*positive definite"),
        (([1.0], [[0.0, 0.0]], [[[1.0, 0.0], [0.0, 0.0]]]), r"^covariances: .*positive definite"),
        (([1.0], [[0.0, 0.0]], [[[1.0, 0.0, 0.0]]]), r"^covariances: expected shape"),
        (([1.0], [[0.0, 0.0]], [EYE2, EYE2]), r"^covariances: expected shape"),
        (([1.0], [[0.0, 0.0]], np.ones((1, 2, 2, 1))), r"^covariances: expected shape"),
        (([1.0], np.zeros((1, 2, 1)), [EYE2]), r"^means: expected shape"),
        (([1.0], [[np.nan, 0.0]], [EYE2]), r"^means: .*finite"),
        (([1.0], [[0.0, 0.0]], [[[np.inf, 0.0], [0.0, 1.0]]]), r"^covariances: .*finite"),
    ],
)
def test_construction_is_validated(args, match):
    with pytest.raises(ValueError, match=match):
        gmmi.GaussianMixture.from_parameters(*args)


def test_partial_parameters_are_refused():
    with pytest.raises(TypeError, match="covariances"):
        gmmi.GaussianMixture.from_parameters([1.0], [[0.0]])  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="means"):
        gmmi.GaussianMixture.from_parameters(weights=[1.0], covariances=[[[1.0]]])
    # Parameters where the hyperparameter goes (gmmi 0.1's constructor) are pointed to
    # from_parameters when the model is used.
    g = gmmi.GaussianMixture([0.5, 0.5])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^n_components: .*from_parameters"):
        g.fit(np.zeros((10, 1)) + np.arange(10)[:, None])


def test_construction_stores_the_parameters():
    g = sep3()
    np.testing.assert_array_equal(g.weights_, SEP3[0])
    np.testing.assert_array_equal(g.means_, SEP3[1])
    np.testing.assert_array_equal(g.covariances_, SEP3[2])
    assert (g.n_components, g.n_features, g.n_iter_, g.converged_) == (3, 2, None, None)
    for k in range(3):
        L = g.cholesky_factors_[k]
        np.testing.assert_array_equal(L, np.tril(L))
        np.testing.assert_allclose(L @ L.T, g.covariances_[k], rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize(
    "attr",
    ["weights_", "means_", "covariances_", "n_features", "n_parameters", "precisions_cholesky_"],
)
def test_unfitted_attributes_raise_attribute_error(attr):
    with pytest.raises(AttributeError, match="fit"):
        getattr(gmmi.GaussianMixture(), attr)


@pytest.mark.parametrize(
    ("method", "args"),
    [
        ("score_samples", ([[0.0]],)),
        ("score", ([[0.0]],)),
        ("component_log_densities", ([[0.0]],)),
        ("predict_proba", ([[0.0]],)),
        ("predict", ([[0.0]],)),
        ("aic", ([[0.0]],)),
        ("bic", ([[0.0]],)),
        ("sample", (5,)),
        ("marginal", ([0],)),
        ("affine", (1.0, 0.0)),
        ("entropy", ()),
        ("mutual_information", ([0], [1])),
        # a file of no parameters loaded as a default model, not as this one
        ("save", ("unfitted-model.json",)),
    ],
)
def test_unfitted_methods_raise_attribute_error(method, args):
    g = gmmi.GaussianMixture()
    with pytest.raises(AttributeError, match="fit"):
        getattr(g, method)(*args)
    assert repr(g) == "GaussianMixture(n_components=1; unfitted)"


# -- fitting ------------------------------------------------------------------------------------
@pytest.mark.parametrize("init", ["kmeans_sklearn", "random", "minmax"])
def test_single_gaussian_fit_is_the_sample_moments(init):
    rng = np.random.default_rng(0)
    cov = [[2.0, 0.6, 0.0], [0.6, 1.0, 0.2], [0.0, 0.2, 0.5]]
    X = rng.multivariate_normal([1.0, -2.0, 0.5], cov, size=1000)
    g = gmmi.GaussianMixture(n_components=1, init=init, random_state=0, reg_covar=0.0).fit(X)
    # With K = 1 every responsibility is exactly 1, so the first M-step already gives the
    # closed-form ML estimate (sample mean, biased sample covariance, n_k = n + 10 eps) and
    # later steps reproduce it: the agreement is to rounding (~1e-15), not to threshold_fit.
    # 1e-10 leaves ample room and would still catch the unbiased covariance (1e-3 off).
    np.testing.assert_allclose(g.means_[0], X.mean(axis=0), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(g.covariances_[0], np.cov(X.T, bias=True), rtol=1e-10)
    assert g.weights_.tolist() == [1.0]
    # One step to the fixed point, one to see the likelihood move (unless the init was
    # already there), one to see it stop moving.
    assert g.converged_ and g.n_iter_ <= 3


def test_reg_covar_is_added_to_the_fitted_covariance():
    X = np.random.default_rng(1).normal(size=(500, 2))
    g = gmmi.GaussianMixture(n_components=1, reg_covar=0.25, random_state=0,
                             standardize=False).fit(X)
    # K = 1: exact up to rounding (see above). In the data's units (standardize=False).
    np.testing.assert_allclose(g.covariances_[0], np.cov(X.T, bias=True) + 0.25 * np.eye(2),
                               rtol=1e-10)


@pytest.mark.parametrize("init", INITS)
def test_every_init_recovers_separated_components(init):
    truth = sep3()
    X = sep3_data(3000, seed=1)
    g = gmmi.GaussianMixture(n_components=3, init=init, random_state=2).fit(X)
    assert g.converged_
    order = match_components(g.means_, truth.means_)
    # Means: the standard error of a component mean is sqrt(S_jj / n_k) <= sqrt(2 / 600)
    # = 0.058 (smallest component 20% of 3000 rows, largest variance 2); 0.3 is 5 of them.
    np.testing.assert_allclose(g.means_[order], truth.means_, atol=0.3)
    # Weights: binomial standard error <= sqrt(0.25 / 3000) = 0.009; 0.045 is 5 of them.
    np.testing.assert_allclose(g.weights_[order], truth.weights_, atol=0.045)
    # Covariances: sd(S_ij) = sqrt((S_ii S_jj + S_ij^2) / n_k) <= sqrt(2 * 4 / 900) = 0.094
    # (component 2: variance 2, 900 rows; component 3: sqrt(2 * 2.25 / 600) = 0.087);
    # 0.5 is over 5 of them.
    np.testing.assert_allclose(g.covariances_[order], truth.covariances_, atol=0.5)


def test_unknown_init_is_refused():
    with pytest.raises(ValueError, match=r"^init: expected one of"):
        gmmi.GaussianMixture(n_components=2, init="kmeans++").fit(sep3_data(50, 0))


def test_random_state_makes_fits_reproducible():
    X = sep3_data(500, seed=3)
    for init in ("random", "random_sklearn", "randomized_kmeans"):
        a = gmmi.GaussianMixture(n_components=3, init=init, random_state=5).fit(X)
        b = gmmi.GaussianMixture(n_components=3, init=init, random_state=5).fit(X)
        assert a == b and a.n_iter_ == b.n_iter_, init
    c = gmmi.GaussianMixture(3, init="random", random_state=np.random.default_rng(9)).fit(X)
    d = gmmi.GaussianMixture(3, init="random", random_state=np.random.default_rng(9)).fit(X)
    assert c == d
    # ... and the seed matters: after a single EM step two random starts still differ.
    with pytest.warns(gmmi.ConvergenceWarning):
        e = gmmi.GaussianMixture(n_components=3, init="random", random_state=5, max_iter=1).fit(X)
    with pytest.warns(gmmi.ConvergenceWarning):
        f = gmmi.GaussianMixture(n_components=3, init="random", random_state=6, max_iter=1).fit(X)
    assert e != f


def test_fit_does_not_depend_on_the_number_of_threads():
    # 10000 rows: three chunks of the core's 4096-row blocks, summed in a fixed order.
    X = sep3_data(10_000, seed=4)
    a = gmmi.GaussianMixture(n_components=3, init="random", random_state=0, n_jobs=1).fit(X)
    b = gmmi.GaussianMixture(n_components=3, init="random", random_state=0, n_jobs=3).fit(X)
    assert a == b and a.n_iter_ == b.n_iter_


def test_reg_covar_is_in_standardised_units_by_default():
    X = np.random.default_rng(1).normal(size=(500, 2)) * [3.0, 0.5]
    g = gmmi.GaussianMixture(n_components=1, reg_covar=0.25, random_state=0).fit(X)
    # K = 1 is closed form: the standardised covariance plus 0.25 I, mapped back to the
    # data's units, adds 0.25 * sd_j^2 to variance j.
    sd = X.std(axis=0)
    np.testing.assert_allclose(g.covariances_[0],
                               np.cov(X.T, bias=True) + 0.25 * np.diag(sd**2), rtol=1e-10)


def test_fit_is_scale_equivariant():
    X = np.random.default_rng(0).normal(size=(300, 2))
    g1 = gmmi.GaussianMixture(n_components=2, random_state=0, record_curves=True).fit(X)
    for a in (1e-12, 1e12):
        g2 = gmmi.GaussianMixture(n_components=2, random_state=0, record_curves=True).fit(a * X)
        # Standardised, both fits see the same numbers up to the rounding of the
        # standardisation (~1e-15 relative), so ln p_aX(a x) = ln p_X(x) - d ln a to far
        # better than 1e-8 (regression: at scale 1e-12 reg_covar used to swamp the
        # variances: 32.7 instead of 53.5 per point).
        np.testing.assert_allclose(g2.score_samples(a * X[:5]),
                                   g1.score_samples(X[:5]) - 2 * np.log(a), rtol=1e-8)
        np.testing.assert_allclose(g2.train_curve_, g1.train_curve_ - 2 * np.log(a),
                                   rtol=1e-8)


def test_curves_and_convergence_records():
    X = sep3_data(1000, seed=6)
    V = sep3_data(300, seed=7)
    thr = 1e-5
    g = gmmi.GaussianMixture(n_components=3, init="random", random_state=1, record_curves=True,
                             tol=thr, standardize=False, reg_covar=1e-15).fit(
        X, validation_data=V)
    assert g.converged_ and g.n_iter_ > 2
    assert len(g.train_curve_) == len(g.valid_curve_) == g.n_iter_
    # EM never decreases the likelihood (up to rounding of a mean of ~1000 terms).
    assert np.all(np.diff(g.train_curve_) >= -1e-12)
    # The stopping rule: the first change below threshold_fit ends the fit.
    steps = np.abs(np.diff(g.train_curve_))
    assert steps[-1] < thr and np.all(steps[:-1] >= thr)
    assert g.lower_bound_ == g.train_curve_[-1]
    # Replay the fit with the public one-step kernel: curve entry t is the score of the model
    # before step t, on the training and validation rows (an int random_state is the seed).
    m = _core.initial_mixture(X, 3, "random", None, 1)
    for t in range(g.n_iter_):
        assert m.score_samples(V).mean() == pytest.approx(g.valid_curve_[t], rel=1e-12)
        m, ll = _core.em_step(m, X, 1e-15)
        assert ll == pytest.approx(g.train_curve_[t], rel=1e-12)
    np.testing.assert_allclose(m.means, g.means_, rtol=1e-12, atol=1e-12)


def test_curves_are_empty_unless_requested_and_max_iter_warns():
    X = sep3_data(400, seed=8)
    g = gmmi.GaussianMixture(3, init="random", random_state=1).fit(X, validation_data=X)
    assert g.train_curve_.size == 0 and g.valid_curve_.size == 0
    with pytest.warns(gmmi.ConvergenceWarning, match="max_iter"):
        h = gmmi.GaussianMixture(n_components=3, init="random", random_state=1, max_iter=2,
                                 record_curves=True).fit(X)
    assert h.converged_ is False and h.n_iter_ == 2 and len(h.train_curve_) == 2
    assert h.valid_curve_.size == 0  # no validation data given


# -- densities, transformations, sampling -------------------------------------------------------
def test_densities_match_the_reference_and_each_other():
    g = sep3()
    X = np.random.default_rng(10).normal(scale=5.0, size=(200, 2))
    want = ref.log_density(X, *map(np.asarray, SEP3))
    # Same tolerance and reasoning as tests/test_reference.py.
    np.testing.assert_allclose(g.score_samples(X), want, rtol=1e-12, atol=1e-12)
    assert g.score(X) == pytest.approx(want.mean(), rel=1e-12)
    comps = g.component_log_densities(X)
    np.testing.assert_allclose(np.logaddexp.reduce(comps, axis=1), want, rtol=1e-12)
    np.testing.assert_array_equal(g.predict(X), comps.argmax(axis=1))


def test_marginal_is_the_sub_block_mixture():
    g = gmmi.GaussianMixture.from_parameters(W3, M3, C3)
    m = g.marginal([2, 0])  # reordering is honoured
    np.testing.assert_array_equal(m.weights_, W3)
    np.testing.assert_array_equal(m.means_, np.asarray(M3)[:, [2, 0]])
    np.testing.assert_array_equal(m.covariances_, np.asarray(C3)[:, [2, 0]][:, :, [2, 0]])
    assert g.marginal(1).n_features == 1


def test_marginal_density_is_the_integral_of_the_joint():
    g = gmmi.GaussianMixture.from_parameters(*SEP3)
    m = g.marginal([0])
    for x in (-6.0, 0.5, 6.3):
        joint = quad(lambda y, x=x: np.exp(g.score_samples([[x, y]])[0]), -30, 30,
                     epsabs=1e-13, epsrel=1e-10, limit=200)[0]
        # quad on a smooth, rapidly decaying integrand: accurate to ~1e-10 relative.
        assert np.exp(m.score_samples([[x]])[0]) == pytest.approx(joint, rel=1e-8)


@pytest.mark.parametrize(
    ("dims", "exc", "match"),
    [([3], ValueError, r"^dims"), ([0, 0], ValueError, r"^dims"), ([], ValueError, r"^dims"),
     ([0.5], TypeError, r"^dims"), ([True], TypeError, r"^dims")],
)
def test_marginal_rejects_bad_dims(dims, exc, match):
    with pytest.raises(exc, match=match):
        gmmi.GaussianMixture.from_parameters(W3, M3, C3).marginal(dims)


def test_affine_transforms_parameters_and_density_with_the_jacobian():
    g = gmmi.GaussianMixture.from_parameters(W3, M3, C3)
    a, b = np.array([2.0, -3.0, 0.5]), np.array([1.0, 0.5, -2.0])
    h = g.affine(a, b)
    np.testing.assert_allclose(h.means_, a * np.asarray(M3) + b, rtol=1e-15)
    np.testing.assert_allclose(h.covariances_, np.asarray(C3) * np.outer(a, a), rtol=1e-15)
    np.testing.assert_array_equal(h.weights_, W3)
    x = np.random.default_rng(11).normal(size=(50, 3))
    # p_Y(a x + b) = p_X(x) / |a_1 a_2 a_3|; both sides are ~1e-15 accurate log-densities.
    np.testing.assert_allclose(h.score_samples(a * x + b),
                               g.score_samples(x) - np.log(np.prod(np.abs(a))), rtol=1e-12)
    # A scalar scale and shift broadcast over the dimensions.
    assert g.affine(2.0, 1.0) == g.affine([2.0] * 3, [1.0] * 3)
    with pytest.raises(ValueError, match=r"^scale"):
        g.affine([1.0, 0.0, 1.0], 0.0)


def test_sample_follows_the_model():
    g = sep3()
    n = 20_000
    X, labels = g.sample(n, random_state=4)
    assert X.shape == (n, 2) and X.dtype == np.float64
    assert labels.shape == (n,) and np.issubdtype(labels.dtype, np.integer)
    # Label frequencies: binomial standard error <= sqrt(0.25 / 20000) = 0.0035; 5 of them.
    np.testing.assert_allclose(np.bincount(labels, minlength=3) / n, g.weights_, atol=0.018)
    for k in range(3):
        Xk = X[labels == k]
        # Per-component mean: standard error sqrt(S_jj / n_k) <= sqrt(2 / 3500) = 0.024;
        # covariance entries: sd <= sqrt(2 * 4 / 3500) = 0.048. Tolerances are ~5 of them.
        np.testing.assert_allclose(Xk.mean(axis=0), g.means_[k], atol=0.12)
        np.testing.assert_allclose(np.cov(Xk.T), g.covariances_[k], atol=0.25)
    X2, labels2 = g.sample(n, random_state=4)
    np.testing.assert_array_equal(X2, X)
    np.testing.assert_array_equal(labels2, labels)
    assert not np.array_equal(g.sample(10, random_state=5)[0], X[:10])
    with pytest.raises(ValueError, match=r"^n_samples"):
        g.sample(0)


@pytest.mark.parametrize(("k", "d"), [(1, 1), (3, 2), (2, 5)])
def test_aic_bic_match_the_formula(k, d):
    rng = np.random.default_rng(20 + k + d)
    w = rng.dirichlet(np.full(k, 2.0))
    m = rng.normal(scale=3.0, size=(k, d))
    a = rng.normal(size=(k, d, d))
    c = a @ a.transpose(0, 2, 1) / d + np.eye(d)
    g = gmmi.GaussianMixture.from_parameters(w, m, c)
    n = 333
    X, _ = g.sample(n, random_state=1)
    p = k - 1 + k * d + k * d * (d + 1) // 2
    assert g.n_parameters == p
    ll = n * ref.log_density(X, w, m, c).mean()
    assert g.aic(X) == pytest.approx(-2 * ll + 2 * p, rel=1e-12)
    assert g.bic(X) == pytest.approx(-2 * ll + p * np.log(n), rel=1e-12)
    assert g.aic(X) == pytest.approx(-2 * n * g.score(X) + 2 * p, rel=1e-12)


# -- persistence --------------------------------------------------------------------------------
def test_pickle_round_trip_of_a_fitted_model():
    X = sep3_data(500, seed=8)
    g = gmmi.GaussianMixture(n_components=3, random_state=0, record_curves=True).fit(X)
    h = pickle.loads(pickle.dumps(g))
    assert h == g and h is not g
    assert (h.n_iter_, h.converged_, h.lower_bound_) == (g.n_iter_, g.converged_,
                                                         g.lower_bound_)
    np.testing.assert_array_equal(h.train_curve_, g.train_curve_)
    np.testing.assert_array_equal(h.score_samples(X), g.score_samples(X))
    np.testing.assert_array_equal(h.cholesky_factors_, g.cholesky_factors_)


def test_pickle_round_trip_of_unfitted_and_constructed_models():
    u = pickle.loads(pickle.dumps(gmmi.GaussianMixture()))
    assert u == gmmi.GaussianMixture() and repr(u) == "GaussianMixture(n_components=1; unfitted)"
    v = pickle.loads(pickle.dumps(gmmi.GaussianMixture(3, init="random", tol=1e-3)))
    assert v.get_params() == gmmi.GaussianMixture(3, init="random", tol=1e-3).get_params()
    g = gmmi.GaussianMixture.from_parameters(W3, M3, C3)
    h = pickle.loads(pickle.dumps(g))
    assert h == g and h.n_iter_ is None
    assert h != gmmi.GaussianMixture.from_parameters(W3[::-1], M3, C3)


# -- input handling -----------------------------------------------------------------------------
def test_input_layouts_and_dtypes_give_the_same_results():
    X = sep3_data(400, seed=9)
    g = gmmi.GaussianMixture(n_components=2, init="random", random_state=0).fit(X)
    want = g.score_samples(X)
    ro = X.copy()
    ro.setflags(write=False)
    wide = np.zeros((400, 5))
    wide[:, 1::3] = X  # a non-contiguous (strided) view
    variants = {
        "fortran": np.asfortranarray(X),
        "read-only": ro,
        "strided": wide[:, 1::3],
        "reversed": X[::-1][::-1],
        "list": X.tolist(),
    }
    for name, v in variants.items():
        np.testing.assert_array_equal(g.score_samples(v), want, err_msg=name)
        fit = gmmi.GaussianMixture(n_components=2, init="random", random_state=0).fit(v)
        assert fit == g, name
    # float32 and int64 are converted to float64 (the same values give the same model).
    x32 = X.astype(np.float32)
    assert (gmmi.GaussianMixture(n_components=2, init="random", random_state=0).fit(x32)
            == gmmi.GaussianMixture(n_components=2, init="random",
                                    random_state=0).fit(x32.astype(np.float64)))
    np.testing.assert_array_equal(g.score_samples(x32), g.score_samples(x32.astype(float)))
    xi = np.round(X * 10).astype(np.int64)
    assert (gmmi.GaussianMixture(n_components=2, random_state=0).fit(xi)
            == gmmi.GaussianMixture(n_components=2, random_state=0).fit(xi.astype(float)))


def test_one_dimensional_input_is_one_column():
    x = sep3_data(300, seed=10)[:, 0]
    a = gmmi.GaussianMixture(n_components=2, random_state=0).fit(x)
    b = gmmi.GaussianMixture(n_components=2, random_state=0).fit(x[:, None])
    assert a == b and a.n_features == 1
    np.testing.assert_array_equal(a.score_samples(x), b.score_samples(x[:, None]))
    assert a.score_samples(x).shape == (300,)
    # 1-D integer input.
    c = gmmi.GaussianMixture(n_components=1).fit(np.arange(50, dtype=np.int64) % 7)
    assert c.means_[0, 0] == pytest.approx(np.mean(np.arange(50) % 7), rel=1e-12)


def test_score_samples_does_not_modify_its_input():
    X = sep3_data(100, seed=11)
    before = X.copy()
    g = gmmi.GaussianMixture(n_components=3, random_state=0).fit(X)
    g.score_samples(X)
    g.predict_proba(X)
    np.testing.assert_array_equal(X, before)


@pytest.mark.parametrize(
    ("X", "kwargs", "exc", "match"),
    [
        (np.array([[0.0, np.nan]] * 10), {}, ValueError, r"^X: contains NaN"),
        (np.array([[0.0, np.inf]] * 10), {}, ValueError, r"^X: contains inf"),
        (np.array([[0.0, -np.inf]] * 10), {}, ValueError, r"^X: contains -inf"),
        (np.zeros((3, 2)), {"n_components": 4}, ValueError, r"^n_components: 4 components"),
        (np.zeros((10, 2)), {"n_components": 0}, ValueError, r"^n_components"),
        (np.zeros((10, 2)), {"n_components": 1.5}, TypeError, r"^n_components"),
        (np.zeros((10, 2, 2)), {}, ValueError, r"^X: expected a 1-D or 2-D array"),
        (np.zeros((0, 2)), {}, ValueError, r"^X: is empty"),
        (None, {}, TypeError, r"^X"),
        (np.ones((10, 2)), {"init": "nope"}, ValueError, r"^init"),
        (np.ones((10, 2)), {"tol": 0.0}, ValueError, r"^tol"),
        (np.ones((10, 2)), {"n_init": 0}, ValueError, r"^n_init"),
        (np.ones((10, 2)), {"covariance_type": "diag"}, ValueError, r"^covariance_type"),
        (np.ones((10, 2)), {"max_iter": 0}, ValueError, r"^max_iter"),
        (np.ones((10, 2)), {"reg_covar": -1.0}, ValueError, r"^reg_covar"),
        (np.ones((10, 2)), {"validation_data": np.ones((5, 3))}, ValueError,
         r"^validation_data: expected 2 columns"),
        (np.ones((10, 2)), {"validation_data": [[np.nan, 0.0]]}, ValueError,
         r"^validation_data: contains NaN"),
        (np.ones((10, 2), dtype=complex), {}, TypeError, r"^X: complex"),
        (np.ones((10, 2), dtype=bool), {}, TypeError, r"^X: boolean"),
        (np.array([["a", "b"]] * 10), {}, TypeError, r"^X: expected numbers"),
    ],
)
def test_bad_fit_inputs_name_the_argument(X, kwargs, exc, match):
    fit_kwargs = {k: kwargs.pop(k) for k in list(kwargs) if k == "validation_data"}
    with pytest.raises(exc, match=match):
        gmmi.GaussianMixture(**kwargs).fit(X, **fit_kwargs)


@pytest.mark.parametrize(
    ("X", "exc", "match"),
    [
        (np.zeros((5, 3)), ValueError, r"^X has 3 features, but GaussianMixture is expecting 2"),
        (np.zeros(5), ValueError, r"^X has 1 features, but GaussianMixture is expecting 2"),
        (np.array([[0.0, np.nan]]), ValueError, r"^X: contains NaN"),
        (np.zeros((2, 2, 2)), ValueError, r"^X: expected a 1-D or 2-D array"),
    ],
)
@pytest.mark.parametrize(
    "method", ["score_samples", "component_log_densities", "predict_proba", "aic", "bic"]
)
def test_bad_scoring_inputs_name_the_argument(method, X, exc, match):
    with pytest.raises(exc, match=match):
        getattr(sep3(), method)(X)


def test_fit_replaces_the_previous_model_and_returns_self():
    g = gmmi.GaussianMixture.from_parameters(W3, M3, C3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = g.set_params(n_components=3, random_state=0).fit(sep3_data(300, seed=12))
    assert out is g and g.n_features == 2 and g.n_iter_ is not None


def test_core_reads_c_ordered_arrays_in_place_and_copies_others():
    # The extension reads a C-contiguous float64 array's memory as it is and copies any other
    # layout to row-major first: a Fortran-ordered or strided view must give the same
    # numbers as its C-ordered copy (a wrong layout would mix up rows and columns).
    from gmmi import _core

    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 3))
    core = _core.GaussianMixture(np.array([0.4, 0.6]), rng.normal(size=(2, 3)),
                                 np.stack([np.eye(3), 2 * np.eye(3)]))
    want = core.score_samples(np.ascontiguousarray(X))
    np.testing.assert_array_equal(core.score_samples(np.asfortranarray(X)), want)
    wide = np.ascontiguousarray(np.hstack([X, X]))[:, ::2]  # strided, not contiguous
    np.testing.assert_array_equal(core.score_samples(np.ascontiguousarray(wide)),
                                  core.score_samples(wide))


def test_dims_far_points_and_scales_are_checked_naming_the_argument():
    g = gmmi.GaussianMixture.from_parameters([1.0], [[0.0, 0.0]], [[[1.0, 0.6], [0.6, 1.0]]])
    with pytest.raises(ValueError, match=r"^y_dims: -1 is out of range for 2"):
        g.mutual_information([0], [-1])
    with pytest.raises(TypeError, match=r"^x_dims: expected a sequence of integers"):
        g.mutual_information(0, 1)
    for call in (g.mutual_information, lambda a, b: g.pointwise_mutual_information(
            [[0.0, 0.0]], a, b)):
        with pytest.raises(TypeError, match=r"^x_dims: expected integers, got 0.9"):
            call([0.9], [1.7])  # silently truncated to [0], [1] before
    # Far but finite: every density underflows to 0, and -inf - -inf was a silent NaN.
    with pytest.raises(ValueError, match=r"^X: row 0 lies so far from the mixture"):
        g.pointwise_mutual_information([[1e155, 1e155], [0.0, 0.0]], [0], [1])
    for scale in (1e200, 1e-200):  # the variances' scale^2 overflows / underflows
        with pytest.raises(ValueError, match=r"^scale: .* out of double precision"):
            g.affine(scale, 0.0)
    assert g.affine(2.0, 1.0).mutual_information([0], [1], integral="quadrature") == \
        pytest.approx(-0.5 * np.log(1 - 0.6**2), rel=1e-12)  # MI is invariant


class _WithExtra(gmmi.GaussianMixture):
    def __init__(self, n_components=1, extra=5, **kwargs):
        super().__init__(n_components, **kwargs)
        self.extra = extra


def test_the_estimator_protocol_keeps_names_params_and_attributes():
    import copy
    import pickle

    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"a": rng.normal(size=200), "b": 10 * rng.normal(size=200)})
    g = gmmi.GaussianMixture(n_jobs=1, random_state=0).fit(df)
    # Reordered or renamed columns were scored as the other variables (-61.7 for -5.1).
    with pytest.raises(ValueError, match=r"^X: the feature names should match those seen"):
        g.score(df[["b", "a"]])
    assert g.score(df) == g.score(df.to_numpy())
    # A subclass's own hyperparameter and a user's attribute survive pickle and deepcopy.
    s = _WithExtra(2, extra=7, n_jobs=1)
    s.note = "x"
    for back in (pickle.loads(pickle.dumps(s)), copy.deepcopy(s)):
        assert (back.extra, back.note, back.get_params()["extra"]) == (7, "x", 7)
    # An array hyperparameter (refused by fit) does not break repr or ==.
    odd = gmmi.GaussianMixture(tol=np.array([1e-3, 1e-4]))
    assert "tol=array(" in repr(odd) and odd == gmmi.GaussianMixture(tol=np.array([1e-3, 1e-4]))


def test_parameters_and_maps_beyond_double_precision_are_refused_by_name():
    with pytest.raises(ValueError, match=r"^covariances: component 0 has a variance below"):
        gmmi.GaussianMixture.from_parameters([1.0], [[0.0]], [[[1e-310]]])
    g = gmmi.GaussianMixture.from_parameters([1.0], [[1e308]], [[[1.0]]])
    with pytest.raises(ValueError, match=r"^scale, shift: .* beyond double precision"):
        g.affine(1.0, 1e308)
    for bad in ("a", 1j, None):
        with pytest.raises(TypeError, match=r"^scale: expected a real number"):
            g.affine(bad, 0.0)
    rep = gmmi.Representation("asinh", columns=[{"map": "asinh", "centre": 0.0, "scale": 1.0}])
    assert rep.apply([[1e308]])[0, 0] == pytest.approx(np.arcsinh(1e308), rel=1e-12)
    with pytest.raises(ValueError, match=r"^data: expected 1 columns"):
        rep.apply(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"^scale: the fit failed from the starts scale=1e\+10"):
        gmmi.GaussianMixture(2, init="randomized_kmeans", scale=1e10, n_jobs=1,
                             random_state=0).fit(np.random.default_rng(0).normal(size=(100, 2)))


def test_parameters_in_single_precision_are_taken_to_their_precision():
    # A model fitted to float32 data holds weights that sum to 1 and covariances that are
    # symmetric only to float32's rounding (1e-8 off and 1e-7 asymmetric are within it).
    w = np.array([0.2, 0.3, 0.5], dtype=np.float32)
    w[2] = np.float32(1.0) - w[0] - w[1] + np.float32(6e-8)  # off by a few float32 units
    assert abs(float(w.astype(np.float64).sum()) - 1.0) > 1e-8
    m = np.zeros((3, 2), dtype=np.float32)
    c = np.tile(np.array([[1.0, 0.3], [0.3, 1.0]], dtype=np.float32), (3, 1, 1))
    c[1, 1, 0] = np.float32(0.30000007)  # one float32 unit of asymmetry
    g = gmmi.GaussianMixture.from_parameters(w, m, c)
    assert abs(g.weights_.sum() - 1.0) < 1e-15
    np.testing.assert_array_equal(g.covariances_[1], g.covariances_[1].T)
    # The same values in double precision are held to double precision.
    with pytest.raises(ValueError, match=r"weights: must sum to 1, they sum to 0\.999999 "
                                         r"\(divide them by their sum"):
        gmmi.GaussianMixture.from_parameters([0.333333] * 3, m, c.astype(np.float64))
    with pytest.raises(ValueError, match="not symmetric"):
        gmmi.GaussianMixture.from_parameters([1.0], [[0.0, 0.0]],
                                             [[[1.0, 0.3], [0.3000001, 1.0]]])


def test_a_far_value_whose_sd_swamps_the_bulk_by_reg_covar_is_named():
    # With standardize=True reg_covar is added in units of the column's sd, which one value
    # at 1e5 among 2,000 N(0, 1) values makes 2.2e3: 1e-6 of its square adds 5 to the bulk's
    # variance of 1 (scikit-learn adds reg_covar in the data's units). Said, not silent.
    rng = np.random.default_rng(5)
    x = rng.normal(size=2000)
    x[0] = 1e5
    with pytest.warns(gmmi.DegenerateWarning, match=r"^X: a few far values make its standard "
                                                    r"deviation 2\.24e\+03"):
        g = gmmi.GaussianMixture(2, random_state=0).fit(x[:, None])
    assert g.covariances_.max() > 5.0  # the regularisation's spread, as the warning says
    # In the data's units (standardize=False) the bulk keeps its own spread, without a word.
    with warnings.catch_warnings():
        warnings.simplefilter("error", gmmi.DegenerateWarning)
        h = gmmi.GaussianMixture(2, random_state=0, standardize=False).fit(x[:, None])
    # the bulk's component keeps the bulk's variance (1; its estimate from 2,000 rows is
    # within a few hundredths, the far value's component sits on it alone)
    assert abs(h.covariances_[np.argmax(h.weights_)].item() - 1.0) < 0.1
    # An entropy names it too, without advising a map (a map changes an entropy).
    x[0] = 1e7
    with pytest.warns(gmmi.DegenerateWarning, match=r"swamps the bulk's variance .*: remove "
                                                    r"the far values or lower reg_covar"):
        gmmi.entropy(x, n_bootstrap=2, mc_samples=1000, random_state=0)


@pytest.mark.parametrize("n", [1, 2, 7, 10, 2001])
def test_the_cores_robust_sd_is_numpys_median_absolute_deviation(n):
    # The regularisation check above takes each column's 1.4826 MAD from the core
    # (linear-time selection); it must be NumPy's median of |x - median(x)| (the mean of the
    # two middle values for an even count), with ties, a far value and a constant column.
    rng = np.random.default_rng(n)
    block = np.column_stack([rng.standard_t(2, size=n), np.round(rng.normal(size=n)),
                             np.full(n, 3.5)])
    block[0, 0] = 1e12
    med = np.median(block, axis=0)
    expected = 1.4826 * np.median(np.abs(block - med), axis=0)
    got = gmmi._core.column_robust_sd(block)
    # The same selections of the same values: equal up to the last bit of the final product.
    np.testing.assert_allclose(got, expected, rtol=1e-15, atol=0)
    assert got[2] == 0.0


def test_constant_data_fit_to_reg_covar_at_every_row_count():
    # Ten rows of (1, 1): the mean rounds off 1 and the unregularised start is a rank-one
    # matrix of about 1e-32, which the start's fallback used to leave singular ("fewer
    # distinct rows than components", with one row and one component); 2, 3, 5 or 20 rows
    # rounded exactly. As scikit-learn, the fit is the point with covariance reg_covar I.
    for n in (2, 3, 5, 10, 11, 20, 33):
        for init in ("kmeans_sklearn", "random_sklearn"):
            g = gmmi.GaussianMixture(1, init=init, random_state=0).fit(np.ones((n, 2)))
            np.testing.assert_allclose(g.means_, [[1.0, 1.0]], rtol=1e-12)
            np.testing.assert_allclose(g.covariances_[0], g.reg_covar * np.eye(2), rtol=0.01,
                                       atol=1e-20)
