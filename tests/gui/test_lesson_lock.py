"""The teacher's lock: data and preset fixed, only the step's knobs live, unlocking asks first."""

from __future__ import annotations

import argparse

import pytest
from PySide6.QtCore import Qt
from window_helpers import WAIT, make_window

from core.events import KnobChanged
from gui import lesson_args


@pytest.fixture
def window(qtbot, tiny_dataset, app_settings, runs):
    w = make_window(qtbot, tiny_dataset, app_settings)
    w.run_overrides.update(steps=400, batch_size=100)
    return w


def namespace(**kw) -> argparse.Namespace:
    return argparse.Namespace(**{"lesson": None, "step": None, "locked": False, **kw})


def test_the_locked_window_refuses_preset_and_data_changes_and_allows_the_steps_knobs(
    qtbot, window
):
    questions: list[str] = []
    answers = [False, True]
    window.lock.confirm = lambda q: questions.append(q) or answers.pop(0)
    lesson_args.apply(window, namespace(lesson="letters", step=5, locked=True))
    assert window.lessons.step.id == "l2"
    assert window.lock.locked
    qtbot.waitUntil(lambda: window.data.spec == "fonts-letters", timeout=WAIT)
    c = window.controls
    assert c.preset_name() == "nn1024-l2"
    assert c.l2.value() == pytest.approx(0.005)

    # what stays fixed
    assert not c.preset_combo.isEnabled()
    assert not c.dataset_combo.isEnabled() and not c.open_button.isEnabled()
    for name in ("learning_rate", "dropout"):
        assert not c.knob_enabled(name), name
    for box in (c.batch_size, c.steps, c.restrict, c.seed):
        assert not box.isEnabled()
    for action in (window.menus.open, window.menus.load_model, window.menus.runs):
        assert not action.isEnabled()
    assert not window.menus.recent.isEnabled()
    panel = window.lesson_panel
    for widget in (panel.back_button, panel.next_button, panel.track_combo):
        assert not widget.isEnabled()
    assert window.lock.label.isVisible()
    assert window.lock.label.text() == "🔒 Locked: Letters, step 5 (L2: keep the weights small)"

    # what the lock refuses, whatever way it is asked for
    c.dataset_selected.emit("mnist", False)
    assert window.data.spec == "fonts-letters" and c.dataset_spec() == "fonts-letters"
    assert (
        "Locked to the lesson: the data stays fonts-letters" in window.statusBar().currentMessage()
    )
    c.preset_combo.setCurrentIndex(c.preset_combo.findData("logreg-sgd"))
    c.preset_combo.activated.emit(c.preset_combo.currentIndex())
    assert c.preset_name() == "nn1024-l2"
    assert "the preset stays nn1024-l2" in window.statusBar().currentMessage()
    qtbot.mouseClick(c.reset_button, Qt.MouseButton.LeftButton)
    assert c.preset_name() == "nn1024-l2" and c.l2.value() == pytest.approx(0.005)

    # the step's knob is live, before and during the run
    assert c.knob_enabled("l2")
    changes: list[KnobChanged] = []
    window.session.knob_changed.connect(changes.append)
    qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.trainer is not None and window.running, timeout=WAIT)
    assert c.knob_enabled("l2") and not c.knob_enabled("learning_rate")
    c.l2.spin.setValue(0.02)
    qtbot.waitUntil(lambda: bool(changes), timeout=WAIT)
    assert (changes[0].name, changes[0].new) == ("l2", pytest.approx(0.02))
    qtbot.waitUntil(lambda: not window.running and not window.tasks, timeout=WAIT)
    assert not window.menus.open.isEnabled() and not window.menus.runs.isEnabled()
    assert not c.preset_combo.isEnabled()

    # unlocking asks; "no" keeps the lock, "yes" lifts it
    window.menus.lock_action.trigger()
    assert questions and "Unlock the lesson?" in questions[0]
    assert window.lock.locked and window.menus.lock_action.isChecked()
    window.menus.lock_action.trigger()
    assert len(questions) == 2
    assert not window.lock.locked and not window.menus.lock_action.isChecked()
    assert c.preset_combo.isEnabled() and c.dataset_combo.isEnabled()
    assert c.knob_enabled("learning_rate") and c.steps.isEnabled()
    assert window.menus.open.isEnabled() and window.menus.runs.isEnabled()
    assert panel.back_button.isEnabled() and not window.lock.label.isVisible()
    window.load_dataset("mnist")
    qtbot.waitUntil(lambda: window.data.spec == "mnist", timeout=WAIT)


def test_view_menu_locks_the_step_shown(qtbot, window):
    window.lessons.open("digits", 0)
    window.menus.lock_action.trigger()
    assert window.lock.locked and window.menus.lock_action.isChecked()
    assert window.controls.preset_name() == "mnist-softmax"
    assert window.controls.knob_enabled("learning_rate") and not window.controls.knob_enabled("l2")
    window.lock.confirm = lambda _q: True
    assert window.lock.unlock()


@pytest.mark.parametrize(
    ("kw", "why"),
    [
        ({"lesson": "nope"}, "unknown track 'nope' (tracks: letters, digits)"),
        ({"lesson": "digits", "step": 9}, "--step must be 1 to 8 for the digits track (got 9)"),
        ({"locked": True}, "--step and --locked need --lesson TRACK"),
    ],
)
def test_bad_lesson_options_are_one_line(kw, why):
    assert lesson_args.check(namespace(**kw)) == why
    assert lesson_args.check(namespace(lesson="letters", step=11, locked=True)) is None


def test_the_window_command_refuses_bad_lesson_options_before_opening(capsys):
    import main

    assert main.main(["--lesson", "letters", "--step", "0"]) == 2
    assert capsys.readouterr().err == (
        "error: --step must be 1 to 11 for the letters track (got 0)\n"
    )
