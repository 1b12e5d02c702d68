"""Many pairs at once: MI matrices, feature rankings and a scikit-learn score function."""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, NamedTuple, Optional, Union

import numpy as np

from . import _codec, _core, _html
from ._compare import same_fields
from ._inputs import (
    Found,
    _far_values,
    _lattice,
    _spread,
    encode_labels,
    lattice_cells,
    point_mass,
    point_masses_message,
    repeated_rows_warning,
    shared_tails,
    shared_tails_message,
    sparse_levels_message,
    warn_if_discrete,
    warn_if_heavy_tailed,
    warn_if_reg_covar_swamps_bulk,
    warn_if_scale_below_reg_covar,
)
from ._options import split_options
from ._run import end_group, new_group, run_with_control
from ._validation import (
    as_block,
    check_bool,
    check_choice,
    check_int,
    check_level,
    column_names,
    percent,
    resolve_base,
    resolve_n_jobs,
    resolve_seed,
    to_numpy,
    unmask,
)
from ._warnings import (
    DiscreteDataWarning,
    FailedPairWarning,
    HeavyTailWarning,
    MisfitWarning,
    ZeroInformationWarning,
    caller_level,
    through,
    warning_class,
)
from .checks import (
    CHECK_DRAWS,
    CHECK_MAX_ROWS,
    default_check_k,
    misfit_message,
    refuse_too_few_rows,
)
from .estimators import rename_classes, small_class_message
from .plots import _axes

__all__ = ["MIMatrix", "MIRanking", "mi_matrix", "mi_matrix_of_columns", "mi_ranking",
           "mi_ranking_of_columns", "mi_score"]

Flags = Union[bool, Sequence[bool]]


@dataclass(frozen=True, repr=False, eq=False)
class MIMatrix:
    """Mutual information between every pair of columns, with bootstrap uncertainties.

    Attributes
    ----------
    mean, std : numpy.ndarray of shape (p, q)
        Estimates and bootstrap standard deviations; NaN for a pair that failed (see
        ``errors``) and, for a symmetric matrix, on the diagonal.
    n_components : numpy.ndarray of shape (p, q)
        Components selected for each continuous pair (NaN where not applicable).
    samples : numpy.ndarray of shape (p, q, n_bootstrap)
        Bootstrap replicates of every cell.
    full_value : numpy.ndarray of shape (p, q)
        The value of each pair's fit on all the data (``MIResult.full_value``); with
        ``samples`` it gives the interval of :meth:`ci`. None for a matrix read from a file
        written before gmmi kept it.
    bias_corrected : numpy.ndarray of bool, shape (p, q)
        Whether each cell's ``mean``, ``std`` and interval are bias-corrected
        (``MIResult.bias_corrected``: with gmmi's defaults every pair with at least two
        replicates, two discrete variables included; never with the published preset).
        None when ``full_value`` is.
    row_labels, col_labels : list of str
        Column names of ``A`` and ``B`` (DataFrame names kept).
    errors : dict
        ``{(row_label, col_label): message}`` for every pair that failed.
    symmetric : bool
        True when computed from ``A`` alone (every pair once, mirrored).
    unit : str
        Unit of the values.
    random_state : int
        The seed used by every pair.
    options : dict
        The estimator options.
    cell_warnings : dict
        ``{(row_label, col_label): [message, ...]}``: the warnings of each pair (a singular
        fit, a component search that hit ``max_components``...; raised naming the pair) and
        of its columns (heavy tails, looks discrete; raised once per column).
    check_statistic : numpy.ndarray of shape (p, q) or None
        With ``mi_matrix(..., check=True)``: the statistic of each pair's check of its fit
        (:meth:`gmmi.MIResult.check_fit` with its defaults; NaN where no mixture was fitted
        or the check could not run). None when the matrix was computed without checks.
    check_threshold : float or None
        The threshold of those checks (2.95 for 16 draws): a cell whose ``|statistic|``
        exceeds it failed, raised a :class:`~gmmi.MisfitWarning` naming the pair and has
        the message in ``cell_warnings``.

    Notes
    -----
    Two matrices are equal (``==``) when every field holds the same values, NaN in the
    same cells.
    """

    mean: np.ndarray
    std: np.ndarray
    n_components: np.ndarray
    samples: np.ndarray
    row_labels: list[str]
    col_labels: list[str]
    errors: dict[tuple[str, str], str]
    symmetric: bool
    unit: str
    random_state: int
    options: dict[str, Any] = field(default_factory=dict)
    cell_warnings: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    full_value: Optional[np.ndarray] = None
    bias_corrected: Optional[np.ndarray] = None
    check_statistic: Optional[np.ndarray] = None
    check_threshold: Optional[float] = None

    @property
    def misfit(self) -> np.ndarray:
        """Cells whose check failed (``|check_statistic| > check_threshold``; False where
        there was no check).

        Raises
        ------
        ValueError
            If the matrix was computed without ``check=True``.
        """
        return _misfit(self.check_statistic, self.check_threshold, "matrix", "mi_matrix")

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return same_fields(self, other)

    __hash__ = None  # type: ignore[assignment]

    @property
    def shape(self) -> tuple[int, int]:
        """(p, q)."""
        return (int(self.mean.shape[0]), int(self.mean.shape[1]))

    def ci(self, level: float = 0.95,
           method: Optional[str] = None) -> tuple[np.ndarray, np.ndarray]:
        """Bootstrap interval of every cell at ``level``: the interval each pair's single
        estimate (:meth:`gmmi.MIResult.ci`) reports, from the same replicates and full-data
        value.

        With gmmi's defaults that is not ``mean -/+ t * std``: it reaches from the lower to
        the higher of the bias-corrected ``mean`` and the uncorrected ``full_value``, plus
        ``t * std`` either side (see :meth:`gmmi.MIResult.ci`), and is clipped at 0.

        Parameters
        ----------
        level : float, default 0.95
            Coverage in (0, 1).
        method : {"normal", "basic", "percentile"}, optional
            As in :meth:`gmmi.MIResult.ci` (default: ``"normal"`` for a bias-corrected
            cell, ``"percentile"`` otherwise).

        Returns
        -------
        low, high : numpy.ndarray of shape (p, q)
            The ends; NaN where ``mean`` is NaN (a failed pair, the diagonal of a symmetric
            matrix).

        Examples
        --------
        >>> import numpy as np, gmmi
        >>> rng = np.random.default_rng(0)
        >>> X = rng.normal(size=(300, 3)); X[:, 1] += X[:, 0]
        >>> m = gmmi.mi_matrix(X, n_bootstrap=10, mc_samples=2000, random_state=0)
        >>> low, high = m.ci(0.9)
        >>> bool(low[0, 1] <= m.mean[0, 1] <= high[0, 1])
        True
        """
        level = check_level(level)
        if method is not None:
            check_choice(method, "method", ("normal", "basic", "percentile"))
        if self.samples.shape[2] < 2:
            raise ValueError(f"ci: this matrix has {self.samples.shape[2]} bootstrap replicate "
                             "value(s) per cell; a confidence interval needs n_bootstrap >= 2 "
                             "(compute it again with n_bootstrap=50, gmmi's default, or more)")
        if self.full_value is None or self.bias_corrected is None:
            raise ValueError("ci: this matrix was read from a file written before gmmi kept "
                             "each cell's full-data value; compute it again for intervals")
        low = np.full(self.shape, np.nan)
        high = np.full(self.shape, np.nan)
        for i, j in zip(*np.nonzero(np.isfinite(self.mean))):
            low[i, j], high[i, j] = _core.interval(
                [float(v) for v in self.samples[i, j]], float(self.full_value[i, j]),
                float(level), bool(self.bias_corrected[i, j]), True, method)
        return low, high

    def to_pandas(self, kind: str = "long") -> Any:
        """A tidy long DataFrame (one row per pair) or a wide one (the matrix of means).

        Parameters
        ----------
        kind : {"long", "wide"}
            ``long``: columns ``row, col, mean, std, n_components, error`` (and
            ``check_statistic`` for a matrix computed with checks); ``wide``: the matrix of
            means with the labels as index and columns.
        """
        check_choice(kind, "kind", ("long", "wide"))
        try:
            import pandas as pd
        except ImportError:
            raise ImportError("to_pandas needs pandas: pip install pandas") from None
        if kind == "wide":
            return pd.DataFrame(self.mean, index=self.row_labels, columns=self.col_labels)
        rows = []
        for i, r in enumerate(self.row_labels):
            for j, c in enumerate(self.col_labels):
                if self.symmetric and i == j:
                    continue
                rows.append({
                    "row": r,
                    "col": c,
                    "mean": self.mean[i, j],
                    "std": self.std[i, j],
                    "n_components": self.n_components[i, j],
                    "error": self.errors.get((r, c)),
                    **({} if self.check_statistic is None
                       else {"check_statistic": self.check_statistic[i, j]}),
                })
        return pd.DataFrame(rows)

    def plot(
        self,
        ax: Any = None,
        *,
        annotate: bool = True,
        show_std: bool = True,
        cmap: str = "viridis",
    ) -> Any:
        """A labelled heatmap of the means (uncertainties in the annotations).

        Needs matplotlib (``pip install 'gmmi[plot]'``). Returns the Axes.
        """
        check_bool(annotate, "annotate")
        check_bool(show_std, "show_std")
        p, q = self.shape
        ax = _axes(ax, figsize=(1.0 + 0.7 * q, 0.8 + 0.5 * p))
        data = np.ma.masked_invalid(self.mean)
        im = ax.imshow(data, cmap=cmap, aspect="auto")
        ax.set_xticks(range(len(self.col_labels)))
        ax.set_xticklabels(self.col_labels, rotation=45, ha="right")
        ax.set_yticks(range(len(self.row_labels)))
        ax.set_yticklabels(self.row_labels)
        ax.figure.colorbar(im, ax=ax, label=f"MI ({self.unit})")
        if annotate:
            vmax = float(np.nanmax(self.mean)) if np.isfinite(self.mean).any() else 1.0
            for i in range(self.mean.shape[0]):
                for j in range(self.mean.shape[1]):
                    m = self.mean[i, j]
                    if not math.isfinite(m):
                        continue
                    s = self.std[i, j]
                    text = f"{m:.2f}" + (f"\n±{s:.2f}" if show_std and math.isfinite(s) else "")
                    color = "black" if m > 0.6 * vmax else "white"
                    ax.text(j, i, text, ha="center", va="center", fontsize=7, color=color)
        return ax

    def save(self, path: _codec.PathLike) -> None:
        """Writes this object to ``path`` as JSON; read it back with :func:`gmmi.load`."""
        _codec.write(path, "MIMatrix", dict(self.__dict__))

    def __repr__(self) -> str:
        p, q = self.shape
        kind = "symmetric " if self.symmetric else ""
        # A symmetric matrix records a failed pair in both of its cells: count pairs.
        n_failed = len({frozenset(k) for k in self.errors} if self.symmetric else self.errors)
        failed = f", {n_failed} failed" if n_failed else ""
        return f"MIMatrix({kind}{p} x {q}, unit={self.unit!r}{failed})"

    #: Largest number of rows or columns the rich display shows in full.
    _HTML_MAX = 40

    def _repr_html_(self) -> str:
        """The rich display of notebooks: the matrix as mean ± std (NaN for a failed pair),
        up to 40 rows and columns."""
        p, q = self.shape
        rows = [[self.row_labels[i], *(
            f"{self.mean[i, j]:.3f} ± {self.std[i, j]:.3f}"
            if math.isfinite(self.mean[i, j]) and math.isfinite(self.std[i, j])
            else f"{self.mean[i, j]:.3f}" for j in range(min(q, self._HTML_MAX)))]
            for i in range(min(p, self._HTML_MAX))]
        title = repr(self) + ("" if max(p, q) <= self._HTML_MAX else
                              f" (first {self._HTML_MAX} rows and columns)")
        return _html.table(title, rows, header=["", *self.col_labels[:self._HTML_MAX]])


class _Failure(NamedTuple):
    """A failed pair of :func:`_matrix_and_failures`: its reason (the variable it is about
    named by its label), which variable of the cell the reason is about (``"row"`` or
    ``"col"``; None for the pair's rows as a whole) and whether that variable is a constant
    continuous column (its minimum equals its maximum: the core's test)."""

    reason: str
    about: Optional[str]
    constant: bool


def _flags(value: Flags, n: int, name: str) -> list[bool]:
    if isinstance(value, (bool, np.bool_)):
        return [bool(value)] * n
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise TypeError(f"{name}: expected True, False or a list of them (one per column), got "
                        f"{value!r}")
    flags = list(value)
    if len(flags) != n:
        raise ValueError(f"{name}: expected {n} flags (one per column), got {len(flags)}")
    return [check_bool(f, name) for f in flags]


def _split_columns(M: Any, name: str) -> tuple[list[str], list[Any]]:
    """Column labels and per-column raw arrays of a 1-D/2-D array or DataFrame."""
    if M is None:
        raise TypeError(f"{name}: expected an array or DataFrame, got None")
    labels = column_names(M, name)
    if not labels:
        raise ValueError(f"{name}: has no columns")
    if hasattr(M, "iloc") and getattr(M, "ndim", 2) == 1:
        return labels, [M.to_numpy()]  # a pandas Series: one column
    if hasattr(M, "iloc"):
        # pandas, by position (two columns may share a name: refused by the caller).
        return labels, [M.iloc[:, j].to_numpy() for j in range(len(labels))]
    if hasattr(M, "get_columns"):
        # polars: its columns in order, each with its own dtype.
        return labels, [c.to_numpy() for c in M.get_columns()]
    raw = to_numpy(M, name)
    arr = np.asarray(unmask(raw, name))
    if arr.ndim == 1:
        return labels, [arr]
    if arr.ndim != 2:
        raise ValueError(f"{name}: expected a 1-D or 2-D array, got shape {arr.shape}")
    return labels, [arr[:, j] for j in range(arr.shape[1])]


def _unique_labels(labels: list[str], name: str) -> None:
    """Refuses repeated column labels (as strings: 1 and "1" are one label) of a matrix or
    ranking, whose results (``errors``, ``cell_warnings``, tables) are keyed by label
    (``mi_score``'s array is by position and takes any labels)."""
    seen: set[str] = set()
    for lab in labels:
        if lab in seen:
            raise ValueError(f"{name}: the column label {lab!r} appears "
                             f"{labels.count(lab)} times; the results are keyed by label: "
                             "give the columns distinct names")
        seen.add(lab)


class _Data:
    """Continuous columns as one float matrix and discrete ones as integer codes."""

    def __init__(self, rows_of: str) -> None:
        self.cont: list[np.ndarray] = []
        self.codes: list[np.ndarray] = []
        self.levels: list[int] = []
        self.classes: list[list[Any]] = []  # the labels of each discrete column's codes
        self.n: Optional[int] = None
        self.rows_of = rows_of  # the argument whose first column sets the row count

    def add(self, raw: Any, label: str, discrete: bool, flag: str) -> tuple[bool, int]:
        """Adds a column (``flag``: the caller's option that declares it discrete)."""
        if discrete:
            codes, classes = encode_labels(raw, label, n_rows=self.n, rows_of=self.rows_of)
            self.n = codes.shape[0]
            self.codes.append(codes)
            self.levels.append(len(classes))
            self.classes.append(classes)
            return True, len(self.codes) - 1
        col = as_block(raw, label, n_rows=self.n, rows_of=self.rows_of, allow_constant=True,
                       discrete_flags=f"{flag}=True", is_column=True)
        if col.shape[1] != 1:
            raise ValueError(f"{label}: expected one column")
        self.n = col.shape[0]
        self.cont.append(col[:, 0])
        return False, len(self.cont) - 1

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        n = self.n or 0
        cont = np.column_stack(self.cont) if self.cont else np.zeros((n, 0))
        codes = np.column_stack(self.codes) if self.codes else np.zeros((n, 0), dtype=np.int64)
        return np.ascontiguousarray(cont, dtype=np.float64), np.ascontiguousarray(codes,
                                                                                  dtype=np.int64)


def _recorded(col: np.ndarray, *checks: Callable[..., None]) -> list[Found]:
    """The warnings the single-pair estimator's data ``checks`` raise for the continuous
    column ``col`` (each called on it as a one-column block, with a ``sink``), recorded
    instead of raised; none for an empty or constant column, which fails as a pair with its
    reason."""
    if col.size == 0 or col.min() == col.max():
        return []
    found: list[Found] = []
    for check in checks:
        check(col[:, None], sink=found)
    return found


#: The core's names of a pair's two variables as words of a message ("singular within x").
_NAMES_XY = re.compile(r"\b[xy]\b")


def _name_column(reason: str, labels: tuple[str, str]) -> tuple[Optional[int], str]:
    """A pair's failure ``reason`` with its leading ``column 0:`` or ``column 1:`` (the core's
    names for the two variables of the pair's own data, in the order of :func:`_pair`), or
    the ``y:`` of its discrete variable (a class too small, too many classes), replaced by
    the variable's label:
    in a symmetric matrix the mirrored cell would otherwise name the other variable's
    position. Returns which of the two variables the reason is about (0 or 1, in that
    order; None for a reason about the pair's rows, ``x: 5 rows ...``, left as it is) and
    the reason.

    Examples
    --------
    >>> _name_column("column 1: is constant", ("a", "c"))
    (1, "'c': is constant")
    >>> _name_column("y: class 2 has 3 rows", ("a", "label"))
    (1, "'label': class 2 has 3 rows")
    """
    for j, label in enumerate(labels):
        prefix = f"column {j}: "
        if reason.startswith(prefix):
            return j, f"{label!r}: {reason[len(prefix):]}"
    if reason.startswith("y: "):
        return 1, f"{labels[1]!r}: {reason[len('y: '):]}"
    return None, reason


def _swapped(a: tuple[bool, int], b: tuple[bool, int]) -> bool:
    """Whether the core is given the pair ``(a, b)`` (``(discrete, index)`` each) as
    ``(b, a)``: a discrete ``a`` with a continuous ``b`` (the continuous column goes first)."""
    return a[0] and not b[0]


def _without_label(reason: str, label: str) -> str:
    """A ranking's failure ``reason`` without its leading ``'<label>': `` (the feature it is
    listed under), as :func:`_name_column` writes it."""
    return reason.removeprefix(f"{label!r}: ")


def _pair(a: tuple[bool, int], b: tuple[bool, int]) -> tuple[str, int, int]:
    (da, ia), (db, ib) = a, b
    if not da and not db:
        return ("cc", ia, ib)
    if _swapped(a, b):
        return ("cd", ib, ia)  # MI is symmetric: the continuous column goes first
    if not da and db:
        return ("cd", ia, ib)
    return ("dd", ia, ib)


def _spread_lattices(cont: np.ndarray, lattices: list[Optional[tuple[float, float]]],
                     pairs: list[tuple[str, int, int]], swapped: list[bool], seed: int
                     ) -> tuple[np.ndarray, list[tuple[str, int, int]], Optional[list[float]]]:
    """The continuous columns and the pairs, with lattice columns spread over their cells
    where a single estimate of the pair spreads them (both columns of a continuous pair;
    the continuous column against labels: see :func:`gmmi._inputs.dequantize_blocks`) and
    with the draws it takes (the column as the pair's x, or as its y where the pair was
    given to the core the other way round): those spread copies go after the columns as
    they are, and the pairs concerned read them. Also the lattice step of every column
    returned (0.0 for the columns as they are), which the core takes out of the mixtures of
    the pairs that read spread copies; ``None`` when no column was spread. ``lattices``:
    each column's (:func:`gmmi._inputs._lattice`)."""
    if all(found is None for found in lattices):
        return cont, pairs, None
    copies: dict[tuple[int, str], int] = {}
    columns: list[np.ndarray] = []
    steps = [0.0] * cont.shape[1]

    def copy(k: int, name: str) -> int:
        if (k, name) not in copies:
            found = lattices[k]
            assert found is not None
            copies[(k, name)] = cont.shape[1] + len(columns)
            columns.append(_spread(cont[:, k], found, seed, name, 0))
            steps.append(float(found[0]))
        return copies[(k, name)]

    out = []
    for (kind, a, b), turned in zip(pairs, swapped):
        if kind == "cc" and lattices[a] is not None and lattices[b] is not None:
            out.append((kind, copy(a, "x"), copy(b, "y")))
        elif kind == "cd" and lattices[a] is not None:
            out.append((kind, copy(a, "y" if turned else "x"), b))
        else:
            out.append((kind, a, b))
    if not columns:
        return cont, pairs, None
    return np.ascontiguousarray(np.column_stack([cont, *columns])), out, steps


def _check_cells(cont: np.ndarray, lattices: list[Optional[tuple[float, float]]],
                 n_fitted: int) -> Optional[list[Optional[list[float]]]]:
    """For the checks of the pairs' fits: the edges of the cells of each of the ``n_fitted``
    continuous columns the pairs read that lies on a lattice as it is (the columns of
    ``cont``, whose lattices are ``lattices``; the spread copies :func:`_spread_lattices`
    appends after them have none), in the column's units (see
    :func:`gmmi._inputs.lattice_cells`: a pair's check spreads such a column and its
    mixture's draws over them); None when no column has any."""
    cells = [None if found is None else lattice_cells(cont[:, k], found)
             for k, found in enumerate(lattices)]
    if all(c is None for c in cells):
        return None
    return [None if c is None else c.tolist() for c in cells] + [None] * (n_fitted - len(cells))


def _compute_block(
    cont: np.ndarray,
    codes: np.ndarray,
    levels: list[int],
    pairs: list[tuple[str, int, int]],
    steps: Optional[list[float]],
    cells: Optional[list[Optional[list[float]]]],
    kwargs: dict[str, Any],
    group: Optional[int] = None,
) -> list[Any]:
    """Computes a block of pairs; runs on an executor's worker (module-level: picklable).
    ``steps``: the lattice step of each continuous column (see :func:`_spread_lattices`),
    or None; ``cells``: the cells the checks spread each continuous column over (see
    :func:`_check_cells`), or None; ``kwargs`` holds the estimator options with ``seed``,
    plus ``miller_madow``, ``check`` (None, or the core's ``(max_rows, n_draws, k)``) and
    ``n_jobs``; ``group``: the matrix's group of blocks (:func:`gmmi._run.new_group`), none
    of which starts once it is cancelled."""
    opts = dict(kwargs)
    miller_madow, n_jobs = opts.pop("miller_madow"), opts.pop("n_jobs")
    check = opts.pop("check")
    # Under a Control: Ctrl-C cancels the block also on a thread of the caller's executor.
    out: list[Any] = list(run_with_control(_core.estimate_pairs, cont, codes, levels, pairs,
                                           miller_madow=miller_madow,
                                           options=_core.Options(**opts), check=check,
                                           lattice_steps=steps, check_cells=cells,
                                           n_jobs=n_jobs, group=group))
    # The results go back through pickle on a process pool: warning kinds as their codes.
    for r in out:
        if isinstance(r, dict):
            r["warnings"] = [(int(kind), message) for kind, message in r["warnings"]]
    return out


def _block_inputs(
    cont: np.ndarray, codes: np.ndarray, levels: list[int], block: list[tuple[str, int, int]],
    steps: Optional[list[float]], cells: Optional[list[Optional[list[float]]]],
) -> tuple[np.ndarray, np.ndarray, list[int], list[tuple[str, int, int]],
           Optional[list[float]], Optional[list[Optional[list[float]]]]]:
    """Only the columns a block needs (and their lattice steps and checks' cells), with its
    pairs re-indexed."""
    need_c: list[int] = []
    need_d: list[int] = []
    for kind, a, b in block:
        cs, ds = {"cc": ([a, b], []), "cd": ([a], [b]), "dd": ([], [a, b])}[kind]
        need_c += [c for c in cs if c not in need_c]
        need_d += [d for d in ds if d not in need_d]
    mc = {c: i for i, c in enumerate(need_c)}
    md = {d: i for i, d in enumerate(need_d)}
    remapped = []
    for kind, a, b in block:
        if kind == "cc":
            remapped.append((kind, mc[a], mc[b]))
        elif kind == "cd":
            remapped.append((kind, mc[a], md[b]))
        else:
            remapped.append((kind, md[a], md[b]))
    return (np.ascontiguousarray(cont[:, need_c]), np.ascontiguousarray(codes[:, need_d]),
            [levels[d] for d in need_d], remapped,
            None if steps is None else [steps[c] for c in need_c],
            None if cells is None else [cells[c] for c in need_c])


def _run_executor(
    executor: Any,
    cont: np.ndarray,
    codes: np.ndarray,
    levels: list[int],
    pairs: list[tuple[str, int, int]],
    steps: Optional[list[float]],
    cells: Optional[list[Optional[list[float]]]],
    kwargs: dict[str, Any],
    block_size: Optional[int],
    progress: bool,
) -> list[Any]:
    if not hasattr(executor, "submit"):
        raise TypeError("executor: expected a concurrent.futures.Executor or a "
                        "dask.distributed.Client (an object with submit())")
    size = block_size or max(1, math.ceil(len(pairs) / 32))
    blocks = [pairs[i:i + size] for i in range(0, len(pairs), size)]
    bar = None
    if progress:
        try:
            from tqdm.auto import tqdm
        except ImportError:
            raise ImportError("progress=True needs tqdm: pip install tqdm") from None
        bar = tqdm(total=len(pairs), desc="MI matrix", unit="pair", leave=False)
    # The blocks are one group: once the matrix is interrupted (Ctrl-C) or abandoned (any
    # other exception below), a block an executor's thread takes up afterwards returns at
    # once instead of computing pairs nobody waits for (f.cancel() reaches only blocks not
    # yet started).
    group = new_group()
    futures: list[Any] = []
    try:
        for b in blocks:
            futures.append(executor.submit(
                _compute_block, *_block_inputs(cont, codes, levels, b, steps, cells), kwargs,
                group))
        out: list[Any] = []
        for f, b in zip(futures, blocks):
            out.extend(f.result())
            if bar is not None:
                bar.update(len(b))
        end_group(group)
        return out
    except BaseException as exc:
        # The group first (on Ctrl-C its running blocks cancelled; later ones refused), then
        # the futures not yet started.
        end_group(group, "interrupted" if isinstance(exc, KeyboardInterrupt) else "abandoned")
        for f in futures:
            f.cancel()
        raise
    finally:
        if bar is not None:
            bar.close()


def mi_matrix(
    A: Any,
    B: Any = None,
    *,
    discrete_a: Flags = False,
    discrete_b: Flags = False,
    errors: str = "nan",
    executor: Any = None,
    block_size: Optional[int] = None,
    miller_madow: bool = False,
    check: bool = False,
    **options: Any,
) -> MIMatrix:
    """Mutual information between every column of ``A`` and every column of ``B``.

    Every pair runs the full estimator (component selection and bootstrap) with the options
    of :func:`gmmi.mutual_information`; pairs run in parallel in Rust on one thread pool
    shared with their bootstrap replicates. Every pair uses the same ``random_state``, so a
    cell's ``mean`` and ``std`` equal those of ``mutual_information(A[:, i], B[:, j],
    random_state=...)``; with ``B=None`` each pair ``i < j`` is estimated as
    ``mutual_information(A[:, i], A[:, j], ...)`` and mirrored into cell ``(j, i)`` (the
    estimator sees its arguments in order, so ``mutual_information(A[:, j], A[:, i])``
    differs by its noise). The single estimate's automatic check of its fit is not made
    (``check=True`` checks every pair).

    Parameters
    ----------
    A : array-like or DataFrame of shape (n, p)
        Variables (e.g. latent dimensions); a Series is one column. A frame's column labels
        (as strings) must be distinct: the results are keyed by label.
    B : array-like or DataFrame of shape (n, q), optional
        Variables (e.g. physical factors). ``None``: every pair of ``A``'s columns (at
        least two), computed once and mirrored; the diagonal is NaN.
    discrete_a, discrete_b : bool or list of bool
        Discreteness of all columns, or per column (``discrete_b`` only with ``B``).
    errors : {"nan", "raise"}
        A failing pair (say a constant column) gets NaN and its reason in
        ``MIMatrix.errors``, and one :class:`~gmmi.FailedPairWarning` per call counts the
        failed pairs and names the first; ``"raise"`` raises the first failure instead.
    executor : concurrent.futures.Executor or dask.distributed.Client, optional
        Send blocks of pairs to this executor (each block computed by the Rust core on its
        worker); results are gathered in order and equal the local run. Ctrl-C cancels
        the blocks running on a thread pool and every block not yet started; on a process
        pool, Ctrl-C in a terminal (which signals the worker processes too) does the same,
        while a SIGINT sent to this process alone leaves the blocks already handed to the
        workers to finish. An exception of a block stops the blocks not yet started.
    block_size : int, optional
        Pairs per block sent to the executor (default: about 32 blocks in all).
    miller_madow : bool
        Miller-Madow correction for discrete-discrete pairs.
    check : bool, default False
        Also check every pair's fit against its data, as
        :meth:`gmmi.MIResult.check_fit` does with its defaults (the same statistic for the
        same seed): ``MIMatrix.check_statistic``, ``check_threshold`` and ``misfit``, and a
        :class:`~gmmi.MisfitWarning` naming each pair that fails. It adds about 60% to
        the matrix's time (16 x 8 columns, n = 2,000).
    **options
        Options of :func:`gmmi.mutual_information` (``preset``, ``n_bootstrap``,
        ``mc_samples``, ``random_state``, ``n_jobs``, ``progress``, ``base``, ...); with the
        default ``preset="gmmi"`` each cell is the bias-corrected estimate and its std
        includes the choice of K.

    Returns
    -------
    MIMatrix

    Examples
    --------
    >>> import numpy as np, gmmi
    >>> rng = np.random.default_rng(0)
    >>> z = rng.normal(size=(500, 3))
    >>> f = np.column_stack([z[:, 0] + 0.5 * rng.normal(size=500), rng.normal(size=500)])
    >>> m = gmmi.mi_matrix(z, f, n_bootstrap=5, mc_samples=2000, random_state=0)
    >>> m.shape
    (3, 2)
    >>> int(np.argmax(m.mean[:, 0]))
    0
    """
    a_labels, a_cols = _split_columns(A, "A")
    _unique_labels(a_labels, "A")
    if B is None and len(a_cols) < 2:
        raise ValueError("A: one column has no pairs within A; give two or more columns, or "
                         "B to pair it with")
    b = None if B is None else _split_columns(B, "B")
    if b is not None:
        _unique_labels(b[0], "B")
    return mi_matrix_of_columns(a_labels, a_cols, discrete_a, b, discrete_b, errors=errors,
                                executor=executor, block_size=block_size,
                                miller_madow=miller_madow, check=check, options=options)


def mi_matrix_of_columns(*args: Any, **kwargs: Any) -> MIMatrix:
    """:func:`mi_matrix` on columns already split and labelled, ``(labels, columns)`` for A
    and optionally B (``None``: every pair of A), with the options as one dictionary: the
    entry point of front ends such as the command line."""
    return _matrix_and_failures(*args, **kwargs)[0]


def _matrix_and_failures(
    a_labels: list[str],
    a_cols: list[Any],
    discrete_a: Flags,
    b: Optional[tuple[list[str], list[Any]]],
    discrete_b: Flags,
    *,
    errors: str,
    executor: Any,
    block_size: Optional[int],
    miller_madow: bool,
    options: dict[str, Any],
    check: bool = False,
    names: tuple[str, str, str, str] = ("A", "B", "discrete_a", "discrete_b"),
    b_is_target: bool = False,
    warn_failures: bool = True,
) -> tuple[MIMatrix, dict[tuple[int, int], _Failure], dict[tuple[int, int], list[str]]]:
    """:func:`mi_matrix` on columns already split (``b=None``: symmetric), with the failures
    and warnings of each pair by position ``(i, j)`` (labels may repeat, say columns 1 and
    "1").

    ``names`` are the caller's argument names for A, B and their discreteness flags, used in
    error messages; with ``b_is_target`` B's single column is called by B's name alone.
    Each pair's warnings are raised, naming the pair; with ``warn_failures``, one
    :class:`~gmmi.FailedPairWarning` for the pairs that failed (left NaN).
    """
    a_name, b_name, flags_a_name, flags_b_name = names
    check_choice(errors, "errors", ("nan", "raise"))
    check_bool(miller_madow, "miller_madow")
    check_bool(check, "check")
    block_size = check_int(block_size, "block_size", minimum=1, allow_none=True)
    opts, run = split_options(options)
    ln_base, unit = resolve_base(run["base"])
    seed = resolve_seed(run["random_state"])
    progress = check_bool(run["progress"], "progress")
    jobs = resolve_n_jobs(run["n_jobs"])

    if b is None and not (isinstance(discrete_b, (bool, np.bool_)) and not discrete_b):
        raise ValueError(f"{flags_b_name}: given without {b_name} (every pair is then within "
                         f"{a_name}: declare its discrete columns with {flags_a_name})")
    flags_a = _flags(discrete_a, len(a_cols), flags_a_name)
    data = _Data(rows_of=a_name)
    a_ref = [data.add(c, f"{a_name} column {lab!r}", d, flags_a_name)
             for lab, c, d in zip(a_labels, a_cols, flags_a)]
    symmetric = b is None
    if b is None:
        b_labels, b_ref = a_labels, a_ref
        index = [(i, j) for i in range(len(a_ref)) for j in range(i + 1, len(a_ref))]
    else:
        b_labels, b_cols = b
        flags_b = _flags(discrete_b, len(b_cols), flags_b_name)
        b_ref = [data.add(c, b_name if b_is_target else f"{b_name} column {lab!r}", d,
                          flags_b_name)
                 for lab, c, d in zip(b_labels, b_cols, flags_b)]
        index = [(i, j) for i in range(len(a_ref)) for j in range(len(b_ref))]
    if data.n is not None and data.n < 2:
        raise ValueError(f"{a_name}: at least 2 rows are needed, got {data.n}")
    cont, codes = data.arrays()
    if check:
        refuse_too_few_rows(data.n or 0, "check")
    # The core's (max_rows, n_draws, k): MIResult.check_fit's defaults for these rows.
    check_opts = ((CHECK_MAX_ROWS, CHECK_DRAWS,
                   default_check_k(min(data.n or 0, CHECK_MAX_ROWS))) if check else None)
    pairs = [_pair(a_ref[i], b_ref[j]) for i, j in index]
    # Column warnings: raised once per column, and kept on every cell of that column.
    col_msgs: dict[tuple[str, int], list[str]] = {}
    col_label: dict[int, str] = {}
    # The regularisation's check of a column fitted as it is (see _recorded), without its name.
    swamped = partial(warn_if_reg_covar_swamps_bulk, reg_covar=float(opts["reg_covar"]),
                      standardize=bool(opts["standardize"]), can_map=True)
    for refs, labels, name, flag, is_target in (
            (a_ref, a_labels, a_name, flags_a_name, False),
            (b_ref, b_labels, b_name, flags_b_name, b_is_target)):
        for (disc, k), lab in zip(refs, labels):
            if disc or ("c", k) in col_msgs:
                continue
            label = name if is_target else f"{name} column {lab!r}"
            col_label[k] = label
            # Heavy tails here when the data are fitted as they are; under a learned
            # representation per pair, where a pair kept a column as it is (below).
            checks = [partial(warn_if_discrete, name=label, flag=flag),
                      partial(warn_if_scale_below_reg_covar, name=label, opts=opts)]
            if opts["transform"] == "identity":
                checks.append(partial(warn_if_heavy_tailed, name=label))
                checks.append(partial(swamped, name=label))
            found = _recorded(cont[:, k], *checks)
            for category, message in found:
                warnings.warn(message, category, stacklevel=caller_level(4))
            col_msgs[("c", k)] = [m for _, m in found]
    # A discrete column of more levels than half its rows, once per column, kept on its pairs
    # with another discrete column (with a continuous one the pair refuses such a label).
    # A discrete column of a single class: its MI with anything is 0, as the single estimate
    # warns (ZeroInformationWarning), on every pair of that column.
    for refs, labels, name, is_target in ((a_ref, a_labels, a_name, False),
                                          (b_ref, b_labels, b_name, b_is_target)):
        for (disc, k), lab in zip(refs, labels):
            if not disc or ("d", k) in col_msgs:
                continue
            col_name = name if is_target else f"{name} column {lab!r}"
            kept: list[str] = []
            if data.levels[k] == 1:
                single = (f"{col_name}: has a single class ({data.classes[k][0]!r}); the mutual "
                          "information is 0 by definition")
                warnings.warn(single, ZeroInformationWarning, stacklevel=caller_level(4))
                kept.append(single)
            elif any(p[0] == "dd" and k in p[1:] for p in pairs):
                sparse = sparse_levels_message(data.levels[k], codes.shape[0], col_name)
                if sparse is not None:
                    warnings.warn(sparse, DiscreteDataWarning, stacklevel=caller_level(4))
                    kept.append(sparse)
            col_msgs[("d", k)] = kept
    # A pair of a continuous column with a discrete one whose class is too small to fit
    # fails as the single estimate refuses it (the class by its label), without a fit.
    small: dict[int, Optional[str]] = {}
    prefailed: dict[int, str] = {}
    for t, (kind, _, k) in enumerate(pairs):
        if kind != "cd":
            continue
        if k not in small:
            n_classes = data.levels[k]
            small[k] = (small_class_message(codes[:, k], data.classes[k], 1, opts)
                        if n_classes >= 2 else None)
        why = small[k]
        if why is not None:
            prefailed[t] = f"y: {why}"
    fitted = cont
    steps: Optional[list[float]] = None
    # Each column's lattice, found once for the spreading and the checks' cells.
    lattices = ([_lattice(cont[:, k]) for k in range(cont.shape[1])]
                if check or opts["transform"] != "identity" else [])
    if opts["transform"] != "identity" and cont.shape[1]:
        fitted, pairs, steps = _spread_lattices(
            cont, lattices, pairs, [_swapped(a_ref[i], b_ref[j]) for i, j in index], seed)
    check_cells = _check_cells(cont, lattices, fitted.shape[1]) if check else None
    to_fit = [t for t in range(len(pairs)) if t not in prefailed]
    fit_pairs = [pairs[t] for t in to_fit]
    raw_fit: list[Any] = []
    if not fit_pairs:
        pass
    elif executor is None:
        raw_fit = run_with_control(
            _core.estimate_pairs, fitted, codes, data.levels, fit_pairs,
            miller_madow=miller_madow, options=_core.Options(seed=seed, **opts),
            check=check_opts, lattice_steps=steps, check_cells=check_cells, n_jobs=jobs,
            progress=progress,
            desc="MI matrix", outer=True)
    else:
        raw_fit = _run_executor(executor, fitted, codes, data.levels, fit_pairs, steps,
                                check_cells,
                                dict(opts, seed=seed, miller_madow=miller_madow, n_jobs=jobs,
                                     check=check_opts),
                                block_size, progress)
    raw: list[Any] = [prefailed.get(t) for t in range(len(pairs))]
    for t, r in zip(to_fit, raw_fit):
        raw[t] = r
    p, q = len(a_ref), len(b_ref)
    nb = opts["n_bootstrap"]
    mean = np.full((p, q), np.nan)
    std = np.full((p, q), np.nan)
    full = np.full((p, q), np.nan)
    corrected = np.zeros((p, q), dtype=bool)
    ncomp = np.full((p, q), np.nan)
    samples = np.full((p, q, nb), np.nan)
    check_stat = np.full((p, q), np.nan) if check else None
    # Known before any pair is checked: every pair may be discrete or fail.
    check_threshold = _core.check_threshold(CHECK_DRAWS) if check else None
    errs: dict[tuple[str, str], str] = {}
    failed: dict[tuple[int, int], _Failure] = {}
    failures: list[str] = []  # one per failed pair, "<pair>: <reason>"
    cell_warnings: dict[tuple[str, str], list[str]] = {}
    warned: dict[tuple[int, int], list[str]] = {}
    far_cols: dict[int, np.ndarray] = {}  # a continuous column's far values (_far_values)
    masses: dict[int, Optional[tuple[int, float, float]]] = {}  # its point mass (point_mass)
    for t, ((i, j), r) in enumerate(zip(index, raw)):
        cells = [(i, j), (j, i)] if symmetric else [(i, j)]
        pair = (f"feature {a_labels[i]!r}" if b_is_target
                else f"pair ({a_labels[i]!r}, {b_labels[j]!r})")
        # The core names a class of a pair's discrete variable by its code: name its label.
        classes = data.classes[pairs[t][2]] if pairs[t][0] == "cd" else None
        if isinstance(r, str):
            if classes is not None and t not in prefailed:
                r = rename_classes(r, classes)
            # The core names a column of the pair's own data ("column 1"): name the variable.
            # A discrete first variable was passed second (the continuous one goes first).
            named = (a_labels[i], b_labels[j])
            swapped = _swapped(a_ref[i], b_ref[j])
            about, r = _name_column(r, (named[1], named[0]) if swapped else named)
            if errors == "raise":
                raise ValueError(f"pair ({a_labels[i]!r}, {b_labels[j]!r}): {r}")
            # Which variable of the pair (a_ref[i] or b_ref[j]) the reason is about.
            of_b = None if about is None else (about == 1) != swapped
            ref = None if of_b is None else (b_ref[j] if of_b else a_ref[i])
            constant = (ref is not None and not ref[0]
                        and bool(cont[:, ref[1]].min() == cont[:, ref[1]].max()))
            for u, v in cells:
                errs[(a_labels[u], b_labels[v])] = r
                # (in the mirrored cell of a symmetric matrix the variables trade places)
                row = None if of_b is None else (of_b == ((u, v) != (i, j)))
                failed[(u, v)] = _Failure(r, None if row is None else ("row" if row else "col"),
                                          constant)
            failures.append(f"{pair}: {_without_label(r, a_labels[i]) if b_is_target else r}")
            continue
        # The core calls the pair's variables x and y (a discrete one second): a message
        # that names them says which is which.
        x_label, y_label = ((b_labels[j], a_labels[i]) if _swapped(a_ref[i], b_ref[j])
                            else (a_labels[i], b_labels[j]))
        as_xy = f"{pair} (x = {x_label!r}, y = {y_label!r})"
        messages = [f"{as_xy if _NAMES_XY.search(m) else pair}: "
                    f"{m if classes is None else rename_classes(m, classes)}"
                    for _, m in r["warnings"]]
        for (kind, _), message in zip(r["warnings"], messages):
            warnings.warn(message, warning_class(kind), stacklevel=caller_level(4))
        column = [m for disc, k in (a_ref[i], b_ref[j])
                  for m in col_msgs.get(("d" if disc else "c", k), [])]
        if r["transform"] == "identity" and opts["transform"] == "auto":
            # "auto" kept this pair's data as they are: a heavy-tailed column is fitted with
            # its tails, as the single-pair estimate warns (once per column, kept per cell).
            for disc, k in (a_ref[i], b_ref[j]):
                if disc:
                    continue
                if ("tails", k) not in col_msgs:
                    tails = _recorded(cont[:, k], partial(
                        warn_if_heavy_tailed, name=col_label[k], kept_by_auto=True),
                        partial(swamped, name=col_label[k]))
                    for category, message in tails:
                        warnings.warn(message, category, stacklevel=caller_level(4))
                    col_msgs[("tails", k)] = [m for _, m in tails]
                column += col_msgs[("tails", k)]
        if not (a_ref[i][0] or b_ref[j][0]):
            # Both columns with a point mass beside continuous values: as the single
            # estimate warns (each column's mass found once, for all its pairs).
            (_, ka), (_, kb) = a_ref[i], b_ref[j]
            for k in (ka, kb):
                if k not in masses:
                    masses[k] = point_mass(cont[:, [k]])
            mass_a, mass_b = masses[ka], masses[kb]
            if mass_a is not None and mass_b is not None:
                message = point_masses_message((col_label[ka], col_label[kb]),
                                               (mass_a, mass_b), (False, False))
                warnings.warn(message, DiscreteDataWarning, stacklevel=caller_level(4))
                column.append(message)
            elif pairs[t][0] == "cc":
                # Rows that repeat, in the columns the pair was fitted to (spread copies of
                # lattice columns): as the single estimate warns, by the same rule.
                _, fa, fb = pairs[t]
                repeated = repeated_rows_warning(fitted[:, [fa, fb]],
                                                 (col_label[ka], col_label[kb]))
                if repeated is not None:
                    warnings.warn(repeated, DiscreteDataWarning, stacklevel=caller_level(4))
                    column.append(repeated)
        if r["transform"] not in (None, "identity") and not (a_ref[i][0] or b_ref[j][0]):
            # A map was taken: it cannot carry dependence in tails the two columns share
            # (each column's far values computed once, for all its pairs).
            (_, ka), (_, kb) = a_ref[i], b_ref[j]
            for k in (ka, kb):
                if k not in far_cols:
                    far_cols[k] = _far_values(cont[:, [k]])
            shared = shared_tails(cont[:, [ka]], cont[:, [kb]], far_cols[ka], far_cols[kb])
            if shared is not None:
                message = shared_tails_message((col_label[ka], col_label[kb]), *shared,
                                               str(r["transform"]))
                warnings.warn(message, HeavyTailWarning, stacklevel=caller_level(4))
                column.append(message)
        outcome = r.get("check")
        if outcome is not None:
            statistic, threshold, ksg_data, ksg_draws = outcome
            assert check_stat is not None
            for u, v in cells:
                check_stat[u, v] = statistic
            if abs(statistic) > threshold:
                message = f"{pair}: " + misfit_message(statistic, threshold, ksg_data,
                                                       ksg_draws)
                warnings.warn(message, MisfitWarning, stacklevel=caller_level(4))
                messages.append(message)
        elif r.get("check_error"):
            messages.append(f"{pair}: the check of the fit could not run: {r['check_error']}")
        messages = list(dict.fromkeys(column + messages))
        if messages:
            for u, v in cells:
                cell_warnings.setdefault((a_labels[u], b_labels[v]), []).extend(messages)
                warned.setdefault((u, v), []).extend(messages)
        values = np.asarray(r["values"], dtype=float) / ln_base
        cell_mean, cell_std = r["mean"] / ln_base, r["std"] / ln_base
        # As the single estimate: the correction needs two replicates.
        cell_corrected = bool(r["bias_correction"]) and nb >= 2
        for u, v in cells:
            mean[u, v], std[u, v] = cell_mean, cell_std
            full[u, v], corrected[u, v] = r["full_value"] / ln_base, cell_corrected
            if r["n_components"] is not None:
                ncomp[u, v] = r["n_components"]
            if nb:
                samples[u, v] = values
    m = MIMatrix(mean=mean, std=std, n_components=ncomp, samples=samples,
                 row_labels=list(a_labels), col_labels=list(b_labels), errors=errs,
                 symmetric=symmetric, unit=unit, random_state=seed,
                 options=dict(opts, base=unit, miller_madow=miller_madow),
                 cell_warnings=cell_warnings, full_value=full, bias_corrected=corrected,
                 check_statistic=check_stat,
                 check_threshold=check_threshold)
    if (b_is_target and len(failed) == len(index)
            and all(f.about == "col" and not f.constant for f in failed.values())):
        # A problem of the target (a class too small to fit) fails every feature: there is
        # nothing to rank or score (as with a target of a single class). A constant target
        # is the callers' (mi_score scores it 0; mi_ranking refuses it before this).
        reason = failed[min(failed)].reason
        raise ValueError(f"{b_name}: {_without_label(reason, b_labels[0])}")
    if failures and warn_failures:
        what = "features" if b_is_target else "pairs"
        more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
        warnings.warn(f"{len(failures)} of {len(index)} {what} could not be estimated and are "
                      f"NaN, their reasons in .errors: {failures[0]}{more}",
                      FailedPairWarning, stacklevel=caller_level(4))
    return m, failed, warned


def _misfit(statistic: Optional[np.ndarray], threshold: Optional[float], what: str,
            function: str) -> np.ndarray:
    """``|statistic| > threshold`` (False where NaN): the ``misfit`` of a matrix or a
    ranking computed with ``check=True``; a ``ValueError`` naming ``misfit`` otherwise."""
    if statistic is None or threshold is None:
        raise ValueError(f"misfit: this {what} was computed without checks; compute it "
                         f"with {function}(..., check=True)")
    with np.errstate(invalid="ignore"):
        return np.abs(statistic) > threshold


def _target_column(target: Any, name: str) -> tuple[str, Any]:
    if target is None:
        raise TypeError(f"{name}: expected an array-like or Series, got None")
    given = getattr(target, "name", None) if hasattr(target, "to_numpy") else None
    label = name if given is None else str(given)  # (a Series may be named 0)
    raw = np.asarray(to_numpy(target, name))
    if np.ndim(raw) == 2 and np.shape(raw)[1] == 1:
        raw = np.asarray(raw)[:, 0]
    if np.ndim(raw) != 1:
        raise ValueError(f"{name}: expected one column, got shape {np.shape(raw)}")
    return label, raw


@dataclass(frozen=True, repr=False, eq=False)
class MIRanking:
    """Features ranked by their mutual information with a target.

    Attributes
    ----------
    features : list of str
        Feature labels, most informative first.
    mean, std : numpy.ndarray
        MI of each ranked feature and its bootstrap standard deviation.
    overlaps_next : numpy.ndarray of bool
        Whether the data leave the order of a feature and the next one unresolved: the
        ``level`` interval of the difference of their MI includes 0 (see
        :func:`mi_ranking`). False for the last feature, for failed features and without
        bootstrap replicates (``n_bootstrap < 2``), where there is no interval.
    errors : dict
        ``{feature: message}`` for features whose estimate failed (ranked last).
    unit : str
        Unit of the values.
    cell_warnings : dict
        ``{feature: [message, ...]}``: the warnings of each feature's estimate.
    level : float or None
        Coverage of the difference intervals behind ``overlaps_next``; None for a ranking
        read from a file written before gmmi kept it, whose flags are the overlap of the
        ``mean ± std`` intervals.
    check_statistic : numpy.ndarray or None
        With ``mi_ranking(..., check=True)``: the statistic of each ranked feature's check
        of its fit (:meth:`gmmi.MIResult.check_fit` with its defaults; NaN where no mixture
        was fitted or the check could not run). None when ranked without checks.
    check_threshold : float or None
        The threshold of those checks (2.95 for 16 draws): a feature whose
        ``|statistic|`` exceeds it has a fit unlike its data (see ``misfit``).
    random_state : int or None
        The seed every feature's estimate used (drawn afresh when ``random_state=None`` was
        passed, as for :class:`MIMatrix`): pass it back to repeat the ranking. None for a
        ranking read from a file written before gmmi kept it.
    """

    features: list[str]
    mean: np.ndarray
    std: np.ndarray
    overlaps_next: np.ndarray
    errors: dict[str, str]
    unit: str
    cell_warnings: dict[str, list[str]] = field(default_factory=dict)
    level: Optional[float] = None
    check_statistic: Optional[np.ndarray] = None
    check_threshold: Optional[float] = None
    random_state: Optional[int] = None

    @property
    def misfit(self) -> np.ndarray:
        """Ranked features whose check failed (``|check_statistic| > check_threshold``;
        False where there was no check): their MI is not to be trusted as it stands.

        Raises
        ------
        ValueError
            If the ranking was computed without ``check=True``.
        """
        return _misfit(self.check_statistic, self.check_threshold, "ranking", "mi_ranking")

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return same_fields(self, other)

    __hash__ = None  # type: ignore[assignment]

    def _flag_meaning(self) -> str:
        if self.level is None:
            return "mean ± std intervals overlap"
        return f"order not resolved at {percent(self.level)}"

    def to_pandas(self) -> Any:
        """A DataFrame with columns ``feature, mean, std, overlaps_next`` (and
        ``check_statistic`` for a ranking computed with ``check=True``)."""
        import pandas as pd

        columns = {"feature": self.features, "mean": self.mean, "std": self.std,
                   "overlaps_next": self.overlaps_next}
        if self.check_statistic is not None:
            columns["check_statistic"] = self.check_statistic
        return pd.DataFrame(columns)

    def _misfit_flags(self) -> list[bool]:
        """Per ranked feature: whether its check failed (all False without checks)."""
        if self.check_statistic is None or self.check_threshold is None:
            return [False] * len(self.features)
        return [bool(v) for v in self.misfit]

    def _marks(self) -> list[list[str]]:
        """Per ranked feature, the marks of the rich display and the plot: "~ next" and
        "misfit"."""
        return [[t for t, on in (("~ next", tie), ("misfit", bad)) if on]
                for tie, bad in zip(self.overlaps_next, self._misfit_flags())]

    def plot(self, ax: Any = None) -> Any:
        """The ranking as horizontal bars, the most informative feature on top, each with its
        bootstrap standard deviation (``± std``, not the estimate's interval, which
        :meth:`gmmi.MIResult.ci` builds from the replicates a ranking does not keep). A
        feature whose order with the next one is not resolved is marked ``~ next``, one
        whose check failed ``misfit``; a failed feature has no bar and says ``failed``.

        Needs matplotlib (``pip install 'gmmi[plot]'``). Returns the Axes.
        """
        k = len(self.features)
        ax = _axes(ax, figsize=(6.0, 0.8 + 0.35 * max(k, 1)))
        rows = np.arange(k)[::-1]  # the first feature on top
        finite = np.isfinite(self.mean)
        std = np.where(np.isfinite(self.std), self.std, 0.0)
        ax.barh(rows[finite], self.mean[finite], xerr=std[finite], color="tab:blue",
                ecolor="black", capsize=3)
        ax.set_yticks(rows)
        ax.set_yticklabels(self.features)
        ax.set_xlabel(f"MI ({self.unit}), ± bootstrap std")
        right = float(np.nanmax(self.mean + std)) if finite.any() else 1.0
        right = right if right > 0 else 1.0
        left = min(0.0, float(np.nanmin(self.mean - std))) if finite.any() else 0.0
        for row, m, s, ok, notes in zip(rows, self.mean, std, finite, self._marks()):
            if not ok:
                notes = ["failed"]
            if notes:
                ax.text((m + s if ok else 0.0) + 0.02 * right, row, ", ".join(notes),
                        va="center", fontsize=8,
                        color="tab:red" if "misfit" in notes or not ok else "0.3")
        ax.set_xlim(left, 1.3 * right)
        return ax

    def save(self, path: _codec.PathLike) -> None:
        """Writes this object to ``path`` as JSON; read it back with :func:`gmmi.load`."""
        _codec.write(path, "MIRanking", dict(self.__dict__))

    def _repr_html_(self) -> str:
        """The rich display of notebooks: the ranking with the uncertainties."""
        rows = [[k + 1, f, "failed", "", self.errors[f]] if f in self.errors else
                [k + 1, f, f"{m:.4f}", f"{s:.4f}" if math.isfinite(s) else "",
                 " ".join(marks)]
                for k, (f, m, s, marks) in enumerate(zip(self.features, self.mean, self.std,
                                                         self._marks()))]
        return _html.table(f"MIRanking ({self.unit}; ~ next: {self._flag_meaning()})", rows,
                           header=["rank", "feature", "MI", "std", ""])

    def __repr__(self) -> str:
        lines = [f"MIRanking ({self.unit}; ~ next: {self._flag_meaning()}):"]
        for k, (f, m, s, o, bad) in enumerate(zip(self.features, self.mean, self.std,
                                                  self.overlaps_next, self._misfit_flags())):
            tie = "  ~ next" if o else ""
            misfit = "  misfit (check_fit failed)" if bad else ""
            if f in self.errors:  # no estimate: ranked last, with its reason in .errors
                lines.append(f"  {k + 1:>3}. {f}: failed")
                continue
            value = f"{m:.3f} ± {s:.3f}" if math.isfinite(s) else f"{m:.3f}"
            lines.append(f"  {k + 1:>3}. {f}: {value}{tie}{misfit}")
        return "\n".join(lines)


def mi_ranking(
    X: Any,
    target: Any,
    *,
    discrete_features: Flags = False,
    discrete_target: bool = False,
    level: float = 0.95,
    check: bool = False,
    **options: Any,
) -> MIRanking:
    """Ranks the columns of ``X`` by their mutual information with ``target``.

    Takes the options of :func:`mi_matrix`. A feature whose estimate fails (say a constant
    column) is ranked last with its reason in ``errors`` (one
    :class:`~gmmi.FailedPairWarning` per call counts such features; ``errors="raise"``
    raises the first instead); a constant target, one with a single class, or one that
    fails every feature (a class too small to fit) raises ``ValueError``: there is nothing
    to rank.

    Each feature is flagged (``overlaps_next``) when the data do not resolve its order
    with the next one: the ``level`` interval of the difference of their MI includes 0.
    Every feature's bootstrap replicate ``b`` resamples the same rows (the pairs share
    ``random_state``), so the difference is bootstrapped pair by pair: its standard
    deviation is that of the replicates' differences, smaller than the two standard
    deviations combined when the estimates err together. The interval is built as each
    estimate's own (:meth:`gmmi.MIResult.ci`, ``method="normal"``): from the lower to the
    higher of the difference of the bias-corrected means and of the full-data values
    (when both are bias-corrected), widened by the Student-t quantile times that standard
    deviation. ``benches/ranking.py`` measures how often two features of equal MI are
    flagged (the order is a coin toss) and how often a real difference is resolved.

    Parameters
    ----------
    X : array-like or DataFrame of shape (n, p)
        The features, one per column (a Series is one feature), with distinct labels (as
        strings): the ranking is keyed by label.
    target : array-like or Series of shape (n,)
        The target.
    discrete_features : bool or sequence
        As ``discrete_a`` of :func:`mi_matrix`.
    discrete_target : bool, default False
        Treat the target as class labels.
    level : float, default 0.95
        Coverage in (0, 1) of the difference intervals behind ``overlaps_next``.
    check : bool, default False
        Also check every feature's fit against its data, as :func:`mi_matrix` does
        (:meth:`gmmi.MIResult.check_fit` with its defaults, the same statistic for the same
        seed): ``MIRanking.check_statistic``, ``check_threshold`` and ``misfit``, and a
        :class:`~gmmi.MisfitWarning` naming each feature whose check fails (kept in
        ``cell_warnings``). It adds the check's cost to every feature.
    **options
        Options of :func:`mi_matrix` (``n_bootstrap``, ``random_state``, ...).

    Returns
    -------
    MIRanking
        The features in order, their MI and standard deviations, the ``overlaps_next``
        flags, failures, warnings and the seed used (``random_state``).

    Examples
    --------
    >>> import numpy as np, gmmi
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(400, 3))
    >>> y = X[:, 2] + 0.3 * rng.normal(size=400)
    >>> r = gmmi.mi_ranking(X, y, n_bootstrap=5, mc_samples=2000, random_state=0)
    >>> r.features[0]
    'X[2]'
    """
    labels, cols = _split_columns(X, "X")
    _unique_labels(labels, "X")
    t_label, t_col = _target_column(target, "target")
    return mi_ranking_of_columns(labels, cols, t_label, t_col,
                                 discrete_features=discrete_features,
                                 discrete_target=discrete_target, level=level, check=check,
                                 options=options)


def mi_ranking_of_columns(
    labels: list[str],
    cols: list[Any],
    t_label: str,
    t_col: Any,
    *,
    discrete_features: Flags = False,
    discrete_target: bool = False,
    level: float = 0.95,
    check: bool = False,
    options: dict[str, Any],
    warn_failures: bool = True,
    names: tuple[str, str, str, str] = ("X", "target", "discrete_features", "discrete_target"),
) -> MIRanking:
    """:func:`mi_ranking` on feature columns already split and labelled (``labels``,
    ``cols``) and a target column (``t_label``, ``t_col``), with the options of
    :func:`mi_matrix` as one dictionary: the entry point of front ends such as the command
    line. ``names``: the caller's names of the features, the target and their discreteness
    flags, for messages."""
    options = dict(options)
    check_bool(discrete_target, "discrete_target")
    level = check_level(level)
    # The target is checked first: a constant target would otherwise give a ranking of NaNs
    # with the reason hidden in .errors.
    n_rows = np.shape(cols[0])[0] if cols else None
    x_name, t_name, _, t_flag = names
    if discrete_target:
        _, classes = encode_labels(t_col, t_name, n_rows=n_rows, rows_of=x_name)
        if len(classes) < 2:
            raise ValueError(f"{t_name}: has a single class ({classes[0]!r}); its mutual "
                             "information with every feature is 0 and there is nothing to rank")
    else:
        as_block(t_col, t_name, n_rows=n_rows, rows_of=x_name,
                 discrete_flags=f"{t_flag}=True", is_column=True)
    m, failed, warned = _matrix_and_failures(
        labels, cols, discrete_features, ([t_label], [t_col]), discrete_target,
        errors=options.pop("errors", "nan"), executor=options.pop("executor", None),
        block_size=options.pop("block_size", None),
        miller_madow=options.pop("miller_madow", False), options=options, check=check,
        names=names, b_is_target=True, warn_failures=warn_failures)
    means = m.mean[:, 0]
    stds = m.std[:, 0]
    order = np.argsort(np.where(np.isfinite(means), -means, np.inf), kind="stable")
    ranked_mean, ranked_std = means[order], stds[order]
    overlaps = np.zeros(len(order), dtype=bool)
    for r, (a, b) in enumerate(zip(order[:-1], order[1:])):
        overlaps[r] = _order_unresolved(m, a, b, level)
    errs = {labels[i]: f.reason for (i, _), f in failed.items()}
    cell_warnings = {labels[i]: msgs for (i, _), msgs in warned.items()}
    return MIRanking(features=[labels[i] for i in order], mean=ranked_mean, std=ranked_std,
                     overlaps_next=overlaps, errors=errs, unit=m.unit,
                     cell_warnings=cell_warnings, level=level,
                     check_statistic=(None if m.check_statistic is None
                                      else m.check_statistic[order, 0]),
                     check_threshold=m.check_threshold, random_state=m.random_state)


def _order_unresolved(m: MIMatrix, a: int, b: int, level: float) -> bool:
    """Whether the ``level`` interval of ``I(a) - I(b)`` (rows ``a`` and ``b`` of the
    one-column matrix ``m``, ``a`` ranked above ``b``) includes 0 (see :func:`mi_ranking`);
    False when either estimate failed or fewer than two replicates pair up."""
    diff = m.mean[a, 0] - m.mean[b, 0]
    if not np.isfinite(diff):
        return False
    paired = m.samples[a, 0] - m.samples[b, 0]
    paired = paired[np.isfinite(paired)]
    if paired.size < 2:
        return False
    # The t interval of the paired differences about their mean: its half-width.
    lo, hi = _core.interval([float(v) for v in paired], 0.0, level, False, False, "normal")
    half = 0.5 * (hi - lo)
    low = diff
    if m.full_value is not None and m.bias_corrected is not None \
            and m.bias_corrected[a, 0] and m.bias_corrected[b, 0]:
        low = min(low, m.full_value[a, 0] - m.full_value[b, 0])
    return bool(low - half <= 0.0)


def mi_score(
    X: Any,
    y: Any,
    *,
    discrete_target: Union[bool, str] = "auto",
    discrete_features: Flags = False,
    n_bootstrap: int = 0,
    random_state: Any = 0,
    **options: Any,
) -> np.ndarray:
    """MI of every column of ``X`` with ``y``: a ``score_func`` for scikit-learn.

    Usable as ``SelectKBest(score_func=gmmi.mi_score, k=...)``; pass options with
    ``functools.partial``. Only means are needed for selection, so the default is
    ``n_bootstrap=0`` and a fixed ``random_state=0`` (reproducible selection). A constant
    feature scores 0. ``discrete_target="auto"`` treats integer, boolean, string and
    categorical targets as class labels.

    Parameters
    ----------
    X : array-like of shape (n, p)
        The features (a DataFrame's column names are used in messages).
    y : array-like of shape (n,)
        The target.
    discrete_target : bool or "auto", default "auto"
        Whether ``y`` holds class labels (``"auto"``: by its dtype, see above).
    discrete_features : bool or sequence of bool, default False
        Which features are categorical (one flag for all, or one per column).
    n_bootstrap : int, default 0
        Bootstrap replicates (none: selection needs only the means).
    random_state : int, numpy.random.Generator or None, default 0
        Seed of every feature's estimate.
    **options
        Other options of :func:`mi_matrix` (``mc_samples``, ``preset``, ``transform``,
        ``n_jobs``, ``executor``, ``check``, ...), but not ``errors``: a feature that cannot
        be scored raises.

    Returns
    -------
    numpy.ndarray of shape (p,)
        The MI of each feature with ``y``, in the order of the columns (0 for a constant
        feature).

    Raises
    ------
    ValueError
        If ``y`` cannot be scored against (``"y: ..."``, say a class of one row) or a
        feature fails for another reason than being constant (the message names it). A
        feature or target is constant when its smallest value equals its largest, whatever
        its name says.

    Examples
    --------
    >>> import numpy as np, gmmi
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(300, 3)); y = (X[:, 1] > 0).astype(int)
    >>> s = gmmi.mi_score(X, y, mc_samples=2000)
    >>> int(np.argmax(s))
    1
    """
    label, raw_y = _target_column(y, "y")
    if discrete_target == "auto":
        is_cat = str(getattr(getattr(y, "dtype", None), "name", "")) == "category"
        disc = is_cat or np.asarray(raw_y).dtype.kind in "iubOUS"
    else:
        disc = check_bool(discrete_target, "discrete_target")
    if "errors" in options:
        raise TypeError("errors: not an option of mi_score, which raises for a feature it "
                        "cannot score (a selector cannot rank NaN; a constant feature scores "
                        "0); mi_ranking lists such features with their reasons instead")
    labels, cols = _split_columns(X, "X")
    with through(-1):  # one frame nearer the caller than mi_matrix's path: its line
        m, failed, _ = _matrix_and_failures(
            labels, cols, discrete_features, ([label], [raw_y]), disc, errors="nan",
            executor=options.pop("executor", None),
            block_size=options.pop("block_size", None),
            miller_madow=options.pop("miller_madow", False),
            check=options.pop("check", False),
            options=dict(options, n_bootstrap=n_bootstrap, random_state=random_state),
            names=("X", "y", "discrete_features", "discrete_target"), b_is_target=True,
            warn_failures=False)
    scores = m.mean[:, 0].copy()
    # By position: labels may repeat when stringified (columns 1 and "1"). A constant
    # feature scores 0, and so does every feature against a constant target; any other
    # problem of the target (a class too small to fit) or of a feature raises, naming it.
    for (i, _), f in sorted(failed.items()):
        if f.constant:
            scores[i] = 0.0
        elif f.about == "col":
            raise ValueError(f"y: {_without_label(f.reason, label)}")
        else:
            raise ValueError(f"X column {labels[i]!r} (position {i}): "
                             f"{_without_label(f.reason, labels[i])}")
    return scores
