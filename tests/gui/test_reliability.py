"""Issue 6, GUI half: worker errors, divergence, 20 start/stop cycles, closing mid-run."""

from __future__ import annotations

import gc
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt, QThread, QTimer
from window_helpers import CADENCE, WAIT, make_window

from core.events import RunStarted
from core.runs.listing import list_runs, read_run_info
from core.training.config import TrainConfig
from gui.main_window import MainWindow
from gui.status import ErrorDialog
from gui.widgets import Collapsible
from gui.worker import running_workers

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")


def start(qtbot, w: MainWindow, preset: str, steps: int) -> None:
    w.controls.select_preset(preset)
    w.controls.set_values({"steps": steps})
    qtbot.mouseClick(w.controls.start_button, Qt.MouseButton.LeftButton)
    assert w.running


def finished(qtbot, w: MainWindow) -> None:
    qtbot.waitUntil(lambda: not w.running and not w.tasks, timeout=WAIT)


class ExplodingTrainer:
    """Raises inside the run, as a broken model would (a trainer that is not recorded)."""

    config = TrainConfig.from_preset("logreg-sgd", save=False)

    def __init__(self, *_args) -> None:
        pass

    def stop(self) -> None:
        pass

    def predictor(self):
        return None

    def run(self):
        yield RunStarted(5, {}, tuple("ABCDEFGHIJ"), "", None)
        raise RuntimeError("the model exploded")


def test_a_worker_exception_opens_a_collapsible_dialog_and_the_next_run_starts(
    qtbot, tiny_dataset, app_settings, runs, monkeypatch
):
    w = make_window(qtbot, tiny_dataset, app_settings, capture_errors=False)  # real dialog
    monkeypatch.setattr(MainWindow, "use_predictor", lambda self, p: None)
    w.trainer_factory = ExplodingTrainer
    start(qtbot, w, "logreg-sgd", 5)
    finished(qtbot, w)
    dialogs = [d for d in w.findChildren(ErrorDialog) if d.isVisible()]
    assert len(dialogs) == 1
    dialog = dialogs[0]
    assert dialog.windowTitle() == "Training failed"
    assert not dialog.isModal()
    assert "RuntimeError: the model exploded" in dialog.message.text()
    collapsible = dialog.findChild(Collapsible)
    assert collapsible is not None
    assert not collapsible.isExpanded()  # details folded away ...
    assert dialog.details.visibleRegion().isEmpty()
    collapsible.expand()
    qtbot.waitUntil(
        lambda: not dialog.details.visibleRegion().isEmpty(), timeout=5000
    )  # ... and unfolded on demand
    assert collapsible.isExpanded()
    assert "Traceback" in dialog.details.toPlainText()
    assert "the model exploded" in dialog.details.toPlainText()
    # the window stays usable while the dialog is open, and the next run is normal
    assert w.controls.start_button.isEnabled()
    monkeypatch.undo()
    from gui.session import default_trainer_factory

    w.trainer_factory = default_trainer_factory
    start(qtbot, w, "logreg-sgd", 10)
    finished(qtbot, w)
    assert w.last_finished is not None
    assert not w.last_finished.stopped
    assert w.last_finished.step == 10
    dialog.close()


def test_divergence_shows_the_step_and_the_last_checkpoint_stays_loadable(
    qtbot, tiny_dataset, app_settings, runs
):
    w = make_window(qtbot, tiny_dataset, app_settings, error_sink=lambda *a: None)
    w.run_overrides = {**CADENCE, "learning_rate": 50.0, "checkpoint_seconds": 0.0}
    start(qtbot, w, "nn1024", 300)
    finished(qtbot, w)
    failed = w.last_failed
    assert failed is not None
    assert failed.diverged
    assert 0 <= failed.step < 300
    assert w.banner.isVisible()
    assert f"Diverged at step {failed.step}" in w.banner.text()
    assert "Recent runs" in w.banner.text()
    assert w.errors == []  # a banner, not an error dialog
    [info] = list_runs(runs)
    assert info.status == "diverged"
    assert f"diverged at step {failed.step}" in info.message
    assert info.resumable
    assert not info.has_model
    # the checkpoint before the divergence is loadable from the runs list
    w.predictor = None
    w.runs.show_runs_dialog().open_selected()
    qtbot.waitUntil(lambda: w.opened_run is not None, timeout=WAIT)
    finished(qtbot, w)
    assert w.opened_run.info.status == "diverged"
    assert w.predictor is not None
    probs = w.predictor.probabilities(tiny_dataset.test_x[:20])
    assert np.all(np.isfinite(probs))
    assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-4)
    assert "diverged" in w.banner.text()
    w.runs.runs_dialog.close()


def rss_bytes() -> int:
    """Resident memory of this process (Linux /proc; 0 elsewhere)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return 0
    import os

    return pages * os.sysconf("SC_PAGE_SIZE")


def live_qthreads() -> int:
    return sum(1 for o in gc.get_objects() if isinstance(o, QThread))


def test_twenty_start_knob_stop_reset_cycles_leak_no_threads_timers_or_memory(
    qtbot, tiny_dataset, app_settings, runs
):
    w = make_window(qtbot, tiny_dataset, app_settings, error_sink=lambda *a: None)
    w.run_overrides = {"eval_every": 5, "snapshot_every": 5, "steps_per_call": 5}

    def cycle(i: int) -> None:
        start(qtbot, w, "logreg-sgd", 1_000_000)
        qtbot.waitUntil(lambda: w.curves.series["loss_minibatch"].n >= 5, timeout=WAIT)
        w.controls.learning_rate.spin.setValue(0.2 + 0.01 * i)
        w.controls.l2.spin.setValue(0.001)
        qtbot.waitUntil(lambda: len(w.curves.markers) >= 2, timeout=WAIT)
        qtbot.mouseClick(w.controls.stop_button, Qt.MouseButton.LeftButton)
        finished(qtbot, w)
        assert w.last_finished is not None
        assert w.last_finished.stopped
        qtbot.keyClick(w, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
        assert w.curves.series["loss_minibatch"].n == 0

    def measure() -> tuple[int, int, int, int, int]:
        qtbot.wait(50)
        gc.collect()
        return (
            threading.active_count(),
            live_qthreads(),
            len(running_workers()),
            len(w.findChildren(QTimer)),
            rss_bytes(),
        )

    for i in range(3):  # warm-up: TensorFlow's thread pools, first traces, caches
        cycle(i)
    threads0, qthreads0, workers0, timers0, rss0 = measure()
    t0 = time.perf_counter()
    for i in range(3, 20):
        cycle(i)
    threads, qthreads, workers, timers, rss = measure()
    assert workers == workers0 == 0
    assert threads <= threads0, f"threads: {threads0} -> {threads}"
    assert qthreads <= qthreads0, f"QThread objects: {qthreads0} -> {qthreads}"
    assert timers <= timers0, f"QTimers: {timers0} -> {timers}"
    growth = (rss - rss0) / 2**20
    # Building and running a Trainer costs ~1.6 MiB that TensorFlow keeps (measured headless,
    # without the window); the window must add nothing that grows beyond that.
    assert growth < 17 * 2.5, f"memory grew by {growth:.0f} MiB over 17 cycles"
    assert len(list_runs(runs)) == 20  # every cycle's run was saved (as stopped)
    assert {r.status for r in list_runs(runs)} == {"stopped"}
    print(
        f"17 cycles in {time.perf_counter() - t0:.1f} s; threads {threads0}->{threads}, "
        f"QThreads {qthreads0}->{qthreads}, timers {timers0}->{timers}, "
        f"RSS {rss0 / 2**20:.0f}->{rss / 2**20:.0f} MiB"
    )


@pytest.mark.parametrize("preset", ["logreg-sgd", "nn1024-l2"])
def test_closing_mid_run_stops_within_a_second_and_saves_the_run(
    qtbot, tiny_dataset, app_settings, runs, preset
):
    w = make_window(qtbot, tiny_dataset, app_settings, error_sink=lambda *a: None)
    w.run_overrides = {}  # the window's own cadence for a long run
    start(qtbot, w, preset, 1_000_000)
    qtbot.waitUntil(lambda: w.curves.series["loss_minibatch"].n >= 3, timeout=WAIT)
    worker, run_dir = w.session.worker, w.run_dir
    assert run_dir is not None
    t0 = time.perf_counter()
    w.close()
    seconds = time.perf_counter() - t0
    assert worker.isFinished()
    assert seconds < 1.0, f"closing took {seconds:.2f} s"
    assert running_workers() == []
    info = read_run_info(run_dir)
    assert info.status == "stopped"
    assert info.has_model
    assert 0 < info.steps_done < 1_000_000
