"""``GaussianMixture``: a full-covariance Gaussian mixture backed by the Rust core."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any, Optional, Union

import numpy as np

from . import _core
from ._run import run_with_control
from ._validation import (
    as_block,
    check_bool,
    check_choice,
    check_float,
    check_int,
    check_mc_samples,
    check_memory,
    column_std,
    resolve_base,
    resolve_n_jobs,
    resolve_seed,
)

__all__ = ["INITS", "GaussianMixture"]

#: The initialisation strategies, in the order of ALGORITHM.md.
INITS = ("random_sklearn", "kmeans_sklearn", "random", "minmax", "kmeans", "randomized_kmeans",
         "mixed")


def _parameter(value: Any, name: str) -> np.ndarray:
    """A float64 array of model parameters; the error names ``name``."""
    try:
        arr = np.asarray(value)
    except ValueError as exc:  # ragged nested lists
        raise ValueError(f"{name}: could not be converted to an array ({exc})") from None
    if np.issubdtype(arr.dtype, np.complexfloating):
        raise TypeError(f"{name}: complex numbers are not supported")
    try:
        return np.asarray(arr, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name}: expected numbers, got an array of dtype {arr.dtype}") from None


class GaussianMixture:
    """A Gaussian mixture model with full covariances, in any dimension.

    Build one from parameters, ``GaussianMixture(weights, means, covariances)``, or fit one
    with ``GaussianMixture().fit(X, n_components=...)``. Parameters are validated on
    construction: weights positive and summing to one, covariances symmetric positive
    definite.

    Parameters
    ----------
    weights : array-like of shape (n_components,), optional
        Mixture weights.
    means : array-like of shape (n_components, n_features), optional
        Component means.
    covariances : array-like of shape (n_components, n_features, n_features), optional
        Component covariance matrices.

    Attributes
    ----------
    weights_, means_, covariances_ : numpy.ndarray
        The parameters.
    n_iter_ : int or None
        EM iterations of the last fit (None for a model built from parameters).
    converged_ : bool or None
        Whether the last fit met its tolerance.
    train_curve_, valid_curve_ : numpy.ndarray
        Mean log-likelihood per sample at each EM iteration, on the training and validation
        data (empty unless ``record_curves=True`` was passed to :meth:`fit`).

    Examples
    --------
    >>> import numpy as np
    >>> import gmmi
    >>> g = gmmi.GaussianMixture([0.5, 0.5], [[-2.0, 0.0], [2.0, 0.0]],
    ...                          [np.eye(2), np.eye(2)])
    >>> X, labels = g.sample(2000, random_state=0)
    >>> fitted = gmmi.GaussianMixture().fit(X, n_components=2, random_state=0)
    >>> np.sort(fitted.means_[:, 0]).round(1)
    array([-2.,  2.])
    >>> round(float(g.score_samples([[0.0, 0.0]])[0]), 4)
    -3.8379
    """

    def __init__(
        self,
        weights: Optional[Any] = None,
        means: Optional[Any] = None,
        covariances: Optional[Any] = None,
    ) -> None:
        given = [p is not None for p in (weights, means, covariances)]
        self._mix: Optional[_core.Mixture] = None
        self.n_iter_: Optional[int] = None
        self.converged_: Optional[bool] = None
        self.lower_bound_: Optional[float] = None
        self.train_curve_ = np.empty(0)
        self.valid_curve_ = np.empty(0)
        if any(given) and not all(given):
            missing = [n for n, g in zip(("weights", "means", "covariances"), given) if not g]
            raise ValueError(f"{missing[0]}: weights, means and covariances go together; "
                             "pass all three or none")
        if all(given):
            self._mix = self._build(weights, means, covariances)

    @staticmethod
    def _build(weights: Any, means: Any, covariances: Any) -> _core.Mixture:
        w = np.ascontiguousarray(_parameter(weights, "weights").ravel())
        m = _parameter(means, "means")
        if m.ndim == 1:
            m = m[:, None] if w.size == m.size else m[None, :]
        c = _parameter(covariances, "covariances")
        if c.ndim == 1 and m.shape[1] == 1:
            c = c[:, None, None]
        elif c.ndim == 2 and m.shape[0] == 1 and c.shape == (m.shape[1], m.shape[1]):
            c = c[None, :, :]
        if m.ndim != 2:
            raise ValueError(f"means: expected shape (n_components, n_features), got {m.shape}")
        if c.ndim != 3:
            raise ValueError("covariances: expected shape (n_components, n_features, "
                             f"n_features), got {c.shape}")
        return _core.Mixture(w, np.ascontiguousarray(m), np.ascontiguousarray(c))

    @classmethod
    def _from_core(cls, mix: _core.Mixture) -> GaussianMixture:
        g = cls()
        g._mix = mix
        return g

    # -- parameters ---------------------------------------------------------------------
    @property
    def _m(self) -> _core.Mixture:
        if self._mix is None:
            raise AttributeError("this GaussianMixture has no parameters yet: call fit() or "
                                 "construct it from weights, means and covariances")
        return self._mix

    @property
    def weights_(self) -> np.ndarray:
        """Mixture weights, shape (n_components,)."""
        return self._m.weights

    @property
    def means_(self) -> np.ndarray:
        """Component means, shape (n_components, n_features)."""
        return self._m.means

    @property
    def covariances_(self) -> np.ndarray:
        """Component covariances, shape (n_components, n_features, n_features)."""
        return self._m.covariances

    @property
    def cholesky_factors_(self) -> np.ndarray:
        """Lower Cholesky factors of the covariances."""
        return self._m.cholesky_factors

    @property
    def n_components(self) -> int:
        """Number of components."""
        return self._m.n_components

    @property
    def n_features(self) -> int:
        """Dimension of the space."""
        return self._m.dim

    @property
    def n_parameters(self) -> int:
        """Free parameters: ``K-1 + K d + K d(d+1)/2``."""
        return self._m.n_parameters

    def _points(self, X: Any, name: str = "X") -> np.ndarray:
        x = as_block(X, name, allow_constant=True, min_rows=1, check_spread=False)
        if x.shape[1] != self.n_features:
            if self.n_features == 1 and x.shape[0] == 1:
                x = x.T
            else:
                raise ValueError(f"{name}: expected {self.n_features} columns, got {x.shape[1]}")
        return x

    # -- fitting ------------------------------------------------------------------------
    def fit(
        self,
        X: Any,
        n_components: int = 1,
        *,
        init: str = "kmeans_sklearn",
        random_state: Any = None,
        threshold_fit: float = 1e-5,
        max_iter: int = 10_000,
        reg_covar: float = 1e-15,
        scale: Optional[float] = None,
        validation_data: Optional[Any] = None,
        record_curves: bool = False,
        standardize: bool = True,
        n_jobs: Optional[int] = None,
    ) -> GaussianMixture:
        """Fits the mixture to ``X`` by EM from the chosen initialisation.

        With ``standardize=True`` (the default) EM runs on the columns of ``X`` shifted to
        mean 0 and scaled to standard deviation 1, and the fitted model is mapped back to the
        units of ``X``: the fit is then the same, up to rounding, whatever the units (data of
        scale 1e-12 would otherwise have their variances swamped by ``reg_covar``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples,)
            The data.
        n_components : int, default 1
            Number of components (at most the number of rows).
        init : str, default "kmeans_sklearn"
            One of ``random_sklearn``, ``kmeans_sklearn``, ``random``, ``minmax``,
            ``kmeans``, ``randomized_kmeans``. The default is scikit-learn's (k-means
            labels, then an M-step). The MI estimators default to ``random_sklearn``, the
            published method's choice, whose components all start near the data mean: on
            well-separated clusters EM can stop at that saddle before separating them.
        random_state : int, numpy.random.Generator or None
            Seed of the initialisation.
        threshold_fit : float, default 1e-5
            Stop when the mean log-likelihood per sample changes by less than this.
        max_iter : int, default 10000
            Maximum EM iterations.
        reg_covar : float, default 1e-15
            Added to the diagonal of every covariance (in standardised units, or in the
            units of ``X`` with ``standardize=False``).
        scale : float, optional
            Ball radius of the ``random``/``minmax`` inits, push size of
            ``randomized_kmeans`` (in the same units as ``reg_covar``).
        validation_data : array-like, optional
            Held-out rows whose log-likelihood is recorded with ``record_curves``.
        record_curves : bool, default False
            Keep ``train_curve_`` and ``valid_curve_``.
        standardize : bool, default True
            Fit in standardised units (see above); constant columns are only centred.
        n_jobs : int, optional
            Threads (default: every core).

        Returns
        -------
        GaussianMixture
            ``self``, fitted.
        """
        x = as_block(X, "X", allow_constant=True, min_rows=2)
        k = check_int(n_components, "n_components", minimum=1)
        assert k is not None
        if k > x.shape[0]:
            raise ValueError(f"n_components: {k} components need at least {k} rows; X has "
                             f"{x.shape[0]}")
        check_choice(init, "init", INITS)
        check_float(threshold_fit, "threshold_fit")
        check_int(max_iter, "max_iter", minimum=1)
        check_float(reg_covar, "reg_covar", strict=False)
        check_float(scale, "scale", allow_none=True)
        check_bool(record_curves, "record_curves")
        check_bool(standardize, "standardize")
        valid = None
        if validation_data is not None:
            valid = as_block(validation_data, "validation_data", allow_constant=True, min_rows=1)
            if valid.shape[1] != x.shape[1]:
                raise ValueError(f"validation_data: expected {x.shape[1]} columns, got "
                                 f"{valid.shape[1]}")
        # Sorting every row is the expensive way; the first rows nearly always suffice.
        if np.unique(x[:max(4 * k, 64)], axis=0).shape[0] < k:
            distinct = np.unique(x, axis=0).shape[0]
            if distinct < k:
                raise ValueError(f"n_components: X has {distinct} distinct row(s), fewer distinct "
                                 f"rows than components ({k}); a component needs data of its own")
        shift = np.zeros(x.shape[1])
        unit = np.ones(x.shape[1])
        if standardize:
            shift = np.sum(x / x.shape[0], axis=0)
            sd = column_std(x)
            unit = np.where(x.max(axis=0) > x.min(axis=0), sd, 1.0)
            x = np.ascontiguousarray((x - shift) / unit)
            if valid is not None:
                valid = np.ascontiguousarray((valid - shift) / unit)
        seed = resolve_seed(random_state)
        start = _core.initial_mixture(x, k, init, scale, seed)
        out = run_with_control(
            _core.em_fit, start, x, valid, float(threshold_fit), int(max_iter), float(reg_covar),
            bool(record_curves), n_jobs=resolve_n_jobs(n_jobs),
        )
        # Back to the units of X: the density picks up the Jacobian 1 / prod(unit).
        log_jac = float(np.sum(np.log(unit)))
        self._mix = out["model"].affine(unit.tolist(), shift.tolist()) if standardize \
            else out["model"]
        self.n_iter_ = int(out["n_iter"])
        self.converged_ = bool(out["converged"])
        self.lower_bound_ = float(out["lower_bound"]) - log_jac
        self.train_curve_ = out["train_curve"] - log_jac
        self.valid_curve_ = out["valid_curve"] - log_jac
        if not self.converged_:
            import warnings

            from ._warnings import ConvergenceWarning

            warnings.warn(
                f"EM reached max_iter={max_iter} before converging (threshold_fit="
                f"{threshold_fit}); raise max_iter or threshold_fit",
                ConvergenceWarning,
                stacklevel=2,
            )
        return self

    # -- densities ----------------------------------------------------------------------
    def score_samples(self, X: Any) -> np.ndarray:
        """Log-density ``ln p(x)`` of every row of ``X``, shape (n_samples,)."""
        return self._m.score_samples(self._points(X))

    def score(self, X: Any) -> float:
        """Mean log-density per sample of ``X``."""
        return float(np.mean(self.score_samples(X)))

    def component_log_densities(self, X: Any) -> np.ndarray:
        """``ln w_k + ln N(x | mu_k, S_k)`` for every row and component, shape (n, K)."""
        return self._m.component_log_densities(self._points(X))

    def predict_proba(self, X: Any) -> np.ndarray:
        """Responsibilities ``p(k | x)``, shape (n_samples, n_components)."""
        return self._m.responsibilities(self._points(X))

    def predict(self, X: Any) -> np.ndarray:
        """Most probable component of every row."""
        return np.argmax(self.predict_proba(X), axis=1)

    def aic(self, X: Any) -> float:
        """Akaike information criterion ``-2 ln L + 2 p`` on ``X``."""
        return float(self._m.aic(self._points(X)))

    def bic(self, X: Any) -> float:
        """Bayesian information criterion ``-2 ln L + p ln n`` on ``X``."""
        return float(self._m.bic(self._points(X)))

    def sample(self, n_samples: int = 1, random_state: Any = None) -> tuple[np.ndarray, np.ndarray]:
        """Draws ``n_samples`` points; returns ``(X, component_labels)``."""
        n = check_int(n_samples, "n_samples", minimum=1)
        check_memory("n_samples", n * (self.n_features + 1) * 8,
                     "draw the points in batches, each with its own random_state")
        return self._m.sample(n, resolve_seed(random_state))

    # -- transformations ----------------------------------------------------------------
    def marginal(self, dims: Union[int, Sequence[int]]) -> GaussianMixture:
        """The marginal mixture over the dimensions ``dims`` (in that order)."""
        if isinstance(dims, (int, np.integer)):
            idx = [dims]
        elif isinstance(dims, (str, bytes)) or not isinstance(dims, Iterable):
            raise TypeError(f"dims: expected an integer or a sequence of integers, got {dims!r}")
        else:
            idx = list(dims)
        for i in idx:
            if isinstance(i, bool) or not isinstance(i, (int, np.integer)):
                raise TypeError(f"dims: expected integers, got {i!r}")
            if not 0 <= int(i) < self.n_features:
                raise ValueError(f"dims: {i} is out of range for {self.n_features} dimensions")
        return GaussianMixture._from_core(self._m.marginal([int(i) for i in idx]))

    def affine(self, scale: Any, shift: Any) -> GaussianMixture:
        """The image under ``x -> scale * x + shift`` (per dimension, ``scale != 0``)."""
        d = self.n_features
        arrays = []
        for name, value in (("scale", scale), ("shift", shift)):
            a = np.asarray(value, dtype=np.float64)
            if a.ndim > 1 or (a.ndim == 1 and a.size not in (1, d)):
                raise ValueError(f"{name}: expected a number or {d} values, got shape {a.shape}")
            a = np.broadcast_to(a.ravel() if a.ndim else a, (d,))
            if not np.isfinite(a).all():
                raise ValueError(f"{name}: must be finite")
            arrays.append(a)
        s, t = arrays
        if (s == 0).any():
            raise ValueError("scale: must be non-zero")
        return GaussianMixture._from_core(self._m.affine(s.tolist(), t.tolist()))

    # -- information --------------------------------------------------------------------
    def mutual_information(
        self,
        x_dims: Sequence[int],
        y_dims: Sequence[int],
        z_dims: Optional[Sequence[int]] = None,
        *,
        integral: str = "mc",
        mc_samples: int = 100_000,
        quadrature_order: Optional[int] = None,
        base: Union[float, str] = math.e,
        random_state: Any = 0,
    ) -> float:
        """Mutual information (conditional on ``z_dims`` if given) of this model.

        Examples
        --------
        >>> import numpy as np, gmmi
        >>> g = gmmi.GaussianMixture([1.0], [[0.0, 0.0]], [[[1.0, 0.6], [0.6, 1.0]]])
        >>> round(g.mutual_information([0], [1], integral="quadrature"), 6)
        0.223144
        """
        check_choice(integral, "integral", ("mc", "quadrature"))
        mc = check_mc_samples(mc_samples)
        order = check_int(quadrature_order, "quadrature_order", minimum=1, allow_none=True)
        ln_base, _ = resolve_base(base)
        kind = "mi" if z_dims is None else "cmi"
        v = run_with_control(
            _core.model_quantity, self._m, kind, list(x_dims), list(y_dims), list(z_dims or []),
            integral, mc, order, resolve_seed(random_state),
        )
        return float(v) / ln_base

    def entropy(
        self,
        *,
        integral: str = "mc",
        mc_samples: int = 100_000,
        quadrature_order: Optional[int] = None,
        base: Union[float, str] = math.e,
        random_state: Any = 0,
    ) -> float:
        """Differential entropy ``-E[ln p]`` of this model."""
        check_choice(integral, "integral", ("mc", "quadrature"))
        mc = check_mc_samples(mc_samples)
        order = check_int(quadrature_order, "quadrature_order", minimum=1, allow_none=True)
        ln_base, _ = resolve_base(base)
        v = run_with_control(_core.model_quantity, self._m, "entropy", [], [], [], integral, mc,
                             order, resolve_seed(random_state))
        return float(v) / ln_base

    # -- persistence --------------------------------------------------------------------
    def get_params(self) -> dict[str, Any]:
        """Parameters and fit information as plain Python/numpy objects."""
        if self._mix is None:
            return {}
        return {
            "weights": self.weights_,
            "means": self.means_,
            "covariances": self.covariances_,
            "n_iter": self.n_iter_,
            "converged": self.converged_,
            "lower_bound": self.lower_bound_,
            "train_curve": self.train_curve_,
            "valid_curve": self.valid_curve_,
        }

    def plot(self, X: Any = None, *, dims: Sequence[int] = (0, 1), ax: Any = None) -> Any:
        """Density contours over the data with each component's ellipse (see
        :func:`gmmi.plots.plot_model`)."""
        from .plots import plot_model

        return plot_model(self, X, dims=dims, ax=ax)

    def save(self, path: str) -> None:
        """Writes this object to ``path`` as JSON; read it back with :func:`gmmi.load`."""
        from .io import save

        save(self, path)

    def __getstate__(self) -> dict[str, Any]:
        return self.get_params()

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__()  # type: ignore[misc]
        if state:
            self._mix = self._build(state["weights"], state["means"], state["covariances"])
            self.n_iter_ = state.get("n_iter")
            self.converged_ = state.get("converged")
            self.lower_bound_ = state.get("lower_bound")
            self.train_curve_ = np.asarray(state.get("train_curve", np.empty(0)))
            self.valid_curve_ = np.asarray(state.get("valid_curve", np.empty(0)))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, GaussianMixture):
            return NotImplemented
        if self._mix is None or other._mix is None:
            return self._mix is None and other._mix is None
        return bool(
            np.array_equal(self.weights_, other.weights_)
            and np.array_equal(self.means_, other.means_)
            and np.array_equal(self.covariances_, other.covariances_)
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        if self._mix is None:
            return "GaussianMixture(unfitted)"
        return f"GaussianMixture(n_components={self.n_components}, n_features={self.n_features})"
