"""Interleaved timing: every competitor is measured in every round.

On a shared machine the speed available to a process drifts from second to
second. Timing implementation A for ten seconds and then B for ten seconds
would mostly measure that drift, so instead each round runs every candidate
once (a few calls in a row when one call is very short) in a rotating order,
and the statistics are taken over rounds:

* the time of a candidate is the median of its per-round times;
* the speed ratio of two candidates is the median of their per-round ratios,
  so both numbers of a pair come from the same few hundred milliseconds.

NumPy (OpenBLAS) and PyTorch (OpenMP) keep separate thread pools, and both
let their idle worker threads spin for a while before sleeping: measured
here, OpenBLAS burns about 100 ms of CPU after a matrix product, PyTorch's
OpenMP pool about 8 ms after an operation. In one process, whichever library
runs next would share the two cores with the other one's spinning thread
(slowing a small NumPy layer down by up to 2x). So when the round passes
from one library to the other, it first sleeps ``settle`` seconds; within a
library no pause is needed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np


@dataclass
class Candidate:
    """One implementation to time.

    ``scale`` multiplies the measured time, for slow implementations timed on
    a smaller batch (their cost is linear in the batch size); ``rounds``
    limits how many rounds they take part in (``None``: all).
    """

    name: str
    fn: Callable[[], object]
    scale: float = 1.0
    library: str = "numpy"  # whose thread pool it runs on
    rounds: int | None = None
    inner: int = 1
    times: list = field(default_factory=list)  # seconds per call, one entry per round, scaled

    def median(self) -> float:
        return float(np.median(self.times)) if self.times else float("nan")


def _calibrate(c: Candidate, target: float, max_inner: int) -> None:
    """Warm up (first call allocates, fills caches) and pick calls per round."""
    c.fn()
    start = time.perf_counter()
    c.fn()
    once = time.perf_counter() - start
    c.inner = 1 if c.rounds is not None else int(np.clip(round(target / max(once, 1e-7)), 1, max_inner))


def interleaved(cands: list[Candidate], rounds: int, target: float = 0.01,
                max_inner: int = 50, settle: float = 0.15) -> list[Candidate]:
    """Time every candidate in ``rounds`` rotating rounds; fills ``.times``.

    Parameters
    ----------
    cands : list of Candidate
    rounds : int
        Rounds for the full-speed candidates (limited ones stop earlier).
    target : float
        Seconds one candidate should take per round: short calls are
        repeated ``inner`` times so timer resolution and one-off hiccups
        matter less.
    settle : float
        Pause when switching between libraries (see the module docstring).
    """
    last = None
    for c in cands:
        if last is not None and c.library != last:
            time.sleep(settle)
        _calibrate(c, target, max_inner)
        c.times = []
        last = c.library
    for r in range(rounds):
        shift = r % len(cands)
        for c in cands[shift:] + cands[:shift]:
            if c.rounds is not None and r >= c.rounds:
                continue
            if c.library != last:
                time.sleep(settle)
                last = c.library
            start = time.perf_counter()
            for _ in range(c.inner):
                c.fn()
            c.times.append((time.perf_counter() - start) / c.inner * c.scale)
    return cands


def paired_ratio(slow: Candidate, fast: Candidate) -> float:
    """Median over shared rounds of ``slow_time / fast_time`` (> 1: ``fast`` wins)."""
    n = min(len(slow.times), len(fast.times))
    if n == 0:
        return float("nan")
    return float(np.median(np.asarray(slow.times[:n]) / np.asarray(fast.times[:n])))
