"""What the lessons remember between launches: the track, each track's step and the results.

Stored in the window's :class:`~gui.settings.AppSettings` store under ``lessons/``, so tests
that give the window a temporary settings file get temporary progress too.
"""

from __future__ import annotations

import json
import math
from typing import Any

from gui.settings import AppSettings


class LessonProgress:
    """Typed access to the lessons' part of the settings.

    Parameters
    ----------
    settings:
        The window's settings.
    """

    def __init__(self, settings: AppSettings) -> None:
        self.store = settings.store

    def _json(self, key: str) -> Any:
        raw = self.store.value(key, "")
        try:
            return json.loads(raw) if isinstance(raw, str) and raw else None
        except json.JSONDecodeError:
            return None

    @property
    def track(self) -> str:
        """The track shown last (``"letters"`` the first time)."""
        value = self.store.value("lessons/track", "letters")
        return value if isinstance(value, str) and value else "letters"

    @track.setter
    def track(self, track_id: str) -> None:
        self.store.setValue("lessons/track", track_id)

    def step(self, track_id: str) -> int:
        """The step (0-based) the learner was on in ``track_id`` (0 the first time)."""
        try:
            return max(0, int(self.store.value(f"lessons/{track_id}/step", 0)))
        except (TypeError, ValueError):
            return 0

    def set_step(self, track_id: str, index: int) -> None:
        """Remember that the learner is on step ``index`` of ``track_id``."""
        self.store.setValue(f"lessons/{track_id}/step", int(index))

    def results(self, track_id: str) -> dict[str, dict[str, float]]:
        """The learner's figures per step id (``{"logreg": {"test": 0.86, ...}}``)."""
        value = self._json(f"lessons/{track_id}/results")
        if not isinstance(value, dict):
            return {}
        out: dict[str, dict[str, float]] = {}
        for step_id, figures in value.items():
            if isinstance(figures, dict):
                out[str(step_id)] = {
                    str(k): float(v)
                    for k, v in figures.items()
                    if isinstance(v, int | float) and math.isfinite(v)
                }
        return out

    def done(self, track_id: str) -> set[str]:
        """The steps whose checks were all done in some run."""
        value = self._json(f"lessons/{track_id}/done")
        return {str(v) for v in value} if isinstance(value, list) else set()

    def record(
        self, track_id: str, step_id: str, figures: dict[str, float], all_done: bool
    ) -> None:
        """Keep a finished run's figures for ``step_id`` (and that its checks were all done)."""
        results = self.results(track_id)
        results[step_id] = {k: float(v) for k, v in figures.items() if math.isfinite(v)}
        self.store.setValue(f"lessons/{track_id}/results", json.dumps(results))
        if all_done:
            done = self.done(track_id) | {step_id}
            self.store.setValue(f"lessons/{track_id}/done", json.dumps(sorted(done)))
