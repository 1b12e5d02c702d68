"""Bootstrap replicates whose refit the resample cannot support: flagged at tiny n; a
component that collapses in a replicate's last EM iterations no longer kept when a sound
candidate fits; and resamples redrawn for classes too small to fit, said as such."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import gmmi


def _gaussian_blocks(dx: int, n: int, seed: int) -> tuple[np.ndarray, np.ndarray, float]:
    """``dx`` + ``dx`` Gaussian columns, ``x_i`` and ``y_i`` correlated 0.6; the true MI."""
    cov = np.eye(2 * dx)
    for i in range(dx):
        cov[i, dx + i] = cov[dx + i, i] = 0.6
    v = np.random.default_rng(seed).multivariate_normal(np.zeros(2 * dx), cov, size=n)
    return v[:, :dx], v[:, dx:], -dx * 0.5 * np.log(1 - 0.36)


def _bootstrap_degenerate(r: gmmi.MIResult) -> list[str]:
    return [w for w in r.warnings if "bootstrap replicates fitted a component" in w]


@pytest.mark.parametrize(("dx", "n"), [(1, 5), (3, 9), (3, 12)])
def test_tiny_samples_warn_that_the_replicates_are_set_by_reg_covar(dx, n):
    # A resample of n rows holds about 0.63 n distinct ones: 3 of 5, 6 of 9, 8 of 12, at or
    # below the d + 2 (4 or 8) rows a full covariance needs. The refits are singular, their
    # values tens of nats, and before this warning the estimate read 0.000 +- 5 to 14 with
    # no word of why.
    x, y, _ = _gaussian_blocks(dx, n, seed=1)
    with pytest.warns(gmmi.DegenerateWarning, match="too few for a mixture") as caught:
        r = gmmi.mutual_information(x, y, random_state=0)
    (message,) = _bootstrap_degenerate(r)
    assert any(str(w.message) == message for w in caught)
    flagged = int(message.split(" of ")[0])
    # Many of the 50 replicates, and those are where the spread comes from: the largest
    # replicate is far beyond any MI a fit of the data supports (the truth is 0.22-0.67).
    assert 5 <= flagged <= r.n_bootstrap
    assert r.samples.max() > 5.0
    assert f"a resample of {n} rows holds about {0.632 * n:.0f} distinct ones" in message


@pytest.mark.parametrize(("dx", "n"), [(1, 20), (3, 40)])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_small_samples_with_enough_distinct_rows_do_not_warn(dx, n, seed):
    # Small enough for the warning to look (a resample's about 0.63 n distinct rows, 13 or
    # 25, fewer than 4 (d + 2) = 16 or 32), but more than the d + 2 = 4 or 8 a component
    # needs: the refits are sound densities, and nothing is said.
    x, y, _ = _gaussian_blocks(dx, n, seed)
    with warnings.catch_warnings():
        warnings.simplefilter("error", gmmi.DegenerateWarning)
        r = gmmi.mutual_information(x, y, random_state=0)
    assert not _bootstrap_degenerate(r)


def test_a_component_that_collapses_in_the_continuation_is_not_kept():
    # On this data set (3+3 Gaussian, n = 300, truth 0.669) one replicate's K = 2 candidate
    # looked sound after screening, and its continuation to the full tolerance let the
    # spare component collapse onto a few duplicated rows: that replicate read 1.16 nat
    # among the others' 0.5-0.87, and the interval's std was 0.100 instead of 0.073. The
    # refit now marks the collapsed fit and keeps the sound K = 1 candidate.
    x, y, truth = _gaussian_blocks(3, 300, seed=11)
    r = gmmi.mutual_information(x, y, random_state=0)
    assert not _bootstrap_degenerate(r)
    # The replicates' sd at this n is about 0.07 nat: 1.0 is 4 sd above their median.
    assert r.samples.max() < 1.0
    assert r.std < 0.09
    lo, hi = r.ci(0.95)
    assert lo < truth < hi


def test_a_deterministic_relation_gets_the_full_data_warning_only():
    # y = 2x + 1: the fit on all the rows is singular, and its warning says why; the
    # replicates' (equally singular) refits add no second warning.
    x = np.random.default_rng(0).normal(size=300)
    with pytest.warns(gmmi.DegenerateWarning, match="deterministic functions"):
        r = gmmi.mutual_information(x, 2 * x + 1, random_state=0, n_bootstrap=20)
    assert not _bootstrap_degenerate(r)


def test_categorical_redraws_for_small_classes_say_so():
    # Three classes of six rows in two columns: a resample holds about four distinct rows
    # of a class, often fewer than the d + 2 = 4 a component needs; those resamples are
    # redrawn (and after six in a row the replicate dropped). The warnings used to blame a
    # refit that "failed numerically" and advise reg_covar; the data are the problem.
    rng = np.random.default_rng(3)
    x = rng.normal(size=(18, 2))
    c = np.repeat(["a", "b", "c"], 6)
    x[c == "b"] += 2
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gmmi.mutual_information(x, c, discrete_y=True, random_state=0)
    bad_fit = [str(w.message) for w in caught if w.category is gmmi.BadFitWarning]
    assert any(m.endswith("Merge or drop the smallest classes")
               and "were redrawn (class 'a' has 6 rows, a resample about 4 distinct ones)" in m
               for m in bad_fit), bad_fit
    assert any(" were dropped: 6 resamples in a row left some class fewer than d + 2 = 4 "
               "distinct rows" in m for m in bad_fit), bad_fit
    assert not any("failed numerically" in m for m in bad_fit), bad_fit


def test_a_fixed_number_of_components_the_resamples_cannot_support_is_warned_of():
    # 30 components on 300 rows of a Gaussian pair (truth 0.223): the replicates fit their
    # resamples' duplicated rows (average 1.34 nat for a full-data 0.185) and the
    # bias-corrected estimate fell to the clip at 0 without a word. The resamples hold
    # about 190 distinct rows, so the tiny-sample warning does not speak; this one does.
    # With K = 3 (a K the rows support) nothing is said.
    X = np.random.default_rng(15).multivariate_normal([0, 0], [[1, .6], [.6, 1]], 2000)[:300]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        big = gmmi.mutual_information(X[:, 0], X[:, 1], n_components=30, random_state=0)
        fit = gmmi.mutual_information(X[:, 0], X[:, 1], n_components=3, random_state=0)
    assert any("refitted at a fixed n_components=30" in m for m in big.warnings), \
        big.warnings
    lo, hi = big.ci()
    assert lo <= 0.2231 <= hi  # the interval holds both values, and the truth
    assert not any("refitted at a fixed n_components" in m for m in fit.warnings)
