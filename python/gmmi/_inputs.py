"""Input checks shared by the estimators and the many-pairs functions: data that look
discrete or heavy-tailed, and labels of discrete variables."""

from __future__ import annotations

import functools
import math
import warnings
import zlib
from statistics import NormalDist
from typing import Any, Optional

import numpy as np

from . import _core
from ._validation import missing_label, to_numpy, unmask
from ._warnings import DegenerateWarning, DiscreteDataWarning, HeavyTailWarning

__all__ = [
    "DEQUANTIZE_MIN_VARIABLES",
    "DEQUANTIZE_OFF_SHARE",
    "DEQUANTIZE_TIED_SHARE",
    "DISCRETE_ADVICE",
    "JOINT_TAIL_EXCESS",
    "JOINT_TAIL_LEVEL",
    "JOINT_TAIL_ROWS",
    "POINT_MASS_CONTINUOUS",
    "POINT_MASS_ROWS",
    "POINT_MASS_SHARE",
    "TAIL_FRACTION",
    "TAIL_MASS_SHARE",
    "TAIL_SDS",
    "UNSTANDARDISED_MARGIN",
    "Found",
    "dequantize",
    "dequantize_blocks",
    "encode_labels",
    "lattice_spacing",
    "point_mass",
    "point_masses_message",
    "redo_dequantization",
    "repeated_rows",
    "repeated_rows_message",
    "repeated_rows_warning",
    "shared_tails",
    "shared_tails_message",
    "warn_if_discrete",
    "warn_if_heavy_tailed",
    "warn_if_joint_tails",
    "warn_if_point_masses",
    "warn_if_reg_covar_swamps_bulk",
    "warn_if_repeated_rows",
    "warn_if_scale_below_reg_covar",
]


#: A column is on a lattice (:func:`lattice_spacing`) when at least this share of its rows
#: repeat another row's value: continuous values never do, rounded measurements and counts
#: do for most of their rows.
DEQUANTIZE_TIED_SHARE = 0.01

#: ... and at most this share of its rows lie off the lattice its repeated values span (a
#: few values recorded at another precision do not make a column continuous).
DEQUANTIZE_OFF_SHARE = 0.01

#: Ties are looked for first on at most this many rows drawn at fixed random positions, so
#: that a continuous column is not sorted for nothing. A lattice of m values shows about
#: 2000^2 / (2 m) repeats there: 40 for 50,000 values; beyond a million values (a lattice
#: so fine that even 10^6 rows hardly repeat) none may show, and the column is fitted as
#: it is, which so fine a lattice allows.
_TIE_PROBE_ROWS = 2_000

#: A value lies on the lattice when it is within this fraction of a step of a lattice
#: point: decimal steps such as 0.1 are not exact in binary floating point, and values
#: rounded then stored in single precision are off by up to 6e-8 of their size (1e-3 of a
#: step for values up to about 1,500 steps from the origin).
_LATTICE_TOL = 1e-3

#: The smallest gaps between repeated values tried as the step (see :func:`_lattice`).
_LATTICE_CANDIDATES = 8


@functools.lru_cache(maxsize=16)
def _probe_rows(n: int) -> np.ndarray:
    """The rows of a column of ``n`` rows that :func:`_lattice` probes for ties first: up to
    :data:`_TIE_PROBE_ROWS` drawn with a fixed seed, in order, each once (read-only: the
    same for every column of that length, so drawn once per length)."""
    at = np.sort(np.random.default_rng(0).integers(0, n, _TIE_PROBE_ROWS))
    rows = at[np.diff(at, prepend=-1) != 0]
    rows.setflags(write=False)
    return rows


def _lattice(col: np.ndarray) -> Optional[tuple[float, float]]:
    """``(h, a)``: the step and a point of the lattice ``a + h k`` that the values of
    ``col`` lie on (see :func:`lattice_spacing`), or ``None``."""
    n = col.size
    if n > _TIE_PROBE_ROWS:
        probe = col[_probe_rows(n)]
        if np.unique(probe).size == probe.size:
            return None
    values, counts = np.unique(col, return_counts=True)
    if values.size < 2 or n - values.size < DEQUANTIZE_TIED_SHARE * n:
        return None
    repeated = values[counts > 1]
    if repeated.size < 2:
        return None  # one repeated value amid distinct ones: a point mass, not a lattice
    a = float(values[np.argmax(counts)])
    # Candidate steps: the smallest gaps between successive repeated values (a value off
    # the lattice that repeats, such as a duplicated record or a detection limit, makes the
    # very smallest gap wrong); the coarsest that holds all but DEQUANTIZE_OFF_SHARE of the
    # rows is the lattice (a coarser candidate leaves whole levels off it, a finer one holds
    # the lattice too).
    gaps = np.unique(np.diff(repeated))
    for h in sorted(gaps[:_LATTICE_CANDIDATES], reverse=True):
        h = float(h)
        if not (math.isfinite(h) and h > 0):
            continue
        r = (values - a) / h
        on = np.abs(r - np.round(r)) <= _LATTICE_TOL
        if counts[~on].sum() > DEQUANTIZE_OFF_SHARE * n:
            continue
        # The step from the span of the repeated values on it: less rounding than one gap.
        held = repeated[np.abs((repeated - a) / h - np.round((repeated - a) / h)) <= _LATTICE_TOL]
        span = float(held[-1] - held[0])
        return (span / round(span / h) if span > 0 else h), a
    return None


def lattice_spacing(col: np.ndarray) -> Optional[float]:
    """The step ``h`` of the lattice ``a + h k`` (``k`` whole numbers) that the values of
    ``col`` lie on, when at least :data:`DEQUANTIZE_TIED_SHARE` of its rows repeat another
    row's value and at most :data:`DEQUANTIZE_OFF_SHARE` lie off the lattice its repeated
    values span; ``None`` otherwise (continuous values; a point mass amid continuous ones,
    such as the zeros of a rectified variable).

    Examples
    --------
    >>> import numpy as np
    >>> from gmmi._inputs import lattice_spacing
    >>> lattice_spacing(np.array([0.5, 1.0, 1.0, 2.5, 0.5, 1.5]))
    0.5
    >>> lattice_spacing(np.array([0.0, 0.0, 0.3, 1.7, 2.9])) is None
    True
    """
    found = _lattice(col)
    return None if found is None else found[0]


def _spread(col: np.ndarray, lattice: tuple[float, float], seed: int, name: str,
            j: int) -> np.ndarray:
    """Column ``j`` of variable ``name``, ``col``, with each value on its lattice ``(h, a)``
    (step, a point: :func:`_lattice`) moved by ``h (u - 1/2)``, ``u`` uniform: the draws
    depend on the seed, the variable's name and the column's place in it, not on the values
    (so that a column gets the same draws wherever it plays that variable: in a single
    estimate, a matrix's cell, the check of its fit), and two variables' draws are
    independent (a column and its copy spread alike would be a deterministic relation).
    Values off the lattice are left."""
    values = np.asarray(col, dtype=float)
    h, a = lattice
    r = (values - a) / h
    on = np.abs(r - np.round(r)) <= _LATTICE_TOL
    rng = np.random.default_rng([seed, zlib.crc32(name.encode()), j, 0x6465_7175])
    return np.where(on, values + h * (rng.random(values.size) - 0.5), values)


def dequantize(block: np.ndarray, seed: int, name: str
               ) -> tuple[np.ndarray, list[Optional[float]]]:
    """Spreads every column of variable ``name``'s ``block`` whose values lie on a lattice
    (see :func:`lattice_spacing`) uniformly over its cells: each value ``v`` becomes
    ``v + h (u - 1/2)``, ``u`` uniform on (0, 1). Returns the block (the same object when no
    column is on a lattice) and each column's step (``None``: left as it is).

    The value is recovered from its spread version by rounding, and the spread is
    independent of everything else, so the mutual information (and the conditional one) is
    unchanged, ``I(X + U; Y) = I(X; Y)``, for the rows on the lattice (the at most 1% off it,
    left where they are, may share a cell with spread ones). What changes is that the
    spread variable has a density, which a Gaussian mixture can fit (see
    :func:`dequantize_blocks` for where that matters).
    """
    lattices = [_lattice(block[:, j]) for j in range(block.shape[1])]
    return _spread_block(block, lattices, seed, name), _steps(lattices)


def _steps(lattices: list[Optional[tuple[float, float]]]) -> list[Optional[float]]:
    """The steps of lattices ``(h, a)`` (``None`` stays ``None``)."""
    return [None if found is None else found[0] for found in lattices]


def _spread_block(block: np.ndarray, lattices: list[Optional[tuple[float, float]]],
                  seed: int, name: str) -> np.ndarray:
    """``block`` with column ``j`` spread over its lattice ``lattices[j]`` (``None``: left;
    see :func:`_spread`), a copy; ``block`` itself when no column has one."""
    if all(found is None for found in lattices):
        return block
    out = np.array(block, dtype=float, copy=True)
    for j, found in enumerate(lattices[:block.shape[1]]):
        if found is not None:
            out[:, j] = _spread(block[:, j], found, seed, name, j)
    return out


#: A joint estimate spreads its lattice columns only when at least this many of its
#: variables have one (see :func:`dequantize_blocks`).
DEQUANTIZE_MIN_VARIABLES = 2


def dequantize_blocks(named: list[tuple[str, np.ndarray]], seed: int,
                      min_variables: int = DEQUANTIZE_MIN_VARIABLES,
                      ) -> tuple[list[np.ndarray], dict[str, list[Optional[float]]]]:
    """:func:`dequantize` of the named blocks (the variables of an estimate) when at least
    ``min_variables`` of them have a column on a lattice; the blocks, and the steps of those
    with a column spread, by name (empty when none is), as ``details["dequantized"]``
    records them.

    A joint mixture fits the levels of one discrete variable against continuous ones with
    components of no width in its columns, one per level, whose factor is the same in the
    joint density and in the variable's marginal and cancels: the MI is that of the levels
    (spread over their cells, a mixture would smooth the steps between them instead and
    read the MI a few hundredths of a nat low). With two variables on lattices it shrinks
    components onto lines of their joint lattice as well, which no marginal shares: those
    estimates were off by up to several nats. The continuous-categorical estimator fits one
    mixture per class, whose spikes on a shared level differ from class to class: there one
    variable on a lattice is enough (``min_variables=1``).
    """
    found = [(name, block, [_lattice(block[:, j]) for j in range(block.shape[1])])
             for name, block in named]
    spread = [(name, lattices) for name, _, lattices in found
              if any(f is not None for f in lattices)]
    if len(spread) < min_variables:
        return [block for _, block, _ in found], {}
    record = {name: _steps(lattices) for name, lattices in spread}
    return [_spread_block(block, lattices, seed, name) for name, block, lattices in found], record


#: The most cells :func:`lattice_cells` gives a column (beyond: ``None``, the column is
#: checked as it is): a lattice whose few repeated values lie far apart would otherwise ask
#: for millions of empty cells between them.
MAX_CHECK_CELLS = 100_000


def lattice_cells(col: np.ndarray, lattice: Optional[tuple[float, float]] = None,
                  ) -> Optional[np.ndarray]:
    """The edges of the cells ``a + h (k - 1/2)`` of the lattice the values of ``col`` lie
    on (:func:`lattice_spacing`; ``lattice``: its ``(h, a)`` as :func:`_lattice` found it,
    when the caller has it), from the cell below the lowest value to the cell above the
    highest, for the check of a fit that left the column as it is (see
    :func:`gmmi.checks.check_fit`); ``None`` when ``col`` is not on a lattice or would need
    more than :data:`MAX_CHECK_CELLS` cells.

    Examples
    --------
    >>> import numpy as np
    >>> from gmmi._inputs import lattice_cells
    >>> lattice_cells(np.array([0.0, 1.0, 1.0, 2.0, 2.0, 0.0]))
    array([-1.5, -0.5,  0.5,  1.5,  2.5,  3.5])
    >>> lattice_cells(np.array([0.1, 0.7, 0.3])) is None
    True
    """
    found = _lattice(col) if lattice is None else lattice
    if found is None:
        return None
    h, a = found
    k = np.round((np.asarray(col, dtype=float) - a) / h)
    lo, hi = float(k.min()) - 1.0, float(k.max()) + 1.0
    if hi - lo + 2 > MAX_CHECK_CELLS:
        return None
    return a + h * (np.arange(lo, hi + 2.0) - 0.5)


def redo_dequantization(details: dict[str, Any], named: list[tuple[str, np.ndarray]],
                        seed: int) -> list[np.ndarray]:
    """The blocks as an estimate with ``details`` (its ``"dequantized"`` record) and
    ``seed`` spread them: the same draws for the same rows (the check of a fit compares the
    mixture with the rows it was fitted to; other rows are spread with the recorded steps)."""
    record = details.get("dequantized") or {}
    return [_spread_block(block, [None if h is None else _recorded_lattice(block[:, j], h)
                                  for j, h in enumerate(record.get(name) or [])], seed, name)
            for name, block in named]


def _recorded_lattice(col: np.ndarray, h: float) -> tuple[float, float]:
    """The lattice of recorded step ``h`` for the values of ``col``: through the point
    :func:`_lattice` finds on them (the same rows as the estimate's: the same lattice), else
    through the first value."""
    found = _lattice(col)
    return float(h), float(col[0]) if found is None else found[1]


def _looks_discrete(block: np.ndarray) -> Optional[int]:
    """The first column of ``block`` that takes at most 20 values, each on 5 rows on
    average, all whole numbers or on a lattice (:func:`lattice_spacing`: rounded values);
    None if none does."""
    n = block.shape[0]
    for j in range(block.shape[1]):
        col = block[:, j]
        if not np.all(col == np.round(col)) and lattice_spacing(col) is None:
            continue  # continuous values: no sort of the whole column
        n_unique = np.unique(col).size
        if n_unique <= 20 and n_unique * 5 <= n:
            return j
    return None


#: A warning an input check found: its class and message.
Found = tuple[type[Warning], str]


def _issue(category: type[Warning], message: str, stacklevel: int,
           sink: Optional[list[Found]]) -> None:
    """A check's warning: appended to ``sink`` when the caller gives one (to raise it and
    keep it on the result, without the process-wide ``warnings.catch_warnings``, which
    would take other threads' warnings too), raised otherwise (``stacklevel`` counted from
    the check)."""
    if sink is not None:
        sink.append((category, message))
    else:
        warnings.warn(message, category, stacklevel=stacklevel + 1)


def warn_if_discrete(block: np.ndarray, name: str, flag: Optional[str],
                     advice: str = "", sink: Optional[list[Found]] = None) -> None:
    """Warn (DiscreteDataWarning) when ``block`` looks like labels: with ``flag``, the
    caller's option that declares ``name`` discrete; without one, ``advice`` (the call has
    no such option). With ``sink``, the warning is appended there instead (see
    :func:`_issue`), as for the other checks."""
    j = _looks_discrete(block)
    if j is None:
        return
    if block.shape[1] > 1:
        # A label within a variable of several columns: the discrete estimators take a
        # variable of one column, so the flag would be refused.
        _issue(
            DiscreteDataWarning,
            f"{name} column {j}: has few distinct values (whole numbers or a rounding's) and "
            f"looks discrete; it is fitted as continuous with {name}'s other columns, which "
            "a mixture does less well than a discrete estimator (a discrete variable is a "
            "single column of labels)",
            4, sink,
        )
        return
    what = f"pass {flag}=True" if flag is not None else advice
    _issue(
        DiscreteDataWarning,
        f"{name}: has few distinct values (whole numbers or a rounding's) and looks "
        f"discrete; if it is a label, {what} (so too for a variable of a few levels: a "
        "mixture fits them less well than the discrete estimator)",
        4, sink,
    )


def sparse_levels_message(n_levels: int, n: int, name: str) -> Optional[str]:
    """The message of a DiscreteDataWarning for a variable declared discrete with more levels
    than half its rows (fewer than two rows a level, as a continuous variable's values or an
    identifier's have), ``None`` otherwise: the plug-in MI of its table with another
    discrete variable is then mostly bias (it reaches the other's entropy, up to ``ln n``,
    whatever the dependence), which no resample of the rows estimates. The
    continuous-categorical estimator refuses such a label outright."""
    if n_levels <= n / 2:
        return None
    return (f"{name}: {n_levels} levels for {n} rows, fewer than two rows a level; the "
            "plug-in MI of so sparse a table is mostly its bias (it reaches the other "
            "variable's entropy whatever the dependence), and its interval does not hold that "
            "(is this variable really discrete? pass it as continuous, or merge its levels)")


#: What to do with a variable that looks discrete, for the calls without an option for it.
DISCRETE_ADVICE = {
    "mi": "note that pointwise MI takes no discrete variable (mutual_information(..., "
          "discrete_x=True) gives the MI of a label)",
    "cmi": "note that conditional MI takes no discrete variable: for a discrete z, average "
           "mutual_information(x, y) within each value of z, weighted by its frequency",
    "cmi-xy": "note that conditional MI takes no discrete x or y here (without z, "
              "mutual_information(..., discrete_x=True) gives the MI of a label; for a "
              "discrete z as well, that MI within each value of z, averaged by its "
              "frequency)",
    "entropy": "its entropy is the Shannon entropy of the labels' frequencies, not a "
               "differential entropy",
    "kl": "the KL divergence of two label distributions is a sum over the labels, not an "
          "integral of densities",
}


#: With ``standardize=False``, ``reg_covar`` is added to the covariances in the data's own
#: units: a column whose variance is below this multiple of it is regularised by a
#: noticeable share (300 rows of a bivariate Gaussian, truth 0.35 nat, estimated 0.405 at
#: unit variance: 0.391 at a variance 100 times ``reg_covar``, 0.106 at 1 times, 0.0001 at
#: 1/100).
UNSTANDARDISED_MARGIN = 1e4


def warn_if_scale_below_reg_covar(block: np.ndarray, name: str, opts: dict[str, Any],
                                  sink: Optional[list[Found]] = None,
                                  stacklevel: int = 4,
                                  margin: float = UNSTANDARDISED_MARGIN) -> None:
    """Warn (DegenerateWarning) when, with ``standardize=False``, a column of ``block`` has a
    variance within ``margin`` (UNSTANDARDISED_MARGIN) of ``reg_covar``: the
    regularisation, not the data, then sets the fitted covariances and the MI drops toward
    0 (``stacklevel`` counted from this function's caller's caller, as for
    :func:`_issue`)."""
    if opts.get("standardize", True):
        return
    var = block.var(axis=0)
    j = int(np.argmin(var))
    reg = float(opts["reg_covar"])
    if var[j] < margin * reg:
        col = f" column {j}" if block.shape[1] > 1 else ""
        _issue(
            DegenerateWarning,
            f"{name}{col}: variance {var[j]:.1e}, less than {margin:g} times "
            f"reg_covar={reg:g}; with standardize=False the regularisation is added in the "
            "data's units and sets the fitted covariances, which biases the estimate toward "
            "0: keep standardize=True (MI does not change under rescaling), rescale the data "
            "or lower reg_covar",
            stacklevel, sink,
        )


#: With ``standardize=True`` the regularisation ``reg_covar`` is added in units of each
#: column's standard deviation, which a few far values inflate: where it comes to more than
#: this share of the variance of the bulk of the values (the robust sd's square), it, not
#: the data, sets the spread of the components that fit the bulk.
REG_SHARE_OF_BULK = 0.01


def warn_if_reg_covar_swamps_bulk(block: np.ndarray, name: str, reg_covar: float,
                                  standardize: bool, stacklevel: int = 4,
                                  can_map: bool = False,
                                  sink: Optional[list[Found]] = None) -> None:
    """Warn (DegenerateWarning) when, with ``standardize``, ``reg_covar`` times a column's
    variance exceeds REG_SHARE_OF_BULK of the variance of its bulk (1.4826 MAD, squared):
    one value at 1e7 among 2,000 N(0, 1) values gives a standard deviation of 2.2e5, and
    reg_covar = 1e-10 of its square adds 5 to the bulk's variance of 1 (an entropy of 2.3
    nat for 1.4). Columns whose bulk has no spread (MAD 0) are left to the other checks.
    ``can_map``: the quantity is a mutual information, unchanged by a map of the variable."""
    if not standardize or block.shape[0] < 2:
        return
    # The core's standard deviation: NumPy's sums the squares and overflows from about
    # sqrt(1.8e308 / n) on (3e152 at n = 5,000), which read as "a few far values".
    sd = _core.column_std(np.asarray(block, dtype=np.float64))
    # The core's median and MAD, in linear time per column (NumPy's two partitions and
    # temporaries took 0.5 ms a column at 10,000 rows, a serial share of a call).
    robust = _core.column_robust_sd(np.asarray(block, dtype=np.float64))
    with np.errstate(divide="ignore", invalid="ignore"):
        share = reg_covar * sd**2 / robust**2
    bad = np.flatnonzero((robust > 0) & (share > REG_SHARE_OF_BULK))
    if bad.size == 0:
        return
    j = int(bad[0])
    col = f" column {j}" if block.shape[1] > 1 else ""
    _issue(
        DegenerateWarning,
        f"{name}{col}: a few far values make its standard deviation {sd[j]:.3g}, "
        f"{sd[j] / robust[j]:.3g} times the spread of the bulk of its values "
        f"({robust[j]:.3g}, from the median absolute deviation); reg_covar={reg_covar:g} is "
        f"added in units of that standard deviation ({reg_covar * sd[j] ** 2:.3g} in the "
        f"data's units) and swamps the bulk's variance ({robust[j] ** 2:.3g}), so the fitted "
        "spread is the regularisation's: remove the far values"
        + (", map the variable (MI is invariant under monotone maps: "
           "transform='gaussianize')," if can_map else "")
        + " or lower reg_covar",
        stacklevel, sink,
    )


#: A value is "far" beyond this many robust standard deviations (1.4826 MAD) from the
#: median, and a column is heavy-tailed when more than TAIL_FRACTION of its values are far:
#: a Cauchy sample has about 2% of its values beyond 20 robust sd, a log-normal (sigma = 1)
#: 0.2%, a Student t with 3 degrees of freedom 0.02%, a Gaussian none.
TAIL_SDS, TAIL_FRACTION = 20.0, 0.01


#: A column of which one value holds at least this share of the rows has no far values:
#: its median absolute deviation measures how far the median lies from that point mass (a
#: column just under half zeros: a MAD of 3e-4 put 36% of a half-normal "far"), not the
#: spread of its other values.
TAIL_MASS_SHARE = 0.25


def _far_values(block: np.ndarray) -> np.ndarray:
    """Which values of ``block`` (rows x columns) lie beyond TAIL_SDS robust standard
    deviations (1.4826 median absolute deviations) of their column's median; none in a column
    whose values are more than half tied or a quarter of whose rows hold one value
    (TAIL_MASS_SHARE; the tie checks speak for it). In the core: a selection per column
    instead of NumPy's two partitions and temporaries (0.13 against 0.84 ms for two columns
    of 10,000 rows), with the same flags; a column's values are counted only where more than
    TAIL_FRACTION of them are far."""
    far = _core.far_from_median(np.asarray(block, dtype=np.float64), TAIL_SDS)
    for j in np.flatnonzero(_heavy_columns(far)):
        _, counts = np.unique(block[:, j], return_counts=True)
        if counts.max() >= TAIL_MASS_SHARE * block.shape[0]:
            far[:, j] = False
    return far


def _heavy_columns(far: np.ndarray) -> np.ndarray:
    """The columns with more than TAIL_FRACTION of their values far (see _far_values)."""
    return np.mean(far, axis=0) > TAIL_FRACTION


def warn_if_heavy_tailed(block: np.ndarray, name: str, kept_by_auto: bool = False,
                         sink: Optional[list[Found]] = None) -> None:
    """Warn (HeavyTailWarning) when a column of ``block`` has heavy tails and is fitted as it
    is; ``kept_by_auto``: ``transform="auto"`` compared a map and kept the identity."""
    far_values = _far_values(block)
    heavy = np.flatnonzero(_heavy_columns(far_values))
    if heavy.size == 0:
        return
    j = int(heavy[0])  # the first heavy-tailed column speaks for the block
    far = float(np.mean(far_values[:, j]))
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
    _issue(
        HeavyTailWarning,
        f"{name}{col}: heavy tails ({100 * far:.1f}% of the values lie beyond "
        f"{TAIL_SDS:g} robust standard deviations of the median); a finite Gaussian "
        "mixture cannot model them, and the misfit can show up as spurious dependence "
        f"(independent Cauchy samples give ~0.1 nat). {advice}",
        4, sink,
    )


#: Heavy tails are shared by two variables when, for a heavy-tailed column of each, at least
#: JOINT_TAIL_ROWS rows, and JOINT_TAIL_EXCESS times as many as a Gaussian copula with the
#: columns' rank correlation would give, have a far value (see TAIL_SDS) in both. The copula
#: accounts for ordinary dependence: a monotone map of correlated Gaussians (which the
#: Gaussianising map undoes exactly) has as many rows far in both as that copula gives,
#: while the variables of a multivariate Student t with one degree of freedom share one
#: random scale and are far together 10-30 times as often as the copula allows. With several
#: columns a pair must also beat chance: the Chernoff bound of the Poisson tail of its count
#: below JOINT_TAIL_LEVEL divided by the number of pairs tested (a 3+3 block has nine).
JOINT_TAIL_ROWS, JOINT_TAIL_EXCESS, JOINT_TAIL_LEVEL = 5, 4.0, 1e-3

_NORMAL = NormalDist()


def _copula_both_far(p1: float, p2: float, r: float) -> float:
    """The share of rows with a far value in both columns (fractions ``p1`` and ``p2`` far,
    two-sided) that a Gaussian copula with correlation ``r`` gives: P(|Z1| > a1, |Z2| > a2)
    for standard normals with correlation r, a_i their two-sided p_i quantiles, by Simpson's
    rule over Z1 in [a1, a1 + 12] (doubled: Z1 < -a1 mirrors Z1 > a1)."""
    a1, a2 = _NORMAL.inv_cdf(1 - p1 / 2), _NORMAL.inv_cdf(1 - p2 / 2)
    s = math.sqrt(max(1.0 - r * r, 1e-12))
    z = np.linspace(a1, a1 + 12.0, 1201)

    def q(v: float) -> float:  # upper tail of the standard normal
        return 0.5 * math.erfc(v / math.sqrt(2.0))

    given = np.array([q((a2 - r * v) / s) + q((a2 + r * v) / s) for v in z])
    f = np.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi) * given
    w = np.ones(z.size)
    w[1:-1:2], w[2:-1:2] = 4.0, 2.0
    return float(2.0 * (z[1] - z[0]) / 3.0 * np.dot(w, f))


def _ranks(col: np.ndarray) -> np.ndarray:
    """Ranks 0..n-1 of the values of ``col`` (ties in order of appearance)."""
    r = np.empty(col.size)
    r[np.argsort(col, kind="stable")] = np.arange(col.size)
    return r


def shared_tails(x: np.ndarray, y: np.ndarray, far_x: np.ndarray, far_y: np.ndarray
                 ) -> Optional[tuple[int, float]]:
    """Whether a heavy-tailed column of ``x`` and one of ``y`` (blocks of rows, with their
    far values ``far_x`` and ``far_y`` from _far_values) have their far values on the same
    rows more often than their rank correlation explains (see JOINT_TAIL_ROWS): the number
    of such rows and the Gaussian copula's expectation for the first pair that does, else
    None."""
    heavy_x = np.flatnonzero(_heavy_columns(far_x)).tolist()
    heavy_y = np.flatnonzero(_heavy_columns(far_y)).tolist()
    n = x.shape[0]
    level = math.log(JOINT_TAIL_LEVEL / max(len(heavy_x) * len(heavy_y), 1))
    ranks: dict[tuple[int, int], np.ndarray] = {}  # per column, computed once when needed

    def ranked(block: int, k: int) -> np.ndarray:
        if (block, k) not in ranks:
            ranks[(block, k)] = _ranks((x, y)[block][:, k])
        return ranks[(block, k)]

    for i in heavy_x:
        for j in heavy_y:
            both = int(np.sum(far_x[:, i] & far_y[:, j]))
            if both < JOINT_TAIL_ROWS:
                continue
            rho = float(np.corrcoef(ranked(0, i), ranked(1, j))[0, 1])
            r = 2.0 * math.sin(math.pi * rho / 6.0)  # the Gaussian copula's correlation
            expected = n * _copula_both_far(float(np.mean(far_x[:, i])),
                                            float(np.mean(far_y[:, j])), r)
            if both >= JOINT_TAIL_EXCESS * expected and _log_poisson_tail(both, expected) < level:
                return both, expected
    return None


def _log_poisson_tail(k: int, lam: float) -> float:
    """The Chernoff bound of ln P(N >= k) for N ~ Poisson(lam), k > lam:
    -lam + k (1 + ln lam - ln k) (above the true log-probability)."""
    return -lam + k * (1.0 + math.log(max(lam, 1e-300)) - math.log(k))


def shared_tails_message(names: tuple[str, str], both: int, expected: float,
                         representation: str) -> str:
    """The HeavyTailWarning's message for the heavy tails ``shared_tails`` found."""
    return (
        f"{names[0]} and {names[1]}: heavy tails shared by the two variables ({both} rows lie "
        f"beyond {TAIL_SDS:g} robust standard deviations of the median in a column of each, "
        f"against {expected:.1f} for tails no more related than the ranks are). The mixture "
        f"was fitted after the {representation!r} map of each column, which tames each "
        "variable's tails but not the dependence their joint tails carry (variables "
        "extreme together, as in a multivariate Student t): a mixture with the few components "
        "the data support can miss part of it, and then the interval does not hold the truth "
        "(accuracy suite, multivariate Student t with one degree of freedom, 30 data sets a "
        "cell: 17 intervals of 30 held it with 3+3 columns at n = 1,000 and 28 at n = 5,000, "
        "26 with 2+2, 29-30 with 1+1). Compare with transform='identity' and with a larger "
        "n_components: the MI of the mapped fit grows with K there (five such data sets at "
        "n = 1,000: 0.17-0.27 nat at the K selected, 2-4, and 0.59-0.71 at K = 10; truth "
        "0.585), so the data do not pin it down."
    )


#: A value held by at least POINT_MASS_SHARE of a column's rows, and by at least
#: POINT_MASS_ROWS rows, while at least POINT_MASS_CONTINUOUS of them hold values of their
#: own, is a point mass beside a continuous part (a zero-inflated, rectified or censored
#: variable), not a lattice of levels (whose rows nearly all repeat a value). The count
#: keeps a value seen once (5% of 20 rows or fewer), or one coincidence, from being a mass:
#: every continuous pair of 20 rows or fewer was warned of.
POINT_MASS_SHARE, POINT_MASS_CONTINUOUS, POINT_MASS_ROWS = 0.05, 0.25, 3


def point_mass(block: np.ndarray) -> Optional[tuple[int, float, float]]:
    """The first column of ``block`` holding a point mass beside a continuous part (see
    POINT_MASS_SHARE): ``(column, value, share of rows)``, or None."""
    n = block.shape[0]
    # Every 1 in n / 1,000 rows first (a mass of 5% puts 50 +- 7 of them on its value; ordered
    # rows keep their proportions): a column without a value on 2% of those has none, and
    # is not sorted whole.
    stride = max(1, n // 1000)
    for j in range(block.shape[1]):
        if stride > 1:
            _, probe = np.unique(block[::stride, j], return_counts=True)
            if probe.max() < 0.02 * probe.sum():
                continue
        values, counts = np.unique(block[:, j], return_counts=True)
        k = int(np.argmax(counts))
        if (counts[k] >= max(POINT_MASS_ROWS, POINT_MASS_SHARE * n)
                and np.count_nonzero(counts == 1) >= POINT_MASS_CONTINUOUS * n):
            return j, float(values[k]), float(counts[k]) / n
    return None


def point_masses_message(names: tuple[str, str], found: tuple[tuple[int, float, float], ...],
                         multi: tuple[bool, bool]) -> str:
    """The DiscreteDataWarning of two variables that each hold a point mass beside
    continuous values (``found``: :func:`point_mass` of each; ``multi``: whether each has
    several columns, to name the column)."""
    where = [f"{name}{f' column {j}' if many else ''}: {share:.0%} of the rows at {value:g}"
             for name, (j, value, share), many in zip(names, found, multi)]
    return (f"{names[0]} and {names[1]} each hold a point mass beside continuous values "
            f"({'; '.join(where)}): a Gaussian mixture fits the masses, and the lines where "
            "one variable sits on its mass while the other varies, with components as narrow "
            "as reg_covar allows, and the estimate can be far off in either direction with "
            "an interval that misses the truth (pairs of zero-inflated Gaussians: independent "
            "ones read up to 0.12 nat). Compare transform='identity' and other "
            "representations, and where the mass is a state of its own (an absent or "
            "censored value), consider its indicator as a separate discrete variable")


def warn_if_point_masses(x: np.ndarray, y: np.ndarray, names: tuple[str, str] = ("x", "y"),
                         sink: Optional[list[Found]] = None) -> bool:
    """Warn (DiscreteDataWarning) when ``x`` and ``y`` each hold a point mass beside
    continuous values (:func:`point_mass`): a mixture's estimate of their MI is unreliable
    there (with one such variable the mass's narrow components cancel from the MI).
    Returns whether it warned."""
    fx = point_mass(x)
    if fx is None:
        return False
    fy = point_mass(y)
    if fy is not None:
        _issue(DiscreteDataWarning,
               point_masses_message(names, (fx, fy), (x.shape[1] > 1, y.shape[1] > 1)), 4,
               sink)
    return fy is not None


#: Rows that repeat another row exactly, as a share of the rows, from which a joint
#: estimate's data are warned of (DiscreteDataWarning): continuous values do not repeat
#: (columns on a lattice are spread over their cells first), and copies of records are point
#: masses to a mixture. The search's folds then hold copies of their held-out rows, and its
#: held-out score rewards components that sit on them: independent variables with every
#: row given three or five times read 0.03-0.06 and 0.37-0.53 nat (600 distinct rows,
#: four data sets each, K up to 50), while a random tenth to half of the rows given twice
#: moved nothing (2,000 rows, 0.000-0.006).
REPEATED_ROWS_SHARE = 0.25

#: Above this many rows, :func:`repeated_rows` looks at a seeded sample of this many first:
#: a share of REPEATED_ROWS_SHARE puts hundreds of pairs of copies in it (about
#: ``s^2 / 8 n`` at least, 125 at n = 10^7), and a sample without one ends the count.
_REPEAT_PROBE_ROWS = 100_000


def _row_keys(data: np.ndarray) -> np.ndarray:
    """A 64-bit key of each row's bits (equal rows, equal keys; distinct rows collide with
    probability about 2^-64 per pair)."""
    bits = np.ascontiguousarray(data, dtype=np.float64).view(np.uint64)
    key = np.zeros(bits.shape[0], dtype=np.uint64)
    for j in range(bits.shape[1]):
        key = key * np.uint64(0x9E3779B97F4A7C15) + bits[:, j]
        key ^= key >> np.uint64(29)
    return key


def repeated_rows(data: np.ndarray) -> int:
    """The number of rows of ``data`` (2-D) that repeat another row exactly (rows less
    distinct rows).

    Examples
    --------
    >>> import numpy as np
    >>> from gmmi._inputs import repeated_rows
    >>> repeated_rows(np.array([[0.0, 1.0], [0.0, 1.0], [0.0, 2.0], [0.0, 1.0]]))
    2
    """
    n = data.shape[0]
    if n > _REPEAT_PROBE_ROWS:
        probe = np.random.default_rng(0).choice(n, _REPEAT_PROBE_ROWS, replace=False)
        keys = np.sort(_row_keys(data[probe]))
        if not np.any(keys[1:] == keys[:-1]):
            return 0
    keys = _row_keys(data)
    ordered = np.sort(keys)  # (a sort of the keys alone, the common case: no repeat)
    if not np.any(ordered[1:] == ordered[:-1]):
        return 0
    order = np.argsort(keys, kind="stable")
    same = keys[order[1:]] == keys[order[:-1]]
    # (equal keys are equal rows but for a 2^-64 collision: compared, to be exact)
    at = np.flatnonzero(same)
    equal = np.all(data[order[at + 1]] == data[order[at]], axis=1)
    return int(np.count_nonzero(equal))


def repeated_rows_message(names: tuple[str, ...], repeats: int, n: int) -> str:
    """The DiscreteDataWarning of data whose rows repeat (see REPEATED_ROWS_SHARE)."""
    joined = (" and ".join(names) if len(names) < 3
              else f"{', '.join(names[:-1])} and {names[-1]}")
    return (f"{joined}: {repeats:,} of the {n:,} rows ({repeats / n:.0%}) repeat another "
            f"row exactly ({n - repeats:,} distinct rows): a Gaussian mixture reads a "
            "repeated row as a point mass, and the search can add components that sit on "
            "the copies and read dependence that is not there (independent variables with "
            "every row given five times: 0.4-0.5 nat). If the repeats are copies of the "
            "same records, pass the distinct rows (numpy.unique of the rows, axis=0); if "
            "values recur by nature (a point mass such as zeros, a detection limit), the "
            "estimate is unreliable there, and the mass's indicator is better taken as a "
            "discrete variable of its own; if the variables are discrete, pass them as such")


def repeated_rows_warning(data: np.ndarray, names: tuple[str, ...]) -> Optional[str]:
    """The DiscreteDataWarning's message when at least REPEATED_ROWS_SHARE of the rows of
    ``data`` (the joint rows as the mixture is fitted to them) repeat another row exactly,
    unless a column lies on a lattice (:func:`lattice_spacing`: rounded values fitted as
    they are, with ``transform="identity"``), whose rounding explains the repeats: two
    Gaussians recorded to one decimal (3,000 rows, 53-59% repeats) read 0.227 for 0.223, and
    the advice to keep the distinct rows would have changed them. None otherwise."""
    repeats = repeated_rows(data)
    if (repeats > 0 and repeats >= REPEATED_ROWS_SHARE * data.shape[0]
            and all(lattice_spacing(data[:, j]) is None for j in range(data.shape[1]))):
        return repeated_rows_message(names, repeats, data.shape[0])
    return None


def warn_if_repeated_rows(data: np.ndarray, names: tuple[str, ...],
                          sink: Optional[list[Found]] = None) -> None:
    """Warn (DiscreteDataWarning) of rows that repeat (:func:`repeated_rows_warning`)."""
    message = repeated_rows_warning(data, names)
    if message is not None:
        _issue(DiscreteDataWarning, message, 4, sink)


def warn_if_joint_tails(x: np.ndarray, y: np.ndarray, names: tuple[str, str] = ("x", "y"),
                        representation: str = "gaussianize",
                        sink: Optional[list[Found]] = None) -> None:
    """Warn (HeavyTailWarning) when ``x`` and ``y`` have heavy tails they share (see
    shared_tails): dependence carried by the joint tails, which a monotone map of each column
    does not remove (called when the mixture was fitted after the maps of ``representation``,
    the name of the chosen representation)."""
    found = shared_tails(x, y, _far_values(x), _far_values(y))
    if found is not None:
        _issue(HeavyTailWarning, shared_tails_message(names, *found, representation), 4,
               sink)


def encode_labels(
    a: Any, name: str, n_rows: Optional[int] = None, rows_of: str = "x"
) -> tuple[np.ndarray, list[Any]]:
    """Integer codes 0..C-1 and the sorted distinct labels of a discrete variable (its row
    count must be ``n_rows``, that of the argument ``rows_of``); labels of one type that
    have no total order (enum members, frozensets) in the order of their first appearance."""
    if a is None:
        raise TypeError(f"{name}: expected an array-like of labels, got None")
    raw = to_numpy(a, name)
    if isinstance(raw, (list, tuple)) and raw and (
            all(isinstance(v, tuple) for v in raw)
            or len({isinstance(v, str) for v in raw}) > 1):
        # Tuples are labels (hashable values), which np.asarray would read as the rows of a
        # 2-D array (and 1-tuples as their single values); a list mixing strings with other
        # labels would become strings (1 and "1" one class): both are kept as given.
        arr: np.ndarray = np.empty(len(raw), dtype=object)
        for row, label in enumerate(raw):
            arr[row] = label
    else:
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
    if arr.dtype.kind == "O":
        for i, v in enumerate(arr):
            try:
                hash(v)
            except TypeError:
                raise TypeError(f"{name}: label at row {i} is a {type(v).__name__}; labels must "
                                "be numbers, strings or other hashable values") from None
    try:
        uniques, codes = np.unique(arr, return_inverse=True)
        # Labels without a total order (sets: {1} and {2} are neither smaller nor larger)
        # sort into an order where equal labels need not be adjacent: the same label then
        # comes out as several classes.
        sorted_ok = arr.dtype.kind != "O" or len(set(uniques.tolist())) == len(uniques)
    except (TypeError, ArithmeticError):  # decimal.InvalidOperation is an ArithmeticError
        sorted_ok = False
    if not sorted_ok:
        if len({type(v) for v in arr}) > 1:
            raise TypeError(f"{name}: labels must be mutually comparable (got mixed types)") \
                from None
        # Labels of one type without an order (enum members, sets): classes in the order
        # of their first appearance.
        first: dict[Any, int] = {}
        codes = np.fromiter((first.setdefault(v, len(first)) for v in arr), dtype=np.int64,
                            count=arr.shape[0])
        return codes, list(first)
    return np.ascontiguousarray(codes.ravel(), dtype=np.int64), list(uniques.tolist())
