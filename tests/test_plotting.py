"""cnnlib.course.plotting: helpers draw what they are given, return the figure, reject bad layouts."""

import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from cnnlib.course import plotting as P  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def shown(ax):
    """The array an Axes' only image displays."""
    assert len(ax.images) == 1
    return np.asarray(ax.images[0].get_array())


def texts_inside_figure(fig):
    """True if no text of the figure is cut off by its edges."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    box = fig.bbox
    for ax in fig.axes:
        for t in ax.texts + [ax.title]:
            if not t.get_text():
                continue
            e = t.get_window_extent(renderer)
            if e.x0 < box.x0 - 1 or e.x1 > box.x1 + 1 or e.y0 < box.y0 - 1 or e.y1 > box.y1 + 1:
                return False
    return True


def test_channel_cmap_runs_from_black_to_the_colour():
    cmap = P.channel_cmap("red")
    assert np.allclose(cmap(0.0)[:3], (0, 0, 0))
    assert np.allclose(cmap(1.0)[:3], (1, 0, 0))


def test_show_image_hwc_and_chw_show_the_same_pixels():
    rng = np.random.default_rng(0)
    img = rng.random((5, 7, 3))
    fig, ax = P.show_image(img, title="t")
    assert isinstance(fig, Figure) and ax.get_title() == "t"
    assert np.allclose(shown(ax), img)
    _, ax2 = P.show_image(img.transpose(2, 0, 1), channels_first=True)
    assert np.allclose(shown(ax2), img)
    assert tuple(fig.get_size_inches()) == (4.0, 4.0)


def test_show_image_grayscale_and_single_channel():
    g = np.arange(12.0).reshape(3, 4)
    _, ax = P.show_image(g)
    assert np.array_equal(shown(ax), g)
    _, ax = P.show_image(g[None], channels_first=True)
    assert np.array_equal(shown(ax), g)


def test_show_image_clips_float_colour_without_warning():
    img = np.full((2, 2, 3), 1.5)
    img[0, 0] = -0.5
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _, ax = P.show_image(img)
    data = shown(ax)
    assert data.max() == 1.0 and data.min() == 0.0


def test_show_image_draws_into_a_given_axes():
    fig, ax = plt.subplots()
    fig2, ax2 = P.show_image(np.zeros((3, 3)), ax)
    assert fig2 is fig and ax2 is ax


@pytest.mark.parametrize("shape, cf", [((2, 3, 5), False), ((5, 2, 3), True), ((2,), False),
                                       ((1, 2, 3, 3), False)])
def test_show_image_rejects_other_layouts(shape, cf):
    with pytest.raises(ValueError, match="img must"):
        P.show_image(np.zeros(shape), channels_first=cf)


def test_show_channels_one_panel_per_channel_on_a_shared_scale():
    x = np.stack([np.zeros((4, 5)), np.ones((4, 5)), 2 * np.ones((4, 5))])
    fig, axes = P.show_channels(x, titles=["a", "b", "c"])
    assert len(axes) == 3 and len(fig.axes) == 3
    for k, ax in enumerate(axes):
        assert np.array_equal(shown(ax), x[k])
        assert ax.images[0].get_clim() == (0.0, 2.0)
    assert [ax.get_title() for ax in axes] == ["a", "b", "c"]


def test_show_channels_own_scale_wraps_rows_and_checks_counts():
    x = np.arange(5 * 2 * 2, dtype=float).reshape(5, 2, 2)
    fig, axes = P.show_channels(x, shared_scale=False, ncols=2)
    assert len(axes) == 5 and len(fig.axes) == 5     # the sixth grid cell is removed
    assert axes[4].images[0].get_clim() == (16.0, 19.0)
    with pytest.raises(ValueError, match="titles must have one entry per channel"):
        P.show_channels(x, titles=["only one"])
    with pytest.raises(ValueError, match="cmaps must be"):
        P.show_channels(x, cmaps=["gray", "gray"])
    with pytest.raises(ValueError, match="3-D"):
        P.show_channels(x[0])


def test_show_batch_grid_and_labels():
    rng = np.random.default_rng(1)
    x = rng.random((10, 3, 4, 4))
    _, axes = P.show_batch(x, labels=range(10), ncols=4)
    assert len(axes) == 10
    assert axes[7].get_title() == "7"
    assert np.allclose(shown(axes[7]), x[7].transpose(1, 2, 0))
    gray = rng.random((3, 1, 4, 4))
    _, axes = P.show_batch(gray)
    assert axes[0].images[0].get_clim() == (gray.min(), gray.max())


def test_show_batch_rejects_channels_last_with_a_hint():
    with pytest.raises(ValueError, match="channels-last"):
        P.show_batch(np.zeros((2, 8, 8, 3)))
    with pytest.raises(ValueError, match="4-D"):
        P.show_batch(np.zeros((3, 8, 8)))


def test_show_feature_maps_signed_maps_get_a_symmetric_diverging_scale():
    m = np.zeros((3, 4, 4))
    m[0, 0, 0], m[0, 1, 1] = -2.0, 1.0
    m[1, 0, 0] = 0.5
    _, axes = P.show_feature_maps(m, ncols=2)
    assert len(axes) == 3
    assert axes[0].images[0].get_cmap().name == "RdBu_r"
    assert axes[0].images[0].get_clim() == (-2.0, 2.0)
    # maps without negative values are gray from 0, each on its own scale
    assert axes[1].images[0].get_cmap().name == "gray"
    assert axes[1].images[0].get_clim() == (0.0, 0.5)
    assert axes[2].images[0].get_clim() == (0.0, 1.0)     # all zero: still a valid scale
    _, axes = P.show_feature_maps(m, shared_scale=True)
    assert all(ax.images[0].get_clim() == (-2.0, 2.0) for ax in axes)
    assert all(ax.images[0].get_cmap().name == "RdBu_r" for ax in axes)


def test_show_feature_maps_nonnegative_maps_are_gray_from_zero():
    m = np.abs(np.random.default_rng(2).normal(size=(1, 2, 3, 3)))
    _, axes = P.show_feature_maps(m)
    assert axes[0].images[0].get_cmap().name == "gray"
    assert axes[0].images[0].get_clim() == (0.0, m[0, 0].max())


def test_show_feature_maps_robust_scale_ends_at_the_99th_percentile():
    m = np.zeros((1, 10, 10))
    m[0].flat[:] = np.arange(100)          # |values| 0..99; 99th percentile 98.01
    m[0, 0, 0] = -1.0
    _, axes = P.show_feature_maps(m, robust=True)
    vmin, vmax = axes[0].images[0].get_clim()
    assert np.isclose(vmax, np.percentile(np.abs(m), 99)) and np.isclose(vmin, -vmax)


def test_show_feature_maps_rejects_a_batch():
    with pytest.raises(ValueError, match="pass one sample"):
        P.show_feature_maps(np.zeros((2, 3, 4, 4)))


@pytest.mark.parametrize("t", [np.array(7), np.array([7, 8, 9]), np.array([[1, 2], [5, 8]]),
                               np.array([[[2, 3], [3, 5], [4, 7]], [[3, 4], [4, 6], [5, 8]]])])
def test_draw_tensor_writes_every_number_once(t):
    fig, ax = P.draw_tensor(t)
    numbers = [x.get_text() for x in ax.texts if not x.get_text().startswith("axis")]
    assert sorted(numbers) == sorted(str(v) for v in t.ravel())
    axis_labels = [x.get_text() for x in ax.texts if x.get_text().startswith("axis")]
    assert len(axis_labels) == t.ndim
    assert texts_inside_figure(fig)


def test_draw_tensor_axis_labels_name_sizes_in_numpy_order():
    t = np.zeros((2, 3, 4))
    _, ax = P.draw_tensor(t)
    labels = {x.get_text().replace("\n", " ") for x in ax.texts if x.get_text().startswith("axis")}
    assert labels == {"axis 0 (size 2)", "axis 1 (size 3)", "axis 2 (size 4)"}


def test_draw_tensor_separated_matrices_do_not_overlap():
    t = np.arange(12).reshape(2, 3, 2)
    _, ax = P.draw_tensor(t)
    # every front face (the polygons with the lowest y-range) of the back matrix lies
    # right of every face of the front matrix: no number is hidden
    fronts = {}
    for patch in ax.patches:
        if hasattr(patch, "get_xy") and patch.get_zorder() in (2, 3):
            fronts.setdefault(patch.get_zorder(), []).append(np.asarray(patch.get_xy()))
    back_min_x = min(p[:, 0].min() for p in fronts[2])   # zorder 2: the back matrix
    front_max_x = max(p[:, 0].max() for p in fronts[3])
    assert back_min_x > front_max_x


def test_draw_tensor_rejects_big_or_high_order_input():
    with pytest.raises(ValueError, match="orders 0 to 3"):
        P.draw_tensor(np.zeros((1, 1, 1, 1)))
    with pytest.raises(ValueError, match="small tensors"):
        P.draw_tensor(np.zeros((13,)))
    with pytest.raises(ValueError, match="gap"):
        P.draw_tensor(np.zeros((2, 2, 2)), gap=-1)


def test_draw_tensors_side_by_side_with_titles():
    fig, ax = P.draw_tensors([np.array(7), np.array([1, 2]), np.ones((2, 2, 2))],
                             ["a", "b", "c"])
    texts = [t.get_text() for t in ax.texts]
    assert {"a", "b", "c"} <= set(texts)
    assert texts.count("1") == 1 + 8
    assert tuple(fig.get_size_inches()) == (9.0, 3.0)
    assert texts_inside_figure(fig)


def test_draw_volume_labels_every_size():
    fig, ax = P.draw_volume((3, 600, 512), caption="image")
    texts = {t.get_text() for t in ax.texts}
    assert {"C = 3", "H = 600", "W = 512", "image"} <= texts
    assert texts_inside_figure(fig)
    with pytest.raises(ValueError, match=r"\(C, H, W\)"):
        P.draw_volume((600, 512))


def test_draw_volume_slabs_only_for_few_channels():
    _, ax_few = P.draw_volume((3, 30, 30))
    _, ax_many = P.draw_volume((96, 10, 10))
    assert len(ax_few.patches) == 3 * 3     # three faces per slab
    assert len(ax_many.patches) == 3


def test_draw_volumes_shares_one_scale_and_fits_labels():
    fig, ax = P.draw_volumes([(3, 30, 30), (96, 10, 10)], ["in", "out"], arrow_labels=["conv"])
    texts = {t.get_text() for t in ax.texts}
    assert {"in", "out", "conv", "C = 96", "H = 10"} <= texts
    fronts = [np.asarray(p.get_xy()) for p in ax.patches if hasattr(p, "get_xy")]
    heights = sorted({round(float(f[:, 1].max() - f[:, 1].min()), 6) for f in fronts})
    # front faces 3 and 1 units high: 30 and 10 pixels on the same scale
    assert 3.0 in heights and 1.0 in heights
    assert texts_inside_figure(fig)
    with pytest.raises(ValueError, match="arrow_labels"):
        P.draw_volumes([(3, 4, 4), (3, 4, 4)], arrow_labels=[])


def test_helpers_do_not_call_show(monkeypatch):
    called = []
    monkeypatch.setattr(plt, "show", lambda *a, **k: called.append(1))
    P.show_image(np.zeros((2, 2)))
    P.show_channels(np.zeros((2, 2, 2)))
    P.show_batch(np.zeros((2, 1, 2, 2)))
    P.show_feature_maps(np.zeros((2, 2, 2)))
    P.draw_tensor(np.zeros((2, 2)))
    P.draw_volumes([(1, 2, 2)])
    assert not called
