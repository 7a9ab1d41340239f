"""Compare notebook figures during the nbval run: a pytest plugin (loaded by ../conftest.py).

nbval compares a cell's text outputs but skips ``image/png``, so a figure that
no longer matches its code would pass unnoticed. After nbval has executed a
cell (and only when nbval checks that cell's outputs, i.e. not for cells
tagged ``nbval-ignore-output`` or ``nbval-skip``), this plugin compares every
picture the fresh run produced with the stored one, in order:

* ``image/png`` / ``image/jpeg`` outputs (static figures), and
* the frames of matplotlib ``to_jshtml`` animations, which are PNGs embedded
  in the ``text/html`` output (the nbval sanitizer masks them in the text
  comparison, so they are compared here, as pictures).

Two pictures match when they have the same size and the RMS difference of
their RGBA pixel values (0-255, as ``matplotlib.testing.compare`` computes
it) is at most :data:`RMS_TOLERANCE`. A cell fails when a picture differs or
the number of pictures changed; the report names the notebook, the cell and
the picture. Running the cell only once (inside nbval's own execution) keeps
``make test`` from executing every notebook twice.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pytest

# Measured on the course's figures: re-rendering after a 1e-6 relative change
# of the data (what another CPU or BLAS build can cause) gives RMS ~0.01; the
# smallest visible edits tried (one bar 1 % shorter, one legend word changed)
# give RMS 2.3 and 4.6.
RMS_TOLERANCE = 0.5

IMAGE_MIME_TYPES = ("image/png", "image/jpeg")
_FRAME = re.compile(r"data:image/(?:png|jpeg);base64,([A-Za-z0-9+/=\\\s]+)")


@dataclass
class Picture:
    """One picture found in a cell's outputs."""

    where: str  # e.g. "output 2 (image/png)" or "output 1, animation frame 3"
    data: bytes


def _b64(text: str) -> bytes:
    # Frames inside to_jshtml's JavaScript string literals are split into lines
    # ending in a backslash (a line continuation); base64 itself has neither.
    cleaned = re.sub(r"[\\\s]", "", text)
    return base64.b64decode(cleaned)


def pictures(outputs: Iterable[dict]) -> list[Picture]:
    """Every picture in a cell's outputs: image outputs and animation frames, in order."""
    found: list[Picture] = []
    for index, output in enumerate(outputs):
        data = output.get("data", {}) if isinstance(output, dict) else {}
        for mime in IMAGE_MIME_TYPES:
            if mime in data:
                payload = data[mime]
                payload = "".join(payload) if isinstance(payload, list) else payload
                found.append(Picture(f"output {index} ({mime})", _b64(payload)))
        html = data.get("text/html")
        if html:
            html = "".join(html) if isinstance(html, list) else html
            for frame, match in enumerate(_FRAME.finditer(html)):
                try:
                    found.append(Picture(f"output {index}, animation frame {frame}",
                                         _b64(match.group(1))))
                except (binascii.Error, ValueError):
                    continue
    return found


def pixels(data: bytes) -> np.ndarray:
    """Decode a PNG/JPEG to a float (H, W, 4) RGBA array with values 0-255."""
    from PIL import Image  # a matplotlib dependency

    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert("RGBA"), dtype=float)


def rms_difference(expected: bytes, actual: bytes) -> float | None:
    """RMS pixel difference of two pictures, or None if their sizes differ."""
    a, b = pixels(expected), pixels(actual)
    if a.shape != b.shape:
        return None
    return float(np.sqrt(np.mean((a - b) ** 2)))


def compare_pictures(stored: Iterable[dict], fresh: Iterable[dict],
                     tolerance: float = RMS_TOLERANCE) -> list[str]:
    """Problems found comparing the pictures of a cell's stored and fresh outputs ([] if none)."""
    old, new = pictures(stored), pictures(fresh)
    problems: list[str] = []
    if len(old) != len(new):
        problems.append(f"the notebook stores {len(old)} picture(s) but the code now draws "
                        f"{len(new)}: stored {[p.where for p in old]}, "
                        f"drawn {[p.where for p in new]}")
    for before, after in zip(old, new):
        rms = rms_difference(before.data, after.data)
        if rms is None:
            size_a, size_b = pixels(before.data).shape, pixels(after.data).shape
            problems.append(f"{before.where}: size changed from {size_a[1]}x{size_a[0]} "
                            f"to {size_b[1]}x{size_b[0]} pixels")
        elif rms > tolerance:
            problems.append(f"{before.where}: differs from the stored picture "
                            f"(RMS {rms:.2f} > tolerance {tolerance})")
    return problems


def _is_checked_nbval_cell(item: pytest.Item) -> bool:
    try:
        from nbval.plugin import IPyNbCell
    except ImportError:  # nbval not installed: nothing to do
        return False
    if not isinstance(item, IPyNbCell):
        return False
    return bool(item.options.get("check")) and item.cell.execution_count is not None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    # Runs nbval's own test first; only if that passed are the pictures compared.
    result = yield
    if _is_checked_nbval_cell(item) and item.test_outputs is not None:
        problems = compare_pictures(item.cell.outputs, item.test_outputs)
        if problems:
            from nbval.plugin import NbCellError

            raise NbCellError(item.cell_num,
                              "Figures differ from the stored ones. If the change is intended, "
                              "re-execute the notebook (make execute) and commit it.",
                              item.cell.source, "\n".join(f"  - {p}" for p in problems))
    return result
