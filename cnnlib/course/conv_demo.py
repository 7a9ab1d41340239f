"""Animated sliding-window demos: numbers in grids, a highlighted window, an output filling in.

The figure shows every number involved: the (padded) input volume, each
filter, and the output volume. One frame per output value: the window the
filter is reading is outlined on every input channel, the filter in use is
outlined, and the new output value is written in (earlier ones stay).

Two layers, so other sliding-window operations can reuse the drawing:

* :class:`GridCanvas` and :class:`VolumePanel` draw a (C, H, W) array as C
  grids of numbers stacked vertically, lay panels out left to right, and
  move highlight rectangles and write values on request;
* :func:`conv_animation` composes them into the convolution demo. A pooling
  demo needs only an input panel, an output panel (``blank=True``), a
  highlight on one channel at a time, ``canvas.finish()`` and a
  :class:`GridAnimation` over a frame function (``tests/test_conv_demo.py``
  builds a max-pooling one).

:class:`GridAnimation` is a ``FuncAnimation`` whose ``to_jshtml`` stores the
frames as 256-colour PNGs: they look the same and take less than half the
space in a notebook.

Example (in a notebook)::

    from IPython.display import HTML
    anim = conv_animation(x, weight, bias, stride=2, padding=1)
    HTML(anim.to_jshtml())   # then plt.close(anim._fig)

Used by the chapters 03-filters (and the animation style of 05-pooling).
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from io import BytesIO
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Optional

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.animation import FuncAnimation, HTMLWriter
from matplotlib.colors import to_rgba
from matplotlib.patches import Rectangle

from .._validate import float_array, check_conv_args

__all__ = ["format_value", "VolumePanel", "GridCanvas", "GridAnimation", "conv_animation",
           "FILTER_COLORS"]

FILTER_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")
"""Edge colours of filters 0, 1, 2, ... (cycled): the window, filter and output cell share one."""

_CELL_FACE = "#f7f7f7"
_MUTED_FACE = "#dcdcdc"
_MUTED_TEXT = "#8a8a8a"


def format_value(value: float) -> str:
    """Short text for one number: whole numbers without decimals, others with two.

    >>> format_value(3.0), format_value(-0.0), format_value(0.125)
    ('3', '0', '0.12')
    """
    value = float(value)
    if np.isinf(value):
        return "-inf" if value < 0 else "inf"
    if abs(value - round(value)) < 1e-9:
        return str(int(round(value)))
    return f"{value:.2f}"


def _tint(color: str, amount: float = 0.18) -> tuple:
    """``color`` mixed with white: a light background in the filter's hue."""
    rgb = np.array(to_rgba(color)[:3])
    return tuple(1 - amount * (1 - rgb))


class VolumePanel:
    """A (C, H, W) array drawn as C grids of numbers, stacked top to bottom.

    Coordinates are in cell units on the :class:`GridCanvas` axes, y growing
    downwards: cell (c, i, j) has its top-left corner at
    ``(x0 + j, y0 + c * (H + gap) + i)``.

    Parameters
    ----------
    ax : matplotlib Axes
        The canvas axes (y axis inverted).
    values : ndarray, shape (C, H, W)
        Numbers to show. With ``blank=True`` the cells start empty and
        :meth:`write` fills them.
    x0, y0 : float
        Top-left corner of the first grid.
    title : str
        Written above the panel.
    channel_label : callable(c) -> str, optional
        Label left of grid c, e.g. ``lambda c: f"ch {c}"``.
    blank : bool
        Start with empty cells, to be filled by :meth:`write`.
    live : bool, optional
        Whether the numbers will change after :meth:`GridCanvas.finish`
        (default: same as ``blank``). The numbers of other panels are
        rendered once into the canvas's static background.
    muted : ndarray of bool, shape (C, H, W), optional
        Cells drawn grey (e.g. zero padding).
    face : colour or list of colours (one per channel), optional
        Background of the (non-muted) cells.
    note : str, optional
        Written under the panel (e.g. a bias value).
    gap : float
        Vertical space between grids, in cells.
    fontsize : float
        Of the numbers.
    """

    def __init__(self, ax, values, *, x0: float, y0: float, title: str,
                 channel_label: Optional[Callable[[int], str]] = None,
                 muted: Optional[np.ndarray] = None, face=_CELL_FACE,
                 blank: bool = False, live: Optional[bool] = None, note: Optional[str] = None,
                 gap: float = 0.7, fontsize: float = 9.0):
        values = np.asarray(values)
        if values.ndim != 3:
            raise ValueError(f"values must be 3-D (C, H, W), got shape {values.shape}")
        self.ax, self.values, self.x0, self.y0, self.gap = ax, values, x0, y0, gap
        self.live = blank if live is None else bool(live)
        # what never changes: GridCanvas.finish renders these once into a background image
        self.static_artists: list = []
        add = self.static_artists.append
        c_count, h, w = values.shape
        muted = np.zeros(values.shape, bool) if muted is None else np.asarray(muted, bool)
        self.texts = np.empty(values.shape, dtype=object)
        faces = list(face) if isinstance(face, list) else [face] * c_count
        for c in range(c_count):
            top = self.grid_top(c)
            if channel_label is not None:
                add(ax.text(x0 - 0.25, top + h / 2, channel_label(c), ha="right", va="center",
                            fontsize=fontsize - 1, color="#444444", rotation=90))
            for i in range(h):
                for j in range(w):
                    m = muted[c, i, j]
                    add(ax.add_patch(Rectangle((x0 + j, top + i), 1, 1,
                                               facecolor=_MUTED_FACE if m else faces[c],
                                               edgecolor="#b0b0b0", linewidth=0.6, zorder=1)))
                    self.texts[c, i, j] = ax.text(
                        x0 + j + 0.5, top + i + 0.52, "" if blank else format_value(values[c, i, j]),
                        ha="center", va="center", fontsize=fontsize, zorder=3,
                        color=_MUTED_TEXT if m else "black")
                    if not self.live:
                        add(self.texts[c, i, j])
        add(ax.text(x0 + w / 2, y0 - 0.45, title, ha="center", va="bottom", fontsize=fontsize + 1,
                    fontweight="bold"))
        if note:
            add(ax.text(x0 + w / 2, y0 + self.height + 0.3, note, ha="center", va="top",
                        fontsize=fontsize))
        self._highlights: dict[str, list[Rectangle]] = {}

    @property
    def width(self) -> float:
        return float(self.values.shape[2])

    @property
    def height(self) -> float:
        c, h = self.values.shape[:2]
        return c * h + (c - 1) * self.gap

    def grid_top(self, c: int) -> float:
        """y coordinate of the top edge of grid ``c``."""
        return self.y0 + c * (self.values.shape[1] + self.gap)

    def highlight(self, key: str, channels: Sequence[int], rows: slice, cols: slice,
                  color: str, linewidth: float = 2.6) -> None:
        """Outline ``rows x cols`` on each grid in ``channels`` (and only those).

        Calling again with the same ``key`` moves that outline; an empty
        ``channels`` hides it.
        """
        rects = self._highlights.setdefault(key, [])
        c_count, h, w = self.values.shape
        r0, r1, _ = rows.indices(h)
        q0, q1, _ = cols.indices(w)
        while len(rects) < c_count:
            rect = Rectangle((0, 0), 1, 1, fill=False, linewidth=linewidth, zorder=4, visible=False)
            self.ax.add_patch(rect)
            rects.append(rect)
        shown = {int(c) for c in channels}
        for c, rect in enumerate(rects):
            rect.set_visible(c in shown)
            if c in shown:
                rect.set_xy((self.x0 + q0, self.grid_top(c) + r0))
                rect.set_width(q1 - q0)
                rect.set_height(r1 - r0)
                rect.set_edgecolor(color)

    def highlighted(self, key: str) -> list[tuple[int, int, int, int, int]]:
        """Visible outlines of ``key`` as ``(channel, row0, row1, col0, col1)`` in cell indices."""
        out = []
        for c, rect in enumerate(self._highlights.get(key, [])):
            if rect.get_visible():
                x, y = rect.get_xy()
                r0 = int(round(y - self.grid_top(c)))
                q0 = int(round(x - self.x0))
                out.append((c, r0, r0 + int(round(rect.get_height())), q0, q0 + int(round(rect.get_width()))))
        return out

    def write(self, c: int, i: int, j: int, value: Optional[float]) -> None:
        """Show ``value`` in cell (c, i, j); ``None`` empties the cell.

        Only for a ``live`` panel once the canvas is finished: the other
        panels' numbers are part of the static background by then.
        """
        if not self.live and not self.texts[c, i, j].get_visible():
            raise RuntimeError("this panel's numbers were frozen into the background; "
                               "create it with live=True (or blank=True) to change them")
        self.texts[c, i, j].set_text("" if value is None else format_value(value))

    def text_values(self) -> np.ndarray:
        """What the cells currently show, as floats (NaN for empty cells)."""
        return np.array([float(t.get_text()) if t.get_text() else np.nan for t in self.texts.flat]
                        ).reshape(self.values.shape)


class GridCanvas:
    """One figure, one invisible axes in cell units, panels placed left to right.

    Parameters
    ----------
    cell_inches : float
        Printed size of one grid cell; the figure is sized to fit the panels.
    dpi : float
        Of the figure (and of the animation frames).
    """

    def __init__(self, cell_inches: float = 0.3, dpi: float = 72):
        self.cell_inches = cell_inches
        self.fig, self.ax = plt.subplots(dpi=dpi)
        self.ax.set_axis_off()
        self.panels: list[VolumePanel] = []
        self.texts = []
        self._next_x = 0.8  # room for the first panel's channel labels

    def add_panel(self, values, title: str, *, space_before: float = 1.6, **kwargs) -> VolumePanel:
        """Add a :class:`VolumePanel` right of the previous one (keywords as there)."""
        x0 = self._next_x + (space_before if self.panels else 0.0)
        panel = VolumePanel(self.ax, values, x0=x0, y0=0.0, title=title, **kwargs)
        self.panels.append(panel)
        self._next_x = x0 + panel.width
        return panel

    def add_caption(self, text: str = "", fontsize: float = 9.5):
        """A text line under all panels (returned, so a frame function can update it)."""
        caption = self.ax.text(0, 0, text, ha="left", va="top", fontsize=fontsize, family="monospace")
        self.texts.append(caption)
        return caption

    def finish(self, freeze: bool = True) -> plt.Figure:
        """Fit the axes and the figure size to the panels; return the figure.

        With ``freeze`` (default), everything that cannot change (grids,
        titles, the numbers of panels that are not ``live``) is rendered once
        into a background image and its artists hidden: an animation frame
        then redraws only the few artists that move, about ten times faster.
        Highlights and captions are always live.
        """
        bottom = max(p.y0 + p.height for p in self.panels) + 1.2
        for k, caption in enumerate(self.texts):
            caption.set_position((0.4, bottom + 0.2 + 1.1 * k))
        height = bottom + 0.2 + 1.1 * len(self.texts) + 0.3
        width = self._next_x + 0.4
        top = -2.0  # room for two-line titles
        self.ax.set_xlim(0, width)
        self.ax.set_ylim(height, top)  # inverted: row 0 at the top
        self.ax.set_aspect("equal")
        self.fig.set_size_inches(width * self.cell_inches, (height - top) * self.cell_inches)
        self.fig.subplots_adjust(0, 0, 1, 1)
        if freeze:
            self._freeze()
        return self.fig

    def _freeze(self) -> None:
        static = [a for p in self.panels for a in p.static_artists]
        static_ids = {id(a) for a in static}
        changing = list(self.texts)
        for p in self.panels:
            changing += [t for t in p.texts.flat if id(t) not in static_ids]
            changing += [r for rects in p._highlights.values() for r in rects]
        live = [a for a in changing if a.get_visible()]
        for a in live:
            a.set_visible(False)
        self.fig.canvas.draw()
        background = np.asarray(self.fig.canvas.buffer_rgba()).copy()
        for a in live:
            a.set_visible(True)
        for a in static:
            a.set_visible(False)
        # a figure-wide image under the axes: drawn at any dpi, one pixel per pixel at the figure's
        bg = self.fig.add_axes((0, 0, 1, 1), zorder=-1)
        bg.imshow(background, aspect="auto", interpolation="nearest")
        bg.set_axis_off()
        self.background = bg


class _PaletteHTMLWriter(HTMLWriter):
    """matplotlib's HTMLWriter, with each embedded frame stored as a 256-colour PNG.

    The frames are flat colours, text and thin lines: a palette looks the
    same and takes about 40% of the bytes (keeping notebooks small), and
    encoding the frame once, from the canvas's pixels, is about twice as
    fast as matplotlib's savefig followed by a re-encode. Anything unusual
    (other formats, savefig options, another dpi) goes through matplotlib's
    own code.
    """

    def grab_frame(self, **savefig_kwargs):
        frames = getattr(self, "_saved_frames", None)
        # Animation.save always passes the figure's own facecolor and transparent=False
        face = savefig_kwargs.get("facecolor", self.fig.get_facecolor())
        plain = (set(savefig_kwargs) <= {"facecolor", "transparent"}
                 and not savefig_kwargs.get("transparent", False)
                 and np.allclose(to_rgba(face), to_rgba(self.fig.get_facecolor())))
        if (not plain or not self.embed_frames or self.frame_format != "png" or frames is None
                or self.dpi != self.fig.dpi):
            return super().grab_frame(**savefig_kwargs)
        from PIL import Image  # a dependency of matplotlib

        self.fig.canvas.draw()
        rgb = Image.fromarray(np.asarray(self.fig.canvas.buffer_rgba())).convert("RGB")
        out = BytesIO()
        rgb.quantize(256, dither=0).save(out, format="png")
        frames.append(base64.encodebytes(out.getvalue()).decode("ascii"))


class GridAnimation(FuncAnimation):
    """A :class:`~matplotlib.animation.FuncAnimation` whose ``to_jshtml`` embeds palette PNGs.

    Same player and arguments as matplotlib's ``to_jshtml``; only the frames
    are smaller. ``canvas`` holds the :class:`GridCanvas` it animates.
    """

    canvas: "GridCanvas"

    def to_jshtml(self, fps=None, embed_frames=True, default_mode=None) -> str:
        if fps is None:
            fps = 1000 / self._interval
        if default_mode is None:
            default_mode = "loop" if getattr(self, "_repeat", False) else "once"
        if not hasattr(self, "_html_representation"):
            with TemporaryDirectory() as tmpdir:
                path = Path(tmpdir, "animation.html")
                writer = _PaletteHTMLWriter(fps=fps, embed_frames=embed_frames, default_mode=default_mode)
                self.save(str(path), writer=writer)
                self._html_representation = path.read_text()
        return self._html_representation


def _as_chw(x) -> np.ndarray:
    x = float_array(x, "x")
    if x.ndim == 4:
        if x.shape[0] != 1:
            raise ValueError(f"x must hold one image, shape (C, H, W) or (1, C, H, W), got shape {x.shape}")
        x = x[0]
    if x.ndim != 3:
        raise ValueError(f"x must be 3-D (C, H, W) or 4-D (1, C, H, W), got shape {x.shape}")
    return x


def conv_animation(x, weight, bias=None, stride=1, padding=0, *, max_frames: int = 40,
                   interval: int = 900, cell_inches: float = 0.3, dpi: float = 72) -> GridAnimation:
    """Animate a convolution window by window, every number visible.

    Frame ``k`` computes output value ``k`` in (filter, row, column) order:
    it outlines the window in every channel of the padded input and the
    filter in use, writes ``sum(window * filter) + bias`` into the output
    (earlier values stay), and spells out the sum channel by channel. The
    values are computed from the outlined window itself, independently of
    :func:`cnnlib.conv2d`, which they must (and, by the tests, do) equal.

    Parameters
    ----------
    x : ndarray, shape (C, H, W) or (1, C, H, W)
        One image; small numbers read best (e.g. integers 0..2).
    weight : ndarray, shape (F, C, kh, kw)
    bias : ndarray, shape (F,), optional
    stride, padding
        As for :func:`cnnlib.conv2d` (int, pair; padding also "same"/"valid").
    max_frames : int
        Refuse to build more frames than this (each is an embedded image).
    interval : int
        Milliseconds between frames when playing.
    cell_inches, dpi
        Size of one grid cell and resolution of the frames.

    Returns
    -------
    GridAnimation
        A matplotlib ``FuncAnimation`` of ``F * Ho * Wo`` frames. Render with
        ``HTML(anim.to_jshtml())`` and close its figure (``plt.close(anim._fig)``)
        so no static copy is shown.
        The canvas is kept as ``anim.canvas`` (panels: input, filters...,
        output) for inspection.

    Raises
    ------
    ValueError, TypeError
        Bad shapes or arguments (as :func:`cnnlib.conv2d` reports them), or
        more than ``max_frames`` frames.
    """
    x = _as_chw(x)
    x4, weight, bias, (sh, sw), pad, (ho, wo) = check_conv_args(x[None], weight, bias, stride, padding)
    f_count, c_count, kh, kw = weight.shape
    n_frames = f_count * ho * wo
    if n_frames > max_frames:
        raise ValueError(
            f"this convolution has {f_count} x {ho} x {wo} = {n_frames} output values, one frame each, "
            f"more than max_frames={max_frames}: use a smaller input, fewer filters or a larger stride"
        )
    if bias is None:
        bias = np.zeros(f_count, dtype=x4.dtype)
    top, bottom, left, right = pad
    xp = np.pad(x4[0], ((0, 0), (top, bottom), (left, right)))
    muted = np.ones(xp.shape, bool)
    muted[:, top:top + x.shape[1], left:left + x.shape[2]] = False

    canvas = GridCanvas(cell_inches=cell_inches, dpi=dpi)
    pad_text = f"padding {top}" if top == bottom == left == right else f"padding {pad}"
    inp = canvas.add_panel(xp, f"input x\n{c_count}x{x.shape[1]}x{x.shape[2]}, {pad_text}",
                           muted=muted, channel_label=lambda c: f"channel {c}")
    filters = [canvas.add_panel(weight[f], f"filter w{f}\n{c_count}x{kh}x{kw}",
                                face=_tint(FILTER_COLORS[f % len(FILTER_COLORS)]),
                                note=f"bias b{f} = {format_value(bias[f])}",
                                channel_label=lambda c: f"ch {c}" if kh > 1 else f"{c}")
               for f in range(f_count)]
    # each value from its own window, the way the frame shows it being computed
    order = [(f, i, j) for f in range(f_count) for i in range(ho) for j in range(wo)]
    per_channel = {}
    out_values = np.zeros((f_count, ho, wo))
    for f, i, j in order:
        window = xp[:, i * sh:i * sh + kh, j * sw:j * sw + kw].astype(np.float64)
        per_channel[f, i, j] = (window * weight[f]).sum(axis=(1, 2))
        out_values[f, i, j] = per_channel[f, i, j].sum() + float(bias[f])
    stride_text = f"stride {sh}" if sh == sw else f"stride {(sh, sw)}"
    out = canvas.add_panel(out_values, f"output\n{f_count}x{ho}x{wo}, {stride_text}", blank=True,
                           face=[_tint(FILTER_COLORS[f % len(FILTER_COLORS)]) for f in range(f_count)],
                           channel_label=lambda f: f"map {f}")
    line1 = canvas.add_caption()
    line2 = canvas.add_caption()
    fig = canvas.finish()

    def draw(k: int):
        # every frame sets the whole state, so frames can be drawn in any order
        f, i, j = order[k]
        color = FILTER_COLORS[f % len(FILTER_COLORS)]
        rows, cols = slice(i * sh, i * sh + kh), slice(j * sw, j * sw + kw)
        inp.highlight("window", range(c_count), rows, cols, color)
        for g, panel in enumerate(filters):
            panel.highlight("filter", range(c_count) if g == f else [], slice(None), slice(None), color)
        out.highlight("cell", [f], slice(i, i + 1), slice(j, j + 1), color)
        for t, (g, a, b) in enumerate(order):
            out.write(g, a, b, out_values[g, a, b] if t <= k else None)
        terms = " + ".join(f"({format_value(v)})" for v in per_channel[f, i, j])
        lhs = f"output[{f}, {i}, {j}] "
        line1.set_text(f"{lhs}= sum over channels of (window * w{f}) + b{f}")
        line2.set_text(f"{' ' * len(lhs)}= {terms} + ({format_value(bias[f])}) = "
                       f"{format_value(out_values[f, i, j])}")
        return []

    draw(0)  # the figure shows frame 0 before the animation starts
    anim = GridAnimation(fig, draw, frames=n_frames, interval=interval, blit=False, repeat=True)
    anim.canvas = canvas
    return anim
