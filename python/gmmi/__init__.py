"""gmmi: mutual information with honest error bars, from Gaussian mixture models.

The GMM-MI method (Piras et al. 2023) with a parallel Rust core: fit a Gaussian mixture to the
joint samples (number of components by cross-validation), integrate the mutual information
of the fitted model, bootstrap the data for the uncertainty.

>>> import numpy as np, gmmi
>>> rng = np.random.default_rng(0)
>>> x = rng.normal(size=300); y = x + rng.normal(size=300)
>>> r = gmmi.mutual_information(x, y, n_bootstrap=10, random_state=0)
>>> r.quantity
'mutual_information'
"""

from __future__ import annotations

from ._core import NumericalError
from ._core import __version__ as __version__
from ._warnings import (
    BadFitWarning,
    ConvergenceWarning,
    DegenerateWarning,
    DiscreteDataWarning,
    FailedPairWarning,
    GmmiWarning,
    HeavyTailWarning,
    MaxComponentsWarning,
    MisfitWarning,
    NotFittedError,
    RepresentationWarning,
    ZeroInformationWarning,
)
from .checks import FitCheck
from .estimators import (
    conditional_mutual_information,
    entropy,
    kl_divergence_marginals,
    mutual_information,
    pointwise_mutual_information,
)
from .io import load
from .mixture import GaussianMixture
from .pairs import MIMatrix, MIRanking, mi_matrix, mi_ranking, mi_score
from .pointwise import PointwiseMI
from .representation import Representation
from .result import MIResult, SelectionRecord

__all__ = [
    "BadFitWarning",
    "ConvergenceWarning",
    "DegenerateWarning",
    "DiscreteDataWarning",
    "FailedPairWarning",
    "FitCheck",
    "GaussianMixture",
    "GmmiWarning",
    "HeavyTailWarning",
    "MIMatrix",
    "MIRanking",
    "MIResult",
    "MaxComponentsWarning",
    "MisfitWarning",
    "NotFittedError",
    "NumericalError",
    "PointwiseMI",
    "Representation",
    "RepresentationWarning",
    "SelectionRecord",
    "ZeroInformationWarning",
    "__version__",
    "conditional_mutual_information",
    "entropy",
    "kl_divergence_marginals",
    "load",
    "mi_matrix",
    "mi_ranking",
    "mi_score",
    "mutual_information",
    "pointwise_mutual_information",
]
