from __future__ import annotations

import csv

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
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
    assert [m.value() for m in curves.marker_layer.lines()] == [120, 300]
    curves.start_run(10)
    curves.flush()
    assert curves.marker_labels() == []


def _shown_run(curves, qtbot, steps: int = 1000) -> None:
    curves.show()
    qtbot.waitExposed(curves)
    curves.start_run(steps)
    for step in range(0, steps, 10):
        curves.add_step(step, 1.0, 0.5 + 0.5 * step / steps)  # minibatch accuracy up to 100 %
    curves.flush()


def _label_bottom(curves, label) -> float:
    """The lowest accuracy (data units) a label's text covers."""
    _, px_h = curves.acc_plot.getViewBox().viewPixelSize()
    return label.pos().y() - label.textItem.boundingRect().height() * px_h


def test_marker_labels_hang_from_the_top_of_the_view_above_the_data(curves, qtbot):
    _shown_run(curves, qtbot)
    curves.add_marker(200, "learning_rate", 0.5, 0.05)
    curves.add_marker(700, "l2", 0.005, 0.05)
    curves.flush()
    labels = curves.marker_layer.labels()
    assert [label.toPlainText() for label in labels] == curves.marker_labels()
    (x0, x1), (_, top) = curves.acc_plot.viewRange()
    assert x0 < 200 < 700 < x1
    assert [label.pos().y() for label in labels] == pytest.approx([top, top])
    assert all(_label_bottom(curves, label) >= 100 - 1e-6 for label in labels)  # above the data
    assert "learning rate 0.5 -> 0.05" in curves.marker_layer.lines()[0].toolTip()  # on hover
    # they stay on the top edge when the view moves
    curves.acc_plot.setYRange(20, 60, padding=0)
    assert [label.pos().y() for label in labels] == pytest.approx([60, 60])
    curves.loss_plot.setXRange(100, 900, padding=0)  # the plots share the step axis
    assert [label.pos().y() for label in labels] == pytest.approx([60, 60])
    _, px_h = curves.acc_plot.getViewBox().viewPixelSize()
    assert px_h < 40 / 100  # the view really is 20..60 now, not back to 0..100


def test_close_marker_labels_take_rows_and_the_plot_makes_room(curves, qtbot):
    _shown_run(curves, qtbot)
    top_before = curves.acc_plot.viewRange()[1][1]
    for k, step in enumerate((400, 420, 440)):
        curves.add_marker(step, "dropout", 0.1 * k, 0.1 * (k + 1))
    curves.add_marker(990, "learning_rate", 0.5, 0.05)  # at the right edge
    curves.flush()
    assert curves.marker_layer.rows == 3
    labels = curves.marker_layer.labels()
    boxes = [label.sceneBoundingRect() for label in labels]
    for i in range(len(boxes)):
        for j in range(i):
            assert not boxes[i].intersects(boxes[j]), (i, j)
    top = curves.acc_plot.viewRange()[1][1]
    assert top > top_before
    assert min(label.pos().y() for label in labels) < top
    assert all(_label_bottom(curves, label) >= 100 - 1e-6 for label in labels)
    view = curves.acc_plot.getViewBox().sceneBoundingRect().adjusted(-0.5, -0.5, 0.5, 0.5)
    assert view.contains(boxes[-1])  # the right-edge label turned to the left of its line
    curves.start_run(1000)
    curves.flush()
    assert curves.marker_layer.rows == 0
    assert curves.acc_plot.viewRange()[1][1] == pytest.approx(top_before)


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
        10,
        10,
        100,
        200,
        1000,
        2000,
        3001,
    ]
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
            assert plot.getAxis(side).cacheMode() == QGraphicsItem.CacheMode.DeviceCoordinateCache


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
    assert [round(10**v, 6) for v in major] == [0.2, 0.5, 1, 2, 5]
    assert 0.3 in [round(10**v, 6) for v in minor]
    assert axis.logTickStrings(major + minor[:1], 1, 1) == ["0.2", "0.5", "1", "2", "5", ""]


def test_loss_axis_range_moves_in_1_2_5_stages():
    from gui.panels.curves import loss_extent

    assert loss_extent(0.23, 2.3) == (0.2, 5.0)
    assert loss_extent(0.05, 10.0) == (0.05, 10.0)  # ends already on the ladder
    assert loss_extent(2.0, 2.0) == (2.0, 5.0)  # a single value still gets a span
    assert loss_extent(0.099, 0.1) == (0.05, 0.1)
    assert loss_extent(1e-4, 3e4) == pytest.approx((1e-4, 5e4))


@given(lo=st.floats(1e-6, 1e6), span=st.floats(1.0, 1e4))
def test_loss_extent_holds_the_losses_within_one_stage(lo, span):
    from gui.panels.curves import loss_extent

    hi = lo * span
    a, b = loss_extent(lo, hi)
    assert a <= lo * (1 + 1e-9) and b >= hi * (1 - 1e-9) and b > a
    assert a > lo / 2.6 and b < hi * 2.6  # never more than one 1-2-5 step beyond the data


def _loss_range(curves) -> tuple[float, float]:
    _, (y0, y1) = curves.loss_plot.viewRange()
    return 10**y0, 10**y1


def _padded(lo: float, hi: float) -> tuple[float, float]:
    """The loss axis's view range for the 1-2-5 range ``lo..hi`` (log axis, padded)."""
    from gui.panels.curves import LOSS_PADDING

    pad = LOSS_PADDING * np.log10(hi / lo)
    return pytest.approx((lo / 10**pad, hi * 10**pad))


def test_loss_axis_follows_the_losses_in_stages_until_the_learner_zooms(curves):
    curves.start_run(3000)
    for step in range(100):
        curves.add_step(step, 2.3 * 0.99**step, 0.5)
    curves.flush()
    assert _loss_range(curves) == _padded(0.5, 5)  # losses 0.85..2.3
    curves.view.grab()  # paint: the axis draws its ticks into a cached picture
    before = curves.loss_plot.getAxis("left").picture
    curves.add_step(100, 0.8, 0.5)  # inside the stage: the axis is not rebuilt
    curves.flush()
    curves.view.grab()
    assert _loss_range(curves) == _padded(0.5, 5)
    assert before is not None and curves.loss_plot.getAxis("left").picture is before
    curves.add_eval(100, "valid", 0.3, 0.5)  # a validation loss below the stage widens it
    curves.flush()
    assert _loss_range(curves) == _padded(0.2, 5)
    curves.loss_plot.getViewBox().sigRangeChangedManually.emit([False, True])  # a mouse zoom
    curves.add_step(101, 0.01, 0.5)
    curves.flush()
    assert _loss_range(curves) == _padded(0.2, 5)  # left where the learner put it
    curves.start_run(3000)  # a new run follows again, the previous run's losses included
    curves.add_step(0, 2.0, 0.5)
    curves.flush()
    assert _loss_range(curves) == _padded(0.01, 5)
    curves.clear()  # forgets the previous run's losses too
    curves.add_step(0, 2.0, 0.5)
    curves.flush()
    assert _loss_range(curves) == _padded(2, 5)


def test_static_items_are_drawn_from_a_cache_and_look_the_same(curves, qtbot):
    from PySide6.QtWidgets import QGraphicsItem

    cached = curves._static_items()
    assert {curves.items["acc_valid"].scatter, curves.loss_plot.legend} <= set(cached)
    assert curves.items["loss_minibatch"].curve not in cached  # changes every repaint
    assert all(i.cacheMode() == QGraphicsItem.CacheMode.DeviceCoordinateCache for i in cached)

    def fill(panel: CurvesPanel) -> None:
        for _ in range(2):  # the second run puts the first behind it
            panel.start_run(1000)
            for s in range(0, 1000, 10):
                panel.add_step(s, 2 * np.exp(-s / 400) + 0.1 * (s % 30) / 30, s / 1100)
                if s % 100 == 0:
                    panel.add_eval(s, "valid", 2 * np.exp(-s / 400), s / 1200)
                if s % 50 == 0:
                    panel.flush()
                    qtbot.wait(1)
            panel.add_eval(990, "test", float("nan"), 0.8)
            panel.flush()

    plain = CurvesPanel()
    qtbot.addWidget(plain)
    plain.resize(700, 600)
    for item in plain._static_items():
        item.setCacheMode(QGraphicsItem.CacheMode.NoCache)
    for panel in (curves, plain):
        panel.show()
        fill(panel)

    def pixels(panel: CurvesPanel) -> np.ndarray:
        qtbot.wait(1)
        image = panel.view.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
        return np.array(image.constBits()).reshape(image.height(), -1).copy()

    def assert_same(a: np.ndarray, b: np.ndarray) -> None:
        # an antialiased edge blended through a cache pixmap may round one level differently
        diff = np.abs(a.astype(int) - b)
        assert diff.max() <= 2 and (diff > 0).mean() < 1e-3

    first = pixels(curves)
    assert_same(first, pixels(plain))
    for panel in (curves, plain):  # a pan and zoom moves the cached items with the axes
        panel.loss_plot.setXRange(300, 900, padding=0)
        panel.loss_plot.setYRange(-0.5, 0.2, padding=0)
    panned = pixels(curves)
    assert_same(panned, pixels(plain))
    assert (panned != first).mean() > 0.01


@pytest.mark.parametrize("height", [680, 900])
def test_accuracy_axis_labels_its_ends_on_a_small_screen(qtbot, height):
    """0 % and 100 % stay labelled when the plot is short (a 1366x768 window)."""
    from PySide6.QtGui import QPainter

    c = CurvesPanel()
    qtbot.addWidget(c)
    c.resize(640, height)
    c.show()
    qtbot.waitExposed(c)
    c.flush()
    axis = c.acc_plot.getAxis("left")
    image = QImage(10, 10, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        _, _, texts = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    labels = {text for _, _, text in texts}
    assert {"0", "100"} <= labels, labels


def test_points_that_are_not_finite_are_left_out_and_drawing_survives(curves):
    curves.show()
    curves.start_run(100)
    curves.add_step(0, float("nan"), 0.1)  # a minibatch point without its cross-entropy
    curves.add_step(1, 2.0, float("nan"))
    curves.add_step(2, 1.5, 0.3)
    curves.flush()
    curves.grab()  # drawing dots on a NaN point used to crash the painter
    assert curves.series["loss_minibatch"].n == 2
    assert curves.series["acc_minibatch"].n == 2
