"""The ``cnnlib-api`` directive: one section per public cnnlib module, documented by autodoc.

Listing the modules by hand would let a new module (a chapter's
``cnnlib.exercises.<topic>``, say) go undocumented, and its ``:mod:`` links
break. So the directive walks the installed package and emits, for every
module whose dotted name has no part starting with ``_``::

    cnnlib.name
    -----------

    .. automodule:: cnnlib.name
       :members:

in a stable reading order: the core ops first, then layers and training,
then the rest of the core alphabetically, the teaching helpers of
``cnnlib.course``, and the exercise checks last. A package that re-exports
its submodules' names (``cnnlib.nn``) is documented once, as the package.
Use it from MyST inside ``{eval-rst}`` (autodoc produces reStructuredText).

It also resolves links to re-exported names: ``cnnlib.conv2d`` (the name
readers use) links to ``cnnlib.functional.conv2d`` (where it is documented).
"""

from __future__ import annotations

import importlib
import pkgutil

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles

PACKAGE = "cnnlib"
READING_ORDER = ["functional", "reference", "nn", "optim", "data", "train", "datasets", "models", "gradcheck"]
# teaching helpers, then the exercise checks, after the core library
LATER = ["course", "exercises"]


def _behind_facade(name: str) -> bool:
    """True for a submodule whose public names its package re-exports.

    ``cnnlib.nn`` lists ``Conv2d`` (defined in ``cnnlib.nn.conv``) in its
    ``__all__``; autodoc documents it there, and documenting
    ``cnnlib.nn.conv`` as well would describe every layer twice.
    """
    parent = name.rpartition(".")[0]
    if parent == PACKAGE:
        return False  # the top level is documented without its members
    package = importlib.import_module(parent)
    exported = (getattr(package, n, None) for n in getattr(package, "__all__", ()))
    return any(getattr(obj, "__module__", None) == name for obj in exported)


def public_modules(package: str = PACKAGE) -> list[str]:
    """Dotted names of the package's public submodules, in reading order."""
    pkg = importlib.import_module(package)
    names = [info.name for info in pkgutil.walk_packages(pkg.__path__, prefix=package + ".")
             if not any(part.startswith("_") for part in info.name.split("."))
             and not _behind_facade(info.name)]

    def key(name: str) -> tuple:
        first = name.split(".")[1]
        if first in READING_ORDER:
            return (0, READING_ORDER.index(first), name)
        if first in LATER:
            return (2 + LATER.index(first), 0, name)
        return (1, 0, name)

    return sorted(names, key=key)


class CnnlibApiDirective(SphinxDirective):
    has_content = False
    required_arguments = 0

    def run(self) -> list[nodes.Node]:
        lines: list[str] = []
        for name in public_modules():
            title = f"``{name}``"
            lines += [title, "-" * len(title), "", f".. automodule:: {name}", "   :members:", ""]
            # Rebuild the page when a module's docstrings change.
            module = importlib.import_module(name)
            if getattr(module, "__file__", None):
                self.env.note_dependency(module.__file__)
        container = nodes.section()
        container.document = self.state.document
        nested_parse_with_titles(self.state, StringList(lines, source="cnnlib-api"), container)
        return container.children


def canonical_name(dotted: str) -> str | None:
    """Where the object named ``dotted`` (e.g. ``cnnlib.conv2d``) is defined, or None."""
    module_name, _, attr = dotted.rpartition(".")
    try:
        obj = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError, ValueError):
        return None
    defined_in = getattr(obj, "__module__", None)
    qualname = getattr(obj, "__qualname__", None)
    if not defined_in or not qualname:
        return None
    canonical = f"{defined_in}.{qualname}"
    return canonical if canonical != dotted else None


def resolve_reexport(app: Sphinx, env, node, contnode):
    """``missing-reference`` handler: retry a ``cnnlib.*`` target under its defining module."""
    target = node.get("reftarget", "")
    if node.get("refdomain") != "py" or not target.startswith(PACKAGE + "."):
        return None
    canonical = canonical_name(target)
    if canonical is None:
        return None
    domain = env.get_domain("py")
    return domain.resolve_xref(env, node.get("refdoc"), app.builder, node["reftype"],
                               canonical, node, contnode)


def setup(app: Sphinx) -> dict:
    app.setup_extension("sphinx.ext.autodoc")
    app.add_directive("cnnlib-api", CnnlibApiDirective)
    app.connect("missing-reference", resolve_reexport)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
