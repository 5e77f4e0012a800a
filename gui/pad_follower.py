"""The draw pad follows the model: a drawing on it is classified again as the model learns.

After every evaluation and weight snapshot of a run (at most 4 times a second), at the end of a
run, and whenever the pad gets a new model (a run starts, a run is opened, a model is loaded).
With nothing drawn, nothing is computed (:meth:`gui.panels.draw_pad.DrawPad.reclassify`).
"""

from __future__ import annotations

from PySide6.QtCore import QObject

from gui.panels.draw_pad import DrawPad
from gui.session import TrainingSession
from gui.throttle import Throttle

FOLLOW_INTERVAL_MS = 250  # at most 4 answers a second while a run trains


class PadFollower(QObject):
    """Keeps ``pad``'s answer in step with ``session``'s model."""

    def __init__(self, pad: DrawPad, session: TrainingSession) -> None:
        super().__init__(pad)
        self.pad = pad
        self.reclassify = Throttle(pad.reclassify, FOLLOW_INTERVAL_MS, self)
        session.evaluated.connect(lambda _ev: self.reclassify())
        session.snapshot.connect(lambda _ev: self.reclassify())
        session.finished.connect(lambda _ev: pad.reclassify())

    def cancel(self) -> None:
        """Drop a scheduled answer (the window is closing)."""
        self.reclassify.cancel()
