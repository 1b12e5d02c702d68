"""Input checks shared by the estimators and the many-pairs functions: data that look
discrete or heavy-tailed, and labels of discrete variables."""

from __future__ import annotations

import warnings
from typing import Any, Optional

import numpy as np

from ._validation import missing_label, to_numpy, unmask
from ._warnings import DiscreteDataWarning, HeavyTailWarning

__all__ = ["TAIL_FRACTION", "TAIL_SDS", "encode_labels", "warn_if_discrete",
           "warn_if_heavy_tailed"]


def _looks_discrete(block: np.ndarray) -> bool:
    n = block.shape[0]
    for j in range(block.shape[1]):
        col = block[:, j]
        if np.all(col == np.round(col)):
            n_unique = np.unique(col).size
            if n_unique <= 20 and n_unique * 5 <= n:
                return True
    return False


def warn_if_discrete(block: np.ndarray, name: str, flag: str) -> None:
    if _looks_discrete(block):
        warnings.warn(
            f"{name}: has few distinct integer values and looks discrete; if it is a label, "
            f"pass {flag}=True (a density fitted to ties is unreliable)",
            DiscreteDataWarning,
            stacklevel=4,
        )


#: A value is "far" beyond this many robust standard deviations (1.4826 MAD) from the
#: median, and a column is heavy-tailed when more than TAIL_FRACTION of its values are far:
#: a Cauchy sample has about 2% of its values beyond 20 robust sd, a log-normal (sigma = 1)
#: 0.2%, a Student t with 3 degrees of freedom 0.02%, a Gaussian none.
TAIL_SDS, TAIL_FRACTION = 20.0, 0.01


def warn_if_heavy_tailed(block: np.ndarray, name: str, kept_by_auto: bool = False) -> None:
    """Warn (HeavyTailWarning) when a column of ``block`` has heavy tails and is fitted as it
    is; ``kept_by_auto``: ``transform="auto"`` compared a map and kept the identity."""
    med = np.median(block, axis=0)
    dev = np.abs(block - med)
    mad = 1.4826 * np.median(dev, axis=0)
    for j in range(block.shape[1]):
        if mad[j] <= 0:
            continue  # more than half the values tied: the tie checks speak for it
        far = float(np.mean(dev[:, j] > TAIL_SDS * mad[j]))
        if far > TAIL_FRACTION:
            col = f" column {j}" if block.shape[1] > 1 else ""
            advice = (
                "transform='auto' compared a Gaussianising map and kept the data as they are "
                "(the map did not fit the bulk of the rows better), so the mixture's tails are "
                "fitted as they are: compare with transform='gaussianize'"
                if kept_by_auto else
                "Mutual information is invariant under monotone maps of each variable: "
                "transform it first (transform='auto' or 'gaussianize', ranks, a logarithm "
                "or arcsinh)"
            )
            warnings.warn(
                f"{name}{col}: heavy tails ({100 * far:.1f}% of the values lie beyond "
                f"{TAIL_SDS:g} robust standard deviations of the median); a finite Gaussian "
                "mixture cannot model them, and the misfit can show up as spurious dependence "
                f"(independent Cauchy samples give ~0.1 nat). {advice}",
                HeavyTailWarning,
                stacklevel=4,
            )
            return


def encode_labels(
    a: Any, name: str, n_rows: Optional[int] = None, rows_of: str = "x"
) -> tuple[np.ndarray, list[Any]]:
    """Integer codes 0..C-1 and the sorted distinct labels of a discrete variable (its row
    count must be ``n_rows``, that of the argument ``rows_of``)."""
    if a is None:
        raise TypeError(f"{name}: expected an array-like of labels, got None")
    raw = to_numpy(a, name)
    arr = np.asarray(unmask(raw, name))
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise ValueError(f"{name}: a discrete variable must be 1-D (one label per row), got "
                         f"shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name}: is empty")
    if n_rows is not None and arr.shape[0] != n_rows:
        raise ValueError(f"{name}: has {arr.shape[0]} rows but {rows_of} has {n_rows}; every "
                         "variable needs one row per sample")
    if np.issubdtype(arr.dtype, np.complexfloating):
        raise TypeError(f"{name}: complex numbers cannot be labels")
    i = missing_label(arr)
    if i is not None:
        what = arr[i] if arr.dtype.kind == "f" else f"missing ({arr[i]})"
        raise ValueError(f"{name}: label at row {i} is {what}; drop or fill missing labels")
    try:
        uniques, codes = np.unique(arr, return_inverse=True)
    except TypeError:
        raise TypeError(f"{name}: labels must be mutually comparable (got mixed types)") from None
    return np.ascontiguousarray(codes.ravel(), dtype=np.int64), list(uniques.tolist())
