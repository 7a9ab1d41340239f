"""Print the whole book to one PDF, offline: `make pdf`.

Usage: python tools/make_pdf.py [OUTPUT.pdf]    (default: _build/pdf/cnn-course.pdf)

1. Jupyter Book builds the book as a single HTML page (Sphinx's ``singlehtml``
   builder) into ``_build/singlehtml/``; MathJax is served from that folder
   (tools/sphinxext/offline_mathjax.py), so nothing is fetched from the network.
2. Headless Chromium opens it and prints it (``--print-to-pdf``) once its
   scripts are idle, so the maths is typeset. In print, the theme hides the
   navigation and expands the hidden solutions.

Chromium is looked up as $CHROMIUM, then ``chromium``, ``chromium-browser``,
``google-chrome`` on PATH. Without it the script says so and exits with 2;
the single page is still built, and any browser's "Print to PDF" works on it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SINGLE_HTML = ROOT / "_build" / "singlehtml"
DEFAULT_PDF = ROOT / "_build" / "pdf" / "cnn-course.pdf"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync",
                  "--run-all-compositor-stages-before-draw", "--no-pdf-header-footer",
                  # Virtual time runs as fast as the page allows and stops early
                  # once scripts and fonts are idle, MathJax included.
                  "--virtual-time-budget=60000"]


def find_chromium() -> str | None:
    candidates = [os.environ.get("CHROMIUM")] + [shutil.which(name) for name in
                                                 ("chromium", "chromium-browser", "google-chrome")]
    return next((c for c in candidates if c and Path(c).is_file()), None)


def build_single_page() -> Path:
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    subprocess.run([str(jupyter_book), "build", str(ROOT), "--builder", "custom",
                    "--custom-builder", "singlehtml", "--quiet"], check=True)
    page = SINGLE_HTML / "intro.html"
    if not page.is_file():
        sys.exit(f"error: the single-page build did not produce {page}")
    return page


def print_to_pdf(chromium: str, page: Path, pdf: Path) -> None:
    pdf.parent.mkdir(parents=True, exist_ok=True)
    pdf.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        proc = subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                               f"--print-to-pdf={pdf}", page.as_uri()],
                              capture_output=True, text=True, timeout=600, check=False)
    if not pdf.is_file() or pdf.stat().st_size == 0:
        sys.exit(f"error: Chromium did not write {pdf}:\n{proc.stderr[-3000:]}")


def main() -> None:
    pdf = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else DEFAULT_PDF
    chromium = find_chromium()
    page = build_single_page()
    if chromium is None:
        print(f"\nChromium was not found, so no PDF was printed. Install it (Debian/Ubuntu: "
              f"sudo apt-get install chromium) or set CHROMIUM=/path/to/chrome, then run "
              f"`make pdf` again.\nMeanwhile, open {page.as_uri()} in any browser and use "
              f"its Print > Save as PDF.", file=sys.stderr)
        sys.exit(2)
    print_to_pdf(chromium, page, pdf)
    print(f"\nThe book as one PDF ({pdf.stat().st_size / 1e6:.1f} MB):\n  {pdf}")


if __name__ == "__main__":
    main()
