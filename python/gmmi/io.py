"""Saving and loading results and models as JSON (never pickle).

The file format is :mod:`gmmi._codec`'s; this module holds the schema of every saved type and
builds objects back. :func:`load` reads untrusted files: the whole document is checked against
the schema of its type (every key, every field's type, nesting depth, array dtypes and shapes)
before anything is built, and an array may not take more memory than the file's size can
justify, so a hostile file gives a ``ValueError`` naming the problem, not a
``RecursionError``, a ``KeyError`` or gigabytes of allocation.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Callable

import numpy as np

from ._codec import FORMAT_VERSION, Decoder, Invalid, PathLike, read
from ._validation import check_unit
from .mixture import GaussianMixture
from .pairs import MIMatrix, MIRanking
from .representation import Representation
from .result import MIResult, SelectionRecord

__all__ = ["FORMAT_VERSION", "load", "read_state", "result_from_state", "save"]

#: The types a file may hold.
_CLASSES: dict[str, Any] = {"MIResult": MIResult, "MIMatrix": MIMatrix, "MIRanking": MIRanking}


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
    """A fitted mixture (a result's mixtures are fitted; a file of no parameters builds an
    unfitted one, which would fail where it is used)."""
    return isinstance(v, GaussianMixture) and getattr(v, "_mix", None) is not None


#: A representation's candidate (see :class:`gmmi.Representation`): its keys and their checks.
_CANDIDATE: dict[str, Callable[[Any], bool]] = {
    "name": lambda v: isinstance(v, str),
    "score": lambda v: v is None or _is_float(v),
    "n_components": lambda v: _is_int(v) and v >= 0,
    "log_jacobian": lambda v: v is None or _is_float(v),
    "bulk_gain": lambda v: v is None or _is_float(v),
    "se": lambda v: v is None or _is_float(v),
    "affine": lambda v: isinstance(v, bool),
    "value": lambda v: v is None or _is_float(v),
    "bootstrap_share": lambda v: v is None or (_is_float(v) and not 0.0 > v and not v > 1.0),
}


def _is_candidate(v: Any) -> bool:
    """A candidate of a representation: a name, a K and a flag, numbers (NaN where not
    computed; null accepted) for the rest, a share in [0, 1]; ``value`` and
    ``bootstrap_share`` only with a bootstrap."""
    required = {"name", "score", "n_components", "affine"}
    return (isinstance(v, dict) and required <= set(v) and set(v) <= set(_CANDIDATE)
            and all(_CANDIDATE[k](e) for k, e in v.items()))


def _is_record(v: Any) -> bool:
    return isinstance(v, SelectionRecord)


def _is_extension_step(v: Any) -> bool:
    return (isinstance(v, dict) and _is_int(v.get("n_components"))
            and _is_float(v.get("value")) and _is_float(v.get("statistic")))


def _is_extension(v: Any) -> bool:
    """A result's ``details["misfit_extension"]``: its last step, ``reached`` and every
    step."""
    steps = v.get("steps") if isinstance(v, dict) else None
    return (_is_extension_step(v) and isinstance(v.get("reached"), bool)
            and isinstance(steps, list) and len(steps) > 0
            and all(_is_extension_step(s) for s in steps))


def _is_fit_check(v: Any) -> bool:
    """A result's ``details["fit_check"]`` (:meth:`FitCheck.to_dict`: None for a
    non-finite number)."""
    def number(x: Any) -> bool:
        return x is None or _is_float(x)

    draws = v.get("ksg_model") if isinstance(v, dict) else None
    if isinstance(draws, np.ndarray):
        draws = draws.tolist() if draws.ndim == 1 and draws.dtype.kind == "f" else None
    return (isinstance(v, dict)
            and set(v) == {"statistic", "threshold", "passed", "ksg_data", "ksg_model",
                           "n_rows", "k"}
            and number(v["statistic"]) and number(v["threshold"]) and number(v["ksg_data"])
            and isinstance(v["passed"], bool) and isinstance(draws, list)
            and all(number(x) for x in draws)
            and _is_int(v["n_rows"]) and v["n_rows"] >= 1
            and _is_int(v["k"]) and v["k"] >= 1)


def _is_representation(v: Any) -> bool:
    return isinstance(v, Representation)


def _is_count(v: Any) -> bool:
    return _is_int(v) and v >= 0


def _is_xy(v: Any) -> bool:
    """Two 2-D float arrays with the same rows (an estimator's x and y)."""
    return (isinstance(v, list) and len(v) == 2 and all(_array(2, "f")(a) for a in v)
            and v[0].shape[0] == v[1].shape[0])


def _is_labelled(v: Any) -> bool:
    """A 2-D float array and a 1-D array of as many labels."""
    return (isinstance(v, list) and len(v) == 2 and _array(2, "f")(v[0])
            and isinstance(v[1], np.ndarray) and v[1].ndim == 1
            and v[1].shape[0] == v[0].shape[0])


def _is_unit(v: Any) -> bool:
    """A unit as the estimators name it (see :func:`gmmi._validation.check_unit`)."""
    try:
        check_unit(v)
    except ValueError:
        return False
    return True


_SCHEMAS: dict[str, dict[str, tuple[Callable[[Any], bool], str]]] = {
    "MIResult": {
        "mean": (_is_float, "a number"),
        "std": (_is_float, "a number"),
        "samples": (_array(1), "a 1-D float array"),
        "n_components": (_opt(_is_int), "an integer or null"),
        "model": (_opt(_is_mixture), "a fitted mixture or null"),
        "selection": (_list_of(_is_record), "a list of selection records"),
        "unit": (_is_unit, "'nat', 'bit', 'ban' or 'log<base>'"),
        "quantity": (_is_str, "a string"),
        "estimator": (_is_str, "a string"),
        "full_value": (_is_float, "a number"),
        "random_state": (_is_int, "an integer"),
        "options": (_dict_of(_is_str, lambda v: True), "a dictionary"),
        "warnings": (_list_of(_is_str), "a list of strings"),
        "details": (_dict_of(_is_str, lambda v: True), "a dictionary"),
        "bias_corrected": (lambda v: isinstance(v, bool), "true or false"),
        "transform": (_opt(_is_representation), "a representation or null"),
        "bootstrap_models": (_list_of(_is_mixture), "a list of fitted mixtures"),
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
        "unit": (_is_unit, "'nat', 'bit', 'ban' or 'log<base>'"),
        "random_state": (_is_int, "an integer"),
        "options": (_dict_of(_is_str, lambda v: True), "a dictionary"),
        "cell_warnings": (_dict_of(_is_label_pair, _list_of(_is_str)),
                          "a dictionary of pair -> list of messages"),
        "full_value": (_opt(_array(2)), "a 2-D float array or null"),
        "bias_corrected": (_opt(_array(2, "b")), "a 2-D boolean array or null"),
        "check_statistic": (_opt(_array(2)), "a 2-D float array or null"),
        "check_threshold": (_opt(_is_float), "a number or null"),
    },
    "MIRanking": {
        "features": (_list_of(_is_str), "a list of strings"),
        "mean": (_array(1), "a 1-D float array"),
        "std": (_array(1), "a 1-D float array"),
        "overlaps_next": (_array(1, "b"), "a 1-D boolean array"),
        "errors": (_dict_of(_is_str, _is_str), "a dictionary of feature -> message"),
        "unit": (_is_unit, "'nat', 'bit', 'ban' or 'log<base>'"),
        "cell_warnings": (_dict_of(_is_str, _list_of(_is_str)),
                          "a dictionary of feature -> list of messages"),
        "level": (_opt(lambda v: _is_float(v) and 0 < v < 1), "a number in (0, 1) or null"),
        "check_statistic": (_opt(_array(1)), "a 1-D float array or null"),
        "check_threshold": (_opt(_is_float), "a number or null"),
        "random_state": (_opt(_is_int), "an integer or null"),
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
        "candidates": (_list_of(_is_candidate), "a list of candidates (name, score, "
                       "n_components, affine; log_jacobian, bulk_gain, se, value, "
                       "bootstrap_share: numbers or null)"),
    },
    "EstimateMI": {  # gmmi.compat.EstimateMI (built back there, see read_state)
        "gmm_fit_params": (lambda v: isinstance(v, dict), "a dictionary"),
        "select_components_params": (lambda v: isinstance(v, dict), "a dictionary"),
        "mi_dist_params": (lambda v: isinstance(v, dict), "a dictionary"),
        "random_state": (_is_count, "a non-negative integer"),
        "n_jobs": (_opt(_is_int), "an integer or null"),
        "MI_mean": (_opt(_is_float), "a number or null"),
        "MI_std": (_opt(_is_float), "a number or null"),
        "KL_mean": (_opt(_is_float), "a number or null"),
        "KL_std": (_opt(_is_float), "a number or null"),
        "n_components": (_opt(_is_count), "an integer or null"),
        "selected_k": (_opt(_is_count), "an integer or null"),
        "result": (_opt(lambda v: isinstance(v, dict)), "a result or null"),
        "xy": (_opt(_is_xy), "two 2-D float arrays with the same rows, or null"),
        "labelled": (_opt(_is_labelled), "a 2-D float array and its labels, or null"),
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
        "feature_names": (lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v),
                          "a list of strings"),
    },
}


#: Entries of ``MIResult.details`` that the estimators write (checked when present: repr and
#: plots read them).
_DETAILS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "classes": (lambda v: isinstance(v, list), "a list"),
    "discrete_variable": (lambda v: v in ("x", "y"), '"x" or "y"'),
    "x_classes": (lambda v: isinstance(v, list), "a list"),
    "y_classes": (lambda v: isinstance(v, list), "a list"),
    "class_counts": (_list_of(_is_int), "a list of integers"),
    "class_weights": (_list_of(_is_float), "a list of numbers"),
    "class_models": (_dict_of(lambda k: True, _is_mixture), "a dictionary of fitted "
                     "mixtures"),
    "n_components_per_class": (_dict_of(lambda k: True, _is_int),
                               "a dictionary of integers"),
    "class_selection": (_dict_of(lambda k: True, _list_of(_is_record)),
                        "a dictionary of selection-record lists"),
    "table": (_opt(_array(2, "iu")), "a 2-D integer array or null"),
    "table_cells": (_array(2, "iu"), "a 2-D integer array"),
    "boot_n_components": (_array(1, "iu"), "a 1-D integer array"),
    "block_columns": (_list_of(lambda v: _is_int(v) and v >= 1), "a list of integers >= 1"),
    "misfit_extension": (_is_extension, "the larger mixture a failed check led to "
                         "(n_components, value, statistic, reached, steps)"),
    "fit_check": (_is_fit_check, "a check of the fit (statistic, threshold, passed, "
                  "ksg_data, ksg_model, n_rows, k)"),
    "integration_error": (lambda v: _is_float(v) and 0.0 <= v < math.inf,
                          "a finite number >= 0"),
    "dequantized": (_dict_of(lambda k: k in ("x", "y", "z"), _list_of(
        lambda h: h is None or (_is_float(h) and 0.0 < h < math.inf))),
                    'a dictionary from "x", "y" or "z" to lists of lattice steps (positive '
                    "numbers or null)"),
}


def _check_fields(kind: str, data: Any, where: str, required: set[str]) -> None:
    schema = _SCHEMAS[kind]
    if not isinstance(data, dict):
        raise Invalid(where, f"a {kind} must be a JSON object")
    extra = sorted(set(data) - set(schema))
    if extra:
        raise Invalid(where, f"unknown key {extra[0]!r} for a {kind}")
    missing = sorted(required - set(data))
    if missing:
        raise Invalid(where, f"missing key {missing[0]!r} of a {kind}")
    for key, value in data.items():
        check, expected = schema[key]
        if not check(value):
            raise Invalid(f"{where}.{key}", f"expected {expected}, got {type(value).__name__}")
    for key, value in data.get("details", {}).items() if kind == "MIResult" else ():
        if key in _DETAILS and not _DETAILS[key][0](value):
            raise Invalid(f"{where}.details.{key}",
                           f"expected {_DETAILS[key][1]}, got {type(value).__name__}")


def _check_shapes(kind: str, data: dict[str, Any], where: str) -> None:
    """The arrays of a matrix or a ranking agree with its labels (a file edited by hand or
    cut short would otherwise load and fail, or drop rows, when used)."""
    if kind == "MIMatrix":
        p, q = len(data["row_labels"]), len(data["col_labels"])
        if data["symmetric"] and data["row_labels"] != data["col_labels"]:
            raise Invalid(f"{where}.col_labels", "a symmetric matrix has the row labels as "
                          "its column labels")
        shaped = ["mean", "std", "n_components", "full_value", "bias_corrected",
                  "check_statistic"]
        want: tuple[int, ...] = (p, q)
        if data["samples"].shape[:2] != want:
            raise Invalid(f"{where}.samples", f"has shape {data['samples'].shape}; the labels "
                          f"give {p} x {q} x replicates")
    elif kind == "MIRanking":
        shaped = ["mean", "std", "overlaps_next", "check_statistic"]
        want = (len(data["features"]),)
    elif kind == "SelectionRecord":
        shaped = ["n_iter", "converged"]
        want = data["fold_scores"].shape
    elif kind == "MIResult":
        _check_dimensions(data, where)
        return
    else:
        return
    for key in shaped:
        value = data.get(key)
        if value is not None and value.shape != want:
            raise Invalid(f"{where}.{key}", f"has shape {value.shape}; expected {want}")
    if kind in ("MIMatrix", "MIRanking"):
        _check_consistency(kind, data, where)


def _check_dimensions(data: dict[str, Any], where: str) -> None:
    """A result's mixtures (its model, the bootstrap's, a categorical estimate's per class)
    have the columns of its variables (``details.block_columns``) and of its
    representation's maps, one dimension for all (an edited file would otherwise load and
    fail, or mislead, where a model is used)."""
    details = data.get("details") or {}
    found: list[tuple[str, int]] = []
    if data.get("model") is not None:
        found.append(("model", data["model"].means_.shape[1]))
    for i, g in enumerate(data.get("bootstrap_models") or []):
        found.append((f"bootstrap_models[{i}]", g.means_.shape[1]))
    for label, g in (details.get("class_models") or {}).items():
        found.append((f"details.class_models[{label!r}]", g.means_.shape[1]))
    transform = data.get("transform")
    if transform is not None and transform.columns:
        found.append(("transform.columns", len(transform.columns)))
    if "block_columns" in details:
        found.insert(0, ("details.block_columns", sum(details["block_columns"])))
    for key, d in found[1:]:
        if d != found[0][1]:
            raise Invalid(f"{where}.{key}", f"has {d} columns; {found[0][0]} has "
                          f"{found[0][1]}")


def _check_consistency(kind: str, data: dict[str, Any], where: str) -> None:
    """The values of a matrix or a ranking agree with each other as the estimators write
    them (an edited file would otherwise load and mislead): distinct labels, MI and standard
    deviations not below 0, a symmetric matrix equal to its transpose, replicates as many as
    the options say, failures named by labels of the object, a ranking in its order."""
    names = (["row_labels", "col_labels"] if kind == "MIMatrix" else ["features"])
    for key in names:
        seen: set[str] = set()
        for label in data[key]:
            if label in seen:
                raise Invalid(f"{where}.{key}", f"the label {label!r} appears twice")
            seen.add(label)
    for key in ("mean", "std"):
        values = data[key]
        if (values[np.isfinite(values)] < 0).any():
            raise Invalid(f"{where}.{key}", "holds a negative value; MI and its standard "
                          "deviation are at least 0")
    if kind == "MIMatrix":
        if data["symmetric"]:
            for key in ("mean", "std"):
                v = data[key]
                if not np.array_equal(v, v.T, equal_nan=True):
                    raise Invalid(f"{where}.{key}", "a symmetric matrix equals its transpose")
        n_boot = data.get("options", {}).get("n_bootstrap")
        if _is_count(n_boot) and data["samples"].shape[2] != n_boot:
            raise Invalid(f"{where}.samples", f"holds {data['samples'].shape[2]} replicates "
                          f"per pair; the options say n_bootstrap={n_boot}")
        rows, cols = set(data["row_labels"]), set(data["col_labels"])
        for a, b in data["errors"]:
            if a not in rows or b not in cols:
                raise Invalid(f"{where}.errors", f"names the pair ({a!r}, {b!r}), which is "
                              "not one of the matrix's")
    else:
        mean = data["mean"]
        finite = np.isfinite(mean)
        # Estimated features first, by decreasing MI; failed ones (NaN) last.
        if (np.diff(finite.astype(int)) > 0).any() or (np.diff(mean[finite]) > 0).any():
            raise Invalid(f"{where}.mean", "a ranking lists its features by decreasing MI, "
                          "the failed ones last")
        unknown = sorted(set(data["errors"]) - set(data["features"]))
        if unknown:
            raise Invalid(f"{where}.errors", f"names the feature {unknown[0]!r}, which is not "
                          "one of the ranking's")


def _build(cls: Any, data: Any, where: str) -> Any:
    """``cls(**data)`` for a dataclass after checking every field."""
    required = {f.name for f in dataclasses.fields(cls)
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING}
    _check_fields(cls.__name__, data, where, required)
    _check_shapes(cls.__name__, data, where)
    try:
        return cls(**data)
    except ValueError as exc:  # the class's own checks (say MIResult's samples)
        raise Invalid(where, str(exc)) from None


def _mixture(data: Any, where: str) -> Any:
    if data == {}:
        return GaussianMixture()
    _check_fields("GaussianMixture", data, where, {"weights", "means", "covariances"})
    try:
        g = GaussianMixture(n_components=len(data["weights"]))
        g._restore_fitted(data)
    except (TypeError, ValueError) as exc:
        raise Invalid(where, f"not a valid mixture ({exc})") from None
    return g


def _objects() -> dict[str, Callable[[Any, str], Any]]:
    """Builders of the tagged objects nested in a saved result."""
    return {
        GaussianMixture._codec_tag: _mixture,
        SelectionRecord._codec_tag: lambda data, where: _build(SelectionRecord, data, where),
        Representation._codec_tag: lambda data, where: _build(Representation, data, where),
    }


def read_state(path: PathLike, kind: str) -> dict[str, Any]:
    """The checked state of a file holding an object of type ``kind`` that a module above
    this one defines and builds back (``"EstimateMI"``, :class:`gmmi.compat.EstimateMI`):
    every key of its schema present and valid; nested mixtures, selection records and
    representations come back built; a result nested as a state dictionary is built with
    :func:`result_from_state`."""
    found, raw, size = read(path)
    if found != kind:
        raise ValueError(f"path: {path} holds a {found!r} object, not {kind!r}")
    decoder = Decoder(budget=max(64 * size, 1 << 20), objects=_objects())
    try:
        data = decoder.value(raw, "data", 1)
        _check_fields(kind, data, "data", set(_SCHEMAS[kind]))
    except Invalid as exc:
        raise ValueError(f"path: {path}: {exc}") from None
    except RecursionError:
        raise ValueError(f"path: {path} is nested too deeply to be a gmmi file") from None
    return dict(data)


def result_from_state(data: Any, path: PathLike, where: str) -> MIResult:
    """An :class:`~gmmi.MIResult` from its state dictionary (a decoded part of the file at
    ``path``), checked against its schema."""
    try:
        result: MIResult = _build(MIResult, data, where)
    except Invalid as exc:
        raise ValueError(f"path: {path}: {exc}") from None
    return result


def save(obj: Any, path: PathLike) -> None:
    """Writes an :class:`~gmmi.MIResult`, :class:`~gmmi.MIMatrix`,
    :class:`~gmmi.MIRanking` or :class:`~gmmi.GaussianMixture` to ``path`` as JSON (the same
    as ``obj.save(path)``)."""
    if not isinstance(obj, (MIResult, MIMatrix, MIRanking, GaussianMixture)):
        raise TypeError(f"obj: cannot save a {type(obj).__name__}; expected MIResult, MIMatrix, "
                        "MIRanking or GaussianMixture")
    obj.save(path)


def load(path: PathLike) -> Any:
    """Reads an object written by :func:`save` (or a ``.save()`` method).

    Parameters
    ----------
    path : str or os.PathLike
        The JSON file. Files from untrusted sources are safe to read: nothing is executed,
        and every field is checked against the schema of its class.

    Returns
    -------
    MIResult, MIMatrix, MIRanking or GaussianMixture
        The object as it was saved (``gmmi.load(path) == obj``).

    Raises
    ------
    TypeError
        If ``path`` is not a path.
    ValueError
        If the file is not a gmmi file, is of a newer format, or a field does not pass its
        class's checks (the message names the field).
    OSError
        If the file cannot be read.

    Examples
    --------
    >>> import os, tempfile, gmmi
    >>> g = gmmi.GaussianMixture.from_parameters([1.0], [[0.0, 1.0]], [[[1.0, 0.2], [0.2, 1.0]]])
    >>> path = os.path.join(tempfile.mkdtemp(), "model.json")
    >>> g.save(path)
    >>> gmmi.load(path) == g
    True
    """
    kind, raw, size = read(path)
    if kind != "GaussianMixture" and kind not in _CLASSES:
        raise ValueError(f"path: unknown object type {kind!r} in {path}")
    # Arrays may take at most 64 bytes per byte of file (a number takes 2 bytes or more in
    # JSON and 8 in memory; a one-character string 3 and 4), and 1 MiB in any case.
    decoder = Decoder(budget=max(64 * size, 1 << 20), objects=_objects())
    try:
        data = decoder.value(raw, "data", 1)
        if kind == "GaussianMixture":
            return _mixture(data, "data")
        return _build(_CLASSES[kind], data, "data")
    except Invalid as exc:
        raise ValueError(f"path: {path}: {exc}") from None
    except RecursionError:
        raise ValueError(f"path: {path} is nested too deeply to be a gmmi file") from None
