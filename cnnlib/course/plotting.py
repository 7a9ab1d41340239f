"""Figures the chapters share: images, channels, batches, feature maps, tensor drawings.

Every function draws into a new figure of a fixed size (or into the axes it
is given), returns ``(fig, ax)`` or ``(fig, axes)``, and never calls
``plt.show()``: the notebook cell decides when to show, so the same helper
works in a chapter, in a test and in a script.

Layouts follow cnnlib: a single image is channels-first (C, H, W) where a
function says so, a batch is (N, C, H, W). :func:`show_image` also takes the
channels-last (H, W, C) arrays that image files and matplotlib use.

=========================  ==========================================================
function                   draws
=========================  ==========================================================
:func:`show_image`         one image: grayscale (H, W), colour (H, W, 3) or (C, H, W)
:func:`show_channels`      each channel of a (C, H, W) array as its own panel
:func:`show_batch`         a grid of the images of an (N, C, H, W) batch
:func:`show_feature_maps`  a grid of feature maps (F, H, W), signed or not
:func:`draw_tensor`        a small tensor (order 0-3) as a box of numbered cubes
:func:`draw_tensors`       several small tensors side by side, on one scale
:func:`draw_volume`        the shape of a big (C, H, W) volume as a labelled box
:func:`draw_volumes`       several volumes left to right, e.g. layer by layer
=========================  ==========================================================

Used by the chapters 01-tensors, 03-filters, 04-stride-padding, 05-pooling, 06-full-network.
"""

from __future__ import annotations

from typing import Optional, Sequence, Union

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import Colormap, LinearSegmentedColormap, to_rgb
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, Polygon

__all__ = [
    "channel_cmap",
    "show_image",
    "show_channels",
    "show_batch",
    "show_feature_maps",
    "draw_tensor",
    "draw_tensors",
    "draw_volume",
    "draw_volumes",
]

CmapLike = Union[str, Colormap]

# Oblique ("cabinet") projection used by the 3-D drawings: one unit of depth
# is drawn as DEPTH_SCALE units along a line DEPTH_ANGLE degrees above the
# horizontal. Pure 2-D drawing keeps the pictures crisp and identical on
# every machine (mplot3d would add perspective, panes and ticks).
DEPTH_ANGLE = 35.0
DEPTH_SCALE = 0.5
_DEPTH_DIR = DEPTH_SCALE * np.array([np.cos(np.radians(DEPTH_ANGLE)),
                                    np.sin(np.radians(DEPTH_ANGLE))])

# one soft colour per slab along the depth axis; RGB-like first three
_SLAB_COLORS = ["#f4a6a6", "#a8dba8", "#a9c5ee", "#f6d58e",
                "#d3b5e5", "#9edcd9", "#f2b8d3", "#c9c9c9"]
_EDGE = "#333333"


# --------------------------------------------------------------------------
# small utilities


def channel_cmap(color: str) -> Colormap:
    """A colormap from black (value 0) to ``color`` (the top of the scale).

    Shows one colour channel of an image in its own colour while keeping
    "brighter means larger", e.g. ``channel_cmap("red")`` for the R channel.
    """
    return LinearSegmentedColormap.from_list(f"black_to_{color}", ["black", to_rgb(color)])


def _new_axes(ax: Optional[Axes], figsize: tuple[float, float]) -> tuple[Figure, Axes]:
    if ax is not None:
        return ax.figure, ax
    fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    return fig, ax


def _grid(n: int, ncols: int, panel_size: float, figsize, title_room: float = 0.0):
    """A figure with ``n`` panels on a grid of ``ncols`` columns; unused cells removed."""
    if ncols < 1:
        raise ValueError(f"ncols must be >= 1, got {ncols}")
    ncols = min(ncols, n)
    nrows = -(-n // ncols)
    if figsize is None:
        figsize = (panel_size * ncols, (panel_size + title_room) * nrows)
    fig, axes = plt.subplots(nrows, ncols, figsize=figsize, layout="constrained", squeeze=False)
    axes = axes.ravel()
    for extra in axes[n:]:
        extra.remove()
    return fig, axes[:n]


def _no_ticks(ax: Axes) -> None:
    ax.set_xticks([])
    ax.set_yticks([])


def _check_titles(titles, n: int, what: str):
    if titles is None:
        return [None] * n
    titles = list(titles)
    if len(titles) != n:
        raise ValueError(f"titles must have one entry per {what} ({n}), got {len(titles)}")
    return titles


def _image_hwc(img: np.ndarray, channels_first: bool, name: str = "img") -> np.ndarray:
    """(H, W), (H, W, C) or (C, H, W) -> (H, W) or (H, W, 3|4) ready for imshow."""
    img = np.asarray(img)
    if img.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a numeric array, got dtype {img.dtype}")
    if img.ndim == 2:
        return img
    layout = "(C, H, W)" if channels_first else "(H, W, C)"
    if img.ndim != 3:
        raise ValueError(f"{name} must be (H, W) or {layout}, got shape {img.shape}")
    if channels_first:
        img = img.transpose(1, 2, 0)
    if img.shape[2] == 1:
        return img[:, :, 0]
    if img.shape[2] not in (3, 4):
        raise ValueError(
            f"{name} must have 1, 3 or 4 channels to be shown as one picture, got shape "
            f"{img.shape if not channels_first else img.transpose(2, 0, 1).shape} with layout "
            f"{layout}; use show_channels or show_feature_maps for other channel counts"
        )
    if img.dtype.kind == "f":
        # matplotlib would clip too, but with a warning on every call
        img = np.clip(img, 0.0, 1.0)
    return img


# --------------------------------------------------------------------------
# images


def show_image(img, ax: Optional[Axes] = None, *, title: Optional[str] = None,
               channels_first: bool = False, cmap: CmapLike = "gray",
               vmin: Optional[float] = None, vmax: Optional[float] = None,
               figsize: tuple[float, float] = (4.0, 4.0)) -> tuple[Figure, Axes]:
    """Show one image without axis ticks.

    Parameters
    ----------
    img : array_like, shape (H, W), (H, W, C) or, with ``channels_first``, (C, H, W)
        Grayscale, or colour with C = 3 (RGB) or 4 (RGBA); C = 1 is shown as
        grayscale. Float colour values are clipped to [0, 1].
    ax : Axes, optional
        Draw here instead of in a new figure.
    title : str, optional
    channels_first : bool
        Whether a 3-D ``img`` is (C, H, W) (cnnlib's layout) rather than (H, W, C).
    cmap, vmin, vmax
        Colour scale of a grayscale image (ignored for colour images); by
        default the scale spans the image's own minimum to maximum.
    figsize : (width, height) in inches, for a new figure.

    Returns
    -------
    (Figure, Axes)
    """
    shown = _image_hwc(img, channels_first)
    fig, ax = _new_axes(ax, figsize)
    if shown.ndim == 2:
        ax.imshow(shown, cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
    else:
        ax.imshow(shown, interpolation="antialiased")
    _no_ticks(ax)
    if title:
        ax.set_title(title)
    return fig, ax


def show_channels(x_chw, titles: Optional[Sequence[str]] = None, *,
                  cmaps: Union[CmapLike, Sequence[CmapLike]] = "gray",
                  shared_scale: bool = True, colorbar: bool = False, ncols: int = 8,
                  panel_size: float = 2.8,
                  figsize: Optional[tuple[float, float]] = None) -> tuple[Figure, np.ndarray]:
    """Show every channel of a (C, H, W) array as its own 2-D panel.

    Parameters
    ----------
    x_chw : array_like, shape (C, H, W)
        E.g. the three colour channels of an image, or the three input-channel
        slices of one convolution filter (C, kh, kw).
    titles : sequence of C str, optional
    cmaps : colormap or sequence of C colormaps
        One for all panels, or one per channel (e.g. ``[channel_cmap("red"),
        channel_cmap("green"), channel_cmap("blue")]``).
    shared_scale : bool
        One value range for all panels (default), so equal numbers look equal
        across panels; otherwise each panel spans its own min to max.
    colorbar : bool
        Add a colour bar to each panel.
    ncols : int
        Panels per row.
    panel_size : float
        Inches per panel, used when ``figsize`` is None.

    Returns
    -------
    (Figure, ndarray of C Axes)
    """
    x = np.asarray(x_chw)
    if x.ndim != 3:
        raise ValueError(f"x_chw must be 3-D (C, H, W), got shape {x.shape} ({x.ndim}-D)")
    c = x.shape[0]
    titles = _check_titles(titles, c, "channel")
    if isinstance(cmaps, (str, Colormap)):
        cmaps = [cmaps] * c
    cmaps = list(cmaps)
    if len(cmaps) != c:
        raise ValueError(f"cmaps must be one colormap or one per channel ({c}), got {len(cmaps)}")
    vmin, vmax = (float(x.min()), float(x.max())) if shared_scale else (None, None)
    fig, axes = _grid(c, ncols, panel_size, figsize, title_room=0.3)
    for k, ax in enumerate(axes):
        im = ax.imshow(x[k], cmap=cmaps[k], vmin=vmin, vmax=vmax, interpolation="nearest")
        _no_ticks(ax)
        if titles[k]:
            ax.set_title(titles[k])
        if colorbar:
            fig.colorbar(im, ax=ax, shrink=0.8)
    return fig, axes


def show_batch(x_nchw, labels: Optional[Sequence] = None, *, ncols: int = 8,
               panel_size: float = 1.6, cmap: CmapLike = "gray",
               figsize: Optional[tuple[float, float]] = None) -> tuple[Figure, np.ndarray]:
    """Show the images of a batch on a grid, optionally titled by their labels.

    Parameters
    ----------
    x_nchw : array_like, shape (N, C, H, W)
        C = 1 (grayscale, all panels on one shared scale) or C = 3 (RGB in [0, 1]).
    labels : sequence of N items, optional
        Shown above each image (``str(label)``).
    ncols : int
        Images per row.
    panel_size : float
        Inches per image, used when ``figsize`` is None.

    Returns
    -------
    (Figure, ndarray of N Axes)
    """
    x = np.asarray(x_nchw)
    if x.ndim != 4:
        raise ValueError(f"x_nchw must be 4-D (N, C, H, W), got shape {x.shape} ({x.ndim}-D)")
    if x.shape[1] not in (1, 3):
        raise ValueError(
            f"x_nchw must have 1 or 3 channels (axis 1) to be shown as pictures, got shape "
            f"{x.shape}; is it channels-last (N, H, W, C)? Use cnnlib.course.tensors.to_channels_first"
        )
    n = x.shape[0]
    labels = _check_titles(labels, n, "image")
    vmin, vmax = (float(x.min()), float(x.max())) if x.shape[1] == 1 else (None, None)
    title_room = 0.25 if labels[0] is not None else 0.0
    fig, axes = _grid(n, ncols, panel_size, figsize, title_room=title_room)
    for k, ax in enumerate(axes):
        show_image(x[k], ax, channels_first=True, cmap=cmap, vmin=vmin, vmax=vmax,
                   title=None if labels[k] is None else str(labels[k]))
    return fig, axes


def show_feature_maps(maps, *, ncols: int = 8, titles: Optional[Sequence[str]] = None,
                      cmap: Optional[CmapLike] = None, shared_scale: bool = False,
                      robust: bool = False, colorbar: bool = False, panel_size: float = 1.8,
                      figsize: Optional[tuple[float, float]] = None) -> tuple[Figure, np.ndarray]:
    """Show feature maps (the channels of a layer's output) on a grid.

    Parameters
    ----------
    maps : array_like, shape (F, H, W) or (1, F, H, W)
        One sample's feature maps; pick a sample of a larger batch first.
    ncols : int
        Maps per row.
    titles : sequence of F str, optional
    cmap : colormap, optional
        Default, decided map by map (or once for all with ``shared_scale``):
        a map with negative values gets the diverging ``"RdBu_r"`` on a scale
        symmetric about 0 (white = 0, red > 0, blue < 0), so the sign shows;
        a map without negative values gets ``"gray"`` from 0 (black) up.
        A given ``cmap`` is used for every map, on the same kind of scale.
    shared_scale : bool
        One value range for all maps, to compare their strengths; by default
        each map spans its own range, to show where each responds.
    robust : bool
        End the scale at the 99th percentile of the absolute values instead of
        the maximum (larger values are drawn at full colour), so that maps
        whose few strongest responses dwarf the rest (edges) stay readable.
    colorbar : bool
        Add a colour bar to each map.

    Returns
    -------
    (Figure, ndarray of F Axes)
    """
    m = np.asarray(maps)
    if m.ndim == 4:
        if m.shape[0] != 1:
            raise ValueError(
                f"maps must be (F, H, W) or (1, F, H, W), got a batch of shape {m.shape}; "
                f"pass one sample, e.g. maps[0]"
            )
        m = m[0]
    if m.ndim != 3:
        raise ValueError(f"maps must be (F, H, W) or (1, F, H, W), got shape {m.shape}")
    f = m.shape[0]
    titles = _check_titles(titles, f, "map")

    def style(a):
        """(colormap, vmin, vmax) for the values in ``a``."""
        signed = bool((a < 0).any())
        top = float(np.percentile(np.abs(a), 99)) if robust else float(np.abs(a).max())
        top = top or 1.0  # an all-zero map still needs a scale
        return (cmap or ("RdBu_r" if signed else "gray"),
                -top if signed else 0.0, top)

    shared = style(m) if shared_scale else None
    fig, axes = _grid(f, ncols, panel_size, figsize, title_room=0.25 if titles[0] else 0.0)
    for k, ax in enumerate(axes):
        cm, vmin, vmax = shared or style(m[k])
        im = ax.imshow(m[k], cmap=cm, vmin=vmin, vmax=vmax, interpolation="nearest")
        _no_ticks(ax)
        if titles[k]:
            ax.set_title(titles[k], fontsize=10)
        if colorbar:
            fig.colorbar(im, ax=ax, shrink=0.8)
    return fig, axes


# --------------------------------------------------------------------------
# 3-D drawings (oblique projection)


def _shade(color, factor: float):
    """``color`` darkened (factor < 1) or lightened towards white (factor > 1)."""
    rgb = np.array(to_rgb(color))
    if factor <= 1:
        return tuple(rgb * factor)
    return tuple(rgb + (1 - rgb) * (factor - 1))


def _box(ax: Axes, x0: float, y0: float, w: float, h: float, d: float, color,
         zorder: float, top: bool = True, right: bool = True, lw: float = 1.0) -> None:
    """A box whose front face has lower-left corner (x0, y0), width w, height h, depth d."""
    off = d * _DEPTH_DIR
    front = [(x0, y0), (x0 + w, y0), (x0 + w, y0 + h), (x0, y0 + h)]
    faces = [(front, color)]
    if top:
        faces.append(([(x0, y0 + h), (x0 + w, y0 + h), (x0 + w + off[0], y0 + h + off[1]),
                       (x0 + off[0], y0 + h + off[1])], _shade(color, 1.35)))
    if right:
        faces.append(([(x0 + w, y0), (x0 + w + off[0], y0 + off[1]),
                       (x0 + w + off[0], y0 + h + off[1]), (x0 + w, y0 + h)], _shade(color, 0.8)))
    for pts, c in faces:
        ax.add_patch(Polygon(pts, closed=True, facecolor=c, edgecolor=_EDGE, lw=lw,
                             zorder=zorder, joinstyle="round"))


def _arrow(ax: Axes, start, end, text: str, text_xy, ha: str = "center", va: str = "center",
           color: str = "#555555") -> None:
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=12, lw=1.2,
                                 color=color, zorder=0.5))
    ax.text(*text_xy, text, ha=ha, va=va, fontsize=9, color=color)


def _finish_drawing(ax: Axes, pad: float = 0.15) -> None:
    """Equal aspect, no frame, and limits that include every patch *and* label.

    Text has no data extent, so autoscaling alone would cut labels off; its
    size in data units depends on the limits, hence two rounds of measuring.
    """
    ax.set_aspect("equal")
    ax.axis("off")
    ax.relim()
    ax.autoscale_view()
    fig = ax.figure
    x0, x1 = ax.dataLim.intervalx
    y0, y1 = ax.dataLim.intervaly
    for _ in range(2):
        renderer = fig.canvas.get_renderer()
        to_data = ax.transData.inverted()
        for text in ax.texts:
            corners = text.get_window_extent(renderer).get_points()
            (tx0, ty0), (tx1, ty1) = to_data.transform(corners)
            x0, x1 = min(x0, tx0), max(x1, tx1)
            y0, y1 = min(y0, ty0), max(y1, ty1)
        ax.set_xlim(x0 - pad, x1 + pad)
        ax.set_ylim(y0 - pad, y1 + pad)


def _tensor_block(t) -> tuple[np.ndarray, int]:
    a = np.asarray(t)
    if a.ndim > 3:
        raise ValueError(f"draw_tensor draws orders 0 to 3, got shape {a.shape} ({a.ndim}-D)")
    if a.ndim and max(a.shape) > 12:
        raise ValueError(f"draw_tensor is for small tensors (<= 12 per axis), got shape {a.shape}")
    if a.size == 0:
        raise ValueError(f"draw_tensor needs at least one element, got shape {a.shape}")
    return a.reshape((1,) * (3 - a.ndim) + a.shape), a.ndim  # (depth, rows, cols)


def _default_gap(depth: int, cols: int) -> float:
    # shift each matrix along the depth direction until its front face clears
    # the previous one's right side: every number stays visible
    return 0.0 if depth == 1 else (cols + _DEPTH_DIR[0] + 0.35) / _DEPTH_DIR[0] - 1.0


def _tensor_extent(block: np.ndarray, gap: float) -> tuple[float, float]:
    """Drawn (width, height above the front matrix's top edge) of a tensor block."""
    depth, _, cols = block.shape
    back = (depth - 1) * (1.0 + gap) * _DEPTH_DIR + _DEPTH_DIR
    return cols + back[0], back[1]


def _tensor_on(ax: Axes, block: np.ndarray, order: int, x_left: float, gap: float, fmt: str,
               axis_labels: bool, colors) -> None:
    """Draw ``block`` (depth, rows, cols) with the front matrix's top-left corner at (x_left, 0)."""
    depth, rows, cols = block.shape
    step = (1.0 + gap) * _DEPTH_DIR
    origin = np.array([x_left, 0.0])
    # joints between separated matrices: drawn first, faces paint over them
    if gap > 0:
        for k in range(depth - 1):
            for cx, cy in [(0, 0), (cols, 0), (cols, rows), (0, rows)]:
                p = origin + np.array([cx, cy - rows]) + k * step + _DEPTH_DIR
                q = origin + np.array([cx, cy - rows]) + (k + 1) * step
                ax.plot([p[0], q[0]], [p[1], q[1]], ls="--", lw=0.9, color="#888888", zorder=0.2)
    for k in reversed(range(depth)):  # back to front (painter's order)
        color = colors[k % len(colors)]
        ox, oy = origin + k * step
        z = 1 + depth - k
        for i in range(rows):
            for j in range(cols):
                x0, y0 = ox + j, oy - (i + 1)
                _box(ax, x0, y0, 1.0, 1.0, 1.0, color, zorder=z,
                     top=(i == 0), right=(j == cols - 1))
                ax.text(x0 + 0.5, y0 + 0.5, fmt.format(block[k, i, j]), ha="center", va="center",
                        fontsize=12, zorder=z + 0.5)
    if not axis_labels or order == 0:
        return
    x = x_left
    # the last axis runs along a row: arrow under the front matrix
    _arrow(ax, (x, -rows - 0.35), (x + cols, -rows - 0.35), f"axis {order - 1} (size {cols})",
           (x + cols / 2, -rows - 0.6), va="top")
    if order >= 2:
        _arrow(ax, (x - 0.35, 0), (x - 0.35, -rows), f"axis {order - 2}\n(size {rows})",
               (x - 0.5, -rows / 2), ha="right")
    if order == 3:
        start = np.array([x + cols + 0.3, -rows]) + 0.5 * _DEPTH_DIR
        end = start + (depth - 1) * step + 0.6 * _DEPTH_DIR
        _arrow(ax, tuple(start), tuple(end), f"axis 0\n(size {depth})",
               tuple(end + np.array([0.1, -0.05])), ha="left", va="top")


def _tensor_colors(colors, order: int):
    if colors is not None:
        return list(colors)
    return _SLAB_COLORS if order == 3 else _SLAB_COLORS[:1]


def draw_tensor(t, ax: Optional[Axes] = None, *, gap: Optional[float] = None,
                title: Optional[str] = None, fmt: str = "{:g}", axis_labels: bool = True,
                colors: Optional[Sequence] = None,
                figsize: tuple[float, float] = (4.0, 4.0)) -> tuple[Figure, Axes]:
    """Draw a small tensor of order 0 to 3 as cubes, one per element, showing its numbers.

    Axes map to directions the way NumPy prints an array: the last axis runs
    left to right along a row, the one before it top to bottom, and for an
    order-3 tensor axis 0 runs into the page (the stack of matrices).

    Parameters
    ----------
    t : array_like of order 0, 1, 2 or 3
        At most 12 elements along any axis (it is a picture, not a plot).
    ax : Axes, optional
    gap : float, optional
        For order 3, the space between consecutive matrices along axis 0, in
        cube depths. 0 draws one solid block (only the front matrix's numbers
        are visible); the default separates the matrices just enough that
        every number is visible, joined by dashed lines.
    title : str, optional
    fmt : str
        Format of each number.
    axis_labels : bool
        Draw an arrow with "axis k (size n)" along each axis.
    colors : sequence of colours, optional
        One per matrix along axis 0 (order 3), or one for everything.

    Returns
    -------
    (Figure, Axes)
    """
    block, order = _tensor_block(t)
    gap = _default_gap(block.shape[0], block.shape[2]) if gap is None else gap
    if gap < 0:
        raise ValueError(f"gap must be >= 0, got {gap}")
    fig, ax = _new_axes(ax, figsize)
    _tensor_on(ax, block, order, 0.0, gap, fmt, axis_labels, _tensor_colors(colors, order))
    if title:
        ax.set_title(title)
    _finish_drawing(ax)
    return fig, ax


def draw_tensors(tensors: Sequence, titles: Optional[Sequence[str]] = None, *,
                 fmt: str = "{:g}",
                 figsize: tuple[float, float] = (9.0, 3.0)) -> tuple[Figure, Axes]:
    """Draw several small tensors side by side, with cubes of one size (see :func:`draw_tensor`).

    Parameters
    ----------
    tensors : sequence of arrays of order 0 to 3
    titles : sequence of str, optional
        One above each tensor.
    fmt : str
        Format of each number.
    figsize : (width, height) in inches

    Returns
    -------
    (Figure, Axes)
    """
    blocks = [_tensor_block(t) for t in tensors]
    if not blocks:
        raise ValueError("tensors must contain at least one array")
    titles = _check_titles(titles, len(blocks), "tensor")
    gaps = [_default_gap(b.shape[0], b.shape[2]) for b, _ in blocks]
    extents = [_tensor_extent(b, g) for (b, _), g in zip(blocks, gaps)]
    top = max(h for _, h in extents) + 0.45
    fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    x = 0.0
    for (block, order), gap, (width, _), title in zip(blocks, gaps, extents, titles):
        x += 1.3 if order >= 2 else 0.0  # room for the row-axis label on the left
        _tensor_on(ax, block, order, x, gap, fmt, True, _tensor_colors(None, order))
        if title:
            ax.text(x + width / 2, top, title, ha="center", va="bottom", fontsize=11)
        x += width + 1.6 + (1.0 if order == 3 else 0.0)
    _finish_drawing(ax)
    return fig, ax


def _volume_extent(shape, scale: float) -> tuple[float, float, float]:
    """Drawn (width, height, depth) of a (C, H, W) volume."""
    c, h, w = shape
    # depth grows with log2(C): 3 channels and 96 maps must both fit on a page
    depth = 0.6 + 0.55 * np.log2(max(c, 1))
    return max(w * scale, 0.35), max(h * scale, 0.35), depth


def draw_volume(shape: Sequence[int], ax: Optional[Axes] = None, *,
                axis_names: Sequence[str] = ("C", "H", "W"),
                origin: tuple[float, float] = (0.0, 0.0),
                scale: Optional[float] = None, slab_colors: Optional[Sequence] = None,
                max_slabs: int = 16, caption: Optional[str] = None,
                figsize: tuple[float, float] = (3.5, 3.5)) -> tuple[Figure, Axes]:
    """Draw the shape of a (C, H, W) volume as a box: height H, width W, depth C.

    Height and width are drawn to scale (``scale`` drawing units per pixel);
    depth is not (it grows with log2 C), because a photo's 3 channels would
    be invisible next to its 600 rows. The box is a picture of which axis is
    which, labelled with the sizes, not a scale drawing.

    Parameters
    ----------
    shape : (C, H, W)
    ax : Axes, optional
    axis_names : three str
        Names shown with the sizes, e.g. ``("C", "H", "W")`` gives "C = 3".
    origin : (x, y)
        Lower-left corner of the front face, in drawing units.
    scale : float, optional
        Drawing units per pixel; default: the larger of H and W is 3 units.
    slab_colors : sequence of colours, optional
        When C <= ``max_slabs`` the volume is drawn as C slabs, coloured in
        turn with these (default soft red, green, blue, ...); larger C is one box.
    caption : str, optional
        Text under the box.

    Returns
    -------
    (Figure, Axes)
    """
    shape = tuple(int(s) for s in shape)
    if len(shape) != 3 or min(shape) < 1:
        raise ValueError(f"shape must be (C, H, W) with positive sizes, got {shape}")
    scale = 3.0 / max(shape[1:]) if scale is None else scale
    fig, ax = _new_axes(ax, figsize)
    _volume_on(ax, shape, axis_names, origin, scale, slab_colors, max_slabs, caption)
    _finish_drawing(ax)
    return fig, ax


def _volume_on(ax: Axes, shape, axis_names, origin, scale, slab_colors, max_slabs, caption) -> None:
    c, h, w = shape
    width, height, depth = _volume_extent(shape, scale)
    x0, y0 = origin
    colors = list(slab_colors) if slab_colors is not None else _SLAB_COLORS
    if c <= max_slabs:
        d = depth / c
        for k in reversed(range(c)):  # back to front
            ox, oy = np.array([x0, y0]) + k * d * _DEPTH_DIR
            _box(ax, ox, oy, width, height, d, colors[k % len(colors)], zorder=2 + c - k, lw=0.8)
    else:
        _box(ax, x0, y0, width, height, depth, colors[0], zorder=2, lw=0.8)
    cn, hn, wn = axis_names
    off = depth * _DEPTH_DIR
    ax.text(x0 + width / 2, y0 - 0.12, f"{wn} = {w}", ha="center", va="top", fontsize=9)
    ax.text(x0 - 0.12, y0 + height / 2, f"{hn} = {h}", ha="right", va="center", fontsize=9,
            rotation=90)
    ax.text(x0 + off[0] / 2 - 0.1, y0 + height + off[1] / 2 + 0.1, f"{cn} = {c}", ha="right",
            va="bottom", fontsize=9)
    if caption:
        ax.text(x0 + (width + off[0]) / 2, y0 - 0.55, caption, ha="center", va="top", fontsize=10)


def draw_volumes(shapes: Sequence[Sequence[int]], captions: Optional[Sequence[str]] = None, *,
                 arrow_labels: Optional[Sequence[str]] = None,
                 axis_names: Sequence[str] = ("C", "H", "W"),
                 slab_colors: Optional[Sequence[Optional[Sequence]]] = None,
                 figsize: tuple[float, float] = (8.0, 3.2)) -> tuple[Figure, Axes]:
    """Draw several (C, H, W) volumes left to right, joined by arrows (e.g. layer by layer).

    All volumes share one scale for height and width, so a volume that
    shrinks from layer to layer is drawn smaller.

    Parameters
    ----------
    shapes : sequence of (C, H, W)
    captions : sequence of str, optional
        One under each volume.
    arrow_labels : sequence of str, optional
        One above each arrow (``len(shapes) - 1`` of them), e.g. the layer.
    axis_names : three str
    slab_colors : sequence (one entry per volume) of colour sequences or None
    figsize : (width, height) in inches

    Returns
    -------
    (Figure, Axes)
    """
    shapes = [tuple(int(s) for s in shape) for shape in shapes]
    if not shapes:
        raise ValueError("shapes must contain at least one (C, H, W) shape")
    n = len(shapes)
    captions = _check_titles(captions, n, "volume")
    if arrow_labels is not None and len(arrow_labels) != n - 1:
        raise ValueError(f"arrow_labels must have one entry per arrow ({n - 1}), "
                         f"got {len(arrow_labels)}")
    slab_colors = list(slab_colors) if slab_colors is not None else [None] * n
    if len(slab_colors) != n:
        raise ValueError(f"slab_colors must have one entry per volume ({n}), "
                         f"got {len(slab_colors)}")
    for s in shapes:
        if len(s) != 3 or min(s) < 1:
            raise ValueError(f"every shape must be (C, H, W) with positive sizes, got {s}")
    scale = 3.0 / max(max(s[1], s[2]) for s in shapes)
    fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    x = 0.0
    for k, s in enumerate(shapes):
        width, height, depth = _volume_extent(s, scale)
        y0 = -height / 2  # centre the volumes on one line
        _volume_on(ax, s, axis_names, (x, y0), scale, slab_colors[k], 16, captions[k])
        x_end = x + width + depth * _DEPTH_DIR[0]
        if k < n - 1:
            a0, a1 = x_end + 0.35, x_end + 1.55
            ax.add_patch(FancyArrowPatch((a0, 0), (a1, 0), arrowstyle="-|>", mutation_scale=16,
                                         lw=1.6, color="#444444"))
            if arrow_labels is not None and arrow_labels[k]:
                ax.text((a0 + a1) / 2, 0.15, arrow_labels[k], ha="center", va="bottom", fontsize=9)
            x = a1 + 0.75
    _finish_drawing(ax)
    return fig, ax
