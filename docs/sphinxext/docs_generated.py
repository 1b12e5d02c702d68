"""Pages generated from the installed gmmi when the documentation is built.

Written to ``docs/_generated/`` (not under version control) and included by the pages, so
that what they show (command-line help, the demo's output, the option presets, timings) is
what the installed version does, not a copy that can go stale.
"""

from __future__ import annotations

import contextlib
import io
import os
import platform
import re
import time
from pathlib import Path
from typing import Any


def _write(path: Path, text: str) -> None:
    """Writes ``text`` unless the file already holds it (so Sphinx rebuilds only what
    changed)."""
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


def _cli_output(args: list[str]) -> str:
    """What ``gmmi ARGS`` prints (help texts exit through SystemExit)."""
    from gmmi.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        try:
            main(args)
        except SystemExit:
            pass
    return out.getvalue()


def write_cli_pages(target: Path) -> None:
    """``gmmi --help``, the help of each subcommand, and the demo's output."""
    os.environ["COLUMNS"] = "92"  # argparse wraps its help to this width
    pages = {
        "help.txt": ["--help"],
        "help-demo.txt": ["demo", "--help"],
        "help-estimate.txt": ["estimate", "--help"],
        "help-matrix.txt": ["matrix", "--help"],
        "help-rank.txt": ["rank", "--help"],
        "demo.txt": ["demo", "--quiet"],
    }
    for name, args in pages.items():
        command = "gmmi " + " ".join(a for a in args if a != "--quiet")
        _write(target / name, f"$ {command}\n" + _cli_output(args))


def _value(v: Any) -> str:
    return "None" if v is None else f"`{v!r}`"


def write_preset_table(target: Path) -> None:
    """The option values of the two presets, read from gmmi (a Markdown table)."""
    from gmmi.estimators import OPTION_NAMES, preset_options

    gmmi_opts, published = preset_options("gmmi"), preset_options("published")
    lines = ['| option | `preset="gmmi"` (default) | `preset="published"` |',
             "| --- | --- | --- |"]
    for name in OPTION_NAMES:
        cells = []
        for opts in (gmmi_opts, published):
            cell = _value(opts[name])
            if name == "threshold_fit" and opts.get("auto_threshold"):
                cell = f"`min({opts[name]!r}, 0.1 / n)` on n rows"
            cells.append(cell)
        lines.append(f"| `{name}` | {cells[0]} | {cells[1]} |")
    _write(target / "presets.md", "\n".join(lines) + "\n")


#: The runs of the cost table: a label and the options given to mutual_information.
COST_RUNS: list[tuple[str, dict[str, Any]]] = [
    ("defaults", {}),
    ("`n_bootstrap=0`", {"n_bootstrap": 0}),
    ("`n_bootstrap=10`", {"n_bootstrap": 10}),
    ("`n_bootstrap=200`", {"n_bootstrap": 200}),
    ("`n_components=5` (no search)", {"n_components": 5}),
    ('`transform="identity"`', {"transform": "identity"}),
    ('`transform="gaussianize"`', {"transform": "gaussianize"}),
    ('`integral="quadrature"`', {"integral": "quadrature"}),
    ('`integral="mc"` (1e5 draws)', {"integral": "mc"}),
    ("`n_inits=10`", {"n_inits": 10}),
    ('`selection="bic"`', {"selection": "bic"}),
    ('`preset="published"`', {"preset": "published"}),
]


def write_cost_table(target: Path, repeats: int = 3) -> None:
    """Wall time of one estimate on the bundled D5 sample (n = 5,000) with the defaults and
    with one option changed at a time: the best of ``repeats`` runs, on this machine."""
    import numpy as np

    import gmmi
    from gmmi.datasets import D5_MI, load_d5

    x, y = load_d5()
    gmmi.mutual_information(x, y, n_bootstrap=2, random_state=0)  # warm up the thread pool
    rows = []
    base = None
    for label, options in COST_RUNS:
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            r = gmmi.mutual_information(x, y, random_state=0, **options)
            times.append(time.perf_counter() - t0)
        t = min(times)
        base = t if base is None else base
        std = "—" if np.isnan(r.std) else f"{r.std:.4f}"
        rows.append(f"| {label} | {t:.2f} s | {t / base:.1f} | {r.mean:.4f} | {std} | "
                    f"{r.n_components} |")
    header = ["| options | wall time | vs defaults | estimate (nat) | std | K |",
              "| --- | ---: | ---: | ---: | ---: | ---: |"]
    cores = os.cpu_count()
    note = (f"Measured when this page was built: gmmi {gmmi.__version__}, "
            f"{platform.machine()}, {cores} logical cores, the best of {repeats} runs of "
            f"`gmmi.mutual_information(x, y, random_state=0, ...)` on "
            f"`gmmi.datasets.load_d5()` (n = 5,000, truth {D5_MI} nat). Timings vary with "
            "the machine and its load; the ratios are the part to read.\n")
    _write(target / "costs.md", note + "\n" + "\n".join(header + rows) + "\n")


def write_layers(target: Path, pyproject: Path) -> None:
    """The layers of the Python package, from the import-linter contract in
    ``pyproject.toml`` (a numbered Markdown list, top layer first)."""
    text = pyproject.read_text()
    match = re.search(r"^layers = \[(.*?)^\]", text, flags=re.S | re.M)
    if match is None:
        raise RuntimeError(f"{pyproject}: no import-linter 'layers = [...]' list found")
    layers = re.findall(r'"([^"]+)"', match.group(1))
    lines = []
    for i, layer in enumerate(layers, 1):
        modules = ", ".join(f"`{m.strip()}`" for m in layer.split("|"))
        lines.append(f"{i}. {modules}")
    _write(target / "layers.md", "\n".join(lines) + "\n")


def write_all(docs: Path) -> None:
    target = docs / "_generated"
    target.mkdir(exist_ok=True)
    write_cli_pages(target)
    write_preset_table(target)
    write_cost_table(target)
    write_layers(target, docs.parent / "pyproject.toml")
