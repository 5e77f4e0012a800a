"""A read-only, monospace, size-capped log of the run, in the lesson's own words."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QPlainTextEdit, QVBoxLayout, QWidget

DEFAULT_MAX_LINES = 5000


class LogPanel(QWidget):
    """The training log: lines such as ``Minibatch loss at step 500: 1.23`` as they come.

    Keeps at most ``max_lines`` lines (the oldest go first) so a long run does not grow memory,
    and follows new lines unless the learner has scrolled up to read something.

    Parameters
    ----------
    parent:
        The parent widget.
    max_lines:
        Most lines kept.
    """

    def __init__(
        self, parent: QWidget | None = None, *, max_lines: int = DEFAULT_MAX_LINES
    ) -> None:
        super().__init__(parent)
        self.view = QPlainTextEdit(self)
        self.view.setReadOnly(True)
        self.view.setUndoRedoEnabled(False)
        self.view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.view.setMaximumBlockCount(max(1, int(max_lines)))
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setStyleHint(QFont.StyleHint.Monospace)
        font.setPointSizeF(max(font.pointSizeF(), self.font().pointSizeF()) * 1.1)
        self.view.setFont(font)
        self.view.document().setDocumentMargin(8)
        self.view.setPlaceholderText("The training log appears here when a run starts.")
        self.view.setToolTip(
            "What the trainer reports, as in the lesson notebooks. Select text to copy it."
        )
        self._follow = True  # stick to the newest line until the learner scrolls up
        self._adjusting = False
        bar = self.view.verticalScrollBar()
        bar.valueChanged.connect(self._value_changed)
        bar.rangeChanged.connect(self._range_changed)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view)

    @property
    def max_lines(self) -> int:
        """Most lines kept; older lines are dropped."""
        return self.view.maximumBlockCount()

    def append(self, line: str) -> None:
        """Add one line (a string with newlines adds several) at the end."""
        self.append_lines([line])

    def append_lines(self, lines: Iterable[str]) -> None:
        """Add several lines at once, with one scroll update."""
        lines = [str(s).rstrip("\n") for s in lines]
        if not lines:
            return
        self.view.appendPlainText("\n".join(lines))
        if self._follow:
            self._scroll_to_end()

    def follows_new_lines(self) -> bool:
        """True while the view sticks to the newest line (False once the learner scrolls up)."""
        return self._follow

    def _value_changed(self, value: int) -> None:
        if not self._adjusting:
            self._follow = value >= self.view.verticalScrollBar().maximum() - 2

    def _range_changed(self, _low: int, _high: int) -> None:
        if self._follow:
            self._scroll_to_end()

    def _scroll_to_end(self) -> None:
        bar = self.view.verticalScrollBar()
        self._adjusting = True
        try:
            bar.setValue(bar.maximum())
        finally:
            self._adjusting = False

    def clear(self) -> None:
        """Remove every line (and follow new lines again)."""
        self.view.clear()
        self._follow = True

    def text(self) -> str:
        """The whole log as one string, lines separated by newlines."""
        return self.view.toPlainText()

    def line_count(self) -> int:
        """Number of lines held (an empty log holds none)."""
        return self.view.blockCount() if self.text() else 0
