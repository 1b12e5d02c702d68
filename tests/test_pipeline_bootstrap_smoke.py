"""``benches/pipeline_bootstrap.py`` runs and writes what it promises.

A bivariate Gaussian (rho = 0.6) at n = 300, two data sets, three whole-pipeline resamples
each: every line has a finite estimate and interval, a positive pipeline spread (resamples
with replacement of a continuous sample differ, so the reruns cannot all give one value) and
a representation for every resample. The script's findings are a benchmark, not run here.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benches" / "pipeline_bootstrap.py"


@pytest.mark.skipif(not SCRIPT.is_file(),
                    reason=f"benches/pipeline_bootstrap.py not found at {SCRIPT} (e.g. an "
                           "sdist or installed-package test run without benches/)")
def test_pipeline_bootstrap_smoke(tmp_path: Path) -> None:
    pytest.importorskip("scipy")
    out = tmp_path / "pipeline.jsonl"
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--tasks", "gauss-rho0.6", "--n", "300", "--reps", "2",
         "--resamples", "3", "--out", str(out)],
        capture_output=True, text=True, timeout=600, check=False,
    )
    assert proc.returncode == 0, (
        f"pipeline_bootstrap.py exited {proc.returncode}\n"
        f"stdout:\n{proc.stdout[-3000:]}\nstderr:\n{proc.stderr[-3000:]}"
    )
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["rep"] for r in rows] == [0, 1]
    for r in rows:
        assert math.isfinite(r["estimate"]) and r["ci"][0] <= r["estimate"] <= r["ci"][1]
        assert math.isfinite(r["pipeline_sd"]) and r["pipeline_sd"] > 0
        assert sum(r["chosen"].values()) == 3
    assert "reported interval holds the truth" in proc.stdout
