"""Pointwise mutual information: which samples carry the information, with uncertainty.

The pointwise mutual information (PMI) of a model at a point is
``ln p(x, y) - ln p(x) - ln p(y)`` (conditional:
``ln p(x, y, z) + ln p(z) - ln p(x, z) - ln p(y, z)``); its mean under the model is the
mutual information. :meth:`gmmi.MIResult.pointwise` evaluates it under the mixture fitted
on all the data and under every bootstrap replicate's mixture (the spread between them is
its uncertainty), at given samples and as a *profile*: its distribution under the model.

Because every map of a representation acts on one column, the log-Jacobians of the maps
cancel between the joint and the marginal densities: the PMI of the fitted mixture in the
representation's coordinates is the PMI of the density it implies in the original units.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Optional

import numpy as np

from ._validation import check_int, check_level, check_memory, resolve_base, resolve_seed

if TYPE_CHECKING:  # pragma: no cover
    from .mixture import GaussianMixture
    from .representation import Representation
    from .result import MIResult

__all__ = ["PROFILE_LEVELS", "PointwiseMI"]

#: The probabilities at which a profile's quantiles are kept: 0.005, 0.010, ..., 0.995.
PROFILE_LEVELS = np.round(np.arange(1, 200) / 200, 3)


@dataclass(eq=False)
class PointwiseMI:
    """Pointwise mutual information under a fitted model and its bootstrap replicates.

    Made by :meth:`gmmi.MIResult.pointwise` or :func:`gmmi.pointwise_mutual_information`.

    Attributes
    ----------
    values : numpy.ndarray of shape (m,)
        The PMI at each given sample under the mixture fitted on all the data.
    samples : numpy.ndarray of shape (n_models, m)
        The PMI at each sample under each bootstrap replicate's mixture (no rows when the
        result kept no replicate models).
    profile_levels : numpy.ndarray of shape (L,)
        Probabilities (:data:`PROFILE_LEVELS`) of the profile quantiles.
    profile : numpy.ndarray of shape (L,)
        Quantiles of the PMI of points drawn from the full-data mixture: the distribution of
        the information over the population the model describes.
    profile_samples : numpy.ndarray of shape (n_models, L)
        The same quantiles under each replicate's mixture.
    profile_mean : float
        Mean PMI of the draws: a Monte Carlo estimate of the (conditional) mutual
        information of the full-data mixture, ``result.model``. That is ``result.full_value``
        only where the bootstrap kept the selected number of components and representation
        (with gmmi's defaults ``full_value`` averages the values of those the replicates
        chose) and no lattice column was spread over its cells (with
        ``result.details["dequantized"]``, ``full_value`` is the integral of that mixture
        with the spread's variance taken out of its components, which this mean is not).
    profile_error : float
        Standard error of ``profile_mean`` (the draws' standard deviation over the square
        root of their number).
    profile_mean_samples : numpy.ndarray of shape (n_models,)
        ``profile_mean`` of each replicate's mixture.
    n_draws : int
        Points drawn from each mixture for its profile.
    unit : str
        Unit of every value (``"nat"``, ``"bit"``, ...).
    quantity : str
        ``"mutual_information"`` or ``"conditional_mutual_information"``.
    points : numpy.ndarray of shape (m, d)
        The samples, in the original units (columns of x, then y, then z).
    n_columns : tuple of int
        Columns of x, y and z (0 without z).
    result : MIResult or None
        The estimate whose models these are.
    """

    values: np.ndarray
    samples: np.ndarray
    profile_levels: np.ndarray
    profile: np.ndarray
    profile_samples: np.ndarray
    profile_mean: float
    profile_error: float
    profile_mean_samples: np.ndarray
    n_draws: int
    unit: str
    quantity: str
    points: np.ndarray
    n_columns: tuple[int, int, int]
    result: Optional[MIResult] = None

    @property
    def n_models(self) -> int:
        """Number of bootstrap replicate models behind the uncertainty."""
        return int(self.samples.shape[0])

    @property
    def std(self) -> np.ndarray:
        """Standard deviation (ddof=1) of each sample's PMI over the replicate models; NaN
        with fewer than two."""
        if self.n_models < 2:
            return np.full(self.values.shape, math.nan)
        return np.asarray(self.samples.std(axis=0, ddof=1))

    def ci(self, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
        """Percentile interval of each sample's PMI over the replicate models.

        Parameters
        ----------
        level : float, default 0.95
            Coverage in (0, 1).

        Returns
        -------
        lo, hi : numpy.ndarray of shape (m,)
        """
        level = check_level(level)
        if self.n_models < 2:
            raise ValueError("ci: an interval needs at least two bootstrap models (estimate "
                             "with gmmi.pointwise_mutual_information, n_bootstrap >= 2)")
        a = (1.0 - level) / 2.0
        lo, hi = np.quantile(self.samples, [a, 1.0 - a], axis=0)
        return np.asarray(lo), np.asarray(hi)

    def profile_ci(self, level: float = 0.9) -> tuple[np.ndarray, np.ndarray]:
        """Percentile band of every profile quantile over the replicate models, shape
        (L,) each (see :meth:`ci`)."""
        level = check_level(level)
        if self.n_models < 2:
            raise ValueError(f"profile_ci: a band needs the models of at least two bootstrap "
                             f"replicates; this estimate kept {self.n_models} (estimate with "
                             "n_bootstrap >= 2)")
        a = (1.0 - level) / 2.0
        lo, hi = np.quantile(self.profile_samples, [a, 1.0 - a], axis=0)
        return np.asarray(lo), np.asarray(hi)

    def plot(self, kind: str = "profile", *, ax: Any = None, level: float = 0.9,
             dims: Optional[tuple[int, int]] = None) -> Any:
        """Draws the profile or the samples coloured by their PMI (see
        :func:`gmmi.plots.plot_pointwise`)."""
        from .plots import plot_pointwise

        return plot_pointwise(self, kind=kind, ax=ax, level=level, dims=dims)

    def __repr__(self) -> str:
        return (f"PointwiseMI({self.values.size} samples, {self.n_models} bootstrap models, "
                f"profile mean {self.profile_mean:.4f} ± {self.profile_error:.4f} {self.unit})")


def _profile(model: GaussianMixture, split: tuple[list[int], list[int], list[int]],
             n_draws: int, seed: int, ln_base: float) -> tuple[np.ndarray, float, float]:
    """(quantiles at PROFILE_LEVELS, mean, standard error) of the PMI of draws from
    ``model``."""
    draws, _ = model.sample(n_draws, random_state=seed)
    v = model.pointwise_mutual_information(draws, *split) / ln_base
    q = np.quantile(v, PROFILE_LEVELS)
    return q, float(v.mean()), float(v.std(ddof=1) / math.sqrt(v.size))


def pointwise(
    model: GaussianMixture,
    bootstrap_models: list[GaussianMixture],
    transform: Optional[Representation],
    blocks: list[np.ndarray],
    *,
    quantity: str,
    unit: str,
    n_draws: Any = 20_000,
    random_state: Any = 0,
    result: Optional[MIResult] = None,
) -> PointwiseMI:
    """The :class:`PointwiseMI` of a fitted estimate at the samples ``blocks`` (x, y and,
    for conditional MI, z; original units, validated, one row per sample)."""
    n_draws = check_int(n_draws, "n_draws", minimum=2)
    # The draws and their densities, per model (refused here, naming n_draws, rather than
    # by the sampler, which calls them n_samples).
    check_memory("n_draws", n_draws * (model.n_features + 4) * 8,
                 "use fewer draws (the profile's quantiles settle within a few thousand)")
    seed = resolve_seed(random_state)
    ln_base, _ = resolve_base(unit)
    widths = [b.shape[1] for b in blocks] + [0] * (3 - len(blocks))
    start = np.cumsum([0, *widths]).tolist()
    split = (list(range(start[0], start[1])), list(range(start[1], start[2])),
             list(range(start[2], start[3])))
    points = np.hstack(blocks)
    if points.shape[1] != model.n_features:
        names = "x, y" + (", z" if len(blocks) == 3 else "")
        raise ValueError(f"{names}: {points.shape[1]} columns in all, but the model has "
                         f"{model.n_features}")
    u = transform.apply(points) if transform is not None else points
    try:
        values = model.pointwise_mutual_information(u, *split) / ln_base
        samples = np.empty((len(bootstrap_models), values.size))
        for i, g in enumerate(bootstrap_models):
            samples[i] = g.pointwise_mutual_information(u, *split) / ln_base
    except ValueError as exc:  # a row too far from a mixture: the caller's names
        names = "x, y" + (", z" if len(blocks) == 3 else "")
        raise ValueError(str(exc).replace("X: row", f"{names}: row", 1)) from None
    # Every model draws its points from its own stream of the seed, so no two profiles
    # share draws and the result does not depend on how many models there are.
    states = np.random.SeedSequence(seed).generate_state(len(bootstrap_models) + 1,
                                                         dtype=np.uint64)
    seeds = [int(s >> np.uint64(1)) for s in states]
    profile, mean, err = _profile(model, split, n_draws, seeds[0], ln_base)
    boot = [_profile(g, split, n_draws, s, ln_base) for g, s in zip(bootstrap_models, seeds[1:])]
    return PointwiseMI(
        values=values,
        samples=samples,
        profile_levels=PROFILE_LEVELS.copy(),
        profile=profile,
        profile_samples=np.array([b[0] for b in boot]).reshape(len(boot), PROFILE_LEVELS.size),
        profile_mean=mean,
        profile_error=err,
        profile_mean_samples=np.array([b[1] for b in boot], dtype=float),
        n_draws=n_draws,
        unit=unit,
        quantity=quantity,
        points=points,
        n_columns=(widths[0], widths[1], widths[2]),
        result=result,
    )
