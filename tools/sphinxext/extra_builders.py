"""Let HTML-like builders other than ``html`` (``singlehtml`` for `make pdf`) render every node.

Sphinx looks up custom node visitors under the builder's *name* and falls back
to its *format* only when no extension registered anything under that name.
sphinx-exercise registers its nodes for ``singlehtml`` too, so ``singlehtml``
has handlers of its own, the ``html`` ones are no longer consulted, and nodes
registered for ``html`` only stop the build (seen: myst-nb's
``HideCodeCellNode``, from cells tagged ``hide-input``: "departing unknown node
type"). Here we copy every ``html`` handler that a sibling builder lacks.
"""

from __future__ import annotations

from sphinx.application import Sphinx


def share_html_visitors(app: Sphinx) -> None:
    builder = app.builder
    if builder.format != "html" or builder.name == "html":
        return
    handlers = app.registry.translation_handlers
    own = handlers.setdefault(builder.name, {})
    for node_name, visitors in handlers.get("html", {}).items():
        own.setdefault(node_name, visitors)


def setup(app: Sphinx) -> dict:
    app.connect("builder-inited", share_html_visitors)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
