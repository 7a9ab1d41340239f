"""cnnlib.exercises.filters: right answers pass, plausible wrong answers fail."""

import numpy as np

import cnnlib
from cnnlib.course import filters
from cnnlib.exercises import filters as checks

# ---------------------------------------------------------------- check_activation

def test_activation_example_is_right_by_hand():
    ex = checks.ACTIVATION_EXAMPLE
    # written out term by term, independently of any vectorised formula
    p, w = ex["patch"], ex["weight"]
    total = 0.0
    for c in range(3):
        for i in range(2):
            for j in range(2):
                total += p[c, i, j] * w[c, i, j]
    assert total + ex["bias"] == ex["answer"] == 6.0


def test_activation_right_answer_passes(capsys):
    assert checks.check_activation(lambda patch, weight, bias: float(np.sum(patch * weight) + bias))
    assert "all 4 cases pass" in capsys.readouterr().out


def test_activation_wrong_answers_fail(capsys):
    assert not checks.check_activation(lambda patch, weight, bias: float(np.sum(patch * weight)))
    assert not checks.check_activation(lambda patch, weight, bias: float(np.sum(patch[0] * weight[0]) + bias))
    # a bias added once per channel
    assert not checks.check_activation(
        lambda patch, weight, bias: float(sum(np.sum(p * w) + bias for p, w in zip(patch, weight, strict=True))))
    out = capsys.readouterr().out
    assert "FAIL" in out and "Hint:" in out


# ---------------------------------------------------------------- check_weight_count

def _kernel_pair(kernel_size):
    return (kernel_size, kernel_size) if isinstance(kernel_size, int) else tuple(kernel_size)


def test_weight_count_right_answer_passes():
    def weight_count(in_channels, out_channels, kernel_size, bias=True):
        kh, kw = _kernel_pair(kernel_size)
        return out_channels * (in_channels * kh * kw + (1 if bias else 0))
    assert checks.check_weight_count(weight_count)


def test_weight_count_agrees_with_a_real_layer():
    # the expected counts are the sizes of cnnlib.nn.Conv2d's parameters
    rng = np.random.default_rng(0)
    layer = cnnlib.nn.Conv2d(3, 96, 3, rng=rng)
    assert sum(p.data.size for p in layer.parameters()) == 2688
    layer = cnnlib.nn.Conv2d(8, 16, (3, 5), rng=rng)
    assert sum(p.data.size for p in layer.parameters()) == 1936


def test_weight_count_wrong_answers_fail():
    def no_channels(in_channels, out_channels, kernel_size, bias=True):
        kh, kw = _kernel_pair(kernel_size)
        return out_channels * (kh * kw + (1 if bias else 0))

    def no_bias(in_channels, out_channels, kernel_size, bias=True):
        kh, kw = _kernel_pair(kernel_size)
        return out_channels * in_channels * kh * kw

    def square_only(in_channels, out_channels, kernel_size, bias=True):
        return out_channels * (in_channels * kernel_size ** 2 + (1 if bias else 0))

    for wrong in (no_channels, no_bias, square_only):
        assert not checks.check_weight_count(wrong), wrong.__name__


# ---------------------------------------------------------------- check_45_degree_filter

def test_45_degree_right_answers_pass():
    assert checks.check_45_degree_filter(filters.ANTI_DIAGONAL_LINE)
    assert checks.check_45_degree_filter(np.array([[-1, 0, 1], [0, 0, 0], [1, 0, -1]], dtype=float))


def test_45_degree_wrong_answers_fail(capsys):
    assert not checks.check_45_degree_filter(filters.DIAGONAL_LINE)          # the other diagonal
    assert not checks.check_45_degree_filter(np.fliplr(np.eye(3)))          # no negative weights
    assert not checks.check_45_degree_filter(np.ones((2, 2)))                # wrong shape
    assert "raised ValueError" in capsys.readouterr().out


# ---------------------------------------------------------------- check_conv_by_channel

def conv_by_channel(x, weight, stride=1, padding=0):
    maps = []
    for f in range(weight.shape[0]):
        maps.append(sum(cnnlib.conv2d(x[:, c:c + 1], weight[f:f + 1, c:c + 1], stride=stride, padding=padding)
                        for c in range(x.shape[1])))
    return np.concatenate(maps, axis=1)


def test_conv_by_channel_right_answer_passes():
    assert checks.check_conv_by_channel(conv_by_channel)


def test_conv_by_channel_wrong_answers_fail():
    def mean_over_channels(x, weight, stride=1, padding=0):
        return conv_by_channel(x, weight, stride, padding) / x.shape[1]

    def first_channel_only(x, weight, stride=1, padding=0):
        return cnnlib.conv2d(x[:, :1], weight[:, :1], stride=stride, padding=padding)

    def ignores_stride(x, weight, stride=1, padding=0):
        return conv_by_channel(x, weight, 1, padding)

    for wrong in (mean_over_channels, first_channel_only, ignores_stride):
        assert not checks.check_conv_by_channel(wrong), wrong.__name__
