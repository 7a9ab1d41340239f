"""Serve MathJax 3 from the built book itself, so maths renders with no network.

Sphinx loads MathJax from a CDN by default; offline, a reader then sees raw
``\\(...\\)``. This extension copies the parts of MathJax that the pages use
(the ``tex-mml-chtml`` component, its fonts, the TeX/MathML extensions it
may autoload, and the accessibility and menu modules it loads on demand) from
the ``django-static-mathjax`` wheel (MathJax 3.2.2, Apache-2.0; installed with
the ``book`` extra) into ``<html output>/_mathjax/``, and points
``mathjax_path`` at it.

The copy lives beside ``_static/``, not inside it: Jupyter Book links every
``.js``/``.css`` file it finds under ``_static`` into every page.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.util import logging

logger = logging.getLogger(__name__)

OUTPUT_DIR = "_mathjax"
ENTRY = "tex-mml-chtml.js"
# What tex-mml-chtml.js may load at run time, relative to MathJax's es5/ folder.
PARTS = [ENTRY, "output/chtml", "input/tex", "input/mml", "a11y", "sre", "ui", "adaptors"]
CDN_DEFAULT_PREFIX = "https://"


def mathjax_source() -> Path:
    """The ``es5/`` folder of the installed MathJax 3 distribution."""
    spec = importlib.util.find_spec("mathjax")
    if spec is None or not spec.submodule_search_locations:
        raise ExtensionError("offline_mathjax: MathJax is not installed; "
                             "run `pip install -e '.[book]'` (package django-static-mathjax)")
    es5 = Path(next(iter(spec.submodule_search_locations))) / "static" / "mathjax" / "es5"
    if not (es5 / ENTRY).is_file():
        raise ExtensionError(f"offline_mathjax: {es5 / ENTRY} not found; "
                             "is the installed `mathjax` package django-static-mathjax 3.x?")
    return es5


def point_mathjax_path(app: Sphinx, config) -> None:
    """Use the local copy unless the book configured its own (non-CDN) path."""
    current = config.mathjax_path or ""
    if not current or current.startswith(CDN_DEFAULT_PREFIX):
        # Sphinx prefixes relative asset paths with "_static/"; step out of it.
        config.mathjax_path = f"../{OUTPUT_DIR}/{ENTRY}"


def copy_mathjax(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    source = mathjax_source()
    target = Path(app.outdir) / OUTPUT_DIR
    stamp = target / ".copied-from"
    if stamp.is_file() and stamp.read_text() == str(source):
        return  # already there: keep incremental builds fast
    if target.exists():
        shutil.rmtree(target)
    for part in PARTS:
        src = source / part
        if src.is_dir():
            shutil.copytree(src, target / part)
        else:
            (target / part).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, target / part)
    licence = source.parent / "LICENSE"
    if licence.is_file():
        shutil.copy2(licence, target / "LICENSE")
    stamp.write_text(str(source))
    logger.info("offline_mathjax: copied MathJax into %s", target)


def setup(app: Sphinx) -> dict:
    app.setup_extension("sphinx.ext.mathjax")
    mathjax_source()  # fail early, with the fix in the message
    app.connect("config-inited", point_mathjax_path)
    app.connect("build-finished", copy_mathjax)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
