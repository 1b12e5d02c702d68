"""The accuracy suite's smoke mode (``benches/accuracy.py --smoke``) runs and passes.

Bivariate Gaussian rho = 0.6, n = 1,000, three data sets, ``n_bootstrap=10``: the script exits
non-zero if an estimate fails or the truth is outside all three 95% intervals. The full suite
is a benchmark and is not run here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCHES = Path(__file__).resolve().parents[1] / "benches"
SCRIPT = BENCHES / "accuracy.py"


@pytest.mark.skipif(not SCRIPT.is_file(),
                    reason=f"benches/accuracy.py not found at {SCRIPT} (e.g. an sdist "
                           "or installed-package test run without the benches/ directory)")
def test_accuracy_smoke(tmp_path: Path) -> None:
    pytest.importorskip("scipy")
    pytest.importorskip("sklearn")
    prefix = tmp_path / "smoke"
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--smoke", "--out", str(prefix)],
        capture_output=True, text=True, timeout=600, check=False,
    )
    assert proc.returncode == 0, (
        f"accuracy.py --smoke exited {proc.returncode}\n"
        f"stdout:\n{proc.stdout[-3000:]}\nstderr:\n{proc.stderr[-3000:]}"
    )
    report = json.loads(prefix.with_name("smoke.json").read_text())
    assert len(report["runs"]) == 3
    assert all(r["error"] is None for r in report["runs"])
    assert prefix.with_name("smoke.md").read_text().startswith("# gmmi accuracy")
