"""The gmmi file format: a JSON document with tagged values, written and read without
knowing any gmmi type (the classes own their state and tags; :mod:`gmmi.io` holds the
schemas and builds objects back).

A file holds ``{"format": "gmmi", "format_version": 1, "gmmi_version": ..., "type": ...,
"data": ...}``. Arrays, non-finite floats, tuples, bytes, dates, dictionaries with non-string
keys and objects with a ``_codec_tag`` are tagged so they come back as they were. Decoding
checks every value (nesting depth, array dtypes and shapes, a byte budget for arrays set by
the file's size), so a hostile file gives a ``ValueError`` naming the problem.
"""

from __future__ import annotations

import datetime
import json
import math
import os
from typing import Any, Callable, Optional, Union

import numpy as np

from ._core import __version__

__all__ = ["FORMAT_VERSION", "Decoder", "Invalid", "encode", "read", "write"]


#: Version of the file format written by this gmmi.
FORMAT_VERSION = 1

PathLike = Union[str, "os.PathLike[str]"]

#: Nesting a gmmi document may have. The deepest a saved result goes is about 10 levels
#: (a result's details, a per-class dict of mixtures, a mixture's arrays); 64 is generous.
MAX_DEPTH = 64

#: Array dtypes a file may declare: plain numbers, booleans, strings, dates. No objects, no
#: structured or sub-array dtypes (whose size is not what the file holds).
_ARRAY_KINDS = "biufSUmM"

TOP_KEYS = ("format", "format_version", "gmmi_version", "type", "data")



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


def encode(obj: Any) -> Any:
    """The JSON form of ``obj``: plain values as they are, everything else tagged. An object
    with a ``_codec_tag`` attribute is written as ``{tag: encode(obj._codec_state())}`` (the
    classes own their state; this module knows none of them)."""
    tag = getattr(type(obj), "_codec_tag", None)
    if isinstance(tag, str):
        return {tag: encode(obj._codec_state())}
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
            return {k: encode(v) for k, v in obj.items()}
        return {"__items__": [[encode(k), encode(v)] for k, v in obj.items()]}
    if isinstance(obj, tuple):
        return {"__tuple__": [encode(v) for v in obj]}
    if isinstance(obj, list):
        return [encode(v) for v in obj]
    if obj is None or isinstance(obj, (str, int, bool)):
        return str(obj) if isinstance(obj, str) else obj
    raise TypeError(f"cannot save an object of type {type(obj).__name__}")


class Invalid(ValueError):
    """A schema violation; ``where`` is the JSON path of the offending value."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}")


def _reject_constant(token: str) -> Any:
    raise Invalid("file", f"contains the bare token {token}, which is not JSON (gmmi writes "
                   "non-finite numbers as tagged objects)")


class Decoder:
    """Turns a parsed document back into objects, checking every value on the way; arrays
    share a byte budget set by the file's size."""

    def __init__(self, budget: int,
                 objects: Optional[dict[str, Callable[[Any, str], Any]]] = None) -> None:
        self.budget = budget
        #: Builders of tagged objects: ``tag -> build(decoded_state, where)``.
        self.objects = objects or {}

    def value(self, obj: Any, where: str, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise Invalid(where, f"is nested deeper than {MAX_DEPTH} levels; no gmmi file is")
        if isinstance(obj, list):
            return [self.value(v, f"{where}[{i}]", depth + 1) for i, v in enumerate(obj)]
        if not isinstance(obj, dict):
            return obj
        tags = [k for k in obj if k in _TAGS or k in self.objects]
        if not tags:
            return {k: self.value(v, f"{where}.{k}", depth + 1) for k, v in obj.items()}
        tag = tags[0]
        allowed = {"__array__": {"__array__", "dtype", "shape"}}.get(tag, {tag})
        if set(obj) != allowed:
            raise Invalid(where, f"a {tag} object must have exactly the keys "
                          f"{sorted(allowed)}, got {sorted(obj)}")
        if tag in self.objects:
            return self.objects[tag](self.value(obj[tag], where, depth + 1), where)
        return _TAGS[tag](self, obj, where, depth)

    def array(self, obj: dict[str, Any], where: str, depth: int) -> np.ndarray:
        values, dtype_str, shape = obj["__array__"], obj["dtype"], obj["shape"]
        if not isinstance(dtype_str, str) or len(dtype_str) > 32:
            raise Invalid(where, "dtype: expected a short dtype string")
        try:
            dtype = np.dtype(dtype_str)
        except (TypeError, ValueError):
            raise Invalid(where, f"dtype: {dtype_str!r} is not a NumPy dtype") from None
        if dtype.kind not in _ARRAY_KINDS or dtype.subdtype is not None or dtype.names:
            raise Invalid(where, f"dtype: {dtype_str!r} is not a plain number, boolean, "
                           "string or date dtype")
        if (not isinstance(shape, list) or len(shape) > 32
                or not all(type(s) is int and s >= 0 for s in shape)):
            raise Invalid(where, "shape: expected a list of non-negative integers")
        if not isinstance(values, list):
            raise Invalid(where, "__array__: expected a list of values")
        size = math.prod(shape)
        if size != len(values):
            raise Invalid(where, f"shape {tuple(shape)} needs {size} values, the file has "
                           f"{len(values)}")
        nbytes = size * max(dtype.itemsize, 1)
        if nbytes > self.budget:
            raise Invalid(where, f"declares {nbytes:,} bytes of array data, more than a file "
                           "of this size can hold")
        self.budget -= nbytes
        if not all(type(v) in (int, float, str, bool) for v in values):
            raise Invalid(where, "__array__: expected a flat list of numbers or strings")
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
            raise Invalid(where, f"values do not fit dtype {dtype_str!r} ({exc})") from None
        try:
            return out.reshape(shape)
        except ValueError as exc:  # a dimension beyond NumPy's limit (with another one 0)
            raise Invalid(where, f"shape {tuple(shape)}: {exc}") from None

    def scalar(self, obj: dict[str, Any], where: str, depth: int) -> Any:
        inner = obj["__scalar__"]
        if not isinstance(inner, dict) or "__array__" not in inner:
            raise Invalid(where, "__scalar__: expected an array object")
        a = self.value(inner, where, depth + 1)
        if a.shape != () or a.dtype.kind not in "mM":
            raise Invalid(where, "__scalar__: expected a 0-d date or time array")
        return a[()]

    def float_(self, obj: dict[str, Any], where: str, depth: int) -> float:
        v = obj["__float__"]
        if v not in ("nan", "inf", "-inf"):
            raise Invalid(where, "__float__: expected 'nan', 'inf' or '-inf'")
        return float(v)

    def text(self, obj: dict[str, Any], tag: str, where: str) -> str:
        v = obj[tag]
        if not isinstance(v, str):
            raise Invalid(where, f"{tag}: expected a string")
        return v

    def bytes_(self, obj: dict[str, Any], where: str, depth: int) -> bytes:
        try:
            return self.text(obj, "__bytes__", where).encode("latin-1")
        except UnicodeError:
            raise Invalid(where, "__bytes__: expected latin-1 text") from None

    def datetime_(self, obj: dict[str, Any], where: str, depth: int) -> Any:
        tag = "__datetime__" if "__datetime__" in obj else "__date__"
        parse: Callable[[str], Any] = (datetime.datetime.fromisoformat if tag == "__datetime__"
                                       else datetime.date.fromisoformat)
        try:
            return parse(self.text(obj, tag, where))
        except ValueError as exc:
            raise Invalid(where, f"{tag}: {exc}") from None

    def timedelta(self, obj: dict[str, Any], where: str, depth: int) -> datetime.timedelta:
        v = obj["__timedelta__"]
        if not (isinstance(v, list) and len(v) == 3 and all(type(t) is int for t in v)):
            raise Invalid(where, "__timedelta__: expected [days, seconds, microseconds]")
        try:
            return datetime.timedelta(days=v[0], seconds=v[1], microseconds=v[2])
        except OverflowError as exc:
            raise Invalid(where, f"__timedelta__: {exc}") from None

    def tuple_(self, obj: dict[str, Any], where: str, depth: int) -> tuple[Any, ...]:
        v = obj["__tuple__"]
        if not isinstance(v, list):
            raise Invalid(where, "__tuple__: expected a list")
        return tuple(self.value(e, f"{where}[{i}]", depth + 1) for i, e in enumerate(v))

    def items(self, obj: dict[str, Any], where: str, depth: int) -> dict[Any, Any]:
        v = obj["__items__"]
        if not isinstance(v, list) or not all(isinstance(e, list) and len(e) == 2 for e in v):
            raise Invalid(where, "__items__: expected a list of [key, value] pairs")
        out: dict[Any, Any] = {}
        for i, (k, val) in enumerate(v):
            key = _hashable(self.value(k, f"{where}[{i}]", depth + 1))
            try:
                hash(key)
            except TypeError:
                raise Invalid(f"{where}[{i}]", "a dictionary key must be hashable") from None
            out[key] = self.value(val, f"{where}[{i}]", depth + 1)
        return out


_TAGS: dict[str, Callable[..., Any]] = {
    "__array__": Decoder.array,
    "__scalar__": Decoder.scalar,
    "__float__": Decoder.float_,
    "__bytes__": Decoder.bytes_,
    "__datetime__": Decoder.datetime_,
    "__date__": Decoder.datetime_,
    "__timedelta__": Decoder.timedelta,
    "__tuple__": Decoder.tuple_,
    "__items__": Decoder.items,
}


def _hashable(k: Any) -> Any:
    return tuple(k) if isinstance(k, list) else k


# -- the schema of each saved type: field -> check ------------------------------------------


def _fspath(path: Any) -> Any:
    """``os.fspath(path)``, with a ``TypeError`` naming the argument for anything that is
    not a path."""
    try:
        return os.fspath(path)
    except TypeError:
        raise TypeError(f"path: expected a file path (str, bytes or os.PathLike), got "
                        f"{type(path).__name__}") from None


def write(path: PathLike, kind: str, data: Any) -> None:
    """Writes the document of an object of type ``kind`` whose state is ``data``."""
    doc = {"format": "gmmi", "format_version": FORMAT_VERSION, "gmmi_version": __version__,
           "type": kind, "data": encode(data)}
    with open(_fspath(path), "w", encoding="utf-8") as fh:
        json.dump(doc, fh, allow_nan=False)


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object as a dict, refusing a key that appears twice (``json`` keeps the last
    silently: an edited file could hold two values of a field, one of them unseen)."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise Invalid("file", f"the key {key!r} appears twice in one object")
        out[key] = value
    return out


def read(path: PathLike) -> tuple[str, Any, int]:
    """The type, the raw (still encoded) data and the byte size of a gmmi file, after checking
    the envelope; ``ValueError`` naming the path otherwise."""
    with open(_fspath(path), "rb") as fh:
        raw = fh.read()
    if raw[:1] == b"\x80":  # the opcode a pickle of protocol 2 or later starts with
        raise ValueError(
            f"path: {path} is a Python pickle, not a gmmi file: gmmi reads only its own JSON "
            "files (loading a pickle can run any code, and one saved by the published gmm-mi "
            "package holds that package's classes). Re-run the estimate with gmmi "
            "(gmmi.compat.EstimateMI takes the published API) and save that.")
    try:
        doc = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant,
                         object_pairs_hook=_unique_keys)
    except Invalid as exc:
        raise ValueError(f"path: {path}: {exc}") from None
    except RecursionError:
        raise ValueError(f"path: {path} is nested too deeply to be a gmmi file") from None
    except ValueError as exc:  # not JSON, not UTF-8, or an integer of too many digits
        raise ValueError(f"path: {path} is not a gmmi JSON file ({exc})") from None
    if isinstance(doc, dict) and "format" not in doc and {"quantity", "mean"} <= set(doc):
        raise ValueError(f"path: {path} is the summary the command line prints with --json, "
                         "not a saved result (it holds no model or replicates); `gmmi estimate "
                         "... --save FILE` writes one that gmmi.load reads")
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
    extra = sorted(set(doc) - set(TOP_KEYS))
    missing = [k for k in TOP_KEYS if k not in doc]
    if extra or missing:
        problem = f"unknown key {extra[0]!r}" if extra else f"missing key {missing[0]!r}"
        raise ValueError(f"path: {path}: {problem} in a gmmi file")
    if not isinstance(doc["gmmi_version"], str):
        raise ValueError(f"path: {path}: gmmi_version must be a string")
    if not isinstance(doc["type"], str):
        raise ValueError(f"path: {path}: type must be a string, got "
                         f"{type(doc['type']).__name__}")
    return doc["type"], doc["data"], len(raw)
