"""Many pairs at once: mi_matrix, mi_ranking, mi_score."""

from __future__ import annotations

import concurrent.futures
import warnings

import numpy as np
import pytest

import gmmi

FAST = {"n_bootstrap": 5, "mc_samples": 3000}


def latents_and_factors(n=600, seed=0):
    """Three latents; factor 0 is tracked by latent 0, factor 1 by latent 2, factor 2 by
    nothing."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, 3))
    f = np.column_stack([
        z[:, 0] + 0.5 * rng.normal(size=n),
        np.tanh(z[:, 2]) + 0.3 * rng.normal(size=n),
        rng.normal(size=n),
    ])
    return z, f


def test_cells_equal_single_estimates_and_structure_is_found():
    z, f = latents_and_factors()
    m = gmmi.mi_matrix(z, f, random_state=3, **FAST)
    assert m.shape == (3, 3) and not m.symmetric
    for i, j in [(0, 0), (1, 2), (2, 1)]:
        r = gmmi.mutual_information(z[:, i], f[:, j], random_state=3, **FAST)
        assert m.mean[i, j] == r.mean
        np.testing.assert_array_equal(m.samples[i, j], r.samples)
        assert m.n_components[i, j] == r.n_components
    # The related pairs stand out: z0-f0 has rho = 1/sqrt(1.25), MI ~ 0.80 nat; unrelated
    # pairs are near 0 (a few std of ~0.02 at n=600).
    assert m.mean[0, 0] > 0.6 and m.mean[2, 1] > 0.4
    for i, j in [(0, 2), (1, 0), (1, 1), (1, 2), (2, 2)]:
        assert m.mean[i, j] < 0.06, (i, j, m.mean[i, j])


def test_symmetric_matrix_and_labels():
    pd = pytest.importorskip("pandas")
    z, _ = latents_and_factors()
    df = pd.DataFrame(np.column_stack([z, z[:, 0] ** 3]), columns=["a", "b", "c", "a3"])
    m = gmmi.mi_matrix(df, random_state=1, **FAST)
    assert m.symmetric and m.row_labels == ["a", "b", "c", "a3"]
    assert np.isnan(np.diag(m.mean)).all()
    np.testing.assert_array_equal(m.mean, m.mean.T)
    assert m.mean[0, 3] > 1.0  # a and a^3 are (almost) the same variable
    long = m.to_pandas()
    assert len(long) == 12 and set(long.columns) >= {"row", "col", "mean", "std"}
    wide = m.to_pandas("wide")
    assert list(wide.columns) == ["a", "b", "c", "a3"]


def test_failing_pair_is_nan_with_reason_unless_raise():
    z, f = latents_and_factors(n=300)
    f[:, 1] = 2.0  # a constant factor
    # One warning for the call, counting the failed pairs and naming the first.
    with pytest.warns(gmmi.FailedPairWarning, match=r"3 of 9 pairs .* pair \('A\[0\]', "
                      r"'B\[1\]'\): .*constant.* \(and 2 more\)") as record:
        m = gmmi.mi_matrix(z, f, random_state=0, **FAST)
    assert sum(issubclass(w.category, gmmi.FailedPairWarning) for w in record) == 1
    assert np.isnan(m.mean[:, 1]).all() and np.isfinite(m.mean[:, [0, 2]]).all()
    assert set(m.errors) == {("A[0]", "B[1]"), ("A[1]", "B[1]"), ("A[2]", "B[1]")}
    assert m.errors[("A[0]", "B[1]")].startswith("'B[1]': is constant")
    with pytest.raises(ValueError, match=r"^pair \('A\[0\]', 'B\[1\]'\): 'B\[1\]': is constant"):
        gmmi.mi_matrix(z, f, errors="raise", random_state=0, **FAST)


def test_a_ranking_warns_once_and_puts_a_failed_feature_last():
    z, f = latents_and_factors(n=300)
    X = np.column_stack([z[:, :2], np.full(300, 4.0)])  # the third feature is constant
    with pytest.warns(gmmi.FailedPairWarning,
                      match=r"1 of 3 features .*: feature 'X\[2\]': is constant"):
        r = gmmi.mi_ranking(X, f[:, 0], random_state=0, **FAST)
    assert r.features[-1] == "X[2]" and np.isnan(r.mean[-1]) and "constant" in r.errors["X[2]"]


def test_a_failed_categorical_pair_names_its_discrete_variable():
    # A class with 2 rows cannot be fitted; the reason names the discrete column whichever
    # side of the pair it is on (the core is always given the continuous one first).
    rng = np.random.default_rng(1)
    x = rng.normal(size=200)
    labels = np.r_[np.zeros(198), 1, 1].astype(int)
    with pytest.warns(gmmi.FailedPairWarning):
        m = gmmi.mi_matrix(np.c_[labels, x], discrete_a=[True, False], **FAST)
    for cell in [("A[0]", "A[1]"), ("A[1]", "A[0]")]:
        # (the class by its label: the column is a float column of A, so 1.0)
        assert m.errors[cell].startswith("'A[0]': class 1.0 has only 2 rows"), m.errors[cell]
    # A class per row: the single estimate's reason (it was the core's "class ... has 1 rows:
    # 2 folds need at least as many rows"), naming the discrete column.
    with pytest.warns(gmmi.FailedPairWarning):
        m = gmmi.mi_matrix(np.c_[x], np.c_[rng.normal(size=200)], discrete_a=True, **FAST)
    assert m.errors[("A[0]", "B[0]")] == (
        "'A[0]': 200 classes for 200 rows; a continuous density cannot be fitted per class "
        "with fewer than two rows each (is this variable really discrete?)")


def test_mixed_discreteness_per_column():
    rng = np.random.default_rng(4)
    n = 600
    labels = rng.integers(0, 3, n)
    x = rng.normal(labels * 2.0, 1.0)
    other = rng.integers(0, 2, n)
    A = np.column_stack([x, labels])
    B = np.column_stack([labels, other])
    m = gmmi.mi_matrix(A, B, discrete_a=[False, True], discrete_b=True, random_state=2, **FAST)
    # continuous-categorical equals the single estimate
    r = gmmi.mutual_information(x, labels, discrete_y=True, random_state=2, **FAST)
    assert m.mean[0, 0] == r.mean
    # discrete-discrete: labels with themselves is their entropy (about ln 3)
    assert abs(m.mean[1, 0] - np.log(3)) < 0.02
    assert m.mean[1, 1] < 0.02


def test_cells_report_the_intervals_of_their_single_estimates():
    # ci() of a cell is the single estimate's ci(), from the same replicates and full-data
    # value: with gmmi's defaults the bias-corrected interval that also holds full_value,
    # not mean -/+ t * std. Continuous, categorical and discrete pairs; exact equality, as
    # the cells are the single estimates' numbers.
    rng = np.random.default_rng(8)
    n = 500
    labels = rng.integers(0, 3, n)
    x = rng.normal(labels * 1.5, 1.0)
    y = x + rng.normal(size=n)
    A = np.column_stack([x, labels])
    B = np.column_stack([y, labels])
    m = gmmi.mi_matrix(A, B, discrete_a=[False, True], discrete_b=[False, True],
                       random_state=4, **FAST)
    singles = {
        (0, 0): gmmi.mutual_information(x, y, random_state=4, **FAST),
        (0, 1): gmmi.mutual_information(x, labels, discrete_y=True, random_state=4, **FAST),
        (1, 1): gmmi.mutual_information(labels, labels, discrete_x=True, discrete_y=True,
                                        random_state=4, **FAST),
    }
    for level, method in [(0.95, None), (0.8, "percentile"), (0.9, "basic")]:
        low, high = m.ci(level, method)
        for (i, j), r in singles.items():
            assert (low[i, j], high[i, j]) == r.ci(level, method), (i, j, level, method)
    for (i, j), r in singles.items():
        assert m.full_value[i, j] == r.full_value
        assert m.bias_corrected[i, j] == r.bias_corrected
    # The correction applies to every kind of pair, as in single estimates (two discrete
    # variables too: their plug-in MI is biased upwards like a mixture's).
    assert m.bias_corrected[0, 0] and m.bias_corrected[0, 1] and m.bias_corrected[1, 1]
    published = gmmi.mi_matrix(A, B, discrete_a=[False, True], discrete_b=[False, True],
                               random_state=4, preset="published", **FAST)
    assert not published.bias_corrected.any()
    # The default interval holds the uncorrected full-data value.
    low, high = m.ci()
    assert low[0, 0] <= min(m.mean[0, 0], m.full_value[0, 0])
    assert high[0, 0] >= max(m.mean[0, 0], m.full_value[0, 0])
    # In bits, as the matrix's values.
    bits = gmmi.mi_matrix(A[:, :1], B[:, :1], base=2, random_state=4, **FAST)
    np.testing.assert_allclose(np.array(bits.ci()), np.array(m.ci())[:, :1, :1] / np.log(2),
                               rtol=1e-12)


def test_interval_cells_of_failed_pairs_and_refusals():
    z, f = latents_and_factors(n=300)
    f[:, 1] = 2.0  # a constant factor: that column's pairs fail
    with pytest.warns(gmmi.FailedPairWarning):
        m = gmmi.mi_matrix(z, f, random_state=0, **FAST)
    low, high = m.ci()
    assert np.isnan(low[:, 1]).all() and np.isnan(high[:, 1]).all()
    assert np.isfinite(low[:, [0, 2]]).all() and (low <= high)[:, [0, 2]].all()
    sym = gmmi.mi_matrix(z, random_state=0, **FAST)
    assert np.isnan(np.diag(sym.ci()[0])).all()
    np.testing.assert_array_equal(sym.ci()[1], sym.ci()[1].T)
    with pytest.raises(ValueError, match="level"):
        m.ci(1.5)
    with pytest.raises(ValueError, match="method"):
        m.ci(0.9, "bca")
    one = gmmi.mi_matrix(z, f[:, [0]], n_bootstrap=1, mc_samples=3000, random_state=0)
    with pytest.raises(ValueError, match="n_bootstrap >= 2"):
        one.ci()


def test_thread_count_and_executor_give_the_same_matrix():
    z, f = latents_and_factors(n=300, seed=5)
    one = gmmi.mi_matrix(z, f, n_jobs=1, random_state=7, **FAST)
    two = gmmi.mi_matrix(z, f, n_jobs=2, random_state=7, **FAST)
    np.testing.assert_array_equal(one.mean, two.mean)
    with concurrent.futures.ThreadPoolExecutor(2) as ex:
        viaex = gmmi.mi_matrix(z, f, executor=ex, block_size=2, random_state=7, **FAST)
    np.testing.assert_array_equal(one.mean, viaex.mean)
    np.testing.assert_array_equal(one.samples, viaex.samples)
    np.testing.assert_array_equal(one.full_value, viaex.full_value)
    np.testing.assert_array_equal(one.full_value, two.full_value)


def test_dask_local_cluster_of_processes():
    distributed = pytest.importorskip("distributed")
    z, f = latents_and_factors(n=300, seed=6)
    local = gmmi.mi_matrix(z, f, random_state=8, **FAST)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        remote = gmmi.mi_matrix(z, f, executor=client, block_size=3, random_state=8, **FAST)
    np.testing.assert_array_equal(local.mean, remote.mean)
    np.testing.assert_array_equal(local.std, remote.std)


def test_ranking_and_overlaps():
    rng = np.random.default_rng(9)
    X = rng.normal(size=(500, 4))
    y = 2 * X[:, 3] + X[:, 1] + 0.5 * rng.normal(size=500)
    r = gmmi.mi_ranking(X, y, random_state=0, n_bootstrap=20, mc_samples=3000)
    assert r.features[:2] == ["X[3]", "X[1]"]
    assert np.all(np.diff(r.mean) <= 0)
    # X[3] (0.72 nat) and X[1] (0.11) are resolved from their next; X[0] and
    # X[2] are independent of y (MI 0 both): their order is a coin toss, which a 95%
    # interval of the difference flags in all but about 5% of data sets (this seed is one
    # of the 95%).
    assert not r.overlaps_next[0] and not r.overlaps_next[1]
    assert r.overlaps_next[2]
    assert not r.overlaps_next[-1]
    assert r.level == 0.95
    assert "X[3]" in repr(r) and "not resolved at 95%" in repr(r)
    # The level as given, not rounded to a whole percent (0.999 read "100%").
    sharp = gmmi.mi_ranking(X, y, random_state=0, n_bootstrap=20, mc_samples=3000,
                            level=0.999)
    assert "not resolved at 99.9%" in repr(sharp)


def _one_column_matrix(samples, full, corrected=True):
    """A p x 1 MIMatrix from replicate rows ``samples`` (p, B) and full-data values."""
    samples = np.asarray(samples, dtype=float)[:, None, :]
    full = np.asarray(full, dtype=float)[:, None]
    mean = 2 * full - np.nanmean(samples, axis=2) if corrected else np.nanmean(samples, axis=2)
    p = samples.shape[0]
    return gmmi.MIMatrix(
        mean=mean, std=np.nanstd(samples, axis=2), n_components=np.ones((p, 1)),
        samples=samples, row_labels=[f"x{i}" for i in range(p)], col_labels=["y"],
        errors={}, symmetric=False, unit="nat", random_state=0, full_value=full,
        bias_corrected=np.full((p, 1), corrected))


def _standardised(rng, size):
    """Draws with mean exactly 0 and standard deviation exactly 1 (ddof 0)."""
    z = rng.normal(size=size)
    return (z - z.mean()) / z.std()


def test_ranking_order_is_judged_on_paired_replicate_differences():
    from gmmi.pairs import _order_unresolved

    rng = np.random.default_rng(0)
    B = 50
    # Replicates that err together (the same resampled rows): each spread 0.02, their
    # difference spread 0.002. Means 0.30 and 0.28 overlap at mean -/+ std, but the paired
    # difference, 0.02 against 2.01 x 0.002 (t quantile of 49 degrees of freedom), is
    # resolved.
    common = 0.02 * _standardised(rng, B)
    own = 0.002 * _standardised(rng, B)
    m = _one_column_matrix([0.30 + common + own, 0.28 + common], [0.30, 0.28])
    assert m.mean[0, 0] - m.std[0, 0] < m.mean[1, 0] + m.std[1, 0]
    assert not _order_unresolved(m, 0, 1, 0.95)
    # Independent replicates, spread 0.008 each: the mean -/+ std intervals do not overlap
    # (0.292 > 0.288), but the difference, 0.02, is within 2.01 x 0.0113 (its spread,
    # about 0.008 x sqrt(2)): unresolved.
    a, b = 0.008 * _standardised(rng, B), 0.008 * _standardised(rng, B)
    b -= np.dot(a, b) / np.dot(a, a) * a  # uncorrelated exactly
    b = 0.008 * b / b.std()
    m = _one_column_matrix([0.30 + a, 0.28 + b], [0.30, 0.28])
    assert m.mean[0, 0] - m.std[0, 0] > m.mean[1, 0] + m.std[1, 0]
    assert _order_unresolved(m, 0, 1, 0.95)
    # The same difference at level 0.5 (t quantile 0.68) is resolved.
    assert not _order_unresolved(m, 0, 1, 0.5)


def test_ranking_difference_interval_holds_the_full_data_values():
    from gmmi.pairs import _order_unresolved

    rng = np.random.default_rng(1)
    B = 50
    common = 0.02 * _standardised(rng, B)
    own = 0.002 * _standardised(rng, B)
    # Bias-corrected means 0.30 and 0.28 (resolved by the paired spread), but full-data
    # values 0.29 and 0.29: as each estimate's interval reaches from the corrected mean to
    # the full-data value, the difference's reaches from 0.02 to 0, so the order is not
    # resolved.
    samples = [0.28 + common + own, 0.30 + common]
    m = _one_column_matrix(samples, [0.29, 0.29])
    np.testing.assert_allclose(m.mean[:, 0], [0.30, 0.28], atol=1e-12)
    assert _order_unresolved(m, 0, 1, 0.95)
    # Without bias correction only the means count.
    m = _one_column_matrix([0.30 + common + own, 0.28 + common], [0.29, 0.29], corrected=False)
    assert not _order_unresolved(m, 0, 1, 0.95)


def test_ranking_without_an_interval_flags_nothing():
    from gmmi.pairs import _order_unresolved

    m = _one_column_matrix([[0.3], [0.28]], [0.3, 0.28])  # one replicate
    assert not _order_unresolved(m, 0, 1, 0.95)
    m = _one_column_matrix([[0.3, np.nan, 0.31], [np.nan, 0.2, 0.21]], [0.3, 0.2])
    assert not _order_unresolved(m, 0, 1, 0.95)  # one replicate pairs up
    m = _one_column_matrix([[0.3, 0.31], [0.2, 0.21]], [np.nan, 0.2])  # a failed feature
    assert not _order_unresolved(m, 0, 1, 0.95)
    rng = np.random.default_rng(2)
    r = gmmi.mi_ranking(rng.normal(size=(200, 2)), rng.normal(size=200), n_bootstrap=0,
                        random_state=0, mc_samples=2000)
    assert not r.overlaps_next.any()


def test_mi_score_in_a_selectkbest_pipeline():
    pytest.importorskip("sklearn")
    from sklearn.feature_selection import SelectKBest
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    rng = np.random.default_rng(10)
    X = rng.normal(size=(400, 5))
    y = (X[:, 2] - X[:, 4] > 0).astype(int)
    X[:, 0] = 1.0  # a constant feature scores 0
    scores = gmmi.mi_score(X, y, mc_samples=3000)
    assert scores[0] == 0.0
    pipe = make_pipeline(SelectKBest(gmmi.mi_score, k=2), LogisticRegression())
    pipe.fit(X, y)
    assert sorted(np.flatnonzero(pipe[0].get_support())) == [2, 4]
    assert pipe.score(X, y) > 0.9


def test_mi_score_a_constant_feature_labelled_as_the_target_scores_0():
    # A numpy target is labelled "y": a constant feature of that name fails with a reason
    # that starts like one of the target's, and must still score 0 (only a reason shared
    # by every feature is the target's).
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(11)
    X = pd.DataFrame({"x": rng.normal(size=300), "y": np.ones(300),
                      "z": rng.normal(size=300)})
    t = (X["x"] > 0).astype(int).to_numpy()
    scores = gmmi.mi_score(X, t, mc_samples=2000)
    assert scores[1] == 0.0 and scores[0] > 0.3


def test_plot_heatmap(tmp_path):
    mpl = pytest.importorskip("matplotlib")
    mpl.use("Agg")
    z, f = latents_and_factors(n=300)
    m = gmmi.mi_matrix(z, f, random_state=0, **FAST)
    ax = m.plot()
    out = tmp_path / "heatmap.png"
    ax.figure.savefig(out)
    assert out.stat().st_size > 1000
    assert [t.get_text() for t in ax.get_xticklabels()] == m.col_labels


def test_bad_inputs():
    z, f = latents_and_factors(n=100)
    with pytest.raises(ValueError, match="rows"):
        gmmi.mi_matrix(z, f[:50])
    with pytest.raises(ValueError, match="discrete_a"):
        gmmi.mi_matrix(z, f, discrete_a=[True])
    with pytest.raises(ValueError, match="errors"):
        gmmi.mi_matrix(z, f, errors="ignore")
    with pytest.raises(TypeError, match="unknown"):
        gmmi.mi_matrix(z, f, n_boot=3)
    bad = z.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="A column 'A\\[1\\]'"):
        gmmi.mi_matrix(bad, f)
    with pytest.raises(TypeError, match="executor"):
        gmmi.mi_matrix(z, f, executor=object())


def test_displays_count_failed_pairs_once_and_name_failed_features():
    rng = np.random.default_rng(1)
    A = np.column_stack([rng.normal(size=300), rng.normal(size=300), np.ones(300)])
    m = gmmi.mi_matrix(A, n_bootstrap=2, mc_samples=2000, random_state=0)
    # The constant column fails its two pairs; a symmetric matrix holds each in two cells.
    assert len(m.errors) == 4 and repr(m).endswith(", 2 failed)")
    r = gmmi.mi_ranking(A[:, [0, 2]], A[:, 1], n_bootstrap=2, mc_samples=2000,
                        random_state=0)
    assert r.features[-1] in r.errors  # the constant feature, ranked last
    assert f"{r.features[-1]}: failed" in repr(r)
    assert "failed" in r._repr_html_() and "nan" not in r._repr_html_()


def test_a_ranking_of_discrete_features_is_corrected_for_their_levels():
    # The plug-in MI favours features of many levels: an independent 40-level feature's
    # plug-in value against a 3-level target is about (40 - 1)(3 - 1) / 2n = 0.039 nat at
    # n = 1,000, above the 0.026 nat of a weakly informative 2-level feature. Bias-corrected
    # (gmmi's preset) the informative feature ranks first and the independent one's value
    # is near 0 (on 20 other data sets: 0.002 +- 0.003, at most 0.009, the informative one's
    # at least 0.016); every entry is the single estimate's.
    rng = np.random.default_rng(48)
    n = 1000
    target = rng.integers(0, 3, n)
    informative = np.where(rng.random(n) < 0.25, target % 2, rng.integers(0, 2, n))
    noise = rng.integers(0, 40, n)
    X = np.column_stack([noise, informative])
    r = gmmi.mi_ranking(X, target, discrete_features=True, discrete_target=True,
                        random_state=0)
    assert r.features[0] == "X[1]", r
    single = gmmi.mutual_information(noise, target, discrete_x=True, discrete_y=True,
                                     random_state=0)
    assert single.full_value > 0.03  # the plug-in's bias
    assert single.mean < 0.012       # corrected: 3.5 sd above the 20 data sets' mean
    assert r.mean[r.features.index("X[0]")] == single.mean


def test_mi_score_decides_constancy_from_the_data_not_from_the_names():
    # A failure is a constant column's when that column's smallest value equals its largest;
    # the word "constant" in a label (which every failure's reason repeats) decides nothing.
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(12)
    X = rng.normal(size=(400, 2))
    y = (X[:, 0] > 0).astype(int)
    y[0] = 7  # a class of one row: no density can be fitted to it, for any feature
    for name in ("target", "nonconstant_y"):
        with pytest.raises(ValueError, match=r"^y: class 7 has only 1 rows"):
            gmmi.mi_score(X, pd.Series(y, name=name), mc_samples=2000)
    g = rng.integers(0, 2, 400).astype(float)
    g[3] = 5.0  # a discrete feature with a class of one row, against a continuous target
    Xc = pd.DataFrame({"a": rng.normal(size=400), "constant_group": g})
    with pytest.raises(ValueError, match=r"X column 'constant_group' \(position 1\): class 5\.0"):
        gmmi.mi_score(Xc, Xc["a"].to_numpy() + g, discrete_features=[False, True],
                      mc_samples=2000)
    # A constant target scores 0 against every feature (documented), whatever it is called.
    np.testing.assert_array_equal(
        gmmi.mi_score(X, pd.Series(np.ones(400), name="varying"), mc_samples=2000), [0, 0])


def test_a_target_that_fails_every_feature_raises_in_ranking_as_in_score():
    rng = np.random.default_rng(13)
    X = rng.normal(size=(400, 2))
    y = (X[:, 0] > 0).astype(int)
    y[0] = 7
    with pytest.raises(ValueError, match=r"^target: class 7 has only 1 rows"):
        gmmi.mi_ranking(X, y, discrete_target=True, n_bootstrap=2, mc_samples=2000)
    with pytest.raises(ValueError, match=r"^y: class 7 has only 1 rows"):
        gmmi.mi_score(X, y, mc_samples=2000)
    # errors="raise" (an option of mi_matrix) raises a feature's failure in a ranking
    Xk = np.column_stack([X[:, 0], np.ones(400)])
    with pytest.raises(ValueError, match="is constant"):
        gmmi.mi_ranking(Xk, X[:, 1], errors="raise", n_bootstrap=2, mc_samples=2000)


def test_a_matrix_names_a_class_by_its_label_as_a_single_estimate_does():
    rng = np.random.default_rng(14)
    x = rng.normal(size=400)
    lab = rng.choice(["u", "v"], size=400).astype(object)
    lab[5] = "w"
    with pytest.raises(ValueError) as single:
        gmmi.mutual_information(x, lab, discrete_y=True, n_bootstrap=2, mc_samples=2000)
    m = gmmi.mi_matrix(x[:, None], lab[:, None].astype(str), discrete_b=True, n_bootstrap=2,
                       mc_samples=2000)
    reason = m.errors[("A[0]", "B[0]")]
    # The same reason in the same words (the single estimate calls its labels y).
    assert reason == "'B[0]': " + str(single.value).removeprefix("y: ")
    assert "class 'w' has only 1 rows" in reason


def test_mi_score_takes_the_options_of_mi_matrix_but_errors():
    rng = np.random.default_rng(15)
    X = rng.normal(size=(300, 2))
    y = (X[:, 1] > 0).astype(int)
    plain = gmmi.mi_score(X, y, mc_samples=2000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a misfit warning, if any, is not the question
        checked = gmmi.mi_score(X, y, mc_samples=2000, check=True, miller_madow=False)
    np.testing.assert_array_equal(plain, checked)
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as ex:
        np.testing.assert_array_equal(gmmi.mi_score(X, y, mc_samples=2000, executor=ex),
                                      plain)
    with pytest.raises(TypeError, match="errors: not an option of mi_score"):
        gmmi.mi_score(X, y, errors="raise")


def test_a_target_series_named_0_is_labelled_0():
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(16)
    X = rng.normal(size=(200, 2))
    y = (X[:, 0] > 0).astype(int)
    y[0] = 7  # a class of one row: the continuous feature's failure names the target
    r = gmmi.mi_ranking(np.column_stack([X[:, 1], y > 0]), pd.Series(y, name=0),
                        discrete_features=[False, True], discrete_target=True, n_bootstrap=2,
                        mc_samples=1000)
    assert r.errors["X[0]"].startswith("'0': class 7 has only 1 rows"), r.errors
