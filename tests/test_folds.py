"""The component search's folds: ``n_folds="auto"`` (gmmi's default) splits fewer than
1,000 rows into 5 folds and more into 2, counting the rows of the search itself (a class of
categorical data counts its own)."""

from __future__ import annotations

import numpy as np
import pytest

import gmmi
from gmmi import _core

FAST = {"n_bootstrap": 2, "check": False}


def gaussian(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).multivariate_normal([0, 0], [[1, 0.6], [0.6, 1]], n)


def folds_of(result: gmmi.MIResult) -> int:
    # fold_scores has one row per start and one column per fold.
    return int(result.selection[0].fold_scores.shape[1])


@pytest.mark.parametrize(("n", "folds"), [(200, 5), (999, 5), (1000, 2), (3000, 2)])
def test_default_folds_follow_the_rows(n, folds):
    X = gaussian(n)
    r = gmmi.mutual_information(X[:, 0], X[:, 1], random_state=0, **FAST)
    assert folds_of(r) == folds == _core.folds_for_rows("auto", n)


def test_a_fixed_number_of_folds_and_the_published_preset_are_kept():
    X = gaussian(300)
    r = gmmi.mutual_information(X[:, 0], X[:, 1], random_state=0, n_folds=3, **FAST)
    assert folds_of(r) == 3
    r = gmmi.mutual_information(X[:, 0], X[:, 1], random_state=0, preset="published",
                                n_bootstrap=2)
    assert folds_of(r) == 2
    r = gmmi.mutual_information(X[:, 0], X[:, 1], random_state=0, preset="published",
                                n_folds="auto", n_bootstrap=2)
    assert folds_of(r) == 5


def test_each_class_counts_its_own_rows():
    # 1,200 rows of one class and 300 of the other: 2 folds for the first, 5 for the second.
    rng = np.random.default_rng(1)
    labels = np.repeat([0, 1], [1200, 300])
    x = rng.normal(size=labels.size) + labels
    r = gmmi.mutual_information(x, labels, discrete_y=True, random_state=0, **FAST)
    sel = r.details["class_selection"]
    assert sel[0][0].fold_scores.shape[1] == 2
    assert sel[1][0].fold_scores.shape[1] == 5


def test_a_class_too_small_for_its_folds_is_named():
    # Two rows make 2 folds of 1 training row: too few for a 1-D variance.
    labels = np.array([0] * 40 + [1] * 2)
    x = np.random.default_rng(2).normal(size=labels.size)
    with pytest.raises(ValueError, match=r"^y: class 1 has only 2 rows; at least 3 are "
                                         r"needed .* with n_folds=3"):
        gmmi.mutual_information(x, labels, discrete_y=True, **FAST)


@pytest.mark.parametrize("bad", ["five", 1, 0, 2.5])
def test_bad_folds_name_the_option(bad):
    X = gaussian(100)
    with pytest.raises((ValueError, TypeError), match=r"^n_folds"):
        gmmi.mutual_information(X[:, 0], X[:, 1], n_folds=bad)
