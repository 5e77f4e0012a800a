"""The draw pad's "why" overlay: gradient x input over what the model sees, per class."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from core.inference import Predictor
from core.models.build import build_model
from core.models.presets import get_preset
from gui.panels.draw_pad import DrawPad
from gui.panels.why_view import why_rgb
from gui.snapshot import sample_strokes

LETTERS = tuple("ABCDEFGHIJ")


@pytest.fixture
def pad(qtbot):
    predictor = Predictor(build_model(get_preset("logreg-sgd").model, 10, seed=2), LETTERS)
    pad = DrawPad()
    qtbot.addWidget(pad)
    pad.resize(520, 640)
    pad.show()
    pad.set_classifier(predictor.predict, LETTERS)
    pad.set_explainer(predictor.saliency)
    pad.predictor = predictor
    for stroke in sample_strokes(LETTERS):
        pad.draw_stroke(stroke)
    return pad


def test_why_shows_the_push_toward_the_answer_then_toward_a_clicked_class(pad, qtbot):
    assert pad.why.last_push is None  # off until asked
    pad.why.toggle.setChecked(True)
    pred = pad.last_prediction()
    np.testing.assert_allclose(pad.why.last_push, pad.predictor.saliency(pred.seen, pred.predicted))
    assert f"toward {LETTERS[pred.predicted]}" in pad.seen_caption.text()
    other = (pred.predicted + 3) % 10
    chart = pad.plot
    centre = chart.mapFromScene(chart.getPlotItem().vb.mapViewToScene(pg_point(other, 0.5)))
    qtbot.mouseClick(chart.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    np.testing.assert_allclose(pad.why.last_push, pad.predictor.saliency(pred.seen, other))
    assert f"toward {LETTERS[other]}" in pad.seen_caption.text()
    pad.why.toggle.setChecked(False)
    assert pad.why.last_push is None and "What the model sees" in pad.seen_caption.text()


def test_a_bar_click_turns_why_on(pad):
    pad.plot.bar_clicked.emit(4)
    assert pad.why.toggle.isChecked()
    assert "toward E" in pad.seen_caption.text()


def test_without_an_explainer_the_switch_is_off(pad):
    pad.set_explainer(None)
    assert not pad.why.toggle.isEnabled()
    pad.plot.bar_clicked.emit(2)
    assert pad.why.last_push is None


def test_the_picture_is_red_for_and_blue_against():
    seen = np.zeros((28, 28), np.uint8)
    push = np.zeros((28, 28), np.float32)
    push[3, 3], push[5, 5] = 2.0, -1.0
    rgb = why_rgb(seen, push)
    assert tuple(rgb[3, 3]) == (214, 39, 40)
    assert rgb[5, 5, 2] > rgb[5, 5, 0]
    assert tuple(rgb[0, 0]) == (0, 0, 0)


def pg_point(x: float, y: float):
    from PySide6.QtCore import QPointF

    return QPointF(x, y)
