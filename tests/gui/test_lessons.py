"""Lesson mode: every step of both tracks runs from the lesson panel and every check is evaluated.

The walk uses tiny data and tiny runs (the window's ``run_overrides``); the overfitting and
dropout steps also run on the shared real notMNIST sample, where their checks must turn done.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QStatusBar
from window_helpers import CADENCE, WAIT, make_window

from core.data.dataset import Dataset, Provenance
from core.lessons.checks import DONE, MISSED, PENDING
from core.lessons.loader import get_track
from gui.lesson_progress import LessonProgress

TINY_RUN = {**CADENCE, "steps": 12, "batch_size": 100, "eval_every": 5}


@pytest.fixture
def window(qtbot, tiny_dataset, app_settings, runs):
    w = make_window(qtbot, tiny_dataset, app_settings)
    w.run_overrides = dict(TINY_RUN)
    w.lessons.show_panel()
    return w


def click(qtbot, button) -> None:
    assert button.isEnabled(), button.text()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def step_over(w) -> bool:
    return not w.lessons.step_running and bool(w.lesson_panel.result.text())


def run_step(qtbot, w, timeout: int = WAIT) -> list[str]:
    click(qtbot, w.lesson_panel.run_button)
    qtbot.waitUntil(lambda: step_over(w) and not w.tasks, timeout=timeout)
    return w.lesson_panel.states()


@pytest.mark.parametrize("track_id", ["letters", "digits"])
def test_every_step_of_a_track_runs_and_every_check_is_evaluated(qtbot, window, track_id):
    track = get_track(track_id)
    window.lessons.open(track_id, 0)
    for i, step in enumerate(track.steps):
        assert window.lessons.index == i
        assert window.lesson_panel.title.text() == step.title
        assert window.lesson_panel.states() == [PENDING] * len(step.checks)
        states = run_step(qtbot, window)
        assert len(states) == len(step.checks)
        assert all(s in (DONE, MISSED) for s in states), (step.id, states)
        result = window.lesson_panel.result.text()
        assert result.startswith("You: ") and "Lesson: " in result, (step.id, window.last_failed)
        if step.kind == "baseline":  # 50, 100 and all 600 images; then the usual tabs
            assert list(window.lesson_panel.baseline_curve.xData) == [50, 100, 600]
            assert 0 < window.confusion.accuracy() < 1
            assert window.misclassified.wrong_count() > 0
        if step.kind == "data":
            assert window.tabs.currentWidget() is window.samples
        if step.kind == "train":
            assert window.controls.preset_name() == step.preset
            assert window.last_finished is not None and not window.last_finished.stopped
        assert window.lessons.outlined() == ()  # outlines go when the step ends
        if i + 1 < len(track.steps):
            click(qtbot, window.lesson_panel.next_button)
    assert not window.lesson_panel.next_button.isEnabled()
    assert not window.shown_errors
    figures = LessonProgress(window.settings).results(track_id)
    assert set(figures) == {s.id for s in track.steps}


def test_a_step_sets_its_preset_and_values_outlines_its_panels_and_says_the_figures(qtbot, window):
    track = get_track("letters")
    window.lessons.open("letters", track.index_of("l2"))
    window.run_overrides.pop("steps")  # the step's own 3,001 steps; stopped below
    outlined: list[tuple[str, ...]] = []
    window.session.step.connect(lambda _ev: outlined.append(window.lessons.outlined()))
    click(qtbot, window.lesson_panel.run_button)
    qtbot.waitUntil(lambda: len(outlined) >= 3, timeout=WAIT)
    assert window.controls.values()["l2"] == pytest.approx(0.005)
    assert window.controls.values()["steps"] == 3001
    assert not window.lesson_panel.run_button.isEnabled()
    assert set(outlined[-1]) == {"controls", "curves"}
    assert window.lessons._outlines["curves"].isVisible()
    window.controls.l2.spin.setValue(0.02)  # the step asks the learner to move L2
    qtbot.waitUntil(lambda: window.lesson_panel.states()[0] == DONE, timeout=WAIT)
    qtbot.waitUntil(lambda: "curves" in window.lessons.outlined(), timeout=WAIT)
    assert "controls" not in window.lessons.outlined()  # done: no longer outlined
    window.session.stop()
    qtbot.waitUntil(lambda: step_over(window), timeout=WAIT)
    result = window.lesson_panel.result.text()
    assert result.startswith("You: ") and "% test (stopped at step" in result
    assert result.endswith("Lesson: 91.1%.")
    assert window.lessons.outlined() == ()
    assert "l2" not in LessonProgress(window.settings).results("letters")  # a stopped run


def test_progress_is_remembered_per_track(qtbot, tiny_dataset, app_settings, runs):
    first = make_window(qtbot, tiny_dataset, app_settings)
    first.lessons.open("digits", 3)
    first.lessons.open("letters", 5)
    first.lessons.go(6)
    first.shutdown()
    again = make_window(qtbot, tiny_dataset, app_settings)
    assert (again.lessons.track.id, again.lessons.index) == ("letters", 6)
    again.lesson_panel.track_combo.setCurrentIndex(1)
    again.lesson_panel.track_combo.activated.emit(1)
    assert (again.lessons.track.id, again.lessons.index) == ("digits", 3)
    assert again.lesson_panel.counter.text() == "Step 4 of 8"


def test_a_glossary_link_in_the_step_text_names_its_term(qtbot, window):
    window.lessons.open("letters", 5)
    assert 'href="term:overfitting"' in window.lesson_panel.text.text()
    with qtbot.waitSignal(window.lesson_panel.term_clicked) as got:
        window.lesson_panel.text.linkActivated.emit("term:overfitting")
    assert got.args == ["overfitting"]


def real_notmnist(path: Path) -> Dataset:
    with np.load(path) as d:
        x, y = d["images"], d["labels"].astype(np.int64)
    idx = np.random.default_rng(0).permutation(len(x))
    x, y = x[idx], y[idx]
    return Dataset(
        "notmnist-small",
        tuple("ABCDEFGHIJ"),
        x[:15000],
        y[:15000],
        x[15000:17000],
        y[15000:17000],
        x[17000:],
        y[17000:],
        Provenance("notmnist-small", "the shared notMNIST_small sample"),
    )


def test_overfitting_and_dropout_checks_turn_done_on_real_letters(
    qtbot, shared_data, app_settings, runs
):
    w = make_window(qtbot, real_notmnist(shared_data / "notmnist_small.npz"), app_settings)
    w.run_overrides = {"steps": 400, "eval_every": 50, "snapshot_every": 100}
    w.lessons.show_panel()
    track = get_track("letters")
    w.lessons.open("letters", track.index_of("overfit"))
    facts = w.lessons.facts
    assert run_step(qtbot, w, timeout=4 * WAIT) == [DONE, DONE], (
        facts.minibatch_accuracy[-5:],
        facts.valid_accuracy,
    )
    assert w.controls.values()["restrict_batches"] == 5
    click(qtbot, w.lesson_panel.next_button)
    assert w.lessons.step.id == "dropout"
    assert run_step(qtbot, w, timeout=4 * WAIT) == [DONE, DONE], (
        w.lessons.facts.results(),
        w.lessons.earlier(),
    )
    assert w.controls.values()["dropout"] == pytest.approx(0.4)


def test_the_glossary_opens_from_the_help_menu_and_from_a_link_and_shows_the_panel(qtbot, window):
    window.menus.glossary.trigger()
    dialog = window.glossary_dialog
    assert dialog.isVisible() and dialog.list.count() >= 20
    assert window.menus.help_menu.actions()[1] is window.menus.glossary
    window.lesson_panel.text.linkActivated.emit("term:confusion-matrix")
    assert dialog.title.text() == "Confusion matrix"
    assert dialog.where.text() == "Where you see it: Confusion"
    assert window.tabs.currentWidget() is window.curves
    qtbot.mouseClick(dialog.show_button, Qt.MouseButton.LeftButton)
    assert window.tabs.currentWidget() is window.confusion
    dialog.show_term("weights")
    window.draw_dock.hide()
    dialog.show_term("softmax")
    qtbot.mouseClick(dialog.show_button, Qt.MouseButton.LeftButton)
    assert window.draw_dock.isVisible()
    dialog.close()


def test_the_log_says_the_learning_rate_once_it_has_decayed(qtbot):
    from core.events import EvalMetrics, RunStarted, StepMetrics
    from gui.panels.log_panel import LogPanel
    from gui.run_log import RunNarrator
    from gui.session import TrainingSession
    from gui.status import Banner

    session, log = TrainingSession(), LogPanel()
    qtbot.addWidget(log)
    bar = QStatusBar()
    qtbot.addWidget(bar)
    RunNarrator(session, log, bar, Banner(), lambda *a: None)
    confusion = np.zeros((2, 2), np.int64)
    session.started.emit(RunStarted(3000, {"preset": "deep-decay"}, ("A", "B"), "", None))
    for step, rate in ((0, 0.5), (999, 0.5), (1000, 0.45)):
        session.step.emit(StepMetrics(step, 1.0, 0.5, rate, 1.0, 1.0, 1.0, 1.0))
        session.evaluated.emit(EvalMetrics(step, "valid", 1.0, 0.5, confusion))
    text = log.text()
    assert text.count("Learning rate: ") == 1
    assert text.rstrip().endswith("Validation accuracy: 50.0%\nLearning rate: 0.45")
