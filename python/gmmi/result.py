"""``MIResult``: an estimate with its bootstrap uncertainty and everything behind it."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np

from . import _codec, _core, _html
from ._compare import same_fields
from ._validation import check_choice, check_level, check_unit, joint_blocks, plain
from .checks import FitCheck, check_fit
from .mixture import GaussianMixture
from .pointwise import PointwiseMI, pointwise
from .representation import Representation

__all__ = ["MIResult", "SelectionRecord", "summarize"]


def summarize(
    values: np.ndarray, full_value: float, bias_correction: bool = False,
    nonnegative: bool = False, at_most: float = math.inf,
) -> tuple[float, float]:
    """The point estimate and its standard deviation from bootstrap replicates, computed by
    the core (the one place they are computed): the mean of the replicates and their
    standard deviation (ddof 1), or with ``bias_correction`` the bias-corrected
    ``2 * full_value - mean`` and ``sqrt(sd**2 + (mean - full_value)**2)``; the full-data
    value without replicates; the point clipped at 0 when ``nonnegative`` and at
    ``at_most``. The std is NaN with fewer than two replicates."""
    point, std = _core.summary([float(v) for v in np.ravel(values)], float(full_value),
                               bool(bias_correction), bool(nonnegative), float(at_most))
    return float(point), float(std)

#: The estimators behind a result: a mixture of the joint variables, one per class of a
#: categorical variable, or the plug-in MI of two discrete variables' table.
ESTIMATORS = ("gmm", "gmm-categorical", "plugin")

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
        fit that failed numerically. Under ``preset="gmmi"`` the starts are compared on
        fits to a 10x looser tolerance (at most 100 EM iterations) and only the best
        start's fits are run on to the full tolerance: the other rows are those screening
        fits' (``preset="published"`` runs every start to the full tolerance).
    n_iter : numpy.ndarray
        EM iterations of every (init, fold) fit (the best start's: both stages).
    converged : numpy.ndarray
        Convergence flag of every (init, fold) fit (a screening fit's: to its tolerance).
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

    #: The tag of a record in a saved file (see :mod:`gmmi._codec`).
    _codec_tag = "__selection__"

    def _codec_state(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python form (JSON-friendly: None for NaN and infinities, such as the score
        of a fit that failed)."""
        return plain({
            "k": self.k,
            "metric": self.metric,
            "best_init": self.best_init,
            "fold_scores": self.fold_scores.tolist(),
            "n_iter": self.n_iter.tolist(),
            "converged": self.converged.tolist(),
        })


@dataclass(frozen=True, repr=False, eq=False)
class MIResult:
    """A GMM-MI estimate with its bootstrap uncertainty.

    Attributes
    ----------
    mean : float
        The point estimate. With ``bias_corrected`` (gmmi's default preset) it is the
        full-data value minus the bootstrap estimate of its bias,
        ``2 * full_value - samples.mean()``; with the published preset the mean of the
        replicates. The full-data value when ``n_bootstrap=0``, and with a single replicate
        when ``bias_corrected`` was asked for (a bias needs two to be estimated; the
        result's ``bias_corrected`` is then False); never below 0 for MI and KL.
    std : float
        The estimate's standard deviation; NaN without bootstrap. With ``bias_corrected``
        the replicates' spread and offset from ``full_value`` together,
        ``sqrt(samples.std(ddof=1)**2 + (samples.mean() - full_value)**2)``: their spread
        and the bias the correction removed, which the bootstrap only estimates. Otherwise
        the standard deviation (ddof=1) of the replicates.
    samples : numpy.ndarray
        The replicate values (1-D, finite: a result built by hand or read from a file with
        any other raises ``ValueError``).
    n_components : int or None
        Number of components selected (per class for categorical MI, see ``details``).
    model : GaussianMixture or None
        The mixture fitted on all the data, in the coordinates of ``transform`` (the
        original units when it is the identity; map data with ``transform.apply``).
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
        The quantity of the model fitted on all the data. With gmmi's defaults it is
        averaged over the numbers of components the bootstrap replicates chose, weighted by
        how often they chose each, and, where the replicates re-chose the representation,
        over the two representations (see ``transform``): it therefore depends on the
        replicates (on ``n_bootstrap``), and with ``n_bootstrap=0`` it is the selected
        model's own value.
    random_state : int
        The seed used (so an unseeded run can be repeated).
    options : dict
        The options of the call.
    warnings : list of str
        Warnings raised during the estimate.
    details : dict
        Estimator-specific extras (per-class models and counts for categorical MI; the
        number of components each bootstrap replicate kept; ``integration_error``, the
        standard error of the integral behind ``full_value`` where the integral estimates
        one: the quasi-Monte Carlo MI of two scalar variables, 0 where every model averaged
        into ``full_value`` is a single Gaussian (not so when replicates chose K = 2 beside
        the selected K = 1);
        ``fit_check``, the plain form of :attr:`fit_check`; ``misfit_extension``, after
        a failed check, the larger mixture whose value :meth:`ci` also holds:
        ``n_components``, ``value``, ``statistic``, ``reached`` and every ``steps``).
    bias_corrected : bool
        Whether ``mean`` and :meth:`ci` are bias-corrected (see ``mean``).
    transform : Representation or None
        The per-variable maps the mixture was fitted in and the candidates compared (see
        :class:`~gmmi.representation.Representation`; for categorical MI the map of the
        continuous variable, and the per-class models in ``details`` are in its
        coordinates); None for the discrete-discrete estimator.
    bootstrap_models : list of GaussianMixture
        Every bootstrap replicate's mixture, in the coordinates of ``model``; kept only when
        asked for (:func:`gmmi.pointwise_mutual_information`), empty otherwise.
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
    bias_corrected: bool = False
    transform: Optional[Representation] = None
    bootstrap_models: list[GaussianMixture] = field(default_factory=list)

    def __post_init__(self) -> None:
        # The replicates are what every interval is made of: a result built by hand or read
        # from an edited file must hold finite numbers in one dimension (a NaN would be
        # sorted to an end of a percentile interval and clipped to 0 there).
        samples = np.asarray(self.samples, dtype=float)
        if samples.ndim != 1:
            raise ValueError(f"samples: expected a 1-D array of replicate values, got "
                             f"{samples.ndim} dimensions")
        bad = np.flatnonzero(~np.isfinite(samples))
        if bad.size:
            raise ValueError(f"samples: replicate {int(bad[0])} is {samples[bad[0]]}; "
                             "replicate values must be finite numbers")
        object.__setattr__(self, "samples", samples)
        # The other numbers the displays and intervals read (an edited file loaded them
        # before, and printing the result then failed or its interval read (0, 0)).
        if not math.isfinite(self.full_value):
            raise ValueError(f"full_value: expected a finite number, got {self.full_value}")
        if self.quantity not in _SYMBOL:
            raise ValueError(f"quantity: expected one of {sorted(_SYMBOL)}, got "
                             f"{self.quantity!r}")
        if self.estimator not in ESTIMATORS:
            raise ValueError(f"estimator: expected one of {list(ESTIMATORS)}, got "
                             f"{self.estimator!r}")
        check_unit(self.unit)
        # The estimate is what the displays, rankings and intervals start from; MI and KL
        # are clipped at 0 by every estimator.
        if not math.isfinite(self.mean) or (self.quantity != "entropy" and self.mean < 0):
            which = "finite number" if self.quantity == "entropy" else "finite number >= 0"
            raise ValueError(f"mean: expected a {which}, got {self.mean}")
        std = self.std
        if samples.size < 2 and not math.isnan(std):
            raise ValueError(f"std: {samples.size} replicate(s) have no standard deviation "
                             f"(NaN), got {std}")
        if not (math.isnan(std) or 0.0 <= std < math.inf):
            raise ValueError(f"std: expected NaN or a finite number >= 0, got {std}")
        if self.n_components is not None and self.n_components < 1:
            raise ValueError(f"n_components: expected None or at least 1, got "
                             f"{self.n_components}")
        if not 0 <= self.random_state < 2**64:
            raise ValueError(f"random_state: expected a seed in [0, 2**64), got "
                             f"{self.random_state}")

    @property
    def n_bootstrap(self) -> int:
        """Number of bootstrap replicates."""
        return int(self.samples.size)

    @property
    def fit_check(self) -> Optional[FitCheck]:
        """The check of the fit the estimator made (the ``check`` option of
        :func:`gmmi.mutual_information`: by default on pairs with three or more columns),
        or None where it made none; :meth:`check_fit` checks any estimate on request.

        Examples
        --------
        >>> import numpy as np, gmmi
        >>> rng = np.random.default_rng(0)
        >>> x = rng.normal(size=(1000, 2)); y = x[:, 0] + rng.normal(size=1000)
        >>> r = gmmi.mutual_information(x, y, n_bootstrap=5, random_state=0)
        >>> r.fit_check.passed, r.fit_check.n_rows
        (True, 1000)
        >>> gmmi.mutual_information(x[:, 0], y, n_bootstrap=5, random_state=0).fit_check is None
        True
        """
        found = self.details.get("fit_check")
        return None if found is None else FitCheck._from_dict(found)

    def ci(self, level: float = 0.95, method: Optional[str] = None) -> tuple[float, float]:
        """Bootstrap interval at ``level`` (e.g. 0.95).

        Parameters
        ----------
        level : float, default 0.95
            Coverage in (0, 1).
        method : {"normal", "basic", "percentile"}, optional
            ``"normal"`` (the default with ``bias_corrected``, gmmi's preset):
            ``[min(mean, full_value) - t * std, max(mean, full_value) + t * std]``, the
            standard deviation (see ``std``) times the Student-t quantile of
            ``n_bootstrap - 1`` degrees of freedom, below the lower and above the higher of
            the bias-corrected estimate and the uncorrected full-data value (without bias
            correction: ``mean -/+ t * std``). The correction is the bootstrap's estimate
            of the plug-in bias, right when the mixture is the density's model; where a
            mixture only approximates the density the full-data value is also biased the
            other way by the approximation, which no resample sees, and the correction then
            moves the estimate away from the truth. The interval holds both values, so it
            is wider than ``mean -/+ t * std`` by the size of the correction, on the side of
            ``full_value``. The standard deviation of 50 replicates is stable; their 2.5%
            and 97.5% quantiles are not (each rests on one or two replicates), and on the
            calibration suite the quantile intervals held the truth less often.
            ``"basic"``: ``[2 f - q(1 - a/2), 2 f - q(a/2)]`` with bias correction, ``f``
            the full-data value and ``q`` the quantiles of the replicates
            (``a = 1 - level``); asymmetric, for many replicates (``n_bootstrap`` of 1000 or
            more); without bias correction (the published preset) it is the percentile
            interval, the published method's. ``"percentile"`` (the default without bias
            correction, the published preset): ``[q(a/2), q(1 - a/2)]``.

        Returns
        -------
        tuple of float
            The interval's lower and upper ends, in the result's unit.

        Notes
        -----
        When the estimator's check of the fit failed with the data showing more
        dependence than the mixture (``details["misfit_extension"]``, see the ``check``
        option of :func:`gmmi.mutual_information`), the interval also holds the same
        interval about the value of the larger mixture the check led to as about the
        full-data value: ``[min(lo, lo + s), max(hi, hi + s)]``, ``s`` that value minus
        ``full_value`` (both are fits to all the rows).

        MI and KL intervals are clipped at 0. With gmmi's defaults every replicate
        re-chooses the number of components and resamples all rows, so the interval
        includes the uncertainty of that choice, of the optimiser's start (each candidate is
        refitted), of the class frequencies (categorical MI) and of the Monte Carlo integral
        (each replicate draws its own points); it does not include the error of a model that
        cannot fit the density (see the README's calibration table for how often it holds
        the truth).

        Examples
        --------
        >>> import numpy as np, gmmi
        >>> rng = np.random.default_rng(0)
        >>> x = rng.normal(size=500); y = x + rng.normal(size=500)
        >>> r = gmmi.mutual_information(x, y, n_bootstrap=20, random_state=0)
        >>> lo, hi = r.ci(0.9)
        >>> bool(lo <= r.mean <= hi)
        True
        >>> lo, hi = r.ci(0.9, method="percentile")
        """
        level = check_level(level)
        if method is not None:
            check_choice(method, "method", ("normal", "basic", "percentile"))
        if self.samples.size < 2:
            raise ValueError(f"ci: this result has {self.samples.size} bootstrap replicate "
                             "value(s); a confidence interval needs n_bootstrap >= 2 (estimate "
                             "again with n_bootstrap=50, gmmi's default, or more)")
        nonnegative = self.quantity != "entropy"
        lo, hi = _core.interval([float(v) for v in self.samples], float(self.full_value),
                                float(level), bool(self.bias_corrected), nonnegative, method)
        extension = self.details.get("misfit_extension")
        if extension is not None:
            # The same interval about the value of the mixture the failed check led to as
            # about the full-data value (both are fits to all the rows, alike in bias).
            shift = float(extension["value"]) - float(self.full_value)
            lo, hi = min(lo, lo + shift), max(hi, hi + shift)
            if nonnegative:
                lo = max(lo, 0.0)
        return float(lo), float(hi)

    def pointwise(self, x: Any, y: Any, z: Any = None, *, n_draws: int = 20_000,
                  random_state: Any = None) -> PointwiseMI:
        """Pointwise mutual information at the samples ``(x, y[, z])`` and its profile.

        Evaluates ``ln p(x, y) - ln p(x) - ln p(y)`` (conditional MI:
        ``ln p(x, y, z) + ln p(z) - ln p(x, z) - ln p(y, z)``) under the mixture fitted on all
        the data and under every replicate's mixture kept in ``bootstrap_models`` (their
        spread is the uncertainty; :func:`gmmi.pointwise_mutual_information` keeps them), and
        draws ``n_draws`` points from each mixture for the profile, the distribution of the
        PMI whose mean is the MI (see :class:`~gmmi.pointwise.PointwiseMI`).

        Parameters
        ----------
        x, y : array-like of shape (m,) or (m, d_x), (m, d_y)
            Samples in the original units, with the columns of the estimate's ``x`` and
            ``y`` (often the data themselves).
        z : array-like of shape (m,) or (m, d_z), optional
            The conditioning samples, for a conditional MI result (and only for one).
        n_draws : int, default 20000
            Points drawn from each mixture for its profile.
        random_state : int, numpy.random.Generator or None
            Seed of the draws (default: the result's ``random_state``).

        Returns
        -------
        PointwiseMI

        Raises
        ------
        ValueError
            If the result is not a joint GMM estimate of (conditional) MI, or the samples do
            not have the estimate's columns.

        Examples
        --------
        >>> import numpy as np, gmmi
        >>> rng = np.random.default_rng(0)
        >>> x = rng.normal(size=1000); y = x + rng.normal(size=1000)
        >>> r = gmmi.mutual_information(x, y, n_bootstrap=0, random_state=0)
        >>> p = r.pointwise(x, y)
        >>> p.values.shape
        (1000,)
        >>> exact = r.model.mutual_information([0], [1])  # the fitted mixture's own MI
        >>> bool(abs(p.profile_mean - exact) < 5 * p.profile_error)
        True
        """
        blocks = joint_blocks(self, x, y, z, purpose="pointwise MI", min_rows=1)
        model = self.model
        assert model is not None  # joint_blocks refuses a result without one
        seed = self.random_state if random_state is None else random_state
        return pointwise(model, self.bootstrap_models, self.transform, blocks,
                         quantity=self.quantity, unit=self.unit, n_draws=n_draws,
                         random_state=seed, result=self)

    def check_fit(self, x: Any, y: Any, z: Any = None, *, n_draws: int = 16,
                  max_rows: int = 4000, k: Optional[int] = None, random_state: Any = None,
                  n_jobs: Optional[int] = None, progress: bool = False) -> FitCheck:
        """Checks the fitted mixture against the data with a statistic the fit did not use.

        The bootstrap interval covers what resampling the rows shows, not a mixture that
        misses part of the dependence: a few components cannot follow curved or spiralling
        structure across several columns, and the estimate is then low by many times its
        interval, with nothing in the fit to say so. (The check the estimator makes itself,
        its ``check`` option, goes on after such a failure to widen the interval; this
        method reports the check only and changes nothing.) This check compares the
        k-nearest-neighbour (KSG) mutual information of the data with the same statistic on
        ``n_draws`` draws of as many rows from the fitted mixture (in the coordinates the
        mixture was fitted in). KSG is biased, but alike for two samples of one
        distribution, so where the mixture is a good model the data's value looks like one
        more draw's. The check fails, with a :class:`~gmmi.MisfitWarning`, when it lies
        beyond the two-sided 1% quantile of the draws' prediction-interval t statistic
        (see :class:`~gmmi.FitCheck`). For a conditional MI the statistic is the KSG
        estimate of the conditional MI (Frenzel and Pompe 2007), on the draws from the
        mixture of ``(x, y, z)`` too; for the MI between a continuous and a discrete
        variable it is the KSG of Ross (2014), the draws keeping the data's classes, each
        row drawn from its class's mixture.

        What it found with 3 neighbours, the default up to session 54
        (``benches/accuracy.py``: every task with continuous x and y, and every held-out
        task, 10 data sets each at n = 1,000 and 5,000, 880 estimates): on
        Gaussians, monotone images of them, the paper's mixtures, gamma-exponential data,
        additive uniform noise and non-monotone ``y = f(x) + noise`` it failed once in 640
        estimates, on one whose interval missed the truth by 0.17 nat (it did not see the
        other 18 misses there, most of them uniform noise 0.02-0.1 nat low). On a spiral
        image of a 3+3 Gaussian, which every estimate misses by about half, it failed 14
        times in 20 (4 of 10 at n = 1,000, 10 of 10 at n = 5,000). On multivariate t data
        (220 estimates, degrees of freedom 1 to 5; those with 1 and 2 share heavy tails
        between the variables and raise a :class:`~gmmi.HeavyTailWarning`) the mixture's
        tails can be unlike the data's whether or not the MI is off: it failed on 13 of the
        20 estimates whose interval missed and on 16 of the 200 whose interval held the
        truth, all with 1 or 2 degrees of freedom. A passed check is not a proof: the check
        sees only what KSG sees on ``max_rows`` rows, and at n = 1,000 it is weak.
        With 10 neighbours (session 55) it sees more there: on the same estimates of 18
        held-out tasks of three or more columns at n = 1,000 (new seeds), the estimator's
        own check and extension left the truth inside 168 intervals of 180 against 160
        with 3, and on Gaussians and monotone maps of them it failed no more often (none
        of 180); but the scale it looks at is coarser, and a 5+5 spiral at n = 5,000 is
        seen less often than with 3 (``docs/measurements.md``, session 55).

        It costs ``n_draws + 1`` KSG estimates on at most ``max_rows`` rows, their
        neighbours found exactly through k-d trees in up to 7 columns in all, and by
        comparing every pair of rows (vectorised over rows) from 8 columns on (up to 12
        columns only on up to 8,000 rows, where the trees are slower): on two cores with
        AVX2, 3 neighbours, 0.012 s at n = 1,000 with 1+1 columns; at 4,000 rows, 0.055 s
        with 1+1 columns, 0.34 s with 3+3, 0.57 s with 5+5 and 1.3 s with 10+10. Ten
        neighbours take about as long in many columns and 1.4x in few (Gaussians, session
        60).

        Columns on a lattice (tied values) that the estimate fitted as they are are
        checked over their cells: the data's values and the draws alike are replaced by a
        uniform draw within the lattice cell they fall in, so that the data's ties, which
        put neighbours at distance 0, do not read as dependence the mixture misses
        (``docs/method.md``, "How the estimator is checked").

        Parameters
        ----------
        x, y : array-like of shape (n,) or (n, d_x), (n, d_y)
            The data of the estimate, in the original units (the discrete one's labels as
            given to the estimator).
        z : array-like of shape (n,) or (n, d_z), optional
            The conditioning data, for a conditional MI result (and only for one).
        n_draws : int, default 16
            Independent draws from the mixture (at least 3).
        max_rows : int, default 4000
            The KSG runs on a seeded random subset of this many rows beyond it (at least
            50 and 10 k + 1, at most 50,000).
        k : int, optional
            Neighbours of the KSG. Default: 10, and one per ten rows on fewer than 101 rows
            checked (at least 3, which takes 31 rows). More neighbours than the 3 usual for
            estimating MI by KSG, because the check compares two KSG values whose bias is
            alike: the bias that grows with ``k`` cancels, and the spread that falls with it
            is what a misfit must stand out of (Runge's 2018 nearest-neighbour test of
            conditional independence, whose null is simulated too, likewise takes many
            neighbours). Up to session 54 the default was 3.
        random_state : int, numpy.random.Generator or None
            Seed of the subset and the draws (default: the result's ``random_state``).
        n_jobs : int or None
            Threads (default: every core).
        progress : bool, default False
            Show a progress bar (one step per KSG; needs tqdm). Ctrl-C stops the check.

        Returns
        -------
        FitCheck

        Raises
        ------
        ValueError
            If the result is not a GMM estimate of (conditional) mutual information (a
            single-class or discrete-discrete one has no mixture to check), the samples
            do not have the estimate's columns or classes, have fewer than 10 k + 1 rows,
            or have a column the estimator would refuse (constant, or of a spread beyond
            its range).

        Examples
        --------
        >>> import numpy as np, gmmi
        >>> rng = np.random.default_rng(0)
        >>> x = rng.normal(size=2000); y = x + rng.normal(size=2000)
        >>> r = gmmi.mutual_information(x, y, n_bootstrap=10, random_state=0)
        >>> r.check_fit(x, y).passed
        True
        >>> z = rng.normal(size=2000); y2 = x + z + rng.normal(size=2000)
        >>> c = gmmi.conditional_mutual_information(x, y2, z, n_bootstrap=10, random_state=0)
        >>> c.check_fit(x, y2, z).passed
        True
        """
        return check_fit(self, x, y, z, n_draws=n_draws, max_rows=max_rows, k=k,
                         random_state=random_state, n_jobs=n_jobs, progress=progress)

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python form (JSON-friendly: Python numbers, lists and dictionaries, None
        for NaN and infinities; the model as its parameters)."""
        model = None
        if self.model is not None:
            model = {
                "weights": self.model.weights_.tolist(),
                "means": self.model.means_.tolist(),
                "covariances": self.model.covariances_.tolist(),
            }
        return plain({
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
            "bias_corrected": self.bias_corrected,
            "transform": None if self.transform is None else self.transform.to_dict(),
            "fit_check": self.details.get("fit_check"),
            "misfit_extension": self.details.get("misfit_extension"),
            "dequantized": self.details.get("dequantized"),
        })

    def plot_bootstrap(self, ax: Any = None, level: float = 0.95) -> Any:
        """Histogram of the replicates with the mean and interval (see
        :func:`gmmi.plots.plot_bootstrap`)."""
        from .plots import plot_bootstrap

        return plot_bootstrap(self, ax=ax, level=level)

    def plot_model(self, X: Any = None, *, dims: Any = (0, 1), ax: Any = None) -> Any:
        """Contours of the fitted mixture over the data ``X`` (original units, the joint
        columns in the order of the estimate), both in the coordinates the model was fitted
        in (see :func:`gmmi.plots.plot_model` and ``transform``)."""
        from .plots import plot_model

        if self.model is None:
            raise ValueError("model: this result has no joint mixture (categorical or "
                             "discrete estimate)")
        return plot_model(self.model, X, dims=dims, ax=ax, transform=self.transform)

    def plot_selection(self, ax: Any = None) -> Any:
        """The selection metric against K (see :func:`gmmi.plots.plot_selection`)."""
        from .plots import plot_selection

        return plot_selection(self, ax=ax)

    def save(self, path: _codec.PathLike) -> None:
        """Writes this object to ``path`` as JSON; read it back with :func:`gmmi.load`."""
        _codec.write(path, "MIResult", dict(self.__dict__))

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
            # A single class has no mixture: its MI is 0 by definition.
            parts.append("K per class=" + ",".join(str(v) for v in ks.values()) if ks
                         else "a single class")
        else:
            parts.append(self.estimator)
        if self.samples.size:
            n = self.samples.size
            parts.append(f"{n} bootstrap replicate{'s' if n != 1 else ''}")
        else:
            parts.append("no bootstrap")
        check = self.fit_check
        extension = self.details.get("misfit_extension")
        if extension is not None:
            parts.append(f"fit check FAILED: interval extended to K={extension['n_components']}")
        elif check is not None and not check.passed:
            parts.append("fit check FAILED: the interval does not cover the misfit")
        if math.isnan(self.std):
            return f"{sym} = {self.mean:.3f} {self.unit} ({', '.join(parts)})"
        return f"{sym} = {self.mean:.3f} ± {self.std:.3f} {self.unit} ({', '.join(parts)})"

    def _repr_html_(self) -> str:
        """The rich display of notebooks: the estimate, its interval and how it was made."""
        rows: list[list[Any]] = [["estimate", f"{self.mean:.4f} {self.unit}"]]
        if not math.isnan(self.std):
            lo, hi = self.ci(0.95)
            rows += [["std (bootstrap)", f"{self.std:.4f}"],
                     ["95% interval", f"({lo:.4f}, {hi:.4f})"]]
        rows.append(["replicates", self.samples.size])
        if self.n_components is not None:
            rows.append(["components (K)", self.n_components])
        if self.transform is not None:
            rows.append(["representation", self.transform.name])
        err = self.details.get("integration_error")
        if err is not None:
            rows.append(["integration error", f"{err:.2g}"])
        check = self.fit_check
        if check is not None:
            rows.append(["check of the fit", f"{'passed' if check.passed else 'FAILED'}: "
                         f"statistic {check.statistic:+.2f} (threshold {check.threshold:.2f})"])
        extension = self.details.get("misfit_extension")
        if extension is not None:
            rows.append(["interval extended to", f"K={extension['n_components']}: "
                         f"{extension['value']:.4f} {self.unit} (statistic "
                         f"{extension['statistic']:+.2f})"])
        rows.append(["estimator", self.estimator])
        rows += [["warning", w] for w in self.warnings]
        return _html.table(repr(self), rows)

    __str__ = __repr__
