"""The confusion matrix as a painted heat map: counts in cells, colour by share of the row."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import QEvent, QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

CORRECT = QColor("#2166ac")  # diagonal: right answers, blue
WRONG = QColor("#c0392b")  # off the diagonal: mistakes, red
EMPTY = QColor("#f4f4f4")
HOW_TO_READ = (
    "Rows are the TRUE class, columns the class the model PREDICTED. The diagonal "
    "counts right answers (blue); every other cell is a mistake (red, darker = more "
    "of that row). Click a cell to see its images."
)


def _mix(colour: QColor, t: float) -> QColor:
    """White blended towards ``colour`` by ``t`` in 0..1."""
    t = float(np.clip(t, 0.0, 1.0))
    return QColor(
        round(255 + (colour.red() - 255) * t),
        round(255 + (colour.green() - 255) * t),
        round(255 + (colour.blue() - 255) * t),
    )


def readable_text_colour(background: QColor) -> QColor:
    """Black or white, whichever reads better on ``background`` (WCAG relative luminance)."""

    def lin(c: float) -> float:
        c /= 255.0
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    lum = (
        0.2126 * lin(background.red())
        + 0.7152 * lin(background.green())
        + 0.0722 * lin(background.blue())
    )
    # contrast with white (1.05 / (lum + 0.05)) vs with black ((lum + 0.05) / 0.05)
    return QColor("#ffffff") if 1.05 / (lum + 0.05) > (lum + 0.05) / 0.05 else QColor("#000000")


class ConfusionHeatmap(QWidget):
    """A painted heat map of a confusion matrix with the count in every cell.

    Cell colour shows the share of the row (the true class): blue on the diagonal, red off it.

    Signals
    -------
    cell_clicked(int, int)
        ``(true, predicted)`` of the cell the user clicked.
    """

    cell_clicked = Signal(int, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._matrix = np.zeros((0, 0), np.int64)
        self._names: tuple[str, ...] = ()
        self._selected: tuple[int, int] | None = None
        self.correct, self.wrong = CORRECT, WRONG
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(260, 260)
        self.setToolTip(HOW_TO_READ)

    # ------------------------------------------------------------------ data
    def set_matrix(self, matrix: np.ndarray, class_names: Sequence[str]) -> None:
        """Show ``matrix`` (rows = true class, columns = predicted) labelled with the names."""
        m = np.asarray(matrix)
        if m.ndim != 2 or m.shape[0] != m.shape[1]:
            raise ValueError(f"a confusion matrix must be square, got shape {m.shape}")
        self._matrix = m.astype(np.int64)
        names = tuple(str(n) for n in class_names)
        self._names = names if len(names) == m.shape[0] else tuple(str(i) for i in range(len(m)))
        if self._selected and max(self._selected) >= len(m):
            self._selected = None
        self.update()

    def matrix(self) -> np.ndarray:
        """The matrix shown."""
        return self._matrix.copy()

    def set_selected(self, cell: tuple[int, int] | None) -> None:
        """Outline ``cell`` (or nothing)."""
        self._selected = cell
        self.update()

    def row_fraction(self, i: int, j: int) -> float:
        """Share of true class ``i`` predicted as ``j`` (0 when the row is empty)."""
        total = self._matrix[i].sum()
        return float(self._matrix[i, j] / total) if total else 0.0

    def cell_colour(self, i: int, j: int) -> QColor:
        """Background of cell ``(i, j)``."""
        if self._matrix[i, j] == 0:
            return EMPTY
        f = self.row_fraction(i, j)
        if i == j:
            return _mix(self.correct, 0.15 + 0.85 * f)
        return _mix(self.wrong, 0.12 + 0.88 * min(1.0, np.sqrt(f / 0.3)))

    def set_colours(self, correct: QColor, wrong: QColor) -> None:
        """The colours of right answers (the diagonal) and of mistakes."""
        self.correct, self.wrong = QColor(correct), QColor(wrong)
        self.update()

    def text_colour(self, i: int, j: int) -> QColor:
        """Colour of the count in cell ``(i, j)``: readable on its background."""
        if self._matrix[i, j] == 0:
            return QColor("#666666")
        return readable_text_colour(self.cell_colour(i, j))

    # -------------------------------------------------------------- geometry
    def _fonts(self) -> tuple[QFont, QFont]:
        label = QFont(self.font())
        label.setBold(True)
        label.setPointSizeF(label.pointSizeF() * 1.35)
        title = QFont(self.font())
        title.setItalic(True)
        return label, title

    def _grid_rect(self) -> QRect:
        n = max(1, len(self._matrix))
        label, title = self._fonts()
        fm_l, fm_t = QFontMetrics(label), QFontMetrics(title)
        name_w = max([fm_l.horizontalAdvance(s) for s in self._names] or [0])
        left = fm_t.height() + 10 + name_w + 8
        top = fm_t.height() + 6 + fm_l.height() + 6
        side = max(8, min((self.width() - left - 6) // n, (self.height() - top - 6) // n))
        return QRect(left, top, side * n, side * n)

    def cell_rect(self, i: int, j: int) -> QRect:
        """Rectangle of cell ``(true i, predicted j)`` in widget coordinates."""
        g = self._grid_rect()
        side = g.width() // max(1, len(self._matrix))
        return QRect(g.left() + j * side, g.top() + i * side, side, side)

    def cell_at(self, pos: QPoint) -> tuple[int, int] | None:
        """``(true, predicted)`` of the cell under ``pos``, or None."""
        n = len(self._matrix)
        g = self._grid_rect()
        if not n or not g.contains(pos):
            return None
        side = g.width() // n
        i, j = (pos.y() - g.top()) // side, (pos.x() - g.left()) // side
        return (int(i), int(j)) if 0 <= i < n and 0 <= j < n else None

    def sizeHint(self) -> QSize:
        """Room for 10 classes of comfortable cells."""
        return QSize(560, 560)

    # -------------------------------------------------------------- painting
    def paintEvent(self, event: QPaintEvent) -> None:
        """Paint the cells, their counts, the class names and the axis titles."""
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        n = len(self._matrix)
        if not n:
            p.setPen(QColor("#606060"))
            p.drawText(
                self.rect(),
                Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                "The confusion matrix appears after the first evaluation.",
            )
            p.end()
            return
        g = self._grid_rect()
        side = g.width() // n
        label, title = self._fonts()
        fm_t = QFontMetrics(title)
        count_font = self._count_font(side)
        for i in range(n):
            for j in range(n):
                r = self.cell_rect(i, j)
                p.fillRect(r, self.cell_colour(i, j))
                count_font.setBold(i == j)
                p.setFont(count_font)
                p.setPen(self.text_colour(i, j))
                p.drawText(r, Qt.AlignmentFlag.AlignCenter, f"{self._matrix[i, j]:,}")
        p.setPen(QPen(QColor("#c8c8c8"), 1))
        for k in range(n + 1):
            p.drawLine(g.left(), g.top() + k * side, g.right(), g.top() + k * side)
            p.drawLine(g.left() + k * side, g.top(), g.left() + k * side, g.bottom())
        # class names on both axes
        p.setFont(label)
        p.setPen(QColor("#202020"))
        fm_l = QFontMetrics(label)
        for k, name in enumerate(self._names):
            p.drawText(
                QRect(g.left() + k * side, g.top() - fm_l.height() - 4, side, fm_l.height()),
                Qt.AlignmentFlag.AlignCenter,
                name,
            )
            p.drawText(
                QRect(0, g.top() + k * side, g.left() - 8, side),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                name,
            )
        # axis titles
        p.setFont(title)
        p.setPen(QColor("#404040"))
        p.drawText(
            QRect(g.left(), 0, g.width(), fm_t.height() + 2),
            Qt.AlignmentFlag.AlignCenter,
            "predicted class →",
        )
        p.save()
        p.translate(2, g.center().y())
        p.rotate(-90)
        p.drawText(
            QRect(-g.height() // 2, 0, g.height(), fm_t.height() + 2),
            Qt.AlignmentFlag.AlignCenter,
            "← true class",
        )
        p.restore()
        if self._selected is not None:
            p.setPen(QPen(QColor("#111111"), 3))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRect(self.cell_rect(*self._selected).adjusted(1, 1, -2, -2))
        p.end()

    def _count_font(self, side: int) -> QFont:
        font = QFont(self.font())
        widest = f"{int(self._matrix.max()):,}" if self._matrix.size else "0"
        px = max(7, min(int(side * 0.34), 26))
        while px > 7:
            font.setPixelSize(px)
            font.setBold(True)
            if QFontMetrics(font).horizontalAdvance(widest) <= side - 6:
                break
            px -= 1
        font.setPixelSize(px)
        return font

    # ------------------------------------------------------------ interaction
    def cell_tooltip(self, i: int, j: int) -> str:
        """What cell ``(i, j)`` means, in words."""
        t, pr = self._names[i], self._names[j]
        count = int(self._matrix[i, j])
        share = f"{self.row_fraction(i, j):.1%} of the true {t} images"
        images = "image" if count == 1 else "images"
        if i == j:
            what = f"True {t}, predicted {pr}: {count:,} {images} ({share}), right."
        else:
            what = (
                f"True {t}, predicted {pr}: {count:,} {images} ({share}) that the "
                f"model mistook for {pr}."
            )
        return f"{what}\nRow = true class, column = predicted class. Click to see them."

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        """A left click on a cell emits :attr:`cell_clicked`."""
        if event.button() == Qt.MouseButton.LeftButton:
            cell = self.cell_at(event.position().toPoint())
            if cell is not None:
                self.cell_clicked.emit(*cell)
        super().mouseReleaseEvent(event)

    def event(self, event: QEvent) -> bool:
        """Per-cell tooltips; the how-to-read tooltip elsewhere."""
        if event.type() == QEvent.Type.ToolTip:
            cell = self.cell_at(event.pos())
            text = self.cell_tooltip(*cell) if cell is not None else HOW_TO_READ
            QToolTip.showText(event.globalPos(), text, self)
            return True
        return super().event(event)
