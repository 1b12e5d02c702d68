"""Processes and threads: gmmi keeps working in a forked child (os.fork, a fork-context
multiprocessing pool, the default ProcessPoolExecutor of Linux) with the parent's numbers,
and the number of threads a process holds stays bounded whatever ``n_jobs`` it is called
with.

Every scenario runs in its own subprocess with a timeout, so a regression (a child waiting
forever on a thread pool whose threads were not copied by fork) fails instead of hanging the
suite.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="fork and /proc/self/task")

PRELUDE = """
import os, sys
import numpy as np
import gmmi
rng = np.random.default_rng(0)
x = rng.normal(size=300)
y = x + rng.normal(size=300)
OPTS = dict(n_bootstrap=2, mc_samples=2000, random_state=0)
BASE_THREADS = len(os.listdir("/proc/self/task"))  # before any gmmi call

def estimate(_=None):
    return gmmi.mutual_information(x, y, **OPTS).mean

parent = estimate()  # the parent's thread pool now exists
"""


def run_child(body: str, timeout: float = 60) -> str:
    """Runs PRELUDE + body in a fresh interpreter; returns stdout (fails on a non-zero exit
    or on a timeout, the symptom of the fork hang)."""
    code = PRELUDE + textwrap.dedent(body)
    try:
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        pytest.fail("the child process hung (the thread pool did not survive fork)")
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_os_fork_child_computes_the_parents_numbers():
    out = run_child("""
        pid = os.fork()
        if pid == 0:
            try:
                same = estimate() == parent
                # A matrix and a mixture's integral also run on the pool.
                m = gmmi.mi_matrix(np.column_stack([x, y]), **OPTS)
                ok = same and np.isfinite(m.mean[0, 1])
            except BaseException:
                os._exit(2)
            os._exit(0 if ok else 3)
        _, status = os.waitpid(pid, 0)
        print("child", os.waitstatus_to_exitcode(status))
    """, timeout=30)
    assert "child 0" in out


def test_multiprocessing_fork_pool():
    out = run_child("""
        import multiprocessing as mp
        with mp.get_context("fork").Pool(2) as pool:
            values = pool.map(estimate, range(2), chunksize=1)
        print(values == [parent, parent])
    """, timeout=30)
    assert out.strip() == "True"


def test_mi_matrix_on_the_default_process_pool_executor():
    # Python 3.11's default start method on Linux is fork: the README promises any Executor.
    out = run_child("""
        from concurrent.futures import ProcessPoolExecutor
        A = np.column_stack([x, y, x - y])
        local = gmmi.mi_matrix(A, **OPTS)
        with ProcessPoolExecutor(max_workers=2) as ex:
            remote = gmmi.mi_matrix(A, executor=ex, block_size=1, **OPTS)
        print(np.array_equal(local.mean, remote.mean, equal_nan=True))
    """, timeout=60)
    assert out.strip() == "True"


def test_threads_stay_bounded_whatever_n_jobs():
    # One pool per distinct n_jobs used to stay alive: n_jobs = 1..32 left 530 threads. Now
    # the two most recent pool sizes are kept and a pool has at most max(8, 4 x cores)
    # threads, so the process holds at most 2 x that many pool threads (plus the
    # threads counted before the first call); evicted pools' threads exit on their own,
    # shortly after.
    out = run_child("""
        import time

        def pool_threads():
            return len(os.listdir("/proc/self/task")) - BASE_THREADS

        small = dict(n_bootstrap=0, mc_samples=200, random_state=0)
        values = set()
        for n_jobs in [*range(1, 33), 1024]:
            values.add(gmmi.mutual_information(x[:100], y[:100], n_jobs=n_jobs, **small).mean)
        cap = max(8, 4 * (os.cpu_count() or 1))  # threads per pool at most
        deadline = time.monotonic() + 5
        while pool_threads() > 2 * cap and time.monotonic() < deadline:
            time.sleep(0.05)
        print(len(values), cap, pool_threads())
    """, timeout=60)
    n_values, cap, threads = map(int, out.split())
    assert n_values == 1  # the thread count never changes the numbers
    assert threads <= 2 * cap, (threads, cap)


def test_every_simd_variant_gives_the_same_numbers():
    # GMMI_SIMD limits the vectorised kernels to a narrower instruction set (an AVX-512
    # machine then runs what an AVX2 laptop runs). The kernels are written so that every
    # variant computes the same operations in the same order: the estimate, a mixture whose
    # EM, integral and bootstrap all go through them, is equal to the last bit.
    body = """
from gmmi import _core
c = rng.integers(0, 3, 600)
a = rng.normal(np.array([-2.0, 0.0, 2.0])[c], 0.6)
b = a + rng.normal(np.array([0.5, -1.0, 0.0])[c], 0.5)
r = gmmi.mutual_information(a, b, n_bootstrap=4, random_state=1)
print(_core.simd_variant(), r.mean.hex(), r.std.hex())
"""
    import os
    seen = {}
    for limit in ("baseline", "avx2", "avx512"):
        env = dict(os.environ, GMMI_SIMD=limit)
        out = subprocess.run([sys.executable, "-c", PRELUDE + textwrap.dedent(body)],
                             capture_output=True, text=True, timeout=120, env=env)
        assert out.returncode == 0, out.stderr
        variant, mean, std = out.stdout.split()
        seen[variant] = (mean, std)
    assert "baseline" in seen
    assert len(set(seen.values())) == 1, seen


def test_warnings_of_pairs_come_back_from_a_process_pool():
    # A pair's warnings carry the core's warning kind, which pickle cannot carry: every
    # matrix with a warning failed on a process pool ("cannot pickle WarningKind").
    out = run_child("""
        import warnings
        from concurrent.futures import ProcessPoolExecutor
        two = np.concatenate([rng.normal(-4, 1, 150), rng.normal(4, 1, 150)])
        A = np.column_stack([two, two + rng.normal(size=300)])
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            local = gmmi.mi_matrix(A, max_components=2, **OPTS)
            with ProcessPoolExecutor(max_workers=2) as ex:
                remote = gmmi.mi_matrix(A, max_components=2, executor=ex, **OPTS)
        kinds = sorted({w.category.__name__ for w in caught})
        print(np.array_equal(local.mean, remote.mean, equal_nan=True),
              local.cell_warnings == remote.cell_warnings, kinds)
    """, timeout=60)
    assert out.startswith("True True") and "MaxComponentsWarning" in out, out
