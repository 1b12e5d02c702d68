"""Warning classes raised by gmmi (all subclasses of :class:`GmmiWarning`), and
:class:`NotFittedError`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Union

from . import _core


class NotFittedError(ValueError, AttributeError):
    """A model was used before it was fitted (as scikit-learn's ``NotFittedError``, a
    ValueError and an AttributeError; when scikit-learn is imported, the error raised is also
    an instance of scikit-learn's, see :func:`not_fitted_error`)."""


_BOTH: dict[tuple[type, type], type] = {}


def not_fitted_error(message: str, cls: type[NotFittedError] = NotFittedError
                     ) -> NotFittedError:
    """A ``cls`` (:class:`NotFittedError` or a subclass), which is also scikit-learn's
    ``NotFittedError`` when scikit-learn has been imported (gmmi does not import it
    itself)."""
    import sys

    sk = sys.modules.get("sklearn.exceptions")
    base = getattr(sk, "NotFittedError", None)
    if base is None:
        return cls(message)
    if (cls, base) not in _BOTH:
        # Pickled as a call of this function (a worker process's error reaches its parent
        # with its message; the class made here is not importable by its name).
        _BOTH[cls, base] = type(cls.__name__, (cls, base), {
            "__module__": cls.__module__,
            "__reduce__": lambda self: (not_fitted_error, (str(self), cls))})
    return _BOTH[cls, base](message)


class GmmiWarning(UserWarning):
    """Base class of every warning gmmi raises."""


class ConvergenceWarning(GmmiWarning):
    """An EM fit reached ``max_iter`` before its tolerance was met."""


class MaxComponentsWarning(GmmiWarning):
    """The component search reached ``max_components`` while the metric still improved."""


class BadFitWarning(GmmiWarning):
    """Every cross-validation fit stopped within two EM iterations (a sign of a bad fit),
    the search stopped early for lack of rows, or bootstrap resamples had to be redrawn
    because their refit failed numerically."""


class DegenerateWarning(GmmiWarning):
    """A fitted component is singular: its variance in some direction is set by
    ``reg_covar`` rather than by the data. Across the variables this means they are (nearly)
    deterministic functions of each other and the MI is effectively infinite (for a
    conditional MI, beyond what ties x or y to z alone, which cancels from it); within one
    variable it means tied values, collinear columns, outliers that squeeze the bulk, or a
    component collapsed onto a few points (the message says which). Also raised when
    bootstrap replicates kept such fits on their resamples: with a handful of rows, a
    resample (about 63% distinct rows) holds too few distinct rows for a full covariance,
    and the interval and the bias-corrected estimate are then not meaningful. And raised
    for an MI when no component is singular but, on every row, a column of y is a function
    of a column of x (or one of x of one of y) that is strictly monotone on each of at most
    16 stretches, of 20 distinct rows or more on average, with no ties but rows repeated
    exactly, on at least 50 distinct rows of the data as given (columns spread over a
    lattice are not read): a curve such as ``y = x**3`` or ``cos(2 x)`` is followed by
    narrow components whose finite MI grows with the rows, while the MI of the relation is
    infinite for continuous variables."""


class DiscreteDataWarning(GmmiWarning):
    """Data passed as continuous look discrete (few distinct values), or a variable passed
    as discrete with another discrete one has more levels than half its rows (fewer than two
    rows a level), where the plug-in MI of their table is mostly bias. Also raised when x
    and y each hold a point mass beside continuous values (a value of at least 5% of the
    rows, and of three rows or more, while at least 25% of them are values of their own:
    zero-inflated, rectified or censored variables), where the mixture's estimate can be
    far off either way; and when a quarter of the rows or more repeat another row exactly
    (copies of records), which the search reads as point masses."""


class HeavyTailWarning(GmmiWarning):
    """A variable has heavy tails (say Cauchy-like) that a finite Gaussian mixture cannot
    model; transform it monotonically (ranks, logarithm, arcsinh) before estimating. Also
    raised after the Gaussianising map when the two variables' heavy tails are shared (far
    values on the same rows more often than their rank correlation allows, as in a
    multivariate Student t): the map tames each variable's tails, not that dependence, and
    the interval may then miss the truth."""


class MisfitWarning(GmmiWarning):
    """:meth:`MIResult.check_fit <gmmi.MIResult.check_fit>` found the fitted mixture unlike
    the data: the data's k-nearest-neighbour (KSG) mutual information lies outside the
    spread of the same statistic on draws from the mixture. Where the data show more
    dependence than the draws (curved or spiralling structure in several columns that a few
    components cannot follow), the estimate is likely too low by more than its interval
    says."""


class RepresentationWarning(GmmiWarning):
    """The data do not settle the representation: the bootstrap replicates split between
    fitting the data as they are and through the Gaussianising map (``transform="auto"``),
    whose values differ by more than the interval of either. Each replicate takes the one
    the rows its resample left out prefer, or either on a fair coin where those rows' mean
    likelihood and bulk disagree (neither representation fits: heavy-tailed multivariate
    data). The estimate and its interval then average over both;
    ``result.transform.candidates`` holds each one's value and share of the replicates."""


class ZeroInformationWarning(GmmiWarning):
    """The mutual information is zero by construction (for example a single class)."""


class FailedPairWarning(GmmiWarning):
    """Some pairs of an MI matrix or features of a ranking could not be estimated (a
    constant column, a class with too few rows, ...): their cells are NaN (a ranking puts
    them last) and their reasons are in ``errors``. One warning per call, naming the first;
    ``errors="raise"`` stops at the first failure instead."""


#: The gmmi warning class of each kind of warning the core reports (every kind has one:
#: ``tests/test_reliability.py`` checks that the table covers ``_core.WarningKind``).
WARNING_CLASSES: dict[_core.WarningKind, type[GmmiWarning]] = {
    _core.WarningKind.MaxComponents: MaxComponentsWarning,
    _core.WarningKind.ShortFits: BadFitWarning,
    _core.WarningKind.NotConverged: ConvergenceWarning,
    _core.WarningKind.TooFewRows: BadFitWarning,
    _core.WarningKind.Degenerate: DegenerateWarning,
    _core.WarningKind.Redrawn: BadFitWarning,
    _core.WarningKind.Representation: RepresentationWarning,
}


_BY_CODE: dict[int, type[GmmiWarning]] = {int(k): c for k, c in WARNING_CLASSES.items()}


def warning_class(kind: Union[_core.WarningKind, int]) -> type[GmmiWarning]:
    """The warning class for a warning kind reported by the core, or for its integer code
    (``int(kind)``: how a kind crosses to another process, the core's enum not being
    picklable)."""
    return _BY_CODE[int(kind)]


#: Frames a public function adds between its caller and the one whose warnings it relays
#: (``conditional_mutual_information`` calls ``mutual_information``: +1; ``mi_score`` calls
#: the matrix one frame nearer than ``mi_matrix`` does: -1), so that warnings point at the
#: user's line. A context variable: set in the calling thread, where the warnings are raised.
_EXTRA_FRAMES: ContextVar[int] = ContextVar("gmmi_extra_frames", default=0)


def caller_level(level: int) -> int:
    """The ``stacklevel`` of a warning raised ``level`` frames below the user's line when
    the public function is called directly, adjusted by :func:`through`."""
    return level + _EXTRA_FRAMES.get()


@contextmanager
def through(frames: int) -> Iterator[None]:
    """Within, warnings raised at :func:`caller_level` go ``frames`` frames further up."""
    token = _EXTRA_FRAMES.set(_EXTRA_FRAMES.get() + frames)
    try:
        yield
    finally:
        _EXTRA_FRAMES.reset(token)
