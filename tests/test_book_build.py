"""The book builds with Sphinx warnings as errors and no broken references, and works offline."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import book_server
import pytest

pytestmark = pytest.mark.skipif(book_server.jupyter_book() is None,
                                reason="jupyter-book is not installed (pip install -e '.[book]')")


@pytest.fixture(scope="module")
def build() -> book_server.Build:
    return book_server.build_book()


def test_book_builds_without_warnings(build):
    if build.returncode != 0:
        log = re.sub(r"\x1b\[[0-9;]*m", "", build.log)  # no terminal colours in the report
        warnings = [line for line in log.splitlines()
                    if re.search(r"\b(WARNING|ERROR|CRITICAL|SEVERE)\b", line)]
        pytest.fail("the book build failed (-W: every warning is an error):\n"
                    + "\n".join(warnings[:80] or [log[-3000:]]), pytrace=False)
    assert (build.html / "intro.html").is_file()


def test_every_toc_page_is_built(build):
    missing = [page for page in book_server.toc_pages()
               if not (build.html / f"{page}.html").is_file()]
    assert not missing, f"pages in _toc.yml without HTML: {missing}"


def test_maths_is_served_from_the_book_not_a_cdn(build):
    page = (build.html / "chapters" / "00-how-notebooks-work.html").read_text()
    scripts = re.findall(r'<script[^>]*src="([^"]+)"', page)
    mathjax = [src for src in scripts if "tex-mml-chtml" in src]
    assert mathjax == ["../_static/../_mathjax/tex-mml-chtml.js"], scripts
    assert (build.html / "_mathjax" / "tex-mml-chtml.js").is_file()
    assert (build.html / "_mathjax" / "output" / "chtml" / "fonts" / "woff-v2").is_dir()


class RemoteAssets(HTMLParser):
    """Collects tags that would make a browser fetch something from another host."""

    FETCHING = {"script": "src", "img": "src", "iframe": "src", "source": "src",
                "audio": "src", "video": "src", "link": "href"}
    NAVIGATION_ONLY = {"canonical", "alternate", "next", "prev", "index", "search"}

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = self.FETCHING.get(tag)
        values = dict(attrs)
        url = values.get(attr) or "" if attr else ""
        if not re.match(r"(https?:)?//", url):
            return
        if tag == "link" and set((values.get("rel") or "").split()) <= self.NAVIGATION_ONLY:
            return
        self.found.append(f"<{tag} {attr}={url}>")


def test_no_page_fetches_scripts_styles_fonts_or_images_from_the_network(build):
    offenders = {}
    for html in sorted(build.html.rglob("*.html")):
        parser = RemoteAssets()
        parser.feed(html.read_text(errors="replace"))
        if parser.found:
            offenders[str(html.relative_to(build.html))] = parser.found[:5]
    assert not offenders, offenders


def test_notebook_pages_offer_download_and_launch_links(build):
    page = (build.html / "chapters" / "00-how-notebooks-work.html").read_text()
    assert '_sources/chapters/00-how-notebooks-work.ipynb' in page
    assert (build.html / "_sources" / "chapters" / "00-how-notebooks-work.ipynb").is_file()
    config = book_server.yaml.safe_load((book_server.ROOT / "_config.yml").read_text())
    repo = config["repository"]["url"].removeprefix("https://github.com/")
    branch = config["repository"]["branch"]
    assert f"https://mybinder.org/v2/gh/{repo}/{branch}?urlpath=lab/tree/" \
           f"chapters/00-how-notebooks-work.ipynb" in page
    assert f"https://colab.research.google.com/github/{repo}/blob/{branch}/" \
           f"chapters/00-how-notebooks-work.ipynb" in page
    assert "thebe-launch-button" not in page
