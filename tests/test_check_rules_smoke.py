"""``benches/check_rules.py``: the automatic check's rules on the same estimates.

The script's "now" rule must be the estimator's own check, made afterwards on an estimate
computed without it: the same looks, verdict and interval (extension included) as
``mutual_information(..., check=None)``. Its "before" rule is session 54's, with the KSG's
3 neighbours where the package now takes 10.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

import gmmi

from conftest import load_bench, needs_bench

pytestmark = needs_bench("check_rules")


def _module() -> Any:
    return load_bench("check_rules")


def _asinh_student_t(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    # asinh of a 3+3 Student t with one degree of freedom (MI 0.585 nat): the mixture misses
    # the shared scale and its check fails (tests/test_check_fit.py, same seed).
    rng = np.random.default_rng(seed)
    t = rng.normal(size=(n, 6)) / np.sqrt(rng.chisquare(1, n))[:, None]
    return np.arcsinh(t[:, :3]), np.arcsinh(t[:, 3:])


def _gaussian(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2))
    return x, 0.6 * x[:, :1] + 0.8 * rng.normal(size=(n, 1))


@pytest.mark.parametrize("data", [_asinh_student_t(1000, 31), _gaussian(1500, 4)],
                         ids=["misfit", "fit"])
def test_the_rule_now_is_the_estimators_own_check(data):
    mod = _module()
    x, y = data
    n = x.shape[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        own = gmmi.mutual_information(x, y, n_bootstrap=10, random_state=0)
        plain = gmmi.mutual_information(x, y, n_bootstrap=10, random_state=0, check=False)
        now = mod._rule(plain, x, y, n, None, True)
        before = mod._rule(plain, x, y, n, *mod.BEFORE)
    assert own.mean == plain.mean  # the check never moves the estimate
    assert own.fit_check is not None
    assert now["statistic"] == own.fit_check.statistic
    assert now["passed"] == own.fit_check.passed
    assert now["ci"] == list(own.ci())
    assert now["threshold"] == pytest.approx(2.947, abs=0.01)
    assert before["threshold"] == now["threshold"]
    assert (now["k"], before["k"]) == (own.fit_check.k, 3) == (10, 3)
    # The rule leaves the result as it found it (no extension kept in its details).
    assert "misfit_extension" not in plain.details
    if not own.fit_check.passed:
        assert now["extension"] == own.details["misfit_extension"]["value"]


def test_the_report_counts_each_rule():
    mod = _module()

    def run(task: str, lo_before: float, lo_now: float, passed_now: bool) -> dict[str, Any]:
        rule = {"passed": True, "time": 1.0, "ci": [lo_before, 2.0]}
        return {"task": task, "n": 1000, "truth": 1.0, "before": rule,
                "now": {"passed": passed_now, "time": 2.0, "ci": [lo_now, 2.0]}}

    text = mod.report([run("a", 1.5, 0.5, False), run("a", 0.5, 0.5, True),
                       run("b", 1.5, 1.5, True)])
    lines = text.splitlines()
    assert lines[2] == "| a | 1000 | 2 | 1 | 2 | 0 | 1 | 2.0 | 4.0 |"
    assert lines[3] == "| b | 1000 | 1 | 0 | 0 | 0 | 0 | 1.0 | 2.0 |"
    assert lines[4] == "| all | | 3 | 1 | 2 | 0 | 1 | 3.0 | 6.0 |"
