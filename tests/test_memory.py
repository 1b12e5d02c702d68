"""Memory: no input may abort the interpreter. Each case runs in a child process under an
address-space limit (RLIMIT_AS), where a failed allocation in Rust used to kill the process
with SIGABRT ("memory allocation of 80000000000 bytes failed"); now it either works or
raises MemoryError naming the argument."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="RLIMIT_AS as on Linux")

GIB = 2**30


def run_limited(body: str, limit: int, args: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    code = textwrap.dedent(f"""
        import resource
        resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))
    """) + body
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          timeout=120)
    # A negative return code is a signal: -6 is the abort this file is about.
    assert proc.returncode >= 0, f"killed by signal {-proc.returncode}: {proc.stderr[-2000:]}"
    return proc


ID_COLUMNS = """
    import numpy as np
    n = 100_000
    a = np.arange(n)                      # 1e5 levels each: a dense table has 1e10 cells
    b = (np.arange(n) * 7919) % n         # a bijection of a: I = H = ln n
"""


def test_discrete_mi_of_id_like_columns_works():
    proc = run_limited(textwrap.dedent(ID_COLUMNS) + textwrap.dedent("""
        import gmmi
        r = gmmi.mutual_information(a, b, discrete_x=True, discrete_y=True, n_bootstrap=4,
                                    random_state=0)
        print(abs(r.full_value - np.log(n)) < 1e-9, r.details["table"] is None,
              r.details["table_cells"].shape)
        m = gmmi.mi_matrix(np.column_stack([a, b]), discrete_a=True, n_bootstrap=0,
                           random_state=0)
        print(m.mean[0, 1] == r.full_value)  # without bootstrap a cell is the full value
    """), 2 * GIB)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["True", "True", "(100000,", "3)", "True"]


def test_discrete_mi_of_id_like_columns_on_the_command_line(tmp_path):
    f = tmp_path / "ids.csv"
    f.write_text("a,b\n" + "".join(f"{i},{(i * 7919) % 100_000}\n" for i in range(100_000)))
    proc = run_limited(textwrap.dedent("""
        import sys
        from gmmi.cli import main
        sys.exit(main(["estimate", sys.argv[1], "--x", "a", "--y", "b", "--discrete-x",
                       "--discrete-y", "--n-bootstrap", "2", "--json"]))
    """), 2 * GIB, (str(f),))
    assert proc.returncode == 0, proc.stderr
    assert '"mean"' in proc.stdout


def test_an_estimate_beyond_the_memory_limit_is_a_memory_error():
    # 2e7 rows x 2 columns (320 MB) need about 3 GiB of working memory: more than 1.5 GiB.
    proc = run_limited(textwrap.dedent("""
        import numpy as np, gmmi
        n = 2 * 10**7
        x = np.arange(n, dtype=float)
        y = x % 1000.0
        try:
            gmmi.mutual_information(x, y, n_bootstrap=0, random_state=0)
        except MemoryError as e:
            print("MemoryError", e)
    """), int(1.5 * GIB))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("MemoryError x: 20000000 rows x 2 columns"), proc.stdout


def test_outputs_and_buffers_sized_by_arguments():
    # Siblings: a quadrature order whose node matrix (order^2 doubles) does not fit, and
    # per-row-per-component outputs of a mixture with many components.
    proc = run_limited(textwrap.dedent("""
        import numpy as np, gmmi
        g = gmmi.GaussianMixture.from_parameters([1.0], [[0.0]], [[[1.0]]])
        try:
            g.entropy(integral="quadrature", quadrature_order=100_000)
        except ValueError as e:
            print(str(e).split(":")[0])
        k = 20_000
        big = gmmi.GaussianMixture.from_parameters(
            np.full(k, 1 / k), np.arange(k, dtype=float)[:, None], np.ones((k, 1, 1)))
        try:
            big.predict_proba(np.zeros((10**6, 1)))  # 1e6 x 2e4 doubles: 160 GB
        except MemoryError as e:
            print(str(e).split(":")[0])
    """), int(1.5 * GIB))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["quadrature_order", "X"], proc.stdout


def test_initialising_many_components_on_many_rows_is_a_memory_error():
    # random_sklearn starts from a responsibility per row and component: 1e6 rows x 5e4
    # components is 400 GB.
    proc = run_limited(textwrap.dedent("""
        import numpy as np, gmmi
        X = np.random.default_rng(0).normal(size=(10**6, 1))
        for call in (lambda: gmmi.GaussianMixture(n_components=50_000, random_state=0).fit(X),
                     lambda: gmmi.mutual_information(X[:, 0], X[:, 0] ** 3, n_bootstrap=0,
                                                     n_components=50_000, random_state=0)):
            try:
                call()
            except MemoryError as e:
                print(str(e).split(":")[0])
            except ValueError as e:
                print("ValueError", e)
    """), int(1.5 * GIB))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["X", "x"], proc.stdout


def test_a_matrix_with_too_many_replicates_is_refused_naming_n_bootstrap():
    # 6 pairs x 1e7 replicates: about 3 GiB of replicate values. Under a 1.5 GiB limit the
    # process aborted ("memory allocation of 1 bytes failed"), hung or panicked after
    # seconds of work; now it is refused before any.
    proc = run_limited(textwrap.dedent("""
        import time
        import numpy as np, gmmi
        A = np.array([[0, 1, 0, 1], [1, 0, 0, 1], [0, 0, 1, 1]]).T
        t = time.perf_counter()
        try:
            gmmi.mi_matrix(A, discrete_a=True, n_bootstrap=10**7, random_state=0)
        except MemoryError as e:
            print(str(e).split(":")[0], time.perf_counter() - t < 2)
    """), 3 * GIB // 2)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["n_bootstrap", "True"], proc.stdout
