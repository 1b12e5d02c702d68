"""Warning classes raised by gmmi (all subclasses of :class:`GmmiWarning`)."""

from __future__ import annotations


class GmmiWarning(UserWarning):
    """Base class of every warning gmmi raises."""


class ConvergenceWarning(GmmiWarning):
    """An EM fit reached ``max_iter`` before its tolerance was met."""


class MaxComponentsWarning(GmmiWarning):
    """The component search reached ``max_components`` while the metric still improved."""


class BadFitWarning(GmmiWarning):
    """Every cross-validation fit stopped within two EM iterations (a sign of a bad fit),
    or the search stopped early for lack of rows."""


class DegenerateWarning(GmmiWarning):
    """A fitted component is singular: the variables are (nearly) deterministic functions of
    each other, or the data have many ties. The MI is then effectively infinite and the
    reported value is set by ``reg_covar``."""


class DiscreteDataWarning(GmmiWarning):
    """Data passed as continuous look discrete (few distinct values)."""


class ZeroInformationWarning(GmmiWarning):
    """The mutual information is zero by construction (for example a single class)."""


_KIND_TO_CLASS: dict[str, type[GmmiWarning]] = {
    "max_components": MaxComponentsWarning,
    "short_fits": BadFitWarning,
    "not_converged": ConvergenceWarning,
    "too_few_rows": BadFitWarning,
    "degenerate": DegenerateWarning,
}


def warning_class(kind: str) -> type[GmmiWarning]:
    """The warning class for a warning kind reported by the core."""
    return _KIND_TO_CLASS.get(kind, GmmiWarning)
