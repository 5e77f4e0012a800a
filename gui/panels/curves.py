"""Live learning curves: loss and accuracy against the step, the previous run faintly behind.

Slots only append to :class:`GrowingSeries` buffers (preallocated, doubling when full);
:meth:`CurvesPanel.flush` draws them with one ``setData`` per curve. The window calls ``flush``
from its single throttled repaint (at most 12 per second) and once more when training ends.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QGraphicsItem, QVBoxLayout, QWidget

from gui import style
from gui.panels.curve_csv import write_curves_csv
from gui.panels.curve_scales import (
    LOSS_PADDING,
    AccuracyAxis,
    LossAxis,
    loss_extent,
    x_extent,
)
from gui.panels.growing_series import GrowingSeries
from gui.panels.knob_markers import KnobMarkers, marker_text

__all__ = [  # the window and the tests import these from here
    "LOSS_PADDING",
    "MAX_DOTS",
    "CurvesPanel",
    "GrowingSeries",
    "loss_extent",
    "marker_text",
    "x_extent",
]

SERIES = ("loss_minibatch", "loss_valid", "acc_minibatch", "acc_valid", "acc_test", "acc_gap")


# Drawing cost: thousands of noisy minibatch points with thick antialiased pens and a grid starve
# training of CPU; thin (1 px) pens, peak-preserving decimation to about one point per pixel
# column, and grid lines only where they help read values keep a repaint cheap and flat in the
# step count (figures in bench/README.md).
DISPLAY_POINTS_PER_PIXEL = 1.0
# Validation points get dots and a 2 px line while there are few of them; a 100,000-step run
# has 1,000, and 2,000 dots plus 2,000 wide antialiased segments a frame made late repaints 4x
# dearer than early ones: past this count the line is drawn 1 px wide, without dots.
MAX_DOTS = 60
# Minibatch points get small dots while there are this few: a stepped run shows each point.
MAX_STEP_DOTS = 20
# The accuracy axis shows 0..100 % with this much room below 0 and at least as much above 100,
# where pyqtgraph needs half a label's height to keep the end labels on a short plot. Above 100
# the room is as tall as a knob-marker label, so the labels hang there without covering a curve.
ACC_PAD = 5.0
MAX_LABEL_BAND = 1 / 3  # of the accuracy plot's height


def dots_drawable(y: np.ndarray, log_axis: bool) -> bool:
    """True when every value can get a dot: finite, and above 0 on a log axis.

    The data skip pyqtgraph's finite check, and a dot at NaN or at log(0) crashes Qt's painter.
    """
    return bool(np.isfinite(y).all() and (not log_axis or (y > 0).all()))


def _curve(
    plot: pg.PlotItem, pen: object, name: str | None = None, **kw: object
) -> pg.PlotDataItem:
    item = pg.PlotDataItem(
        pen=pen,
        name=name,
        skipFiniteCheck=True,
        autoDownsampleFactor=DISPLAY_POINTS_PER_PIXEL,
        **kw,
    )
    plot.addItem(item)  # PlotItem.addItem applies the plot's downsampling and clipping modes
    item.setDownsampling(auto=True, method="peak")
    item.setClipToView(True)
    return item


class GapFill(pg.FillBetweenItem):
    """The shaded train/validation accuracy gap; rebuilds its path only while shown."""

    def curveChanged(self) -> None:
        """Follow the curves (skipped while hidden: each change costs a path rebuild)."""
        if self.isVisible():
            self.updatePath()

    def show_gap(self, on: bool) -> None:
        """Show (with an up-to-date path) or hide the shading."""
        if on and not self.isVisible():
            self.setVisible(True)
            self.updatePath()
        elif not on:
            self.setVisible(False)


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
        self._restricted = False
        self._total_steps = 0
        self._x_end = 0.0
        self._following = True  # both axes follow the run until the learner pans or zooms
        self._loss_bounds = (np.inf, -np.inf)  # of the current and previous runs' losses
        self._loss_range: tuple[float, float] | None = None  # as last set by _follow_loss
        self._recent_acc: list[float] = []
        self.dirty = False
        self.paint_count = 0
        self._drawn: dict[str, int | None] = {}  # the series version each item shows

        self.view = pg.GraphicsLayoutWidget(self)
        self.view.setBackground("w")
        self.loss_plot = self.view.addPlot(row=0, col=0, axisItems={"left": LossAxis("left")})
        self.acc_plot = self.view.addPlot(row=1, col=0, axisItems={"left": AccuracyAxis("left")})
        self.acc_plot.setXLink(self.loss_plot)
        for plot, title, unit in (
            (self.loss_plot, "Loss", "cross-entropy"),
            (self.acc_plot, "Accuracy", "%"),
        ):
            plot.setTitle(f"<span style='font-size:12pt; color:#222'>{title}</span>")
            plot.setLabel("left", unit)
            plot.setLabel("bottom", "step")
            plot.setDownsampling(auto=True, mode="peak")
            plot.setClipToView(True)
            plot.getAxis("left").setWidth(52)
            for side in ("left", "bottom"):  # redrawn only when their range changes
                plot.getAxis(side).setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
            plot.getViewBox().sigRangeChangedManually.connect(self._stop_following)
            plot.addLegend(
                offset=(-10, 10) if plot is self.loss_plot else (-10, -10),
                labelTextColor="#222",
                brush=pg.mkBrush(255, 255, 255, 200),
            )
        self.acc_plot.showGrid(x=False, y=True, alpha=0.15)  # read accuracy levels across
        self.loss_plot.setLogMode(x=False, y=True)
        self.acc_plot.enableAutoRange(axis="y", enable=False)  # see ACC_PAD
        self.loss_plot.enableAutoRange(axis="x", enable=False)  # see x_extent
        self.loss_plot.enableAutoRange(axis="y", enable=False)  # see loss_extent
        self.marker_layer = KnobMarkers(self.acc_plot)
        self.marker_layer.rows_changed.connect(self._fit_accuracy_range)
        self.acc_plot.getViewBox().sigResized.connect(self._fit_accuracy_range)
        self._fit_accuracy_range()

        prev_pen = pg.mkPen(style.PREVIOUS, width=1)
        self._prev_items = {
            "loss_minibatch": _curve(self.loss_plot, prev_pen),
            "loss_valid": _curve(self.loss_plot, prev_pen),
            "acc_minibatch": _curve(self.acc_plot, prev_pen),
            "acc_valid": _curve(self.acc_plot, prev_pen),
        }
        mb_pen = pg.mkPen(style.MINIBATCH, width=1)
        va_pen = self.valid_pen = pg.mkPen(style.VALIDATION, width=2)
        self.valid_thin_pen = pg.mkPen(style.VALIDATION, width=1)
        dot = {"symbol": "o", "symbolSize": 6, "symbolBrush": style.VALIDATION, "symbolPen": None}
        step_dot = {
            "symbol": None,
            "symbolSize": 4,
            "symbolBrush": style.MINIBATCH,
            "symbolPen": None,
        }
        self.items = {
            "loss_minibatch": _curve(self.loss_plot, mb_pen, "minibatch", **step_dot),
            "loss_valid": _curve(self.loss_plot, va_pen, "validation", **dot),
            "acc_minibatch": _curve(self.acc_plot, mb_pen, "minibatch", **step_dot),
            "acc_valid": _curve(self.acc_plot, va_pen, "validation", **dot),
            "acc_test": _curve(
                self.acc_plot,
                None,
                "test",
                symbol="star",
                symbolSize=18,
                symbolBrush=style.TEST,
                symbolPen=pg.mkPen("#1b5e20"),
            ),
            # invisible upper edge of the shaded gap (a transparent pen: pen=None draws no path)
            "acc_gap": pg.PlotDataItem(pen=pg.mkPen(0, 0, 0, 0), skipFiniteCheck=True),
        }
        self.acc_plot.addItem(self.items["acc_gap"])
        self.gap_fill = GapFill(
            self.items["acc_gap"], self.items["acc_valid"], brush=pg.mkBrush(*style.GAP_FILL)
        )
        self.gap_fill.setZValue(-5)
        self.gap_fill.show_gap(False)
        self.acc_plot.addItem(self.gap_fill)
        self._prev_in_legend = False
        for item in self._static_items():
            item.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view)
        self.setToolTip("")

    def _static_items(self) -> list[QGraphicsItem]:
        """Items that change at an evaluation or a new run, not at every repaint.

        Each is drawn from a pixmap cache (Qt redraws it only when it changes or the axes
        move), so a live repaint runs pyqtgraph's Python paint code for just the two minibatch
        curves. Measured in the window: a quarter off a repaint's CPU time.
        """
        items: list[QGraphicsItem] = [item.curve for item in self._prev_items.values()]
        for name in ("loss_valid", "acc_valid", "acc_test"):
            items += [self.items[name].curve, self.items[name].scatter]
        for plot in (self.loss_plot, self.acc_plot):
            items += [plot.legend, plot.titleLabel]
        return items

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
        self._x_end = 0.0
        self._following = True
        self._loss_bounds = (np.inf, -np.inf)
        self._loss_range = None
        for name in ("loss_minibatch", "loss_valid"):
            if name in self.previous:
                self._widen_loss(self.previous[name].y)
        self.loss_plot.enableAutoRange(axis="x", enable=False)
        self.loss_plot.enableAutoRange(axis="y", enable=False)
        self._fit_accuracy_range()
        self.dirty = True

    def clear(self) -> None:
        """Forget the current and previous runs."""
        self.start_run(0)
        self.previous = {}
        self._loss_bounds = (np.inf, -np.inf)

    def add_step(self, step: int, loss: float, accuracy: float) -> None:
        """Append one minibatch point (accuracy 0..1); a value that is not finite is left out."""
        if math.isfinite(loss):
            self.series["loss_minibatch"].append(step, loss)
            self._widen_loss(loss)
        if math.isfinite(accuracy):
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
            self._widen_loss(loss)
            mean = float(np.mean(self._recent_acc)) if self._recent_acc else 100.0 * accuracy
            self.series["acc_gap"].append(step, max(mean, 100.0 * accuracy))
        self.dirty = True

    def _widen_loss(self, losses: float | np.ndarray) -> None:
        """Grow the loss bounds to hold ``losses`` (those a log axis can show: finite, > 0)."""
        if isinstance(losses, np.ndarray):
            shown = losses[np.isfinite(losses) & (losses > 0)]
            if shown.size:
                self._widen_loss(float(shown.min()))
                self._widen_loss(float(shown.max()))
        elif 0 < losses < np.inf:  # NaN fails both
            lo, hi = self._loss_bounds
            self._loss_bounds = (min(lo, losses), max(hi, losses))

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
        # setData has a fixed cost per item even for a few points: only the changed ones
        for name, item in self.items.items():
            s = self.series[name]
            if self._drawn.get(name) != s.version:
                self._drawn[name] = s.version
                if name in ("loss_valid", "acc_valid"):
                    few = s.n <= MAX_DOTS
                    if (item.opts["symbol"] == "o") != few:
                        item.setSymbol("o" if few else None)
                        item.setPen(self.valid_pen if few else self.valid_thin_pen)
                if name in ("loss_minibatch", "acc_minibatch"):
                    few = 0 < s.n <= MAX_STEP_DOTS and dots_drawable(s.y, name == "loss_minibatch")
                    if (item.opts["symbol"] is not None) != few:
                        item.setSymbol("o" if few else None)
                item.setData(s.x, s.y, skipFiniteCheck=True)
        for name, item in self._prev_items.items():
            s = self.previous.get(name)
            key = "previous " + name
            version = None if s is None else s.version
            if self._drawn.get(key, -1) != version:
                self._drawn[key] = version
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
        self.gap_fill.show_gap(self._restricted and self.series["acc_gap"].n > 1)
        self.marker_layer.show(self.markers)
        if self._total_steps:
            self.loss_plot.setLimits(xMin=-0.02 * self._total_steps)
        self._follow_steps()
        self._follow_loss()

    def _stop_following(self, *_args: object) -> None:
        self._following = False

    def _follow_steps(self) -> None:
        """Widen the step axis in 1-2-5 stages as the run goes (unless the learner zoomed)."""
        mb = self.series["loss_minibatch"]
        vb = self.loss_plot.getViewBox()
        if not self._following or vb.autoRangeEnabled()[0] or not mb.n:
            return  # the learner zoomed or pressed "A" (auto range): leave the axis alone
        end = x_extent(mb.x[-1], self._total_steps)
        if end != self._x_end:
            self._x_end = end
            self.loss_plot.setXRange(0, end, padding=0.02)

    def _follow_loss(self) -> None:
        """Fit the loss axis to the losses in 1-2-5 stages (unless the learner zoomed)."""
        lo, hi = self._loss_bounds
        vb = self.loss_plot.getViewBox()
        if not self._following or vb.autoRangeEnabled()[1] or lo > hi:
            return
        extent = loss_extent(lo, hi)
        if extent != self._loss_range:
            self._loss_range = extent
            self.loss_plot.setYRange(np.log10(extent[0]), np.log10(extent[1]), padding=LOSS_PADDING)

    def _fit_accuracy_range(self, *_args: object) -> None:
        """0..100 % with a band above 100 for the marker labels (unless the learner zoomed).

        The band holds every row of labels (one row when there are no markers, so the plot
        does not jump at the first one), up to a third of the plot's height.
        """
        view = self.acc_plot.getViewBox()
        if not self._following or view.autoRangeEnabled()[1]:
            return
        label_px = max(1, self.marker_layer.rows) * self.marker_layer.label_height_px()
        band = min(MAX_LABEL_BAND, label_px / max(view.height(), 1.0))
        top = max(100.0 + ACC_PAD, (100.0 + band * ACC_PAD) / (1.0 - band))
        self.acc_plot.setYRange(-ACC_PAD, top, padding=0)

    def marker_labels(self) -> list[str]:
        """Texts of the markers drawn so far."""
        return self.marker_layer.texts()

    # -- export ----------------------------------------------------------------------------------
    def export_png(self, path: str | Path) -> None:
        """Save the two plots as a PNG image."""
        self.flush()
        if not self.view.grab().save(str(path), "PNG"):
            raise OSError(f"{path}: could not write the PNG image")

    def export_csv(self, path: str | Path) -> None:
        """Save the curves as CSV: one row per step, blank where a series has no point."""
        self.flush()
        write_curves_csv(self.series, path)
