"""Small fixes to the theme's output, each for an error seen in a browser's console.

* sphinx-thebe's inline configuration script (``const THEBE_JS_URL = ...``)
  is registered twice under Jupyter Book, and the second copy throws
  "Identifier 'THEBE_JS_URL' has already been declared" on every page. Identical
  scripts are kept once.

(The theme's other console error on a first visit, "Got invalid theme mode",
is fixed in _config.yml: ``html_context.default_mode``.)
"""

from __future__ import annotations

from sphinx.application import Sphinx


def drop_duplicate_scripts(app: Sphinx, pagename: str, templatename: str, context: dict,
                           doctree) -> None:
    scripts = context.get("script_files")
    if not scripts:
        return
    seen: set[tuple] = set()
    unique = []
    for script in scripts:
        # The copies differ only in filename None vs "" (both: an inline script).
        key = (getattr(script, "filename", None) or "",
               tuple(sorted(getattr(script, "attributes", {}).items())))
        if key in seen:
            continue
        seen.add(key)
        unique.append(script)
    context["script_files"] = unique


def setup(app: Sphinx) -> dict:
    # Late (high priority number) so that every other extension has added its scripts.
    app.connect("html-page-context", drop_duplicate_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
