"""Type stub of the compiled extension ``gmmi._core`` (rust/python/src/lib.rs)."""

from typing import Any, Optional

import numpy as np
from numpy.typing import NDArray

__version__: str

class NumericalError(ArithmeticError):
    """A covariance lost positive definiteness or a quantity stopped being finite."""

class Control:
    """Progress counters and a cancel flag shared with a running computation."""

    def __init__(self) -> None: ...
    def cancel(self) -> None: ...
    @property
    def cancelled(self) -> bool: ...
    @property
    def fits_done(self) -> int: ...
    @property
    def tasks_done(self) -> int: ...
    @property
    def tasks_total(self) -> int: ...
    @property
    def units_done(self) -> int: ...
    @property
    def units_total(self) -> int: ...

class Options:
    """The estimator's options, validated once."""

    def __init__(
        self,
        *,
        n_bootstrap: int,
        mc_samples: int,
        integral: str,
        quadrature_order: Optional[int],
        selection: str,
        n_inits: int,
        n_folds: int,
        patience: int,
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
    ) -> None: ...

class Mixture:
    """A validated full-covariance Gaussian mixture."""

    def __init__(
        self,
        weights: NDArray[np.float64],
        means: NDArray[np.float64],
        covariances: NDArray[np.float64],
    ) -> None: ...
    @property
    def n_components(self) -> int: ...
    @property
    def dim(self) -> int: ...
    @property
    def n_parameters(self) -> int: ...
    @property
    def weights(self) -> NDArray[np.float64]: ...
    @property
    def means(self) -> NDArray[np.float64]: ...
    @property
    def covariances(self) -> NDArray[np.float64]: ...
    @property
    def cholesky_factors(self) -> NDArray[np.float64]: ...
    def score_samples(self, x: NDArray[np.float64]) -> NDArray[np.float64]: ...
    def component_log_densities(self, x: NDArray[np.float64]) -> NDArray[np.float64]: ...
    def responsibilities(self, x: NDArray[np.float64]) -> NDArray[np.float64]: ...
    def sample(
        self, n: int, seed: int
    ) -> tuple[NDArray[np.float64], NDArray[np.int64]]: ...
    def marginal(self, dims: list[int]) -> Mixture: ...
    def affine(self, scale: list[float], shift: list[float]) -> Mixture: ...
    def aic(self, x: NDArray[np.float64]) -> float: ...
    def bic(self, x: NDArray[np.float64]) -> float: ...

def initial_mixture(
    x: NDArray[np.float64],
    n_components: int,
    init: str,
    scale: Optional[float],
    seed: int,
) -> Mixture: ...
def em_step(
    mixture: Mixture, x: NDArray[np.float64], reg_covar: float
) -> tuple[Mixture, float]: ...
def em_fit(
    mixture: Mixture,
    x: NDArray[np.float64],
    valid: Optional[NDArray[np.float64]],
    threshold_fit: float,
    max_iter: int,
    reg_covar: float,
    record_curves: bool,
    n_jobs: Optional[int] = None,
    control: Optional[Control] = None,
) -> dict[str, Any]: ...
def estimate(
    data: NDArray[np.float64],
    kind: str,
    x_cols: list[int],
    y_cols: list[int],
    z_cols: list[int],
    *,
    options: Options,
    n_jobs: Optional[int] = None,
    control: Optional[Control] = None,
) -> dict[str, Any]: ...
def model_quantity(
    mixture: Mixture,
    kind: str,
    x_cols: list[int],
    y_cols: list[int],
    z_cols: list[int],
    integral: str,
    mc_samples: int,
    quadrature_order: Optional[int],
    seed: int,
) -> float: ...
def estimate_categorical(
    data: NDArray[np.float64],
    labels: NDArray[np.int64],
    n_classes: int,
    *,
    options: Options,
    n_jobs: Optional[int] = None,
    control: Optional[Control] = None,
) -> dict[str, Any]: ...
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
) -> dict[str, Any]: ...
def estimate_pairs(
    continuous: NDArray[np.float64],
    codes: NDArray[np.int64],
    levels: list[int],
    pairs: list[tuple[str, int, int]],
    *,
    miller_madow: bool,
    options: Options,
    n_jobs: Optional[int] = None,
    control: Optional[Control] = None,
) -> list[Any]: ...
