"""The MI estimator against ground truth (ALGORITHM.md, "Ground truth").

Tolerances: each check asks the truth to lie within k bootstrap standard deviations of the
estimate. The bootstrap std estimates the sampling spread of the estimator (and includes the
Monte Carlo noise of each replicate); for an approximately normal, unbiased estimator,
k = 3 misses with probability 0.3% and k = 4 with 0.006%. Seeds are fixed, so each test is
deterministic; the k are chosen so that an estimator biased by more than ~k std would fail.
"""

from __future__ import annotations

import json
import math
import re
import sys
import warnings

import numpy as np
import pytest
from scipy.special import digamma

import gmmi

from conftest import D1, D3, D5, FAST, mixture


def gaussian_mi(cov: np.ndarray, dx: int) -> float:
    """0.5 ln(det Sxx det Syy / det S)."""
    sxx, syy = cov[:dx, :dx], cov[dx:, dx:]
    return 0.5 * (np.linalg.slogdet(sxx)[1] + np.linalg.slogdet(syy)[1] - np.linalg.slogdet(cov)[1])


def test_published_readme_example():
    # The published package's README example: rho = 0.6, n = 200, default_rng(0),
    # defaults; it reports 0.214 +- 0.043 nat (truth 0.223). gmmi must land within one
    # published std of the published value.
    rng = np.random.default_rng(0)
    X = rng.multivariate_normal([0, 0], [[1, 0.6], [0.6, 1]], size=200)
    r = gmmi.mutual_information(X[:, 0], X[:, 1], random_state=0)
    assert r.n_components == 1
    assert abs(r.mean - 0.214) < 0.043
    assert 0.02 < r.std < 0.08  # the published std is 0.043; same order expected
    assert r.samples.shape == (50,)


@pytest.mark.parametrize("rho", [0.3, 0.8])
def test_bivariate_gaussian(rho):
    rng = np.random.default_rng(1)
    X = rng.multivariate_normal([1, -2], [[1, rho * 2], [rho * 2, 4]], size=2000)
    r = gmmi.mutual_information(X[:, 0], X[:, 1], random_state=1, **FAST)
    truth = -0.5 * math.log(1 - rho**2)
    assert abs(r.mean - truth) < 4 * r.std, (r, truth)


@pytest.mark.parametrize(("dx", "dy"), [(1, 2), (2, 2), (3, 3)])
def test_multivariate_gaussian(dx, dy):
    rng = np.random.default_rng(10 * dx + dy)
    d = dx + dy
    a = rng.normal(size=(d, d))
    cov = a @ a.T + 0.5 * np.eye(d)
    X = rng.multivariate_normal(np.zeros(d), cov, size=3000)
    r = gmmi.mutual_information(X[:, :dx], X[:, dx:], random_state=2, **FAST)
    truth = gaussian_mi(cov, dx)
    assert abs(r.mean - truth) < 4 * r.std, (r, truth)
    assert r.model is not None and r.model.n_features == d


def test_conditional_mi_of_a_gaussian_chain():
    # x -> z -> y: I(X;Y|Z) = 0 while I(X;Y) > 0.
    rng = np.random.default_rng(3)
    n = 3000
    x = rng.normal(size=n)
    z = x + rng.normal(size=n)
    y = z + rng.normal(size=n)
    r = gmmi.conditional_mutual_information(x, y, z, random_state=3, **FAST)
    assert r.quantity == "conditional_mutual_information"
    # Truth 0; the estimate may sit up to a few std above it (MI-type estimates are biased
    # upwards by finite-sample fitting), 4 std plus a 0.005 nat floor.
    assert abs(r.mean) < 4 * r.std + 0.005, r
    # Conditioning on an independent z leaves I(X;Y) unchanged: cov(x,y) = 1, var y = 3.
    w = rng.normal(size=n)
    r2 = gmmi.conditional_mutual_information(x, y, w, random_state=3, **FAST)
    truth = -0.5 * math.log(1 - 1 / 3)
    assert abs(r2.mean - truth) < 4 * r2.std, r2


def test_conditional_mi_that_z_determines_x_has_no_degeneracy_warning():
    # A singular direction between x and z alone lies in both p(x, y, z) and p(x, z) and
    # cancels from I(X;Y|Z): z = x gives 0 without a DegenerateWarning (it said "effectively
    # infinite" before); x = (a, b), z = a gives I(b; y) (the truth: y = b + noise, unit
    # variances, 0.5 ln 2 = 0.3466). A second direction between x and y beyond z (y = b
    # exactly) is an infinite conditional MI, and says so.
    rng = np.random.default_rng(48)
    n = 2000
    a, b = rng.normal(size=(2, n))
    y = b + rng.normal(size=n)
    with warnings.catch_warnings():
        warnings.simplefilter("error", gmmi.DegenerateWarning)
        same = gmmi.conditional_mutual_information(a, y, a.copy(), random_state=0, **FAST)
        part = gmmi.conditional_mutual_information(np.column_stack([a, b]), y, a.copy(),
                                                   random_state=0, **FAST)
    # 0 up to the integral's noise (1e-7 to 4e-5 nat across reg_covar 1e-10 to 1e-4).
    assert same.mean < 1e-3, same
    # Within 4 std of the truth (FAST: 5 replicates, a t(4) quantile of 2.8 at 95%).
    assert abs(part.mean - 0.5 * math.log(2)) < 4 * part.std, part
    with pytest.warns(gmmi.DegenerateWarning, match="effectively infinite"):
        gmmi.conditional_mutual_information(np.column_stack([a, b]), b.copy(), a.copy(),
                                            random_state=0, **FAST)


def test_kl_divergence_of_two_gaussians():
    rng = np.random.default_rng(4)
    x = rng.normal(0, 1, 3000)
    y = rng.normal(1, 2, 3000)
    truth = math.log(2) + 2 / 8 - 0.5  # KL(N(0,1) || N(1,4))
    r = gmmi.kl_divergence_marginals(x, y, random_state=4, **FAST)
    assert r.quantity == "kl_divergence"
    assert abs(r.mean - truth) < 4 * r.std, r
    rev = gmmi.kl_divergence_marginals(x, y, order="reverse", random_state=4, **FAST)
    truth_rev = math.log(0.5) + (4 + 1) / 2 - 0.5  # KL(N(1,4) || N(0,1))
    assert abs(rev.mean - truth_rev) < 4 * rev.std, rev


def test_entropy_of_a_gaussian_in_original_units():
    x = np.random.default_rng(5).normal(3, 5, 3000)
    r = gmmi.entropy(x, random_state=5, **FAST)
    truth = 0.5 * math.log(2 * math.pi * math.e * 25)
    assert abs(r.mean - truth) < 4 * r.std, r


@pytest.mark.parametrize(("spec", "n"), [(D1, 2000), (D3, 4000), (D5, 4000)])
def test_paper_toy_mixtures(spec, n):
    g = mixture(spec)
    truth = g.mutual_information([0], [1], integral="quadrature", quadrature_order=96)
    X, _ = g.sample(n, random_state=6)
    r = gmmi.mutual_information(X[:, 0], X[:, 1], random_state=6, **FAST)
    assert abs(r.mean - truth) < 4 * r.std, (r, truth)


def test_d1_truth_matches_the_published_value():
    # ALGORITHM.md: I(D1) = 0.0871767 nat (D1 is a single Gaussian, rho = 0.4).
    g = mixture(D1)
    assert abs(g.mutual_information([0], [1], integral="quadrature") - 0.0871767) < 1e-7


def test_gamma_exponential():
    # x ~ Gamma(a, 1), y | x ~ Exponential(rate x): I = psi(a + 1) - ln a; MI is invariant
    # under the monotone log transform, which makes both variables mixture-friendly.
    a = 1.0
    rng = np.random.default_rng(7)
    x = rng.gamma(a, 1.0, 4000)
    y = rng.exponential(1.0 / x)
    r = gmmi.mutual_information(np.log(x), np.log(y), random_state=7, **FAST)
    truth = digamma(a + 1) - math.log(a)
    assert abs(r.mean - truth) < 4 * r.std, (r, truth)


def test_quadrature_equals_closed_form_for_one_gaussian():
    rng = np.random.default_rng(8)
    for dx, dy in [(1, 1), (2, 1), (2, 3)]:
        d = dx + dy
        a = rng.normal(size=(d, d))
        cov = a @ a.T + 0.3 * np.eye(d)
        g = gmmi.GaussianMixture.from_parameters([1.0], rng.normal(size=(1, d)), cov[None])
        q = g.mutual_information(list(range(dx)), list(range(dx, d)), integral="quadrature")
        assert abs(q - gaussian_mi(cov, dx)) < 1e-10


def test_quadrature_agrees_with_monte_carlo_on_mixtures():
    for spec in (D3, D5):
        g = mixture(spec)
        q = g.mutual_information([0], [1], integral="quadrature")
        mc = g.mutual_information([0], [1], integral="mc", mc_samples=400_000, random_state=1)
        # The integrand's sd is below 1.5 for these mixtures: MC standard error
        # < 1.5 / sqrt(4e5) = 0.0024; 4 of them.
        assert abs(q - mc) < 0.01


def test_quadrature_end_to_end():
    g = mixture(D3)
    X, _ = g.sample(3000, random_state=9)
    rq = gmmi.mutual_information(X[:, 0], X[:, 1], integral="quadrature", n_bootstrap=10,
                                 random_state=9)
    rm = gmmi.mutual_information(X[:, 0], X[:, 1], n_bootstrap=10, random_state=9)
    # Same fits (same seed), different integrals: they differ by MC noise (~0.005 with
    # 1e5 draws and an integrand sd ~1.5) only.
    assert rq.n_components == rm.n_components
    assert abs(rq.mean - rm.mean) < 0.01


def test_same_numbers_on_any_thread_count():
    g = mixture(D3)
    X, _ = g.sample(1500, random_state=10)
    a = gmmi.mutual_information(X[:, 0], X[:, 1], n_jobs=1, random_state=10, **FAST)
    b = gmmi.mutual_information(X[:, 0], X[:, 1], n_jobs=2, random_state=10, **FAST)
    c = gmmi.mutual_information(X[:, 0], X[:, 1], n_jobs=3, random_state=10, **FAST)
    np.testing.assert_array_equal(a.samples, b.samples)
    np.testing.assert_array_equal(a.samples, c.samples)
    np.testing.assert_array_equal(a.model.means_, b.model.means_)


def test_seed_controls_the_result():
    rng = np.random.default_rng(11)
    X = rng.multivariate_normal([0, 0], [[1, 0.5], [0.5, 1]], size=500)
    a = gmmi.mutual_information(X[:, 0], X[:, 1], random_state=1, **FAST)
    b = gmmi.mutual_information(X[:, 0], X[:, 1], random_state=1, **FAST)
    c = gmmi.mutual_information(X[:, 0], X[:, 1], random_state=2, **FAST)
    assert a.mean == b.mean
    assert a.mean != c.mean
    # An unseeded run records its seed, so it can be repeated exactly.
    d = gmmi.mutual_information(X[:, 0], X[:, 1], **FAST)
    e = gmmi.mutual_information(X[:, 0], X[:, 1], random_state=d.random_state, **FAST)
    assert d.mean == e.mean


def test_base_and_no_bootstrap():
    rng = np.random.default_rng(12)
    X = rng.multivariate_normal([0, 0], [[1, 0.5], [0.5, 1]], size=500)
    nat = gmmi.mutual_information(X[:, 0], X[:, 1], random_state=3, **FAST)
    bit = gmmi.mutual_information(X[:, 0], X[:, 1], base=2, random_state=3, **FAST)
    bit2 = gmmi.mutual_information(X[:, 0], X[:, 1], base="bit", random_state=3, **FAST)
    assert bit.unit == "bit" and nat.unit == "nat"
    assert bit.mean == pytest.approx(nat.mean / math.log(2), rel=1e-12)
    assert bit2.mean == bit.mean
    one = gmmi.mutual_information(X[:, 0], X[:, 1], n_bootstrap=0, random_state=3)
    assert one.samples.size == 0 and math.isnan(one.std)
    assert one.mean == one.full_value
    assert "no bootstrap" in repr(one)
    # Its interval is refused with the reason and the remedy, naming ci, not its level.
    with pytest.raises(ValueError, match=r"^ci: this result has 0 bootstrap .*n_bootstrap=50"):
        one.ci()
    # A single replicate estimates no bias: gmmi's estimate is then the full-data value,
    # not the replicate (a noisier estimate); the published preset keeps the replicates'
    # mean. The same in a matrix's cell and for two discrete variables.
    single = gmmi.mutual_information(X[:, 0], X[:, 1], n_bootstrap=1, random_state=3)
    assert single.samples.size == 1 and single.samples[0] != single.full_value
    assert single.mean == single.full_value and math.isnan(single.std)
    published = gmmi.mutual_information(X[:, 0], X[:, 1], n_bootstrap=1, random_state=3,
                                        preset="published")
    assert published.mean == published.samples[0]
    cell = gmmi.mi_matrix(X, n_bootstrap=1, random_state=3)
    assert cell.mean[0, 1] == single.mean
    codes = (X > 0).astype(int)
    d = gmmi.mutual_information(codes[:, 0], codes[:, 1], discrete_x=True, discrete_y=True,
                                n_bootstrap=1, random_state=3)
    assert d.mean == d.full_value != d.samples[0]


def test_selection_metrics_and_table(d3):
    X, _ = d3.sample(2000, random_state=13)
    for metric in ("valid", "aic", "bic"):
        r = gmmi.mutual_information(X[:, 0], X[:, 1], selection=metric, n_bootstrap=2,
                                    mc_samples=2000, random_state=13)
        assert r.n_components >= 2, metric
        ks = [s.k for s in r.selection]
        assert ks == list(range(1, len(ks) + 1))
        best = max(r.selection, key=lambda s: s.metric)
        # The chosen K is the best metric up to threshold_components.
        chosen = next(s for s in r.selection if s.k == r.n_components)
        assert chosen.metric >= best.metric - 1e-5
        assert r.selection[0].fold_scores.shape == (3, 2)


def test_the_search_waits_longer_after_a_large_best_k():
    # Additive uniform noise (a density with sharp edges) needs many components, so the best
    # K is large and patience="auto" waits ceil(K_best / 2) non-improving K where a fixed
    # patience of 2 stops after 2. The search's table shows it exactly: it ends
    # `patience(K_best)` K after the last improvement (the search is deterministic given the
    # seed; n_bootstrap=0, the identity and K up to 40 keep the test under a few seconds).
    rng = np.random.default_rng(4)
    x = rng.uniform(0.0, 1.0, 3000)
    y = x + rng.uniform(-0.1, 0.1, 3000)
    common = dict(n_bootstrap=0, transform="identity", max_components=40, random_state=4)
    fixed = gmmi.mutual_information(x, y, patience=2, **common)
    auto = gmmi.mutual_information(x, y, **common)
    assert auto.options["patience"] == "auto" and fixed.options["patience"] == 2

    def stop_after(r):
        # How far past the best K the search went (in K: beyond K = 15 the "auto" search
        # evaluates K on a grid, steps of an eighth of K).
        k_best = max(r.selection, key=lambda s: s.metric).k
        return k_best, r.selection[-1].k - k_best

    k_fixed, waited = stop_after(fixed)
    assert waited == 2
    k_auto, waited = stop_after(auto)
    # The two searches agree on every K both ran (same folds and starts; "auto" skips K
    # beyond 15, the fixed patience does not), so "auto" never stops sooner, and here the
    # best K is past 6, where it waits longer than 2.
    fixed_metric = {s.k: s.metric for s in fixed.selection}
    both = [s for s in auto.selection if s.k in fixed_metric]
    assert [s.k for s in both][:15] == [k for k in fixed_metric if k <= 15]
    assert all(s.metric == fixed_metric[s.k] for s in both)
    assert k_auto >= k_fixed and k_auto > 6
    # The first K searched at least the patience past the best: the patience itself while
    # the search steps by 1 (up to K = 15), the next grid point beyond.
    patience = max(2, math.ceil(k_auto / 2))
    ks = [s.k for s in auto.selection]
    assert waited >= patience and ks[-2] - k_auto < patience
    assert all(b == min(a + max(1, a // 8), 40) for a, b in zip(ks, ks[1:]))


def test_replicates_choose_k_in_a_window_that_grows_with_k():
    # The data of the test above: the selected K is large and the held-out score is flat
    # around it, so the replicates re-choose K among the searched K within
    # max(1, ceil(K / 3)) of it (bootstrap_neighbours="auto"), never farther, and here they
    # reach beyond K +/- 1 (the window of gmmi's earlier default; the published bootstrap's
    # is 0). The estimate is deterministic given the seed.
    rng = np.random.default_rng(4)
    x = rng.uniform(0.0, 1.0, 3000)
    y = x + rng.uniform(-0.1, 0.1, 3000)
    common = dict(n_bootstrap=20, transform="identity", max_components=40, random_state=4)
    r = gmmi.mutual_information(x, y, **common)
    assert r.options["bootstrap_neighbours"] == "auto"
    k = max(r.selection, key=lambda s: s.metric).k  # the selected K (held-out metric)
    width = max(1, math.ceil(k / 3))
    chosen = {int(b) for b in r.details["boot_n_components"]}
    searched = {s.k for s in r.selection}
    assert chosen <= searched
    assert all(abs(b - k) <= width for b in chosen), (k, sorted(chosen))
    assert any(abs(b - k) > 1 for b in chosen), (k, sorted(chosen))
    # The window is sampled, not enumerated: at most two candidates on each side of K
    # (WINDOW_STEPS), so however wide the window the replicates refit at most five K.
    assert len({b for b in chosen if b < k}) <= 2 and len({b for b in chosen if b > k}) <= 2


def test_fixed_components(d3):
    X, _ = d3.sample(1000, random_state=14)
    r = gmmi.mutual_information(X[:, 0], X[:, 1], n_components=4, n_bootstrap=3,
                                mc_samples=2000, random_state=14)
    assert r.n_components == 4 and len(r.selection) == 1
    assert r.model.n_components == 4


def test_max_components_warning(d3):
    # D3 (three components) with at most two: the held-out score still improves at K = 2.
    X, _ = d3.sample(1000, random_state=15)
    with pytest.warns(gmmi.MaxComponentsWarning, match="max_components=2"):
        r = gmmi.mutual_information(X[:, 0], X[:, 1], max_components=2, n_bootstrap=2,
                                    mc_samples=1000, random_state=15)
    assert r.n_components == 2 and r.warnings
    # A single K searched compares nothing: no claim that the score was still improving
    # (it was raised on every call with max_components=1, a Gaussian's K included).
    with warnings.catch_warnings():
        warnings.simplefilter("error", gmmi.MaxComponentsWarning)
        for data in (X, np.random.default_rng(15).normal(size=(1000, 2))):
            one = gmmi.mutual_information(data[:, 0], data[:, 1], max_components=1,
                                          n_bootstrap=2, mc_samples=1000, random_state=15)
            assert one.n_components == 1


def test_model_is_in_original_units():
    rng = np.random.default_rng(16)
    X = rng.multivariate_normal([100, -5], [[400, 10], [10, 1]], size=2000)
    r = gmmi.mutual_information(X[:, 0], X[:, 1], n_bootstrap=2, mc_samples=1000,
                                random_state=16)
    # The fitted single Gaussian is the sample mean/covariance (within EM tolerance).
    np.testing.assert_allclose(r.model.means_[0], X.mean(0), rtol=1e-6)
    np.testing.assert_allclose(r.model.covariances_[0], np.cov(X.T, bias=True), rtol=1e-4)


def test_pandas_inputs_and_multicolumn():
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(17)
    X = rng.multivariate_normal(np.zeros(3), np.eye(3) + 0.5, size=800)
    df = pd.DataFrame(X, columns=["a", "b", "c"])
    r1 = gmmi.mutual_information(df[["a", "b"]], df["c"], random_state=1, **FAST)
    r2 = gmmi.mutual_information(X[:, :2], X[:, 2].tolist(), random_state=1, **FAST)
    assert r1.mean == r2.mean


def test_result_api():
    rng = np.random.default_rng(18)
    X = rng.multivariate_normal([0, 0], [[1, 0.6], [0.6, 1]], size=300)
    r = gmmi.mutual_information(X[:, 0], X[:, 1], random_state=0, **FAST)
    text = repr(r)
    assert text.startswith("MI = ") and "± " in text and "nat" in text and "K=1" in text
    lo, hi = r.ci(0.9)
    assert lo <= np.median(r.samples) <= hi
    assert float(r) == r.mean
    d = r.to_dict()
    json.dumps(d)  # JSON-serialisable
    assert d["mean"] == r.mean and len(d["samples"]) == 20
    with pytest.raises(ValueError, match="level"):
        r.ci(1.5)
    # The largest level below 1: 1 - (1 - level) / 2 rounds to 1 there, whose t quantile is
    # infinite; the interval must stay finite and hold the lower levels' intervals.
    top = float(np.nextafter(1.0, 0.0))
    for method in ("normal", "basic", "percentile"):
        lo_top, hi_top = r.ci(top, method=method)
        lo9, hi9 = r.ci(0.9, method=method)
        assert np.isfinite(lo_top) and np.isfinite(hi_top), method
        assert lo_top <= lo9 and hi_top >= hi9, method


def test_a_result_holds_finite_replicates():
    # MIResult is public: a NaN replicate would be sorted to an end of a percentile interval
    # and clipped to 0 there (an upper end below the lower one).
    fields = dict(mean=0.1, std=0.1, n_components=1, model=None, selection=[], unit="nat",
                  quantity="mutual_information", estimator="gmm", full_value=0.1,
                  random_state=0)
    for bad in (np.nan, np.inf):
        with pytest.raises(ValueError, match=r"^samples: replicate 1 is"):
            gmmi.MIResult(samples=np.array([0.1, bad, 0.2]), **fields)
    with pytest.raises(ValueError, match=r"^samples: expected a 1-D array"):
        gmmi.MIResult(samples=np.zeros((2, 2)), **fields)
    ok = gmmi.MIResult(samples=[0.1, 0.3, 0.2], **fields)
    assert isinstance(ok.samples, np.ndarray) and ok.n_bootstrap == 3


def test_progress_bar_runs(capsys):
    pytest.importorskip("tqdm")
    rng = np.random.default_rng(19)
    X = rng.multivariate_normal([0, 0], [[1, 0.6], [0.6, 1]], size=300)
    r = gmmi.mutual_information(X[:, 0], X[:, 1], progress=True, random_state=0, **FAST)
    assert r.samples.size == 20


def test_option_validation():
    x = np.random.default_rng(0).normal(size=(100, 2))
    bad = [
        ({"selection": "xyz"}, "selection"),
        ({"integral": "simpson"}, "integral"),
        ({"init": "nope"}, "init"),
        ({"n_bootstrap": -1}, "n_bootstrap"),
        ({"mc_samples": 0}, "mc_samples"),
        ({"n_folds": 1}, "n_folds"),
        ({"n_inits": 0}, "n_inits"),
        ({"patience": 0}, "patience"),
        ({"patience": "sometimes"}, "patience"),
        ({"patience": 2.5}, "patience"),
        ({"max_components": 0}, "max_components"),
        ({"threshold_fit": 0.0}, "threshold_fit"),
        ({"reg_covar": -1.0}, "reg_covar"),
        ({"max_iter": 0}, "max_iter"),
        ({"n_components": 0}, "n_components"),
        ({"scale": -2.0}, "scale"),
        ({"base": 1.0}, "base"),
        ({"base": "furlong"}, "base"),
        ({"n_jobs": 0}, "n_jobs"),
        ({"random_state": -5}, "random_state"),
    ]
    for kwargs, name in bad:
        with pytest.raises((ValueError, TypeError), match=name):
            gmmi.mutual_information(x[:, 0], x[:, 1], **kwargs)
    with pytest.raises(TypeError):
        gmmi.mutual_information(x[:, 0], x[:, 1], n_bootstraps=3)  # unknown option
    with pytest.raises(TypeError, match="unknown"):
        gmmi.entropy(x[:, 0], n_bootstraps=3)
    with pytest.raises(ValueError, match="integral"):
        gmmi.mutual_information(np.ones((50, 4)) + np.arange(50)[:, None] ** 1.5 % 7,
                                np.arange(50.0)[:, None] * np.ones((1, 3)) + np.eye(50)[:, :3],
                                integral="quadrature")


def test_default_integral_agrees_with_quadrature_within_its_target():
    # The same fitted model (n_bootstrap=0: the full-data value only), integrated by the
    # default quasi-Monte Carlo and by fine Gauss-Hermite quadrature. The default's error
    # target for the full-data value is 10% of sd(pmi)/sqrt(n): with sd(pmi) < 1 and
    # n = 2,000 below 0.0023 (a standard error); 0.008 allows 3.5 of them.
    rng = np.random.default_rng(21)
    c = rng.integers(0, 3, 2000)
    x = rng.normal(np.array([-2.0, 0.0, 2.5])[c], 0.7)
    y = 0.8 * x + rng.normal(np.array([1.0, -1.0, 0.0])[c], 0.6)
    common = dict(n_bootstrap=0, random_state=4, transform="identity")
    auto = gmmi.mutual_information(x, y, **common)
    quad = gmmi.mutual_information(x, y, integral="quadrature", quadrature_order=64, **common)
    assert auto.n_components == quad.n_components >= 2
    assert auto.mean == pytest.approx(quad.mean, abs=0.008)
    # The reported standard error of that integral meets the target: at most 10% of
    # sd(pmi)/sqrt(n) < 0.1 / sqrt(2000) = 0.0023, and more than 0 (a mixture is not exact).
    err = auto.details["integration_error"]
    assert 0 < err < 0.0023
    assert abs(auto.mean - quad.mean) < 5 * err + 1e-4
    # A fixed number of points is honoured too, and "mc" keeps Monte Carlo (1e5 draws with
    # "auto"): both near the quadrature value (MC error ~0.003 at 1e5 draws; 0.015 is 5).
    fixed = gmmi.mutual_information(x, y, integral="qmc", mc_samples=50_000, **common)
    mc = gmmi.mutual_information(x, y, integral="mc", mc_samples="auto", **common)
    assert fixed.mean == pytest.approx(quad.mean, abs=0.008)
    assert mc.mean == pytest.approx(quad.mean, abs=0.015)


def test_to_dict_is_strict_json_with_plain_python_types():
    # A NumPy integer option and the NaN fields of a representation's candidates (the
    # identity's spread, say) made json.dumps fail or write the bare token NaN.
    rng = np.random.default_rng(0)
    x = rng.normal(size=300)
    r = gmmi.mutual_information(x, x + rng.normal(size=300), n_bootstrap=3, random_state=0,
                                n_jobs=np.int64(1))
    d = r.to_dict()
    assert type(d["options"]["n_jobs"]) is int
    text = json.dumps(d, allow_nan=False)  # raises on NaN, inf, NumPy types
    assert json.loads(text)["mean"] == r.mean
    json.dumps(r.transform.to_dict(), allow_nan=False)
    json.dumps([s.to_dict() for s in r.selection], allow_nan=False)


def test_a_unit_names_its_base_exactly():
    from gmmi._validation import resolve_base

    for b in (3.0, 2.5, 1.0000000000000002):  # the last was named "log1", base 1 refused
        ln_b, unit = resolve_base(b)
        assert ln_b == math.log(b) and resolve_base(unit) == (ln_b, unit)
    assert resolve_base(1.0000000000000002)[1] == "log1.0000000000000002"


def test_result_warnings_hold_the_input_checks_warnings_as_well_as_the_core_s():
    # The warnings raised in Python (heavy tails, a variable that looks discrete, a scale
    # below reg_covar) were raised but missing from result.warnings, to_dict() and saved
    # files, where the core's were kept.
    r = np.random.default_rng(1)
    a = r.standard_cauchy(1000)
    b = a + r.standard_cauchy(1000)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = gmmi.mutual_information(a, b, transform="identity", n_bootstrap=2,
                                      mc_samples=1000, random_state=0)
    raised = [str(w.message) for w in caught]
    assert any(m.startswith("x: heavy tails") for m in res.warnings), res.warnings
    assert any(m.startswith("y: heavy tails") for m in res.warnings), res.warnings
    # every warning raised is kept once, and every kept one was raised
    assert sorted(raised) == sorted(res.warnings)
    # the warnings still point at the caller's line
    assert all(w.filename == __file__ for w in caught), [w.filename for w in caught]
    # a categorical estimate's: a continuous variable of a few levels
    lab = np.arange(600) % 2
    levels = np.round(r.normal(size=600) + lab)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cat = gmmi.mutual_information(levels, lab, discrete_y=True, transform="identity",
                                      n_bootstrap=2, mc_samples=1000, random_state=0)
    assert any("discrete_x=True" in m for m in cat.warnings), cat.warnings
    assert sorted(str(w.message) for w in caught) == sorted(cat.warnings)
    # an error filter still stops the call at the check
    with warnings.catch_warnings():
        warnings.simplefilter("error", gmmi.HeavyTailWarning)
        with pytest.raises(gmmi.HeavyTailWarning):
            gmmi.mutual_information(a, b, transform="identity", n_bootstrap=2,
                                    mc_samples=1000, random_state=0)


def test_estimates_in_threads_keep_their_own_warnings():
    # The input checks' warnings reach the result without warnings.catch_warnings, whose
    # process-wide filters could file one thread's warnings on another thread's result
    # (the estimators release the GIL, so threads are a way to run them side by side). That
    # is a race, which such a design loses only now and then (it passed this test three
    # times in three): the test holds the property, heavy-tailed and Gaussian estimates
    # interleaved on four threads each keeping exactly their own warnings.
    from concurrent.futures import ThreadPoolExecutor

    r = np.random.default_rng(8)
    heavy = r.standard_cauchy((2, 2000))
    calm = r.normal(size=(2, 2000))

    def run(data):
        return gmmi.mutual_information(data[0], data[1], transform="identity",
                                       n_bootstrap=2, mc_samples=1000, random_state=0)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        alone = run(calm)
        # Switching threads every microsecond (instead of every 5 ms) interleaves their
        # Python code, the checks' included, as a busy machine can.
        interval = sys.getswitchinterval()
        sys.setswitchinterval(1e-6)
        try:
            with ThreadPoolExecutor(4) as pool:
                results = list(pool.map(run, [heavy, calm] * 4))
        finally:
            sys.setswitchinterval(interval)
    for k, res in enumerate(results):
        tails = [m for m in res.warnings if "heavy tails" in m]
        assert len(tails) == (2 if k % 2 == 0 else 0), (k, res.warnings)
    assert all(res.warnings == alone.warnings for res in results[1::2])


def test_two_variables_with_point_masses_beside_continuous_values_are_warned_of():
    # Zero-inflated pairs (half of each variable at 0, the rest Gaussian): the mixture's
    # estimate is unreliable (independent pairs read up to 0.12 nat with intervals away
    # from 0), and the generic tied-values warnings also fire where it is right, so a
    # DiscreteDataWarning names the two masses. One such variable, a lattice (rounded
    # values) or plain continuous data: no such warning.
    r = np.random.default_rng(601)
    v = r.normal(size=(3000, 3))
    zero = r.random((3000, 2)) < 0.5
    x, y = np.where(zero[:, 0], 0.0, v[:, 0]), np.where(zero[:, 1], 0.0, v[:, 1])
    fast = {"n_bootstrap": 2, "mc_samples": 1000, "random_state": 0}

    def masses(res):
        return [m for m in res.warnings if "each hold a point mass" in m]

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        both = gmmi.mutual_information(x, y, **fast)
    found = masses(both)
    # (half the rows of each at 0: 45-55% on 3,000 rows, 5 standard deviations of the share)
    shares = r"x: [45][0-9]% of the rows at 0; y: [45][0-9]% of the rows at 0"
    assert len(found) == 1 and re.search(shares, found[0]), found
    assert any(w.category is gmmi.DiscreteDataWarning and "point mass" in str(w.message)
               for w in caught)
    # conditional MI: the same for x and y (a conditioning z is not read)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cmi = gmmi.conditional_mutual_information(x, y, v[:, 2], **fast)
        assert len(masses(cmi)) == 1
        assert masses(gmmi.mutual_information(x, v[:, 1], **fast)) == []
        assert masses(gmmi.mutual_information(np.round(2 * v[:, 0]), np.round(2 * v[:, 1]),
                                              **fast)) == []
        assert masses(gmmi.mutual_information(v[:, 0], v[:, 1], **fast)) == []
        # few rows: a value seen once is 5% of 20 rows, and two coincident values are no
        # mass either; three rows of each at 0 among 40 are
        for n in (8, 12, 20):
            assert masses(gmmi.mutual_information(v[:n, 0], v[:n, 1], **fast)) == []
        two = np.r_[[0.0, 0.0], v[2:40, 0]], np.r_[[0.0, 0.0], v[2:40, 1]]
        assert masses(gmmi.mutual_information(*two, **fast)) == []
        three = np.r_[[0.0] * 3, v[3:40, 0]], np.r_[[0.0] * 3, v[3:40, 1]]
        assert len(masses(gmmi.mutual_information(*three, **fast))) == 1
        # a matrix names the pair's columns, and only that pair's cells hold it
        m = gmmi.mi_matrix(np.column_stack([x, y, v[:, 2]]), **fast)
    held = {cell for cell, msgs in m.cell_warnings.items()
            if any("each hold a point mass" in s for s in msgs)}
    assert held == {("A[0]", "A[1]"), ("A[1]", "A[0]")}, held


def test_rows_that_repeat_are_warned_of_in_single_estimates_and_matrices():
    # Independent variables, every one of 500 rows given five times: the search's folds
    # hold copies of their held-out rows and its score rewards components on the copies
    # (0.4-0.6 nat read on such data). A DiscreteDataWarning names the repeats; rows given
    # twice at random, below a quarter of the rows, and plain continuous rows are not
    # warned of; a lattice spread over its cells repeats no row.
    r = np.random.default_rng(5)
    a, b = r.normal(size=500), r.normal(size=500)
    fast = {"n_bootstrap": 2, "mc_samples": 1000, "random_state": 0}

    def repeats(res):
        return [m for m in res.warnings if "repeat another row exactly" in m]

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        five = gmmi.mutual_information(np.repeat(a, 5), np.repeat(b, 5), **fast)
    found = repeats(five)
    assert len(found) == 1 and found[0].startswith(
        "x and y: 2,000 of the 2,500 rows (80%) repeat another row exactly (500 distinct "
        "rows)"), found
    assert any(w.category is gmmi.DiscreteDataWarning and "repeat another row" in
               str(w.message) for w in caught)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        some = r.integers(0, 500, 100)  # 100 copies among 600 rows: 17%
        assert repeats(gmmi.mutual_information(np.r_[a, a[some]], np.r_[b, b[some]],
                                               **fast)) == []
        assert repeats(gmmi.mutual_information(a, b, **fast)) == []
        rounded = np.round(2 * r.normal(size=(2000, 2)))
        assert repeats(gmmi.mutual_information(rounded[:, 0], rounded[:, 1], **fast)) == []
        # conditional MI: the joint rows of x, y and z
        c = gmmi.conditional_mutual_information(np.repeat(a, 5), np.repeat(b, 5),
                                                np.repeat(r.normal(size=500), 5), **fast)
        assert repeats(c)[0].startswith("x, y and z: 2,000 of the 2,500 rows"), repeats(c)
        m = gmmi.mi_matrix(np.column_stack([np.repeat(a, 5), np.repeat(b, 5),
                                            r.normal(size=2500)]), **fast)
    held = {cell for cell, msgs in m.cell_warnings.items()
            if any("repeat another row exactly" in s for s in msgs)}
    assert held == {("A[0]", "A[1]"), ("A[1]", "A[0]")}, held


def test_repeated_rows_are_counted_exactly_and_fast_on_many_rows():
    from gmmi._inputs import repeated_rows

    r = np.random.default_rng(2)
    rows = r.normal(size=(1000, 3))
    assert repeated_rows(rows) == 0
    assert repeated_rows(np.vstack([rows, rows[:10], rows[:5]])) == 15
    # rows that share all but one column, and differ there by one ulp, are distinct
    near = rows.copy()
    near[:, 2] += 1e-15
    assert repeated_rows(np.vstack([rows, near])) == 0
    # beyond the probe's 100,000 rows: a sample without copies ends the count, copies of
    # a quarter of the rows are counted exactly
    big = r.normal(size=(300_000, 2))
    assert repeated_rows(big) == 0
    copies = np.vstack([big, big[:75_000]])
    assert repeated_rows(copies) == 75_000


def test_a_column_just_under_half_tied_is_not_called_heavy_tailed():
    # 2,480 zeros of 5,000 beside a half-normal: the median sits next to the zeros and the
    # MAD (3e-4) measured its distance from them, which put 36% of the half-normal "beyond
    # 20 robust standard deviations" and raised a HeavyTailWarning about Cauchy-like data.
    # A Cauchy column (about 2% beyond 20 robust sd) still warns.
    r = np.random.default_rng(0)
    v, y = r.normal(size=5000), r.normal(size=5000)
    relu = np.where(np.arange(5000) < 2480, 0.0, np.abs(v))
    fast = {"n_bootstrap": 2, "mc_samples": 1000, "random_state": 0, "transform": "identity"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = gmmi.mutual_information(relu, y, **fast)
        assert not [m for m in res.warnings if "heavy tails" in m], res.warnings
        cauchy = gmmi.mutual_information(r.standard_cauchy(5000), y, **fast)
    assert any(m.startswith("x: heavy tails") for m in cauchy.warnings), cauchy.warnings
