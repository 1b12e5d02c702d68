"""A drop-in layer for users of the published GMM-MI package (``gmm-mi``).

Switching is a one-line import change::

    # from gmm_mi.mi import EstimateMI
    # from gmm_mi.param_holders import GMMFitParamHolder, SelectComponentsParamHolder, ...
    from gmmi.compat import EstimateMI, GMMFitParamHolder, SelectComponentsParamHolder, \\
        MIDistParamHolder

The classes take the published constructor arguments and behave as documented for that
package, computed by gmmi's core. Differences:

- ``fit`` runs gmmi's component selection and full-data fit; ``estimate`` then runs the
  bootstrap at the selected number of components (gmmi's estimator does both in one call;
  here they are split so the published two-step workflow keeps working).
- The random state is fixed (``random_state=0``) unless given, so runs are reproducible, as
  the published package seeds its own generators.
- Categorical MI weights classes by their frequency; the published package assumes balanced
  classes (``1/C``). The two agree for balanced classes.

Examples
--------
>>> import numpy as np
>>> from gmmi.compat import EstimateMI, MIDistParamHolder
>>> rng = np.random.default_rng(0)
>>> X = rng.multivariate_normal([0, 0], [[1, 0.6], [0.6, 1]], size=300)
>>> est = EstimateMI(mi_dist_params=MIDistParamHolder(n_bootstrap=5, MC_samples=2000))
>>> MI_mean, MI_std = est.fit_estimate(X)
>>> est.n_components
1
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any, Optional

import numpy as np

from . import estimators
from ._validation import check_bool, check_choice, check_float, check_int
from .mixture import INITS
from .result import MIResult

__all__ = [
    "EstimateMI",
    "GMMFitParamHolder",
    "MIDistParamHolder",
    "SelectComponentsParamHolder",
]


@dataclass
class GMMFitParamHolder:
    """EM settings: ``threshold_fit`` (tolerance on the mean log-likelihood), ``reg_covar``
    (added to covariance diagonals) and ``max_iter``."""

    threshold_fit: float = 1e-5
    reg_covar: float = 1e-15
    max_iter: int = 10_000

    def __post_init__(self) -> None:
        check_float(self.threshold_fit, "threshold_fit")
        check_float(self.reg_covar, "reg_covar", strict=False)
        check_int(self.max_iter, "max_iter", minimum=1)


@dataclass
class SelectComponentsParamHolder:
    """Component-selection settings. ``fixed_components_number > 0`` fixes K."""

    n_inits: int = 3
    init_type: str = "random_sklearn"
    scale: Optional[float] = None
    n_folds: int = 2
    metric_method: str = "valid"
    threshold_components: float = 1e-5
    patience: int = 1
    max_components: int = 50
    fixed_components_number: int = 0

    def __post_init__(self) -> None:
        check_int(self.n_inits, "n_inits", minimum=1)
        check_choice(self.init_type, "init_type", INITS)
        check_float(self.scale, "scale", allow_none=True)
        check_int(self.n_folds, "n_folds", minimum=2)
        check_choice(self.metric_method, "metric_method", ("valid", "aic", "bic"))
        check_float(self.threshold_components, "threshold_components", strict=False)
        check_int(self.patience, "patience", minimum=1)
        check_int(self.max_components, "max_components", minimum=1)
        check_int(self.fixed_components_number, "fixed_components_number", minimum=0)


@dataclass
class MIDistParamHolder:
    """Bootstrap settings: ``n_bootstrap`` replicates of ``MC_samples`` Monte Carlo draws;
    ``fixed_components=True`` uses ``fixed_components_number`` components."""

    n_bootstrap: int = 50
    MC_samples: float = 1e5
    fixed_components: bool = False
    fixed_components_number: int = 0

    def __post_init__(self) -> None:
        check_int(self.n_bootstrap, "n_bootstrap", minimum=0)
        mc = check_float(self.MC_samples, "MC_samples")
        if not float(mc).is_integer() or mc < 1:
            raise ValueError(f"MC_samples: expected a whole number >= 1, got {self.MC_samples}")
        check_bool(self.fixed_components, "fixed_components")
        check_int(self.fixed_components_number, "fixed_components_number", minimum=0)
        if self.fixed_components and self.fixed_components_number < 1:
            raise ValueError("fixed_components_number: must be >= 1 when fixed_components=True")


_HOLDERS = (GMMFitParamHolder, SelectComponentsParamHolder, MIDistParamHolder)


class EstimateMI:
    """The published package's estimator, computed by gmmi.

    Parameters
    ----------
    gmm_fit_params : GMMFitParamHolder, optional
    select_components_params : SelectComponentsParamHolder, optional
    mi_dist_params : MIDistParamHolder, optional
    random_state : int, default 0
        Seed of everything random (fixed for reproducible runs).
    n_jobs : int, optional
        Threads (default: every core).
    **fields
        Any field of the three holders, as a shortcut
        (``EstimateMI(n_bootstrap=10, MC_samples=1e4)``).

    Attributes
    ----------
    MI_mean, MI_std : float
        The last estimate.
    KL_mean, KL_std : float
        The last KL divergence of the marginals (with ``include_kl=True``).
    n_components : int
        The selected number of components.
    result : gmmi.MIResult
        The full gmmi result of the last estimate.
    """

    def __init__(
        self,
        gmm_fit_params: Optional[GMMFitParamHolder] = None,
        select_components_params: Optional[SelectComponentsParamHolder] = None,
        mi_dist_params: Optional[MIDistParamHolder] = None,
        *,
        random_state: int = 0,
        n_jobs: Optional[int] = None,
        **fields_: Any,
    ) -> None:
        self.gmm_fit_params = _copy(gmm_fit_params, GMMFitParamHolder, "gmm_fit_params")
        self.select_components_params = _copy(select_components_params,
                                              SelectComponentsParamHolder,
                                              "select_components_params")
        self.mi_dist_params = _copy(mi_dist_params, MIDistParamHolder, "mi_dist_params")
        for name, value in fields_.items():
            holder = next((h for h in (self.gmm_fit_params, self.select_components_params,
                                       self.mi_dist_params)
                           if name in {f.name for f in fields(h)}), None)
            if holder is None:
                raise TypeError(f"{name}: unknown argument of EstimateMI")
            setattr(holder, name, value)
            holder.__post_init__()
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.MI_mean: Optional[float] = None
        self.MI_std: Optional[float] = None
        self.KL_mean: Optional[float] = None
        self.KL_std: Optional[float] = None
        self.n_components: Optional[int] = None
        self.result: Optional[MIResult] = None
        self._xy: Optional[tuple[np.ndarray, np.ndarray]] = None
        self._categorical: Optional[tuple[Any, Any]] = None

    # -- options ------------------------------------------------------------------------
    def _options(self, mi: MIDistParamHolder, verbose: bool) -> dict[str, Any]:
        g, s = self.gmm_fit_params, self.select_components_params
        return {
            "n_inits": s.n_inits, "init": s.init_type, "scale": s.scale, "n_folds": s.n_folds,
            "selection": s.metric_method, "threshold_components": s.threshold_components,
            "patience": s.patience, "max_components": s.max_components,
            "threshold_fit": g.threshold_fit, "reg_covar": g.reg_covar, "max_iter": g.max_iter,
            "mc_samples": int(mi.MC_samples), "random_state": self.random_state,
            "n_jobs": self.n_jobs, "progress": bool(verbose) and _has_tqdm(),
        }

    def _fixed_k(self, mi: MIDistParamHolder) -> Optional[int]:
        if mi.fixed_components:
            return mi.fixed_components_number
        if self.select_components_params.fixed_components_number > 0:
            return self.select_components_params.fixed_components_number
        return None

    # -- continuous ---------------------------------------------------------------------
    def fit(self, X: Any, Y: Any = None, verbose: bool = False) -> EstimateMI:
        """Selects the number of components and fits the mixture to the joint samples.

        ``X`` of shape (n, 2) with ``Y=None``, or ``X`` and ``Y`` the two variables (each
        1-D or 2-D).
        """
        x, y = _split_xy(X, Y)
        opts = self._options(self.mi_dist_params, verbose)
        r = estimators.mutual_information(x, y, n_bootstrap=0,
                                          n_components=self._fixed_k(self.mi_dist_params),
                                          **opts)
        self._xy = (x, y)
        self.n_components = r.n_components
        self.result = r
        return self

    def estimate(
        self,
        mi_dist_params: Optional[MIDistParamHolder] = None,
        include_kl: bool = False,
        kl_order: str = "forward",
        base: float = math.e,
        verbose: bool = False,
    ) -> tuple[float, float]:
        """Bootstraps the MI at the selected number of components; returns
        ``(MI_mean, MI_std)`` and, with ``include_kl``, sets ``KL_mean`` and ``KL_std``."""
        if self._xy is None or self.n_components is None:
            raise RuntimeError("estimate: call fit(X) first (or use fit_estimate)")
        check_bool(include_kl, "include_kl")
        check_choice(kl_order, "kl_order", ("forward", "reverse"))
        mi = _copy(mi_dist_params, MIDistParamHolder, "mi_dist_params") \
            if mi_dist_params is not None else self.mi_dist_params
        x, y = self._xy
        opts = self._options(mi, verbose)
        k = self._fixed_k(mi) or self.n_components
        r = estimators.mutual_information(x, y, n_bootstrap=mi.n_bootstrap, n_components=k,
                                          base=base, **opts)
        self.result = r
        self.MI_mean, self.MI_std = r.mean, r.std
        if include_kl:
            if x.ndim != 1 or y.ndim != 1:
                raise ValueError("include_kl: the KL divergence needs 1-D X and Y")
            kl = estimators.kl_divergence_marginals(x, y, order=kl_order,
                                                    n_bootstrap=mi.n_bootstrap, n_components=k,
                                                    base=base, **opts)
            self.KL_mean, self.KL_std = kl.mean, kl.std
        return r.mean, r.std

    def fit_estimate(
        self,
        X: Any,
        Y: Any = None,
        mi_dist_params: Optional[MIDistParamHolder] = None,
        include_kl: bool = False,
        kl_order: str = "forward",
        base: float = math.e,
        verbose: bool = False,
    ) -> tuple[float, float]:
        """:meth:`fit` then :meth:`estimate`; returns ``(MI_mean, MI_std)``."""
        self.fit(X, Y, verbose=verbose)
        return self.estimate(mi_dist_params, include_kl=include_kl, kl_order=kl_order,
                             base=base, verbose=verbose)

    # -- categorical --------------------------------------------------------------------
    def fit_categorical(self, X: Any, y: Any, verbose: bool = False) -> EstimateMI:
        """Stores a continuous ``X`` and its class labels ``y`` (any labels)."""
        estimators._encode_labels(y, "y", n_rows=np.asarray(X).shape[0])  # validate early
        self._categorical = (X, y)
        return self

    def estimate_categorical(
        self,
        mi_dist_params: Optional[MIDistParamHolder] = None,
        base: float = math.e,
        verbose: bool = False,
    ) -> tuple[float, float]:
        """MI between ``X`` and the labels (a mixture per class, classes weighted by their
        frequency, stratified bootstrap); returns ``(MI_mean, MI_std)``."""
        if self._categorical is None:
            raise RuntimeError("estimate_categorical: call fit_categorical(X, y) first")
        mi = _copy(mi_dist_params, MIDistParamHolder, "mi_dist_params") \
            if mi_dist_params is not None else self.mi_dist_params
        X, y = self._categorical
        r = estimators.mutual_information(X, y, discrete_y=True, n_bootstrap=mi.n_bootstrap,
                                          n_components=self._fixed_k(mi), base=base,
                                          **self._options(mi, verbose))
        self.result = r
        self.MI_mean, self.MI_std = r.mean, r.std
        return r.mean, r.std

    def fit_estimate_categorical(
        self,
        X: Any,
        y: Any,
        mi_dist_params: Optional[MIDistParamHolder] = None,
        base: float = math.e,
        verbose: bool = False,
    ) -> tuple[float, float]:
        """:meth:`fit_categorical` then :meth:`estimate_categorical`."""
        self.fit_categorical(X, y, verbose=verbose)
        return self.estimate_categorical(mi_dist_params, base=base, verbose=verbose)

    def __repr__(self) -> str:
        state = "unfitted" if self.MI_mean is None else f"MI={self.MI_mean:.4f}±{self.MI_std:.4f}"
        return f"EstimateMI({state})"


def _copy(holder: Any, cls: type, name: str) -> Any:
    if holder is None:
        return cls()
    if not isinstance(holder, cls):
        raise TypeError(f"{name}: expected a {cls.__name__}, got {type(holder).__name__}")
    src: Any = holder  # a validated dataclass instance; a fresh copy is re-validated
    return cls(**{f.name: getattr(src, f.name) for f in fields(src)})


def _split_xy(X: Any, Y: Any) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(X.to_numpy() if hasattr(X, "to_numpy") else X)
    if Y is None:
        if x.ndim != 2 or x.shape[1] != 2:
            raise ValueError(f"X: with Y=None, X must have shape (n, 2); got {x.shape}")
        return x[:, 0], x[:, 1]
    y = np.asarray(Y.to_numpy() if hasattr(Y, "to_numpy") else Y)
    return x, y


def _has_tqdm() -> bool:
    try:
        import tqdm  # noqa: F401
    except ImportError:
        return False
    return True
