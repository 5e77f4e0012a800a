"""Issue 6, GUI half: every run is saved; File > Recent runs and the Runs dialog; resume."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from window_helpers import CADENCE, WAIT, make_window

from core.runs.listing import list_runs, read_run_info
from gui.main_window import MainWindow
from gui.panels.runs_dialog import COLUMNS, RunsDialog, can_resume

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")


@pytest.fixture
def window(qtbot, tiny_dataset, app_settings, runs):
    return make_window(qtbot, tiny_dataset, app_settings)


def train(qtbot, w: MainWindow, preset: str, steps: int) -> None:
    w.controls.select_preset(preset)
    w.controls.set_values({"steps": steps})
    qtbot.mouseClick(w.controls.start_button, Qt.MouseButton.LeftButton)
    assert w.running
    qtbot.waitUntil(lambda: not w.running and not w.tasks, timeout=WAIT)


def idle(qtbot, w: MainWindow) -> None:
    qtbot.waitUntil(lambda: not w.tasks, timeout=WAIT)


def interrupted_run(dataset, total: int) -> Path:
    """A run whose process 'died' after 21 steps (evaluation index 20): marked running."""
    from core.training.config import TrainConfig
    from core.training.recorder import RunRecorder
    from core.training.trainer import Trainer

    cfg = TrainConfig.from_preset(
        "logreg-sgd", dataset="tiny", steps=total, checkpoint_seconds=0.0, **CADENCE
    )
    trainer = Trainer(cfg, dataset)
    recorder = RunRecorder.for_trainer(trainer)
    gen = recorder.record(trainer.run())
    for ev in gen:
        if type(ev).__name__ == "EvalMetrics" and ev.step == 20:
            break
    gen.close()  # saved as stopped, with a checkpoint at the last evaluation
    status_file = recorder.run_dir / "status.json"
    status = json.loads(status_file.read_text())
    status.update(state="running")  # its process died: nobody holds the run's lock
    status_file.write_text(json.dumps(status))
    (recorder.run_dir / "model.keras").unlink()
    return recorder.run_dir


def test_every_gui_run_writes_its_own_folder_and_save_model_still_works(
    qtbot, window, runs, tmp_path
):
    train(qtbot, window, "logreg-sgd", 20)
    train(qtbot, window, "logreg-sgd", 10)
    infos = list_runs(runs)
    assert len(infos) == 2
    assert {i.status for i in infos} == {"finished"}
    assert sorted(i.steps_done for i in infos) == [10, 20]
    assert window.run_dir == str(infos[0].path)  # newest first
    assert window.last_finished.run_dir == str(infos[0].path)
    assert (infos[0].path / "model.keras").is_file()
    assert f"Run saved in {infos[0].path}" in window.log.text()
    # File > Save model copies the model elsewhere
    task = window.runs.save_model(tmp_path / "copy")
    with qtbot.waitSignal(task.result, timeout=WAIT):
        pass
    assert (tmp_path / "copy" / "model.keras").is_file()
    assert read_run_info(tmp_path / "copy").preset == "logreg-sgd"


def test_recent_runs_menu_opens_a_run_with_curves_weights_and_model(qtbot, window, runs):
    train(qtbot, window, "logreg-sgd", 30)
    first = window.run_dir
    train(qtbot, window, "logreg-sgd", 10)
    window.reset()
    window.runs.fill_recent_menu()
    actions = [a for a in window.menus.recent.actions() if not a.isSeparator()]
    assert len(actions) == 3  # two runs, then "Runs…"
    assert actions[-1] is window.menus.runs
    assert "logreg-sgd on fonts-letters - finished, 10 steps" in actions[0].text()
    assert "30 steps" in actions[1].text()
    window.predictor = None
    actions[1].trigger()  # the older run, 30 steps
    qtbot.waitUntil(lambda: window.opened_run is not None, timeout=WAIT)
    idle(qtbot, window)
    opened = window.opened_run
    assert str(opened.info.path) == first
    s = window.curves.series
    assert s["loss_minibatch"].n == 30
    assert s["loss_minibatch"].x[-1] == 29
    assert s["acc_valid"].n == len(opened.evals) >= 3
    assert s["acc_test"].n == 1
    assert window.curves.previous == {}  # the reset left nothing to keep
    assert window.controls.values()["preset"] == opened.info.preset
    assert window.controls.values()["steps"] == opened.info.total_steps == 30
    # the mosaic is drawn at the next throttled repaint
    qtbot.waitUntil(lambda: window.weights.shown is not None, timeout=WAIT)
    assert window.weights.shown.step == 30
    assert window.predictor is not None
    window.draw_pad.draw_stroke([(60, 60), (200, 200)])
    pred = window.draw_pad.classify_now()
    assert pred.class_names == tuple("ABCDEFGHIJ")
    assert np.isclose(pred.probabilities.sum(), 1.0, atol=1e-5)
    assert "opened" in window.log.text()
    assert window.menus.save_model.isEnabled()


def test_an_empty_recent_menu_says_so(qtbot, window):
    window.runs.fill_recent_menu()
    texts = [a.text() for a in window.menus.recent.actions() if not a.isSeparator()]
    assert texts[0] == "(no runs yet)"
    assert not window.menus.recent.actions()[0].isEnabled()


def test_runs_dialog_lists_every_status_and_resumes_only_what_can_be(
    qtbot, window, runs, tiny_dataset
):
    train(qtbot, window, "logreg-sgd", 20)
    interrupted = interrupted_run(tiny_dataset, 60)
    dialog = window.runs.show_runs_dialog()
    assert isinstance(dialog, RunsDialog)
    assert not dialog.isModal()
    assert dialog.table.columnCount() == len(COLUMNS)
    assert dialog.table.rowCount() == 2
    rows = {
        dialog.table.item(r, 0).text(): [
            dialog.table.item(r, c).text() for c in range(len(COLUMNS))
        ]
        for r in range(2)
    }
    row = rows[interrupted.name]
    assert row[1:5] == ["logreg-sgd", "tiny", "interrupted", "21 / 60"]
    assert row[5].endswith("%")
    finished = rows[Path(window.run_dir).name]
    assert finished[3:5] == ["finished", "20 / 20"]
    assert dialog.select_run(Path(window.run_dir).name)
    assert dialog.open_button.isEnabled()
    assert not dialog.resume_button.isEnabled()
    assert dialog.select_run(interrupted.name)
    assert dialog.resume_button.isEnabled()
    assert can_resume(dialog.selected())
    with qtbot.waitSignal(dialog.open_requested, timeout=1000) as blocker:
        qtbot.mouseClick(dialog.open_button, Qt.MouseButton.LeftButton)
    assert blocker.args == [str(interrupted)]
    # opening an interrupted run loads its model from the last checkpoint
    qtbot.waitUntil(lambda: window.opened_run is not None, timeout=WAIT)
    idle(qtbot, window)
    assert window.opened_run.info.status == "interrupted"
    assert window.opened_run.predictor is not None
    assert window.curves.series["loss_minibatch"].n == 21
    dialog.close()


def test_resuming_an_interrupted_run_continues_it_with_live_panels(
    qtbot, window, runs, tiny_dataset
):
    path = interrupted_run(tiny_dataset, 60)
    dialog = window.runs.show_runs_dialog()
    assert dialog.select_run(path.name)
    qtbot.mouseClick(dialog.resume_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.running, timeout=WAIT)
    assert not dialog.isVisible()
    qtbot.waitUntil(lambda: not window.running and not window.tasks, timeout=WAIT)
    assert window.last_finished is not None
    assert not window.last_finished.stopped
    assert window.last_finished.step == 60
    assert window.last_finished.run_dir == str(path)
    s = window.curves.series["loss_minibatch"]
    assert s.x[0] == 0  # the saved history came first ...
    assert s.x[-1] == 59  # ... then the live steps
    assert np.all(np.diff(s.x) > 0)
    assert "resuming" in window.log.text()
    info = read_run_info(path)
    assert (info.status, info.steps_done) == ("finished", 60)
    assert window.shown_errors == []
    # a finished run cannot be resumed again
    dialog.refresh()
    assert dialog.select_run(path.name)
    assert not dialog.resume_button.isEnabled()
    assert window.runs.resume_run(path) is not None
    idle(qtbot, window)
    assert window.shown_errors[-1][0] == "Could not resume the run"
    assert not window.running


def test_opening_or_resuming_is_refused_while_training(qtbot, window, runs):
    train(qtbot, window, "logreg-sgd", 10)
    done = window.run_dir
    window.controls.select_preset("logreg-sgd")
    window.controls.set_values({"steps": 1_000_000})
    window.start_training()
    qtbot.waitUntil(lambda: window.trainer is not None, timeout=WAIT)
    assert window.runs.open_run(done) is None
    assert window.runs.resume_run(done) is None
    assert "Stop the current run" in window.banner.text()
    window.session.stop()
    qtbot.waitUntil(lambda: not window.running and not window.tasks, timeout=WAIT)


def test_a_folder_that_is_not_a_run_is_reported(qtbot, window, tmp_path):
    task = window.runs.open_run(tmp_path / "nothing")
    idle(qtbot, window)
    assert task is not None
    title, message, _ = window.shown_errors[-1]
    assert title == "Could not open the run"
    assert "nothing" in message
    assert "not a Glyph Lab run folder" in message
