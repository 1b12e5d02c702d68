"""Wall time of an MI matrix (latents x factors, n = 2,000, gmmi's defaults) against the
same pairs computed one by one with ``gmmi.mutual_information`` in a Python loop.

Run: ``python benches/bench_matrix.py [--latents 16] [--factors 8] [--repeats 3]``. Prints
the median of the repeats, pairs per second and the ratio loop / matrix (the cells must be
equal).

``--independent SEEDS`` (e.g. ``--independent 0,1,2 --latents 64 --factors 16``) instead
checks the intervals of the cells that are independent by construction (latents 5 and up
against factors 4 and up): for the matrix of each data seed, how many of those cells' 95%
intervals exclude 0 (claim a dependence that is not there), their median upper end and the
largest estimate.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import warnings

import numpy as np

import gmmi


def data(n: int = 2000, seed: int = 0, latents: int = 16,
         factors: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """Latents and factors; factors 0-3 are tracked (linearly or not) by latents 0-4."""
    if latents < 5 or factors < 4:
        raise ValueError("at least 5 latents and 4 factors")
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, latents))
    f = rng.normal(size=(n, factors))
    f[:, 0] = z[:, 0] + 0.5 * rng.normal(size=n)
    f[:, 1] = np.tanh(z[:, 1]) + 0.3 * rng.normal(size=n)
    f[:, 2] = z[:, 2] ** 2 + 0.5 * rng.normal(size=n)
    f[:, 3] = z[:, 3] + z[:, 4] + 0.5 * rng.normal(size=n)
    return z, f


def independent_cells(seeds: list[int], latents: int, factors: int) -> None:
    """The ``--independent`` check (see the module docstring)."""
    for seed in seeds:
        z, f = data(seed=seed, latents=latents, factors=factors)
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the pairs' own warnings are not the question
            m = gmmi.mi_matrix(z, f, random_state=seed)
        elapsed = time.perf_counter() - t0
        low, high = m.ci()
        lo, hi = low[5:, 4:], high[5:, 4:]
        print(f"seed {seed}: {lo.size} independent cells, interval excludes 0 in "
              f"{int((lo > 0).sum())}, median upper end {np.median(hi):.4f}, largest estimate "
              f"{m.mean[5:, 4:].max():.4f} ({elapsed:.1f} s, gmmi kernels "
              f"{gmmi._core.simd_variant()})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--latents", type=int, default=16)
    ap.add_argument("--factors", type=int, default=8)
    ap.add_argument("--independent", metavar="SEEDS",
                    help="check the independent cells' intervals for these data seeds")
    args = ap.parse_args()
    if args.independent:
        independent_cells([int(s) for s in args.independent.split(",")], args.latents,
                          args.factors)
        return
    z, f = data(latents=args.latents, factors=args.factors)
    t_matrix, t_loop = [], []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        m = gmmi.mi_matrix(z, f, random_state=0)
        t_matrix.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        loop = np.array([[gmmi.mutual_information(z[:, i], f[:, j], random_state=0).mean
                          for j in range(f.shape[1])] for i in range(z.shape[1])])
        t_loop.append(time.perf_counter() - t0)
        assert np.array_equal(loop, m.mean), "matrix and loop disagree"
    tm, tl = statistics.median(t_matrix), statistics.median(t_loop)
    pairs = z.shape[1] * f.shape[1]
    print(f"{z.shape[1]} x {f.shape[1]} matrix, n = 2000, defaults, {os.cpu_count()} cores "
          f"(gmmi kernels {gmmi._core.simd_variant()}), median of {args.repeats}: mi_matrix "
          f"{tm:.2f} s ({pairs / tm:.1f} pairs/s), Python loop {tl:.2f} s "
          f"({pairs / tl:.1f} pairs/s), ratio {tl / tm:.2f}x")
    print("largest cells:", np.round(np.sort(m.mean.ravel())[::-1][:5], 3))


if __name__ == "__main__":
    main()
