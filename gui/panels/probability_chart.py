"""The draw pad's bar chart: one bar per class, the model's answer highlighted with its share."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent
from PySide6.QtWidgets import QWidget

BAR_COLOUR = "#8fb3d9"
TOP_BAR_COLOUR = "#e4572e"


class ProbabilityChart(pg.PlotWidget):
    """A fixed bar chart of class probabilities (0..1), labelled with the class names.

    The chart does not pan or zoom: it always shows every class and the whole 0..1 range.

    Attributes
    ----------
    bars:
        The :class:`pyqtgraph.BarGraphItem` drawing the bars.
    top_text:
        The percentage written above the highlighted bar.
    """

    bar_clicked = Signal(int)  # the class whose bar (or its column) was clicked

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, background="w")
        self.setMinimumHeight(150)
        self.setMouseEnabled(x=False, y=False)
        self.hideButtons()
        self.setMenuEnabled(False)
        item = self.getPlotItem()
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
        self.setToolTip(
            "The model's probability for every class. They add up to 1; the tallest bar "
            "(highlighted) is the model's answer."
        )

    def set_class_names(self, names: Sequence[str]) -> None:
        """Label the bars with ``names`` (one bar per name, in large bold type)."""
        item = self.getPlotItem()
        item.setXRange(-0.6, len(names) - 0.4, padding=0)
        axis = item.getAxis("bottom")
        axis.setTicks([[(i, name) for i, name in enumerate(names)]])
        font = self.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        axis.setStyle(tickFont=font)

    def set_bars(self, heights: np.ndarray, top: int) -> None:
        """Draw ``heights`` with bar ``top`` highlighted and its share above it (-1: none)."""
        brushes = [TOP_BAR_COLOUR if i == top else BAR_COLOUR for i in range(len(heights))]
        self.bars.setOpts(
            x=np.arange(len(heights)), height=np.asarray(heights, float), brushes=brushes
        )
        if top >= 0:
            self.top_text.setText(f"{heights[top]:.0%}")
            self.top_text.setPos(top, float(heights[top]) + 0.01)
        else:
            self.top_text.setText("")

    def class_at(self, pos: QPointF) -> int:
        """The class whose column holds widget position ``pos``, or -1 outside the bars."""
        x = self.getPlotItem().vb.mapSceneToView(self.mapToScene(pos.toPoint())).x()
        i = round(x)
        n = len(self.bars.opts["height"])
        return i if 0 <= i < n and abs(x - i) <= 0.5 else -1

    def mousePressEvent(self, event: QMouseEvent) -> None:
        """A click on a bar's column asks for that class (the draw pad's "why" view)."""
        i = self.class_at(event.position())
        if event.button() == Qt.MouseButton.LeftButton and i >= 0:
            self.bar_clicked.emit(i)
            event.accept()
            return
        super().mousePressEvent(event)

    def heights(self) -> np.ndarray:
        """Heights of the bars as drawn (the probabilities shown)."""
        return np.asarray(self.bars.opts["height"], dtype=float).copy()

    def highlighted(self) -> int:
        """Index of the highlighted (tallest) bar, or -1 when none is highlighted."""
        brushes = self.bars.opts.get("brushes")
        if not brushes:
            return -1
        top = QColor(TOP_BAR_COLOUR)
        for i, b in enumerate(brushes):
            if pg.mkBrush(b).color() == top:
                return i
        return -1
