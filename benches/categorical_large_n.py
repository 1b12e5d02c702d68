"""Calibration of categorical MI at a large n: a 1-D variable against balanced classes.

The accuracy suite (``benches/accuracy.py``) runs its categorical tasks at n = 1,000 and
5,000; the paper's 3D-shapes experiment has n = 48,000. This script draws data sets of that
size for four shapes of the class densities (4 Gaussians, the ``categorical`` case of
``benches/benchmark.py``; 15 gamma; 8 Student t with 3 degrees of freedom; 6 log-normal),
estimates each with gmmi's defaults (one thread per estimate, ``--jobs`` at once) and
reports per shape: the interval's coverage of the truth, the bias and spread of the
estimates, the median interval width and time.

The truth, ``sum_c pi_c KL(p(x|c) || p(x))``, is integrated by the trapezoidal rule on
400,001 points between the classes' 1e-9 and 1 - 1e-9 quantiles (for the 4 Gaussians it
agrees with ``benchmark.py``'s quadrature to 7e-10). Data set ``rep`` of shape ``name`` is
drawn with ``numpy.random.default_rng([99, n, rep, sum of the name's character codes])``
and estimated with ``random_state=rep``.

Run (from the repository root, gmmi installed)::

    python benches/categorical_large_n.py                      # 4 shapes x 20 data sets
    python benches/categorical_large_n.py --shapes gauss4 --reps 5 --n 10000
"""

from __future__ import annotations

import argparse
import collections
import time
import warnings
from multiprocessing import Pool
from typing import Any

import numpy as np
from scipy import stats

import gmmi

SHAPES = ("gauss4", "gamma15", "t8", "lognorm6")


def class_densities(name: str) -> list[Any]:
    """The frozen scipy distributions of the classes of shape ``name`` (balanced classes)."""
    if name == "gauss4":
        return [stats.norm(m, s) for m, s in zip((-1.5, -0.3, 0.6, 1.8), (0.6, 0.7, 0.8, 0.6))]
    if name == "gamma15":
        return [stats.gamma(a=1.0 + 0.35 * c, scale=1.0) for c in range(15)]
    if name == "t8":
        return [stats.t(df=3, loc=0.8 * c, scale=0.7) for c in range(8)]
    if name == "lognorm6":
        return [stats.lognorm(s=0.6, scale=np.exp(0.3 * c)) for c in range(6)]
    raise ValueError(f"shape: unknown {name!r}; known {SHAPES}")


def truth(name: str) -> float:
    """I(X; C) in nats for balanced classes of shape ``name`` (see the module docstring)."""
    dists = class_densities(name)
    pi = np.full(len(dists), 1.0 / len(dists))
    lo = min(d.ppf(1e-9) for d in dists)
    hi = max(d.isf(1e-9) for d in dists)
    x = np.linspace(lo, hi, 400_001)
    pc = np.array([d.pdf(x) for d in dists])
    p = pi @ pc
    with np.errstate(divide="ignore", invalid="ignore"):
        integrand = np.where(pc > 0, pc * np.log(pc / p), 0.0)
    return float(pi @ np.trapezoid(integrand, x, axis=1))


def one(job: tuple[str, int, int]) -> tuple[str, float, float, float, float]:
    """Draws data set ``rep`` of shape ``name`` with ``n`` rows and estimates it: the shape,
    the estimate, the ends of its 95% interval and the wall time."""
    name, n, rep = job
    dists = class_densities(name)
    rng = np.random.default_rng([99, n, rep, sum(map(ord, name))])
    c = rng.integers(0, len(dists), n)
    x = np.empty(n)
    for k, d in enumerate(dists):
        rows = c == k
        x[rows] = d.rvs(size=int(rows.sum()), random_state=rng)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = gmmi.mutual_information(x, c, discrete_y=True, random_state=rep, n_jobs=1)
    lo, hi = r.ci()
    return name, float(r.mean), lo, hi, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shapes", default=",".join(SHAPES), help=f"some of {SHAPES}")
    ap.add_argument("--n", type=int, default=48_000)
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    names = args.shapes.split(",")
    for name in names:
        class_densities(name)
    truths = {name: truth(name) for name in names}
    jobs = [(name, args.n, rep) for name in names for rep in range(args.reps)]
    with Pool(args.jobs) as pool:
        results = pool.map(one, jobs, chunksize=1)
    by_shape = collections.defaultdict(list)
    for res in results:
        by_shape[res[0]].append(res)
    print(f"n = {args.n:,}, {args.reps} data sets per shape, gmmi {gmmi.__version__} defaults "
          f"(kernels {gmmi._core.simd_variant()})\n")
    print("| classes | truth (nat) | coverage 95% | bias | sd of estimates | median 95% width "
          "| median time (s) |")
    print("|---|---|---|---|---|---|---|")
    for name in names:
        rows, t = by_shape[name], truths[name]
        err = np.array([r[1] - t for r in rows])
        covered = sum(r[2] <= t <= r[3] for r in rows)
        print(f"| {name} | {t:.4f} | {covered}/{len(rows)} | {err.mean():+.4f} | "
              f"{err.std(ddof=1):.4f} | {np.median([r[3] - r[2] for r in rows]):.4f} | "
              f"{np.median([r[4] for r in rows]):.2f} |")


if __name__ == "__main__":
    main()
