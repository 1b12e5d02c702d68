"""``benches/compare_accuracy.py``: the paired comparison of two accuracy runs.

Small hand-made reports whose paired figures are known exactly: which data sets pair, how
many intervals were lost and gained, the paired change of absolute error and its standard
error, identical estimates, and the refusals (no data set in common, a malformed report).
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conftest import BENCHES, load_bench, needs_bench

SCRIPT = BENCHES / "compare_accuracy.py"

pytestmark = needs_bench("compare_accuracy")


def _module() -> Any:
    return load_bench("compare_accuracy")


def _run(task: str, rep: int, estimate: float, half_width: float, truth: float = 1.0,
         n: int = 1000, time: float = 1.0, k: int = 1, seed: int | None = None) -> dict[str, Any]:
    lo, hi = estimate - half_width, estimate + half_width
    return {"task": task, "family": "fam-" + task, "n": n, "rep": rep,
            "seed": rep + 100 if seed is None else seed, "random_state": rep, "truth": truth,
            "estimate": estimate, "ci": [lo, hi], "covered": lo <= truth <= hi,
            "time": time, "error": None, "k": k, "transform": "identity", "warnings": []}


def _report(path: Path, runs: list[dict[str, Any]]) -> str:
    path.write_text(json.dumps({"meta": {"git_commit": "abc", "command": "test"},
                                "runs": runs}))
    return str(path)


def test_pairs_count_lost_and_gained_intervals_and_the_paired_error_change() -> None:
    m = _module()
    before = [_run("a", 0, 1.0, 0.1), _run("a", 1, 1.2, 0.1), _run("a", 2, 1.05, 0.1),
              _run("b", 0, 0.5, 0.1, truth=0.5, time=2.0),
              _run("a", 9, 1.0, 0.1)]                 # no partner
    after = [_run("a", 0, 1.0, 0.1),                  # identical, covered both
             _run("a", 1, 1.05, 0.1, k=2),            # gained (missed before)
             _run("a", 2, 1.15, 0.1),                 # lost
             _run("b", 0, 0.5, 0.1, truth=0.5, time=1.0),
             _run("c", 0, 1.0, 0.1)]                  # no partner
    res = m.compare(before, after)
    assert (res["only_before"], res["only_after"]) == (1, 1)
    tot = res["total"]
    assert tot["pairs"] == 4 and tot["covered"] == [3, 3]
    assert (tot["lost"], tot["gained"]) == (1, 1)
    assert tot["identical"] == 2 and tot["k_changed"] == 1
    # |after - truth| - |before - truth| per pair: 0, 0.05 - 0.2, 0.15 - 0.05, 0.
    d = [0.0, -0.15, 0.10, 0.0]
    mean = sum(d) / 4
    se = math.sqrt(sum((v - mean) ** 2 for v in d) / 3) / 2
    assert tot["abs_error_change"] == pytest.approx(mean, abs=1e-12)
    assert tot["abs_error_change_se"] == pytest.approx(se, abs=1e-12)
    assert tot["time"] == pytest.approx([5.0, 4.0])
    a = next(g for g in res["per_task"] if g["task"] == "a")
    assert a["pairs"] == 3 and (a["lost"], a["gained"]) == (1, 1)
    assert [g["family"] for g in res["per_family"]] == ["fam-a", "fam-b"]


def test_other_data_sets_do_not_pair_and_bad_reports_are_refused(tmp_path: Path) -> None:
    m = _module()
    # Same task and replicate, another data seed (another --seed-offset): no pair.
    with pytest.raises(ValueError, match="no data set in common"):
        m.compare([_run("a", 0, 1.0, 0.1, seed=1)], [_run("a", 0, 1.0, 0.1, seed=2)])
    with pytest.raises(ValueError, match="twice"):
        m.compare([_run("a", 0, 1.0, 0.1)] * 2, [_run("a", 0, 1.0, 0.1)])
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"runs": [{"task": "a"}]}))
    with pytest.raises(ValueError, match="lacks"):
        m.load(bad)


def test_the_command_line_writes_markdown_and_json(tmp_path: Path) -> None:
    before = _report(tmp_path / "a.json", [_run("a", r, 1.0 + 0.01 * r, 0.1) for r in range(3)])
    after = _report(tmp_path / "b.json", [_run("a", r, 1.0 + 0.02 * r, 0.1) for r in range(3)])
    out = tmp_path / "cmp"
    proc = subprocess.run([sys.executable, str(SCRIPT), before, after, "--out", str(out)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("# gmmi accuracy: paired comparison")
    assert "| 1 | 3 | 3/3 -> 3/3 | -0 +0 |" in proc.stdout
    saved = json.loads(out.with_suffix(".json").read_text())
    assert saved["total"]["pairs"] == 3 and saved["total"]["identical"] == 1
    # A file that is not a report: exit status 2 and a message, no traceback.
    proc = subprocess.run([sys.executable, str(SCRIPT), before, str(tmp_path / "missing.json")],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 2 and "compare_accuracy.py:" in proc.stderr
    assert "Traceback" not in proc.stderr
