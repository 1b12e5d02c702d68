"""Warnings and errors that say what happened: the argument or column they are about, the
caller's line, advice that can be followed, and no alarm where nothing is wrong."""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pytest

import gmmi

FAST = {"n_bootstrap": 2, "mc_samples": 1000, "random_state": 0}


def _gaussian(n: int, rho: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    r = np.random.default_rng(seed)
    x = r.normal(size=n)
    return x, rho * x + np.sqrt(1 - rho**2) * r.normal(size=n)


def test_columns_near_the_top_of_the_accepted_scales_raise_no_false_alarm():
    # A standard deviation of 5e152 is inside the accepted range (up to 1e153); NumPy's std
    # sums squares and overflowed at n = 1,000, and the reg_covar check then blamed "a few
    # far values" with a standard deviation of inf. Same data as at scale 1: the same MI.
    x, y = _gaussian(1000, 0.6, 0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        big = gmmi.mutual_information(x * 5e152, y * 5e152, n_bootstrap=5, random_state=0)
        gmmi.GaussianMixture(2, random_state=0).fit(np.column_stack([x, y]) * 5e152)
    plain = gmmi.mutual_information(x, y, n_bootstrap=5, random_state=0)
    # (standardised, the fits see the same numbers up to the rounding of the scaling)
    assert abs(big.mean - plain.mean) < 1e-6


def test_labels_of_mixed_types_in_a_list_are_not_merged_as_strings():
    # [1, "1", ...] became an array of strings: two classes merged into one, MI 0.000 for
    # data holding 0.43 nat. As an object array it was already refused: the same now.
    r = np.random.default_rng(1)
    is_int = r.random(400) < 0.5
    labels = [1 if v else "1" for v in is_int]
    x = np.where(is_int, 2.0, 0.0) + r.normal(size=400)
    with pytest.raises(TypeError, match="y: labels must be mutually comparable"):
        gmmi.mutual_information(x, labels, discrete_y=True, **FAST)
    # one type, or tuples, still work
    same = gmmi.mutual_information(x, ["a" if v else "b" for v in is_int], discrete_y=True,
                                   **FAST)
    assert same.details["classes"] == ["a", "b"]


def test_integers_that_doubles_merge_are_refused_naming_the_column():
    # An offset of 2**58: 967 distinct integers become 47 doubles; refused, not fitted.
    r = np.random.default_rng(2)
    x = r.integers(0, 1000, 2000).astype(np.int64) + 2**58
    y = r.normal(size=2000)
    with pytest.raises(ValueError, match=r"x: .*distinct integers that double precision "
                                         r"cannot tell apart \([\d,]+ distinct values become "
                                         r"\d+\); subtract an offset"):
        gmmi.mutual_information(x, y, **FAST)
    # Beyond 2**53 but still distinct as doubles (a step of 2**8 at 2**60): accepted.
    spaced = (r.permutation(2000).astype(np.int64) * 2**8) + 2**60
    gmmi.mutual_information(spaced, y, n_bootstrap=2, random_state=0)


def test_variables_that_are_the_same_columns_are_not_checked_as_a_misfit():
    # x = y, two columns: the mixture is singular across the variables (MI unbounded) and
    # says so; the automatic check then added a MisfitWarning ("likely too low", K up to
    # 48) that had nothing to add. Two scalars: nor the screen.
    r = np.random.default_rng(7)
    ab = r.normal(size=(2000, 2))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = gmmi.mutual_information(ab, ab, n_bootstrap=5, random_state=0)
    kinds = {w.category for w in caught}
    assert gmmi.DegenerateWarning in kinds and gmmi.MisfitWarning not in kinds
    assert res.fit_check is None and "misfit_extension" not in res.details
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        one = gmmi.mutual_information(ab[:, 0], ab[:, 0], n_bootstrap=5, random_state=0)
    assert "fit_check_screen" not in one.details
    # Asked for, it runs.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        asked = gmmi.mutual_information(ab, ab, n_bootstrap=5, random_state=0, check=True)
    assert asked.fit_check is not None


def test_warnings_point_at_the_callers_line():
    # conditional_mutual_information calls mutual_information, and mi_score the matrix one
    # frame nearer than mi_matrix does: their warnings pointed at gmmi's own lines.
    r = np.random.default_rng(0)
    x = r.normal(size=400)
    y = x + r.normal(size=400)
    z = np.round(r.normal(size=400) * 2)  # looks discrete

    def where(call):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            call()
        return {(w.filename, w.category) for w in caught}

    for call in (lambda: gmmi.mutual_information(x, y, z, n_bootstrap=2, random_state=0),
                 lambda: gmmi.conditional_mutual_information(x, y, z, n_bootstrap=2,
                                                             random_state=0),
                 lambda: gmmi.mi_score(np.column_stack([x, y]), (x > 0).astype(float))):
        found = where(call)
        assert found and {f for f, _ in found} == {__file__}, found


def test_a_single_class_column_in_a_matrix_or_ranking_is_warned_of_as_a_single_call_is():
    r = np.random.default_rng(0)
    f = r.normal(size=300)
    X = np.column_stack([f, np.zeros(300)])
    y = f + r.normal(size=300)
    with pytest.warns(gmmi.ZeroInformationWarning, match="single class"):
        gmmi.mutual_information(X[:, 1], y, discrete_x=True, **FAST)
    with pytest.warns(gmmi.ZeroInformationWarning,
                      match=r"X column 'X\[1\]': has a single class \(0\.0\)"):
        rank = gmmi.mi_ranking(X, y, discrete_features=[False, True], **FAST)
    i = rank.features.index("X[1]")
    assert rank.mean[i] == 0.0
    assert any("single class" in m for m in rank.cell_warnings["X[1]"])
    with pytest.warns(gmmi.ZeroInformationWarning, match="A column 'A\\[1\\]'"):
        m = gmmi.mi_matrix(X, y, discrete_a=[False, True], **FAST)
    assert m.mean[1, 0] == 0.0 and not m.errors
    assert any("single class" in s for s in m.cell_warnings[("A[1]", "B")])


def test_pair_warnings_say_which_column_the_core_calls_x_and_y():
    # A target that is two levels with a 1e-3 jitter: a component collapses within x. The
    # core's message says "x"; a ranking or matrix has no x, so the pair says which it is.
    r = np.random.default_rng(0)
    X = r.normal(size=(600, 2))
    target = np.where(X[:, 0] > 0, 1.0, 0.0) + 1e-3 * r.integers(0, 2, 600)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gmmi.mi_ranking(X, target, n_bootstrap=2, random_state=0)
    core = [str(w.message) for w in caught if "singular within" in str(w.message)]
    assert core and all(m.startswith("feature 'X[0]' (x = 'X[0]', y = 'target'): ")
                        for m in core), core


def test_a_discrete_looking_column_within_a_variable_of_several_is_named():
    # The advice was "pass discrete_x=True", which a variable of two columns cannot take.
    r = np.random.default_rng(3)
    x = np.column_stack([r.normal(size=500), r.integers(0, 4, 500)])
    y = x[:, 0] + r.normal(size=500)
    with pytest.warns(gmmi.DiscreteDataWarning, match=r"^x column 1: has few distinct "
                                                      r"values.*single column of labels"):
        gmmi.mutual_information(x, y, **FAST)
    with pytest.warns(gmmi.DiscreteDataWarning, match=r"pass discrete_x=True"):
        gmmi.mutual_information(x[:, 1], y, **FAST)


def test_labels_in_a_conditional_mi_get_advice_about_the_variable_given():
    r = np.random.default_rng(0)
    lab = r.choice(["a", "b"], 300)
    y, z = r.normal(size=300), r.normal(size=300)
    with pytest.raises(TypeError, match="takes no discrete x or y here"):
        gmmi.conditional_mutual_information(lab, y, z, **FAST)
    with pytest.raises(TypeError, match="for a discrete z, average"):
        gmmi.conditional_mutual_information(y, z, lab, **FAST)


def test_the_command_line_gives_a_label_z_the_advice_of_conditional_mi(tmp_path):
    r = np.random.default_rng(0)
    path = tmp_path / "d.csv"
    rows = [f"{a},{b},{c}" for a, b, c in zip(r.normal(size=60), r.normal(size=60),
                                               r.choice(["a", "b"], 60))]
    path.write_text("x,y,lab\n" + "\n".join(rows) + "\n")
    out = subprocess.run([sys.executable, "-m", "gmmi", "estimate", str(path), "--x", "x",
                          "--y", "y", "--z", "lab", "--n-bootstrap", "2"],
                         capture_output=True, text=True)
    assert out.returncode == 1
    assert "--z: column 'lab' is not numeric" in out.stderr
    assert "for a discrete z, average" in out.stderr and "--discrete-x" not in out.stderr


def test_an_unstandardised_mixture_on_the_scale_of_reg_covar_is_warned_of():
    # standardize=False, columns of sd 1e-3 and reg_covar=1e-6: the model's MI was 0.048 for
    # 0.223 with no warning (mutual_information(standardize=False) warned already).
    x, y = _gaussian(2000, 0.6, 0)
    with pytest.warns(gmmi.DegenerateWarning, match=r"^X column [01]: variance .* "
                                                    r"standardize=False"):
        gmmi.GaussianMixture(1, standardize=False, reg_covar=1e-6).fit(
            np.column_stack([x, y]) * 1e-3)
    with warnings.catch_warnings():
        warnings.simplefilter("error", gmmi.DegenerateWarning)
        gmmi.GaussianMixture(1, standardize=False, reg_covar=1e-6).fit(np.column_stack([x, y]))
        # sd 0.05 (a variance of 2,500 reg_covar): the model's MI is the standardised fit's
        # to 0.1%; no warning (the margin is 100 reg_covar for GaussianMixture)
        gmmi.GaussianMixture(1, standardize=False, reg_covar=1e-6).fit(
            np.column_stack([x, y]) * 0.05)


def test_a_few_level_column_beside_a_continuous_one_is_not_called_outliers():
    # x = [a normal column, a column of 4 levels]: a component shrinks onto the levels.
    # Counted over both columns the rows were distinct, the levels' ties hidden, and the
    # DegenerateWarning blamed "a few far-away values (outliers)" (there are none: every
    # value within 1.35 robust sd). Counted in the column that shrank, the ties are seen:
    # a point mass of that variable, which cancels from the MI, so no warning.
    r = np.random.default_rng(0)
    temp = r.normal(size=400)
    level = r.integers(0, 4, 400).astype(float)
    y = temp + level + r.normal(size=400)
    for call in (
        lambda: gmmi.mutual_information(np.column_stack([temp, level]), y, n_bootstrap=2,
                                        random_state=0),
        lambda: gmmi.conditional_mutual_information(
            y + r.normal(size=400), y, np.column_stack([temp, level]), n_bootstrap=2,
            random_state=0),
    ):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            call()
        assert not [w for w in caught if "outliers" in str(w.message)], \
            [str(w.message) for w in caught]


def test_point_masses_are_not_screened_as_a_missed_dependence():
    # Two independent variables, 40% zeros each: the KSG counts the zeros' neighbours at
    # distance 0 (1.65 nat on these data), the check that followed failed (statistic 169)
    # and stretched the interval with mixtures up to K = 48, "likely too low". More than 1%
    # of the screen's rows tie in a column: no screen, no check; the point masses have
    # their own warning.
    r = np.random.default_rng(4)
    v = r.normal(size=(2000, 2))
    zero = r.random((2000, 2)) < 0.4
    x, y = np.where(zero[:, 0], 0.0, v[:, 0]), np.where(zero[:, 1], 0.0, v[:, 1])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = gmmi.mutual_information(x, y, n_bootstrap=10, random_state=0)
    seen = res.details["fit_check_screen"]
    assert seen["passed"] and "ksg_data" not in seen and 0.35 < seen["tied"] < 0.45
    assert res.fit_check is None and "misfit_extension" not in res.details
    assert gmmi.MisfitWarning not in {w.category for w in caught}
    assert any("point mass" in m for m in res.warnings)
    # Rounded values tie too, but on a lattice: spread over their cells, by the estimate
    # (the default transform) or by the check (fitted as they are), they are screened.
    a, b = _gaussian(3000, 0.6, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        kept = gmmi.mutual_information(np.round(a, 1), np.round(b, 1), n_bootstrap=5,
                                       random_state=0, transform="identity")
        spread = gmmi.mutual_information(np.round(a, 1), np.round(b, 1), n_bootstrap=5,
                                         random_state=0)
    assert "ksg_data" in kept.details["fit_check_screen"]
    assert "ksg_data" in spread.details["fit_check_screen"]


def test_rounded_values_fitted_as_they_are_are_not_called_repeated_records():
    # Two Gaussians recorded to one decimal, transform="identity": 53-59% of the rows repeat
    # another, by rounding; the estimate is right (0.227 for 0.223), and the advice to keep
    # the distinct rows would have changed the data. A lattice column explains the repeats.
    a, b = _gaussian(3000, 0.6, 3)
    res = gmmi.mutual_information(np.round(a, 1), np.round(b, 1), n_bootstrap=5,
                                  random_state=0, transform="identity")
    assert not [m for m in res.warnings if "repeat another row" in m], res.warnings


def test_integers_either_side_of_2_53_merged_by_doubles_are_refused():
    # 2**53 + 1 rounds to 2**53, the largest value then reads as 2**53 exactly.
    y = np.random.default_rng(0).normal(size=400)
    for x in (np.tile(np.array([2**53, 2**53 + 1], dtype=np.int64), 200),
              np.tile(np.arange(2**53 - 2, 2**53 + 2, dtype=np.int64), 100)):
        with pytest.raises(ValueError, match="distinct integers that double precision"):
            gmmi.mutual_information(x, y, **FAST)
