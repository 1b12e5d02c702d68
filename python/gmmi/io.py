"""Saving and loading results and models as JSON (never pickle).

A file holds ``{"format": "gmmi", "format_version": 1, "gmmi_version": ..., "type": ...,
"data": ...}``. Arrays, non-finite floats, mixtures and dictionaries with non-string keys are
tagged so they come back as they were.
"""

from __future__ import annotations

import json
import math
import os
from typing import Any, Union

import numpy as np

__all__ = ["FORMAT_VERSION", "load", "save"]

#: Version of the file format written by this gmmi.
FORMAT_VERSION = 1

PathLike = Union[str, "os.PathLike[str]"]


def _float(v: float) -> Any:
    if math.isfinite(v):
        return v
    return {"__float__": "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")}


def _encode(obj: Any) -> Any:
    from .mixture import GaussianMixture
    from .result import SelectionRecord

    if isinstance(obj, GaussianMixture):
        return {"__gmm__": _encode(obj.get_params())}
    if isinstance(obj, SelectionRecord):
        return {"__selection__": _encode(obj.__dict__)}
    if isinstance(obj, np.ndarray):
        flat = obj.ravel().tolist()
        if obj.dtype.kind == "f":
            flat = [v if math.isfinite(v) else repr(float(v)) for v in flat]
        return {"__array__": flat, "dtype": obj.dtype.str, "shape": list(obj.shape)}
    if isinstance(obj, (np.floating, float)):
        return _float(float(obj))
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, dict):
        if all(isinstance(k, str) for k in obj):
            return {k: _encode(v) for k, v in obj.items()}
        return {"__items__": [[_encode(k), _encode(v)] for k, v in obj.items()]}
    if isinstance(obj, tuple):
        return {"__tuple__": [_encode(v) for v in obj]}
    if isinstance(obj, list):
        return [_encode(v) for v in obj]
    if obj is None or isinstance(obj, (str, int, bool)):
        return obj
    raise TypeError(f"cannot save an object of type {type(obj).__name__}")


def _decode(obj: Any) -> Any:
    from .mixture import GaussianMixture
    from .result import SelectionRecord

    if isinstance(obj, list):
        return [_decode(v) for v in obj]
    if not isinstance(obj, dict):
        return obj
    if "__float__" in obj:
        return float(obj["__float__"])
    if "__array__" in obj:
        dtype = np.dtype(obj["dtype"])
        values = obj["__array__"]
        if dtype.kind == "f":
            values = [float(v) for v in values]
        return np.asarray(values, dtype=dtype).reshape(obj["shape"])
    if "__tuple__" in obj:
        return tuple(_decode(v) for v in obj["__tuple__"])
    if "__items__" in obj:
        return {_hashable(_decode(k)): _decode(v) for k, v in obj["__items__"]}
    if "__gmm__" in obj:
        g = GaussianMixture()
        g.__setstate__(_decode(obj["__gmm__"]))
        return g
    if "__selection__" in obj:
        return SelectionRecord(**_decode(obj["__selection__"]))
    return {k: _decode(v) for k, v in obj.items()}


def _hashable(k: Any) -> Any:
    return tuple(k) if isinstance(k, list) else k


def save(obj: Any, path: PathLike) -> None:
    """Writes an :class:`~gmmi.MIResult`, :class:`~gmmi.MIMatrix`,
    :class:`~gmmi.MIRanking` or :class:`~gmmi.GaussianMixture` to ``path`` as JSON."""
    from . import __version__

    kind = type(obj).__name__
    if kind == "GaussianMixture":
        data = _encode(obj.get_params())
    elif kind in ("MIResult", "MIMatrix", "MIRanking"):
        data = _encode(dict(obj.__dict__))
    else:
        raise TypeError(f"obj: cannot save a {kind}; expected MIResult, MIMatrix, MIRanking "
                        "or GaussianMixture")
    doc = {"format": "gmmi", "format_version": FORMAT_VERSION, "gmmi_version": __version__,
           "type": kind, "data": data}
    with open(os.fspath(path), "w", encoding="utf-8") as fh:
        json.dump(doc, fh, allow_nan=False)


def load(path: PathLike) -> Any:
    """Reads an object written by :func:`save` (or a ``.save()`` method).

    Examples
    --------
    >>> import os, tempfile, gmmi
    >>> g = gmmi.GaussianMixture([1.0], [[0.0, 1.0]], [[[1.0, 0.2], [0.2, 1.0]]])
    >>> path = os.path.join(tempfile.mkdtemp(), "model.json")
    >>> g.save(path)
    >>> gmmi.load(path) == g
    True
    """
    from .mixture import GaussianMixture
    from .pairs import MIMatrix, MIRanking
    from .result import MIResult

    with open(os.fspath(path), encoding="utf-8") as fh:
        try:
            doc = json.load(fh)
        except json.JSONDecodeError as exc:
            raise ValueError(f"path: {path} is not a gmmi JSON file ({exc})") from None
    if not isinstance(doc, dict) or doc.get("format") != "gmmi":
        raise ValueError(f"path: {path} is not a gmmi file")
    version = doc.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise ValueError(
            f"path: {path} has format version {version}, newer than this gmmi reads "
            f"({FORMAT_VERSION}); upgrade gmmi (it was written by gmmi "
            f"{doc.get('gmmi_version')})"
        )
    kind = doc.get("type")
    data = _decode(doc["data"])
    if kind == "GaussianMixture":
        g = GaussianMixture()
        g.__setstate__(data)
        return g
    classes = {"MIResult": MIResult, "MIMatrix": MIMatrix, "MIRanking": MIRanking}
    if kind not in classes:
        raise ValueError(f"path: unknown object type {kind!r} in {path}")
    return classes[kind](**data)
