"""The confusion matrix tab: which classes the model mixes up, and the images behind each cell."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QScrollArea, QSplitter, QVBoxLayout, QWidget

from gui.panels.confusion_heatmap import HOW_TO_READ, ConfusionHeatmap
from gui.panels.image_grid import ImageGrid

SPLIT_TITLES = {"train": "training set", "valid": "validation set", "test": "test set"}
MAX_EXAMPLES = 200


class ConfusionPanel(QWidget):
    """The confusion matrix of the latest evaluation, and the images behind a chosen cell.

    Signals
    -------
    cell_clicked(int, int)
        ``(true, predicted)`` of the cell the learner clicked (or :meth:`select_cell` chose).
    """

    cell_clicked = Signal(int, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._names: tuple[str, ...] = ()
        self._images = np.zeros((0, 28, 28), np.uint8)
        self._true = np.zeros(0, np.int64)
        self._pred = np.zeros(0, np.int64)
        self._has_examples = False
        self._examples_split = "test"
        self._matrix_split = ""
        self._selected: tuple[int, int] | None = None
        self._shown = np.zeros(0, np.int64)
        self._accuracy = float("nan")

        self.title_label = QLabel("Confusion matrix", self)
        font = self.title_label.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.3)
        self.title_label.setFont(font)
        self.title_label.setWordWrap(True)
        self.title_label.setToolTip(HOW_TO_READ)
        hint = QLabel(
            "Rows = true class, columns = predicted class. Click a cell to see its images.", self
        )
        hint.setStyleSheet("color: #505050;")
        hint.setWordWrap(True)
        hint.setToolTip(HOW_TO_READ)

        self.heatmap = ConfusionHeatmap(self)
        self.heatmap.cell_clicked.connect(self.select_cell)

        self.examples_label = QLabel("Click a cell to see the images behind it.", self)
        self.examples_label.setWordWrap(True)
        bold = self.examples_label.font()
        bold.setBold(True)
        bold.setPointSizeF(bold.pointSizeF() * 1.1)
        self.examples_label.setFont(bold)
        self.examples = ImageGrid(self, tile_px=56, spacing=4)
        self.examples.set_empty_text("")
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.examples)
        scroll.setMinimumWidth(220)

        right = QWidget(self)
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.examples_label)
        right_layout.addWidget(scroll, 1)

        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(self.heatmap)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setChildrenCollapsible(False)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.title_label)
        layout.addWidget(hint)
        layout.addWidget(splitter, 1)

    # ------------------------------------------------------------------ API
    def set_confusion(
        self, matrix: np.ndarray, class_names: Sequence[str], step: int, split: str
    ) -> None:
        """Show the confusion matrix of an evaluation.

        Parameters
        ----------
        matrix:
            ``(classes, classes)`` counts, rows = true class, columns = predicted class.
        class_names:
            Name of each class.
        step:
            The training step the evaluation was made at.
        split:
            ``"valid"``, ``"test"`` or ``"train"``.
        """
        m = np.asarray(matrix, dtype=np.int64)
        self._names = tuple(str(n) for n in class_names)
        self.heatmap.set_matrix(m, self._names)
        self._matrix_split = str(split)
        total = int(m.sum())
        self._accuracy = float(np.trace(m) / total) if total else float("nan")
        where = SPLIT_TITLES.get(split, f"{split} set")
        acc = (
            f"accuracy {self._accuracy:.1%} ({int(np.trace(m)):,} of {total:,} right)"
            if total
            else "no images"
        )
        self.title_label.setText(f"Confusion matrix · {where} at step {int(step):,} · {acc}")
        if self._selected is not None:
            self.heatmap.set_selected(self._selected)
            self._show_cell(*self._selected)

    def clear(self) -> None:
        """Forget the matrix, the images and the selection (a new run or dataset)."""
        self._names = ()
        self._selected = None
        self._has_examples = False
        self._images = np.zeros((0, 28, 28), np.uint8)
        self._true = self._pred = np.zeros(0, np.int64)
        self._shown = np.zeros(0, np.int64)
        self._accuracy = float("nan")
        self._matrix_split = ""
        self.heatmap.set_matrix(np.zeros((0, 0), np.int64), ())
        self.heatmap.set_selected(None)
        self.title_label.setText("Confusion matrix")
        self.examples_label.setText("Click a cell to see the images behind it.")
        self.examples.clear()

    def set_examples(
        self, images: np.ndarray, true: np.ndarray, predicted: np.ndarray, *, split: str = "test"
    ) -> None:
        """The evaluated images (``(N, 28, 28)`` uint8) with their true and predicted classes.

        ``split`` names where they come from; the caption mentions it when the matrix shown is
        of another split (during a run the validation images come with each evaluation; the test
        images at its end).
        """
        images = np.asarray(images)
        true = np.asarray(true).astype(np.int64).ravel()
        predicted = np.asarray(predicted).astype(np.int64).ravel()
        if not len(images) == len(true) == len(predicted):
            raise ValueError(
                f"{len(images)} images, {len(true)} true labels and "
                f"{len(predicted)} predictions: they must match"
            )
        self._images, self._true, self._pred = images, true, predicted
        self._examples_split = str(split)
        self._has_examples = True
        if self._selected is not None:
            self._show_cell(*self._selected)

    def select_cell(self, i: int, j: int) -> None:
        """Select cell (true ``i``, predicted ``j``): outline it, show its images, emit."""
        self._selected = (int(i), int(j))
        self.heatmap.set_selected(self._selected)
        self._show_cell(*self._selected)
        self.cell_clicked.emit(int(i), int(j))

    def selected_cell(self) -> tuple[int, int] | None:
        """The selected ``(true, predicted)`` cell, or None."""
        return self._selected

    def accuracy(self) -> float:
        """Accuracy of the matrix shown (NaN before any)."""
        return self._accuracy

    def examples_text(self) -> str:
        """The line above the images of the selected cell."""
        return self.examples_label.text()

    def example_indices(self) -> np.ndarray:
        """Indices (into the evaluated images) of the images shown for the selected cell."""
        return self._shown.copy()

    # -------------------------------------------------------------- display
    def _name(self, k: int) -> str:
        return self._names[k] if 0 <= k < len(self._names) else str(k)

    def _show_cell(self, i: int, j: int) -> None:
        t, p = self._name(i), self._name(j)
        if not self._has_examples:
            self._shown = np.zeros(0, np.int64)
            self.examples.clear(
                "The images behind each cell appear with the first evaluation of a run."
            )
            self.examples_label.setText(f"True {t} predicted as {p}")
            return
        idx = np.flatnonzero((self._true == i) & (self._pred == j))
        self._shown = idx[:MAX_EXAMPLES]
        images = "image" if idx.size == 1 else "images"
        verdict = "right" if i == j else "wrong"
        text = f"{idx.size:,} {images} of true {t} predicted as {p} ({verdict})"
        if idx.size > MAX_EXAMPLES:
            text += f", showing the first {MAX_EXAMPLES}"
        if self._matrix_split and self._matrix_split != self._examples_split:
            text += f" · from the {SPLIT_TITLES.get(self._examples_split, self._examples_split)}"
        self.examples_label.setText(text)
        tips = [f"image #{k:,}: true {t}, predicted {p}" for k in self._shown]
        if idx.size:
            self.examples.set_images(self._images[self._shown], tooltips=tips)
        else:
            self.examples.clear(f"No image of {t} was predicted as {p}.")
