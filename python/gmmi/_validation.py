"""Input conversion and validation shared by every public function.

Every check raises ``ValueError`` or ``TypeError`` whose message starts with the name of the
offending argument, so a user can tell at once what to fix.
"""

from __future__ import annotations

import math
import numbers
import os
from typing import Any, Literal, Optional, Union, overload

import numpy as np

from . import _core

__all__ = [
    "as_block",
    "check_bool",
    "check_choice",
    "check_float",
    "check_int",
    "check_level",
    "check_memory",
    "check_real",
    "missing_label",
    "plain",
    "resolve_base",
    "resolve_n_jobs",
    "resolve_seed",
    "to_numpy",
    "unmask",
]


def to_numpy(a: Any, name: str = "data") -> Any:
    """NumPy data of the array-likes of the ecosystem, without importing their packages:
    pandas and polars objects and xarray DataArrays (``to_numpy``), anything NumPy converts
    (``__array__``, the buffer and array-interface protocols, sequences), and objects that
    only speak DLPack (``__dlpack__``: PyTorch, JAX and CuPy arrays on the CPU)."""
    if hasattr(a, "to_numpy") and not isinstance(a, np.ndarray):
        try:
            return a.to_numpy()
        except TypeError:
            return a
    if (hasattr(a, "__dlpack__") and not hasattr(a, "__array__")
            and not hasattr(a, "__array_interface__")):
        try:
            return np.from_dlpack(a)
        except (TypeError, RuntimeError, BufferError) as exc:
            raise TypeError(f"{name}: could not read the array through DLPack ({exc}); copy "
                            "it to the host first (for example .cpu() or .get())") from exc
    return a


def unmask(a: Any, name: str) -> Any:
    """The data of a numpy masked array without masked entries; refuses masked entries
    (numpy would silently use the values under the mask)."""
    if isinstance(a, np.ma.MaskedArray):
        n_masked = int(np.ma.count_masked(a))
        if n_masked:
            first = np.argwhere(np.ma.getmaskarray(a))[0]
            raise ValueError(f"{name}: is a masked array with {n_masked} masked value(s) (the "
                             f"first at row {first[0]}); drop those rows or fill them first")
        return np.ma.getdata(a)
    return a


def plain(obj: Any) -> Any:
    """``obj`` in plain Python types for JSON: dictionaries (keys as they are), lists and
    tuples (as lists), NumPy arrays (as nested lists) and scalars (as Python numbers), with
    None for every NaN or infinity (strict JSON has neither; ``json.dumps`` would write
    the bare tokens ``NaN`` and ``Infinity``)."""
    if isinstance(obj, dict):
        return {k: plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [plain(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return plain(obj.tolist())
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def _is_missing(v: Any) -> bool:
    """None, NaN (of any float type: Python's, NumPy's, ``decimal.Decimal``'s), NaT and
    pandas' ``NA`` / ``NaT`` (without importing pandas)."""
    if v is None:
        return True
    if isinstance(v, (float, np.floating)):
        return bool(v != v)
    if type(v).__name__ == "Decimal":
        return bool(v.is_nan())
    if isinstance(v, (np.datetime64, np.timedelta64)):
        return bool(np.isnat(v))
    return type(v).__name__ in ("NAType", "NaTType")


def missing_label(arr: np.ndarray) -> Optional[int]:
    """The first row of a 1-D label array holding a missing value (NaN, None, NaT,
    ``pandas.NA``), or None."""
    if arr.dtype.kind == "f":
        bad = ~np.isfinite(arr)
    elif arr.dtype.kind in "mM":
        bad = np.isnat(arr)
    elif arr.dtype.kind == "O":
        bad = np.fromiter((_is_missing(v) for v in arr), dtype=bool, count=arr.shape[0])
    else:
        return None
    return int(np.argmax(bad)) if bad.any() else None


def column_names(a: Any, name: str) -> list[str]:
    """Column labels of a pandas or polars frame or of a 2-D xarray DataArray (the
    coordinates of its second dimension), a Series' or 1-D DataArray's name, or
    ``name``/``name[i]`` for arrays."""
    cols = getattr(a, "columns", None)
    if cols is not None:
        return [str(c) for c in cols]
    dims, coords = getattr(a, "dims", None), getattr(a, "coords", None)
    if isinstance(dims, tuple) and len(dims) == 2 and coords is not None and dims[1] in coords:
        # An xarray DataArray: its columns are the coordinates of its second dimension.
        return [str(c) for c in np.asarray(coords[dims[1]].values).tolist()]
    series_name = getattr(a, "name", None) if hasattr(a, "to_numpy") else None
    arr = np.asarray(to_numpy(a, name)) if not isinstance(a, np.ndarray) else a
    if arr.ndim <= 1:
        return [str(series_name) if series_name is not None else name]
    return [f"{name}[{i}]" for i in range(arr.shape[1])]


def _missing_as_nan(arr: np.ndarray) -> Optional[np.ndarray]:
    """An object array of numbers with missing values (None, ``pandas.NA``) as floats with
    NaN for those, or None when a cell is neither a number nor missing."""
    if arr.dtype != object:
        return None
    cells = [math.nan if v is None or type(v).__name__ == "NAType" else v for v in arr.flat]
    try:
        return np.array(cells, dtype=np.float64).reshape(arr.shape)
    except (TypeError, ValueError, OverflowError):
        return None


def as_block(
    a: Any,
    name: str,
    *,
    n_rows: Optional[int] = None,
    rows_of: str = "x",
    allow_constant: bool = False,
    min_rows: int = 2,
    check_spread: bool = True,
    discrete_flags: Optional[str] = "discrete_x=True / discrete_y=True",
    discrete_advice: str = "",
    constant_why: Optional[str] = None,
    is_column: bool = False,
) -> np.ndarray:
    """Converts ``a`` to a C-contiguous float64 array of shape (n, k).

    1-D input is one column. Integer and float32 input is converted; booleans, complex
    numbers, strings and objects are refused, as are NaN/inf, empty input, a row count
    different from ``n_rows`` (the row count of the argument ``rows_of``) and (unless
    ``allow_constant``) constant columns, and (with ``check_spread``: data to fit, not
    points to evaluate) columns whose variance is outside double precision.
    ``discrete_flags``: the caller's options that declare labels, named where the data look
    like labels; None where the call has none, and ``discrete_advice`` says what to do
    instead. ``constant_why``: why a constant column is refused, in the caller's terms
    (default: what it means for a mutual information). ``is_column``: ``name`` names one
    column already (a column of a matrix of many pairs), so messages about a column do not
    add its position within ``a``.
    """
    if a is None:
        raise TypeError(f"{name}: expected an array-like of numbers, got None")
    if type(a).__module__.startswith("scipy.sparse"):
        raise TypeError(f"{name}: sparse input is not supported; pass a dense array "
                        "(for example X.toarray())")
    raw = to_numpy(a, name)
    raw = unmask(raw, name)
    try:
        arr = np.asarray(raw)
    except Exception as exc:  # pragma: no cover - exotic array-likes
        raise TypeError(f"{name}: could not be converted to an array ({exc})") from exc
    # Integers (or Python ints in an object array) beyond 2**53 can round to one double:
    # kept as given, to tell a column made constant by the conversion from a constant one.
    given = arr
    if arr.dtype == np.bool_:
        how = (f"pass them as a discrete variable ({discrete_flags}) or convert them to "
               "numbers explicitly" if discrete_flags is not None else discrete_advice)
        raise TypeError(f"{name}: boolean data are discrete; {how}")
    if np.issubdtype(arr.dtype, np.complexfloating):
        raise TypeError(f"{name}: complex numbers are not supported; pass real and imaginary "
                        "parts as separate columns")
    if arr.dtype.kind in "OUSV":
        try:
            arr = arr.astype(np.float64)
        except OverflowError as exc:
            raise ValueError(f"{name}: holds a number too large for double precision ({exc}); "
                             "rescale the data (mutual information does not change under "
                             "rescaling)") from None
        except (TypeError, ValueError) as exc:
            # Numbers with missing values (None, pandas.NA: a DataFrame's nullable column
            # beside others) are refused below as missing values, not as labels.
            numbers = _missing_as_nan(arr)
            if numbers is None:
                labels = (f"for labels use {discrete_flags}" if discrete_flags is not None
                          else f"if these are labels, {discrete_advice}")
                raise TypeError(
                    f"{name}: expected numbers, got an array of dtype {arr.dtype} that does "
                    f"not convert to float ({exc}; {labels})"
                ) from None
            arr = numbers
    if not (np.issubdtype(arr.dtype, np.number)):
        raise TypeError(f"{name}: expected numbers, got dtype {arr.dtype}")
    if arr.ndim == 0:
        raise ValueError(f"{name}: expected a 1-D or 2-D array, got a scalar")
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise ValueError(f"{name}: expected a 1-D or 2-D array, got {arr.ndim} dimensions "
                         f"(shape {arr.shape})")
    n, k = arr.shape
    if n == 0 or k == 0:
        what = (f"0 feature(s) (shape={arr.shape}) while a minimum of 1 is required"
                if arr.ndim == 2 and arr.shape[0] > 0 else f"shape {arr.shape}")
        raise ValueError(f"{name}: is empty ({what})")
    if n_rows is not None and n != n_rows:
        raise ValueError(f"{name}: has {n} rows but {rows_of} has {n_rows}; every variable "
                         "needs one row per sample")
    if n < min_rows:
        raise ValueError(f"{name}: at least {min_rows} rows are needed, got {n}")
    out = np.ascontiguousarray(arr, dtype=np.float64)

    named = is_column and k == 1  # ``name`` is the column itself

    def column(j: int) -> str:
        """Where column ``j`` is, for a message (nothing where ``name`` is the column)."""
        return "" if named else f"column {j} "

    finite = np.isfinite(out)
    if not finite.all():
        i, j = np.argwhere(~finite)[0]
        bad = "NaN" if np.isnan(out[i, j]) else str(out[i, j])
        where = f"row {i}" if named else f"row {i}, column {j}"
        raise ValueError(f"{name}: contains {bad} at {where}; remove or "
                         "impute non-finite values first")
    constant = out.max(axis=0) == out.min(axis=0)
    # Integers beyond 2**53 round to doubles, and distinct ones can become equal: a column
    # made constant, or one whose values merge (an offset of 2**58 took 967 distinct values
    # to 47), is refused rather than fitted as what it is not.
    beyond = np.abs(out).max(axis=0) >= 2.0**53  # (2**53 + 1 rounds to 2**53)
    if beyond.any() and given.dtype.kind in "iuO" and given.shape[0] == n:
        for j in map(int, np.flatnonzero(beyond)):
            col = given[:, j] if given.ndim == 2 else given
            ints = given.dtype.kind in "iu" or all(
                isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in col)
            if not ints:
                continue
            before = len(set(col.tolist()))
            after = np.unique(out[:, j]).size
            if after < before:
                merged = (f"all become {out[0, j]:.17g}" if after == 1 else
                          f"{before:,} distinct values become {after:,}")
                raise ValueError(
                    f"{name}: {column(j)}holds distinct integers that double precision cannot "
                    f"tell apart ({merged}); subtract an offset or rescale them (mutual "
                    "information does not change under either)")
    if not allow_constant and constant.any():
        j = int(np.argmax(constant))
        why = constant_why or "the mutual information of a constant with anything is 0"
        raise ValueError(
            f"{name}: {column(j)}is constant; {why}, and a density cannot be fitted to it: "
            "drop the column"
        )
    if not check_spread:
        return out
    std = _core.column_std(out)  # the core's column moments
    bad = ~constant & ~((std >= MIN_SCALE) & (std <= MAX_SCALE))  # NaN: overflowed
    if bad.any():
        j = int(np.argmax(bad))
        raise ValueError(
            f"{name}: {column(j)}has a standard deviation of {std[j]:.1e}, whose square (a "
            "covariance in the data's units) is outside double precision; rescale it to a "
            f"spread between {MIN_SCALE:g} and {MAX_SCALE:g} (mutual information does not "
            "change under rescaling)"
        )
    return out


#: Standard deviations a column may have (the core's): their squares stay normal, finite
#: doubles.
MIN_SCALE: float = _core.MIN_SCALE
MAX_SCALE: float = _core.MAX_SCALE


#: The largest integer any option accepts unless it sets its own bound: the core counts in
#: 64-bit integers.
INT_MAX = 2**63 - 1
#: More threads than this only adds overhead (a Python-side bound: the core has none).
MAX_JOBS = 1024

#: The most cells a dense contingency table of discrete-discrete MI is built for (80 MB);
#: beyond, ``details["table"]`` is None and ``details["table_cells"]`` holds the non-empty
#: cells as rows ``(x index, y index, count)``.
MAX_DENSE_TABLE = 10_000_000


def check_block_columns(blocks: list[tuple[str, np.ndarray]],
                        expected: Optional[list[int]]) -> None:
    """Refuses samples whose blocks (``(name, array)`` in the estimate's order) do not have
    the column counts of the estimate's variables (``details["block_columns"]``; nothing is
    checked when it is None)."""
    if expected is None:
        return
    for (name, b), k in zip(blocks, expected):
        if b.shape[1] != int(k):
            raise ValueError(f"{name}: has {b.shape[1]} columns, but the estimate's "
                             f"{name} had {int(k)}")


def joint_blocks(result: Any, x: Any, y: Any, z: Any, *, purpose: str,
                 min_rows: int, as_fitted: bool = False) -> list[np.ndarray]:
    """The samples ``x``, ``y`` (and ``z``, for a conditional MI result and only for one) of
    a joint GMM estimate of (conditional) mutual information as 2-D blocks, each with at
    least ``min_rows`` rows and all with the estimate's column counts; ``purpose`` names
    what needs them in the refusal of any other result. With ``as_fitted`` (samples that
    stand for those the estimate was fitted to, as in the check of its fit) a constant
    column or a spread the estimator would refuse is refused too."""
    if result.estimator != "gmm" or result.model is None or result.quantity not in (
            "mutual_information", "conditional_mutual_information"):
        raise ValueError(
            f"result: {purpose} needs the joint estimate of a (conditional) mutual "
            f"information between continuous variables; this is a {result.estimator!r} "
            f"estimate of {result.quantity!r}")
    conditional = result.quantity == "conditional_mutual_information"
    if conditional and z is None:
        raise ValueError("z: this is a conditional MI result; give the samples of z too")
    if not conditional and z is not None:
        raise ValueError("z: this result is not conditional; z must be None")
    named = [("x", x), ("y", y)] + ([("z", z)] if conditional else [])
    blocks: list[np.ndarray] = []
    for name, value in named:
        blocks.append(as_block(
            value, name, n_rows=blocks[0].shape[0] if blocks else None,
            allow_constant=not as_fitted, min_rows=min_rows, check_spread=as_fitted,
            discrete_flags=None,
            discrete_advice=f"{purpose} takes the continuous samples the estimate was "
                            "fitted to"))
    check_block_columns([(name, b) for (name, _), b in zip(named, blocks)],
                        result.details.get("block_columns"))
    return blocks


def memory_bound() -> int:
    """Bytes one array may take: half the physical memory (16 GiB where it is unknown)."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # pragma: no cover - non-POSIX
        total = 32 << 30
    return max(total // 2, 1 << 30)


def check_memory(name: str, nbytes: int, advice: str) -> None:
    """Refuses, naming ``name``, a request for more than :func:`memory_bound` bytes."""
    bound = memory_bound()
    if nbytes > bound:
        raise ValueError(f"{name}: would need {nbytes / 2**30:,.1f} GiB of memory, more than "
                         f"the {bound / 2**30:,.1f} GiB allowed (half of this machine's); "
                         f"{advice}")


@overload
def check_int(
    value: Any,
    name: str,
    *,
    minimum: int = 0,
    maximum: int = INT_MAX,
    advice: str = "",
    allow_none: Literal[False] = False,
) -> int: ...
@overload
def check_int(
    value: Any,
    name: str,
    *,
    minimum: int = 0,
    maximum: int = INT_MAX,
    advice: str = "",
    allow_none: bool,
) -> Optional[int]: ...
def check_int(
    value: Any,
    name: str,
    *,
    minimum: int = 0,
    maximum: int = INT_MAX,
    advice: str = "",
    allow_none: bool = False,
) -> Optional[int]:
    """An integer in [``minimum``, ``maximum``] (``None`` if allowed); bools are refused.

    ``advice`` is appended to the message when the value exceeds ``maximum``.
    """
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        if isinstance(value, float) and value.is_integer() and math.isfinite(value):
            value = int(value)
        else:
            raise TypeError(f"{name}: expected an integer, got {value!r}")
    value = int(value)
    if value < minimum:
        raise ValueError(f"{name}: must be at least {minimum}, got {value}")
    if value > maximum:
        raise ValueError(f"{name}: must be at most {maximum:,}, got {value:,}"
                         + (f"; {advice}" if advice else ""))
    return value


def _as_float(value: Any, name: str) -> float:
    """``float(value)``, with an integer too large for a double (``10**400``) refused by a
    ``ValueError`` naming the argument instead of a bare ``OverflowError``."""
    try:
        return float(value)
    except OverflowError:
        # (its digits from its bits: str() of an integer of more than 4,300 digits raises)
        digits = int(int(value).bit_length() * math.log10(2)) + 1
        raise ValueError(f"{name}: must be finite, got an integer too large for a double "
                         f"(about {digits} digits)") from None


@overload
def check_float(
    value: Any,
    name: str,
    *,
    minimum: float = 0.0,
    strict: bool = True,
    allow_none: Literal[False] = False,
) -> float: ...
@overload
def check_float(
    value: Any, name: str, *, minimum: float = 0.0, strict: bool = True, allow_none: bool
) -> Optional[float]: ...
def check_float(
    value: Any,
    name: str,
    *,
    minimum: float = 0.0,
    strict: bool = True,
    allow_none: bool = False,
) -> Optional[float]:
    """A finite float > ``minimum`` (>= when not ``strict``); ``None`` if allowed."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name}: expected a number, got {value!r}")
    value = _as_float(value, name)
    if not math.isfinite(value):
        raise ValueError(f"{name}: must be finite, got {value}")
    if value < minimum or (strict and value == minimum):
        rel = ">" if strict else ">="
        raise ValueError(f"{name}: must be {rel} {minimum}, got {value}")
    return value


def check_real(value: Any, name: str, *, allow_none: bool = False) -> Any:
    """A finite real number (``None`` if allowed): the type of a numeric option, whose sign
    and size the core checks (see :mod:`gmmi._options`)."""
    return check_float(value, name, minimum=-math.inf, allow_none=allow_none)


def check_level(level: Any, name: str = "level") -> float:
    """A coverage probability in (0, 1): any real number type, NumPy's included (bools
    refused)."""
    if (isinstance(level, (bool, np.bool_)) or not isinstance(level, numbers.Real)
            or not 0 < _as_float(level, name) < 1):
        raise ValueError(f"{name}: expected a number in (0, 1), got {level!r}")
    return float(level)


def percent(level: float) -> str:
    """A coverage as a percentage for a label, to the digits given (0.95: ``95%``, 0.975:
    ``97.5%``, 0.999: ``99.9%``; ``{:.0%}`` would say 98% and 100%)."""
    return f"{100 * level:.10g}%"


def check_bool(value: Any, name: str) -> bool:
    """A real boolean (numpy booleans accepted)."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise TypeError(f"{name}: expected True or False, got {value!r}")


def check_choice(value: Any, name: str, choices: tuple[str, ...]) -> str:
    """One of ``choices``."""
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name}: expected one of {', '.join(map(repr, choices))}, got {value!r}")
    return value


def check_unit(unit: Any, name: str = "unit") -> str:
    """A result's unit as :func:`resolve_base` names it (``"nat"``, ``"bit"``, ``"ban"`` or
    ``"log<base>"``): a result built by hand or read from a file with another one would print
    and convert its values under a unit that is not a logarithm's."""
    try:
        ok = isinstance(unit, str) and resolve_base(unit)[1] == unit
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(f"{name}: expected 'nat', 'bit', 'ban' or 'log<base>' (base > 1), "
                         f"got {unit!r}")
    return unit


def resolve_base(base: Union[float, str]) -> tuple[float, str]:
    """The logarithm base as (ln(base), unit name)."""
    if isinstance(base, str):
        key = base.lower()
        if key in ("nat", "nats", "e"):
            return 1.0, "nat"
        if key in ("bit", "bits", "2"):
            return math.log(2.0), "bit"
        if key in ("ban", "bans", "dit", "10"):
            return math.log(10.0), "ban"
        if key.startswith("log"):  # a result's unit for another base: "log3"
            try:
                return resolve_base(float(key[3:]))
            except ValueError:
                pass
        raise ValueError(f"base: expected a number > 1, 'nat' or 'bit', got {base!r}")
    b = check_float(base, "base", minimum=1.0)
    assert b is not None
    if abs(b - math.e) < 1e-12:
        return 1.0, "nat"
    if b == 2.0:
        return math.log(2.0), "bit"
    if b == 10.0:
        return math.log(10.0), "ban"
    # The shortest text that reads back as the same base (1.0000000000000002 is not "log1").
    return math.log(b), f"log{b:g}" if float(f"{b:g}") == b else f"log{b!r}"


def resolve_seed(random_state: Any) -> int:
    """A seed in [0, 2**64) from ``None`` (fresh 63-bit entropy), an int or a numpy Generator."""
    if random_state is None:
        return int(np.random.SeedSequence().generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(0, 2**63 - 1))
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(0, 2**31 - 1))
    if isinstance(random_state, bool) or not isinstance(random_state, numbers.Integral):
        raise TypeError(
            f"random_state: expected None, a non-negative integer or a numpy Generator, got "
            f"{random_state!r}"
        )
    seed = int(random_state)
    if seed < 0 or seed >= 2**64:
        raise ValueError(f"random_state: must be in [0, 2**64), got {seed}")
    return seed


def resolve_n_jobs(n_jobs: Any) -> Optional[int]:
    """``None`` for every core, else the number of threads (-1: every core)."""
    if n_jobs is None:
        return None
    n = check_int(n_jobs, "n_jobs", minimum=-1, maximum=MAX_JOBS,
                  advice="more threads than cores only adds overhead")
    assert n is not None
    if n == 0:
        raise ValueError("n_jobs: must be a positive number of threads, or -1 / None for all cores")
    if n == -1:
        return os.cpu_count() or 1
    return n
