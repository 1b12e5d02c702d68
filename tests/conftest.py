"""Shared fixtures: the paper's toy mixtures and fast estimator settings."""

from __future__ import annotations

import numpy as np
import pytest

import gmmi

# Paper toy mixtures (ALGORITHM.md, "Ground truth").
D1 = ([1.0], [(-1, 1)], [[[0.5, 0.2], [0.2, 0.5]]])
D3 = (
    [0.3, 0.45, 0.25],
    [(-1, 1), (0, 2), (-1.5, 2)],
    [[[1, 0], [0, 0.1]], [[0.5, 0.2], [0.2, 0.5]], [[0.1, 0.05], [0.05, 0.1]]],
)
D5 = (
    [0.2, 0.35, 0.15, 0.12, 0.18],
    [(-1, 1), (0, 2), (-1.5, 2), (2, 1), (-0.25, 0)],
    D3[2] + [[[0.5, -0.1], [-0.1, 0.9]], [[0.2, -0.05], [-0.05, 0.1]]],
)

# Fast settings for tests: fewer replicates and Monte Carlo draws than the published
# defaults. The bootstrap std still includes the Monte Carlo noise of each replicate, so
# "truth within k std" remains an honest check.
FAST = {"n_bootstrap": 20, "mc_samples": 20_000}


def mixture(spec: tuple) -> gmmi.GaussianMixture:
    w, m, c = spec
    return gmmi.GaussianMixture.from_parameters(w, np.asarray(m, float), np.asarray(c, float))


@pytest.fixture
def d3() -> gmmi.GaussianMixture:
    return mixture(D3)


@pytest.fixture
def d5() -> gmmi.GaussianMixture:
    return mixture(D5)
