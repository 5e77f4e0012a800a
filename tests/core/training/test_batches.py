"""How many steps a compiled call runs: ChunkSizer's ramp, time budget and cap."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from core.training.batches import ChunkSizer


def sizes(sizer: ChunkSizer, per_step: float, calls: int) -> list[int]:
    """The sizes ``sizer`` hands out when every step takes ``per_step`` seconds."""
    out = []
    for _ in range(calls):
        k = sizer.next()
        out.append(k)
        sizer.took(k, k * per_step)
    return out


def test_fast_steps_ramp_up_to_the_cap():
    # the first call also traces (its time is ignored), then the size doubles up to the cap
    assert sizes(ChunkSizer(50, 0.05), 0.0005, 9) == [1, 1, 2, 4, 8, 16, 32, 50, 50]


def test_the_time_budget_bounds_a_call():
    assert sizes(ChunkSizer(50, 0.05), 0.002, 9)[-3:] == [25, 25, 25]  # 25 x 2 ms = 50 ms
    assert sizes(ChunkSizer(50, 0.05), 0.2, 5) == [1, 1, 1, 1, 1]  # a slow CNN: a step a call


def test_a_slowdown_shrinks_the_next_call_at_once():
    sizer = ChunkSizer(50, 0.05)
    sizes(sizer, 0.001, 8)
    assert sizer.next() == 50
    sizer.took(50, 50 * 0.01)  # ten times slower, e.g. another program took the cores
    assert sizer.next() == 5


def test_no_budget_means_always_the_cap():
    assert sizes(ChunkSizer(7, 0.0), 1.0, 4) == [7, 7, 7, 7]


@given(cap=st.integers(1, 500), seconds=st.floats(0, 10),
       times=st.lists(st.floats(0, 5, allow_nan=False), max_size=30))
def test_a_size_is_always_between_1_and_the_cap(cap, seconds, times):
    sizer = ChunkSizer(cap, seconds)
    for t in times:
        k = sizer.next()
        assert 1 <= k <= cap
        sizer.took(k, t)
    assert 1 <= sizer.next() <= cap
