"""One-dimensional convolution and cross-correlation, discrete and continuous.

Chapter 2 of the course builds the 2-D "convolution" of a CNN layer up from
these 1-D operations. Each comes twice, as in the rest of cnnlib:

* ``convolve1d_loop`` / ``correlate1d_loop``: plain loops that read like the
  formulas (slow; there to be read and to check the fast versions);
* ``convolve1d`` / ``correlate1d``: the same results by shift-and-add, one
  vectorised line per kernel tap.

Both match :func:`numpy.convolve` and :func:`numpy.correlate` for real inputs,
including the three output modes and inputs where the "kernel" is the longer
array. For a signal ``x`` of length ``M`` and a kernel ``k`` of length ``N``

.. math::

    (x * k)[n] = \\sum_m x[m]\\, k[n - m]          \\quad \\text{(convolution: k is flipped)}

    (x \\star k)[j] = \\sum_m x[m + j]\\, k[m]      \\quad \\text{(cross-correlation: no flip)}

where terms with an index outside the arrays are zero. ``mode`` picks which
outputs are returned: ``"full"`` every shift with any overlap (``M + N - 1``
values), ``"same"`` the central ``max(M, N)`` of those, ``"valid"`` only the
shifts where the shorter array lies entirely inside the longer one
(``max(M, N) - min(M, N) + 1`` values).

:func:`convolve_functions` approximates the continuous convolution integral
:math:`(f * g)(t) = \\int f(\\tau)\\, g(t - \\tau)\\, d\\tau` of two Python
functions by a sum over a grid.

Used by the chapters 02-convolution.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .._validate import positive_int

__all__ = [
    "MODES",
    "convolve1d",
    "convolve1d_loop",
    "convolve_functions",
    "correlate1d",
    "correlate1d_loop",
    "output_length",
]

MODES = ("full", "same", "valid")


# --------------------------------------------------------------------------
# argument checks (shared by the loop and the fast versions)


def _as_signal(a, name: str) -> np.ndarray:
    """Return ``a`` as a non-empty 1-D real numeric array, or raise."""
    arr = np.asarray(a)
    if arr.dtype.kind not in "iuf":
        if arr.dtype.kind == "c":
            what = "complex numbers are not supported (np.correlate would conjugate them)"
        elif arr.dtype.kind == "b":
            what = "booleans are not numbers here; convert with .astype(float)"
        else:
            what = "expected integers or floating-point numbers"
        raise TypeError(f"{name} must be a real numeric array, got dtype {arr.dtype}: {what}")
    if arr.ndim != 1:
        raise ValueError(
            f"{name} must be 1-D (a sequence of numbers), got shape {arr.shape} ({arr.ndim}-D)"
        )
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {arr.shape}")
    return arr


def _check_mode(mode) -> str:
    if not isinstance(mode, str) or mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    return mode


def _check_args(x, k, mode) -> tuple[np.ndarray, np.ndarray, str, np.dtype]:
    x = _as_signal(x, "x")
    k = _as_signal(k, "k")
    mode = _check_mode(mode)
    dtype = np.result_type(x.dtype, k.dtype)
    if dtype.kind != "f":  # integer inputs: compute and return float64
        dtype = np.dtype(np.float64)
    return x.astype(dtype, copy=False), k.astype(dtype, copy=False), mode, dtype


def output_length(n_x: int, n_k: int, mode: str = "full") -> int:
    """Number of values :func:`convolve1d` / :func:`correlate1d` return.

    Parameters
    ----------
    n_x, n_k : int
        Lengths of the two inputs, each >= 1 (their order does not matter).
    mode : {"full", "same", "valid"}

    Returns
    -------
    int
        ``n_x + n_k - 1`` (full), ``max(n_x, n_k)`` (same) or
        ``max(n_x, n_k) - min(n_x, n_k) + 1`` (valid).

    Examples
    --------
    >>> [output_length(8, 3, m) for m in MODES]
    [10, 8, 6]
    """
    n_x, n_k = positive_int(n_x, "n_x"), positive_int(n_k, "n_k")
    mode = _check_mode(mode)
    longer, shorter = max(n_x, n_k), min(n_x, n_k)
    if mode == "full":
        return int(longer + shorter - 1)
    if mode == "same":
        return int(longer)
    return int(longer - shorter + 1)


def _select(full: np.ndarray, n_x: int, n_k: int, mode: str, round_up: bool = False) -> np.ndarray:
    """Cut the ``mode`` part out of a full-length result.

    "same" keeps ``max(n_x, n_k)`` central values; when the number of dropped
    values ``min - 1`` is odd, one more is dropped at the end than at the
    start, as NumPy does. ``round_up`` drops the extra one at the start
    instead: NumPy's correlate does that when the kernel is the longer input,
    because it then correlates the other way round and reverses the result.
    """
    longer, shorter = max(n_x, n_k), min(n_x, n_k)
    if mode == "full":
        return full
    if mode == "same":
        start = shorter // 2 if round_up else (shorter - 1) // 2
        return full[start:start + longer]
    return full[shorter - 1:longer]


# --------------------------------------------------------------------------
# readable loop versions


def convolve1d_loop(x, k, mode: str = "full") -> np.ndarray:
    """Discrete 1-D convolution by two plain loops (slow; for reading).

    ``y[n] = sum over m of x[m] * k[n - m]``: every output is a sum of
    products in which the kernel runs backwards (it is flipped) while the
    signal runs forwards.

    Parameters
    ----------
    x : array_like, shape (M,)
        Signal, real numbers.
    k : array_like, shape (N,)
        Kernel, real numbers. ``N > M`` is allowed (convolution commutes).
    mode : {"full", "same", "valid"}
        Which outputs to return, as in :func:`numpy.convolve`.

    Returns
    -------
    ndarray, shape (output_length(M, N, mode),)
        Float; float64 if both inputs are integers.

    Examples
    --------
    >>> convolve1d_loop([1.0, 2.0, 3.0], [0.0, 1.0, 0.5])
    array([0. , 1. , 2.5, 4. , 1.5])
    """
    x, k, mode, dtype = _check_args(x, k, mode)
    m_len, n_len = len(x), len(k)
    full = np.zeros(m_len + n_len - 1, dtype=dtype)
    for n in range(len(full)):
        total = 0.0
        # only the m for which both x[m] and k[n - m] exist; the other
        # products are zero (the arrays are zero outside their ends)
        for m in range(max(0, n - n_len + 1), min(n, m_len - 1) + 1):
            total += x[m] * k[n - m]
        full[n] = total
    return _select(full, m_len, n_len, mode)


def correlate1d_loop(x, k, mode: str = "valid") -> np.ndarray:
    """Discrete 1-D cross-correlation by two plain loops (slow; for reading).

    The output for shift ``j`` (from ``-(N - 1)`` to ``M - 1``) is
    ``sum over m of x[m + j] * k[m]``: the kernel is laid on the signal
    as it is, not flipped, and the overlapping products are summed. This is
    what a deep-learning "convolution" layer computes.

    Parameters
    ----------
    x : array_like, shape (M,)
        Signal, real numbers.
    k : array_like, shape (N,)
        Kernel, real numbers.
    mode : {"full", "same", "valid"}
        Which outputs to return, as in :func:`numpy.correlate` (whose default,
        like this one's, is "valid").

    Returns
    -------
    ndarray, shape (output_length(M, N, mode),)

    Examples
    --------
    >>> correlate1d_loop([1.0, 2.0, 3.0, 4.0], [1.0, -1.0])
    array([-1., -1., -1.])
    """
    x, k, mode, dtype = _check_args(x, k, mode)
    m_len, n_len = len(x), len(k)
    shifts = range(-(n_len - 1), m_len)
    full = np.zeros(len(shifts), dtype=dtype)
    for out_index, j in enumerate(shifts):
        total = 0.0
        for m in range(max(0, -j), min(n_len, m_len - j)):  # both x[m + j] and k[m] exist
            total += x[m + j] * k[m]
        full[out_index] = total
    return _select(full, m_len, n_len, mode, round_up=n_len > m_len)


# --------------------------------------------------------------------------
# fast versions


def _convolve_full(x: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Full convolution as a sum of shifted, scaled copies of the longer input."""
    longer, shorter = (x, k) if len(x) >= len(k) else (k, x)
    out = np.zeros(len(x) + len(k) - 1, dtype=x.dtype)
    # tap j of the shorter array adds a copy of the longer one, scaled by
    # shorter[j] and shifted right by j: one vectorised line per tap
    for j, weight in enumerate(shorter):
        out[j:j + len(longer)] += weight * longer
    return out


def convolve1d(x, k, mode: str = "full") -> np.ndarray:
    """Discrete 1-D convolution, same result as :func:`numpy.convolve`.

    Computed by shift-and-add: the output is the sum, over the taps of the
    shorter input, of copies of the longer input shifted by the tap's
    position and scaled by its value. That is the same sum as
    :func:`convolve1d_loop`, taken in a different order.

    Parameters
    ----------
    x : array_like, shape (M,)
        Signal, real numbers.
    k : array_like, shape (N,)
        Kernel, real numbers. ``N > M`` is allowed (convolution commutes).
    mode : {"full", "same", "valid"}
        ``"full"``: all ``M + N - 1`` shifts with any overlap; ``"same"``: the
        central ``max(M, N)``; ``"valid"``: the ``max - min + 1`` shifts where
        the shorter input overlaps the longer one completely.

    Returns
    -------
    ndarray, shape (output_length(M, N, mode),)
        Dtype ``np.result_type(x, k)`` for floating inputs, float64 if both
        are integers.

    Raises
    ------
    TypeError
        If an input is not a real numeric array (complex, bool, strings...).
    ValueError
        If an input is not 1-D or is empty, or ``mode`` is unknown.

    Examples
    --------
    >>> convolve1d([1.0, 2.0, 3.0], [0.0, 1.0, 0.5], mode="same")
    array([1. , 2.5, 4. ])
    """
    x, k, mode, _ = _check_args(x, k, mode)
    return _select(_convolve_full(x, k), len(x), len(k), mode)


def correlate1d(x, k, mode: str = "valid") -> np.ndarray:
    """Discrete 1-D cross-correlation, same result as :func:`numpy.correlate`.

    Cross-correlating with ``k`` is convolving with ``k`` reversed,
    ``correlate1d(x, k, "full") == convolve1d(x, k[::-1], "full")``; this
    function computes it that way.

    Parameters
    ----------
    x : array_like, shape (M,)
        Signal, real numbers.
    k : array_like, shape (N,)
        Kernel, real numbers.
    mode : {"full", "same", "valid"}
        As in :func:`convolve1d`; the default is "valid", as in
        :func:`numpy.correlate`.

    Returns
    -------
    ndarray, shape (output_length(M, N, mode),)

    Notes
    -----
    For ``mode="same"`` with a kernel longer than ``x`` and an even
    ``len(x)``, NumPy centres the window half a step differently from
    ``np.convolve(x, k[::-1], "same")``; this function follows NumPy.

    Examples
    --------
    >>> correlate1d([1.0, 2.0, 3.0, 4.0], [1.0, -1.0])
    array([-1., -1., -1.])
    >>> convolve1d([1.0, 2.0, 3.0, 4.0], [1.0, -1.0], mode="valid")
    array([1., 1., 1.])
    """
    x, k, mode, _ = _check_args(x, k, mode)
    full = _convolve_full(x, k[::-1])
    return _select(full, len(x), len(k), mode, round_up=len(k) > len(x))


# --------------------------------------------------------------------------
# continuous convolution, numerically


def _check_grid(t, name: str) -> np.ndarray:
    arr = np.asarray(t)
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"{name} must be a real numeric array, got dtype {arr.dtype}")
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {arr.shape} ({arr.ndim}-D)")
    arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must contain only finite numbers")
    return arr


def convolve_functions(
    f: Callable[[np.ndarray], np.ndarray],
    g: Callable[[np.ndarray], np.ndarray],
    t,
    tau=None,
    rule: str = "trapezoid",
    max_block: int = 1_000_000,
) -> np.ndarray:
    """Approximate the convolution integral of two functions on a grid.

    Computes, for every point ``t[i]``::

        (f * g)(t[i]) = integral of f(tau) g(t[i] - tau) d tau
                      ~ sum over j of w[j] f(tau[j]) g(t[i] - tau[j])

    with the weights ``w`` of the trapezoid rule (or a left Riemann sum) on
    the evenly spaced integration grid ``tau``. The integral over the whole
    real line is replaced by one over ``[tau[0], tau[-1]]``, so ``tau`` must
    cover the region where ``f`` is not negligible.

    Parameters
    ----------
    f, g : callable
        Vectorised functions of a float ndarray returning an array of the same
        shape (``g`` is called with a 2-D array).
    t : array_like, shape (P,)
        Points at which to evaluate the convolution (any spacing).
    tau : array_like, shape (Q,), optional
        Evenly spaced, increasing integration grid, at least 2 points.
        Defaults to ``t`` (which must then be evenly spaced).
    rule : {"trapezoid", "riemann"}
        ``"trapezoid"`` gives the end points half weight; ``"riemann"`` is the
        left sum, weight ``d tau`` for every point but the last.
    max_block : int
        Largest number of ``g`` evaluations held in memory at once.

    Returns
    -------
    ndarray, shape (P,), float64

    Raises
    ------
    TypeError
        If ``f`` or ``g`` is not callable or a grid is not numeric.
    ValueError
        If a grid is not 1-D or ``tau`` is not evenly spaced and increasing,
        ``rule`` is unknown, or ``f``/``g`` do not return arrays of the shape
        of their argument.

    Examples
    --------
    Two unit boxes on [0, 1) convolve to a triangle of height 1 at t = 1
    (the jumps of the boxes limit the accuracy to about one grid step):

    >>> box = lambda s: ((s >= 0) & (s < 1)).astype(float)
    >>> grid = np.linspace(-1, 3, 4001)
    >>> round(float(convolve_functions(box, box, [1.0], tau=grid)[0]), 2)
    1.0
    """
    for name, fn in (("f", f), ("g", g)):
        if not callable(fn):
            raise TypeError(f"{name} must be a function of an array, got {type(fn).__name__}")
    if rule not in ("trapezoid", "riemann"):
        raise ValueError(f"rule must be 'trapezoid' or 'riemann', got {rule!r}")
    max_block = positive_int(max_block, "max_block")
    t = _check_grid(t, "t")
    tau = t if tau is None else _check_grid(tau, "tau")
    tau_name = "t (used as tau)" if tau is t else "tau"
    if len(tau) < 2:
        raise ValueError(f"{tau_name} needs at least 2 points, got {len(tau)}")
    steps = np.diff(tau)
    step = (tau[-1] - tau[0]) / (len(tau) - 1)
    if step <= 0 or not np.allclose(steps, step, rtol=1e-6, atol=0.0):
        raise ValueError(
            f"{tau_name} must be evenly spaced and increasing (e.g. np.linspace), "
            f"got steps from {steps.min():.3g} to {steps.max():.3g}"
        )

    weights = np.full(len(tau), step)
    if rule == "trapezoid":
        weights[[0, -1]] = step / 2
    else:
        weights[-1] = 0.0

    f_tau = np.asarray(f(tau), dtype=np.float64)
    if f_tau.shape != tau.shape:
        raise ValueError(f"f(tau) must return shape {tau.shape}, got {f_tau.shape}: "
                         "is f vectorised (written with NumPy functions)?")
    weighted_f = weights * f_tau

    out = np.empty(len(t))
    rows = max(1, max_block // len(tau))
    for start in range(0, len(t), rows):
        shifts = t[start:start + rows, None] - tau[None, :]   # t - tau, one row per t
        g_values = np.asarray(g(shifts), dtype=np.float64)
        if g_values.shape != shifts.shape:
            raise ValueError(f"g must return an array of its argument's shape {shifts.shape}, "
                             f"got {g_values.shape}: is g vectorised?")
        out[start:start + rows] = g_values @ weighted_f
    return out
