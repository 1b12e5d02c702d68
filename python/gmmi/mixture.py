"""``GaussianMixture``: a full-covariance Gaussian mixture backed by the Rust core, usable
where :class:`sklearn.mixture.GaussianMixture` is."""

from __future__ import annotations

import inspect
import math
from collections.abc import Iterable, Sequence
from typing import Any, ClassVar, Optional, Union

import numpy as np

from . import _codec, _core, _html
from ._compare import same
from ._inputs import warn_if_reg_covar_swamps_bulk, warn_if_scale_below_reg_covar
from ._options import INITS
from ._run import run_with_control
from ._validation import (
    as_block,
    check_bool,
    check_choice,
    check_int,
    check_memory,
    check_real,
    resolve_base,
    resolve_n_jobs,
    resolve_seed,
)

#: GaussianMixture(standardize=False) warns of a column whose variance is below this many
#: times reg_covar (see fit).
UNSTANDARDISED_GM_MARGIN = 100.0

__all__ = ["INITS", "GaussianMixture"]


def _init_array(value: Any, name: str, shape: tuple[int, ...]) -> np.ndarray:
    """A start's parameter (``weights_init`` and the like) as a C-contiguous float64 array of
    ``shape`` (n_components, then n_features as the data have them), finite."""
    arr = _parameter(value, name)
    if arr.shape != shape:
        raise ValueError(f"{name}: expected shape {shape} (n_components={shape[0]}"
                         + (f", {shape[1]} features" if len(shape) > 1 else "")
                         + f"), got {arr.shape}")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name}: holds a value that is not finite")
    return np.ascontiguousarray(arr)


def _parameter(value: Any, name: str) -> np.ndarray:
    """A float64 array of model parameters; the error names ``name``."""
    return _parameter_and_eps(value, name)[0]


def _parameter_and_eps(value: Any, name: str) -> tuple[np.ndarray, float]:
    """:func:`_parameter` and the relative precision of the values as given (the machine
    epsilon of a float16 or float32 array, float64's otherwise)."""
    try:
        arr = np.asarray(value)
    except ValueError as exc:  # ragged nested lists
        raise ValueError(f"{name}: could not be converted to an array ({exc})") from None
    if np.issubdtype(arr.dtype, np.complexfloating):
        raise TypeError(f"{name}: complex numbers are not supported")
    eps = float(np.finfo(arr.dtype).eps) if arr.dtype.kind == "f" else float(
        np.finfo(np.float64).eps)
    try:
        return np.asarray(arr, dtype=np.float64), max(eps, float(np.finfo(np.float64).eps))
    except (TypeError, ValueError):
        raise TypeError(f"{name}: expected numbers, got an array of dtype {arr.dtype}") from None


#: Weights whose sum is off 1 by more than the core's tolerance (1e-8) but at most this
#: many units of their precision per component are divided by their sum, and so covariances
#: are symmetrised whose asymmetry is beyond the core's (1e-10 of their largest variance)
#: but within as many units of it: a model fitted in single precision (scikit-learn's on
#: float32 data) sums to 1 and is symmetric only to its rounding.
_ROUNDING_UNITS = 10


#: The hyperparameters of :class:`GaussianMixture`, in the constructor's order.
#: Stands for a subclass's own hyperparameter in the comparison with the defaults.
_NO_DEFAULT = object()


#: The parameters of the model's integrals (:meth:`GaussianMixture.mutual_information`,
#: :meth:`GaussianMixture.entropy`), written once for both docstrings.
_INTEGRAL_PARAMETERS = """integral : {"mc", "qmc", "quadrature"}, default "mc"
            Monte Carlo (the published method's integral), randomised quasi-Monte Carlo (as
            the estimators' ``integral="qmc"``: for the MI of two one-column blocks, Monte
            Carlo for every other quantity, the same numbers as ``"mc"`` there), or
            Gauss-Hermite quadrature (joint dimension at most 6; exact for a single
            Gaussian, approximate for a mixture).
        mc_samples : int, default 100000
            Points of a Monte Carlo or quasi-Monte Carlo integral.
        quadrature_order : int, optional
            Gauss-Hermite nodes per dimension (default depends on the dimension: 64 at 1,
            48 at 2, 16 at 3, 8 at 4, 6 at 5, 4 at 6; raise it for a mixture in 4-6).
        base : float or {"nat", "bit"}, default e
            Logarithm base of the value.
        random_state : int, numpy.random.Generator or None, default 0
            Seed of the integral's points (fixed by default: the same model gives the same
            number)."""


def _integral_doc(method: Any) -> Any:
    """Writes the integral's parameters into ``method``'s docstring."""
    method.__doc__ = method.__doc__.replace("{integral_parameters}", _INTEGRAL_PARAMETERS)
    return method


class GaussianMixture:
    """A Gaussian mixture model with full covariances, in any dimension.

    A drop-in for :class:`sklearn.mixture.GaussianMixture` with ``covariance_type="full"``
    where it is fitted and used: hyperparameters go to the constructor, :meth:`fit` learns
    ``weights_``, ``means_``, ``covariances_`` (and ``converged_``, ``n_iter_``,
    ``lower_bound_``), the methods are scikit-learn's, and ``clone``, pipelines and grid
    searches work. EM runs in gmmi's Rust core. Build a model from known parameters with
    :meth:`from_parameters`. Not scikit-learn's: the starts are chosen by ``init`` (its
    own names, below) rather than ``init_params``; there is no ``verbose`` or
    ``verbose_interval`` (``record_curves`` keeps every iteration's log-likelihood);
    ``reg_covar`` is added in standardised units; a model fitted on a DataFrame checks the
    names of a DataFrame given later but says nothing of an array without names.

    Parameters
    ----------
    n_components : int, default 1
        Number of components.
    covariance_type : {"full"}, default "full"
        Only full covariances (the parameter exists for scikit-learn compatibility).
    init : str, default "kmeans_sklearn"
        Initialisation: ``kmeans_sklearn`` (scikit-learn's: k-means labels, then an M-step),
        ``random_sklearn`` (random responsibilities, the published MI method's), ``random``,
        ``minmax``, ``kmeans``, ``randomized_kmeans`` or ``mixed`` (alternating k-means and
        random-responsibility starts over ``n_init``).
    n_init : int, default 1
        Initialisations (1 to 10,000, as the estimators' ``n_inits``), fitted one after
        another; the fit with the highest log-likelihood is kept.
    tol : float, default 1e-5
        EM stops when the mean log-likelihood per sample changes by less than this.
    reg_covar : float, default 1e-6
        Added to the diagonal of every covariance (in standardised units with
        ``standardize=True``, unlike scikit-learn, which adds it in the data's units: a few
        far values inflate a column's standard deviation, and with it the regularisation;
        a ``DegenerateWarning`` says when that swamps the spread of the bulk of the values).
    max_iter : int, default 10000
        Maximum EM iterations per initialisation.
    random_state : int, numpy.random.Generator or None
        Seed of the initialisations (and the default of :meth:`sample`).
    standardize : bool, default True
        Fit on columns shifted to mean 0 and scaled to sd 1, then map the model back to the
        units of ``X``: the fit is the same, up to rounding, whatever the units (data of
        scale 1e-12 would otherwise have their variances swamped by ``reg_covar``); constant
        columns are only centred.
    scale : float, optional
        Ball radius of the ``random``/``minmax`` inits, push size of ``randomized_kmeans``.
    record_curves : bool, default False
        Keep the mean log-likelihood of every EM iteration in ``train_curve_`` (and
        ``valid_curve_`` with ``validation_data``).
    n_jobs : int, optional
        Threads (default: every core).
    weights_init : array-like of shape (n_components,), optional
        Initial weights (positive, summing to 1): they replace those of every start ``init``
        makes (scikit-learn's).
    means_init : array-like of shape (n_components, n_features), optional
        Initial means, in the units of ``X``, likewise.
    precisions_init : array-like of shape (n_components, n_features, n_features), optional
        Initial precision matrices (inverse covariances, symmetric positive definite), as
        scikit-learn's with ``covariance_type="full"``. With all three given, EM runs once
        from them (``n_init`` starts would all be the same).
    warm_start : bool, default False
        Start the next :meth:`fit` from this model's fitted parameters (one start; the
        model must have ``n_components`` components in the data's dimension), as
        scikit-learn's: repeated fits continue where the last stopped.

    Attributes
    ----------
    weights_, means_, covariances_ : numpy.ndarray
        The parameters: shapes (K,), (K, d), (K, d, d).
    precisions_cholesky_ : numpy.ndarray
        Cholesky factors of the precision matrices, as scikit-learn defines them.
    converged_ : bool or None
        Whether the kept fit met ``tol`` (None for a model built from parameters).
    n_iter_ : int or None
        EM iterations of the kept fit.
    lower_bound_ : float or None
        Mean log-likelihood per sample of the kept fit at its last E-step.
    n_features_in_ : int
        Number of columns seen in :meth:`fit`.
    feature_names_in_ : numpy.ndarray
        Column names, when ``X`` had string column names.
    train_curve_, valid_curve_ : numpy.ndarray
        Per-iteration mean log-likelihoods (empty unless ``record_curves``).

    Examples
    --------
    >>> import numpy as np
    >>> import gmmi
    >>> g = gmmi.GaussianMixture.from_parameters([0.5, 0.5], [[-2.0, 0.0], [2.0, 0.0]],
    ...                                          [np.eye(2), np.eye(2)])
    >>> X, labels = g.sample(2000, random_state=0)
    >>> fitted = gmmi.GaussianMixture(n_components=2, random_state=0).fit(X)
    >>> np.sort(fitted.means_[:, 0]).round(1)
    array([-2.,  2.])
    >>> round(float(g.score_samples([[0.0, 0.0]])[0]), 4)
    -3.8379
    """

    def __init__(
        self,
        n_components: int = 1,
        *,
        covariance_type: str = "full",
        init: str = "kmeans_sklearn",
        n_init: int = 1,
        tol: float = 1e-5,
        reg_covar: float = 1e-6,
        max_iter: int = 10_000,
        random_state: Any = None,
        standardize: bool = True,
        scale: Optional[float] = None,
        record_curves: bool = False,
        n_jobs: Optional[int] = None,
        weights_init: Any = None,
        means_init: Any = None,
        precisions_init: Any = None,
        warm_start: bool = False,
    ) -> None:
        # scikit-learn's contract: store the hyperparameters as given; fit() checks them.
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.init = init
        self.n_init = n_init
        self.tol = tol
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.random_state = random_state
        self.standardize = standardize
        self.scale = scale
        self.record_curves = record_curves
        self.n_jobs = n_jobs
        self.weights_init = weights_init
        self.means_init = means_init
        self.precisions_init = precisions_init
        self.warm_start = warm_start

    # -- scikit-learn protocol ----------------------------------------------------------
    @classmethod
    def _param_names(cls) -> tuple[str, ...]:
        """The hyperparameters: the named arguments of ``__init__`` (a subclass's own
        included), as scikit-learn reads them."""
        kinds = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
        return tuple(p.name for p in inspect.signature(cls.__init__).parameters.values()
                     if p.name != "self" and p.kind not in kinds)

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The hyperparameters (scikit-learn's ``get_params``)."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params: Any) -> GaussianMixture:
        """Sets hyperparameters (scikit-learn's ``set_params``); returns ``self``."""
        names = self._param_names()
        for name, value in params.items():
            if name not in names:
                raise ValueError(f"{name}: not a parameter of {type(self).__name__}; valid "
                                 f"parameters: {', '.join(names)}")
            setattr(self, name, value)
        return self

    def __sklearn_tags__(self) -> Any:
        from sklearn.utils import Tags, TargetTags

        return Tags(estimator_type="density_estimator", target_tags=TargetTags(required=False))

    #: The checks of ``sklearn.utils.estimator_checks.check_estimator`` that do not apply,
    #: with the reason (pass as ``expected_failed_checks``).
    SKLEARN_EXPECTED_FAILED_CHECKS: ClassVar[dict[str, str]] = {
        "check_fit1d": "a 1-D X is one column (gmmi's convention for every estimator), not an "
                       "error",
        "check_complex_data": "complex X raises TypeError naming the argument, as every "
                              "unsupported dtype does in gmmi",
    }

    def __sklearn_is_fitted__(self) -> bool:
        return getattr(self, "_mix", None) is not None

    @classmethod
    def from_parameters(cls, weights: Any, means: Any, covariances: Any) -> GaussianMixture:
        """A model with known parameters (validated: weights positive and summing to one,
        covariances symmetric positive definite); ``n_components`` is their number.

        Parameters given in single (or half) precision, as a model fitted to float32 data
        holds them, are taken to their precision: weights that sum to one up to their
        rounding are divided by their sum, and covariances symmetric up to it are
        symmetrised.

        Examples
        --------
        >>> import gmmi
        >>> g = gmmi.GaussianMixture.from_parameters([1.0], [[0.0]], [[[2.0]]])
        >>> g.n_components, g.n_features_in_
        (1, 1)
        """
        return cls._from_core(cls._build(weights, means, covariances))

    @staticmethod
    def _build(weights: Any, means: Any, covariances: Any) -> _core.GaussianMixture:
        w, w_eps = _parameter_and_eps(weights, "weights")
        w = np.ascontiguousarray(w.ravel())
        m = _parameter(means, "means")
        if m.ndim == 1:
            m = m[:, None] if w.size == m.size else m[None, :]
        c, c_eps = _parameter_and_eps(covariances, "covariances")
        if c.ndim == 1 and m.shape[1] == 1:
            c = c[:, None, None]
        elif c.ndim == 2 and m.shape[0] == 1 and c.shape == (m.shape[1], m.shape[1]):
            c = c[None, :, :]
        if m.ndim != 2:
            raise ValueError(f"means: expected shape (n_components, n_features), got {m.shape}")
        if c.ndim != 3:
            raise ValueError("covariances: expected shape (n_components, n_features, "
                             f"n_features), got {c.shape}")
        if c.shape[1:] == (m.shape[1], m.shape[1]) and m.shape[1] > 0:
            var = np.abs(c[:, np.arange(m.shape[1]), np.arange(m.shape[1])])
            tiny = var < np.finfo(np.float64).tiny
            if (tiny & (var > 0)).any():  # (0 is not positive definite: the core says so)
                k = int(np.argwhere(tiny & (var > 0))[0][0])
                raise ValueError(f"covariances: component {k} has a variance below the "
                                 "smallest normal double (2.2e-308); its precision would be "
                                 "infinite")
        if w.size and np.isfinite(w).all() and (w > 0).all():
            total = float(w.sum())
            if abs(total - 1.0) <= 1e-8:
                pass  # (as given: a saved model loads to the same bits)
            elif abs(total - 1.0) <= _ROUNDING_UNITS * w_eps * w.size:
                w = w / total
            else:
                raise ValueError(f"weights: must sum to 1, they sum to {total!r} (divide them "
                                 "by their sum if they are proportions)")
        if c_eps > np.finfo(np.float64).eps and c.ndim == 3 and c.shape[1] == c.shape[2]:
            d = c.shape[1]
            scale = np.abs(c[:, np.arange(d), np.arange(d)]).max(axis=1)[:, None, None]
            asym = np.abs(c - c.transpose(0, 2, 1))
            if (np.isfinite(c).all() and (asym > 1e-10 * scale).any()
                    and (asym <= _ROUNDING_UNITS * c_eps * scale).all()):
                c = 0.5 * (c + c.transpose(0, 2, 1))
        return _core.GaussianMixture(w, np.ascontiguousarray(m), np.ascontiguousarray(c))

    @classmethod
    def _from_core(cls, mix: _core.GaussianMixture) -> GaussianMixture:
        g = cls(n_components=mix.n_components)
        g._set_model(mix)
        return g

    def _set_model(self, mix: _core.GaussianMixture, n_iter: Optional[int] = None,
                   converged: Optional[bool] = None, lower_bound: Optional[float] = None,
                   train_curve: Any = None, valid_curve: Any = None) -> None:
        self._mix = mix
        self.n_features_in_ = int(mix.dim)
        self.n_iter_ = n_iter
        self.converged_ = converged
        self.lower_bound_ = lower_bound
        self.train_curve_ = np.asarray(np.empty(0) if train_curve is None else train_curve,
                                       dtype=float)
        self.valid_curve_ = np.asarray(np.empty(0) if valid_curve is None else valid_curve,
                                       dtype=float)

    # -- parameters ---------------------------------------------------------------------
    @property
    def _m(self) -> _core.GaussianMixture:
        mix = getattr(self, "_mix", None)
        if mix is None:
            from ._warnings import not_fitted_error

            raise not_fitted_error("this GaussianMixture is not fitted yet: call fit() or build "
                                   "it with GaussianMixture.from_parameters()")
        return mix

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
    def precisions_cholesky_(self) -> np.ndarray:
        """Upper-triangular ``U`` with ``U U^T`` the precision matrix (scikit-learn's
        ``precisions_cholesky_`` for full covariances: ``inv(L).T`` for ``S = L L^T``)."""
        return np.stack([np.linalg.inv(c).T for c in self.cholesky_factors_])

    @property
    def precisions_(self) -> np.ndarray:
        """Inverse covariances."""
        return np.stack([np.linalg.inv(c) for c in self.covariances_])

    @property
    def n_features(self) -> int:
        """Dimension of the space (``n_features_in_``)."""
        return int(self._m.dim)

    @property
    def n_parameters(self) -> int:
        """Free parameters: ``K-1 + K d + K d(d+1)/2``."""
        return int(self._m.n_parameters)

    def _points(self, X: Any, name: str = "X") -> np.ndarray:
        fitted_names = getattr(self, "feature_names_in_", None)
        columns = getattr(X, "columns", None)
        if fitted_names is not None and columns is not None:
            given = [str(c) for c in columns]
            if given != [str(c) for c in fitted_names]:
                # scikit-learn's rule: reordered or renamed columns would be scored as the
                # wrong variables.
                raise ValueError(f"{name}: the feature names should match those seen in fit: "
                                 f"got {given}, fitted on {list(fitted_names)}")
        x = as_block(X, name, allow_constant=True, min_rows=1, check_spread=False)
        d = self.n_features
        if x.shape[1] != d:
            if d == 1 and x.shape[0] == 1:
                x = x.T
            else:
                hint = ""
                if np.ndim(X) == 1:
                    hint = (" (a 1-D X is one column; Reshape your data with "
                            "X.reshape(1, -1) if it is a single row)")
                raise ValueError(f"{name} has {x.shape[1]} features, but GaussianMixture is "
                                 f"expecting {d} features as input{hint}")
        return x

    # -- fitting ------------------------------------------------------------------------
    def _check_hyperparameters(self) -> int:
        if isinstance(self.n_components, (list, tuple, np.ndarray)):
            raise TypeError("n_components: expected an integer, got an array; to build a model "
                            "from known weights, means and covariances use "
                            "GaussianMixture.from_parameters(weights, means, covariances)")
        # Types here; every bound is the core's (FitOptions::check, run by the fit).
        k = check_int(self.n_components, "n_components", minimum=1)
        check_choice(self.covariance_type, "covariance_type", ("full",))
        check_choice(self.init, "init", INITS)
        check_int(self.n_init, "n_init", minimum=1, maximum=_core.MAX_INITS)
        check_real(self.tol, "tol")
        check_int(self.max_iter, "max_iter", minimum=1)
        check_real(self.reg_covar, "reg_covar")
        check_real(self.scale, "scale", allow_none=True)
        check_bool(self.record_curves, "record_curves")
        check_bool(self.standardize, "standardize")
        check_bool(self.warm_start, "warm_start")
        return k

    def _given_start(self, k: int, d: int) -> dict[str, np.ndarray]:
        """The parameters the starts take as given, flattened for the core in the data's
        units: ``weights_init``, ``means_init`` and ``precisions_init`` (as covariances,
        their inverses), checked as scikit-learn checks them; with ``warm_start`` and a
        fitted model, that model's (every one, a single start)."""
        if self.warm_start and getattr(self, "_mix", None) is not None:
            fitted = int(self._m.n_components)
            if (fitted, self.n_features) != (k, d):
                raise ValueError(f"warm_start: the fitted model has {fitted} "
                                 f"components in {self.n_features} dimensions; this fit asks "
                                 f"for {k} in {d} (set warm_start=False to start afresh)")
            return {"weights_init": np.ascontiguousarray(self.weights_),
                    "means_init": np.ascontiguousarray(self.means_.ravel()),
                    "covariances_init": np.ascontiguousarray(self.covariances_.ravel())}
        given: dict[str, np.ndarray] = {}
        if self.weights_init is not None:
            w = _init_array(self.weights_init, "weights_init", (k,))
            if (w <= 0).any() or (w > 1).any() or abs(float(w.sum()) - 1.0) > 1e-6:
                raise ValueError("weights_init: expected positive weights of at most 1 that "
                                 f"sum to 1, got {w.tolist()!r}")
            given["weights_init"] = w
        if self.means_init is not None:
            given["means_init"] = _init_array(self.means_init, "means_init", (k, d)).ravel()
        if self.precisions_init is not None:
            p = _init_array(self.precisions_init, "precisions_init", (k, d, d))
            covs = np.empty_like(p)
            for c in range(k):
                if not np.allclose(p[c], p[c].T, rtol=1e-10, atol=0.0):
                    raise ValueError(f"precisions_init: component {c} is not symmetric")
                try:
                    np.linalg.cholesky(p[c])
                    covs[c] = np.linalg.inv(p[c])
                except np.linalg.LinAlgError:
                    raise ValueError(f"precisions_init: component {c} is not positive "
                                     "definite") from None
            given["covariances_init"] = np.ascontiguousarray(
                0.5 * (covs + covs.transpose(0, 2, 1))).ravel()
        return given

    def fit(self, X: Any, y: Any = None, *, validation_data: Optional[Any] = None
            ) -> GaussianMixture:
        """Fits the mixture to ``X`` by EM from ``n_init`` initialisations, keeping the one
        with the highest log-likelihood.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples,)
            The data (a 1-D array is one column).
        y : ignored
            For scikit-learn's API.
        validation_data : array-like, optional
            Held-out rows whose log-likelihood is recorded with ``record_curves``.

        Returns
        -------
        GaussianMixture
            ``self``, fitted.
        """
        k = self._check_hyperparameters()
        names = getattr(X, "columns", None)
        try:
            x = as_block(X, "X", allow_constant=True, min_rows=2)
        except ValueError as exc:
            if "at least 2 rows" in str(exc):
                raise ValueError(f"{exc} (1 sample: fitting a mixture needs n_samples >= 2)"
                                 ) from None
            raise
        if k > x.shape[0]:
            raise ValueError(f"n_components: {k} components need at least {k} rows; X has "
                             f"{x.shape[0]}")
        given = self._given_start(k, x.shape[1])
        valid = None
        if validation_data is not None:
            valid = as_block(validation_data, "validation_data", allow_constant=True, min_rows=1)
            if valid.shape[1] != x.shape[1]:
                raise ValueError(f"validation_data: expected {x.shape[1]} columns, got "
                                 f"{valid.shape[1]}")
        warn_if_reg_covar_swamps_bulk(x, "X", float(self.reg_covar), bool(self.standardize),
                                      stacklevel=3)
        # Unstandardised, a column on the scale of reg_covar is fitted by the regularisation
        # (the model's MI then drops toward 0), as mutual_information(standardize=False) warns;
        # at a variance of 100 reg_covar (scikit-learn's default 1e-6: sd 0.01) the model's
        # MI was 0.2224 for a truth of 0.2231 (0.048 at a variance of reg_covar itself).
        warn_if_scale_below_reg_covar(x, "X", {"standardize": bool(self.standardize),
                                               "reg_covar": float(self.reg_covar)},
                                      stacklevel=3, margin=UNSTANDARDISED_GM_MARGIN)
        # Sorting every row is the expensive way; the first rows nearly always suffice.
        if np.unique(x[:max(4 * k, 64)], axis=0).shape[0] < k:
            distinct = np.unique(x, axis=0).shape[0]
            if distinct < k:
                raise ValueError(f"n_components: X has {distinct} distinct row(s), fewer distinct "
                                 f"rows than components ({k}); a component needs data of its own")
        try:
            out = run_with_control(
                _core.fit_mixture, x, k, self.init, int(self.n_init), self.scale,
                bool(self.standardize), float(self.tol), int(self.max_iter),
                float(self.reg_covar), bool(self.record_curves), resolve_seed(self.random_state),
                valid, n_jobs=resolve_n_jobs(self.n_jobs),
                weights_init=given.get("weights_init"), means_init=given.get("means_init"),
                covariances_init=given.get("covariances_init"),
            )
        except _core.NumericalError as exc:
            if self.scale is None or self.init not in ("random", "minmax", "randomized_kmeans"):
                raise
            # A user's scale that places the starts where no rows are is the likelier cause.
            raise ValueError(f"scale: the fit failed from the starts scale={self.scale:g} gives "
                             f"with init={self.init!r} ({exc}); use a smaller scale, or leave "
                             "it unset") from None
        self._set_model(out["model"], int(out["n_iter"]), bool(out["converged"]),
                        float(out["lower_bound"]), out["train_curve"], out["valid_curve"])
        if names is not None and all(isinstance(c, str) for c in names):
            self.feature_names_in_ = np.asarray(list(names), dtype=object)
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        if not self.converged_:
            import warnings

            from ._warnings import ConvergenceWarning

            warnings.warn(
                f"EM reached max_iter={self.max_iter} before converging (tol={self.tol}); "
                "raise max_iter or tol",
                ConvergenceWarning,
                stacklevel=2,
            )
        return self

    def fit_predict(self, X: Any, y: Any = None) -> np.ndarray:
        """Fits, then returns the most probable component of every row of ``X``."""
        return self.fit(X).predict(X)

    # -- densities ----------------------------------------------------------------------
    def score_samples(self, X: Any) -> np.ndarray:
        """Log-density ``ln p(x)`` of every row of ``X``, shape (n_samples,)."""
        return self._m.score_samples(self._points(X))

    def score(self, X: Any, y: Any = None) -> float:
        """Mean log-density per sample of ``X`` (``y`` is ignored, for scikit-learn)."""
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
        """Draws ``n_samples`` points; returns ``(X, component_labels)``. ``random_state``
        defaults to the model's own (as in scikit-learn)."""
        n = check_int(n_samples, "n_samples", minimum=1)
        check_memory("n_samples", n * (self.n_features + 1) * 8,
                     "draw the points in batches, each with its own random_state")
        seed = self.random_state if random_state is None else random_state
        return self._m.sample(n, resolve_seed(seed))

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
            try:
                if value is None or np.iscomplexobj(value):
                    raise TypeError
                a = np.asarray(value, dtype=np.float64)
            except (TypeError, ValueError):
                raise TypeError(f"{name}: expected a real number or {d} of them, got "
                                f"{value!r}") from None
            if a.ndim > 1 or (a.ndim == 1 and a.size not in (1, d)):
                raise ValueError(f"{name}: expected a number or {d} values, got shape {a.shape}")
            a = np.broadcast_to(a.ravel() if a.ndim else a, (d,))
            if not np.isfinite(a).all():
                raise ValueError(f"{name}: must be finite")
            arrays.append(a)
        s, t = arrays
        if (s == 0).any():
            raise ValueError("scale: must be non-zero")
        # The covariances scale by scale^2: it must stay a normal, finite double for them.
        with np.errstate(over="ignore", under="ignore"):
            var = self.covariances_[:, np.arange(d), np.arange(d)] * s**2
            means = self.means_ * s + t
        if not (np.isfinite(var) & (var >= np.finfo(np.float64).tiny)).all():
            raise ValueError(f"scale: {s.tolist()} takes a variance of the mixture out of "
                             "double precision (overflow or underflow)")
        if not np.isfinite(means).all():
            raise ValueError(f"scale, shift: {s.tolist()}, {t.tolist()} take a mean of the "
                             "mixture beyond double precision")
        return GaussianMixture._from_core(self._m.affine(s.tolist(), t.tolist()))

    # -- information --------------------------------------------------------------------
    @_integral_doc
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

        Parameters
        ----------
        x_dims, y_dims : sequence of int
            The model's dimensions that make up each variable.
        z_dims : sequence of int, optional
            Dimensions to condition on (None or empty: none).
        {integral_parameters}

        Returns
        -------
        float
            ``I(X;Y)`` (or ``I(X;Y|Z)``) of the model, in ``base``.

        Examples
        --------
        >>> import numpy as np, gmmi
        >>> g = gmmi.GaussianMixture.from_parameters([1.0], [[0.0, 0.0]],
        ...                                          [[[1.0, 0.6], [0.6, 1.0]]])
        >>> round(g.mutual_information([0], [1], integral="quadrature"), 6)
        0.223144
        """
        check_choice(integral, "integral", ("mc", "qmc", "quadrature"))
        mc = check_int(mc_samples, "mc_samples", minimum=1)  # (the upper bound: the core's)
        order = check_int(quadrature_order, "quadrature_order", allow_none=True)
        ln_base, _ = resolve_base(base)
        xs, ys, zs = self._variables(x_dims, y_dims, z_dims)
        kind = "cmi" if zs else "mi"  # (no dimensions of z, as None: no conditioning)
        v = run_with_control(
            _core.model_quantity, self._m, kind, xs, ys, zs,
            integral, mc, order, resolve_seed(random_state),
        )
        return float(v) / ln_base

    def pointwise_mutual_information(
        self,
        X: Any,
        x_dims: Sequence[int],
        y_dims: Sequence[int],
        z_dims: Optional[Sequence[int]] = None,
        *,
        base: Union[float, str] = math.e,
    ) -> np.ndarray:
        """Pointwise mutual information of this model at every row of ``X``.

        ``ln p(x, y) - ln p(x) - ln p(y)``, or with ``z_dims`` the pointwise conditional MI
        ``ln p(x, y, z) + ln p(z) - ln p(x, z) - ln p(y, z)``, from the model's marginals over
        the given dimensions. Its mean under the model is the (conditional) mutual
        information; a row with a large value is one where knowing ``x`` says much about
        ``y``, a negative value one where they are less likely together than apart.

        Parameters
        ----------
        X : array-like of shape (n, n_features)
            Points, in the model's coordinates.
        x_dims, y_dims : sequence of int
            The dimensions of each variable.
        z_dims : sequence of int, optional
            The conditioning dimensions (None or empty: none).
        base : float or str, default e
            Logarithm base (``"bit"`` for bits).

        Returns
        -------
        numpy.ndarray of shape (n,)

        Examples
        --------
        For a bivariate Gaussian with correlation ``rho`` and unit variances the pointwise MI
        at the origin is ``-ln(1 - rho**2) / 2``:

        >>> import numpy as np, gmmi
        >>> g = gmmi.GaussianMixture.from_parameters([1.0], [[0.0, 0.0]],
        ...                                          [[[1.0, 0.6], [0.6, 1.0]]])
        >>> pmi = g.pointwise_mutual_information([[0.0, 0.0], [1.0, -1.0]], [0], [1])
        >>> round(float(pmi[0]), 6), bool(pmi[1] < 0)
        (0.223144, True)
        """
        ln_base, _ = resolve_base(base)
        pts = self._points(X)
        xs, ys, zs = self._variables(x_dims, y_dims, z_dims)

        def logp(dims: list[int]) -> np.ndarray:
            return self.marginal(dims).score_samples(pts[:, dims])

        joint = logp(xs + ys + zs)
        far = np.flatnonzero(~np.isfinite(joint))
        if far.size:
            raise ValueError(
                f"X: row {far[0]} lies so far from the mixture that its density is 0 in double "
                "precision (log density -inf), and the pointwise MI there (-inf minus -inf) "
                "is undefined; drop such rows"
            )
        out = joint - logp(xs + zs) - logp(ys + zs)
        if zs:
            out += logp(zs)
        return out / ln_base

    def _variables(self, x_dims: Any, y_dims: Any,
                   z_dims: Any) -> tuple[list[int], list[int], list[int]]:
        """The dimensions of x, y (and z) as lists of distinct integers in range, each
        variable with at least one (z: none when None)."""
        blocks = {}
        for name, dims in (("x_dims", x_dims), ("y_dims", y_dims), ("z_dims", z_dims or [])):
            if isinstance(dims, (int, np.integer, str, bytes)) or not isinstance(dims, Iterable):
                raise TypeError(f"{name}: expected a sequence of integers, got {dims!r}")
            dims = list(dims)
            for i in dims:
                if isinstance(i, (bool, np.bool_)) or not isinstance(i, (int, np.integer)):
                    raise TypeError(f"{name}: expected integers, got {i!r}")
                if not 0 <= int(i) < self.n_features:
                    raise ValueError(f"{name}: {i} is out of range for {self.n_features} "
                                     "dimensions")
            blocks[name] = [int(i) for i in dims]
        xs, ys, zs = blocks["x_dims"], blocks["y_dims"], blocks["z_dims"]
        if not xs or not ys:
            raise ValueError("x_dims, y_dims: each variable needs at least one dimension")
        every = xs + ys + zs
        if len(set(every)) != len(every):
            raise ValueError(f"x_dims, y_dims, z_dims: overlap ({xs}, {ys}, {zs})")
        return xs, ys, zs

    @_integral_doc
    def entropy(
        self,
        *,
        integral: str = "mc",
        mc_samples: int = 100_000,
        quadrature_order: Optional[int] = None,
        base: Union[float, str] = math.e,
        random_state: Any = 0,
    ) -> float:
        """Differential entropy ``-E[ln p]`` of this model.

        Parameters
        ----------
        {integral_parameters}

        Returns
        -------
        float
            The entropy in the model's units, in ``base``.
        """
        check_choice(integral, "integral", ("mc", "qmc", "quadrature"))
        mc = check_int(mc_samples, "mc_samples", minimum=1)  # (the upper bound: the core's)
        order = check_int(quadrature_order, "quadrature_order", allow_none=True)
        ln_base, _ = resolve_base(base)
        v = run_with_control(_core.model_quantity, self._m, "entropy", [], [], [], integral, mc,
                             order, resolve_seed(random_state))
        return float(v) / ln_base

    # -- persistence --------------------------------------------------------------------
    #: The tag of a model nested in a saved file (see :mod:`gmmi._codec`).
    _codec_tag = "__gmm__"

    def _codec_state(self) -> dict[str, Any]:
        return self._fitted_state()

    def _fitted_state(self) -> dict[str, Any]:
        """The fitted parameters and fit information (what a saved model file holds);
        empty when not fitted."""
        if getattr(self, "_mix", None) is None:
            return {}
        state: dict[str, Any] = {
            "weights": self.weights_,
            "means": self.means_,
            "covariances": self.covariances_,
            "n_iter": self.n_iter_,
            "converged": self.converged_,
            "lower_bound": self.lower_bound_,
            "train_curve": self.train_curve_,
            "valid_curve": self.valid_curve_,
        }
        names = getattr(self, "feature_names_in_", None)
        if names is not None:
            # (a saved model keeps checking the columns it is given by name)
            state["feature_names"] = [str(v) for v in names]
        return state

    def _restore_fitted(self, state: dict[str, Any]) -> None:
        """Sets the fitted state written by :meth:`_fitted_state` (validated)."""
        mix = self._build(state["weights"], state["means"], state["covariances"])
        names = state.get("feature_names")
        if names is not None and len(names) != mix.dim:
            raise ValueError(f"feature_names: {len(names)} names for a model of {mix.dim} "
                             "features")
        self._set_model(mix, state.get("n_iter"), state.get("converged"),
                        state.get("lower_bound"), state.get("train_curve"),
                        state.get("valid_curve"))
        if names is not None:
            self.feature_names_in_ = np.asarray(names, dtype=object)

    def plot(self, X: Any = None, *, dims: Sequence[int] = (0, 1), ax: Any = None) -> Any:
        """Density contours over the data with each component's ellipse (see
        :func:`gmmi.plots.plot_model`)."""
        from .plots import plot_model

        return plot_model(self, X, dims=dims, ax=ax)

    def save(self, path: _codec.PathLike) -> None:
        """Writes the fitted model to ``path`` as JSON; read it back with :func:`gmmi.load`
        (the hyperparameters are not saved: the loaded model has the defaults, with
        ``n_components`` set to its number of components; the names of the columns it was
        fitted to, ``feature_names_in_``, are saved, as strings).

        Raises
        ------
        gmmi.NotFittedError
            If the model is not fitted: a file of no parameters would load as a default
            ``GaussianMixture``, not this one.
        """
        state = self._fitted_state()
        if not state:
            from ._warnings import not_fitted_error

            raise not_fitted_error("save: this GaussianMixture is not fitted; there are no "
                                   "parameters to write (call fit() first)")
        _codec.write(path, "GaussianMixture", state)

    def __getstate__(self) -> dict[str, Any]:
        params = self.get_params()
        state: dict[str, Any] = {"params": params, "fitted": self._fitted_state()}
        if hasattr(self, "feature_names_in_"):
            state["feature_names_in_"] = self.feature_names_in_
        # A user's own attributes (not the fitted ones, which end in "_" and are rebuilt
        # from the parameters, nor the core's model).
        extra = {k: v for k, v in vars(self).items()
                 if k not in params and k != "_mix" and not k.endswith("_")}
        if extra:
            state["extra"] = extra
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(**state.get("params", {}))  # type: ignore[misc]
        if state.get("fitted"):
            self._restore_fitted(state["fitted"])
        if "feature_names_in_" in state:
            self.feature_names_in_ = state["feature_names_in_"]
        vars(self).update(state.get("extra", {}))

    def __eq__(self, other: object) -> bool:
        """Unfitted: the same hyperparameters. Fitted: the same fitted parameters (weights,
        means, covariances), whatever hyperparameters produced them (``n_jobs``, the form of
        ``random_state``): equal models are equal densities."""
        if not isinstance(other, GaussianMixture):
            return NotImplemented
        mine, theirs = getattr(self, "_mix", None), getattr(other, "_mix", None)
        if mine is None or theirs is None:
            return mine is None and theirs is None and same(self.get_params(),
                                                            other.get_params())
        return bool(
            np.array_equal(self.weights_, other.weights_)
            and np.array_equal(self.means_, other.means_)
            and np.array_equal(self.covariances_, other.covariances_)
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        defaults = GaussianMixture().get_params()
        given = [f"{k}={v!r}" for k, v in self.get_params().items()
                 if k != "n_components" and not same(v, defaults.get(k, _NO_DEFAULT))]
        args = ", ".join([f"n_components={self.n_components!r}", *given])
        if getattr(self, "_mix", None) is None:
            return f"GaussianMixture({args}; unfitted)"
        return f"GaussianMixture({args}; fitted, {self.n_features} features)"

    def _repr_html_(self) -> str:
        """The rich display of notebooks: the fitted components (weight, mean, standard
        deviations), or the hyperparameters of an unfitted model."""
        if getattr(self, "_mix", None) is None:
            return _html.table(repr(self), [[k, repr(v)] for k, v in self.get_params().items()])
        rows = [[c, f"{w:.4f}", np.array2string(m, precision=4, separator=", "),
                 np.array2string(np.sqrt(np.diag(s)), precision=4, separator=", ")]
                for c, (w, m, s) in enumerate(zip(self.weights_, self.means_,
                                                  self.covariances_))]
        return _html.table(repr(self), rows,
                           header=["component", "weight", "mean", "standard deviations"])
