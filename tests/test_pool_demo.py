"""cnnlib.course.pool_demo: the pictures agree with cnnlib's pooling and with hand-worked values."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

import cnnlib
from cnnlib.course.pool_demo import format_windows, grid_figure, max_positions, pool_animation

pytestmark = pytest.mark.filterwarnings("ignore:Animation was deleted without rendering")

WORKED = np.array([[1., 3, 2, 1], [4, 6, 5, 0], [7, 2, 3, 9], [0, 1, 4, 8]])


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


# --------------------------------------------------------------------------
# max_positions


def test_max_positions_by_hand():
    expected = np.zeros((4, 4), bool)
    expected[1, 1] = expected[1, 2] = expected[2, 0] = expected[2, 3] = True
    np.testing.assert_array_equal(max_positions(WORKED, 2), expected)


def test_max_positions_first_tie_wins():
    x = np.array([[3., 3, 0, 5], [3, 3, 5, 1]])
    expected = np.array([[True, False, False, True], [False] * 4])
    np.testing.assert_array_equal(max_positions(x, 2), expected)


@pytest.mark.parametrize("kernel, stride", [(2, None), (3, 1), (3, 2), ((2, 3), (1, 2))])
@pytest.mark.parametrize("kind", ["normal", "ties"])
def test_max_positions_are_where_the_gradient_goes(kernel, stride, kind):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(7, 8)) if kind == "normal" else rng.integers(0, 3, size=(7, 8)).astype(float)
    grad = cnnlib.reference.max_pool2d_backward(
        np.ones((1, 1) + cnnlib.max_pool2d(x[None, None], kernel, stride).shape[2:]),
        x[None, None], kernel, stride)[0, 0]
    np.testing.assert_array_equal(max_positions(x, kernel, stride), grad > 0)


def test_max_positions_refuses_integers_and_wrong_ndim():
    with pytest.raises(TypeError, match="floating-point"):
        max_positions(np.zeros((4, 4), dtype=int), 2)
    with pytest.raises(ValueError, match="2-D"):
        max_positions(np.zeros((1, 4, 4)), 2)


# --------------------------------------------------------------------------
# format_windows


def test_format_windows_worked_example():
    text = format_windows(WORKED, 2, marks=max_positions(WORKED, 2))
    assert text.splitlines() == [
        " 1   3  |  2   1",
        " 4  [6] | [5]  0",
        "--------+--------",
        "[7]  2  |  3  [9]",
        " 0   1  |  4   8",
    ]


def test_format_windows_sets_leftovers_apart():
    lines = format_windows(np.arange(25.0).reshape(5, 5), 2).splitlines()
    assert len(lines) == 7
    assert lines[0].split() == ["0", "1", "|", "2", "3", "||", "4"]
    assert set(lines[5]) <= set("=+")  # the row after the last full window
    assert lines[6].split()[-1] == "24"


def test_format_windows_checks_marks_shape():
    with pytest.raises(ValueError, match="marks"):
        format_windows(WORKED, 2, marks=np.zeros((2, 2), bool))


# --------------------------------------------------------------------------
# pool_animation


@pytest.mark.parametrize("kernel, stride", [(2, None), (3, 2), ((2, 3), (2, 1))])
def test_animation_values_equal_cnnlib(kernel, stride):
    rng = np.random.default_rng(11)
    x = rng.integers(0, 10, size=(2, 6, 7)).astype(np.float64)
    anim = pool_animation(x, kernel, stride)
    n = len(anim.canvas.panels[1].texts.flat)
    anim._func(n - 1)  # last frame: every output value written
    _, max_panel, avg_panel = anim.canvas.panels
    np.testing.assert_array_equal(max_panel.text_values(), cnnlib.max_pool2d(x[None], kernel, stride)[0])
    shown_avg = avg_panel.text_values()
    np.testing.assert_allclose(shown_avg, cnnlib.avg_pool2d(x[None], kernel, stride)[0], atol=0.005)


def test_each_frame_outlines_its_window_and_winner():
    anim = pool_animation(WORKED, 2, modes=["max"])
    inp, out = anim.canvas.panels
    winners = {(1, 1), (1, 2), (2, 0), (2, 3)}
    seen = set()
    for k, (i, j) in enumerate([(0, 0), (0, 1), (1, 0), (1, 1)]):
        anim._func(k)
        assert inp.highlighted("window") == [(0, 2 * i, 2 * i + 2, 2 * j, 2 * j + 2)]
        (_, r0, r1, q0, q1), = inp.highlighted("winner")
        assert (r1 - r0, q1 - q0) == (1, 1)
        seen.add((r0, q0))
        shown = out.text_values()[0]
        assert shown[i, j] == WORKED[2 * i:2 * i + 2, 2 * j:2 * j + 2].max()
        assert np.isnan(shown).sum() == 3 - k  # later values not written yet
    assert seen == winners


def test_frames_can_be_drawn_in_any_order():
    anim = pool_animation(WORKED, 2)
    anim._func(3)
    anim._func(1)
    shown = anim.canvas.panels[1].text_values()[0]
    assert np.isnan(shown[1]).all() and shown[0].tolist() == [6.0, 5.0]


def test_animation_renders_to_html_with_one_frame_per_value():
    anim = pool_animation(WORKED, 2)
    html = anim.to_jshtml()
    assert html.count("data:image/png;base64") == 4
    plt.close(anim._fig)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"modes": ["min"]}, ValueError, "modes"),
    ({"modes": []}, ValueError, "modes"),
    ({"max_frames": 3}, ValueError, "max_frames"),
])
def test_animation_refuses_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        pool_animation(WORKED, 2, **kwargs)


def test_animation_refuses_bad_shapes_like_max_pool2d():
    with pytest.raises(TypeError, match="floating-point"):
        pool_animation(WORKED.astype(int), 2)
    with pytest.raises(ValueError):
        pool_animation(WORKED, 5)  # window larger than the input
    with pytest.raises(ValueError, match=r"\(H, W\) or \(C, H, W\)"):
        pool_animation(WORKED[None, None], 2)


# --------------------------------------------------------------------------
# grid_figure


def test_grid_figure_shows_the_numbers_and_colours_windows():
    g = np.array([[1.0, 2.0], [3.0, 4.0]])
    fig = grid_figure([WORKED, g], ["x", "g"], groups=[2, 1], marks=[max_positions(WORKED, 2), None])
    texts = [t.get_text() for t in fig.axes[0].texts]
    for v in ("6", "5", "7", "9", "4"):
        assert v in texts
    outlines = [p for p in fig.axes[0].patches if not p.get_fill()]
    # 4 windows on the input + 4 one-cell windows on g, in matching colours
    colors = [matplotlib.colors.to_hex(p.get_edgecolor()) for p in outlines]
    assert len(outlines) == 8 and colors[:4] == colors[4:]


def test_grid_figure_argument_errors():
    with pytest.raises(ValueError, match="title"):
        grid_figure([WORKED], [])
    with pytest.raises(ValueError, match="cannot be cut"):
        grid_figure([WORKED[:3]], ["x"], groups=[2])
    with pytest.raises(ValueError, match="2-D"):
        grid_figure([WORKED[None]], ["x"])
