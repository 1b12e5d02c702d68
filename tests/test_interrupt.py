"""Ctrl-C: a long call stops within a second with KeyboardInterrupt and leaves the
interpreter usable (SIGINT sent to a real subprocess)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

CHILD = r"""
import sys, time
import numpy as np
import gmmi
rng = np.random.default_rng(0)
x = rng.normal(size=200_000)
y = x + rng.normal(size=200_000)
print("ready", flush=True)
try:
    if sys.argv[1] == "matrix":
        A = np.column_stack([x, y, x - y, x * 0.5 + rng.normal(size=200_000)])
        gmmi.mi_matrix(A, n_bootstrap=1000, random_state=0)
    else:
        gmmi.mutual_information(x, y, n_bootstrap=10_000, random_state=0)
    print("finished", flush=True)
except KeyboardInterrupt:
    t = time.perf_counter()
    print("interrupted", flush=True)
    # The interpreter is still usable: run a small estimate afterwards.
    r = gmmi.mutual_information(x[:300], y[:300], n_bootstrap=2, mc_samples=500, random_state=0)
    print("after", r.n_components, flush=True)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("what", ["estimate", "matrix"])
def test_sigint_stops_a_long_call_within_a_second(what):
    proc = subprocess.Popen([sys.executable, "-c", CHILD, what], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(1.5)  # well inside the component search / bootstrap
        assert proc.poll() is None, "the estimate finished before it could be interrupted"
        t0 = time.perf_counter()
        os.kill(proc.pid, signal.SIGINT)
        line = proc.stdout.readline().strip()
        elapsed = time.perf_counter() - t0
        assert line == "interrupted", (line, proc.stderr.read() if proc.stderr else "")
        # Workers check the cancel flag between EM iterations (each well under 0.1 s here)
        # and the main thread polls every 0.05 s: 1 s is the promised bound.
        assert elapsed < 1.0, elapsed
        out, err = proc.communicate(timeout=60)
        assert "after 1" in out, err
        assert proc.returncode == 0, err
    finally:
        if proc.poll() is None:
            proc.kill()
