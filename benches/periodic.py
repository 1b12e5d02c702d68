"""Periodic relations, a known blind spot: ``y = sin(f x) + s e`` with ``x, e ~ N(0, 1)``.

The component search's held-out score stays flat until K covers the cycles of ``sin(f x)``,
and its patience stops first, so the mixture can miss most of the dependence. For each
``(f, s)`` and n this counts, over ``--reps`` data sets, the mean error, how often the 95%
interval holds the truth with gmmi's defaults and with ``check=False`` (the two-scalar screen
off), and how often the screen passed the data to the check and the check failed (a
``MisfitWarning``).

The truth is ``h(Y) - h(s e)``: ``h(Y)`` by a Riemann sum of the density of ``Y``, that of
``sin(f X)`` (a histogram of 2 x 10^7 draws in 4,000 bins of [-1, 1]) convolved with the
noise's Gaussian on a grid of 4,001 points; the noise smooths the histogram, and the sum
agrees with its halving and doubling of the bins to 1e-4 nat.

Usage::

    python benches/periodic.py [--reps 5] [--sizes 1000,5000]

About two minutes on two cores with the defaults.
"""

from __future__ import annotations

import argparse
import math
import time
import warnings

import numpy as np
from scipy import stats

import gmmi

CASES = ((5.0, 0.1), (10.0, 0.1), (15.0, 0.05))


def truth(f: float, s: float, bins: int = 4000, draws: int = 20_000_000) -> float:
    """``I(X; sin(f X) + s e)`` in nats (see the module docstring)."""
    u = np.sin(f * np.random.default_rng(12345).normal(size=draws))
    hist, edges = np.histogram(u, bins=bins, range=(-1.0, 1.0), density=True)
    centres = 0.5 * (edges[1:] + edges[:-1])
    weights = hist * (edges[1] - edges[0])
    grid = np.linspace(-1 - 8 * s, 1 + 8 * s, bins + 1)
    density = np.zeros_like(grid)
    for c, w in zip(centres, weights):
        density += w * stats.norm.pdf(grid, c, s)
    step = grid[1] - grid[0]
    positive = density[density > 0]
    h_y = -float(np.sum(positive * np.log(positive))) * step
    return h_y - 0.5 * math.log(2 * math.pi * math.e * s * s)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--reps", type=int, default=5, help="data sets per case and n")
    p.add_argument("--sizes", default="1000,5000", help="comma-separated n")
    args = p.parse_args()
    sizes = [int(v) for v in args.sizes.split(",")]
    warnings.simplefilter("ignore")
    print("| f | s | n | truth | mean error | covered (defaults) | covered (check=False) "
          "| check failed after the screen | s/estimate |")
    print("|---:|---:|---:|---:|---:|---|---|---|---:|")
    for f, s in CASES:
        t = truth(f, s)
        for n in sizes:
            covered = covered_off = checked = 0
            errors, seconds = [], []
            for seed in range(args.reps):
                rng = np.random.default_rng(1000 + seed)
                x = rng.normal(size=n)
                y = np.sin(f * x) + s * rng.normal(size=n)
                t0 = time.perf_counter()
                r = gmmi.mutual_information(x, y, random_state=seed)
                seconds.append(time.perf_counter() - t0)
                lo, hi = r.ci()
                covered += lo <= t <= hi
                checked += r.fit_check is not None and not r.fit_check.passed
                errors.append(r.mean - t)
                lo, hi = gmmi.mutual_information(x, y, random_state=seed, check=False).ci()
                covered_off += lo <= t <= hi
            reps = args.reps
            print(f"| {f:g} | {s:g} | {n:,} | {t:.3f} | {np.mean(errors):+.3f} | "
                  f"{covered}/{reps} | {covered_off}/{reps} | {checked}/{reps} | "
                  f"{np.median(seconds):.2f} |", flush=True)


if __name__ == "__main__":
    main()
