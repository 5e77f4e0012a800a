"""The drawing surface of the draw pad: thick dark round strokes on a white square image.

Mouse, pen/tablet and touch all end in :meth:`DrawCanvas.begin`, :meth:`DrawCanvas.extend` and
:meth:`DrawCanvas.finish`, so every input device draws the same strokes.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QImage,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QTabletEvent,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

CANVAS_SIZE = 280  # canvas coordinates: 10x the 28x28 the model sees
PEN_WIDTH = 22.0  # ~2.2 model pixels, like a handwritten MNIST stroke
INK = QColor(17, 17, 17)
PAPER = QColor(255, 255, 255)


class DrawCanvas(QWidget):
    """A square white canvas the learner draws on; the image stays ``CANVAS_SIZE`` pixels square.

    The widget scales the image to fit and maps pointer positions back to canvas coordinates,
    so :meth:`draw_stroke` and :meth:`array` do not depend on the window size.

    Signals
    -------
    stroke_moved()
        The current stroke grew (emitted for every pointer move while drawing).
    stroke_finished()
        The pen, finger or mouse button was lifted.
    """

    stroke_moved = Signal()
    stroke_finished = Signal()

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        size: int = CANVAS_SIZE,
        pen_width: float = PEN_WIDTH,
    ) -> None:
        super().__init__(parent)
        self._image = QImage(size, size, QImage.Format.Format_Grayscale8)
        self._image.fill(PAPER)
        self._pen = QPen(
            INK,
            pen_width,
            Qt.PenStyle.SolidLine,
            Qt.PenCapStyle.RoundCap,
            Qt.PenJoinStyle.RoundJoin,
        )
        self._last: QPointF | None = None
        self._blank = True
        self.strokes: list[list[tuple[float, float]]] = []  # since the last clear, as drawn
        self.placeholder = "Draw here"
        self.setAttribute(Qt.WidgetAttribute.WA_AcceptTouchEvents, True)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(160, 160)
        self.setToolTip("Draw with the mouse, a pen or a finger. Esc or Delete clears.")

    # ------------------------------------------------------------------ data
    def array(self) -> np.ndarray:
        """The canvas as an ``(H, W)`` uint8 array: 255 = white paper, dark = ink."""
        img = self._image
        buf = np.frombuffer(img.constBits(), np.uint8, count=img.sizeInBytes())
        return buf.reshape(img.height(), img.bytesPerLine())[:, : img.width()].copy()

    def is_blank(self) -> bool:
        """True until something is drawn after the last :meth:`clear`."""
        return self._blank

    def clear(self) -> None:
        """Wipe the canvas to white."""
        self._image.fill(PAPER)
        self._last = None
        self._blank = True
        self.strokes = []
        self.update()

    def canvas_size(self) -> int:
        """Side of the square canvas, in canvas coordinates."""
        return self._image.width()

    # --------------------------------------------------------------- strokes
    def begin(self, point: QPointF) -> None:
        """Start a stroke at ``point`` (canvas coordinates) with a round dot."""
        self._last = QPointF(point)
        self.strokes.append([(round(point.x(), 1), round(point.y(), 1))])
        self._paint_segment(self._last, self._last)
        self.stroke_moved.emit()

    def extend(self, point: QPointF) -> None:
        """Continue the current stroke to ``point`` (starts one if none is under way)."""
        if self._last is None:
            self.begin(point)
            return
        self._paint_segment(self._last, QPointF(point))
        self._last = QPointF(point)
        self.strokes[-1].append((round(point.x(), 1), round(point.y(), 1)))
        self.stroke_moved.emit()

    def finish(self) -> None:
        """End the current stroke."""
        if self._last is None:
            return
        self._last = None
        self.stroke_finished.emit()

    def draw_stroke(self, points: Sequence[tuple[float, float]]) -> None:
        """Draw one whole stroke through ``points`` given in canvas coordinates."""
        pts = [QPointF(float(x), float(y)) for x, y in points]
        if not pts:
            return
        self.begin(pts[0])
        for p in pts[1:]:
            self.extend(p)
        self.finish()

    def _paint_segment(self, a: QPointF, b: QPointF) -> None:
        p = QPainter(self._image)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        p.setPen(self._pen)
        if a == b:
            p.drawPoint(a)
        else:
            p.drawLine(a, b)
        p.end()
        self._blank = False
        self.update()

    # -------------------------------------------------------------- geometry
    def target_rect(self) -> QRect:
        """Where the canvas image is painted inside the widget (a centred square)."""
        side = max(1, min(self.width(), self.height()) - 2)
        return QRect((self.width() - side) // 2, (self.height() - side) // 2, side, side)

    def to_canvas(self, pos: QPointF) -> QPointF:
        """Map a widget position to canvas coordinates."""
        r = self.target_rect()
        scale = self._image.width() / r.width()
        return QPointF((pos.x() - r.left()) * scale, (pos.y() - r.top()) * scale)

    def sizeHint(self) -> QSize:
        """A comfortable square for a projector."""
        return QSize(300, 300)

    def hasHeightForWidth(self) -> bool:
        """The canvas is square."""
        return True

    def heightForWidth(self, width: int) -> int:
        """Square: height = width."""
        return width

    # -------------------------------------------------------------- painting
    def paintEvent(self, event: QPaintEvent) -> None:
        """Paint the canvas image scaled into its square, with a frame and a placeholder."""
        p = QPainter(self)
        p.fillRect(self.rect(), self.palette().window())
        r = self.target_rect()
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        p.drawImage(r, self._image)
        if self._blank and self.placeholder:
            font = p.font()
            font.setPointSizeF(font.pointSizeF() * 1.3)
            p.setFont(font)
            p.setPen(QColor("#9a9a9a"))
            p.drawText(
                QRectF(r).adjusted(10, 10, -10, -10),
                Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                self.placeholder,
            )
        frame = QColor("#2f6db5") if self.hasFocus() else QColor("#8c8c8c")
        p.setPen(QPen(frame, 2))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRect(r.adjusted(0, 0, -1, -1))
        p.end()

    # ----------------------------------------------------------------- input
    def mousePressEvent(self, event: QMouseEvent) -> None:
        """Left button starts a stroke."""
        if event.button() == Qt.MouseButton.LeftButton:
            self.begin(self.to_canvas(event.position()))
            event.accept()
        else:
            super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        """Moving with the left button held extends the stroke."""
        if self._last is not None and event.buttons() & Qt.MouseButton.LeftButton:
            self.extend(self.to_canvas(event.position()))
            event.accept()
        else:
            super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        """Releasing the left button ends the stroke."""
        if event.button() == Qt.MouseButton.LeftButton:
            self.finish()
            event.accept()
        else:
            super().mouseReleaseEvent(event)

    def tabletEvent(self, event: QTabletEvent) -> None:
        """A pen on a tablet draws like the mouse (accepted, so no mouse event is synthesized)."""
        kind = event.type()
        pos = self.to_canvas(event.position())
        if kind == QEvent.Type.TabletPress:
            self.begin(pos)
        elif kind == QEvent.Type.TabletMove and self._last is not None:
            self.extend(pos)
        elif kind == QEvent.Type.TabletRelease:
            self.finish()
        event.accept()

    def event(self, event: QEvent) -> bool:
        """Touch: the first finger draws."""
        kind = event.type()
        if kind in (QEvent.Type.TouchBegin, QEvent.Type.TouchUpdate, QEvent.Type.TouchEnd):
            points = event.points()
            if points:
                pos = self.to_canvas(points[0].position())
                if kind == QEvent.Type.TouchBegin:
                    self.begin(pos)
                elif kind == QEvent.Type.TouchUpdate:
                    self.extend(pos)
                else:
                    self.extend(pos)
                    self.finish()
            elif kind == QEvent.Type.TouchEnd:
                self.finish()
            event.accept()
            return True
        if kind == QEvent.Type.TouchCancel:
            self.finish()
            event.accept()
            return True
        return super().event(event)
