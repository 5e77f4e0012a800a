from __future__ import annotations

import math

import pytest

from core.models.presets import PRESETS, get_preset
from core.training.config import LIVE_KNOBS, TrainConfig
from gui.panels.controls import SLIDER_STEPS, ControlsPanel, Knob


@pytest.fixture
def panel(qtbot):
    p = ControlsPanel()
    qtbot.addWidget(p)
    return p


def test_presets_are_listed_in_lesson_order_with_their_figure_in_the_tooltip(panel):
    combo = panel.preset_combo
    assert [combo.itemData(i) for i in range(combo.count())] == list(PRESETS)
    i = combo.findData("nn1024-l2")
    assert "91.1%" in combo.itemData(i, role=3)  # ToolTipRole


@pytest.mark.parametrize("name", ["logreg-l2", "overfit-dropout", "mnist-cnn-bn"])
def test_choosing_a_preset_fills_every_knob(panel, qtbot, name):
    with qtbot.waitSignal(panel.preset_selected) as blocker:
        panel.select_preset(name, emit=True)
    assert blocker.args == [name]
    p = get_preset(name)
    v = panel.values()
    assert v["preset"] == name
    assert v["learning_rate"] == pytest.approx(p.learning_rate)
    assert v["l2"] == pytest.approx(p.l2)
    assert v["dropout"] == pytest.approx(p.dropout)
    assert (v["batch_size"], v["steps"]) == (p.batch_size, p.steps)
    assert v["restrict_batches"] == p.restrict_batches
    assert panel.restrict.isChecked() == (p.restrict_batches > 0)


def test_values_always_make_a_valid_config(panel):
    for name in PRESETS:
        panel.select_preset(name)
        v = panel.values()
        cfg = TrainConfig.from_preset(v.pop("preset"), **v)
        cfg.validate()


def test_restrict_switch_gives_n_only_when_on(panel):
    panel.select_preset("nn1024")
    panel.restrict_n.setValue(7)
    assert panel.values()["restrict_batches"] == 0
    assert not panel.restrict_n.isEnabled()
    panel.restrict.setChecked(True)
    assert panel.restrict_n.isEnabled()
    assert panel.values()["restrict_batches"] == 7


@pytest.mark.parametrize(
    ("box", "bad", "clamped"),
    [("batch_size", 0, 1), ("batch_size", 10**6, 4096), ("steps", -5, 1), ("seed", -1, 0)],
)
def test_int_boxes_clamp_bad_values_and_say_why(panel, box, bad, clamped):
    w = getattr(panel, box)
    w.setValue(bad)
    assert w.value() == clamped
    assert w.toolTip()


def test_knobs_clamp_and_explain(panel):
    panel.learning_rate.setValue(1000.0)
    assert panel.learning_rate.value() == 100.0
    panel.learning_rate.setValue(0.0)
    assert panel.learning_rate.value() > 0
    panel.dropout.setValue(1.0)
    assert panel.dropout.value() < 1.0
    panel.l2.setValue(-1)
    assert panel.l2.value() == 0.0
    for knob in panel.knobs.values():
        assert knob.toolTip()
        assert knob.spin.toolTip()


def test_log_knob_slider_round_trips_and_keeps_zero_at_the_left(qtbot):
    knob = Knob(1e-5, 1.0, allow_zero=True, decimals=5)
    qtbot.addWidget(knob)
    knob.setValue(0.0)
    assert knob.slider.value() == 0
    knob.setValue(1.0)
    assert knob.slider.value() == SLIDER_STEPS
    knob.setValue(0.005)
    pos = knob.slider.value()
    assert 0 < pos < SLIDER_STEPS
    assert knob._to_value(pos) == pytest.approx(0.005, rel=0.02)
    # log scale: each decade takes the same slider distance
    d1 = knob._to_position(1e-3) - knob._to_position(1e-4)
    d2 = knob._to_position(1e-1) - knob._to_position(1e-2)
    assert abs(d1 - d2) <= 1


def test_slider_release_and_spin_emit_but_programmatic_set_does_not(qtbot):
    knob = Knob(1e-4, 10.0)
    qtbot.addWidget(knob)
    got: list[float] = []
    knob.valueChanged.connect(got.append)
    knob.setValue(0.5)
    assert got == []
    knob.spin.setValue(0.25)
    assert got == [0.25]
    knob.slider.setValue(SLIDER_STEPS)  # what a released drag does
    assert got[-1] == pytest.approx(10.0)
    assert knob.value() == pytest.approx(10.0)
    assert math.isclose(got[-1], knob.value())


def test_live_knob_changes_are_reported_by_name(panel, qtbot):
    with qtbot.waitSignal(panel.knob_changed) as blocker:
        panel.l2.spin.setValue(0.05)
    assert blocker.args == ["l2", pytest.approx(0.05)]
    with qtbot.waitSignal(panel.knob_changed) as blocker:
        panel.dropout.spin.setValue(0.4)
    assert blocker.args == ["dropout", pytest.approx(0.4)]


def test_running_disables_all_but_the_live_knobs(panel):
    panel.select_preset("nn1024")  # a model that uses all three live knobs
    panel.set_data_status("ready", ready=True)
    assert panel.start_button.isEnabled()
    assert not panel.stop_button.isEnabled()
    panel.set_run_state(True)
    assert set(panel.knobs) == set(LIVE_KNOBS)
    assert all(k.isEnabled() for k in panel.knobs.values())
    for w in (
        panel.batch_size,
        panel.steps,
        panel.seed,
        panel.restrict,
        panel.preset_combo,
        panel.dataset_combo,
        panel.start_button,
    ):
        assert not w.isEnabled()
    assert panel.pause_button.isEnabled()
    assert panel.stop_button.isEnabled()
    panel.set_run_state(True, paused=True)
    assert panel.pause_button.text() == "Resume"
    panel.set_run_state(False)
    assert panel.batch_size.isEnabled()
    assert panel.start_button.isEnabled()


def test_start_needs_a_dataset(panel):
    panel.set_run_state(False)
    assert not panel.start_button.isEnabled()
    panel.set_data_status("loaded", ready=True)
    assert panel.start_button.isEnabled()


def test_download_buttons_ask_for_a_download(panel, qtbot):
    panel.set_specs(
        {"fonts-letters": "x", "notmnist": "big", "notmnist-small": "small", "mnist": "digits"}
    )
    with qtbot.waitSignal(panel.dataset_selected) as blocker:
        panel.download_notmnist.click()
    assert blocker.args == ["notmnist-small", True]
    with qtbot.waitSignal(panel.dataset_selected) as blocker:
        panel.download_mnist.click()
    assert blocker.args == ["mnist", True]
    assert panel.dataset_spec() == "mnist"


def test_loading_shows_progress_then_hides_it(panel):
    panel.set_loading("Downloading", 5, 10)
    assert panel.progress.isVisibleTo(panel)
    assert (panel.progress.value(), panel.progress.maximum()) == (5, 10)
    panel.set_data_status("done", ready=True)
    assert not panel.progress.isVisibleTo(panel)
    assert panel.data_status.text() == "done"


def test_opened_file_joins_the_picker(panel):
    panel.set_dataset_spec("/data/my-digits.npz")
    assert panel.dataset_spec() == "/data/my-digits.npz"
    n = panel.dataset_combo.count()
    panel.add_spec("/data/my-digits.npz")
    assert panel.dataset_combo.count() == n


LOGREG_DROPOUT = "Logistic regression has no hidden layer, so there is nothing to drop out."


def test_a_knob_the_model_cannot_use_is_disabled_and_says_why(panel, qtbot):
    with qtbot.waitSignal(panel.preset_selected):
        panel.preset_combo.activated.emit(panel.preset_combo.findData("logreg-sgd"))  # the user
    assert not panel.knob_enabled("dropout")
    assert not panel.dropout.isEnabled()
    for widget in (panel.dropout, panel.dropout.slider, panel.dropout.spin):
        assert widget.toolTip() == LOGREG_DROPOUT
    assert panel.knob_enabled("learning_rate")
    assert panel.knob_enabled("l2")

    panel.select_preset("nn1024")
    assert panel.knob_enabled("dropout")
    assert panel.dropout.isEnabled()
    assert panel.dropout.spin.toolTip() == panel.dropout.why
    assert "drop out" not in panel.dropout.toolTip()

    panel.set_values({"preset": "mnist-softmax", "dropout": 0.0})  # settings restored
    assert not panel.knob_enabled("dropout")
    panel.set_values({"preset": "mnist-cnn"})
    assert panel.knob_enabled("dropout")
    with pytest.raises(KeyError, match="unknown knob"):
        panel.knob_enabled("momentum")


def test_an_unused_knob_stays_disabled_while_running(panel):
    panel.select_preset("logreg-l2")
    panel.set_data_status("ready", ready=True)
    for running, paused in ((True, False), (True, True), (False, False)):
        panel.set_run_state(running, paused)
        assert not panel.knob_enabled("dropout")
        assert panel.dropout.toolTip() == LOGREG_DROPOUT
        assert panel.knob_enabled("learning_rate")
        assert panel.knob_enabled("l2")
    panel.select_preset("overfit-dropout")
    panel.set_run_state(True)
    assert all(panel.knob_enabled(name) for name in LIVE_KNOBS)


@pytest.mark.parametrize("name", list(PRESETS))
def test_live_knobs_match_the_model_that_is_built(name):
    from core.models.build import build_model, dropout_layers

    spec = get_preset(name).model
    knobs = spec.live_knobs()
    assert set(knobs) <= set(LIVE_KNOBS)
    assert knobs[:2] == ("learning_rate", "l2")  # every model has weights to step and penalise
    has_dropout = bool(dropout_layers(build_model(spec, dropout=0.3)))
    assert ("dropout" in knobs) == has_dropout
    assert ("dropout" in knobs) == (spec.family != "logreg" and bool(spec.hidden))


def test_the_notmnist_download_offers_both_sets_with_their_sizes(panel, qtbot):
    texts = [a.text() for a in panel.download_notmnist.menu().actions()]
    assert texts == [
        "notMNIST small: 8 MB, 18,700 images",
        "notMNIST large + small: 256 MB, 530,000 images",
    ]
    assert "8 MB" in panel.download_notmnist.toolTip()
    with qtbot.waitSignal(panel.dataset_selected) as blocker:
        panel.download_notmnist.menu().actions()[1].trigger()
    assert blocker.args == ["notmnist", True]
