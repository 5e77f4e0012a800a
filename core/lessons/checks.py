"""The checks of a lesson step: pure functions of what the run has shown (:class:`RunFacts`).

A check is done when the run shows what the lesson asked the learner to look for ("the
validation curve flattens while minibatch accuracy reaches 100%"); it is computed from the
events, never from a timer. Each kind names its parameters with their types and defaults, so a
track file with a misspelt or missing parameter is refused when it is loaded.

``earlier`` maps an earlier step's id to the learner's own figures in it (``{"test": 0.86,
"valid": 0.85}``), so a step can ask to beat what the learner measured before; a step not run
yet falls back to the figure the track file gives.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from core.lessons.facts import RunFacts

PENDING, DONE, MISSED = "pending", "done", "missed"
REQUIRED = object()
Earlier = Mapping[str, Mapping[str, float]]


@dataclass(frozen=True)
class CheckKind:
    """One kind of check: its parameters ``name -> (type, default)`` and its test."""

    params: Mapping[str, tuple[type, Any]]
    test: Callable[[RunFacts, Mapping[str, Any], Earlier], bool]
    step_kind: str  # the kind of step it reads: "train", "data" or "baseline"
    doc: str


def _tail_mean(values: Sequence[float], n: int) -> float:
    tail = [v for v in values[-max(1, n) :] if math.isfinite(v)]
    return sum(tail) / len(tail) if tail else math.nan


def _head_mean(values: Sequence[float], n: int) -> float:
    head = [v for v in values[: max(1, n)] if math.isfinite(v)]
    return sum(head) / len(head) if head else math.nan


def _finishes(f: RunFacts, _p: Mapping[str, Any], _e: Earlier) -> bool:
    return f.ended and not f.stopped and not f.failed


def _loss_falls(f: RunFacts, p: Mapping[str, Any], _e: Earlier) -> bool:
    n = p["over"]
    if len(f.cross_entropy) < 2 * n:
        return False
    return _tail_mean(f.cross_entropy, n) <= p["by"] * _head_mean(f.cross_entropy, n)


def _minibatch_reaches(f: RunFacts, p: Mapping[str, Any], _e: Earlier) -> bool:
    n = p["over"]
    return len(f.minibatch_accuracy) >= n and _tail_mean(f.minibatch_accuracy, n) >= p["at_least"]


def _validation_flattens(f: RunFacts, p: Mapping[str, Any], _e: Earlier) -> bool:
    k = p["window"]
    if len(f.valid_accuracy) < k or len(f.minibatch_accuracy) < 5:
        return False
    last = f.valid_accuracy[-k:]
    flat = max(last) - min(last) <= p["within"]
    return flat and _tail_mean(f.minibatch_accuracy, 5) >= p["train_at_least"]


def _gap_opens(f: RunFacts, p: Mapping[str, Any], _e: Earlier) -> bool:
    if not f.valid_accuracy or len(f.minibatch_accuracy) < p["over"]:
        return False
    return _tail_mean(f.minibatch_accuracy, p["over"]) - f.valid_accuracy[-1] >= p["at_least"]


def _validation_loss_rises(f: RunFacts, p: Mapping[str, Any], _e: Earlier) -> bool:
    losses = [v for v in f.valid_loss if math.isfinite(v)]
    return len(losses) >= 2 and losses[-1] >= (1.0 + p["by"]) * min(losses)


def _validation_above(f: RunFacts, p: Mapping[str, Any], _e: Earlier) -> bool:
    by = p["by_step"]
    return any(
        a >= p["at_least"] and (by < 0 or s <= by)
        for s, a in zip(f.valid_steps, f.valid_accuracy, strict=True)
    )


def _test_above(f: RunFacts, p: Mapping[str, Any], _e: Earlier) -> bool:
    return f.test_accuracy is not None and f.test_accuracy >= p["at_least"]


def reference_figure(params: Mapping[str, Any], earlier: Earlier) -> tuple[float, bool]:
    """The figure a step-comparing check compares with, and whether it is the learner's own.

    Parameters
    ----------
    params:
        The check's parameters: ``step``, ``fallback`` and the figure's name in ``split``
        (``beats_step``) or ``figure`` (``ends_vs_step``).
    earlier:
        The learner's figures in earlier steps, by step id (:meth:`RunFacts.results`).

    Returns
    -------
    tuple
        ``(figure, own)``: the learner's figure in that step when known, else ``fallback``.
    """
    own = earlier.get(params["step"], {}).get(params.get("figure", params.get("split", "")))
    if own is not None and math.isfinite(own):
        return float(own), True
    return float(params["fallback"]), False


def _beats_step(f: RunFacts, p: Mapping[str, Any], e: Earlier) -> bool:
    reference, _own = reference_figure(p, e)
    now = f.results().get(p["split"]) if p["split"] == "valid" else f.test_accuracy
    return now is not None and now > reference + p["margin"]


def _ends_vs_step(f: RunFacts, p: Mapping[str, Any], e: Earlier) -> bool:
    if not f.ended or f.failed:
        return False
    now = f.results().get(p["figure"])
    if now is None or not math.isfinite(now):
        return False
    reference, _own = reference_figure(p, e)
    if p["relation"] == "below":
        return now < reference - p["margin"]
    return now > reference + p["margin"]


def _knob_moved(f: RunFacts, p: Mapping[str, Any], _e: Earlier) -> bool:
    return p["knob"] in f.knobs_moved


def _learning_rate_decays(f: RunFacts, p: Mapping[str, Any], _e: Earlier) -> bool:
    lrs = f.learning_rate
    return len(lrs) >= 2 and lrs[0] > 0 and lrs[-1] <= p["to_at_most"] * lrs[0]


def _classes_balanced(f: RunFacts, p: Mapping[str, Any], _e: Earlier) -> bool:
    if f.data is None:
        return False
    for counts in f.data.class_counts.values():
        total = sum(counts)
        if total == 0:
            continue
        mean = total / len(counts)
        if max(abs(c - mean) for c in counts) > p["within"] * mean:
            return False
    return any(sum(c) for c in f.data.class_counts.values())


def _overlaps_counted(f: RunFacts, _p: Mapping[str, Any], _e: Earlier) -> bool:
    return f.data is not None and "train_test" in f.data.overlaps


def _baseline_grows(f: RunFacts, p: Mapping[str, Any], _e: Earlier) -> bool:
    if len(f.baseline) < 2:
        return False
    points = sorted(f.baseline, key=lambda b: b.samples)
    return points[-1].accuracy >= points[0].accuracy + p["by"]


def _baseline_above(f: RunFacts, p: Mapping[str, Any], _e: Earlier) -> bool:
    return bool(f.baseline) and max(f.baseline, key=lambda b: b.samples).accuracy >= p["at_least"]


CHECK_KINDS: dict[str, CheckKind] = {
    "finishes": CheckKind({}, _finishes, "train", "the run reaches its last step"),
    "loss_falls": CheckKind(
        {"by": (float, 0.5), "over": (int, 5)},
        _loss_falls,
        "train",
        "the minibatch cross-entropy ends below `by` times where it started",
    ),
    "minibatch_accuracy_reaches": CheckKind(
        {"at_least": (float, REQUIRED), "over": (int, 5)},
        _minibatch_reaches,
        "train",
        "the mean of the last `over` minibatch accuracies reaches `at_least`",
    ),
    "validation_flattens": CheckKind(
        {"window": (int, 3), "within": (float, 0.02), "train_at_least": (float, 0.99)},
        _validation_flattens,
        "train",
        "the last `window` validation accuracies lie within `within` while minibatch "
        "accuracy is at `train_at_least`",
    ),
    "gap_opens": CheckKind(
        {"at_least": (float, 0.1), "over": (int, 5)},
        _gap_opens,
        "train",
        "minibatch accuracy runs `at_least` above validation accuracy",
    ),
    "validation_loss_rises": CheckKind(
        {"by": (float, 0.05)},
        _validation_loss_rises,
        "train",
        "the validation loss climbs `by` above its lowest point",
    ),
    "validation_above": CheckKind(
        {"at_least": (float, REQUIRED), "by_step": (int, -1)},
        _validation_above,
        "train",
        "validation accuracy reaches `at_least` (by step `by_step` when it is 0 or more)",
    ),
    "test_above": CheckKind(
        {"at_least": (float, REQUIRED)}, _test_above, "train", "test accuracy reaches `at_least`"
    ),
    "beats_step": CheckKind(
        {
            "step": (str, REQUIRED),
            "fallback": (float, REQUIRED),
            "split": (str, "test"),
            "margin": (float, 0.0),
        },
        _beats_step,
        "train",
        "accuracy on `split` beats the learner's own in step `step` (or `fallback`)",
    ),
    "ends_vs_step": CheckKind(
        {
            "step": (str, REQUIRED),
            "figure": (str, REQUIRED),
            "relation": (str, REQUIRED),
            "fallback": (float, REQUIRED),
            "margin": (float, 0.0),
        },
        _ends_vs_step,
        "train",
        "at the end, `figure` lies `relation` (above or below) the learner's own in step `step`",
    ),
    "knob_moved": CheckKind(
        {"knob": (str, REQUIRED)}, _knob_moved, "train", "the learner moves `knob` mid-run"
    ),
    "learning_rate_decays": CheckKind(
        {"to_at_most": (float, 0.9)},
        _learning_rate_decays,
        "train",
        "the learning rate falls to `to_at_most` times its start",
    ),
    "classes_balanced": CheckKind(
        {"within": (float, 0.25)},
        _classes_balanced,
        "data",
        "every class holds within `within` of the mean count in each split",
    ),
    "overlaps_counted": CheckKind(
        {}, _overlaps_counted, "data", "the images shared between splits are counted"
    ),
    "baseline_grows": CheckKind(
        {"by": (float, 0.05)},
        _baseline_grows,
        "baseline",
        "the baseline with the most images beats the one with the fewest by `by`",
    ),
    "baseline_above": CheckKind(
        {"at_least": (float, REQUIRED)},
        _baseline_above,
        "baseline",
        "the baseline with the most images reaches `at_least`",
    ),
}

SPLITS = ("test", "valid")
FIGURES = ("test", "valid", "valid_loss", "train_loss")
RELATIONS = ("above", "below")
LIVE_KNOBS = ("learning_rate", "l2", "dropout")


def check_params(kind: str, given: Mapping[str, Any]) -> dict[str, Any]:
    """Validate the parameters of a check of ``kind`` and fill in the defaults.

    Raises
    ------
    ValueError
        The kind is unknown, a parameter is unknown, missing or of the wrong type, or a
        split or knob name is not one the app has; the message says which.
    """
    spec = CHECK_KINDS.get(kind)
    if spec is None:
        raise ValueError(f"unknown check kind {kind!r} (known: {', '.join(CHECK_KINDS)})")
    unknown = sorted(set(given) - set(spec.params))
    if unknown:
        known = ", ".join(spec.params) or "none"
        raise ValueError(f"{kind}: unknown parameter {unknown[0]!r} (known: {known})")
    out: dict[str, Any] = {}
    for name, (kind_type, default) in spec.params.items():
        if name not in given:
            if default is REQUIRED:
                raise ValueError(f"{kind}: parameter {name!r} is required")
            out[name] = default
            continue
        value = given[name]
        if kind_type is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind_type) or isinstance(value, bool):
            raise ValueError(
                f"{kind}: parameter {name!r} must be a {kind_type.__name__}, got {value!r}"
            )
        out[name] = value
    if "split" in out and out["split"] not in SPLITS:
        raise ValueError(f"{kind}: split must be one of {', '.join(SPLITS)}")
    if "figure" in out and out["figure"] not in FIGURES:
        raise ValueError(f"{kind}: figure must be one of {', '.join(FIGURES)}")
    if "relation" in out and out["relation"] not in RELATIONS:
        raise ValueError(f"{kind}: relation must be one of {', '.join(RELATIONS)}")
    if "knob" in out and out["knob"] not in LIVE_KNOBS:
        raise ValueError(f"{kind}: knob must be one of {', '.join(LIVE_KNOBS)}")
    return out


def check_done(kind: str, params: Mapping[str, Any], facts: RunFacts, earlier: Earlier) -> bool:
    """Whether a check of ``kind`` with (validated) ``params`` is shown by ``facts``."""
    return bool(CHECK_KINDS[kind].test(facts, params, earlier))


def next_states(
    checks: Sequence[Any], states: Sequence[str], facts: RunFacts, earlier: Earlier
) -> list[str]:
    """The checks' states after ``facts``: a done check stays done; at the end, pending is missed.

    Parameters
    ----------
    checks:
        Objects with ``kind`` and ``params`` (:class:`core.lessons.track.Check`).
    states:
        Their states so far (``PENDING``, ``DONE`` or ``MISSED``), one per check.
    facts:
        What the run has shown.
    earlier:
        The learner's figures in earlier steps.
    """
    out = []
    for check, state in zip(checks, states, strict=True):
        if state != DONE and check_done(check.kind, check.params, facts, earlier):
            state = DONE
        elif state == PENDING and facts.ended:
            state = MISSED
        out.append(state)
    return out
