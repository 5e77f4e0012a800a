"""Status bar fields, the message banner, and the (non-modal) error dialog."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QStatusBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from gui.widgets import Collapsible, ElidingLabel


def format_seconds(seconds: float) -> str:
    """``m:ss`` (or ``h:mm:ss``) for an elapsed time."""
    s = max(0, int(seconds))
    h, rem = divmod(s, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def format_rate(value: float) -> str:
    """A rate with a k/M suffix: 950, 19.5k, 1.2M."""
    if value >= 1e6:
        return f"{value / 1e6:.1f}M"
    if value >= 1e4:
        return f"{value / 1e3:.0f}k"
    if value >= 1e3:
        return f"{value / 1e3:.1f}k"
    return f"{value:.0f}"


class StatusFields:
    """The permanent fields of the window's status bar.

    Parameters
    ----------
    bar:
        The status bar to fill.
    """

    def __init__(self, bar: QStatusBar) -> None:
        self.bar = bar
        self.provenance = ElidingLabel("", bar)
        self.provenance.setToolTip("Where the dataset came from")
        self.provenance.setMinimumWidth(120)
        self.step = QLabel("", bar)
        self.speed = QLabel("", bar)
        self.fps = QLabel("", bar)
        self.elapsed = QLabel("", bar)
        self.pace = QLabel("", bar)
        self.step.setToolTip("Training step of the total")
        self.speed.setToolTip("Training speed: steps and images per second")
        self.fps.setToolTip("How often the window redraws the curves (at most 12 per second)")
        self.elapsed.setToolTip("Time since the run started")
        self.busy = QProgressBar(bar)
        self.busy.setRange(0, 0)
        self.busy.setMaximumWidth(120)
        self.busy.setMaximumHeight(12)
        self.busy.hide()
        self.busy_label = QLabel("", bar)
        self.busy_label.hide()
        bar.addWidget(self.busy_label)
        bar.addWidget(self.busy)
        bar.addWidget(self.provenance, 1)
        for w in (self.pace, self.step, self.speed, self.elapsed, self.fps):
            w.setObjectName("statusField")
            bar.addPermanentWidget(w)

    def set_progress(
        self,
        step: int,
        total: int,
        steps_per_second: float,
        samples_per_second: float,
        elapsed: float,
    ) -> None:
        """Show the run's progress (``step`` counts finished steps)."""
        self.step.setText(f"step {step:,} / {total:,}")
        self.speed.setText(
            f"{format_rate(steps_per_second)} steps/s · {format_rate(samples_per_second)} samples/s"
        )
        self.elapsed.setText(f"elapsed {format_seconds(elapsed)}")

    def show_run(self, steps_done: int, total: int) -> None:
        """Show a past run's place instead of the last live run's progress."""
        self.step.setText(f"step {steps_done:,} / {total:,}")
        self.speed.setText("")
        self.elapsed.setText("")

    def set_busy(self, text: str | None) -> None:
        """Show a busy bar with ``text`` (loading TensorFlow, a dataset ...); None hides it."""
        self.busy.setVisible(bool(text))
        self.busy_label.setVisible(bool(text))
        self.busy_label.setText(text or "")

    def set_fps(self, fps: float) -> None:
        """Show the window's redraw rate."""
        self.fps.setText(f"{fps:.0f} fps")

    def set_pace(self, text: str, tip: str = "") -> None:
        """Show the training pace (``"full speed"``, ``"pace 30 steps/s"``)."""
        self.pace.setText(text)
        self.pace.setToolTip(tip)

    def set_provenance(self, text: str) -> None:
        """Show the dataset's provenance line."""
        self.provenance.setText(text)
        self.provenance.setToolTip(text)

    def texts(self) -> dict[str, str]:
        """Every field's text, by name (for tests and the snapshot)."""
        return {
            "provenance": self.provenance.text(),
            "step": self.step.text(),
            "speed": self.speed.text(),
            "fps": self.fps.text(),
            "elapsed": self.elapsed.text(),
            "pace": self.pace.text(),
        }


class Banner(QFrame):
    """A coloured strip with a message, an optional action button and a close button."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        self.label = QLabel("", self)
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QToolButton(self)
        close.setText("✕")
        close.setAutoRaise(True)
        close.setToolTip("Hide this message")
        close.clicked.connect(self.hide)
        self.action = QPushButton("", self)
        self.action.hide()
        self.action.clicked.connect(self._act)
        self._action_slot: Callable[[], object] | None = None
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.action, 0, Qt.AlignmentFlag.AlignVCenter)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        self.hide()

    def show_message(
        self, text: str, kind: str = "error", action: tuple[str, Callable[[], object]] | None = None
    ) -> None:
        """Show ``text``; ``kind`` is ``"error"``, ``"warning"`` or ``"info"`` (the colour).

        ``action`` is a button's ``(label, slot)``: a click hides the banner and calls the slot.
        """
        self.setProperty("kind", kind)
        self.style().unpolish(self)
        self.style().polish(self)
        self.label.setText(text)
        self._action_slot = action[1] if action else None
        self.action.setText(action[0] if action else "")
        self.action.setVisible(action is not None)
        self.show()

    def _act(self) -> None:
        slot = self._action_slot
        self.hide()
        if slot is not None:
            slot()

    def text(self) -> str:
        """The message shown."""
        return self.label.text()


class ErrorDialog(QDialog):
    """A non-modal error message with the details (a traceback) folded away.

    Parameters
    ----------
    title:
        Window title.
    message:
        One clear sentence.
    details:
        Technical details, shown when the learner unfolds them.
    parent:
        Optional Qt parent.
    """

    def __init__(
        self, title: str, message: str, details: str = "", parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setModal(False)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.message = QLabel(message, self)
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.addWidget(self.message)
        self.details = QPlainTextEdit(details, self)
        self.details.setReadOnly(True)
        self.details.setMinimumHeight(180)
        if details:
            self.collapsible = Collapsible("Details", self)
            self.collapsible.addWidget(self.details)
            layout.addWidget(self.collapsible)
        else:
            self.details.hide()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.close)
        layout.addWidget(buttons)
        self.resize(560, 200)
