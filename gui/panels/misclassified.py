"""The gallery of misclassified test images: what the model got wrong, most confident first."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PySide6.QtWidgets import QLabel, QScrollArea, QVBoxLayout, QWidget

from gui.panels.image_grid import ImageGrid

WRONG_COLOUR = "#c62828"
TRUE_COLOUR = "#1b1b1b"
SEPARATOR_COLOUR = "#707070"
SPLIT_WORDS = {"train": "training", "valid": "validation", "test": "test"}


class MisclassifiedPanel(QWidget):
    """Images the model got wrong, each captioned "pred G / true C" with the wrong answer in red.

    With probabilities, the most confident mistakes come first: those are the ones worth a look
    (a mislabelled image, an odd font, two letters that really do look alike).

    Parameters
    ----------
    parent:
        The parent widget.
    max_items:
        Most images shown.
    """

    def __init__(self, parent: QWidget | None = None, *, max_items: int = 100) -> None:
        super().__init__(parent)
        self._max_items = max(1, int(max_items))
        self._shown = np.zeros(0, np.int64)
        self._wrong_count = 0

        self.count_label = QLabel("Misclassified images appear when a run finishes.", self)
        font = self.count_label.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.3)
        self.count_label.setFont(font)
        self.count_label.setWordWrap(True)
        self.detail_label = QLabel("", self)
        self.detail_label.setStyleSheet("color: #505050;")
        self.detail_label.setWordWrap(True)

        self.gallery = ImageGrid(self, tile_px=72, spacing=8)
        self.gallery.setToolTip("Red: what the model answered. Black: the true class.")
        font = self.gallery.font()
        font.setPointSizeF(font.pointSizeF() * 1.1)
        self.gallery.setFont(font)
        self.scroll = QScrollArea(self)
        self.scroll.setWidgetResizable(True)
        self.scroll.setWidget(self.gallery)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.count_label)
        layout.addWidget(self.detail_label)
        layout.addWidget(self.scroll, 1)

    # ------------------------------------------------------------------ API
    def set_results(
        self,
        images: np.ndarray,
        true: np.ndarray,
        predicted: np.ndarray,
        probabilities: np.ndarray | None,
        class_names: Sequence[str],
        *,
        split: str = "test",
    ) -> None:
        """Show the mistakes among evaluated images.

        Parameters
        ----------
        images:
            ``(N, 28, 28)`` uint8 images (255 = ink).
        true, predicted:
            ``(N,)`` true and predicted classes.
        probabilities:
            ``(N, classes)`` softmax outputs, or None; with them the most confident mistakes
            come first, without them the mistakes keep their order.
        class_names:
            Name of each class.
        split:
            Which split the images are from, for the count line.
        """
        images = np.asarray(images)
        true = np.asarray(true).astype(np.int64).ravel()
        predicted = np.asarray(predicted).astype(np.int64).ravel()
        n = len(images)
        if not n == len(true) == len(predicted):
            raise ValueError(
                f"{n} images, {len(true)} true labels and {len(predicted)} "
                "predictions: they must match"
            )
        names = tuple(str(c) for c in class_names)
        wrong = np.flatnonzero(true != predicted)
        confidence = None
        if probabilities is not None:
            probs = np.asarray(probabilities, dtype=np.float64)
            if probs.shape != (n, len(names)):
                raise ValueError(
                    f"probabilities have shape {probs.shape}, expected {(n, len(names))}"
                )
            confidence = probs[wrong, predicted[wrong]]
            order = np.argsort(-confidence, kind="stable")
            wrong, confidence = wrong[order], confidence[order]
        self._wrong_count = int(wrong.size)
        self._shown = wrong[: self._max_items]

        word = SPLIT_WORDS.get(split, split)
        rate = f" ({wrong.size / n:.2%})" if n else ""
        self.count_label.setText(f"{wrong.size:,} of {n:,} {word} images misclassified{rate}")
        if wrong.size > self._max_items:
            which = "most confident" if confidence is not None else "first"
            detail = f"Showing the {self._max_items} {which} mistakes. "
        elif wrong.size:
            detail = "Most confident mistakes first. " if confidence is not None else ""
        else:
            detail = "No mistakes to show." if n else ""
        if wrong.size:
            detail += "Red: the model's answer; black: the true class. Hover for details."
        self.detail_label.setText(detail)

        def name(k: int) -> str:
            return names[k] if 0 <= k < len(names) else str(k)

        captions, tips = [], []
        for rank, k in enumerate(self._shown):
            p, t = name(predicted[k]), name(true[k])
            captions.append(
                [(f"pred {p}", WRONG_COLOUR), (" / ", SEPARATOR_COLOUR), (f"true {t}", TRUE_COLOUR)]
            )
            tip = f"{word.capitalize()} image #{k:,}: the model said {p}, it is {t}."
            if confidence is not None:
                tip += (
                    f"\nIt was {confidence[rank]:.0%} sure of {p} and gave {t} "
                    f"{probs[k, true[k]]:.0%}."
                )
            tips.append(tip)
        if self._shown.size:
            self.gallery.set_images(images[self._shown], captions=captions, tooltips=tips)
        else:
            self.gallery.clear("Every image was classified correctly." if n else "")

    def clear(self) -> None:
        """Forget the results."""
        self._shown = np.zeros(0, np.int64)
        self._wrong_count = 0
        self.count_label.setText("Misclassified images appear when a run finishes.")
        self.detail_label.setText("")
        self.gallery.clear()

    def count_text(self) -> str:
        """The count line, e.g. "87 of 2,000 test images misclassified (4.35%)"."""
        return self.count_label.text()

    def shown_indices(self) -> np.ndarray:
        """Indices (into the images given) of the mistakes shown, in display order."""
        return self._shown.copy()

    def wrong_count(self) -> int:
        """How many images were misclassified (shown or not)."""
        return self._wrong_count
