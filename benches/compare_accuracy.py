"""Paired comparison of two runs of ``benches/accuracy.py`` on the same data sets.

A change to the estimator is judged by running the accuracy suite before and after it on the
same tasks, sizes and seeds, against a rule written down before the runs (the Measurements
page of the manual records several such protocols). This script pairs the two runs' estimates
data set by data set (task, n, data seed and ``random_state`` must all match) and reports,
per task and n, per family and in total:

- coverage of the 95% interval before and after, and how many intervals were lost (held the
  truth before, not after) and gained;
- mean absolute error before and after, with the standard error of the paired difference
  (the spread of the per-data-set differences of absolute error over sqrt(pairs)), and the
  median absolute error and bias;
- the median interval width before and after, and the width ratio (median width over
  ``2 * 1.96 * sd`` of the estimates across data sets, as ``accuracy.py`` reports it per
  task and n; for a family or the total, the median of its tasks' ratios);
- how many estimates are identical to the last bit, and how many changed their number of
  components or their representation;
- failures, runs with a warning, and the total time of the paired estimates, with their ratio
  (a time ratio is only meaningful when both runs were made on the same machine, one after
  the other; the header shows where and when each ran).

Usage::

    python benches/compare_accuracy.py BEFORE.json AFTER.json            # Markdown on stdout
    python benches/compare_accuracy.py BEFORE.json AFTER.json --out cmp  # also cmp.md, cmp.json

Runs only in one of the two files (other tasks, sizes or seeds) are counted and left out.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any, Optional

import numpy as np

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from report_common import fmt_value as _f  # noqa: E402
from report_common import markdown_table as _table  # noqa: E402
from report_common import width_ratio  # noqa: E402

# The fields that identify a data set and gmmi's seed on it.
KEY_FIELDS = ("task", "n", "seed", "random_state")


def load(path: str | Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The ``meta`` and ``runs`` of an ``accuracy.py`` JSON report."""
    with open(path) as fh:
        report = json.load(fh)
    if not isinstance(report, dict) or not isinstance(report.get("runs"), list):
        raise ValueError(f"{path}: not a report of benches/accuracy.py (no 'runs' list)")
    for i, r in enumerate(report["runs"]):
        missing = [f for f in (*KEY_FIELDS, "family", "truth", "estimate", "ci", "covered",
                               "time", "error") if f not in r]
        if missing:
            raise ValueError(f"{path}: run {i} lacks {', '.join(missing)}")
    return report.get("meta", {}), report["runs"]


def _key(r: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(r[f] for f in KEY_FIELDS)


def pair(before: list[dict[str, Any]], after: list[dict[str, Any]]
         ) -> tuple[list[tuple[dict[str, Any], dict[str, Any]]], int, int]:
    """The runs of the same data set in both lists, in the order of ``after``, and how many
    runs of each list have no partner."""
    by_key: dict[tuple[Any, ...], dict[str, Any]] = {}
    for r in before:
        k = _key(r)
        if k in by_key:
            raise ValueError(f"the first run holds data set {k} twice")
        by_key[k] = r
    pairs = []
    seen = set()
    for r in after:
        k = _key(r)
        if k in seen:
            raise ValueError(f"the second run holds data set {k} twice")
        seen.add(k)
        if k in by_key:
            pairs.append((by_key[k], r))
    return pairs, len(before) - len(pairs), len(after) - len(pairs)


def _ok(r: dict[str, Any]) -> bool:
    return r["error"] is None and r["estimate"] is not None


def _cell_width_ratio(runs: list[dict[str, Any]]) -> Optional[float]:
    """Median interval width over ``2 * 1.96 * sd`` of the estimates of one task and n."""
    est = [r["estimate"] for r in runs]
    widths = [r["ci"][1] - r["ci"][0] for r in runs if r["ci"] is not None]
    if len(est) < 2 or not widths:
        return None
    return width_ratio(float(np.median(widths)), float(np.std(est, ddof=1)))


def _width_ratio(runs: list[dict[str, Any]]) -> Optional[float]:
    """The width ratio of one task and n, or for a group of several the median of theirs
    (the spread of estimates across different truths means nothing)."""
    cells: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for r in runs:
        cells.setdefault((r["task"], r["n"]), []).append(r)
    ratios = [v for v in (_cell_width_ratio(rs) for rs in cells.values()) if v is not None]
    return float(np.median(ratios)) if ratios else None


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return a["estimate"] == b["estimate"] and a["ci"] == b["ci"]


def compare_group(pairs: list[tuple[dict[str, Any], dict[str, Any]]]) -> dict[str, Any]:
    """The paired statistics of a group of (before, after) runs; error, width and coverage
    figures use the pairs where both estimates succeeded."""
    both = [(a, b) for a, b in pairs if _ok(a) and _ok(b)]
    out: dict[str, Any] = {
        "pairs": len(pairs),
        "both_ok": len(both),
        "failures": [sum(not _ok(a) for a, _ in pairs), sum(not _ok(b) for _, b in pairs)],
        "warned": [sum(bool(a.get("warnings")) for a, _ in pairs),
                   sum(bool(b.get("warnings")) for _, b in pairs)],
    }
    with_ci = [(a, b) for a, b in both if a["ci"] is not None and b["ci"] is not None]
    out["with_ci"] = len(with_ci)
    out["covered"] = [sum(bool(a["covered"]) for a, _ in with_ci),
                      sum(bool(b["covered"]) for _, b in with_ci)]
    out["lost"] = sum(bool(a["covered"]) and not b["covered"] for a, b in with_ci)
    out["gained"] = sum(not a["covered"] and bool(b["covered"]) for a, b in with_ci)
    ea = np.array([abs(a["estimate"] - a["truth"]) for a, _ in both])
    eb = np.array([abs(b["estimate"] - b["truth"]) for _, b in both])
    if len(both):
        out["mean_abs_error"] = [float(ea.mean()), float(eb.mean())]
        out["median_abs_error"] = [float(np.median(ea)), float(np.median(eb))]
        out["bias"] = [float(np.mean([a["estimate"] - a["truth"] for a, _ in both])),
                       float(np.mean([b["estimate"] - b["truth"] for _, b in both]))]
        d = eb - ea
        out["abs_error_change"] = float(d.mean())
        out["abs_error_change_se"] = (float(d.std(ddof=1) / math.sqrt(len(d)))
                                      if len(d) >= 2 else None)
    else:
        for f in ("mean_abs_error", "median_abs_error", "bias"):
            out[f] = [None, None]
        out["abs_error_change"] = out["abs_error_change_se"] = None
    if with_ci:
        out["median_width"] = [float(np.median([a["ci"][1] - a["ci"][0] for a, _ in with_ci])),
                               float(np.median([b["ci"][1] - b["ci"][0] for _, b in with_ci]))]
    else:
        out["median_width"] = [None, None]
    out["width_ratio"] = [_width_ratio([a for a, _ in both]), _width_ratio([b for _, b in both])]
    out["identical"] = sum(_same(a, b) for a, b in both)
    out["k_changed"] = sum(a.get("k") != b.get("k") for a, b in both)
    out["transform_changed"] = sum(a.get("transform") != b.get("transform") for a, b in both)
    timed = [(a, b) for a, b in both if a["time"] is not None and b["time"] is not None]
    ta = float(sum(a["time"] for a, _ in timed))
    tb = float(sum(b["time"] for _, b in timed))
    out["time"] = [ta, tb]
    out["time_ratio"] = tb / ta if ta > 0 else None
    return out


def compare(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> dict[str, Any]:
    """Per task and n, per family and in total; the order is that of ``after``'s runs."""
    pairs, only_before, only_after = pair(before, after)
    if not pairs:
        raise ValueError("the two runs have no data set in common (other tasks, sizes or "
                         "--seed-offset?)")
    cells: dict[tuple[str, int], list[tuple[dict[str, Any], dict[str, Any]]]] = {}
    families: dict[str, list[tuple[dict[str, Any], dict[str, Any]]]] = {}
    for a, b in pairs:
        cells.setdefault((b["task"], b["n"]), []).append((a, b))
        families.setdefault(b["family"], []).append((a, b))
    per_task = [{"task": t, "family": ps[0][1]["family"], "n": n, **compare_group(ps)}
                for (t, n), ps in cells.items()]
    per_family = [{"family": f, "tasks": len({b["task"] for _, b in ps}), **compare_group(ps)}
                  for f, ps in families.items()]
    return {"per_task": per_task, "per_family": per_family,
            "total": {"tasks": len({t for t, _ in cells}), **compare_group(pairs)},
            "only_before": only_before, "only_after": only_after}


# --------------------------------------------------------------------------- Markdown


def _arrow(pair_: list[Any], digits: int = 4) -> str:
    return f"{_f(pair_[0], digits)} -> {_f(pair_[1], digits)}"


def _row(label: list[str], g: dict[str, Any]) -> list[str]:
    n = g["with_ci"]
    change = (f"{_f(g['abs_error_change'])} ± {_f(g['abs_error_change_se'])}"
              if g["abs_error_change"] is not None else "—")
    ratio = f"{g['time_ratio']:.2f}x" if g["time_ratio"] is not None else "—"
    return [*label, str(g["pairs"]),
            f"{g['covered'][0]}/{n} -> {g['covered'][1]}/{n}",
            f"-{g['lost']} +{g['gained']}",
            _arrow(g["mean_abs_error"]), change, _arrow(g["bias"]),
            _arrow(g["median_width"]), _arrow(g["width_ratio"], 2),
            f"{g['identical']}/{g['both_ok']}", f"{g['k_changed']} / {g['transform_changed']}",
            f"{g['failures'][0]} -> {g['failures'][1]}",
            f"{g['time'][0]:.1f} -> {g['time'][1]:.1f} s ({ratio})"]


HEADER = ["runs", "coverage 95%", "lost / gained", "mean abs err",
          "change of abs err (± se)", "bias", "median 95% width", "width ratio",
          "identical", "K / representation changed", "failures", "time"]


def _describe(label: str, path: str, meta: dict[str, Any]) -> str:
    commit = str(meta.get("git_commit", "?"))[:12]
    dirty = " (uncommitted changes)" if meta.get("git_dirty") else ""
    return (f"- {label}: `{path}`, gmmi {meta.get('gmmi_version', '?')}, commit {commit}{dirty}, "
            f"{meta.get('date', '?')}, {meta.get('cpu_model', '?')} "
            f"({meta.get('cpu_count', '?')} cores), `{meta.get('command', '?')}`")


def to_markdown(result: dict[str, Any], paths: tuple[str, str],
                metas: tuple[dict[str, Any], dict[str, Any]]) -> str:
    lines = ["# gmmi accuracy: paired comparison of two runs", "",
             _describe("before", paths[0], metas[0]), _describe("after", paths[1], metas[1]),
             "",
             "Pairs: the same task, n, data seed and random_state in both runs "
             f"({result['total']['pairs']} paired; {result['only_before']} only before, "
             f"{result['only_after']} only after, left out). Errors in nats; change of abs "
             "err: mean over the pairs of |after - truth| - |before - truth|, with its "
             "standard error; width ratio: median interval width / (2 x 1.96 x sd of the "
             "estimates across data sets), for a group the median over its tasks and n; "
             "time: the paired estimates' total (compare only runs made on one machine, one "
             "after the other).", "",
             "## Total", ""]
    lines += _table(["tasks", *HEADER], [_row([str(result["total"]["tasks"])],
                                             result["total"])])
    lines += ["", "## Per family", ""]
    lines += _table(["family", "tasks", *HEADER],
                    [_row([g["family"], str(g["tasks"])], g) for g in result["per_family"]])
    lines += ["", "## Per task and n", ""]
    lines += _table(["task", "n", *HEADER],
                    [_row([g["task"], str(g["n"])], g) for g in result["per_task"]])
    return "\n".join(lines) + "\n"


def main(argv: Optional[list[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("before", help="JSON report of accuracy.py (the baseline)")
    p.add_argument("after", help="JSON report of accuracy.py (the change)")
    p.add_argument("--out", help="also write PREFIX.md and PREFIX.json")
    args = p.parse_args(argv)
    try:
        meta_a, runs_a = load(args.before)
        meta_b, runs_b = load(args.after)
        result = compare(runs_a, runs_b)
    except (OSError, ValueError) as exc:
        print(f"compare_accuracy.py: {exc}", file=sys.stderr)
        return 2
    md = to_markdown(result, (args.before, args.after), (meta_a, meta_b))
    sys.stdout.write(md)
    if args.out:
        Path(args.out).with_suffix(".md").write_text(md)
        Path(args.out).with_suffix(".json").write_text(json.dumps(
            {"before": args.before, "after": args.after, **result}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
