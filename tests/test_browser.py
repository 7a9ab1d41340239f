"""The built book in a real browser (headless Chromium driven by Playwright), with no network.

The book is built once per session (book_server.build_book), served on
127.0.0.1, and every request to any other host is aborted and counted as a
failure. Each page of the table of contents must load with no console error
and no failed request, typeset all of its maths, and give every image a real
alt text. Interactive parts are exercised: solutions stay hidden until
clicked, animation buttons change the frame, the dark-mode switch changes the
colours (and is remembered), and the page also works from file:// (how
`make book` tells readers to open it).

A screenshot of each page that fails is saved in _build/test-screenshots/.
Skipped, with the reason, when Playwright or Chromium is not installed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlparse

import book_server
import pytest

playwright_api = pytest.importorskip(
    "playwright.sync_api", reason="Playwright is not installed (pip install -e '.[test]')")


def chromium_path() -> str | None:
    for candidate in (os.environ.get("CHROMIUM"), shutil.which("chromium"),
                      shutil.which("chromium-browser"), "/usr/bin/chromium"):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


CHROMIUM = chromium_path()
pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed "
                       "(Debian: apt-get install chromium; .ci/run does this)"),
    pytest.mark.skipif(book_server.jupyter_book() is None,
                       reason="jupyter-book is not installed (pip install -e '.[book]')"),
]

PAGES = book_server.toc_pages()
DEMO = "chapters/00-how-notebooks-work"
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def html_dir() -> Path:
    build = book_server.build_book()
    if not (build.html / "intro.html").is_file():
        pytest.fail("the book did not build; see test_book_build.py", pytrace=False)
    return build.html


@pytest.fixture(scope="module")
def base_url(html_dir):
    with book_server.serve(html_dir) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@dataclass
class Visit:
    """A page opened with the network cut off, and what went wrong while loading it."""

    page: object
    name: str
    problems: list[str] = field(default_factory=list)

    def screenshot_on_failure(self) -> str:
        if not self.problems:
            return ""
        book_server.SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = book_server.SCREENSHOTS / (re.sub(r"\W+", "_", self.name) + ".png")
        try:
            self.page.screenshot(path=str(path), full_page=True)
        except Exception as exc:  # the report matters more than the picture
            return f" (screenshot failed: {exc})"
        return f" (screenshot: {path})"


@pytest.fixture
def context(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme="light")
    yield context
    context.close()


def open_page(context, url: str, name: str) -> Visit:
    """Open ``url`` with every request outside this machine aborted, and wait until it settles."""
    page = context.new_page()
    visit = Visit(page, name)

    def route(request_route):
        target = urlparse(request_route.request.url)
        if target.scheme in ("data", "blob", "file") or target.hostname in LOCAL_HOSTS:
            request_route.continue_()
        else:
            visit.problems.append(f"request to the network (blocked): {request_route.request.url}")
            request_route.abort()

    page.route("**/*", route)
    page.on("console", lambda msg: msg.type == "error" and visit.problems.append(
        f"console error: {msg.text}"))
    page.on("pageerror", lambda exc: visit.problems.append(f"page error: {exc}"))
    page.on("requestfailed", lambda req: visit.problems.append(
        f"failed request: {req.url} ({req.failure})"))
    page.on("response", lambda resp: resp.status >= 400 and visit.problems.append(
        f"HTTP {resp.status}: {resp.url}"))
    page.goto(url, wait_until="load")
    wait_for_maths(page)
    # Fonts (MathJax's among them) load after typesetting. ("networkidle" never
    # comes on a page whose animation is playing: every frame is a data: request.)
    page.evaluate("() => document.fonts.ready.then(() => true)")
    page.wait_for_timeout(300)
    return visit


def wait_for_maths(page) -> None:
    """Wait for MathJax's first typesetting pass, on pages that load MathJax."""
    if not page.evaluate("() => !!document.querySelector('script[src*=\"tex-mml-chtml\"]')"):
        return
    page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise",
                           timeout=30_000)
    page.evaluate("() => MathJax.startup.promise.then(() => true)")


MATH_REPORT = """() => {
  const maths = [...document.querySelectorAll('.math')];
  const untypeset = maths.filter(m => !m.querySelector('mjx-container'))
                         .map(m => m.textContent.trim().slice(0, 60));
  const errors = [...document.querySelectorAll('mjx-merror')]
                   .map(e => e.getAttribute('data-mjx-error') || e.textContent);
  const article = document.querySelector('article') || document.body;
  const clone = article.cloneNode(true);
  clone.querySelectorAll('pre, code, .highlight, mjx-container, script').forEach(e => e.remove());
  const raw = (clone.textContent.match(/\\\\[(\\[]|\\$\\$/g) || []).length;
  return {count: maths.length, typeset: document.querySelectorAll('mjx-container').length,
          untypeset, errors, raw};
}"""

IMAGE_REPORT = """() => [...document.images].map(img => ({
  src: img.getAttribute('src') || '', alt: (img.getAttribute('alt') || '').trim(),
  loaded: img.complete && img.naturalWidth > 0, id: img.id}))"""


def page_problems(visit: Visit) -> list[str]:
    page = visit.page
    problems = list(visit.problems)
    maths = page.evaluate(MATH_REPORT)
    if maths["untypeset"]:
        problems.append(f"{len(maths['untypeset'])} of {maths['count']} formulas not typeset, "
                        f"e.g. {maths['untypeset'][:3]}")
    if maths["errors"]:
        problems.append(f"MathJax errors (bad TeX): {maths['errors'][:5]}")
    if maths["raw"]:
        problems.append(f"{maths['raw']} raw TeX delimiters left in the text")
    for image in page.evaluate(IMAGE_REPORT):
        label = image["id"] or image["src"][:80]
        if not image["loaded"] and not image["id"].startswith("_anim_img"):
            problems.append(f"image did not load: {label}")
        name = Path(urlparse(image["src"]).path).name
        if not image["alt"] or (name and image["alt"] in (name, image["src"])):
            problems.append(f"image without a real alt text: {label} (alt={image['alt']!r})")
    return problems


# --- every page --------------------------------------------------------------

@pytest.mark.parametrize("docname", PAGES)
def test_page_renders_completely_offline(context, base_url, docname):
    visit = open_page(context, f"{base_url}{docname}.html", docname)
    visit.problems = page_problems(visit)
    where = visit.screenshot_on_failure()
    assert not visit.problems, f"{docname}{where}:\n  " + "\n  ".join(visit.problems)


def test_the_demo_page_has_typeset_maths(context, base_url):
    # Guards the per-page maths check against passing vacuously.
    visit = open_page(context, f"{base_url}{DEMO}.html", DEMO)
    maths = visit.page.evaluate(MATH_REPORT)
    assert maths["count"] >= 5 and maths["typeset"] >= maths["count"]


# --- interactive parts -----------------------------------------------------------

def pages_with(html_dir: Path, marker: str) -> list[str]:
    return [page for page in PAGES
            if marker in (html_dir / f"{page}.html").read_text(errors="replace")]


def test_solutions_are_hidden_until_clicked(context, base_url, html_dir):
    pages = pages_with(html_dir, 'class="solution')
    assert DEMO in pages
    for docname in pages:
        visit = open_page(context, f"{base_url}{docname}.html", docname)
        solutions = visit.page.locator("div.solution")
        assert solutions.count() > 0
        for i in range(solutions.count()):
            solution = solutions.nth(i)
            title = solution.locator(".admonition-title").first.inner_text().strip()
            body = solution.locator(":scope > :not(.admonition-title)").first
            label = f"{docname}: solution {i + 1} ({title})"
            if body.is_visible():
                visit.problems.append(f"{label} is shown before any click")
                pytest.fail(f"{label} is shown before any click: give its solution-start "
                            f"`:class: dropdown`{visit.screenshot_on_failure()}")
            solution.locator("button.toggle-button").first.click()
            body.wait_for(state="visible", timeout=5_000)
            assert body.is_visible(), f"{label} does not open when clicked"


def test_animation_buttons_change_the_frame(context, base_url, html_dir):
    pages = pages_with(html_dir, "_anim_img")
    assert DEMO in pages
    for docname in pages:
        visit = open_page(context, f"{base_url}{docname}.html", docname)
        animations = visit.page.locator("div.animation")
        for i in range(animations.count()):
            animation = animations.nth(i)
            frame = animation.locator("img").first
            animation.scroll_into_view_if_needed()
            animation.locator("button[title='Pause']").click()
            animation.locator("button[title='First frame']").click()
            first = frame.get_attribute("src")
            animation.locator("button[title='Next frame']").click()
            second = frame.get_attribute("src")
            animation.locator("button[title='Previous frame']").click()
            back = frame.get_attribute("src")
            label = f"{docname}: animation {i + 1}"
            assert first and first.startswith("data:image/"), f"{label} shows no frame"
            assert second != first, f"{label}: 'Next frame' did not change the picture"
            assert back == first, f"{label}: 'Previous frame' did not go back"
            assert frame.evaluate("img => img.naturalWidth > 0"), f"{label}: frame not drawn"
        assert not visit.problems, visit.problems


BACKGROUND = "() => getComputedStyle(document.body).backgroundColor"


def luminance(css_colour: str) -> float:
    r, g, b = (int(v) for v in re.findall(r"\d+", css_colour)[:3])
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255


def test_dark_mode_switch_changes_colours_and_is_remembered(context, base_url):
    visit = open_page(context, f"{base_url}{DEMO}.html", DEMO)
    page = visit.page
    assert page.evaluate("() => document.documentElement.dataset.theme") == "light"
    assert luminance(page.evaluate(BACKGROUND)) > 0.8
    switch = page.locator("button.theme-switch-button").first
    for _ in range(3):  # the switch cycles auto -> dark -> light (order depends on the system)
        if page.evaluate("() => document.documentElement.dataset.theme") == "dark":
            break
        switch.click()
    assert page.evaluate("() => document.documentElement.dataset.theme") == "dark"
    page.wait_for_timeout(300)  # colour transitions
    assert luminance(page.evaluate(BACKGROUND)) < 0.3, page.evaluate(BACKGROUND)
    page.reload(wait_until="load")
    assert page.evaluate("() => document.documentElement.dataset.theme") == "dark"
    assert not visit.problems, visit.problems


def test_notebook_download_serves_the_chapter_notebook(context, base_url):
    visit = open_page(context, f"{base_url}{DEMO}.html", DEMO)
    link = visit.page.locator("a[href*='_sources/'][href$='.ipynb']").first
    href = urljoin(visit.page.url, link.get_attribute("href"))
    assert urlparse(href).hostname in LOCAL_HOSTS, href  # never fetch from the network
    response = visit.page.request.get(href)
    assert response.ok, href
    served = json.loads(response.body())
    source = json.loads((book_server.ROOT / f"{DEMO}.ipynb").read_text())
    assert served["cells"] == source["cells"]


def test_page_works_from_a_file_url(context, html_dir):
    visit = open_page(context, (html_dir / f"{DEMO}.html").as_uri(), f"{DEMO} (file)")
    visit.problems = page_problems(visit)
    where = visit.screenshot_on_failure()
    assert not visit.problems, f"{DEMO} from file://{where}:\n  " + "\n  ".join(visit.problems)
