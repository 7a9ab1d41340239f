"""Make matplotlib ``to_jshtml`` animations in notebook outputs work offline and accessibly.

The HTML that ``anim.to_jshtml()`` stores in a notebook

* links Font Awesome 4 from a CDN for its button icons: offline that request
  fails. The book's theme already bundles Font Awesome (whose ``fa fa-play``
  style classes render the same icons), so the link is dropped from the page;
* shows its frames in an ``<img>`` without alt text.

The cell metadata used for static figures (see CONTRIBUTING.md) works for
animations too: ``mystnb.image.alt`` becomes the frame image's ``alt`` (here),
and myst-nb itself turns ``mystnb.figure.caption``/``name`` into a numbered
figure around the output. An animation cell without alt text is a build
warning, so a strict build fails.

The notebook files themselves are left as they are.
"""

from __future__ import annotations

import html
import re

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.transforms import SphinxTransform
from sphinx.util import logging

logger = logging.getLogger(__name__)

ANIMATION_MARK = "_anim_img"
CDN_STYLESHEET = re.compile(r"<link\b[^>]*\bhref=\"https?://[^\"]*font-awesome[^\"]*\"[^>]*>\s*",
                            re.IGNORECASE)
FRAME_IMG = re.compile(r"<img(\s+)id=\"_anim_img")


def _cell_metadata(node: nodes.Node) -> dict:
    parent = node.parent
    while parent is not None:
        if "cell_metadata" in getattr(parent, "attributes", {}):
            return parent["cell_metadata"] or {}
        parent = parent.parent
    return {}


class OfflineAnimations(SphinxTransform):
    # myst-nb renders outputs while parsing, so they exist when transforms run.
    default_priority = 500

    def apply(self, **kwargs) -> None:
        for raw in list(self.document.findall(nodes.raw)):
            if "html" not in raw.get("format", "").split() or ANIMATION_MARK not in raw.astext():
                continue
            mystnb = _cell_metadata(raw).get("mystnb", {}) or {}
            alt = (mystnb.get("image", {}) or {}).get("alt", "").strip()
            if not alt:
                logger.warning("animation without alt text: give the cell "
                               "metadata mystnb.image.alt (see CONTRIBUTING.md)",
                               location=raw, type="offline_animations", subtype="alt")
            text = CDN_STYLESHEET.sub("", raw.astext())
            if alt:
                def with_alt(match: re.Match, alt_attr: str = html.escape(alt, quote=True)) -> str:
                    return f'<img alt="{alt_attr}"{match.group(1)}id="_anim_img'

                text = FRAME_IMG.sub(with_alt, text)
            raw.replace_self(nodes.raw(text, text, format="html", classes=raw["classes"]))


def setup(app: Sphinx) -> dict:
    app.add_transform(OfflineAnimations)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
