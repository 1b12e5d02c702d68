"""Shared fixtures: the paper's toy mixtures and fast estimator settings."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

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

#: The benchmark scripts, tested where the repository's benches/ directory is present.
BENCHES = Path(__file__).resolve().parents[1] / "benches"


def needs_bench(name: str) -> pytest.MarkDecorator:
    """Skips a module's tests when ``benches/<name>.py`` is absent (an sdist or an
    installed-package test run without the benches/ directory)."""
    script = BENCHES / f"{name}.py"
    return pytest.mark.skipif(not script.is_file(), reason=f"benches/{name}.py not found at "
                              f"{script} (e.g. an sdist or installed-package test run)")


def load_bench(name: str) -> ModuleType:
    """``benches/<name>.py`` as a module (benches/ on ``sys.path`` for its own imports)."""
    if str(BENCHES) not in sys.path:
        sys.path.insert(0, str(BENCHES))
    spec = importlib.util.spec_from_file_location(name, BENCHES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def mixture(spec: tuple) -> gmmi.GaussianMixture:
    w, m, c = spec
    return gmmi.GaussianMixture.from_parameters(w, np.asarray(m, float), np.asarray(c, float))


@pytest.fixture
def d3() -> gmmi.GaussianMixture:
    return mixture(D3)


@pytest.fixture
def d5() -> gmmi.GaussianMixture:
    return mixture(D5)
