"""Live knobs: learning rate, L2 lambda and dropout, changed from any thread while training.

A change asked for waits for the end of the compiled call under way (at most ~50 ms), so every
change has an exact step; a run replayed from its knob timeline changes at the same steps.
"""

from __future__ import annotations

import threading
from typing import Any

from core.events import KnobChanged
from core.runs.files import KnobChange
from core.training.config import LIVE_KNOBS, TrainConfig

KNOB_LABELS = {"learning_rate": "learning rate", "l2": "L2 lambda", "dropout": "dropout"}


class LiveKnobs:
    """Mixin of the trainer's knob controls; the trainer sets the variables they write.

    The trainer provides ``learning_rate`` and ``l2`` (``tf.Variable``), ``_dropouts`` (the
    dropout layers), ``config``, ``preset``, ``live_knobs`` (the knobs its model uses),
    ``_lock``, ``_pending`` (changes asked for) and ``_plan`` (changes to replay).
    """

    learning_rate: Any
    l2: Any
    _dropouts: list
    config: TrainConfig
    preset: Any
    live_knobs: tuple[str, ...]
    _lock: threading.Lock
    _pending: dict[str, float]
    _plan: list[KnobChange]

    # -- controls (any thread) ------------------------------------------------------------------
    def knob(self, name: str) -> float:
        """Value of live knob ``name`` (a change asked for but not yet applied included)."""
        with self._lock:
            if name in self._pending:
                return self._pending[name]
        return self._knob_now(name)

    def _knob_now(self, name: str) -> float:
        if name == "learning_rate":
            return float(self.learning_rate.numpy())
        if name == "l2":
            return float(self.l2.numpy())
        if name == "dropout":
            return float(self._dropouts[0].rate.numpy()) if self._dropouts else 0.0
        raise KeyError(f"unknown knob {name!r}; live knobs are {LIVE_KNOBS}")

    def knob_values(self) -> dict[str, float]:
        """Every live knob's value now."""
        return {name: self.knob(name) for name in LIVE_KNOBS}

    def set_knob(self, name: str, value: float) -> None:
        """Change a live knob; it takes effect at the next compiled call (no retracing).

        Raises
        ------
        ValueError
            The value is out of range, or the model has no use for this knob.
        """
        value = float(value)
        if name not in LIVE_KNOBS:
            raise KeyError(f"unknown knob {name!r}; live knobs are {LIVE_KNOBS}")
        if name not in self.live_knobs:
            raise ValueError(f"{self.preset.name} has no {KNOB_LABELS[name]} to change")
        TrainConfig(**{**self.config.to_dict(), name: value}).validate()
        with self._lock:
            self._pending[name] = value

    def _assign(self, name: str, value: float) -> None:
        if name == "learning_rate":
            self.learning_rate.assign(value)
        elif name == "l2":
            self.l2.assign(value)
        else:
            for layer in self._dropouts:
                layer.rate.assign(value)

    def _apply_knobs(self, step: int) -> list[KnobChanged]:
        """Apply the replayed changes due at ``step`` and those asked for; their events."""
        changes: list[tuple[str, float]] = []
        while self._plan and self._plan[0].step <= step:
            change = self._plan.pop(0)
            if change.name in self.live_knobs:
                changes.append((change.name, change.new))
        with self._lock:
            changes.extend(self._pending.items())
            self._pending.clear()
        events = []
        for name, value in changes:
            old = self._knob_now(name)
            if old != value:
                self._assign(name, value)
                events.append(KnobChanged(step, name, old, value))
        return events

    def _until_plan(self, step: int) -> int:
        """Steps that may run from ``step`` before the next replayed change is due."""
        return self._plan[0].step - step if self._plan else 1 << 62

    def pause(self) -> None:
        """Pause after the current chunk of steps."""
        self._running.clear()

    def resume(self) -> None:
        """Resume a paused run."""
        self._running.set()

    def stop(self) -> None:
        """Stop the run after the current chunk of steps (also wakes a paused run)."""
        self._stop.set()
        self._running.set()

    @property
    def paused(self) -> bool:
        """True while paused."""
        return not self._running.is_set()
