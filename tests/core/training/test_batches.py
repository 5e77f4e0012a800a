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


@given(
    cap=st.integers(1, 500),
    seconds=st.floats(0, 10),
    times=st.lists(st.floats(0, 5, allow_nan=False), max_size=30),
)
def test_a_size_is_always_between_1_and_the_cap(cap, seconds, times):
    sizer = ChunkSizer(cap, seconds)
    for t in times:
        k = sizer.next()
        assert 1 <= k <= cap
        sizer.took(k, t)
    assert 1 <= sizer.next() <= cap


def plan(sizer: ChunkSizer, per_step: float, limit: int) -> list[int]:
    """The call sizes ``sizer`` gives for ``limit`` steps to the next boundary."""
    out = []
    while limit:
        k = sizer.next(limit)
        out.append(k)
        sizer.took(k, k * per_step)
        limit -= k
    return out


def test_the_steps_to_a_boundary_split_evenly():
    sizer = ChunkSizer(50, 0.05)
    sizes(sizer, 0.003, 8)  # ramped up: 16 steps of 3 ms fill 50 ms
    assert sizer.next() == 16
    # 50 steps to the next snapshot: three calls of about 17, not 16 + 16 + 16 + 2
    assert plan(sizer, 0.003, 50) == [17, 17, 16]
    assert plan(sizer, 0.003, 19) == [19]  # a quarter over the target still fits one call
    assert plan(sizer, 0.003, 21) == [11, 10]


def test_a_call_cut_short_by_a_boundary_does_not_restart_the_ramp():
    sizer = ChunkSizer(50, 0.05)
    sizes(sizer, 0.001, 8)
    assert sizer.next(2) == 2  # two steps to an evaluation
    sizer.took(2, 0.002)
    assert sizer.next() == 50  # not 4


@given(
    cap=st.integers(1, 500),
    seconds=st.floats(0, 10),
    calls=st.lists(st.tuples(st.integers(1, 1000), st.floats(0, 5, allow_nan=False)), max_size=30),
)
def test_a_size_never_passes_the_limit_or_the_cap(cap, seconds, calls):
    sizer = ChunkSizer(cap, seconds)
    for limit, t in calls:
        k = sizer.next(limit)
        assert 1 <= k <= min(cap, limit)
        sizer.took(k, t)
