"""What the window says about a run: the lesson's log lines, status-bar messages and banners.

:class:`RunNarrator` subscribes to a :class:`~gui.session.TrainingSession` and turns its events
into words for the learner. It reads the events' fields; it never parses message text.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QStatusBar

from core.events import (
    EvalMetrics,
    KnobChanged,
    RunFailed,
    RunFinished,
    RunPaused,
    RunStarted,
    StepMetrics,
)
from gui.panels.curves import marker_text
from gui.panels.log_panel import LogPanel
from gui.session import TrainingSession
from gui.status import Banner

ErrorFn = Callable[[str, str, str], None]


def lesson_lines(step: int, loss: float, accuracy: float, valid: float) -> list[str]:
    """The notebook's three log lines for an evaluation point."""
    return [
        f"Minibatch loss at step {step}: {loss:.6f}",
        f"Minibatch accuracy: {100 * accuracy:.1f}%",
        f"Validation accuracy: {100 * valid:.1f}%",
    ]


def start_line(cfg: object, dataset_name: str, replayed: int = 0) -> str:
    """The log's first line for a new run of ``cfg`` (a TrainConfig)."""
    restricted = f", restricted to {cfg.restrict_batches} batches" if cfg.restrict_batches else ""
    replay = f"; replaying {replayed} knob change{'s' * (replayed != 1)}" if replayed else ""
    return (
        f"--- {cfg.preset} on {dataset_name}: {cfg.steps} steps, batch {cfg.batch_size}, "
        f"learning rate {cfg.learning_rate:g}, L2 {cfg.l2:g}, dropout {cfg.dropout:g}"
        f"{restricted}{replay} ---"
    )


class RunNarrator(QObject):
    """Writes a run's events to the log, the status bar and the banner.

    Parameters
    ----------
    session:
        The session whose events it tells.
    log, status_bar, banner:
        Where the words go.
    report_error:
        ``report_error(title, message, details)`` for a run that failed (not diverged).
    """

    def __init__(
        self,
        session: TrainingSession,
        log: LogPanel,
        status_bar: QStatusBar,
        banner: Banner,
        report_error: ErrorFn,
    ) -> None:
        super().__init__(session)
        self.log, self.bar, self.banner = log, status_bar, banner
        self.report_error = report_error
        self.last_step: StepMetrics | None = None
        self.first_rate: float | None = None  # the run's first learning rate
        self.last_finished: RunFinished | None = None
        self.last_failed: RunFailed | None = None
        session.started.connect(self.on_started)
        session.step.connect(self.on_step)
        session.evaluated.connect(self.on_evaluated)
        session.knob_changed.connect(self.on_knob)
        session.paused.connect(self.on_paused)
        session.finished.connect(self.on_finished)
        session.failed.connect(self.on_failed)
        session.notes.connect(lambda notes: [self.log.append(f"Note: {n}") for n in notes])

    def on_started(self, ev: RunStarted) -> None:
        """A run began: say where it is saved."""
        self.last_step = self.first_rate = None
        self.last_finished = self.last_failed = None
        where = f" (saved in {ev.run_dir})" if ev.run_dir else ""
        self.bar.showMessage(f"Training…{where}", 4000)

    def on_step(self, ev: StepMetrics) -> None:
        """Remember the newest minibatch figures for the next evaluation's lines."""
        self.last_step = ev
        if self.first_rate is None:
            self.first_rate = ev.learning_rate

    def on_evaluated(self, ev: EvalMetrics) -> None:
        """The lesson's three lines at a validation point; the test accuracy at the end."""
        if ev.split == "test":
            self.log.append(f"Test accuracy: {100 * ev.accuracy:.1f}%")
        elif self.last_step is not None:
            s = self.last_step
            lines = lesson_lines(ev.step, s.loss, s.accuracy, ev.accuracy)
            if s.learning_rate != self.first_rate:  # decayed or moved: say where it is now
                lines.append(f"Learning rate: {s.learning_rate:.4g}")
            self.log.append_lines(lines)

    def on_knob(self, ev: KnobChanged) -> None:
        """A knob changed: one line with the step it took effect at."""
        self.log.append(f"Step {ev.step}: {marker_text(ev.name, ev.old, ev.new)}")

    def on_paused(self, ev: RunPaused) -> None:
        """Paused or resumed."""
        self.bar.showMessage("Paused" if ev.paused else "Resumed", 2000)

    def on_finished(self, ev: RunFinished) -> None:
        """The run ended: its figures, and where it is saved."""
        self.last_finished = ev
        word = "Stopped" if ev.stopped else "Finished"
        test = f", test accuracy {100 * ev.test.accuracy:.1f}%" if ev.test else ""
        self.bar.showMessage(f"{word} after {ev.step:,} steps in {ev.seconds:.1f} s{test}", 10_000)
        if ev.run_dir:
            self.log.append(f"Run saved in {ev.run_dir}")

    def on_failed(self, ev: RunFailed) -> None:
        """A diverged run gets a banner with what to do; any other failure an error."""
        self.last_failed = ev
        if ev.diverged:
            self.banner.show_message(
                f"<b>Diverged at step {ev.step}</b>: {ev.message}. Lower the learning rate and "
                "start again. Its last checkpoint before that stays loadable from "
                "File > Recent runs.",
                "error",
            )
            self.log.append(f"Diverged at step {ev.step}: {ev.message}")
        else:
            where = f" at step {ev.step}" if ev.step >= 0 else ""
            self.log.append(f"Run failed{where}: {ev.message}")
            self.report_error("Training failed", ev.message, ev.details)
