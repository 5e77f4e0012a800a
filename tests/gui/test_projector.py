"""Projector mode: large type (measured), thick Okabe-Ito curves, a greyscale-safe weight map,
and a 1280x720 window that still shows the curves, the weights and the pad."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtGui import QColor, QFontInfo
from PySide6.QtWidgets import QLabel, QWidget
from window_helpers import make_window

from gui.panels.curve_look import OKABE_ITO
from gui.projector import AXIS_PX, BODY_PX, projector_colormap


@pytest.fixture
def window(qtbot, tiny_dataset, app_settings, runs):
    w = make_window(qtbot, tiny_dataset, app_settings)
    w.resize(1280, 720)
    w.lessons.show_panel()
    return w


def px(widget: QWidget) -> int:
    return QFontInfo(widget.font()).pixelSize()


def main_labels(w) -> dict[str, QWidget]:
    c, lesson = w.controls, w.lesson_panel
    return {
        "menu bar": w.menuBar(),
        "tab bar": w.tabs.tabBar(),
        "dock title": w.weights_dock,
        "preset picker": c.preset_combo,
        "lesson's figure": c.figure_label,
        "knob label": c.knob_box._form.labelForField(c.l2),
        "start button": c.start_button,
        "step text": lesson.text,
        "step title": lesson.title,
        "weights caption": w.weights.caption,
        "pad status": w.draw_pad.status_label,
        "log": w.log.view,
    }


def test_projector_mode_makes_every_text_large_and_the_status_numbers_larger(qtbot, window):
    before = {name: px(widget) for name, widget in main_labels(window).items()}
    assert min(before.values()) < BODY_PX  # the window's own look is smaller
    window.menus.projector_action.trigger()
    assert window.projector.enabled and window.menus.projector_action.isChecked()
    for name, widget in main_labels(window).items():
        assert px(widget) >= BODY_PX, (name, px(widget))
    assert min(px(w) for w in window.findChildren(QLabel)) >= BODY_PX
    assert px(window.lesson_panel.title) > px(window.lesson_panel.text)
    assert px(window.draw_pad.answer_label) >= 3 * BODY_PX  # the pad's answer stays big
    for field in (window.status.step, window.status.speed, window.status.elapsed):
        assert px(field) >= 24
    window.menus.projector_action.trigger()
    assert not window.projector.enabled
    assert {name: px(widget) for name, widget in main_labels(window).items()} == before


def test_axes_lines_and_colours_in_projector_mode(qtbot, window):
    curves = window.curves
    window.projector.set_enabled(True)
    for plot in (curves.loss_plot, curves.acc_plot, window.draw_pad.plot.getPlotItem()):
        for side in ("left", "bottom"):
            axis = plot.getAxis(side)
            assert axis.style["tickFont"].pixelSize() >= AXIS_PX
            if axis.labelText:
                assert axis.labelStyle["font-size"] == f"{AXIS_PX}px"
    for name in ("loss_minibatch", "acc_minibatch"):
        pen = curves.items[name].opts["pen"]
        assert pen.widthF() >= 3 and pen.color() == QColor(OKABE_ITO["sky_blue"])
    assert curves.valid_pen.widthF() >= 3 and curves.valid_thin_pen.widthF() >= 3
    assert curves.valid_pen.color() == QColor(OKABE_ITO["vermillion"])
    assert curves.items["acc_test"].opts["symbolSize"] > 18
    heat = window.confusion.heatmap
    assert (heat.correct, heat.wrong) == (
        QColor(OKABE_ITO["blue"]),
        QColor(OKABE_ITO["vermillion"]),
    )
    assert window.weights.colorbar.colorMap().name == projector_colormap().name == "cividis"

    window.projector.set_enabled(False)
    assert curves.items["acc_minibatch"].opts["pen"].widthF() == 1
    assert curves.loss_plot.getAxis("left").style["tickFont"] is None
    assert window.weights.colorbar.colorMap().name == "CET-D1"
    assert heat.correct != QColor(OKABE_ITO["blue"])


def test_the_weight_map_reads_in_greyscale_and_diverges_in_hue():
    lut = projector_colormap().getLookupTable(nPts=256, alpha=False).astype(float)
    luminance = lut @ np.array([0.2126, 0.7152, 0.0722])
    assert np.all(np.diff(luminance) > -0.5)  # lightness rises from -limit to +limit
    assert luminance[-1] - luminance[0] > 150
    low, high = lut[0], lut[-1]
    assert low[2] > low[0] and high[0] > high[2]  # blue for negative, yellow for positive


def test_at_1280x720_the_curves_weights_and_pad_stay_in_view(qtbot, window):
    window.projector.set_enabled(True)
    qtbot.wait(50)
    hint = window.minimumSizeHint()
    assert hint.width() <= 1280 and hint.height() <= 720, hint
    assert (window.width(), window.height()) == (1280, 720)
    for widget, least in ((window.curves, (400, 450)), (window.weights, (200, 180))):
        assert widget.isVisible() and widget.width() >= least[0] and widget.height() >= least[1]
    pad = window.draw_pad
    assert pad.isVisible() and pad.canvas.width() >= 150 and pad.plot.height() >= 100
    window.projector.set_enabled(False)
    assert window.weights_dock.isVisible() and window.draw_dock.isVisible()
    assert window.dockWidgetArea(window.weights_dock) == window.dockWidgetArea(window.draw_dock)


def test_f11_toggles_full_screen(qtbot, window):
    window.menus.full_screen_action.trigger()
    assert window.isFullScreen() and window.menus.full_screen_action.isChecked()
    window.menus.full_screen_action.trigger()
    assert not window.isFullScreen() and not window.menus.full_screen_action.isChecked()
    assert window.menus.projector_action.shortcut().toString() == "Ctrl+Shift+P"
    assert window.menus.full_screen_action.shortcut().toString() == "F11"


def test_the_window_remembers_its_own_layout_when_closed_in_projector_mode(
    qtbot, tiny_dataset, app_settings, runs
):
    first = make_window(qtbot, tiny_dataset, app_settings)
    area = first.dockWidgetArea(first.weights_dock)
    first.projector.set_enabled(True)
    assert first.dockWidgetArea(first.weights_dock) != area
    first.close()
    again = make_window(qtbot, tiny_dataset, app_settings)
    assert again.dockWidgetArea(again.weights_dock) == area
    assert not again.projector.enabled
