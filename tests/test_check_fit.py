"""``MIResult.check_fit``: the fitted mixture against the data by a KSG statistic."""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pytest

import gmmi
from gmmi import checks


def _gaussian(n: int, rho: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    return x, rho * x + np.sqrt(1 - rho * rho) * rng.normal(size=n)


def _spiral(v: np.ndarray, i: int, j: int) -> np.ndarray:
    """Each row rotated in the plane (i, j) by |row|^2 / 3 radians: a diffeomorphism."""
    t = (v * v).sum(axis=1) / 3.0
    out = v.copy()
    out[:, i] = np.cos(t) * v[:, i] - np.sin(t) * v[:, j]
    out[:, j] = np.sin(t) * v[:, i] + np.cos(t) * v[:, j]
    return out


@pytest.fixture(scope="module")
def gaussian_result() -> tuple[gmmi.MIResult, np.ndarray, np.ndarray]:
    x, y = _gaussian(2000, 0.6, 1)
    return gmmi.mutual_information(x, y, n_bootstrap=10, random_state=0), x, y


def test_a_mixture_that_fits_passes(gaussian_result):
    # Under the null (the data like a draw of the mixture) the statistic is Student t with
    # 15 degrees of freedom, beyond its threshold 2.95 with probability 1% (less for a
    # mixture fitted to these rows, which is closer to them than a fresh draw: 2 of 1,580
    # checks of fitted mixtures on the accuracy suite): a failure here (fixed seed) would
    # mean a broken check, not bad luck.
    r, x, y = gaussian_result
    with warnings.catch_warnings():
        warnings.simplefilter("error", gmmi.MisfitWarning)
        c = r.check_fit(x, y)
    assert c.passed and abs(c.statistic) <= c.threshold
    assert c.threshold == pytest.approx(2.947, abs=0.01)
    assert c.n_rows == 2000 and c.k == 10 and c.ksg_model.shape == (16,)
    # KSG of a bivariate Gaussian, rho = 0.6, 2,000 rows: the truth 0.223 within four of
    # its standard deviations (about 0.015).
    assert c.ksg_data == pytest.approx(-0.5 * np.log(1 - 0.36), abs=0.06)
    assert "passed" in repr(c) and c.to_dict()["passed"] is True


def test_dependence_the_mixture_misses_fails_the_check(gaussian_result):
    # The mixture of rho = 0.6 data checked against rho = 0.95 data with the same marginals:
    # the data's KSG (about 1.1 nat) is far above the draws' (0.22 +- 0.02).
    r, x, _ = gaussian_result
    _, y = _gaussian(2000, 0.95, 1)
    with pytest.warns(gmmi.MisfitWarning, match="too low"):
        c = r.check_fit(x, y)
    assert not c.passed and c.statistic > c.threshold
    # And the other way: independent data against the same mixture.
    rng = np.random.default_rng(5)
    with pytest.warns(gmmi.MisfitWarning, match="too high"):
        c = r.check_fit(rng.normal(size=2000), rng.normal(size=2000))
    assert not c.passed and c.statistic < -c.threshold


def test_the_spiral_that_every_fit_misses_is_flagged():
    # A 3+3 Gaussian (corr(x_i, y_i) = 0.5, MI 0.4315 nat) with each block spiralled: the
    # estimate is about half the truth and its interval far from it (the held-out
    # "bn-spiral" task of benches/accuracy.py). The data's KSG stands 4.6-7.7 spreads above
    # the draws' at n = 5,000 on four such data sets (threshold 2.95).
    rng = np.random.default_rng(11)
    n = 5000
    v = rng.normal(size=(n, 6))
    y = 0.5 * v[:, :3] + np.sqrt(0.75) * v[:, 3:]
    x = _spiral(v[:, :3], 0, 1)
    y = _spiral(y, 1, 2)
    # The estimator checks a pair of several columns by itself (on 1,000 rows per
    # component, here 4,000 of the 5,000).
    with pytest.warns(gmmi.MisfitWarning):
        r = gmmi.mutual_information(x, y, n_bootstrap=10, random_state=0)
    truth = -1.5 * np.log(1 - 0.25)
    assert _bootstrap_interval(r)[1] < truth
    assert r.fit_check is not None and r.fit_check.statistic > r.fit_check.threshold
    with pytest.warns(gmmi.MisfitWarning):
        c = r.check_fit(x, y)
    assert c.statistic > c.threshold
    # The failed check is followed to a larger mixture that shows the data's dependence,
    # whose MI the interval also holds (see test_a_failed_check_extends_the_interval).
    ext = r.details["misfit_extension"]
    assert ext["value"] > _bootstrap_interval(r)[1] and r.ci()[1] >= ext["value"]


def _bootstrap_interval(r: gmmi.MIResult) -> tuple[float, float]:
    """The interval of ``r`` without the extension a failed check of its fit adds."""
    details = {k: v for k, v in r.details.items() if k != "misfit_extension"}
    return dataclasses.replace(r, details=details).ci()


def test_same_numbers_on_any_thread_count_and_seed(gaussian_result):
    r, x, y = gaussian_result
    a = r.check_fit(x, y, n_jobs=1, max_rows=500)
    b = r.check_fit(x, y, n_jobs=2, max_rows=500)
    assert a == b and a.n_rows == 500
    c = r.check_fit(x, y, max_rows=500, random_state=1)
    assert c.ksg_data != a.ksg_data


def test_bad_input_is_refused_naming_the_argument(gaussian_result):
    r, x, y = gaussian_result
    with pytest.raises(ValueError, match="n_draws"):
        r.check_fit(x, y, n_draws=2)
    with pytest.raises(ValueError, match="max_rows"):
        r.check_fit(x, y, max_rows=10)
    with pytest.raises(ValueError, match="max_rows"):
        r.check_fit(x, y, max_rows=10**6)
    with pytest.raises(ValueError, match="k"):
        r.check_fit(x, y, k=0)
    with pytest.raises(ValueError, match="y"):
        r.check_fit(x, y[:-1])
    with pytest.raises(ValueError, match="x"):
        r.check_fit(np.where(np.arange(x.size) == 3, np.nan, x), y)
    with pytest.raises(ValueError, match="columns"):
        r.check_fit(np.column_stack([x, x]), y)
    with pytest.raises(TypeError, match="n_draws"):
        r.check_fit(x, y, n_draws=8.5)
    d = gmmi.mutual_information((x > 0).astype(int), (y > 0).astype(int), discrete_x=True,
                                discrete_y=True, n_bootstrap=5, random_state=0)
    with pytest.raises(ValueError, match="result"):
        d.check_fit((x > 0).astype(int), (y > 0).astype(int))


def test_a_cancelled_check_stops(gaussian_result):
    # The flag Ctrl-C sets (see gmmi._run): the core stops between rows of a KSG and raises.
    r, x, y = gaussian_result
    control = gmmi._core.Control()
    control.cancel()
    z = np.ascontiguousarray(np.column_stack([x, y]))
    with pytest.raises(KeyboardInterrupt):
        gmmi._core.fit_check(r.model._m, z, [1, 1], 4000, 16, 3, 0, None, control)


def test_progress_needs_a_bool(gaussian_result):
    r, x, y = gaussian_result
    with pytest.raises(TypeError, match="progress"):
        r.check_fit(x, y, progress="yes")


def _chain(n: int, coupling: float, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x = z + e1, y = coupling x + z + e2: I(X; Y | Z) = 0.5 ln(1 + coupling^2)."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=n)
    x = z + rng.normal(size=n)
    return x, coupling * x + z + rng.normal(size=n), z


@pytest.fixture(scope="module")
def conditional_result() -> tuple[gmmi.MIResult, np.ndarray, np.ndarray, np.ndarray]:
    x, y, z = _chain(2000, 0.8, 3)
    return (gmmi.conditional_mutual_information(x, y, z, n_bootstrap=10, random_state=0),
            x, y, z)


def test_a_conditional_mi_fit_is_checked_by_the_conditional_ksg(conditional_result):
    # The Gaussian chain is one Gaussian, which the mixture fits: the statistic is then t
    # with 15 degrees of freedom (beyond 2.95 with probability 1%; fixed seed).
    r, x, y, z = conditional_result
    with warnings.catch_warnings():
        warnings.simplefilter("error", gmmi.MisfitWarning)
        c = r.check_fit(x, y, z)
    assert c.passed and c.n_rows == 2000
    # The Frenzel-Pompe KSG of I(X; Y | Z) = 0.5 ln 1.64 = 0.247 nat at 2,000 rows: sd about
    # 0.02, bias a few hundredths in three columns.
    assert c.ksg_data == pytest.approx(0.5 * np.log(1.64), abs=0.08)
    # The unconditional KSG of the same x and y would be far higher (I(X; Y) = 0.85 nat):
    # the check looks at the conditional dependence.
    assert c.ksg_data < 0.45


def test_conditional_dependence_the_mixture_misses_fails_the_check(conditional_result):
    # The mixture of the coupled chain against data with y independent of x given z (the
    # same z and x): the data's conditional KSG (about 0) is far below the draws' (0.25).
    r, x, _, z = conditional_result
    rng = np.random.default_rng(8)
    y0 = z + np.sqrt(1.64) * rng.normal(size=z.size)
    with pytest.warns(gmmi.MisfitWarning, match="conditional MI.*too high"):
        c = r.check_fit(x, y0, z)
    assert not c.passed and c.statistic < -c.threshold


def test_a_conditional_check_that_fails_low_is_followed_by_larger_mixtures(
        conditional_result):
    # The mixture of the chain with coupling 0.8 (I(X; Y | Z) = 0.247 nat) against data
    # coupled by 2 (the same x and z; 0.5 ln 5 = 0.805 nat): the check fails with the data
    # showing more conditional dependence, and the extension fits the data themselves,
    # whose two-component mixture already shows it (they are one Gaussian).
    from gmmi import checks

    r, x, _, z = conditional_result
    rng = np.random.default_rng(9)
    y2 = 2.0 * x + z + rng.normal(size=z.size)
    with pytest.warns(gmmi.MisfitWarning, match="too low"):
        c = r.check_fit(x, y2, z)
    assert c.statistic > c.threshold
    ext = checks.misfit_extension(r, x, y2, z, c, max_rows=4000, seed=r.random_state)
    assert ext is not None and ext["reached"] and ext["n_components"] == r.n_components + 1
    assert ext["statistic"] <= 0
    # The conditional MI of a mixture of the data: the truth within 0.06 nat (2,000 rows:
    # the plug-in's sd is about 0.02 and its bias a few thousandths).
    assert ext["value"] == pytest.approx(0.5 * np.log(5.0), abs=0.06)
    # A check that passed, or failed the other way, is not followed.
    assert checks.misfit_extension(r, x, _, z, r.check_fit(x, _, z), max_rows=4000,
                                   seed=0) is None
    rng = np.random.default_rng(8)
    y0 = z + np.sqrt(1.64) * rng.normal(size=z.size)
    with pytest.warns(gmmi.MisfitWarning, match="too high"):
        low = r.check_fit(x, y0, z)
    assert checks.misfit_extension(r, x, y0, z, low, max_rows=4000, seed=0) is None


def test_an_extension_reads_a_result_saved_before_a_preset_setting_existed(
        conditional_result):
    # A result saved by an earlier gmmi lacks the preset settings added since (session
    # 50's screen_starts): the extension takes gmmi's preset's value for them, so it finds
    # the same larger mixture as for the result with the setting, instead of failing on
    # the missing option.
    import dataclasses

    from gmmi import checks

    r, x, _, z = conditional_result
    y2 = 2.0 * x + z + np.random.default_rng(9).normal(size=z.size)
    with pytest.warns(gmmi.MisfitWarning, match="too low"):
        c = r.check_fit(x, y2, z)
    assert r.options["screen_starts"]
    old = dataclasses.replace(r, options={k: v for k, v in r.options.items()
                                          if k != "screen_starts"})
    new = checks.misfit_extension(r, x, y2, z, c, max_rows=4000, seed=r.random_state)
    assert new is not None
    assert checks.misfit_extension(old, x, y2, z, c, max_rows=4000,
                                   seed=r.random_state) == new


def test_z_is_given_for_a_conditional_result_and_only_for_one(conditional_result,
                                                              gaussian_result):
    r, x, y, z = conditional_result
    with pytest.raises(ValueError, match=r"^z: this is a conditional MI result"):
        r.check_fit(x, y)
    with pytest.raises(ValueError, match=r"^z: has 2 columns"):
        r.check_fit(x, y, np.column_stack([z, z]))
    with pytest.raises(ValueError, match=r"^z"):
        r.check_fit(x, y, z[:-1])
    m, x1, y1 = gaussian_result
    with pytest.raises(ValueError, match=r"^z: this result is not conditional"):
        m.check_fit(x1, y1, x1)


@pytest.fixture(scope="module")
def categorical_result() -> tuple[gmmi.MIResult, np.ndarray, np.ndarray]:
    # Three classes of a 2-D latent: x | c ~ N((c, 0), I), labels as strings.
    rng = np.random.default_rng(4)
    c = rng.integers(0, 3, 3000)
    x = np.column_stack([c + rng.normal(size=3000), rng.normal(size=3000)])
    labels = np.array(["a", "b", "c"])[c]
    return (gmmi.mutual_information(x, labels, discrete_y=True, n_bootstrap=10,
                                    random_state=0), x, labels)


def test_a_categorical_fit_is_checked_class_by_class(categorical_result, tmp_path):
    # One Gaussian per class fits: the statistic is t with 15 degrees of freedom under the
    # null (beyond 2.95 with probability 1%; fixed seed). The KSG of Ross (2014) is near
    # the truth, 0.254 nat for equally likely classes N(c, 1), c = 0, 1, 2 (by quadrature),
    # within four of its sd (0.013 at 3,000 rows) plus its bias.
    r, x, labels = categorical_result
    with warnings.catch_warnings():
        warnings.simplefilter("error", gmmi.MisfitWarning)
        c = r.check_fit(x, labels)
    assert c.passed and c.n_rows == 3000
    assert c.ksg_data == pytest.approx(0.254, abs=0.06)
    # Discrete x: the same check with the arguments in the estimate's order.
    r2 = gmmi.mutual_information(labels, x, discrete_x=True, n_bootstrap=10, random_state=0)
    assert r2.check_fit(labels, x) == c
    # A saved result keeps what the check needs (which variable was discrete).
    path = tmp_path / "cat.json"
    r.save(path)
    assert gmmi.load(path).check_fit(x, labels) == c


def test_classes_the_mixtures_miss_fail_the_check(categorical_result):
    # The same mixtures against data whose classes lie twice as far apart: far more MI in
    # the data (KSG 0.63 nat) than in the draws (0.26 +- 0.013).
    r, x, labels = categorical_result
    shifted = x.copy()
    shifted[:, 0] += (np.searchsorted(["a", "b", "c"], labels))
    with pytest.warns(gmmi.MisfitWarning, match="too low"):
        c = r.check_fit(shifted, labels)
    assert not c.passed and c.statistic > c.threshold


def test_a_categorical_check_refuses_what_does_not_match(categorical_result):
    r, x, labels = categorical_result
    with pytest.raises(ValueError, match=r"^y: label 'd' is not one of"):
        r.check_fit(x, np.where(labels == "a", "d", labels))
    with pytest.raises(ValueError, match=r"^x: has 1 columns"):
        r.check_fit(x[:, 0], labels)
    with pytest.raises(ValueError, match=r"^y: has 2999 rows"):
        r.check_fit(x, labels[:-1])
    with pytest.raises(ValueError, match=r"^z: a continuous-categorical MI has no z"):
        r.check_fit(x, labels, x[:, 0])
    with pytest.warns(gmmi.ZeroInformationWarning):
        single = gmmi.mutual_information(x, np.zeros(3000), discrete_y=True, n_bootstrap=5)
    with pytest.raises(ValueError, match=r"^result"):
        single.check_fit(x, np.zeros(3000))


def test_a_matrix_checks_every_pair_as_its_single_estimate(tmp_path):
    # mi_matrix(check=True) runs, per pair, the check MIResult.check_fit runs with its
    # defaults and the same seed: the statistics are equal to the last bit, for
    # continuous-categorical cells and (mirrored) continuous pairs.
    rng = np.random.default_rng(21)
    n = 1500
    x = rng.normal(size=n)
    y = 0.6 * x + 0.8 * rng.normal(size=n)
    labels = (x > 0).astype(int) + (y > 0).astype(int)
    A = np.column_stack([x, y])
    m = gmmi.mi_matrix(A, labels, discrete_b=True, check=True, n_bootstrap=5,
                       random_state=3)
    assert m.check_statistic is not None and m.check_statistic.shape == (2, 1)
    assert m.check_threshold == pytest.approx(2.947, abs=0.01)
    for i, col in enumerate((x, y)):
        single = gmmi.mutual_information(col, labels, discrete_y=True, n_bootstrap=5,
                                         random_state=3)
        assert m.check_statistic[i, 0] == single.check_fit(col, labels).statistic
    # Gaussian data and Gaussian classes: nothing to flag (each cell t with 15 degrees of
    # freedom under the null, beyond 2.95 with probability 1%; fixed seeds).
    assert not m.misfit.any()
    s = gmmi.mi_matrix(A, check=True, n_bootstrap=5, random_state=3)
    single = gmmi.mutual_information(x, y, n_bootstrap=5, random_state=3)
    want = single.check_fit(x, y).statistic
    assert s.check_statistic[0, 1] == want and s.check_statistic[1, 0] == want
    assert np.isnan(s.check_statistic[0, 0])
    assert "check_statistic" in s.to_pandas().columns
    # The same through an executor (blocks of pairs computed by the core on its workers).
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(2) as ex:
        assert gmmi.mi_matrix(A, check=True, n_bootstrap=5, random_state=3, executor=ex,
                              block_size=1) == s
    # Kept through save and load; absent without check=True.
    path = tmp_path / "m.json"
    s.save(path)
    assert gmmi.load(path) == s
    plain = gmmi.mi_matrix(A, n_bootstrap=5, random_state=3)
    assert plain.check_statistic is None and plain.check_threshold is None
    with pytest.raises(ValueError, match=r"^misfit"):
        _ = plain.misfit
    with pytest.raises(TypeError, match="check"):
        gmmi.mi_matrix(A, check="yes")


def _thin_ring(n: int = 4000, seed: int = 5) -> tuple[np.ndarray, np.random.Generator]:
    """Points on a circle of radius 3 with radial noise of sd 0.05, and the generator that
    drew them (for more columns)."""
    rng = np.random.default_rng(seed)
    angle = rng.uniform(0, 2 * np.pi, size=n)
    r = 3 + 0.05 * rng.normal(size=n)
    return np.column_stack([r * np.cos(angle), r * np.sin(angle)]), rng


@pytest.mark.filterwarnings("ignore::gmmi.MaxComponentsWarning")  # the cap is the point
def test_a_matrix_names_the_pair_whose_fit_fails_its_check():
    # A thin ring (radius 3, sd 0.05) with at most 3 components: the mixture cannot follow
    # the curve and its draws carry far less dependence than the data (the data's KSG
    # 2.05 nat against 0.48 for the draws, 99 spreads apart; with the default search,
    # K = 25, the same check passes at 1.8).
    ring, _ = _thin_ring()
    with pytest.warns(gmmi.MisfitWarning, match=r"^pair \('A\[0\]', 'A\[1\]'\): the fitted"):
        m = gmmi.mi_matrix(ring, check=True, n_bootstrap=5, random_state=0,
                           max_components=3)
    assert m.misfit[0, 1] and m.misfit[1, 0] and m.check_statistic[0, 1] > m.check_threshold
    assert any("unlike the data" in w for w in m.cell_warnings[("A[0]", "A[1]")])


def test_a_ranking_checks_every_feature_as_its_single_estimate(tmp_path):
    # mi_ranking(check=True) is the matrix of the features against the target with checks:
    # each ranked feature's statistic is its single estimate's check_fit statistic (same
    # seed, to the last bit), carried in the ranking's order.
    rng = np.random.default_rng(22)
    n = 1200
    X = rng.normal(size=(n, 3))
    y = 0.3 * X[:, 0] + 0.9 * X[:, 2] + 0.5 * rng.normal(size=n)
    r = gmmi.mi_ranking(X, y, check=True, n_bootstrap=5, random_state=4)
    assert r.features[0] == "X[2]"
    assert r.check_statistic is not None and r.check_statistic.shape == (3,)
    assert r.check_threshold == pytest.approx(2.947, abs=0.01)
    for feature, statistic in zip(r.features, r.check_statistic):
        col = X[:, int(feature[2])]
        single = gmmi.mutual_information(col, y, n_bootstrap=5, random_state=4)
        assert statistic == single.check_fit(col, y).statistic
    # Gaussian data: nothing to flag (t with 15 degrees of freedom under the null, beyond
    # 2.95 with probability 1% per feature; fixed seeds).
    assert not r.misfit.any()
    assert list(r.to_pandas()["check_statistic"]) == list(r.check_statistic)
    path = tmp_path / "r.json"
    r.save(path)
    assert gmmi.load(path) == r
    plain = gmmi.mi_ranking(X, y, n_bootstrap=5, random_state=4)
    assert plain.check_statistic is None and plain.check_threshold is None
    assert "check_statistic" not in plain.to_pandas().columns
    with pytest.raises(ValueError, match=r"^misfit: this ranking"):
        _ = plain.misfit
    with pytest.raises(TypeError, match="check"):
        gmmi.mi_ranking(X, y, check="yes")


@pytest.mark.filterwarnings("ignore::gmmi.MaxComponentsWarning")  # the cap is the point
def test_a_ranking_names_the_feature_whose_fit_fails_its_check():
    # The thin ring of the matrix test above, as a feature (x) and the target (y), with a
    # feature independent of both: the ring's fit with at most 3 components fails its check
    # (the data's KSG far above the draws'); the independent feature's passes.
    ring, rng = _thin_ring()
    X = np.column_stack([ring[:, 0], rng.normal(size=len(ring))])
    y = ring[:, 1]
    with pytest.warns(gmmi.MisfitWarning, match=r"^feature 'X\[0\]': the fitted"):
        r = gmmi.mi_ranking(X, y, check=True, n_bootstrap=5, random_state=0,
                            max_components=3)
    assert r.features == ["X[0]", "X[1]"]
    assert list(r.misfit) == [True, False]
    assert any("unlike the data" in w for w in r.cell_warnings["X[0]"])
    assert "misfit (check_fit failed)" in repr(r).splitlines()[1]
    assert "misfit" in r._repr_html_()


def test_the_command_line_checks_an_estimate_and_a_matrix(tmp_path, capsys):
    from gmmi.cli import main

    x, y = _gaussian(800, 0.6, 2)
    path = tmp_path / "d.csv"
    np.savetxt(path, np.column_stack([x, y]), delimiter=",", header="x,y", comments="")
    assert main(["estimate", str(path), "--x", "x", "--y", "y", "--check", "--quiet",
                 "--n-bootstrap", "5"]) == 0
    want = gmmi.mutual_information(x, y, n_bootstrap=5, random_state=0).check_fit(x, y)
    assert f"check: {want!r}" in capsys.readouterr().out
    out = tmp_path / "m.csv"
    assert main(["matrix", str(path), "--a", "x,y", "--check", "--quiet", "--n-bootstrap",
                 "5", "--out", str(out)]) == 0
    assert "check of every fit: 0 failed" in capsys.readouterr().out
    header, first = out.read_text().splitlines()[:2]
    assert header.endswith(",check_statistic")
    assert float(first.split(",")[-1]) == want.statistic


def test_the_command_line_ranks_features_with_checks(tmp_path, capsys):
    # gmmi rank is mi_ranking on the file's columns: the same order, values and check
    # statistics for the same seed, as text, JSON and CSV.
    from gmmi.cli import main

    rng = np.random.default_rng(23)
    n = 800
    a, b = rng.normal(size=n), rng.normal(size=n)
    y = a + 0.5 * rng.normal(size=n)
    path = tmp_path / "d.csv"
    np.savetxt(path, np.column_stack([a, b, y]), delimiter=",", header="a,b,y", comments="")
    want = gmmi.mi_ranking(np.column_stack([a, b]), y, check=True, n_bootstrap=5,
                           random_state=0)
    out = tmp_path / "r.csv"
    assert main(["rank", str(path), "--features", "a,b", "--target", "y", "--check",
                 "--quiet", "--n-bootstrap", "5", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert text.startswith("target: y\nMIRanking (nat;")
    assert "1. a:" in text and "check of every fit: 0 failed" in text
    header, *rows = out.read_text().splitlines()
    assert header == "rank,feature,mean,std,overlaps_next,error,check_statistic"
    assert [r.split(",")[1] for r in rows] == ["a", "b"] == [f.replace("X[0]", "a").replace(
        "X[1]", "b") for f in want.features]
    assert [float(r.split(",")[2]) for r in rows] == list(want.mean)
    assert [float(r.split(",")[-1]) for r in rows] == list(want.check_statistic)
    assert main(["rank", str(path), "--features", "a,b", "--target", "y", "--json",
                 "--quiet", "--n-bootstrap", "5"]) == 0
    import json

    got = json.loads(capsys.readouterr().out)
    assert got["features"] == ["a", "b"] and got["mean"] == list(want.mean)
    assert "check_statistic" not in got
    pytest.importorskip("matplotlib")
    png = tmp_path / "r.png"
    assert main(["rank", str(path), "--features", "a,b", "--target", "y", "--quiet",
                 "--n-bootstrap", "5", "--plot", str(png)]) == 0
    assert png.stat().st_size > 1000


@pytest.mark.filterwarnings("ignore::gmmi.MaxComponentsWarning")
def test_a_ranking_plots_its_bars_and_flags(tmp_path):
    # MIRanking.plot: one bar per ranked feature, the first on top, labelled in rank order,
    # with the "misfit" and "~ next" marks of the display (the thin ring's feature fails its
    # check with at most 3 components; the two independent features are a coin toss).
    mpl = pytest.importorskip("matplotlib")
    mpl.use("Agg")
    ring, rng = _thin_ring()
    X = np.column_stack([ring[:, 0], rng.normal(size=len(ring)), rng.normal(size=len(ring))])
    with pytest.warns(gmmi.MisfitWarning):
        r = gmmi.mi_ranking(X, ring[:, 1], check=True, n_bootstrap=5, random_state=0,
                            max_components=3)
    ax = r.plot()
    assert len(ax.patches) == 3
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == r.features and r.features[0] == "X[0]"
    # The top bar is the first feature's and the longest.
    top = max(ax.patches, key=lambda p: p.get_y())
    assert top.get_width() == pytest.approx(r.mean[0])
    notes = [t.get_text() for t in ax.texts]
    assert "misfit" in notes[0]
    assert sum("~ next" in n for n in notes) == int(r.overlaps_next.sum())
    out = tmp_path / "ranking.png"
    ax.figure.savefig(out, dpi=60)
    assert out.stat().st_size > 1000


def test_a_constant_column_is_refused_by_the_check_whatever_its_value():
    # The rounding of a column of ones' mean left it a deviation of 1e-14, by which the
    # draws were scaled to a point: the check passed for ones and failed for zeros. Then a
    # constant column failed it whatever its value, with a MisfitWarning that called the
    # estimate too high. The estimator refuses such a column, so the check does too: the
    # rows it checks stand for those the mixture was fitted to.
    rng = np.random.default_rng(0)
    x = rng.normal(size=600)
    y = x + rng.normal(size=600)
    r = gmmi.mutual_information(x, y, n_bootstrap=3, random_state=0)
    for value in (0.0, 1.0, 3.7):
        with pytest.raises(ValueError, match=r"^x: .*is constant"):
            r.check_fit(np.full(600, value), y)
    # So is a spread the estimator refuses (beyond 1e153), which made the statistic inf.
    with pytest.raises(ValueError, match=r"^x: "):
        r.check_fit(x * 1e200, y)


def _asinh_student_t(n: int, d: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """asinh of every column of a d+d multivariate Student t with one degree of freedom and
    identity scatter: the blocks depend only through their shared scale (MI 0.585 nat for
    3+3); asinh tames the tails, so no HeavyTailWarning speaks for them."""
    rng = np.random.default_rng(seed)
    t = rng.normal(size=(n, 2 * d)) / np.sqrt(rng.chisquare(1, n))[:, None]
    return np.arcsinh(t[:, :d]), np.arcsinh(t[:, d:])


def test_the_estimator_checks_a_pair_of_several_columns_by_default():
    # At n = 1,000 every estimate of this 3+3 task is about 0.22 nat for a truth of 0.585,
    # its interval far below it, and no other warning says so. The data's KSG stood
    # 4.8-9.4 spreads above the mixture's draws on five data sets (threshold 2.95, the
    # two-sided 1% quantile of Student t with 15 degrees of freedom); this seed's 7.4.
    x, y = _asinh_student_t(1000, 3, 31)
    with pytest.warns(gmmi.MisfitWarning, match="too low") as caught:
        r = gmmi.mutual_information(x, y, n_bootstrap=10, random_state=0)
    # The warning points at the caller, not at gmmi.
    assert all(w.filename == __file__ for w in caught if w.category is gmmi.MisfitWarning)
    c = r.fit_check
    assert c is not None and not c.passed and c.statistic > c.threshold
    assert _bootstrap_interval(r)[1] < 0.585
    # At most 1,000 rows per component of the fitted mixture.
    assert c.n_rows == min(1000, 1000 * r.n_components)
    assert any("unlike the data" in m for m in r.warnings)
    # The same check as asked for afterwards, and the same estimate without it.
    with pytest.warns(gmmi.MisfitWarning):
        assert c == r.check_fit(x, y, max_rows=c.n_rows)
    with warnings.catch_warnings():
        warnings.simplefilter("error", gmmi.MisfitWarning)
        off = gmmi.mutual_information(x, y, n_bootstrap=10, random_state=0, check=False)
    assert off.fit_check is None and off.mean == r.mean
    np.testing.assert_array_equal(off.samples, r.samples)
    assert not any("unlike the data" in m for m in off.warnings)
    # Kept by to_dict, and shown by the result's display.
    assert r.to_dict()["fit_check"]["passed"] is False
    assert "fit check FAILED" in repr(r) and "fit check" not in repr(off)
    html = r._repr_html_()
    assert "check of the fit" in html and "FAILED: statistic" in html


def test_a_failed_check_extends_the_interval(tmp_path):
    # The data of the test above: the estimate about 0.22 nat for a truth of 0.585, the
    # check failed with the data showing more dependence than the mixture's draws.
    x, y = _asinh_student_t(1000, 3, 31)
    with pytest.warns(gmmi.MisfitWarning, match="interval was extended") as caught:
        r = gmmi.mutual_information(x, y, n_bootstrap=10, random_state=0)
    assert sum(w.category is gmmi.MisfitWarning for w in caught) == 1
    ext = r.details["misfit_extension"]
    steps = ext["steps"]
    # Mixtures of more components, K growing by a quarter (at least one) per step from the
    # estimate's, until the first whose draws show at least the data's KSG dependence.
    ks, k = [], r.n_components
    for _ in steps:
        k += max(1, -(-k // 4))
        ks.append(k)
    assert [s["n_components"] for s in steps] == ks
    assert all(s["statistic"] > 0 for s in steps[:-1])
    assert ext["reached"] and steps[-1]["statistic"] <= 0
    assert ext == dict(steps[-1], reached=True, steps=steps)
    # The larger mixtures show more of the dependence: the value lies above the bootstrap
    # interval, toward the truth.
    lo, hi = _bootstrap_interval(r)
    assert ext["value"] > hi
    # The interval: the bootstrap's, and the same interval about the extension's value as
    # about the full-data value.
    shift = ext["value"] - r.full_value
    assert r.ci() == pytest.approx((max(0.0, min(lo, lo + shift)), max(hi, hi + shift)))
    assert r.ci(0.5)[1] < r.ci()[1]
    # The estimate is the same with or without the check, and on one thread.
    off = gmmi.mutual_information(x, y, n_bootstrap=10, random_state=0, check=False)
    assert off.mean == r.mean and "misfit_extension" not in off.details
    with pytest.warns(gmmi.MisfitWarning):
        one = gmmi.mutual_information(x, y, n_bootstrap=10, random_state=0, n_jobs=1)
    assert one.details["misfit_extension"] == ext and one.ci() == r.ci()
    # Said in the warning, the result's display and its plain form; kept by save and load.
    assert f"(K={ext['n_components']}): {ext['value']:.4f} nat" in str(caught[0].message)
    assert any("interval was extended" in m for m in r.warnings)
    assert f"fit check FAILED: interval extended to K={ext['n_components']}" in repr(r)
    assert f"K={ext['n_components']}: {ext['value']:.4f} nat" in r._repr_html_()
    assert r.to_dict()["misfit_extension"] == ext
    path = tmp_path / "r.gmmi"
    r.save(path)
    assert gmmi.load(path).ci() == r.ci()
    # In bits, the same mixtures and the value in bits.
    with pytest.warns(gmmi.MisfitWarning):
        bits = gmmi.mutual_information(x, y, n_bootstrap=10, random_state=0, base="bit")
    assert bits.details["misfit_extension"]["value"] == pytest.approx(ext["value"] / np.log(2))
    # Without replicates there is no interval to extend, and the published preset keeps
    # its percentile interval: the check alone.
    for options in ({"n_bootstrap": 0}, {"n_bootstrap": 10, "preset": "published",
                                         "check": True}):
        with pytest.warns(gmmi.MisfitWarning, match="too low") as caught:
            single = gmmi.mutual_information(x, y, random_state=0, **options)
        assert "misfit_extension" not in single.details
        assert not any("extended" in str(w.message) for w in caught)
    # A saved extension is checked when it is read back.
    text = path.read_text().replace('"reached": true', '"reached": "yes"', 1)
    assert text != path.read_text()
    bad = tmp_path / "bad.gmmi"
    bad.write_text(text)
    with pytest.raises(ValueError, match="misfit_extension"):
        gmmi.load(bad)


def test_a_failed_check_on_a_few_dozen_rows_is_followed_too():
    # The automatic check runs from 31 rows (10 k + 1 for its 3 neighbours); the extension
    # checks its mixtures on the rows the failed check was asked to look at, which the
    # core's bound on max_rows (at least 50) must not refuse. A ring (x on a circle, y its
    # angle plus noise) that three components follow only in part, 40 rows; on this seed
    # the check fails (statistic 4.1, threshold 2.95).
    rng = np.random.default_rng(3)
    a = rng.uniform(-np.pi, np.pi, 40)
    x = np.column_stack([np.cos(a), np.sin(a)]) * (1 + 0.05 * rng.normal(size=(40, 1)))
    y = a + 0.1 * rng.normal(size=40)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = gmmi.mutual_information(x, y, n_bootstrap=4, random_state=2)
    c = r.fit_check
    assert c is not None and c.n_rows == 40 and c.statistic > c.threshold
    assert c.k == 3  # one neighbour per ten rows below 101 rows, at least 3
    assert sum(w.category is gmmi.MisfitWarning for w in caught) == 1
    ext = r.details["misfit_extension"]
    assert ext["steps"][0]["n_components"] > r.n_components
    # Each component keeps d + 1 = 4 rows of its own: at most 10 components on 40 rows.
    assert ext["n_components"] * 4 <= 40
    lo, hi = r.ci()
    assert lo <= r.mean <= hi


def test_the_default_neighbours_follow_the_rows_checked():
    # k = 10 from 101 rows checked, one per ten rows below, at least 3 (31 rows); the rows
    # checked are the data's up to max_rows.
    assert [checks.default_check_k(m) for m in (31, 40, 99, 100, 101, 4000)] == [
        3, 3, 9, 9, 10, 10]
    x, y = _gaussian(300, 0.6, 4)
    r = gmmi.mutual_information(x, y, n_bootstrap=5, random_state=0)
    assert r.check_fit(x, y).k == 10
    assert r.check_fit(x, y, max_rows=60).k == 5
    assert r.check_fit(x[:75], y[:75]).k == 7
    assert r.check_fit(x, y, k=3).k == 3  # asked for: kept
    with pytest.raises(ValueError,
                       match=r"x: the check needs .* at least 31 rows, the data have 30"):
        r.check_fit(x[:30], y[:30])
    with pytest.raises(ValueError, match="k: 10 neighbours need at least 10 k"):
        r.check_fit(x[:60], y[:60], k=10)


def test_which_estimates_are_checked_by_default(tmp_path):
    rng = np.random.default_rng(3)
    x, y = _gaussian(1500, 0.6, 4)
    w = rng.normal(size=1500)
    # Two scalars: screened by the data's KSG (the check's on these rows), which lies
    # within the margin of a Gaussian fit's interval here (its spread over data sets is
    # about 0.5 / sqrt(rows), the margin 3 / sqrt(rows)), so not checked; check=True gives
    # the check asked for afterwards.
    r = gmmi.mutual_information(x, y, n_bootstrap=5, random_state=0)
    seen = r.details["fit_check_screen"]
    assert r.fit_check is None and seen["passed"] and seen["n_rows"] == 1500
    assert seen["ksg_data"] == r.check_fit(x, y).ksg_data
    assert seen["upper"] == r.ci()[1] and seen["margin"] == 3 / np.sqrt(1500)
    r = gmmi.mutual_information(x, y, n_bootstrap=5, random_state=0, check=True)
    assert r.fit_check == r.check_fit(x, y) and "fit_check_screen" not in r.details
    assert "fit_check_screen" not in gmmi.mutual_information(
        x, y, n_bootstrap=5, random_state=0, check=False).details
    # Three columns: checked, and a Gaussian passes (a failure has probability 1% under
    # the null, less for a fitted mixture; fixed seed).
    with warnings.catch_warnings():
        warnings.simplefilter("error", gmmi.MisfitWarning)
        r = gmmi.mutual_information(np.column_stack([x, w]), y, n_bootstrap=5,
                                    random_state=0)
    assert r.n_components == 1 and r.fit_check is not None and r.fit_check.passed
    assert r.fit_check.n_rows == 1000
    path = tmp_path / "r.gmmi"
    r.save(path)
    assert gmmi.load(path).fit_check == r.fit_check
    # Not with the published preset, nor for conditional or categorical MI unless asked.
    xw = np.column_stack([x, w])
    assert gmmi.mutual_information(xw, y, n_bootstrap=5, random_state=0,
                                   preset="published").fit_check is None
    assert gmmi.conditional_mutual_information(x, y, w, n_bootstrap=5,
                                               random_state=0).fit_check is None
    c = gmmi.conditional_mutual_information(x, y, w, n_bootstrap=5, random_state=0, check=True)
    assert c.fit_check == c.check_fit(x, y, w)
    labels = np.digitize(y, [-0.5, 0.5])
    assert gmmi.mutual_information(xw, labels, discrete_y=True, n_bootstrap=5,
                                   random_state=0).fit_check is None
    k = gmmi.mutual_information(x, labels, discrete_y=True, n_bootstrap=5, random_state=0,
                                check=True)
    assert k.fit_check is not None and k.fit_check.n_rows == 1500
    # Too few rows for the check's neighbours: the default skips it, the estimate stands.
    small = gmmi.mutual_information(xw[:20], y[:20], n_bootstrap=5, random_state=0)
    assert small.fit_check is None


def test_two_scalars_whose_mixture_misses_the_dependence_are_checked_after_the_screen():
    # y = sin(15 x) + noise: more cycles than the search's held-out score can see, so the
    # search keeps a mixture with next to no MI (truth 2.29 nat, benches/periodic.py) and
    # a tight interval. The data's KSG on 4,000 rows (0.66 on this data set) is far beyond
    # the interval's upper end plus 3 / sqrt(4000) = 0.047, the check runs and fails, and
    # larger mixtures extend the interval (fixed seeds; the statistic is above 75 at K = 1).
    rng = np.random.default_rng(10)
    x = rng.normal(size=5000)
    y = np.sin(15 * x) + 0.05 * rng.normal(size=5000)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = gmmi.mutual_information(x, y, n_bootstrap=10, random_state=0)
    seen = r.details["fit_check_screen"]
    assert not seen["passed"] and seen["ksg_data"] > seen["upper"] + 0.5
    assert r.mean < 0.05 and r.fit_check.n_rows == 4000 and not r.fit_check.passed
    # (the screen's own subset of 4,000 rows: near the check's KSG, not equal)
    assert abs(r.fit_check.ksg_data - seen["ksg_data"]) < 0.2
    assert any(w.category is gmmi.MisfitWarning for w in caught)
    assert r.details["misfit_extension"]["value"] > 1.0 and r.ci()[1] > 1.0


def test_the_screen_passes_on_to_the_check_only_beyond_its_margin(monkeypatch):
    # The gate itself, with the margin moved either side of this data set's KSG: beyond
    # it the check runs (on all 1,200 rows, one look) and decides; within it, none.
    from gmmi import checks

    x, y = _gaussian(1200, 0.6, 11)
    first = gmmi.mutual_information(x, y, n_bootstrap=5, random_state=3)
    seen = first.details["fit_check_screen"]
    gap = (seen["ksg_data"] - seen["upper"]) * np.sqrt(seen["n_rows"])
    for margin, checked in ((gap - 0.01, True), (gap + 0.01, False)):
        monkeypatch.setattr(checks, "SCREEN_MARGIN", margin)
        with warnings.catch_warnings():
            warnings.simplefilter("error", gmmi.MisfitWarning)  # a Gaussian fit passes
            r = gmmi.mutual_information(x, y, n_bootstrap=5, random_state=3)
        assert r.details["fit_check_screen"]["passed"] is not checked
        assert (r.fit_check is not None) is checked
        if checked:
            assert r.fit_check == r.check_fit(x, y, max_rows=1200) and r.fit_check.passed
            assert "fit_check_first_look" not in r.details
    # Without bootstrap replicates the screen compares with the estimate itself.
    r = gmmi.mutual_information(x, y, n_bootstrap=0, random_state=3)
    assert r.details["fit_check_screen"]["upper"] == r.mean
    # Beyond max_rows the screen keeps a seeded subset of the rows before mapping them: the
    # same rows by position whatever the container (a pandas Series by position, not label).
    pd = pytest.importorskip("pandas")
    small = checks.screen(first, x, y, max_rows=500)
    assert small["n_rows"] == 500
    index = np.arange(1200)[::-1] + 7  # labels that are not positions
    assert checks.screen(first, pd.Series(x, index=index), pd.Series(y, index=index),
                         max_rows=500) == small
    assert checks.screen(first, list(x), list(y), max_rows=500) == small


def test_a_statistic_near_the_threshold_is_looked_at_again_on_more_rows(monkeypatch):
    # The automatic check runs on 1,000 rows per component; a first look with |statistic|
    # beyond AUTO_CHECK_SECOND_LOOK, passed or failed, on fewer rows than the data have, is
    # followed by a check on min(n, CHECK_MAX_ROWS) rows with other draws, which decides.
    # The first look's statistic is set here (the real check's on these data is small),
    # so that each branch is taken on purpose.
    from gmmi import checks, estimators

    rng = np.random.default_rng(3)
    x, y = _gaussian(1500, 0.6, 4)
    xw = np.column_stack([x, rng.normal(size=1500)])
    calls: list[dict] = []
    real = estimators.check_fit

    def first_look_at(statistic: float):
        def fake(result, *args, **kwargs):
            calls.append(kwargs)
            found = real(result, *args, **kwargs)
            if len(calls) > 1:
                return found
            return checks.FitCheck(statistic=statistic, threshold=found.threshold,
                                   ksg_data=found.ksg_data, ksg_model=found.ksg_model,
                                   n_rows=found.n_rows, k=found.k)
        return fake

    def estimate(statistic: float, **options):
        calls.clear()
        monkeypatch.setattr(estimators, "check_fit", first_look_at(statistic))
        return gmmi.mutual_information(xw, y, n_bootstrap=5, random_state=7, **options)

    gray = checks.AUTO_CHECK_SECOND_LOOK + 0.5
    # A first look that passes near the threshold, or fails, is looked at again; on these
    # Gaussian data the second look passes and decides (no warning, no extension).
    for first in (gray, 9.0):
        with warnings.catch_warnings():
            warnings.simplefilter("error", gmmi.MisfitWarning)
            r = estimate(first)
        assert [c["max_rows"] for c in calls] == [1000, 1500]  # one component: 1,000 first
        assert calls[1]["random_state"] == 8  # other draws than the first look's
        assert r.details["fit_check_first_look"]["statistic"] == first
        assert r.fit_check.n_rows == 1500 and r.fit_check.passed  # the second look decides
        assert r.fit_check == r.check_fit(xw, y, max_rows=1500, random_state=8)
        assert "misfit_extension" not in r.details and not r.warnings
    # Within the gate, or asked for: one look. (The estimator warns of the failure it
    # records, here the one set.)
    for statistic, options in ((checks.AUTO_CHECK_SECOND_LOOK - 0.5, {}),
                               (gray, {"check": True}), (9.0, {"check": True})):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            r = estimate(statistic, **options)
        assert len(calls) == 1 and "fit_check_first_look" not in r.details
        assert r.fit_check.statistic == statistic
        assert any("unlike the data" in m for m in r.warnings) == (statistic > 4)
        assert any(w.category is gmmi.MisfitWarning for w in caught) == (statistic > 4)
    # All the rows already seen: nothing more to look at.
    calls.clear()
    monkeypatch.setattr(estimators, "check_fit", first_look_at(gray))
    gmmi.mutual_information(xw[:900], y[:900], n_bootstrap=5, random_state=7)
    assert [c["max_rows"] for c in calls] == [1000]


def test_the_check_option_is_validated():
    x, y = _gaussian(200, 0.6, 5)
    for bad in ("yes", 1, None.__class__):
        with pytest.raises(TypeError, match="check"):
            gmmi.mutual_information(x, y, check=bad)
    labels = (x > 0).astype(int)
    with pytest.raises(ValueError, match="check: two discrete variables"):
        gmmi.mutual_information(labels, labels, discrete_x=True, discrete_y=True, check=True)
    # Asked for on too few rows: refused before the estimate, naming the option.
    with pytest.raises(ValueError, match=r"check: .* at least 31 rows, the data have 20"):
        gmmi.mutual_information(x[:20], y[:20], check=True)


def test_labels_given_to_a_check_in_the_wrong_place_get_advice_the_check_can_take():
    # check_fit has no discrete_x/discrete_y: the refusal says where the labels go.
    rng = np.random.default_rng(31)
    c = rng.integers(0, 2, 400).astype(bool)
    x = rng.normal(size=400) + c
    r = gmmi.mutual_information(x, c, discrete_y=True, n_bootstrap=2, mc_samples=1000,
                                random_state=0)
    with pytest.raises(TypeError, match=r"^x: boolean data are discrete; the estimate's "
                                         r"labels were its y: pass them as y"):
        r.check_fit(c, x)
    r2 = gmmi.mutual_information(x, x + rng.normal(size=400), n_bootstrap=2, mc_samples=1000,
                                 random_state=0)
    with pytest.raises(TypeError, match=r"^y: boolean data are discrete; the check takes the "
                                         r"continuous samples"):
        r2.check_fit(x, c)


def _rounded_pair(seed: int, n: int = 1000) -> tuple[np.ndarray, np.ndarray]:
    """x: two columns of a 3-D Gaussian rounded to steps of 0.5, y: the third column
    (the MI of the cells about 0.23 nat)."""
    rng = np.random.default_rng(seed)
    g = rng.multivariate_normal([0.0] * 3, [[1, 0.7, 0.5], [0.7, 1, 0.6], [0.5, 0.6, 1]],
                                size=n)
    return np.round(g[:, :2] * 2) / 2, g[:, 2]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_variable_on_a_lattice_fitted_as_it_is_is_checked_over_its_cells(seed):
    # One variable on a lattice is fitted as it is (two are spread over their cells). The
    # check compared the data's ties, which put neighbours at distance 0 in x, with the
    # mixture's continuous draws: statistics of +6 to +8 on these data sets, a MisfitWarning
    # and an interval stretched to 0.5-0.7 by mixtures of up to 48 components for an MI of
    # 0.23. The data and the draws are now spread over the same cells. A mixture of the
    # right MI then passes but for the check's 1% level (t with 15 degrees of freedom;
    # fitted mixtures are flagged more rarely still), and the interval is the bootstrap's.
    x, y = _rounded_pair(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("error", gmmi.MisfitWarning)
        r = gmmi.mutual_information(x, y, n_bootstrap=10, random_state=0)
    assert r.details.get("dequantized") is None  # x fitted as it is
    assert r.fit_check is not None and r.fit_check.passed, r.fit_check
    assert "misfit_extension" not in r.details
    # 10 replicates: the std is about 0.02 nat, so the interval's upper end stays below 0.35.
    assert r.ci()[1] < 0.35, r.ci()
    # A variable of a few levels, whose mixture puts a narrow component on each (draws
    # spread as the data are: as before, within the level; spreading the data alone failed
    # such fits the other way, by -5 to -9).
    rng = np.random.default_rng(seed)
    g = rng.multivariate_normal([0.0] * 3, [[1, 0.7, 0.5], [0.7, 1, 0.6], [0.5, 0.6, 1]],
                                size=1000)
    levels = np.digitize(g[:, 0], [-0.5, 0.5]).astype(float)
    r3 = gmmi.mutual_information(levels, g[:, 1:], n_bootstrap=10, random_state=0)
    assert r3.check_fit(levels, g[:, 1:]).passed


def test_a_conditioning_variable_on_a_lattice_is_checked_over_its_cells():
    # z of whole numbers (a Gaussian times 3, rounded): statistics of +8.4 to +9.2 before.
    rng = np.random.default_rng(0)
    g = rng.multivariate_normal([0.0] * 3, [[1, 0.7, 0.5], [0.7, 1, 0.6], [0.5, 0.6, 1]],
                                size=1000)
    z = np.round(g[:, 2] * 3)
    r = gmmi.mutual_information(g[:, 0], g[:, 1], z=z, n_bootstrap=10, random_state=0,
                                check=True)
    assert r.fit_check.passed, r.fit_check


def test_a_matrix_checks_a_lattice_column_as_its_single_estimate_does():
    rng = np.random.default_rng(1)
    g = rng.multivariate_normal([0.0, 0.0], [[1, 0.7], [0.7, 1]], size=600)
    data = np.c_[np.round(g[:, 0] * 2) / 2, g[:, 1]]
    m = gmmi.mi_matrix(data, check=True, n_bootstrap=5, random_state=0)
    r = gmmi.mutual_information(data[:, 0], data[:, 1], n_bootstrap=5, random_state=0)
    assert m.check_statistic[0, 1] == r.check_fit(data[:, 0], data[:, 1]).statistic


def test_a_matrix_on_an_executor_checks_lattice_columns_as_it_does_itself():
    # Blocks of pairs on an executor get only the columns they need, re-indexed, and the
    # cells of those columns with them: one pair per block, lattice columns on both sides
    # (a pair of two is spread over its cells and checked as it is; a pair of one, checked
    # over its cells).
    from concurrent.futures import ThreadPoolExecutor

    rng = np.random.default_rng(3)
    g = rng.multivariate_normal([0.0] * 4, np.eye(4) * 0.5 + 0.5, size=400)
    a = np.c_[np.round(g[:, 0] * 2) / 2, g[:, 1]]
    b = np.c_[g[:, 2], np.round(g[:, 3])]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", gmmi.DiscreteDataWarning)
        here = gmmi.mi_matrix(a, b, check=True, n_bootstrap=4, random_state=0)
        with ThreadPoolExecutor(2) as ex:
            there = gmmi.mi_matrix(a, b, check=True, n_bootstrap=4, random_state=0,
                                   executor=ex, block_size=1)
        single = gmmi.mutual_information(a[:, 0], b[:, 0], n_bootstrap=4, random_state=0)
    np.testing.assert_array_equal(here.check_statistic, there.check_statistic)
    assert here.check_statistic[0, 0] == single.check_fit(a[:, 0], b[:, 0]).statistic


def test_a_matrix_check_needs_the_rows_of_a_single_check():
    # Checked on 4 rows the matrix gave an infinite statistic (or exactly 0, "passed"),
    # where a single estimate refuses the check below 10 k + 1 = 31 rows.
    rng = np.random.default_rng(9)
    a = rng.normal(size=(30, 3))
    for call in (lambda: gmmi.mi_matrix(a, check=True, n_bootstrap=2, random_state=0),
                 lambda: gmmi.mi_ranking(a[:, :2], a[:, 2], check=True, n_bootstrap=2,
                                         random_state=0)):
        with pytest.raises(ValueError, match=r"^check: .*at least 31 rows, the data have 30"):
            call()


def test_max_rows_needs_10_k_plus_1(gaussian_result):
    r, x, y = gaussian_result
    with pytest.raises(ValueError, match=r"^max_rows"):
        r.check_fit(x, y, k=10, max_rows=100)
    assert r.check_fit(x, y, k=10, max_rows=101).n_rows == 101
