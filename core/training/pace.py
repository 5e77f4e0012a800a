"""Training pace and single steps: a run a learner can watch, or step through.

At *full speed* (pace ``None``) the run loop calls the compiled steps back to back, each call
sized by :class:`~core.training.batches.ChunkSizer`, and nothing here waits. At a pace of ``p``
steps per second each call runs about one repaint's worth of steps (``p * FRAME_SECONDS``, at
least one) and starts once the steps before it have had their time, so the curves grow a few
points per repaint instead of jumping. A call that starts late (a slow model, an evaluation, a
pause) starts the schedule afresh instead of hurrying to catch up. The pace may change at any
time, from any thread; the next call is sized and spaced by the new one.

On a paused run, :meth:`PacedSteps.advance` lets exactly ``n`` more steps run (one at a time
for a Step button), then the run stays paused.

The clock and the sleep are injectable (:class:`Pacing`), so tests check a schedule without
waiting for it.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

from core.events import Event, RunPaused

FRAME_SECONDS = 1 / 12  # one repaint of the window: a paced call runs this long's worth of steps
PACES = (10.0, 30.0, 100.0, 300.0)  # the paced settings offered to a learner (steps per second)
POLL_SECONDS = 0.05  # a wait checks for Stop and Pause this often
# A call that starts at most this late keeps the schedule (a sleep wakes a little late, and
# the next wait makes up for it); a later one (a slow model, an evaluation, a pause, a pace
# changed during the wait) starts the schedule afresh from now.
ON_TIME_SECONDS = 0.005
NO_LIMIT = 1 << 62


def check_pace(steps_per_second: float | None) -> float | None:
    """``None`` (full speed) or a positive, finite number of steps per second.

    Raises
    ------
    ValueError
        Anything else.
    """
    if steps_per_second is None:
        return None
    value = float(steps_per_second)
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"the pace must be a positive number of steps per second (got {value})")
    return value


class Pacing:
    """When the next paced call may start, and how many steps it runs.

    Parameters
    ----------
    steps_per_second:
        The pace, or None for full speed.
    clock:
        Seconds, monotonic (default :func:`time.monotonic`).
    sleep:
        ``sleep(seconds)``; it may return early (default: a wait that a pace change wakes).
    """

    def __init__(
        self,
        steps_per_second: float | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Any] | None = None,
    ) -> None:
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._pace = check_pace(steps_per_second)
        self.clock = clock
        self.sleep = sleep or (lambda seconds: self._wake.wait(min(seconds, POLL_SECONDS)))
        self._anchor: float | None = None  # when the last paced call was due to start
        self._last_steps = 0

    @property
    def steps_per_second(self) -> float | None:
        """The pace now (None: full speed)."""
        with self._lock:
            return self._pace

    def set(self, steps_per_second: float | None) -> None:
        """Change the pace; the next call uses it (a wait under way is cut short or stretched).

        Raises
        ------
        ValueError
            Not None nor a positive finite number.
        """
        value = check_pace(steps_per_second)
        with self._lock:
            self._pace = value
        self._wake.set()

    def call_size(self) -> int | None:
        """Steps for the next call at this pace (about one repaint's worth); None at full speed."""
        pace = self.steps_per_second
        return None if pace is None else max(1, int(pace * FRAME_SECONDS))

    def due_in(self) -> float:
        """Seconds until the next paced call may start (0 at full speed or when it is due)."""
        with self._lock:
            pace, anchor, steps = self._pace, self._anchor, self._last_steps
        if pace is None or anchor is None:
            return 0.0
        return max(0.0, anchor + steps / pace - self.clock())

    def wait_turn(self, interrupted: Callable[[], bool]) -> None:
        """Wait until the next paced call is due; at full speed return at once, never sleeping.

        ``interrupted()`` (a Stop or a Pause) ends the wait early.
        """
        while True:
            self._wake.clear()
            left = self.due_in()
            if left <= 0 or interrupted():
                return
            self.sleep(left)

    def began(self, steps: int | None) -> None:
        """A call of ``steps`` steps starts now (None: an unpaced call; the schedule restarts)."""
        now = self.clock()
        with self._lock:
            if steps is None or self._pace is None:
                self._anchor = None
                return
            due = now if self._anchor is None else self._anchor + self._last_steps / self._pace
            self._anchor = due if now - due <= ON_TIME_SECONDS else now
            self._last_steps = int(steps)


@dataclass
class Turn:
    """What the next call of the run loop may do.

    ``limit`` caps its steps; ``paced`` and ``granted`` say why (a pace, steps asked for on a
    paused run); ``snapshot`` (set by :meth:`PacedSteps._begin_call`) asks for a weight snapshot
    after it: after every paced call, and after the last step asked for.
    """

    limit: int = NO_LIMIT
    paced: bool = False
    granted: bool = False
    snapshot: bool = False


class PacedSteps:
    """Mixin of the trainer's pace and single steps; call :meth:`_init_pacing` in ``__init__``.

    The trainer provides ``_lock``, ``_running`` and ``_stop`` (see
    :class:`core.training.knobs.LiveKnobs`).
    """

    _lock: threading.Lock
    _running: threading.Event
    _stop: threading.Event

    def _init_pacing(self) -> None:
        self.pacing = Pacing()
        self._granted = 0  # steps asked for on a paused run, not yet run
        self._told_paused = False  # a RunPaused(paused=True) is out and not yet undone

    # -- controls (any thread) ------------------------------------------------------------------
    @property
    def pace(self) -> float | None:
        """Steps per second, or None for full speed."""
        return self.pacing.steps_per_second

    def set_pace(self, steps_per_second: float | None) -> None:
        """Train at ``steps_per_second`` (None: full speed) from the next compiled call on.

        Raises
        ------
        ValueError
            Not None nor a positive finite number.
        """
        self.pacing.set(steps_per_second)

    def advance(self, steps: int) -> None:
        """Run exactly ``steps`` more steps and stay paused (a running run pauses first)."""
        if steps < 1:
            raise ValueError(f"steps must be at least 1 (got {steps})")
        with self._lock:
            self._granted += int(steps)
            self._running.clear()

    # -- the run loop -----------------------------------------------------------------------------
    def _next_turn(self, step: int) -> Generator[Event, None, Turn | None]:
        """Wait for the next call's turn (pace, pause, single steps); None once stopped."""
        self.pacing.wait_turn(lambda: self._stop.is_set() or not self._running.is_set())
        while True:
            while not self._running.is_set() and not self._stop.is_set():
                if not self._told_paused:
                    self._told_paused = True
                    yield RunPaused(step, True)
                with self._lock:
                    granted = self._granted
                if granted:
                    return Turn(limit=granted, granted=True)
                self._running.wait(POLL_SECONDS)
            if self._stop.is_set():
                return None
            with self._lock:  # advance() pauses under the same lock: no step is lost
                if self._running.is_set():
                    self._granted = 0  # resumed: steps asked for while paused are moot
                    break
        if self._told_paused:
            self._told_paused = False
            yield RunPaused(step, False)
        size = self.pacing.call_size()
        return Turn() if size is None else Turn(limit=size, paced=True)

    def _begin_call(self, turn: Turn, steps: int) -> None:
        """The call of ``turn`` runs ``steps`` steps now: count them, keep the schedule."""
        self.pacing.began(steps if turn.paced else None)
        if turn.granted:
            with self._lock:
                self._granted = max(0, self._granted - steps)
                turn.snapshot = self._granted == 0
        else:
            turn.snapshot = turn.paced
