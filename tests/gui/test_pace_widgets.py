"""The change view, the pace picker, the banner's action button and step dots, without training."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from core.events import WeightSnapshot
from core.weights import output_tiles, weight_display
from gui.panels.pace_box import PACE_KEYS, PaceCombo, pace_label
from gui.panels.weight_change import change_caption, weight_change
from gui.panels.weights import WeightsPanel
from gui.status import Banner


def snapshot(step: int, kernel: np.ndarray, kind: str = "output") -> WeightSnapshot:
    mosaic, tile, grid, limit = weight_display(kind, kernel)
    return WeightSnapshot(step, kind, mosaic, tile, grid, limit, tuple("ABCDEFGHIJ"), 10)


def kernels(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    before = rng.normal(0, 0.1, (784, 10)).astype(np.float32)
    update = np.zeros_like(before)
    update[300:310, 3] = 0.02  # one SGD step moves a few weights of class D
    update[100, 7] = -0.05
    return before, before + update


def test_the_change_is_the_difference_of_the_two_snapshots_with_its_gutters():
    before, after = kernels()
    a, b = snapshot(40, before), snapshot(41, after)
    change = weight_change(a, b)
    assert change is not None
    assert (change.before, change.after, change.steps) == (40, 41, 1)
    np.testing.assert_array_equal(change.mosaic, b.mosaic - a.mosaic)
    assert np.isnan(change.mosaic).any()  # the gutters stay gutters
    assert change.limit == pytest.approx(0.05)
    tiles = output_tiles(after - before)
    assert tiles[3].max() == pytest.approx(0.02) and tiles[7].min() == pytest.approx(-0.05)
    assert "step 40 → 41 · largest ±0.05" in change_caption(change)


def test_no_change_across_runs_or_layouts():
    before, after = kernels()
    a, b = snapshot(40, before), snapshot(41, after)
    assert weight_change(None, b) is None
    assert weight_change(b, a) is None  # a new run's first snapshot after another run's last
    assert weight_change(a, snapshot(41, after[:, :9])) is None  # another layout


def test_the_weights_panel_toggles_between_the_weights_and_their_change(qtbot):
    panel = WeightsPanel()
    qtbot.addWidget(panel)
    panel.resize(500, 500)
    panel.show()
    before, after = kernels()
    a, b = snapshot(0, before), snapshot(1, after)
    panel.set_snapshot(a)
    panel.change_button.setChecked(True)  # on before a change exists: the weights, and why
    assert panel.change is None
    assert "change: after the next snapshot" in panel.caption.text()
    panel.set_snapshot(b)
    panel.flush()
    assert panel.change is not None
    drawn = panel.image.image
    np.testing.assert_array_equal(drawn, (b.mosaic - a.mosaic)[: drawn.shape[0], : drawn.shape[1]])
    assert panel.limit == pytest.approx(0.05)
    assert panel.colorbar.getAxis("left").labelText == "change"
    panel.change_button.setChecked(False)
    np.testing.assert_array_equal(panel.image.image, b.mosaic[: drawn.shape[0], : drawn.shape[1]])
    assert panel.limit == pytest.approx(b.limit)
    assert panel.colorbar.getAxis("left").labelText == "weight"
    panel.clear()
    assert panel.latest is None and panel.previous is None


def test_the_pace_picker_shows_any_pace_and_names_its_shortcuts(qtbot):
    combo = PaceCombo()
    qtbot.addWidget(combo)
    assert combo.pace() is None
    assert [combo.itemText(i) for i in range(combo.count())] == [
        "Full speed",
        "300 steps/s",
        "100 steps/s",
        "30 steps/s",
        "10 steps/s",
    ]
    chosen = []
    combo.pace_chosen.connect(chosen.append)
    combo.set_pace(30.0)
    assert combo.pace() == 30.0 and chosen == []  # set without emitting
    combo.set_pace(5.0)  # a lesson's own pace
    assert combo.pace() == 5.0 and combo.currentText() == "5 steps/s"
    combo.set_pace(None)
    assert combo.currentText() == "Full speed"
    combo.activated.emit(3)
    assert chosen == [combo.itemData(3)]
    assert all(PACE_KEYS[p] in combo.toolTip() for p in PACE_KEYS)
    assert pace_label(None) == "Full speed"


def test_the_banner_action_hides_it_and_calls_its_slot(qtbot):
    banner = Banner()
    qtbot.addWidget(banner)
    calls = []
    banner.show_message("Too fast to watch", "info", ("Watch", lambda: calls.append(1)))
    assert banner.action.isVisibleTo(banner) and banner.action.text() == "Watch"
    qtbot.mouseClick(banner.action, Qt.MouseButton.LeftButton)
    assert calls == [1] and banner.isHidden()
    banner.show_message("Diverged", "error")
    assert not banner.action.isVisibleTo(banner)


def test_the_first_minibatch_points_are_dots_a_stepped_run_can_see(qtbot):
    from gui.panels.curves import MAX_STEP_DOTS, CurvesPanel

    curves = CurvesPanel()
    qtbot.addWidget(curves)
    curves.start_run(300)
    curves.add_step(0, 2.3, 0.1)  # one point: a line alone would draw nothing
    curves.flush()
    assert curves.items["loss_minibatch"].opts["symbol"] == "o"
    assert curves.items["acc_minibatch"].opts["symbol"] == "o"
    for step in range(1, MAX_STEP_DOTS + 1):
        curves.add_step(step, 2.0, 0.2)
    curves.flush()
    assert curves.items["loss_minibatch"].opts["symbol"] is None  # a run: the line only
    curves.start_run(300)
    curves.add_step(0, 2.3, 0.1)
    curves.flush()
    assert curves.items["loss_minibatch"].opts["symbol"] == "o"


def test_no_dot_where_a_point_cannot_be_drawn(qtbot):
    from gui.panels.curves import CurvesPanel

    curves = CurvesPanel()
    qtbot.addWidget(curves)
    curves.resize(600, 500)
    curves.show()
    curves.start_run(5)
    curves.add_step(0, float("nan"), 0.1)  # a step without a cross-entropy (an old run's)
    curves.flush()
    assert curves.items["loss_minibatch"].opts["symbol"] is None
    assert curves.items["acc_minibatch"].opts["symbol"] == "o"
    curves.add_step(1, 0.0, 1.0)  # log(0) on the loss axis
    curves.flush()
    assert curves.items["loss_minibatch"].opts["symbol"] is None
    assert not curves.grab().isNull()  # painted without crashing
