import time

import pytest

from cnnlib.course.timing import best_time


def test_best_time_is_per_call_and_at_least_the_sleep():
    t = best_time(lambda: time.sleep(0.002), repeat=2, number=3)
    assert 0.002 <= t < 0.5


def test_best_time_calls_fn_repeat_times_number():
    calls = []
    best_time(lambda: calls.append(1), repeat=4, number=5)
    assert len(calls) == 20


@pytest.mark.parametrize("kwargs", [{"repeat": 0}, {"number": 0}])
def test_best_time_rejects_zero(kwargs):
    with pytest.raises(ValueError, match="must be >= 1"):
        best_time(lambda: None, **kwargs)
