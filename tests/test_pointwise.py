"""Pointwise mutual information: closed forms, its mean under the model, uncertainty from the
bootstrap models, conditional PMI, representations, persistence and bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import multivariate_normal

import gmmi
from gmmi.representation import Representation


def gaussian_pmi(points: np.ndarray, mean: np.ndarray, cov: np.ndarray, xs: list[int],
                 ys: list[int]) -> np.ndarray:
    """Closed-form PMI of a Gaussian: ln N(x, y) - ln N(x) - ln N(y) with its marginals."""
    def logn(dims: list[int]) -> np.ndarray:
        return multivariate_normal(mean[dims], cov[np.ix_(dims, dims)]).logpdf(points[:, dims])

    return logn(xs + ys) - logn(xs) - logn(ys)


def test_model_pmi_of_bivariate_gaussian_equals_closed_form():
    rho = 0.6
    g = gmmi.GaussianMixture.from_parameters([1.0], [[0.0, 0.0]], [[[1.0, rho], [rho, 1.0]]])
    pts = np.random.default_rng(0).normal(size=(200, 2)) * 2
    x, y = pts[:, 0], pts[:, 1]
    closed = (-0.5 * math.log(1 - rho**2)
              - (rho**2 * x**2 - 2 * rho * x * y + rho**2 * y**2) / (2 * (1 - rho**2)))
    # Both are exact: agreement to rounding (values up to ~10 nat).
    np.testing.assert_allclose(g.pointwise_mutual_information(pts, [0], [1]), closed,
                               rtol=0, atol=1e-10)
    bits = g.pointwise_mutual_information(pts, [0], [1], base="bit")
    np.testing.assert_allclose(bits, closed / math.log(2), rtol=0, atol=1e-10)


def test_model_pmi_multivariate_and_conditional_closed_forms():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(4, 4))
    cov = a @ a.T + 0.5 * np.eye(4)
    mean = rng.normal(size=4)
    g = gmmi.GaussianMixture.from_parameters([1.0], [mean], [cov])
    pts = rng.multivariate_normal(mean, cov, size=100)
    np.testing.assert_allclose(g.pointwise_mutual_information(pts, [0, 2], [1]),
                               gaussian_pmi(pts, mean, cov, [0, 2], [1]), rtol=0, atol=1e-9)

    def logn(dims: list[int]) -> np.ndarray:
        return multivariate_normal(mean[dims], cov[np.ix_(dims, dims)]).logpdf(pts[:, dims])

    closed = logn([0, 1, 3]) + logn([3]) - logn([0, 3]) - logn([1, 3])
    np.testing.assert_allclose(g.pointwise_mutual_information(pts, [0], [1], [3]), closed,
                               rtol=0, atol=1e-9)


def test_model_pmi_bad_dims():
    g = gmmi.GaussianMixture.from_parameters([1.0], [[0.0, 0.0]], [[[1.0, 0.5], [0.5, 1.0]]])
    with pytest.raises(ValueError, match="overlap"):
        g.pointwise_mutual_information([[0.0, 0.0]], [0], [0])
    with pytest.raises(ValueError, match="x_dims, y_dims"):
        g.pointwise_mutual_information([[0.0, 0.0]], [], [1])
    with pytest.raises(TypeError, match="x_dims"):
        g.pointwise_mutual_information([[0.0, 0.0]], 0, [1])


@pytest.fixture(scope="module")
def gaussian_pmi_run():
    rho = 0.6
    cov = np.array([[1.0, rho], [rho, 1.0]])
    xy = np.random.default_rng(2).multivariate_normal([0, 0], cov, size=4000)
    p = gmmi.pointwise_mutual_information(xy[:, 0], xy[:, 1], n_components=1, n_bootstrap=30,
                                          random_state=3, n_draws=20_000)
    return xy, cov, p


def test_estimated_pmi_is_close_to_the_truth_with_honest_spread(gaussian_pmi_run):
    xy, cov, p = gaussian_pmi_run
    truth = gaussian_pmi(xy, np.zeros(2), cov, [0], [1])
    z = np.abs(p.values - truth) / p.std
    # If the replicate models' spread is the PMI's sampling error, each |error| / std is a
    # |N(0, 1)| variable (median 0.67). The errors of all samples come from the same five
    # fitted parameters, so the largest of them is at most the parameter error's norm in
    # standard units, a chi variable with 5 degrees of freedom: above 4.5 with probability
    # 0.001. (The error itself reaches 0.13 nat in the tails, where the PMI is steep.)
    assert 0.3 < np.median(z) < 1.5
    assert z.max() < 4.5
    lo, hi = p.ci(0.95)
    assert lo.shape == hi.shape == p.values.shape and (lo <= hi).all()


def test_profile_mean_is_the_mi_of_the_full_data_model(gaussian_pmi_run):
    _, _, p = gaussian_pmi_run
    r = p.result
    err = r.details.get("integration_error", 0.0)
    # Two independent Monte Carlo estimates of the same integral: within 4 combined
    # standard errors.
    assert abs(p.profile_mean - r.full_value) < 4 * math.hypot(p.profile_error, err)
    # Each replicate's profile mean is its model's MI: their spread matches the replicates'.
    assert abs(np.std(p.profile_mean_samples, ddof=1) - r.std) < 0.5 * r.std
    assert p.profile.shape == p.profile_levels.shape == (199,)
    assert (np.diff(p.profile) >= 0).all()
    lo, hi = p.profile_ci(0.9)
    assert (lo <= hi).all()


def test_keeping_models_changes_no_number(gaussian_pmi_run):
    xy, _, p = gaussian_pmi_run
    r = gmmi.mutual_information(xy[:, 0], xy[:, 1], n_components=1, n_bootstrap=30,
                                random_state=3)
    assert r.mean == p.result.mean and r.full_value == p.result.full_value
    np.testing.assert_array_equal(r.samples, p.result.samples)
    assert r.bootstrap_models == [] and len(p.result.bootstrap_models) == 30
    assert p.n_models == 30 and p.samples.shape == (30, xy.shape[0])


def test_pointwise_of_a_plain_result_has_no_uncertainty():
    rng = np.random.default_rng(4)
    x = rng.normal(size=800)
    y = x + rng.normal(size=800)
    r = gmmi.mutual_information(x, y, n_bootstrap=5, random_state=0)
    p = r.pointwise(x[:10], y[:10], n_draws=1000)
    assert p.n_models == 0 and p.samples.shape == (0, 10)
    assert np.isnan(p.std).all()
    with pytest.raises(ValueError, match="bootstrap models"):
        p.ci()
    np.testing.assert_array_equal(
        p.values, r.model.pointwise_mutual_information(r.transform.apply(np.column_stack(
            [x[:10], y[:10]])), [0], [1]))


def test_pointwise_is_deterministic_and_thread_independent():
    rng = np.random.default_rng(5)
    x = rng.normal(size=600)
    y = np.sin(x) + 0.3 * rng.normal(size=600)
    kw = {"n_bootstrap": 6, "random_state": 11, "n_draws": 3000}
    a = gmmi.pointwise_mutual_information(x, y, n_jobs=1, **kw)
    b = gmmi.pointwise_mutual_information(x, y, n_jobs=2, **kw)
    for field in ("values", "samples", "profile", "profile_samples"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    assert a.profile_mean == b.profile_mean


def test_conditional_pmi_mean_is_the_cmi():
    rng = np.random.default_rng(6)
    z = rng.normal(size=3000)
    x = z + rng.normal(size=3000)
    y = z + 0.5 * x + rng.normal(size=3000)
    p = gmmi.pointwise_mutual_information(x, y, z, n_bootstrap=4, random_state=0,
                                          n_draws=40_000)
    r = p.result
    assert r.quantity == "conditional_mutual_information" and p.n_columns == (1, 1, 1)
    # full_value is a Monte Carlo integral of 400,000 draws (sd(pmi) ~ 0.5: error ~1e-3);
    # the profile mean one of 40,000: within 4 combined standard errors.
    assert abs(p.profile_mean - r.full_value) < 4 * math.hypot(p.profile_error, 1e-3)
    # Truth of this Gaussian chain: I(X;Y|Z) = -ln(1 - rho^2)/2 with the partial
    # correlation rho = 0.5 / sqrt(1.25): 0.1116 nat.
    assert abs(r.full_value - 0.5 * math.log(1.25)) < 0.04
    with pytest.raises(ValueError, match="z: this is a conditional"):
        r.pointwise(x, y)


def test_pmi_of_a_mapped_fit_is_the_pmi_of_the_density_in_original_units():
    rng = np.random.default_rng(7)
    x = rng.normal(size=2000)
    y = np.exp(x + 0.7 * rng.normal(size=2000))
    p = gmmi.pointwise_mutual_information(x, y, transform="gaussianize", n_bootstrap=3,
                                          random_state=1, n_draws=20_000)
    r = p.result
    rep = r.transform
    assert any(c["map"] != "identity" for c in rep.columns)
    xy = np.column_stack([x, y])
    u, lj = rep.apply(xy, return_log_jacobian=True)
    _, lj_x = Representation(rep.name, rep.columns[:1], []).apply(xy[:, :1], True)
    _, lj_y = Representation(rep.name, rep.columns[1:], []).apply(xy[:, 1:], True)
    m = r.model
    joint = m.score_samples(u) + lj
    px = m.marginal([0]).score_samples(u[:, :1]) + lj_x
    py = m.marginal([1]).score_samples(u[:, 1:]) + lj_y
    # The densities in the original units, each with its own Jacobian: the Jacobians cancel.
    np.testing.assert_allclose(p.values, joint - px - py, rtol=0, atol=1e-9)
    err = r.details.get("integration_error", 0.0)
    assert abs(p.profile_mean - r.full_value) < 4 * math.hypot(p.profile_error, err)


def test_units_follow_the_result():
    rng = np.random.default_rng(8)
    x = rng.normal(size=500)
    y = x + rng.normal(size=500)
    nat = gmmi.mutual_information(x, y, n_bootstrap=0, random_state=0)
    bit = gmmi.mutual_information(x, y, n_bootstrap=0, random_state=0, base=2)
    pn, pb = nat.pointwise(x, y, n_draws=500), bit.pointwise(x, y, n_draws=500)
    assert pb.unit == "bit"
    np.testing.assert_allclose(pb.values, pn.values / math.log(2), rtol=1e-12)
    b3 = gmmi.mutual_information(x, y, n_bootstrap=0, random_state=0, base=3)
    np.testing.assert_allclose(b3.pointwise(x, y, n_draws=500).values,
                               pn.values / math.log(3), rtol=1e-12)


def test_saved_bootstrap_models_come_back(tmp_path):
    rng = np.random.default_rng(9)
    x = rng.normal(size=400)
    y = x + rng.normal(size=400)
    p = gmmi.pointwise_mutual_information(x, y, n_bootstrap=4, random_state=0, n_draws=500)
    path = tmp_path / "r.json"
    p.result.save(path)
    back = gmmi.load(path)
    assert back == p.result and len(back.bootstrap_models) == 4
    np.testing.assert_array_equal(back.pointwise(x, y, n_draws=500).samples, p.samples)


def test_bad_input_is_named():
    rng = np.random.default_rng(10)
    x = rng.normal(size=300)
    y = x + rng.normal(size=300)
    r = gmmi.mutual_information(x, y, n_bootstrap=0, random_state=0)
    with pytest.raises(ValueError, match="y: has 2 columns"):
        r.pointwise(x, np.column_stack([y, y]))
    with pytest.raises(ValueError, match="y: has 299 rows"):
        r.pointwise(x, y[:-1])
    with pytest.raises(ValueError, match="x"):
        r.pointwise(np.where(np.arange(300) == 3, np.nan, x), y)
    with pytest.raises(ValueError, match="z: this result is not conditional"):
        r.pointwise(x, y, y)
    with pytest.raises(ValueError, match="n_draws"):
        r.pointwise(x, y, n_draws=1)
    labels = (x > 0).astype(int)
    cat = gmmi.mutual_information(x, labels, discrete_y=True, n_bootstrap=0, random_state=0)
    with pytest.raises(ValueError, match="result: pointwise MI needs the joint"):
        cat.pointwise(x, labels)
    with pytest.raises(TypeError, match="discrete_y"):
        gmmi.pointwise_mutual_information(x, labels, discrete_y=True)


def test_plots(gaussian_pmi_run):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    _, _, p = gaussian_pmi_run
    ax = p.plot()
    assert ax.get_xlabel() == "pointwise MI (nat)" and len(ax.collections) >= 1  # the band
    ax = p.plot("samples")
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("x", "y")
    with pytest.raises(ValueError, match="kind"):
        p.plot("histogram")
    with pytest.raises(ValueError, match="dims"):
        p.plot("samples", dims=(0, 5))
    plt.close("all")
