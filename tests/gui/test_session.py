"""The session redesign seen from the window: the pad follows the model, runs replay their knobs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt, QTimer
from window_helpers import WAIT, make_window

from core.runs.files import read_knob_changes
from core.runs.history import read_history_csv
from gui.main_window import MainWindow
from gui.session import TrainingSession
from gui.snapshot import sample_strokes


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


def shown_answer(w: MainWindow) -> tuple[str, str]:
    return w.draw_pad.answer_label.text(), w.draw_pad.confidence_label.text()


def test_the_pad_follows_the_model_during_and_after_a_run(qtbot, window):
    for stroke in sample_strokes(window.dataset.class_names):  # an A
        window.draw_pad.draw_stroke(stroke)
    seen: list[tuple[str, str]] = []
    poll = QTimer()
    poll.timeout.connect(lambda: seen.append(shown_answer(window)))
    poll.start(10)
    start(qtbot, window, "logreg-sgd", 300)
    finished(qtbot, window)
    poll.stop()
    during = {answer for answer in seen if answer[0] not in ("?", "")}
    assert len(during) >= 2, f"the pad's answer never changed during the run: {during}"
    prediction = window.draw_pad.last_prediction()
    trained = window.predictor.probabilities(prediction.seen[None])[0]
    np.testing.assert_allclose(prediction.probabilities, trained, atol=1e-6)
    names = window.dataset.class_names
    assert window.draw_pad.answer_label.text() == names[int(trained.argmax())]


def test_an_empty_pad_computes_nothing_while_the_model_learns(qtbot, window, monkeypatch):
    calls = []
    start(qtbot, window, "logreg-sgd", 60)
    qtbot.waitUntil(lambda: window.predictor is not None, timeout=WAIT)
    predict = window.predictor.predict
    monkeypatch.setattr(
        window.predictor, "predict", lambda *a, **k: calls.append(1) or predict(*a, **k)
    )
    window.draw_pad.set_classifier(window.predictor.predict, window.dataset.class_names)
    finished(qtbot, window)
    assert calls == []


def test_a_run_records_its_starting_knobs_and_every_change_and_start_replays_them(
    qtbot, window, runs
):
    changes = {"learning_rate": (100, 0.05), "l2": (200, 0.01)}

    def move_knobs(ev) -> None:  # as a learner would, when the curves pass the step
        for name, (at, value) in changes.items():
            if ev.step + 1 >= at and window.controls.knobs[name].value() != value:
                window.controls.knobs[name].spin.setValue(value)

    window.session.step.connect(move_knobs)
    start(qtbot, window, "logreg-sgd", 300, learning_rate=0.5, l2=0.0, seed=7)
    finished(qtbot, window)
    window.session.step.disconnect(move_knobs)
    first = Path(window.run_dir)
    settings = json.loads((first / "settings.json").read_text())
    assert settings["format"] == 1
    assert (settings["settings"]["learning_rate"], settings["settings"]["l2"]) == (0.5, 0.0)
    recorded = read_knob_changes(first)
    assert [(c.name, c.new) for c in recorded] == [("learning_rate", 0.05), ("l2", 0.01)]
    # each change lands at the first call after the learner moved it (later on a busy machine)
    assert 100 <= recorded[0].step < 200 <= recorded[1].step < 300

    window.runs.open_run(first)
    qtbot.waitUntil(lambda: window.opened_run is not None, timeout=WAIT)
    labels = window.curves.marker_labels()
    assert len(labels) == 2
    assert any("0.5 -> 0.05" in t for t in labels) and any("0 -> 0.01" in t for t in labels)
    assert window.controls.learning_rate.value() == pytest.approx(0.5)  # the start, not the end
    assert window.controls.l2.value() == 0.0

    qtbot.mouseClick(window.controls.start_button, Qt.MouseButton.LeftButton)
    finished(qtbot, window)
    assert "replaying 2 knob changes" in window.log.text()
    second = Path(window.run_dir)
    assert second != first
    assert read_knob_changes(second) == recorded
    a, _ = read_history_csv(first / "history.csv")
    b, _ = read_history_csv(second / "history.csv")
    np.testing.assert_array_equal(a[:, 0], b[:, 0])
    np.testing.assert_array_equal(a[:, 3], b[:, 3])  # learning rate, step for step
    np.testing.assert_array_equal(a[:, 5], b[:, 5])  # L2 lambda, step for step
    np.testing.assert_allclose(a[:, 1], b[:, 1], rtol=1e-4)  # and so the same losses


def test_start_on_an_opened_run_with_other_settings_does_not_replay(qtbot, window):
    window.session.step.connect(
        lambda ev: ev.step >= 20 and window.controls.learning_rate.spin.setValue(0.1)
    )
    start(qtbot, window, "logreg-sgd", 60, learning_rate=0.5)
    finished(qtbot, window)
    window.runs.open_run(window.run_dir)
    qtbot.waitUntil(lambda: window.opened_run is not None, timeout=WAIT)
    window.controls.set_values({"seed": 99})
    qtbot.mouseClick(window.controls.start_button, Qt.MouseButton.LeftButton)
    finished(qtbot, window)
    assert "replaying" not in window.log.text()


def test_dropout_is_not_offered_for_logistic_regression_and_is_for_the_relu_net(window):
    window.controls.select_preset("logreg-sgd")
    assert not window.controls.knob_enabled("dropout")
    assert "nothing to drop out" in window.controls.knobs["dropout"].toolTip()
    window.controls.select_preset("nn1024")
    assert window.controls.knob_enabled("dropout")


def test_a_knob_moved_before_the_trainer_exists_reaches_it(qtbot, tiny_dataset):
    from core.training.config import TrainConfig

    session = TrainingSession()
    cfg = TrainConfig.from_preset("logreg-sgd", steps=30, save=False, steps_per_call=5)
    got = []
    session.knob_changed.connect(got.append)
    with qtbot.waitSignal(session.state_changed, timeout=WAIT, check_params_cb=lambda r, _p: not r):
        session.start(cfg, tiny_dataset)
        session.set_knob("learning_rate", 0.25)  # the worker is still building the trainer
    assert [(e.name, e.new) for e in got] == [("learning_rate", 0.25)]
    assert got[0].step == 0


def test_a_failed_download_keeps_the_loaded_dataset_usable(qtbot, tiny_dataset, app_settings):
    from core.data.errors import DataError

    def loader(spec, download=False, progress=None):
        if download:
            raise DataError(spec, "no network")
        return tiny_dataset

    w = make_window(qtbot, tiny_dataset, app_settings)
    w.loader = loader
    before = w.controls.dataset_spec()
    w.load_dataset("notmnist-small", download=True)
    qtbot.waitUntil(lambda: w.banner.isVisible(), timeout=WAIT)
    assert "no network" in w.banner.text()
    assert w.controls.dataset_spec() == before
    assert w.controls.start_button.isEnabled()
    assert w.dataset is tiny_dataset


def test_opening_a_past_run_shows_its_place_not_the_last_runs_speed(qtbot, window):
    start(qtbot, window, "nn1024", 40)
    finished(qtbot, window)
    first = window.run_dir
    start(qtbot, window, "logreg-sgd", 60)
    finished(qtbot, window)
    assert "steps/s" in window.status.texts()["speed"]
    window.runs.open_run(first)
    qtbot.waitUntil(lambda: window.opened_run is not None, timeout=WAIT)
    window.pacer.paint(final=True)
    assert window.status.texts()["step"] == "step 40 / 40"
    assert window.status.texts()["speed"] == ""
    assert "of 1,024" in window.weights.caption.text()


def test_a_confusion_cell_shows_its_validation_images_during_the_run(qtbot, window):
    evals = []
    window.session.evaluated.connect(lambda ev: ev.split == "valid" and evals.append(ev))
    start(qtbot, window, "logreg-sgd", 100_000)
    qtbot.waitUntil(lambda: len(evals) >= 2, timeout=WAIT)
    window.confusion.select_cell(0, 0)
    last = evals[-1]
    _x, y = window.dataset.split("valid")
    expected = np.flatnonzero((y == 0) & (last.predicted == 0))
    shown = window.confusion.example_indices()
    assert window.running
    assert len(shown) > 0
    assert set(shown) <= set(expected)
    assert "of true A predicted as A" in window.confusion.examples_text()
    window.session.stop()
    finished(qtbot, window)


def test_a_learning_rate_that_kills_units_marks_them_and_counts_them(qtbot, app_settings, runs):
    from conftest import synthetic_dataset

    # learnable bars: at learning rate 2 most ReLU units die within a few steps, and the loss
    # stays finite (on real letters a rate that high diverges first and the run stops)
    window = make_window(qtbot, synthetic_dataset(), app_settings)
    start(qtbot, window, "nn1024", 40, learning_rate=2.0)
    finished(qtbot, window)
    window.pacer.paint(final=True)
    dead = window.weights.dead_units
    assert window.last_failed is None
    assert dead > 0
    assert f"{dead:,}</b> of 1,024 units dead" in window.weights.caption.text()
    snap = window.weights.shown
    tiles = window.weights.dead_tiles()
    assert tiles
    assert all(window.weights.activity[snap.units[k]] == 0 for k in tiles)
    rows, cols = window.weights.visible_grid(snap)
    visible = [
        k for k in range(len(snap.units)) if k // snap.grid[1] < rows and k % snap.grid[1] < cols
    ]
    unmarked = [k for k in visible if k not in tiles]
    assert all(window.weights.activity[snap.units[k]] > 0 for k in unmarked)


def test_keep_a_drawing_then_a_run_scores_the_model_on_your_drawings(
    qtbot, window, tmp_path, monkeypatch
):
    monkeypatch.setenv("GLYPH_LAB_DRAWINGS_DIR", str(tmp_path / "drawings"))
    window.my_drawings.root = tmp_path / "drawings"
    window.my_drawings.store = type(window.my_drawings.store)("letters", tmp_path / "drawings")
    window.my_drawings.choose_label = lambda _title, names, suggested: "A"
    start(qtbot, window, "logreg-sgd", 40)
    finished(qtbot, window)
    assert not window.draw_pad.keep_button.isEnabled()  # nothing drawn yet
    for stroke in sample_strokes(window.dataset.class_names):
        window.draw_pad.draw_stroke(stroke)
    assert window.draw_pad.keep_button.isEnabled()
    qtbot.mouseClick(window.draw_pad.keep_button, Qt.MouseButton.LeftButton)
    (kept,) = window.my_drawings.found
    assert kept.label == "A" and kept.strokes
    np.testing.assert_array_equal(kept.image, window.draw_pad.last_prediction().seen)
    start(qtbot, window, "logreg-sgd", 40)
    finished(qtbot, window)
    assert "On your drawings: test " in window.log.text()
    assert "your 1 drawing " in window.log.text()


def test_the_first_start_offers_real_notmnist_once_and_loads_it(qtbot, window):
    from gui.first_start import offer_real_data

    fetched = []

    def fetch(name, progress, cancel):
        progress(1, 2, f"downloading {name}")
        fetched.append(name)

    asked = []
    loader = window.loader
    window.loader = lambda spec, **kw: asked.append(spec) or loader(spec, **kw)
    offer = offer_real_data(window, fetch)
    assert offer is not None and offer.isVisible()
    qtbot.mouseClick(offer.buttons["notmnist-small"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not offer.isVisible(), timeout=WAIT)
    assert fetched == ["notMNIST_small.tar.gz"]
    qtbot.waitUntil(lambda: "notmnist-small" in asked, timeout=WAIT)
    assert window.controls.dataset_spec() == "notmnist-small"
    assert offer_real_data(window, fetch) is None  # once, for good
