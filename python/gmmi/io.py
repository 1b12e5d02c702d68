"""Saving and loading results and models as JSON (never pickle).

A file holds ``{"format": "gmmi", "format_version": 1, "gmmi_version": ..., "type": ...,
"data": ...}``. Arrays, non-finite floats, mixtures, tuples, bytes, dates and dictionaries
with non-string keys are tagged so they come back as they were.

:func:`load` reads untrusted files: the whole document is checked against the schema of its
type (every key, every field's type, nesting depth, array dtypes and shapes) before anything
is built, and an array may not take more memory than the file's size can justify, so a
hostile file gives a ``ValueError`` naming the problem, not a ``RecursionError``, a
``KeyError`` or gigabytes of allocation.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import math
import os
from typing import Any, Callable, Union

import numpy as np

__all__ = ["FORMAT_VERSION", "load", "save"]

#: Version of the file format written by this gmmi.
FORMAT_VERSION = 1

PathLike = Union[str, "os.PathLike[str]"]

#: Nesting a gmmi document may have. The deepest a saved result goes is about 10 levels
#: (a result's details, a per-class dict of mixtures, a mixture's arrays); 64 is generous.
MAX_DEPTH = 64

#: Array dtypes a file may declare: plain numbers, booleans, strings, dates. No objects, no
#: structured or sub-array dtypes (whose size is not what the file holds).
_ARRAY_KINDS = "biufSUmM"

_TOP_KEYS = ("format", "format_version", "gmmi_version", "type", "data")


def _float(v: float) -> Any:
    if math.isfinite(v):
        return v
    return {"__float__": "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")}


def _encode_array(obj: np.ndarray) -> dict[str, Any]:
    kind = obj.dtype.kind
    if kind not in _ARRAY_KINDS or obj.dtype.subdtype is not None:
        raise TypeError(f"cannot save an array of dtype {obj.dtype}")
    if kind in "mM":
        flat: list[Any] = obj.view(np.int64).ravel().tolist()  # NaT is the int64 minimum
    elif kind == "S":
        flat = [v.decode("latin-1") for v in obj.ravel().tolist()]
    else:
        flat = obj.ravel().tolist()
        if kind == "f":
            flat = [v if math.isfinite(v) else repr(float(v)) for v in flat]
    return {"__array__": flat, "dtype": obj.dtype.str, "shape": list(obj.shape)}


def _encode(obj: Any) -> Any:
    from .mixture import GaussianMixture
    from .representation import Representation
    from .result import SelectionRecord

    if isinstance(obj, GaussianMixture):
        return {"__gmm__": _encode(obj._fitted_state())}
    if isinstance(obj, SelectionRecord):
        return {"__selection__": _encode(obj.__dict__)}
    if isinstance(obj, Representation):
        return {"__representation__": _encode(obj.__dict__)}
    if isinstance(obj, np.ndarray):
        return _encode_array(obj)
    if isinstance(obj, (np.datetime64, np.timedelta64)):
        return {"__scalar__": _encode_array(np.asarray(obj))}
    if isinstance(obj, (np.floating, float)):
        return _float(float(obj))
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, (bytes, np.bytes_)):
        return {"__bytes__": bytes(obj).decode("latin-1")}
    if isinstance(obj, datetime.datetime):
        return {"__datetime__": obj.isoformat()}
    if isinstance(obj, datetime.date):
        return {"__date__": obj.isoformat()}
    if isinstance(obj, datetime.timedelta):
        return {"__timedelta__": [obj.days, obj.seconds, obj.microseconds]}
    if isinstance(obj, dict):
        if all(isinstance(k, str) for k in obj):
            return {k: _encode(v) for k, v in obj.items()}
        return {"__items__": [[_encode(k), _encode(v)] for k, v in obj.items()]}
    if isinstance(obj, tuple):
        return {"__tuple__": [_encode(v) for v in obj]}
    if isinstance(obj, list):
        return [_encode(v) for v in obj]
    if obj is None or isinstance(obj, (str, int, bool)):
        return str(obj) if isinstance(obj, str) else obj
    raise TypeError(f"cannot save an object of type {type(obj).__name__}")


class _Invalid(ValueError):
    """A schema violation; ``where`` is the JSON path of the offending value."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}")


def _reject_constant(token: str) -> Any:
    raise _Invalid("file", f"contains the bare token {token}, which is not JSON (gmmi writes "
                   "non-finite numbers as tagged objects)")


class _Decoder:
    """Turns a parsed document back into objects, checking every value on the way; arrays
    share a byte budget set by the file's size."""

    def __init__(self, budget: int) -> None:
        self.budget = budget

    def value(self, obj: Any, where: str, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise _Invalid(where, f"is nested deeper than {MAX_DEPTH} levels; no gmmi file is")
        if isinstance(obj, list):
            return [self.value(v, f"{where}[{i}]", depth + 1) for i, v in enumerate(obj)]
        if not isinstance(obj, dict):
            return obj
        tags = [k for k in obj if k in _TAGS]
        if not tags:
            return {k: self.value(v, f"{where}.{k}", depth + 1) for k, v in obj.items()}
        tag = tags[0]
        allowed = {"__array__": {"__array__", "dtype", "shape"}}.get(tag, {tag})
        if set(obj) != allowed:
            raise _Invalid(where, f"a {tag} object must have exactly the keys "
                           f"{sorted(allowed)}, got {sorted(obj)}")
        return _TAGS[tag](self, obj, where, depth)

    def array(self, obj: dict[str, Any], where: str, depth: int) -> np.ndarray:
        values, dtype_str, shape = obj["__array__"], obj["dtype"], obj["shape"]
        if not isinstance(dtype_str, str) or len(dtype_str) > 32:
            raise _Invalid(where, "dtype: expected a short dtype string")
        try:
            dtype = np.dtype(dtype_str)
        except (TypeError, ValueError):
            raise _Invalid(where, f"dtype: {dtype_str!r} is not a NumPy dtype") from None
        if dtype.kind not in _ARRAY_KINDS or dtype.subdtype is not None or dtype.names:
            raise _Invalid(where, f"dtype: {dtype_str!r} is not a plain number, boolean, "
                           "string or date dtype")
        if (not isinstance(shape, list) or len(shape) > 32
                or not all(type(s) is int and s >= 0 for s in shape)):
            raise _Invalid(where, "shape: expected a list of non-negative integers")
        if not isinstance(values, list):
            raise _Invalid(where, "__array__: expected a list of values")
        size = math.prod(shape)
        if size != len(values):
            raise _Invalid(where, f"shape {tuple(shape)} needs {size} values, the file has "
                           f"{len(values)}")
        nbytes = size * max(dtype.itemsize, 1)
        if nbytes > self.budget:
            raise _Invalid(where, f"declares {nbytes:,} bytes of array data, more than a file "
                           "of this size can hold")
        self.budget -= nbytes
        if not all(type(v) in (int, float, str, bool) for v in values):
            raise _Invalid(where, "__array__: expected a flat list of numbers or strings")
        try:
            if dtype.kind in "mM":
                out = np.asarray(values, dtype=np.int64).view(dtype)
            elif dtype.kind == "S":
                out = np.asarray([v.encode("latin-1") for v in values], dtype=dtype)
            elif dtype.kind == "f":
                out = np.asarray([float(v) for v in values], dtype=dtype)
            else:
                out = np.asarray(values, dtype=dtype)
        except (TypeError, ValueError, OverflowError, AttributeError, UnicodeError) as exc:
            raise _Invalid(where, f"values do not fit dtype {dtype_str!r} ({exc})") from None
        return out.reshape(shape)

    def scalar(self, obj: dict[str, Any], where: str, depth: int) -> Any:
        inner = obj["__scalar__"]
        if not isinstance(inner, dict) or "__array__" not in inner:
            raise _Invalid(where, "__scalar__: expected an array object")
        a = self.value(inner, where, depth + 1)
        if a.shape != () or a.dtype.kind not in "mM":
            raise _Invalid(where, "__scalar__: expected a 0-d date or time array")
        return a[()]

    def float_(self, obj: dict[str, Any], where: str, depth: int) -> float:
        v = obj["__float__"]
        if v not in ("nan", "inf", "-inf"):
            raise _Invalid(where, "__float__: expected 'nan', 'inf' or '-inf'")
        return float(v)

    def text(self, obj: dict[str, Any], tag: str, where: str) -> str:
        v = obj[tag]
        if not isinstance(v, str):
            raise _Invalid(where, f"{tag}: expected a string")
        return v

    def bytes_(self, obj: dict[str, Any], where: str, depth: int) -> bytes:
        try:
            return self.text(obj, "__bytes__", where).encode("latin-1")
        except UnicodeError:
            raise _Invalid(where, "__bytes__: expected latin-1 text") from None

    def datetime_(self, obj: dict[str, Any], where: str, depth: int) -> Any:
        tag = "__datetime__" if "__datetime__" in obj else "__date__"
        parse: Callable[[str], Any] = (datetime.datetime.fromisoformat if tag == "__datetime__"
                                       else datetime.date.fromisoformat)
        try:
            return parse(self.text(obj, tag, where))
        except ValueError as exc:
            raise _Invalid(where, f"{tag}: {exc}") from None

    def timedelta(self, obj: dict[str, Any], where: str, depth: int) -> datetime.timedelta:
        v = obj["__timedelta__"]
        if not (isinstance(v, list) and len(v) == 3 and all(type(t) is int for t in v)):
            raise _Invalid(where, "__timedelta__: expected [days, seconds, microseconds]")
        try:
            return datetime.timedelta(days=v[0], seconds=v[1], microseconds=v[2])
        except OverflowError as exc:
            raise _Invalid(where, f"__timedelta__: {exc}") from None

    def tuple_(self, obj: dict[str, Any], where: str, depth: int) -> tuple[Any, ...]:
        v = obj["__tuple__"]
        if not isinstance(v, list):
            raise _Invalid(where, "__tuple__: expected a list")
        return tuple(self.value(e, f"{where}[{i}]", depth + 1) for i, e in enumerate(v))

    def items(self, obj: dict[str, Any], where: str, depth: int) -> dict[Any, Any]:
        v = obj["__items__"]
        if not isinstance(v, list) or not all(isinstance(e, list) and len(e) == 2 for e in v):
            raise _Invalid(where, "__items__: expected a list of [key, value] pairs")
        out: dict[Any, Any] = {}
        for i, (k, val) in enumerate(v):
            key = _hashable(self.value(k, f"{where}[{i}]", depth + 1))
            try:
                hash(key)
            except TypeError:
                raise _Invalid(f"{where}[{i}]", "a dictionary key must be hashable") from None
            out[key] = self.value(val, f"{where}[{i}]", depth + 1)
        return out

    def gmm(self, obj: dict[str, Any], where: str, depth: int) -> Any:
        return _mixture(self.value(obj["__gmm__"], where, depth + 1), where)

    def selection(self, obj: dict[str, Any], where: str, depth: int) -> Any:
        from .result import SelectionRecord

        return _build(SelectionRecord, self.value(obj["__selection__"], where, depth + 1),
                      where)

    def representation(self, obj: dict[str, Any], where: str, depth: int) -> Any:
        from .representation import Representation

        return _build(Representation,
                      self.value(obj["__representation__"], where, depth + 1), where)


_TAGS: dict[str, Callable[..., Any]] = {
    "__array__": _Decoder.array,
    "__scalar__": _Decoder.scalar,
    "__float__": _Decoder.float_,
    "__bytes__": _Decoder.bytes_,
    "__datetime__": _Decoder.datetime_,
    "__date__": _Decoder.datetime_,
    "__timedelta__": _Decoder.timedelta,
    "__tuple__": _Decoder.tuple_,
    "__items__": _Decoder.items,
    "__gmm__": _Decoder.gmm,
    "__selection__": _Decoder.selection,
    "__representation__": _Decoder.representation,
}


def _hashable(k: Any) -> Any:
    return tuple(k) if isinstance(k, list) else k


# -- the schema of each saved type: field -> check ------------------------------------------
def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_float(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _opt(check: Callable[[Any], bool]) -> Callable[[Any], bool]:
    return lambda v: v is None or check(v)


def _array(ndim: int, kinds: str = "fiu") -> Callable[[Any], bool]:
    return lambda v: isinstance(v, np.ndarray) and v.ndim == ndim and v.dtype.kind in kinds


def _list_of(check: Callable[[Any], bool]) -> Callable[[Any], bool]:
    return lambda v: isinstance(v, list) and all(check(e) for e in v)


def _dict_of(key: Callable[[Any], bool], val: Callable[[Any], bool]) -> Callable[[Any], bool]:
    return lambda v: isinstance(v, dict) and all(key(k) and val(e) for k, e in v.items())


def _is_str(v: Any) -> bool:
    return isinstance(v, str)


def _is_label_pair(v: Any) -> bool:
    return isinstance(v, tuple) and len(v) == 2 and all(isinstance(e, str) for e in v)


def _is_mixture(v: Any) -> bool:
    from .mixture import GaussianMixture

    return isinstance(v, GaussianMixture)


def _is_record(v: Any) -> bool:
    from .result import SelectionRecord

    return isinstance(v, SelectionRecord)


def _is_representation(v: Any) -> bool:
    from .representation import Representation

    return isinstance(v, Representation)


_SCHEMAS: dict[str, dict[str, tuple[Callable[[Any], bool], str]]] = {
    "MIResult": {
        "mean": (_is_float, "a number"),
        "std": (_is_float, "a number"),
        "samples": (_array(1), "a 1-D float array"),
        "n_components": (_opt(_is_int), "an integer or null"),
        "model": (_opt(_is_mixture), "a mixture or null"),
        "selection": (_list_of(_is_record), "a list of selection records"),
        "unit": (_is_str, "a string"),
        "quantity": (_is_str, "a string"),
        "estimator": (_is_str, "a string"),
        "full_value": (_is_float, "a number"),
        "random_state": (_is_int, "an integer"),
        "options": (_dict_of(_is_str, lambda v: True), "a dictionary"),
        "warnings": (_list_of(_is_str), "a list of strings"),
        "details": (_dict_of(_is_str, lambda v: True), "a dictionary"),
        "bias_corrected": (lambda v: isinstance(v, bool), "true or false"),
        "transform": (_opt(_is_representation), "a representation or null"),
    },
    "MIMatrix": {
        "mean": (_array(2), "a 2-D float array"),
        "std": (_array(2), "a 2-D float array"),
        "n_components": (_array(2), "a 2-D float array"),
        "samples": (_array(3), "a 3-D float array"),
        "row_labels": (_list_of(_is_str), "a list of strings"),
        "col_labels": (_list_of(_is_str), "a list of strings"),
        "errors": (_dict_of(_is_label_pair, _is_str), "a dictionary of pair -> message"),
        "symmetric": (lambda v: isinstance(v, bool), "true or false"),
        "unit": (_is_str, "a string"),
        "random_state": (_is_int, "an integer"),
        "options": (_dict_of(_is_str, lambda v: True), "a dictionary"),
        "cell_warnings": (_dict_of(_is_label_pair, _list_of(_is_str)),
                          "a dictionary of pair -> list of messages"),
    },
    "MIRanking": {
        "features": (_list_of(_is_str), "a list of strings"),
        "mean": (_array(1), "a 1-D float array"),
        "std": (_array(1), "a 1-D float array"),
        "overlaps_next": (_array(1, "b"), "a 1-D boolean array"),
        "errors": (_dict_of(_is_str, _is_str), "a dictionary of feature -> message"),
        "unit": (_is_str, "a string"),
        "cell_warnings": (_dict_of(_is_str, _list_of(_is_str)),
                          "a dictionary of feature -> list of messages"),
    },
    "SelectionRecord": {
        "k": (_is_int, "an integer"),
        "metric": (_is_float, "a number"),
        "best_init": (_is_int, "an integer"),
        "fold_scores": (_array(2), "a 2-D float array"),
        "n_iter": (_array(2, "iu"), "a 2-D integer array"),
        "converged": (_array(2, "b"), "a 2-D boolean array"),
    },
    "Representation": {
        "name": (_is_str, "a string"),
        "columns": (_list_of(_dict_of(_is_str, lambda v: True)), "a list of dictionaries"),
        "candidates": (_list_of(_dict_of(_is_str, lambda v: True)), "a list of dictionaries"),
    },
    "GaussianMixture": {
        "weights": (_array(1), "a 1-D float array"),
        "means": (_array(2), "a 2-D float array"),
        "covariances": (_array(3), "a 3-D float array"),
        "n_iter": (_opt(_is_int), "an integer or null"),
        "converged": (_opt(lambda v: isinstance(v, bool)), "true, false or null"),
        "lower_bound": (_opt(_is_float), "a number or null"),
        "train_curve": (_array(1), "a 1-D float array"),
        "valid_curve": (_array(1), "a 1-D float array"),
    },
}


#: Entries of ``MIResult.details`` that the estimators write (checked when present: repr and
#: plots read them).
_DETAILS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "classes": (lambda v: isinstance(v, list), "a list"),
    "x_classes": (lambda v: isinstance(v, list), "a list"),
    "y_classes": (lambda v: isinstance(v, list), "a list"),
    "class_counts": (_list_of(_is_int), "a list of integers"),
    "class_weights": (_list_of(_is_float), "a list of numbers"),
    "class_models": (_dict_of(lambda k: True, _is_mixture), "a dictionary of mixtures"),
    "n_components_per_class": (_dict_of(lambda k: True, _is_int),
                               "a dictionary of integers"),
    "class_selection": (_dict_of(lambda k: True, _list_of(_is_record)),
                        "a dictionary of selection-record lists"),
    "table": (_opt(_array(2, "iu")), "a 2-D integer array or null"),
    "table_cells": (_array(2, "iu"), "a 2-D integer array"),
    "boot_n_components": (_array(1, "iu"), "a 1-D integer array"),
}


def _check_fields(kind: str, data: Any, where: str, required: set[str]) -> None:
    schema = _SCHEMAS[kind]
    if not isinstance(data, dict):
        raise _Invalid(where, f"a {kind} must be a JSON object")
    extra = sorted(set(data) - set(schema))
    if extra:
        raise _Invalid(where, f"unknown key {extra[0]!r} for a {kind}")
    missing = sorted(required - set(data))
    if missing:
        raise _Invalid(where, f"missing key {missing[0]!r} of a {kind}")
    for key, value in data.items():
        check, expected = schema[key]
        if not check(value):
            raise _Invalid(f"{where}.{key}", f"expected {expected}, got {type(value).__name__}")
    for key, value in data.get("details", {}).items() if kind == "MIResult" else ():
        if key in _DETAILS and not _DETAILS[key][0](value):
            raise _Invalid(f"{where}.details.{key}",
                           f"expected {_DETAILS[key][1]}, got {type(value).__name__}")


def _build(cls: Any, data: Any, where: str) -> Any:
    """``cls(**data)`` for a dataclass after checking every field."""
    required = {f.name for f in dataclasses.fields(cls)
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING}
    _check_fields(cls.__name__, data, where, required)
    return cls(**data)


def _mixture(data: Any, where: str) -> Any:
    from .mixture import GaussianMixture

    if data == {}:
        return GaussianMixture()
    _check_fields("GaussianMixture", data, where, {"weights", "means", "covariances"})
    try:
        g = GaussianMixture(n_components=len(data["weights"]))
        g._restore_fitted(data)
    except (TypeError, ValueError) as exc:
        raise _Invalid(where, f"not a valid mixture ({exc})") from None
    return g


def save(obj: Any, path: PathLike) -> None:
    """Writes an :class:`~gmmi.MIResult`, :class:`~gmmi.MIMatrix`,
    :class:`~gmmi.MIRanking` or :class:`~gmmi.GaussianMixture` to ``path`` as JSON."""
    from . import __version__

    kind = type(obj).__name__
    if kind == "GaussianMixture":
        data = _encode(obj._fitted_state())
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
    >>> g = gmmi.GaussianMixture.from_parameters([1.0], [[0.0, 1.0]], [[[1.0, 0.2], [0.2, 1.0]]])
    >>> path = os.path.join(tempfile.mkdtemp(), "model.json")
    >>> g.save(path)
    >>> gmmi.load(path) == g
    True
    """
    from .pairs import MIMatrix, MIRanking
    from .result import MIResult

    with open(os.fspath(path), "rb") as fh:
        raw = fh.read()
    try:
        doc = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except _Invalid as exc:
        raise ValueError(f"path: {path}: {exc}") from None
    except RecursionError:
        raise ValueError(f"path: {path} is nested too deeply to be a gmmi file") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"path: {path} is not a gmmi JSON file ({exc})") from None
    if not isinstance(doc, dict) or doc.get("format") != "gmmi":
        raise ValueError(f"path: {path} is not a gmmi file")
    version = doc.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ValueError(f"path: {path} has format version {version!r}; expected a positive "
                         "integer")
    if version > FORMAT_VERSION:
        raise ValueError(
            f"path: {path} has format version {version}, newer than this gmmi reads "
            f"({FORMAT_VERSION}); upgrade gmmi (it was written by gmmi "
            f"{doc.get('gmmi_version')})"
        )
    extra = sorted(set(doc) - set(_TOP_KEYS))
    missing = [k for k in _TOP_KEYS if k not in doc]
    if extra or missing:
        problem = f"unknown key {extra[0]!r}" if extra else f"missing key {missing[0]!r}"
        raise ValueError(f"path: {path}: {problem} in a gmmi file")
    if not isinstance(doc["gmmi_version"], str):
        raise ValueError(f"path: {path}: gmmi_version must be a string")
    kind = doc["type"]
    classes = {"MIResult": MIResult, "MIMatrix": MIMatrix, "MIRanking": MIRanking}
    if kind != "GaussianMixture" and kind not in classes:
        raise ValueError(f"path: unknown object type {kind!r} in {path}")
    # Arrays may take at most 64 bytes per byte of file (a number takes 2 bytes or more in
    # JSON and 8 in memory; a one-character string 3 and 4), and 1 MiB in any case.
    decoder = _Decoder(budget=max(64 * len(raw), 1 << 20))
    try:
        data = decoder.value(doc["data"], "data", 1)
        if kind == "GaussianMixture":
            return _mixture(data, "data")
        return _build(classes[kind], data, "data")
    except _Invalid as exc:
        raise ValueError(f"path: {path}: {exc}") from None
    except RecursionError:
        raise ValueError(f"path: {path} is nested too deeply to be a gmmi file") from None
