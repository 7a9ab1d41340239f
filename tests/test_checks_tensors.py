"""cnnlib.exercises.tensors: right answers pass, plausible wrong answers fail, nothing raises."""

import numpy as np
import pytest

import cnnlib
from cnnlib.exercises import tensors as T
from cnnlib.datasets import load_photo


# ---------------------------------------------------------------- orders and shapes

def test_order_questions_are_right():
    """The answer key, verified by building each object (independent of the key)."""
    photo = load_photo()
    batch_shape = (16,) + photo.transpose(2, 0, 1).shape
    conv_hw = tuple(cnnlib.conv_output_size(s, 3) for s in batch_shape[2:])
    built = {
        "the number 7": np.array(7),
        "[7, 8, 9]": np.array([7, 8, 9]),
        "[[1, 2], [5, 8]]": np.array([[1, 2], [5, 8]]),
        "[[[2, 3], [3, 5], [4, 7]], [[3, 4], [4, 6], [5, 8]]]":
            np.array([[[2, 3], [3, 5], [4, 7]], [[3, 4], [4, 6], [5, 8]]]),
        "the photo as loaded (height, width, channels)": photo,
        "the photo's red channel": photo[..., 0],
        "the colour of one pixel of the photo": photo[0, 0],
    }
    for question, obj in built.items():
        assert T.ORDER_QUESTIONS[question] == (obj.ndim, obj.shape), question
    assert T.ORDER_QUESTIONS["a batch of 16 such photos, channels first"] == (4, batch_shape)
    # the convolution's output shape, from a real (small) convolution's rule
    out = cnnlib.conv2d(np.zeros((2, 3, 9, 7), np.float32), np.zeros((8, 3, 3, 3), np.float32))
    assert out.shape == (2, 8, cnnlib.conv_output_size(9, 3), cnnlib.conv_output_size(7, 3))
    assert T.ORDER_QUESTIONS["that batch after a 3x3 convolution with 8 filters, no padding"] == (
        4, (16, 8) + conv_hw)


def right_orders():
    return {q: (len(shape), list(shape)) for q, (_, shape) in T.ORDER_QUESTIONS.items()}


def test_check_orders_passes_right_answers(capsys):
    assert T.check_orders(right_orders()) is True
    assert "all 9 cases pass" in capsys.readouterr().out


def test_check_orders_fails_order_counted_from_one(capsys):
    # the guide's "order (1, 2, 3 ... n)": a scalar given order 1
    answers = right_orders()
    answers["the number 7"] = (1, ())
    assert T.check_orders(answers) is False
    out = capsys.readouterr().out
    assert "FAIL  the number 7" in out and "Hint" in out


def test_check_orders_fails_feature_maps_as_a_fifth_axis():
    answers = right_orders()
    question = "that batch after a 3x3 convolution with 8 filters, no padding"
    answers[question] = (5, (16, 3, 8, 598, 510))
    assert T.check_orders(answers) is False


def test_check_orders_reports_missing_answers_without_raising(capsys):
    assert T.check_orders({}) is False
    assert "KeyError" in capsys.readouterr().out


# ---------------------------------------------------------------- red_at

def test_check_red_at_passes_channels_first_indexing():
    assert T.check_red_at(lambda img, i, j: img[0, i, j]) is True


@pytest.mark.parametrize("wrong", [
    lambda img, i, j: img[i, j, 0],       # channels-last habit
    lambda img, i, j: img[0, j, i],       # row and column swapped
    lambda img, i, j: img[2, i, j],       # blue, not red (BGR habit)
])
def test_check_red_at_fails_plausible_mistakes(wrong):
    assert T.check_red_at(wrong) is False


# ---------------------------------------------------------------- contiguous strides

def strides_by_formula(shape, itemsize):
    """C order worked by hand: each axis steps over the product of the later axes."""
    out, step = [], itemsize
    for size in reversed(shape):
        out.append(step)
        step *= size
    return tuple(reversed(out))


def test_check_contiguous_strides_passes_the_formula():
    assert T.check_contiguous_strides(strides_by_formula) is True


def test_check_contiguous_strides_fails_fortran_order_and_element_counts():
    def fortran(shape, itemsize):
        return tuple(reversed(strides_by_formula(tuple(reversed(shape)), itemsize)))

    def in_elements(shape, itemsize):
        return tuple(s // itemsize for s in strides_by_formula(shape, itemsize))

    assert T.check_contiguous_strides(fortran) is False
    assert T.check_contiguous_strides(in_elements) is False


def test_known_strides_by_hand():
    # anchors the check's source of truth (real NumPy arrays) to hand-worked numbers
    assert np.empty((600, 512, 3), np.float32).strides == (6144, 12, 4)
    assert np.empty((3, 600, 512), np.float32).strides == (1228800, 2048, 4)


# ---------------------------------------------------------------- view or copy

# worked out by hand from NumPy's rules, independently of the check's own probe
COPIES_BY_HAND = {
    "x.transpose(2, 0, 1)": False,
    "x[:, ::2, :]": False,
    "x[..., 0]": False,
    "x[:, [0, 2], :]": True,
    "x.reshape(6, 4)": False,
    "x.transpose(2, 0, 1).reshape(-1)": True,
    "np.ascontiguousarray(x)": False,
    "np.ascontiguousarray(x.transpose(2, 0, 1))": True,
    "x.astype(np.float32)": True,
    "x[np.newaxis]": False,
}


def test_copy_questions_match_the_hand_worked_answers():
    assert set(T.COPY_QUESTIONS) == set(COPIES_BY_HAND)
    assert T.check_copies(COPIES_BY_HAND) is True


def test_check_copies_fails_the_everything_copies_belief():
    assert T.check_copies({q: True for q in T.COPY_QUESTIONS}) is False


def test_check_copies_fails_the_transpose_reshape_trap():
    answers = dict(COPIES_BY_HAND)
    answers["x.transpose(2, 0, 1).reshape(-1)"] = False
    assert T.check_copies(answers) is False


def test_check_copies_rejects_a_non_dict():
    with pytest.raises(TypeError, match="dict"):
        T.check_copies([True, False])


# ---------------------------------------------------------------- NHWC -> NCHW

def test_check_nhwc_to_nchw_passes_a_transpose():
    assert T.check_nhwc_to_nchw(lambda x: x.transpose(0, 3, 1, 2)) is True


def test_check_nhwc_to_nchw_passes_the_library_helper():
    from cnnlib.course.tensors import to_channels_first
    assert T.check_nhwc_to_nchw(to_channels_first) is True


@pytest.mark.parametrize("wrong", [
    lambda x: x.reshape(x.shape[0], x.shape[3], x.shape[1], x.shape[2]),  # scrambles pixels
    lambda x: np.ascontiguousarray(x.transpose(0, 3, 1, 2)),               # copies
    lambda x: x.transpose(0, 3, 2, 1),                                     # NCWH
    lambda x: np.moveaxis(x, 0, -1),                                       # moves the wrong axis
])
def test_check_nhwc_to_nchw_fails_plausible_mistakes(wrong):
    assert T.check_nhwc_to_nchw(wrong) is False


def test_check_nhwc_to_nchw_reports_where_values_are_misplaced(capsys):
    T.check_nhwc_to_nchw(lambda x: x.reshape(x.shape[0], x.shape[3], x.shape[1], x.shape[2]))
    out = capsys.readouterr().out
    assert "values misplaced, first at out[0, 0, 0, 1]: 100 instead of 1" in out


def test_a_crashing_attempt_is_reported_not_raised(capsys):
    def broken(x):
        raise RuntimeError("not yet")

    assert T.check_nhwc_to_nchw(broken) is False
    assert "RuntimeError: not yet" in capsys.readouterr().out
