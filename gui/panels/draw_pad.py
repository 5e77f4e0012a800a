"""The draw pad: the learner draws, the model answers live with ten probabilities.

:class:`DrawPad` is the panel: the drawing surface (:class:`~gui.panels.draw_canvas.DrawCanvas`),
a Clear button, the predicted class in large type, the 28x28 image the model saw and a bar chart
of the probabilities (:class:`~gui.panels.probability_chart.ProbabilityChart`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QPixmap
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from gui.panels.draw_canvas import CANVAS_SIZE, DrawCanvas
from gui.panels.image_grid import to_qimage
from gui.panels.probability_chart import ProbabilityChart
from gui.panels.why_view import WhyView

__all__ = ["CANVAS_SIZE", "NO_MODEL_HINT", "Classifier", "DrawPad"]  # CANVAS_SIZE: tests

# fn(canvas (H, W) uint8) -> object with .probabilities (C,), .seen (28, 28) uint8, .predicted
Classifier = Callable[[np.ndarray], Any]

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
    keep_requested = Signal()
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
        self.keep_button = QPushButton("Keep as…", self)
        self.keep_button.setToolTip(
            "Keep this drawing, with the label you confirm, in your own test set "
            "(the My drawings tab): see how the model does on your handwriting"
        )
        self.keep_button.setEnabled(False)
        self.keep_button.clicked.connect(self.keep_requested)

        self.answer_label = QLabel("?", self)
        self.answer_label.setObjectName("padAnswer")  # projector mode sizes it by name
        font = self.answer_label.font()
        font.setPointSizeF(max(40.0, font.pointSizeF() * 4.5))
        font.setBold(True)
        self.answer_label.setFont(font)
        self.answer_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.answer_label.setToolTip("The class the model thinks you drew")
        self.confidence_label = QLabel("", self)
        self.confidence_label.setObjectName("padConfidence")
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
        self.seen_caption = seen_caption = QLabel("What the model sees\n(28 × 28 pixels)", self)
        seen_caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        seen_caption.setStyleSheet("color: #505050;")

        self.status_label = QLabel(NO_MODEL_HINT, self)
        self.status_label.setWordWrap(True)
        self.status_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.status_label.setMinimumHeight(self.status_label.fontMetrics().height() * 2 + 4)

        self.plot = ProbabilityChart(self)
        self.bars = self.plot.bars
        self.top_text = self.plot.top_text

        right = QVBoxLayout()
        right.setSpacing(6)
        right.addWidget(self.answer_label)
        right.addWidget(self.confidence_label)
        right.addStretch(1)
        right.addWidget(self.seen_label, 0, Qt.AlignmentFlag.AlignHCenter)
        right.addWidget(seen_caption)
        self.why = WhyView(self)
        right.addWidget(self.why.toggle, 0, Qt.AlignmentFlag.AlignHCenter)
        right.addStretch(1)

        top = QHBoxLayout()
        top.setSpacing(12)
        top.addWidget(self.canvas, 3)
        top.addLayout(right, 1)

        layout = QGridLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setVerticalSpacing(8)
        layout.addLayout(top, 0, 0)
        status_row = QHBoxLayout()
        status_row.setSpacing(6)
        status_row.addWidget(self.status_label, 1)
        status_row.addWidget(self.keep_button)
        status_row.addWidget(self.clear_button)
        layout.addLayout(status_row, 1, 0)
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
        return self.plot.heights()

    def highlighted_bar(self) -> int:
        """Index of the highlighted (tallest) bar, or -1 when none is highlighted."""
        return self.plot.highlighted()

    @property
    def has_drawing(self) -> bool:
        """True while something is drawn on the canvas (since the last :meth:`clear`)."""
        return not self.canvas.is_blank()

    def reclassify(self) -> Any:
        """Classify the drawing on the pad again, with the classifier given last.

        For a model that keeps learning: the window calls this after an evaluation or a
        weight snapshot, so the answer follows the weights while the drawing stays. With
        nothing drawn or no classifier, nothing is computed and the view is left as it is.

        Returns
        -------
        object or None
            The new prediction, or None (nothing to classify, or the classifier failed: its
            message is shown in the panel).
        """
        if self._classifier is None or not self.has_drawing:
            return None
        return self.classify_now()

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
        self.plot.set_class_names(self._class_names)
        self.canvas.placeholder = f"Draw a {_kind_word(self._class_names)} here"
        self.canvas.update()

    def _set_bars(self, heights: np.ndarray, top: int) -> None:
        self.plot.set_bars(heights, top)

    def _show_empty(self) -> None:
        self.keep_button.setEnabled(False)
        self._last = None
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
        self.keep_button.setEnabled(True)
        self._set_bars(probs, int(np.argmax(probs)))
        name = (
            self._class_names[predicted]
            if 0 <= predicted < len(self._class_names)
            else str(predicted)
        )
        self.answer_label.setText(name)
        p = float(probs[predicted]) if 0 <= predicted < probs.size else float("nan")
        self.confidence_label.setText(f"{p:.0%} sure")
        self.show_seen(seen)
        self._set_status(f"The model says {name}. Keep drawing or press Clear.")

    def show_seen(self, seen: np.ndarray) -> None:
        """Show the 28x28 image the model saw (255 = ink), 4x."""
        if seen.ndim == 2 and seen.size:
            pix = QPixmap.fromImage(to_qimage(seen)).scaled(
                SEEN_PX,
                SEEN_PX,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.FastTransformation,
            )
            self.seen_label.setPixmap(pix)

    def set_explainer(self, fn: Any) -> None:
        """Say why with ``fn(seen, class) -> (28, 28) push`` (see :mod:`gui.panels.why_view`)."""
        self.why.set_explainer(fn)

    def _show_error(self, exc: BaseException) -> None:
        self.keep_button.setEnabled(False)
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
