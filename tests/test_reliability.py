"""Reliability, round two (issue 14): missing labels, many-pair results that keep each
cell's warnings and columns apart, results that save and load, and the command line on
real-world files."""

from __future__ import annotations

import numpy as np
import pytest

import gmmi

pd = pytest.importorskip("pandas")

FAST = {"n_bootstrap": 2, "mc_samples": 1000, "random_state": 0}


# --- missing labels ------------------------------------------------------------------------
@pytest.mark.parametrize("labels", [
    pd.array(["a", "b", pd.NA, "a", "b", "a"], dtype="string"),
    pd.Series(["a", "b", pd.NA, "a", "b", "a"], dtype=object),
    pd.Series(pd.to_datetime(["2020-01-01", "2020-01-02", None, "2020-01-01", "2020-01-02",
                              "2020-01-01"])),
    np.array(["2020-01-01", "2020-01-02", "NaT", "2020-01-01", "2020-01-02", "2020-01-01"],
             dtype="datetime64[D]"),
])
def test_a_missing_label_is_named_with_its_row(labels):
    x = np.arange(6.0)
    with pytest.raises(ValueError, match=r"^y: label at row 2 is missing"):
        gmmi.mutual_information(x, labels, discrete_y=True, **FAST)
    with pytest.raises(ValueError, match=r"^x: label at row 2 is missing"):
        gmmi.mutual_information(labels, labels, discrete_x=True, discrete_y=True, **FAST)
