"""A run too fast to watch: the window suggests a pace, once per run, without forcing it.

After the first calls of a run at full speed (the first one traces the model, so its time
says nothing), :class:`PaceHint` times :data:`HINT_AFTER_STEPS` steps and estimates the whole
run. A run that would be over in under :data:`HINT_UNDER_SECONDS` gets a one-line banner with a
button. With at least :data:`HINT_EARLY_SECONDS` of it still ahead the hint shows at once and
its button slows this run down; a run about to end gets the hint when it ends, with a button
that runs it again at a watchable pace (a banner that shows up just as the run ends would offer
what it can no longer do, and its relayout would take the GUI thread from a run in full flight).
A paced or paused run, or a banner already showing something else, gets no hint.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject

from core.events import RunFinished, RunStarted, StepMetrics
from gui.pacing import WindowPace
from gui.panels.pace_box import pace_label
from gui.session import TrainingSession
from gui.status import Banner

HINT_UNDER_SECONDS = 15.0
HINT_EARLY_SECONDS = 5.0  # a run with this long still ahead is offered the pace at once
HINT_AFTER_STEPS = 50
HINT_PACE = 30.0


def run_seconds(mark: tuple[float, int], now: tuple[float, int], total_steps: int) -> float:
    """The whole run's seconds, from the rate between two points of it.

    ``mark`` and ``now`` are ``(elapsed seconds, steps done)``; the steps left after ``now``
    run at the rate from ``mark`` to ``now``.
    """
    seconds, steps = now[0] - mark[0], now[1] - mark[1]
    if steps <= 0 or seconds <= 0:
        return 0.0 if steps > 0 else float("inf")
    return now[0] + max(0, total_steps - now[1]) * seconds / steps


class PaceHint(QObject):
    """Offers :data:`HINT_PACE` on a run that would end in under :data:`HINT_UNDER_SECONDS`.

    Parameters
    ----------
    session:
        The runs to watch.
    banner:
        Where the hint shows.
    pace:
        The window's pace (the button sets it).
    start:
        Starts a new run (the button, once the run is over).
    """

    def __init__(
        self,
        session: TrainingSession,
        banner: Banner,
        pace: WindowPace,
        start: Callable[[], object],
    ) -> None:
        super().__init__(session)
        self.session, self.banner, self.pace, self.start = session, banner, pace, start
        self.text = ""  # the hint shown for this run ("" when none)
        self._total = 0
        self._calls = 0
        self._mark: tuple[float, int] | None = None
        self._decided = True
        self._at_end = False  # hint when the run ends
        session.started.connect(self.on_started)
        session.step.connect(self.on_step)
        session.finished.connect(self.on_finished)
        session.failed.connect(lambda _ev: self._relabel())

    def on_started(self, ev: RunStarted) -> None:
        """A new run: time it afresh."""
        self._total, self._calls, self._mark = ev.total_steps, 0, None
        self._decided, self._at_end, self.text = False, False, ""

    def on_step(self, ev: StepMetrics) -> None:
        """Time the run's first steps at full speed; hint once they say it is short."""
        if self._decided:
            return
        if self.session.pace is not None:
            self._decided = True  # the learner chose a pace already
            return
        if self.session.reported_paused:
            self._calls, self._mark = 0, None  # time it again once it runs freely
            return
        self._calls += 1
        now = (ev.elapsed, ev.step + 1)
        if self._mark is None:
            if self._calls >= 2:  # the first call traces the model: its time says nothing
                self._mark = now
            return
        if now[1] - self._mark[1] < HINT_AFTER_STEPS:
            return
        self._decided = True
        seconds = run_seconds(self._mark, now, self._total)
        if seconds >= HINT_UNDER_SECONDS:
            return
        if seconds - now[0] < HINT_EARLY_SECONDS:
            self._at_end = True
        elif self.banner.isHidden():
            self.text = (
                f"This run takes about {seconds:.0f} s at full speed: too fast to watch it "
                "learn. A slower pace shows every step in the curves, the weights and the pad."
            )
            self.banner.show_message(
                self.text, "info", (f"Watch at {pace_label(HINT_PACE)}", self.accept)
            )

    def on_finished(self, ev: RunFinished) -> None:
        """A short run ended: the hint it was kept for, or the shown one's button relabelled."""
        if self._at_end and not ev.stopped and self.banner.isHidden():
            self.text = (
                f"That run took {ev.seconds:.1f} s: too fast to watch it learn. At a slower pace "
                "every step shows in the curves, the weights and the pad."
            )
            self.banner.show_message(
                self.text, "info", (f"Run again at {pace_label(HINT_PACE)}", self.accept)
            )
        self._relabel()

    def _relabel(self) -> None:
        if self.text and not self.banner.isHidden() and self.banner.text() == self.text:
            self.banner.action.setText(f"Run again at {pace_label(HINT_PACE)}")

    def accept(self) -> None:
        """The hint's button: set the pace; with the run over, run it again at that pace."""
        self.pace.set_pace(HINT_PACE)
        if not self.session.running:
            self.start()
