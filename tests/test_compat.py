"""gmmi.compat: the published package's API (gmm-mi, Piras et al.), computed by gmmi."""

from __future__ import annotations

import inspect
import math

import numpy as np
import pytest

import gmmi
from gmmi import compat
from gmmi.compat import (
    EstimateMI,
    GMMFitParamHolder,
    MIDistParamHolder,
    NotFittedError,
    SelectComponentsParamHolder,
)

SMALL = MIDistParamHolder(n_bootstrap=10, MC_samples=5000)
KL_N01_N14 = math.log(2) + 2 / 8 - 0.5  # KL(N(0,1) || N(1,4)) = ln(s2/s1) + (s1² + Δ²)/(2 s2²) - ½
KL_N14_N01 = math.log(0.5) + (4 + 1) / 2 - 0.5  # KL(N(1,4) || N(0,1))


def published_example() -> np.ndarray:
    """The data of the published README example (truth 0.223 nat)."""
    rng = np.random.default_rng(0)
    return rng.multivariate_normal([0, 0], [[1, 0.6], [0.6, 1]], 200)


# -- the published examples -------------------------------------------------------------
def test_published_readme_example_with_defaults():
    X = published_example()
    est = EstimateMI()
    MI_mean, MI_std = est.fit_estimate(X)
    # The published package reports 0.214 ± 0.043 nat on these data. Both are estimates of
    # the same fitted-model MI with different seeds, so one published std is the natural
    # yardstick; the bootstrap std itself must be of the published size (within a factor 2).
    assert abs(MI_mean - 0.214) < 0.043
    assert 0.043 / 2 < MI_std < 0.043 * 2
    assert (est.MI_mean, est.MI_std) == (MI_mean, MI_std)
    assert est.n_components == est.best_components == 1
    assert est.result is not None and est.result.n_bootstrap == 50  # published default
    assert est.result.options["mc_samples"] == 100_000 and est.result.unit == "nat"


def test_published_two_step_example_equals_one_call_and_gmmi():
    # The README's second example "is equivalent to the first example": holders, fit, then
    # estimate(mi_dist_params=...). Here both equal gmmi's one-call estimate bit for bit,
    # because fit and estimate share the seed and the warm start is re-derived from it.
    X = published_example()
    est = EstimateMI(gmm_fit_params=GMMFitParamHolder(threshold_fit=1e-5, reg_covar=1e-15),
                     select_components_params=SelectComponentsParamHolder(n_inits=3, n_folds=2))
    assert est.fit(X) is est and est.MI_mean is None  # fit alone estimates nothing
    two_step = est.estimate(mi_dist_params=SMALL)
    one_call = EstimateMI().fit_estimate(X, mi_dist_params=SMALL)
    r = gmmi.mutual_information(X[:, 0], X[:, 1], preset="published", n_bootstrap=10,
                                mc_samples=5000,
                                random_state=0)
    assert two_step == one_call == (r.mean, r.std)
    np.testing.assert_array_equal(est.result.samples, r.samples)


def test_signatures_follow_the_published_positional_order():
    # Positional calls written for the published package must mean the same thing here.
    def params(f):
        return list(inspect.signature(f).parameters)[:5]

    assert params(GMMFitParamHolder) == ["init_type", "scale", "threshold_fit", "reg_covar",
                                         "max_iter"]
    assert params(SelectComponentsParamHolder) == ["n_inits", "n_folds", "metric_method",
                                                   "threshold_components", "patience"]
    assert params(MIDistParamHolder)[:3] == ["n_bootstrap", "integral_method", "MC_samples"]
    assert params(EstimateMI.estimate) == ["self", "mi_dist_params", "base", "include_kl",
                                           "kl_order"]
    assert params(EstimateMI.fit_estimate) == ["self", "X", "Y", "mi_dist_params",
                                               "include_kl"]
    assert params(EstimateMI.fit_categorical) == ["self", "X", "Y", "verbose"]
    g = GMMFitParamHolder("kmeans", None, 1e-6)
    assert (g.init_type, g.threshold_fit) == ("kmeans", 1e-6)
    assert MIDistParamHolder(7, "MC", 1e3).MC_samples == 1000
    assert EstimateMI(g).gmm_fit_params == g  # positional holders


# -- holders pass through ---------------------------------------------------------------
def test_fixed_components_and_n_bootstrap_pass_through():
    X = published_example()
    est = EstimateMI(select_components_params=SelectComponentsParamHolder(
        fixed_components_number=2), mi_dist_params=MIDistParamHolder(n_bootstrap=7,
                                                                     MC_samples=2000))
    est.fit(X)
    assert est.n_components == 2  # the search was skipped
    assert est.result.selection[0].k == 2 and len(est.result.selection) == 1
    est.estimate()
    assert est.n_components == 2 and est.result.samples.size == 7
    # fixed_components in MIDistParamHolder: the bootstrap uses that K, not the selected one.
    est = EstimateMI().fit(X)
    assert est.n_components == 1
    est.estimate(MIDistParamHolder(n_bootstrap=3, MC_samples=1000, fixed_components=True,
                                   fixed_components_number=3))
    assert est.n_components == est.result.n_components == 3
    est.estimate(MIDistParamHolder(n_bootstrap=3, MC_samples=1000))  # back to the selected K
    assert est.n_components == 1


def test_every_holder_field_reaches_gmmi():
    X = published_example()
    est = EstimateMI(
        GMMFitParamHolder(init_type="kmeans", scale=None, threshold_fit=1e-4, reg_covar=1e-9,
                          max_iter=500),
        SelectComponentsParamHolder(n_inits=2, n_folds=3, metric_method="bic",
                                    threshold_components=1e-3, patience=2, max_components=4),
        MIDistParamHolder(n_bootstrap=4, integral_method="quad", MC_samples=1000),
        random_state=11,
    )
    est.fit_estimate(X)
    o = est.result.options
    assert (o["init"], o["scale"], o["threshold_fit"], o["reg_covar"], o["max_iter"]) == \
        ("kmeans", None, 1e-4, 1e-9, 500)
    assert (o["n_inits"], o["n_folds"], o["selection"], o["threshold_components"],
            o["patience"], o["max_components"]) == (2, 3, "bic", 1e-3, 2, 4)
    assert (o["n_bootstrap"], o["integral"], o["random_state"]) == (4, "quadrature", 11)
    assert est.result.selection[0].fold_scores.shape == (2, 3)  # n_inits x n_folds
    # init_type and scale are also accepted in SelectComponentsParamHolder, and win there.
    est = EstimateMI(select_components_params=SelectComponentsParamHolder(
        init_type="randomized_kmeans", scale=0.5), n_bootstrap=2, MC_samples=500)
    est.fit_estimate(X)
    assert (est.result.options["init"], est.result.options["scale"]) == \
        ("randomized_kmeans", 0.5)


def test_keyword_shortcuts_and_max_iter():
    X = published_example()
    est = EstimateMI(n_bootstrap=4, MC_samples=1e3, max_iter=3, init_type="minmax",
                     mi_dist_params=MIDistParamHolder(n_bootstrap=99))
    assert est.mi_dist_params.n_bootstrap == 4  # the keyword wins over the holder
    with pytest.warns(gmmi.ConvergenceWarning):  # max_iter=3 stops every fit early
        est.fit_estimate(X)
    o = est.result.options
    assert (est.result.samples.size, o["mc_samples"], o["max_iter"], o["init"]) == \
        (4, 1000, 3, "minmax")
    est = EstimateMI(fixed_components_number=2, n_bootstrap=2, MC_samples=500)
    est.fit_estimate(X)
    assert est.n_components == 2


def test_user_holders_are_not_modified_and_are_rechecked():
    mi = MIDistParamHolder(n_bootstrap=3, MC_samples=1000)
    est = EstimateMI(mi_dist_params=mi, n_bootstrap=2)
    assert mi.n_bootstrap == 3  # the shortcut changed a copy
    est.fit(published_example())
    est.mi_dist_params.MC_samples = 0  # edited after construction: caught at use
    with pytest.raises(ValueError, match=r"^MC_samples"):
        est.estimate()


def test_no_bootstrap():
    # Published: n_bootstrap < 1 means one fit on all the data and no uncertainty, whose
    # std is None there (code testing `MI_std is None` must keep working).
    est = EstimateMI(n_bootstrap=0, MC_samples=2000)
    MI_mean, MI_std = est.fit_estimate(published_example())
    assert MI_std is None and est.MI_std is None and MI_mean == est.result.full_value
    assert "±" not in repr(est)


def test_not_fitted_is_the_published_packages_error_too():
    # The published package raises scikit-learn's NotFittedError; code that catches it,
    # gmmi's own, or a ValueError keeps catching compat's.
    sklearn_exceptions = pytest.importorskip("sklearn.exceptions")
    for caught in (sklearn_exceptions.NotFittedError, gmmi.NotFittedError,
                   gmmi.compat.NotFittedError, ValueError):
        with pytest.raises(caught, match="call fit"):
            EstimateMI().estimate()


def test_not_fitted_errors_pickle_with_scikit_learn_imported():
    # The class that is also scikit-learn's is made at run time: an error raised in a
    # worker process must still reach its parent (it failed to pickle).
    import pickle

    pytest.importorskip("sklearn.exceptions")
    for call in (lambda: EstimateMI().estimate(),
                 lambda: gmmi.GaussianMixture().predict(np.zeros((3, 1)))):
        with pytest.raises(gmmi.NotFittedError) as info:
            call()
        back = pickle.loads(pickle.dumps(info.value))
        assert type(back) is type(info.value) and str(back) == str(info.value)


def test_a_failed_categorical_fit_keeps_the_previous_estimate():
    rng = np.random.default_rng(0)
    labels = np.repeat([0, 1], 150)
    x = rng.normal(3.0 * labels, 1.0)
    est = EstimateMI(n_bootstrap=3, MC_samples=2000)
    before = est.fit_estimate_categorical(x, labels)
    with pytest.raises(ValueError, match="missing"):
        est.fit_estimate_categorical(x, np.array([None] * 300, dtype=object))
    # The bad labels were not kept: the estimator is as it was, and estimates again.
    assert (est.MI_mean, est.MI_std) == before
    assert est.estimate_categorical() == before


# -- steps, seeds and units -------------------------------------------------------------
def test_fit_estimate_equals_fit_then_estimate_for_the_same_random_state():
    X = published_example()
    a = EstimateMI(mi_dist_params=SMALL, random_state=7).fit_estimate(X)
    est = EstimateMI(mi_dist_params=SMALL, random_state=7).fit(X[:, 0], X[:, 1])
    assert est.estimate() == a
    assert est.estimate() == a  # estimate is repeatable
    assert EstimateMI(mi_dist_params=SMALL, random_state=8).fit_estimate(X) != a
    # None draws a seed once, at construction: stored, and reused by every step.
    free = EstimateMI(mi_dist_params=SMALL, random_state=None)
    assert isinstance(free.random_state, int)
    assert free.fit_estimate(X) == free.fit_estimate(X) == \
        EstimateMI(mi_dist_params=SMALL, random_state=free.random_state).fit_estimate(X)


def test_base_two_gives_bits():
    X = published_example()
    nats = EstimateMI(mi_dist_params=SMALL).fit_estimate(X)
    est = EstimateMI(mi_dist_params=SMALL)
    bits = est.fit_estimate(X, base=2)
    # Same seed, same replicates: the unit change is an exact division by ln 2.
    assert bits[0] == pytest.approx(nats[0] / math.log(2), rel=1e-12)
    assert bits[1] == pytest.approx(nats[1] / math.log(2), rel=1e-12)
    assert est.result.unit == "bit"
    assert EstimateMI(mi_dist_params=SMALL).fit_estimate(X, base=np.exp(1)) == nats


def test_multivariate_x_and_y():
    # gmmi extension: X and Y with several columns. I = -½ ln det(1 - ρ² I₂) for two
    # independent pairs, each correlated with ρ = 0.6: twice the bivariate value.
    rng = np.random.default_rng(3)
    a = rng.multivariate_normal([0, 0], [[1, 0.6], [0.6, 1]], (2000, 2))
    est = EstimateMI(n_bootstrap=10, MC_samples=5000)
    MI_mean, MI_std = est.fit_estimate(a[:, :, 0], a[:, :, 1])
    truth = -math.log(1 - 0.36)
    # 4 bootstrap std: a 1-in-15000 false alarm for a Gaussian sampling distribution.
    assert abs(MI_mean - truth) < 4 * MI_std


def test_verbose_shows_a_progress_bar_only_with_tqdm(capsys, monkeypatch):
    pytest.importorskip("tqdm")
    X = published_example()
    quiet = EstimateMI(mi_dist_params=SMALL).fit_estimate(X)
    assert capsys.readouterr().err == ""
    assert EstimateMI(mi_dist_params=SMALL).fit_estimate(X, verbose=True) == quiet
    assert capsys.readouterr().err != ""  # the tqdm bar
    monkeypatch.setattr(compat, "_has_tqdm", lambda: False)
    assert EstimateMI(mi_dist_params=SMALL).fit_estimate(X, verbose=True) == quiet
    assert capsys.readouterr() == ("", "")


# -- KL divergence of the marginals ------------------------------------------------------
def test_include_kl():
    rng = np.random.default_rng(1)
    x, y = rng.normal(0, 1, 2000), rng.normal(1, 2, 2000)
    est = EstimateMI(mi_dist_params=SMALL)
    mi = est.fit_estimate(x, y, include_kl=True)
    assert mi == (est.MI_mean, est.MI_std)  # estimate still returns only the MI
    # 4 bootstrap std: a 1-in-15000 false alarm for a Gaussian sampling distribution.
    assert abs(est.KL_mean - KL_N01_N14) < 4 * est.KL_std
    est.estimate(include_kl=True, kl_order="reverse")
    assert abs(est.KL_mean - KL_N14_N01) < 4 * est.KL_std
    kl_nats = est.KL_mean
    est.estimate(include_kl=True, kl_order="reverse", base=2)
    assert est.KL_mean == pytest.approx(kl_nats / math.log(2), rel=1e-12)
    est.estimate()  # without include_kl the previous KL is not left behind
    assert est.KL_mean is None and est.KL_std is None
    # Identically distributed marginals: KL = 0. A KL estimate is >= 0 replicate by
    # replicate, so its mean sits above 0 by about its own spread; 4 std plus 0.005 nat (the
    # Monte Carlo floor at 5000 draws) bounds it.
    same = EstimateMI(mi_dist_params=SMALL)
    same.fit_estimate(rng.normal(size=2000), rng.normal(size=2000), include_kl=True)
    assert abs(same.KL_mean) < 4 * same.KL_std + 0.005


def test_include_kl_needs_one_dimensional_variables():
    X = np.random.default_rng(4).normal(size=(100, 3))
    est = EstimateMI(mi_dist_params=SMALL).fit(X[:, :2], X[:, 2])
    with pytest.raises(ValueError, match=r"^include_kl"):
        est.estimate(include_kl=True)
    with pytest.raises(ValueError, match=r"^kl_order"):
        est.estimate(include_kl=True, kl_order="backward")


# -- categorical ---------------------------------------------------------------------------
def test_categorical_balanced_separated_classes_give_ln2():
    rng = np.random.default_rng(2)
    y = np.repeat([0, 1], 500)
    X = rng.normal(30.0 * y, 1.0)
    est = EstimateMI(mi_dist_params=SMALL)
    MI_mean, MI_std = est.fit_estimate_categorical(X, y)
    # Classes 30 sigma apart overlap by ~exp(-112): every Monte Carlo term is -ln(1/2)
    # to rounding, and the stratified bootstrap keeps the class counts, so every replicate
    # is ln 2 up to floating-point error.
    assert MI_mean == pytest.approx(math.log(2), abs=1e-9) and MI_std < 1e-9
    assert est.n_components is None  # one K per class, in the details
    per_class = est.result.details["n_components_per_class"]
    assert set(per_class) == {0, 1}
    # fit_categorical + estimate_categorical gives the same (the per-class search is
    # repeated with the same seed); labels of any type, in bits, and the (n, 2) form.
    two = EstimateMI(mi_dist_params=SMALL).fit_categorical(X, y)
    assert two.result.details["n_components_per_class"] == per_class
    assert two.estimate_categorical() == (MI_mean, MI_std)
    named = EstimateMI(mi_dist_params=SMALL).fit_estimate_categorical(
        X, np.where(y == 1, "spiral", "elliptical"), base=2)
    assert named[0] == pytest.approx(1.0, abs=1e-9)  # 1 bit
    stacked = EstimateMI(mi_dist_params=SMALL).fit_categorical(np.column_stack([X, y]))
    assert stacked.estimate_categorical() == (MI_mean, MI_std)


def test_categorical_weights_classes_by_frequency():
    # The documented difference from the published package (which uses 1/C): separated
    # classes with frequencies 0.9/0.1 carry H(0.9, 0.1) = 0.325 nat, not ln 2.
    rng = np.random.default_rng(5)
    y = np.repeat([0, 1], [900, 100])
    X = rng.normal(30.0 * y, 1.0)
    MI_mean, _ = EstimateMI(mi_dist_params=SMALL).fit_estimate_categorical(X, y)
    h = -(0.9 * math.log(0.9) + 0.1 * math.log(0.1))
    assert MI_mean == pytest.approx(h, abs=1e-9)  # exact to rounding, as above


def test_categorical_fixed_components():
    rng = np.random.default_rng(6)
    y = np.repeat([0, 1], 300)
    X = rng.normal(3.0 * y, 1.0)
    est = EstimateMI(fixed_components_number=2, n_bootstrap=3, MC_samples=1000)
    est.fit_estimate_categorical(X, y)
    assert est.result.details["n_components_per_class"] == {0: 2, 1: 2}


# -- errors ------------------------------------------------------------------------------
def test_estimate_before_fit():
    with pytest.raises(NotFittedError, match=r"^estimate: call fit\(X\)"):
        EstimateMI().estimate()
    with pytest.raises(RuntimeError, match="fit_categorical"):
        EstimateMI().estimate_categorical()
    assert issubclass(NotFittedError, ValueError)  # as scikit-learn's, raised by gm-mi
    X = published_example()
    with pytest.raises(NotFittedError, match="estimate_categorical"):
        EstimateMI(mi_dist_params=SMALL).fit_categorical(X[:, 0], X[:, 1] > 0).estimate()
    with pytest.raises(NotFittedError, match="call estimate"):
        EstimateMI(mi_dist_params=SMALL).fit(X).estimate_categorical()


@pytest.mark.parametrize(("holder", "kwargs", "field"), [
    (GMMFitParamHolder, {"init_type": "nope"}, "init_type"),
    (GMMFitParamHolder, {"scale": -1.0}, "scale"),
    (GMMFitParamHolder, {"threshold_fit": 0.0}, "threshold_fit"),
    (GMMFitParamHolder, {"reg_covar": -1e-6}, "reg_covar"),
    (GMMFitParamHolder, {"max_iter": 0}, "max_iter"),
    (SelectComponentsParamHolder, {"n_inits": 0}, "n_inits"),
    (SelectComponentsParamHolder, {"n_folds": 1}, "n_folds"),
    (SelectComponentsParamHolder, {"metric_method": "loo"}, "metric_method"),
    (SelectComponentsParamHolder, {"threshold_components": -1.0}, "threshold_components"),
    (SelectComponentsParamHolder, {"patience": 0}, "patience"),
    (SelectComponentsParamHolder, {"max_components": 0}, "max_components"),
    (SelectComponentsParamHolder, {"fixed_components_number": -1}, "fixed_components_number"),
    (SelectComponentsParamHolder, {"init_type": "nope"}, "init_type"),
    (MIDistParamHolder, {"n_bootstrap": 10**9}, "n_bootstrap"),
    (MIDistParamHolder, {"integral_method": "simpson"}, "integral_method"),
    (MIDistParamHolder, {"MC_samples": 0}, "MC_samples"),
    (MIDistParamHolder, {"MC_samples": 10.5}, "MC_samples"),
    (MIDistParamHolder, {"fixed_components": True}, "fixed_components_number"),
])
def test_bad_holder_values_name_the_field(holder, kwargs, field):
    with pytest.raises(ValueError, match=rf"^{field}:"):
        holder(**kwargs)
    with pytest.raises(ValueError, match=rf"^{field}:"):  # the keyword shortcut too
        EstimateMI(**kwargs)


def test_other_bad_input():
    with pytest.raises(TypeError, match=r"^n_bootstraps: .*did you mean 'n_bootstrap'"):
        EstimateMI(n_bootstraps=3)
    with pytest.raises(TypeError, match=r"^mi_dist_params"):
        EstimateMI(mi_dist_params={"n_bootstrap": 3})
    with pytest.raises(TypeError, match=r"^n_bootstrap"):
        MIDistParamHolder(n_bootstrap="many")
    with pytest.raises(ValueError, match=r"^X: with Y=None"):
        EstimateMI().fit(np.random.default_rng(0).normal(size=(10, 3)))
    with pytest.raises(ValueError, match=r"^X: with Y=None"):
        EstimateMI().fit(np.arange(10.0))
    with pytest.raises(ValueError, match=r"^Y: has 5 rows but X has 10"):
        EstimateMI().fit(np.arange(10.0), np.arange(5.0))
    with pytest.raises(ValueError, match=r"^X: column 1 is constant"):
        EstimateMI().fit(np.column_stack([np.arange(10.0), np.ones(10)]))
    with pytest.raises(ValueError, match=r"^Y: has 3 rows"):
        EstimateMI().fit_categorical(np.arange(10.0), [0, 1, 0])
    with pytest.raises(ValueError, match=r"^random_state"):
        EstimateMI(random_state=-1)
    est = EstimateMI(mi_dist_params=SMALL).fit(published_example())
    with pytest.raises(TypeError, match=r"^include_kl"):
        est.estimate(include_kl="yes")
    with pytest.raises(ValueError, match=r"^base"):
        est.estimate(base=1.0)


# -- the published package's own test file, call by call -----------------------------------
# gmm-mi's tests/test_sample.py (at its release 0.8.2) runs these calls after
# `from gmm_mi.mi import EstimateMI`; with only that import pointed at gmmi.compat they must
# all run. (Its assertions on the exact published numbers depend on that package's random
# streams and are not repeated; benches/published_tests.py runs the file itself.)
def test_the_published_test_files_calls_run():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    X = published_example()
    one = EstimateMI()
    m1, s1 = one.fit_estimate(X)
    m2, s2 = EstimateMI().fit_estimate(X[:, 0], X[:, 1])
    assert (m1, s1) == (m2, s2)  # one 2-D array or two 1-D arrays: the same estimate
    # The truth, 0.223 nat, within 3 bootstrap std of the published preset's estimate.
    assert abs(m1 - 0.2231) < 3 * s1
    _, ax = plt.subplots(1, 1, figsize=(10, 10))
    ax.scatter(X[:, 0], X[:, 1], label="Input data")
    ax = one.plot_fitted_model(ax=ax, color="salmon", alpha=0.8, linewidth=4)
    ax.tick_params(axis="both", which="both", labelsize=20)
    ax.set_xlabel("X", fontsize=30)
    ax.legend(fontsize=25, frameon=False)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["Input data", "Fitted model"]
    # Two ellipses (1 and 2 std) per component, drawn with the given style.
    assert len(ax.patches) == 2 * one.n_components
    assert ax.patches[0].get_linewidth() == 4 and ax.patches[0].get_alpha() == 0.8
    plt.close("all")


@pytest.mark.parametrize(("order", "truth"), [
    ("forward", math.log(5 / 4) - 0.5 * (1 - (16 + 100) / 25)),
    ("reverse", math.log(4 / 5) - 0.5 * (1 - (25 + 100) / 16)),
])
def test_the_published_kl_tests(order, truth):
    # The published file's KL checks: N(7, 4^2) and N(-3, 5^2), 10,000 samples each, the
    # analytic KL within 3 bootstrap std (a fixed seed here; that file draws unseeded).
    rng = np.random.default_rng(12)
    a, b = rng.normal(7, 4, 10_000), rng.normal(-3, 5, 10_000)
    est = EstimateMI()
    est.fit_estimate(a, b, include_kl=True, kl_order=order)
    assert abs(est.KL_mean - truth) < 3 * est.KL_std


def test_plot_fitted_contours_is_a_corner_plot():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rng = np.random.default_rng(3)
    x = rng.normal(size=(400, 2))
    y = x[:, :1] + rng.normal(size=(400, 1))
    est = EstimateMI(n_bootstrap=2, MC_samples=2000).fit(x, y)
    fig = est.plot_fitted_contours(parameters=["a", "b", "c"], extents={"c": (-5, 5)},
                                   n_samples=3000)
    axes = np.array(fig.axes).reshape(3, 3)
    assert axes[2, 0].get_xlabel() == "a" and axes[2, 0].get_ylabel() == "c"
    assert axes[2, 2].get_xlim() == (-5, 5)
    assert not axes[0, 1].axison  # the upper triangle is empty
    # Two contour levels (68%, 95% of the model's probability) in each lower panel.
    assert len(axes[1, 0].collections[-1].levels) == 2
    with pytest.raises(ValueError, match="plot_fitted_model: draws a 2-D model"):
        est.plot_fitted_model()
    with pytest.raises(ValueError, match=r"^parameters: expected 3 names"):
        est.plot_fitted_contours(parameters=["a"])
    for bad in ((1, 0), "x", (0, float("inf"))):
        with pytest.raises(ValueError, match=r"^extents: 0: expected"):
            est.plot_fitted_contours(extents={0: bad})
    with pytest.raises(TypeError, match=r"^verbose: "):
        est.fit(x, y, verbose="yes")
    plt.close("all")


def test_plots_need_a_continuous_fit():
    with pytest.raises(NotFittedError, match="plot_fitted_model: call fit"):
        EstimateMI().plot_fitted_model()
    est = EstimateMI(n_bootstrap=2, MC_samples=2000)
    rng = np.random.default_rng(0)
    est.fit_categorical(rng.normal(size=200), np.repeat([0, 1], 100))
    with pytest.raises(NotFittedError, match="fit_categorical"):
        est.plot_fitted_contours()


def test_save_and_load_restore_the_estimator(tmp_path):
    X = published_example()
    est = EstimateMI(n_bootstrap=5, MC_samples=2000, random_state=4)
    m, s = est.fit_estimate(X, include_kl=True)
    est.save(tmp_path / "est")  # no extension: .json is added, on load too
    assert (tmp_path / "est.json").exists()
    back = EstimateMI().load(tmp_path / "est")
    assert (back.MI_mean, back.MI_std, back.KL_mean) == (m, s, est.KL_mean)
    assert back.result == est.result and back.random_state == 4
    assert back.mi_dist_params == est.mi_dist_params
    # The data come back too, so the loaded estimator can estimate again: same numbers.
    assert back.estimate(include_kl=True) == (m, s)
    cat = EstimateMI(n_bootstrap=3, MC_samples=2000)
    rng = np.random.default_rng(1)
    labels = np.repeat(["a", "b"], 100)
    mc = cat.fit_estimate_categorical(rng.normal(size=200) + (labels == "b"), labels)
    cat.save(tmp_path / "cat.json")
    again = EstimateMI().load(tmp_path / "cat.json")
    assert again.estimate_categorical() == mc
    # Strings or numbers held as objects (a pandas column of labels) save as they are.
    for objects in (labels.astype(object), np.repeat([3, 7], 100).astype(object)):
        cat.fit_estimate_categorical(rng.normal(size=200) + (objects == objects[-1]), objects)
        cat.save(tmp_path / "objects.json")
        assert EstimateMI().load(tmp_path / "objects.json").estimate_categorical() == \
            cat.estimate_categorical()
    tuples = np.empty(200, dtype=object)
    tuples[:] = [(i % 2,) for i in range(200)]
    cat.fit_estimate_categorical(rng.normal(size=200), tuples)
    with pytest.raises(TypeError, match=r"^save: the labels given to fit_categorical"):
        cat.save(tmp_path / "tuples.json")


def test_load_refuses_pickles_and_other_files(tmp_path):
    import pickle

    pkl = tmp_path / "model.pkl"
    pkl.write_bytes(pickle.dumps({"MI_mean": 0.2}))
    with pytest.raises(ValueError, match="is a Python pickle, not a gmmi file"):
        EstimateMI().load(pkl)
    r = gmmi.mutual_information(*published_example().T, n_bootstrap=2, random_state=0)
    r.save(tmp_path / "r.json")
    with pytest.raises(ValueError, match="holds a 'MIResult' object, not 'EstimateMI'"):
        EstimateMI().load(tmp_path / "r.json")
    est = EstimateMI(n_bootstrap=2, MC_samples=2000)
    est.fit_estimate(published_example())
    est.save(tmp_path / "e.json")
    text = (tmp_path / "e.json").read_text().replace('"MC_samples": 2000', '"MC_samples": 0')
    (tmp_path / "bad.json").write_text(text)
    with pytest.raises(ValueError, match="mi_dist_params"):
        EstimateMI().load(tmp_path / "bad.json")
    with pytest.raises(TypeError, match="filename"):
        est.save(3)


def test_published_plot_keywords_are_refused_by_name(tmp_path):
    # Calls copied from the published package's README failed inside matplotlib with an
    # error about an artist's set(); its own names are refused, naming the keyword.
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    est = EstimateMI(n_bootstrap=3, MC_samples=2000)
    est.fit_estimate(published_example())
    with pytest.raises(TypeError, match="'xlabel' is not a keyword of matplotlib's Ellipse"):
        est.plot_fitted_model(xlabel="a")
    with pytest.raises(TypeError, match="'kde' is a keyword of chainconsumer"):
        est.plot_fitted_contours(parameters=["X1", "X2"], shade_alpha=0.4, linewidths=2,
                                 legend_kwargs={"loc": "lower right"}, kde=True)
    est.plot_fitted_model(color="r", lw=2, fill=False)  # matplotlib's names and aliases
    est.plot_fitted_model(n_std=(1, 2, 3), dims=(1, 0))  # and plot_components' own
    assert est.fit_done and est.sel_comp_params is est.select_components_params
    assert not EstimateMI().fit_done


def test_the_labels_of_the_categorical_methods_are_named_y_as_there():
    # fit_categorical(X, Y): a message about the labels names Y (it named the estimator's y).
    x = np.random.default_rng(0).normal(size=100)
    with pytest.raises(ValueError, match=r"^Y: a discrete variable must be 1-D"):
        EstimateMI().fit_estimate_categorical(x, 5)
    with pytest.raises(ValueError, match=r"^Y: has 50 rows but X has 100"):
        EstimateMI().fit_categorical(x, np.arange(50) % 2)


def test_what_a_migrating_user_reads_back_is_the_published_package_s():
    # Found by a review against gmm-mi 0.8.2: the holder of the last estimate is kept as
    # mi_dist_params; one replicate gives a NaN standard deviation (ddof 1 of one value)
    # and n_bootstrap below 1 none; fixed_components is readable on the search's holder;
    # the estimates are NumPy floats (.item() works).
    X = np.random.default_rng(0).multivariate_normal([0, 0], [[1, .6], [.6, 1]], 300)
    est = EstimateMI(MC_samples=2000).fit(X)
    holder = MIDistParamHolder(n_bootstrap=3, MC_samples=2000)
    mean, std = est.estimate(holder)
    assert est.mi_dist_params == holder
    assert isinstance(mean, np.float64) and isinstance(std, np.float64)
    assert mean.item() == float(mean)
    _, one = est.estimate(MIDistParamHolder(n_bootstrap=1, MC_samples=2000))
    assert one is not None and math.isnan(one)
    assert MIDistParamHolder(n_bootstrap=-1).n_bootstrap == 0
    _, none = est.estimate(MIDistParamHolder(n_bootstrap=-1, MC_samples=2000))
    assert none is None
    # an estimate without a holder takes the constructor's, not the last one
    est.estimate()
    assert est.mi_dist_params.n_bootstrap == 50
    assert SelectComponentsParamHolder(fixed_components_number=2).fixed_components
    assert not SelectComponentsParamHolder().fixed_components
