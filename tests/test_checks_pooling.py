"""The chapter-5 checks accept correct answers and reject plausible wrong ones.

The "correct" implementations here are cnnlib's own pooling functions, which
tests/test_handworked.py, test_ops_agree.py and test_torch_agree.py check
independently; so these tests also confirm that the hand-worked expected
values inside the checks agree with cnnlib.
"""

from __future__ import annotations

import numpy as np
import pytest

import cnnlib
from cnnlib.exercises import pooling as P

# --------------------------------------------------------------------------
# by hand


def _cnnlib_answers():
    x = P.HAND_GRID[None, None]
    return {
        "max pool 2x2, stride 2": cnnlib.max_pool2d(x, 2)[0, 0],
        "avg pool 2x2, stride 2": cnnlib.avg_pool2d(x, 2)[0, 0],
        "max pool 3x3, stride 1": cnnlib.max_pool2d(x, 3, stride=1)[0, 0],
    }


def test_by_hand_accepts_cnnlib_and_nested_lists(capsys):
    assert P.check_by_hand(_cnnlib_answers())
    assert "all 3 cases pass" in capsys.readouterr().out
    assert P.check_by_hand({k: v.tolist() for k, v in _cnnlib_answers().items()})


@pytest.mark.parametrize("question, wrong", [
    # the maxima in the wrong arrangement (read column by column)
    ("max pool 2x2, stride 2", [[5, 9], [8, 4]]),
    # sums instead of means
    ("avg pool 2x2, stride 2", [[10, 18], [16, 13]]),
    # 3x3 windows at stride 3 would not even fit twice: a 1x1 answer
    ("max pool 3x3, stride 1", [[9]]),
    # taking the 2x2 stride-2 result for the 3x3 stride-1 question
    ("max pool 3x3, stride 1", [[5, 8], [9, 4]]),
])
def test_by_hand_rejects_wrong(question, wrong, capsys):
    answers = _cnnlib_answers()
    answers[question] = wrong
    assert not P.check_by_hand(answers)
    out = capsys.readouterr().out
    assert f"FAIL  {question}" in out and "Hint:" in out


def test_by_hand_reports_a_missing_answer(capsys):
    answers = _cnnlib_answers()
    del answers["avg pool 2x2, stride 2"]
    assert not P.check_by_hand(answers)
    assert "raised KeyError" in capsys.readouterr().out


def test_hand_grid_is_read_only():
    with pytest.raises(ValueError):
        P.HAND_GRID[0, 0] = 1.0


# --------------------------------------------------------------------------
# forward with reshape


def test_max_pool_2x2_accepts_cnnlib(capsys):
    assert P.check_max_pool_2x2(lambda x: cnnlib.max_pool2d(x, 2))
    assert "all 4 cases pass" in capsys.readouterr().out


def _reshape_pool(x):
    n, c, h, w = x.shape
    x = x[:, :, : h - h % 2, : w - w % 2]
    return x.reshape(n, c, h // 2, 2, w // 2, 2).max(axis=(3, 5))


def test_max_pool_2x2_accepts_a_reshape_solution():
    assert P.check_max_pool_2x2(_reshape_pool)


@pytest.mark.parametrize("wrong", [
    # forgets to crop: reshape fails on odd sizes
    lambda x: x.reshape(x.shape[0], x.shape[1], x.shape[2] // 2, 2, x.shape[3] // 2, 2).max(axis=(3, 5)),
    # averages instead of max
    lambda x: cnnlib.avg_pool2d(x, 2),
    # plain decimation: the top-left of each window
    lambda x: x[:, :, : x.shape[2] // 2 * 2 : 2, : x.shape[3] // 2 * 2 : 2],
    # the classic reshape slip: (H//2, W//2, 2, 2) groups runs of the row, not 2x2 blocks
    lambda x: x[:, :, : x.shape[2] // 2 * 2, : x.shape[3] // 2 * 2].reshape(
        x.shape[0], x.shape[1], x.shape[2] // 2, x.shape[3] // 2, 2, 2).max(axis=(4, 5)),
    # clips negatives (a ReLU sneaked in)
    lambda x: np.maximum(_reshape_pool(x), 0),
])
def test_max_pool_2x2_rejects_wrong(wrong, capsys):
    assert not P.check_max_pool_2x2(wrong)
    assert "FAIL" in capsys.readouterr().out


# --------------------------------------------------------------------------
# backward


def test_backward_accepts_cnnlib(capsys):
    assert P.check_max_pool_2x2_backward(lambda g, x: cnnlib.max_pool2d_backward(g, x, 2))
    assert "all 4 cases pass" in capsys.readouterr().out


def test_backward_accepts_the_reference_loops():
    assert P.check_max_pool_2x2_backward(lambda g, x: cnnlib.reference.max_pool2d_backward(g, x, 2))


def _mask_every_tie(g, x):
    # the classic slip: x == max marks every tied position
    y = cnnlib.max_pool2d(x, 2)
    up = np.repeat(np.repeat(y, 2, axis=2), 2, axis=3)
    gu = np.repeat(np.repeat(g, 2, axis=2), 2, axis=3)
    out = np.zeros_like(x)
    h, w = up.shape[2:]
    out[:, :, :h, :w] = np.where(x[:, :, :h, :w] == up, gu, 0)
    return out


def _positive_mask(g, x):
    # confuses pooling's backward with ReLU's
    return _mask_every_tie(g, x) * (x > 0)


def _spread_evenly(g, x):
    return cnnlib.avg_pool2d_backward(g, x, 2)


def _last_tie(g, x):
    # the last maximum of each window instead of the first
    out = np.zeros_like(x)
    for n, c, i, j in np.ndindex(*g.shape):
        flat = x[n, c, 2 * i:2 * i + 2, 2 * j:2 * j + 2].ravel()
        u, v = divmod(flat.size - 1 - int(np.argmax(flat[::-1])), 2)
        out[n, c, 2 * i + u, 2 * j + v] += g[n, c, i, j]
    return out


@pytest.mark.parametrize("wrong", [_mask_every_tie, _positive_mask, _spread_evenly, _last_tie])
def test_backward_rejects_wrong(wrong, capsys):
    assert not P.check_max_pool_2x2_backward(wrong)
    out = capsys.readouterr().out
    assert "FAIL" in out and "Hint:" in out


# --------------------------------------------------------------------------
# output size


def test_output_size_accepts_cnnlib(capsys):
    def size(n, k, s=None):
        return cnnlib.conv_output_size(n, k, stride=k if s is None else s)

    assert P.check_pool_output_size(size)
    assert "all 8 cases pass" in capsys.readouterr().out


def test_output_size_agrees_with_max_pool2d():
    # the same cases, counted from the shape of a real pooling's output
    def size(n, k, s=None):
        return cnnlib.max_pool2d(np.zeros((1, 1, n, 1)), (k, 1), stride=(k if s is None else s, 1)).shape[2]

    assert P.check_pool_output_size(size)


@pytest.mark.parametrize("wrong", [
    lambda n, k, s=None: n // k,                                  # ignores the stride
    lambda n, k, s=None: -(-(n - k) // (s or k)) + 1,             # rounds up (ceil mode)
    lambda n, k, s=None: (n - k) // (s or k),                     # counts steps, not positions
    lambda n, k, s=None: n // (s or k),                           # ignores the kernel
    lambda n, k, s=None: (n - k) // (s or 1) + 1,                 # default stride 1
])
def test_output_size_rejects_wrong(wrong, capsys):
    assert not P.check_pool_output_size(wrong)
    assert "FAIL" in capsys.readouterr().out


# --------------------------------------------------------------------------
# average pooling as a convolution


def _channelwise_weight(c, k):
    w = np.zeros((c, c, k, k))
    w[np.arange(c), np.arange(c)] = 1.0 / (k * k)
    return w


def test_avg_pool_weight_accepts_the_channelwise_box(capsys):
    assert P.check_avg_pool_weight(_channelwise_weight)
    assert "all 3 cases pass" in capsys.readouterr().out


@pytest.mark.parametrize("c, k", [(1, 2), (3, 2), (2, 3)])
def test_the_expected_weights_really_reproduce_avg_pool2d(c, k):
    rng = np.random.default_rng(c * 10 + k)
    x = rng.normal(size=(2, c, 3 * k + 1, 2 * k))
    np.testing.assert_allclose(cnnlib.conv2d(x, _channelwise_weight(c, k), stride=k),
                               cnnlib.avg_pool2d(x, k), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("wrong", [
    lambda c, k: np.full((c, c, k, k), 1.0 / (k * k)),            # mixes channels
    lambda c, k: np.full((c, c, k, k), 1.0 / (c * k * k)),        # averages across channels too
    lambda c, k: _channelwise_weight(c, k) * k * k,               # sums, not means
    lambda c, k: _channelwise_weight(c, k)[:, :1],                # one input channel only
])
def test_avg_pool_weight_rejects_wrong(wrong, capsys):
    assert not P.check_avg_pool_weight(wrong)
    assert "FAIL" in capsys.readouterr().out
