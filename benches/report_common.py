"""What the reports of the benches (``accuracy.py``, ``compare_accuracy.py``) share: the
width ratio of the accuracy suite, and one way to print a figure and a table."""

from __future__ import annotations

import math
from typing import Any, Optional

# The two-sided 95% quantile of the standard normal.
Z95 = 1.959963984540054


def width_ratio(median_width: Optional[float], sd: Optional[float]) -> Optional[float]:
    """Median interval width over ``2 * 1.96 * sd`` of the estimates across data sets (1: the
    interval is as wide as the spread of the estimates says it should be; < 1 too narrow);
    None without a width or a positive sd."""
    if median_width is None or not sd:
        return None
    return median_width / (2 * Z95 * sd)


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
