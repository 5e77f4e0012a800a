"""The draw pad: the learner draws, the model answers live with ten probabilities.

:class:`DrawCanvas` is the drawing surface (thick dark round strokes on a white square image;
mouse, pen/tablet and touch all end in :meth:`DrawCanvas.begin`, :meth:`DrawCanvas.extend` and
:meth:`DrawCanvas.finish`). :class:`DrawPad` is the panel: canvas, Clear button, the predicted
class in large type, the 28x28 image the model saw and a bar chart of the probabilities.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QPointF, QRect, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPixmap,
    QTabletEvent,
)
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from gui.panels.image_grid import to_qimage

# fn(canvas (H, W) uint8) -> object with .probabilities (C,), .seen (28, 28) uint8, .predicted
Classifier = Callable[[np.ndarray], Any]

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
        self.update()

    def canvas_size(self) -> int:
        """Side of the square canvas, in canvas coordinates."""
        return self._image.width()

    # --------------------------------------------------------------- strokes
    def begin(self, point: QPointF) -> None:
        """Start a stroke at ``point`` (canvas coordinates) with a round dot."""
        self._last = QPointF(point)
        self._paint_segment(self._last, self._last)
        self.stroke_moved.emit()

    def extend(self, point: QPointF) -> None:
        """Continue the current stroke to ``point`` (starts one if none is under way)."""
        if self._last is None:
            self.begin(point)
            return
        self._paint_segment(self._last, QPointF(point))
        self._last = QPointF(point)
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


BAR_COLOUR = "#8fb3d9"
TOP_BAR_COLOUR = "#e4572e"
NO_MODEL_HINT = "Train a model or load one to see what it thinks."
SEEN_PX = 112  # the 28x28 image, shown 4x


def _kind_word(class_names: Sequence[str]) -> str:
    """The word for one class: digit (0-9), letter (A-J) or character."""
    if class_names and all(n.isdigit() for n in class_names):
        return "digit"
    if class_names and all(n.isalpha() for n in class_names):
        return "letter"
    return "character"


class DrawPad(QWidget):
    """Draw a character and watch the model's ten probabilities change as you draw.

    Classification is debounced while drawing (:attr:`DEBOUNCE_MS` after the last move) and
    runs once more when the stroke ends. A classifier that raises shows its message in the
    panel; the panel itself never raises.

    Signals
    -------
    predicted(object)
        The prediction object, after each successful classification.
    """

    predicted = Signal(object)
    DEBOUNCE_MS = 70

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._classifier: Classifier | None = None
        self._class_names: tuple[str, ...] = tuple(str(i) for i in range(10))
        self._last: Any = None

        self.canvas = DrawCanvas(self)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(self.DEBOUNCE_MS)
        self._timer.timeout.connect(self.classify_now)
        self.canvas.stroke_moved.connect(self._timer.start)
        self.canvas.stroke_finished.connect(self._stroke_finished)

        self.clear_button = QPushButton("Clear", self)
        self.clear_button.setToolTip("Wipe the canvas (Esc, Delete or Backspace)")
        self.clear_button.clicked.connect(self.clear)

        self.answer_label = QLabel("?", self)
        font = self.answer_label.font()
        font.setPointSizeF(max(40.0, font.pointSizeF() * 4.5))
        font.setBold(True)
        self.answer_label.setFont(font)
        self.answer_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.answer_label.setToolTip("The class the model thinks you drew")
        self.confidence_label = QLabel("", self)
        font = self.confidence_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        self.confidence_label.setFont(font)
        self.confidence_label.setAlignment(Qt.AlignmentFlag.AlignCenter)

        self.seen_label = QLabel(self)
        self.seen_label.setFixedSize(SEEN_PX + 4, SEEN_PX + 4)
        self.seen_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.seen_label.setStyleSheet("background: black; border: 2px solid #8c8c8c;")
        self.seen_label.setToolTip(
            "Your drawing as the model receives it: cropped, centred and shrunk to 28x28 "
            "pixels, white = ink, like the training images."
        )
        seen_caption = QLabel("What the model sees\n(28 × 28 pixels)", self)
        seen_caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        seen_caption.setStyleSheet("color: #505050;")

        self.status_label = QLabel(NO_MODEL_HINT, self)
        self.status_label.setWordWrap(True)
        self.status_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.status_label.setMinimumHeight(self.status_label.fontMetrics().height() * 2 + 4)

        self.plot = pg.PlotWidget(self, background="w")
        self.plot.setMinimumHeight(150)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.setMenuEnabled(False)
        item = self.plot.getPlotItem()
        item.setYRange(-0.03, 1.2, padding=0)
        item.setXRange(-0.6, 9.6, padding=0)
        item.showGrid(x=False, y=True, alpha=0.25)
        item.setLabel("left", "probability")
        for name in ("left", "bottom"):
            axis = item.getAxis(name)
            axis.setPen(pg.mkPen("#404040"))
            axis.setTextPen(pg.mkPen("#202020"))
        item.getAxis("left").setTicks([[(0.0, "0"), (0.5, "0.5"), (1.0, "1")]])
        self.bars = pg.BarGraphItem(
            x=np.arange(10),
            height=np.zeros(10),
            width=0.72,
            brush=BAR_COLOUR,
            pen=pg.mkPen("#5a7fa8"),
        )
        item.addItem(self.bars)
        self.top_text = pg.TextItem("", color="#202020", anchor=(0.5, 1.0))
        font = self.font()
        font.setBold(True)
        self.top_text.setFont(font)
        item.addItem(self.top_text)
        self.plot.setToolTip(
            "The model's probability for every class. They add up to 1; the tallest bar "
            "(highlighted) is the model's answer."
        )

        right = QVBoxLayout()
        right.setSpacing(6)
        right.addWidget(self.answer_label)
        right.addWidget(self.confidence_label)
        right.addStretch(1)
        right.addWidget(self.seen_label, 0, Qt.AlignmentFlag.AlignHCenter)
        right.addWidget(seen_caption)
        right.addStretch(1)
        right.addWidget(self.clear_button)

        top = QHBoxLayout()
        top.setSpacing(12)
        top.addWidget(self.canvas, 3)
        top.addLayout(right, 1)

        layout = QGridLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setVerticalSpacing(8)
        layout.addLayout(top, 0, 0)
        layout.addWidget(self.status_label, 1, 0)
        layout.addWidget(self.plot, 2, 0)
        layout.setRowStretch(0, 3)
        layout.setRowStretch(2, 2)

        self._apply_class_names()
        self._show_empty()

    # ------------------------------------------------------------------ API
    def set_classifier(self, fn: Classifier | None, class_names: Sequence[str] = ()) -> None:
        """Use ``fn`` to classify the canvas (None: no model yet, show a hint).

        Parameters
        ----------
        fn:
            Takes the canvas as an ``(H, W)`` uint8 grayscale array (white paper, dark ink) and
            returns an object with ``.probabilities`` (one per class, summing to 1), ``.seen``
            (the 28x28 uint8 image the model saw, 255 = ink) and ``.predicted`` (an int), such
            as ``core.inference.Prediction``.
        class_names:
            Names of the classes, in the order of the probabilities.
        """
        self._classifier = fn
        if class_names:
            self._class_names = tuple(str(n) for n in class_names)
        self._apply_class_names()
        if fn is not None and not self.canvas.is_blank():
            self.classify_now()
        else:
            self._show_empty()

    def class_names(self) -> tuple[str, ...]:
        """The class names the bar chart is labelled with."""
        return self._class_names

    def canvas_array(self) -> np.ndarray:
        """The canvas as an ``(H, W)`` uint8 array: 255 = white paper, dark = ink."""
        return self.canvas.array()

    def clear(self) -> None:
        """Wipe the canvas and the model's answer."""
        self._timer.stop()
        self.canvas.clear()
        self._show_empty()

    def draw_stroke(self, points: Sequence[tuple[float, float]]) -> None:
        """Draw one stroke through ``points`` (canvas coordinates, 0..``CANVAS_SIZE``).

        The stroke ends like a real one, so the drawing is classified once, right away.
        """
        self.canvas.draw_stroke(points)

    def last_prediction(self) -> Any:
        """The last successful prediction, or None."""
        return self._last

    def bar_heights(self) -> np.ndarray:
        """Heights of the ten bars as drawn (the probabilities shown)."""
        return np.asarray(self.bars.opts["height"], dtype=float).copy()

    def highlighted_bar(self) -> int:
        """Index of the highlighted (tallest) bar, or -1 when none is highlighted."""
        brushes = self.bars.opts.get("brushes")
        if not brushes:
            return -1
        top = QColor(TOP_BAR_COLOUR)
        for i, b in enumerate(brushes):
            if pg.mkBrush(b).color() == top:
                return i
        return -1

    def classify_now(self) -> Any:
        """Classify the canvas now and update the view; returns the prediction or None."""
        self._timer.stop()
        if self._classifier is None or self.canvas.is_blank():
            self._show_empty()
            return None
        try:
            pred = self._classifier(self.canvas_array())
            probs = np.asarray(pred.probabilities, dtype=float).ravel()
            seen = np.asarray(pred.seen)
            predicted = int(pred.predicted)
            if probs.size != len(self._class_names):
                raise ValueError(f"{probs.size} probabilities for {len(self._class_names)} classes")
        except Exception as exc:
            self._show_error(exc)
            return None
        self._last = pred
        self._show_prediction(probs, seen, predicted)
        self.predicted.emit(pred)
        return pred

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Esc or Delete clears the canvas while the pad (or its canvas) has the focus."""
        if event.key() in (Qt.Key.Key_Escape, Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.clear()
            event.accept()
            return
        super().keyPressEvent(event)

    # -------------------------------------------------------------- display
    def _stroke_finished(self) -> None:
        self.classify_now()

    def _apply_class_names(self) -> None:
        n = len(self._class_names)
        item = self.plot.getPlotItem()
        item.setXRange(-0.6, n - 0.4, padding=0)
        axis = item.getAxis("bottom")
        axis.setTicks([[(i, name) for i, name in enumerate(self._class_names)]])
        font = self.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        axis.setStyle(tickFont=font)
        self.canvas.placeholder = f"Draw a {_kind_word(self._class_names)} here"
        self.canvas.update()

    def _set_bars(self, heights: np.ndarray, top: int) -> None:
        brushes = [TOP_BAR_COLOUR if i == top else BAR_COLOUR for i in range(len(heights))]
        self.bars.setOpts(
            x=np.arange(len(heights)), height=np.asarray(heights, float), brushes=brushes
        )
        if top >= 0:
            self.top_text.setText(f"{heights[top]:.0%}")
            self.top_text.setPos(top, float(heights[top]) + 0.01)
        else:
            self.top_text.setText("")

    def _show_empty(self) -> None:
        n = len(self._class_names)
        self._set_bars(np.zeros(n), -1)
        self.answer_label.setText("?")
        self.confidence_label.setText("")
        self.seen_label.clear()
        self._last = None
        if self._classifier is None:
            self._set_status(NO_MODEL_HINT)
        else:
            self._set_status(
                f"Draw a {_kind_word(self._class_names)} and watch the "
                "model's probabilities change."
            )

    def _show_prediction(self, probs: np.ndarray, seen: np.ndarray, predicted: int) -> None:
        self._set_bars(probs, int(np.argmax(probs)))
        name = (
            self._class_names[predicted]
            if 0 <= predicted < len(self._class_names)
            else str(predicted)
        )
        self.answer_label.setText(name)
        p = float(probs[predicted]) if 0 <= predicted < probs.size else float("nan")
        self.confidence_label.setText(f"{p:.0%} sure")
        if seen.ndim == 2 and seen.size:
            pix = QPixmap.fromImage(to_qimage(seen)).scaled(
                SEEN_PX,
                SEEN_PX,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.FastTransformation,
            )
            self.seen_label.setPixmap(pix)
        self._set_status(f"The model says {name}. Keep drawing or press Clear.")

    def _show_error(self, exc: BaseException) -> None:
        self._set_bars(np.zeros(len(self._class_names)), -1)
        self.answer_label.setText("!")
        self.confidence_label.setText("")
        self.seen_label.clear()
        self._last = None
        message = str(exc) or type(exc).__name__
        self._set_status(f"The model could not classify this drawing: {message}", error=True)

    def _set_status(self, text: str, *, error: bool = False) -> None:
        self.status_label.setText(text)
        self.status_label.setStyleSheet(
            "color: #b00020; font-weight: bold;" if error else "color: #404040;"
        )

    def status_text(self) -> str:
        """The hint, answer or error line under the canvas."""
        return self.status_label.text()
