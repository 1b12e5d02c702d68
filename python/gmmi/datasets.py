"""Small data sets shipped with gmmi (used by ``gmmi demo`` and the examples)."""

from __future__ import annotations

from importlib import resources

import numpy as np

__all__ = ["D5_MI", "load_d5"]

#: Mutual information (nat) of the D5 mixture of Piras et al. (2023), by Gauss-Hermite
#: quadrature of the true model (converged to 1e-5).
D5_MI = 0.16805


def load_d5() -> tuple[np.ndarray, np.ndarray]:
    """5,000 samples of the paper's five-component mixture D5.

    Weights (0.2, 0.35, 0.15, 0.12, 0.18), means (-1,1), (0,2), (-1.5,2), (2,1), (-0.25,0);
    drawn with ``numpy.random.default_rng(0)``. Its true mutual information is
    :data:`D5_MI`.

    Returns
    -------
    x, y : numpy.ndarray
        The two coordinates, shape (5000,) each.

    Examples
    --------
    >>> from gmmi.datasets import load_d5
    >>> x, y = load_d5()
    >>> x.shape
    (5000,)
    """
    with resources.files("gmmi").joinpath("data/d5.csv").open("r") as fh:
        data = np.loadtxt(fh, delimiter=",", skiprows=1)
    return data[:, 0].copy(), data[:, 1].copy()
