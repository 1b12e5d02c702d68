"""How much of an estimate's spread the reported interval misses when the choice of
representation (and of K) is unstable: reruns the whole estimator on resamples.

For each data set of the chosen tasks of the calibration suite (the same data as
``benches/accuracy.py`` with the same seed offset), this script

1. runs ``gmmi.mutual_information`` with gmmi's defaults (the reported estimate and interval);
2. reruns the whole estimator (representation choice, component search, fit; no inner
   bootstrap) on ``--resamples`` resamples of the rows drawn with replacement, and takes the
   standard deviation of those values (the "pipeline" spread);

and prints, per task, how often each interval holds the truth: the reported one, and the
estimate -/+ 1.96 pipeline standard deviations. It also reports the spread of the estimates
across data sets, which an honest standard deviation should match.

Usage::

    python benches/pipeline_bootstrap.py --tasks student-nu1-2+2,student-nu2-3+3 --n 1000

Slow (each resample is a full estimate): about 5 minutes for three 3+3 tasks at n = 1,000
on two cores.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import accuracy  # noqa: E402  (benches/ is not a package)
import accuracy_tasks  # noqa: E402

import gmmi  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--tasks",
        default="student-nu1-2+2,student-nu2-3+3,student-nu1-3+3",
        help="comma-separated task names of benches/accuracy_tasks.py",
    )
    p.add_argument("--n", type=int, default=1000, help="rows per data set")
    p.add_argument("--reps", type=int, default=10, help="data sets per task")
    p.add_argument("--resamples", type=int, default=30, help="whole-pipeline resamples")
    p.add_argument("--seed-offset", type=int, default=0, help="as in benches/accuracy.py")
    p.add_argument("--out", type=Path, default=None, help="write one JSON line per data set")
    args = p.parse_args()
    warnings.simplefilter("ignore")
    tasks = {t.name: t for t in accuracy_tasks.build_tasks()}
    lines = []
    for name in args.tasks.split(","):
        task = tasks[name]
        rows = []
        for rep in range(args.reps):
            seed = accuracy.data_seed(name, args.n, rep, args.seed_offset)
            x, y = task.sample(args.n, np.random.default_rng(seed))
            x = np.asarray(x, dtype=float).reshape(args.n, -1)
            y = np.asarray(y, dtype=float).reshape(args.n, -1)
            r = gmmi.mutual_information(x, y, random_state=rep)
            lo, hi = r.ci(0.95)
            rng = np.random.default_rng(seed + 1)
            values, maps = [], []
            for _ in range(args.resamples):
                idx = rng.integers(0, args.n, args.n)
                b = gmmi.mutual_information(x[idx], y[idx], random_state=rep, n_bootstrap=0)
                values.append(b.mean)
                maps.append(b.transform.name)
            sd = float(np.std(values, ddof=1))
            row = {
                "task": name,
                "n": args.n,
                "rep": rep,
                "truth": task.truth,
                "estimate": r.mean,
                "std": r.std,
                "ci": [lo, hi],
                "covered": bool(lo <= task.truth <= hi),
                "pipeline_sd": sd,
                "pipeline_covered": bool(abs(r.mean - task.truth) <= 1.96 * sd),
                "pipeline_mean": float(np.mean(values)),
                "chosen": {m: maps.count(m) for m in sorted(set(maps))},
            }
            rows.append(row)
            lines.append(json.dumps(row))
            print(json.dumps(row), flush=True)
        print(
            f"{name} n={args.n}: reported interval holds the truth "
            f"{sum(r['covered'] for r in rows)}/{len(rows)} (median std "
            f"{statistics.median(r['std'] for r in rows):.3f}); estimate -/+ 1.96 pipeline sd "
            f"{sum(r['pipeline_covered'] for r in rows)}/{len(rows)} (median sd "
            f"{statistics.median(r['pipeline_sd'] for r in rows):.3f}); sd of the estimates "
            f"across data sets {statistics.stdev(r['estimate'] for r in rows):.3f}",
            flush=True,
        )
    if args.out is not None:
        args.out.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
