"""Speed and accuracy of gmmi against the published GMM-MI package and KSG.

Run from the repository root (gmmi installed)::

    python benches/benchmark.py                 # accuracy/speed table, median of 3 runs
    python benches/benchmark.py --scaling       # wall time and peak memory vs n
    python benches/benchmark.py --quick         # tiny settings, to check the plumbing

The comparison runs on the same data in one run:

- gmmi with the published defaults (50 bootstrap replicates, 1e5 Monte Carlo draws);
- the published package ``gmm-mi`` with its defaults, installed by this script into its own
  virtual environment (``benches/.venv-gmmmi``; it needs ``scikit-learn<1.6``) and run in a
  subprocess; only the ``fit_estimate`` call is timed;
- scikit-learn's ``mutual_info_regression`` (KSG, k = 3), which gives no uncertainty.

Cases: bivariate Gaussian (rho = 0.6) at n = 200 and 10,000; the D5 mixture of the paper at
n = 1,000 and 10,000; gamma-exponential (a = 1, both variables log-transformed) at
n = 10,000. Output: a Markdown table (printed and written to ``benchmark.md``) and
``benchmark.json`` in ``--out`` (default ``benches/results``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import gmmi

HERE = Path(__file__).resolve().parent
VENV = HERE / ".venv-gmmmi"
EULER_GAMMA = 0.5772156649015329

D5 = (
    [0.2, 0.35, 0.15, 0.12, 0.18],
    [(-1, 1), (0, 2), (-1.5, 2), (2, 1), (-0.25, 0)],
    [[[1, 0], [0, 0.1]], [[0.5, 0.2], [0.2, 0.5]], [[0.1, 0.05], [0.05, 0.1]],
     [[0.5, -0.1], [-0.1, 0.9]], [[0.2, -0.05], [-0.05, 0.1]]],
)

CASES = [("gaussian", 200), ("gaussian", 10_000), ("d5", 1_000), ("d5", 10_000),
         ("gamma-exponential", 10_000)]

GMMMI_RUNNER = r"""
import json, sys, time, warnings
import numpy as np
warnings.filterwarnings("ignore")
from gmm_mi.mi import EstimateMI
X = np.load(sys.argv[1])
repeats = int(sys.argv[2])
times, out = [], None
for _ in range(repeats):
    est = EstimateMI()
    t0 = time.perf_counter()
    out = est.fit_estimate(X)
    times.append(time.perf_counter() - t0)
print(json.dumps({"times": times, "mean": float(out[0]), "std": float(out[1])}))
"""


def make(case: str, n: int, seed: int = 0) -> tuple[np.ndarray, float]:
    """The data of a case and its true MI (nat)."""
    rng = np.random.default_rng(seed)
    if case == "gaussian":
        rho = 0.6
        X = rng.multivariate_normal([0, 0], [[1, rho], [rho, 1]], size=n)
        return X, -0.5 * math.log(1 - rho**2)
    if case == "d5":
        w, m, c = D5
        g = gmmi.GaussianMixture(w, np.asarray(m, float), np.asarray(c, float))
        X, _ = g.sample(n, random_state=seed)
        return X, 0.16805
    if case == "gamma-exponential":
        x = rng.gamma(1.0, 1.0, n)
        y = rng.exponential(1.0 / x)
        return np.column_stack([np.log(x), np.log(y)]), 1.0 - EULER_GAMMA
    raise ValueError(case)


def ensure_gmmmi() -> Path | None:
    """The python of a virtual environment with gmm-mi, created on first use."""
    py = VENV / "bin" / "python"
    if not py.exists():
        print(f"creating {VENV} with gmm-mi (once)...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    ok = subprocess.run([str(py), "-c", "import gmm_mi"], capture_output=True).returncode == 0
    if not ok:
        r = subprocess.run([str(py), "-m", "pip", "install", "-q", "gmm-mi",
                            "scikit-learn<1.6"], capture_output=True, text=True)
        if r.returncode != 0:
            print("could not install gmm-mi:", r.stderr[-2000:], file=sys.stderr)
            return None
    return py


def run_gmmmi(py: Path, X: np.ndarray, repeats: int) -> dict | None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "X.npy"
        np.save(path, X)
        r = subprocess.run([str(py), "-c", GMMMI_RUNNER, str(path), str(repeats)],
                           capture_output=True, text=True)
    if r.returncode != 0:
        print("gmm-mi failed:", r.stderr[-2000:], file=sys.stderr)
        return None
    return json.loads(r.stdout.strip().splitlines()[-1])


def run_gmmi(X: np.ndarray, repeats: int, quick: bool) -> dict:
    kw = {"n_bootstrap": 5, "mc_samples": 5000} if quick else {}
    times, r = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        r = gmmi.mutual_information(X[:, 0], X[:, 1], random_state=0, **kw)
        times.append(time.perf_counter() - t0)
    assert r is not None
    return {"times": times, "mean": r.mean, "std": r.std, "k": r.n_components}


def run_ksg(X: np.ndarray, repeats: int) -> dict:
    from sklearn.feature_selection import mutual_info_regression

    times, v = [], math.nan
    for _ in range(repeats):
        t0 = time.perf_counter()
        v = float(mutual_info_regression(X[:, :1], X[:, 1], n_neighbors=3, random_state=0)[0])
        times.append(time.perf_counter() - t0)
    return {"times": times, "mean": v}


def versions(py: Path | None) -> dict:
    import sklearn

    out = {"gmmi": gmmi.__version__, "scikit-learn (KSG)": sklearn.__version__,
           "numpy": np.__version__}
    if py is not None:
        r = subprocess.run([str(py), "-c", "import importlib.metadata as m; "
                            "print(m.version('gmm-mi'), m.version('scikit-learn'))"],
                           capture_output=True, text=True)
        if r.returncode == 0:
            g, s = r.stdout.split()
            out["gmm-mi"] = g
            out["scikit-learn (gmm-mi)"] = s
    return out


def comparison(args: argparse.Namespace) -> None:
    py = None if args.no_gmmmi else ensure_gmmmi()
    cases = [(c, n) for c, n in CASES if not args.quick or n <= 1000]
    rows = []
    for case, n in cases:
        X, truth = make(case, n)
        print(f"{case} n={n} ...", flush=True)
        g = run_gmmi(X, args.repeats, args.quick)
        k = run_ksg(X, args.repeats)
        p = run_gmmmi(py, X, args.repeats) if py is not None and not args.quick_gmmmi_skip(n) \
            else None
        row = {"case": case, "n": n, "truth": truth, "gmmi": g, "ksg": k, "gmm-mi": p}
        tg = statistics.median(g["times"])
        if p is not None:
            tp = statistics.median(p["times"])
            row["ratio"] = tp / tg
            row["agree"] = abs(p["mean"] - g["mean"]) < 2 * math.hypot(p["std"], g["std"])
        rows.append(row)
        print(f"  gmmi {g['mean']:.4f}±{g['std']:.4f} in {tg:.2f} s"
              + (f"; gmm-mi {p['mean']:.4f}±{p['std']:.4f} in {statistics.median(p['times']):.2f}"
                 f" s; ratio {row['ratio']:.0f}x" if p else ""), flush=True)
    meta = {"date": dt.datetime.now().isoformat(timespec="seconds"),
            "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                        "processor": platform.processor(), "python": platform.python_version()},
            "repeats": args.repeats, "quick": args.quick, "versions": versions(py)}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "benchmark.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=2))
    md = table(rows, meta)
    (out / "benchmark.md").write_text(md)
    print(md)


def fmt(d: dict | None, key: str = "mean") -> str:
    if d is None:
        return "—"
    s = d.get("std")
    return f"{d[key]:.4f} ± {s:.4f}" if s is not None and math.isfinite(s) else f"{d[key]:.4f}"


def table(rows: list[dict], meta: dict) -> str:
    lines = [
        f"Machine: {meta['machine']['cpus']} cores, {meta['machine']['platform']}, Python "
        f"{meta['machine']['python']}; median of {meta['repeats']} runs; "
        f"{', '.join(f'{k} {v}' for k, v in meta['versions'].items())}; {meta['date']}.",
        "",
        "| case | n | truth (nat) | gmmi | gmm-mi | KSG (k=3) | gmmi time | gmm-mi time "
        "| KSG time | gmm-mi / gmmi | agree |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        tg = statistics.median(r["gmmi"]["times"])
        tk = statistics.median(r["ksg"]["times"])
        p = r["gmm-mi"]
        tp = f"{statistics.median(p['times']):.2f} s" if p else "—"
        ratio = f"{r['ratio']:.0f}x" if "ratio" in r else "—"
        agree = ("yes" if r["agree"] else "no") if "agree" in r else "—"
        lines.append(
            f"| {r['case']} | {r['n']:,} | {r['truth']:.4f} | {fmt(r['gmmi'])} | {fmt(p)} | "
            f"{r['ksg']['mean']:.4f} | {tg:.3f} s | {tp} | {tk:.3f} s | {ratio} | {agree} |")
    return "\n".join(lines) + "\n"


SCALING_CHILD = r"""
import json, resource, sys, time
import numpy as np, gmmi
sys.path.insert(0, sys.argv[4])
from benchmark import make
n, mode, jobs, init = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[5]
X, _ = make("d5", n, seed=1)
kw = {"n_components": 5} if mode == "fixed-K" else {}
kw["init"] = init
t0 = time.perf_counter()
r = gmmi.mutual_information(X[:, 0], X[:, 1], random_state=0, n_jobs=jobs, **kw)
t = time.perf_counter() - t0
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"n": n, "mode": mode, "jobs": jobs, "init": init, "time": t,
                  "rss_mib": rss, "mean": r.mean, "std": r.std, "k": r.n_components,
                  "warnings": r.warnings}))
"""


def scaling(args: argparse.Namespace) -> None:
    ns = [n for n in (1_000, 10_000, 100_000, 1_000_000) if n <= args.max_n]
    points = []
    for mode in ("fixed-K", "selection"):
        for jobs in (1, 2):
            for n in ns:
                if jobs == 1 and n > args.max_n_single:
                    continue
                r = subprocess.run([sys.executable, "-c", SCALING_CHILD, str(n), mode, str(jobs),
                                    str(HERE), args.init], capture_output=True, text=True)
                if r.returncode != 0:
                    print(r.stderr[-2000:], file=sys.stderr)
                    continue
                p = json.loads(r.stdout.strip().splitlines()[-1])
                points.append(p)
                print(f"{mode:9s} n_jobs={jobs} n={n:>9,}: {p['time']:8.2f} s, peak RSS "
                      f"{p['rss_mib']:7.1f} MiB, MI {p['mean']:.4f}±{p['std']:.4f} "
                      f"(K={p['k']}){' WARNED' if p['warnings'] else ''}", flush=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"scaling-{args.init}.json").write_text(json.dumps(points, indent=2))
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    fig, ax = plt.subplots(figsize=(6, 4))
    for mode, ls in (("fixed-K", "--"), ("selection", "-")):
        for jobs, color in ((1, "C0"), (2, "C1")):
            pts = sorted((p["n"], p["time"]) for p in points
                         if p["mode"] == mode and p["jobs"] == jobs)
            if pts:
                ax.plot(*zip(*pts), ls, marker="o", color=color,
                        label=f"{mode}, {jobs} thread{'s' if jobs > 1 else ''}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("n (D5 mixture, 2-D)")
    ax.set_ylabel(f"wall time (s), defaults but init={args.init!r}")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, which="both")
    fig.tight_layout()
    fig.savefig(out / f"scaling-{args.init}.png", dpi=120)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="tiny settings, n <= 1000")
    ap.add_argument("--no-gmmmi", action="store_true", help="skip the published package")
    ap.add_argument("--gmmmi-max-n", type=int, default=10**9,
                    help="skip gmm-mi above this n (it can take minutes per run)")
    ap.add_argument("--scaling", action="store_true", help="time and memory vs n instead")
    ap.add_argument("--max-n", type=int, default=1_000_000)
    ap.add_argument("--max-n-single", type=int, default=1_000_000,
                    help="largest n timed with one thread")
    ap.add_argument("--init", default="random_sklearn",
                    help="initialisation for --scaling (the published default stalls at the "
                         "data mean on large n; 'kmeans' does not)")
    ap.add_argument("--out", default=str(HERE / "results"))
    args = ap.parse_args()
    if args.quick:
        args.repeats = 1
    args.quick_gmmmi_skip = lambda n: n > args.gmmmi_max_n
    if args.scaling:
        scaling(args)
    else:
        comparison(args)


if __name__ == "__main__":
    main()
