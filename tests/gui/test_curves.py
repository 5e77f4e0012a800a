from __future__ import annotations

import csv

import numpy as np
import pytest
from PySide6.QtGui import QImage

from gui.panels.curves import CurvesPanel, GrowingSeries, marker_text


@pytest.fixture
def curves(qtbot):
    c = CurvesPanel()
    qtbot.addWidget(c)
    c.resize(700, 600)
    return c


def test_growing_series_doubles_and_keeps_every_point():
    s = GrowingSeries(capacity=4)
    for i in range(9):
        s.append(i, i * i)
    assert s.capacity == 16
    np.testing.assert_array_equal(s.x, np.arange(9))
    np.testing.assert_array_equal(s.y, np.arange(9) ** 2)
    c = s.copy()
    s.clear()
    assert s.n == 0
    assert c.n == 9


def test_slots_only_buffer_and_flush_draws_once(curves):
    for step in range(50):
        curves.add_step(step, 2.0 / (step + 1), step / 50)
    assert curves.paint_count == 0
    x, _ = curves.items["loss_minibatch"].getData()
    assert x is None or len(x) == 0
    curves.flush()
    curves.flush()  # nothing new: no second paint
    assert curves.paint_count == 1
    x, y = curves.items["acc_minibatch"].getOriginalDataset()
    assert len(x) == 50
    assert y[-1] == pytest.approx(98.0)  # percent


def test_validation_and_test_points(curves):
    curves.add_step(0, 2.3, 0.1)
    curves.add_eval(0, "valid", 2.2, 0.12)
    curves.add_eval(10, "valid", 1.0, 0.6)
    curves.add_eval(10, "test", 1.1, 0.55)
    curves.flush()
    x, y = curves.items["acc_valid"].getOriginalDataset()
    np.testing.assert_allclose(y, [12.0, 60.0])
    x, y = curves.items["acc_test"].getOriginalDataset()
    assert list(x) == [10]
    assert y[0] == pytest.approx(55.0)


def test_previous_run_stays_faintly_behind(curves):
    for step in range(20):
        curves.add_step(step, 1.0, 0.5)
    curves.flush()
    curves.start_run(100)
    curves.add_step(0, 2.0, 0.1)
    curves.flush()
    x, _ = curves._prev_items["acc_minibatch"].getOriginalDataset()
    assert len(x) == 20
    x, _ = curves.items["acc_minibatch"].getOriginalDataset()
    assert len(x) == 1
    assert "previous run" in [label.text for _, label in curves.acc_plot.legend.items]
    curves.clear()
    curves.flush()
    x, _ = curves._prev_items["acc_minibatch"].getOriginalDataset()
    assert x is None or len(x) == 0


def test_knob_markers_are_labelled(curves):
    assert marker_text("l2", 0.005, 0.05) == "lambda 0.005 -> 0.05"
    curves.add_marker(120, "l2", 0.004999999888, 0.0500000007)
    curves.add_marker(300, "dropout", 0.0, 0.5)
    curves.flush()
    assert curves.marker_labels() == ["lambda 0.005 -> 0.05", "dropout 0 -> 0.5"]
    assert [m.value() for m in curves._marker_items] == [120, 300]
    curves.start_run(10)
    curves.flush()
    assert curves.marker_labels() == []


def test_restricted_mode_shades_the_gap(curves):
    for step in range(30):
        curves.add_step(step, 0.1, 1.0)
        if step % 10 == 0:
            curves.add_eval(step, "valid", 1.0, 0.6)
    curves.flush()
    assert not curves.gap_fill.isVisible()
    curves.set_restricted(True)
    curves.flush()
    assert curves.gap_fill.isVisible()
    assert not curves.gap_fill.path().isEmpty()  # something is actually shaded
    assert curves.gap_fill.boundingRect().height() > 30
    top = curves.series["acc_gap"].y
    bottom = curves.series["acc_valid"].y
    assert (top >= bottom).all()
    assert (top - bottom).max() > 30


def test_export_csv_and_png(curves, tmp_path):
    for step in range(5):
        curves.add_step(step, 1.0 - step / 10, step / 10)
    curves.add_eval(4, "valid", 0.7, 0.35)
    curves.add_eval(4, "test", 0.8, 0.3)
    curves.export_csv(tmp_path / "c.csv")
    with (tmp_path / "c.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert [r["step"] for r in rows] == ["0", "1", "2", "3", "4"]
    assert rows[0]["valid_accuracy"] == ""
    assert float(rows[4]["valid_accuracy"]) == pytest.approx(35.0)
    assert float(rows[4]["test_accuracy"]) == pytest.approx(30.0)
    curves.export_png(tmp_path / "c.png")
    img = QImage(str(tmp_path / "c.png"))
    assert not img.isNull()
    assert img.width() > 100


def test_curve_items_use_the_fast_paths(curves):
    for item in curves.items.values():
        if item is curves.items["acc_gap"]:
            continue
        assert item.opts["clipToView"]
        assert item.opts["autoDownsample"]
        assert item.opts["downsampleMethod"] == "peak"
        assert item.opts["skipFiniteCheck"]


def test_step_axis_grows_in_stages_up_to_the_run_length():
    from gui.panels.curves import x_extent

    assert [x_extent(s, 3001) for s in (0, 9, 95, 120, 480, 1900, 2999)] == [
        10, 10, 100, 200, 1000, 2000, 3001]
    assert x_extent(150_000, 0) == 200_000  # no known length: keeps growing


def test_step_axis_follows_the_run_until_the_learner_zooms(curves):
    curves.start_run(3001)
    for step in range(0, 150):
        curves.add_step(step, 2.0, 0.5)
    curves.flush()
    (x0, x1), _ = curves.loss_plot.viewRange()
    assert x0 < 0 < 150 < x1 < 250  # 0..200 with a little padding
    curves.loss_plot.getViewBox().sigRangeChangedManually.emit([True, False])  # a mouse zoom
    for step in range(150, 900):
        curves.add_step(step, 2.0, 0.5)
    curves.flush()
    assert curves.loss_plot.viewRange()[0][1] < 250  # left where the learner put it
    curves.start_run(3001)  # a new run follows again
    curves.add_step(0, 2.0, 0.5)
    curves.flush()
    assert curves.loss_plot.viewRange()[0][1] < 20


def test_axes_are_cached_between_range_changes(curves):
    from PySide6.QtWidgets import QGraphicsItem

    for plot in (curves.loss_plot, curves.acc_plot):
        for side in ("left", "bottom"):
            assert (plot.getAxis(side).cacheMode()
                    == QGraphicsItem.CacheMode.DeviceCoordinateCache)


def test_validation_dots_give_way_to_a_line_when_there_are_many(curves):
    from gui.panels.curves import MAX_DOTS

    curves.start_run(100_000)
    for k in range(MAX_DOTS):
        curves.add_eval(100 * k, "valid", 1.0, 0.5)
    curves.flush()
    assert curves.items["acc_valid"].opts["symbol"] == "o"
    curves.add_eval(100 * MAX_DOTS, "valid", 1.0, 0.5)
    curves.flush()
    assert curves.items["acc_valid"].opts["symbol"] is None
    assert curves.items["loss_valid"].opts["symbol"] is None
    assert curves.items["acc_valid"].opts["pen"].widthF() == 1
    curves.start_run(100)  # a new short run has its dots back
    curves.add_eval(0, "valid", 1.0, 0.5)
    curves.flush()
    assert curves.items["acc_valid"].opts["symbol"] == "o"
    assert curves.items["acc_valid"].opts["pen"].widthF() == 2


def test_the_loss_axis_is_labelled_at_1_2_5_only(curves):
    import math

    axis = curves.loss_plot.getAxis("left")
    levels = axis.logTickValues(math.log10(0.15), math.log10(7.0), 300, [])
    (_, major), (_, minor) = levels
    assert [round(10 ** v, 6) for v in major] == [0.2, 0.5, 1, 2, 5]
    assert 0.3 in [round(10 ** v, 6) for v in minor]
    assert axis.logTickStrings(major + minor[:1], 1, 1) == ["0.2", "0.5", "1", "2", "5", ""]
