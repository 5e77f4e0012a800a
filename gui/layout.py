"""The window's layout: the panels, the tabs in the centre and the docks around them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QScrollArea, QTabWidget, QVBoxLayout, QWidget

from gui import style
from gui.help_text import PANEL_HELP
from gui.panels.confusion import ConfusionPanel
from gui.panels.controls import ControlsPanel
from gui.panels.curves import CurvesPanel
from gui.panels.draw_pad import DrawPad
from gui.panels.lesson import LessonPanel
from gui.panels.log_panel import LogPanel
from gui.panels.misclassified import MisclassifiedPanel
from gui.panels.my_drawings import MyDrawingsPanel
from gui.panels.samples import SamplesPanel
from gui.panels.weights import WeightsPanel
from gui.status import Banner

if TYPE_CHECKING:
    from gui.main_window import MainWindow


def build_panels(w: MainWindow) -> None:
    """Create ``w``'s panels; the curves and the tabs go in the centre under the banner."""
    w.controls = ControlsPanel()
    w.curves = CurvesPanel()
    w.weights = WeightsPanel()
    w.draw_pad = DrawPad()
    w.samples = SamplesPanel()
    w.confusion = ConfusionPanel()
    w.misclassified = MisclassifiedPanel()
    w.log = LogPanel()
    w.my_drawings = MyDrawingsPanel()
    w.banner = Banner()
    w.lesson_panel = LessonPanel()
    w.tabs = QTabWidget()
    w.tabs.setDocumentMode(True)
    w.tabs.setUsesScrollButtons(True)  # many tabs at projector sizes must not widen the window
    w.tabs.addTab(w.curves, style.icon("curves"), "Curves")
    tabs = (
        ("samples", w.samples, "Samples"),
        ("confusion", w.confusion, "Confusion"),
        ("misclassified", w.misclassified, "Misclassified"),
        ("log", w.log, "Log"),
        ("drawings", w.my_drawings, "My drawings"),
    )
    for _key, widget, title in tabs:
        w.tabs.addTab(widget, title)
    for i, key in enumerate(("curves", *(t[0] for t in tabs))):
        w.tabs.setTabToolTip(i, PANEL_HELP[key][1])
    centre = QWidget()
    layout = QVBoxLayout(centre)
    layout.setContentsMargins(4, 4, 4, 0)
    layout.setSpacing(4)
    layout.addWidget(w.banner)
    layout.addWidget(w.tabs, 1)
    w.setCentralWidget(centre)


def _dock(
    w: MainWindow, title: str, widget: QWidget, area: Qt.DockWidgetArea, name: str
) -> QDockWidget:
    dock = QDockWidget(title, w)
    dock.setObjectName(name)
    dock.setWidget(widget)
    dock.setFeatures(
        QDockWidget.DockWidgetFeature.DockWidgetClosable
        | QDockWidget.DockWidgetFeature.DockWidgetMovable
    )
    w.addDockWidget(area, dock)
    return dock


def build_docks(w: MainWindow) -> None:
    """Controls on the left; the weights above the draw pad on the right."""
    scroll = QScrollArea()
    scroll.setWidget(w.controls)
    scroll.setWidgetResizable(True)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    scroll.setFrameShape(QScrollArea.Shape.NoFrame)
    scroll.setMinimumWidth(w.controls.minimumSizeHint().width() + 16)
    left, right = Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea
    w.controls_dock = _dock(w, "Controls", scroll, left, "controlsDock")
    w.weights_dock = _dock(w, "Weights", w.weights, right, "weightsDock")
    w.draw_dock = _dock(w, "Draw a character", w.draw_pad, right, "drawDock")
    w.lesson_dock = _dock(w, "Lesson", lesson_scroll(w.lesson_panel), left, "lessonDock")
    w.splitDockWidget(w.lesson_dock, w.controls_dock, Qt.Orientation.Vertical)
    w.lesson_dock.hide()  # View > Lesson, or --lesson, shows it
    w.docks = (w.controls_dock, w.weights_dock, w.draw_dock, w.lesson_dock)
    w.splitDockWidget(w.weights_dock, w.draw_dock, Qt.Orientation.Vertical)
    w.resizeDocks([w.weights_dock, w.draw_dock], [45, 55], Qt.Orientation.Vertical)
    w.resizeDocks([w.controls_dock, w.weights_dock], [300, 380], Qt.Orientation.Horizontal)
    w.weights_dock.setToolTip(PANEL_HELP["weights"][1])
    w.draw_dock.setToolTip(PANEL_HELP["draw"][1])


def lesson_scroll(panel: QWidget) -> QScrollArea:
    """The lesson panel in a scroll area that keeps its width (a long step text scrolls)."""
    scroll = QScrollArea()
    scroll.setWidget(panel)
    scroll.setWidgetResizable(True)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    scroll.setFrameShape(QScrollArea.Shape.NoFrame)
    return scroll


def fit_docks(w: MainWindow) -> None:
    """Give the controls and the right column widths that suit the window's size."""
    width = w.width()
    w.resizeDocks(
        [w.controls_dock, w.weights_dock],
        [max(300, int(width * 0.19)), max(380, int(width * 0.27))],
        Qt.Orientation.Horizontal,
    )
