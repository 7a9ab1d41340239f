"""Timing for the chapters' speed comparisons.

Used by the chapters 00-how-notebooks-work, 01-tensors, 03-filters.
"""

from __future__ import annotations

import timeit
from typing import Callable


def best_time(fn: Callable[[], object], *, repeat: int = 3, number: int = 1) -> float:
    """Seconds per call of ``fn``: the fastest of ``repeat`` runs of ``number`` calls.

    The minimum, not the mean, because other programs on the machine only
    ever make a run slower: the fastest run is the least disturbed.
    """
    if repeat < 1 or number < 1:
        raise ValueError(f"repeat and number must be >= 1, got repeat={repeat}, number={number}")
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number
