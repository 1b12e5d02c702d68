"""The GMM-MI estimators: mutual information, conditional MI, entropy and KL divergence."""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Callable
from typing import Any, Optional, Union

import numpy as np

from . import _core
from ._inputs import (
    DISCRETE_ADVICE,
    Found,
    dequantize_blocks,
    encode_labels,
    redo_dequantization,
    sparse_levels_message,
    warn_if_discrete,
    warn_if_heavy_tailed,
    warn_if_joint_tails,
    warn_if_point_masses,
    warn_if_reg_covar_swamps_bulk,
    warn_if_repeated_rows,
    warn_if_scale_below_reg_covar,
)
from ._options import OPTION_NAMES, PRESETS, estimator_options, preset_options, split_options
from ._run import run_with_control
from ._validation import (
    MAX_DENSE_TABLE,
    as_block,
    check_bool,
    check_choice,
    resolve_base,
    resolve_n_jobs,
    resolve_seed,
)
from ._warnings import (
    DiscreteDataWarning,
    GmmiWarning,
    MisfitWarning,
    ZeroInformationWarning,
    caller_level,
    through,
    warning_class,
)
from .checks import (
    AUTO_CHECK_MIN_COLUMNS,
    AUTO_CHECK_ROWS_PER_COMPONENT,
    AUTO_CHECK_SECOND_LOOK,
    CHECK_K_MIN,
    CHECK_MAX_ROWS,
    check_fit,
    checked_quantity,
    extension_message,
    min_check_rows,
    misfit_extension,
    refuse_too_few_rows,
    rows_given,
    screen,
)
from .mixture import GaussianMixture
from .pointwise import PointwiseMI
from .representation import Representation
from .result import MIResult, SelectionRecord, summarize

__all__ = [
    "OPTION_NAMES",
    "PRESETS",
    "conditional_mutual_information",
    "entropy",
    "kl_divergence_marginals",
    "mutual_information",
    "pointwise_mutual_information",
    "preset_options",
]

Base = Union[float, str]


def _of_core(core_warnings: list[_core._CoreWarning],
             rename: Callable[[str], str] = lambda m: m) -> list[Found]:
    """The core's warnings as the input checks find theirs: the class of each kind, the
    message in the caller's terms (``rename``)."""
    return [(warning_class(kind), rename(message)) for kind, message in core_warnings]


def _raise_kept(found: list[Found], collected: list[str]) -> None:
    """Raises the warnings ``found`` (the input checks', the core's: :func:`_of_core`) at the
    line that called the public function, which called the caller of this, and keeps their
    messages in ``collected``, the result's ``warnings``."""
    for category, message in found:
        collected.append(message)
        warnings.warn(message, category, stacklevel=caller_level(4))
    found.clear()


def small_class_message(codes: np.ndarray, classes: list[Any], d: int,
                        opts: dict[str, Any]) -> Optional[str]:
    """Why the classes (``codes`` into ``classes``) of a categorical MI with a ``d``-column
    continuous variable cannot be fitted with the options ``opts``, or None: every fold's
    training rows of a class must hold a covariance and the components asked for (the core's
    check, in the caller's terms: the class by its label; with ``n_folds="auto"`` the folds
    follow the class's rows). The message names the first such class, or says that there
    are more classes than half the rows."""
    if len(classes) > codes.shape[0] / 2:
        return (f"{len(classes)} classes for {codes.shape[0]} rows; a continuous density "
                "cannot be fitted per class with fewer than two rows each (is this variable "
                "really discrete?)")
    counts = np.bincount(codes, minlength=len(classes))
    min_rows = _core.folds_min_rows(opts["n_folds"], max(opts["n_components"] or 1, d + 1))
    small = [(c, int(k)) for c, k in zip(classes, counts) if k < min_rows]
    if not small:
        return None
    c, k = small[0]
    return (f"class {c!r} has only {k} rows; at least {min_rows} are needed to fit a "
            f"{d}-D density per class with "
            f"n_folds={_core.folds_for_rows(opts['n_folds'], min_rows)}. Merge it with another "
            "class or drop its rows")


def rename_classes(message: str, classes: list[Any]) -> str:
    """A message of the core naming a class by its code (``class 2``, its rank among the
    sorted labels) with the class's label instead."""
    def label(m: re.Match[str]) -> str:
        code = int(m.group(1))
        return f"class {classes[code]!r}" if code < len(classes) else m.group(0)

    return re.sub(r"\bclass (\d+)\b", label, message)


def _in_callers_terms(message: str, cont_name: str, label_name: str, classes: list[Any]) -> str:
    """A message of the core's categorical estimator in the caller's terms: the core calls
    the continuous variable ``x``, the labels ``y`` and a class by its code (its rank among
    the sorted labels)."""
    message = rename_classes(message, classes)
    if (cont_name, label_name) != ("x", "y"):
        names = {"x": cont_name, "y": label_name}
        message = re.sub(r"\b[xy]\b", lambda m: names[m.group(0)], message)
    return message


def _records(raw: list[_core._SelectionRecordDict], n_inits: int) -> list[SelectionRecord]:
    out = []
    for r in raw:
        out.append(
            SelectionRecord(
                k=int(r["k"]),
                metric=float(r["metric"]),
                best_init=int(r["best_init"]),
                fold_scores=np.asarray(r["fold_scores"], dtype=float).reshape(n_inits, -1),
                n_iter=np.asarray(r["n_iter"], dtype=int).reshape(n_inits, -1),
                converged=np.asarray(r["converged"], dtype=bool).reshape(n_inits, -1),
            )
        )
    return out


def _finish(
    raw: _core._EstimateDict,
    *,
    quantity: str,
    estimator: str,
    ln_base: float,
    unit: str,
    seed: int,
    options: dict[str, Any],
    n_inits: int,
    collected: list[str],
    block_columns: Optional[list[int]] = None,
) -> MIResult:
    values = np.asarray(raw["values"], dtype=float) / ln_base
    full = float(raw["full_value"]) / ln_base
    mean, std = float(raw["estimate"]) / ln_base, float(raw["std"]) / ln_base
    model = raw.get("model")
    details: dict[str, Any] = {
        "boot_n_components": np.asarray(raw["boot_n_components"], dtype=int)}
    integration_error = raw["integration_error"]
    if integration_error is not None:
        # The standard error of the integral behind full_value, in the result's unit.
        details["integration_error"] = float(integration_error) / ln_base
    if block_columns is not None:
        details["block_columns"] = block_columns
    return MIResult(
        mean=mean,
        std=std,
        samples=values,
        n_components=raw.get("n_components"),
        model=GaussianMixture._from_core(model) if model is not None else None,
        selection=_records(raw.get("selection", []), n_inits),
        unit=unit,
        quantity=quantity,
        estimator=estimator,
        full_value=full,
        random_state=seed,
        options=options,
        warnings=collected,
        details=details,
        bias_corrected=bool(raw["bias_correction"]) and values.size >= 2,
        transform=Representation._from_core(raw["transform"]) if "transform" in raw else None,
        bootstrap_models=[GaussianMixture._from_core(g) for g in raw.get("boot_models", [])],
    )


#: Why ``_joint`` refuses a constant column, where it is not "the mutual information of a
#: constant with anything is 0" (``as_block``'s default): by quantity or by block name.
_CONSTANT_WHY = {"entropy": "its differential entropy is minus infinity",
                 "kl_divergence": "the KL divergence between a point mass and a density is "
                                  "infinite (or undefined)",
                 "z": "conditioning on a constant changes nothing"}


def _column_steps(spread: dict[str, list[Optional[float]]], blocks: list[tuple[str, Any]],
                  arrays: list[np.ndarray]) -> list[float]:
    """The lattice step of every column of the joint data (the blocks side by side), 0.0
    where a column was not spread: what the core takes out of the fitted mixtures
    (``lattice_steps``; see :func:`gmmi._inputs.dequantize_blocks`)."""
    steps: list[float] = []
    for (name, _), arr in zip(blocks, arrays):
        record = spread.get(name) or [None] * arr.shape[1]
        steps.extend(0.0 if h is None else float(h) for h in record)
    return steps


def _joint(
    kind: str,
    blocks: list[tuple[str, Any]],
    *,
    opts: dict[str, Any],
    base: Base,
    random_state: Any,
    n_jobs: Any,
    progress: Any,
    quantity: str,
    warn_discrete: bool = True,
    keep_models: bool = False,
    discrete_options: bool = False,
) -> MIResult:
    ln_base, unit = resolve_base(base)
    check_bool(progress, "progress")
    jobs = resolve_n_jobs(n_jobs)
    seed = resolve_seed(random_state)
    arrays = []
    n_rows = None
    # Only mutual_information has options for a discrete x or y; the other quantities say
    # what to do with labels instead.
    advice = DISCRETE_ADVICE["kl" if kind.startswith("kl") else kind]

    def advice_of(name: str) -> str:
        """The advice for labels given as ``name`` (conditional MI: x or y, or z)."""
        return DISCRETE_ADVICE["cmi-xy"] if kind == "cmi" and name != "z" else advice

    for name, value in blocks:
        arr = as_block(value, name, n_rows=n_rows, constant_why=_CONSTANT_WHY.get(
            quantity if quantity in ("entropy", "kl_divergence") else name),
            discrete_flags=f"discrete_{name}=True" if discrete_options else None,
            discrete_advice=advice_of(name))
        n_rows = arr.shape[0]
        arrays.append(arr)
    cols: list[list[int]] = []
    start = 0
    for arr in arrays:
        cols.append(list(range(start, start + arr.shape[1])))
        start += arr.shape[1]
    fitted: list[np.ndarray] = arrays
    spread: dict[str, list[Optional[float]]] = {}
    if kind in ("mi", "cmi") and opts["transform"] != "identity":
        # Columns on a lattice (rounded values, counts) of two variables or more spread
        # over their cells: MI does not change, and the mixture then fits a density instead
        # of spikes on the joint lattice's lines.
        fitted, spread = dequantize_blocks(
            [(name, arr) for (name, _), arr in zip(blocks, arrays)], seed)
    collected: list[str] = []
    found: list[Found] = []
    for (name, _), arr in zip(blocks, arrays):
        if warn_discrete:
            warn_if_discrete(arr, name, f"discrete_{name}" if discrete_options else None,
                             "" if discrete_options else advice_of(name), sink=found)
        warn_if_scale_below_reg_covar(arr, name, opts, sink=found)
    data = np.ascontiguousarray(np.hstack(fitted))
    if kind in ("mi", "cmi"):
        # (x and y: a conditioning z's point masses are its own business; rows that repeat
        # where both sit on their masses are named by that warning)
        if not warn_if_point_masses(arrays[0], arrays[1], (blocks[0][0], blocks[1][0]),
                                    sink=found):
            warn_if_repeated_rows(data, tuple(name for name, _ in blocks), sink=found)
    _raise_kept(found, collected)
    while len(cols) < 3:
        cols.append([])
    try:
        raw = run_with_control(
            _core.estimate, data, kind, cols[0], cols[1], cols[2],
            options=_core.Options(seed=seed, **opts), keep_models=keep_models,
            lattice_steps=_column_steps(spread, blocks, arrays) if spread else None, n_jobs=jobs,
            progress=progress, desc=quantity.replace("_", " "),
        )
    except ValueError as exc:
        # The core calls the joint data x: too few rows for all the columns is about every
        # variable of the call.
        message = str(exc)
        if message.startswith("x: ") and "training rows per cross-validation fold" in message:
            names = ", ".join(name for name, _ in blocks)
            raise ValueError(f"{names}: {message[3:]}") from None
        raise
    if raw["transform"]["name"] == "identity":
        # A learned map that handles the tails was available and lost, or was not asked for.
        compared = len(raw["transform"]["candidates"]) > 1
        for (name, _), arr in zip(blocks, arrays):
            warn_if_heavy_tailed(arr, name, kept_by_auto=compared, sink=found)
            warn_if_reg_covar_swamps_bulk(arr, name, float(opts["reg_covar"]),
                                          bool(opts["standardize"]),
                                          can_map=kind in ("mi", "cmi"), sink=found)
    elif len(arrays) >= 2:
        # The map handles each variable's tails, not dependence carried by their joint tails.
        warn_if_joint_tails(arrays[0], arrays[1], (blocks[0][0], blocks[1][0]),
                            raw["transform"]["name"], sink=found)
    found += _of_core(raw["warnings"])
    _raise_kept(found, collected)
    options = dict(opts, base=unit, random_state=seed, n_jobs=n_jobs)
    result = _finish(raw, quantity=quantity, estimator="gmm", ln_base=ln_base, unit=unit,
                     seed=seed, options=options, n_inits=opts["n_inits"], collected=collected,
                     block_columns=[int(a.shape[1]) for a in arrays])
    if spread:
        result.details["dequantized"] = spread
    return result


def _categorical(
    x: Any,
    labels: Any,
    *,
    opts: dict[str, Any],
    base: Base,
    random_state: Any,
    n_jobs: Any,
    progress: Any,
    label_name: str,
    cont_name: str,
) -> MIResult:
    ln_base, unit = resolve_base(base)
    check_bool(progress, "progress")
    jobs = resolve_n_jobs(n_jobs)
    seed = resolve_seed(random_state)
    data = as_block(x, cont_name)
    codes, classes = encode_labels(labels, label_name, n_rows=data.shape[0], rows_of=cont_name)
    # A continuous variable of a few levels is fitted by one mixture per class, as badly as
    # by a joint mixture: the same warning as the continuous estimate's.
    collected: list[str] = []
    found: list[Found] = []
    warn_if_discrete(data, cont_name, f"discrete_{cont_name}", sink=found)
    warn_if_scale_below_reg_covar(data, cont_name, opts, sink=found)
    _raise_kept(found, collected)
    n = data.shape[0]
    options = dict(opts, base=unit, random_state=seed, n_jobs=n_jobs)
    if len(classes) == 1:
        msg = (f"{label_name}: has a single class ({classes[0]!r}); the mutual information is 0 "
               "by definition")
        warnings.warn(msg, ZeroInformationWarning, stacklevel=caller_level(3))
        return MIResult(mean=0.0, std=0.0 if opts["n_bootstrap"] > 1 else math.nan,
                        samples=np.zeros(opts["n_bootstrap"]), n_components=None, model=None,
                        selection=[], unit=unit, quantity="mutual_information",
                        estimator="gmm-categorical", full_value=0.0, random_state=seed,
                        options=options, warnings=[*collected, msg],
                        details={"classes": classes, "class_counts": [n]})
    small = small_class_message(codes, classes, data.shape[1], opts)
    if small is not None:
        raise ValueError(f"{label_name}: {small}")

    def rename(message: str) -> str:
        return _in_callers_terms(message, cont_name, label_name, classes)

    spread: dict[str, Any] = {}
    if opts["transform"] != "identity":
        # A continuous variable on a lattice spread over its cells (see dequantize_blocks).
        (data,), spread = dequantize_blocks([(cont_name, data)], seed, min_variables=1)
    try:
        raw = run_with_control(
            _core.estimate_categorical, data, codes, len(classes),
            options=_core.Options(seed=seed, **opts),
            lattice_steps=_column_steps(spread, [(cont_name, data)], [data]) if spread else None,
            n_jobs=jobs, progress=progress, desc="categorical MI",
        )
    except (ValueError, _core.NumericalError) as exc:
        raise type(exc)(rename(str(exc))) from None
    if raw["transform"]["name"] == "identity":
        warn_if_heavy_tailed(data, cont_name,
                             kept_by_auto=len(raw["transform"]["candidates"]) > 1, sink=found)
    found += _of_core(raw["warnings"], rename)
    _raise_kept(found, collected)
    values = np.asarray(raw["values"], dtype=float) / ln_base
    full = float(raw["full_value"]) / ln_base
    mean, std = float(raw["estimate"]) / ln_base, float(raw["std"]) / ln_base
    per_class_k = {c: int(s["n_components"]) for c, s in zip(classes, raw["selections"])}
    details = {
        "classes": classes,
        "discrete_variable": label_name,
        "class_counts": [int(k) for k in raw["counts"]],
        "class_weights": [float(p) for p in raw["pi"]],
        "class_models": {c: GaussianMixture._from_core(m) for c, m in zip(classes, raw["models"])},
        "n_components_per_class": per_class_k,
        "class_selection": {
            c: _records(s["selection"], opts["n_inits"]) for c, s in zip(classes, raw["selections"])
        },
    }
    if spread:
        details["dequantized"] = spread
    return MIResult(mean=mean, std=std, samples=values, n_components=None, model=None,
                    selection=[], unit=unit, quantity="mutual_information",
                    estimator="gmm-categorical", full_value=full, random_state=seed,
                    options=options, warnings=collected, details=details,
                    bias_corrected=bool(raw["bias_correction"]) and values.size >= 2,
                    transform=Representation._from_core(raw["transform"]))


def _discrete(
    x: Any,
    y: Any,
    *,
    n_bootstrap: int,
    miller_madow: bool,
    bias_correction: bool,
    base: Base,
    random_state: Any,
    n_jobs: Any,
    progress: Any,
) -> MIResult:
    ln_base, unit = resolve_base(base)
    check_bool(progress, "progress")
    jobs = resolve_n_jobs(n_jobs)
    seed = resolve_seed(random_state)
    a, ca = encode_labels(x, "x")
    b, cb = encode_labels(y, "y", n_rows=a.shape[0])
    if a.shape[0] < 2:
        raise ValueError(f"x: at least 2 rows are needed, got {a.shape[0]}")
    collected = [m for m in (sparse_levels_message(len(ca), a.shape[0], "x"),
                             sparse_levels_message(len(cb), a.shape[0], "y")) if m]
    for message in collected:
        warnings.warn(message, DiscreteDataWarning, stacklevel=caller_level(3))
    raw = run_with_control(
        _core.estimate_discrete, a, b, len(ca), len(cb), miller_madow=miller_madow,
        n_bootstrap=n_bootstrap, seed=seed, n_jobs=jobs, progress=progress, desc="discrete MI",
    )
    values = np.asarray(raw["values"], dtype=float) / ln_base
    full = float(raw["full_value"]) / ln_base
    # As the mixtures' estimates (the preset's bias correction): each replicate's plug-in
    # MI is biased upwards again, so their mean holds the bias twice and their spread
    # misses it; the bootstrap's estimate of the bias is removed and counted in the std.
    # Nor above the entropy of the variable of fewer levels, at most ln C, which the
    # correction can pass where one variable nearly determines the other (the core's
    # stats::information_bound, as for a categorical estimate and a matrix's pairs).
    mean, std = summarize(values, full, bias_correction, nonnegative=True,
                          at_most=math.log(min(len(ca), len(cb))) / ln_base)
    options = {"n_bootstrap": n_bootstrap, "miller_madow": miller_madow, "base": unit,
               "random_state": seed, "n_jobs": n_jobs}
    cells = raw["cells"]
    table = None  # two ID-like columns: 1e5 levels each would be a 1e10-cell table
    if len(ca) * len(cb) <= MAX_DENSE_TABLE:
        table = np.zeros((len(ca), len(cb)), dtype=np.int64)
        table[cells[:, 0], cells[:, 1]] = cells[:, 2]
    details = {"x_classes": ca, "y_classes": cb, "table": table, "table_cells": cells}
    return MIResult(mean=mean, std=std, samples=values, n_components=None, model=None,
                    selection=[], unit=unit, quantity="mutual_information", estimator="plugin",
                    full_value=full, random_state=seed, options=options, warnings=collected,
                    details=details, bias_corrected=bias_correction and values.size >= 2)


def mutual_information(
    x: Any,
    y: Any,
    z: Any = None,
    *,
    discrete_x: bool = False,
    discrete_y: bool = False,
    n_components: Optional[int] = None,
    n_bootstrap: Optional[int] = None,
    mc_samples: Union[int, str, None] = None,
    integral: Optional[str] = None,
    quadrature_order: Optional[int] = None,
    selection: Optional[str] = None,
    n_inits: Optional[int] = None,
    n_folds: Union[int, str, None] = None,
    patience: Union[int, str, None] = None,
    threshold_components: Optional[float] = None,
    max_components: Optional[int] = None,
    threshold_fit: Optional[float] = None,
    reg_covar: Optional[float] = None,
    max_iter: Optional[int] = None,
    init: Optional[str] = None,
    scale: Optional[float] = None,
    miller_madow: bool = False,
    base: Base = math.e,
    standardize: Optional[bool] = None,
    transform: Optional[str] = None,
    preset: str = "gmmi",
    check: Optional[bool] = None,
    random_state: Any = None,
    n_jobs: Optional[int] = None,
    progress: bool = False,
) -> MIResult:
    """Mutual information ``I(X;Y)`` (or ``I(X;Y|Z)``) with a bootstrap uncertainty.

    A Gaussian mixture is fitted to the joint samples, its number of components chosen by
    cross-validation; the MI of the fitted model is integrated (Monte Carlo or quadrature),
    and the data are bootstrapped for the uncertainty (Piras et al. 2023).

    Parameters
    ----------
    x, y : array-like of shape (n,) or (n, d)
        The variables; NumPy arrays, lists, pandas or polars Series and DataFrames, xarray
        DataArrays, or any object with ``__array__`` or ``__dlpack__`` (PyTorch, JAX or
        CuPy arrays on the host). Any number of columns each. Rows are paired by
        position (a pandas index is not aligned).
    z : array-like of shape (n,) or (n, dz), optional
        Condition on ``z``: returns the conditional mutual information ``I(X;Y|Z)``.
    discrete_x, discrete_y : bool, default False
        Treat the variable as categorical (labels of any type). One discrete variable gives
        the continuous-categorical estimator (a mixture per class, classes weighted by their
        frequency; gmmi's bootstrap resamples all rows, so the class frequencies vary, the
        published one resamples within each class); two give the plug-in estimate of the
        contingency table, bias-corrected by the bootstrap as mixtures' estimates are
        (gmmi preset; ``preset="published"``: the replicates' mean); the options of the
        mixture (``n_components`` to ``transform``) have no effect there, so that one set of
        options serves pairs of every kind.
    n_components : int, optional
        Fix the number of components: no search over K. The cross-validated fits at that K
        still run (their held-out score is recorded and, with ``transform="auto"``, ranks
        the representations), so every fold's training rows must hold ``n_components``
        (at least ``n_components / (1 - 1 / n_folds)`` rows).
    n_bootstrap : int, default 50
        Bootstrap replicates; 0 fits once on all data and reports no std. With 1 there is
        no std, and the estimate is the full-data value under gmmi's preset (the bias
        correction and the interval need at least 2 replicates) and that replicate's value
        under ``preset="published"`` (the mean of the replicates, as in the published
        method).
    mc_samples : int or "auto", optional
        Points per integral. ``"auto"`` (gmmi preset): as many quasi-Monte Carlo points as
        it takes for the integration error (estimated from 8 random shifts) to be at most
        20% of the statistical error ``sd(pmi)/sqrt(n)``, which adds at most 2% to the
        bootstrap standard deviation; with ``integral="mc"`` it means 100,000 draws (the
        published preset's count). A number of quasi-Monte Carlo points is spread over 8
        shifted lattices of each component, each of at least 21 points (so at least 168
        per component, whatever smaller number is given).
    integral : {"qmc", "mc", "quadrature"}, optional
        ``"qmc"`` (gmmi preset): randomised quasi-Monte Carlo, shifted Fibonacci lattices
        per component, for the MI of two scalar variables and categorical MI of a scalar;
        elsewhere Monte Carlo (100,000 draws with ``mc_samples="auto"``). ``"mc"``
        (published preset): Monte Carlo. ``"quadrature"``: deterministic Gauss-Hermite
        quadrature (joint dimension <= 6): exact for a single Gaussian, approximate for a
        mixture, more so at 4-6 dimensions, where the default order is low (off by up to
        1.5% on overlapping three-component mixtures; see ``quadrature_order``).
    quadrature_order : int, optional
        Gauss-Hermite nodes per dimension (default depends on the dimension: 64 at 1, 48
        at 2, 16 at 3, 8 at 4, 6 at 5, 4 at 6; raise it for mixtures in 4-6 dimensions).
    selection : {"valid", "aic", "bic"}, default "valid"
        Metric of the component search.
    n_inits : int, default 3
        Initialisations per K of the component search.
    n_folds : int or "auto", optional
        Cross-validation folds of the component search. ``"auto"`` (gmmi preset): 5 folds
        on fewer than 1,000 rows, 2 from there on (a search on fewer rows, such as a class
        of categorical data, counts its own rows). With two folds each K is fitted on half
        the rows, which at a few hundred rows supports a component or two fewer than all
        of them, and on data a mixture only approximates that costs MI the bootstrap
        cannot see; five fit on 80% of the rows, at four times the search's EM work, small
        below 1,000 rows. The published preset: 2.
    patience : int or "auto", optional
        The search stops after this many consecutive K that do not improve on the best.
        ``"auto"`` (gmmi preset): ``max(2, ceil(K_best / 2))`` K past ``K_best``, the best K
        so far, so 2 for the small mixtures of Gaussian-like data and longer where many
        components are needed (sharp edges, heavy tails), whose held-out score climbs in
        plateaus that grow with K; beyond K = 15 this search evaluates K in steps of an
        eighth of K (16, 18, ..., 24, 27, 30, 33, 37, 41, 46, 50), finer than the window of
        K the bootstrap re-chooses among. An integer evaluates every K. The published
        preset: 1.
    threshold_components, max_components
        Component search: minimal improvement of the held-out score (1e-5), largest K (50).
    threshold_fit : float, optional
        EM stops when the mean log-likelihood per sample changes by less than this. Default
        (gmmi preset): ``min(1e-5, 0.1 / n)`` on ``n`` rows, so that fits stop well within
        the data's statistical precision at every n (the component search's fits, which only
        rank K, stop tightening at 1e-6 above 10^5 rows); a value given here is used for
        every fit at every n (the published preset: 1e-5).
    reg_covar : float, optional
        Added to every covariance's diagonal, on the standardised scale. Default (gmmi
        preset): 1e-10, so that a component that collapses onto a few far rows of
        heavy-tailed data keeps a covariance that can be inverted (the published preset:
        1e-15, with which such fits fail and bootstrap replicates are dropped).
    max_iter : int, default 10000
        EM iteration cap.
    init : str, optional
        Initialisation: ``mixed`` (gmmi: the starts of a search alternate between
        ``kmeans`` and ``random_sklearn``; a single fit uses ``kmeans``), ``kmeans``
        (greedy k-means++ with restarts, then per-cluster moments), ``random_sklearn``
        (published: random responsibilities, which start every component at the data mean
        and can stall there with many rows), ``kmeans_sklearn``, ``random``, ``minmax``,
        ``randomized_kmeans``.
    scale : float, optional
        Scale of the ``random``/``minmax``/``randomized_kmeans`` initialisations.
    miller_madow : bool, default False
        Miller-Madow correction of every discrete-discrete plug-in value. gmmi's preset
        already removes the bootstrap's estimate of the plug-in bias, and the two together
        over-correct; meant for ``preset="published"``. Only for two discrete variables
        (ignored otherwise, with a :class:`~gmmi.GmmiWarning`); for them, the options of
        the mixture (``n_components``, ``mc_samples``, ``integral``, ``transform``,
        ``init`` and the other search and EM options) do not apply and are ignored with a
        :class:`~gmmi.GmmiWarning` when given.
    base : float or {"nat", "bit"}, default e
        Logarithm base of the result (``2`` or ``"bit"`` for bits).
    standardize : bool, default True
        Standardise every column before fitting (MI is invariant to it).
    transform : {"auto", "identity", "asinh", "gaussianize"}, optional
        The coordinates the mixture is fitted in (MI and conditional MI do not change under
        a strictly increasing map of each variable). ``"auto"`` (gmmi preset) compares the
        identity and ``"gaussianize"`` by the held-out likelihood of the fitted mixture as a
        density of the original data (log-Jacobian included); the map replaces the
        identity only when it scores higher and is better on the bulk of the rows (its
        20%-trimmed mean gain per row exceeds two standard errors). The identity wins on
        data a mixture fits (the paper's D1-D5) and where the bulk of the rows prefers it
        (multivariate t: a scale mixture of Gaussians); the Gaussianising map on skewed,
        bounded or otherwise non-mixture marginals; ``"asinh"`` is used only when forced.
        ``"identity"`` (published preset) fits the data as they are. See
        :class:`~gmmi.representation.Representation`; the choice is ``result.transform``
        and ``result.model`` is in its coordinates. Entropy and KL divergence always use
        the identity. Except with ``"identity"``, where two variables have columns on a
        lattice (rounded values, counts; or, with a discrete variable, the continuous one
        has), those columns are first spread uniformly over their cells, which leaves the
        MI unchanged; ``result.details["dequantized"]`` records their steps. The spread's
        variance is then taken out of the fitted mixtures' components before the integral
        (``result.model`` stays the fitted one; see the manual's method page, "Tied
        values").
    preset : {"gmmi", "published"}, default "gmmi"
        Where the defaults of the options above come from (an option given explicitly
        always wins). ``"gmmi"``: k-means starts, an EM tolerance that shrinks with n, the
        number of components re-chosen in every bootstrap replicate (among the selected K
        and the searched K within ``max(1, ceil(K / 3))`` of it whose held-out score is
        close, at most two a side, by out-of-bag likelihood, the fewest components within
        the EM tolerance of the best), a bias-corrected estimate with a
        normal interval about it (see :meth:`MIResult.ci`), and for categorical MI a
        bootstrap over all rows. ``"published"``: the published method's
        defaults and its bootstrap at a fixed K, whose estimate is the replicates' mean and
        whose interval their percentiles (to reproduce Piras et al. 2023; used by
        :mod:`gmmi.compat`).
    check : bool, optional
        Check the fitted mixture against the data with a statistic the fit did not use
        (:meth:`MIResult.check_fit`; the outcome is ``result.fit_check``, and a failed check
        raises a :class:`~gmmi.MisfitWarning` and is listed in ``result.warnings``). The
        interval covers what resampling the rows shows, not the error of a mixture that
        misses part of the dependence, and such a miss is otherwise silent. ``None`` (the
        default): with the gmmi preset, check the MI of two continuous variables with three
        or more columns between them, on at most 1,000 rows per component of the fitted
        mixture (4,000 in all), and once more on up to 4,000 rows with other draws when
        that first look has a statistic beyond 2 (passed or failed) on fewer rows than the
        data have (the second look decides; ``result.details["fit_check_first_look"]``
        keeps the first); that is where the misses the check finds were measured (a
        spiral across columns, Student t data through asinh: estimates half the truth with
        no other warning), and it adds 0.015-0.075 s to a single Gaussian's estimate of 2+1
        to 5+5 columns (0.017-0.46 s without it). Two scalars are screened instead: the
        data's KSG alone (the check's, on up to 4,000 rows), and the check on as many rows
        only when that KSG lies more than ``3 / sqrt(rows)`` nat above the interval's upper
        end (``result.details["fit_check_screen"]``; not made where more than 1% of the rows
        tie in a column, whose ties the KSG would read as dependence): a mixture that misses
        most of the dependence is then not silent (``y = sin(15 x)`` plus noise at
        n = 5,000: 0.000 +- 0.008 nat for a truth of 2.29), at the cost of one KSG (a
        bivariate Gaussian at n = 10,000: 0.034 s instead of 0.027 s); the full check
        there saw 1 of the calibration suite's 14 misses on two scalars, at the cost of a
        second estimate.
        Conditional MI, categorical MI and the published preset are not checked by default.
        ``True``: check any GMM estimate, on up to 4,000 rows; ``False``: never. The
        estimate is the same either way. When the check of a joint (conditional) MI with
        bootstrap replicates fails with the data showing more dependence than the
        mixture's draws, mixtures of more components (``K`` up by a quarter, at least
        one, per step) are fitted to all the rows and checked on the same rows until one's
        draws show at least the data's dependence (or ``max_components``), and
        :meth:`MIResult.ci` also holds the same interval about that mixture's value
        (``result.details["misfit_extension"]``; named in the ``MisfitWarning``): the data
        reject the chosen mixture on the statistic that bears on the MI, and a mixture
        whose draws show their dependence is as plausible. It costs a fit, an integral and
        a check per step. Not with the published preset, whose interval stays the
        replicates' percentiles.
    random_state : int, numpy.random.Generator or None
        Seed; the seed used is stored in the result.
    n_jobs : int, optional
        Threads (default: every core). Results do not depend on it.
    progress : bool, default False
        Show a tqdm progress bar.

    Returns
    -------
    MIResult
        ``mean``, ``std``, ``samples``, ``ci()``, the selected ``n_components`` and the
        fitted ``model``.

    Raises
    ------
    ValueError, TypeError
        Bad input or option values (wrong shapes or types, NaN or infinite values, too few
        rows, a constant variable, mismatched lengths); the message starts with the
        argument's name. An unknown keyword is Python's own ``TypeError`` ("got an
        unexpected keyword argument").
    gmmi.NumericalError
        The data defeat the fit itself: every cross-validation fit of the search failed,
        or a covariance stopped being positive definite (duplicated or discrete values
        with ``reg_covar`` set to 0 or near it); the message says what to change.
    KeyboardInterrupt
        Ctrl-C stops the computation (the extension checks between EM iterations).

    Examples
    --------
    >>> import numpy as np, gmmi
    >>> rng = np.random.default_rng(0)
    >>> xy = rng.multivariate_normal([0, 0], [[1, 0.6], [0.6, 1]], size=200)
    >>> r = gmmi.mutual_information(xy[:, 0], xy[:, 1], random_state=0)
    >>> r.n_components, r.unit
    (1, 'nat')
    >>> bool(abs(r.mean - 0.223) < 2 * r.std)
    True
    """
    check_bool(discrete_x, "discrete_x")
    check_bool(discrete_y, "discrete_y")
    check_bool(miller_madow, "miller_madow")
    n_rows = rows_given(x)
    if check is not None:
        check = check_bool(check, "check")
        if check:
            refuse_too_few_rows(n_rows, "check")
    given_options = dict(
        n_components=n_components, n_bootstrap=n_bootstrap, mc_samples=mc_samples,
        integral=integral, quadrature_order=quadrature_order, selection=selection,
        n_inits=n_inits, n_folds=n_folds, patience=patience,
        threshold_components=threshold_components, max_components=max_components,
        threshold_fit=threshold_fit, reg_covar=reg_covar, max_iter=max_iter, init=init,
        scale=scale, standardize=standardize, transform=transform,
    )
    opts = estimator_options(**given_options, preset=preset)
    if discrete_x and discrete_y:
        if z is not None:
            raise ValueError("z: conditioning is not available for two discrete variables")
        # Of the estimator's options, a table of counts uses only the bootstrap's.
        given = [name for name in OPTION_NAMES
                 if name != "n_bootstrap" and given_options[name] is not None]
        if given:
            # A warning, not an error: one set of options serves every kind of pair (as in
            # mi_matrix), but given for this call alone they would be ignored without a word.
            warnings.warn(f"{', '.join(given)}: two discrete variables have no mixture to "
                          "fit (their MI is the plug-in estimate of the table of counts); "
                          "ignored", GmmiWarning, stacklevel=caller_level(2))
        if check:
            raise ValueError("check: two discrete variables have no mixture to check (their "
                             "MI is the plug-in estimate of the table of counts)")
        return _discrete(x, y, n_bootstrap=opts["n_bootstrap"], miller_madow=miller_madow,
                         bias_correction=bool(opts["bias_correction"]), base=base,
                         random_state=random_state, n_jobs=n_jobs, progress=progress)
    if miller_madow:
        warnings.warn("miller_madow: the Miller-Madow correction is of a table of counts, "
                      "for two discrete variables (discrete_x=True and discrete_y=True); "
                      "ignored", GmmiWarning, stacklevel=caller_level(2))
    if discrete_x or discrete_y:
        if z is not None:
            raise ValueError("z: conditioning is not available with a discrete variable")
        cont, lab, lab_name, cont_name = (y, x, "x", "y") if discrete_x else (x, y, "y", "x")
        result = _categorical(cont, lab, opts=opts, base=base, random_state=random_state,
                              n_jobs=n_jobs, progress=progress, label_name=lab_name,
                              cont_name=cont_name)
    else:
        blocks = [("x", x), ("y", y)] + ([("z", z)] if z is not None else [])
        result = _joint("mi" if z is None else "cmi", blocks, opts=opts, base=base,
                        random_state=random_state, n_jobs=n_jobs, progress=progress,
                        quantity="mutual_information" if z is None
                        else "conditional_mutual_information", discrete_options=z is None)
    rows = _check_rows(result, check, preset, n_rows)
    if not rows and _screened(result, check, preset, n_rows):
        # Two scalars: the data's KSG first, the check only where it lies above the interval.
        seen = screen(result, x, y, z, max_rows=CHECK_MAX_ROWS, n_jobs=n_jobs,
                      progress=progress)
        result.details["fit_check_screen"] = seen
        rows = 0 if seen["passed"] else CHECK_MAX_ROWS  # as many rows as the screen's
    if rows:
        check_rows, check_seed = rows, result.random_state
        found = check_fit(result, x, y, z, max_rows=rows, n_jobs=n_jobs, progress=progress,
                          warn=False)
        more = min(n_rows, CHECK_MAX_ROWS)
        if abs(found.statistic) > AUTO_CHECK_SECOND_LOOK and more > found.n_rows:
            # A statistic that draws like the data exceed one time in sixteen, on fewer rows
            # than the data have: looked at again on as many rows as an explicit check
            # takes (which `check=True` took at once), with other draws; that look decides,
            # whether the first passed or failed (a first look that fails is confirmed or
            # not on more rows, and a mixture that misses is followed on them).
            result.details["fit_check_first_look"] = found.to_dict()
            check_rows, check_seed = more, (result.random_state + 1) % 2**64
            found = check_fit(result, x, y, z, max_rows=more, random_state=check_seed,
                              n_jobs=n_jobs, progress=progress, warn=False)
        result.details["fit_check"] = found.to_dict()
        if not found.passed:
            what = checked_quantity(result)
            message = found.message(what)
            extension = None
            if (result.estimator == "gmm" and result.samples.size >= 2
                    and preset != "published"):
                # The data reject the mixture on the statistic that bears on the MI: the
                # interval also holds the value of a larger mixture whose draws show the
                # data's dependence. (The published preset keeps its percentile interval.)
                extension = misfit_extension(result, x, y, z, found, max_rows=check_rows,
                                             seed=check_seed, n_jobs=n_jobs,
                                             progress=progress)
            if extension is not None:
                result.details["misfit_extension"] = extension
                message += extension_message(extension, result.unit, what)
            warnings.warn(MisfitWarning(message), stacklevel=caller_level(2))
            result.warnings.append(message)
    return result


def _check_rows(result: MIResult, check: Optional[bool], preset: str, n_rows: int) -> int:
    """The rows of the check ``mutual_information(..., check=check)`` makes of ``result``,
    estimated on ``n_rows`` rows (0: none; see its ``check`` option)."""
    if check is False or (result.model is None and not result.details.get("class_models")):
        return 0  # a single class, or two discrete variables: no mixture
    if check:
        return CHECK_MAX_ROWS
    columns = result.details.get("block_columns", [])
    if (preset != "gmmi" or result.estimator != "gmm" or len(columns) != 2
            or _singular_across(result)
            or sum(columns) < AUTO_CHECK_MIN_COLUMNS or n_rows < min_check_rows(CHECK_K_MIN)):
        return 0
    return min(CHECK_MAX_ROWS, AUTO_CHECK_ROWS_PER_COMPONENT * int(result.n_components or 1))


def _screened(result: MIResult, check: Optional[bool], preset: str, n_rows: int) -> bool:
    """Whether ``mutual_information(..., check=check)`` screens ``result`` (see
    :data:`gmmi.checks.SCREEN_LEVEL`): gmmi's preset, ``check=None``, the mixture estimate
    of two scalars, on enough rows for the check's fewest neighbours."""
    columns = result.details.get("block_columns", [])
    return (check is None and preset == "gmmi" and result.estimator == "gmm"
            and result.model is not None and columns == [1, 1]
            and n_rows >= min_check_rows(CHECK_K_MIN) and not _singular_across(result))


def _singular_across(result: MIResult) -> bool:
    """Whether ``result`` was warned of a component singular across its variables (they
    are deterministic functions of each other, the MI unbounded): the automatic check has
    nothing to add (its KSG then sees ties of distance 0 that no mixture's draws have, and
    its extension fitted mixtures up to K = 48 to say the estimate was too low)."""
    return any("singular across the variables" in m for m in result.warnings)


def conditional_mutual_information(x: Any, y: Any, z: Any, **kwargs: Any) -> MIResult:
    """Conditional mutual information ``I(X;Y|Z)``: :func:`mutual_information` with ``z``.

    Parameters
    ----------
    x, y : array-like of shape (n,) or (n, d)
        Continuous variables (any number of columns each).
    z : array-like of shape (n,) or (n, dz)
        The continuous variable to condition on; required.
    **kwargs
        The options of :func:`mutual_information` (``n_bootstrap``, ``random_state``,
        ``preset``, ``transform``, ``check``, ``base``, ...; not the discrete ones: a
        discrete variable cannot be conditioned on here).

    Returns
    -------
    MIResult
        The estimate, ``quantity="conditional_mutual_information"``.

    Raises
    ------
    TypeError
        If ``z`` is None; as :func:`mutual_information` otherwise.

    Examples
    --------
    >>> import numpy as np, gmmi
    >>> rng = np.random.default_rng(1)
    >>> x = rng.normal(size=1000); z = x + rng.normal(size=1000); y = z + rng.normal(size=1000)
    >>> r = gmmi.conditional_mutual_information(x, y, z, n_bootstrap=10, random_state=0)
    >>> bool(abs(r.mean) < 0.03)
    True
    """
    if z is None:
        raise TypeError("z: conditional_mutual_information needs z")
    with through(1):  # its warnings point at the caller's line, not this one
        return mutual_information(x, y, z, **kwargs)


def pointwise_mutual_information(x: Any, y: Any, z: Any = None, *, n_draws: int = 20_000,
                                 **kwargs: Any) -> PointwiseMI:
    """Pointwise mutual information of every sample, with bootstrap uncertainty.

    Estimates the (conditional) mutual information as :func:`mutual_information` does, with
    the same options and the same numbers, keeping every bootstrap replicate's mixture; then
    evaluates ``ln p(x, y) - ln p(x) - ln p(y)`` (with ``z``:
    ``ln p(x, y, z) + ln p(z) - ln p(x, z) - ln p(y, z)``) at every sample under the
    full-data mixture and under each replicate's (see :meth:`MIResult.pointwise`). High
    values mark the samples where ``x`` and ``y`` tell most about each other; the mean of the
    pointwise MI under the model (``profile_mean``) is the MI of the full-data model.

    Parameters
    ----------
    x, y : array-like of shape (n,) or (n, d)
        Continuous variables (any number of columns each).
    z : array-like of shape (n,) or (n, dz), optional
        Condition on ``z`` (pointwise conditional MI).
    n_draws : int, default 20000
        Points drawn from each mixture for the profile.
    **kwargs
        The options of :func:`mutual_information` (``n_bootstrap``, ``random_state``,
        ``preset``, ``transform``, ``base``, ...; not the discrete ones, ``check`` or
        ``miller_madow``).

    Returns
    -------
    PointwiseMI
        ``values`` (the full-data model's PMI of every sample), ``samples`` (each
        replicate's), ``std``, ``ci()``, the ``profile`` and the estimate as ``result``.
        Where the estimate spread lattice columns over their cells
        (``result.details["dequantized"]``), the samples are evaluated as it spread them,
        under the mixtures fitted to them: their mean is then below ``result.full_value``,
        whose integral takes the spread's variance out of the mixture (by about 0.01-0.1
        nat for Gaussian pairs rounded to half a standard deviation, the more the stronger
        their dependence).
        For other points call ``result.pointwise(x_new, y_new)``, which evaluates at the
        points as given.

    Examples
    --------
    >>> import numpy as np, gmmi
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=1000); y = x + rng.normal(size=1000)
    >>> p = gmmi.pointwise_mutual_information(x, y, n_bootstrap=10, random_state=0)
    >>> p.samples.shape
    (10, 1000)
    >>> bool(abs(p.profile_mean - p.result.full_value) < 5 * p.profile_error + 0.01)
    True
    """
    discrete = sorted(k for k in ("discrete_x", "discrete_y") if k in kwargs)
    if discrete:
        raise TypeError(f"{discrete[0]}: pointwise MI takes continuous variables only (a "
                        "density has no pointwise value at a label); for the MI of a label "
                        "use mutual_information(..., discrete_y=True)")
    opts, run = split_options(kwargs)
    blocks = [("x", x), ("y", y)] + ([("z", z)] if z is not None else [])
    result = _joint("mi" if z is None else "cmi", blocks, opts=opts, keep_models=True,
                    quantity="mutual_information" if z is None
                    else "conditional_mutual_information", **run)
    if "dequantized" in result.details:
        # The rows as the estimate fitted them: lattice columns spread over their cells.
        x, y, *rest = redo_dequantization(
            result.details, [(name, as_block(v, name, allow_constant=True, check_spread=False))
                             for name, v in blocks], result.random_state)
        z = rest[0] if rest else None
    return result.pointwise(x, y, z, n_draws=n_draws)


def kl_divergence_marginals(x: Any, y: Any, *, order: str = "forward", **kwargs: Any) -> MIResult:
    """KL divergence between the marginal densities of two 1-D variables.

    The joint (x, y) mixture is fitted as for :func:`mutual_information`; then
    ``KL(p_x || p_y)`` (``order="forward"``) or ``KL(p_y || p_x)`` (``"reverse"``) of its
    marginals is integrated in the original units.

    Parameters
    ----------
    x, y : array-like of shape (n,)
        Two 1-D continuous variables, sampled together (one row per sample).
    order : {"forward", "reverse"}, default "forward"
        ``KL(p_x || p_y)`` or ``KL(p_y || p_x)``.
    **kwargs
        The estimator and run options of :func:`mutual_information` (``n_bootstrap``,
        ``random_state``, ``preset``, ``base``, ...), except ``z``, the discrete flags and
        ``check``; ``transform`` may only be ``"identity"`` or ``"auto"`` (which keeps the
        data as they are): a map of the variables changes a KL divergence.

    Returns
    -------
    MIResult
        The estimate, ``quantity="kl_divergence"``.

    Examples
    --------
    >>> import numpy as np, gmmi
    >>> rng = np.random.default_rng(2)
    >>> x = rng.normal(0, 1, 2000); y = rng.normal(1, 2, 2000)
    >>> r = gmmi.kl_divergence_marginals(x, y, n_bootstrap=10, random_state=0)
    >>> bool(abs(r.mean - (np.log(2) + 2 / 8 - 0.5)) < 0.05)
    True
    """
    check_choice(order, "order", ("forward", "reverse"))
    opts, run = split_options(kwargs)
    why, advice = _CONSTANT_WHY["kl_divergence"], DISCRETE_ADVICE["kl"]
    xa = as_block(x, "x", constant_why=why, discrete_flags=None, discrete_advice=advice)
    ya = as_block(y, "y", n_rows=xa.shape[0], constant_why=why, discrete_flags=None,
                  discrete_advice=advice)
    for name, arr in (("x", xa), ("y", ya)):
        if arr.shape[1] != 1:
            raise ValueError(f"{name}: KL divergence of marginals needs 1-D x and y, got "
                             f"{arr.shape[1]} columns")
    kind = "kl" if order == "forward" else "kl_reverse"
    return _joint(kind, [("x", xa), ("y", ya)], opts=opts, quantity="kl_divergence", **run)


def entropy(x: Any, **kwargs: Any) -> MIResult:
    """Differential entropy of ``x`` (any number of columns) from a fitted mixture.

    The entropy is in the original units of ``x`` (it changes by ``ln|a|`` under
    ``x -> a x``).

    Parameters
    ----------
    x : array-like of shape (n,) or (n, d)
        A continuous variable (any number of columns).
    **kwargs
        The estimator and run options of :func:`mutual_information` (``n_bootstrap``,
        ``random_state``, ``preset``, ``base``, ...), except ``z``, the discrete flags and
        ``check``; ``transform`` may only be ``"identity"`` or ``"auto"`` (which keeps the
        data as they are): a map of the variable changes its entropy.

    Returns
    -------
    MIResult
        The estimate, ``quantity="entropy"``.

    Examples
    --------
    >>> import numpy as np, gmmi
    >>> x = np.random.default_rng(3).normal(0, 2, 3000)
    >>> r = gmmi.entropy(x, n_bootstrap=10, random_state=0)
    >>> bool(abs(r.mean - 0.5 * np.log(2 * np.pi * np.e * 4)) < 0.05)
    True
    """
    opts, run = split_options(kwargs)
    return _joint("entropy", [("x", x)], opts=opts, quantity="entropy", **run)
