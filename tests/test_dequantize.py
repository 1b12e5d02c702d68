"""Tied values on a lattice (rounded measurements, counts): spread over their cells before the
mixture is fitted (``gmmi._inputs.dequantize``), which leaves the MI unchanged, where two
variables are on lattices or one is against labels (``dequantize_blocks``).

A value on a lattice of step h is recovered from ``v + h (u - 1/2)``, u uniform and
independent of everything, by rounding, so ``I(X + U; Y) = I(X; Y)``. Tolerances are stated
per test ("k std": the truth within k bootstrap standard deviations of the estimate).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

import gmmi
from gmmi._inputs import dequantize, lattice_spacing, redo_dequantization

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benches"))
# The suite's closed-form truths (absent from an sdist, as benches/ is).
accuracy_tasks = pytest.importorskip("accuracy_tasks")


def _rounded_pair(n: int, rho: float, step: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    g = rng.multivariate_normal([0, 0], [[1, rho], [rho, 1]], size=n)
    return np.round(g[:, 0] / step) * step, np.round(g[:, 1] / step) * step


def test_lattice_spacing_finds_rounded_values_and_counts_only():
    rng = np.random.default_rng(0)
    z = rng.standard_normal(2000)
    assert lattice_spacing(np.round(z * 10) / 10) == pytest.approx(0.1, rel=1e-9)
    # Rounded, then stored in single precision: off the lattice by ~1e-8, still a lattice.
    single = (np.round(z * 10) / 10).astype(np.float32).astype(float)
    assert lattice_spacing(single) == pytest.approx(0.1, rel=1e-6)
    assert lattice_spacing(rng.poisson(3.0, 2000).astype(float)) == 1.0
    # Continuous values; a point mass amid continuous values (half the rows at 0); a lattice
    # whose values hardly repeat (fewer than 1% of the rows): none is spread.
    assert lattice_spacing(z) is None
    assert lattice_spacing(np.maximum(z, 0.0)) is None
    assert lattice_spacing(np.arange(2000.0)) is None
    assert lattice_spacing(np.full(10, 3.0)) is None


def test_dequantize_keeps_every_value_in_its_cell_with_draws_set_by_seed_and_variable():
    x, y = _rounded_pair(500, 0.5, 0.25, 1)
    z = np.random.default_rng(2).standard_normal(500)
    block = np.column_stack([x, z, y])
    out, steps = dequantize(block, seed=7, name="x")
    assert steps[1] is None and steps[0] == pytest.approx(0.25) and steps[2] == pytest.approx(0.25)
    # Each value stays in its own cell (recovered by rounding), the continuous column as it
    # was to the bit.
    np.testing.assert_array_equal(np.round(out[:, 0] / 0.25) * 0.25, x)
    assert np.all(np.abs(out[:, 0] - x) < 0.125)
    np.testing.assert_array_equal(out[:, 1], z)
    # The draws depend on the seed, the variable and the column's place in it, not on the
    # values: another lattice column in the same place moves by the same fractions of its
    # step; another variable, or another seed, draws anew (a column and its copy as x and y
    # are then not a deterministic relation).
    counts = np.random.default_rng(3).poisson(4.0, 500).astype(float)
    other, (h,) = dequantize(counts[:, None], seed=7, name="x")
    np.testing.assert_allclose((other[:, 0] - counts) / h, (out[:, 0] - x) / 0.25, atol=1e-9)
    as_y, _ = dequantize(block, seed=7, name="y")
    assert not np.array_equal(as_y[:, 0], out[:, 0])
    reseeded, _ = dequantize(block, seed=8, name="x")
    assert not np.array_equal(reseeded[:, 0], out[:, 0])
    # Nothing on a lattice: the block itself comes back.
    plain = np.column_stack([z, z ** 3])
    same, none = dequantize(plain, seed=7, name="x")
    assert same is plain and none == [None, None]


def test_a_few_values_off_the_lattice_are_left_and_the_rest_spread():
    # One value recorded at full precision among rounded ones: the column is still a
    # lattice (at most 1% of its rows off it), the odd value is left where it is.
    x, _ = _rounded_pair(1000, 0.8, 0.5, 2)
    g = np.random.default_rng(2).standard_normal(1000)
    x[7] = 0.1234
    out, (h,) = dequantize(x[:, None], seed=1, name="x")
    assert h == pytest.approx(0.5) and out[7, 0] == 0.1234
    on = np.arange(1000) != 7
    np.testing.assert_array_equal(np.round(out[on, 0] / 0.5) * 0.5, x[on])
    # An off value that repeats (a duplicated record) does not set the step.
    x[8] = 0.1234
    assert lattice_spacing(x) == pytest.approx(0.5)
    # Two percent of the rows off it: not a lattice any more.
    x[:20] = g[:20]
    assert lattice_spacing(x) is None


def test_two_variables_fitted_on_their_lattices_as_they_are_are_warned_about():
    # transform="identity" fits a rounded pair as it is: the mixture shrinks onto points
    # and lines of the joint lattice (0.94 nat for 0.48 on this data set). A component of
    # no width on one variable's ties is a level whose factor cancels from the MI, but two
    # variables' are not: the DegenerateWarning names the ties of both.
    x, y = _rounded_pair(2000, 0.8, 0.5, 11)
    with pytest.warns(gmmi.DegenerateWarning, match="many tied values") as caught:
        gmmi.mutual_information(x, y, random_state=0, n_bootstrap=4, transform="identity")
    named = {str(w.message).split("within ")[1][0] for w in caught
             if "many tied values" in str(w.message)}
    assert named == {"x", "y"}


def test_a_variable_and_its_copy_on_a_lattice_share_their_entropy_not_more():
    # I(X; X) for X rounded to half a standard deviation is its entropy, 2.12 nat. Spread
    # alike, x and its copy would be equal and their MI unbounded (11 nat from the mixture);
    # spread independently their mixture smooths the diagonal's cells and reads below
    # H(X) (1.87 here). Bounds: at most H(X) + 3 std, at least 0.5 nat below it.
    x, _ = _rounded_pair(2000, 0.8, 0.5, 3)
    cells = np.diff(accuracy_tasks.ndtr((np.arange(-30, 32) - 0.5) * 0.5))
    cells = cells[cells > 0]
    entropy = float(-(cells * np.log(cells)).sum())
    r = gmmi.mutual_information(x, x.copy(), random_state=0, n_bootstrap=10)
    assert entropy - 0.5 < r.mean < entropy + 3 * r.std, (r.mean, entropy)


def test_a_rounded_gaussian_pair_holds_the_mi_of_its_cells():
    # Both variables rounded to half a standard deviation (about 15 values, 99% of the rows
    # tied). On the values as they are the mixture shrank components onto lines of the joint
    # lattice: 0.69 nat on this data set (10 std high; 0.46-1.05 on five others) for a
    # truth of 0.4761, the plug-in MI of the cells' probabilities. Spread over the cells, a
    # mixture of one or two components fits, and the spread's variance is taken out of it
    # before the integral (without that, it read about 0.03 nat low). 3 std.
    x, y = _rounded_pair(2000, 0.8, 0.5, 11)
    truth = accuracy_tasks.rounded_pair_mi(0.8, 0.5)
    r = gmmi.mutual_information(x, y, random_state=3, n_bootstrap=30)
    assert abs(r.mean - truth) < 3 * r.std, (r.mean, r.std, truth)
    assert r.details["dequantized"]["x"] == [pytest.approx(0.5)]
    assert r.details["dequantized"]["y"] == [pytest.approx(0.5)]
    assert r.n_components is not None and r.n_components <= 3
    # The published method's coordinates (transform="identity") fit the values as they are.
    raw = gmmi.mutual_information(x, y, random_state=3, n_bootstrap=0, transform="identity")
    assert "dequantized" not in raw.details


def test_the_spread_comes_out_of_a_one_component_fit_exactly():
    # With one component the fit is the spread rows' covariance S and its MI closed-form:
    # the estimate is that of S - (h^2 / 12) I, the spread's variance taken out of both
    # columns (a Gaussian wide enough to hold it whole), to rounding. The MI of S itself is
    # 0.056 nat lower on these data: a test the fitted model alone fails.
    x, y = _rounded_pair(3000, 0.8, 0.75, 11)
    r = gmmi.mutual_information(x, y, random_state=3, n_components=1, n_bootstrap=0)
    assert r.transform.name == "identity"
    xs, ys = redo_dequantization(r.details, [("x", x[:, None]), ("y", y[:, None])],
                                 r.random_state)
    s = np.cov(np.hstack([xs, ys]).T, ddof=0)

    def gaussian_mi(c: np.ndarray) -> float:
        return float(-0.5 * np.log(1 - c[0, 1] ** 2 / (c[0, 0] * c[1, 1])))

    assert r.full_value == pytest.approx(gaussian_mi(s - np.eye(2) * 0.75**2 / 12), abs=1e-8)
    assert r.full_value - gaussian_mi(s) > 0.05
    # The reported model is the one fitted to the spread rows.
    assert np.allclose(r.model.covariances_[0], s, rtol=1e-6)


def test_coarsely_rounded_pairs_are_not_read_low_at_5000_rows():
    # Rounded to 0.75 standard deviations (about 12 values each), correlation 0.8: truth
    # 0.4385. A mixture fitted to the spread rows smooths the rounding's error and the
    # spread's, each of variance h^2 / 12, into its components, and read 0.05-0.07 nat low
    # on these two data sets (0 of 4 intervals held the truth on four others); with the
    # spread taken out, the mean error of the two is -0.007. The estimates' spread across
    # data sets is 0.016 nat, 0.012 for the mean of two: 0.03 is 2.6 of those.
    truth = accuracy_tasks.rounded_pair_mi(0.8, 0.75)
    errors = []
    for seed in (21, 22):
        x, y = _rounded_pair(5000, 0.8, 0.75, seed)
        r = gmmi.mutual_information(x, y, random_state=0, n_bootstrap=0)
        errors.append(r.full_value - truth)
    assert abs(np.mean(errors)) < 0.03, errors


def test_two_five_level_scales_are_not_read_high():
    # Two five-level scales cut at -1.5, -0.5, 0.5, 1.5 from a Gaussian pair (rho 0.6):
    # mixtures of 13-14 components whose narrow components follow the levels' steps. A
    # rule that took the whole spread out of every component at least twice as wide as it
    # read these two data sets +0.018 and +0.025 nat high; the components no wider than a
    # cell's rounding and spread now keep theirs: -0.002 and -0.005 (the fits as they are:
    # -0.004, -0.006). Truth: the plug-in MI of 4e6 draws' levels (its own error about
    # 2e-4). The full values' spread across data sets is about 0.008 nat, 0.006 for the
    # mean of two: 0.014 is 2.5 of those.
    def levels(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        g = np.random.default_rng(seed).multivariate_normal([0, 0], [[1, 0.6], [0.6, 1]], n)
        cuts = np.linspace(-1.5, 1.5, 4)
        return np.digitize(g[:, 0], cuts) + 1.0, np.digitize(g[:, 1], cuts) + 1.0

    a, b = levels(4_000_000, 99)
    joint = np.zeros((5, 5))
    np.add.at(joint, (a.astype(int) - 1, b.astype(int) - 1), 1.0)
    joint /= joint.sum()
    outer = joint.sum(axis=1)[:, None] * joint.sum(axis=0)[None, :]
    truth = float(np.sum(joint * np.log(joint / outer)))
    errors = []
    for seed in (5000, 5001):
        x, y = levels(5000, seed)
        r = gmmi.mutual_information(x, y, random_state=seed - 5000, n_bootstrap=0)
        assert "dequantized" in r.details
        errors.append(r.full_value - truth)
    assert abs(np.mean(errors)) < 0.014, errors


def test_lattice_steps_the_core_cannot_use_are_refused():
    from gmmi import _core
    from gmmi._options import preset_options

    data = np.random.default_rng(0).standard_normal((200, 2))
    opts = _core.Options(seed=0, **preset_options("gmmi"))
    for steps, kind in (([0.5], "mi"), ([0.0, 0.0, 0.0], "mi"), ([0.5, float("nan")], "mi"),
                        ([-1.0, 0.5], "mi"), ([0.5, 1e200], "mi"), ([0.5, 0.5], "entropy")):
        with pytest.raises(ValueError, match="lattice_steps"):
            _core.estimate(data, kind, [0], [1], [], options=opts, lattice_steps=steps)
    # A matrix's steps are checked whether or not a pair reads them.
    codes = np.zeros((200, 0), dtype=np.int64)
    for steps in ([-1.0, -1.0], [float("nan"), 0.0], [0.5]):
        with pytest.raises(ValueError, match="lattice_steps"):
            _core.estimate_pairs(data, codes, [], [("cc", 0, 1)], miller_madow=False,
                                 options=opts, lattice_steps=steps)


def test_one_variable_on_a_lattice_is_left_as_it_is():
    # A Poisson count driven by a Gaussian (truth 0.2759) and a rectified Gaussian, half its
    # values at 0, against a noisy copy (truth 0.5890): the joint mixture models the count's
    # levels and the zeros with components of no width in x, whose factor is the same in the
    # joint density and the marginal and cancels. Spreading one variable's levels would make
    # the mixture smooth the steps between them instead (a few hundredths of a nat low), so
    # only lattices of two variables are spread. 3 std each.
    rng = np.random.default_rng(5)
    z = rng.standard_normal(2000)
    count = rng.poisson(np.exp(1 + 0.5 * z)).astype(float)
    r = gmmi.mutual_information(count, z, random_state=0, n_bootstrap=30)
    assert "dequantized" not in r.details
    assert abs(r.mean - accuracy_tasks.poisson_count_mi(1.0, 0.5)) < 3 * r.std
    relu = gmmi.mutual_information(np.maximum(z, 0.0), z + 0.5 * rng.standard_normal(2000),
                                   random_state=0, n_bootstrap=30)
    assert "dequantized" not in relu.details
    assert abs(relu.mean - accuracy_tasks.rectified_mi(0.5)) < 3 * relu.std


def test_labels_against_a_rounded_variable_hold_the_mi_of_its_cells():
    # Three classes (0.6, 0.3, 0.1) with Gaussian x about -1, 0, 1.5, x rounded to 0.5. One
    # mixture per class: as they are, a class's components shrank onto levels that another
    # class fitted smoothly, and the estimate was 0.19-0.30 nat high (0 of 6 intervals held
    # the truth). Truth: the plug-in MI of the classes' cell probabilities. 3 std.
    mu, p = np.array([-1.0, 0.0, 1.5]), np.array([0.6, 0.3, 0.1])
    edges = (np.arange(-40, 41) + 0.5) * 0.5
    cdf = accuracy_tasks.ndtr(edges[None, :] - mu[:, None])
    cells = p[:, None] * np.diff(np.hstack([np.zeros((3, 1)), cdf, np.ones((3, 1))]), axis=1)
    px = cells.sum(axis=0)
    keep = cells > 0
    truth = float((cells[keep] * np.log(cells[keep] / (p[:, None] * px[None, :])[keep])).sum())
    rng = np.random.default_rng(31)
    c = rng.choice(3, size=2000, p=p)
    x = np.round((mu[c] + rng.standard_normal(2000)) / 0.5) * 0.5
    r = gmmi.mutual_information(x, c, discrete_y=True, random_state=0, n_bootstrap=30)
    assert r.details["dequantized"] == {"x": [pytest.approx(0.5)]}
    assert abs(r.mean - truth) < 3 * r.std, (r.mean, r.std, truth)


def test_labels_apart_against_a_rounded_variable_lose_only_the_rounding():
    # Three equally likely classes two standard deviations apart, x rounded to one: the
    # rounding costs 0.0251 nat of the 0.6191 of the unrounded x (both exact below). Fitted
    # per class to the spread values, the mixtures also smooth the rounding's and the
    # spread's errors: the rounded estimate read 0.039-0.050 nat below the unrounded one on
    # the same draws (four data sets); with the spread taken out of the class mixtures,
    # 0.018-0.027. Paired on the same draws, the differences vary by about 0.004 nat: the
    # mean of two within 0.01 of the exact loss is 3.5 of those.
    mu = np.array([0.0, 2.0, 4.0])
    grid = np.linspace(-12.0, 16.0, 200_001)
    dens = np.exp(-0.5 * (grid[None, :] - mu[:, None]) ** 2) / np.sqrt(2 * np.pi)
    mix = dens.mean(axis=0)
    unrounded = float(np.mean([np.trapezoid(d * np.log(d / mix), grid) for d in dens]))
    edges = np.arange(-15, 21) + 0.5
    cells = np.diff(accuracy_tasks.ndtr(edges[None, :] - mu[:, None]), axis=1) / 3
    keep = cells > 0
    outer = np.full((3, 1), 1 / 3) * cells.sum(axis=0)[None, :]
    rounded = float(np.sum(cells[keep] * np.log(cells[keep] / outer[keep])))
    diffs = []
    for seed in (71000, 71001):
        rng = np.random.default_rng(seed)
        c = rng.integers(0, 3, 5000)
        z = 2.0 * c + rng.standard_normal(5000)
        r = gmmi.mutual_information(np.round(z), c, discrete_y=True, random_state=0,
                                    n_bootstrap=0)
        assert r.details["dequantized"] == {"x": [pytest.approx(1.0)]}
        cont = gmmi.mutual_information(z, c, discrete_y=True, random_state=0, n_bootstrap=0)
        diffs.append(r.full_value - cont.full_value)
    assert abs(np.mean(diffs) - (rounded - unrounded)) < 0.01, (diffs, rounded - unrounded)


def test_matrix_cells_spread_as_single_estimates_do():
    x, y = _rounded_pair(800, 0.6, 0.5, 4)
    z = np.random.default_rng(9).standard_normal(800)
    opts = {"random_state": 1, "n_bootstrap": 4}
    m = gmmi.mi_matrix(np.column_stack([x, z]), np.column_stack([y, (y > 0).astype(int)]),
                       discrete_b=[False, True], **opts)
    for i, col in enumerate((x, z)):
        single = gmmi.mutual_information(col, y, **opts)
        assert m.mean[i, 0] == single.mean and m.std[i, 0] == single.std
        labels = gmmi.mutual_information(col, (y > 0).astype(int), discrete_y=True, **opts)
        assert m.mean[i, 1] == labels.mean and m.std[i, 1] == labels.std
    # The rounded pair is spread (and so is x against labels); z against y is not.
    assert "dequantized" in gmmi.mutual_information(x, y, **opts).details
    assert "dequantized" not in gmmi.mutual_information(z, y, **opts).details


def test_the_check_of_a_fit_sees_the_rows_the_estimate_fitted():
    # 2+1 rounded columns (the estimator checks 3+ columns by itself). The KSG of the tied
    # rows as they are counts neighbours at distance 0 and is far above the mixture's draws
    # (a statistic of about 260 on this data set); the check must spread them as the
    # estimate did, and then passes (0.44, threshold about 3.7).
    rng = np.random.default_rng(21)
    g = rng.multivariate_normal(np.zeros(3), [[1, 0.3, 0.5], [0.3, 1, 0.4], [0.5, 0.4, 1]],
                                size=1500)
    v = np.round(g / 0.5) * 0.5
    r = gmmi.mutual_information(v[:, :2], v[:, 2], random_state=0, n_bootstrap=10)
    assert set(r.details["dequantized"]) == {"x", "y"}
    found = r.check_fit(v[:, :2], v[:, 2])
    assert found.passed, found.statistic


def test_the_record_of_the_steps_saves_loads_and_is_checked(tmp_path):
    x, y = _rounded_pair(600, 0.6, 0.5, 6)
    r = gmmi.mutual_information(x, y, random_state=0, n_bootstrap=4)
    r.save(tmp_path / "r.json")
    back = gmmi.load(tmp_path / "r.json")
    assert back == r and back.details["dequantized"] == r.details["dequantized"]
    assert r.to_dict()["dequantized"] == r.details["dequantized"]
    # The check after loading spreads the rows as the estimate did.
    assert back.check_fit(x, y).statistic == r.check_fit(x, y).statistic
    doc = json.loads((tmp_path / "r.json").read_text())
    doc["data"]["details"]["dequantized"]["x"] = [-0.5]
    (tmp_path / "bad.json").write_text(json.dumps(doc))
    with pytest.raises(ValueError, match="dequantized"):
        gmmi.load(tmp_path / "bad.json")


def test_pointwise_mi_is_evaluated_at_the_rows_as_the_estimate_spread_them():
    x, y = _rounded_pair(600, 0.6, 0.5, 8)
    p = gmmi.pointwise_mutual_information(x, y, random_state=0, n_bootstrap=4)
    assert "dequantized" in p.result.details
    sx, sy = redo_dequantization(p.result.details, [("x", x[:, None]), ("y", y[:, None])],
                                 p.result.random_state)
    np.testing.assert_array_equal(p.values, p.result.pointwise(sx, sy).values)
    assert not np.array_equal(p.values, p.result.pointwise(x, y).values)
