"""The draw pad's "why" view: which pixels of the drawing push the model toward an answer.

Over "what the model sees", each pixel is coloured by gradient x input
(:meth:`core.inference.Predictor.saliency`): red where its ink pushes the class's score up,
blue where it pushes it down, by how much. The class is the model's answer, or the one whose
bar the learner clicked ("what would make it a B").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QCheckBox

if TYPE_CHECKING:
    from gui.panels.draw_pad import DrawPad

# explain(seen (28, 28) uint8, class index) -> (28, 28) float: the push of each pixel's ink
Explainer = Callable[[np.ndarray, int], np.ndarray]
PUSH_FOR = np.array([214, 39, 40], np.float32)  # red
PUSH_AGAINST = np.array([31, 119, 180], np.float32)  # blue
WHY_TIP = (
    "Colour each pixel of what the model sees by how much its ink pushes the model toward the "
    "answer (red) or away from it (blue), compared with a blank pad: the gradient of the "
    "class's score times the ink (gradient x input). Click a bar to see what pushes toward "
    "that class instead."
)


def why_rgb(seen: np.ndarray, push: np.ndarray) -> np.ndarray:
    """An RGB (28, 28, 3) uint8 picture: the drawing dimmed, red/blue where ink pushes."""
    base = np.repeat((np.asarray(seen, np.float32) * 0.35)[..., None], 3, axis=2)
    top = float(np.abs(push).max())
    if top <= 0 or not np.isfinite(top):
        return base.astype(np.uint8)
    t = np.clip(np.abs(push) / top, 0, 1)[..., None]
    colour = np.where((push >= 0)[..., None], PUSH_FOR, PUSH_AGAINST)
    return np.clip(base * (1 - t) + colour * t, 0, 255).astype(np.uint8)


class WhyView(QObject):
    """The "Why?" switch of ``pad`` and the picture it draws over the model's view."""

    def __init__(self, pad: DrawPad) -> None:
        super().__init__(pad)
        self.pad = pad
        self.explain: Explainer | None = None
        self.chosen: int | None = None  # a class picked by its bar; None: the answer
        self.last_push: np.ndarray | None = None
        self.toggle = QCheckBox("Why?", pad)
        self.toggle.setToolTip(WHY_TIP)
        self.toggle.setEnabled(False)
        self.toggle.toggled.connect(self._toggled)
        pad.predicted.connect(lambda _p: self.refresh())
        pad.plot.bar_clicked.connect(self.show_class)

    def set_explainer(self, fn: Explainer | None) -> None:
        """Explain with ``fn`` (None: the model cannot say why; the switch is off)."""
        self.explain = fn
        self.toggle.setEnabled(fn is not None)
        self.refresh()

    def show_class(self, cls: int) -> None:
        """Show what pushes toward class ``cls`` (a clicked bar)."""
        if self.explain is None:
            return
        self.chosen = cls
        if not self.toggle.isChecked():
            self.toggle.setChecked(True)  # refreshes
        else:
            self.refresh()

    def _toggled(self, on: bool) -> None:
        if not on:
            self.chosen = None
        self.refresh()

    def refresh(self) -> None:
        """Redraw the model's view: plain, or coloured by the push of each pixel's ink."""
        pred = self.pad.last_prediction()
        names = self.pad.class_names()
        self.last_push = None
        if not self.toggle.isChecked() or self.explain is None or pred is None:
            self.pad.seen_caption.setText("What the model sees\n(28 × 28 pixels)")
            if pred is not None:
                self.pad.show_seen(np.asarray(pred.seen))
            return
        cls = int(pred.predicted) if self.chosen is None else self.chosen
        try:
            push = np.asarray(self.explain(np.asarray(pred.seen), cls), np.float32)
        except Exception as exc:  # a model that cannot explain must not break the pad
            self.pad.seen_caption.setText(f"No why for this model:\n{exc}")
            return
        self.last_push = push
        rgb = np.ascontiguousarray(why_rgb(pred.seen, push))
        image = QImage(rgb.data, 28, 28, 3 * 28, QImage.Format.Format_RGB888).copy()
        self.pad.seen_label.setPixmap(
            QPixmap.fromImage(image).scaled(
                self.pad.seen_label.width() - 4,
                self.pad.seen_label.height() - 4,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.FastTransformation,
            )
        )
        name = names[cls] if 0 <= cls < len(names) else str(cls)
        self.pad.seen_caption.setText(f"Red: pushes toward {name}\nblue: away from {name}")
