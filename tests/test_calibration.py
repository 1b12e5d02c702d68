"""gmmi's default estimator (preset "gmmi") against the published one (preset "published"):
the options each preset sets, the bias-corrected estimate and interval, the k-means seeding,
and the failure modes of the published defaults that gmmi's defaults fix. Coverage over many
data sets is measured by benches/accuracy.py, not here."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import gmmi
from gmmi.estimators import preset_options

MI = gmmi.mutual_information


def test_presets_come_from_the_core_and_differ_where_documented():
    pub, ours = preset_options("published"), preset_options("gmmi")
    # The published method's defaults (Piras et al. 2023).
    assert (pub["init"], pub["n_inits"], pub["n_folds"], pub["patience"]) == (
        "random_sklearn", 3, 2, 1)
    assert (pub["threshold_fit"], pub["reg_covar"], pub["n_bootstrap"]) == (1e-5, 1e-15, 50)
    assert not (pub["auto_threshold"] or pub["bias_correction"])
    assert pub["bootstrap_neighbours"] == 0 and pub["stratified_bootstrap"]
    assert (pub["integral"], pub["mc_samples"], pub["accelerate_em"]) == ("mc", 100_000, False)
    assert not pub["bin_rows"] and ours["bin_rows"]
    assert not pub["screen_starts"] and ours["screen_starts"]
    # gmmi's own: only the start and its screening, the search's patience and folds, the
    # covariance floor, the tolerance rule, EM's acceleration and binned rows, the bootstrap,
    # the representation, the integral and the summary differ.
    differ = {k for k in pub if pub[k] != ours[k]}
    assert differ == {"init", "patience", "n_folds", "reg_covar", "auto_threshold",
                      "bootstrap_neighbours", "bias_correction", "stratified_bootstrap",
                      "transform", "integral", "mc_samples", "accelerate_em", "bin_rows",
                      "screen_starts"}
    assert ours["patience"] == "auto" and ours["reg_covar"] == 1e-10
    assert ours["n_folds"] == "auto"
    assert ours["bootstrap_neighbours"] == "auto"
    assert (pub["transform"], ours["transform"]) == ("identity", "auto")
    assert (ours["integral"], ours["mc_samples"], ours["accelerate_em"]) == ("qmc", "auto", True)
    with pytest.raises(ValueError, match=r"^preset"):
        preset_options("paper")


def _gaussian(n, rho=0.6, seed=0):
    xy = np.random.default_rng(seed).multivariate_normal([0, 0], [[1, rho], [rho, 1]], size=n)
    return xy[:, 0], xy[:, 1]


def test_interval_and_estimate_follow_their_formulas():
    stats = pytest.importorskip("scipy.stats")
    x, y = _gaussian(500)
    r = MI(x, y, n_bootstrap=20, mc_samples=5000, random_state=1)
    assert r.bias_corrected and r.options["bias_correction"]
    v, f = r.samples, r.full_value
    # Bias-corrected estimate and basic bootstrap interval, recomputed here with NumPy.
    assert r.mean == pytest.approx(max(0.0, 2 * f - v.mean()), rel=1e-12)
    # The std: the replicates' root-mean-square deviation from the full-data value (their
    # spread, ddof 1, and the bias the correction removed); the default interval reaches
    # t quantile (19 degrees of freedom) x that std below the lower and above the higher of
    # the corrected estimate and the uncorrected full-data value.
    std = math.hypot(v.std(ddof=1), v.mean() - f)
    assert r.std == pytest.approx(std, rel=1e-12) and r.std > v.std(ddof=1)
    half = stats.t.ppf(0.95, df=v.size - 1) * std
    low, high = min(r.mean, f), max(r.mean, f)
    assert low < high  # the replicates' mean is not the full-data value: both ends move
    assert r.ci(0.9) == pytest.approx((max(0.0, low - half), high + half), rel=1e-12)
    assert r.ci(0.9, method="normal") == r.ci(0.9)
    lo, hi = np.quantile(v, [0.05, 0.95])
    assert r.ci(0.9, method="basic") == pytest.approx(
        (max(0.0, 2 * f - hi), max(0.0, 2 * f - lo)), rel=1e-12)
    assert r.ci(0.9, method="percentile") == pytest.approx((lo, hi), rel=1e-12)
    with pytest.raises(ValueError, match=r"^method"):
        r.ci(0.9, method="bca")
    p = MI(x, y, n_bootstrap=20, mc_samples=5000, random_state=1, preset="published")
    assert not p.bias_corrected
    assert p.mean == pytest.approx(p.samples.mean(), rel=1e-12)
    assert p.ci(0.9) == pytest.approx(tuple(np.quantile(p.samples, [0.05, 0.95])), rel=1e-12)
    half = stats.t.ppf(0.95, df=p.samples.size - 1) * p.samples.std(ddof=1)
    assert p.ci(0.9, method="normal") == pytest.approx((p.mean - half, p.mean + half), rel=1e-12)


def test_an_explicit_tolerance_is_used_at_every_n():
    x, y = _gaussian(300)
    assert MI(x, y, n_bootstrap=2, mc_samples=1000).options["auto_threshold"]
    r = MI(x, y, n_bootstrap=2, mc_samples=1000, threshold_fit=1e-4)
    assert not r.options["auto_threshold"] and r.options["threshold_fit"] == 1e-4


def test_the_bootstrap_records_the_k_each_replicate_kept():
    x, y = _gaussian(400)
    r = MI(x, y, n_bootstrap=12, mc_samples=2000, random_state=0)
    k = r.details["boot_n_components"]
    assert k.shape == (12,) and set(k) <= {1, 2}
    p = MI(x, y, n_bootstrap=12, mc_samples=2000, random_state=0, preset="published")
    assert set(p.details["boot_n_components"]) == {p.n_components}


def test_gaussian_mixture_fit_finds_unequal_separated_clusters_for_every_seed():
    # Three clusters (means (0,0), (6,0), (0,6), covariance 0.5 I, weights .5/.3/.2): plain
    # k-means++ seeding (one candidate per centre, one run) put two seeds in the big cluster
    # for random_state=0 and EM kept weights 0.8/0.1/0.1; greedy seeding with restarts finds
    # them. At n = 20,000 a weight's binomial sd is <= 0.0036, so 0.02 is > 5 sd.
    g = np.random.default_rng(3)
    n = 20_000
    k = g.choice(3, size=n, p=[0.5, 0.3, 0.2])
    X = np.array([[0, 0], [6, 0], [0, 6]])[k] + g.normal(size=(n, 2)) * np.sqrt(0.5)
    for s in range(20):
        m = gmmi.GaussianMixture(n_components=3, random_state=s).fit(X)
        np.testing.assert_allclose(np.sort(m.weights_), [0.2, 0.3, 0.5], atol=0.02,
                                   err_msg=f"random_state={s}")


def test_no_false_bad_fit_warning_for_one_gaussian_at_large_n():
    # K = 1 converges in one EM step from any start; the published defaults called that a
    # stalled fit at n = 300,000.
    x, y = _gaussian(300_000, seed=5)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = MI(x, y, n_bootstrap=4, mc_samples=20_000, random_state=0)
    assert r.n_components == 1
    assert not [w for w in caught if issubclass(w.category, gmmi.BadFitWarning)]
    # sd of the estimate at this n is about rho / sqrt(n) = 0.0011; MC error of 2e4 draws
    # about 0.004: 0.02 is several of both.
    assert abs(r.mean - (-0.5 * np.log(1 - 0.36))) < 0.02


def test_a_collapsing_fit_does_not_sink_the_estimate():
    # The reproducer: two independent columns of a 500 x 200 Gaussian block; a
    # component collapsed in EM and the whole call raised NumericalError.
    g = np.random.default_rng(0)
    A = g.normal(size=(500, 200))
    A[:, 1::2] += A[:, ::2]
    for preset in ("gmmi", "published"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", gmmi.GmmiWarning)
            r = MI(A[:, 41], A[:, 129], n_bootstrap=10, mc_samples=2000, random_state=0,
                   preset=preset)
        # Independent columns (truth 0); the published preset's K = 2 fit is noisy (its
        # replicates' sd ~0.07), so 0.25 nat is a generous bound on "near 0".
        assert np.isfinite(r.mean) and np.isfinite(r.std)
        assert abs(r.mean) < 0.25, (preset, r)


def test_clustered_data_at_large_n_get_all_their_components():
    # The paper's D5 mixture at n = 100,000: the published start (random responsibilities,
    # every component at the data mean) stalls and keeps K = 2-3 (0.06-0.09 nat against a
    # truth of 0.168); gmmi's mixed starts find 5 or more components.
    w = np.array([0.2, 0.35, 0.15, 0.12, 0.18])
    mu = np.array([(-1, 1), (0, 2), (-1.5, 2), (2, 1), (-0.25, 0)])
    cov = np.array([[[1, 0], [0, 0.1]], [[0.5, 0.2], [0.2, 0.5]], [[0.1, 0.05], [0.05, 0.1]],
                    [[0.5, -0.1], [-0.1, 0.9]], [[0.2, -0.05], [-0.05, 0.1]]])
    X, _ = gmmi.GaussianMixture.from_parameters(w, mu, cov).sample(100_000, random_state=2)
    r = MI(X[:, 0], X[:, 1], n_bootstrap=8, mc_samples=20_000, random_state=0)
    assert r.n_components >= 5
    # sd of the estimate at n = 1e5 is about 0.0015, MC error of 2e4 draws about 0.005.
    assert abs(r.mean - 0.16805) < 0.02, r


def test_categorical_interval_includes_the_variation_of_class_frequencies():
    # Two classes 8 sd apart (overlap ~e^-8): I = H(p_hat) to within 1e-3, so across data
    # sets the estimate varies as the binary entropy of the class frequency, with delta-
    # method sd |ln((1 - p) / p)| sqrt(p (1 - p) / n) = 0.0175 at p = 0.2, n = 1000.
    n, p = 1000, 0.2
    sd = math.log((1 - p) / p) * math.sqrt(p * (1 - p) / n)
    for seed in range(3):
        rng = np.random.default_rng(seed)
        c = (rng.random(n) < p).astype(int)
        x = rng.normal(8.0 * c, 1.0)
        r = MI(x, c, discrete_y=True, random_state=seed)
        # 50 replicates estimate an sd to ~10% (1 / sqrt(2 x 49)); allow 3 of those.
        assert abs(r.std - sd) < 0.3 * sd, (seed, r.std, sd)
        # The published bootstrap keeps the class counts and misses that variation.
        q = MI(x, c, discrete_y=True, random_state=seed, preset="published")
        assert q.std < 0.2 * sd, (seed, q.std)
