"""Figures are held to their code: tests of tests/nbval_figures.py and of the chapters' images.

`make test` runs nbval over chapters/; the plugin in nbval_figures.py
(loaded by the root conftest.py) then compares every figure and animation
frame of each re-executed cell with the stored one. These tests show that the
comparison measures what it claims (exact RMS values on synthetic images),
and, in a real nbval run on a small notebook, that stale figures and frames
fail with a report naming the cell, while current ones and cells whose output
is declared variable pass.
"""

from __future__ import annotations

import base64
import copy
import io
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import nbformat
import nbval_figures as nf
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted((ROOT / "chapters").glob("[0-9]*.ipynb"))


def png(rgba: tuple[int, int, int, int], size: tuple[int, int] = (8, 6)) -> bytes:
    """A solid-colour PNG of the given width x height."""
    buffer = io.BytesIO()
    Image.new("RGBA", size, rgba).save(buffer, format="PNG")
    return buffer.getvalue()


def image_output(data: bytes) -> dict:
    return {"output_type": "display_data", "metadata": {},
            "data": {"image/png": base64.b64encode(data).decode(), "text/plain": "<Figure>"}}


# --- the comparison itself -------------------------------------------------

def test_rms_of_uniform_difference_is_exact():
    # One channel differs by 10 at every pixel: sqrt(10**2 / 4 channels) = 5.
    assert nf.rms_difference(png((100, 50, 0, 255)), png((110, 50, 0, 255))) == pytest.approx(5.0)
    assert nf.rms_difference(png((1, 2, 3, 255)), png((1, 2, 3, 255))) == 0.0


def test_size_change_is_reported_not_averaged():
    assert nf.rms_difference(png((0, 0, 0, 255), (8, 6)), png((0, 0, 0, 255), (6, 8))) is None
    problems = nf.compare_pictures([image_output(png((0, 0, 0, 255), (8, 6)))],
                                   [image_output(png((0, 0, 0, 255), (9, 6)))])
    assert problems == ["output 0 (image/png): size changed from 8x6 to 9x6 pixels"]


def test_small_differences_pass_and_larger_ones_fail():
    # One level on one channel: sqrt(1 / 4) = 0.5, within tolerance; four levels: 2.0.
    assert nf.compare_pictures([image_output(png((100, 100, 100, 255)))],
                               [image_output(png((101, 100, 100, 255)))]) == []
    problems = nf.compare_pictures([image_output(png((100, 100, 100, 255)))],
                                   [image_output(png((104, 100, 100, 255)))])
    assert len(problems) == 1 and "RMS 2.00" in problems[0]


def test_count_change_is_a_problem():
    problems = nf.compare_pictures([], [image_output(png((0, 0, 0, 255)))])
    assert len(problems) == 1 and "stores 0 picture(s)" in problems[0]


def test_animation_frames_are_found_in_to_jshtml_output():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.animation import FuncAnimation

    fig, ax = plt.subplots(figsize=(1, 1), dpi=20)
    (line,) = ax.plot([], [])
    anim = FuncAnimation(fig, lambda i: line.set_data([0, 1], [0, i]) or (line,), frames=4)
    html = anim.to_jshtml()
    plt.close(fig)
    found = nf.pictures([{"output_type": "execute_result", "metadata": {},
                          "data": {"text/html": html, "text/plain": "<HTML>"}}])
    assert [p.where for p in found] == [f"output 0, animation frame {i}" for i in range(4)]
    assert all(nf.pixels(p.data).shape == (20, 20, 4) for p in found)


# --- the plugin inside a real nbval run --------------------------------------

FIGURE = """\
import matplotlib.pyplot as plt
fig, ax = plt.subplots(figsize=(2, 2), dpi=40)
ax.set(xlim=(0, 1), ylim=(0, 3))
ax.plot([0, 1], [0, {slope}])
plt.show()"""

ANIMATION = """\
import matplotlib.pyplot as plt
from IPython.display import HTML
from matplotlib.animation import FuncAnimation
fig, ax = plt.subplots(figsize=(2, 2), dpi=30)
ax.set(xlim=(0, 1), ylim=(0, 3))
(line,) = ax.plot([], [])
anim = FuncAnimation(fig, lambda i: line.set_data([0, 1], [0, i]) or (line,), frames=3)
plt.close(fig)
HTML(anim.to_jshtml())"""


def _frame_payloads(html: str) -> list[str]:
    return re.findall(r"data:image/png;base64,([A-Za-z0-9+/=\\\s]+)", html)


@pytest.fixture(scope="module")
def nbval_report(tmp_path_factory) -> dict[str, str]:
    """Run nbval (with the repository's conftest.py) on a notebook of good and stale cells.

    Returns {cell name: failure text, or "" if it passed}.
    """
    from nbclient import NotebookClient

    cells = [nbformat.v4.new_code_cell(FIGURE.format(slope=1)),  # 0 current figure
             nbformat.v4.new_code_cell(FIGURE.format(slope=1)),  # 1 made stale below
             nbformat.v4.new_code_cell(ANIMATION),               # 2 current animation
             nbformat.v4.new_code_cell(ANIMATION),               # 3 frame 1 replaced below
             nbformat.v4.new_code_cell(FIGURE.format(slope=1)),  # 4 image dropped below
             nbformat.v4.new_code_cell(FIGURE.format(slope=1))]  # 5 stale but output ignored
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    NotebookClient(nb, timeout=120, kernel_name="python3").execute()

    nb.cells[1].source = FIGURE.format(slope=3)            # code changed, figure not redrawn
    html = nb.cells[3].outputs[0]["data"]["text/html"]
    frames = _frame_payloads(html)
    assert len(frames) == 3 and frames[1] != frames[2]
    nb.cells[3].outputs[0]["data"]["text/html"] = html.replace(frames[1], frames[2], 1)
    del nb.cells[4].outputs[0]["data"]["image/png"]      # figure missing from the notebook
    nb.cells[5].source = FIGURE.format(slope=3)
    nb.cells[5].metadata["tags"] = ["nbval-ignore-output"]

    # Inside the repository, so that its conftest.py and pytest settings apply.
    work = ROOT / "_build" / "test-figures"
    work.mkdir(parents=True, exist_ok=True)
    notebook = work / "figures_under_test.ipynb"
    nbformat.write(nb, notebook)
    junit = tmp_path_factory.mktemp("junit") / "report.xml"
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval", "--nbval-current-env",
         "--nbval-sanitize-with", str(ROOT / "tests" / "nbval_sanitize.cfg"),
         "-p", "no:cacheprovider", f"--junitxml={junit}", str(notebook)],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    results = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        failure = case.find("failure")
        results[case.get("name")] = "" if failure is None else (failure.text or "")
    assert len(results) == 6, proc.stdout[-3000:] + proc.stderr[-3000:]
    return results


def test_current_figures_and_animations_pass(nbval_report):
    assert nbval_report["Cell 0"] == ""
    assert nbval_report["Cell 2"] == ""


def test_stale_figure_fails_naming_the_picture(nbval_report):
    assert "Figures differ from the stored ones" in nbval_report["Cell 1"]
    assert "output 0 (image/png): differs from the stored picture" in nbval_report["Cell 1"]


def test_stale_animation_frame_fails_naming_the_frame(nbval_report):
    report = nbval_report["Cell 3"]
    assert "animation frame 1: differs" in report
    assert "animation frame 0" not in report and "animation frame 2" not in report


def test_missing_figure_fails(nbval_report):
    assert "stores 0 picture(s) but the code now draws 1" in nbval_report["Cell 4"]


def test_cells_with_ignored_output_are_not_compared(nbval_report):
    assert nbval_report["Cell 5"] == ""


# --- the chapters' stored pictures --------------------------------------------

@pytest.mark.parametrize("notebook", CHAPTERS, ids=[p.name for p in CHAPTERS])
def test_chapter_pictures_are_png_and_decode(notebook):
    """Figures are stored as PNG (SVG embeds a date, so nbval would fail) and are readable."""
    nb = nbformat.read(notebook, as_version=4)
    for index, cell in enumerate(c for c in nb.cells if c.cell_type == "code"):
        for output in cell.get("outputs", []):
            assert "image/svg+xml" not in output.get("data", {}), \
                f"{notebook.name} code cell {index}: store figures as PNG, not SVG"
        for picture in nf.pictures(copy.deepcopy(cell.get("outputs", []))):
            assert nf.pixels(picture.data).size > 0, f"{notebook.name} cell {index}"
