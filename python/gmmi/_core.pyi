"""Type stub of the compiled extension ``gmmi._core`` (rust/python/src/lib.rs).

Every array argument must already be a numpy array of the exact dtype shown (float64 or
int64, any memory layout): the binding does not convert. ``gmmi``'s Python layer does the
conversion and validation. Classes are created through ``__new__`` (PyO3), are immutable
and cannot be subclassed. Check with ``python -m mypy.stubtest gmmi._core``.
"""

from typing import Any, ClassVar, Optional, TypedDict, Union, final

import numpy as np
from numpy.typing import NDArray
from typing_extensions import NotRequired, Self

__all__ = [
    "INITS",
    "INTEGRALS",
    "MAX_BOOTSTRAP",
    "MAX_INITS",
    "MAX_MC_SAMPLES",
    "MAX_SCALE",
    "MIN_SCALE",
    "SELECTIONS",
    "TRANSFORMS",
    "Control",
    "GaussianMixture",
    "NumericalError",
    "Options",
    "WarningKind",
    "__version__",
    "apply_transform",
    "check_threshold",
    "column_robust_sd",
    "column_std",
    "data_ksg",
    "em_fit",
    "em_step",
    "estimate",
    "estimate_categorical",
    "estimate_discrete",
    "estimate_pairs",
    "far_from_median",
    "fit_check",
    "fit_check_categorical",
    "fit_mixture",
    "folds_for_rows",
    "folds_min_rows",
    "initial_mixture",
    "interval",
    "misfit_extension",
    "model_quantity",
    "preset",
    "simd_variant",
    "summary",
]

__version__: str
#: Bounds of the core: bootstrap replicates, Monte Carlo draws, initialisations per K, and
#: the standard deviation a column may have (its square must stay a normal, finite double).
MAX_BOOTSTRAP: int
MAX_MC_SAMPLES: int
MAX_INITS: int
MIN_SCALE: float
MAX_SCALE: float
INITS: list[str]
INTEGRALS: list[str]
SELECTIONS: list[str]
TRANSFORMS: list[str]

@final
class WarningKind:
    """What a warning of the core is about (``gmmi._warnings`` maps each kind to the gmmi
    warning class raised)."""

    MaxComponents: ClassVar[WarningKind]
    ShortFits: ClassVar[WarningKind]
    NotConverged: ClassVar[WarningKind]
    TooFewRows: ClassVar[WarningKind]
    Degenerate: ClassVar[WarningKind]
    Redrawn: ClassVar[WarningKind]
    Representation: ClassVar[WarningKind]
    def __eq__(self, value: object, /) -> bool: ...
    def __hash__(self) -> int: ...
    def __int__(self) -> int: ...

#: A warning of the core: its kind and the message for the user.
_CoreWarning = tuple[WarningKind, str]

class _SelectionRecordDict(TypedDict):
    """One number of components of a search (``gmmi.SelectionRecord`` is built from it)."""

    k: int
    metric: float
    best_init: int
    fold_scores: list[float]
    n_iter: list[int]
    converged: list[bool]

class _TransformDict(TypedDict):
    """The chosen representation and every candidate compared."""

    name: str
    columns: list[dict[str, Any]]
    candidates: list[dict[str, Any]]

class _EmFitDict(TypedDict):
    """An EM fit (``fit_mixture``, ``em_fit``)."""

    model: GaussianMixture
    n_iter: int
    converged: bool
    lower_bound: float
    train_curve: NDArray[np.float64]
    valid_curve: NDArray[np.float64]

class _EstimateDict(TypedDict):
    """The joint estimator's output (``estimate``)."""

    values: NDArray[np.float64]
    full_value: float
    integration_error: Optional[float]
    boot_n_iter: list[int]
    boot_converged: list[bool]
    boot_n_components: list[int]
    estimate: float
    std: float
    bias_correction: bool
    nonnegative: bool
    model: GaussianMixture
    boot_models: NotRequired[list[GaussianMixture]]
    model_n_iter: int
    model_converged: bool
    n_components: int
    selection: list[_SelectionRecordDict]
    warnings: list[_CoreWarning]
    transform: _TransformDict

class _ClassSelectionDict(TypedDict):
    """One class's component search (categorical MI)."""

    n_components: int
    selection: list[_SelectionRecordDict]

class _CategoricalDict(TypedDict):
    """The continuous-categorical estimator's output (``estimate_categorical``)."""

    values: NDArray[np.float64]
    full_value: float
    estimate: float
    std: float
    bias_correction: bool
    nonnegative: bool
    pi: list[float]
    counts: list[int]
    choices: list[list[int]]
    models: list[GaussianMixture]
    transform: _TransformDict
    selections: list[_ClassSelectionDict]
    warnings: list[_CoreWarning]

class _DiscreteDict(TypedDict):
    """The plug-in estimator's output (``estimate_discrete``)."""

    values: NDArray[np.float64]
    full_value: float
    cells: NDArray[np.int64]

class _PairDict(TypedDict):
    """One pair of ``estimate_pairs``."""

    mean: float
    std: float
    values: list[float]
    #: The value of the fit on all the data (what the pair's interval is built from).
    full_value: float
    #: Whether ``mean``, ``std`` and the interval are bias-corrected.
    bias_correction: bool
    n_components: Optional[int]
    warnings: list[_CoreWarning]
    #: The representation the pair was fitted in (``None`` when no mixture was fitted).
    transform: Optional[str]
    #: ``(statistic, threshold, ksg_data, mean KSG of the draws)`` of the pair's check,
    #: when asked for.
    check: Optional[tuple[float, float, float, float]]
    #: Why the check could not run, when it could not.
    check_error: Optional[str]

class NumericalError(ArithmeticError):
    """The numbers went wrong: a covariance lost positive definiteness, a likelihood or an
    integral stopped being finite. The message says what to try."""

@final
class Control:
    """Progress counters and a cancel flag shared with a running computation."""

    def __new__(cls) -> Self: ...
    def cancel(self) -> None:
        """Asks the computation to stop; it raises KeyboardInterrupt soon after."""
    @property
    def cancelled(self) -> bool:
        """Whether cancel() was called."""
    @property
    def fits_done(self) -> int:
        """EM fits finished."""
    @property
    def tasks_done(self) -> int:
        """Units of work finished (CV fits, replicates, pairs)."""
    @property
    def tasks_total(self) -> int:
        """Units of work announced so far."""
    @property
    def units_done(self) -> int:
        """Outer units (pairs) finished."""
    @property
    def units_total(self) -> int:
        """Outer units (pairs) announced."""

@final
class GaussianMixture:
    """A validated full-covariance Gaussian mixture.

    Raises ValueError (message starting with the argument name) on inconsistent shapes,
    weights that are not positive or do not sum to 1, non-finite values, non-symmetric or
    non-positive-definite covariances.
    """

    def __new__(
        cls,
        weights: NDArray[np.float64],
        means: NDArray[np.float64],
        covariances: NDArray[np.float64],
    ) -> Self: ...
    @property
    def n_components(self) -> int: ...
    @property
    def dim(self) -> int: ...
    @property
    def weights(self) -> NDArray[np.float64]:
        """Shape (n_components,)."""
    @property
    def means(self) -> NDArray[np.float64]:
        """Shape (n_components, dim)."""
    @property
    def covariances(self) -> NDArray[np.float64]:
        """Shape (n_components, dim, dim)."""
    @property
    def cholesky_factors(self) -> NDArray[np.float64]:
        """Lower Cholesky factors, shape (n_components, dim, dim)."""
    @property
    def n_parameters(self) -> int:
        """Free parameters: K-1 + K d + K d(d+1)/2."""
    def score_samples(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        """ln p(x) of every row, shape (n,)."""
    def component_log_densities(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        """ln w_k + ln N(x | mu_k, S_k), shape (n, n_components)."""
    def responsibilities(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        """p(k | x), shape (n, n_components)."""
    def sample(self, n: int, seed: int) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
        """``n`` points, shape (n, dim), and their component labels, shape (n,)."""
    def marginal(self, dims: list[int]) -> GaussianMixture: ...
    def affine(self, scale: list[float], shift: list[float]) -> GaussianMixture: ...
    def aic(self, x: NDArray[np.float64]) -> float: ...
    def bic(self, x: NDArray[np.float64]) -> float: ...

@final
class Options:
    """The estimator's options, checked once on construction."""

    def __new__(
        cls,
        *,
        n_bootstrap: int,
        mc_samples: Union[int, str],
        integral: str,
        quadrature_order: Optional[int],
        selection: str,
        n_inits: int,
        n_folds: Union[int, str],
        patience: Union[int, str],
        threshold_components: float,
        max_components: int,
        n_components: Optional[int],
        threshold_fit: float,
        reg_covar: float,
        max_iter: int,
        init: str,
        scale: Optional[float],
        standardize: bool,
        seed: int,
        auto_threshold: bool,
        bootstrap_neighbours: Union[int, str],
        bias_correction: bool,
        stratified_bootstrap: bool,
        transform: str,
        accelerate_em: bool,
        bin_rows: bool,
        screen_starts: bool,
    ) -> Self: ...

def folds_for_rows(n_folds: Union[int, str], n: int) -> int:
    """The cross-validation folds of the component search on ``n`` rows with the option
    ``n_folds`` ("auto": 5 below 1,000 rows, 2 from there on; or that count)."""

def folds_min_rows(n_folds: Union[int, str], needed: int) -> int:
    """The fewest rows a component search needs in the folds of ``n_folds`` for ``needed``
    training rows in every fold."""

def simd_variant() -> str:
    """The instruction-set variant of the vectorised kernels: "avx512", "avx2" or "baseline"
    (the widest the CPU has, limited by the environment variable ``GMMI_SIMD``)."""

def preset(name: str) -> dict[str, Any]:
    """The option values of a preset ("gmmi" or "published"), as Options keywords."""

def summary(
    values: list[float], full_value: float, bias_correction: bool, nonnegative: bool,
    at_most: float = ...,
) -> tuple[float, float]:
    """The point estimate and std of bootstrap replicates: their mean and std (ddof 1), or
    with `bias_correction` `2 * full_value - mean` and `sqrt(sd**2 + (mean - full_value)**2)`
    (clipped at 0 when `nonnegative` and at `at_most`)."""

def interval(
    values: list[float], full_value: float, level: float, bias_correction: bool,
    nonnegative: bool, method: Optional[str] = None,
) -> tuple[float, float]:
    """The central bootstrap interval at `level` by `method`: "normal" (Student-t quantile
    x std below the lower and above the higher of the point estimate and, with
    `bias_correction`, `full_value`), "basic" (reflected quantiles with bias correction) or
    "percentile"; None: "normal" with bias correction, else "percentile"."""

def initial_mixture(
    x: NDArray[np.float64],
    n_components: int,
    init: str,
    scale: Optional[float],
    seed: int,
) -> GaussianMixture:
    """Initial parameters by one of the six strategies."""

def em_step(
    mixture: GaussianMixture, x: NDArray[np.float64], reg_covar: float
) -> tuple[GaussianMixture, float]:
    """One EM iteration: the new mixture and the mean log-likelihood of the old one."""

def fit_check(
    mixture: GaussianMixture,
    z: NDArray[np.float64],
    blocks: list[int],
    max_rows: int,
    n_draws: int,
    k: int,
    seed: int,
    n_jobs: Optional[int] = None,
    control: Optional[Control] = None,
    cells: Optional[list[Optional[list[float]]]] = None,
) -> tuple[float, list[float], float, float, int]:
    """KSG of the rows (columns split into ``blocks``: ``[dx, dy]`` for an MI, ``[dx, dy,
    dz]`` for a conditional MI) against KSG of draws from the mixture, the columns of
    ``cells`` (each column's cell edges in the rows' coordinates, or None) spread over their
    cells in both: ``(ksg_data, ksg_model, statistic, threshold, n_rows)``."""

def data_ksg(
    z: NDArray[np.float64],
    blocks: list[int],
    max_rows: int,
    k: int,
    seed: int,
    n_jobs: Optional[int] = None,
    control: Optional[Control] = None,
    cells: Optional[list[Optional[list[float]]]] = None,
) -> tuple[float, int]:
    """The data's half of :func:`fit_check` alone: ``(ksg_data, n_rows)``, the KSG of the
    rows on the check's seeded subset of ``max_rows`` rows (with ``cells`` spread as there),
    equal to the check's ``ksg_data`` for the same ``max_rows``, ``k`` and ``seed``."""

def misfit_extension(
    z: NDArray[np.float64],
    blocks: list[int],
    k_start: int,
    *,
    options: Options,
    max_rows: int,
    n_draws: int,
    k: int,
    seed: int,
    n_jobs: Optional[int] = None,
    control: Optional[Control] = None,
    cells: Optional[list[Optional[list[float]]]] = None,
) -> Optional[tuple[list[tuple[int, float, float]], bool]]:
    """After a check that failed with a positive statistic: mixtures of more than
    ``k_start`` components fitted to the rows ``z`` with the estimate's ``options``, each
    checked like the failed check (with its ``cells``), until one's draws show the data's
    dependence. None when
    no larger mixture could be fitted, else ``(steps, reached)``, ``steps`` the
    ``(n_components, value in nats, statistic)`` of every mixture fitted."""

def check_threshold(n_draws: int) -> float:
    """The threshold of the check of a fit with ``n_draws`` draws: it fails where
    ``|statistic|`` exceeds it."""

def fit_check_categorical(
    models: list[GaussianMixture],
    x: NDArray[np.float64],
    labels: NDArray[np.int64],
    max_rows: int,
    n_draws: int,
    k: int,
    seed: int,
    n_jobs: Optional[int] = None,
    control: Optional[Control] = None,
) -> tuple[float, list[float], float, float, int]:
    """KSG (after Ross 2014) of the rows and their class codes against KSG of draws with
    the same classes from the class mixtures:
    ``(ksg_data, ksg_model, statistic, threshold, n_rows)``."""

def fit_mixture(
    x: NDArray[np.float64],
    n_components: int,
    init: str,
    n_init: int,
    scale: Optional[float],
    standardize: bool,
    tol: float,
    max_iter: int,
    reg_covar: float,
    record_curves: bool,
    seed: int,
    valid: Optional[NDArray[np.float64]] = None,
    n_jobs: Optional[int] = None,
    control: Optional[Control] = None,
    weights_init: Optional[NDArray[np.float64]] = None,
    means_init: Optional[NDArray[np.float64]] = None,
    covariances_init: Optional[NDArray[np.float64]] = None,
) -> _EmFitDict:
    """``GaussianMixture.fit``: standardise, EM from ``n_init`` starts, keep the best, back to
    the data's units; the ``*_init`` parameters (flattened, in the data's units) replace the
    starts' (all three: one start from them)."""

def em_fit(
    mixture: GaussianMixture,
    x: NDArray[np.float64],
    valid: Optional[NDArray[np.float64]],
    threshold_fit: float,
    max_iter: int,
    reg_covar: float,
    record_curves: bool,
    n_jobs: Optional[int] = None,
    control: Optional[Control] = None,
    accelerate: bool = False,
) -> _EmFitDict:
    """A full EM fit (SQUAREM-accelerated with ``accelerate``): keys model, n_iter,
    converged, lower_bound, train_curve, valid_curve."""

def column_std(x: NDArray[np.float64]) -> NDArray[np.float64]:
    """Population standard deviation of every column of a finite 2-D array, without
    overflow or underflow."""

def column_robust_sd(x: NDArray[np.float64]) -> NDArray[np.float64]:
    """Robust standard deviation (1.4826 median absolute deviations from the median) of
    every column of a finite 2-D array."""

def far_from_median(x: NDArray[np.float64], sds: float) -> NDArray[np.bool_]:
    """Which values of every column of a finite 2-D array lie more than ``sds`` robust
    standard deviations (1.4826 MAD) from their column's median (none where the MAD is 0)."""

def estimate(
    data: NDArray[np.float64],
    kind: str,
    x_cols: list[int],
    y_cols: list[int],
    z_cols: list[int],
    *,
    options: Options,
    keep_models: bool = False,
    lattice_steps: Optional[list[float]] = None,
    n_jobs: Optional[int] = None,
    control: Optional[Control] = None,
) -> _EstimateDict:
    """The joint GMM-MI estimator: ``kind`` is mi, cmi, entropy, kl or kl_reverse;
    ``keep_models`` also returns every bootstrap replicate's model (``"boot_models"``);
    ``lattice_steps`` (mi and cmi: one per column, 0 where not spread) are the steps of
    the lattices whose values the caller spread over their cells."""

def apply_transform(
    columns: list[dict[str, Any]], data: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Applies per-column maps (an estimate's ``transform["columns"]``) to the rows of
    ``data``: the mapped rows and every row's log-Jacobian determinant."""

def model_quantity(
    mixture: GaussianMixture,
    kind: str,
    x_cols: list[int],
    y_cols: list[int],
    z_cols: list[int],
    integral: str,
    mc_samples: int,
    quadrature_order: Optional[int],
    seed: int,
    n_jobs: Optional[int] = None,
    control: Optional[Control] = None,
) -> float:
    """MI, conditional MI or entropy of a given mixture (no fitting); ``control`` cancels
    it."""

def estimate_categorical(
    data: NDArray[np.float64],
    labels: NDArray[np.int64],
    n_classes: int,
    *,
    options: Options,
    lattice_steps: Optional[list[float]] = None,
    n_jobs: Optional[int] = None,
    control: Optional[Control] = None,
) -> _CategoricalDict:
    """Continuous-categorical MI: x rows and class codes in 0..n_classes;
    ``lattice_steps`` (one per column, 0 where not spread) are the steps of the lattices
    whose values the caller spread over their cells."""

def estimate_discrete(
    a: NDArray[np.int64],
    b: NDArray[np.int64],
    na: int,
    nb: int,
    *,
    miller_madow: bool,
    n_bootstrap: int,
    seed: int,
    n_jobs: Optional[int] = None,
    control: Optional[Control] = None,
) -> _DiscreteDict:
    """Plug-in MI of two discrete code vectors, with bootstrap; ``cells`` holds the
    non-empty cells of the contingency table as rows (a, b, count)."""

def estimate_pairs(
    continuous: NDArray[np.float64],
    codes: NDArray[np.int64],
    levels: list[int],
    pairs: list[tuple[str, int, int]],
    *,
    miller_madow: bool,
    options: Options,
    check: Optional[tuple[int, int, int]] = None,
    lattice_steps: Optional[list[float]] = None,
    n_jobs: Optional[int] = None,
    control: Optional[Control] = None,
    check_cells: Optional[list[Optional[list[float]]]] = None,
) -> list[Union[_PairDict, str]]:
    """Many pairs at once: per pair its output, or the error message of a pair that
    failed. ``check``: ``(max_rows, n_draws, k)`` to check every pair's fit (with the
    options' seed); each output's ``check`` is then ``(statistic, threshold, ksg_data,
    mean KSG of the draws)``, or None with the reason in ``check_error``.
    ``lattice_steps``: per continuous column, the step of the lattice whose values the
    caller spread over their cells (0 where not spread). ``check_cells``: per continuous
    column on a lattice that its pairs fit as it is, the edges of its cells in its units,
    which the pairs' checks spread it and their mixtures' draws over (None for the
    others)."""
