"""Instant feedback for learners' exercise attempts.

Each chapter's submodule (``cnnlib.exercises.tensors``, ...) defines functions
such as ``check_output_size(my_function)`` built on :func:`run_cases`: they
call the learner's function on a few cases with known answers, print one line
per case and a hint for the first failure, and return whether all passed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Sequence

import numpy as np

__all__ = ["Case", "run_cases", "same"]


def same(got: Any, expected: Any, rtol: float = 1e-5, atol: float = 1e-8) -> bool:
    """Default comparison: shapes and values for arrays (with float tolerance), ``==`` otherwise."""
    if isinstance(expected, np.ndarray) or isinstance(got, np.ndarray):
        got_a, exp_a = np.asarray(got), np.asarray(expected)
        if got_a.shape != exp_a.shape:
            return False
        if exp_a.dtype.kind in "fc" or got_a.dtype.kind in "fc":
            return bool(np.allclose(got_a, exp_a, rtol=rtol, atol=atol, equal_nan=True))
        return bool(np.array_equal(got_a, exp_a))
    if isinstance(expected, (float, np.floating)) or isinstance(got, (float, np.floating)):
        try:
            return bool(np.isclose(got, expected, rtol=rtol, atol=atol))
        except (TypeError, ValueError):
            return False
    if isinstance(expected, tuple) and isinstance(got, tuple):
        return len(got) == len(expected) and all(same(g, e, rtol, atol) for g, e in zip(got, expected))
    return bool(got == expected)


@dataclass
class Case:
    """One call of the learner's function and the answer it should give.

    Parameters
    ----------
    description : str
        Shown to the learner, e.g. ``"size 30, kernel 3, stride 3"``.
    args, kwargs
        Passed to the function under test.
    expected
        The right answer, known independently (closed form, worked by hand).
    hint : str
        Shown if this is the first case that fails.
    compare : callable(got, expected) -> bool, optional
        Defaults to :func:`same`.
    """

    description: str
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    expected: Any = None
    hint: str = ""
    compare: Optional[Callable[[Any, Any], bool]] = None


def _short(value: Any) -> str:
    if isinstance(value, np.ndarray):
        if value.size <= 12:
            return np.array2string(value, precision=4, separator=", ").replace("\n", "")
        return f"array of shape {value.shape}, dtype {value.dtype}"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def run_cases(fn: Callable, cases: Sequence[Case], *, name: Optional[str] = None) -> bool:
    """Run ``fn`` on every case, print a report, return True if all pass.

    Exceptions raised by ``fn`` count as failures and are reported, never
    re-raised, so a learner sees every case at once.
    """
    if not callable(fn):
        raise TypeError(f"expected a function to check, got {type(fn).__name__}")
    name = name or getattr(fn, "__name__", "your function")
    first_hint = None
    passed = 0
    for case in cases:
        compare = case.compare or same
        try:
            got = fn(*case.args, **case.kwargs)
        except Exception as exc:  # report, don't crash: the learner wants all cases
            ok, detail = False, f"raised {type(exc).__name__}: {exc}"
        else:
            try:
                ok = bool(compare(got, case.expected))
            except Exception:  # e.g. an answer of the wrong type: a failure, not a crash
                ok = False
            detail = "" if ok else f"expected {_short(case.expected)}, got {_short(got)}"
        passed += ok
        print(f"  {'PASS' if ok else 'FAIL'}  {case.description}" + (f": {detail}" if detail else ""))
        if not ok and first_hint is None:
            first_hint = case.hint
    total = len(cases)
    if passed == total:
        print(f"{name}: all {total} cases pass.")
        return True
    print(f"{name}: {passed} of {total} cases pass." + (f" Hint: {first_hint}" if first_hint else ""))
    return False
