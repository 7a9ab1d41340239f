"""cnnlib.course.tensors: layout conversions are exact, copy nothing, and reject wrong ranks."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cnnlib.course.tensors import (
    as_batch,
    describe_layout,
    to_channels_first,
    to_channels_last,
)


def coded(shape):
    """An array whose every value is different, so any misplaced element shows."""
    return np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)


def test_channels_first_matches_explicit_loop_hwc():
    img = coded((4, 5, 3))
    out = to_channels_first(img)
    assert out.shape == (3, 4, 5)
    for c in range(3):
        for i in range(4):
            for j in range(5):
                assert out[c, i, j] == img[i, j, c]


def test_channels_first_matches_explicit_loop_nhwc():
    x = coded((2, 3, 4, 5))
    out = to_channels_first(x)
    assert out.shape == (2, 5, 3, 4)
    for n, h, w, c in np.ndindex(*x.shape):
        assert out[n, c, h, w] == x[n, h, w, c]


def test_channels_last_matches_explicit_loop():
    x = coded((2, 3, 4, 5))     # N, C, H, W
    out = to_channels_last(x)
    assert out.shape == (2, 4, 5, 3)
    for n, c, h, w in np.ndindex(*x.shape):
        assert out[n, h, w, c] == x[n, c, h, w]
    chw = coded((3, 4, 5))
    assert to_channels_last(chw).shape == (4, 5, 3)
    assert to_channels_last(chw)[1, 2, 0] == chw[0, 1, 2]


def test_conversions_are_views_with_permuted_strides():
    img = coded((6, 7, 3))
    x = to_channels_first(img)
    assert np.shares_memory(x, img)
    s = img.strides
    assert x.strides == (s[2], s[0], s[1])
    assert not x.flags.c_contiguous
    # a write through the view lands in the original
    x[2, 5, 6] = -1.0
    assert img[5, 6, 2] == -1.0


@given(st.lists(st.integers(1, 5), min_size=3, max_size=4))
def test_round_trip_restores_shape_values_and_strides(shape):
    a = coded(tuple(shape))
    back = to_channels_last(to_channels_first(a))
    assert back.shape == a.shape and back.strides == a.strides
    assert np.array_equal(back, a) and np.shares_memory(back, a)
    forth = to_channels_first(to_channels_last(a))
    assert forth.shape == a.shape and np.array_equal(forth, a)


def test_accepts_nested_lists():
    out = to_channels_first([[[1, 2], [3, 4]]])   # H=1, W=2, C=2
    assert out.shape == (2, 1, 2)
    assert out[1, 0, 0] == 2


def re_shape(shape):
    """A regex matching the printed tuple ``shape``."""
    return r"\(" + r", ".join(map(str, shape)) + (r",\)" if len(shape) == 1 else r"\)")


@pytest.mark.parametrize("fn", [to_channels_first, to_channels_last])
@pytest.mark.parametrize("shape", [(5,), (4, 5), (1, 2, 3, 4, 5)])
def test_wrong_rank_is_rejected_with_the_shape_in_the_message(fn, shape):
    with pytest.raises(ValueError, match=r"x must be .*got shape " + re_shape(shape)):
        fn(np.zeros(shape))


def test_ragged_input_is_a_type_error():
    with pytest.raises((TypeError, ValueError)):
        to_channels_first([[[1, 2]], [[3]]])


@pytest.mark.parametrize("shape, expected", [
    ((5, 6), (1, 1, 5, 6)),
    ((3, 5, 6), (1, 3, 5, 6)),
    ((2, 3, 5, 6), (2, 3, 5, 6)),
])
def test_as_batch_shapes_and_values(shape, expected):
    a = coded(shape)
    b = as_batch(a)
    assert b.shape == expected
    assert np.array_equal(b.reshape(a.shape), a)
    assert np.shares_memory(b, a)


def test_as_batch_returns_a_4d_input_itself():
    a = coded((2, 3, 4, 5))
    assert as_batch(a) is a


def test_as_batch_of_a_non_contiguous_view_is_still_a_view():
    img = coded((6, 7, 3))
    x = to_channels_first(img)
    b = as_batch(x)
    assert b.shape == (1, 3, 6, 7) and np.shares_memory(b, img)
    assert b.strides[1:] == x.strides


@pytest.mark.parametrize("shape", [(), (5,), (1, 1, 1, 1, 1)])
def test_as_batch_rejects_other_ranks(shape):
    with pytest.raises(ValueError, match="x must be an image"):
        as_batch(np.zeros(shape))


def test_describe_layout_contiguous_owner():
    a = np.zeros((600, 512, 3), dtype=np.float32)
    line = describe_layout(a, "img")
    assert line == ("img: shape (600, 512, 3) float32, strides (6144, 12, 4)\n"
                    "     C-contiguous, owns its data")


def test_describe_layout_transposed_view():
    a = np.zeros((600, 512, 3), dtype=np.float32)
    line = describe_layout(a.transpose(2, 0, 1), "x")
    assert "strides (4, 6144, 12)" in line
    assert "not contiguous" in line and "a view of another array" in line
    assert "F-contiguous" in describe_layout(np.zeros((3, 4)).T)
    assert "0x" not in line    # no memory address: stable output for nbval


def test_describe_layout_rejects_non_arrays():
    with pytest.raises(TypeError, match="must be a NumPy array"):
        describe_layout([1, 2, 3])
