"""A lesson track and its steps, as read from a track file (see :mod:`core.lessons.loader`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core.models.presets import get_preset

STEP_KINDS = ("train", "data", "baseline")
# the settings a step may fix or hand to the learner; the first three act mid-run
KNOBS = ("learning_rate", "l2", "dropout", "batch_size", "steps", "restrict_batches", "seed")
PANELS = (
    "controls",
    "curves",
    "weights",
    "draw",
    "samples",
    "confusion",
    "misclassified",
    "log",
    "lesson",
)


@dataclass(frozen=True)
class Check:
    """Something the step's run should show, tied to the panel where the learner sees it.

    ``kind`` and ``params`` are one of :data:`core.lessons.checks.CHECK_KINDS` with its
    validated parameters; ``text`` is what the lesson panel says.
    """

    kind: str
    text: str
    panel: str
    params: dict[str, Any] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class Step:
    """One step of a track.

    Attributes
    ----------
    id:
        Short name, unique in the track (checks of later steps refer to it).
    title, text:
        What the lesson panel shows; ``text`` may link glossary terms as ``[[term]]`` or
        ``[[term|shown words]]``.
    kind:
        ``"train"`` (a preset's run), ``"data"`` (look at the data) or ``"baseline"``
        (scikit-learn's logistic regression on a growing number of images).
    preset:
        The model preset (train steps; ``None`` otherwise).
    dataset:
        The dataset spec the step loads.
    values:
        Settings the step sets on top of the preset's (any of :data:`KNOBS`).
    knobs:
        The settings the learner may move; every other one stays as the step sets it.
    figure:
        The lesson's figure in words; ``figure_test`` the test accuracy it reports (0..1),
        when it reports one.
    sizes:
        Training-set sizes of a baseline step.
    """

    id: str
    title: str
    text: str
    kind: str = "train"
    preset: str | None = None
    dataset: str = ""
    values: dict[str, float] = field(default_factory=dict, hash=False)
    knobs: tuple[str, ...] = ()
    figure: str = ""
    figure_test: float | None = None
    checks: tuple[Check, ...] = ()
    sizes: tuple[int, ...] = ()

    @property
    def fixed(self) -> tuple[str, ...]:
        """The settings the learner should leave alone."""
        return tuple(k for k in KNOBS if k not in self.knobs)

    def settings(self) -> dict[str, Any]:
        """The preset's values of every :data:`KNOBS` setting with the step's own on top.

        Empty for a step without a preset.
        """
        if self.preset is None:
            return {}
        p = get_preset(self.preset)
        base: dict[str, Any] = {
            "learning_rate": p.learning_rate,
            "l2": p.l2,
            "dropout": p.dropout,
            "batch_size": p.batch_size,
            "steps": p.steps,
            "restrict_batches": p.restrict_batches,
            "seed": 0,
        }
        return {**base, **self.values}

    def panels(self) -> tuple[str, ...]:
        """The panels the step's checks point at, in order, each once."""
        return tuple(dict.fromkeys(c.panel for c in self.checks))


@dataclass(frozen=True)
class Track:
    """An ordered list of steps (one track file)."""

    id: str
    title: str
    description: str
    steps: tuple[Step, ...]
    source: str = ""  # the file it was read from

    def index_of(self, step_id: str) -> int:
        """Position of step ``step_id``; KeyError names the known steps."""
        for i, step in enumerate(self.steps):
            if step.id == step_id:
                return i
        known = ", ".join(s.id for s in self.steps)
        raise KeyError(f"track {self.id!r} has no step {step_id!r} (steps: {known})")
