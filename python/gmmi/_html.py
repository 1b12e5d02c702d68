"""Small HTML tables for the rich displays of notebooks (``_repr_html_``): a title and rows
of cells, every text escaped. Knows no gmmi types."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

__all__ = ["table"]

_STYLE = ("border-collapse:collapse;font-family:monospace;font-size:12px;"
          "text-align:right")


def _cell(value: Any, tag: str) -> str:
    return f"<{tag} style='padding:2px 8px'>{html.escape(str(value))}</{tag}>"


def table(title: str, rows: Sequence[Sequence[Any]],
          header: Sequence[Any] | None = None) -> str:
    """An HTML table with a caption ``title``, an optional header row and ``rows``.

    Examples
    --------
    >>> from gmmi._html import table
    >>> table("MI", [["a", "0.1 < 0.2"]])[:60]
    "<table style='border-collapse:collapse;font-family:monospace"
    """
    parts = [f"<table style='{_STYLE}'>",
             f"<caption style='text-align:left'><b>{html.escape(title)}</b></caption>"]
    if header is not None:
        parts.append("<tr>" + "".join(_cell(h, "th") for h in header) + "</tr>")
    for row in rows:
        parts.append("<tr>" + "".join(_cell(c, "td") for c in row) + "</tr>")
    parts.append("</table>")
    return "".join(parts)
