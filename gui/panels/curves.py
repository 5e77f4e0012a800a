"""Live learning curves: loss and accuracy against the step, the previous run faintly behind.

Slots only append to :class:`GrowingSeries` buffers (preallocated, doubling when full);
:meth:`CurvesPanel.flush` draws them with one ``setData`` per curve. The window calls ``flush``
from its single throttled repaint (at most 30 per second) and once more when training ends.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QVBoxLayout, QWidget

from gui import style

KNOB_WORDS = {"l2": "lambda", "learning_rate": "learning rate", "dropout": "dropout"}


def marker_text(name: str, old: float, new: float) -> str:
    """The label of a knob-change marker, e.g. ``"lambda 0.005 -> 0.05"``."""
    return f"{KNOB_WORDS.get(name, name)} {old:.4g} -> {new:.4g}"


class GrowingSeries:
    """(x, y) points in preallocated float arrays that double when full.

    Parameters
    ----------
    capacity:
        Initial number of points the arrays hold.
    """

    def __init__(self, capacity: int = 1024) -> None:
        self._x = np.empty(capacity, dtype=np.float64)
        self._y = np.empty(capacity, dtype=np.float64)
        self.n = 0

    def append(self, x: float, y: float) -> None:
        """Add one point (the arrays double when full)."""
        if self.n == len(self._x):
            self._x = np.concatenate([self._x, np.empty_like(self._x)])
            self._y = np.concatenate([self._y, np.empty_like(self._y)])
        self._x[self.n] = x
        self._y[self.n] = y
        self.n += 1

    def clear(self) -> None:
        """Forget every point (the arrays are kept)."""
        self.n = 0

    @property
    def capacity(self) -> int:
        """Points the arrays can hold before they grow."""
        return len(self._x)

    @property
    def x(self) -> np.ndarray:
        """The x values so far (a view)."""
        return self._x[:self.n]

    @property
    def y(self) -> np.ndarray:
        """The y values so far (a view)."""
        return self._y[:self.n]

    def copy(self) -> GrowingSeries:
        """An independent copy holding the same points."""
        other = GrowingSeries(max(self.n, 1))
        other._x[:self.n] = self.x
        other._y[:self.n] = self.y
        other.n = self.n
        return other


SERIES = ("loss_minibatch", "loss_valid", "acc_minibatch", "acc_valid", "acc_test", "acc_gap")


def _curve(plot: pg.PlotItem, pen: object, name: str | None = None, **kw: object
           ) -> pg.PlotDataItem:
    item = pg.PlotDataItem(pen=pen, name=name, skipFiniteCheck=True, **kw)
    plot.addItem(item)  # PlotItem.addItem applies the plot's downsampling and clipping modes
    item.setDownsampling(auto=True, method="peak")
    item.setClipToView(True)
    return item


class CurvesPanel(QWidget):
    """Loss (top) and accuracy (bottom) in percent, x = training step.

    Parameters
    ----------
    parent:
        Optional Qt parent.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.series = {name: GrowingSeries() for name in SERIES}
        self.previous: dict[str, GrowingSeries] = {}
        self.markers: list[tuple[int, str]] = []
        self._marker_items: list[pg.InfiniteLine] = []
        self._restricted = False
        self._total_steps = 0
        self._recent_acc: list[float] = []
        self.dirty = False
        self.paint_count = 0

        self.view = pg.GraphicsLayoutWidget(self)
        self.view.setBackground("w")
        self.loss_plot = self.view.addPlot(row=0, col=0)
        self.acc_plot = self.view.addPlot(row=1, col=0)
        self.acc_plot.setXLink(self.loss_plot)
        for plot, title, unit in ((self.loss_plot, "Loss", "cross-entropy"),
                                  (self.acc_plot, "Accuracy", "%")):
            plot.setTitle(f"<span style='font-size:12pt; color:#222'>{title}</span>")
            plot.setLabel("left", unit)
            plot.setLabel("bottom", "step")
            plot.showGrid(x=True, y=True, alpha=0.2)
            plot.setDownsampling(auto=True, mode="peak")
            plot.setClipToView(True)
            plot.getAxis("left").setWidth(52)
            plot.addLegend(offset=(-10, 10) if plot is self.loss_plot else (-10, -10),
                           labelTextColor="#222", brush=pg.mkBrush(255, 255, 255, 200))
        self.loss_plot.setLogMode(x=False, y=True)
        self.acc_plot.setYRange(0, 100, padding=0.02)
        self.acc_plot.enableAutoRange(axis="y", enable=False)

        prev_pen = pg.mkPen(style.PREVIOUS, width=1.5)
        self._prev_items = {
            "loss_minibatch": _curve(self.loss_plot, prev_pen),
            "loss_valid": _curve(self.loss_plot, prev_pen),
            "acc_minibatch": _curve(self.acc_plot, prev_pen),
            "acc_valid": _curve(self.acc_plot, prev_pen),
        }
        mb_pen = pg.mkPen(style.MINIBATCH, width=1.5)
        va_pen = pg.mkPen(style.VALIDATION, width=2.5)
        dot = {"symbol": "o", "symbolSize": 6, "symbolBrush": style.VALIDATION,
               "symbolPen": None}
        self.items = {
            "loss_minibatch": _curve(self.loss_plot, mb_pen, "minibatch"),
            "loss_valid": _curve(self.loss_plot, va_pen, "validation", **dot),
            "acc_minibatch": _curve(self.acc_plot, mb_pen, "minibatch"),
            "acc_valid": _curve(self.acc_plot, va_pen, "validation", **dot),
            "acc_test": _curve(self.acc_plot, None, "test", symbol="star", symbolSize=18,
                               symbolBrush=style.TEST, symbolPen=pg.mkPen("#1b5e20")),
            # invisible upper edge of the shaded gap (a transparent pen: pen=None draws no path)
            "acc_gap": pg.PlotDataItem(pen=pg.mkPen(0, 0, 0, 0), skipFiniteCheck=True),
        }
        self.acc_plot.addItem(self.items["acc_gap"])
        self.gap_fill = pg.FillBetweenItem(self.items["acc_gap"], self.items["acc_valid"],
                                           brush=pg.mkBrush(*style.GAP_FILL))
        self.gap_fill.setZValue(-5)
        self.gap_fill.setVisible(False)
        self.acc_plot.addItem(self.gap_fill)
        self._prev_in_legend = False

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view)
        self.setToolTip("")

    # -- data in (slots: append only) -------------------------------------------------------------
    def start_run(self, total_steps: int = 0, *, restricted: bool = False) -> None:
        """Keep the current run as the faint 'previous run' and start empty curves."""
        if self.series["loss_minibatch"].n:
            self.previous = {k: self.series[k].copy() for k in self._prev_items}
        for s in self.series.values():
            s.clear()
        self.markers.clear()
        self._recent_acc.clear()
        self._total_steps = total_steps
        self._restricted = restricted
        self.dirty = True

    def clear(self) -> None:
        """Forget the current and previous runs."""
        self.start_run(0)
        self.previous = {}
        self.dirty = True

    def add_step(self, step: int, loss: float, accuracy: float) -> None:
        """Append one minibatch point (accuracy as a fraction 0..1)."""
        self.series["loss_minibatch"].append(step, loss)
        self.series["acc_minibatch"].append(step, 100.0 * accuracy)
        self._recent_acc = [*self._recent_acc[-9:], 100.0 * accuracy]
        self.dirty = True

    def add_eval(self, step: int, split: str, loss: float, accuracy: float) -> None:
        """Append a validation point, or the final test point (``split == "test"``)."""
        if split == "test":
            self.series["acc_test"].clear()
            self.series["acc_test"].append(step, 100.0 * accuracy)
        else:
            self.series["loss_valid"].append(step, loss)
            self.series["acc_valid"].append(step, 100.0 * accuracy)
            mean = float(np.mean(self._recent_acc)) if self._recent_acc else 100.0 * accuracy
            self.series["acc_gap"].append(step, max(mean, 100.0 * accuracy))
        self.dirty = True

    def add_marker(self, step: int, name: str, old: float, new: float) -> None:
        """Mark a knob change at ``step`` with a labelled vertical line."""
        self.markers.append((step, marker_text(name, old, new)))
        self.dirty = True

    def set_restricted(self, restricted: bool) -> None:
        """Shade the gap between minibatch and validation accuracy (restricted-batch mode)."""
        self._restricted = restricted
        self.dirty = True

    @property
    def restricted(self) -> bool:
        """True when the accuracy gap is shaded."""
        return self._restricted

    # -- drawing ---------------------------------------------------------------------------------
    def flush(self) -> None:
        """Draw every buffer now (called by the window's throttled repaint)."""
        if not self.dirty:
            return
        self.dirty = False
        self.paint_count += 1
        for name, item in self.items.items():
            s = self.series[name]
            item.setData(s.x, s.y, skipFiniteCheck=True)
        for name, item in self._prev_items.items():
            s = self.previous.get(name)
            if s is None:
                item.setData([], [])
            else:
                item.setData(s.x, s.y, skipFiniteCheck=True)
        if bool(self.previous) != self._prev_in_legend:
            prev = self._prev_items["acc_minibatch"]
            if self.previous:
                self.acc_plot.legend.addItem(prev, "previous run")
            else:
                self.acc_plot.legend.removeItem(prev)
            self._prev_in_legend = bool(self.previous)
        self.gap_fill.setVisible(self._restricted and self.series["acc_gap"].n > 1)
        self._draw_markers()
        if self._total_steps:
            self.loss_plot.setLimits(xMin=-0.02 * self._total_steps)

    def _draw_markers(self) -> None:
        while len(self._marker_items) > len(self.markers):
            line = self._marker_items.pop()
            self.acc_plot.removeItem(line)
        for i, (step, text) in enumerate(self.markers):
            if i < len(self._marker_items):
                self._marker_items[i].setPos(step)
                self._marker_items[i].label.setFormat(text)
                continue
            line = pg.InfiniteLine(
                pos=step, angle=90, movable=False,
                pen=pg.mkPen(style.MARKER, width=1.5, style=pg.QtCore.Qt.PenStyle.DashLine),
                label=text, labelOpts={"position": 0.92 - 0.1 * (i % 4), "color": style.MARKER,
                                       "fill": (255, 255, 255, 210), "anchors": [(0, 0), (0, 0)]})
            self.acc_plot.addItem(line)
            self._marker_items.append(line)

    def marker_labels(self) -> list[str]:
        """Texts of the markers drawn so far."""
        return [line.label.format for line in self._marker_items]

    # -- export ----------------------------------------------------------------------------------
    def export_png(self, path: str | Path) -> None:
        """Save the two plots as a PNG image."""
        self.flush()
        if not self.view.grab().save(str(path), "PNG"):
            raise OSError(f"{path}: could not write the PNG image")

    def export_csv(self, path: str | Path) -> None:
        """Save the curves as CSV: one row per step, blank where a series has no point."""
        self.flush()
        rows: dict[int, dict[str, float]] = {}
        for name in ("loss_minibatch", "acc_minibatch", "loss_valid", "acc_valid", "acc_test"):
            s = self.series[name]
            for x, y in zip(s.x, s.y, strict=True):
                rows.setdefault(int(x), {})[name] = float(y)
        columns = ["minibatch_loss", "minibatch_accuracy", "valid_loss", "valid_accuracy",
                   "test_accuracy"]
        keys = ["loss_minibatch", "acc_minibatch", "loss_valid", "acc_valid", "acc_test"]
        with Path(path).open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["step", *columns])
            for step in sorted(rows):
                row = rows[step]
                writer.writerow([step, *(f"{row[k]:.6g}" if k in row else "" for k in keys)])
