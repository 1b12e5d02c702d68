"""Speed and accuracy of gmmi against the published GMM-MI package and KSG, and gmmi's scaling.

Run from the repository root with gmmi installed::

    python benches/benchmark.py                      # comparison table, median of 3 runs
    python benches/benchmark.py --repeats 5 --out benches/results
    python benches/benchmark.py --quick              # tiny settings: checks the plumbing only
    python benches/benchmark.py --scaling            # gmmi time and peak memory vs n
    python benches/benchmark.py --scaling --init kmeans --max-n 100000
    python benches/benchmark.py --scaling --quick    # tiny scaling run, plumbing only

Comparison (default). The same data, generated here with NumPy from fixed seeds, go to:

- gmmi with the published defaults (50 bootstrap replicates, 1e5 Monte Carlo draws,
  ``random_state=0``, all cores);
- the published package ``gmm-mi`` (PyPI ``gmm-mi``, import ``gmm_mi``) with its defaults,
  through its README API ``EstimateMI().fit_estimate(X)``. It needs ``scikit-learn<1.6``, so
  this script installs it once into its own virtual environment ``benches/.venv-gmmmi`` and
  runs it in a subprocess with that environment's python; the data go through a temporary
  ``.npy`` file and the result comes back as JSON. Only the ``fit_estimate`` call is timed
  (not interpreter start-up or imports). No code of gmm-mi is copied; it is only called;
- scikit-learn's ``mutual_info_regression(x[:, None], y, n_neighbors=3, random_state=0)``
  (KSG), the usual non-parametric choice; it gives no uncertainty ("—").

Cases: bivariate Gaussian rho = 0.6 at n = 200 and 10,000 (truth -0.5 ln(1 - rho^2)); the
paper's five-component mixture D5 at n = 1,000 and 10,000 (truth 0.16805 nat);
gamma-exponential with a = 1 (x ~ Gamma(1, 1), y | x ~ Exponential(rate x), both
log-transformed; truth psi(2) - ln 1 = 1 - Euler's gamma) at n = 10,000; categorical MI
shaped like the paper's 3D-shapes experiment (a 1-D latent, 4 balanced classes with Gaussian
class-conditionals, n = 48,000; truth by quadrature) with the paper's settings there
(``n_inits=5, n_folds=3, n_bootstrap=100``) on both packages (``fit_estimate_categorical``
for gmm-mi, ``discrete_y=True`` for gmmi, ``mutual_info_classif`` for KSG); ``--cases``
picks some, and runs ``categorical-8`` and ``categorical-15`` (the same with 8 and 15
classes, means evenly spaced over [-1.5, 1.5], standard deviations over [0.5, 1]) only when
it names them. Every method is run ``--repeats`` times (default 3) on each case after
untimed calls (WARM-UP: on a 2-core virtual machine gmmi's first two-thread calls after
gmm-mi's subprocess ran up to 1.6x slower for about a tenth of a second while the machine's
second core came back, which the timed calls of gmmi's 15-30 ms cases took in full: 26, 22
and 16 ms for the Gaussian at n = 10,000 after one untimed call, 16 ms from then on; a
pipeline over many pairs runs in that steady state. gmmi is called for at least
``WARM_UP_SECONDS``, KSG and gmm-mi once), and the median wall time is reported, with the
estimates (mean ± bootstrap std), the truth, the ratio of wall times gmm-mi / gmmi and
whether gmmi and gmm-mi agree within their combined uncertainty (|a - b| < 2 sqrt(sa^2 +
sb^2)); gmmi is also timed with ``n_jobs=1`` for the speed-up of all cores over one
(TIMING: gmmi's calls on all cores and on one thread alternate, so that a change in the
host's load during the run falls on both alike, each timed call shorter than
``WARM_UP_SECONDS`` coming after an untimed call of its own kind (the core that the other
kind left idle wakes up during that one), and a case's calls are repeated beyond
``--repeats`` until those on all cores last ``TIMED_SECONDS`` in all, at most
``MAX_TIMED_ROUNDS`` times each: on the 2-core virtual machine a median of three 36 ms calls
of the Gaussian at n = 10,000, all cores first and one thread after, gave a speed-up of
1.19x on one day and 1.73x on another). Output:
a Markdown table, printed and written to ``<out>/benchmark.md``, and
``<out>/benchmark.json`` with the machine (cores, platform, Python, BLAS thread pools, load
average), the package versions and the date.

gmm-mi runs with the environment this script was started with (OpenBLAS then uses every
core, its default); ``--gmmmi-blas-threads 1`` runs it with ``OPENBLAS_NUM_THREADS=1``
instead, which on a 2-core virtual machine made gmm-mi 1.6-1.8x faster on the Gaussian
cases, 1.1-1.4x on the others but the categorical one (its small matrix products do not
gain from threads). The JSON records which.

Scaling (``--scaling``): gmmi's wall time and peak resident memory (VmHWM of a fresh
subprocess per point) for n = 1e3, 1e4, 1e5, 1e6 (``--max-n`` to stop earlier) on the D5
mixture with the published defaults, in two modes: K fixed at 5 (``n_components=5``, isolates
EM and the bootstrap) and with the full component search, each with ``n_jobs=1`` and
``n_jobs=2``. Output: ``<out>/scaling-<init>.json`` and a log-log plot
``<out>/scaling-<init>.png`` (time and memory vs n).

``--quick`` uses 5 bootstrap replicates and 5,000 Monte Carlo draws for both gmmi and gmm-mi
(so that the time ratio still compares like with like), only the cases with n <= 1,000 and
one repetition; with ``--scaling`` it runs n = 500, 1,000, 2,000. Its numbers are not a
benchmark, and it writes to ``benches/results/quick`` unless ``--out`` is given. Run the
real thing on a quiet machine: other load inflates gmm-mi's times more than gmmi's (the load
average is recorded in the JSON).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

# NumPy's BLAS is only used here to draw the data (multivariate_normal), but its idle worker
# threads then spin and take cores from the code being timed. One BLAS thread in this
# process; the gmm-mi subprocess gets the environment as it was (see GMMMI_ENV).
GMMMI_ENV = dict(os.environ)
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

import gmmi  # noqa: E402

HERE = Path(__file__).resolve().parent
VENV = HERE / ".venv-gmmmi"
RESULT_TAG = "GMMMI_RESULT "
EULER_GAMMA = 0.5772156649015329
RHO = 0.6
DATA_SEED = 0
QUICK = {"n_bootstrap": 5, "mc_samples": 5000}

D5_WEIGHTS = np.array([0.2, 0.35, 0.15, 0.12, 0.18])
D5_MEANS = np.array([(-1.0, 1.0), (0.0, 2.0), (-1.5, 2.0), (2.0, 1.0), (-0.25, 0.0)])
D5_COVS = np.array([
    [[1.0, 0.0], [0.0, 0.1]],
    [[0.5, 0.2], [0.2, 0.5]],
    [[0.1, 0.05], [0.05, 0.1]],
    [[0.5, -0.1], [-0.1, 0.9]],
    [[0.2, -0.05], [-0.05, 0.1]],
])
D5_TRUTH = 0.16805

#: gmmi's untimed calls before the timed ones last at least this long (see WARM-UP in the
#: module docstring); KSG and gmm-mi, whose calls last as long or longer, make one.
WARM_UP_SECONDS = 0.3
#: gmmi's timed calls (of its first configuration: all cores) last at least this long in
#: all: short calls are repeated beyond ``--repeats`` (see TIMING in the module docstring),
#: in at most ``MAX_TIMED_ROUNDS`` rounds.
TIMED_SECONDS = 1.0
MAX_TIMED_ROUNDS = 25

CASES = [("gaussian", 200), ("gaussian", 10_000), ("d5", 1_000), ("d5", 10_000),
         ("gamma-exponential", 10_000), ("categorical", 48_000)]

#: Cases run only when ``--cases`` names them: the categorical case with 8 and 15 classes
#: (the paper's 3D-shapes factors have 4 to 15), whose gmm-mi runs take 25-70 s each.
OPTIONAL_CASES = [("categorical-8", 48_000), ("categorical-15", 48_000)]

# The categorical case is shaped like the paper's 3D-shapes experiment (a 1-D latent against
# a generative factor with 4 balanced classes, n = 48,000) and run with the paper's settings
# there, on both packages; the other cases use each package's defaults.
CAT_MEANS = (-1.5, -0.3, 0.6, 1.8)
CAT_SDS = (0.6, 0.7, 0.8, 0.6)
CAT_SETTINGS = {"n_inits": 5, "n_folds": 3, "n_bootstrap": 100}
CASE_SETTINGS: dict[str, dict[str, int]] = {
    name: CAT_SETTINGS for name, _ in CASES + OPTIONAL_CASES if name.startswith("categorical")}


def is_categorical(case: str) -> bool:
    """Whether a case is categorical MI (``categorical`` or ``categorical-<classes>``)."""
    return case.startswith("categorical")


def class_shape(case: str) -> tuple[np.ndarray, np.ndarray]:
    """The class means and standard deviations of a categorical case: ``categorical`` has
    four (CAT_MEANS, CAT_SDS); ``categorical-<C>`` has C, means evenly spaced over
    [-1.5, 1.5] and standard deviations over [0.5, 1]."""
    if case == "categorical":
        return np.asarray(CAT_MEANS), np.asarray(CAT_SDS)
    c = int(case.split("-", 1)[1])
    return np.linspace(-1.5, 1.5, c), 0.5 + 0.5 * np.linspace(0.0, 1.0, c)

# Runs inside gmm-mi's own environment. argv[1]: JSON with the data path and the settings.
GMMMI_RUNNER = r"""
import json, sys, time, warnings
import numpy as np
from gmm_mi.mi import EstimateMI
args = json.loads(sys.argv[1])
from gmm_mi.param_holders import MIDistParamHolder, SelectComponentsParamHolder
X = np.load(args["data"])
kw, init = {}, {}
dist = {k: args[k] for k in ("n_bootstrap", "mc_samples") if args[k] is not None}
if dist:
    kw["mi_dist_params"] = MIDistParamHolder(**{"MC_samples" if k == "mc_samples" else k: v
                                                for k, v in dist.items()})
sel = {k: args[k] for k in ("n_inits", "n_folds") if args.get(k) is not None}
if sel:
    init["select_components_params"] = SelectComponentsParamHolder(**sel)
times, caught, out, k = [], [], None, None
# One untimed call first, as for gmmi and KSG (see WARM-UP in the module docstring).
for rep in range(-1 if args["warm_up"] else 0, args["repeats"]):
    est = EstimateMI(**init)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        t0 = time.perf_counter()
        if args["categorical"]:
            out = est.fit_estimate_categorical(X[:, :1], X[:, 1].astype(int), **kw)
        else:
            out = est.fit_estimate(X, **kw)
        if rep >= 0:
            times.append(time.perf_counter() - t0)
    if rep >= 0:
        caught += [f"{x.category.__name__}: {x.message}" for x in w]
    k = getattr(est, "best_components", None)
print("@TAG@" + json.dumps({
    "times": times, "mean": float(out[0]), "std": float(out[1]),
    "k": None if k is None else int(k), "n_warnings": len(caught),
    "warnings": sorted(set(caught))[:20]}))
""".replace("@TAG@", RESULT_TAG)


# --------------------------------------------------------------------------- data


def make(case: str, n: int, seed: int = DATA_SEED) -> tuple[np.ndarray, float]:
    """The (n, 2) data of a case, drawn with NumPy only, and its true MI in nat."""
    rng = np.random.default_rng(seed)
    if case == "gaussian":
        X = rng.multivariate_normal([0.0, 0.0], [[1.0, RHO], [RHO, 1.0]], size=n)
        return X, -0.5 * math.log(1.0 - RHO**2)
    if case == "d5":
        labels = rng.choice(len(D5_WEIGHTS), size=n, p=D5_WEIGHTS)
        chol = np.linalg.cholesky(D5_COVS)
        z = rng.standard_normal((n, 2))
        return D5_MEANS[labels] + np.einsum("nij,nj->ni", chol[labels], z), D5_TRUTH
    if case == "gamma-exponential":
        x = rng.gamma(1.0, 1.0, size=n)  # a = 1
        y = rng.exponential(1.0 / x)  # NumPy takes the scale, 1 / rate
        return np.column_stack([np.log(x), np.log(y)]), 1.0 - EULER_GAMMA  # psi(2) - ln 1
    if is_categorical(case):
        # Balanced classes (gmm-mi weights classes equally), x | c ~ N(mean_c, sd_c).
        means, sds = class_shape(case)
        c = np.arange(n) % len(means)
        rng.shuffle(c)
        x = means[c] + sds[c] * rng.standard_normal(n)
        return np.column_stack([x, c.astype(float)]), categorical_truth(case)
    raise ValueError(f"unknown case {case!r}")


def categorical_truth(case: str = "categorical") -> float:
    """I(X; C) of a categorical case: h(X) - sum_c h(X | c) / C, h(X) by quadrature."""
    from scipy import integrate

    mu, sd = class_shape(case)

    def neg_plogp(t: float) -> float:
        dens = float(np.mean(np.exp(-0.5 * ((t - mu) / sd) ** 2) / (sd * math.sqrt(2 * math.pi))))
        return -dens * math.log(dens) if dens > 0 else 0.0

    h_x = integrate.quad(neg_plogp, mu.min() - 12, mu.max() + 12, points=list(mu), limit=400,
                         epsabs=1e-13, epsrel=1e-12)[0]
    h_cond = float(np.mean(0.5 * np.log(2 * math.pi * math.e * sd**2)))
    return h_x - h_cond


# --------------------------------------------------------------------------- gmm-mi


def _venv_python() -> Path:
    sub = "Scripts/python.exe" if os.name == "nt" else "bin/python"
    return VENV / sub


def ensure_gmmmi() -> Path | None:
    """The python of a virtual environment holding gmm-mi, created and filled on first use."""
    py = _venv_python()
    if not py.exists():
        print(f"creating {VENV} (once)...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    check = ("import gmm_mi.mi, sklearn\n"
             "assert tuple(map(int, sklearn.__version__.split('.')[:2])) < (1, 6)")
    if subprocess.run([str(py), "-c", check], capture_output=True).returncode == 0:
        return py
    print("installing gmm-mi and scikit-learn<1.6 into it (once, about a minute)...", flush=True)
    # The second attempt is a fallback in case a future gmm-mi release no longer builds
    # against NumPy 2; gmm-mi 0.8.2 installs with the first.
    for extra in ([], ["numpy<2"]):
        r = subprocess.run([str(py), "-m", "pip", "install", "-q", "gmm-mi", "scikit-learn<1.6",
                            *extra], capture_output=True, text=True)
        if r.returncode == 0 and subprocess.run([str(py), "-c", check],
                                                capture_output=True).returncode == 0:
            return py
        print(f"pip install gmm-mi {' '.join(extra)} failed:\n{r.stderr[-2000:]}",
              file=sys.stderr)
    return None


def gmmmi_env(blas_threads: int | None) -> dict[str, str]:
    """gmm-mi's environment: this script's as it was started, with
    ``OPENBLAS_NUM_THREADS`` (and ``OMP_NUM_THREADS``) set when ``blas_threads`` is given."""
    env = dict(GMMMI_ENV)
    if blas_threads is not None:
        env["OPENBLAS_NUM_THREADS"] = env["OMP_NUM_THREADS"] = str(blas_threads)
    return env


def run_gmmmi(py: Path, X: np.ndarray, repeats: int, quick: bool,
              timeout: float | None, case: str = "",
              blas_threads: int | None = None) -> dict[str, Any]:
    """gmm-mi's estimate and fit_estimate (fit_estimate_categorical) wall times, or
    {"error": ...}."""
    settings = {**CASE_SETTINGS.get(case, {}), **(QUICK if quick else {})}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "X.npy"
        np.save(path, X)
        spec = {"data": str(path), "repeats": repeats, "categorical": is_categorical(case),
                "n_bootstrap": settings.get("n_bootstrap"),
                "mc_samples": settings.get("mc_samples"),
                "n_inits": settings.get("n_inits"), "n_folds": settings.get("n_folds"),
                "warm_up": not quick}
        try:
            r = subprocess.run([str(py), "-c", GMMMI_RUNNER, json.dumps(spec)],
                               capture_output=True, text=True, timeout=timeout,
                               env=gmmmi_env(blas_threads))
        except subprocess.TimeoutExpired:
            return {"error": f"timed out after {timeout} s"}
    lines = [ln for ln in r.stdout.splitlines() if ln.startswith(RESULT_TAG)]
    if r.returncode != 0 or not lines:
        tail = r.stderr.strip().splitlines()[-5:]
        print("gmm-mi failed:\n" + "\n".join(tail), file=sys.stderr)
        return {"error": tail[-1].strip() if tail else f"exit code {r.returncode}"}
    return json.loads(lines[-1][len(RESULT_TAG):])


def gmmmi_versions(py: Path) -> dict[str, Any]:
    code = ("import importlib.metadata as m, json, platform, threadpoolctl\n"
            "print(json.dumps({'gmm-mi': m.version('gmm-mi'),"
            " 'scikit-learn': m.version('scikit-learn'), 'numpy': m.version('numpy'),"
            " 'python': platform.python_version(),"
            " 'threadpools': [(p.get('internal_api'), p.get('num_threads'))"
            " for p in threadpoolctl.threadpool_info()]}))")
    r = subprocess.run([str(py), "-c", "import numpy, sklearn\n" + code],
                       capture_output=True, text=True)
    return json.loads(r.stdout) if r.returncode == 0 else {"error": r.stderr[-500:]}


# --------------------------------------------------------------------------- gmmi and KSG


def gmmi_settings(case: str, quick: bool, **extra: Any) -> dict[str, Any]:
    """gmmi's keyword arguments for a case."""
    kw: dict[str, Any] = {**CASE_SETTINGS.get(case, {}), **(QUICK if quick else {})}
    kw.update(extra)
    if is_categorical(case):
        kw["discrete_y"] = True
    return kw


def time_gmmi(X: np.ndarray, configs: list[dict[str, Any]], repeats: int, quick: bool,
              warm_up: bool = True) -> list[dict[str, Any]]:
    """gmmi under each of ``configs`` (keyword arguments), the timed calls interleaved
    (one of each config in turn) so that a change in the host's load during the run falls
    on every config alike: at least ``repeats`` rounds, more for short calls, until the
    first config's timed calls last ``TIMED_SECONDS`` (at most ``MAX_TIMED_ROUNDS``)."""
    times: list[list[float]] = [[] for _ in configs]
    caught: list[list[str]] = [[] for _ in configs]
    results: list[Any] = [None] * len(configs)

    def call(i: int, record: bool) -> float:
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always" if record else "ignore")
            t0 = time.perf_counter()
            results[i] = gmmi.mutual_information(X[:, 0], X[:, 1], random_state=0,
                                                 **configs[i])
            elapsed = time.perf_counter() - t0
        if record:
            times[i].append(elapsed)
            caught[i] += [f"{x.category.__name__}: {x.message}" for x in w]
        return elapsed

    # A short call right after another configuration's runs slower (the core the other
    # left idle wakes up: 24 -> 26-34 ms for the Gaussian at n = 10,000 on two threads
    # after one-thread calls): with several configurations, a short one gets an untimed
    # call before each timed one, as in a pipeline's steady state.
    short = [False] * len(configs)
    if warm_up and not quick:  # WARM-UP: untimed calls for WARM_UP_SECONDS (at least one)
        for i in range(len(configs)):
            start, last = time.perf_counter(), 0.0
            while time.perf_counter() - start < WARM_UP_SECONDS:
                last = call(i, record=False)
            short[i] = len(configs) > 1 and last < WARM_UP_SECONDS
    rounds = repeats
    done = 0
    while done < rounds:
        elapsed = []
        for i in range(len(configs)):
            if short[i]:
                call(i, record=False)
            elapsed.append(call(i, record=True))
        done += 1
        if done == 1 and warm_up and not quick:
            rounds = max(repeats, min(MAX_TIMED_ROUNDS, math.ceil(TIMED_SECONDS / elapsed[0])))
    out = []
    for t, c, r in zip(times, caught, results):
        assert r is not None
        out.append({"times": t, "mean": float(r.mean), "std": float(r.std),
                    "k": r.n_components, "n_warnings": len(c),
                    "warnings": sorted(set(c) | set(r.warnings))[:20]})
    return out


def run_gmmi(X: np.ndarray, repeats: int, quick: bool, case: str = "",
             warm_up: bool = True, **extra: Any) -> dict[str, Any]:
    """gmmi's times and estimate on a case (see :func:`time_gmmi`)."""
    return time_gmmi(X, [gmmi_settings(case, quick, **extra)], repeats, quick, warm_up)[0]


def run_ksg(X: np.ndarray, repeats: int, case: str = "",
            quick: bool = False) -> dict[str, Any]:
    from sklearn.feature_selection import mutual_info_classif, mutual_info_regression

    times: list[float] = []
    v = math.nan
    for rep in range(0 if quick else -1, repeats):  # -1: the untimed warm-up
        t0 = time.perf_counter()
        if is_categorical(case):
            v = float(mutual_info_classif(X[:, :1], X[:, 1].astype(int), n_neighbors=3,
                                          random_state=0)[0])
        else:
            v = float(mutual_info_regression(X[:, :1], X[:, 1], n_neighbors=3,
                                             random_state=0)[0])
        if rep >= 0:
            times.append(time.perf_counter() - t0)
    return {"times": times, "mean": v, "std": None}


# --------------------------------------------------------------------------- report


def machine() -> dict[str, Any]:
    info: dict[str, Any] = {
        "cpu_count": os.cpu_count(), "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "python": platform.python_version(), "python_implementation":
        platform.python_implementation(),
    }
    if hasattr(os, "getloadavg"):
        info["loadavg_start"] = os.getloadavg()
    # The CPU's vector extensions and the variant gmmi's kernels run (GMMI_SIMD can cap it
    # at avx2 or baseline to measure an AVX2 machine on an AVX-512 one).
    try:
        with open("/proc/cpuinfo") as f:
            flags = next((line.split(":", 1)[1].split() for line in f
                          if line.startswith("flags")), [])
        info["cpu_flags"] = [x for x in ("avx2", "fma", "avx512f") if x in flags]
    except OSError:
        pass
    from gmmi import _core

    info["gmmi_kernels"] = _core.simd_variant()
    try:
        import threadpoolctl

        info["threadpools"] = [(p.get("internal_api"), p.get("num_threads"))
                               for p in threadpoolctl.threadpool_info()]
    except ImportError:
        pass
    return info


def versions() -> dict[str, Any]:
    import sklearn

    return {"gmmi": gmmi.__version__, "numpy": np.__version__,
            "scikit-learn (KSG)": sklearn.__version__}


def med(d: dict[str, Any] | None) -> float | None:
    if not d or "times" not in d:
        return None
    return float(statistics.median(d["times"]))


def fmt_est(d: dict[str, Any] | None) -> str:
    if not d or "mean" not in d:
        return "failed" if d else "—"
    s = d.get("std")
    std = f"{s:.4f}" if s is not None and math.isfinite(s) else "—"
    k = f" (K={d['k']})" if d.get("k") is not None else ""
    return f"{d['mean']:.4f} ± {std}{k}"


def fmt_time(t: float | None) -> str:
    if t is None:
        return "—"
    return f"{t:.3f} s" if t < 10 else f"{t:.1f} s"


def table(rows: list[dict[str, Any]], meta: dict[str, Any]) -> str:
    m, v = meta["machine"], meta["versions"]
    head = (f"Machine: {m['cpu_count']} cores ({m['processor']}), {m['platform']}, Python "
            f"{m['python']}; CPU flags {', '.join(m.get('cpu_flags', [])) or 'unknown'}, gmmi "
            f"kernels {m.get('gmmi_kernels', '?')}; median of {meta['repeats']} run(s)"
            + (" after untimed ones (gmmi: more for short calls, alternating all cores and "
               "one thread; the runs of each case in the JSON)"
               if "warm-up" in meta["settings"] and not meta["quick"] else "")
            + ("; gmm-mi with OPENBLAS_NUM_THREADS="
               f"{meta['settings']['gmm-mi BLAS threads']['OPENBLAS_NUM_THREADS']}"
               if "gmm-mi BLAS threads" in meta["settings"] else "") + "; "
            + ", ".join(f"{k} {val}" for k, val in v.items() if isinstance(val, str))
            + f"; {meta['date']}.")
    if meta["quick"]:
        head += (f"\n\nQUICK RUN (n_bootstrap={QUICK['n_bootstrap']}, "
                 f"mc_samples={QUICK['mc_samples']} for gmmi and gmm-mi): plumbing check, "
                 "not a benchmark.")
    lines = [
        head, "",
        "| case | n | truth (nat) | gmmi | gmm-mi | KSG (k=3) | gmmi time | gmm-mi time "
        "| KSG time | gmm-mi / gmmi | agree | gmmi 1 thread | all cores vs 1 (medians) "
        "| (fastest runs) |",
        "|---|---:|---:|---|---|---|---:|---:|---:|---:|---|---:|---:|---:|",
    ]
    for r in rows:
        ratio = f"{r['ratio']:.0f}x" if r.get("ratio") is not None else "—"
        agree = {True: "yes", False: "**no**", None: "—"}[r.get("agree")]
        lines.append(
            f"| {r['case']} | {r['n']:,} | {r['truth']:.4f} | {fmt_est(r['gmmi'])} | "
            f"{fmt_est(r['gmm-mi'])} | {fmt_est(r['ksg'])} | {fmt_time(med(r['gmmi']))} | "
            f"{fmt_time(med(r['gmm-mi']))} | {fmt_time(med(r['ksg']))} | {ratio} | {agree} | "
            f"{fmt_time(med(r.get('gmmi_1_thread')))} | {r.get('thread_speedup', 0):.2f}x | "
            f"{r.get('thread_speedup_fastest', 0):.2f}x |")
    notes = [f"- {r['case']} n={r['n']:,}: {name}: {w}"
             for r in rows for name in ("gmmi", "gmm-mi")
             for w in ((r[name] or {}).get("warnings") or [])
             + ([f"error: {r[name]['error']}"] if r[name] and "error" in r[name] else [])]
    if notes:
        lines += ["", "Warnings and errors:", "", *notes]
    return "\n".join(lines) + "\n"


def comparison(args: argparse.Namespace) -> None:
    py = None if args.no_gmmmi else ensure_gmmmi()
    wanted = set(args.cases.split(",")) if args.cases else None
    cases = [(c, n) for c, n in CASES + [x for x in OPTIONAL_CASES if wanted and x[0] in wanted]
             if (not args.quick or n <= 1000) and (wanted is None or c in wanted)]
    vers = versions()  # imports scikit-learn first, so that its thread pools are listed
    meta: dict[str, Any] = {
        "date": dt.datetime.now(dt.timezone.utc).astimezone().isoformat(timespec="seconds"),
        "machine": machine(), "repeats": args.repeats, "quick": args.quick,
        "data_seed": DATA_SEED,
        "settings": {
            "gmmi": {"random_state": 0, "n_jobs": None, "preset": args.preset,
                     **(QUICK if args.quick else {})},
            "case settings (both packages)": CASE_SETTINGS,
            "gmm-mi": "EstimateMI().fit_estimate(X)" + (
                f" with MIDistParamHolder(n_bootstrap={QUICK['n_bootstrap']}, "
                f"MC_samples={QUICK['mc_samples']})" if args.quick else ""),
            "ksg": "mutual_info_regression(x[:, None], y, n_neighbors=3, random_state=0)",
            "gmm-mi BLAS threads": {
                k: gmmmi_env(args.gmmmi_blas_threads).get(k, "unset")
                for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")},
            "warm-up": (f"untimed calls before the timed ones: gmmi for {WARM_UP_SECONDS} s "
                        "(at least one call), KSG and gmm-mi one")
                       + (" (not with --quick)" if args.quick else "")},
        "versions": vers,
    }
    if py is not None:
        gv = gmmmi_versions(py)
        meta["gmm-mi environment"] = gv
        for key, name in (("gmm-mi", "gmm-mi"), ("scikit-learn", "scikit-learn (gmm-mi)"),
                          ("numpy", "numpy (gmm-mi)")):
            if key in gv:
                meta["versions"][name] = gv[key]
    # Untimed warm-up: the first call creates gmmi's thread pools.
    warm, _ = make("gaussian", 200)
    for jobs in (None, 1):
        gmmi.mutual_information(warm[:, 0], warm[:, 1], n_bootstrap=2, mc_samples=500,
                                random_state=0, n_jobs=jobs)
    rows = []
    for case, n in cases:
        X, truth = make(case, n)
        print(f"{case} n={n:,} ...", flush=True)
        # all cores and one thread, interleaved (see time_gmmi)
        kw = gmmi_settings(case, args.quick, preset=args.preset)
        g, g1 = time_gmmi(X, [kw, {**kw, "n_jobs": 1}], args.repeats, args.quick)
        k = run_ksg(X, args.repeats, case, args.quick)
        p: dict[str, Any] | None = None
        if py is not None and n <= args.gmmmi_max_n:
            p = run_gmmmi(py, X, args.repeats, args.quick, args.gmmmi_timeout, case,
                          args.gmmmi_blas_threads)
        row: dict[str, Any] = {"case": case, "n": n, "truth": truth, "gmmi": g, "gmm-mi": p,
                               "ksg": k, "ratio": None, "agree": None, "gmmi_1_thread": g1,
                               "thread_speedup": med(g1) / med(g),
                               "thread_speedup_fastest": min(g1["times"]) / min(g["times"])}
        if p is not None and "mean" in p:
            row["ratio"] = med(p) / med(g)
            if math.isfinite(g["std"]) and math.isfinite(p["std"]):
                row["agree"] = bool(abs(p["mean"] - g["mean"])
                                    < 2 * math.hypot(p["std"], g["std"]))
        rows.append(row)
        line = f"  gmmi {fmt_est(g)} in {fmt_time(med(g))}"
        if p is not None:
            line += f"; gmm-mi {fmt_est(p)} in {fmt_time(med(p))}"
        print(line + f"; KSG {k['mean']:.4f} in {fmt_time(med(k))}", flush=True)
    if hasattr(os, "getloadavg"):
        meta["machine"]["loadavg_end"] = os.getloadavg()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "benchmark.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=2) + "\n")
    md = table(rows, meta)
    (out / "benchmark.md").write_text(md)
    print()
    print(md)
    load = meta["machine"].get("loadavg_start", (0.0,))[0]
    if load > (os.cpu_count() or 1):
        print(f"note: load average was {load:.1f} on {os.cpu_count()} cores at the start; "
              "times are not representative", file=sys.stderr)


# --------------------------------------------------------------------------- scaling


def peak_rss_mib() -> float:
    """Peak resident memory of this process (VmHWM), MiB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 2**20 if sys.platform == "darwin" else rss / 1024


def scaling_point(spec: dict[str, Any]) -> None:
    """One scaling point, run in a fresh child process; prints one JSON line."""
    X, _ = make("d5", spec["n"], seed=spec["seed"])
    kw: dict[str, Any] = {"init": spec["init"], "n_jobs": spec["jobs"],
                          "preset": spec.get("preset", "gmmi")}
    if spec["mode"] == "fixed-K":
        kw["n_components"] = 5
    # (the first call of a fresh process, as the scaling measures: no warm-up)
    g = run_gmmi(X, 1, spec["quick"], warm_up=False, **kw)
    print(RESULT_TAG + json.dumps({**spec, "time": g["times"][0], "rss_mib": peak_rss_mib(),
                                   "mean": g["mean"], "std": g["std"], "k": g["k"],
                                   "warnings": g["warnings"]}), flush=True)


def scaling(args: argparse.Namespace) -> None:
    ns = (500, 1_000, 2_000) if args.quick else (1_000, 10_000, 100_000, 1_000_000)
    ns = tuple(n for n in ns if n <= args.max_n)
    meta = {"date": dt.datetime.now(dt.timezone.utc).astimezone().isoformat(timespec="seconds"),
            "machine": machine(), "versions": versions(), "quick": args.quick,
            "init": args.init, "preset": args.preset, "data": "d5", "data_seed": 1,
            "repeats": args.scaling_repeats,
            "settings": {"random_state": 0, **(QUICK if args.quick else {})}}
    points = []
    for mode in ("fixed-K", "selection"):
        for jobs in (1, 2):
            for n in ns:
                if jobs == 1 and n > args.max_n_single:
                    continue
                spec = {"n": n, "mode": mode, "jobs": jobs, "init": args.init, "seed": 1,
                        "quick": args.quick, "preset": args.preset}
                runs = []
                for _ in range(args.scaling_repeats):
                    r = subprocess.run([sys.executable, str(Path(__file__).resolve()),
                                        "--scaling-point", json.dumps(spec)],
                                       capture_output=True, text=True)
                    lines = [ln for ln in r.stdout.splitlines() if ln.startswith(RESULT_TAG)]
                    if r.returncode != 0 or not lines:
                        print(r.stderr[-2000:], file=sys.stderr)
                        break
                    runs.append(json.loads(lines[-1][len(RESULT_TAG):]))
                if not runs:
                    continue
                p = dict(runs[-1])
                p["times"] = [q["time"] for q in runs]
                p["time"] = statistics.median(p["times"])
                p["rss_mib"] = max(q["rss_mib"] for q in runs)
                points.append(p)
                print(f"{mode:9s} n_jobs={jobs} n={n:>9,}: {p['time']:8.2f} s, peak RSS "
                      f"{p['rss_mib']:7.1f} MiB, MI {p['mean']:.4f} ± {p['std']:.4f} "
                      f"(K={p['k']}){' WARNED' if p['warnings'] else ''}", flush=True)
    if hasattr(os, "getloadavg"):
        meta["machine"]["loadavg_end"] = os.getloadavg()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = f"scaling-{args.preset}" + (f"-{args.init}" if args.init else "")
    (out / f"{stem}.json").write_text(json.dumps({"meta": meta, "points": points}, indent=2)
                                      + "\n")
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib import ticker
    except ImportError:
        print("matplotlib missing: no plot", file=sys.stderr)
        return
    fig, (ax_t, ax_m) = plt.subplots(1, 2, figsize=(10, 4))
    for mode, ls in (("fixed-K", "--"), ("selection", "-")):
        for jobs, color in ((1, "C0"), (2, "C1")):
            pts = sorted((p["n"], p["time"], p["rss_mib"]) for p in points
                         if p["mode"] == mode and p["jobs"] == jobs)
            if not pts:
                continue
            nn, tt, mm = zip(*pts)
            label = f"{'K = 5 fixed' if mode == 'fixed-K' else 'K selected'}, n_jobs={jobs}"
            ax_t.plot(nn, tt, ls, marker="o", color=color, label=label)
            ax_m.plot(nn, mm, ls, marker="o", color=color, label=label)
    for ax, ylabel in ((ax_t, "wall time (s)"), (ax_m, "peak RSS of the process (MiB)")):
        ax.set_xscale("log")
        ax.set_xlabel("n (D5 mixture, 2-D)")
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3, which="both")
    ax_t.set_yscale("log")
    ax_t.yaxis.set_major_locator(ticker.LogLocator(subs=(1.0, 2.0, 5.0)))
    ax_t.yaxis.set_major_formatter(ticker.FormatStrFormatter("%g"))
    ax_t.yaxis.set_minor_formatter(ticker.NullFormatter())
    if points:
        ax_m.set_ylim(0, 1.15 * max(p["rss_mib"] for p in points))
    ax_t.legend(fontsize=8)
    title = f"gmmi {gmmi.__version__}, init={args.init!r}, {os.cpu_count()} cores"
    fig.suptitle(title + (" (QUICK settings)" if args.quick else ", published defaults"))
    fig.tight_layout()
    fig.savefig(out / f"{stem}.png", dpi=120)
    plt.close(fig)
    print(f"wrote {out / stem}.json and .png")


# --------------------------------------------------------------------------- main


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=3, help="runs per method and case (median)")
    ap.add_argument("--cases", default=None,
                    help="comma-separated case names (default all: gaussian, d5, "
                         "gamma-exponential, categorical; also categorical-8 and "
                         "categorical-15, only when named)")
    ap.add_argument("--quick", action="store_true",
                    help="tiny settings (5 replicates, 5000 draws, n <= 1000, 1 run)")
    ap.add_argument("--out", default=None,
                    help="output folder (default benches/results, benches/results/quick "
                         "with --quick so that a plumbing check never overwrites real results)")
    ap.add_argument("--no-gmmmi", action="store_true", help="skip the published package")
    ap.add_argument("--gmmmi-max-n", type=int, default=10**9,
                    help="skip gmm-mi above this n (it takes minutes per run at n = 1e4)")
    ap.add_argument("--gmmmi-timeout", type=float, default=None,
                    help="seconds allowed for all the gmm-mi runs of one case (the untimed "
                         "warm-up call included)")
    ap.add_argument("--gmmmi-blas-threads", type=int, default=None,
                    help="run gmm-mi with OPENBLAS_NUM_THREADS (and OMP_NUM_THREADS) set to "
                         "this (default: the environment as it is)")
    ap.add_argument("--scaling", action="store_true", help="gmmi time and memory vs n instead")
    ap.add_argument("--max-n", type=int, default=1_000_000, help="largest n for --scaling")
    ap.add_argument("--max-n-single", type=int, default=1_000_000,
                    help="largest n timed with n_jobs=1 in --scaling")
    ap.add_argument("--scaling-repeats", type=int, default=1,
                    help="subprocess runs per scaling point (median time)")
    ap.add_argument("--init", default=None,
                    help="gmmi initialisation for --scaling (default: the preset's; the "
                         "published random_sklearn can stall at the data mean at large n)")
    ap.add_argument("--preset", default="gmmi", choices=("gmmi", "published"),
                    help="gmmi's option preset (default gmmi)")
    ap.add_argument("--scaling-point", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.scaling_point:
        scaling_point(json.loads(args.scaling_point))
        return
    if args.out is None:
        args.out = str(HERE / "results" / "quick") if args.quick else str(HERE / "results")
    if args.quick:
        args.repeats = 1
        args.scaling_repeats = 1
    if args.repeats < 1 or args.scaling_repeats < 1:
        ap.error("--repeats and --scaling-repeats must be >= 1")
    if args.scaling:
        scaling(args)
    else:
        comparison(args)


if __name__ == "__main__":
    main()
