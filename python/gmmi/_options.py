"""The estimator options: presets read from the core, names, and their validation (the one
place the Python layer checks them)."""

from __future__ import annotations

import math
from typing import Any

from . import _core
from ._validation import (
    check_bool,
    check_choice,
    check_float,
    check_int,
    check_mc_samples,
    check_n_bootstrap,
    check_n_inits,
)

__all__ = ["INITS", "INTEGRALS", "OPTION_NAMES", "PRESETS", "TRANSFORMS", "estimator_options",
           "preset_options", "split_options"]

#: The initialisation strategies, in the order of ALGORITHM.md.
INITS = ("random_sklearn", "kmeans_sklearn", "random", "minmax", "kmeans", "randomized_kmeans",
         "mixed")

#: The values of the ``integral`` option: randomised quasi-Monte Carlo (gmmi's default),
#: Monte Carlo (the published method) and Gauss-Hermite quadrature.
INTEGRALS = ("qmc", "mc", "quadrature")

#: The values of the ``transform`` option (see :mod:`gmmi.representation`).
TRANSFORMS = ("auto", "identity", "asinh", "gaussianize")

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
    return {
        **opts,
        "n_components": check_int(opts["n_components"], "n_components", minimum=1,
                                  allow_none=True),
        "n_bootstrap": check_n_bootstrap(opts["n_bootstrap"]),
        "mc_samples": check_mc_samples(opts["mc_samples"], allow_auto=True),
        "integral": check_choice(opts["integral"], "integral", INTEGRALS),
        "quadrature_order": check_int(opts["quadrature_order"], "quadrature_order", minimum=1,
                                      allow_none=True),
        "selection": check_choice(opts["selection"], "selection", ("valid", "aic", "bic")),
        "n_inits": check_n_inits(opts["n_inits"]),
        "n_folds": check_int(opts["n_folds"], "n_folds", minimum=2),
        "patience": check_int(opts["patience"], "patience", minimum=1),
        "threshold_components": check_float(opts["threshold_components"],
                                            "threshold_components", strict=False),
        "max_components": check_int(opts["max_components"], "max_components", minimum=1),
        "threshold_fit": check_float(opts["threshold_fit"], "threshold_fit"),
        "reg_covar": check_float(opts["reg_covar"], "reg_covar", strict=False),
        "max_iter": check_int(opts["max_iter"], "max_iter", minimum=1),
        "init": check_choice(opts["init"], "init", INITS),
        "scale": check_float(opts["scale"], "scale", allow_none=True),
        "standardize": check_bool(opts["standardize"], "standardize"),
        "transform": check_choice(opts["transform"], "transform", TRANSFORMS),
    }


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
