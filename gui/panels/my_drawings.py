"""The "My drawings" tab: the letters or digits you kept from the pad, and how the model does.

A drawing is kept from the pad with *Keep as…* (the label is confirmed first); the tab shows
them all with their labels, and deletes, relabels and exports them. After a run the window
scores the model on them (:func:`drawings_line`): a model that does well on its test split
can do much worse on your handwriting.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from core.data.drawings import Drawing, DrawingStore, kind_for
from gui.panels.image_grid import ImageGrid

# choose(title, class_names, suggested) -> the confirmed label, or None to cancel
LabelChooser = Callable[[str, tuple[str, ...], str], str | None]


def ask_label(parent: QWidget) -> LabelChooser:
    """A chooser that asks with a small dialog (the tests pass their own)."""

    def choose(title: str, names: tuple[str, ...], suggested: str) -> str | None:
        index = names.index(suggested) if suggested in names else 0
        label, ok = QInputDialog.getItem(parent, title, "This drawing is a:", names, index, False)
        return label if ok else None

    return choose


def drawings_line(probabilities: np.ndarray, labels: np.ndarray) -> str:
    """The model's accuracy on your drawings, as in "your 40 drawings 61%"."""
    right = float((probabilities.argmax(axis=1) == labels).mean()) if len(labels) else 0.0
    word = "drawing" if len(labels) == 1 else "drawings"
    return f"your {len(labels)} {word} {right:.0%}"


class MyDrawingsPanel(QWidget):
    """The kept drawings of the current kind (letters or digits), with their labels.

    Signals
    -------
    changed()
        A drawing was kept, deleted or relabelled.
    """

    changed = Signal()

    def __init__(self, parent: QWidget | None = None, root: Path | None = None) -> None:
        super().__init__(parent)
        self.root = root
        self.store = DrawingStore("letters", root)
        self.found: list[Drawing] = []
        self.selected = -1
        self.choose_label: LabelChooser = ask_label(self)
        self.title = QLabel("", self)
        self.title.setWordWrap(True)  # the folder's path must not widen the window
        self.grid = ImageGrid(self)
        self.grid.tile_clicked.connect(self._select)
        scroll = QScrollArea(self)
        scroll.setWidget(self.grid)
        scroll.setWidgetResizable(True)
        self.delete_button = QPushButton("Delete", self)
        self.relabel_button = QPushButton("Relabel…", self)
        self.export_button = QPushButton("Export .npz…", self)
        self.delete_button.setToolTip("Forget the selected drawing")
        self.relabel_button.setToolTip("Give the selected drawing another label")
        self.export_button.setToolTip("Save all your drawings as one .npz (images, labels)")
        self.delete_button.clicked.connect(self.delete_selected)
        self.relabel_button.clicked.connect(self.relabel_selected)
        self.export_button.clicked.connect(self.export_dialog)
        buttons = QHBoxLayout()
        for b in (self.delete_button, self.relabel_button, self.export_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(scroll, 1)
        layout.addLayout(buttons)
        self.refresh()

    def set_classes(self, class_names: tuple[str, ...]) -> None:
        """Show the drawings that fit a model of these classes (letters or digits)."""
        kind = kind_for(tuple(class_names))
        if kind != self.store.kind:
            self.store = DrawingStore(kind, self.root)
            self.refresh()

    def keep(self, seen: np.ndarray, suggested: str, strokes: list) -> Drawing | None:
        """Ask for the label (suggesting ``suggested``), then keep the drawing (None: cancelled)."""
        label = self.choose_label("Keep this drawing", self.store.classes, suggested)
        if label is None:
            return None
        drawing = self.store.keep(np.asarray(seen, np.uint8), label, strokes)
        self.refresh()
        self.changed.emit()
        return drawing

    def refresh(self) -> None:
        """Read the drawings folder again and show what is there."""
        self.found = self.store.drawings()
        self.selected = -1
        skipped = (
            f" · {len(self.store.skipped)} unreadable file(s) skipped" if self.store.skipped else ""
        )
        if self.found:
            self.grid.set_images(
                np.stack([d.image for d in self.found]),
                captions=[[(d.label, "#202020")] for d in self.found],
                tooltips=[f"{d.label} · kept {d.time[:16].replace('T', ' ')}" for d in self.found],
            )
        else:
            self.grid.clear(
                f"No {self.store.kind} kept yet: draw one on the pad and press Keep as…"
            )
        self.title.setText(
            f"Your {self.store.kind}: {len(self.found)} kept in {self.store.folder}{skipped}"
        )
        self.title.setToolTip("\n".join(self.store.skipped))
        self._update_buttons()

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """Images and class indices of the drawings shown."""
        x = (
            np.stack([d.image for d in self.found])
            if self.found
            else np.zeros((0, 28, 28), np.uint8)
        )
        y = np.array([self.store.classes.index(d.label) for d in self.found], np.int64)
        return x, y

    def _select(self, index: int) -> None:
        self.selected = index
        self._update_buttons()

    def _update_buttons(self) -> None:
        picked = 0 <= self.selected < len(self.found)
        self.delete_button.setEnabled(picked)
        self.relabel_button.setEnabled(picked)
        self.export_button.setEnabled(bool(self.found))

    def delete_selected(self) -> None:
        """Forget the selected drawing."""
        if 0 <= self.selected < len(self.found):
            self.store.delete(self.found[self.selected])
            self.refresh()
            self.changed.emit()

    def relabel_selected(self) -> None:
        """Ask for a new label for the selected drawing."""
        if not 0 <= self.selected < len(self.found):
            return
        d = self.found[self.selected]
        label = self.choose_label("Relabel this drawing", self.store.classes, d.label)
        if label is not None and label != d.label:
            self.store.relabel(d, label)
            self.refresh()
            self.changed.emit()

    def export_dialog(self) -> None:
        """Ask for a file and export every drawing to it."""
        path, _ = QFileDialog.getSaveFileName(
            self, "Export your drawings", f"my-{self.store.kind}.npz", "NumPy (*.npz)"
        )
        if path:
            self.store.export_npz(Path(path))
