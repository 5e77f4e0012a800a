"""Repaint pacing: slots only buffer, and one throttled repaint draws what changed.

At most 12 repaints a second: smooth curves, and the CPU left to training (on 2 cores every
millisecond the GUI thread paints is taken from TensorFlow's threads). The status bar's numbers
and the weight mosaic are drawn less often (each costs more), and a part skipped for that gets a
repaint of its own once it is due, so nothing stays stale while a run is paused.
"""

from __future__ import annotations

import time
from collections import deque

from PySide6.QtCore import QObject, QTimer

from core.events import StepMetrics
from gui.panels.curves import CurvesPanel
from gui.panels.weights import WeightsPanel
from gui.status import StatusFields
from gui.throttle import Throttle

PAINT_INTERVAL_MS = 83  # at most 12 repaints a second
STATUS_INTERVAL_S = 0.25  # the status bar's numbers: readable, and each change relays the bar
WEIGHTS_INTERVAL_S = 0.2  # the weight mosaic: a fresh colour image each time


class RepaintPacer(QObject):
    """Draws the curves, the weight mosaic and the status bar's numbers, throttled.

    Call :meth:`request` after buffering a change (it coalesces), :meth:`note_step` with each
    step event, and :meth:`paint` with ``final=True`` at the end of a run.
    """

    def __init__(
        self,
        curves: CurvesPanel,
        weights: WeightsPanel,
        status: StatusFields,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.curves, self.weights, self.status = curves, weights, status
        self.total_steps = 0
        # a paced run leaves the CPU idle: its mosaic may then follow every repaint (interval 0)
        self.weights_interval = WEIGHTS_INTERVAL_S
        self.last_step: StepMetrics | None = None
        self._status_dirty = False
        self._status_at = 0.0  # perf_counter of the last status-bar update
        self._weights_at = 0.0  # ... and of the last weight-mosaic drawing
        self._late = False  # a repaint for skipped parts is scheduled
        self._frames: deque[float] = deque(maxlen=60)
        self.request = Throttle(self.paint, PAINT_INTERVAL_MS, self)

    def note_step(self, ev: StepMetrics) -> None:
        """Remember the newest step for the status bar."""
        self.last_step = ev
        self._status_dirty = True

    def start_run(self, total_steps: int) -> None:
        """Forget the last run's step (a new or opened run begins)."""
        self.total_steps = total_steps
        self.last_step = None
        self._status_dirty = False

    def paint(self, final: bool = False) -> None:
        """The one repaint: draw every buffered change (throttled to <= 12 Hz)."""
        self.curves.flush()
        now = time.perf_counter()
        self._frames.append(now)
        due: list[float] = []  # seconds until a part skipped here may be drawn
        if self.weights.dirty:
            wait = 0.0 if final else self.weights_interval - (now - self._weights_at)
            if wait <= 0:
                self.weights.flush()
                self._weights_at = now
            else:
                due.append(wait)
        wait = 0.0 if final else STATUS_INTERVAL_S - (now - self._status_at)
        if wait <= 0:
            self._status_at = now
            self._paint_status(now)
        elif self._status_dirty:
            due.append(wait)
        if due and not self._late:
            self._late = True
            QTimer.singleShot(int(1000 * min(due)) + 1, self, self._paint_late)

    def _paint_late(self) -> None:
        self._late = False
        self.request()

    def _paint_status(self, now: float) -> None:
        """The status bar's progress numbers and the repaint rate."""
        if self._status_dirty and self.last_step is not None:
            ev = self.last_step
            self.status.set_progress(
                ev.step + 1,
                self.total_steps,
                ev.steps_per_second,
                ev.samples_per_second,
                ev.elapsed,
            )
        self._status_dirty = False
        recent = [t for t in self._frames if now - t <= 1.0]
        self.status.set_fps(len(recent) / max(now - recent[0], 1e-3) if len(recent) > 1 else 0)

    def cancel(self) -> None:
        """Drop a scheduled repaint (the window is closing)."""
        self.request.cancel()
