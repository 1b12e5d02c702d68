"""``benches/categorical_large_n.py``: its truths and a small run.

The script's findings (coverage at n = 48,000) are a benchmark and are not run here. What is
checked: the truth of its 4-Gaussian shape, integrated by the trapezoidal rule over
``sum_c pi_c KL(p(x|c) || p(x))``, equals the truth of ``benches/benchmark.py``'s
categorical case, computed independently as ``h(X) - sum_c h(X|c) / C`` by adaptive
quadrature (the two agree to 7e-10; 1e-8 allows for quadrature error only), and a run of two
shapes at n = 2,000 prints a row per shape with a coverage count.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from conftest import BENCHES, load_bench, needs_bench

SCRIPT = BENCHES / "categorical_large_n.py"
pytestmark = needs_bench("categorical_large_n")
_load = load_bench


def test_the_gaussian_shapes_truth_is_the_benchmarks():
    pytest.importorskip("scipy")
    large_n, benchmark = _load("categorical_large_n"), _load("benchmark")
    assert large_n.truth("gauss4") == pytest.approx(benchmark.categorical_truth(), abs=1e-8)
    with pytest.raises(ValueError, match="unknown"):
        large_n.class_densities("gauss5")


def test_a_small_run_reports_every_shape():
    pytest.importorskip("scipy")
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--shapes", "gauss4,t8", "--n", "2000", "--reps", "2",
         "--jobs", "1"],
        capture_output=True, text=True, timeout=600, check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = re.findall(r"^\| (gauss4|t8) \| [0-9.]+ \| ([0-2])/2 \|", proc.stdout, re.M)
    assert [name for name, _ in rows] == ["gauss4", "t8"], proc.stdout
