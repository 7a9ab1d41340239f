"""cnnlib.course.signal1d against NumPy, SciPy, hand-worked examples and closed forms."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import signal

from cnnlib.course import signal1d
from cnnlib.course.signal1d import (
    MODES,
    convolve1d,
    convolve1d_loop,
    convolve_functions,
    correlate1d,
    correlate1d_loop,
    output_length,
)

CONVOLVES = [convolve1d, convolve1d_loop]
CORRELATES = [correlate1d, correlate1d_loop]
ALL_OPS = CONVOLVES + CORRELATES

values = st.floats(-100, 100, allow_nan=False, allow_infinity=False, width=64)


def signals(max_len=40):
    return hnp.arrays(np.float64, st.integers(1, max_len), elements=values)


def close(a, b):
    return a.shape == b.shape and np.allclose(a, b, rtol=1e-9, atol=1e-9 * (1 + np.abs(b).max()))


# --------------------------------------------------------------------------
# agreement with NumPy and SciPy over many random shapes


@given(x=signals(), k=signals(), mode=st.sampled_from(MODES))
def test_convolve_matches_numpy(x, k, mode):
    expected = np.convolve(x, k, mode)
    for op in CONVOLVES:
        assert close(op(x, k, mode), expected), op.__name__


@given(x=signals(), k=signals(), mode=st.sampled_from(MODES))
def test_correlate_matches_numpy(x, k, mode):
    # includes kernels longer than x, where np.correlate centres "same" differently
    expected = np.correlate(x, k, mode)
    for op in CORRELATES:
        assert close(op(x, k, mode), expected), op.__name__


@given(data=st.data(), mode=st.sampled_from(MODES))
def test_matches_scipy_when_kernel_is_not_longer(data, mode):
    x = data.draw(signals())
    k = data.draw(hnp.arrays(np.float64, st.integers(1, len(x)), elements=values))
    assert close(convolve1d(x, k, mode), signal.convolve(x, k, mode, method="direct"))
    assert close(correlate1d(x, k, mode), signal.correlate(x, k, mode, method="direct"))


@pytest.mark.parametrize("m_len", range(1, 9))
@pytest.mark.parametrize("n_len", range(1, 9))
def test_every_small_length_pair_and_mode(m_len, n_len):
    # exhaustive over small lengths: catches off-by-one centring of "same"
    rng = np.random.default_rng(100 * m_len + n_len)
    x, k = rng.normal(size=m_len), rng.normal(size=n_len)
    for mode in MODES:
        for op in CONVOLVES:
            assert close(op(x, k, mode), np.convolve(x, k, mode)), (op.__name__, mode)
        for op in CORRELATES:
            assert close(op(x, k, mode), np.correlate(x, k, mode)), (op.__name__, mode)
        assert len(convolve1d(x, k, mode)) == output_length(m_len, n_len, mode)


# --------------------------------------------------------------------------
# hand-worked examples and algebraic properties


def test_hand_worked_convolution():
    # y[0] = 1*2, y[1] = 1*1 + 2*2, y[2] = 1*(-1) + 2*1 + 3*2, y[3] = 2*(-1) + 3*1, y[4] = 3*(-1)
    for op in CONVOLVES:
        np.testing.assert_array_equal(op([1.0, 2, 3], [2.0, 1, -1]), [2.0, 5, 7, 1, -3])
        np.testing.assert_array_equal(op([1.0, 2, 3], [2.0, 1, -1], "same"), [5.0, 7, 1])
        np.testing.assert_array_equal(op([1.0, 2, 3], [2.0, 1, -1], "valid"), [7.0])


def test_hand_worked_correlation():
    # no flip: output j is x[j]*k[0] + x[j+1]*k[1]
    for op in CORRELATES:
        np.testing.assert_array_equal(op([1.0, 2, 3, 4], [1.0, -1]), [-1.0, -1, -1])
        np.testing.assert_array_equal(op([0.0, 1, 0, 0, 2], [1.0, 2]), [2.0, 1, 0, 4])
        np.testing.assert_array_equal(op([1.0, 2, 3], [2.0, 1, -1], "full"), [-1.0, -1, 1, 7, 6])


def test_delta_kernel_is_identity_and_shifted_delta_delays():
    x = np.arange(1.0, 8.0)
    np.testing.assert_array_equal(convolve1d(x, [1.0]), x)
    np.testing.assert_array_equal(convolve1d(x, [0.0, 0.0, 1.0])[2:], x)
    np.testing.assert_array_equal(convolve1d(x, [0.0, 0.0, 1.0])[:2], [0.0, 0.0])


def test_convolution_is_polynomial_multiplication():
    a, b = np.array([3.0, 1, 4, 1, 5]), np.array([1.0, 2, 3])
    # np.polymul wants the highest power first; reversing both sides is harmless
    np.testing.assert_allclose(convolve1d(a, b), np.polymul(a[::-1], b[::-1])[::-1])


@given(x=signals(), k=signals())
def test_commutes_and_flip_relates_convolution_and_correlation(x, k):
    assert close(convolve1d(x, k), convolve1d(k, x))
    assert close(correlate1d(x, k, "full"), convolve1d(x, k[::-1], "full"))
    # correlating k with x gives the same numbers in reverse order
    assert close(correlate1d(k, x, "full"), correlate1d(x, k, "full")[::-1])


@given(x=signals(20), k=signals(20), a=values, b=values)
def test_linear_in_the_signal(x, k, a, b):
    y = np.linspace(-1, 1, len(x))
    assert close(convolve1d(a * x + b * y, k), a * convolve1d(x, k) + b * convolve1d(y, k))


def test_symmetric_kernel_makes_convolution_equal_correlation():
    x = np.random.default_rng(0).normal(size=20)
    k = np.array([1.0, 2.0, 3.0, 2.0, 1.0])
    np.testing.assert_allclose(convolve1d(x, k, "same"), correlate1d(x, k, "same"))
    k_asym = np.array([1.0, 2.0, 3.0])
    assert not np.allclose(convolve1d(x, k_asym, "same"), correlate1d(x, k_asym, "same"))


# --------------------------------------------------------------------------
# dtypes


@pytest.mark.parametrize("op", ALL_OPS)
def test_float32_in_float32_out(op):
    x = np.random.default_rng(1).normal(size=9).astype(np.float32)
    k = np.array([0.5, -1.0, 2.0], dtype=np.float32)
    out = op(x, k, "full")
    assert out.dtype == np.float32
    ref = np.convolve if op in CONVOLVES else np.correlate
    np.testing.assert_allclose(out, ref(x.astype(np.float64), k.astype(np.float64), "full"),
                               rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("op", ALL_OPS)
def test_integers_give_exact_float64(op):
    out = op([1, 2, 3], [4, 5], "full")
    assert out.dtype == np.float64
    ref = np.convolve if op in CONVOLVES else np.correlate
    np.testing.assert_array_equal(out, ref([1, 2, 3], [4, 5], "full").astype(np.float64))


@pytest.mark.parametrize("op", ALL_OPS)
def test_mixed_precision_promotes(op):
    assert op(np.ones(4, np.float32), np.ones(2, np.float64)).dtype == np.float64


# --------------------------------------------------------------------------
# bad inputs


@pytest.mark.parametrize("op", ALL_OPS)
@pytest.mark.parametrize("bad, name, kind, words", [
    (np.ones((2, 3)), "x", ValueError, "1-D"),
    (np.float64(3.0), "x", ValueError, "1-D"),
    (np.array([]), "x", ValueError, "empty"),
    (np.array([1 + 2j, 3]), "x", TypeError, "complex"),
    (np.array([True, False]), "x", TypeError, "bool"),
    (np.array(["a", "b"]), "x", TypeError, "dtype"),
])
def test_bad_signal_is_rejected_with_a_message_naming_it(op, bad, name, kind, words):
    with pytest.raises(kind, match=words) as info:
        op(bad, [1.0, 2.0])
    assert str(info.value).startswith(name)
    with pytest.raises(kind, match=words) as info:
        op([1.0, 2.0], bad)
    assert str(info.value).startswith("k")


@pytest.mark.parametrize("op", ALL_OPS)
@pytest.mark.parametrize("mode", ["Full", "circular", "", None, 1])
def test_bad_mode(op, mode):
    with pytest.raises(ValueError, match="mode must be one of"):
        op([1.0, 2.0, 3.0], [1.0], mode)


def test_output_length_formula_and_bad_arguments():
    assert [output_length(8, 3, m) for m in MODES] == [10, 8, 6]
    assert [output_length(3, 8, m) for m in MODES] == [10, 8, 6]
    assert output_length(5, 5, "valid") == 1
    with pytest.raises(ValueError, match="n_x must be >= 1"):
        output_length(0, 3)
    with pytest.raises(TypeError, match="n_k must be an int"):
        output_length(4, 2.0)
    with pytest.raises(TypeError, match="n_x must be an int"):
        output_length(True, 2)
    with pytest.raises(ValueError, match="mode"):
        output_length(4, 2, "wide")


# --------------------------------------------------------------------------
# continuous convolution


def gauss(t, mean=0.0, std=1.0):
    return np.exp(-0.5 * ((t - mean) / std) ** 2) / (std * np.sqrt(2 * np.pi))


@pytest.mark.parametrize("rule", ["trapezoid", "riemann"])
def test_gaussians_convolve_to_a_gaussian(rule):
    # N(m1, s1^2) * N(m2, s2^2) = N(m1 + m2, s1^2 + s2^2), a closed form
    m1, s1, m2, s2 = -1.0, 0.5, 2.0, 1.5
    t = np.linspace(-12, 12, 961)
    got = convolve_functions(lambda s: gauss(s, m1, s1), lambda s: gauss(s, m2, s2), t, rule=rule)
    np.testing.assert_allclose(got, gauss(t, m1 + m2, np.hypot(s1, s2)), atol=1e-12)


def test_box_with_box_is_a_triangle_to_first_order():
    box = lambda s: ((s >= 0) & (s < 1)).astype(float)
    triangle = lambda s: np.clip(1 - np.abs(s - 1), 0, None)
    errors = []
    for n in (161, 321, 641):
        t = np.linspace(-2, 4, n)
        errors.append(np.abs(convolve_functions(box, box, t) - triangle(t)).max())
    assert errors[0] < 0.05
    # the jumps make the error proportional to the step: halving it halves the error
    np.testing.assert_allclose(np.array(errors[:-1]) / errors[1:], 2.0, rtol=0.05)


def test_evaluation_points_can_differ_from_the_grid_and_blocks_do_not_matter():
    f = lambda s: gauss(s, 0.3, 0.7)
    g = lambda s: np.where(s > 0, np.exp(-np.clip(s, 0, None)), 0.0)  # one-sided, asymmetric
    tau = np.linspace(-8, 20, 28001)   # step 0.001
    t = np.array([-1.0, 0.25, 1.7, 3.0])
    whole = convolve_functions(f, g, t, tau=tau)
    np.testing.assert_allclose(convolve_functions(f, g, t, tau=tau, max_block=5), whole)
    # commutes, f * g == g * f, up to the error of the jump in g: about
    # step / 2 * max f ~ 3e-4 (first order in the step)
    np.testing.assert_allclose(convolve_functions(g, f, t, tau=tau), whole, atol=5e-4)
    # and equals the closed form of a Gaussian times a one-sided exponential
    from scipy.special import erfc
    mu, sd = 0.3, 0.7
    exact = 0.5 * np.exp(sd**2 / 2 - (t - mu)) * erfc((sd**2 - (t - mu)) / (sd * np.sqrt(2)))
    np.testing.assert_allclose(whole, exact, atol=5e-4)


def test_discrete_convolution_times_step_approximates_the_integral():
    # sampling both functions on one grid turns the integral into np.convolve * step
    tau = np.linspace(-12, 12, 1201)  # wide enough that both tails are negligible
    step = tau[1] - tau[0]
    f, g = gauss(tau, 0, 0.5), gauss(tau, 0, 1.5)
    discrete = np.convolve(f, g) * step
    t_full = 2 * tau[0] + step * np.arange(len(discrete))
    np.testing.assert_allclose(discrete, gauss(t_full, 0, np.hypot(0.5, 1.5)), atol=1e-10)


@pytest.mark.parametrize("kwargs, kind, words", [
    ({"f": 3.0}, TypeError, "f must be a function"),
    ({"g": "g"}, TypeError, "g must be a function"),
    ({"t": np.ones((3, 3))}, ValueError, "t must be 1-D"),
    ({"t": np.array(["a"])}, TypeError, "t must be a real numeric"),
    ({"tau": np.array([0.0, 1.0, 3.0])}, ValueError, "evenly spaced"),
    ({"tau": np.linspace(1, 0, 5)}, ValueError, "evenly spaced and increasing"),
    ({"tau": np.array([0.0])}, ValueError, "at least 2 points"),
    ({"tau": np.array([0.0, np.nan])}, ValueError, "finite"),
    ({"rule": "simpson"}, ValueError, "rule"),
    ({"max_block": 0}, ValueError, "max_block"),
    ({"f": lambda s: 1.0}, ValueError, r"f\(tau\) must return shape"),
    ({"g": lambda s: s.sum(axis=1)}, ValueError, "g must return an array"),
])
def test_convolve_functions_bad_inputs(kwargs, kind, words):
    args = {"f": np.exp, "g": np.cos, "t": np.linspace(0, 1, 11)}
    args.update(kwargs)
    with pytest.raises(kind, match=words):
        convolve_functions(**args)


def test_module_lists_its_public_names():
    for name in signal1d.__all__:
        assert hasattr(signal1d, name)
