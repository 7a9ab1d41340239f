"""cnnlib.course.conv_demo: the animation shows the right windows and writes conv2d's numbers."""

import base64
import io

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402

import cnnlib  # noqa: E402
from cnnlib import reference  # noqa: E402
from cnnlib.course.conv_demo import GridCanvas, conv_animation, format_value  # noqa: E402

# the tests inspect frames without rendering the whole animation, which matplotlib warns about
pytestmark = pytest.mark.filterwarnings("ignore:Animation was deleted without rendering")


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def small_example(seed=0, c=3, h=5, w=5, f=2, k=3):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 3, size=(c, h, w)).astype(np.float32)
    weight = rng.integers(-1, 2, size=(f, c, k, k)).astype(np.float32)
    bias = np.arange(f, dtype=np.float32)
    return x, weight, bias


def panels(anim):
    inp, *filters, out = anim.canvas.panels
    return inp, filters, out


def test_frame_count_is_one_per_output_value():
    x, w, b = small_example()
    anim = conv_animation(x, w, b, stride=2, padding=1)
    assert anim._save_count == 2 * 3 * 3 == 18  # F x Ho x Wo
    assert len(list(anim.new_frame_seq())) == 18


@pytest.mark.parametrize("stride, padding", [(2, 1), (1, 0), (1, 1), ((1, 2), (0, 1))])
def test_numbers_written_equal_conv2d(stride, padding):
    x, w, b = small_example(seed=3)
    anim = conv_animation(x, w, b, stride=stride, padding=padding, max_frames=100)
    _, _, out = panels(anim)
    n = len(list(anim.new_frame_seq()))
    anim._func(n - 1)  # last frame: every value written
    expected = cnnlib.conv2d(x[None], w, b, stride=stride, padding=padding)[0]
    np.testing.assert_array_equal(out.text_values(), expected)
    np.testing.assert_array_equal(out.text_values(), reference.conv2d(x[None], w, b, stride=stride,
                                                                      padding=padding)[0])


def test_output_fills_in_frame_by_frame_and_frames_are_independent():
    x, w, b = small_example(seed=4)
    anim = conv_animation(x, w, b, stride=2, padding=1)
    _, _, out = panels(anim)
    expected = cnnlib.conv2d(x[None], w, b, stride=2, padding=1)[0]
    for k in [5, 0, 17, 9]:  # any order: each frame sets the whole picture
        anim._func(k)
        shown = out.text_values().ravel()
        assert np.all(np.isnan(shown[k + 1:]))
        np.testing.assert_array_equal(shown[:k + 1], expected.ravel()[:k + 1])


def test_highlights_follow_the_window():
    x, w, b = small_example(seed=5)
    anim = conv_animation(x, w, b, stride=2, padding=1)
    inp, filters, out = panels(anim)
    # frame 13 = filter 1, output row 1, column 1 (frames run filter, row, column)
    anim._func(13)
    assert inp.highlighted("window") == [(c, 2, 5, 2, 5) for c in range(3)]
    assert filters[0].highlighted("filter") == []
    assert filters[1].highlighted("filter") == [(c, 0, 3, 0, 3) for c in range(3)]
    assert out.highlighted("cell") == [(1, 1, 2, 1, 2)]


def test_input_panel_shows_the_zero_padding():
    x, w, b = small_example()
    anim = conv_animation(x, w, b, stride=2, padding=1)
    inp, filters, _ = panels(anim)
    shown = inp.text_values()
    assert shown.shape == (3, 7, 7)
    np.testing.assert_array_equal(shown[:, 1:-1, 1:-1], x)
    assert np.all(shown[:, 0] == 0) and np.all(shown[:, :, -1] == 0)
    np.testing.assert_array_equal(filters[1].text_values(), w[1])


def test_caption_spells_out_the_sum_per_channel():
    x, w, b = small_example(seed=6)
    anim = conv_animation(x, w, b, stride=2, padding=1)
    anim._func(0)
    xp = np.pad(x, ((0, 0), (1, 1), (1, 1)))
    per_channel = (xp[:, 0:3, 0:3] * w[0]).sum(axis=(1, 2))
    line = anim.canvas.texts[1].get_text()
    for v in per_channel:
        assert f"({format_value(v)})" in line
    assert line.endswith(f"= {format_value(per_channel.sum() + b[0])}")


def test_accepts_a_batch_of_one_and_no_bias():
    x, w, _ = small_example(seed=7)
    anim = conv_animation(x[None], w, stride=1, padding=0)
    _, _, out = panels(anim)
    anim._func(len(list(anim.new_frame_seq())) - 1)
    np.testing.assert_array_equal(out.text_values(), cnnlib.conv2d(x[None], w)[0])


def test_refuses_too_many_frames_and_bad_shapes():
    x, w, b = small_example(h=9, w=9)
    with pytest.raises(ValueError, match="2 x 9 x 9 = 162 output values"):
        conv_animation(x, w, b, padding=1)
    with pytest.raises(ValueError, match="one image"):
        conv_animation(np.stack([x, x]), w)
    with pytest.raises(ValueError, match="channel mismatch"):
        conv_animation(x[:2], w)
    with pytest.raises(TypeError, match="floating-point"):
        conv_animation(x.astype(int), w)


def test_format_value():
    assert [format_value(v) for v in (2.0, -3.0, -0.0, 0.5, 1 / 3, -np.inf)] == \
        ["2", "-3", "0", "0.50", "0.33", "-inf"]


def _embedded_frames(html):
    frames = []
    for chunk in html.split("data:image/png;base64,")[1:]:
        data = chunk[:chunk.index('"')].replace("\\\n", "").replace("\\n", "").replace("\n", "")
        frames.append(Image.open(io.BytesIO(base64.b64decode(data))))
    return frames


def test_renders_to_html_with_every_frame_as_a_faithful_palette_png():
    x, w, b = small_example(c=1, h=3, w=3, f=1, k=2)  # 4 frames: quick to render
    anim = conv_animation(x, w, b)
    frames = _embedded_frames(anim.to_jshtml())
    assert len(frames) == 4
    assert all(f.mode == "P" for f in frames)
    # the palette frame looks like matplotlib's own rendering of that frame
    anim._func(3)
    buf = io.BytesIO()
    anim._fig.savefig(buf, format="png", dpi=anim._fig.dpi)
    direct = np.asarray(Image.open(buf).convert("RGB"), dtype=float)
    shown = np.asarray(frames[3].convert("RGB"), dtype=float)
    assert shown.shape == direct.shape
    assert np.abs(shown - direct).mean() < 1.0 and np.abs(shown - direct).max() < 40


def test_the_layout_is_reusable_for_max_pooling():
    # what a pooling demo would build: input and output panels, one channel's window at a time
    rng = np.random.default_rng(8)
    x = rng.integers(0, 9, size=(2, 4, 4)).astype(np.float64)
    canvas = GridCanvas()
    inp = canvas.add_panel(x, "input")
    expected = cnnlib.max_pool2d(x[None], 2)[0]
    out = canvas.add_panel(np.zeros_like(expected), "max pool 2x2", blank=True)
    canvas.finish()
    for c in range(2):
        for i in range(2):
            for j in range(2):
                rows, cols = slice(2 * i, 2 * i + 2), slice(2 * j, 2 * j + 2)
                inp.highlight("window", [c], rows, cols, "red")
                assert inp.highlighted("window") == [(c, 2 * i, 2 * i + 2, 2 * j, 2 * j + 2)]
                out.write(c, i, j, x[c, rows, cols].max())
    np.testing.assert_array_equal(out.text_values(), expected)


def test_unusual_savefig_options_fall_back_to_matplotlibs_frames(tmp_path):
    from cnnlib.course.conv_demo import _PaletteHTMLWriter

    x, w, b = small_example(c=1, h=3, w=3, f=1, k=2)
    anim = conv_animation(x, w, b)
    path = tmp_path / "anim.html"
    anim.save(str(path), writer=_PaletteHTMLWriter(embed_frames=True), savefig_kwargs={"facecolor": "yellow"})
    frames = _embedded_frames(path.read_text())
    assert len(frames) == 4 and all(f.mode == "RGBA" for f in frames)
