"""The lesson panel: a track's current step, its checks, and the buttons that walk the track.

The panel only shows and reports (signals); :class:`gui.lesson_mode.LessonMode` decides what a
step does and computes the checks' states from the run's events.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from core.lessons.checks import DONE, MISSED, PENDING
from core.lessons.glossary import split_links
from core.lessons.track import Step

KNOB_WORDS = {
    "learning_rate": "learning rate",
    "l2": "L2 lambda",
    "dropout": "dropout",
    "batch_size": "batch size",
    "steps": "steps",
    "restrict_batches": "n batches",
    "seed": "seed",
}
PANEL_WORDS = {
    "controls": "Controls",
    "curves": "Curves",
    "weights": "Weights",
    "draw": "Draw pad",
    "samples": "Samples",
    "confusion": "Confusion",
    "misclassified": "Misclassified",
    "log": "Log",
    "lesson": "this panel",
}
MARKS = {PENDING: "○", DONE: "✓", MISSED: "✗"}
STATE_WORDS = {PENDING: "not yet", DONE: "done", MISSED: "not seen in this run"}


def step_html(text: str) -> str:
    """A step text as HTML, its glossary links as ``term:<id>`` anchors."""
    parts = []
    for words, term in split_links(text):
        if term is None:
            parts.append(html.escape(words))
        else:
            parts.append(f'<a href="term:{term}">{html.escape(words)}</a>')
    return "".join(parts)


def settings_line(step: Step) -> str:
    """What the step sets and what the learner may move, in words."""
    if step.kind == "data":
        what = f"Data: <b>{html.escape(step.dataset)}</b>"
    elif step.kind == "baseline":
        sizes = ", ".join(f"{n:,}" for n in step.sizes)
        what = f"Data: <b>{html.escape(step.dataset)}</b> · scikit-learn on {sizes} images"
    else:
        what = f"Preset: <b>{step.preset}</b> · data: <b>{html.escape(step.dataset)}</b>"
    if step.knobs:
        moves = ", ".join(KNOB_WORDS[k] for k in step.knobs)
        what += f"<br>You may move: <b>{moves}</b>"
    return what


class LessonPanel(QWidget):
    """Track picker, the step (title, text, settings, figure, checks), result, and buttons.

    Signals
    -------
    track_selected(str)
        The learner picked a track (its id).
    back_requested(), next_requested(), run_requested()
        The buttons.
    term_clicked(str)
        A glossary link in the step text was clicked (the term's id).
    """

    track_selected = Signal(str)
    back_requested = Signal()
    next_requested = Signal()
    run_requested = Signal()
    term_clicked = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lesson")
        self._states: list[str] = []
        self._check_labels: list[QLabel] = []
        self._checks: tuple = ()
        self._running = self._locked = False
        self._at = (0, 0)

        self.track_combo = QComboBox(self)
        self.track_combo.setToolTip("The course to follow")
        self.track_combo.activated.connect(
            lambda _i: self.track_selected.emit(str(self.track_combo.currentData()))
        )
        self.counter = QLabel("", self)
        self.counter.setObjectName("hint")
        self.title = QLabel("", self)
        self.title.setObjectName("lessonTitle")
        self.title.setWordWrap(True)
        self.text = QLabel("", self)
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.text.linkActivated.connect(self._link)
        self.text.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.settings = QLabel("", self)
        self.settings.setObjectName("hint")
        self.settings.setWordWrap(True)
        self.figure = QLabel("", self)
        self.figure.setWordWrap(True)
        self.checks_box = QVBoxLayout()
        self.checks_box.setSpacing(2)
        self.plot = pg.PlotWidget(self)
        self.plot.setBackground("w")
        self.plot.setMinimumHeight(140)
        self.plot.setLogMode(x=True, y=False)
        self.plot.setLabel("bottom", "training images")
        self.plot.setLabel("left", "test %")
        self.plot.setYRange(0, 100)
        self.plot.setMouseEnabled(False, False)
        self.plot.hideButtons()
        self.baseline_curve = self.plot.plot(
            [], [], pen=pg.mkPen("#0072B2", width=2), symbol="o", symbolBrush="#0072B2"
        )
        self.plot.hide()
        self.result = QLabel("", self)
        self.result.setObjectName("lessonResult")
        self.result.setWordWrap(True)
        self.back_button = QPushButton("Back", self)
        self.run_button = QPushButton("Run this step", self)
        self.run_button.setObjectName("start")
        self.next_button = QPushButton("Next", self)
        self.back_button.clicked.connect(self.back_requested)
        self.next_button.clicked.connect(self.next_requested)
        self.run_button.clicked.connect(self.run_requested)
        self.run_button.setToolTip("Load the step's data, set its preset and knobs, and start")

        top = QHBoxLayout()
        top.addWidget(self.track_combo, 1)
        top.addWidget(self.counter)
        buttons = QGridLayout()
        buttons.addWidget(self.back_button, 0, 0)
        buttons.addWidget(self.next_button, 0, 1)
        buttons.addWidget(self.run_button, 1, 0, 1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 8)
        layout.setSpacing(6)
        layout.addLayout(top)
        layout.addWidget(self.title)
        layout.addWidget(self.text)
        layout.addWidget(self.settings)
        layout.addWidget(self.figure)
        layout.addLayout(self.checks_box)
        layout.addWidget(self.plot)
        layout.addWidget(self.result)
        layout.addStretch(1)
        layout.addLayout(buttons)

    # -- content ---------------------------------------------------------------------------------
    def set_tracks(self, tracks: Sequence[tuple[str, str]]) -> None:
        """Fill the track picker with ``(id, title)`` pairs."""
        self.track_combo.clear()
        for track_id, title in tracks:
            self.track_combo.addItem(title, track_id)

    def show_step(self, track_id: str, index: int, count: int, step: Step, seen: bool) -> None:
        """Show step ``index`` (0-based) of ``count``; ``seen`` marks a step done before."""
        self.track_combo.setCurrentIndex(self.track_combo.findData(track_id))
        self._at = (index, count)
        self.counter.setText(f"Step {index + 1} of {count}" + (" ✓" if seen else ""))
        self.title.setText(html.escape(step.title))
        self.text.setText(step_html(step.text))
        self.settings.setText(settings_line(step))
        figure = f"{100 * step.figure_test:.1f}% test" if step.figure_test else step.figure
        self.figure.setText(f"Lesson's figure: <b>{html.escape(figure)}</b>")
        while self._check_labels:
            label = self._check_labels.pop()
            self.checks_box.removeWidget(label)
            label.hide()  # until Qt deletes it, a removed label would still paint at its place
            label.deleteLater()
        self._checks = step.checks
        for _check in step.checks:
            label = QLabel("", self)
            label.setWordWrap(True)
            label.setObjectName("lessonCheck")
            self.checks_box.addWidget(label)
            self._check_labels.append(label)
        self.set_states([PENDING] * len(step.checks))
        self.plot.setVisible(step.kind == "baseline")
        self.baseline_curve.setData([], [])
        self.set_result("")
        self._update_buttons()

    def set_states(self, states: Sequence[str]) -> None:
        """Show each check's state (``pending``, ``done`` or ``missed``)."""
        self._states = list(states)
        for label, check, state in zip(self._check_labels, self._checks, states, strict=True):
            panel = PANEL_WORDS.get(check.panel, check.panel)
            label.setText(f"{MARKS[state]} {html.escape(check.text)} <i>({panel})</i>")
            label.setProperty("state", state)
            label.setToolTip(f"{STATE_WORDS[state]} - look at {panel}")
            label.style().unpolish(label)
            label.style().polish(label)

    def states(self) -> list[str]:
        """The checks' states as shown."""
        return list(self._states)

    def set_result(self, text: str) -> None:
        """The line under the checks ("You: 91.4% test. Lesson: 91.1%.")."""
        self.result.setText(text)
        self.result.setVisible(bool(text))

    def set_baseline(self, points: Sequence[tuple[int, float]]) -> None:
        """Plot the baseline's test accuracy (0..1) against its number of training images."""
        points = sorted(points)
        self.baseline_curve.setData([n for n, _a in points], [100 * a for _n, a in points])
        if points:
            self.plot.setXRange(0.9 * min(n for n, _a in points), 1.1 * max(n for n, _a in points))

    # -- state -----------------------------------------------------------------------------------
    def set_running(self, running: bool) -> None:
        """While a step runs, Run is off (the learner stops it with Stop)."""
        self._running = running
        self._update_buttons()

    def set_locked(self, locked: bool) -> None:
        """A teacher lock keeps the learner on this step: no other track or step."""
        self._locked = locked
        self._update_buttons()

    def _update_buttons(self) -> None:
        index, count = self._at
        free = not self._locked
        self.track_combo.setEnabled(free and not self._running)
        self.back_button.setEnabled(free and index > 0)
        self.next_button.setEnabled(free and index + 1 < count)
        self.run_button.setEnabled(not self._running and count > 0)

    def _link(self, href: str) -> None:
        if href.startswith("term:"):
            self.term_clicked.emit(href.removeprefix("term:"))
