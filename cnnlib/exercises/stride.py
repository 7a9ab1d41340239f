"""Instant feedback for the exercises of the chapter on stride and padding.

Every expected value below was worked out by hand (the comments show the
arithmetic); the test suite also checks them against :mod:`cnnlib`.
"""

from __future__ import annotations

from collections.abc import Callable

from . import Case, run_cases

__all__ = [
    "check_conv_macs",
    "check_output_size",
    "check_receptive_field",
    "check_same_padding",
]


def check_output_size(fn: Callable) -> bool:
    """Check a learner's ``output_size(n, k, s, p)``: window positions along one axis.

    Parameters
    ----------
    fn : callable(n, k, s, p) -> int
        Input length ``n``, kernel ``k``, stride ``s``, padding ``p`` (zeros
        on each side).

    Returns
    -------
    bool
        True if every case passes.
    """
    count_hint = ("count the window positions: the last one starts at most at n + 2p - k, "
                  "and they are s apart, so (n + 2p - k) // s + 1")
    return run_cases(fn, [
        # (30 - 3) / 3 = 9 steps, so 10 positions
        Case("n=30, k=3, s=3, p=0 (the guide's example)", args=(30, 3, 3, 0), expected=10,
             hint=count_hint),
        # 28 - 5 + 1
        Case("n=28, k=5, s=1, p=0", args=(28, 5, 1, 0), expected=24, hint=count_hint),
        # (8 - 3) / 2 = 2.5 -> 2 full steps, 3 positions; pixel 7 is left over
        Case("n=8, k=3, s=2, p=0 (stride does not divide: round down)", args=(8, 3, 2, 0),
             expected=3, hint="a window that would stick out of the input does not count: "
                              "use floor division //, not / or a ceiling"),
        # (7 + 2 - 3) / 2 = 3 -> 4
        Case("n=7, k=3, s=2, p=1", args=(7, 3, 2, 1), expected=4,
             hint="padding adds p zeros on BOTH sides: the padded length is n + 2p"),
        # (10 + 2 - 3) / 1 + 1 = 10: 'same' size
        Case("n=10, k=3, s=1, p=1 (keeps the size)", args=(10, 3, 1, 1), expected=10,
             hint="padding adds p zeros on BOTH sides: the padded length is n + 2p"),
        # (224 + 4 - 11) / 4 = 54.25 -> 54 -> 55
        Case("n=224, k=11, s=4, p=2 (AlexNet's first layer)", args=(224, 11, 4, 2),
             expected=55, hint=count_hint),
        # (5 - 5) / 2 = 0 -> a single position
        Case("n=5, k=5, s=2, p=0 (kernel as large as the input)", args=(5, 5, 2, 0),
             expected=1, hint="when the kernel just fits there is exactly one position"),
        # (9 - 1) / 4 = 2 -> 3 (pixels 0, 4, 8)
        Case("n=9, k=1, s=4, p=0 (1x1 kernel)", args=(9, 1, 4, 0), expected=3,
             hint=count_hint),
    ], name="output_size")


def _as_pair(got, expected) -> bool:
    try:
        values = tuple(got)
        return len(values) == 2 and tuple(int(v) for v in values) == expected
    except (TypeError, ValueError):
        return False


def check_same_padding(fn: Callable) -> bool:
    """Check a learner's ``same_padding(k) -> (before, after)`` for stride 1.

    The zeros added before and after the input along one axis so that a
    stride-1 convolution with kernel ``k`` keeps the size: ``k - 1`` in total,
    split evenly for odd ``k``; for even ``k`` the extra one goes after (as
    PyTorch and cnnlib do).
    """
    hint_total = "the output keeps size n when n + before + after - k + 1 == n: in total k - 1 zeros"
    hint_split = "for an even kernel k - 1 is odd: put (k - 1) // 2 before and the rest after"
    return run_cases(fn, [
        Case("k=1", args=(1,), expected=(0, 0), compare=_as_pair, hint=hint_total),
        Case("k=3", args=(3,), expected=(1, 1), compare=_as_pair, hint=hint_total),
        Case("k=5", args=(5,), expected=(2, 2), compare=_as_pair, hint=hint_total),
        Case("k=7", args=(7,), expected=(3, 3), compare=_as_pair, hint=hint_total),
        Case("k=2 (even)", args=(2,), expected=(0, 1), compare=_as_pair, hint=hint_split),
        Case("k=4 (even)", args=(4,), expected=(1, 2), compare=_as_pair, hint=hint_split),
    ], name="same_padding")


def check_conv_macs(fn: Callable) -> bool:
    """Check a learner's ``conv_macs(input_shape, out_channels, k, stride, padding)``.

    ``input_shape`` is ``(N, C, H, W)``, the kernel is square ``k x k`` and
    ``stride``/``padding`` are ints. The answer counts one multiply-accumulate
    per (output value, weight) pair, padded zeros included, bias excluded.
    """
    hint = ("each output value is a dot product of C * k * k numbers, and there are "
            "N * F * Ho * Wo output values")
    return run_cases(fn, [
        # 1 * 96 * 10 * 10 outputs, 3 * 3 * 3 each
        Case("(1, 3, 30, 30), 96 filters, k=3, s=3, p=0 (the guide's layer)",
             args=((1, 3, 30, 30), 96, 3, 3, 0), expected=259_200, hint=hint),
        # 24 * 24 * 5 * 5 * 6 filters * 1 channel
        Case("(1, 1, 28, 28), 6 filters, k=5, s=1, p=0", args=((1, 1, 28, 28), 6, 5, 1, 0),
             expected=86_400, hint=hint),
        # padded: 8 x 8 output; 2 * 16 * 64 * 8 * 9 = 147,456
        Case("(2, 8, 8, 8), 16 filters, k=3, s=1, p=1 (padding counts)",
             args=((2, 8, 8, 8), 16, 3, 1, 1), expected=147_456,
             hint="padding makes the output larger, and the products with padded zeros "
                  "are still performed"),
        # output (9 - 3) // 2 + 1 = 4 per side; 4 * 4 * 2 * 4 * 9 = 1,152
        Case("(1, 2, 9, 9), 4 filters, k=3, s=2, p=0 (stride 2)",
             args=((1, 2, 9, 9), 4, 3, 2, 0), expected=1_152,
             hint="the number of output positions per side is (n + 2p - k) // s + 1"),
        # output (10 - 3) // 2 + 1 = 4 per side (not 4.5); 1 * 1 * 16 * 9 = 144
        Case("(1, 1, 10, 10), 1 filter, k=3, s=2, p=0 (stride does not divide)",
             args=((1, 1, 10, 10), 1, 3, 2, 0), expected=144,
             hint="round the number of positions down: (10 - 3) // 2 + 1 = 4"),
    ], name="conv_macs")


def check_receptive_field(fn: Callable) -> bool:
    """Check a learner's ``receptive_field(layers) -> int``.

    ``layers`` is a list of ``(kernel_size, stride)`` pairs, first layer
    first; the answer is the side, in input pixels, of the region one output
    value of the last layer depends on.
    """
    hint = ("each layer adds (k - 1) * jump, where jump is the product of the strides "
            "of the layers BEFORE it")
    return run_cases(fn, [
        Case("one 3x3 conv", args=([(3, 1)],), expected=3, hint="a single layer sees k pixels"),
        # 3 + 2 = 5, + 2 = 7
        Case("three 3x3 convs, stride 1", args=([(3, 1)] * 3,), expected=7, hint=hint),
        # 3, + 1 * 1 = 4 (jump becomes 2), + 2 * 2 = 8
        Case("3x3 conv, 2x2 pool stride 2, 3x3 conv", args=([(3, 1), (2, 2), (3, 1)],),
             expected=8, hint=hint),
        # stride of the first layer does not widen its own field: 3, + 2 * 2 = 7
        Case("3x3 conv stride 2, 3x3 conv", args=([(3, 2), (3, 1)],), expected=7, hint=hint),
        # AlexNet: 11, 19, 51, 67, 99, 131, 163, 195
        Case("AlexNet's 5 convs and 3 pools", args=([(11, 4), (3, 2), (5, 1), (3, 2), (3, 1),
                                                      (3, 1), (3, 1), (3, 2)],),
             expected=195, hint=hint),
    ], name="receptive_field")
