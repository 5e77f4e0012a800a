"""The dataset samples tab: a few examples of every class per split, and the curation report."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from gui.panels.image_grid import ImageGrid

SPLIT_TITLES = {"train": "Training", "valid": "Validation", "test": "Test"}


class SamplesPanel(QWidget):
    """Examples of each class (one row per class) for the chosen split, and the curation report.

    The grid is one painted image, so switching splits or drawing new examples is instant.

    Parameters
    ----------
    parent:
        The parent widget.
    per_class:
        Examples shown per class (the number of columns).
    """

    def __init__(self, parent: QWidget | None = None, *, per_class: int = 10) -> None:
        super().__init__(parent)
        self._per_class = max(1, int(per_class))
        self._splits: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._class_names: tuple[str, ...] = ()
        self._shown = np.zeros((0, self._per_class), np.int64)
        self._rng = np.random.default_rng(0)

        self.split_combo = QComboBox(self)
        self.split_combo.setToolTip(
            "Training images teach the model; validation images tune the knobs during the "
            "run; test images are kept aside for one honest final score."
        )
        self.split_combo.currentIndexChanged.connect(self._show_current)
        self.shuffle_button = QPushButton("Show other examples", self)
        self.shuffle_button.setToolTip("Draw a new random handful of each class")
        self.shuffle_button.clicked.connect(self.reshuffle)
        self.info_label = QLabel("No dataset loaded yet.", self)
        self.info_label.setWordWrap(True)

        self.grid = ImageGrid(self, tile_px=40, spacing=3)
        self.grid.set_empty_text("Load a dataset to see its images.")
        self.grid.setToolTip("Each row is one class; the images are picked at random.")

        self.report = QPlainTextEdit(self)
        self.report.setReadOnly(True)
        self.report.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setStyleHint(QFont.StyleHint.Monospace)
        self.report.setFont(font)
        self.report.setPlaceholderText(
            "The curation report appears here: where the images "
            "came from, what was skipped and why."
        )
        self.report.setToolTip("How the dataset was built and cleaned. Select text to copy it.")

        bar = QHBoxLayout()
        bar.addWidget(QLabel("Split:", self))
        bar.addWidget(self.split_combo)
        bar.addWidget(self.shuffle_button)
        bar.addSpacing(12)
        bar.addWidget(self.info_label, 1)

        left = QWidget(self)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addLayout(bar)
        left_layout.addWidget(self.grid, 1)

        right = QWidget(self)
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        title = QLabel("Curation report", right)
        bold = title.font()
        bold.setBold(True)
        title.setFont(bold)
        right_layout.addWidget(title)
        right_layout.addWidget(self.report, 1)

        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(splitter)
        self._update_controls()

    # ------------------------------------------------------------------ API
    def set_dataset(
        self,
        images_by_split: Mapping[str, tuple[np.ndarray, np.ndarray]],
        class_names: Sequence[str],
        report_text: str,
    ) -> None:
        """Show a new dataset.

        Parameters
        ----------
        images_by_split:
            Split name (``"train"``, ``"valid"``, ``"test"``) -> ``(images, labels)`` with
            images ``(N, 28, 28)`` uint8 (255 = ink) and labels ``(N,)`` ints.
        class_names:
            Name of each class, indexed by label.
        report_text:
            The curation report, shown as plain monospace text.
        """
        self._splits = {
            str(k): (np.asarray(x), np.asarray(y).astype(np.int64, copy=False))
            for k, (x, y) in images_by_split.items()
        }
        self._class_names = tuple(str(n) for n in class_names)
        self.report.setPlainText(report_text)
        self._rng = np.random.default_rng(0)
        previous = self.current_split()
        self.split_combo.blockSignals(True)
        self.split_combo.clear()
        for name, (x, _) in self._splits.items():
            self.split_combo.addItem(f"{SPLIT_TITLES.get(name, name)} ({len(x):,})", name)
        index = self.split_combo.findData(previous)
        self.split_combo.setCurrentIndex(max(0, index))
        self.split_combo.blockSignals(False)
        self._update_controls()
        self._show_current()

    def clear(self) -> None:
        """Forget the dataset."""
        self.set_dataset({}, (), "")

    def splits(self) -> tuple[str, ...]:
        """The split names offered, in order."""
        return tuple(self._splits)

    def current_split(self) -> str:
        """The split shown ("" when none)."""
        data = self.split_combo.currentData()
        return "" if data is None else str(data)

    def set_split(self, name: str) -> None:
        """Show split ``name``."""
        index = self.split_combo.findData(name)
        if index < 0:
            raise KeyError(f"no split {name!r}; have {self.splits()}")
        self.split_combo.setCurrentIndex(index)

    def reshuffle(self) -> None:
        """Show a new random handful of examples of each class."""
        self._show_current()

    def shown_indices(self) -> np.ndarray:
        """``(classes, per_class)`` indices into the split of the images shown; -1 = none."""
        return self._shown.copy()

    def report_text(self) -> str:
        """The curation report shown."""
        return self.report.toPlainText()

    # -------------------------------------------------------------- display
    def _update_controls(self) -> None:
        has = bool(self._splits)
        self.split_combo.setEnabled(has)
        self.shuffle_button.setEnabled(has)

    def _show_current(self) -> None:
        name = self.current_split()
        if name not in self._splits or not self._class_names:
            self._shown = np.zeros((0, self._per_class), np.int64)
            self.grid.clear("Load a dataset to see its images.")
            self.info_label.setText("No dataset loaded yet.")
            return
        images, labels = self._splits[name]
        n_classes, k = len(self._class_names), self._per_class
        shown = np.full((n_classes, k), -1, np.int64)
        counts = np.bincount(labels[(labels >= 0) & (labels < n_classes)], minlength=n_classes)
        for c in range(n_classes):
            idx = np.flatnonzero(labels == c)
            if idx.size:
                pick = self._rng.choice(idx.size, size=min(k, idx.size), replace=False)
                shown[c, : pick.size] = idx[np.sort(pick)]
        self._shown = shown
        tile_shape = images.shape[1:] if images.ndim == 3 else (28, 28)
        tiles = np.zeros((n_classes * k, *tile_shape), np.uint8)
        flat = shown.ravel()
        tiles[flat >= 0] = images[flat[flat >= 0]]
        title = SPLIT_TITLES.get(name, name).lower()
        tips = [
            f"{self._class_names[i // k]}: {title} image #{j:,}"
            if j >= 0
            else f"no more {self._class_names[i // k]} images in this split"
            for i, j in enumerate(flat)
        ]
        self.grid.set_images(tiles, columns=k, row_labels=self._class_names, tooltips=tips)
        self.grid.setToolTip("Each row is one class; the images are picked at random.")
        smallest, largest = (int(counts.min()), int(counts.max())) if counts.size else (0, 0)
        self.info_label.setText(
            f"{len(images):,} {title} images; {smallest:,} to {largest:,} per class. "
            f"White = ink, as the model sees it."
        )
