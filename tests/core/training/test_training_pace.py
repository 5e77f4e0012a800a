"""Training pace and single steps: the schedule on an injected clock, and the trainer using it."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterator

import pytest

from core.events import Event, RunFinished, RunPaused, StepMetrics, WeightSnapshot
from core.training.config import TrainConfig
from core.training.pace import FRAME_SECONDS, Pacing, check_pace
from core.training.trainer import Trainer


class FakeClock:
    """A clock that moves only when slept on; every sleep is recorded."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class LoggedPacing(Pacing):
    """Pacing that logs (time, steps, pace) of every call it is told about."""

    def __init__(self, pace: float | None, clock: FakeClock) -> None:
        super().__init__(pace, clock=clock, sleep=clock.sleep)
        self.calls: list[tuple[float, int | None, float | None]] = []

    def began(self, steps: int | None) -> None:
        self.calls.append((self.clock(), steps, self.steps_per_second))
        super().began(steps)


def drive(pacing: Pacing, total: int, on_call: Callable[[int], None] = lambda i: None) -> None:
    """What the run loop does with a pacing: wait, size the call, begin it; calls take no time."""
    done = i = 0
    while done < total:
        pacing.wait_turn(lambda: False)
        on_call(i)
        k = min(pacing.call_size() or 50, total - done)
        pacing.began(k)
        done, i = done + k, i + 1


def test_check_pace_accepts_full_speed_and_positive_rates_only():
    assert check_pace(None) is None
    assert check_pace(30) == 30.0
    for bad in (0, -5, math.nan, math.inf):
        with pytest.raises(ValueError, match="positive number of steps per second"):
            check_pace(bad)
    with pytest.raises(ValueError):
        Pacing().set(0)


def test_a_pace_of_30_schedules_300_steps_over_10_seconds():
    clock = FakeClock()
    pacing = LoggedPacing(30, clock)
    drive(pacing, 300)
    starts = [t for t, _, _ in pacing.calls]
    sizes = [k for _, k, _ in pacing.calls]
    assert sizes == [2] * 150  # about one repaint's worth of steps per call
    assert starts[-1] + sizes[-1] / 30 == pytest.approx(10.0)
    assert all(b - a == pytest.approx(2 / 30) for a, b in itertools.pairwise(starts))
    assert sum(clock.sleeps) == pytest.approx(starts[-1])


@pytest.mark.parametrize(("pace", "size"), [(10, 1), (30, 2), (100, 8), (300, 25)])
def test_a_paced_call_runs_about_one_repaint_of_steps(pace, size):
    assert Pacing(pace).call_size() == size == max(1, int(pace * FRAME_SECONDS))


def test_full_speed_never_sleeps_nor_sizes_calls():
    clock = FakeClock()
    pacing = LoggedPacing(None, clock)
    assert pacing.call_size() is None
    drive(pacing, 300)
    assert clock.sleeps == []
    assert clock.now == 0.0


def test_a_pace_change_takes_effect_at_the_next_call():
    clock = FakeClock()
    pacing = LoggedPacing(30, clock)
    drive(pacing, 200, on_call=lambda i: i == 10 and pacing.set(100))
    # call 10 is the first one sized and spaced at the new pace
    assert {p for _, _, p in pacing.calls[:10]} == {30.0}
    assert {p for _, _, p in pacing.calls[10:]} == {100.0}
    assert pacing.calls[9][1] == 2 and pacing.calls[10][1] == 8
    gap = pacing.calls[11][0] - pacing.calls[10][0]
    assert gap == pytest.approx(8 / 100)
    # and back to full speed: no more sleeping
    clock2 = FakeClock()
    pacing2 = LoggedPacing(10, clock2)
    drive(pacing2, 100, on_call=lambda i: i == 3 and pacing2.set(None))
    assert len(clock2.sleeps) == 3  # before calls 1, 2 and 3 only


def test_a_late_call_restarts_the_schedule_instead_of_catching_up():
    clock = FakeClock()
    pacing = LoggedPacing(30, clock)
    pacing.began(2)
    clock.now += 5.0  # a pause, a slow evaluation
    pacing.wait_turn(lambda: False)
    pacing.began(2)
    assert pacing.due_in() == pytest.approx(2 / 30)  # not a burst of calls due in the past


def test_an_interrupted_wait_returns_at_once():
    clock = FakeClock()
    pacing = Pacing(1, clock=clock, sleep=clock.sleep)
    pacing.began(1)
    pacing.wait_turn(lambda: True)
    assert clock.sleeps == []


# -- the trainer --------------------------------------------------------------------------------
def config(**kw: object) -> TrainConfig:
    base = {
        "steps": 300,
        "batch_size": 32,
        "eval_every": 100,
        "snapshot_every": 50,
        "steps_per_call": 50,
        "chunk_seconds": 0.0,
        "save": False,
    }
    return TrainConfig.from_preset("logreg-sgd", **{**base, **kw})


def steps_of(events: list[Event]) -> list[int]:
    return [e.step for e in events if isinstance(e, StepMetrics)]


def take_until(events: Iterator[Event], done: Callable[[Event], bool]) -> list[Event]:
    out = []
    for ev in events:
        out.append(ev)
        if done(ev):
            return out
    raise AssertionError(f"the run ended before the expected event: {out[-3:]}")


def test_a_paced_trainer_runs_300_steps_in_10_clock_seconds_with_a_snapshot_per_call(
    tiny_letters,
):
    trainer = Trainer(config(), tiny_letters)
    clock = FakeClock()
    trainer.pacing = LoggedPacing(30, clock)
    assert trainer.pace == 30
    events = list(trainer.run())
    assert isinstance(events[-1], RunFinished) and events[-1].step == 300
    sizes = [k for _, k, _ in trainer.pacing.calls]
    assert max(sizes) == 2 and sum(sizes) == 300
    start, size = trainer.pacing.calls[-1][:2]
    assert start + size / 30 == pytest.approx(10.0)
    snaps = [e for e in events if isinstance(e, WeightSnapshot)]
    assert len(snaps) == 1 + len(sizes)  # the start, then one after every call


def test_a_pace_set_between_events_acts_at_the_next_call(tiny_letters):
    trainer = Trainer(config(), tiny_letters)
    clock = FakeClock()
    trainer.pacing = LoggedPacing(30, clock)
    changed_at = None
    for ev in trainer.run():
        if isinstance(ev, StepMetrics) and ev.step >= 99 and changed_at is None:
            trainer.set_pace(300)
            changed_at = len(trainer.pacing.calls)
    calls = trainer.pacing.calls
    assert {p for _, _, p in calls[:changed_at]} == {30.0}
    assert {p for _, _, p in calls[changed_at:]} == {300.0}
    assert max(k for _, k, _ in calls[changed_at:]) == 25


def test_full_speed_is_the_unpaced_loop(tiny_letters):
    trainer = Trainer(config(steps=200, steps_per_call=20), tiny_letters)
    clock = FakeClock()
    trainer.pacing = LoggedPacing(None, clock)
    events = list(trainer.run())
    assert clock.sleeps == []
    assert {k for _, k, _ in trainer.pacing.calls} == {None}  # never a paced call
    assert steps_of(events)[:4] == [0, 17, 34, 50]  # the ChunkSizer's calls: 50 steps in three
    snaps = [e.step for e in events if isinstance(e, WeightSnapshot)]
    assert snaps == [0, 1, 51, 101, 151, 200]  # the snapshot cadence only


def test_step_on_a_not_started_run_runs_exactly_one_then_ten(tiny_letters):
    trainer = Trainer(config(eval_every=10, snapshot_every=10, steps_per_call=5), tiny_letters)
    trainer.pause()
    trainer.advance(1)
    run = trainer.run()
    first = take_until(run, lambda e: isinstance(e, WeightSnapshot) and e.step == 1)
    assert steps_of(first) == [0]
    assert trainer.steps_done == 1
    assert [e.paused for e in first if isinstance(e, RunPaused)] == [True]
    assert trainer.paused
    trainer.advance(10)
    ten = take_until(run, lambda e: isinstance(e, WeightSnapshot) and e.step == 11)
    assert trainer.steps_done == 11
    assert steps_of(ten) == [5, 10]  # two calls (5 steps at most each)
    # the snapshot due at step 10 waits for the last step asked for: one change to show
    assert [e.step for e in ten if isinstance(e, WeightSnapshot)] == [11]
    assert not any(isinstance(e, RunPaused) for e in ten)
    trainer.stop()
    rest = list(run)
    assert trainer.steps_done == 11
    assert isinstance(rest[-1], RunFinished) and rest[-1].stopped and rest[-1].step == 11


def test_step_on_a_running_run_pauses_it_then_runs_exactly_n(tiny_letters):
    trainer = Trainer(config(steps_per_call=5, snapshot_every=1000), tiny_letters)
    run = trainer.run()
    take_until(run, lambda e: isinstance(e, StepMetrics) and e.step >= 20)
    at = trainer.steps_done
    trainer.advance(3)
    after = take_until(run, lambda e: isinstance(e, WeightSnapshot))
    assert [e.paused for e in after if isinstance(e, RunPaused)] == [True]
    assert trainer.steps_done == at + 3
    trainer.resume()
    resumed = take_until(run, lambda e: isinstance(e, StepMetrics))
    assert [e.paused for e in resumed if isinstance(e, RunPaused)] == [False]
    trainer.stop()
    list(run)


def test_resuming_drops_steps_asked_for_and_not_run(tiny_letters):
    trainer = Trainer(config(steps_per_call=5, snapshot_every=1000), tiny_letters)
    run = trainer.run()
    take_until(run, lambda e: isinstance(e, StepMetrics) and e.step >= 10)
    trainer.advance(5)
    trainer.resume()
    take_until(run, lambda e: isinstance(e, StepMetrics) and e.step >= 30)
    at = trainer.steps_done
    trainer.advance(1)
    take_until(run, lambda e: isinstance(e, WeightSnapshot))
    assert trainer.steps_done == at + 1  # not 1 + the 5 asked for before resuming
    trainer.stop()
    list(run)
    with pytest.raises(ValueError, match="at least 1"):
        trainer.advance(0)
