"""The estimator options: presets, names and bounds read from the core.

Every default, every bound and every name of a choice is written once, in the core's option
types; this module converts the given values to the core's types (an integer, a finite
number, one of the names), then builds the core's validated options object, whose checks
raise a ``ValueError`` naming the offending option."""

from __future__ import annotations

import math
from typing import Any, Optional

from . import _core
from ._validation import check_bool, check_choice, check_int, check_real

#: Why ``n_bootstrap`` is capped (the core's message says the same).
BOOTSTRAP_ADVICE = ("the bootstrap std is stable to a few percent after a few hundred "
                    "replicates")

__all__ = ["INITS", "INTEGRALS", "OPTION_NAMES", "PRESETS", "SELECTIONS", "TRANSFORMS",
           "check_bounds", "estimator_options", "preset_options", "split_options"]

#: The initialisation strategies, in the order of ALGORITHM.md (the core's names).
INITS: tuple[str, ...] = tuple(_core.INITS)

#: The values of the ``integral`` option: randomised quasi-Monte Carlo (gmmi's default),
#: Monte Carlo (the published method) and Gauss-Hermite quadrature.
INTEGRALS: tuple[str, ...] = tuple(_core.INTEGRALS)

#: The values of the ``selection`` option: held-out likelihood, AIC, BIC.
SELECTIONS: tuple[str, ...] = tuple(_core.SELECTIONS)

#: The values of the ``transform`` option (see :mod:`gmmi.representation`).
TRANSFORMS: tuple[str, ...] = tuple(_core.TRANSFORMS)

#: The option presets: ``"gmmi"`` (the defaults, chosen for correct answers and honest
#: intervals at every n) and ``"published"`` (Piras et al. 2023, for reproducing the paper).
PRESETS = ("gmmi", "published")

#: The estimator options whose defaults come from the preset.
OPTION_NAMES = (
    "n_components", "n_bootstrap", "mc_samples", "integral", "quadrature_order", "selection",
    "n_inits", "n_folds", "patience", "threshold_components", "max_components",
    "threshold_fit", "reg_covar", "max_iter", "init", "scale", "standardize", "transform",
)


def preset_options(preset: str = "gmmi") -> dict[str, Any]:
    """The option values of a preset, read from the core (the one place they are written).

    Parameters
    ----------
    preset : {"gmmi", "published"}, default "gmmi"
        gmmi's defaults or the published method's.

    Returns
    -------
    dict
        Every option of :data:`OPTION_NAMES` with its value, and the settings only a preset
        chooses (``accelerate_em``, ``auto_threshold``, ``bias_correction``, ``bin_rows``,
        ``bootstrap_neighbours``, ``screen_starts``, ``stratified_bootstrap``), which are not
        options.

    Examples
    --------
    >>> from gmmi.estimators import preset_options
    >>> preset_options("published")["init"], preset_options("gmmi")["init"]
    ('random_sklearn', 'mixed')
    """
    check_choice(preset, "preset", PRESETS)
    return dict(_core.preset(preset))


def estimator_options(*, preset: Any = "gmmi", **given: Any) -> dict[str, Any]:
    """Validates the estimator options once and returns them in the core's form; an option
    given as ``None`` takes the preset's value (``n_components`` and ``scale`` may stay
    ``None``)."""
    unknown = set(given) - set(OPTION_NAMES)
    if unknown:
        raise TypeError(f"{sorted(unknown)[0]}: unknown option")
    opts = preset_options(preset)
    if given.get("threshold_fit") is not None:
        # A tolerance given by the user is used as it is, at every n.
        opts["auto_threshold"] = False
    for k, v in given.items():
        if v is not None or k in ("n_components", "scale", "quadrature_order"):
            opts[k] = v
    typed = {
        **opts,
        "n_components": check_int(opts["n_components"], "n_components", minimum=1,
                                  allow_none=True),
        "n_bootstrap": check_int(opts["n_bootstrap"], "n_bootstrap",
                                 maximum=_core.MAX_BOOTSTRAP, advice=BOOTSTRAP_ADVICE),
        "mc_samples": _auto_or_int(opts["mc_samples"], "mc_samples"),
        "integral": check_choice(opts["integral"], "integral", INTEGRALS),
        "quadrature_order": check_int(opts["quadrature_order"], "quadrature_order",
                                      minimum=1, allow_none=True),
        "selection": check_choice(opts["selection"], "selection", SELECTIONS),
        "n_inits": check_int(opts["n_inits"], "n_inits", minimum=1),
        "n_folds": _auto_or_int(opts["n_folds"], "n_folds", minimum=2),
        "patience": _auto_or_int(opts["patience"], "patience"),
        "threshold_components": check_real(opts["threshold_components"], "threshold_components"),
        "max_components": check_int(opts["max_components"], "max_components", minimum=1),
        "threshold_fit": check_real(opts["threshold_fit"], "threshold_fit"),
        "reg_covar": check_real(opts["reg_covar"], "reg_covar"),
        "max_iter": check_int(opts["max_iter"], "max_iter", minimum=1),
        "init": check_choice(opts["init"], "init", INITS),
        "scale": check_real(opts["scale"], "scale", allow_none=True),
        "standardize": check_bool(opts["standardize"], "standardize"),
        "transform": check_choice(opts["transform"], "transform", TRANSFORMS),
    }
    _core.Options(seed=0, **typed)  # the core checks every bound, naming the option
    return typed


def check_bounds(values: dict[str, Any], rename: Optional[dict[str, str]] = None) -> None:
    """Checks option values (gmmi's names, already of the right types) against the core's
    bounds, every other option at the gmmi preset; the ``ValueError`` names the option as
    ``rename`` maps it (for APIs that call an option differently)."""
    try:
        _core.Options(seed=0, **{**preset_options("gmmi"), **values})
    except ValueError as exc:
        message = str(exc)
        for name, shown in (rename or {}).items():
            if message.startswith(name + ":"):
                raise ValueError(shown + message[len(name):]) from None
        raise


def _auto_or_int(value: Any, name: str, minimum: int = 1) -> Any:
    """``"auto"`` or an integer of at least ``minimum`` (its other bounds are the core's):
    ``mc_samples``, ``patience``, ``n_folds``."""
    if isinstance(value, str):
        if value != "auto":
            raise ValueError(f"{name}: expected 'auto' or a positive integer, got {value!r}")
        return value
    return check_int(value, name, minimum=minimum)


def split_options(kwargs: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Splits keyword options into the validated estimator options (defaults from
    ``preset``) and the run options (base, random_state, n_jobs, progress)."""
    run_keys = {"base": math.e, "random_state": None, "n_jobs": None, "progress": False}
    unknown = set(kwargs) - set(OPTION_NAMES) - set(run_keys) - {"preset"}
    if unknown:
        raise TypeError(f"{sorted(unknown)[0]}: unknown option")
    opts = estimator_options(preset=kwargs.get("preset", "gmmi"),
                              **{k: kwargs.get(k) for k in OPTION_NAMES})
    run = {k: kwargs.get(k, v) for k, v in run_keys.items()}
    return opts, run
