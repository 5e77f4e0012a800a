"""Projector mode: large type, thick lines and colour-blind-safe colours for a classroom.

Body text is at least :data:`BODY_PX` pixels, axis labels and ticks :data:`AXIS_PX`, the curves'
lines 3 px in the Okabe-Ito palette (the confusion matrix too), the weights in cividis (dark
blue for negative, grey for zero, yellow for positive: it reads in greyscale and for
colour-blind viewers), and the status-bar numbers large. Turning it off restores the window's
own look.
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Any

import pyqtgraph as pg
from PySide6.QtCore import QByteArray, QEvent, QObject, Qt
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import QGraphicsView

from gui.panels.confusion_heatmap import CORRECT, WRONG
from gui.panels.curve_look import NORMAL, OKABE_ITO, PROJECTOR, apply_curve_look
from gui.panels.weights import diverging_colormap

if TYPE_CHECKING:
    from gui.main_window import MainWindow

BODY_PX = 20
AXIS_PX = 18
TITLE_PX = 24
STATUS_PX = 26
CONTROLS_PX = 270  # the controls column's least width (it scrolls sideways below that)


def style_sheet(body_pt: float) -> str:
    """The window's style sheet in projector mode, body text at ``body_pt`` points.

    Fonts go through the style sheet: under the application's style sheet a widget's font
    does not follow its window's. Labels that are larger than the body keep being larger.
    """
    return f"""
QWidget {{ font-size: {body_pt:g}pt; }}
QLabel#lessonTitle {{ font-size: {1.3 * body_pt:g}pt; }}
QLabel#padAnswer {{ font-size: {3.5 * body_pt:g}pt; font-weight: 700; }}
QLabel#padConfidence {{ font-size: {1.3 * body_pt:g}pt; }}
QStatusBar QLabel#statusField {{ font-size: {STATUS_PX}px; font-weight: 600; }}
QTabBar::tab {{ padding: 6px 12px; }}
"""


TITLE_SIZE = re.compile(r"font-size:\s*[\d.]+\s*(pt|px)")


def projector_colormap() -> pg.ColorMap:
    """Cividis: dark blue, grey, yellow; its lightness rises steadily (reads in greyscale)."""
    return pg.colormap.get("cividis")


def body_point_size(dpi: float) -> float:
    """The point size (in halves) that is at least :data:`BODY_PX` pixels at ``dpi``."""
    return math.ceil(BODY_PX * 72.0 / max(dpi, 1.0) * 2) / 2


class ProjectorMode(QObject):
    """Switches ``window`` between its own look and projector mode.

    Parameters
    ----------
    window:
        The main window.
    """

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.w = window
        self.enabled = False
        self._axes: dict[int, tuple[Any, QFont | None, dict[str, str], float | None]] = {}
        self._titles: dict[int, tuple[Any, str]] = {}
        self._state: QByteArray | None = None
        self._scroll_width = 0
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Leave projector mode as the window closes, so it remembers its own layout."""
        if watched is self.w and event.type() == QEvent.Type.Close and self.enabled:
            self.set_enabled(False)
        return False

    def toggle(self) -> None:
        """View > Projector mode."""
        self.set_enabled(not self.enabled)

    def set_enabled(self, on: bool) -> None:
        """Turn projector mode on or off."""
        if on == self.enabled:
            return
        self.enabled = on
        w = self.w
        w.setStyleSheet(style_sheet(body_point_size(w.logicalDpiY())) if on else "")
        self._arrange(on)
        apply_curve_look(w.curves, PROJECTOR if on else NORMAL)
        w.curves.dirty = True
        self._weights(on)
        colours = (OKABE_ITO["blue"], OKABE_ITO["vermillion"]) if on else (CORRECT, WRONG)
        w.confusion.heatmap.set_colours(QColor(colours[0]), QColor(colours[1]))
        self._plots(on)
        if hasattr(w.menus, "projector_action"):
            w.menus.projector_action.setChecked(on)
        w.pacer.paint(final=True)

    def _arrange(self, on: bool) -> None:
        """Projector mode: weights above controls and lesson on the left, the pad on the right.

        At 1280x720 with large type, the pad alone fills the right column's height, so the
        curves, weights and pad all keep a readable size; off: the window's own arrangement.
        """
        w = self.w
        scroll = w.controls_dock.widget()
        if on:
            self._state = w.saveState()
            self._scroll_width = scroll.minimumWidth()
            scroll.setMinimumWidth(min(self._scroll_width, CONTROLS_PX))
            scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
            lesson_shown = w.lesson_dock.isVisible()
            w.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, w.weights_dock)
            w.splitDockWidget(w.weights_dock, w.controls_dock, Qt.Orientation.Vertical)
            w.tabifyDockWidget(w.controls_dock, w.lesson_dock)
            w.lesson_dock.setVisible(lesson_shown)
            (w.lesson_dock if lesson_shown else w.controls_dock).raise_()
            w.resizeDocks([w.weights_dock, w.controls_dock], [45, 55], Qt.Orientation.Vertical)
            width = w.width()
            w.resizeDocks(
                [w.weights_dock, w.draw_dock],
                [max(CONTROLS_PX, int(0.24 * width)), max(400, int(0.26 * width))],
                Qt.Orientation.Horizontal,
            )
        elif self._state is not None:
            scroll.setMinimumWidth(self._scroll_width)
            scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
            w.restoreState(self._state)
            self._state = None

    def _weights(self, on: bool) -> None:
        panel = self.w.weights
        cmap = projector_colormap() if on else diverging_colormap()
        panel.colormap = cmap
        panel.lut = cmap.getLookupTable(nPts=256)
        panel.colorbar.setColorMap(cmap)
        if panel.shown is not None and panel.pending is None:
            panel.pending = panel.shown

    def _plots(self, on: bool) -> None:
        """Every pyqtgraph axis, title and legend of the window: large, or as they were."""
        for view in self.w.findChildren(QGraphicsView):
            scene = view.scene()
            if scene is None:
                continue
            for item in scene.items():
                if isinstance(item, pg.AxisItem):
                    self._axis(item, on)
                elif isinstance(item, pg.PlotItem):
                    self._title(item, on)
                    if item.legend is not None:
                        self._legend(item.legend, on)

    def _axis(self, axis: pg.AxisItem, on: bool) -> None:
        key = id(axis)
        if on:
            old_font = axis.style["tickFont"]
            width = axis.fixedWidth if axis.orientation in ("left", "right") else None
            self._axes[key] = (axis, old_font, dict(axis.labelStyle), width)
            font = QFont(old_font) if old_font is not None else QFont(self.w.font())
            font.setPixelSize(AXIS_PX)
            axis.setStyle(tickFont=font)
            axis.setLabel(
                axis.labelText,
                axis.labelUnits,
                **{
                    **axis.labelStyle,
                    "font-size": f"{AXIS_PX}px",
                },
            )
            if width is not None:
                axis.setWidth(int(width * 1.6))
        elif key in self._axes:
            axis, old_font, style, width = self._axes.pop(key)
            axis.setStyle(tickFont=old_font)
            axis.labelStyle = style
            axis.setLabel(axis.labelText, axis.labelUnits, **style)
            if width is not None:
                axis.setWidth(width)

    @staticmethod
    def _legend(legend: pg.LegendItem, on: bool) -> None:
        legend.setLabelTextSize(f"{AXIS_PX}px" if on else "9pt")
        for _sample, label in legend.items:  # the new size applies to text set from now on
            label.setText(label.text)
        legend.updateSize()

    def _title(self, plot: pg.PlotItem, on: bool) -> None:
        key = id(plot)
        text = plot.titleLabel.text
        if on and text:
            self._titles[key] = (plot, text)
            plot.setTitle(TITLE_SIZE.sub(f"font-size:{TITLE_PX}px", text))
        elif not on and key in self._titles:
            plot.setTitle(self._titles.pop(key)[1])
