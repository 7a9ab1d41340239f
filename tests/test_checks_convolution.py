"""The Chapter 2 checks accept right answers and reject plausible wrong ones."""

import numpy as np
import pytest

import cnnlib
from cnnlib.exercises import convolution as checks

# --------------------------------------------------------------------------
# output_length


def right_length(n_x, n_k, mode):
    longer, shorter = max(n_x, n_k), min(n_x, n_k)
    return {"full": longer + shorter - 1, "same": longer, "valid": longer - shorter + 1}[mode]


def length_ignoring_which_is_longer(n_x, n_k, mode):
    return {"full": n_x + n_k - 1, "same": n_x, "valid": n_x - n_k + 1}[mode]


def length_off_by_one(n_x, n_k, mode):
    return {"full": n_x + n_k, "same": max(n_x, n_k), "valid": abs(n_x - n_k)}[mode]


def test_output_length_accepts_the_right_formula(capsys):
    assert checks.check_output_length(right_length) is True
    assert "all 7 cases pass" in capsys.readouterr().out


@pytest.mark.parametrize("wrong", [length_ignoring_which_is_longer, length_off_by_one])
def test_output_length_rejects_wrong_formulas(wrong, capsys):
    assert checks.check_output_length(wrong) is False
    out = capsys.readouterr().out
    assert "FAIL" in out and "Hint:" in out


def test_output_length_expected_values_agree_with_numpy():
    # the hard-coded answers must be what np.convolve really returns
    for n_x, n_k in [(8, 3), (5, 5), (1, 4), (3, 7)]:
        for mode in ("full", "same", "valid"):
            assert right_length(n_x, n_k, mode) == len(np.convolve(np.ones(n_x), np.ones(n_k), mode))


# --------------------------------------------------------------------------
# hand computation


def test_hand_computation_expected_values_agree_with_numpy(capsys):
    x, k = [1, 2, 3], [2, 1, -1]
    assert checks.check_hand_computation(np.convolve(x, k), np.correlate(x, k, "full"))
    assert "all 2 cases pass" in capsys.readouterr().out


def test_hand_computation_accepts_plain_lists():
    assert checks.check_hand_computation([2, 5, 7, 1, -3], [-1, -1, 1, 7, 6])


@pytest.mark.parametrize("conv, corr", [
    ([-1, -1, 1, 7, 6], [2, 5, 7, 1, -3]),      # the two swapped
    ([2, 5, 7, 1, -3], [6, 7, 1, -1, -1]),      # correlation reversed
    ([5, 7, 1], [-1, 1, 7]),                     # "same" instead of "full"
    (..., ...),                                  # left unanswered
])
def test_hand_computation_rejects_wrong_answers(conv, corr, capsys):
    assert checks.check_hand_computation(conv, corr) is False
    assert "FAIL" in capsys.readouterr().out


# --------------------------------------------------------------------------
# correlate_valid


def correlate_loop(x, k):
    return np.array([np.dot(x[j:j + len(k)], k) for j in range(len(x) - len(k) + 1)])


def test_correlate_valid_accepts_a_loop_and_numpy(capsys):
    assert checks.check_correlate_valid(correlate_loop)
    assert checks.check_correlate_valid(lambda x, k: np.correlate(x, k, "valid"))
    assert "all 5 cases pass" in capsys.readouterr().out


@pytest.mark.parametrize("wrong", [
    lambda x, k: np.convolve(x, k, "valid"),                    # flips the kernel
    lambda x, k: np.correlate(x, k, "same"),                     # wrong mode
    lambda x, k: correlate_loop(x, k)[:-1],                      # one position short
    lambda x, k: np.array([np.dot(x[j:j + len(k)], k) for j in range(len(x) - len(k))]),
])
def test_correlate_valid_rejects_wrong_versions(wrong, capsys):
    assert checks.check_correlate_valid(wrong) is False
    assert "FAIL" in capsys.readouterr().out


def test_correlate_valid_reports_exceptions_as_failures(capsys):
    def broken(x, k):
        raise IndexError("oops")
    assert checks.check_correlate_valid(broken) is False
    assert "raised IndexError: oops" in capsys.readouterr().out


# --------------------------------------------------------------------------
# convolve2d_via_flip


def convolve_by_flipping(image, kernel):
    flipped = kernel[::-1, ::-1]
    return cnnlib.conv2d(image[None, None], flipped[None, None])[0, 0]


def convolve_by_loops(image, kernel):
    # independent of cnnlib and SciPy: the definition, summed directly
    kh, kw = kernel.shape
    out = np.zeros((image.shape[0] - kh + 1, image.shape[1] - kw + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            for u in range(kh):
                for v in range(kw):
                    out[i, j] += image[i + kh - 1 - u, j + kw - 1 - v] * kernel[u, v]
    return out


def test_convolve2d_via_flip_accepts_right_versions(capsys):
    assert checks.check_convolve2d_via_flip(convolve_by_flipping)
    assert checks.check_convolve2d_via_flip(convolve_by_loops)
    assert "all 4 cases pass" in capsys.readouterr().out


@pytest.mark.parametrize("wrong", [
    lambda img, ker: cnnlib.conv2d(img[None, None], ker[None, None])[0, 0],            # no flip
    lambda img, ker: cnnlib.conv2d(img[None, None], ker[::-1][None, None])[0, 0],      # rows only
    lambda img, ker: cnnlib.conv2d(img[None, None], ker[:, ::-1][None, None])[0, 0],   # cols only
    lambda img, ker: cnnlib.conv2d(img[None, None], ker[::-1, ::-1][None, None]),      # 4-D result
    lambda img, ker: cnnlib.conv2d(img[None, None], ker.T[None, None])[0, 0],          # transpose
])
def test_convolve2d_via_flip_rejects_wrong_versions(wrong, capsys):
    assert checks.check_convolve2d_via_flip(wrong) is False
    assert "FAIL" in capsys.readouterr().out
