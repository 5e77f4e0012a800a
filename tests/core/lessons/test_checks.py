"""Checks are pure functions of a run's events: each kind turns done on the run that shows it."""

from __future__ import annotations

import numpy as np
import pytest

from core.events import (
    EvalMetrics,
    KnobChanged,
    RunFailed,
    RunFinished,
    RunStarted,
    StepMetrics,
    WeightSnapshot,
)
from core.lessons.checks import (
    CHECK_KINDS,
    DONE,
    MISSED,
    PENDING,
    check_done,
    check_params,
    next_states,
    reference_figure,
)
from core.lessons.facts import BaselinePoint, DataSummary, RunFacts
from core.lessons.track import Check

NO_CONFUSION = np.zeros((2, 2), np.int64)


def step(i: int, acc: float, xent: float = 1.0, lr: float = 0.5) -> StepMetrics:
    return StepMetrics(i, xent, acc, lr, 10.0, 1280.0, 1.0, xent)


def valid(i: int, acc: float, loss: float = 0.5) -> EvalMetrics:
    return EvalMetrics(i, "valid", loss, acc, NO_CONFUSION)


def finished(test: float | None = None, stopped: bool = False) -> RunFinished:
    ev = None if test is None else EvalMetrics(99, "test", 0.4, test, NO_CONFUSION)
    return RunFinished(100, stopped, ev, 1.0, 100.0, None)


def overfitting_run() -> list[object]:
    """Minibatch accuracy climbs to 100% while validation accuracy stalls at 80%."""
    events: list[object] = [RunStarted(100, {"preset": "overfit"}, ("A", "B"), "", None)]
    for i in range(0, 100, 10):
        events.append(step(i, min(1.0, 0.3 + i / 50), xent=2.0 * 0.9 ** (i / 10)))
        events.append(valid(i, min(0.8, 0.3 + i / 50), loss=0.6 + max(0, i - 40) / 500))
    return [*events, finished(0.81)]


def learning_run() -> list[object]:
    """Minibatch and validation accuracy climb together to 90%."""
    events: list[object] = []
    for i in range(0, 100, 10):
        events.append(step(i, 0.3 + 0.6 * i / 90, xent=2.0 * 0.8 ** (i / 10), lr=0.5 * 0.95**i))
        events.append(valid(i, 0.28 + 0.6 * i / 90))
    return [*events, finished(0.88)]


def done(kind: str, events: list[object], earlier=None, **params) -> bool:
    facts = RunFacts.from_events(events)
    return check_done(kind, check_params(kind, params), facts, earlier or {})


def test_the_overfitting_checks_tell_an_overfitting_run_from_a_learning_one():
    for kind, params in (
        ("validation_flattens", {"within": 0.02}),
        ("gap_opens", {"at_least": 0.1}),
        ("minibatch_accuracy_reaches", {"at_least": 0.99}),
        ("validation_loss_rises", {"by": 0.05}),
    ):
        assert done(kind, overfitting_run(), **params), kind
        assert not done(kind, learning_run(), **params), kind


def test_accuracy_thresholds_and_by_step():
    run = learning_run()
    assert done("validation_above", run, at_least=0.85)
    assert not done("validation_above", run, at_least=0.95)
    assert not done("validation_above", run, at_least=0.85, by_step=50)
    assert done("validation_above", run, at_least=0.5, by_step=50)
    assert done("test_above", run, at_least=0.88)
    assert not done("test_above", run, at_least=0.9)
    assert not done("test_above", run[:-1], at_least=0.1)  # no test figure before the end


def test_loss_falls_learning_rate_decays_and_finishes():
    assert done("loss_falls", learning_run(), by=0.5)
    flat = [step(i, 0.5, xent=2.0) for i in range(20)]
    assert not done("loss_falls", flat, by=0.5)
    assert done("learning_rate_decays", learning_run(), to_at_most=0.9)
    assert not done("learning_rate_decays", flat, to_at_most=0.9)
    assert done("finishes", learning_run())
    assert not done("finishes", [*learning_run()[:-1], finished(0.5, stopped=True)])
    assert not done("finishes", [*learning_run()[:-1], RunFailed(50, "diverged", True)])


def test_a_knob_check_needs_the_learner_to_move_that_knob():
    moved = [*learning_run()[:5], KnobChanged(30, "l2", 0.005, 0.05), *learning_run()[5:]]
    assert done("knob_moved", moved, knob="l2")
    assert not done("knob_moved", moved, knob="dropout")
    assert not done("knob_moved", learning_run(), knob="l2")


def test_beating_an_earlier_step_uses_the_learners_own_figure_when_known():
    run = learning_run()  # test 0.88, last validation 0.88
    assert done("beats_step", run, step="logreg", fallback=0.85)
    assert not done("beats_step", run, {"logreg": {"test": 0.9}}, step="logreg", fallback=0.85)
    assert done("beats_step", run, {"logreg": {"test": 0.8}}, step="logreg", fallback=0.95)
    params = check_params("beats_step", {"step": "logreg", "fallback": 0.85, "split": "valid"})
    assert reference_figure(params, {"logreg": {"valid": 0.7}}) == (0.7, True)
    assert reference_figure(params, {"other": {"valid": 0.7}}) == (0.85, False)


def test_ends_vs_step_compares_end_figures_only_once_the_run_ends():
    run = overfitting_run()
    facts = RunFacts.from_events(run)
    results = facts.results()
    assert set(results) == {"test", "valid", "valid_loss", "train_loss"}
    assert results["valid_loss"] == pytest.approx(0.6 + 50 / 500)
    lower = {"overfit": {"valid_loss": results["valid_loss"] + 0.01}}
    below = {"step": "overfit", "figure": "valid_loss", "relation": "below", "fallback": 9.0}
    assert done("ends_vs_step", run, lower, **below)
    assert not done("ends_vs_step", run[:-1], lower, **below)  # not before the end
    higher = {"overfit": {"valid_loss": results["valid_loss"] - 0.01}}
    assert not done("ends_vs_step", run, higher, **below)
    above = {**below, "figure": "train_loss", "relation": "above"}
    assert done("ends_vs_step", run, {"overfit": {"train_loss": 0.0}}, **above)
    assert not done("ends_vs_step", run, {"overfit": {"train_loss": 5.0}}, **above)


def test_data_and_baseline_checks():
    even = DataSummary({"train": (100, 98, 103), "valid": (10, 10, 9)}, {"train_test": 3})
    skewed = DataSummary({"train": (100, 10, 100)}, {})
    assert done("classes_balanced", [even], within=0.1)
    assert not done("classes_balanced", [skewed], within=0.1)
    assert done("overlaps_counted", [even])
    assert not done("overlaps_counted", [skewed])
    assert not done("classes_balanced", [], within=0.1)
    growing = [BaselinePoint(50, 0.6), BaselinePoint(100, 0.7), BaselinePoint(1000, 0.8)]
    assert done("baseline_grows", growing, by=0.1)
    assert not done("baseline_grows", growing[:1], by=0.1)
    assert not done("baseline_grows", growing[::-1][:1] + growing[:1], by=0.3)
    assert done("baseline_above", growing, at_least=0.8)
    assert not done("baseline_above", growing[:2], at_least=0.8)
    assert RunFacts.from_events(growing).results() == {"test": 0.8}


def test_states_stay_done_and_pending_turns_missed_at_the_end():
    checks = [
        Check("gap_opens", "gap", "curves", check_params("gap_opens", {"at_least": 0.1})),
        Check("test_above", "test", "curves", check_params("test_above", {"at_least": 0.99})),
    ]
    run = overfitting_run()
    facts, states = RunFacts(), [PENDING, PENDING]
    seen = []
    for ev in run:
        if facts.add(ev):
            states = next_states(checks, states, facts, {})
            seen.append(tuple(states))
    assert seen[0] == (PENDING, PENDING)
    assert (DONE, PENDING) in seen
    assert states == [DONE, MISSED]
    facts.valid_accuracy.append(1.0)  # the gap closes later: a done check stays done
    assert next_states(checks, states, facts, {}) == [DONE, MISSED]


def test_snapshots_change_no_fact():
    snap = WeightSnapshot(0, "output", np.zeros((3, 3)), (1, 1), (1, 1), 1.0)
    assert RunFacts().add(snap) is False


ENDS = {"step": "x", "figure": "test", "relation": "below", "fallback": 1.0}


@pytest.mark.parametrize(
    ("kind", "params", "why"),
    [
        ("beats_step", {"step": "x", "fallback": 0.5, "split": "train"}, "split must be one of"),
        ("knob_moved", {"knob": "volume"}, "knob must be one of"),
        ("ends_vs_step", {**ENDS, "figure": "f1"}, "figure must be one of"),
        ("ends_vs_step", {**ENDS, "relation": "near"}, "relation must be one of"),
        ("gap_opens", {"at_least": True}, "must be a float"),
    ],
)
def test_bad_parameters_say_why(kind, params, why):
    with pytest.raises(ValueError, match=why):
        check_params(kind, params)


def test_every_kind_is_documented_and_typed():
    for name, kind in CHECK_KINDS.items():
        assert kind.doc and kind.step_kind in ("train", "data", "baseline"), name
