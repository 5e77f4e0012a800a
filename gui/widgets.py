"""Two small widgets Qt lacks: a label that elides its text, and a section that folds away."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QToolButton, QVBoxLayout, QWidget


class ElidingLabel(QLabel):
    """A one-line label that shows ``...`` where its text does not fit (``text()`` is whole)."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = ""
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setText(text)

    def setText(self, text: str) -> None:
        """Show ``text``, elided to the label's width."""
        self._full = text
        self._elide()

    def text(self) -> str:
        """The whole text, not the elided one shown."""
        return self._full

    def minimumSizeHint(self) -> QSize:
        """As narrow as its minimum width: the text never forces the layout wider."""
        hint = super().minimumSizeHint()
        return QSize(self.minimumWidth(), hint.height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Elide again for the new width."""
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        shown = self.fontMetrics().elidedText(
            self._full, Qt.TextElideMode.ElideRight, max(self.width(), 1)
        )
        super().setText(shown)


class Collapsible(QWidget):
    """A titled section whose content stays folded away until the learner clicks the title.

    Parameters
    ----------
    title:
        Text of the toggle button.
    parent:
        Optional Qt parent.
    """

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.toggle = QToolButton(self)
        self.toggle.setText(title)
        self.toggle.setCheckable(True)
        self.toggle.setAutoRaise(True)
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.toggle.setToolTip(f"Show or hide the {title.lower()}")
        self.toggle.toggled.connect(self._set_expanded)
        self.content = QWidget(self)
        self.content.hide()
        self._content_layout = QVBoxLayout(self.content)
        self._content_layout.setContentsMargins(0, 0, 0, 0)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.toggle, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.content)

    def addWidget(self, widget: QWidget) -> None:
        """Put ``widget`` in the folded content."""
        self._content_layout.addWidget(widget)

    def isExpanded(self) -> bool:
        """Whether the content shows."""
        return self.toggle.isChecked()

    def expand(self) -> None:
        """Unfold the content."""
        self.toggle.setChecked(True)

    def collapse(self) -> None:
        """Fold the content away."""
        self.toggle.setChecked(False)

    def _set_expanded(self, expanded: bool) -> None:
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if expanded else Qt.ArrowType.RightArrow)
        self.content.setVisible(expanded)
