"""What a lesson step's run has shown so far, gathered from its events (no Qt, no TensorFlow).

:class:`RunFacts` folds the trainer's events (:mod:`core.events`) and the two events of the
steps that train nothing (:class:`BaselinePoint`, :class:`DataSummary`) into the few series the
checks of :mod:`core.lessons.checks` read. It keeps one number per event, never an image.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from core.events import (
    EvalMetrics,
    KnobChanged,
    RunFailed,
    RunFinished,
    RunStarted,
    StepMetrics,
)


@dataclass(frozen=True)
class BaselinePoint:
    """The scikit-learn baseline step: test accuracy after fitting on ``samples`` images."""

    samples: int
    accuracy: float


@dataclass(frozen=True)
class DataSummary:
    """The data step: images per class in each split, and images shared between splits.

    ``overlaps`` uses the keys of :func:`core.data.curate.overlap_counts` (``within_train``,
    ``train_valid``, ``train_test``, ``valid_test``).
    """

    class_counts: dict[str, tuple[int, ...]]
    overlaps: dict[str, int] = field(default_factory=dict)


@dataclass
class RunFacts:
    """The series a step's checks read, filled by :meth:`add` one event at a time."""

    preset: str | None = None
    total_steps: int = 0
    steps: list[int] = field(default_factory=list)
    minibatch_accuracy: list[float] = field(default_factory=list)
    cross_entropy: list[float] = field(default_factory=list)
    learning_rate: list[float] = field(default_factory=list)
    valid_steps: list[int] = field(default_factory=list)
    valid_accuracy: list[float] = field(default_factory=list)
    valid_loss: list[float] = field(default_factory=list)
    test_accuracy: float | None = None
    knobs_moved: set[str] = field(default_factory=set)
    ended: bool = False
    stopped: bool = False
    failed: bool = False
    baseline: list[BaselinePoint] = field(default_factory=list)
    data: DataSummary | None = None

    @classmethod
    def from_events(cls, events: Iterable[object]) -> RunFacts:
        """The facts of a whole event stream (or of a history read back from a run folder)."""
        facts = cls()
        for ev in events:
            facts.add(ev)
        return facts

    def add(self, ev: object) -> bool:
        """Fold one event in; returns whether a check could read something new from it.

        Weight snapshots and pause events change nothing a check reads (False).
        """
        if isinstance(ev, StepMetrics):
            self.steps.append(ev.step)
            self.minibatch_accuracy.append(float(ev.accuracy))
            self.cross_entropy.append(float(ev.cross_entropy))
            self.learning_rate.append(float(ev.learning_rate))
        elif isinstance(ev, EvalMetrics):
            if ev.split == "test":
                self.test_accuracy = float(ev.accuracy)
            else:
                self.valid_steps.append(ev.step)
                self.valid_accuracy.append(float(ev.accuracy))
                self.valid_loss.append(float(ev.loss))
        elif isinstance(ev, KnobChanged):
            self.knobs_moved.add(ev.name)
        elif isinstance(ev, RunStarted):
            self.preset = str(ev.settings.get("preset", "")) or None
            self.total_steps = ev.total_steps
        elif isinstance(ev, RunFinished):
            self.ended, self.stopped = True, ev.stopped
            if ev.test is not None:
                self.test_accuracy = float(ev.test.accuracy)
        elif isinstance(ev, RunFailed):
            self.ended = self.failed = True
        elif isinstance(ev, BaselinePoint):
            self.baseline.append(ev)
        elif isinstance(ev, DataSummary):
            self.data = ev
        else:
            return False
        return True

    def results(self) -> dict[str, float]:
        """The learner's figures to remember for later steps, as far as the run has shown them.

        ``test`` and ``valid`` accuracy (0..1; the baseline step's ``test`` is its accuracy
        with the most images), the last ``valid_loss``, and ``train_loss``: the mean minibatch
        cross-entropy over the second half of the run (one minibatch's figure is too noisy to
        compare two runs by). A figure not shown yet is left out.
        """
        out: dict[str, float] = {}
        if self.test_accuracy is not None:
            out["test"] = self.test_accuracy
        elif self.baseline:
            out["test"] = max(self.baseline, key=lambda p: p.samples).accuracy
        if self.valid_accuracy:
            out["valid"] = self.valid_accuracy[-1]
            out["valid_loss"] = self.valid_loss[-1]
        half = self.cross_entropy[len(self.cross_entropy) // 2 :]
        tail = [v for v in half if math.isfinite(v)]
        if tail:
            out["train_loss"] = sum(tail) / len(tail)
        return out
