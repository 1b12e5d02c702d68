"""``benches/periodic.py``: the truth of ``I(X; sin(f X) + s e)`` it measures against."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import integrate, stats

from conftest import load_bench, needs_bench

pytestmark = needs_bench("periodic")


def _module() -> Any:
    return load_bench("periodic")


def test_the_truth_is_the_mi_of_a_known_case():
    # f -> 0 is not periodic; instead compare with an independent quadrature at f = 1:
    # the density of sin(X) is sum over preimages of phi(x) / |cos x|; convolved with the
    # noise (s = 0.3, smooth enough for a coarse grid) and integrated by scipy.
    s = 0.3

    def p_sin(u: float) -> float:
        base = math.asin(u)
        total = 0.0
        for k in range(-6, 7):
            for x in (base + 2 * math.pi * k, math.pi - base + 2 * math.pi * k):
                total += stats.norm.pdf(x) / abs(math.cos(x))
        return total

    grid = np.linspace(-0.9999, 0.9999, 2001)
    weights = np.array([p_sin(u) for u in grid])
    weights /= integrate.trapezoid(weights, grid)

    def p_y(y: float) -> float:
        return float(integrate.trapezoid(weights * stats.norm.pdf(y, grid, s), grid))

    h_y = -integrate.quad(lambda y: p_y(y) * math.log(p_y(y)), -1 - 6 * s, 1 + 6 * s,
                          limit=200)[0]
    expected = h_y - 0.5 * math.log(2 * math.pi * math.e * s * s)
    # The bench's histogram of draws: 2e6 draws in 400 bins, whose noise after the
    # convolution is far below 0.01 nat (the quadrature's own error is below 1e-3 here).
    found = _module().truth(1.0, s, bins=400, draws=2_000_000)
    assert abs(found - expected) < 0.01, (found, expected)
