"""Sphinx configuration of kmix's documentation site.

Build it with ``bash .ci/docs`` (getting_started.md, "Building this documentation"): the HTML
site into docs/_build/html with warnings as errors, every gallery example executed, every doctest
run, then the pages checked in headless Chromium.

kmix is imported as installed (or from ``PYTHONPATH=python`` in a checkout with a compiled
``kmix._core``): this file never adds the source tree to ``sys.path``, so the site documents the
kmix that the doctests and the gallery run against.
"""

import os
import re
from pathlib import Path

import kmix

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

# -- Project ---------------------------------------------------------------------------------------
project = "kmix"
author = "the kmix developers"
copyright = "the kmix developers, BSD-3-Clause"
version = kmix.__version__
release = kmix.__version__

# -- Extensions ------------------------------------------------------------------------------------
# No sphinx.ext.intersphinx: it downloads the other projects' inventories at build time, and the
# build must not need the network. References to numpy, scipy and scikit-learn are plain text.
# No math extension either: MathJax would load from a CDN (the pages write formulas in Unicode,
# as the README does); the browser check fails on any resource from another host.
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.doctest",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_parser",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
templates_path = ["_templates"]
exclude_patterns = ["_build", "requirements.txt", "**.ipynb_checkpoints"]
# Warnings are errors (-W): every one is about a page or a docstring that needs fixing.
nitpicky = False  # type names in numpydoc sections (ndarray, array-like, ...) link nowhere without intersphinx
default_role = "literal"  # `x` in a docstring is code, as in the README, not a broken cross-reference
pygments_style = "sphinx"

# -- autodoc / autosummary -------------------------------------------------------------------------
autosummary_generate = True  # one page per public object, written to api/generated/
autosummary_generate_overwrite = True
autosummary_imported_members = False
autodoc_default_options = {"member-order": "groupwise"}
# The docstrings' numpydoc "Parameters" sections say each parameter's type; the annotations (for
# mypy) would repeat them in the signature, longer. The signature shows names and defaults.
autodoc_typehints = "none"
autodoc_inherit_docstrings = True
autoclass_content = "class"  # the class docstring documents __init__'s parameters (numpydoc)

# -- numpydoc --------------------------------------------------------------------------------------
# The class template (_templates/autosummary/class.rst) documents every public method with
# autodoc; numpydoc's own member tables would list them a second time.
numpydoc_show_class_members = False
numpydoc_show_inherited_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False
# Every public docstring is validated at build time; a failed check is a warning, so -W fails the
# build. "all" minus the checks about wording and layout rather than missing content:
#   GL01/GL02  where the summary starts and the closing quotes sit (kmix writes """Summary ...""")
#   SS05       "Returns ..." vs "Return ..." (grammar)
#   SS06       a summary wrapped over two lines
#   ES01       an extended summary (short methods need none)
#   SA01       a See Also section on every object
#   RT02       a name in the Returns section ("labels : ndarray", scikit-learn's style)
#   PR08/PR09, RT04/RT05   capital first letter / final period of each description
# Kept, among others: PR01 every parameter documented, PR02 no unknown parameter, PR03 order,
# PR04/PR07 a type and a description for each, RT01 a Returns section where something is
# returned, RT03 its description, YD01 Yields for generators, GL08 a docstring on every public
# object, SS01-SS04 a summary, GL06/GL07 known sections in order, EX01 an Examples section
# (each of which runs as a doctest: see doctest_* below).
numpydoc_validation_checks = {
    "all",
    "GL01",
    "GL02",
    "SS05",
    "SS06",
    "ES01",
    "SA01",
    "RT02",
    "PR08",
    "PR09",
    "RT04",
    "RT05",
}
numpydoc_validation_exclude = {
    r"^kmix$",
    r"^kmix\.(cluster|mixture|metrics|dask|kmeans)$",  # module overviews, shown as text
    r"\.__init__$",
}

# -- doctest ---------------------------------------------------------------------------------------
# `python -m sphinx -b doctest` runs every ">>>" block of the pages and of the API docstrings'
# Examples sections, and the pages' testcode/doctest directives. Each document runs in a fresh
# temporary directory, so an example that saves a model file leaves nothing behind.
doctest_global_setup = """
import os as _kmix_os, tempfile as _kmix_tempfile
_kmix_cwd = _kmix_os.getcwd()
_kmix_tmp = _kmix_tempfile.TemporaryDirectory()
_kmix_os.chdir(_kmix_tmp.name)
"""
doctest_global_cleanup = """
_kmix_os.chdir(_kmix_cwd)
_kmix_tmp.cleanup()
"""
import doctest as _doctest  # noqa: E402

doctest_default_flags = (
    _doctest.ELLIPSIS
    | _doctest.NORMALIZE_WHITESPACE
    | _doctest.IGNORE_EXCEPTION_DETAIL
    | _doctest.DONT_ACCEPT_TRUE_FOR_1
)
doctest_test_doctest_blocks = "default"

# -- sphinx-gallery --------------------------------------------------------------------------------
# examples/README.rst and examples/plot_*.py (the gallery's sources, kept with the code) become
# docs/auto_examples/. Every plot_*.py is executed (filename_pattern), an example that raises
# fails the build (abort_on_example_error), and each example's time is reported: on the console
# during the build, and in auto_examples/sg_execution_times.rst (a page of the site; .ci/docs
# prints it after the build).
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": re.escape(os.sep) + r"plot_.*\.py$",
    "ignore_pattern": r"__init__\.py",
    "abort_on_example_error": True,
    "only_warn_on_example_error": False,
    "min_reported_time": 0,
    "within_subsection_order": "FileNameSortKey",
    "doc_module": ("kmix",),
    "backreferences_dir": "api/generated/backreferences",
    "remove_config_comments": True,
    "plot_gallery": "True",
    "download_all_examples": True,
    "show_signature": False,
}

# -- MyST (Markdown pages and the changelog) -------------------------------------------------------
myst_enable_extensions = ["colon_fence"]
myst_heading_anchors = 0

# -- HTML ------------------------------------------------------------------------------------------
# pydata-sphinx-theme: the layout numpy, scipy and scikit-learn use (readers coming from them
# find their way), a left navigation per section and an in-page table of contents for the long
# API pages; its assets (fonts, icons, scripts) are bundled, so the site loads nothing from the
# network. No version switcher, no external links in the navbar (none to load or to fail).
html_theme = "pydata_sphinx_theme"
html_title = f"kmix {release}"
html_static_path = ["_static"]
# A declared icon: without one the browser asks for /favicon.ico, a 404 the browser check reports.
html_favicon = "_static/kmix-icon.svg"
html_css_files = ["kmix.css"]
html_show_sourcelink = False
html_copy_source = False
html_last_updated_fmt = None
html_theme_options = {
    "navbar_align": "left",
    "navbar_end": ["theme-switcher"],
    "navbar_persistent": ["search-button"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
    "secondary_sidebar_items": ["page-toc"],
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "use_edit_page_button": False,
    "header_links_before_dropdown": 8,
}
html_sidebars = {"index": [], "getting_started": [], "speed": [], "changelog": []}
html_context = {"default_mode": "light"}


# -- Checks of the site's own coverage -------------------------------------------------------------
def _public_objects():
    """{object id: (public name, object)} for every public name the API page must document:
    kmix.__all__ (less the submodules it lists), kmix.cluster.__all__, kmix.metrics.__all__,
    kmix.dask.__all__ and the classes of kmix.mixture (which has no __all__)."""
    import importlib
    import inspect

    wanted = {}

    def add(module_name, names):
        module = importlib.import_module(module_name)
        for name in names:
            obj = getattr(module, name)
            if inspect.ismodule(obj):
                continue
            wanted.setdefault(id(obj), (f"{module_name}.{name}", obj))

    add("kmix", kmix.__all__)
    for sub in ("cluster", "metrics", "dask"):
        add(f"kmix.{sub}", importlib.import_module(f"kmix.{sub}").__all__)
    mixture = importlib.import_module("kmix.mixture")
    add(
        "kmix.mixture",
        [
            n
            for n, o in vars(mixture).items()
            if not n.startswith("_")
            and inspect.isclass(o)
            and getattr(o, "__module__", "").startswith(("kmix.mixture", "kmix.bayesian_mixture"))
        ],
    )
    return wanted


def _documented_objects(api_text):
    """{object id} of every entry of the autosummary tables in api.rst."""
    import importlib

    documented, module = set(), "kmix"
    in_table = False
    for line in api_text.splitlines():
        m = re.match(r"\.\. currentmodule:: ([\w.]+)", line)
        if m:
            module = m.group(1)
            continue
        if line.startswith(".. autosummary::"):
            in_table = True
            continue
        if in_table:
            if not line.strip() or line.lstrip().startswith(":"):
                continue
            if not line.startswith("   "):
                in_table = False
                continue
            name = line.strip()
            obj = importlib.import_module(module)
            for part in name.split("."):
                obj = getattr(obj, part)
            documented.add(id(obj))
    return documented


def check_api_coverage(app):
    """A warning (an error under -W) for each public name the API page leaves out."""
    from sphinx.util import logging

    logger = logging.getLogger("kmix.docs")
    api_text = (HERE / "api.rst").read_text(encoding="utf-8")
    documented = _documented_objects(api_text)
    for key, (name, _) in sorted(_public_objects().items(), key=lambda kv: kv[1][0]):
        if key not in documented:
            logger.warning(f"public name {name} is not in the API reference (docs/api.rst)", location="api")
    # kmix.cluster's and kmix.mixture's names are the objects documented under kmix: each must be
    # in the table of aliases too, so that a reader looking for scikit-learn's path finds it.
    import importlib
    import inspect

    for sub in ("cluster", "mixture"):
        module = importlib.import_module(f"kmix.{sub}")
        names = getattr(module, "__all__", None) or [
            n
            for n, o in vars(module).items()
            if not n.startswith("_")
            and inspect.isclass(o)
            and getattr(o, "__module__", "").startswith(("kmix.mixture", "kmix.bayesian_mixture"))
        ]
        for name in names:
            if f"``kmix.{sub}.{name}``" not in api_text:
                logger.warning(
                    f"kmix.{sub}.{name} is missing from the table of aliases in docs/api.rst", location="api"
                )
    logger.info(f"kmix {kmix.__version__} from {Path(kmix.__file__).parent}")


def check_gallery_sources(app):
    """The gallery needs examples/README.rst (sphinx-gallery's index of the gallery)."""
    from sphinx.util import logging

    if not (ROOT / "examples" / "README.rst").exists() and not (ROOT / "examples" / "README.txt").exists():
        logging.getLogger("kmix.docs").warning("examples/README.rst is missing: the gallery has no index")


def strip_cdn_tables(app, docname, source):
    """sphinx-gallery's computation-time pages (sg_execution_times) carry a raw HTML block that
    loads jQuery and DataTables from CDNs, to make the table sortable. The site loads nothing
    from the network (it is checked offline, and must work so), so that block goes: the times
    stay a plain table."""
    if docname == "sg_execution_times" or docname.endswith("/sg_execution_times"):
        source[0] = re.sub(r"\n *\.\. raw:: html\n(?:\n| {3,}.*\n)*", "\n", source[0])


def setup(app):
    app.connect("source-read", strip_cdn_tables)
    app.connect("builder-inited", check_api_coverage)
    app.connect("config-inited", lambda app, config: check_gallery_sources(app))
