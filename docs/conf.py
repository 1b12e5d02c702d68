"""Sphinx configuration of gmmi's documentation.

Build from the repository root, with warnings as errors::

    python -m sphinx -W --keep-going -b html docs docs/_build/html

gmmi is imported from the Python environment (an installed wheel, or an editable install),
never from the source tree: ``python/`` is not put on ``sys.path``, so the API reference and
the gallery describe the package as it is installed.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import gmmi

DOCS = Path(__file__).resolve().parent
print(f"documenting gmmi {gmmi.__version__} imported from {Path(gmmi.__file__).parent}")
# docs/sphinxext: the gallery's sort key (sphinx-gallery imports it by name, which keeps the
# configuration picklable) and the generated pages; not the package sources.
sys.path.insert(0, str(DOCS / "sphinxext"))

# -- project -------------------------------------------------------------------------------
project = "gmmi"
author = "The gmmi developers"
copyright = f"{time.gmtime().tm_year}, the gmmi developers"
release = gmmi.__version__
version = ".".join(release.split(".")[:2])

# -- general -------------------------------------------------------------------------------
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
templates_path = ["_templates"]
exclude_patterns = [
    "_build",
    "README.md",
    "sphinxext",
    "_generated",
    "examples/README.txt",
    "auto_examples/*.ipynb",
    "auto_examples/*.py",
    "auto_examples/*.md5",
    "auto_examples/*.zip",
    "auto_examples/*.json",
]
default_role = "code"  # `x` in reST text is inline code, as in Markdown
pygments_style = "sphinx"

# -- API reference: autosummary + numpydoc -------------------------------------------------
autosummary_generate = True
autosummary_imported_members = True
autodoc_typehints = "none"  # the numpydoc sections give the types
autodoc_member_order = "bysource"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True

# -- Markdown (MyST): README sections, CHANGELOG.md and the calibration table --------------
myst_enable_extensions = ["dollarmath", "colon_fence", "deflist"]
myst_heading_anchors = 3

# -- gallery -------------------------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": "examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "within_subsection_order": "gallery_order.GalleryOrder",
    "download_all_examples": False,
    "remove_config_comments": True,
    "image_scrapers": ("matplotlib",),
    "matplotlib_animations": False,
    "capture_repr": ("__repr__",),
    "show_memory": False,
    "min_reported_time": 1,
    # A failing example fails the build.
    "only_warn_on_example_error": False,
    "abort_on_example_error": False,
}

# -- HTML ----------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"gmmi {release}"
html_static_path: list[str] = []
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "header_links_before_dropdown": 8,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_sidebars = {"index": [], "changelog": [], "method": []}
html_show_sourcelink = False


# -- pages generated from the installed gmmi (docs/_generated/, sphinxext/docs_generated.py)
import docs_generated  # noqa: E402

docs_generated.write_all(DOCS)
