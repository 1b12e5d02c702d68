"""Accuracy and calibration of gmmi's default estimator on tasks with known mutual information.

What it measures. For every task of ``accuracy_tasks.py`` (Gaussians in 1+1 to 5+5
dimensions, the same through monotone maps, additive uniform noise, multivariate Student t,
gamma-exponential raw and log, the paper's mixtures D1/D3/D5, a categorical-continuous task,
conditional MI on Gaussian chains and two discrete variables' tables; every truth in closed
form or by quadrature) and every
sample size, gmmi is run on ``--reps`` independent data sets (default 10) and the suite reports:
the error of the point estimate (median, mean, max absolute error, bias), the spread of the
estimates across data sets, the reported std and 95% interval width (``r.ci(0.95)``), the
coverage of the 95% interval (how many intervals hold the truth) and the ratio of the median
interval width to ``2 * 1.96 * sd`` of the estimates (1 = the interval is as wide as the
between-data-set spread says it should be), failures, warnings and time per estimate. The
KSG estimator (k = 3) runs beside it for reference: scikit-learn's ``mutual_info_regression``
for 1-D x and y, ``mutual_info_classif`` for the categorical task, the uncorrected plug-in
(``mutual_info_score``) for two discrete variables, and for multivariate x, y
and for conditional MI a KSG-1 (Kraskov et al. 2004, algorithm 1) / Frenzel-Pompe estimator
implemented here with ``scipy.spatial.cKDTree`` in the max-norm. KSG gives no interval: only
its error is reported. Tasks are tagged with a family and with whether a Gaussian mixture can
represent the density exactly ("can fit"; for two discrete variables, the table itself); the
summary is also given per family and group (whose KSG column pools KSG's errors only).

Held-out tasks. ``--held-out`` runs, instead of the suite, tasks that no rule, threshold or
default of gmmi was chosen on (``Task.held_out``): data in the spirit of the "Beyond Normal"
benchmark (Czyz et al. 2023: wiggly, half-cube, normal-CDF, asinh and spiral maps of
Gaussian or Student t data up to 5+5 columns, bimodal marginals, a Swiss roll, multivariate
t with nu = 3 at 2+2 and 3+3 and nu = 1-3 at 5+5: with the suite, every task of its list up
to 5+5 columns, in our samplers), non-monotone dependence ``y = f(x) + noise``,
conditional MI beyond Gaussians (a nonlinear common cause, a multiplicative interaction,
monotone images of a Gaussian, trivariate t), independent variables (MI = 0) with
marginals no mixture fits, rounded and counted variables, and two discrete variables (an
ordinal table of a cut Gaussian, a sparse 15 x 15 table). A change tuned on the suite is checked
there (and on the suite with another ``--seed-offset``) before its figures are believed.

Data sets are drawn with ``numpy.random.default_rng(seed)``, the seed ``zlib.crc32`` of
``"<task>|<n>|<replicate + seed offset>"`` (stable across Python versions and processes);
gmmi's ``random_state`` is the replicate index.

How to run (from the repository root, gmmi installed)::

    python benches/accuracy.py                               # every task, n = 1,000 and 5,000
    python benches/accuracy.py --large                       # + n = 1e5, 1e6 (gauss-rho0.6, D5)
    python benches/accuracy.py --large --huge                # + n = 1e7 for those two
    python benches/accuracy.py --reps 20 --seed-offset 1000 --out /tmp/heldout
                                                             # held-out seeds, 20 data sets
    python benches/accuracy.py --tasks 'gauss*' --sizes 1000 --reps 3 --out /tmp/acc_try
    python benches/accuracy.py --families student-t,gamma-exp --jobs 2
    python benches/accuracy.py --preset published --option n_bootstrap=20 --out /tmp/pub
    python benches/accuracy.py --held-out --jobs 2           # the held-out tasks
    python benches/accuracy.py --held-out --check --jobs 2   # + each estimate's check_fit
    python benches/accuracy.py --smoke                       # seconds; exit 1 on failure

``--option key=value`` (repeatable; value parsed with ``ast.literal_eval``, else taken as a
string) is passed to ``gmmi.mutual_information``. ``--jobs N`` runs N estimates at once in
spawned worker processes, each with ``n_jobs=1``; with the default ``--jobs 1`` every estimate
uses all cores. Every exception of a run is caught and recorded as a failure; warnings are
recorded by category.

``--check`` runs ``r.check_fit`` (defaults) of every estimate on its data set and reports,
per task and family, how many estimates it failed and how many of those whose interval
missed the truth (each run's statistic is in the JSON).

Output: ``<prefix>.json`` (every run, the summary tables, gmmi version, git commit, CPU,
date, command line) and ``<prefix>.md`` (Markdown tables per family and per task x n, also
printed to stdout); the prefix is ``benches/results/accuracy`` unless ``--out PREFIX``.

``--smoke``: bivariate Gaussian rho = 0.6, n = 1,000, 3 data sets, ``n_bootstrap=10``; exits
non-zero if an estimate fails or the truth is outside all three intervals (written to a
temporary directory unless ``--out``). ``tests/test_accuracy_smoke.py`` runs it.

This is a benchmark: the full suite takes a long time and runs in benches, not in CI (only
``--smoke`` is meant for CI).
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import datetime as dt
import fnmatch
import json
import math
import multiprocessing
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import time
import warnings
import zlib
from collections import Counter
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any, Optional

# NumPy's BLAS only draws data here; idle BLAS threads would take cores from the estimator.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import numpy as np
from scipy.spatial import cKDTree
from scipy.special import digamma

import gmmi

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import accuracy_tasks  # noqa: E402
from report_common import fmt_value as _f  # noqa: E402
from report_common import markdown_table as _table  # noqa: E402
from report_common import width_ratio  # noqa: E402

DEFAULT_SIZES = (1_000, 5_000)
LARGE_SIZES = (100_000, 1_000_000)
HUGE_SIZES = (10_000_000,)
LARGE_TASKS = ("gauss-rho0.6", "mixture-D5")
SMOKE_TASK = "gauss-rho0.6"
KSG_K = 3
LEVEL = 0.95
# What each run records of the representations compared (result.transform.candidates): the
# value of each on all the data and the share of the replicates that chose it, for studying
# how the choice of representation relates to the error.
CANDIDATE_FIELDS = ("name", "n_components", "score", "bulk_gain", "se", "affine", "value",
                    "bootstrap_share")
KSG_METHODS = {
    "sklearn-regression": "scikit-learn mutual_info_regression (KSG, k=3, random_state=0)",
    "sklearn-classif": "scikit-learn mutual_info_classif (k=3, random_state=0)",
    "ksg1": "KSG-1 (k=3), cKDTree max-norm, implemented here; clipped at 0 like scikit-learn",
    "frenzel-pompe": "Frenzel-Pompe KSG CMI (k=3), cKDTree max-norm, implemented here; "
                     "clipped at 0",
    "plugin": "for two discrete variables, the plug-in MI of the table (scikit-learn "
              "mutual_info_score), without bias correction",
}

_TASKS: Optional[dict[str, accuracy_tasks.Task]] = None


def tasks_by_name() -> dict[str, accuracy_tasks.Task]:
    global _TASKS
    if _TASKS is None:
        _TASKS = {t.name: t for t in accuracy_tasks.build_tasks()}
    return _TASKS


def data_seed(task: str, n: int, rep: int, offset: int = 0) -> int:
    """Stable data seed of (task, n, replicate): zlib.crc32, not Python's salted hash()."""
    return zlib.crc32(f"{task}|{n}|{rep + offset}".encode())


# --------------------------------------------------------------------------- KSG


def _prepare(block: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Columns scaled to unit variance plus a tiny jitter against ties (as scikit-learn)."""
    v = np.asarray(block, dtype=float)
    v = v.reshape(len(v), -1)
    v = v / np.maximum(v.std(axis=0), 1e-300)
    v = v + 1e-10 * np.maximum(1.0, np.mean(np.abs(v), axis=0)) * rng.standard_normal(v.shape)
    return v


def _counts(points: np.ndarray, radius: np.ndarray) -> np.ndarray:
    """Number of other points strictly within ``radius`` (max-norm) of each point."""
    tree = cKDTree(points)
    r = np.nextafter(radius, 0)
    return np.asarray(tree.query_ball_point(points, r=r, p=np.inf, return_length=True)) - 1


def ksg1(x: np.ndarray, y: np.ndarray, k: int = KSG_K) -> float:
    """KSG-1 mutual information (nats) for any dimensions, max-norm."""
    rng = np.random.default_rng(0)
    xs, ys = _prepare(x, rng), _prepare(y, rng)
    xy = np.hstack([xs, ys])
    eps = cKDTree(xy).query(xy, k=k + 1, p=np.inf)[0][:, -1]
    nx, ny = _counts(xs, eps), _counts(ys, eps)
    n = len(xy)
    mi = digamma(k) + digamma(n) - np.mean(digamma(nx + 1) + digamma(ny + 1))
    return max(0.0, float(mi))


def frenzel_pompe(x: np.ndarray, y: np.ndarray, z: np.ndarray, k: int = KSG_K) -> float:
    """KSG conditional mutual information I(X;Y|Z) (Frenzel & Pompe 2007), max-norm."""
    rng = np.random.default_rng(0)
    xs, ys, zs = _prepare(x, rng), _prepare(y, rng), _prepare(z, rng)
    xyz = np.hstack([xs, ys, zs])
    eps = cKDTree(xyz).query(xyz, k=k + 1, p=np.inf)[0][:, -1]
    nxz = _counts(np.hstack([xs, zs]), eps)
    nyz = _counts(np.hstack([ys, zs]), eps)
    nz = _counts(zs, eps)
    mi = digamma(k) - np.mean(digamma(nxz + 1) + digamma(nyz + 1) - digamma(nz + 1))
    return max(0.0, float(mi))


def ksg(task: accuracy_tasks.Task, data: tuple) -> tuple[float, str]:
    """The KSG estimate of a task's data set, and which KSG it was."""
    if task.kind == "categorical":
        from sklearn.feature_selection import mutual_info_classif

        x, c = data
        val = mutual_info_classif(np.asarray(x).reshape(-1, 1), c, n_neighbors=KSG_K,
                                  random_state=0)[0]
        return float(val), "sklearn-classif"
    if task.kind == "cmi":
        return frenzel_pompe(*data), "frenzel-pompe"
    if task.kind == "discrete":
        from sklearn.metrics import mutual_info_score

        return float(mutual_info_score(*data)), "plugin"
    x, y = data
    if np.ndim(x) == 1 and np.ndim(y) == 1:
        from sklearn.feature_selection import mutual_info_regression

        val = mutual_info_regression(np.asarray(x).reshape(-1, 1), y, n_neighbors=KSG_K,
                                     random_state=0)[0]
        return float(val), "sklearn-regression"
    return ksg1(x, y), "ksg1"


# --------------------------------------------------------------------------- one run


def _init_worker(path: str) -> None:
    if path not in sys.path:
        sys.path.insert(0, path)


def _kind_of_k(r: Any) -> Any:
    if r.n_components is not None:
        return int(r.n_components)
    per_class = r.details.get("n_components_per_class")
    if per_class:
        return [int(v) for v in per_class.values()]
    return None


def blank_record(name: str, n: int, rep: int, offset: int) -> dict[str, Any]:
    """The record of one run before it runs (every field None or empty)."""
    task = tasks_by_name()[name]
    return {
        "task": name, "family": task.family, "can_fit": task.can_fit, "n": n, "rep": rep,
        "seed": data_seed(name, n, rep, offset), "random_state": rep, "truth": task.truth,
        "estimate": None, "full_value": None, "std": None, "ci": None, "covered": None,
        "k": None, "k_bootstrap": None, "transform": None, "transform_candidates": None,
        "time": None, "warnings": [], "warning_messages": [],
        "error": None, "ksg": None, "ksg_method": None, "ksg_time": None, "ksg_failure": None,
        "check_statistic": None, "check_passed": None, "check_time": None,
        "check_failure": None,
    }


def run_one(name: str, n: int, rep: int, offset: int, options: dict[str, Any],
            ksg_max_n: int, check: bool = False) -> dict[str, Any]:
    """One data set of one task: gmmi's estimate (and KSG's, and with ``check`` the
    estimate's ``check_fit`` on the same data), every failure caught."""
    task = tasks_by_name()[name]
    rec = blank_record(name, n, rep, offset)
    seed = rec["seed"]
    try:
        data = task.sample(n, np.random.default_rng(seed))
    except Exception as exc:  # a broken generator is a failure of the run, not of the suite
        rec["error"] = f"data: {type(exc).__name__}: {exc}"
        return rec
    kwargs = dict(options)
    if task.kind == "categorical":
        kwargs.setdefault("discrete_y", True)
    if task.kind == "discrete":
        kwargs.setdefault("discrete_x", True)
        kwargs.setdefault("discrete_y", True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            t0 = time.perf_counter()
            r = gmmi.mutual_information(*data, random_state=rep, **kwargs)
            rec["time"] = time.perf_counter() - t0
            rec["estimate"] = float(r.mean)
            rec["full_value"] = float(r.full_value)
            rec["std"] = None if math.isnan(r.std) else float(r.std)
            rec["k"] = _kind_of_k(r)
            boot_k = r.details.get("boot_n_components")
            if boot_k is not None:
                rec["k_bootstrap"] = {str(k): v for k, v in
                                      sorted(Counter(int(b) for b in boot_k).items())}
            extension = r.details.get("misfit_extension")
            if extension is not None:
                # The failed check's larger mixture whose value the interval also holds.
                rec["extended_to"] = {k: extension[k] for k in
                                      ("n_components", "value", "statistic", "reached")}
                if r.samples.size >= 2:
                    # The bootstrap's own interval, for the extension's effect on coverage.
                    plain = dataclasses.replace(r, details={
                        k: v for k, v in r.details.items() if k != "misfit_extension"})
                    blo, bhi = plain.ci(LEVEL)
                    rec["extended_to"]["bootstrap_ci"] = [blo, bhi]
                    rec["extended_to"]["bootstrap_covered"] = bool(blo <= task.truth <= bhi)
            representation = r.transform
            if representation is not None:
                rec["transform"] = representation.name
                rec["transform_candidates"] = [
                    {k: (None if isinstance(v, float) and math.isnan(v) else v)
                     for k, v in c.items() if k in CANDIDATE_FIELDS}
                    for c in representation.candidates]
            try:
                lo, hi = r.ci(LEVEL)
                rec["ci"] = [lo, hi]
                rec["covered"] = bool(lo <= task.truth <= hi)
            except Exception as exc:  # e.g. n_bootstrap=0: no interval, not a failure
                rec["ci_error"] = f"{type(exc).__name__}: {exc}"
        except Exception as exc:
            rec["error"] = f"{type(exc).__name__}: {exc}"
    cats: list[str] = []
    msgs: list[str] = []
    for w in caught:
        cat = w.category.__name__
        if cat not in cats:
            cats.append(cat)
        msg = f"{cat}: {w.message}"[:300]
        if msg not in msgs and len(msgs) < 5:
            msgs.append(msg)
    rec["warnings"], rec["warning_messages"] = cats, msgs
    if check and rec["error"] is None and task.kind != "discrete":  # (no mixture to check)
        # The check's MisfitWarning is its outcome, recorded here, not among the estimate's
        # warnings.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                t0 = time.perf_counter()
                c = r.check_fit(*data, n_jobs=options.get("n_jobs"))
                rec["check_time"] = time.perf_counter() - t0
                rec["check_statistic"] = float(c.statistic)
                rec["check_passed"] = bool(c.passed)
            except Exception as exc:
                rec["check_failure"] = f"{type(exc).__name__}: {exc}"
    if n <= ksg_max_n:
        try:
            t0 = time.perf_counter()
            rec["ksg"], rec["ksg_method"] = ksg(task, data)
            rec["ksg_time"] = time.perf_counter() - t0
        except Exception as exc:
            rec["ksg_failure"] = f"{type(exc).__name__}: {exc}"
    return rec


# --------------------------------------------------------------------------- summaries


def _median(v: list[float]) -> Optional[float]:
    return float(np.median(v)) if v else None


def summarize(runs: list[dict[str, Any]], ksg_only: bool = False) -> dict[str, Any]:
    """The statistics of a group of runs (one task x n, or a family); with ``ksg_only`` the
    comparison column pools KSG's errors only (not the plug-in's of the discrete family:
    the group rows)."""
    ok = [r for r in runs if r["error"] is None and r["estimate"] is not None]
    err = [r["estimate"] - r["truth"] for r in ok]
    aerr = [abs(e) for e in err]
    est = [r["estimate"] for r in ok]
    with_ci = [r for r in ok if r["ci"] is not None]
    widths = [r["ci"][1] - r["ci"][0] for r in with_ci]
    covered = sum(bool(r["covered"]) for r in with_ci)
    sd = float(np.std(est, ddof=1)) if len(est) >= 2 else None
    med_width = _median(widths)
    ratio = width_ratio(med_width, sd)
    ksg_err = [abs(r["ksg"] - r["truth"]) for r in runs if r["ksg"] is not None
               and not (ksg_only and r["ksg_method"] == "plugin")]
    return {
        "runs": len(runs),
        "ok": len(ok),
        "failures": len(runs) - len(ok),
        "failure_messages": sorted({r["error"] for r in runs if r["error"]})[:5],
        "median_abs_error": _median(aerr),
        "mean_abs_error": float(np.mean(aerr)) if aerr else None,
        "max_abs_error": max(aerr) if aerr else None,
        "bias": float(np.mean(err)) if err else None,
        "sd_estimates": sd,
        "median_std": _median([r["std"] for r in ok if r["std"] is not None]),
        "median_ci_width": med_width,
        "covered": covered,
        "with_ci": len(with_ci),
        "coverage": covered / len(with_ci) if with_ci else None,
        "width_ratio": ratio,
        "median_time": _median([r["time"] for r in ok if r["time"] is not None]),
        "warned_runs": sum(bool(r["warnings"]) for r in runs),
        "warning_categories": dict(Counter(c for r in runs for c in r["warnings"])),
        "ksg_median_abs_error": _median(ksg_err),
        "ksg_methods": sorted({r["ksg_method"] for r in runs if r["ksg_method"]}),
        "ksg_failures": sum(r["ksg_failure"] is not None for r in runs),
        "checked": sum(r.get("check_passed") is not None for r in runs),
        "check_failed": sum(r.get("check_passed") is False for r in runs),
        "missed": sum(r["covered"] is False for r in with_ci),
        "missed_check_failed": sum(r["covered"] is False and r.get("check_passed") is False
                                   for r in with_ci),
        "check_errors": sorted({r["check_failure"] for r in runs
                                if r.get("check_failure")})[:5],
    }


def build_summary(runs: list[dict[str, Any]], order: list[str]) -> dict[str, Any]:
    cells: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for r in runs:
        cells.setdefault((r["task"], r["n"]), []).append(r)
    rank = {name: i for i, name in enumerate(order)}
    per_task = []
    for (name, n), rs in sorted(cells.items(), key=lambda kv: (rank[kv[0][0]], kv[0][1])):
        row = {"task": name, "family": rs[0]["family"], "can_fit": rs[0]["can_fit"], "n": n,
               "truth": rs[0]["truth"]}
        row.update(summarize(rs))
        per_task.append(row)
    fam_order = [f for f in accuracy_tasks.FAMILIES if any(r["family"] == f for r in runs)]
    per_family = []
    for fam in fam_order:
        rs = [r for r in runs if r["family"] == fam]
        row = {"family": fam, "can_fit": accuracy_tasks.CAN_FIT[fam],
               "tasks": len({r["task"] for r in rs})}
        row.update(summarize(rs))
        per_family.append(row)
    per_family_n = []
    for fam in fam_order:
        for n in sorted({r["n"] for r in runs if r["family"] == fam}):
            rs = [r for r in runs if r["family"] == fam and r["n"] == n]
            row = {"family": fam, "n": n, "can_fit": accuracy_tasks.CAN_FIT[fam],
                   "tasks": len({r["task"] for r in rs})}
            row.update(summarize(rs))
            per_family_n.append(row)
    groups = []
    for label, sel in (("can fit", True), ("cannot fit", False), ("all", None)):
        rs = [r for r in runs if sel is None or r["can_fit"] == sel]
        if rs:
            row = {"group": label, "tasks": len({r["task"] for r in rs})}
            row.update(summarize(rs, ksg_only=True))
            groups.append(row)
    return {"per_task": per_task, "per_family": per_family, "per_family_n": per_family_n,
            "groups": groups}


# --------------------------------------------------------------------------- Markdown


def _cov(row: dict[str, Any]) -> str:
    if not row["with_ci"]:
        return "—"
    return f"{row['covered']}/{row['with_ci']} ({row['coverage']:.2f})"


def _checked(row: dict[str, Any]) -> str:
    """Checks failed, and of the estimates whose interval missed the truth how many."""
    if not row.get("checked"):
        return "—"
    return f"{row['check_failed']} ({row['missed_check_failed']}/{row['missed']} misses)"


def to_markdown(summary: dict[str, Any], meta: dict[str, Any]) -> str:
    lines = [
        "# gmmi accuracy and calibration",
        "",
        f"gmmi {meta['gmmi_version']}, commit {meta['git_commit'][:12]}"
        f"{' (dirty tree)' if meta.get('git_dirty') else ''}, {meta['date']}, "
        f"{meta['cpu_model']} ({meta['cpu_count']} cores), "
        f"flags {', '.join(k for k, v in meta['cpu_flags'].items() if v) or 'none'}.",
        "",
        f"Command: `{meta['command']}`",
        "",
        f"Estimator options: `{meta['options'] or 'defaults'}`; {meta['reps']} data sets per "
        f"task and n (seed offset {meta['seed_offset']}"
        f"{'; held-out tasks, never used to tune gmmi' if meta.get('held_out') else ''}); "
        "errors in nats; 95% intervals from "
        "`r.ci(0.95)`. Width ratio: median interval width / (2 × 1.96 × sd of the estimates "
        "across data sets); 1 is right, < 1 too narrow. "
        + ("Check failed: estimates whose `r.check_fit` (defaults) failed, and how many of "
           "those whose interval missed the truth it failed. " if meta.get("check") else "")
        + "KSG (k = 3): "
        + "; ".join(KSG_METHODS[m] for m in meta["ksg_methods_used"]) + ".",
        "",
        "## Per group",
        "",
    ]
    head = ["group", "tasks", "runs", "median abs err", "max abs err", "bias",
            "coverage 95%", "failures", "warned", "KSG median abs err"]
    lines += _table(head, [[g["group"], str(g["tasks"]), str(g["runs"]),
                            _f(g["median_abs_error"]), _f(g["max_abs_error"]), _f(g["bias"]),
                            _cov(g), str(g["failures"]), str(g["warned_runs"]),
                            _f(g["ksg_median_abs_error"])] for g in summary["groups"]])
    lines += ["", "## Per family", ""]
    checked = bool(meta.get("check"))
    extra = ["check failed"] if checked else []
    head = ["family", "can fit", "tasks", "runs", "median abs err", "max abs err", "bias",
            "coverage 95%", "failures", "warned", *extra, "KSG median abs err"]
    lines += _table(head, [[f["family"], "yes" if f["can_fit"] else "no", str(f["tasks"]),
                            str(f["runs"]), _f(f["median_abs_error"]),
                            _f(f["max_abs_error"]), _f(f["bias"]), _cov(f),
                            str(f["failures"]), str(f["warned_runs"]),
                            *([_checked(f)] if checked else []),
                            _f(f["ksg_median_abs_error"])] for f in summary["per_family"]])
    lines += ["", "## Per family and n", ""]
    head = ["family", "n", "runs", "median abs err", "max abs err", "bias", "coverage 95%",
            "failures", "KSG median abs err"]
    lines += _table(head, [[f["family"], str(f["n"]), str(f["runs"]),
                            _f(f["median_abs_error"]), _f(f["max_abs_error"]), _f(f["bias"]),
                            _cov(f), str(f["failures"]), _f(f["ksg_median_abs_error"])]
                           for f in summary["per_family_n"]])
    lines += ["", "## Per task and n", ""]
    head = ["task", "family", "n", "truth", "median abs err", "mean abs err", "max abs err",
            "bias", "sd est", "median std", "median 95% width", "coverage 95%", "width ratio",
            "failures", "warned", *extra, "median time (s)", "KSG median abs err"]
    rows = []
    for t in summary["per_task"]:
        rows.append([t["task"], t["family"], str(t["n"]), _f(t["truth"]),
                     _f(t["median_abs_error"]), _f(t["mean_abs_error"]),
                     _f(t["max_abs_error"]), _f(t["bias"]), _f(t["sd_estimates"]),
                     _f(t["median_std"]), _f(t["median_ci_width"]), _cov(t),
                     _f(t["width_ratio"], 2), str(t["failures"]), str(t["warned_runs"]),
                     *([_checked(t)] if checked else []),
                     _f(t["median_time"], 3), _f(t["ksg_median_abs_error"])])
    lines += _table(head, rows)
    fails = [(t["task"], t["n"], m) for t in summary["per_task"] for m in t["failure_messages"]]
    if fails:
        lines += ["", "## Failures", ""]
        lines += [f"- {name}, n = {n}: `{m}`" for name, n, m in fails]
    warned = [(t["task"], t["n"], t["warning_categories"]) for t in summary["per_task"]
              if t["warning_categories"]]
    if warned:
        lines += ["", "## Warnings (runs per category)", ""]
        lines += [f"- {name}, n = {n}: " + ", ".join(f"{c} {k}" for c, k in cats.items())
                  for name, n, cats in warned]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- machine


def _git(*args: str) -> str:
    try:
        out = subprocess.run(["git", *args], cwd=HERE, capture_output=True, text=True,
                             timeout=20, check=False)
        return out.stdout.strip()
    except Exception:
        return ""


def machine() -> dict[str, Any]:
    model, flags = "", set()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, val = line.partition(":")
            if key.strip() == "model name" and not model:
                model = val.strip()
            elif key.strip() == "flags" and not flags:
                flags = set(val.split())
    except OSError:
        pass
    return {"cpu_model": model or platform.processor() or "unknown",
            "cpu_flags": {f: f in flags for f in ("avx2", "avx512f", "fma")},
            "cpu_count": os.cpu_count(),
            "platform": platform.platform(), "python": platform.python_version()}


def _versions() -> dict[str, str]:
    out = {"gmmi": gmmi.__version__, "numpy": np.__version__}
    for mod in ("scipy", "sklearn"):
        try:
            out[mod] = __import__(mod).__version__
        except Exception:
            out[mod] = "absent"
    return out


def _jsonable(v: Any) -> Any:
    if isinstance(v, float):
        return None if math.isnan(v) or math.isinf(v) else v
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return _jsonable(float(v))
    return v


# --------------------------------------------------------------------------- main


def parse_option(text: str) -> tuple[str, Any]:
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"--option: expected key=value, got {text!r}")
    try:
        value = ast.literal_eval(raw.strip())
    except (ValueError, SyntaxError):
        value = raw.strip()
    return key.strip(), value


def parse_args(argv: Optional[list[str]] = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tasks", default="*", help="fnmatch pattern(s) on task names, comma "
                   "separated (default all)")
    p.add_argument("--families", default=None, help="comma-separated family names")
    p.add_argument("--sizes", default=None, help="comma-separated n (default 1000,5000)")
    p.add_argument("--large", action="store_true",
                   help="add n = 100,000 and 1,000,000 for " + " and ".join(LARGE_TASKS))
    p.add_argument("--huge", action="store_true", help="add n = 10,000,000 too (implies --large)")
    p.add_argument("--reps", type=int, default=10, help="data sets per task and n (10)")
    p.add_argument("--seed-offset", type=int, default=0,
                   help="shift every data seed (held-out data sets)")
    p.add_argument("--option", action="append", type=parse_option, default=[],
                   metavar="KEY=VALUE", help="option of gmmi.mutual_information (repeatable)")
    p.add_argument("--preset", default=None, help="gmmi preset (e.g. published)")
    p.add_argument("--jobs", type=int, default=1,
                   help="estimates at once in worker processes (each with n_jobs=1)")
    p.add_argument("--no-ksg", action="store_true", help="skip KSG")
    p.add_argument("--check", action="store_true",
                   help="also run each estimate's check_fit (defaults) on its data and report "
                        "the estimates it fails")
    p.add_argument("--ksg-max-n", type=int, default=1_000_000,
                   help="skip KSG above this n (default 1,000,000)")
    p.add_argument("--out", default=None,
                   help="output prefix (default benches/results/accuracy): PREFIX.json, .md")
    p.add_argument("--smoke", action="store_true",
                   help="tiny CI check: gauss-rho0.6, n=1000, 3 reps, n_bootstrap=10")
    p.add_argument("--held-out", action="store_true",
                   help="run the held-out tasks (never used to tune gmmi) instead of the "
                   "suite; default output benches/results/accuracy-heldout")
    p.add_argument("--list", action="store_true", help="list the tasks and exit")
    args = p.parse_args(argv)
    if args.reps < 1 or args.jobs < 1:
        p.error("--reps and --jobs must be >= 1")
    return args


def plan(args: argparse.Namespace) -> list[tuple[str, int]]:
    """The (task, n) cells to run, in report order."""
    tasks = [t for t in tasks_by_name().values() if t.held_out == args.held_out]
    patterns = [s.strip() for s in args.tasks.split(",") if s.strip()]
    tasks = [t for t in tasks if any(fnmatch.fnmatchcase(t.name, pat) for pat in patterns)]
    if args.families:
        fams = {f.strip() for f in args.families.split(",") if f.strip()}
        unknown = fams - set(accuracy_tasks.FAMILIES)
        if unknown:
            raise SystemExit(f"--families: unknown {sorted(unknown)}; "
                             f"known {list(accuracy_tasks.FAMILIES)}")
        tasks = [t for t in tasks if t.family in fams]
    sizes = (tuple(int(float(s)) for s in args.sizes.split(",") if s.strip())
             if args.sizes else DEFAULT_SIZES)
    cells = []
    for t in tasks:
        ns = list(sizes)
        if (args.large or args.huge) and t.name in LARGE_TASKS:
            ns += list(LARGE_SIZES) + (list(HUGE_SIZES) if args.huge else [])
        cells += [(t.name, n) for n in sorted(set(ns))]
    return cells


def main(argv: Optional[list[str]] = None) -> int:
    args = parse_args(argv)
    accuracy_tasks.check_truths()
    if args.list:
        for t in tasks_by_name().values():
            print(f"{t.name:26s} {t.family:15s} can fit: {'yes' if t.can_fit else 'no ':3s}"
                  f"  truth {t.truth:.6f}  {'(held out) ' if t.held_out else ''}"
                  f"{t.description}")
        return 0
    options: dict[str, Any] = dict(args.option)
    if args.preset is not None:
        options["preset"] = args.preset
    if args.smoke:
        args.tasks, args.families, args.sizes, args.reps = SMOKE_TASK, None, "1000", 3
        args.large = args.huge = False
        options.setdefault("n_bootstrap", 10)
    run_options = dict(options)
    if args.jobs > 1:
        run_options.setdefault("n_jobs", 1)
    ksg_max_n = -1 if args.no_ksg else args.ksg_max_n

    cells = plan(args)
    if not cells:
        print("no task matches", file=sys.stderr)
        return 2
    order = list(tasks_by_name())
    todo = [(name, n, rep) for name, n in cells for rep in range(args.reps)]
    runs: list[dict[str, Any]] = []
    remaining = Counter((name, n) for name, n, _ in todo)
    done_cells = 0
    started = time.perf_counter()
    # The commit and tree state when the run starts (the tree may change while it runs).
    commit = _git("rev-parse", "HEAD") or "unknown"
    dirty = bool(_git("status", "--porcelain", "--untracked-files=no"))

    def progress(rec: dict[str, Any]) -> None:
        nonlocal done_cells
        key = (rec["task"], rec["n"])
        remaining[key] -= 1
        if remaining[key]:
            return
        done_cells += 1
        s = summarize([r for r in runs if (r["task"], r["n"]) == key])
        print(f"[{done_cells}/{len(cells)}] {key[0]} n={key[1]}: truth {rec['truth']:.4f}, "
              f"median |err| {_f(s['median_abs_error'])}, coverage {_cov(s)}, "
              f"failures {s['failures']}, {_f(s['median_time'], 2)} s/estimate, "
              f"KSG median |err| {_f(s['ksg_median_abs_error'])} "
              f"({time.perf_counter() - started:.0f} s elapsed)", file=sys.stderr, flush=True)

    if args.jobs == 1:
        for name, n, rep in todo:
            runs.append(run_one(name, n, rep, args.seed_offset, run_options, ksg_max_n,
                                args.check))
            progress(runs[-1])
    else:
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=args.jobs, mp_context=ctx,
                                 initializer=_init_worker, initargs=(str(HERE),)) as pool:
            futs = {pool.submit(run_one, name, n, rep, args.seed_offset, run_options,
                                ksg_max_n, args.check): (name, n, rep)
                    for name, n, rep in todo}
            for fut in as_completed(futs):
                name, n, rep = futs[fut]
                try:
                    rec = fut.result()
                except Exception as exc:  # a crashed worker: record, carry on
                    rec = blank_record(name, n, rep, args.seed_offset)
                    rec["error"] = f"worker: {type(exc).__name__}: {exc}"
                runs.append(rec)
                progress(rec)
    rank = {name: i for i, name in enumerate(order)}
    runs.sort(key=lambda r: (rank[r["task"]], r["n"], r["rep"]))

    summary = build_summary(runs, order)
    meta = {
        "gmmi_version": gmmi.__version__,
        "git_commit": commit,
        "git_dirty": dirty,
        "date": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
        "command": shlex.join([Path(sys.executable).name, *sys.argv]),
        "argv": sys.argv,
        **machine(),
        "versions": _versions(),
        "options": options,
        "jobs": args.jobs,
        "reps": args.reps,
        "seed_offset": args.seed_offset,
        "held_out": args.held_out,
        "sizes": sorted({n for _, n in cells}),
        "level": LEVEL,
        "seeds": "numpy.random.default_rng(zlib.crc32(f'{task}|{n}|{rep + seed_offset}')); "
                 "gmmi random_state = rep",
        "ksg_methods_used": sorted({r["ksg_method"] for r in runs if r["ksg_method"]}),
        "ksg_methods": KSG_METHODS,
        "ksg_max_n": ksg_max_n,
        "check": args.check,
        "wall_time": time.perf_counter() - started,
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "tasks": {t.name: {"family": t.family, "can_fit": t.can_fit, "truth": t.truth,
                           "kind": t.kind, "description": t.description}
                  for t in tasks_by_name().values() if any(t.name == c[0] for c in cells)},
    }
    md = to_markdown(summary, meta)

    if args.out:
        prefix = Path(args.out)
    elif args.smoke:
        prefix = Path(tempfile.gettempdir()) / "gmmi-accuracy-smoke"
    else:
        prefix = HERE / "results" / ("accuracy-heldout" if args.held_out else "accuracy")
    prefix.parent.mkdir(parents=True, exist_ok=True)
    json_path = prefix.with_name(prefix.name + ".json")
    md_path = prefix.with_name(prefix.name + ".md")
    payload = {"meta": meta, "summary": summary, "runs": runs}
    json_path.write_text(json.dumps(_jsonable(payload), indent=1) + "\n")
    md_path.write_text(md)
    print(md)
    print(f"wrote {json_path} and {md_path}", file=sys.stderr)

    if args.smoke:
        failed = [r for r in runs if r["error"] is not None]
        if failed:
            print("smoke: FAILED: " + "; ".join(r["error"] for r in failed), file=sys.stderr)
            return 1
        if not any(r["covered"] for r in runs):
            print("smoke: FAILED: the truth is outside all three 95% intervals: "
                  + ", ".join(str(r["ci"]) for r in runs), file=sys.stderr)
            return 1
        print("smoke: ok", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
