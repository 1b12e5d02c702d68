"""gmmi.compat: the published package's API, computed by gmmi."""

from __future__ import annotations

import math

import numpy as np
import pytest

import gmmi
from gmmi.compat import (
    EstimateMI,
    GMMFitParamHolder,
    MIDistParamHolder,
    SelectComponentsParamHolder,
)

SMALL = MIDistParamHolder(n_bootstrap=10, MC_samples=5000)


def published_example():
    rng = np.random.default_rng(0)
    return rng.multivariate_normal([0, 0], [[1, 0.6], [0.6, 1]], size=200)


def test_published_readme_example_with_defaults():
    X = published_example()
    MI_mean, MI_std = EstimateMI().fit_estimate(X)
    # Published: 0.214 +- 0.043 nat; gmmi must land within one published std.
    assert abs(MI_mean - 0.214) < 0.043 and 0.02 < MI_std < 0.08


def test_holders_are_passed_through():
    X = published_example()
    est = EstimateMI(select_components_params=SelectComponentsParamHolder(
        fixed_components_number=2), mi_dist_params=MIDistParamHolder(n_bootstrap=7,
                                                                     MC_samples=2000))
    est.fit_estimate(X)
    assert est.n_components == 2 and est.result.samples.size == 7
    est2 = EstimateMI(gmm_fit_params=GMMFitParamHolder(max_iter=3), n_bootstrap=4,
                      MC_samples=1000)
    with pytest.warns(gmmi.ConvergenceWarning):  # max_iter=3 stops every fit early
        est2.fit_estimate(X)
    assert est2.result.samples.size == 4 and est2.result.options["max_iter"] == 3


def test_fit_then_estimate_equals_fit_estimate_and_base():
    X = published_example()
    a = EstimateMI(mi_dist_params=SMALL).fit_estimate(X)
    est = EstimateMI(mi_dist_params=SMALL).fit(X[:, 0], X[:, 1])
    assert est.estimate() == a
    bits = EstimateMI(mi_dist_params=SMALL).fit_estimate(X, base=2)
    assert bits[0] == pytest.approx(a[0] / math.log(2), rel=1e-12)


def test_include_kl():
    rng = np.random.default_rng(1)
    x, y = rng.normal(0, 1, 2000), rng.normal(1, 2, 2000)
    est = EstimateMI(mi_dist_params=SMALL)
    est.fit_estimate(x, y, include_kl=True)
    truth = math.log(2) + 2 / 8 - 0.5  # KL(N(0,1) || N(1,4))
    # 4 bootstrap std (see tests/test_estimators.py).
    assert abs(est.KL_mean - truth) < 4 * est.KL_std
    same = EstimateMI(mi_dist_params=SMALL)
    same.fit_estimate(rng.normal(size=2000), rng.normal(size=2000), include_kl=True)
    assert abs(same.KL_mean) < 4 * same.KL_std + 0.005  # identical marginals: KL = 0


def test_categorical():
    rng = np.random.default_rng(2)
    y = rng.integers(0, 2, 1000)
    X = rng.normal(30.0 * y, 1.0)
    m, _ = EstimateMI(mi_dist_params=SMALL).fit_estimate_categorical(X, y)
    # Separated balanced classes: I = H(C), about ln 2 (class frequencies give the exact H).
    p = y.mean()
    h = -(p * math.log(p) + (1 - p) * math.log(1 - p))
    assert abs(m - h) < 0.01


def test_errors():
    with pytest.raises(RuntimeError, match="fit"):
        EstimateMI().estimate()
    with pytest.raises(RuntimeError, match="fit_categorical"):
        EstimateMI().estimate_categorical()
    with pytest.raises(ValueError, match="n_bootstrap"):
        MIDistParamHolder(n_bootstrap=-1)
    with pytest.raises(ValueError, match="init_type"):
        SelectComponentsParamHolder(init_type="nope")
    with pytest.raises(ValueError, match="threshold_fit"):
        GMMFitParamHolder(threshold_fit=0.0)
    with pytest.raises(ValueError, match="MC_samples"):
        MIDistParamHolder(MC_samples=10.5)
    with pytest.raises(TypeError, match="bogus"):
        EstimateMI(bogus=1)
    with pytest.raises(ValueError, match="X"):
        EstimateMI().fit(np.zeros((10, 3)))
