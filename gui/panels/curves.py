"""Live learning curves: loss and accuracy against the step, the previous run faintly behind.

Slots only append to :class:`GrowingSeries` buffers (preallocated, doubling when full);
:meth:`CurvesPanel.flush` draws them with one ``setData`` per curve. The window calls ``flush``
from its single throttled repaint (at most 12 per second) and once more when training ends.
"""

from __future__ import annotations

import csv
import itertools
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QGraphicsItem, QVBoxLayout, QWidget

from gui import style

KNOB_WORDS = {"l2": "lambda", "learning_rate": "learning rate", "dropout": "dropout"}


def marker_text(name: str, old: float, new: float) -> str:
    """The label of a knob-change marker, e.g. ``"lambda 0.005 -> 0.05"``."""
    return f"{KNOB_WORDS.get(name, name)} {old:.4g} -> {new:.4g}"


_VERSIONS = itertools.count()  # unique across all series, copies included


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
        self.version = next(_VERSIONS)  # new on every change: views redraw only what changed

    def append(self, x: float, y: float) -> None:
        """Add one point (the arrays double when full)."""
        if self.n == len(self._x):
            self._x = np.concatenate([self._x, np.empty_like(self._x)])
            self._y = np.concatenate([self._y, np.empty_like(self._y)])
        self._x[self.n] = x
        self._y[self.n] = y
        self.n += 1
        self.version = next(_VERSIONS)

    def clear(self) -> None:
        """Forget every point (the arrays are kept)."""
        self.n = 0
        self.version = next(_VERSIONS)

    @property
    def capacity(self) -> int:
        """Points the arrays can hold before they grow."""
        return len(self._x)

    @property
    def x(self) -> np.ndarray:
        """The x values so far (a view)."""
        return self._x[: self.n]

    @property
    def y(self) -> np.ndarray:
        """The y values so far (a view)."""
        return self._y[: self.n]

    def copy(self) -> GrowingSeries:
        """An independent copy holding the same points."""
        other = GrowingSeries(max(self.n, 1))
        other._x[: self.n] = self.x
        other._y[: self.n] = self.y
        other.n = self.n
        other.version = next(_VERSIONS)
        return other


SERIES = ("loss_minibatch", "loss_valid", "acc_minibatch", "acc_valid", "acc_test", "acc_gap")


# Drawing cost (measured in the window, offscreen, 635x743 px plots): 3,000 noisy minibatch
# points with 1.5 px antialiased pens and a grid took ~100 ms a repaint, starving training of
# CPU; thin (1 px) pens, peak-preserving decimation to about one point per pixel column, and
# grid lines only where they help read values bring it to ~15 ms, flat in the step count.
DISPLAY_POINTS_PER_PIXEL = 1.0
# Validation points get dots and a 2 px line while there are few of them; a 100,000-step run
# has 1,000, and 2,000 dots plus 2,000 wide antialiased segments a frame made late repaints 4x
# dearer than early ones: past this count the line is drawn 1 px wide, without dots.
MAX_DOTS = 60


STAGES = (1.0, 2.0, 5.0)
LOSS_PADDING = 0.04  # of the loss axis's span (in decades) on each side of its 1-2-5 range
_EPS = 1e-9  # relative: a value this close to a stage counts as on it


def _stage(k: int) -> float:
    """The ``k``-th value of the 1-2-5 ladder: ... 0.5, 1 (k = 0), 2, 5, 10, 20 ..."""
    return STAGES[k % 3] * 10.0 ** (k // 3)


def _stage_below(v: float) -> int:
    """The largest ``k`` with ``_stage(k) <= v`` (``v > 0``)."""
    k = 3 * int(np.floor(np.log10(v)))
    while _stage(k + 1) <= v * (1 + _EPS):
        k += 1
    while _stage(k) > v * (1 + _EPS):
        k -= 1
    return k


def _stage_above(v: float) -> int:
    """The smallest ``k`` with ``_stage(k) >= v`` (``v > 0``)."""
    k = _stage_below(v)
    return k if _stage(k) >= v * (1 - _EPS) else k + 1


def x_extent(step: float, total_steps: int) -> float:
    """The right end of the step axis while ``step`` is the last step drawn.

    The axis grows in 1-2-5 stages (100, 200, 500, 1000, ...) up to the run's length, so the
    early steps are not squeezed against the left edge, yet the axes (costly to redraw) change
    only a few times per run instead of on every repaint.
    """
    nice = _stage(_stage_above(max(10.0, 1.05 * float(step))))
    return float(min(nice, total_steps)) if total_steps > 0 else float(nice)


def loss_extent(lo: float, hi: float) -> tuple[float, float]:
    """The loss axis's range holding every loss in ``lo..hi`` (both > 0).

    The ends are the 1-2-5 values at or just beyond the data (0.2..5 for losses 0.23..2.3), so,
    like the step axis, the loss axis changes a few times per run. pyqtgraph's own auto range
    follows every new low of the noisy minibatch loss, and each change redraws the axis and
    recomputes every curve's bounds: that was a fifth of a repaint's CPU time.
    """
    low = _stage_below(lo)
    return _stage(low), _stage(max(_stage_above(hi), low + 1))


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


def _is_125(log_value: float) -> bool:
    mantissa = 10.0 ** (log_value - np.floor(log_value + 1e-9))
    return any(abs(mantissa - m) < 1e-6 for m in (1.0, 2.0, 5.0))


class LossAxis(pg.AxisItem):
    """A log axis labelled at 0.1, 0.2, 0.5, 1, 2, 5 ... with unlabelled minor ticks between.

    pyqtgraph labels 1..9 of every decade, and those labels pile up between 0.6 and 1.
    """

    def logTickValues(self, minVal: float, maxVal: float, size: float, stdTicks: list) -> list:
        """Major ticks at 1-2-5, minor ticks at the other integers of each decade."""
        decades = range(int(np.floor(minVal)), int(np.ceil(maxVal)) + 1)
        every = [d + np.log10(m) for d in decades for m in range(1, 10)]
        inside = [v for v in every if minVal <= v <= maxVal]
        major = [v for v in inside if _is_125(v)]
        if len(major) < 2:  # less than a decade and a half: let pyqtgraph label it
            return super().logTickValues(minVal, maxVal, size, stdTicks)
        return [(None, major), (None, [v for v in inside if not _is_125(v)])]

    def logTickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        """``0.2``, ``1``, ``5`` ... for the 1-2-5 ticks, nothing for the minor ones."""
        return [f"{10.0**v:.3g}" if _is_125(v) else "" for v in values]


class GapFill(pg.FillBetweenItem):
    """The shaded train/validation accuracy gap; rebuilds its path only while shown."""

    def curveChanged(self) -> None:
        """Follow the curves (skipped while hidden: it costs ~3 ms per change)."""
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
        self._marker_items: list[pg.InfiniteLine] = []
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
        self.acc_plot = self.view.addPlot(row=1, col=0)
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
        # 5% padding leaves half a label's height beyond 0 and 100: with less, pyqtgraph drops
        # those two labels on a short plot (a 1366x768 window)
        self.acc_plot.setYRange(0, 100, padding=0.05)
        self.acc_plot.enableAutoRange(axis="y", enable=False)
        self.loss_plot.enableAutoRange(axis="x", enable=False)  # see x_extent
        self.loss_plot.enableAutoRange(axis="y", enable=False)  # see loss_extent

        prev_pen = pg.mkPen(style.PREVIOUS, width=1)
        self._prev_items = {
            "loss_minibatch": _curve(self.loss_plot, prev_pen),
            "loss_valid": _curve(self.loss_plot, prev_pen),
            "acc_minibatch": _curve(self.acc_plot, prev_pen),
            "acc_valid": _curve(self.acc_plot, prev_pen),
        }
        mb_pen = pg.mkPen(style.MINIBATCH, width=1)
        va_pen = self._valid_pen = pg.mkPen(style.VALIDATION, width=2)
        self._valid_thin_pen = pg.mkPen(style.VALIDATION, width=1)
        dot = {"symbol": "o", "symbolSize": 6, "symbolBrush": style.VALIDATION, "symbolPen": None}
        self.items = {
            "loss_minibatch": _curve(self.loss_plot, mb_pen, "minibatch"),
            "loss_valid": _curve(self.loss_plot, va_pen, "validation", **dot),
            "acc_minibatch": _curve(self.acc_plot, mb_pen, "minibatch"),
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
        self.dirty = True

    def clear(self) -> None:
        """Forget the current and previous runs."""
        self.start_run(0)
        self.previous = {}
        self._loss_bounds = (np.inf, -np.inf)

    def add_step(self, step: int, loss: float, accuracy: float) -> None:
        """Append one minibatch point (accuracy as a fraction 0..1)."""
        self.series["loss_minibatch"].append(step, loss)
        self.series["acc_minibatch"].append(step, 100.0 * accuracy)
        self._widen_loss(loss)
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
        # setData costs ~0.3 ms an item even for a few points: only the changed ones
        for name, item in self.items.items():
            s = self.series[name]
            if self._drawn.get(name) != s.version:
                self._drawn[name] = s.version
                if name in ("loss_valid", "acc_valid"):
                    few = s.n <= MAX_DOTS
                    if (item.opts["symbol"] == "o") != few:
                        item.setSymbol("o" if few else None)
                        item.setPen(self._valid_pen if few else self._valid_thin_pen)
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
        self._draw_markers()
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
                pos=step,
                angle=90,
                movable=False,
                pen=pg.mkPen(style.MARKER, width=1.5, style=pg.QtCore.Qt.PenStyle.DashLine),
                label=text,
                labelOpts={
                    "position": 0.92 - 0.1 * (i % 4),
                    "color": style.MARKER,
                    "fill": (255, 255, 255, 210),
                    "anchors": [(0, 0), (0, 0)],
                },
            )
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
        columns = [
            "minibatch_loss",
            "minibatch_accuracy",
            "valid_loss",
            "valid_accuracy",
            "test_accuracy",
        ]
        keys = ["loss_minibatch", "acc_minibatch", "loss_valid", "acc_valid", "acc_test"]
        with Path(path).open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["step", *columns])
            for step in sorted(rows):
                row = rows[step]
                writer.writerow([step, *(f"{row[k]:.6g}" if k in row else "" for k in keys)])
