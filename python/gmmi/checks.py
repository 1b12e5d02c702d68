"""A check of a fitted mixture against the data, by a statistic the fit did not use.

:meth:`MIResult.check_fit <gmmi.MIResult.check_fit>` compares the k-nearest-neighbour
(KSG) mutual information of the data with the same statistic on draws from the fitted
mixture; :class:`FitCheck` holds the outcome.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Optional

import numpy as np

from . import _core
from ._compare import same_fields
from ._inputs import encode_labels, lattice_cells, redo_dequantization
from ._options import preset_options
from ._run import run_with_control
from ._validation import (
    as_block,
    check_bool,
    check_int,
    joint_blocks,
    plain,
    resolve_base,
    resolve_n_jobs,
    resolve_seed,
)
from ._warnings import MisfitWarning

if TYPE_CHECKING:  # pragma: no cover
    from .result import MIResult

__all__ = ["AUTO_CHECK_SECOND_LOOK", "FitCheck", "check_fit", "checked_quantity",
           "default_check_k", "extension_message", "min_check_rows", "misfit_extension",
           "misfit_message", "rows_given", "screen"]

#: The defaults of the check (``max_rows``, ``n_draws``, ``k``), shared with
#: ``mi_matrix(..., check=True)``; ``k`` on at least 101 rows (see :func:`default_check_k`).
#:
#: Ten neighbours, not the three of an estimate of MI by KSG: the check compares two KSG
#: values whose bias is alike (the data's and a draw's), so the bias that grows with ``k``
#: cancels while the spread, which falls with ``k``, is what a misfit must stand out of.
#: (Runge's 2018 nearest-neighbour test of conditional independence, whose null is simulated
#: too, likewise takes many neighbours: a fifth of the rows by default in tigramite.)
#: Measured on the same estimates (session 55, ``benches/check_rules.py``): at 10 the
#: held-out spirals and Student t through asinh were covered more often than at 3 on two
#: sets of seeds, and on the Gaussians and monotone maps of the suite no check failed at
#: either. A check takes 1.1-1.4x as long (Gaussians of 1+1 to 5+5 columns, 1,000 and
#: 4,000 rows); where checks fail, the extensions go further, and the checks of the
#: held-out tasks took 1.6-2.4x as long in all.
CHECK_MAX_ROWS, CHECK_DRAWS, CHECK_K = 4000, 16, 10

#: The fewest neighbours the default ``k`` takes on few rows (:func:`default_check_k`), and
#: with it the fewest rows the check runs on (``min_check_rows(CHECK_K_MIN)``, 31).
CHECK_K_MIN = 3

#: The most rows the check may run on: in many columns the KSG compares every pair of rows.
MAX_CHECK_ROWS = 50_000

#: The check ``mutual_information`` makes by itself (``check=None``, gmmi's preset) runs on
#: at most this many rows per component of the fitted mixture (and CHECK_MAX_ROWS in all):
#: its cost, 17 KSG estimates, then grows with the mixture as the estimate's own does, and
#: a single Gaussian fitted to a few columns (an estimate of a few hundredths of a second)
#: is checked on 1,000 rows (0.02-0.11 s more with 2+1 to 5+5 columns on two cores, 10
#: neighbours; 0.017-0.083 s with 3, session 55's measurement of both).
AUTO_CHECK_ROWS_PER_COMPONENT = 1000

#: The automatic check looks again, on as many rows as an explicit check takes (at most
#: CHECK_MAX_ROWS) and with other draws, when its statistic, on fewer rows than the data
#: have, lies beyond this (passed or failed); the second look decides. Where the data are
#: like a draw from the mixture, the statistic (Student t, 15 degrees of freedom) lies
#: beyond 2 one time in 16, and the second look then fails at the threshold's own rate;
#: where the mixture misses dependence, the first look's rows (1,000 per component) can
#: leave the statistic short of the threshold that the larger look crosses, and a failure
#: is followed (``misfit_extension``) on the larger look's rows.
AUTO_CHECK_SECOND_LOOK = 2.0

#: The fewest columns of x and y together for that automatic check. With one column each
#: the check saw 1 of the suite's 14 misses on two scalars (``benches/accuracy.py``, the
#: committed run) at the price of a second estimate's time; the silent misses it exists
#: for (a spiral, Student t data through asinh) need structure across several columns.
AUTO_CHECK_MIN_COLUMNS = 3


#: Two scalars are screened instead (``mutual_information``'s ``check=None``, gmmi's preset):
#: the KSG of the data alone, as the check computes it (its k, coordinates and cells), on
#: as many rows as an explicit check takes (at most CHECK_MAX_ROWS; beyond them a seeded
#: subset of the screen's own), against the upper end of
#: the estimate's interval at SCREEN_LEVEL; the check itself (on as many rows) runs only
#: when the data's KSG lies more than ``SCREEN_MARGIN / sqrt(rows)`` nat above it. A mixture that
#: misses most of the dependence is then not silent: a periodic relation with more cycles
#: than the search's components (``y = sin(15 x)`` plus noise of sd 0.05, n = 5,000:
#: 0.000 +- 0.008 nat; the KSG 0.66 on 4,000 rows; the truth 2.29), which the held-out score
#: cannot see until K covers the cycles. The margin is the KSG's own noise: over data sets
#: of bivariate Gaussians (rho 0 to 0.99) its standard deviation was 0.45-0.9 / sqrt(rows)
#: at 200, 1,000 and 4,000 rows (k as the check takes it), so three times 1 / sqrt(rows)
#: keeps the check to data that show clearly more dependence than the interval allows,
#: and the screen costs one KSG where it passes (a bivariate Gaussian at n = 10,000: 0.03 s
#: with it, 0.025 s without). The KSG is biased low where the dependence is strong, so the
#: screen looks for misses, not for a mixture that shows too much; where it passes on to
#: the check, the check decides, at its own rate of false alarms.
SCREEN_LEVEL, SCREEN_MARGIN = 0.95, 3.0

#: The screen is not made where more than this share of its rows repeat another row's value
#: in a column (after the cells of lattice columns are spread): a point mass beside
#: continuous values (zeros of a rectified or zero-inflated variable), or rounding fitted
#: as it is. The KSG counts the tied rows' neighbours at distance 0, which no mixture's
#: draws have: two independent variables each 40% zeros read 1.65 nat, and the check that
#: followed failed and stretched the interval (statistic 169, mixtures up to K = 48). Those
#: data are warned of by their own checks (point masses, repeated rows, looks discrete).
SCREEN_MAX_TIED = 0.01


def min_check_rows(k: int) -> int:
    """The fewest rows the check's KSG with ``k`` neighbours takes: 10 k + 1."""
    return 10 * k + 1


def refuse_too_few_rows(n_rows: int, name: str, k: int = CHECK_K_MIN) -> None:
    """Raises the ``ValueError`` (naming ``name``) of a check asked for on ``n_rows`` rows
    (0: not known yet, accepted) when they are fewer than its KSG with ``k`` neighbours
    takes (:func:`min_check_rows`)."""
    if 0 < n_rows < min_check_rows(k):
        raise ValueError(f"{name}: the check needs 10 k + 1 rows for its fewest neighbours "
                         f"(k = {k}), at least {min_check_rows(k)} rows, the data have "
                         f"{n_rows}")


def default_check_k(rows: int) -> int:
    """The check's neighbours by default on ``rows`` rows: ``CHECK_K`` (10) from 101 rows,
    one per ten rows below (``(rows - 1) // 10``), and at least ``CHECK_K_MIN`` (3), which
    needs 31 rows.

    >>> [default_check_k(r) for r in (31, 60, 100, 101, 4000)]
    [3, 5, 9, 10, 10]
    """
    return max(CHECK_K_MIN, min(CHECK_K, (int(rows) - 1) // 10))


def rows_given(x: Any) -> int:
    """The rows of an argument as given; 0 for a scalar or for what NumPy cannot shape (a
    ragged list), which validation refuses later, naming the argument."""
    try:
        return int(np.shape(x)[0]) if np.ndim(x) else 0
    except (ValueError, TypeError):
        return 0


def checked_quantity(result: MIResult) -> str:
    """What the check's KSG of ``result`` estimates, as its messages name it."""
    return ("conditional MI" if result.quantity == "conditional_mutual_information"
            else "MI")


@dataclass(frozen=True, eq=False)
class FitCheck:
    """The outcome of :meth:`MIResult.check_fit <gmmi.MIResult.check_fit>`.

    The KSG estimate of the data's mutual information (Kraskov, Stögbauer and Grassberger
    2004, their first algorithm, max-norm, ``k`` neighbours, in the coordinates the mixture
    was fitted in, every column scaled by the data's median absolute deviation, which one
    far value does not inflate; for a conditional
    MI result the conditional MI, Frenzel and Pompe 2007; for a continuous and a discrete
    variable the KSG of Ross 2014) is compared with the KSG of ``len(ksg_model)``
    independent draws of as many rows from the fitted mixture (the class mixtures, keeping
    the data's classes). KSG is biased, but alike for two samples of one distribution: where the
    mixture is a good model of the data, the data's KSG looks like one more draw's.

    Attributes
    ----------
    statistic : float
        ``(ksg_data - mean(ksg_model)) / (sd(ksg_model) * sqrt(1 + 1/R))`` over the ``R``
        draws (``sd`` with ``R - 1`` degrees of freedom): Student t with ``R - 1`` degrees
        of freedom when the data are like a draw. Positive when the data show more
        dependence than the mixture's draws (the estimate is then likely too low).
    threshold : float
        Its two-sided 1% quantile (2.95 for 16 draws): beyond it the check fails. On data
        a fitted mixture represents, the statistic is narrower than that t (the mixture
        was fitted to these rows, not drawn beside them): over 1,580 such checks it went
        beyond 2.95 twice (0.13%).
    ksg_data : float
        The KSG of the data (nats; not clipped at 0): of the MI, or of the conditional MI.
    ksg_model : numpy.ndarray
        The KSG of each draw from the mixture.
    n_rows : int
        The rows the KSG ran on (a seeded random subset of ``max_rows`` beyond that).
    k : int
        The neighbours of the KSG.
    """

    statistic: float
    threshold: float
    ksg_data: float
    ksg_model: np.ndarray
    n_rows: int
    k: int

    @property
    def passed(self) -> bool:
        """Whether ``|statistic|`` is within ``threshold``."""
        return bool(abs(self.statistic) <= self.threshold)

    def message(self, what: str = "MI") -> str:
        """The :class:`~gmmi.MisfitWarning` message of a failed check (``what``: ``"MI"``
        or ``"conditional MI"``, the quantity its KSG estimates)."""
        return misfit_message(self.statistic, self.threshold, self.ksg_data,
                              float(np.mean(self.ksg_model)), what)

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python form (JSON-friendly: None for NaN and infinities, such as the
        statistic of draws without spread)."""
        return plain({"statistic": self.statistic, "threshold": self.threshold,
                      "passed": self.passed, "ksg_data": self.ksg_data,
                      "ksg_model": self.ksg_model, "n_rows": self.n_rows, "k": self.k})

    @classmethod
    def _from_dict(cls, d: dict[str, Any]) -> FitCheck:
        """The inverse of :meth:`to_dict` (None back to NaN)."""
        def num(v: Any) -> float:
            return math.nan if v is None else float(v)

        return cls(statistic=num(d["statistic"]), threshold=num(d["threshold"]),
                   ksg_data=num(d["ksg_data"]),
                   ksg_model=np.array([num(v) for v in d["ksg_model"]], dtype=float),
                   n_rows=int(d["n_rows"]), k=int(d["k"]))

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return same_fields(self, other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        spread = float(np.std(self.ksg_model, ddof=1)) if self.ksg_model.size > 1 else math.nan
        return (f"FitCheck({'passed' if self.passed else 'FAILED'}: statistic "
                f"{self.statistic:+.2f} (threshold {self.threshold:.2f}); KSG of the data "
                f"{self.ksg_data:.4f}, of the mixture's draws "
                f"{float(np.mean(self.ksg_model)):.4f} ± {spread:.4f}; {self.n_rows} rows, "
                f"k={self.k})")


def misfit_message(statistic: float, threshold: float, ksg_data: float, ksg_draws: float,
                   what: str = "MI") -> str:
    """The message of a failed check: the data's KSG ``ksg_data`` (of the MI, or of the
    conditional MI) ``statistic`` spreads from the draws' mean ``ksg_draws``."""
    more = statistic > 0
    return (
        f"the fitted mixture is unlike the data: their k-nearest-neighbour (KSG) {what}, "
        f"{ksg_data:.4f} nat, lies {abs(statistic):.1f} spreads "
        f"{'above' if more else 'below'} that of draws from the mixture "
        f"({ksg_draws:.4f}; threshold {threshold:.2f}). "
        + ("The data show dependence the mixture misses (for example curved structure "
           "across several columns that a few components cannot follow): the estimate "
           "is likely too low, by more than its interval says."
           if more else
           "The mixture shows more dependence than the data: the estimate may be too "
           "high, by more than its interval says."))


def check_fit(result: MIResult, x: Any, y: Any, z: Any = None, *,
              n_draws: int = CHECK_DRAWS, max_rows: int = CHECK_MAX_ROWS,
              k: Optional[int] = None, random_state: Any = None,
              n_jobs: Optional[int] = None, progress: bool = False,
              warn: bool = True) -> FitCheck:
    """See :meth:`MIResult.check_fit <gmmi.MIResult.check_fit>` (``k=None``: the default
    for the rows checked, :func:`default_check_k`; ``warn=False``: no MisfitWarning; the
    estimators' own check warns itself, once it has followed a failed check with
    :func:`misfit_extension`)."""
    progress = check_bool(progress, "progress")
    n_draws = check_int(n_draws, "n_draws", minimum=3, maximum=1000)
    k = check_int(k, "k", minimum=1, maximum=100, allow_none=True)
    max_rows = check_int(max_rows, "max_rows", minimum=max(50, min_check_rows(k or CHECK_K_MIN)),
                         maximum=MAX_CHECK_ROWS,
                         advice="the KSG's neighbour searches grow faster than the rows "
                                "(in many columns it compares every pair of rows)")
    given = rows_given(x)
    if k is None:
        k = default_check_k(min(given, max_rows) if given else max_rows)
        refuse_too_few_rows(given, "x", k)
    least = min_check_rows(k)
    if 0 < given < least:
        raise ValueError(f"k: {k} neighbours need at least 10 k + 1 = {least} rows, the "
                         f"data have {given}; use a smaller k (by default {CHECK_K}, one "
                         f"per ten rows below {min_check_rows(CHECK_K)} rows)")
    seed = resolve_seed(result.random_state if random_state is None else random_state)
    common = (max_rows, n_draws, k, seed, resolve_n_jobs(n_jobs))
    if result.estimator == "gmm-categorical":
        models, rows, codes = _categorical_inputs(result, x, y, z, min_rows=least)
        ksg_data, ksg_model, statistic, threshold, n_rows = run_with_control(
            _core.fit_check_categorical, models, rows, codes, *common, progress=progress,
            desc="gmmi check")
    else:
        rows, columns, cells = _joint_rows(result, x, y, z, min_rows=least)
        model = result.model
        assert model is not None  # joint_blocks refuses a result without one
        ksg_data, ksg_model, statistic, threshold, n_rows = run_with_control(
            _core.fit_check, model._m, rows, columns, *common, progress=progress,
            desc="gmmi check", cells=cells)
    out = FitCheck(statistic=statistic, threshold=threshold, ksg_data=ksg_data,
                   ksg_model=np.asarray(ksg_model), n_rows=n_rows, k=k)
    if warn and not out.passed:
        warnings.warn(MisfitWarning(out.message(checked_quantity(result))), stacklevel=3)
    return out


def screen(result: MIResult, x: Any, y: Any, z: Any = None, *, max_rows: int,
           n_jobs: Optional[int] = None, progress: bool = False) -> dict[str, Any]:
    """The screen of a joint MI estimate ``result`` (see SCREEN_LEVEL): the KSG of its data
    in the mixture's coordinates on at most ``max_rows`` rows, with the check's ``k`` and
    seed (the check's ``ksg_data`` where the data have at most ``max_rows`` rows; beyond,
    on a seeded subset taken before the maps), against the upper end of the estimate's
    interval at SCREEN_LEVEL (the estimate itself without bootstrap replicates). Returns
    ``{"ksg_data", "n_rows", "k", "upper", "margin", "passed"}`` in nats (``passed``: the
    KSG is at most ``upper + margin``, ``margin`` = ``SCREEN_MARGIN / sqrt(n_rows)``, and
    the check need not run); where more than SCREEN_MAX_TIED of the rows tie in a column,
    ``{"n_rows", "tied", "passed": True}`` (``tied``: the largest such share), and no KSG."""
    n = rows_given(x)
    k = default_check_k(min(n, max_rows))
    seed = resolve_seed(result.random_state)
    if n > max_rows:
        # The rows first, then their maps: mapping every row and then keeping 4,000 took
        # 1.7 s at 10^6 rows through a learned map. (Other rows than the check's own seeded
        # subset, as good a sample: the screen only decides whether the check runs.)
        keep = np.sort(np.random.default_rng(seed).choice(n, max_rows, replace=False))
        x, y, z = (None if a is None else _take_rows(a, keep) for a in (x, y, z))
    rows, columns, cells = _joint_rows(result, x, y, z, min_rows=min_check_rows(k))
    tied = _tied_share(rows, cells)
    if tied > SCREEN_MAX_TIED:
        return {"n_rows": int(rows.shape[0]), "tied": tied, "passed": True}
    ksg_data, n_rows = run_with_control(
        _core.data_ksg, rows, columns, max_rows, k, seed, n_jobs=resolve_n_jobs(n_jobs),
        progress=progress, desc="gmmi check", cells=cells)
    ln_base = resolve_base(result.unit)[0]
    upper = (result.ci(SCREEN_LEVEL)[1] if result.samples.size >= 2 else result.mean) * ln_base
    margin = SCREEN_MARGIN / math.sqrt(n_rows)
    return {"ksg_data": float(ksg_data), "n_rows": int(n_rows), "k": k,
            "upper": float(upper), "margin": margin,
            "passed": bool(ksg_data <= upper + margin)}


def _tied_share(rows: np.ndarray, cells: Optional[list[Optional[list[float]]]]) -> float:
    """The largest share of ``rows`` that repeat another row's value in a column, over the
    columns not spread over cells (``cells``, as :func:`_joint_rows` gives them)."""
    m = rows.shape[0]
    shares = [1.0 - np.unique(rows[:, j]).size / m for j in range(rows.shape[1])
              if cells is None or cells[j] is None]
    return max(shares, default=0.0)


def _take_rows(a: Any, rows: np.ndarray) -> Any:
    """The rows ``rows`` of an argument as given (a pandas object by position)."""
    return a.iloc[rows] if hasattr(a, "iloc") else np.asarray(a)[rows]


def _joint_rows(result: MIResult, x: Any, y: Any, z: Any, *, min_rows: int
                ) -> tuple[np.ndarray, list[int], Optional[list[Optional[list[float]]]]]:
    """The rows of a joint (conditional) MI estimate's variables in the coordinates its
    mixture was fitted in, the column count of each variable, and the cells that the check
    spreads the columns the estimate fitted on their lattice over (the edges of each
    column's cells in those coordinates, or None; None for all: no such column)."""
    blocks = joint_blocks(result, x, y, z, purpose="the check", min_rows=min_rows,
                          as_fitted=True)
    # The rows as the estimate fitted them: columns on a lattice spread as it spread them.
    blocks = redo_dequantization(result.details, list(zip(("x", "y", "z"), blocks)),
                                 result.random_state)
    data = np.hstack(blocks)
    rows = data if result.transform is None else result.transform.apply(data)
    # Columns on a lattice the estimate fitted as they are (tied values): the check spreads
    # the data and the mixture's draws over the same cells (the core's fit_check_in_cells),
    # whose edges are mapped as the estimate mapped the column.
    spread = (result.details.get("dequantized") or {})
    cells: list[Optional[np.ndarray]] = []
    for name, block in zip(("x", "y", "z"), blocks):
        for j in range(block.shape[1]):
            edges = None if name in spread else lattice_cells(block[:, j])
            if edges is not None and result.transform is not None:
                at = np.tile(data[0], (edges.size, 1))
                at[:, len(cells)] = edges
                edges = result.transform.apply(at)[:, len(cells)]
            cells.append(edges)
    return (np.ascontiguousarray(rows, dtype=float), [b.shape[1] for b in blocks],
            [None if c is None else c.tolist() for c in cells]
            if any(c is not None for c in cells) else None)


def misfit_extension(result: MIResult, x: Any, y: Any, z: Any, found: FitCheck, *,
                     max_rows: int, seed: int, n_jobs: Optional[int] = None,
                     progress: bool = False) -> Optional[dict[str, Any]]:
    """Follows a failed check ``found`` of a joint (conditional) MI estimate whose data show
    more dependence than the mixture's draws (positive statistic): mixtures of more
    components, ``K`` growing by a quarter (at least one) per step, fitted to all the rows
    in the estimate's coordinates from one k-means start each (the result's options: EM
    tolerance, standardisation, integral), each
    checked on the same rows and with the same draws' seeds as ``found`` (``max_rows`` and
    ``seed``: those the check was made with), until one's draws show at least the data's
    KSG dependence (statistic at most 0) or ``max_components`` is reached.

    Returns None when the check passed or failed the other way, or no larger mixture
    could be fitted; else ``{"n_components", "value", "statistic", "reached", "steps"}``
    for the last mixture fitted (``value`` in the result's unit; ``reached`` whether its
    statistic is at most 0; ``steps`` every mixture fitted), the value
    :meth:`MIResult.ci <gmmi.MIResult.ci>` then holds.
    """
    if found.passed or not found.statistic > 0 or result.n_components is None:
        return None
    rows, columns, cells = _joint_rows(result, x, y, z, min_rows=min_check_rows(found.k))
    # The estimator's options are the result's, less those of the call (base, seed, jobs);
    # a result saved before a preset setting existed (session 50's screen_starts, say)
    # takes gmmi's preset's value for it.
    estimator = preset_options()
    out = run_with_control(
        _core.misfit_extension, rows, columns, int(result.n_components),
        options=_core.Options(seed=result.random_state, **{
            **estimator, **{k: v for k, v in result.options.items() if k in estimator}}),
        max_rows=max_rows, n_draws=int(found.ksg_model.size), k=found.k, seed=seed,
        n_jobs=resolve_n_jobs(n_jobs), progress=progress, desc="gmmi check", cells=cells)
    if out is None:
        return None
    steps, reached = out
    ln_base = resolve_base(result.unit)[0]
    listed = [{"n_components": int(k), "value": float(v) / ln_base, "statistic": float(s)}
              for k, v, s in steps]
    return dict(listed[-1], reached=bool(reached), steps=listed)


def extension_message(extension: dict[str, Any], unit: str, what: str = "MI") -> str:
    """The sentence a :class:`~gmmi.MisfitWarning` adds about :func:`misfit_extension`."""
    k, value = extension["n_components"], extension["value"]
    if extension["reached"]:
        return (f" The interval was extended to hold the {what} of the first larger "
                f"mixture fitted whose draws show the data's dependence (K={k}): "
                f"{value:.4f} {unit}.")
    return (f" The interval was extended to hold the {what} of the largest mixture fitted "
            f"(K={k}): {value:.4f} {unit}; its draws still show less dependence than the "
            "data, and the interval may still be short.")


def _categorical_inputs(result: MIResult, x: Any, y: Any, z: Any, *,
                        min_rows: int) -> tuple[list[Any], np.ndarray, np.ndarray]:
    """The class mixtures of a continuous-categorical estimate, the continuous samples in
    their coordinates and the labels as the estimate's class codes."""
    if z is not None:
        raise ValueError("z: a continuous-categorical MI has no z; z must be None")
    which = result.details.get("discrete_variable")
    fitted = result.details.get("class_models")
    if which not in ("x", "y") or not fitted:
        raise ValueError(
            "result: the check needs the class mixtures of a continuous-categorical estimate "
            "and which variable was discrete (a single-class estimate has none, and one "
            "saved by an earlier gmmi does not record the variable); estimate it again")
    cont_name = "y" if which == "x" else "x"
    cont, labels = (y, x) if which == "x" else (x, y)
    block = as_block(cont, cont_name, min_rows=min_rows, allow_constant=True,
                     check_spread=False, discrete_flags=None,
                     discrete_advice=f"the estimate's labels were its {which}: pass them as "
                                     f"{which} and the continuous samples as {cont_name}")
    codes, values = encode_labels(labels, which, n_rows=block.shape[0], rows_of=cont_name)
    classes = list(result.details["classes"])
    index = {c: i for i, c in enumerate(classes)}
    unknown = [v for v in values if v not in index]
    if unknown:
        raise ValueError(f"{which}: label {unknown[0]!r} is not one of the estimate's classes "
                         f"{classes}")
    models = [fitted[c] for c in classes]
    dim = models[0].means_.shape[1]
    if block.shape[1] != dim:
        raise ValueError(f"{cont_name}: has {block.shape[1]} columns, but the estimate's "
                         f"{cont_name} had {dim}")
    (block,) = redo_dequantization(result.details, [(cont_name, block)], result.random_state)
    rows = block if result.transform is None else result.transform.apply(block)
    codes = np.array([index[v] for v in values], dtype=np.int64)[codes]
    return ([m._m for m in models], np.ascontiguousarray(rows, dtype=float),
            np.ascontiguousarray(codes))

