"""Knob-change markers on a plot: a dashed vertical line per change, labelled along the top edge.

The labels hang from the top edge of the view and stay there when the view pans or zooms; the
accuracy plot keeps a band above 100 % free of data for them, as many rows tall as they need.
A label that would overlap the one before it drops a row; near the right edge it sits left of
its line so it stays in view. Hovering a line or a label shows its step and change.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, Qt, Signal

from gui import style

KNOB_WORDS = {"l2": "lambda", "learning_rate": "learning rate", "dropout": "dropout"}
LABEL_GAP_PX = 8  # free pixels between two labels on the same row
LABEL_OFFSET_PX = 3  # between a line and its label
MAX_ROWS = 3  # labels past this many rows share the last one


def marker_text(name: str, old: float, new: float) -> str:
    """The label of a knob-change marker, e.g. ``"lambda 0.005 -> 0.05"``."""
    return f"{KNOB_WORDS.get(name, name)} {old:.4g} -> {new:.4g}"


def _label(text: str = "") -> pg.TextItem:
    """A marker label: plain text in the marker colour, no box, hanging below its point."""
    label = pg.TextItem(text, color=style.MARKER, anchor=(0, 0))
    label.textItem.document().setDocumentMargin(1)
    label.setZValue(20)  # above the curves
    return label


class KnobMarkers(QObject):
    """The knob-change markers of one plot.

    Parameters
    ----------
    plot:
        The plot the lines and labels are drawn in.

    Signals
    -------
    rows_changed(int)
        The labels now take this many rows below the top edge (0 without markers).
    """

    rows_changed = Signal(int)

    def __init__(self, plot: pg.PlotItem) -> None:
        super().__init__()
        self._plot = plot
        self._rows = 0
        self._shown: list[tuple[float, str]] = []
        self._lines: list[pg.InfiniteLine] = []
        self._labels: list[pg.TextItem] = []
        self._probe = _label("Ag")  # measures a label's height, never shown
        self._pen = pg.mkPen(style.MARKER, width=1.5, style=Qt.PenStyle.DashLine)
        view = plot.getViewBox()
        view.sigRangeChanged.connect(self.place_labels)
        view.sigResized.connect(self.place_labels)

    def show(self, markers: Sequence[tuple[float, str]]) -> None:
        """Draw exactly ``markers``, each ``(step, text)``; unchanged markers cost nothing."""
        wanted = [(float(step), str(text)) for step, text in markers]
        if wanted == self._shown:
            return
        while len(self._lines) > len(wanted):
            self._plot.removeItem(self._lines.pop())
            self._plot.removeItem(self._labels.pop())
        for i, (step, text) in enumerate(wanted):
            if i == len(self._lines):
                self._lines.append(pg.InfiniteLine(angle=90, movable=False, pen=self._pen))
                label = _label()
                self._labels.append(label)
                self._plot.addItem(self._lines[-1], ignoreBounds=True)
                self._plot.addItem(label, ignoreBounds=True)
            tip = f"Step {step:,.0f}: {text}"
            self._lines[i].setPos(step)
            self._lines[i].setToolTip(tip)
            self._labels[i].setText(text)
            self._labels[i].setToolTip(tip)
        self._shown = wanted
        self.place_labels()

    def label_height_px(self) -> float:
        """Height of one label on screen, in pixels."""
        return float(self._probe.textItem.boundingRect().height())

    @property
    def rows(self) -> int:
        """Rows of labels below the top edge, as last placed (0 without markers)."""
        return self._rows

    def texts(self) -> list[str]:
        """The labels' texts, in the order the markers were given."""
        return [text for _, text in self._shown]

    def lines(self) -> list[pg.InfiniteLine]:
        """The vertical lines, one per marker."""
        return list(self._lines)

    def labels(self) -> list[pg.TextItem]:
        """The label items, one per marker."""
        return list(self._labels)

    def place_labels(self, *_args: object) -> None:
        """Hang every label from the top edge of the view (rows down only where they overlap)."""
        if not self._labels:
            self._set_rows(0)
            return
        view = self._plot.getViewBox()
        (x0, x1), (_, top) = view.viewRange()
        px_w, px_h = view.viewPixelSize()  # data units per screen pixel
        if not (np.isfinite(px_w) and np.isfinite(px_h) and px_w > 0 and px_h > 0):
            return  # not laid out yet: placed again on the first resize
        row_ends: list[float] = []  # per row: where its last label ends (data units)
        for (step, _), label in zip(self._shown, self._labels, strict=True):
            size = label.textItem.boundingRect()
            width, height = (size.width() + LABEL_OFFSET_PX) * px_w, size.height() * px_h
            left_of_line = step + width > x1 and step - width >= x0
            start = step - width if left_of_line else step
            row = next(
                (r for r, end in enumerate(row_ends) if start >= end + LABEL_GAP_PX * px_w),
                len(row_ends),
            )
            row = min(row, MAX_ROWS - 1)
            if row == len(row_ends):
                row_ends.append(start + width)
            else:
                row_ends[row] = start + width
            label.setAnchor((1, 0) if left_of_line else (0, 0))
            offset = -LABEL_OFFSET_PX * px_w if left_of_line else LABEL_OFFSET_PX * px_w
            label.setPos(step + offset, top - row * height)
        self._set_rows(len(row_ends))

    def _set_rows(self, rows: int) -> None:
        if rows != self._rows:
            self._rows = rows
            self.rows_changed.emit(rows)
