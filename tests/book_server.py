"""The built book for tests: one strict build per test session, and a local web server.

``build_book()`` runs ``jupyter-book build -W -n --keep-going`` into a fresh
temporary folder (a clean build, so warnings from every page are reported,
not only from pages changed since the last ``make book``). The result is
cached, so test_book_build.py and test_browser.py share one build when they
run in the same session. ``serve()`` serves a folder on 127.0.0.1 from a
background thread, and ``toc_pages()`` lists the pages of ``_toc.yml``.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import http.server
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
BUILD_FLAGS = ["-W", "-n", "--keep-going"]
SCREENSHOTS = ROOT / "_build" / "test-screenshots"


@dataclass(frozen=True)
class Build:
    returncode: int
    log: str
    html: Path

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and (self.html / "intro.html").is_file()


def jupyter_book() -> Path | None:
    exe = Path(sys.executable).parent / "jupyter-book"
    return exe if exe.is_file() else None


@functools.cache
def build_book() -> Build:
    """Build the whole book once, strictly, into a temporary folder (removed at exit)."""
    exe = jupyter_book()
    if exe is None:
        raise RuntimeError("jupyter-book is not installed (pip install -e '.[book]')")
    out = Path(tempfile.mkdtemp(prefix="cnn-book-test-"))
    atexit.register(shutil.rmtree, out, ignore_errors=True)
    proc = subprocess.run([str(exe), "build", str(ROOT), "--path-output", str(out), *BUILD_FLAGS],
                          capture_output=True, text=True, timeout=1800, check=False)
    return Build(proc.returncode, proc.stdout + proc.stderr, out / "_build" / "html")


def toc_pages(toc_file: Path = ROOT / "_toc.yml") -> list[str]:
    """Document names in the table of contents, in reading order (root first)."""
    toc = yaml.safe_load(toc_file.read_text())
    pages = [toc["root"]]

    def walk(node) -> None:
        if isinstance(node, dict):
            if "file" in node:
                pages.append(node["file"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk({key: value for key, value in toc.items() if key != "root"})
    return [str(Path(page).with_suffix("")) for page in pages]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args) -> None:
        pass


@contextlib.contextmanager
def serve(directory: Path) -> Iterator[str]:
    """Serve ``directory`` on 127.0.0.1 (a free port); yields the base URL ending in '/'."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
