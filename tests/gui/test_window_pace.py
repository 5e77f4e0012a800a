"""Watchable training in the window: a pace on an injected clock, Step, the change view, hints."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import numpy as np
import pytest
from PySide6.QtCore import Qt
from window_helpers import CADENCE, WAIT, make_window

from core.events import StepMetrics, WeightSnapshot
from core.training.pace import Pacing
from gui.main_window import MainWindow
from gui.pace_hint import HINT_PACE, run_seconds
from gui.repaint import WEIGHTS_INTERVAL_S
from gui.snapshot import sample_strokes


class FakeClock:
    """A clock that moves only when slept on.

    With ``lockstep`` a sleep that finds the window behind waits (really) until it has shown
    every step run so far, then returns without moving the clock, as a real sleep does when a
    pace change wakes it: a pace chosen in the window then meets the run at a known point.
    """

    def __init__(self, lockstep: Callable[[], bool] | None = None) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []
        self.lockstep = lockstep
        self._lock = threading.Lock()

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        if self.lockstep is not None and not self.lockstep():
            deadline = time.monotonic() + 30
            while not self.lockstep():
                if time.monotonic() > deadline:
                    raise TimeoutError("the window never caught up with the run")
                time.sleep(0.001)
            return
        with self._lock:
            self.sleeps.append(seconds)
            self.now += seconds


class LoggedPacing(Pacing):
    """Pacing on a fake clock that logs (time, steps, pace) of every call."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__(None, clock=clock, sleep=clock.sleep)
        self.calls: list[tuple[float, int | None, float | None]] = []

    def began(self, steps: int | None) -> None:
        self.calls.append((self.clock(), steps, self.steps_per_second))
        super().began(steps)

    def steps_run(self) -> int:
        return sum(k or 0 for _, k, _ in self.calls)


def on_fake_clock(w: MainWindow, clock: FakeClock) -> list[LoggedPacing]:
    """Give every trainer the window builds a logged pacing on ``clock``."""
    made: list[LoggedPacing] = []

    def factory(config, dataset, plan=()):
        from core.training.trainer import Trainer

        trainer = Trainer(config, dataset, plan)
        trainer.pacing = LoggedPacing(clock)
        made.append(trainer.pacing)
        return trainer

    w.trainer_factory = factory
    return made


@pytest.fixture
def window(qtbot, tiny_dataset, app_settings, runs):
    return make_window(qtbot, tiny_dataset, app_settings)


def start(qtbot, w: MainWindow, preset: str, steps: int, **values) -> None:
    w.controls.select_preset(preset)
    w.controls.set_values({"steps": steps, **values})
    qtbot.mouseClick(w.controls.start_button, Qt.MouseButton.LeftButton)
    assert w.running


def finished(qtbot, w: MainWindow) -> None:
    qtbot.waitUntil(lambda: not w.running and not w.tasks, timeout=WAIT)


# calls sized by the pace and the cadence only (no time budget): a schedule to check exactly
PACED = {**CADENCE, "steps_per_call": 50, "chunk_seconds": 0.0}


def choose_pace(w: MainWindow, pace: float | None) -> None:
    """Pick ``pace`` in the Training box as a learner does."""
    combo = w.controls.pace
    combo.setCurrentIndex(combo.findData(pace))
    combo.activated.emit(combo.currentIndex())


def test_a_run_paced_at_30_steps_per_second_takes_10_clock_seconds_for_300_steps(qtbot, window):
    window.run_overrides = dict(PACED)
    clock = FakeClock()
    pacings = on_fake_clock(window, clock)
    choose_pace(window, 30.0)
    assert window.session.pace == 30.0
    assert window.pace.pace_actions[30.0].isChecked()
    assert window.status.texts()["pace"] == "pace: 30 steps/s"
    assert window.pacer.weights_interval == 0.0  # the mosaic follows every repaint
    snaps: list[WeightSnapshot] = []
    window.session.snapshot.connect(snaps.append)
    start(qtbot, window, "logreg-sgd", 300)
    finished(qtbot, window)
    [pacing] = pacings
    start_s, size, pace = pacing.calls[-1]
    assert start_s + size / pace == pytest.approx(10.0)
    assert {p for _, _, p in pacing.calls} == {30.0}
    assert max(k for _, k, _ in pacing.calls) == 2  # a few points per repaint
    assert len(snaps) == 1 + len(pacing.calls)  # the mosaic moves after every call
    assert window.last_finished.step == 300


def test_a_pace_chosen_mid_run_takes_effect_at_the_next_call(qtbot, window):
    window.run_overrides = dict(PACED)
    seen = [0]
    clock = FakeClock(lockstep=lambda: seen[0] >= pacings[-1].steps_run())
    pacings = on_fake_clock(window, clock)
    switched: list[int] = []

    def on_step(ev: StepMetrics) -> None:
        if ev.step >= 150 and not switched:
            switched.append(len(pacings[-1].calls))
            window.pace.pace_actions[100.0].trigger()  # Run > Pace > 100 steps/s
        seen[0] = ev.step + 1  # the run waits for this before its next call

    window.session.step.connect(on_step)
    choose_pace(window, 30.0)
    start(qtbot, window, "logreg-sgd", 300)
    finished(qtbot, window)
    calls = pacings[-1].calls
    [at] = switched
    assert {p for _, _, p in calls[:at]} == {30.0}
    assert {p for _, _, p in calls[at:]} == {100.0}
    assert sum(k for _, k, _ in calls[:at]) == 151
    assert calls[at][1] == 8  # the next call is one repaint's worth at 100 steps/s
    # from the change on, every call starts when the steps before it had their time at 100/s
    gaps = [b[0] - a[0] for a, b in zip(calls[at - 1 :], calls[at:], strict=False)]
    assert gaps == pytest.approx([k / 100 for _, k, _ in calls[at - 1 : -1]])
    start_s, size, _ = calls[-1]
    assert start_s + size / 100 == pytest.approx(149 / 30 + 151 / 100)
    assert window.controls.pace.pace() == 100.0
    assert window.status.texts()["pace"] == "pace: 100 steps/s"


def test_full_speed_uses_the_unpaced_loop(qtbot, window):
    clock = FakeClock()
    pacings = on_fake_clock(window, clock)
    choose_pace(window, 30.0)
    qtbot.keyClick(window, Qt.Key.Key_5, Qt.KeyboardModifier.ControlModifier)  # full speed
    assert window.session.pace is None
    assert window.controls.pace.pace() is None
    assert window.status.texts()["pace"] == "pace: full speed"
    assert window.pacer.weights_interval == WEIGHTS_INTERVAL_S
    start(qtbot, window, "logreg-sgd", 200)
    finished(qtbot, window)
    assert clock.sleeps == []  # no timer between calls
    assert {k for _, k, _ in pacings[0].calls} == {None}
    assert window.last_finished.step == 200


def status_step(w: MainWindow) -> str:
    w.pacer.paint(final=True)
    return w.status.texts()["step"]


def test_step_and_step_x10_advance_every_panel_and_the_change_view_shows_one_update(qtbot, window):
    for stroke in sample_strokes(window.dataset.class_names):
        window.draw_pad.draw_stroke(stroke)
    snaps: list[WeightSnapshot] = []
    window.session.snapshot.connect(snaps.append)
    window.controls.select_preset("logreg-sgd")
    window.controls.set_values({"steps": 300})
    window.weights.change_button.setChecked(True)
    # Step on a run not started yet: it starts paused and runs one step
    qtbot.mouseClick(window.controls.step_button, Qt.MouseButton.LeftButton)
    assert window.running
    qtbot.waitUntil(lambda: bool(snaps) and snaps[-1].step == 1, timeout=WAIT)
    qtbot.waitUntil(lambda: window.run_paused, timeout=WAIT)
    assert window.trainer.steps_done == 1
    assert status_step(window) == "step 1 / 300"
    assert window.curves.series["loss_minibatch"].n == 1
    assert window.controls.pause_button.text() == "Resume"

    def shows_change_of_the_last_two_snapshots(steps: int) -> None:
        window.pacer.paint(final=True)
        before, after = snaps[-2], snaps[-1]
        assert window.weights.shown is after
        change = window.weights.change
        assert change is not None and (change.before, change.after) == (before.step, after.step)
        assert change.steps == steps
        drawn = window.weights.image.image
        expected = (after.mosaic - before.mosaic)[: drawn.shape[0], : drawn.shape[1]]
        np.testing.assert_array_equal(drawn, expected)
        assert np.nanmax(np.abs(expected)) > 0  # one SGD step moved the weights
        largest = float(np.nanmax(np.abs(after.mosaic - before.mosaic)))
        assert window.weights.limit == pytest.approx(largest)
        assert f"Change</b> step {before.step} → {after.step}" in window.weights.caption.text()

    shows_change_of_the_last_two_snapshots(1)

    # Step on the paused run (the key): exactly one more
    qtbot.keyClick(window, Qt.Key.Key_N)
    qtbot.waitUntil(lambda: snaps[-1].step == 2, timeout=WAIT)
    assert window.trainer.steps_done == 2
    assert status_step(window) == "step 2 / 300"
    assert window.curves.series["loss_minibatch"].n == 2
    shows_change_of_the_last_two_snapshots(1)

    # the pad follows: its answer is the model's after this step
    def pad_is_current() -> bool:
        prediction = window.draw_pad.last_prediction()
        if prediction is None:
            return False
        now = window.predictor.probabilities(prediction.seen[None])[0]
        return np.allclose(prediction.probabilities, now, atol=1e-6)

    qtbot.waitUntil(pad_is_current, timeout=WAIT)

    # Step x10 (the menu action, Shift+N): exactly ten more, one snapshot after the tenth
    n_snaps = len(snaps)
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: snaps[-1].step == 12, timeout=WAIT)
    assert len(snaps) == n_snaps + 1
    assert window.trainer.steps_done == 12
    assert status_step(window) == "step 12 / 300"
    assert window.curves.series["loss_minibatch"].n >= 3  # a point per call
    assert window.curves.series["loss_minibatch"].x[-1] == 11
    shows_change_of_the_last_two_snapshots(10)
    qtbot.waitUntil(pad_is_current, timeout=WAIT)
    qtbot.wait(200)
    assert window.trainer.steps_done == 12  # and it stays paused
    assert window.run_paused

    # the change view off: the weights again
    window.weights.change_button.setChecked(False)
    assert window.weights.change is None
    drawn = window.weights.image.image
    np.testing.assert_array_equal(drawn, snaps[-1].mosaic[: drawn.shape[0], : drawn.shape[1]])
    window.session.stop()
    finished(qtbot, window)
    assert window.last_finished.step == 12


def test_step_on_a_running_run_pauses_it_first(qtbot, window):
    start(qtbot, window, "logreg-sgd", 100_000)
    qtbot.waitUntil(lambda: window.curves.series["loss_minibatch"].n > 3, timeout=WAIT)
    snaps: list[WeightSnapshot] = []
    paused = []
    window.session.snapshot.connect(snaps.append)
    window.session.paused.connect(paused.append)
    qtbot.mouseClick(window.controls.step_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: bool(paused) and bool(snaps) and snaps[-1].step == paused[-1].step + 1,
        timeout=WAIT,
    )
    assert paused[-1].paused and window.run_paused
    done = paused[-1].step + 1  # exactly one step after the pause
    assert window.trainer.steps_done == done
    qtbot.wait(200)
    assert window.trainer.steps_done == done
    qtbot.keyClick(window, Qt.Key.Key_Period)
    qtbot.waitUntil(lambda: snaps[-1].step == done + 1, timeout=WAIT)
    qtbot.mouseClick(window.controls.stop_button, Qt.MouseButton.LeftButton)
    finished(qtbot, window)
    assert window.last_finished.step == done + 1


def test_the_estimate_of_a_run_at_full_speed():
    assert run_seconds((0.5, 2), (1.0, 52), 3001) == pytest.approx(1.0 + 2949 / 100)
    assert run_seconds((0.5, 2), (0.6, 52), 3001) == pytest.approx(0.6 + 2949 / 500)
    assert run_seconds((0.5, 2), (0.5, 2), 3001) == float("inf")


def test_a_short_run_suggests_a_pace_once_and_the_button_watches_it(qtbot, window):
    shown: list[str] = []
    show = window.banner.show_message
    window.banner.show_message = lambda *a, **k: (shown.append(a[0]), show(*a, **k))
    start(qtbot, window, "logreg-sgd", 1000)
    finished(qtbot, window)
    hints = [t for t in shown if "too fast to watch" in t]
    assert len(hints) == 1
    assert window.banner.isVisible()
    assert window.session.pace is None  # a suggestion: nothing forced
    assert window.banner.action.isVisible()
    assert window.banner.action.text() == "Run again at 30 steps/s"  # the run is over
    first = window.run_dir
    qtbot.mouseClick(window.banner.action, Qt.MouseButton.LeftButton)
    assert window.banner.isHidden()
    assert window.session.pace == HINT_PACE
    assert window.controls.pace.pace() == HINT_PACE
    assert window.running  # the same settings again, at the pace
    qtbot.waitUntil(
        lambda: window.trainer is not None and window.trainer.pace == HINT_PACE, timeout=WAIT
    )
    qtbot.waitUntil(lambda: window.curves.series["loss_minibatch"].n > 30, timeout=WAIT)
    assert len([t for t in shown if "too fast to watch" in t]) == 1  # a paced run: no hint
    window.pace_hint.accept()  # during a run the button only sets the pace
    assert window.running
    window.session.stop()
    finished(qtbot, window)
    assert window.run_dir != first


class StubPace:
    def __init__(self) -> None:
        self.set: list[float | None] = []

    def set_pace(self, pace: float | None) -> None:
        self.set.append(pace)


def hint_for(qtbot, points: list[tuple[float, int]], total: int = 3001, **finish):
    """A PaceHint fed a run's step events at ``(elapsed, step)``, then its end."""
    from core.events import RunFinished, RunStarted
    from gui.pace_hint import PaceHint
    from gui.session import TrainingSession
    from gui.status import Banner

    session, banner, pace, starts = TrainingSession(), Banner(), StubPace(), []
    qtbot.addWidget(banner)
    hint = PaceHint(session, banner, pace, lambda: starts.append(1))
    session.started.emit(RunStarted(total, {}, (), "", None))
    for elapsed, step in points:
        session.step.emit(StepMetrics(step, 1.0, 0.5, 0.1, 0.0, 0.0, elapsed))
    during = banner.isHidden(), banner.text(), banner.action.text()
    session.finished.emit(RunFinished(total, finish.get("stopped", False), None, 3.6, 0.0, None))
    return hint, banner, during, pace, starts


def test_a_hint_with_most_of_the_run_ahead_shows_at_once_and_slows_it(qtbot):
    hint, banner, during, pace, starts = hint_for(qtbot, [(0.5, 0), (0.6, 1), (0.8, 51)])
    hidden, text, button = during
    assert not hidden and "takes about 13 s at full speed" in text
    assert button == "Watch at 30 steps/s"
    assert banner.action.text() == "Run again at 30 steps/s"  # once it is over
    hint.accept()
    assert pace.set == [HINT_PACE] and starts == [1]  # the session is not running: again


def test_a_hint_for_a_run_about_to_end_waits_for_its_end(qtbot):
    _, banner, during, _, _ = hint_for(qtbot, [(0.5, 0), (0.6, 1), (0.65, 51)])
    assert during[0]  # nothing while it runs
    assert not banner.isHidden() and "That run took 3.6 s" in banner.text()
    assert banner.action.text() == "Run again at 30 steps/s"
    _, banner, *_ = hint_for(qtbot, [(0.5, 0), (0.6, 1), (0.65, 51)], stopped=True)
    assert banner.isHidden()  # stopped by the learner: no hint
    _, banner, *_ = hint_for(qtbot, [(0.5, 0), (0.6, 1), (2.6, 51)])
    assert banner.isHidden()  # a run of a minute: worth watching as it is
