"""The estimator's automatic check of its fit under two rules, on the same estimates.

``mutual_information`` checks the fit of a pair of three or more columns by itself (its
``check`` option): a KSG statistic on 1,000 rows per component of the mixture, a second look
on up to 4,000 rows near the threshold, and, when the data show more dependence than the
mixture's draws, larger mixtures whose MI the interval then also holds
(``misfit_extension``). The estimate itself does not depend on the rule, so two rules are
compared here on one estimate per data set (``check=False``), each rule's looks and
extension made afterwards with the functions the estimator calls:

- ``before``: the rule of session 54, the package's threshold and looks with the KSG's
  3 neighbours (``k``) instead of the package's default (``gmmi.checks.default_check_k``,
  10 from 101 rows). (Up to commit 652b424 ``before`` was the rule up to session 53: a
  two-sided 0.2% threshold of Student t with 15 degrees of freedom, 3.73, and a second look
  only after a first look that passed. The committed results say which commit made them.)
- ``now``: the package's rule (``gmmi.checks``: its threshold and ``k``, a second look after
  any first look beyond ``AUTO_CHECK_SECOND_LOOK``, passed or failed).

For each task and n it reports how often the 95% interval holds the truth under each rule,
how many checks fail, and the time of the checks. Data sets are those of
``benches/accuracy.py`` (the same seeds for the same ``--seed-offset``).

Usage::

    python benches/check_rules.py --tasks 'bn-spiral-*' --held-out --seed-offset 81000
    python benches/check_rules.py --tasks 'gauss-[235]+*,student-nu*-3+3' --out /tmp/rules
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import fnmatch
import functools
import json
import platform
import shlex
import sys
import time
import warnings
import zlib
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, Optional

import numpy as np

import gmmi
from gmmi import checks

sys.path.insert(0, str(Path(__file__).resolve().parent))
import accuracy_tasks

#: The rule before session 55: its threshold (None: the package's), whether a first look
#: that failed was looked at again, and the KSG's neighbours (None: the package's default).
BEFORE: tuple[Optional[float], bool, Optional[int]] = (None, True, 3)


@functools.cache
def _tasks() -> dict[str, accuracy_tasks.Task]:
    """The tasks of ``benches/accuracy.py`` by name, built once per process."""
    return {t.name: t for t in accuracy_tasks.build_tasks()}


def _data_seed(task: str, n: int, rep: int, offset: int) -> int:
    """The data seed of ``benches/accuracy.py`` (zlib.crc32 of task, n and replicate)."""
    return zlib.crc32(f"{task}|{n}|{rep + offset}".encode())


def _rule(result: gmmi.MIResult, x: np.ndarray, y: np.ndarray, n: int,
          threshold: Optional[float], again_after_failure: bool,
          k: Optional[int] = None) -> dict[str, Any]:
    """The estimator's automatic check of ``result`` under a rule: its looks with ``k``
    neighbours (None: the package's default), its verdict at ``threshold`` (None: the
    package's) and, after a failure with the data showing more dependence, the extension
    and the interval that holds its value."""
    def at_threshold(found: checks.FitCheck) -> checks.FitCheck:
        return found if threshold is None else dataclasses.replace(found, threshold=threshold)

    start = time.perf_counter()
    rows = min(checks.CHECK_MAX_ROWS,
               checks.AUTO_CHECK_ROWS_PER_COMPONENT * int(result.n_components or 1))
    found = at_threshold(checks.check_fit(result, x, y, None, max_rows=rows, k=k, n_jobs=1,
                                          warn=False))
    seed, looks = result.random_state, 1
    more = min(n, checks.CHECK_MAX_ROWS)
    if ((found.passed or again_after_failure) and more > found.n_rows
            and abs(found.statistic) > checks.AUTO_CHECK_SECOND_LOOK):
        seed, rows, looks = (result.random_state + 1) % 2**64, more, 2
        found = at_threshold(checks.check_fit(result, x, y, None, max_rows=more, k=k,
                                              random_state=seed, n_jobs=1, warn=False))
    extension = None
    if not found.passed:
        extension = checks.misfit_extension(result, x, y, None, found, max_rows=rows,
                                            seed=seed, n_jobs=1)
    result.details.pop("misfit_extension", None)
    if extension is not None:
        result.details["misfit_extension"] = extension
    ci = result.ci()
    result.details.pop("misfit_extension", None)
    return {"statistic": float(found.statistic), "threshold": float(found.threshold),
            "k": found.k, "looks": looks, "passed": found.passed,
            "ci": [float(ci[0]), float(ci[1])],
            "extension": None if extension is None else float(extension["value"]),
            "time": time.perf_counter() - start}


def _run(job: tuple[str, int, int, int]) -> dict[str, Any]:
    name, n, rep, offset = job
    task = _tasks()[name]
    data = task.sample(n, np.random.default_rng(_data_seed(name, n, rep, offset)))
    x, y = data[0], data[1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        result = gmmi.mutual_information(x, y, random_state=rep, n_jobs=1, check=False)
        elapsed = time.perf_counter() - start
        rules = {"before": _rule(result, x, y, n, *BEFORE),
                 "now": _rule(result, x, y, n, None, True)}
    return {"task": name, "n": n, "rep": rep, "truth": task.truth, "estimate": result.mean,
            "n_components": result.n_components, "time": elapsed, **rules}


def _covered(run: dict[str, Any], rule: str) -> bool:
    lo, hi = run[rule]["ci"]
    return bool(lo <= run["truth"] <= hi)


def report(runs: list[dict[str, Any]]) -> str:
    """A Markdown table per task and n, and the totals."""
    groups: dict[tuple[str, int], list[dict[str, Any]]] = defaultdict(list)
    for run in runs:
        groups[(run["task"], run["n"])].append(run)
    lines = ["| task | n | runs | covered before | covered now | failed before | failed now "
             "| check time before (s) | now (s) |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    total = np.zeros(7)
    for (task, n), group in sorted(groups.items()):
        row = np.array([len(group), sum(_covered(r, "before") for r in group),
                        sum(_covered(r, "now") for r in group),
                        sum(not r["before"]["passed"] for r in group),
                        sum(not r["now"]["passed"] for r in group),
                        sum(r["before"]["time"] for r in group),
                        sum(r["now"]["time"] for r in group)])
        total += row
        lines.append(f"| {task} | {n} | {row[0]:.0f} | {row[1]:.0f} | {row[2]:.0f} | {row[3]:.0f} "
                     f"| {row[4]:.0f} | {row[5]:.1f} | {row[6]:.1f} |")
    lines.append(f"| all | | {total[0]:.0f} | {total[1]:.0f} | {total[2]:.0f} | {total[3]:.0f} "
                 f"| {total[4]:.0f} | {total[5]:.1f} | {total[6]:.1f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", required=True,
                        help="fnmatch pattern(s) on task names, comma separated")
    parser.add_argument("--held-out", action="store_true", help="among the held-out tasks")
    parser.add_argument("--sizes", default="1000,5000", help="comma-separated n")
    parser.add_argument("--reps", type=int, default=10, help="data sets per task and n")
    parser.add_argument("--seed-offset", type=int, default=0, help="shift every data seed")
    parser.add_argument("--jobs", type=int, default=2, help="estimates at once (processes)")
    parser.add_argument("--out", default=None, help="output prefix: PREFIX.json, PREFIX.md")
    args = parser.parse_args()
    patterns = args.tasks.split(",")
    names = [name for name, t in _tasks().items()
             if t.held_out == args.held_out and any(fnmatch.fnmatch(name, p) for p in patterns)]
    if not names:
        parser.error(f"--tasks {args.tasks!r} matches no task (see accuracy.py --list)")
    jobs = [(name, int(n), rep, args.seed_offset) for name in names
            for n in args.sizes.split(",") for rep in range(args.reps)]
    with ProcessPoolExecutor(args.jobs) as pool:
        runs = list(pool.map(_run, jobs))
    text = (f"`python benches/check_rules.py {' '.join(shlex.quote(a) for a in sys.argv[1:])}` "
            f"(gmmi {gmmi.__version__}, {platform.processor() or platform.machine()}, "
            f"{dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC); covered: the 95% "
            "interval `r.ci()` with the rule's extension holds the truth; check time: the "
            "rule's looks and extension, summed over the runs (one thread each).\n\n"
            + report(runs))
    print(text)
    if args.out:
        Path(f"{args.out}.json").write_text(json.dumps({"args": vars(args), "runs": runs}))
        Path(f"{args.out}.md").write_text(text + "\n")


if __name__ == "__main__":
    main()
