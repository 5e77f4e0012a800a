"""A coloured outline drawn over a panel: where the lesson wants the learner to look."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QWidget

COLOUR = QColor("#E69F00")  # Okabe-Ito orange: stands out for colour-blind viewers too
WIDTH = 4


class PanelOutline(QWidget):
    """A frame painted over ``target`` (a child of it, covering it, blind to the mouse).

    Parameters
    ----------
    target:
        The panel to outline; the frame follows its size.
    """

    def __init__(self, target: QWidget) -> None:
        super().__init__(target)
        self.target = target
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        target.installEventFilter(self)
        self.setGeometry(target.rect())
        self.hide()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Follow the target's size."""
        if watched is self.target and event.type() == QEvent.Type.Resize:
            self.setGeometry(self.target.rect())
        return False

    def set_shown(self, shown: bool) -> None:
        """Show the outline above the target's own children, or hide it."""
        if shown:
            self.setGeometry(self.target.rect())
            self.raise_()
        self.setVisible(shown)

    def paintEvent(self, _event: QPaintEvent) -> None:
        """Draw the frame."""
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pen = QPen(COLOUR, WIDTH)
        painter.setPen(pen)
        half = WIDTH / 2
        painter.drawRoundedRect(QRectF(self.rect()).adjusted(half, half, -half, -half), 6, 6)
