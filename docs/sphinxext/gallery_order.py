"""The order of the gallery's examples (``within_subsection_order`` of sphinx-gallery)."""

from __future__ import annotations

import os

#: Examples in reading order; any other example follows them, by file name.
ORDER = (
    "plot_mi_vs_n.py",
    "plot_selection.py",
    "plot_model.py",
    "plot_bootstrap.py",
    "plot_mi_matrix.py",
    "plot_pointwise.py",
)


class GalleryOrder:
    """Sort key: the position in :data:`ORDER`, then the file name."""

    def __init__(self, src_dir: str) -> None:
        self.src_dir = src_dir

    def __call__(self, filename: str) -> tuple[int, str]:
        name = os.path.basename(filename)
        return (ORDER.index(name) if name in ORDER else len(ORDER), name)

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"
