"""Pictures of pooling: windows marked in text, an animated pooling window, grids of numbers.

Everything here computes window by window, with plain loops written for
this module, so the pictures are an independent check on
:func:`cnnlib.max_pool2d` and :func:`cnnlib.avg_pool2d` rather than a copy of
their output (the tests compare the two).

=========================  ==========================================================
function                   shows
=========================  ==========================================================
:func:`max_positions`      where each window's maximum sits (the cells max pooling
                           reads, and the only ones its gradient reaches)
:func:`format_windows`     a small 2-D array as text, windows separated, cells marked
:func:`pool_animation`     the pooling window sliding, max and/or mean filling in
:func:`grid_figure`        several small 2-D arrays as grids of numbers, windows in
                           colour (e.g. input, upstream gradient, input gradient)
=========================  ==========================================================

The drawing reuses :mod:`cnnlib.course.conv_demo` (:class:`~cnnlib.course.conv_demo.GridCanvas`,
:class:`~cnnlib.course.conv_demo.GridAnimation`), so the pooling animation looks and
plays like the convolution one.

Used by the chapters 05-pooling.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle

from ..functional import max_pool2d, max_pool2d_backward
from .._validate import float_array, check_pool_args
from .conv_demo import GridAnimation, GridCanvas, format_value

__all__ = ["WINDOW_COLORS", "format_windows", "grid_figure", "max_positions", "pool_animation"]

WINDOW_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
                 "#e377c2", "#17becf", "#bcbd22")
"""Colours of windows 0, 1, 2, ... in row-major order (cycled) in :func:`grid_figure`."""

_WINNER_COLOR = "#d62728"
_WINDOW_COLOR = "#1f77b4"
_MODES = {"max": "max pool", "avg": "avg pool"}


def _as_2d(x, name: str = "x") -> np.ndarray:
    x = float_array(x, name)
    if x.ndim != 2:
        raise ValueError(f"{name} must be 2-D (H, W), got shape {x.shape}")
    return x


def _geometry(shape2d, kernel_size, stride):
    """(kernel, stride, out_hw) by cnnlib's own rules (and error messages)."""
    probe = np.zeros((1, 1) + tuple(shape2d))
    _, k, s, _, out_hw = check_pool_args(probe, kernel_size, stride, 0)
    return k, s, out_hw


def max_positions(x, kernel_size, stride=None) -> np.ndarray:
    """Where each window's maximum sits: a boolean mask of the input's shape.

    On a tie the first maximum in row-major order is taken, as PyTorch and
    cnnlib do. With overlapping windows one cell can win several windows; it
    is marked once.

    Parameters
    ----------
    x : array_like, shape (H, W), floating point
    kernel_size, stride
        As for :func:`cnnlib.max_pool2d` (no padding).

    Returns
    -------
    ndarray of bool, shape (H, W)
    """
    x = _as_2d(x)
    _geometry(x.shape, kernel_size, stride)  # same checks and messages as before
    # the backward pass routes each window's gradient to exactly this position
    out = max_pool2d(x[None, None], kernel_size, stride)
    grad = max_pool2d_backward(np.ones_like(out), x[None, None], kernel_size, stride)
    return grad[0, 0] != 0


def format_windows(x, kernel_size, marks: np.ndarray | None = None,
                   fmt: str = "{:g}") -> str:
    """A 2-D array as text with its non-overlapping pooling windows separated.

    Windows are ``kernel_size`` cells wide and tall, side by side (stride =
    kernel size); ``|`` and ``-`` lines separate them. Rows or columns left
    over after the last full window (which pooling ignores) come after a
    double line ``||`` / ``=``.

    Parameters
    ----------
    x : array_like, shape (H, W)
    kernel_size : int or (kh, kw)
    marks : array of bool, shape (H, W), optional
        Cells to show in brackets, e.g. ``max_positions(x, 2)``.
    fmt : str
        Format of each number.

    Returns
    -------
    str
        One line per row of ``x`` plus the separator lines.

    Examples
    --------
    >>> x = np.array([[1., 3, 2, 1], [4, 6, 5, 0], [7, 2, 3, 9], [0, 1, 4, 8]])
    >>> print(format_windows(x, 2, marks=max_positions(x, 2)))
     1   3  |  2   1
     4  [6] | [5]  0
    --------+--------
    [7]  2  |  3  [9]
     0   1  |  4   8
    """
    x = np.asarray(x)
    if x.ndim != 2:
        raise ValueError(f"x must be 2-D (H, W), got shape {x.shape}")
    (kh, kw), _, (ho, wo) = _geometry(x.shape, kernel_size, None)
    if marks is None:
        marks = np.zeros(x.shape, dtype=bool)
    marks = np.asarray(marks, dtype=bool)
    if marks.shape != x.shape:
        raise ValueError(f"marks must have x's shape {x.shape}, got {marks.shape}")
    texts = [[fmt.format(v) for v in row] for row in x.tolist()]
    width = max(len(t) for row in texts for t in row)
    cells = [[(f"[{t:>{width}}]" if m else f" {t:>{width}} ") for t, m in zip(row, mrow)]
             for row, mrow in zip(texts, marks.tolist())]

    def column_groups(row_cells):
        groups = [" ".join(row_cells[j * kw:(j + 1) * kw]) for j in range(wo)]
        line = " | ".join(groups)
        if wo * kw < x.shape[1]:
            line += " || " + " ".join(row_cells[wo * kw:])
        return line

    lines = [column_groups(row) for row in cells]
    # a separator line under each block of rows, crossing the column separators
    sample = lines[0]

    def separator(char: str) -> str:
        return "".join(("+" if c == "|" else char) for c in sample)

    out = []
    for i, line in enumerate(lines):
        if i and i % kh == 0:
            out.append(separator("=" if i == ho * kh else "-"))
        out.append(line)
    return "\n".join(line.rstrip() for line in out)


def _as_chw(x) -> np.ndarray:
    x = float_array(x, "x")
    if x.ndim == 2:
        x = x[None]
    if x.ndim != 3:
        raise ValueError(f"x must be (H, W) or (C, H, W), got shape {x.shape}")
    return x


def _window_text(values) -> str:
    return ", ".join(format_value(v) for v in values)


def pool_animation(x, kernel_size, stride=None, *, modes: Sequence[str] = ("max", "avg"),
                   max_frames: int = 40, interval: int = 1000, cell_inches: float = 0.32,
                   dpi: float = 72) -> GridAnimation:
    """Animate pooling window by window: every number visible, one output value per frame.

    Frame ``k`` handles output value ``k`` in (channel, row, column) order:
    the window is outlined on its own channel of the input (pooling never
    mixes channels), the cell holding the window's maximum is outlined too,
    and each output panel (one per mode) gets its new value; earlier values
    stay. Two caption lines spell out the window and the results.

    Parameters
    ----------
    x : ndarray, shape (H, W) or (C, H, W), floating point
        Small whole numbers read best.
    kernel_size, stride
        As for :func:`cnnlib.max_pool2d` (no padding).
    modes : sequence of "max" and/or "avg"
        Which poolings to show, one output panel each, in this order.
    max_frames : int
        Refuse more frames than this (each is an embedded image).
    interval : int
        Milliseconds between frames when playing.
    cell_inches, dpi
        Size of a grid cell and resolution of the frames.

    Returns
    -------
    GridAnimation
        ``C * Ho * Wo`` frames. Show it with ``HTML(anim.to_jshtml())`` and
        close its figure (``plt.close(anim._fig)``). ``anim.canvas.panels``
        holds the input panel and then one output panel per mode.

    Raises
    ------
    ValueError, TypeError
        Bad shapes or arguments (as :func:`cnnlib.max_pool2d` reports them),
        an unknown mode, or more than ``max_frames`` frames.
    """
    x = _as_chw(x)
    (kh, kw), (sh, sw), (ho, wo) = _geometry(x.shape[1:], kernel_size, stride)
    modes = list(modes)
    if not modes or any(m not in _MODES for m in modes) or len(set(modes)) != len(modes):
        raise ValueError(f"modes must be a non-empty selection of 'max' and 'avg', got {modes!r}")
    c_count = x.shape[0]
    n_frames = c_count * ho * wo
    if n_frames > max_frames:
        raise ValueError(
            f"this pooling has {c_count} x {ho} x {wo} = {n_frames} output values, one frame each, "
            f"more than max_frames={max_frames}: use a smaller input or fewer channels"
        )

    order = [(c, i, j) for c in range(c_count) for i in range(ho) for j in range(wo)]
    windows, winners = {}, {}
    results = {m: np.zeros((c_count, ho, wo)) for m in modes}
    for c, i, j in order:
        window = x[c, i * sh:i * sh + kh, j * sw:j * sw + kw].astype(np.float64)
        windows[c, i, j] = window
        flat = window.ravel()
        first = int(np.argmax(flat))  # argmax returns the first maximum on a tie
        winners[c, i, j] = divmod(first, kw)
        if "max" in results:
            results["max"][c, i, j] = flat[first]
        if "avg" in results:
            results["avg"][c, i, j] = flat.sum() / flat.size

    canvas = GridCanvas(cell_inches=cell_inches, dpi=dpi)
    label = (lambda c: f"channel {c}") if c_count > 1 else None
    stride_text = f"{sh}" if sh == sw else f"{(sh, sw)}"
    inp = canvas.add_panel(x, f"input {c_count}x{x.shape[1]}x{x.shape[2]}\n"
                              f"{kh}x{kw} windows, stride {stride_text}", channel_label=label)
    outs = [canvas.add_panel(results[m], f"{_MODES[m]}\n{c_count}x{ho}x{wo}",
                             blank=True, channel_label=label, space_before=1.8)
            for m in modes]
    line1 = canvas.add_caption()
    line2 = canvas.add_caption()
    fig = canvas.finish()

    def draw(k: int):
        # each frame sets the whole state, so frames can be drawn in any order
        c, i, j = order[k]
        r0, q0 = i * sh, j * sw
        inp.highlight("window", [c], slice(r0, r0 + kh), slice(q0, q0 + kw), _WINDOW_COLOR)
        if "max" in results:
            u, v = winners[c, i, j]
            inp.highlight("winner", [c], slice(r0 + u, r0 + u + 1), slice(q0 + v, q0 + v + 1),
                          _WINNER_COLOR, linewidth=2.0)
        for panel, m in zip(outs, modes):
            panel.highlight("cell", [c], slice(i, i + 1), slice(j, j + 1), _WINDOW_COLOR)
            for t, (g, a, b) in enumerate(order):
                panel.write(g, a, b, results[m][g, a, b] if t <= k else None)
        window = windows[c, i, j]
        where = f"channel {c}, " if c_count > 1 else ""
        line1.set_text(f"out[{c}, {i}, {j}]: {where}rows {r0}-{r0 + kh - 1}, "
                       f"cols {q0}-{q0 + kw - 1}")
        parts = []
        if "max" in results:
            u, v = winners[c, i, j]
            parts.append(f"max {format_value(results['max'][c, i, j])} at ({r0 + u}, {q0 + v})")
        if "avg" in results:
            parts.append(f"mean {format_value(window.sum())}/{window.size} = "
                         f"{format_value(results['avg'][c, i, j])}")
        line2.set_text(";  ".join(parts))
        return []

    draw(0)
    anim = GridAnimation(fig, draw, frames=n_frames, interval=interval, blit=False, repeat=True)
    anim.canvas = canvas
    anim.results = results
    return anim


def grid_figure(arrays: Sequence[np.ndarray], titles: Sequence[str], *,
                groups: Sequence[int | None] | None = None,
                marks: Sequence[np.ndarray | None] | None = None,
                cell_inches: float = 0.42, dpi: float = 100,
                fontsize: float = 11.0) -> plt.Figure:
    """Small 2-D arrays side by side as grids of numbers, windows colour-coded.

    Window ``n`` (row-major order) of every panel gets colour
    ``WINDOW_COLORS[n]``: with ``groups = [2, 1]`` the four 2x2 windows of a
    4x4 input and the four cells of its 2x2 pooled output are coloured alike,
    so the eye can follow each window to its output.

    Parameters
    ----------
    arrays : sequence of 2-D arrays
    titles : sequence of str, one per array
    groups : sequence of (int or None), optional
        For each panel, the side of its non-overlapping windows (1 = every
        cell is its own window; None = no colours).
    marks : sequence of (bool array or None), optional
        For each panel, cells to fill with their window's colour (red where
        the panel has no windows), e.g. the maxima, printed in bold.
    cell_inches, dpi, fontsize
        Size of one cell, resolution, size of the numbers.

    Returns
    -------
    Figure
        Not shown: end the cell with ``plt.show()``.
    """
    arrays = [np.asarray(a) for a in arrays]
    titles = list(titles)
    if not arrays or len(titles) != len(arrays):
        raise ValueError(f"give one title per array: {len(arrays)} arrays, {len(titles)} titles")
    if any(a.ndim != 2 for a in arrays):
        raise ValueError(f"arrays must be 2-D, got shapes {[a.shape for a in arrays]}")
    groups = [None] * len(arrays) if groups is None else list(groups)
    marks = [None] * len(arrays) if marks is None else list(marks)
    if len(groups) != len(arrays) or len(marks) != len(arrays):
        raise ValueError("groups and marks need one entry per array")
    canvas = GridCanvas(cell_inches=cell_inches, dpi=dpi)
    for a, title, g, m in zip(arrays, titles, groups, marks):
        panel = canvas.add_panel(a[None], title, fontsize=fontsize, space_before=1.4)
        if m is not None:
            m = np.asarray(m, dtype=bool)
            if m.shape != a.shape:
                raise ValueError(f"a mark array has shape {m.shape}, its panel {a.shape}")
        if g is None:
            for i, j in zip(*np.nonzero(m)) if m is not None else ():
                canvas.ax.add_patch(Rectangle((panel.x0 + j, panel.y0 + i), 1, 1,
                                              facecolor=_WINNER_COLOR, alpha=0.25, zorder=2))
                panel.texts[0, i, j].set_fontweight("bold")
            continue
        if a.shape[0] % g or a.shape[1] % g:
            raise ValueError(f"a {a.shape} panel cannot be cut into {g}x{g} windows")
        per_row = a.shape[1] // g
        for bi in range(a.shape[0] // g):
            for bj in range(per_row):
                color = WINDOW_COLORS[(bi * per_row + bj) % len(WINDOW_COLORS)]
                canvas.ax.add_patch(Rectangle((panel.x0 + bj * g, panel.y0 + bi * g), g, g,
                                              fill=False, edgecolor=color, linewidth=2.4, zorder=4))
                if m is None:
                    continue
                for u in range(g):
                    for v in range(g):
                        i, j = bi * g + u, bj * g + v
                        if m[i, j]:
                            canvas.ax.add_patch(Rectangle((panel.x0 + j, panel.y0 + i), 1, 1,
                                                          facecolor=color, alpha=0.35, zorder=2))
                            panel.texts[0, i, j].set_fontweight("bold")
    fig = canvas.finish(freeze=False)
    # no caption lines here: trim the room GridCanvas keeps for them under the grids
    top, _ = canvas.ax.get_ylim()[::-1]
    bottom = max(p.y0 + p.height for p in canvas.panels) + 0.4
    canvas.ax.set_ylim(bottom, top)
    width = fig.get_size_inches()[0]
    fig.set_size_inches(width, (bottom - top) * cell_inches)
    return fig
