"""Calls a function at most once per interval on the GUI thread, the first call at once."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QTimer


class Throttle:
    """A call that runs at most once per ``interval_ms``, the first one at once.

    Calling the throttle runs ``func`` now if it has not run in the last ``interval_ms``;
    otherwise ``func`` runs once when that interval ends, however often it was asked meanwhile.

    Parameters
    ----------
    func:
        Called with no arguments, on the thread that owns ``parent``.
    interval_ms:
        The least time between two calls.
    parent:
        Owner of the timer (it dies with it).
    """

    def __init__(self, func: Callable[[], object], interval_ms: int, parent: QObject) -> None:
        self.func = func
        self.pending = False
        self.timer = QTimer(parent)
        self.timer.setSingleShot(True)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._interval_over)

    def __call__(self) -> None:
        """Ask for a call: now, or at the end of the running interval."""
        self.pending = True
        if not self.timer.isActive():
            self._fire()

    def cancel(self) -> None:
        """Forget a call asked for and not yet made."""
        self.pending = False

    def _fire(self) -> None:
        self.pending = False
        self.timer.start()
        self.func()

    def _interval_over(self) -> None:
        if self.pending:
            self._fire()
