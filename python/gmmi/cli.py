"""The ``gmmi`` command line: ``gmmi demo``, ``gmmi estimate``, ``gmmi matrix`` and
``gmmi rank``.

Exit codes: 0 on success, 1 when the computation or the input fails (the message says what
to fix; for ``matrix`` and ``rank``, when no pair or feature could be estimated), 2 for a
usage error (an unknown option, or an option's value out of its range), 130 when
interrupted with Ctrl-C.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import re
import sys
import time
import warnings
import zipfile
import zlib
from collections.abc import Sequence
from typing import Any, Optional

import numpy as np

from ._core import __version__
from ._inputs import DISCRETE_ADVICE
from ._options import INITS, INTEGRALS, SELECTIONS, TRANSFORMS, estimator_options
from ._validation import as_block, check_level, plain, resolve_base, resolve_n_jobs, resolve_seed
from .estimators import _CONSTANT_WHY, mutual_information

__all__ = ["main"]



def _mc_samples(text: str) -> Any:
    """``--mc-samples``: ``auto`` or a whole number."""
    if text == "auto":
        return text
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected 'auto' or a whole number, got {text!r}") from None


def _progress_default(args: argparse.Namespace) -> bool:
    if getattr(args, "quiet", False):
        return False
    if not sys.stderr.isatty():
        return False
    try:
        import tqdm  # noqa: F401
    except ImportError:
        return False
    return True


def _print_result(r: Any, as_json: bool, extra: Optional[dict[str, Any]] = None) -> None:
    if as_json:
        out = r.to_dict()
        out.pop("model", None)
        if extra:
            out.update(extra)
        print(json.dumps(plain(out), indent=2, default=str, allow_nan=False))
    else:
        print(r)
        if extra:
            for k, v in extra.items():
                print(f"  {k}: {v}")


def _threads(n_jobs: Optional[int]) -> str:
    """What ``n_jobs`` ran on, for a wall time: every core, or so many threads."""
    jobs = resolve_n_jobs(n_jobs)
    if jobs is None:
        return f"{os.cpu_count() or 1} cores"
    return f"{jobs} thread{'' if jobs == 1 else 's'}"


def _cmd_demo(args: argparse.Namespace) -> int:
    from .datasets import D5_MI, load_d5

    x, y = load_d5()
    if not args.quiet and not args.json:
        which = "gmmi's defaults" if args.preset == "gmmi" else "the published defaults"
        print(f"gmmi {__version__} demo: the D5 mixture of Piras et al. (2023), n = {x.size}, "
              f"{which}")
    t0 = time.perf_counter()
    r = mutual_information(x, y, n_bootstrap=args.n_bootstrap, random_state=args.random_state,
                           n_jobs=args.n_jobs, progress=_progress_default(args),
                           preset=args.preset, transform=args.transform)
    elapsed = time.perf_counter() - t0
    z = (r.mean - D5_MI) / r.std if r.std > 0 else math.nan
    extra = {
        "truth": f"{D5_MI} nat",
        "error": f"{r.mean - D5_MI:+.4f} nat"
                 + (f" ({z:+.2f} std)" if math.isfinite(z) else " (no bootstrap: no std)"),
        "wall time": f"{elapsed:.2f} s on {_threads(args.n_jobs)}",
    }
    if args.json:
        _print_result(r, True, {"truth": D5_MI, "wall_time_s": elapsed})
    else:
        _print_result(r, False, extra)
    return 0


def _split_cols(spec: Optional[str], option: str) -> list[str]:
    """The column names or indices of ``option``'s comma-separated value ``spec``."""
    if spec is None:
        return []
    cols = [c.strip() for c in spec.split(",")]
    if not any(cols):
        raise ValueError(f"{option}: the column list {spec!r} is empty")
    if not all(cols):
        # (a stray comma was dropped before: "a,,b" estimated with a and b without a word)
        raise ValueError(f"{option}: the column list {spec!r} has an empty entry at position "
                         f"{cols.index('') + 1}")
    return cols


#: Cells read as a missing value (pandas' default markers, R's NA), after stripping spaces.
MISSING = frozenset({"", "NA", "N/A", "n/a", "NaN", "nan", "-NaN", "-nan", "NULL", "null",
                     "None", "#N/A", "#N/A N/A", "#NA", "<NA>", "-1.#IND", "-1.#QNAN", "1.#IND",
                     "1.#QNAN"})


class _Table:
    """Columns of a data file by name (or by 0-based index). ``blanks`` maps a column index
    to the first data row with a missing value (an empty cell or a marker such as NA) and
    the cell, ``words`` to the first data row whose cell is not a number (in a column that
    is not all numbers): such a column is refused where it is used as missing or as
    numbers. ``lines`` holds each data row's line in a text file (None: rows of an
    array), ``texts`` the cells as written there of the columns read as labels (None for
    the others, see :meth:`keep_texts`)."""

    def __init__(self, names: list[str], columns: list[np.ndarray],
                 blanks: Optional[dict[int, tuple[int, str]]] = None,
                 words: Optional[dict[int, tuple[int, str]]] = None,
                 lines: Optional[list[int]] = None,
                 texts: Optional[list[Optional[list[str]]]] = None) -> None:
        self.names = names
        self.columns = columns
        self.blanks = blanks or {}
        self.words = words or {}
        self.lines = lines
        self.texts = texts

    def where(self, row: int) -> str:
        """Where data row ``row`` is, for a message: its line in a text file."""
        return f"row {row}" if self.lines is None else f"line {self.lines[row]}"

    def labels(self, spec: str, option: str) -> np.ndarray:
        """The column ``spec`` (a header name or a 0-based index) names in ``option``, as the
        labels of a discrete variable: in a text file the cells as written (see
        :func:`_labels`), not as the numbers they may read as, which can merge labels
        (``02134`` and ``2134``, ``1`` and ``1.0``, identifiers beyond 2**53)."""
        i = self._index(spec, option)
        col = self._at(i)
        text = None if self.texts is None else self.texts[i]
        return col if text is None else _labels(text)

    def keep_texts(self, specs: list[str]) -> None:
        """Keeps the cells as written of the columns ``specs`` name (those read as labels)
        and lets the others' go: a large file's cells would otherwise stay in memory, as
        strings, through the estimate. A spec that names no column is left to the message of
        the option that gives it."""
        if self.texts is None:
            return
        wanted = set()
        for spec in specs:
            try:
                wanted.add(self._index(spec, ""))
            except ValueError:
                pass
        self.texts = [t if j in wanted else None for j, t in enumerate(self.texts)]

    def _at(self, i: int) -> np.ndarray:
        """Column ``i``, refused when it holds a missing value."""
        if i in self.blanks:
            row, cell = self.blanks[i]
            what = "an empty cell (a missing value)" if not cell.strip() else \
                f"a missing value ({cell.strip()!r})"
            raise ValueError(f"FILE: column {self.names[i]!r} has {what} at "
                             f"{self.where(row)}; fill or drop missing values first")
        return self.columns[i]

    def label(self, spec: str, option: str) -> str:
        """The header's name of the column ``spec`` names in ``option``."""
        return self.names[self._index(spec, option)]

    def numbers(self, spec: str, option: str, flags: str) -> np.ndarray:
        """The column ``spec`` of ``option`` as numbers, refusing a column that holds a cell
        that is not one (``flags``: the options that declare labels, for the message)."""
        i = self._index(spec, option)
        col = self._at(i)
        if col.dtype.kind not in "fiu":
            word = self.words.get(i)
            at = "" if word is None else f" ({word[1].strip()!r} at {self.where(word[0])})"
            advice = (DISCRETE_ADVICE["cmi"] if option == "--z"  # no flag declares a label z
                      else f"for labels use {flags}")
            raise ValueError(f"{option}: column {self.names[i]!r} is not numeric{at}; {advice}")
        bad = np.flatnonzero(~np.isfinite(col))
        if bad.size:
            raise ValueError(f"FILE: column {self.names[i]!r} has {col[bad[0]]} at "
                             f"{self.where(int(bad[0]))}; remove or impute non-finite values "
                             "first")
        return col

    def _index(self, spec: str, option: str) -> int:
        if spec in self.names:
            if self.names.count(spec) > 1:
                first = self.names.index(spec)
                raise ValueError(f"FILE: the header has the column name {spec!r} "
                                 f"{self.names.count(spec)} times; name the column by its "
                                 f"0-based index instead (the first is {first})")
            return self.names.index(spec)
        if re.fullmatch(r"-?[0-9]+", spec):
            i = int(spec)
            if -len(self.columns) <= i < len(self.columns):
                return i % len(self.columns)
        shown = ", ".join(repr(n) for n in self.names[:20])
        more = f" and {len(self.names) - 20} more" if len(self.names) > 20 else ""
        raise ValueError(f"{option}: column {spec!r} not found; the file has {shown}{more}"
                         f" (or give a 0-based index from -{len(self.names)} to "
                         f"{len(self.names) - 1})")


#: A whole number as a program writes one: no leading zeros, no "+", no spaces inside.
_PLAIN_INTEGER = re.compile(r"-?(0|[1-9][0-9]*)")


def _labels(cells: list[str]) -> np.ndarray:
    """A discrete column's labels from its cells as written (spaces around them stripped):
    integers when every cell is a whole number written plainly and within 64 bits, the
    cells' text otherwise, so that two labels are one class only when they are written
    alike (``1`` and ``1.0`` are two, as ``02134`` and ``2134`` are)."""
    text = [c.strip() for c in cells]
    if all(_PLAIN_INTEGER.fullmatch(t) for t in text):
        values = [int(t) for t in text]
        if all(-2**63 <= v < 2**63 for v in values):
            return np.array(values, dtype=np.int64)
    return np.array(text, dtype=object)


def _number(text: str) -> float:
    """The number a cell holds, as other CSV readers read it: Python's ``float`` without
    the digit separators of Python literals (``1_000`` is text for pandas and NumPy)."""
    if "_" in text:
        raise ValueError(f"not a number: {text!r}")
    return float(text)


def _column(values: list[str]) -> tuple[np.ndarray, Optional[int]]:
    """A column's cells as numbers, or as text with the first cell that is not a number
    (a missing-value marker aside)."""
    try:
        return np.array([_number(v) for v in values]), None
    except ValueError:
        first = None
        for i, v in enumerate(values):
            if v.strip() in MISSING:
                continue
            if not _is_number(v):
                first = i
                break
        return np.array(values, dtype=object), first


def _label_specs(*given: tuple[Optional[str], bool]) -> list[str]:
    """The column specs of the options ``(value, discrete)`` that are read as labels."""
    return [c.strip() for spec, discrete in given if discrete and spec for c in spec.split(",")]


def _read(path: str, labels_of: list[str]) -> _Table:
    """The table of the data file ``path``, keeping the cells as written of the columns
    ``labels_of`` names (:func:`_label_specs`)."""
    if not os.path.exists(path):
        raise FileNotFoundError(f"FILE: {path} does not exist")
    if os.path.isdir(path):
        raise ValueError(f"FILE: {path} is a directory, not a data file")
    try:
        table = _read_file(path)
    except OSError as exc:
        raise ValueError(f"FILE: cannot read {path}: {exc.strerror or exc}") from None
    table.keep_texts(labels_of)
    return table


def _array_columns(arr: np.ndarray, path: str, name: Optional[str] = None
                   ) -> tuple[list[str], list[np.ndarray]]:
    """Columns of a 1-D or 2-D array from a .npy/.npz file, named by index (or name[j])."""
    where = f"{path}" + (f" [{name}]" if name is not None else "")
    if arr.dtype.names:
        raise ValueError(f"FILE: {where} holds a structured array (fields "
                         f"{', '.join(arr.dtype.names)}); save its fields as the arrays of an "
                         ".npz (np.savez(path, **{f: arr[f] for f in arr.dtype.names})) or as "
                         "the columns of a 2-D array")
    if arr.ndim not in (1, 2):
        raise ValueError(f"FILE: {where} holds a {arr.ndim}-D array of shape {arr.shape}; "
                         "expected a 1-D or 2-D (rows x columns) array")
    if arr.ndim == 1:
        return [name if name is not None else "0"], [arr]
    labels = [f"{name}[{j}]" if name is not None else str(j) for j in range(arr.shape[1])]
    return labels, [arr[:, j] for j in range(arr.shape[1])]


def _load_numpy(path: str) -> _Table:
    """A .npy or .npz file, whatever its extension says (NumPy reads either by content)."""
    try:
        loaded = np.load(path, allow_pickle=False)
    except (ValueError, EOFError, zipfile.BadZipFile) as exc:
        kind = "an .npz" if path.lower().endswith(".npz") else "a .npy"
        raise ValueError(f"FILE: {path} is not {kind} file of numbers that NumPy can read "
                         f"({type(exc).__name__})") from None
    if isinstance(loaded, np.ndarray):
        return _Table(*_array_columns(loaded, path))
    if not hasattr(loaded, "files"):
        raise ValueError(f"FILE: {path} is not a .npy or .npz file of numbers")
    names: list[str] = []
    cols: list[np.ndarray] = []
    with loaded as z:
        for k in z.files:
            try:
                arr = z[k]
            except (ValueError, EOFError, OSError, zipfile.BadZipFile, zlib.error) as exc:
                raise ValueError(f"FILE: {path} [{k}] cannot be read by NumPy "
                                 f"({type(exc).__name__})") from None
            n, c = _array_columns(arr, path, k)
            names += n
            cols += c
    if not cols:
        raise ValueError(f"FILE: {path} holds no arrays")
    return _Table(names, cols)


def _is_number(text: str) -> bool:
    """Whether ``text`` reads as a number (NaN and infinities too)."""
    try:
        _number(text)
    except ValueError:
        return False
    return True


def _read_csv(path: str, delim: str) -> _Table:
    # A cell may be as long as the file (the csv module's default limit is 128 KiB).
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    try:
        # utf-8-sig drops the byte-order mark that Excel's "CSV UTF-8" writes.
        with open(path, newline="", encoding="utf-8-sig") as fh:
            reader = csv.reader(fh, delimiter=delim)
            # Blank lines (a trailing newline, a gap between blocks) are no rows, as for
            # pandas and NumPy; a row of empty cells (",") is a row of missing values, and
            # every record keeps the file line it ends on.
            records = [(reader.line_num, r) for r in reader
                       if not (len(r) == 0 or (len(r) == 1 and not r[0].strip()))]
    except UnicodeDecodeError as exc:
        raise ValueError(f"FILE: {path} is not UTF-8 text (byte {exc.start}: {exc.reason}); "
                         "save it as UTF-8") from None
    except csv.Error as exc:
        raise ValueError(f"FILE: {path} is not a valid CSV file ({exc})") from None
    if len(records) < 2:
        raise ValueError(f"FILE: {path} needs a header line and at least one data row")
    header = [h.strip() for h in records[0][1]]
    sep = "tab" if delim == "\t" else "comma"
    if len(header) == 1 and re.search(r"[;\t ]\S", header[0]):
        # One column whose name holds separators: the file is separated by something else
        # (a semicolon CSV, np.savetxt's spaces), and no estimate takes a single column.
        raise ValueError(f"FILE: {path} reads as a single column ({header[0][:60]!r}): it is "
                         f"not {sep}-separated; save it with {sep}s and a header line of "
                         "column names")
    if all(_is_number(h) for h in header) and not all(re.fullmatch(r"[+-]?\d+", h)
                                                       for h in header):
        # Column names that are all numbers, one of them not a whole number, are a first row
        # of data: taken as the header, it would be silently lost.
        raise ValueError(f"FILE: the first line of {path} holds numbers "
                         f"({', '.join(header)[:60]}), not column names; add a header line "
                         "(np.savetxt(path, data, delimiter=',', header='a,b,c', comments='') "
                         "writes one)")
    lines = [line for line, _ in records[1:]]
    body = [r for _, r in records[1:]]
    bad = next((i for i, r in enumerate(body) if len(r) != len(header)), None)
    if bad is not None:
        raise ValueError(f"FILE: line {lines[bad]} has {len(body[bad])} fields, the header "
                         f"has {len(header)}")
    blanks: dict[int, tuple[int, str]] = {}
    words: dict[int, tuple[int, str]] = {}
    columns = []
    texts: list[Optional[list[str]]] = []
    for j in range(len(header)):
        cells = [r[j] for r in body]
        texts.append(cells)
        missing = next((i for i, c in enumerate(cells) if c.strip() in MISSING), None)
        if missing is not None:
            blanks[j] = (missing, cells[missing])
        col, word = _column(cells)
        if word is not None:
            words[j] = (word, cells[word])
        columns.append(col)
    return _Table(header, columns, blanks, words, lines, texts)


def _read_file(path: str) -> _Table:
    lower = path.lower()
    if lower.endswith((".csv", ".tsv", ".txt")):
        return _read_csv(path, "\t" if lower.endswith(".tsv") else ",")
    if lower.endswith((".npy", ".npz")):
        return _load_numpy(path)
    if lower.endswith((".parquet", ".pq")):
        try:
            import pandas as pd

            df = pd.read_parquet(path)
        except ImportError as exc:
            raise ValueError("FILE: reading Parquet needs pandas and pyarrow "
                             "(pip install pandas pyarrow)") from exc
        return _Table([str(c) for c in df.columns], [df[c].to_numpy() for c in df.columns])
    raise ValueError(f"FILE: unknown file type of {path}; expected .csv, .txt, .tsv, .npy, "
                     ".npz, .parquet or .pq")


def _base(args: argparse.Namespace) -> Any:
    """``--base``: nat, bit or the number ``main`` already parsed."""
    return {"nat": math.e, "bit": 2.0}.get(args.base, args.base)


def _pairs_options(args: argparse.Namespace) -> dict[str, Any]:
    """The estimator and run options of ``matrix`` and ``rank`` from their arguments."""
    return {"n_bootstrap": args.n_bootstrap, "mc_samples": args.mc_samples,
            "preset": args.preset, "transform": args.transform, "integral": args.integral,
            "base": _base(args), "random_state": args.random_state, "n_jobs": args.n_jobs,
            "progress": _progress_default(args)}


def _save_plot(obj: Any, path: str) -> None:
    """Writes ``obj.plot()`` (a matrix's heatmap, a ranking's bars) to the file ``path``, in
    the format its extension names (PNG without one: the file is ``path`` itself, not
    ``path`` with ``.png`` added)."""
    import matplotlib

    matplotlib.use("Agg")
    ax = obj.plot()
    ax.figure.tight_layout()
    ext = os.path.splitext(path)[1].lower().lstrip(".")
    ax.figure.savefig(path, dpi=120, format=ext or "png")


def _block(table: _Table, spec: Optional[str], option: str, discrete: bool,
           flags: str) -> tuple[Optional[np.ndarray], list[str]]:
    """The columns ``spec`` of ``option`` as one block for ``estimate``, with their labels:
    numbers checked column by column and named by the file's header (a discrete variable:
    its one column of labels); None and no labels without ``spec``."""
    if spec is None:
        return None, []
    labels, cols = _columns(table, spec, discrete, flags, option, distinct=False)
    if discrete:
        if len(cols) != 1:
            raise ValueError(f"{option}: a discrete variable is a single column, got "
                             f"{len(cols)}")
        return cols[0], labels
    # The library's checks of a block (constant columns, spreads outside double precision),
    # under the name the user gave each column; a constant z in the library's own terms.
    why = _CONSTANT_WHY.get(option.lstrip("-"))
    z = option == "--z"  # no flag declares a label z: the advice of conditional MI
    return np.column_stack([
        as_block(col, f"{option} column {label!r}", is_column=True,
                 discrete_flags=None if z else flags,
                 discrete_advice=DISCRETE_ADVICE["cmi"] if z else "",
                 constant_why=why)[:, 0] for label, col in zip(labels, cols)]), labels


def _cmd_estimate(args: argparse.Namespace) -> int:
    if args.check and args.discrete_x and args.discrete_y:
        raise ValueError("--check: two discrete variables have no mixture to check (their "
                         "MI is the plug-in estimate of the table of counts)")
    _check_outputs(args)
    table = _read(args.file, _label_specs((args.x, args.discrete_x), (args.y, args.discrete_y)))
    flags = "--discrete-x / --discrete-y"
    x, _LABELS["x"] = _block(table, args.x, "--x", args.discrete_x, flags)
    y, _LABELS["y"] = _block(table, args.y, "--y", args.discrete_y, flags)
    z, _LABELS["z"] = _block(table, args.z, "--z", False, flags)
    r = mutual_information(
        x, y, z, discrete_x=args.discrete_x, discrete_y=args.discrete_y,
        n_components=args.n_components, n_bootstrap=args.n_bootstrap,
        mc_samples=args.mc_samples, integral=args.integral, selection=args.selection,
        init=args.init, base=_base(args), random_state=args.random_state, n_jobs=args.n_jobs,
        preset=args.preset, transform=args.transform, check=True if args.check else None,
        progress=_progress_default(args),
    )
    extra: Optional[dict[str, Any]] = None
    c = r.fit_check
    if args.check and c is not None and not args.json:
        # A failed check also raises its MisfitWarning (on stderr); the JSON has it as
        # ``fit_check`` already.
        extra = {"check": repr(c)}
    if args.save is not None:
        r.save(args.save)
    _print_result(r, args.json, extra)
    return 0


def _same_file(a: str, b: str) -> bool:
    """Whether paths ``a`` and ``b`` name one file (an existing one, or the same path)."""
    try:
        if os.path.exists(a) and os.path.exists(b):
            return os.path.samefile(a, b)
    except OSError:
        pass
    return os.path.realpath(a) == os.path.realpath(b)


def _check_outputs(args: argparse.Namespace) -> None:
    """Refuses, before any computation, output paths (``--out``, ``--plot``, ``--save``:
    those the subcommand has) that cannot be written as files, or that are the input FILE or
    each other (either would be overwritten)."""
    outputs: list[tuple[str, str]] = [(f"--{o}", getattr(args, o)) for o in ("out", "plot",
                                                                             "save")
                                       if getattr(args, o, None) is not None]
    for k, (option, path) in enumerate(outputs):
        _check_output(path, option)
        if _same_file(path, args.file):
            raise ValueError(f"{option}: {path} is the input FILE; writing it would destroy "
                             "the data: give another file name")
        for earlier, other in outputs[:k]:
            if _same_file(path, other):
                raise ValueError(f"{option}: {path} is also the {earlier} file; give two file "
                                 "names")


def _check_output(path: str, option: str) -> None:
    """Refuses, before any computation, an output path that cannot be a file."""
    if not path.strip():
        raise ValueError(f"{option}: expected a file name, got {path!r}")
    if option == "--plot":
        ext = os.path.splitext(path)[1].lower().lstrip(".")
        try:
            from matplotlib.backend_bases import FigureCanvasBase
        except ImportError:
            raise ValueError("--plot: needs matplotlib (pip install 'gmmi[plot]')") from None
        formats = FigureCanvasBase.get_supported_filetypes()
        if ext and ext not in formats:
            raise ValueError(f"--plot: matplotlib cannot write {path!r} ('.{ext}' files); "
                             f"use one of {', '.join('.' + f for f in sorted(formats))} "
                             "(no extension: PNG)")
    if os.path.isdir(path):
        name = {"--out": "mi.csv", "--save": "mi.json"}.get(option, "mi.png")
        raise ValueError(f"{option}: {path} is a directory; give a file name (say "
                         f"{os.path.join(path, name)})")
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise ValueError(f"{option}: the directory {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise ValueError(f"{option}: the directory {parent} is not writable")


def _columns(table: _Table, spec: str, discrete: bool, flags: str, option: str,
             distinct: bool = True) -> tuple[list[str], list[np.ndarray]]:
    """The columns ``spec`` (the value of ``option``) names (header names or 0-based
    indices) and their labels (the header's names), with ``distinct`` each at most once;
    continuous ones must be numeric (``flags``: the options that declare labels, for the
    message)."""
    names = _split_cols(spec, option)
    cols = [table.labels(n, option) if discrete else table.numbers(n, option, flags)
            for n in names]
    labels = [table.label(n, option) for n in names]
    for k, lab in enumerate(labels if distinct else []):
        if lab in labels[:k]:
            raise ValueError(f"{option}: the column {lab!r} is listed twice (results are "
                             "keyed by column name; a header name that repeats cannot be "
                             "told apart)")
    return labels, cols


def _cmd_rank(args: argparse.Namespace) -> int:
    from .pairs import _without_label, mi_ranking_of_columns

    _check_outputs(args)
    table = _read(args.file, _label_specs((args.features, args.discrete_features),
                                          (args.target, args.discrete_target)))
    flags = "--discrete-features / --discrete-target"
    labels, cols = _columns(table, args.features, args.discrete_features, flags,
                            "--features")
    if len(_split_cols(args.target, "--target")) != 1:
        raise ValueError(f"--target: expected one column, got {args.target!r}")
    (t_label,), (t_col,) = _columns(table, args.target, args.discrete_target, flags,
                                    "--target")
    if t_label in labels:
        raise ValueError(f"--target: the column {t_label!r} is also one of --features (its "
                         "MI with itself is not a score); leave it out of --features")
    r = mi_ranking_of_columns(
        labels, cols, t_label, t_col, discrete_features=args.discrete_features,
        discrete_target=args.discrete_target, level=args.level, check=args.check,
        options=_pairs_options(args),
        # The target named by the file's header, as ``estimate`` names its columns.
        names=("--features", f"--target column {t_label!r}", "--discrete-features",
               "--discrete-target"),
        warn_failures=False)  # every failed feature is printed below, with its reason
    checked = r.check_statistic is not None
    if args.out:
        with open(args.out, "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["rank", "feature", "mean", "std", "overlaps_next", "error"]
                       + (["check_statistic"] if checked else []))
            for k, f in enumerate(r.features):
                w.writerow([k + 1, f, r.mean[k], r.std[k], bool(r.overlaps_next[k]),
                            r.errors.get(f, "")]
                           + ([r.check_statistic[k]] if r.check_statistic is not None
                              else []))
    if args.plot:
        _save_plot(r, args.plot)
    if args.json:
        out: dict[str, Any] = {"target": t_label, "features": r.features,
                               "mean": plain(r.mean), "std": plain(r.std),
                               "overlaps_next": [bool(v) for v in r.overlaps_next],
                               "level": r.level, "unit": r.unit, "errors": r.errors}
        if r.check_statistic is not None:
            out["check_statistic"] = plain(r.check_statistic)
            out["check_threshold"] = r.check_threshold
        print(json.dumps(out, indent=2))
    else:
        print(f"target: {t_label}")
        print(repr(r))
        for f, e in r.errors.items():
            print(f"  failed: {f}: {_cli_text(_without_label(e, f))}", file=sys.stderr)
        if checked:
            bad = [f for f, m in zip(r.features, r.misfit) if m]
            print(f"check of every fit: {len(bad)} failed"
                  + "".join(f"\n  {f}" for f in bad))
    if len(r.errors) == len(r.features):
        print("gmmi: error: no feature could be scored: every one failed", file=sys.stderr)
        return 1
    return 0


def _cmd_matrix(args: argparse.Namespace) -> int:
    from .pairs import mi_matrix_of_columns

    _check_outputs(args)
    table = _read(args.file, _label_specs((args.a, args.discrete_a), (args.b, args.discrete_b)))
    flags = "--discrete-a / --discrete-b"
    a_labels, a_cols = _columns(table, args.a, args.discrete_a, flags, "--a")
    b = _columns(table, args.b, args.discrete_b, flags, "--b") if args.b else None
    if b is None and len(a_labels) < 2:
        raise ValueError("--a: one column has no pairs within --a; give two or more, or the "
                         "other side with --b")
    m = mi_matrix_of_columns(
        a_labels, a_cols, args.discrete_a, b, args.discrete_b, errors="nan", executor=None,
        block_size=None, miller_madow=False, check=args.check, options=_pairs_options(args),
        names=("--a", "--b", "--discrete-a", "--discrete-b"),
        warn_failures=False)  # every failed pair is printed below, with its reason
    if args.out:
        with open(args.out, "w", newline="") as fh:
            w = csv.writer(fh)
            checked = m.check_statistic is not None
            w.writerow(["row", "col", "mean", "std", "n_components", "error"]
                       + (["check_statistic"] if checked else []))
            for i, r in enumerate(m.row_labels):
                for j, c in enumerate(m.col_labels):
                    if m.symmetric and i == j:
                        continue
                    k = m.n_components[i, j]
                    w.writerow([r, c, m.mean[i, j], m.std[i, j],
                                int(k) if np.isfinite(k) else "",
                                m.errors.get((r, c), "")]
                               + ([m.check_statistic[i, j]] if m.check_statistic is not None
                                  else []))
    if args.plot:
        _save_plot(m, args.plot)
    if args.json:
        out: dict[str, Any] = {"rows": m.row_labels, "cols": m.col_labels,
                               "mean": plain(m.mean), "std": plain(m.std),
                               "unit": m.unit, "errors": [[r, c, e] for (r, c), e in
                                                          m.errors.items()]}
        if m.check_statistic is not None:
            out["check_statistic"] = plain(m.check_statistic)
            out["check_threshold"] = m.check_threshold
        print(json.dumps(out, indent=2))
    else:
        width = max(14, *(len(c) + 1 for c in m.col_labels))
        first = max(len(r) for r in m.row_labels) + 1
        nb = m.options["n_bootstrap"]
        print(f"MI ({m.unit}), {nb} bootstrap replicate{'s' if nb != 1 else ''}")
        print(" " * first + "".join(f"{c:>{width}}" for c in m.col_labels))
        for i, r in enumerate(m.row_labels):
            # No std without two replicates: the value alone.
            cells = ["—" if not np.isfinite(m.mean[i, j]) else
                     f"{m.mean[i, j]:.3f}±{m.std[i, j]:.3f}" if np.isfinite(m.std[i, j])
                     else f"{m.mean[i, j]:.3f}" for j in range(len(m.col_labels))]
            print(f"{r:<{first}}" + "".join(f"{c:>{width}}" for c in cells))
        for (r, c), e in m.errors.items():
            if m.symmetric and m.row_labels.index(r) > m.col_labels.index(c):
                continue  # the mirrored cell of a pair already listed
            print(f"  failed: ({r}, {c}): {_cli_text(e)}", file=sys.stderr)
        if m.check_statistic is not None:
            bad = [(m.row_labels[i], m.col_labels[j]) for i, j in zip(*np.nonzero(m.misfit))
                   if not (m.symmetric and i > j)]
            print(f"check of every fit: {len(bad)} failed"
                  + "".join(f"\n  ({r}, {c})" for r, c in bad))
    # A symmetric matrix's diagonal is no pair.
    off_diagonal = ~np.eye(*m.mean.shape, dtype=np.bool_) if m.symmetric else \
        np.ones(m.mean.shape, dtype=np.bool_)
    if not np.isfinite(m.mean[off_diagonal]).any():
        print("gmmi: error: no pair could be estimated: every one failed", file=sys.stderr)
        return 1
    return 0


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="gmmi",
        description="Mutual information with bootstrap error bars from Gaussian mixture models.",
    )
    p.add_argument("--version", action="version", version=f"gmmi {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    def common(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--n-bootstrap", type=int, default=None, metavar="N",
                        help="bootstrap replicates (default 50)")
        sp.add_argument("--preset", choices=("gmmi", "published"), default="gmmi",
                        help="option defaults: gmmi's (default; calibrated intervals) or the "
                             "published method's (to reproduce Piras et al. 2023)")
        sp.add_argument("--transform", choices=TRANSFORMS, default=None,
                        help="coordinates the mixture is fitted in: auto (gmmi: identity or a "
                             "Gaussianising map, by held-out likelihood), identity (published), "
                             "asinh, gaussianize")
        sp.add_argument("--random-state", type=int, default=0, metavar="SEED",
                        help="seed (default 0)")
        sp.add_argument("--n-jobs", type=int, default=None, metavar="N",
                        help="threads (default: all cores)")
        sp.add_argument("--json", action="store_true", help="print the result as JSON")
        sp.add_argument("--quiet", action="store_true", help="no progress bar")

    def integral_args(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--mc-samples", type=_mc_samples, default=None, metavar="N",
                        help="points per integral, or 'auto' (default: the preset's, "
                        "chosen from the integration error for gmmi, 100000 published)")
        sp.add_argument("--integral", choices=INTEGRALS, default=None,
                        help="default: the preset's (qmc for gmmi, mc published)")
        sp.add_argument("--base", default="nat", help="nat (default), bit, or a number")

    demo = sub.add_parser("demo", help="estimate the MI of a bundled data set and compare "
                                       "with the truth")
    common(demo)
    demo.set_defaults(subparser=demo, func=_cmd_demo)

    est = sub.add_parser("estimate", help="estimate the MI between columns of a file")
    est.add_argument("file", metavar="FILE", help=".csv, .tsv, .npy, .npz or .parquet")
    est.add_argument("--x", required=True, metavar="COLS", help="comma-separated columns of x "
                     "(names from the header, or 0-based indices; -1 is the last; a name "
                     "that holds a comma is given by its index)")
    est.add_argument("--y", required=True, metavar="COLS", help="columns of y")
    est.add_argument("--z", default=None, metavar="COLS", help="condition on these columns")
    est.add_argument("--discrete-x", action="store_true", help="x is categorical")
    est.add_argument("--discrete-y", action="store_true", help="y is categorical")
    est.add_argument("--save", default=None, metavar="JSON",
                     help="also write the whole result (model, replicates, options) for "
                          "gmmi.load in Python")
    est.add_argument("--n-components", type=int, default=None, metavar="K",
                     help="fix the number of components")
    integral_args(est)
    est.add_argument("--selection", choices=SELECTIONS, default=None,
                     help="default valid")
    est.add_argument("--init", choices=INITS, default=None,
                     help="default: the preset's (mixed for gmmi, random_sklearn published)")
    est.add_argument("--check", action="store_true",
                     help="also check the fit against the data, on up to 4,000 rows "
                          "(MIResult.check_fit; without it a pair with three or more "
                          "columns is checked on fewer rows, and only a failure is shown, "
                          "as a MisfitWarning on stderr)")
    common(est)
    est.set_defaults(subparser=est, func=_cmd_estimate)

    mat = sub.add_parser("matrix", help="MI between every column of --a and every column of "
                                        "--b (or every pair of --a)")
    mat.add_argument("file", metavar="FILE", help=".csv, .tsv, .npy, .npz or .parquet")
    mat.add_argument("--a", required=True, metavar="COLS",
                     help="comma-separated columns (names from the header, or 0-based "
                          "indices; a name that holds a comma is given by its index)")
    mat.add_argument("--b", default=None, metavar="COLS",
                     help="columns (default: every pair of --a)")
    mat.add_argument("--discrete-a", action="store_true", help="--a columns are categorical")
    mat.add_argument("--discrete-b", action="store_true", help="--b columns are categorical")
    integral_args(mat)
    mat.add_argument("--out", default=None, metavar="CSV", help="write a tidy CSV")
    mat.add_argument("--check", action="store_true",
                     help="also check every pair's fit against its data (MisfitWarning "
                          "names the pairs that fail)")
    mat.add_argument("--plot", default=None, metavar="PNG", help="write a heatmap")
    common(mat)
    mat.set_defaults(subparser=mat, func=_cmd_matrix)

    rank = sub.add_parser("rank", help="rank the --features columns by their MI with the "
                                       "--target column")
    rank.add_argument("file", metavar="FILE", help=".csv, .tsv, .npy, .npz or .parquet")
    rank.add_argument("--features", required=True, metavar="COLS",
                      help="comma-separated columns (names from the header, or 0-based "
                           "indices; a name that holds a comma is given by its index)")
    rank.add_argument("--target", required=True, metavar="COL", help="the target column")
    rank.add_argument("--discrete-features", action="store_true",
                      help="the features are categorical")
    rank.add_argument("--discrete-target", action="store_true",
                      help="the target is categorical (class labels)")
    rank.add_argument("--level", type=float, default=0.95,
                      help="coverage of the difference intervals behind '~ next' (default "
                           "0.95)")
    integral_args(rank)
    rank.add_argument("--out", default=None, metavar="CSV", help="write the ranking as CSV")
    rank.add_argument("--check", action="store_true",
                      help="also check every feature's fit against its data "
                           "(MisfitWarning names the features that fail)")
    rank.add_argument("--plot", default=None, metavar="PNG",
                      help="write the ranking as bars with their standard deviations")
    common(rank)
    rank.set_defaults(subparser=rank, func=_cmd_rank)
    return p


#: The library's option names that the command line spells as options of its own (each
#: translated only where the running subcommand has that option).
_FLAGS = ("n_bootstrap", "n_components", "mc_samples", "n_jobs", "random_state", "base",
          "level", "integral", "selection", "init", "transform", "preset")
_NAMES = "|".join(_FLAGS)

#: Quoted text (labels, values) and paths in a message, which are never translated.
_PROTECTED = re.compile(r"('[^']*'|\"[^\"]*\"|\S*[/\\]\S*)")

#: The command line's own messages ("FILE: ...", "--out: ..."), already in its terms (the
#: library's name a matrix's columns "--a column 'p'", not "--a: ...").
_OWN_MESSAGE = re.compile(r"^(FILE|--[a-z-]+):")

#: ``estimate``'s variables are its options --x, --y and --z (a matrix's pairs are not).
_ESTIMATE_VARIABLE = re.compile(r"^((?:x|y|z)(?:, (?:x|y|z))*): ")

#: A message's "but x has 500" (rows of another variable) in ``estimate``'s terms.
_ESTIMATE_ROWS_OF = re.compile(r"\bbut (x|y|z) has\b")

#: The subcommand being run and its option strings (set by :func:`_main`), and for
#: ``estimate`` the header's names of the columns of x, y and z (set by
#: :func:`_cmd_estimate`), for :func:`_cli_text`.
_COMMAND: Optional[str] = None
_COMMAND_OPTIONS: frozenset[str] = frozenset()
_LABELS: dict[str, list[str]] = {}

#: The library's "x column 1" of a block of several columns.
_BLOCK_COLUMN = re.compile(r"(?<![\w-])(x|y|z) column (\d+)(?=[: ,;)])")


def _flag(name: str) -> str:
    """The command line's spelling of the library's option ``name``."""
    return "--" + name.replace("_", "-")


def _cli_text(message: str) -> str:
    """A message of the library in the command line's terms: the options of the running
    subcommand as they are typed (``--n-bootstrap``, ``--discrete-y``, ``--integral
    quadrature``) where the library names its keyword arguments (``n_bootstrap``,
    ``discrete_y=True``), and for ``estimate`` a message about ``x``, ``y`` or ``z`` as
    one about ``--x``, ``--y`` or ``--z``. Options the subcommand does not have keep their
    Python names; quoted text (labels, values) and paths are left as they are, and so are
    the command line's own messages (``FILE: ...``, ``--option: ...``)."""
    if _OWN_MESSAGE.match(message):
        return message

    def option(name: str, text: str) -> str:
        return text if _flag(name) not in _COMMAND_OPTIONS else _flag(name)

    # "integral='quadrature'" (its value quoted): the option and its value.
    message = re.sub(rf"(?<![\w/.-])({_NAMES})='([\w-]+)'",
                     lambda m: (f"{_flag(m[1])} {m[2]}" if _flag(m[1]) in _COMMAND_OPTIONS
                                else m[0]), message)
    pieces = _PROTECTED.split(message)
    for k in range(0, len(pieces), 2):  # the pieces outside quotes and paths
        t = pieces[k]
        t = re.sub(r"(?<![\w-])discrete_(x|y|a|b|features|target)=True",
                   lambda m: option(f"discrete_{m[1]}", m[0]), t)
        t = re.sub(r"(--discrete-[a-z]+)=True", r"\1", t)  # a matrix's names are flags
        t = re.sub(r"(?<![\w-])check=True", lambda m: option("check", m[0]), t)
        t = re.sub(rf"(?<![\w.-])({_NAMES})(?=:|=| is\b| must\b)",
                   lambda m: option(m[1], m[0]), t)
        pieces[k] = re.sub(r"(--[a-z-]+)=(?=\d)", r"\1 ", t)
    message = "".join(pieces)
    if _COMMAND == "estimate":
        message = _ESTIMATE_VARIABLE.sub(
            lambda m: ", ".join(f"--{v}" for v in m[1].split(", ")) + ": ", message)
        message = _ESTIMATE_ROWS_OF.sub(lambda m: f"but --{m[1]} has", message)

        def column(m: re.Match[str]) -> str:
            labels = _LABELS.get(m[1], [])
            j = int(m[2])
            return f"--{m[1]} column {labels[j]!r}" if j < len(labels) else m[0]

        message = _BLOCK_COLUMN.sub(column, message)
    return message


def _check_options(args: argparse.Namespace) -> None:
    """Checks the options' values with the library's own checks before anything is read
    or computed; a bad value is a usage error (exit code 2) naming the option as typed."""
    given = {k: getattr(args, k) for k in ("n_bootstrap", "n_components", "mc_samples",
                                            "integral", "selection", "init", "transform")
             if getattr(args, k, None) is not None}
    try:
        estimator_options(preset=args.preset, **given)
        resolve_seed(args.random_state)
        resolve_n_jobs(args.n_jobs)
        if getattr(args, "base", None) is not None:
            resolve_base(_base(args))
        if getattr(args, "level", None) is not None:
            check_level(args.level)
    except (ValueError, TypeError) as exc:
        args.subparser.error(_cli_text(str(exc)))


def _show_warning(message: Warning | str, category: type[Warning], filename: str,
                  lineno: int, file: Any = None, line: Optional[str] = None) -> None:
    """Prints a warning as the command line's own line on stderr ("gmmi: HeavyTailWarning:
    ..."), without the source file and line of the library code that raised it, in the
    command line's terms (:func:`_cli_text`)."""
    print(f"gmmi: {category.__name__}: {_cli_text(str(message))}",
          file=sys.stderr if file is None else file)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Runs the command line; returns the exit code. Warnings are printed as
    ``gmmi: <WarningClass>: <message>`` lines on stderr."""
    global _COMMAND, _COMMAND_OPTIONS
    with warnings.catch_warnings():
        warnings.showwarning = _show_warning
        try:
            return _main(argv)
        finally:
            _COMMAND, _COMMAND_OPTIONS = None, frozenset()
            _LABELS.clear()


def _main(argv: Optional[Sequence[str]]) -> int:
    global _COMMAND, _COMMAND_OPTIONS
    parser = _parser()
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:
        parser.print_help(sys.stderr)
        return 2
    _COMMAND = args.command
    _COMMAND_OPTIONS = frozenset(o for action in args.subparser._actions
                                 for o in action.option_strings)
    if getattr(args, "base", None) not in (None, "nat", "bit"):
        try:
            args.base = float(args.base)
        except ValueError:
            args.subparser.error(f"--base: expected nat, bit or a number, got {args.base!r}")
    _check_options(args)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        print("gmmi: interrupted", file=sys.stderr)
        return 130
    except (ValueError, TypeError, ArithmeticError, ImportError, MemoryError) as exc:
        print(f"gmmi: error: {_cli_text(str(exc))}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # The reader of the output went away (`gmmi ... | head -1`): stop quietly, as Unix
        # tools do, and keep Python from reporting the failed flush of stdout at exit.
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):  # a stdout without a file descriptor
            pass
        return 0
    except OSError as exc:  # a file that cannot be read or written
        where = f": {exc.filename}" if exc.filename else ""
        print(f"gmmi: error: {exc.strerror or exc}{where}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
