"""The outputs that the README and the manual quote are what their examples print: the
examples are run, and every ``print(...)  # ...`` line whose comment quotes a result
(``MI = ...`` or a tuple of numbers such as an interval) must agree with what that print
wrote (the comment's text before an explanatory ``": ..."``; numbers to the digits quoted).
The examples are seeded, so the printed values are exact, not statistical: any drift of the
estimator shows up here, where a reader would otherwise copy a stale number."""

from __future__ import annotations

import contextlib
import io
import re
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PRINT = re.compile(r"^print\(.*?\)\s*(?:#\s*(.*))?$")
NUMBER = re.compile(r"-?\d+\.\d+")


def _blocks(path: Path) -> list[str]:
    """The Python examples of a Markdown (fenced) or reStructuredText (code-block) file."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".md":
        return re.findall(r"^```python\n(.*?)^```", text, flags=re.S | re.M)
    blocks = []
    for m in re.finditer(r"^\.\. code-block:: python\n\n((?:(?:   .*)?\n)+)", text, flags=re.M):
        blocks.append(textwrap.dedent(m.group(1)))
    return blocks


def _expected(comment: str) -> str:
    """What a comment says was printed: up to an explanatory ``": ..."``."""
    return comment.split(": ", 1)[0].strip()


def _agrees(quoted: str, printed: str) -> bool:
    """Whether a quoted output agrees with a printed line: an ``MI = ...`` line by its
    start, a tuple of numbers number by number, each rounded to the digits quoted."""
    if quoted.startswith("MI = "):
        return printed.startswith(quoted)
    want = NUMBER.findall(quoted)
    got = NUMBER.findall(printed)
    return len(want) == len(got) and all(
        f"{float(g):.{len(w.split('.')[1])}f}" == w for w, g in zip(want, got))


def _quoted_runs(path: Path) -> list[tuple[str, str]]:
    """Runs the file's examples in order in one namespace, up to the last one that quotes an
    estimate, and returns (quoted, printed) for every print whose comment quotes a result."""
    blocks = _blocks(path)
    last = max((i for i, b in enumerate(blocks) if "# MI = " in b), default=-1)
    pairs: list[tuple[str, str]] = []
    namespace: dict[str, object] = {"__name__": "__docs__"}
    for block in blocks[: last + 1]:
        prints = [m.group(1) for line in block.splitlines() if (m := PRINT.match(line))]
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(block, str(path), "exec"), namespace)  # the docs' own examples
        printed = out.getvalue().splitlines()
        # One line per print in these examples: a print of several lines would misalign.
        assert len(printed) == len(prints), (path, prints, printed)
        pairs += [(_expected(c), p) for c, p in zip(prints, printed)
                  if c and (c.startswith("MI = ") or c.startswith("("))]
    return pairs


@pytest.mark.parametrize("doc", ["README.md", "docs/index.rst", "docs/user_guide/variables.md"])
def test_quoted_estimates_are_what_the_examples_print(doc: str) -> None:
    pairs = _quoted_runs(ROOT / doc)
    assert pairs, f"{doc} quotes no estimate: the test would check nothing"
    for quoted, printed in pairs:
        assert _agrees(quoted, printed), f"{doc}: quotes {quoted!r}, prints {printed!r}"


def _demo(*args: str) -> list[str]:
    from gmmi.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["demo", "--quiet", *args]) == 0
    return out.getvalue().splitlines()


def test_the_readmes_demo_output_is_what_gmmi_demo_prints() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"^```\n(MI = .*?)^```", readme, flags=re.S | re.M)
    assert block, "README shows no demo output"
    quoted = block.group(1).splitlines()
    printed = _demo()
    # Everything but the wall time, which depends on the machine.
    assert [q for q in quoted if "wall time" not in q] == [
        p for p in printed if "wall time" not in p]
    published = re.search(r"`gmmi demo --preset published`.*?\((\d\.\d+ ± \d\.\d+ nat), "
                          r"([+-]\d\.\d+) std\)", readme, flags=re.S)
    assert published, "README quotes no published-preset demo"
    out = _demo("--preset", "published")
    assert out[0].startswith(f"MI = {published.group(1)}")
    assert f"({published.group(2)} std)" in out[2]
