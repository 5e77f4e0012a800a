from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtGui import QFontInfo

from gui.panels.log_panel import DEFAULT_MAX_LINES, LogPanel

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")


def lesson_lines(n: int, start: int = 0) -> list[str]:
    out = []
    for step in range(start, start + n):
        out.append(f"Minibatch loss at step {step * 500}: {2.5 / (step + 1):.6f}")
    return out


@pytest.fixture
def log(qtbot) -> LogPanel:
    w = LogPanel(max_lines=100)
    qtbot.addWidget(w)
    w.resize(700, 300)
    w.show()
    qtbot.waitExposed(w)
    return w


def test_append_and_text(log: LogPanel) -> None:
    assert log.text() == ""
    assert log.line_count() == 0
    log.append("Initialized")
    log.append("Minibatch loss at step 0: 17.332195")
    log.append_lines(["Minibatch accuracy: 9.4%", "Validation accuracy: 12.1%"])
    assert log.text().splitlines() == [
        "Initialized",
        "Minibatch loss at step 0: 17.332195",
        "Minibatch accuracy: 9.4%",
        "Validation accuracy: 12.1%",
    ]
    assert log.line_count() == 4
    assert log.view.isReadOnly()
    assert QFontInfo(log.view.font()).fixedPitch()


def test_keeps_only_the_newest_lines(log: LogPanel) -> None:
    log.append_lines(lesson_lines(250))
    lines = log.text().splitlines()
    assert len(lines) == 100
    assert lines[-1] == lesson_lines(1, start=249)[0]
    assert lines[0] == lesson_lines(1, start=150)[0]
    for line in lesson_lines(30, start=250):  # one at a time too
        log.append(line)
    lines = log.text().splitlines()
    assert len(lines) == 100
    assert lines[-1] == lesson_lines(1, start=279)[0]


def test_default_cap(qtbot) -> None:
    w = LogPanel()
    qtbot.addWidget(w)
    assert w.max_lines == DEFAULT_MAX_LINES


def test_clear(log: LogPanel) -> None:
    log.append_lines(lesson_lines(10))
    log.clear()
    assert log.text() == ""
    assert log.line_count() == 0


def test_follows_new_lines_unless_scrolled_up(log: LogPanel, qtbot, tmp_path: Path) -> None:
    bar = log.view.verticalScrollBar()
    log.append_lines(lesson_lines(60))
    assert bar.maximum() > 0
    assert bar.value() == bar.maximum()
    log.append("Validation accuracy: 80.0%")
    assert bar.value() == bar.maximum()

    bar.setValue(5)  # the learner scrolls up to read
    assert not log.follows_new_lines()
    log.append_lines(lesson_lines(5, start=60))
    assert bar.value() == 5
    assert bar.value() < bar.maximum()

    bar.setValue(bar.maximum())  # ... and back down
    assert log.follows_new_lines()
    log.append("Test accuracy: 89.1%")
    assert bar.value() == bar.maximum()
    image = log.grab().toImage()
    assert not image.isNull()
    image.save(str(tmp_path / "log.png"))
    if os.environ.get("GLYPH_LAB_SCREENSHOTS"):
        image.save(str(Path(os.environ["GLYPH_LAB_SCREENSHOTS"]) / "log.png"))


def test_hidden_log_shows_newest_line_when_opened(qtbot) -> None:
    w = LogPanel()
    qtbot.addWidget(w)
    w.resize(600, 200)
    w.append_lines(lesson_lines(80))  # written while its tab is hidden
    w.show()
    qtbot.waitExposed(w)
    bar = w.view.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0, timeout=1000)
    assert bar.value() == bar.maximum()
