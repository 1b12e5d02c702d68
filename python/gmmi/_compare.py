"""Value equality of result objects, whose fields hold NumPy arrays (where ``==`` is
elementwise) and NaN (where ``==`` is False): two results are equal when every field holds
the same values, NaN in the same places, arrays of the same shape."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np


def same(a: Any, b: Any) -> bool:
    """Whether ``a`` and ``b`` hold the same values (NaN equal to NaN)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)):
            return False
        if a.shape != b.shape:
            return False
        if a.dtype.kind in "fc" and b.dtype.kind in "fc":
            return bool(np.array_equal(a, b, equal_nan=True))
        return bool(np.array_equal(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return (type(a) is type(b) and len(a) == len(b)
                and all(same(u, v) for u, v in zip(a, b)))
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        return type(a) is type(b) and same_fields(a, b)
    return bool(a == b)


def same_fields(a: Any, b: Any) -> bool:
    """Field-by-field :func:`same` of two dataclass instances."""
    return all(same(getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(a))
