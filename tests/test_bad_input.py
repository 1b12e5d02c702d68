"""Bad input: a table of inputs, the exception class each gives and a regex its message must
match (naming the offending argument), for every public function and the command line; then
a table of unusual but valid inputs that must work and give the same numbers as the plain
float64 C-contiguous input.

Calls that once aborted the whole process (absurd sizes) run in a child interpreter with a
capped address space, so that a regression fails one row instead of killing the suite.
"""

from __future__ import annotations

import builtins
import json
import re
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pytest

import gmmi
from gmmi.cli import main as cli_main
from gmmi.compat import EstimateMI, MIDistParamHolder, SelectComponentsParamHolder

rng = np.random.default_rng(0)
X = rng.normal(size=(60, 2))
x, y = X[:, 0].copy(), X[:, 1].copy()
Z = rng.normal(size=60)
X3 = rng.normal(size=(60, 3))
LAB = rng.integers(0, 2, 60)
FAST = {"n_bootstrap": 2, "mc_samples": 500, "random_state": 0}
#: FAST without the mixture's options, which two discrete variables ignore with a warning.
DD_FAST = {"n_bootstrap": 2, "random_state": 0}
MI = gmmi.mutual_information
CMI = gmmi.conditional_mutual_information
H = gmmi.entropy
KL = gmmi.kl_divergence_marginals
MAT = gmmi.mi_matrix
RANK = gmmi.mi_ranking
SCORE = gmmi.mi_score
GM = gmmi.GaussianMixture.from_parameters
G = GM([1.0], [[0.0, 0.0]], [np.eye(2)])


def FIT(X, n_components=1, *, validation_data=None, **hyper):
    """A fit with hyperparameters in the constructor (scikit-learn's convention)."""
    model = gmmi.GaussianMixture(n_components, **hyper)
    return model.fit(X, validation_data=validation_data)


def with_nan(a, i=3):
    b = np.array(a, dtype=float)
    b.flat[i] = np.nan
    return b


def with_inf(a, i=5, sign=-1):
    b = np.array(a, dtype=float)
    b.flat[i] = sign * np.inf
    return b


class ChildCrashed(RuntimeError):
    """The child interpreter died (abort, segfault, timeout) instead of raising."""


def in_child(code: str) -> None:
    """Runs ``code`` in a fresh interpreter (address space capped at 3 GiB, 120 s) and
    re-raises the exception it raised there, so that a call that *aborts the process* can
    sit in the same table as the others. Raises ChildCrashed if the child died."""
    pytest.importorskip("resource")  # POSIX only
    script = textwrap.dedent("""
        import resource
        resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))
        import json, sys, numpy as np, gmmi
        rng = np.random.default_rng(0)
        X = rng.normal(size=(60, 2)); x, y = X[:, 0], X[:, 1]
        try:
            exec(sys.argv[1])
        except Exception as exc:
            print(json.dumps({"type": type(exc).__name__, "message": str(exc)}))
        else:
            print(json.dumps({"type": None}))
    """)
    try:
        out = subprocess.run([sys.executable, "-c", script, code], capture_output=True,
                             text=True, timeout=120)
    except subprocess.TimeoutExpired:
        raise ChildCrashed(f"{code!r} did not finish in 120 s") from None
    if out.returncode != 0:
        tail = " / ".join(out.stderr.strip().splitlines()[:2])
        raise ChildCrashed(f"{code!r} killed the interpreter (exit {out.returncode}): {tail}")
    info = json.loads(out.stdout.strip().splitlines()[-1])
    if info["type"] is None:
        return
    exc_type = getattr(builtins, info["type"], None)
    if not (isinstance(exc_type, type) and issubclass(exc_type, Exception)):
        raise RuntimeError(f"{info['type']}: {info['message']}")
    raise exc_type(info["message"])


def case(cid, call, exc, pattern):
    """One row of the table."""
    return pytest.param(call, exc, pattern, id=cid)


# ---------------------------------------------------------------------------------------
# (id, call, exception class, regex naming the argument[, observed bug])
BAD = [
    # -- mutual_information: data --------------------------------------------------------
    case("mi 3-D x", lambda: MI(np.zeros((60, 2, 2)), y), ValueError, r"^x: .*3 dimensions"),
    case("mi 3-D y", lambda: MI(x, np.zeros((60, 1, 1))), ValueError, r"^y: .*3 dimensions"),
    case("mi 3-D z", lambda: MI(x, y, np.zeros((60, 1, 1))), ValueError, r"^z: .*3 dimensions"),
    case("mi scalar x", lambda: MI(1.0, y), ValueError, r"^x: .*scalar"),
    case("mi y shorter", lambda: MI(x, y[:50]), ValueError, r"^y: has 50 rows but x has 60"),
    case("mi z shorter", lambda: MI(x, y, Z[:10]), ValueError, r"^z: has 10 rows but x has 60"),
    case("mi empty x", lambda: MI(np.array([]), np.array([])), ValueError, r"^x: is empty"),
    case("mi empty y", lambda: MI(x, []), ValueError, r"^y: is empty"),
    case("mi empty z", lambda: MI(x, y, []), ValueError, r"^z: is empty"),
    case("mi zero columns", lambda: MI(np.zeros((60, 0)), y), ValueError, r"^x: is empty"),
    case("mi one row", lambda: MI(x[:1], y[:1]), ValueError, r"^x: at least 2 rows"),
    # n_folds="auto" splits fewer than 1,000 rows into 5 folds (at most one a row): 3 rows
    # make 3 folds of 2 training rows, one short of a 2-D covariance.
    case("mi too few rows per fold", lambda: MI(x[:3], y[:3]), ValueError,
         r"^x, y: 3 rows leave 2 training rows"),
    case("mi fewer rows than components", lambda: MI(x[:7], y[:7], n_components=6), ValueError,
         r"^n_components: .*6 component.*fix fewer components"),
    case("mi n_components > rows", lambda: MI(x, y, n_components=61), ValueError,
         r"^n_components: 61 components need at least 61 rows"),
    case("mi NaN in x", lambda: MI(with_nan(x), y), ValueError, r"^x: contains NaN at row 3"),
    case("mi NaN in 2-D x", lambda: MI(with_nan(X, 9), Z), ValueError,
         r"^x: contains NaN at row 4, column 1"),
    case("mi -inf in y", lambda: MI(x, with_inf(y)), ValueError, r"^y: contains -inf at row 5"),
    case("mi inf in x", lambda: MI(with_inf(x, sign=1), y), ValueError, r"^x: contains inf"),
    case("mi NaN in z", lambda: MI(x, y, with_nan(Z)), ValueError, r"^z: contains NaN"),
    case("mi inf in z", lambda: MI(x, y, with_inf(Z)), ValueError, r"^z: contains -inf"),
    case("mi None in object x", lambda: MI(np.array([None, *x[1:]], dtype=object), y),
         ValueError, r"^x: contains NaN at row 0"),
    case("mi string x", lambda: MI(np.array(["a"] * 60), y), TypeError, r"^x: expected numbers"),
    case("mi string z", lambda: MI(x, y, ["a"] * 60), TypeError, r"^z: expected numbers"),
    case("mi object x", lambda: MI(np.array([object()] * 60), y), TypeError,
         r"^x: expected numbers"),
    case("mi ragged x", lambda: MI([[1.0, 2.0], [3.0]] * 30, y), TypeError,
         r"^x: could not be converted"),
    # The rows counted for check=True before validation must not raise first.
    case("mi ragged x, check", lambda: MI([[1.0, 2.0], [3.0]] * 30, y, check=True),
         TypeError, r"^x: could not be converted"),
    case("mi datetime x", lambda: MI(np.arange(60).astype("datetime64[D]"), y), TypeError,
         r"^x: expected numbers"),
    case("mi complex y", lambda: MI(x, y + 1j), TypeError, r"^y: complex"),
    case("mi complex x zero imag", lambda: MI(x + 0j, y), TypeError, r"^x: complex"),
    case("mi complex z", lambda: MI(x, y, Z + 1j), TypeError, r"^z: complex"),
    # The advice names an option the call has (discrete_x for x, not "discrete_x=True /
    # discrete_y=True"), or, where it has none, what to do instead.
    case("mi boolean x", lambda: MI(x > 0, y), TypeError,
         r"^x: boolean data are discrete; pass them as a discrete variable \(discrete_x=True\)"),
    case("mi boolean y", lambda: MI(x, y > 0), TypeError, r"\(discrete_y=True\)"),
    case("mi boolean z", lambda: MI(x, y, Z > 0), TypeError,
         r"^z: boolean data are discrete; note that conditional MI takes no discrete"),
    case("mi None x", lambda: MI(None, y), TypeError, r"^x: expected an array-like"),
    case("mi None y", lambda: MI(x, None), TypeError, r"^y: expected an array-like"),
    case("mi constant x", lambda: MI(np.ones(60), y), ValueError,
         r"^x: column 0 is constant; the mutual information of a constant"),
    case("mi masked x", lambda: MI(np.ma.masked_array(x, mask=np.arange(60) == 3), y, **FAST),
         ValueError, r"^x: .*mask"),
    # -- mutual_information: options -----------------------------------------------------
    case("mi n_bootstrap -1", lambda: MI(x, y, n_bootstrap=-1), ValueError,
         r"^n_bootstrap: must be at least 0"),
    case("mi n_bootstrap 2.5", lambda: MI(x, y, n_bootstrap=2.5), TypeError,
         r"^n_bootstrap: expected an integer"),
    case("mi n_bootstrap '3'", lambda: MI(x, y, n_bootstrap="3"), TypeError,
         r"^n_bootstrap: expected an integer"),
    case("mi n_bootstrap nan", lambda: MI(x, y, n_bootstrap=float("nan")), TypeError,
         r"^n_bootstrap"),
    case("mi n_bootstrap str", lambda: MI(x, y, n_bootstrap="50"), TypeError, r"^n_bootstrap"),
    case("mi n_bootstrap 2**64", lambda: MI(x, y, n_bootstrap=2**64, mc_samples=500),
         ValueError, r"^n_bootstrap: must be at most 10,000,000, got"),
    # Each option's real minimum, not "at least 0" for options that refuse 0 too.
    *[case(f"mi {name} -1", lambda name=name: MI(x, y, **{name: -1}), ValueError,
           rf"^{name}: must be at least {low}, got -1")
      for name, low in (("n_components", 1), ("mc_samples", 1), ("n_inits", 1),
                        ("n_folds", 2), ("max_components", 1), ("max_iter", 1),
                        ("patience", 1), ("quadrature_order", 1))],
    case("mi scale 1e300", lambda: MI(x, y, init="random", scale=1e300, n_bootstrap=2),
         ValueError, r"^scale: 1e300 gives initial covariances .* use a smaller scale"),
    case("mi randomized_kmeans scale 1e300",
         lambda: MI(x, y, init="randomized_kmeans", scale=1e300, n_bootstrap=2), ValueError,
         r"^scale: every cross-validation fit failed from the starts scale=1e300"),
    case("pmi n_draws 1e12", lambda: gmmi.pointwise_mutual_information(x, y, n_draws=10**12),
         ValueError, r"^n_draws: would need"),
    case("mi mc_samples 0", lambda: MI(x, y, mc_samples=0), ValueError,
         r"^mc_samples: must be at least 1"),
    case("mi mc_samples 2.5", lambda: MI(x, y, mc_samples=2.5), TypeError, r"^mc_samples"),
    case("mi mc_samples 'many'", lambda: MI(x, y, mc_samples="many"), ValueError,
         r"^mc_samples: expected 'auto'"),
    case("mi integral 'sobol'", lambda: MI(x, y, integral="sobol"), ValueError, r"^integral"),
    case("mi mc_samples 2**64", lambda: MI(x, y, n_bootstrap=2, mc_samples=2**64), ValueError,
         r"^mc_samples"),
    case("mi n_components 0", lambda: MI(x, y, n_components=0), ValueError, r"^n_components"),
    case("mi n_components True", lambda: MI(x, y, n_components=True), TypeError,
         r"^n_components"),
    case("mi n_components '2'", lambda: MI(x, y, n_components="2"), TypeError,
         r"^n_components"),
    case("mi n_inits 0", lambda: MI(x, y, n_inits=0), ValueError, r"^n_inits"),
    case("mi n_folds 1", lambda: MI(x, y, n_folds=1), ValueError, r"^n_folds"),
    case("mi n_folds > rows", lambda: MI(x[:6], y[:6], n_folds=7), ValueError,
         r"^n_folds: 7 folds"),
    case("mi patience 0", lambda: MI(x, y, patience=0), ValueError, r"^patience"),
    case("mi max_components 0", lambda: MI(x, y, max_components=0), ValueError,
         r"^max_components"),
    case("mi threshold_fit 0", lambda: MI(x, y, threshold_fit=0), ValueError,
         r"^threshold_fit: must be a finite positive number"),
    case("mi threshold_fit nan", lambda: MI(x, y, threshold_fit=float("nan")), ValueError,
         r"^threshold_fit: must be finite"),
    case("mi threshold_fit str", lambda: MI(x, y, threshold_fit="1e-5"), TypeError,
         r"^threshold_fit: expected a number"),
    case("mi threshold_components -1", lambda: MI(x, y, threshold_components=-1.0), ValueError,
         r"^threshold_components"),
    case("mi reg_covar -1e-6", lambda: MI(x, y, reg_covar=-1e-6), ValueError, r"^reg_covar"),
    case("mi reg_covar inf", lambda: MI(x, y, reg_covar=float("inf")), ValueError,
         r"^reg_covar: must be finite"),
    case("mi reg_covar str", lambda: MI(x, y, reg_covar="tiny"), TypeError, r"^reg_covar"),
    case("mi max_iter 0", lambda: MI(x, y, max_iter=0), ValueError, r"^max_iter"),
    case("mi scale 0", lambda: MI(x, y, scale=0.0), ValueError, r"^scale"),
    case("mi scale -1", lambda: MI(x, y, init="random", scale=-1.0), ValueError, r"^scale"),
    case("mi quadrature_order 0", lambda: MI(x, y, quadrature_order=0), ValueError,
         r"^quadrature_order"),
    case("mi quadrature_order huge", lambda: MI(x, y, integral="quadrature",
                                                quadrature_order=5000, **FAST), ValueError,
         r"^quadrature_order"),
    case("mi quadrature d > 6", lambda: MI(X3, rng.normal(size=(60, 4)), integral="quadrature",
                                           **FAST), ValueError, r"^integral: quadrature"),
    case("mi selection", lambda: MI(x, y, selection="waic"), ValueError,
         r"^selection: expected one of"),
    case("mi selection case", lambda: MI(x, y, selection="AIC"), ValueError, r"^selection"),
    case("mi integral", lambda: MI(x, y, integral="simpson"), ValueError,
         r"^integral: expected one of"),
    case("mi integral int", lambda: MI(x, y, integral=3), ValueError, r"^integral"),
    case("mi preset unknown", lambda: MI(x, y, preset="paper"), ValueError, r"^preset"),
    case("mi preset None", lambda: MI(x, y, preset=None), ValueError, r"^preset"),
    case("mi init", lambda: MI(x, y, init="kmeans++"), ValueError, r"^init: expected one of"),
    case("mi base 1", lambda: MI(x, y, base=1), ValueError, r"^base: must be > 1"),
    case("mi base 0", lambda: MI(x, y, base=0), ValueError, r"^base"),
    case("mi base -2", lambda: MI(x, y, base=-2), ValueError, r"^base"),
    case("mi base nan", lambda: MI(x, y, base=float("nan")), ValueError, r"^base"),
    case("mi base str", lambda: MI(x, y, base="decibel"), ValueError, r"^base: expected"),
    case("mi base None", lambda: MI(x, y, base=None), TypeError, r"^base"),
    # Integers beyond a double's range: named ValueErrors, not a bare OverflowError.
    case("mi reg_covar 10**400", lambda: MI(x, y, reg_covar=10**400), ValueError,
         r"^reg_covar: must be finite"),
    case("mi base 10**400", lambda: MI(x, y, base=10**400), ValueError, r"^base: must be finite"),
    case("mi scale -10**400", lambda: MI(x, y, scale=-10**400), ValueError, r"^scale"),
    # Beyond 4,300 digits str() of an integer raises: the message counts digits from bits.
    case("mi reg_covar 10**5000", lambda: MI(x, y, reg_covar=10**5000), ValueError,
         r"^reg_covar: must be finite"),
    case("mi threshold_fit 10**400", lambda: MI(x, y, threshold_fit=10**400), ValueError,
         r"^threshold_fit"),
    case("mi standardize 1", lambda: MI(x, y, standardize=1), TypeError, r"^standardize"),
    case("mi progress 'yes'", lambda: MI(x, y, progress="yes"), TypeError, r"^progress"),
    case("mi miller_madow 1", lambda: MI(x, y, miller_madow=1), TypeError, r"^miller_madow"),
    case("mi discrete_x 'yes'", lambda: MI(x, y, discrete_x="yes"), TypeError, r"^discrete_x"),
    case("mi discrete_y None", lambda: MI(x, y, discrete_y=None), TypeError, r"^discrete_y"),
    case("mi random_state -1", lambda: MI(x, y, random_state=-1), ValueError,
         r"^random_state: must be in \[0, 2\*\*64\)"),
    case("mi random_state np -1", lambda: MI(x, y, random_state=np.int64(-1)), ValueError,
         r"^random_state"),
    case("mi random_state 2**64", lambda: MI(x, y, random_state=2**64), ValueError,
         r"^random_state"),
    case("mi random_state '0'", lambda: MI(x, y, random_state="0"), TypeError,
         r"^random_state"),
    case("mi random_state 1.0", lambda: MI(x, y, random_state=1.0), TypeError,
         r"^random_state"),
    case("mi n_jobs 0", lambda: MI(x, y, n_jobs=0), ValueError, r"^n_jobs"),
    case("mi n_jobs -2", lambda: MI(x, y, n_jobs=-2), ValueError, r"^n_jobs"),
    case("mi n_jobs 1.5", lambda: MI(x, y, n_jobs=1.5), TypeError, r"^n_jobs"),
    case("mi n_jobs 2**70", lambda: MI(x, y, n_jobs=2**70, **FAST), ValueError, r"^n_jobs"),
    case("mi unknown option", lambda: MI(x, y, n_boot=3), TypeError, r"n_boot"),
    case("mi n_inits 2**40",
         lambda: in_child("gmmi.mutual_information(x, y, n_inits=2**40, n_bootstrap=2,"
                          " mc_samples=500, random_state=0)"),
         ValueError, r"^n_inits"),
    # -- mutual_information: one discrete variable -----------------------------------------
    case("cat NaN label", lambda: MI(x, with_nan(LAB), discrete_y=True), ValueError,
         r"^y: label at row 3 is nan"),
    case("cat inf label", lambda: MI(x, with_inf(LAB, 3), discrete_y=True), ValueError,
         r"^y: label at row 3 is -inf"),
    case("cat None label", lambda: MI(x, np.array([None] + ["a", "b"] * 29 + ["a"],
                                                  dtype=object), discrete_y=True), ValueError,
         r"^y: label at row 0 is missing"),
    case("cat None labels", lambda: MI(x, None, discrete_y=True), TypeError,
         r"^y: expected an array-like of labels"),
    case("cat 2-D labels", lambda: MI(x, np.zeros((60, 2)), discrete_y=True), ValueError,
         r"^y: a discrete variable must be 1-D"),
    case("cat 3-D labels", lambda: MI(x, np.zeros((60, 1, 1)), discrete_y=True), ValueError,
         r"^y: a discrete variable must be 1-D"),
    case("cat empty labels", lambda: MI(x, [], discrete_y=True), ValueError, r"^y: is empty"),
    case("cat labels shorter", lambda: MI(x, LAB[:50], discrete_y=True), ValueError,
         r"^y: has 50 rows but x has 60"),
    case("cat (discrete_x) labels shorter", lambda: MI(LAB[:50], x, discrete_x=True),
         ValueError, r"^(x: has 50 rows but y has 60|y: has 60 rows but x has 50)"),
    case("cat (discrete_x) NaN in y", lambda: MI(LAB, with_nan(y), discrete_x=True),
         ValueError, r"^y: contains NaN at row 3"),
    case("cat (discrete_x) None y", lambda: MI(LAB, None, discrete_x=True), TypeError,
         r"^y: expected an array-like"),
    case("cat one row", lambda: MI(x[:1], LAB[:1], discrete_y=True), ValueError,
         r"^x: at least 2 rows"),
    case("cat class of one row", lambda: MI(x, np.r_[np.zeros(59), [1]], discrete_y=True),
         ValueError, r"^y: class 1.0 has only 1 rows"),
    case("cat more classes than rows/2", lambda: MI(x, np.arange(60), discrete_y=True),
         ValueError, r"^y: 60 classes for 60 rows"),
    case("cat n_components > class rows", lambda: MI(x, LAB, discrete_y=True, n_components=40),
         ValueError, r"^y: class 0 has only"),
    case("cat complex labels", lambda: MI(x, LAB + 0j, discrete_y=True), TypeError,
         r"^y: complex numbers cannot be labels"),
    case("cat mixed label types", lambda: MI(x, np.array([1, "a"] * 30, dtype=object),
                                             discrete_y=True), TypeError,
         r"^y: labels must be mutually comparable"),
    case("cat NaN in continuous", lambda: MI(with_nan(x), LAB, discrete_y=True), ValueError,
         r"^x: contains NaN"),
    case("cat string continuous", lambda: MI(np.array(["q"] * 60), LAB, discrete_y=True),
         TypeError, r"^x: expected numbers"),
    case("cat boolean continuous", lambda: MI(x > 0, LAB, discrete_y=True), TypeError,
         r"^x: boolean"),
    case("cat constant continuous", lambda: MI(np.ones(60), LAB, discrete_y=True), ValueError,
         r"^x: column 0 is constant"),
    case("cat with z", lambda: MI(x, LAB, Z, discrete_y=True), ValueError,
         r"^z: conditioning is not available"),
    case("cat n_bootstrap 2.5", lambda: MI(x, LAB, discrete_y=True, n_bootstrap=2.5),
         TypeError, r"^n_bootstrap"),
    case("cat random_state -1", lambda: MI(x, LAB, discrete_y=True, random_state=-1),
         ValueError, r"^random_state"),
    case("cat n_jobs 0", lambda: MI(x, LAB, discrete_y=True, n_jobs=0), ValueError,
         r"^n_jobs"),
    # -- mutual_information: two discrete variables ----------------------------------------
    case("dd one row", lambda: MI([1], [1], discrete_x=True, discrete_y=True), ValueError,
         r"^x: at least 2 rows"),
    case("dd empty", lambda: MI([], [], discrete_x=True, discrete_y=True), ValueError,
         r"^x: is empty"),
    case("dd y shorter", lambda: MI(LAB, LAB[:10], discrete_x=True, discrete_y=True),
         ValueError, r"^y: has 10 rows but x has 60"),
    case("dd NaN label", lambda: MI(with_nan(LAB), LAB, discrete_x=True, discrete_y=True),
         ValueError, r"^x: label at row 3 is nan"),
    case("dd 2-D x", lambda: MI(np.zeros((60, 2)), LAB, discrete_x=True, discrete_y=True),
         ValueError, r"^x: a discrete variable must be 1-D"),
    case("dd with z", lambda: MI(LAB, LAB, Z, discrete_x=True, discrete_y=True), ValueError,
         r"^z: conditioning is not available"),
    case("dd complex", lambda: MI(LAB + 1j, LAB, discrete_x=True, discrete_y=True), TypeError,
         r"^x: complex"),
    case("dd n_bootstrap -1", lambda: MI(LAB, LAB, discrete_x=True, discrete_y=True,
                                         n_bootstrap=-1), ValueError, r"^n_bootstrap"),
    case("dd base 0.5", lambda: MI(LAB, LAB, discrete_x=True, discrete_y=True, base=0.5),
         ValueError, r"^base"),
    case("dd random_state -1", lambda: MI(LAB, LAB, discrete_x=True, discrete_y=True,
                                          random_state=-1), ValueError, r"^random_state"),
    case("dd n_jobs 0", lambda: MI(LAB, LAB, discrete_x=True, discrete_y=True, n_jobs=0),
         ValueError, r"^n_jobs"),
    case("dd miller_madow 'y'", lambda: MI(LAB, LAB, discrete_x=True, discrete_y=True,
                                           miller_madow="y"), TypeError, r"^miller_madow"),
    # -- conditional_mutual_information --------------------------------------------------
    case("cmi z None", lambda: CMI(x, y, None), TypeError, r"^z: conditional_mutual_info"),
    case("cmi constant z", lambda: CMI(x, y, np.ones(60)), ValueError,
         r"^z: column 0 is constant; conditioning on a constant changes nothing"),
    # 60 rows make 5 folds (n_folds="auto" below 1,000 rows) of 48 training rows, fewer
    # than the 53 a covariance of 2 + 50 columns needs.
    case("cmi z wider than the rows", lambda: CMI(x, y, rng.normal(size=(60, 50)), **FAST),
         ValueError, r"^x, y, z: 60 rows leave 48 training rows"),
    case("cmi z missing", lambda: CMI(x, y), TypeError, r"'z'"),
    case("cmi 3-D z", lambda: CMI(x, y, np.zeros((60, 1, 1))), ValueError, r"^z: .*3 dim"),
    case("cmi z shorter", lambda: CMI(x, y, Z[:3]), ValueError, r"^z: has 3 rows"),
    case("cmi empty z", lambda: CMI(x, y, []), ValueError, r"^z: is empty"),
    case("cmi NaN in z", lambda: CMI(x, y, with_nan(Z)), ValueError, r"^z: contains NaN"),
    case("cmi string z", lambda: CMI(x, y, ["a"] * 60), TypeError,
         r"^z: expected numbers.*if these are labels, note that conditional MI takes no"),
    case("cmi complex z", lambda: CMI(x, y, Z + 1j), TypeError, r"^z: complex"),
    case("cmi boolean z", lambda: CMI(x, y, Z > 0), TypeError,
         r"^z: boolean data are discrete; note that conditional MI"),
    case("cmi constant z", lambda: CMI(x, y, np.ones(60)), ValueError,
         r"^z: column 0 is constant"),
    case("cmi too few rows", lambda: CMI(x[:4], y[:4], Z[:4]), ValueError,
         r"^x, y, z: 4 rows leave 3 training rows"),
    case("cmi discrete x", lambda: CMI(LAB, y, Z, discrete_x=True), ValueError,
         r"^z: conditioning is not available"),
    case("cmi n_bootstrap 2.5", lambda: CMI(x, y, Z, n_bootstrap=2.5), TypeError,
         r"^n_bootstrap"),
    case("cmi selection", lambda: CMI(x, y, Z, selection="loo"), ValueError, r"^selection"),
    case("cmi random_state -1", lambda: CMI(x, y, Z, random_state=-1), ValueError,
         r"^random_state"),
    case("cmi n_jobs 0", lambda: CMI(x, y, Z, n_jobs=0), ValueError, r"^n_jobs"),
    case("cmi unknown option", lambda: CMI(x, y, Z, bootstraps=3), TypeError, r"bootstraps"),
    # -- entropy -------------------------------------------------------------------------
    case("H 3-D", lambda: H(np.zeros((5, 4, 3))), ValueError, r"^x: .*3 dimensions"),
    case("H empty", lambda: H([]), ValueError, r"^x: is empty"),
    case("H one row", lambda: H([1.0]), ValueError, r"^x: at least 2 rows"),
    case("H too few rows", lambda: H([1.0, 2.0]), ValueError, r"^x: 2 rows leave 1"),
    # 60 rows: 5 folds of 48 training rows.
    case("H n_components > rows", lambda: H(x, n_components=49), ValueError,
         r"^n_components: .*49 component"),
    case("H NaN", lambda: H(with_nan(x)), ValueError, r"^x: contains NaN"),
    case("H inf", lambda: H(with_inf(x)), ValueError, r"^x: contains -inf"),
    case("H string", lambda: H(np.array(["a"] * 60)), TypeError, r"^x: expected numbers"),
    case("H object", lambda: H(np.array([object()] * 60)), TypeError, r"^x: expected numbers"),
    case("H complex", lambda: H(x + 1j), TypeError, r"^x: complex"),
    case("mi integers beyond double precision", lambda: MI(x, [10**30 + k for k in range(60)]),
         ValueError, r"^y: column 0 holds distinct integers that double precision cannot"),
    case("mi int64 beyond double precision",
         lambda: MI(np.arange(2**62, 2**62 + 60, dtype=np.int64), y), ValueError,
         r"^x: column 0 holds distinct integers"),
    case("H boolean", lambda: H(x > 0), TypeError,
         r"^x: boolean data are discrete; its entropy is the Shannon entropy"),
    case("H constant", lambda: H(np.ones(60)), ValueError,
         r"^x: column 0 is constant; its differential entropy is minus infinity"),
    case("H None", lambda: H(None), TypeError, r"^x: expected an array-like"),
    case("H unknown option", lambda: H(x, bogus=1), TypeError, r"^bogus: unknown option"),
    case("H discrete_x", lambda: H(x, discrete_x=True), TypeError, r"^discrete_x: unknown"),
    case("H n_bootstrap -1", lambda: H(x, n_bootstrap=-1), ValueError, r"^n_bootstrap"),
    case("H n_bootstrap '3'", lambda: H(x, n_bootstrap="3"), TypeError, r"^n_bootstrap"),
    case("H mc_samples 0", lambda: H(x, mc_samples=0), ValueError, r"^mc_samples"),
    case("H selection", lambda: H(x, selection="foo"), ValueError, r"^selection"),
    case("H integral", lambda: H(x, integral="foo"), ValueError, r"^integral"),
    case("H init", lambda: H(x, init="foo"), ValueError, r"^init"),
    case("H base", lambda: H(x, base="foo"), ValueError, r"^base"),
    case("H random_state -1", lambda: H(x, random_state=-1), ValueError, r"^random_state"),
    case("H n_jobs 0", lambda: H(x, n_jobs=0), ValueError, r"^n_jobs"),
    case("H two positionals", lambda: H(x, y), TypeError, r"positional"),
    # -- kl_divergence_marginals -----------------------------------------------------------
    case("kl order", lambda: KL(x, y, order="both"), ValueError, r"^order: expected one of"),
    case("kl order None", lambda: KL(x, y, order=None), ValueError, r"^order"),
    case("kl 2-D x", lambda: KL(X, y), ValueError, r"^x: KL divergence of marginals"),
    case("kl 2-D y", lambda: KL(x, X), ValueError, r"^y: "),
    case("kl 3-D x", lambda: KL(np.zeros((60, 1, 1)), y), ValueError, r"^x: .*3 dimensions"),
    case("kl y shorter", lambda: KL(x, y[:5]), ValueError, r"^y: has 5 rows"),
    case("kl empty", lambda: KL([], []), ValueError, r"^x: is empty"),
    case("kl one row", lambda: KL([1.0], [2.0]), ValueError, r"^x: at least 2 rows"),
    case("kl NaN y", lambda: KL(x, with_nan(y)), ValueError, r"^y: contains NaN"),
    case("kl string x", lambda: KL(np.array(["a"] * 60), y), TypeError, r"^x: expected numbers"),
    case("kl complex y", lambda: KL(x, y + 1j), TypeError, r"^y: complex"),
    case("kl boolean y", lambda: KL(x, y > 0), TypeError,
         r"^y: boolean data are discrete; the KL divergence of two label distributions"),
    case("kl constant y", lambda: KL(x, np.ones(60)), ValueError,
         r"^y: column 0 is constant; the KL divergence between a point mass and a density"),
    case("kl unknown option", lambda: KL(x, y, foo=1), TypeError, r"^foo: unknown option"),
    case("kl third positional", lambda: KL(x, y, Z), TypeError, r"positional"),
    case("kl n_bootstrap 2.5", lambda: KL(x, y, n_bootstrap=2.5), TypeError, r"^n_bootstrap"),
    case("kl mc_samples -5", lambda: KL(x, y, mc_samples=-5), ValueError, r"^mc_samples"),
    case("kl init", lambda: KL(x, y, init="x"), ValueError, r"^init"),
    case("kl integral", lambda: KL(x, y, integral="x"), ValueError, r"^integral"),
    case("kl base", lambda: KL(x, y, base="x"), ValueError, r"^base"),
    case("kl random_state -1", lambda: KL(x, y, random_state=-1), ValueError, r"^random_state"),
    case("kl n_jobs 0", lambda: KL(x, y, n_jobs=0), ValueError, r"^n_jobs"),
    # -- mi_matrix -----------------------------------------------------------------------
    case("matrix None", lambda: MAT(None), TypeError, r"^A: expected an array"),
    # One column alone has no pairs (was a silent 1 x 1 NaN matrix).
    case("matrix one column", lambda: MAT(X[:, :1]), ValueError, r"^A: one column has no pairs"),
    case("matrix a 1-D array alone", lambda: MAT(X[:, 0]), ValueError, r"^A: one column"),
    case("matrix 3-D A", lambda: MAT(np.zeros((60, 2, 2))), ValueError, r"^A: expected a 1-D"),
    case("matrix 3-D B", lambda: MAT(X, np.zeros((60, 2, 2))), ValueError, r"^B: expected a 1-D"),
    case("matrix empty", lambda: MAT(np.zeros((0, 2))), ValueError,
         r"^A column 'A\[0\]': is empty"),
    case("matrix one row", lambda: MAT(X[:1]), ValueError, r"^A column 'A\[0\]': at least 2"),
    # No columns: an error, as an empty x is for one pair (not an empty matrix or ranking).
    case("matrix no columns A", lambda: MAT(np.zeros((60, 0))), ValueError, r"^A: has no columns"),
    case("matrix no columns B", lambda: MAT(X, np.zeros((60, 0))), ValueError,
         r"^B: has no columns"),
    case("ranking no columns", lambda: RANK(np.zeros((60, 0)), x), ValueError,
         r"^X: has no columns"),
    case("score no columns", lambda: SCORE(np.zeros((60, 0)), x), ValueError,
         r"^X: has no columns"),
    case("matrix B shorter", lambda: MAT(X, X[:10]), ValueError,
         r"^B column 'B\[0\]': has 10 rows"),
    case("matrix NaN A", lambda: MAT(with_nan(X, 5)), ValueError,
         r"^A column 'A\[1\]': contains NaN at row 2; "),
    # The label names the column: no position within it ("column 0") after it.
    case("matrix huge column", lambda: MAT(np.c_[X, 1e300 * X[:, 0]]), ValueError,
         r"^A column 'A\[2\]': has a standard deviation of"),
    case("matrix inf B", lambda: MAT(X, with_inf(X, 5)), ValueError,
         r"^B column 'B\[1\]': contains -inf"),
    case("matrix string", lambda: MAT(np.array([["a", "b"]] * 60)), TypeError,
         r"^A column 'A\[0\]': expected numbers"),
    case("matrix object", lambda: MAT(np.array([[object(), object()]] * 60)), TypeError,
         r"^A column 'A\[0\]': expected numbers"),
    case("matrix complex", lambda: MAT(X + 1j), TypeError, r"^A column 'A\[0\]': complex"),
    case("matrix boolean", lambda: MAT(X > 0), TypeError, r"^A column 'A\[0\]': boolean"),
    case("matrix too few rows raise", lambda: MAT(X3[:3], errors="raise", **FAST), ValueError,
         r"^pair \('A\[0\]', 'A\[1\]'\): x: 3 rows"),
    case("matrix n_components > rows raise", lambda: MAT(X, n_components=49, errors="raise",
                                                         **FAST), ValueError,
         r"^pair .*49 component"),
    case("matrix constant raise", lambda: MAT(np.column_stack([x, np.ones(60)]), errors="raise",
                                              **FAST), ValueError, r"^pair .*constant"),
    case("matrix NaN label", lambda: MAT(X, with_nan(LAB), discrete_b=True), ValueError,
         r"^B column 'B': label at row 3 is nan"),
    case("matrix errors", lambda: MAT(X, errors="skip"), ValueError, r"^errors: expected one"),
    case("matrix flags length", lambda: MAT(X, discrete_a=[True]), ValueError,
         r"^discrete_a: expected 2 flags"),
    case("matrix flags B length", lambda: MAT(X, X, discrete_b=[True, False, True]), ValueError,
         r"^discrete_b: expected 2 flags"),
    case("matrix flag int in list", lambda: MAT(X, discrete_a=[1, 0]), TypeError,
         r"^discrete_a: expected True or False"),
    case("matrix flags int", lambda: MAT(X, discrete_a=1), TypeError, r"^discrete_a"),
    case("matrix flags str", lambda: MAT(X, discrete_a="yes"), TypeError, r"^discrete_a"),
    case("matrix block_size 0", lambda: MAT(X, block_size=0), ValueError, r"^block_size"),
    case("matrix block_size 2.5", lambda: MAT(X, block_size=2.5), TypeError, r"^block_size"),
    case("matrix executor", lambda: MAT(X, executor=1), TypeError, r"^executor"),
    case("matrix miller_madow", lambda: MAT(X, miller_madow=1), TypeError, r"^miller_madow"),
    case("matrix unknown option", lambda: MAT(X, foo=1), TypeError, r"^foo: unknown option"),
    case("matrix discrete_x option", lambda: MAT(X, discrete_x=True), TypeError,
         r"^discrete_x: unknown option"),
    case("matrix n_bootstrap -1", lambda: MAT(X, n_bootstrap=-1), ValueError, r"^n_bootstrap"),
    case("matrix n_bootstrap '3'", lambda: MAT(X, n_bootstrap="3"), TypeError, r"^n_bootstrap"),
    case("matrix mc_samples 0", lambda: MAT(X, mc_samples=0), ValueError, r"^mc_samples"),
    case("matrix selection", lambda: MAT(X, selection="x"), ValueError, r"^selection"),
    case("matrix integral", lambda: MAT(X, integral="x"), ValueError, r"^integral"),
    case("matrix init", lambda: MAT(X, init="x"), ValueError, r"^init"),
    case("matrix base", lambda: MAT(X, base="x"), ValueError, r"^base"),
    case("matrix random_state -1", lambda: MAT(X, random_state=-1), ValueError,
         r"^random_state"),
    case("matrix n_jobs 0", lambda: MAT(X, n_jobs=0), ValueError, r"^n_jobs"),
    # -- mi_ranking ----------------------------------------------------------------------
    case("ranking X None", lambda: RANK(None, x), TypeError, r"^X: expected an array"),
    case("ranking X 3-D", lambda: RANK(np.zeros((60, 2, 2)), x), ValueError, r"^X: expected"),
    case("ranking target 2-D", lambda: RANK(X3, X), ValueError, r"^target: expected one column"),
    case("ranking target 3-D", lambda: RANK(X3, np.zeros((60, 1, 1))), ValueError, r"^target"),
    case("ranking target scalar", lambda: RANK(X3, 3.0), ValueError, r"^target"),
    case("ranking target None", lambda: RANK(X3, None), TypeError, r"^target: .*None"),
    case("ranking target shorter", lambda: RANK(X3, x[:10]), ValueError,
         r"^target: has 10 rows but X has 60"),
    case("ranking target NaN", lambda: RANK(X3, with_nan(x)), ValueError,
         r"target'?: contains NaN"),
    case("ranking target string", lambda: RANK(X3, np.array(["a"] * 60)), TypeError,
         r"target'?: expected numbers"),
    case("ranking target empty", lambda: RANK(X3, []), ValueError, r"target'?: is empty"),
    case("ranking target constant", lambda: RANK(X3, np.ones(60), **FAST), ValueError,
         r"^target: .*constant"),
    case("ranking X NaN", lambda: RANK(with_nan(X3, 5), x), ValueError,
         r"^X column 'X\[2\]': contains NaN"),
    case("ranking discrete_features length", lambda: RANK(X3, x, discrete_features=[True]),
         ValueError, r"^discrete_features"),
    case("ranking discrete_target str", lambda: RANK(X3, LAB, discrete_target="yes"),
         TypeError, r"^discrete_target"),
    case("ranking n_bootstrap -1", lambda: RANK(X3, x, n_bootstrap=-1), ValueError,
         r"^n_bootstrap"),
    case("ranking mc_samples 2.5", lambda: RANK(X3, x, mc_samples=2.5), TypeError,
         r"^mc_samples"),
    case("ranking selection", lambda: RANK(X3, x, selection="x"), ValueError, r"^selection"),
    case("ranking unknown option", lambda: RANK(X3, x, foo=1), TypeError, r"^foo: unknown"),
    case("ranking errors option", lambda: RANK(X3, x, errors="ignore"), ValueError,
         r"^errors: expected one of"),
    case("score errors option", lambda: SCORE(X3, x, errors="raise"), TypeError,
         r"^errors: not an option of mi_score"),
    case("ranking random_state -1", lambda: RANK(X3, x, random_state=-1), ValueError,
         r"^random_state"),
    case("ranking n_jobs 0", lambda: RANK(X3, x, n_jobs=0), ValueError, r"^n_jobs"),
    case("ranking level 1", lambda: RANK(X3, x, level=1.0), ValueError, r"^level"),
    case("ranking level str", lambda: RANK(X3, x, level="95%"), ValueError, r"^level"),
    case("ranking level 10**400", lambda: RANK(X3, x, level=10**400), ValueError, r"^level"),
    # -- mi_score ------------------------------------------------------------------------
    case("score y 2-D", lambda: SCORE(X3, X), ValueError, r"^y: expected one column"),
    # A class of one row is the target's fault, whichever feature met it first.
    case("score y class of one row", lambda: SCORE(X3, np.r_[np.zeros(59, int), 1]),
         ValueError, r"^y: class 1 has only 1 rows"),
    case("score y shorter", lambda: SCORE(X3, x[:10]), ValueError, r"y'?: has 10 rows"),
    case("score y NaN", lambda: SCORE(X3, with_nan(x)), ValueError, r"y'?: contains NaN"),
    case("score y NaN label", lambda: SCORE(X3, with_nan(LAB), discrete_target=True),
         ValueError, r"y'?: label at row 3 is nan"),
    case("score y complex", lambda: SCORE(X3, x + 1j), TypeError, r"y'?: complex"),
    case("score y None", lambda: SCORE(X3, None), TypeError, r"^y: .*None"),
    case("score X string", lambda: SCORE(np.array([["a"] * 3] * 60), x), TypeError,
         r"X\[0\]'?: expected numbers"),
    case("score X complex", lambda: SCORE(X3 + 1j, x), TypeError, r"X\[0\]'?: complex"),
    case("score X 3-D", lambda: SCORE(np.zeros((60, 1, 2)), x), ValueError, r"^X: expected"),
    case("score X empty", lambda: SCORE(np.zeros((0, 3)), []), ValueError, r"is empty"),
    case("score one row", lambda: SCORE(X3[:1], x[:1]), ValueError,
         r"^X column 'X\[0\]': at least 2 rows"),
    case("score many integer classes", lambda: SCORE(X3, np.arange(60), mc_samples=500),
         ValueError, r"^y: 60 classes for 60 rows; .* \(is this variable really discrete\?\)"),
    case("score discrete_target str", lambda: SCORE(X3, x, discrete_target="maybe"), TypeError,
         r"^discrete_target"),
    case("score n_bootstrap -1", lambda: SCORE(X3, x, n_bootstrap=-1), ValueError,
         r"^n_bootstrap"),
    case("score n_bootstrap 2.5", lambda: SCORE(X3, x, n_bootstrap=2.5), TypeError,
         r"^n_bootstrap"),
    case("score integral", lambda: SCORE(X3, x, integral="x"), ValueError, r"^integral"),
    case("score unknown option", lambda: SCORE(X3, x, foo=1), TypeError, r"^foo: unknown"),
    case("score random_state -1", lambda: SCORE(X3, x, random_state=-1), ValueError,
         r"^random_state"),
    case("score n_jobs 0", lambda: SCORE(X3, x, n_jobs=0), ValueError, r"^n_jobs"),
    # -- GaussianMixture.from_parameters(...) ------------------------------------------------
    case("gm only weights", lambda: GM([1.0]), TypeError, r"means"),
    case("gm weights sum", lambda: GM([0.5], [[0.0]], [[[1.0]]]), ValueError,
         r"^weights: must sum to 1, they sum to 0\.5 \(divide them by their sum"),
    case("gm weights negative", lambda: GM([1.5, -0.5], [[0.0], [1.0]], [[[1.0]], [[1.0]]]),
         ValueError, r"^weights: every weight must be finite and positive"),
    case("gm weights zero", lambda: GM([1.0, 0.0], [[0.0], [1.0]], [[[1.0]], [[1.0]]]),
         ValueError, r"^weights"),
    case("gm weights NaN", lambda: GM([np.nan], [[0.0]], [[[1.0]]]), ValueError, r"^weights"),
    case("gm weights empty", lambda: GM([], np.zeros((0, 1)), np.zeros((0, 1, 1))), ValueError,
         r"^weights: at least one component"),
    case("gm weights count", lambda: GM([0.5, 0.5], [[0.0]], [[[1.0]]]), ValueError,
         r"^weights: expected 1 weights"),
    case("gm weights string", lambda: GM(["a"], [[0.0]], [[[1.0]]]), TypeError, r"^weights"),
    case("gm weights complex", lambda: GM([1 + 0j], [[0.0]], [[[1.0]]]), TypeError,
         r"^weights"),
    case("gm means NaN", lambda: GM([1.0], [[np.nan]], [[[1.0]]]), ValueError,
         r"^means: every mean must be finite"),
    case("gm means inf", lambda: GM([1.0], [[np.inf, 0.0]], [np.eye(2)]), ValueError, r"^means"),
    case("gm means 3-D", lambda: GM([1.0], [[[0.0]]], [[[1.0]]]), ValueError,
         r"^means: expected shape"),
    case("gm covariance not symmetric", lambda: GM([1.0], [[0.0, 0.0]], [[[1, 0.5], [0, 1]]]),
         ValueError, r"^covariances: .*not symmetric"),
    case("gm covariance not PD", lambda: GM([1.0], [[0.0, 0.0]], [[[1, 2], [2, 1]]]),
         ValueError, r"^covariances: .*not positive definite"),
    case("gm covariance zero", lambda: GM([1.0], [[0.0]], [[[0.0]]]), ValueError,
         r"^covariances"),
    case("gm covariance NaN", lambda: GM([1.0], [[0.0]], [[[np.nan]]]), ValueError,
         r"^covariances: every covariance entry must be finite"),
    case("gm covariance shape", lambda: GM([1.0], [[0.0, 0.0]], [np.eye(3)]), ValueError,
         r"^covariances: expected shape"),
    case("gm covariance 4-D", lambda: GM([1.0], [[0.0]], np.ones((1, 1, 1, 1))), ValueError,
         r"^covariances"),
    case("gm unknown kwarg", lambda: GM([1.0], [[0.0]], [[[1.0]]], tol=1), TypeError, r"tol"),
    case("gm parameters as hyperparameters",
         lambda: gmmi.GaussianMixture([1.0]).fit(X), TypeError, r"^n_components: .*from_param"),
    # -- GaussianMixture.fit -------------------------------------------------------------
    case("fit n_components > rows", lambda: FIT(X[:3], 5), ValueError,
         r"^n_components: 5 components need at least 5 rows"),
    case("fit n_components 0", lambda: FIT(X, 0), ValueError, r"^n_components"),
    case("fit n_components 2.5", lambda: FIT(X, 2.5), TypeError, r"^n_components"),
    case("fit n_components '2'", lambda: FIT(X, "2"), TypeError, r"^n_components"),
    case("fit n_components True", lambda: FIT(X, True), TypeError, r"^n_components"),
    case("fit one row", lambda: FIT(X[:1], 1, random_state=0), ValueError,
         r"^X: at least 2 rows"),
    case("fit 50 identical rows, 2 components",
         lambda: FIT(np.ones((50, 2)), 2, random_state=0), ValueError,
         r"^n_components: X has 1 distinct row\(s\), fewer distinct rows than components"),
    case("fit NaN", lambda: FIT(with_nan(X, 5)), ValueError, r"^X: contains NaN at row 2"),
    case("fit inf", lambda: FIT(with_inf(X)), ValueError, r"^X: contains -inf"),
    case("fit 3-D", lambda: FIT(np.zeros((5, 2, 2))), ValueError, r"^X: .*3 dimensions"),
    case("fit empty", lambda: FIT(np.zeros((0, 2))), ValueError, r"^X: is empty"),
    case("fit string", lambda: FIT(np.array([["a", "b"]] * 5)), TypeError, r"^X: expected"),
    case("fit object", lambda: FIT(np.array([[object()]] * 5)), TypeError, r"^X: expected"),
    case("fit complex", lambda: FIT(X + 1j), TypeError, r"^X: complex"),
    case("fit boolean", lambda: FIT(X > 0), TypeError, r"^X: boolean"),
    case("fit None", lambda: FIT(None), TypeError, r"^X: expected an array-like"),
    case("fit init", lambda: FIT(X, 2, init="foo"), ValueError, r"^init: expected one"),
    case("fit random_state -1", lambda: FIT(X, 2, random_state=-1), ValueError,
         r"^random_state"),
    case("fit tol 0", lambda: FIT(X, 2, tol=0), ValueError, r"^tol"),
    case("fit n_init 0", lambda: FIT(X, 2, n_init=0), ValueError, r"^n_init: must be at least 1"),
    case("fit n_init -1", lambda: FIT(X, 2, n_init=-1), ValueError,
         r"^n_init: must be at least 1, got -1"),
    case("fit n_components -1", lambda: FIT(X, -1), ValueError,
         r"^n_components: must be at least 1, got -1"),
    case("fit max_iter -1", lambda: FIT(X, 2, max_iter=-1), ValueError,
         r"^max_iter: must be at least 1, got -1"),
    # Starts run one after another: a bound, as for the estimator's n_inits, instead of a
    # fit that would run for hours.
    case("fit n_init 10**9", lambda: FIT(X, 2, n_init=10**9), ValueError,
         r"^n_init: must be at most 10,?000"),
    case("fit n_init 2**64", lambda: FIT(X, 2, n_init=2**64), ValueError,
         r"^n_init: must be at most 10,?000"),
    case("fit covariance_type diag", lambda: FIT(X, 2, covariance_type="diag"), ValueError,
         r"^covariance_type"),
    case("fit max_iter 0", lambda: FIT(X, 2, max_iter=0), ValueError, r"^max_iter"),
    case("fit max_iter 2**64", lambda: FIT(X, 2, max_iter=2**64), ValueError,
         r"^max_iter"),
    case("fit reg_covar -1", lambda: FIT(X, 2, reg_covar=-1), ValueError, r"^reg_covar"),
    case("fit scale 0", lambda: FIT(X, 2, init="random", scale=0), ValueError, r"^scale"),
    case("fit validation columns", lambda: FIT(X, 2, validation_data=np.zeros((3, 3))),
         ValueError, r"^validation_data: expected 2 columns"),
    case("fit validation NaN", lambda: FIT(X, 2, validation_data=np.full((3, 2), np.nan)),
         ValueError, r"^validation_data: contains NaN"),
    case("fit record_curves 1", lambda: FIT(X, 2, record_curves=1), TypeError,
         r"^record_curves"),
    case("fit n_jobs 0", lambda: FIT(X, 2, n_jobs=0), ValueError, r"^n_jobs"),
    case("fit unknown option", lambda: FIT(X, 2, threshold_fit=1e-3), TypeError,
         r"threshold_fit"),
    # -- GaussianMixture.score_samples -----------------------------------------------------
    case("score_samples unfitted", lambda: gmmi.GaussianMixture().score_samples(X), AttributeError,
         r"not fitted yet: call fit\(\)"),
    case("score_samples columns", lambda: G.score_samples(np.zeros((3, 3))), ValueError,
         r"^X has 3 features, but GaussianMixture is expecting 2"),
    case("score_samples 1-D point", lambda: G.score_samples([0.0, 0.0]), ValueError,
         r"^X has 1 features, but GaussianMixture is expecting 2 features as input \(a 1-D X "
         r"is one column"),
    case("score_samples NaN", lambda: G.score_samples([[np.nan, 0.0]]), ValueError,
         r"^X: contains NaN"),
    case("score_samples inf", lambda: G.score_samples([[np.inf, 0.0]]), ValueError,
         r"^X: contains inf"),
    case("score_samples empty", lambda: G.score_samples(np.zeros((0, 2))), ValueError,
         r"^X: is empty"),
    case("score_samples 3-D", lambda: G.score_samples(np.zeros((1, 2, 2))), ValueError,
         r"^X: .*3 dimensions"),
    case("score_samples string", lambda: G.score_samples([["a", "b"]]), TypeError,
         r"^X: expected numbers"),
    case("score_samples complex", lambda: G.score_samples([[1j, 0]]), TypeError, r"^X: complex"),
    case("score_samples boolean", lambda: G.score_samples([[True, False]]), TypeError,
         r"^X: boolean"),
    case("score_samples None", lambda: G.score_samples(None), TypeError, r"^X: expected"),
    # -- GaussianMixture.sample ----------------------------------------------------------
    case("sample 0", lambda: G.sample(0), ValueError, r"^n_samples: must be at least 1"),
    case("sample -1", lambda: G.sample(-1), ValueError, r"^n_samples"),
    case("sample 2.5", lambda: G.sample(2.5), TypeError, r"^n_samples: expected an integer"),
    case("sample '3'", lambda: G.sample("3"), TypeError, r"^n_samples"),
    case("sample True", lambda: G.sample(True), TypeError, r"^n_samples"),
    case("sample random_state -1", lambda: G.sample(3, random_state=-1), ValueError,
         r"^random_state"),
    case("sample random_state str", lambda: G.sample(3, random_state="a"), TypeError,
         r"^random_state"),
    case("sample unfitted", lambda: gmmi.GaussianMixture().sample(3), AttributeError,
         r"not fitted yet"),
    case("sample 2**64", lambda: G.sample(2**64), ValueError, r"^n_samples"),
    case("sample 2**40 aborts",
         lambda: in_child("gmmi.GaussianMixture.from_parameters([1.0], [[0.0, 0.0]], [np.eye(2)])"
                          ".sample(2**40)"),
         ValueError, r"^n_samples"),
    # -- GaussianMixture.marginal --------------------------------------------------------
    case("marginal out of range", lambda: G.marginal([5]), ValueError,
         r"^dims: 5 is out of range"),
    case("marginal negative", lambda: G.marginal([-1]), ValueError, r"^dims: -1 is out of range"),
    case("marginal string", lambda: G.marginal(["a"]), TypeError, r"^dims: expected integers"),
    case("marginal bool", lambda: G.marginal([True]), TypeError, r"^dims"),
    case("marginal float", lambda: G.marginal([0.0]), TypeError, r"^dims"),
    case("marginal str whole", lambda: G.marginal("0"), TypeError, r"^dims"),
    case("marginal empty", lambda: G.marginal([]), ValueError, r"^dims: at least one"),
    case("marginal repeated", lambda: G.marginal([0, 0]), ValueError, r"^dims: dimension 0 is rep"),
    case("marginal unfitted", lambda: gmmi.GaussianMixture().marginal([0]), AttributeError,
         r"not fitted yet"),
    case("marginal None", lambda: G.marginal(None), TypeError, r"^dims"),
    # -- load and the compatibility layer --------------------------------------------------
    case("load not JSON", lambda: gmmi.load(__file__), ValueError, r"^path"),
    case("load None", lambda: gmmi.load(None), TypeError, r"^path: expected a file path"),
    case("save to 3", lambda: gmmi.GaussianMixture.from_parameters([1.0], [[0.0]], [[[1.0]]])
         .save(3.5), TypeError, r"^path: expected a file path"),
    case("compat unknown option", lambda: EstimateMI(n_bootstraps=3), TypeError,
         r"n_bootstraps"),
    case("compat 3-column X", lambda: EstimateMI().fit(np.zeros((5, 3))), ValueError, r"^X"),
    case("compat ragged X", lambda: EstimateMI().fit([[1.0, 2.0], [3.0]]), ValueError,
         r"^X: rows of different lengths"),
    case("compat n_bootstrap 2**64", lambda: MIDistParamHolder(n_bootstrap=2**64), ValueError,
         r"^n_bootstrap: must be at most"),
    case("compat MC_samples 1e30", lambda: MIDistParamHolder(MC_samples=1e30), ValueError,
         r"^MC_samples: must be at most"),
    case("compat n_inits 2**40", lambda: SelectComponentsParamHolder(n_inits=2**40), ValueError,
         r"^n_inits: must be at most"),
]


@pytest.mark.parametrize(("call", "exc", "pattern"), BAD)
def test_bad_input_raises_a_named_error(call, exc, pattern):
    with warnings.catch_warnings():
        # Fit warnings of calls that get far before failing are not the point here.
        warnings.simplefilter("ignore", gmmi.GmmiWarning)
        with pytest.raises(exc, match=pattern):
            call()


# ---------------------------------------------------------------------------------------
# The command line: exit 1 and "gmmi: error: ..." on stderr for input errors, exit 2 with
# argparse's usage message for usage errors.
CLI_F = ["--n-bootstrap", "2", "--mc-samples", "500", "--quiet"]


def cli_case(cid, argv, code, pattern):
    return pytest.param(argv, code, pattern, id=cid)


CLI_BAD = [
    # input errors: exit 1
    cli_case("missing file", ["estimate", "@nope.csv", "--x", "a", "--y", "b"], 1,
             r"gmmi: error: FILE: .*nope.csv does not exist"),
    # A first line of numbers is data, not a header (it would be lost as one); whole numbers
    # are column names (pandas writes a frame's integer labels so).
    cli_case("no header line", ["estimate", "@nohdr.csv", "--x", "0", "--y", "1"], 1,
             r"FILE: the first line of .*nohdr.csv holds numbers \(0.5, 1.25\), not column "
             r"names; add a header line"),
    cli_case("spaces, not commas", ["estimate", "@spaces.txt", "--x", "0", "--y", "1"], 1,
             r"FILE: .*spaces.txt reads as a single column \('a b'\): it is not "
             r"comma-separated"),
    cli_case("semicolons", ["estimate", "@semi.csv", "--x", "a", "--y", "b"], 1,
             r"not comma-separated"),
    cli_case("empty npz", ["estimate", "@e.npz", "--x", "0", "--y", "1"], 1,
             r"FILE: .*e.npz holds no arrays"),
    cli_case("structured npy", ["estimate", "@st.npy", "--x", "0", "--y", "1"], 1,
             r"FILE: .*st.npy holds a structured array \(fields a, b\)"),
    cli_case("rows of two variables", ["estimate", "@len.npz", "--x", "x", "--y", "y"], 1,
             r"--y: has 40 rows but --x has 60"),
    cli_case("unknown column", ["estimate", "@d.csv", "--x", "a", "--y", "zz"], 1,
             r"column 'zz' not found"),
    cli_case("column index out of range", ["estimate", "@d.npy", "--x", "0", "--y", "5"], 1,
             r"column '5' not found"),
    cli_case("label column as continuous", ["estimate", "@d.csv", "--x", "lab", "--y", "b"], 1,
             r"column 'lab' is not numeric"),
    cli_case("NaN in data", ["estimate", "@nan.csv", "--x", "a", "--y", "b", *CLI_F], 1,
             # The file line: the header is line 1, data row 3 is line 5.
             r"FILE: column .a. has a missing value \(.nan.\) at line 5"),
    cli_case("constant column", ["estimate", "@const.csv", "--x", "a", "--y", "b", *CLI_F], 1,
             r"--x column 'a': is constant"),
    cli_case("header only", ["estimate", "@hdr.csv", "--x", "a", "--y", "b"], 1,
             r"FILE: .* needs a header line and at least one data row"),
    cli_case("empty file", ["estimate", "@empty.csv", "--x", "a", "--y", "b"], 1,
             r"FILE: .* needs a header"),
    cli_case("ragged csv", ["estimate", "@ragged.csv", "--x", "a", "--y", "b"], 1,
             r"FILE: line 3 has 1 fields"),
    cli_case("one data row", ["estimate", "@one.csv", "--x", "a", "--y", "b"], 1,
             r"--x column 'a': at least 2 rows"),
    cli_case("unknown file type", ["estimate", "@d.xlsx", "--x", "a", "--y", "b"], 1,
             r"FILE: unknown file type"),
    cli_case("empty column list", ["estimate", "@d.csv", "--x", ",", "--y", "b"], 1,
             r"--x: the column list ',' is empty"),
    # A stray comma was dropped without a word before (the estimate used a and b).
    cli_case("empty column name", ["estimate", "@d.csv", "--x", "a,,b", "--y", "b"], 1,
             r"--x: the column list 'a,,b' has an empty entry at position 2"),
    cli_case("trailing comma", ["matrix", "@d.csv", "--a", "a,b,"], 1,
             r"--a: the column list 'a,b,' has an empty entry at position 3"),
    cli_case("two discrete columns", ["estimate", "@d.csv", "--x", "a", "--y", "lab,b",
                                      "--discrete-y", *CLI_F], 1,
             r"--y: a discrete variable is a single column, got 2"),
    cli_case("n-bootstrap -1", ["estimate", "@d.csv", "--x", "a", "--y", "b",
                                "--n-bootstrap", "-1"], 2, r"--n-bootstrap: must be at least 0"),
    cli_case("mc-samples 0", ["estimate", "@d.csv", "--x", "a", "--y", "b", "--mc-samples", "0"],
             2, r"--mc-samples: must be at least 1"),
    cli_case("n-components 0", ["estimate", "@d.csv", "--x", "a", "--y", "b",
                                "--n-components", "0"], 2, r"--n-components: must be at least 1"),
    cli_case("n-components > rows", ["estimate", "@d.csv", "--x", "a", "--y", "b",
                                     "--n-components", "100", *CLI_F], 1, r"100 component"),
    cli_case("base 1", ["estimate", "@d.csv", "--x", "a", "--y", "b", "--base", "1"], 2,
             r"gmmi estimate: error: --base: must be > 1"),
    cli_case("base 0.5", ["estimate", "@d.csv", "--x", "a", "--y", "b", "--base", "0.5"], 2,
             r"--base"),
    cli_case("random-state -1", ["estimate", "@d.csv", "--x", "a", "--y", "b",
                                 "--random-state", "-1"], 2, r"--random-state: must be in"),
    cli_case("n-jobs 0", ["estimate", "@d.csv", "--x", "a", "--y", "b", "--n-jobs", "0"], 2,
             r"--n-jobs: must be a positive number"),
    cli_case("demo n-bootstrap -1", ["demo", "--n-bootstrap", "-1", "--quiet"], 2,
             r"--n-bootstrap"),
    cli_case("demo n-jobs 0", ["demo", "--n-jobs", "0", "--quiet"], 2, r"--n-jobs"),
    cli_case("matrix unknown column", ["matrix", "@d.csv", "--a", "a,zz"], 1,
             r"column 'zz' not found"),
    cli_case("matrix label column", ["matrix", "@d.csv", "--a", "a,lab", *CLI_F], 1,
             r"--a: column 'lab' is not numeric \('c0' at line 2\)"),
    cli_case("matrix NaN", ["matrix", "@nan.csv", "--a", "a,b", *CLI_F], 1,
             r"FILE: column .a. has a missing value \(.nan.\) at line 5"),
    cli_case("matrix mc-samples 0", ["matrix", "@d.csv", "--a", "a,b", "--mc-samples", "0"], 2,
             r"--mc-samples"),
    cli_case("matrix of one column", ["matrix", "@d.csv", "--a", "a"], 1,
             r"--a: one column has no pairs"),
    cli_case("matrix with nothing estimated", ["matrix", "@const.csv", "--a", "a,b", *CLI_F], 1,
             r"failed: \(a, b\): 'a': is constant.*\n.*no pair could be estimated"),
    cli_case("output over the input", ["matrix", "@d.csv", "--a", "a,b", "--out", "@d.csv"], 1,
             r"--out: .*d.csv is the input FILE"),
    cli_case("plot over the output", ["rank", "@d.csv", "--features", "a", "--target", "b",
                                      "--out", "@r.png", "--plot", "@r.png"], 1,
             r"--plot: .*r.png is also the --out file"),
    cli_case("rank target among features", ["rank", "@d.csv", "--features", "a,b",
                                            "--target", "b"], 1,
             r"--target: the column 'b' is also one of --features"),
    cli_case("rank with nothing scored", ["rank", "@const.csv", "--features", "a",
                                          "--target", "b", *CLI_F], 1,
             r"no feature could be scored"),
    cli_case("rank two targets", ["rank", "@d.csv", "--features", "a", "--target", "b,lab"], 1,
             r"--target: expected one column, got 'b,lab'"),
    cli_case("rank label feature", ["rank", "@d.csv", "--features", "a,lab", "--target", "b",
                                    *CLI_F], 1,
             r"--features: column 'lab' is not numeric \('c0' at line 2\); for labels use "
             r"--discrete-features"),
    cli_case("rank unknown target", ["rank", "@d.csv", "--features", "a", "--target", "zz"], 1,
             r"column 'zz' not found"),
    cli_case("rank level 1", ["rank", "@d.csv", "--features", "a,b", "--target", "lab",
                              "--discrete-target", "--level", "1", *CLI_F], 2, r"--level"),
    cli_case("mc-samples word", ["estimate", "@d.csv", "--x", "a", "--y", "b",
                                 "--mc-samples", "lots"], 2, r"expected 'auto'"),
    cli_case("mc-samples huge", ["estimate", "@d.csv", "--x", "a", "--y", "b",
                                 "--n-bootstrap", "2", "--mc-samples", "9" * 23], 2,
             r"--mc-samples: must be at most"),
    cli_case("scalar .npy", ["estimate", "@scalar.npy", "--x", "0", "--y", "1"], 1,
             r"FILE"),
    cli_case("3-D .npy", ["estimate", "@cube.npy", "--x", "0", "--y", "1", *CLI_F], 1,
             r"FILE"),
    cli_case("directory named .csv", ["estimate", "@dir.csv", "--x", "a", "--y", "b"], 1,
             r"FILE"),
    cli_case("blank cell", ["estimate", "@blank.csv", "--x", "a", "--y", "b", *CLI_F], 1,
             r"FILE: column 'a' has an empty cell \(a missing value\) at line 5"),
    cli_case("not a .npy", ["estimate", "@bad.npy", "--x", "0", "--y", "1"], 1,
             r"FILE: .*bad.npy"),
    # usage errors: exit 2
    cli_case("unknown command", ["frobnicate"], 2, r"invalid choice: 'frobnicate'"),
    cli_case("no command", [], 2, r"usage: gmmi"),
    cli_case("missing --y", ["estimate", "@d.csv", "--x", "a"], 2,
             r"the following arguments are required: --y"),
    cli_case("missing FILE", ["estimate"], 2, r"required: FILE"),
    cli_case("unknown option", ["estimate", "@d.csv", "--x", "a", "--y", "b", "--frob"], 2,
             r"unrecognized arguments: --frob"),
    cli_case("n-bootstrap 2.5", ["estimate", "@d.csv", "--x", "a", "--y", "b",
                                 "--n-bootstrap", "2.5"], 2,
             r"argument --n-bootstrap: invalid int value: '2.5'"),
    cli_case("n-bootstrap text", ["estimate", "@d.csv", "--x", "a", "--y", "b",
                                  "--n-bootstrap", "x"], 2, r"--n-bootstrap: invalid int"),
    cli_case("random-state 1.5", ["estimate", "@d.csv", "--x", "a", "--y", "b",
                                  "--random-state", "1.5"], 2, r"--random-state: invalid int"),
    cli_case("integral", ["estimate", "@d.csv", "--x", "a", "--y", "b", "--integral", "simpson"],
             2, r"--integral: invalid choice"),
    cli_case("selection", ["estimate", "@d.csv", "--x", "a", "--y", "b", "--selection", "waic"],
             2, r"--selection: invalid choice"),
    cli_case("base text", ["estimate", "@d.csv", "--x", "a", "--y", "b", "--base", "dB"], 2,
             r"--base: expected nat, bit or a number"),
    cli_case("matrix base text", ["matrix", "@d.csv", "--a", "a,b", "--base", "x"], 2,
             r"--base"),
    cli_case("rank missing target", ["rank", "@d.csv", "--features", "a"], 2,
             r"the following arguments are required: --target"),
    cli_case("init", ["estimate", "@d.csv", "--x", "a", "--y", "b", "--init", "kmeans++"], 2,
             r"--init"),
]


@pytest.fixture
def files(tmp_path):
    """Writes the data files the command-line cases name as ``@file``; returns the folder."""
    rows = "\n".join(f"{u},{v},c{i % 2}" for i, (u, v) in enumerate(X))
    (tmp_path / "d.csv").write_text("a,b,lab\n" + rows + "\n")
    (tmp_path / "nan.csv").write_text("a,b\n" + "\n".join(
        f"{'nan' if i == 3 else u},{v}" for i, (u, v) in enumerate(X)) + "\n")
    (tmp_path / "blank.csv").write_text("a,b\n" + "\n".join(
        f"{'' if i == 3 else u},{v}" for i, (u, v) in enumerate(X)) + "\n")
    (tmp_path / "const.csv").write_text("a,b\n" + "\n".join(f"1.0,{v}" for v in y) + "\n")
    (tmp_path / "hdr.csv").write_text("a,b\n")
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "ragged.csv").write_text("a,b\n1,2\n3\n")
    (tmp_path / "one.csv").write_text("a,b\n1,2\n")
    (tmp_path / "d.xlsx").write_text("not a spreadsheet")
    (tmp_path / "bad.npy").write_text("not numpy")
    (tmp_path / "dir.csv").mkdir()
    # Blank lines between rows and at the end, as editors and scripts leave them.
    lines = ["a,b,lab", *rows.splitlines()]
    (tmp_path / "gaps.csv").write_text("\n".join([*lines[:40], "", "  ", *lines[40:]])
                                        + "\n\n\n")
    (tmp_path / "nohdr.csv").write_text("0.5,1.25\n" + rows.replace(",c0", "").replace(
        ",c1", "") + "\n")
    (tmp_path / "spaces.txt").write_text("a b\n" + "\n".join(f"{u} {v}" for u, v in X) + "\n")
    (tmp_path / "semi.csv").write_text("a;b\n" + "\n".join(f"{u};{v}" for u, v in X) + "\n")
    np.savez(tmp_path / "e.npz")
    np.save(tmp_path / "st.npy", np.zeros(10, dtype=[("a", float), ("b", float)]))
    np.savez(tmp_path / "len.npz", x=X[:, 0], y=X[:40, 1])
    np.save(tmp_path / "d.npy", X)
    np.save(tmp_path / "scalar.npy", np.float64(3.0))
    np.save(tmp_path / "cube.npy", rng.normal(size=(60, 2, 2)))
    return tmp_path


def run_cli(argv):
    try:
        return cli_main(argv)
    except SystemExit as e:  # argparse usage errors
        return e.code


@pytest.mark.parametrize(("argv", "code", "pattern"), CLI_BAD)
def test_cli_exit_codes(files, capsys, argv, code, pattern):
    argv = [str(files / a[1:]) if a.startswith("@") else a for a in argv]
    rc = run_cli(argv)
    err = capsys.readouterr().err
    assert rc == code, err
    assert re.search(pattern, err), err


def test_cli_valid_runs_exit_0(files, capsys):
    files = {n: str(files / n) for n in ("d.csv", "d.npy")}
    assert run_cli(["estimate", files["d.csv"], "--x", "a", "--y", "b", *CLI_F]) == 0
    assert capsys.readouterr().out.startswith("MI = ")
    assert run_cli(["estimate", files["d.csv"], "--x", "a", "--y", "lab", "--discrete-y",
                    "--json", *CLI_F]) == 0
    assert json.loads(capsys.readouterr().out)["estimator"] == "gmm-categorical"
    assert run_cli(["estimate", files["d.npy"], "--x", "0", "--y", "-1", "--base", "2",
                    *CLI_F]) == 0
    assert " bit " in capsys.readouterr().out
    assert run_cli(["--version"]) == 0
    assert capsys.readouterr().out.startswith("gmmi ")
    # Column names that are whole numbers are a header (pandas' integer column labels).
    ints = Path(files["d.csv"]).parent / "intcols.csv"
    ints.write_text("0,1\n" + "\n".join(f"{u},{v}" for u, v in X) + "\n")
    assert run_cli(["estimate", str(ints), "--x", "0", "--y", "1", *CLI_F]) == 0
    assert capsys.readouterr().out.startswith("MI = ")


def test_cli_output_to_a_closed_pipe_stops_quietly(files, capsys, monkeypatch):
    # `gmmi ... | head -1`: the reader went away; exit 0 without an error line, as Unix
    # tools do (the failed write raised BrokenPipeError out of print).
    real_print = builtins.print

    def closed(*args, **kwargs):
        if kwargs.get("file") is None:
            raise BrokenPipeError(32, "Broken pipe")
        real_print(*args, **kwargs)

    monkeypatch.setattr(builtins, "print", closed)
    assert run_cli(["estimate", str(files / "d.csv"), "--x", "a", "--y", "b", *CLI_F]) == 0
    assert "error" not in capsys.readouterr().err


def test_cli_skips_blank_lines_and_speaks_in_options(files, capsys):
    """Blank lines of a CSV are no rows (the estimate is the one without them, to the last
    bit); the library's messages name the command line's options, not Python's."""
    d, gaps = str(files / "d.csv"), str(files / "gaps.csv")
    assert run_cli(["estimate", d, "--x", "a", "--y", "b", "--json", *CLI_F]) == 0
    plain = json.loads(capsys.readouterr().out)
    assert run_cli(["estimate", gaps, "--x", "a", "--y", "b", "--json", *CLI_F]) == 0
    assert json.loads(capsys.readouterr().out)["mean"] == plain["mean"]
    # A column of a few integers looks like labels: the advice is the flag to type.
    ints = files / "ints.csv"
    ints.write_text("a,k\n" + "\n".join(f"{u},{i % 3}" for i, (u, _) in enumerate(X)) + "\n")
    assert run_cli(["estimate", str(ints), "--x", "a", "--y", "k", *CLI_F]) == 0
    err = capsys.readouterr().err
    assert "pass --discrete-y (" in err and "discrete_y" not in err, err


# ---------------------------------------------------------------------------------------
# Unusual but valid input: must work, and give exactly what the plain float64 C-contiguous
# NumPy input gives (the conversion is exact), except where noted.
def _readonly(a):
    b = np.array(a)
    b.setflags(write=False)
    return b


def _same(a, b):
    """Equal results of any public function, compared exactly (NaN == NaN)."""
    if isinstance(a, gmmi.MIResult):
        np.testing.assert_array_equal(a.samples, b.samples)
        assert (a.mean, a.n_components) == (b.mean, b.n_components)
    elif isinstance(a, gmmi.MIMatrix):
        np.testing.assert_array_equal(a.mean, b.mean)
        np.testing.assert_array_equal(a.std, b.std)
    elif isinstance(a, gmmi.MIRanking):
        np.testing.assert_array_equal(a.mean, b.mean)
    elif isinstance(a, gmmi.GaussianMixture):
        for attr in ("weights_", "means_", "covariances_"):
            np.testing.assert_array_equal(getattr(a, attr), getattr(b, attr))
    else:
        np.testing.assert_array_equal(a, b)


Xi = (X * 10).round().astype(np.int64)  # integers with many distinct values (no ties warning)
F32 = X.astype(np.float32)
F32x64 = F32.astype(np.float64)
Xf = np.asfortranarray(X)
Wide = rng.normal(size=(120, 2))
G2 = FIT(X, 2, random_state=0)

MUST_WORK = [
    ("strided x[::2]", lambda: MI(Wide[::2, 0], Wide[::2, 1], **FAST),
     lambda: MI(np.ascontiguousarray(Wide[::2, 0]), np.ascontiguousarray(Wide[::2, 1]), **FAST)),
    ("strided column of 2-D", lambda: MI(X[:, 0], X[:, 1], **FAST), lambda: MI(x, y, **FAST)),
    ("reversed view", lambda: MI(x[::-1], y[::-1], **FAST),
     lambda: MI(x[::-1].copy(), y[::-1].copy(), **FAST)),
    ("fortran 2-D x", lambda: MI(Xf, Z, **FAST), lambda: MI(X, Z, **FAST)),
    ("read-only x, y, z", lambda: MI(_readonly(x), _readonly(y), _readonly(Z), **FAST),
     lambda: MI(x, y, Z, **FAST)),
    ("int64", lambda: MI(Xi[:, 0], Xi[:, 1], **FAST),
     lambda: MI(Xi[:, 0].astype(float), Xi[:, 1].astype(float), **FAST)),
    ("int32 + uint16", lambda: MI(Xi[:, 0].astype(np.int32), (Xi[:, 1] + 100).astype(np.uint16),
                                  **FAST),
     lambda: MI(Xi[:, 0].astype(float), (Xi[:, 1] + 100).astype(float), **FAST)),
    ("float32", lambda: MI(F32[:, 0], F32[:, 1], **FAST),
     lambda: MI(F32x64[:, 0], F32x64[:, 1], **FAST)),
    ("python lists", lambda: MI(x.tolist(), y.tolist(), Z.tolist(), **FAST),
     lambda: MI(x, y, Z, **FAST)),
    ("list of rows", lambda: MI(X.tolist(), Z, **FAST), lambda: MI(X, Z, **FAST)),
    ("tuple", lambda: MI(tuple(x), tuple(y), **FAST), lambda: MI(x, y, **FAST)),
    ("column vectors", lambda: MI(x[:, None], y[:, None], **FAST), lambda: MI(x, y, **FAST)),
    ("numeric strings", lambda: MI(x.astype(str), y, **FAST), lambda: MI(x, y, **FAST)),
    ("object array of floats", lambda: MI(np.array(list(x), dtype=object), y, **FAST),
     lambda: MI(x, y, **FAST)),
    ("Generator seed", lambda: MI(x, y, n_bootstrap=2, mc_samples=500,
                                  random_state=np.random.default_rng(7)),
     lambda: MI(x, y, n_bootstrap=2, mc_samples=500,
                random_state=int(np.random.default_rng(7).integers(0, 2**63 - 1)))),
    ("n_bootstrap 2.0 float", lambda: MI(x, y, n_bootstrap=2.0, mc_samples=500, random_state=0),
     lambda: MI(x, y, **FAST)),
    ("numpy integer options", lambda: MI(x, y, n_bootstrap=np.int64(2),
                                         mc_samples=np.int32(500), random_state=np.uint8(0)),
     lambda: MI(x, y, **FAST)),
    ("labels as list of str", lambda: MI(x, ["u" if v else "v" for v in LAB], discrete_y=True,
                                         **FAST),
     lambda: MI(x, np.where(LAB, "u", "v"), discrete_y=True, **FAST)),
    ("labels read-only strided", lambda: MI(x, _readonly(np.repeat(LAB, 2)[::2]),
                                            discrete_y=True, **FAST),
     lambda: MI(x, LAB, discrete_y=True, **FAST)),
    ("bool labels", lambda: MI(x, LAB.astype(bool), discrete_y=True, **FAST),
     lambda: MI(x, LAB, discrete_y=True, **FAST)),
    ("discrete-discrete lists", lambda: MI(LAB.tolist(), LAB[::-1].tolist(), discrete_x=True,
                                           discrete_y=True, **DD_FAST),
     lambda: MI(LAB, LAB[::-1].copy(), discrete_x=True, discrete_y=True, **DD_FAST)),
    ("entropy fortran read-only", lambda: H(_readonly(Xf), **FAST), lambda: H(X, **FAST)),
    ("kl float32 lists", lambda: KL(F32[:, 0].tolist(), F32[:, 1].tolist(), **FAST),
     lambda: KL(F32x64[:, 0], F32x64[:, 1], **FAST)),
    ("cmi strided z", lambda: CMI(x, y, np.repeat(Z, 2)[::2], **FAST),
     lambda: CMI(x, y, Z, **FAST)),
    ("matrix fortran int", lambda: MAT(np.asfortranarray(Xi), **FAST),
     lambda: MAT(Xi.astype(float), **FAST)),
    ("matrix lists", lambda: MAT(X.tolist(), Z.tolist(), **FAST), lambda: MAT(X, Z, **FAST)),
    ("ranking read-only float32", lambda: RANK(_readonly(F32), _readonly(Z), **FAST),
     lambda: RANK(F32x64, Z, **FAST)),
    ("score lists", lambda: SCORE(X3.tolist(), x.tolist(), mc_samples=500),
     lambda: SCORE(X3, x, mc_samples=500)),
    ("gm fit fortran float32", lambda: FIT(np.asfortranarray(F32), 2, random_state=0),
     lambda: FIT(F32x64, 2, random_state=0)),
    ("gm fit read-only lists", lambda: FIT(_readonly(X).tolist(), 2, random_state=0),
     lambda: G2),
    ("gm score strided read-only", lambda: G2.score_samples(_readonly(Wide)[::2]),
     lambda: G2.score_samples(np.ascontiguousarray(Wide[::2]))),
    ("gm score int", lambda: G2.score_samples(Xi), lambda: G2.score_samples(Xi.astype(float))),
    ("gm from lists", lambda: GM([0.25, 0.75], [[0, 0], [1, 1]], [[[1, 0], [0, 1]]] * 2),
     lambda: GM(np.array([0.25, 0.75]), np.array([[0.0, 0], [1, 1]]), np.array([np.eye(2)] * 2))),
    ("gm marginal numpy ints", lambda: G2.marginal(np.array([1])), lambda: G2.marginal([1])),
]


@pytest.mark.parametrize(("call", "reference"), [c[1:] for c in MUST_WORK],
                         ids=[c[0] for c in MUST_WORK])
def test_unusual_valid_input_works_and_matches(call, reference):
    with warnings.catch_warnings():
        warnings.simplefilter("error", gmmi.GmmiWarning)  # nothing to warn about here
        got, want = call(), reference()
    if isinstance(got, gmmi.MIResult):
        assert np.isfinite(got.mean) and np.isfinite(got.samples).all()
    _same(got, want)


def test_pandas_inputs_work_and_match():
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"a": x, "b": y, "c": Z, "lab": pd.Categorical(np.where(LAB, "u", "v"))},
                      index=np.arange(100, 160))  # a non-default index must not matter
    with warnings.catch_warnings():
        warnings.simplefilter("error", gmmi.GmmiWarning)
        _same(MI(df["a"], df["b"], **FAST), MI(x, y, **FAST))
        _same(MI(df[["a", "b"]], df["c"], **FAST), MI(X, Z, **FAST))
        _same(MI(df["a"], df["b"], df[["c"]], **FAST), MI(x, y, Z, **FAST))
        _same(MI(df["a"], df["lab"], discrete_y=True, **FAST),
              MI(x, np.where(LAB, "u", "v"), discrete_y=True, **FAST))
        _same(H(df[["a", "b"]], **FAST), H(X, **FAST))
        _same(KL(df["a"], df["b"], **FAST), KL(x, y, **FAST))
        m = MAT(df[["a", "b"]], df[["c"]], **FAST)
        assert (m.row_labels, m.col_labels) == (["a", "b"], ["c"])  # names kept
        _same(m, MAT(X, Z, **FAST))
        r = RANK(df[["a", "b"]], df["c"], **FAST)
        _same(r, RANK(X, Z, **FAST))
        assert set(r.features) == {"a", "b"}
        _same(SCORE(df[["a", "b"]], df["lab"], mc_samples=500),
              SCORE(X, np.where(LAB, "u", "v"), mc_samples=500))
        _same(FIT(df[["a", "b"]], 2, random_state=0), G2)


def test_huge_max_components_is_harmless():
    # Regression: the core listed 1..=max_components up front, so 2**40 aborted the process
    # on a failed allocation. The search stops long before (patience, training-fold size):
    # any bound above that gives the same result. In a child, so an abort fails one test.
    in_child("a = gmmi.mutual_information(x, y, max_components=2**40, n_bootstrap=2,"
             " mc_samples=500, random_state=0)\n"
             "b = gmmi.mutual_information(x, y, n_bootstrap=2, mc_samples=500,"
             " random_state=0)\n"
             "assert (a.mean, a.n_components) == (b.mean, b.n_components), (a, b)")


def test_cli_matrix(tmp_path, capsys):
    csv = tmp_path / "d.csv"
    csv.write_text("a,b,lab\n" + "\n".join(f"{u},{v},c{i % 2}" for i, (u, v) in
                                          enumerate(X)))
    out, png = tmp_path / "m.csv", tmp_path / "m.png"
    assert cli_main(["matrix", str(csv), "--a", "a,b", "--b", "lab", "--discrete-b",
                     "--n-bootstrap", "2", "--mc-samples", "500", "--out", str(out),
                     "--plot", str(png), "--quiet"]) == 0
    assert "lab" in capsys.readouterr().out
    assert out.read_text().splitlines()[0] == "row,col,mean,std,n_components,error"
    assert png.stat().st_size > 1000
    assert cli_main(["matrix", str(csv), "--a", "a,zz"]) == 1
    assert "column 'zz'" in capsys.readouterr().err


def test_core_binding_checks_the_column_count():
    # Regressions: the raw bindings used to reshape silently (a (3, 4) array scored as 6
    # rows of a 2-D model; em_step divided by the wrong row count).
    from gmmi import _core

    m = _core.GaussianMixture(np.array([1.0]), np.zeros((1, 2)), np.eye(2)[None])
    for call in (lambda: m.score_samples(np.zeros((3, 4))),
                 lambda: m.responsibilities(np.zeros((3, 4))),
                 lambda: m.aic(np.zeros((3, 4))),
                 lambda: _core.em_step(m, np.zeros((5, 3)), 1e-6)):
        with pytest.raises(ValueError, match=r"^X: expected 2 columns"):
            call()


def test_affine_names_the_bad_argument():
    with pytest.raises(ValueError, match=r"^scale: expected a number or 2 values"):
        G.affine([1.0, 2.0, 3.0], 0.0)
    with pytest.raises(ValueError, match=r"^shift: must be finite"):
        G.affine(1.0, np.nan)
    with pytest.raises(ValueError, match=r"^scale: must be non-zero"):
        G.affine([1.0, 0.0], 0.0)


@pytest.mark.parametrize("call, advice", [
    (lambda v: CMI(x, y, v, **FAST), r"^z: .*if it is a label, note that conditional MI takes "
                                     r"no discrete variable: for a discrete z, average"),
    (lambda v: gmmi.entropy(v, **FAST), r"^x: .*its entropy is the Shannon entropy"),
    (lambda v: gmmi.pointwise_mutual_information(v, y, n_draws=200, **FAST),
     r"^x: .*pointwise MI takes no discrete variable"),
    (lambda v: MI(v, y, **FAST), r"^x: .*if it is a label, pass discrete_x=True"),
])
def test_labels_get_advice_the_call_can_follow(call, advice):
    # "pass discrete=True" (CMI) and "pass discrete_x=True" (entropy) named options that
    # do not exist.
    labels = np.arange(60) % 3 + 0.0
    with pytest.warns(gmmi.DiscreteDataWarning, match=advice):
        try:
            call(labels)
        except (ValueError, gmmi.NumericalError):
            pass  # a density of three values may not fit; the advice came first


def test_check_fit_and_pointwise_name_the_argument_at_fault():
    r = MI(x, y, **FAST)
    with pytest.raises(ValueError, match=r"^k: 10 neighbours need at least 10 k \+ 1 = 101 rows"):
        r.check_fit(x, y, k=10)
    p = gmmi.pointwise_mutual_information(x, y, n_draws=200, n_bootstrap=1, random_state=0)
    with pytest.raises(ValueError, match=r"^ci: an interval needs at least two bootstrap"):
        p.ci()


def test_cli_translates_only_the_library_s_words_for_its_own_options(files, capsys, tmp_path):
    # A row of empty cells is a row of missing values, not a blank line (it was dropped).
    d = (files / "d.csv").read_text().splitlines()
    (tmp_path / "gap.csv").write_text("\n".join([*d[:30], ",,", *d[30:]]) + "\n")
    assert run_cli(["estimate", str(tmp_path / "gap.csv"), "--x", "a", "--y", "b"]) == 1
    assert "column 'a' has an empty cell (a missing value) at line 31" in \
        capsys.readouterr().err
    # Paths and quoted values keep their words (a Hive-style directory "n_bootstrap=5").
    run = tmp_path / "n_bootstrap=5"
    run.mkdir()
    (run / "bad.csv").write_bytes(b"a,b\n\xff,1\n")
    assert run_cli(["estimate", str(run / "bad.csv"), "--x", "a", "--y", "b"]) == 1
    assert "n_bootstrap=5/bad.csv is not UTF-8" in capsys.readouterr().err
    from gmmi import cli
    cli._COMMAND_OPTIONS = frozenset({"--transform", "--n-bootstrap"})
    try:
        # An option the subcommand has is named as typed; one it has not keeps its name.
        assert cli._cli_text("Compare with transform='identity' and a larger n_components: "
                             "use init='kmeans'") == \
            "Compare with --transform identity and a larger n_components: use init='kmeans'"
        assert cli._cli_text("n_bootstrap: got -1 ('n_bootstrap=5')") == \
            "--n-bootstrap: got -1 ('n_bootstrap=5')"
    finally:
        cli._COMMAND_OPTIONS = frozenset()
    # A constant conditioning column is refused in the conditioning's terms, an infinite
    # cell by its file line.
    rows = (files / "d.csv").read_text().splitlines()
    (tmp_path / "cz.csv").write_text("a,b,c\n" + "\n".join(
        f"{r.split(',')[0]},{r.split(',')[1]},1" for r in rows[1:]) + "\n")
    assert run_cli(["estimate", str(tmp_path / "cz.csv"), "--x", "a", "--y", "b",
                    "--z", "c"]) == 1
    assert "--z column 'c': is constant; conditioning on a constant changes nothing" in \
        capsys.readouterr().err
    (tmp_path / "inf.csv").write_text("a,b\n\n1,2\n3,inf\n5,6\n")
    assert run_cli(["estimate", str(tmp_path / "inf.csv"), "--x", "a", "--y", "b"]) == 1
    assert "FILE: column 'b' has inf at line 4" in capsys.readouterr().err


def test_cli_names_a_block_s_columns_by_the_header(tmp_path, capsys):
    # A warning about one column of a block of several said "x column 1" (its position in
    # the block passed to the library): the command line names it by the file's header.
    rng = np.random.default_rng(0)
    a, p = rng.normal(size=600), rng.standard_t(1, size=600)
    b = a + rng.normal(size=600)
    f = tmp_path / "mix.csv"
    f.write_text("a,p,b\n" + "".join(f"{u:.6g},{v:.6g},{w:.6g}\n" for u, v, w in zip(a, p, b)))
    assert run_cli(["estimate", str(f), "--x", "a,p", "--y", "b", *CLI_F]) == 0
    err = capsys.readouterr().err
    assert "HeavyTailWarning: --x column 'p': heavy tails" in err, err
    assert "x column 1" not in err


@pytest.mark.parametrize(("call", "names"), [
    (lambda: MI(LAB, LAB, discrete_x=True, discrete_y=True, transform="asinh", **DD_FAST),
     "transform"),
    (lambda: MI(LAB, LAB, discrete_x=True, discrete_y=True, n_components=3, init="kmeans",
                **DD_FAST), "n_components, init"),
    (lambda: MI(LAB, LAB, discrete_x=True, discrete_y=True, **FAST), "mc_samples"),
])
def test_options_two_discrete_variables_cannot_use_are_named_not_silently_dropped(call, names):
    # Found by a review: they changed nothing, without a word. A warning, not an error: one
    # set of options serves every kind of pair (as in mi_matrix).
    with pytest.warns(gmmi.GmmiWarning, match=rf"^{names}: two discrete variables have no "
                                              r"mixture to fit .*; ignored"):
        r = call()
    assert r == MI(LAB, LAB, discrete_x=True, discrete_y=True, **DD_FAST)


@pytest.mark.parametrize("call", [
    lambda: MI(x, y, miller_madow=True, **FAST),
    lambda: MI(x, LAB, discrete_y=True, miller_madow=True, **FAST),
])
def test_miller_madow_outside_two_discrete_variables_is_named_not_silently_dropped(call):
    with pytest.warns(gmmi.GmmiWarning, match=r"^miller_madow: the Miller-Madow correction is "
                                              r"of a table of counts.*; ignored"):
        call()


def test_cli_saves_a_result_that_loads_and_explains_its_json_summary(files, capsys, tmp_path):
    saved, summary = tmp_path / "r.json", tmp_path / "summary.json"
    assert run_cli(["estimate", str(files / "d.csv"), "--x", "a", "--y", "b", "--json",
                    "--save", str(saved), *CLI_F]) == 0
    summary.write_text(capsys.readouterr().out)
    r = gmmi.load(saved)
    assert r.mean == json.loads(summary.read_text())["mean"] and r.model is not None
    with pytest.raises(ValueError, match=r"is the summary the command line prints with "
                                         r"--json, not a saved result"):
        gmmi.load(summary)
    assert run_cli(["estimate", str(files / "d.csv"), "--x", "a", "--y", "b", "--save",
                    str(files / "d.csv"), *CLI_F]) == 1
    assert "--save: " in capsys.readouterr().err


def test_cli_discrete_labels_are_the_cells_as_written(tmp_path, capsys):
    # A discrete column read as numbers merged labels that read as one double: identifiers
    # beyond 2**53 and codes with leading zeros made a single class (MI 0, exit 0). Two
    # classes two standard deviations apart carry MI of about 0.34 nat, far from 0.
    r = np.random.default_rng(5)
    lab = r.integers(0, 2, 400)
    xs = 2.0 * lab + r.normal(size=400)
    for a, b in (("9007199254740992", "9007199254740993"), ("2134", "02134"), ("1", "1.0")):
        csv = tmp_path / "ids.csv"
        csv.write_text("x,id\n" + "".join(f"{v},{b if k else a}\n" for v, k in zip(xs, lab)))
        assert cli_main(["estimate", str(csv), "--x", "x", "--y", "id", "--discrete-y",
                         "--n-bootstrap", "2", "--mc-samples", "1000", "--json"]) == 0
        out = json.loads(capsys.readouterr().out)
        # (one merged class gives exactly 0 with a ZeroInformationWarning)
        assert out["mean"] > 0.2, (a, b, out["mean"])
    # Whole numbers written plainly stay integers (sorted as numbers, saved as numbers).
    from gmmi.cli import _labels
    assert _labels([" 10", "9", "-3"]).tolist() == [10, 9, -3]
    assert _labels(["10", "09"]).tolist() == ["10", "09"]
    assert _labels(["1", str(2**63)]).tolist() == ["1", str(2**63)]


def test_cli_refuses_python_digit_separators_as_numbers(tmp_path, capsys):
    # float("1_000") is 1000 in Python; pandas and NumPy read the cell as text.
    csv = tmp_path / "u.csv"
    csv.write_text("a,b\n" + "".join(f"{u},{v}\n" for u, v in X[:-1]) + "1.0,1_000\n")
    assert cli_main(["estimate", str(csv), "--x", "a", "--y", "b", "--n-bootstrap", "2"]) == 1
    assert "column 'b' is not numeric ('1_000' at line 61)" in capsys.readouterr().err


def test_a_dataframe_with_a_missing_value_in_a_nullable_column_is_a_missing_value():
    # The frame's to_numpy() is an object array (pandas.NA beside floats), which used to be
    # refused as "not numbers; for labels use discrete_x=True".
    pd = pytest.importorskip("pandas")
    col = pd.array(np.round(10 * x), dtype="Int64")
    col[4] = pd.NA
    frame = pd.DataFrame({"a": y, "k": col})
    with pytest.raises(ValueError, match=r"^x: contains NaN at row 4, column 1"):
        MI(frame, Z, **FAST)
    # An object column of words is still refused as labels.
    with pytest.raises(TypeError, match=r"for labels use discrete_x=True"):
        MI(np.array(["a", None] * 30, dtype=object), y, **FAST)
