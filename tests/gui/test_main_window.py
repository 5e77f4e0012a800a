from __future__ import annotations

import gc
import json

import numpy as np
import pytest
from PySide6.QtCore import Qt
from window_helpers import CADENCE, WAIT, make_window

from core.events import RunFailed, RunStarted, StepMetrics
from core.training.config import TrainConfig
from gui.main_window import MainWindow
from gui.run_config import run_cadence
from gui.style import asset
from gui.worker import running_workers

# The offscreen platform warns when a shown top-level widget has size constraints.
pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")


@pytest.fixture
def window(qtbot, tiny_dataset, app_settings):
    return make_window(qtbot, tiny_dataset, app_settings)


def start(qtbot, w: MainWindow, preset: str, steps: int, **values) -> None:
    w.controls.select_preset(preset)
    w.controls.set_values({"steps": steps, **values})
    qtbot.mouseClick(w.controls.start_button, Qt.MouseButton.LeftButton)
    assert w.running
    qtbot.waitUntil(lambda: w.trainer is not None, timeout=WAIT)


def finished(qtbot, w: MainWindow) -> None:
    qtbot.waitUntil(lambda: not w.running and not w.tasks, timeout=WAIT)


def test_a_tiny_run_feeds_curves_mosaic_log_status_and_tabs(qtbot, window):
    start(qtbot, window, "logreg-sgd", 40)
    finished(qtbot, window)
    assert window.last_finished is not None
    assert not window.last_finished.stopped
    s = window.curves.series
    n_points = s["loss_minibatch"].n
    assert n_points >= 8
    assert s["loss_minibatch"].x[-1] == 39
    assert s["acc_valid"].n >= 4
    assert s["acc_test"].n == 1
    assert window.curves.paint_count >= 1
    assert window.weights.shown is not None
    assert window.weights.shown.step == 40
    assert window.weights.label_texts() == list("ABCDEFGHIJ")
    log = window.log.text()
    for needle in (
        "Minibatch loss at step 39:",
        "Minibatch accuracy:",
        "Validation accuracy:",
        "Test accuracy:",
    ):
        assert needle in log
    fields = window.status.texts()
    assert fields["step"] == "step 40 / 40"
    assert "steps/s" in fields["speed"]
    assert "samples/s" in fields["speed"]
    assert fields["fps"].endswith("fps")
    assert fields["provenance"] == window.dataset.provenance.description
    assert window.confusion.accuracy() == pytest.approx(window.last_finished.test.accuracy)
    assert window.misclassified.wrong_count() >= 0
    assert window.controls.start_button.isEnabled()
    # draw on the pad: the trained model answers with ten probabilities summing to 1
    strokes = json.loads(asset("strokes.json").read_text())["A"]
    for stroke in strokes:
        window.draw_pad.draw_stroke([tuple(p) for p in stroke])
    pred = window.draw_pad.classify_now()
    assert pred is not None
    assert pred.probabilities.shape == (10,)
    assert float(np.sum(pred.probabilities)) == pytest.approx(1.0, abs=1e-5)
    # a second run keeps the first faintly behind
    start(qtbot, window, "logreg-sgd", 10)
    finished(qtbot, window)
    assert window.curves.previous["acc_minibatch"].n == n_points


def test_live_knobs_reach_the_trainer_and_mark_the_curves(qtbot, window):
    start(qtbot, window, "nn1024-l2", 100_000)
    trainer = window.trainer
    c = window.controls
    assert c.l2.isEnabled()
    assert c.dropout.isEnabled()
    assert c.learning_rate.isEnabled()
    assert not c.batch_size.isEnabled()
    assert not c.steps.isEnabled()
    qtbot.waitUntil(lambda: window.curves.series["loss_minibatch"].n > 0, timeout=WAIT)
    c.l2.spin.setValue(0.05)
    c.dropout.spin.setValue(0.5)
    assert trainer.knob("l2") == pytest.approx(0.05)
    assert trainer.knob("dropout") == pytest.approx(0.5)
    qtbot.waitUntil(lambda: len(window.curves.marker_labels()) == 2, timeout=WAIT)
    assert window.curves.marker_labels() == ["lambda 0.005 -> 0.05", "dropout 0 -> 0.5"]
    assert "lambda 0.005 -> 0.05" in window.log.text()
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    finished(qtbot, window)
    assert window.last_finished.stopped


def test_the_overfit_switch_restricts_the_batches(qtbot, window):
    window.controls.select_preset("logreg-sgd")
    window.controls.restrict.setChecked(True)
    window.controls.restrict_n.setValue(2)
    start(qtbot, window, "logreg-sgd", 30, restrict_batches=2)
    assert window.trainer.config.restrict_batches == 2
    assert window.trainer.schedule is not None
    finished(qtbot, window)
    assert window.curves.restricted
    assert window.curves.gap_fill.isVisible()


def test_pause_resume_stop_and_reset(qtbot, window):
    start(qtbot, window, "logreg-sgd", 100_000)
    qtbot.waitUntil(lambda: window.curves.series["loss_minibatch"].n > 0, timeout=WAIT)
    qtbot.keyClick(window, Qt.Key.Key_Space)
    assert window.trainer.paused
    assert window.controls.pause_button.text() == "Resume"
    qtbot.waitUntil(lambda: window.run_paused, timeout=WAIT)  # the trainer reported the pause
    n = window.curves.series["loss_minibatch"].n
    qtbot.wait(300)
    assert window.curves.series["loss_minibatch"].n == n
    qtbot.mouseClick(window.controls.pause_button, Qt.MouseButton.LeftButton)
    assert not window.trainer.paused
    qtbot.waitUntil(lambda: not window.run_paused, timeout=WAIT)
    qtbot.waitUntil(lambda: window.curves.series["loss_minibatch"].n > n, timeout=WAIT)
    qtbot.mouseClick(window.controls.stop_button, Qt.MouseButton.LeftButton)
    finished(qtbot, window)
    assert window.last_finished.stopped
    assert window.last_finished.step < 100_000
    window.controls.l2.spin.setValue(0.3)
    qtbot.keyClick(window, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    assert window.curves.series["loss_minibatch"].n == 0
    assert window.curves.previous == {}
    assert window.weights.shown is None
    assert window.log.text() == ""
    assert window.controls.l2.value() == 0.0  # logreg-sgd's value again


def test_closing_mid_run_stops_the_worker_cleanly(qtbot, tiny_dataset, app_settings):
    w = make_window(qtbot, tiny_dataset, app_settings)
    start(qtbot, w, "logreg-sgd", 1_000_000)
    qtbot.waitUntil(lambda: w.curves.series["loss_minibatch"].n > 0, timeout=WAIT)
    worker = w.session.worker
    w.close()
    assert worker.isFinished()
    assert running_workers() == []


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


class DivergingTrainer(ExplodingTrainer):
    def run(self):
        yield RunStarted(5, {}, tuple("ABCDEFGHIJ"), "", None)
        yield StepMetrics(0, 2.3, 0.1, 10.0, 100.0, 12800.0, 0.1)
        yield RunFailed(3, "the loss became nan", diverged=True)


def test_a_worker_error_is_shown_and_the_window_keeps_working(qtbot, window, monkeypatch):
    monkeypatch.setattr(MainWindow, "use_predictor", lambda self, p: None)
    window.trainer_factory = ExplodingTrainer
    start(qtbot, window, "logreg-sgd", 5)
    finished(qtbot, window)
    assert len(window.shown_errors) == 1
    title, message, details = window.shown_errors[0]
    assert title == "Training failed"
    assert "the model exploded" in message
    assert "Traceback" in details
    assert window.controls.start_button.isEnabled()
    # a divergence is a banner, not a dialog
    window.trainer_factory = DivergingTrainer
    start(qtbot, window, "logreg-sgd", 5)
    finished(qtbot, window)
    assert len(window.shown_errors) == 1
    assert window.banner.isVisible()
    assert "Diverged at step 3" in window.banner.text()
    # and a real run still works afterwards
    monkeypatch.undo()
    from gui.session import default_trainer_factory

    window.trainer_factory = default_trainer_factory
    start(qtbot, window, "logreg-sgd", 10)
    finished(qtbot, window)
    assert window.last_finished is not None
    assert not window.banner.isVisible()


def test_the_default_error_dialog_does_not_block(qtbot, tiny_dataset, app_settings):
    w = MainWindow(loader=lambda *a, **k: tiny_dataset, settings=app_settings, load_on_start=False)
    qtbot.addWidget(w)
    w.report_error("Training failed", "RuntimeError: boom", "Traceback ...\nboom")
    from gui.status import ErrorDialog

    dialogs = [d for d in w.findChildren(ErrorDialog) if d.isVisible()]
    assert len(dialogs) == 1
    assert not dialogs[0].isModal()
    assert "boom" in dialogs[0].details.toPlainText()
    dialogs[0].close()


def test_a_dataset_that_fails_to_load_is_explained(qtbot, app_settings):
    from core.data.errors import DataError

    def loader(spec, download=False, progress=None):
        if progress:
            progress(1, 2, "reading")
        raise DataError(spec, "not a dataset file")

    w = MainWindow(loader=loader, settings=app_settings, load_on_start=False)
    qtbot.addWidget(w)
    w.load_dataset("/tmp/nothing.npz")
    qtbot.waitUntil(lambda: not w.tasks, timeout=WAIT)
    qtbot.waitUntil(lambda: "not a dataset file" in w.banner.text(), timeout=WAIT)
    assert not w.controls.start_button.isEnabled()


def test_settings_persist_across_launches(qtbot, tiny_dataset, app_settings):
    w = MainWindow(loader=lambda *a, **k: tiny_dataset, settings=app_settings, load_on_start=False)
    qtbot.addWidget(w)
    w.controls.select_preset("overfit")
    w.controls.set_values({"l2": 0.02, "steps": 777, "seed": 3})
    w.resize(760, 560)  # inside the offscreen screen (800x600)
    w.close()
    w2 = MainWindow(loader=lambda *a, **k: tiny_dataset, settings=app_settings, load_on_start=False)
    qtbot.addWidget(w2)
    v = w2.controls.values()
    assert v["preset"] == "overfit"
    assert (v["l2"], v["steps"], v["seed"]) == (pytest.approx(0.02), 777, 3)
    assert v["restrict_batches"] == 5
    assert (w2.width(), w2.height()) == (760, 560)


def test_run_cadence_gives_smooth_curves():
    assert run_cadence(3001) == {"eval_every": 100, "snapshot_every": 50, "steps_per_call": 50}
    assert run_cadence(300) == {"eval_every": 30, "snapshot_every": 15, "steps_per_call": 6}
    assert run_cadence(40)["eval_every"] == 5


def test_save_and_load_a_model_for_the_draw_pad(qtbot, window, tmp_path):
    start(qtbot, window, "logreg-sgd", 10)
    finished(qtbot, window)
    assert window.menus.save_model.isEnabled()
    task = window.runs.save_model(tmp_path / "run")
    with qtbot.waitSignal(task.result, timeout=WAIT):
        pass
    assert (tmp_path / "run" / "model.keras").is_file()
    window.predictor = None
    task = window.runs.load_model(tmp_path / "run")
    qtbot.waitUntil(lambda: window.predictor is not None, timeout=WAIT)
    window.draw_pad.draw_stroke([(60, 60), (200, 200)])
    pred = window.draw_pad.classify_now()
    assert pred is not None
    assert pred.class_names == tuple("ABCDEFGHIJ")
    assert float(pred.probabilities.sum()) == pytest.approx(1.0, abs=1e-5)


def test_the_pad_gets_a_predictor_traced_on_the_worker(qtbot, window):
    """The first stroke after Start must not trace the model on the GUI thread."""
    start(qtbot, window, "logreg-sgd", 10)
    qtbot.waitUntil(lambda: window.predictor is not None, timeout=WAIT)
    compiled = window.predictor._probs
    assert compiled.experimental_get_tracing_count() == 1
    window.draw_pad.draw_stroke([(60, 60), (200, 200)])
    assert window.draw_pad.classify_now() is not None
    assert compiled.experimental_get_tracing_count() == 1
    finished(qtbot, window)
    assert gc.isenabled()  # the window switched the collector back on after its workers


def test_tensorflow_and_the_dataset_load_off_the_gui_thread_with_a_busy_bar(
    qtbot, tiny_dataset, app_settings
):
    import threading

    threads: list[int] = []

    def loader(spec, download=False, progress=None):
        threads.append(threading.get_ident())
        return tiny_dataset

    w = MainWindow(loader=loader, settings=app_settings)
    qtbot.addWidget(w)
    assert w.controls.progress.isVisibleTo(w.controls) or w.dataset is not None
    qtbot.waitUntil(lambda: w.dataset is not None and w.tf_ready, timeout=WAIT)
    assert threads
    assert threads[0] != threading.get_ident()
    assert not w.status.busy.isVisibleTo(w)
    assert w.samples.report_text()


def test_the_gui_never_imports_tensorflow_at_import_time():
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import sys, gui.app, gui.main_window, gui.snapshot; "
        "print(sorted(m for m in ('tensorflow', 'keras', 'core.training.trainer', "
        "'core.inference') if m in sys.modules))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert proc.stdout.strip() == "[]"


def test_long_sessions_survive_the_pyside_refcount_bug():
    # Many void Qt calls and bool signals: PySide6 6.12.0 on Python 3.11 aborts here with
    # "none_dealloc" (it drops a reference to None/True/False per call); pyproject excludes it.
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "from gui.app import create_app\n"
        "from PySide6.QtWidgets import QLabel, QPushButton\n"
        "app = create_app()\n"
        "label, button = QLabel(), QPushButton()\n"
        "button.setCheckable(True)\n"
        "for _ in range(20000):\n"
        "    label.setText('x')\n"
        "for _ in range(3000):\n"
        "    button.toggle()\n"
        "print('ok')\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "ok"


def test_status_and_mosaic_skipped_as_not_yet_due_are_drawn_without_further_events(qtbot, window):
    from core.events import WeightSnapshot

    window.pacer.total_steps = 100
    window.session.step.emit(StepMetrics(9, 1.0, 0.5, 0.1, 50.0, 6400.0, 0.2))
    window.pacer.paint()  # draws the status now ...
    assert window.status.texts()["step"] == "step 10 / 100"
    window.session.step.emit(StepMetrics(19, 0.9, 0.6, 0.1, 50.0, 6400.0, 0.4))
    snap = WeightSnapshot(20, "hidden", np.zeros((29, 29), np.float32), (28, 28), (1, 1), 1.0)
    window.session.snapshot.emit(snap)
    window.pacer.paint()  # ... but not again so soon: no new events follow (as when paused)
    assert window.status.texts()["step"] == "step 10 / 100"
    qtbot.waitUntil(lambda: window.status.texts()["step"] == "step 20 / 100", timeout=2000)
    qtbot.waitUntil(
        lambda: window.weights.shown is not None and window.weights.shown.step == 20, timeout=2000
    )


def test_tensorflow_is_imported_by_one_task_however_often_asked(
    qtbot, tiny_dataset, app_settings, runs
):
    # A second import thread beside the first deadlocked Python's module locks now and then.
    w = MainWindow(
        loader=lambda *a, **k: tiny_dataset,
        settings=app_settings,
        load_on_start=False,
        error_sink=lambda *e: None,
    )
    qtbot.addWidget(w)
    w.set_dataset(tiny_dataset, "tiny")
    w.run_overrides = dict(CADENCE)
    w.controls.set_values({"steps": 20})
    w.import_tensorflow()
    w.import_tensorflow()
    w.start_training()  # before TensorFlow is ready: starts once it is, with no second import
    assert len(w.tasks) == 1
    qtbot.waitUntil(lambda: w.tf_ready, timeout=WAIT)
    qtbot.waitUntil(lambda: w.last_finished is not None and not w.running, timeout=WAIT)
    assert w.errors == []
    qtbot.waitUntil(lambda: not w.tasks, timeout=WAIT)


def test_the_app_starts_loading_only_once_the_event_loop_draws_the_window(
    qtbot, monkeypatch, app_settings
):
    # The loading threads hold the GIL for long stretches: started before the first frame,
    # they made every Python paint callback of that frame wait (window shown ~0.6 s later).
    import argparse

    from PySide6.QtWidgets import QApplication

    import gui.app
    import gui.main_window as mw

    calls: list[tuple[str, bool, bool]] = []
    looping = []
    shown: list[mw.MainWindow] = []
    monkeypatch.setattr(mw, "AppSettings", lambda: app_settings)
    monkeypatch.setattr(
        mw.MainWindow,
        "import_tensorflow",
        lambda self: calls.append(("tf", bool(looping), self.isVisible())),
    )
    monkeypatch.setattr(
        mw.MainWindow,
        "load_dataset",
        lambda self, spec, **kw: calls.append(("data", bool(looping), self.isVisible())),
    )
    real_show = mw.MainWindow.show
    monkeypatch.setattr(mw.MainWindow, "show", lambda self: (shown.append(self), real_show(self)))

    def fake_exec(_app: QApplication) -> int:
        looping.append(True)
        qtbot.waitUntil(lambda: len(calls) == 2, timeout=5000)
        return 0

    monkeypatch.setattr(QApplication, "exec", fake_exec)
    assert gui.app.run(argparse.Namespace(preset=None, dataset=None)) == 0
    assert calls == [("tf", True, True), ("data", True, True)]
    shown[0].shutdown()
    shown[0].deleteLater()
