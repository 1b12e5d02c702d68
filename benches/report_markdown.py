"""Markdown helpers shared by the reports of the benches (``accuracy.py``,
``compare_accuracy.py``): one way to print a figure and a table."""

from __future__ import annotations

import math
from typing import Any


def fmt_value(v: Any, digits: int = 4) -> str:
    """A figure for a table: ``—`` for None or NaN, a float to ``digits`` decimals (in
    scientific notation when smaller than their last place), anything else as ``str``."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    if isinstance(v, float):
        if v != 0 and abs(v) < 10**-digits:
            return f"{v:.1e}"
        return f"{v:.{digits}f}"
    return str(v)


def markdown_table(header: list[str], rows: list[list[str]]) -> list[str]:
    """The lines of a Markdown table."""
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return out
