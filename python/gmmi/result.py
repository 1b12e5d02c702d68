"""``MIResult``: an estimate with its bootstrap uncertainty and everything behind it."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np

from ._compare import same_fields
from .mixture import GaussianMixture

__all__ = ["MIResult", "SelectionRecord", "summarize"]


def summarize(values: np.ndarray, full_value: float) -> tuple[float, float]:
    """Mean and standard deviation (ddof 1) of bootstrap replicates, the one place they are
    computed: without replicates the mean is the full-data value; with fewer than two the
    std is NaN."""
    if values.size == 0:
        return float(full_value), math.nan
    mean = float(values.mean())
    return mean, float(values.std(ddof=1)) if values.size > 1 else math.nan

_SYMBOL = {
    "mutual_information": "MI",
    "conditional_mutual_information": "CMI",
    "entropy": "H",
    "kl_divergence": "KL",
}


@dataclass(frozen=True, eq=False)
class SelectionRecord:
    """What the component search recorded for one number of components.

    Attributes
    ----------
    k : int
        Number of components.
    metric : float
        The selection metric (higher is better): mean held-out log-likelihood per sample for
        ``valid``, minus AIC or BIC otherwise.
    best_init : int
        Index of the initialisation with the best mean held-out score.
    fold_scores : numpy.ndarray
        Held-out score of every (init, fold) fit, shape (n_inits, n_folds); ``-inf`` for a
        fit that failed numerically.
    n_iter : numpy.ndarray
        EM iterations of every (init, fold) fit.
    converged : numpy.ndarray
        Convergence flag of every (init, fold) fit.
    """

    k: int
    metric: float
    best_init: int
    fold_scores: np.ndarray
    n_iter: np.ndarray
    converged: np.ndarray

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return same_fields(self, other)

    __hash__ = None  # type: ignore[assignment]

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python form (JSON-friendly)."""
        return {
            "k": self.k,
            "metric": self.metric,
            "best_init": self.best_init,
            "fold_scores": self.fold_scores.tolist(),
            "n_iter": self.n_iter.tolist(),
            "converged": self.converged.tolist(),
        }


@dataclass(frozen=True, repr=False, eq=False)
class MIResult:
    """A GMM-MI estimate with its bootstrap uncertainty.

    Attributes
    ----------
    mean : float
        Mean over the bootstrap replicates (the full-data value when ``n_bootstrap=0``).
    std : float
        Standard deviation (ddof=1) of the replicates; NaN without bootstrap.
    samples : numpy.ndarray
        The replicate values.
    n_components : int or None
        Number of components selected (per class for categorical MI, see ``details``).
    model : GaussianMixture or None
        The mixture fitted on all the data, in the original units.
    selection : list of SelectionRecord
        The per-K table of the component search.
    unit : str
        ``"nat"``, ``"bit"``, ...
    quantity : str
        ``"mutual_information"``, ``"conditional_mutual_information"``, ``"entropy"`` or
        ``"kl_divergence"``.
    estimator : str
        Which estimator produced it: ``"gmm"``, ``"gmm-categorical"`` or ``"plugin"``
        (discrete-discrete).
    full_value : float
        The quantity of the model fitted on all the data.
    random_state : int
        The seed used (so an unseeded run can be repeated).
    options : dict
        The options of the call.
    warnings : list of str
        Warnings raised during the estimate.
    details : dict
        Estimator-specific extras (per-class models and counts for categorical MI).
    """

    mean: float
    std: float
    samples: np.ndarray
    n_components: Optional[int]
    model: Optional[GaussianMixture]
    selection: list[SelectionRecord]
    unit: str
    quantity: str
    estimator: str
    full_value: float
    random_state: int
    options: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def n_bootstrap(self) -> int:
        """Number of bootstrap replicates."""
        return int(self.samples.size)

    def ci(self, level: float = 0.95) -> tuple[float, float]:
        """Percentile bootstrap interval at ``level`` (e.g. 0.95).

        Examples
        --------
        >>> import numpy as np, gmmi
        >>> rng = np.random.default_rng(0)
        >>> x = rng.normal(size=500); y = x + rng.normal(size=500)
        >>> r = gmmi.mutual_information(x, y, n_bootstrap=20, random_state=0)
        >>> lo, hi = r.ci(0.9)
        >>> bool(lo <= r.mean <= hi)
        True
        """
        if not (isinstance(level, (int, float)) and 0 < level < 1):
            raise ValueError(f"level: expected a number in (0, 1), got {level!r}")
        if self.samples.size < 2:
            raise ValueError("level: a confidence interval needs n_bootstrap >= 2")
        lo, hi = np.quantile(self.samples, [(1 - level) / 2, (1 + level) / 2])
        return float(lo), float(hi)

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python form (JSON-friendly; the model as its parameters)."""
        model = None
        if self.model is not None:
            model = {
                "weights": self.model.weights_.tolist(),
                "means": self.model.means_.tolist(),
                "covariances": self.model.covariances_.tolist(),
            }
        return {
            "quantity": self.quantity,
            "estimator": self.estimator,
            "mean": self.mean,
            "std": None if math.isnan(self.std) else self.std,
            "unit": self.unit,
            "samples": self.samples.tolist(),
            "full_value": self.full_value,
            "n_components": self.n_components,
            "random_state": self.random_state,
            "selection": [r.to_dict() for r in self.selection],
            "model": model,
            "options": dict(self.options),
            "warnings": list(self.warnings),
        }

    def plot_bootstrap(self, ax: Any = None, level: float = 0.95) -> Any:
        """Histogram of the replicates with the mean and interval (see
        :func:`gmmi.plots.plot_bootstrap`)."""
        from .plots import plot_bootstrap

        return plot_bootstrap(self, ax=ax, level=level)

    def plot_selection(self, ax: Any = None) -> Any:
        """The selection metric against K (see :func:`gmmi.plots.plot_selection`)."""
        from .plots import plot_selection

        return plot_selection(self, ax=ax)

    def save(self, path: str) -> None:
        """Writes this object to ``path`` as JSON; read it back with :func:`gmmi.load`."""
        from .io import save

        save(self, path)

    def __eq__(self, other: object) -> bool:
        """Every field holds the same values (NaN equal to NaN, arrays elementwise): a
        result equals itself loaded back from a file."""
        if type(other) is not type(self):
            return NotImplemented
        return same_fields(self, other)

    __hash__ = None  # type: ignore[assignment]

    def __float__(self) -> float:
        return float(self.mean)

    def __repr__(self) -> str:
        sym = _SYMBOL.get(self.quantity, self.quantity)
        parts = []
        if self.n_components is not None:
            parts.append(f"K={self.n_components}")
        elif self.estimator == "gmm-categorical":
            ks = self.details.get("n_components_per_class", {})
            parts.append("K per class=" + ",".join(str(v) for v in ks.values()))
        else:
            parts.append(self.estimator)
        if self.samples.size:
            parts.append(f"{self.samples.size} bootstrap replicates")
        else:
            parts.append("no bootstrap")
        if math.isnan(self.std):
            return f"{sym} = {self.mean:.3f} {self.unit} ({', '.join(parts)})"
        return f"{sym} = {self.mean:.3f} ± {self.std:.3f} {self.unit} ({', '.join(parts)})"

    __str__ = __repr__
