"""The training session: one run at a time on a worker thread, its events as typed Qt signals.

A :class:`TrainingSession` owns the worker thread and the trainer. Panels never see either: they
subscribe to the signals they need (``step``, ``evaluated``, ``snapshot`` ...), which arrive on
the GUI thread, and the window talks to the run through :meth:`start`, :meth:`resume_run`,
:meth:`toggle_pause`, :meth:`stop`, :meth:`cancel`, :meth:`set_knob`, :meth:`set_pace` and
:meth:`advance`. A knob moved, a pace chosen or a step asked for before the trainer exists waits
in the session and reaches it as soon as it is built; the pace also holds for later runs.

The worker builds the trainer (and the draw pad's predictor) off the GUI thread, then drains the
trainer's events through the recorder (:mod:`core.training.recorder`), which writes the run
folder. Nothing here imports TensorFlow: the factories import it lazily on the worker thread.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal

from core.data.dataset import Dataset
from core.events import (
    EvalMetrics,
    KnobChanged,
    RunFailed,
    RunFinished,
    RunPaused,
    RunStarted,
    StepMetrics,
    WeightSnapshot,
)
from core.training.pace import check_pace
from gui.worker import GeneratorWorker, worker_finished

TrainerFactory = Callable[..., Any]


def default_trainer_factory(config: Any, dataset: Dataset, knob_plan: Sequence[Any] = ()) -> Any:
    """Build a :class:`core.training.trainer.Trainer` (call it on a worker thread)."""
    from core.training.trainer import Trainer

    return Trainer(config, dataset, knob_plan)


def default_resume_factory(run_dir: str | Path, dataset: Dataset) -> tuple[Any, Any, list[str]]:
    """Resume a run with :func:`core.training.resume.resume` (on a worker thread)."""
    from core.training.resume import resume

    return resume(run_dir, dataset)


def recorded(trainer: Any, recorder: Any = None) -> Iterator[Any]:
    """The trainer's events through the recorder (when the run is saved)."""
    from core.training.recorder import recorded_run

    return recorded_run(trainer, recorder)


@dataclass(frozen=True)
class TrainerReady:
    """First item of the worker's stream: the trainer, its pad predictor, and resume notes.

    Both are built, and the predictor traced, on the worker thread.
    """

    trainer: Any
    predictor: Any = None
    notes: tuple[str, ...] = ()


class TrainingSession(QObject):
    """One training run at a time; every event of it as a typed signal on the GUI thread.

    Parameters
    ----------
    trainer_factory:
        ``factory(config, dataset, knob_plan) -> Trainer``; called on the worker thread.
        A factory taking ``(config, dataset)`` only works too when there is no plan.
    resume_factory:
        ``factory(run_dir, dataset) -> (trainer, recorder, notes)``; on the worker thread.

    Signals
    -------
    started(RunStarted), step(StepMetrics), evaluated(EvalMetrics), snapshot(WeightSnapshot),
    knob_changed(KnobChanged), paused(RunPaused), finished(RunFinished), failed(RunFailed)
        One per event kind. A worker that crashes outside the trainer arrives as ``failed``.
    predictor_ready(object)
        The new run's :class:`core.inference.Predictor` (its live model), for the draw pad.
    notes(object)
        Lines to tell the learner about a resume (a damaged checkpoint skipped, say).
    state_changed(bool, bool)
        Running, paused.
    """

    started = Signal(object)
    step = Signal(object)
    evaluated = Signal(object)
    snapshot = Signal(object)
    knob_changed = Signal(object)
    paused = Signal(object)
    finished = Signal(object)
    failed = Signal(object)
    predictor_ready = Signal(object)
    notes = Signal(object)
    state_changed = Signal(bool, bool)

    _ROUTES = (
        (RunStarted, "started"),
        (StepMetrics, "step"),
        (EvalMetrics, "evaluated"),
        (WeightSnapshot, "snapshot"),
        (KnobChanged, "knob_changed"),
        (RunPaused, "paused"),
        (RunFinished, "finished"),
        (RunFailed, "failed"),
    )

    def __init__(
        self,
        trainer_factory: TrainerFactory | None = None,
        resume_factory: Callable[..., Any] | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.trainer_factory = trainer_factory or default_trainer_factory
        self.resume_factory = resume_factory or default_resume_factory
        self.trainer: Any = None
        self.worker: GeneratorWorker | None = None
        self.run_dir: str | None = None
        self.total_steps = 0
        self._pending_knobs: dict[str, float] = {}  # moved before the trainer exists
        self._pending_lock = threading.Lock()
        self._pace: float | None = None  # steps per second for every run (None: full speed)
        self._pace_late = False  # the pace changed while the new run's trainer was being built
        self._pending_steps = 0  # steps asked for while the new run's trainer was being built
        self._active = False
        self._paused = False

    # -- state ------------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        """True while a run's worker is running."""
        return self._active

    @property
    def is_paused(self) -> bool:
        """True while the running run is paused or asked to pause."""
        return self._active and self.trainer is not None and self.trainer.paused

    @property
    def reported_paused(self) -> bool:
        """True once the trainer has reported that it paused (until it reports resuming)."""
        return self._active and self._paused

    # -- starting ---------------------------------------------------------------------------------
    def start(
        self, config: Any, dataset: Dataset, knob_plan: Sequence[Any] = (), paused_steps: int = 0
    ) -> None:
        """Start a new run of ``config`` on ``dataset`` (replaying ``knob_plan`` if given).

        With ``paused_steps`` the run starts paused and runs that many steps (a Step button).
        """
        factory, plan, prepare = self.trainer_factory, tuple(knob_plan), self._prepare(paused_steps)

        def stream() -> Iterator[Any]:
            trainer = factory(config, dataset, plan) if plan else factory(config, dataset)
            self._hand_pending_knobs(trainer)
            prepare(trainer)
            yield TrainerReady(trainer, trainer.predictor())
            yield from recorded(trainer)

        self._launch(stream, config.steps)

    def resume_run(self, run_dir: str | Path, dataset: Dataset, total_steps: int) -> None:
        """Continue the run in ``run_dir`` from its newest readable checkpoint."""
        factory, path, prepare = self.resume_factory, str(run_dir), self._prepare(0)

        def stream() -> Iterator[Any]:
            trainer, recorder, notes = factory(path, dataset)
            self._hand_pending_knobs(trainer)
            prepare(trainer)
            yield TrainerReady(trainer, trainer.predictor(), tuple(notes))
            yield from recorded(trainer, recorder)

        self._launch(stream, total_steps)

    def _prepare(self, paused_steps: int) -> Callable[[Any], None]:
        """What the worker does to a new trainer before it runs: the pace, the steps asked for."""
        pace = self._pace

        def prepare(trainer: Any) -> None:
            if pace is not None:
                trainer.set_pace(pace)
            if paused_steps > 0:
                trainer.advance(paused_steps)

        return prepare

    def _launch(self, stream: Callable[[], Iterator[Any]], total_steps: int) -> None:
        if self._active:
            raise RuntimeError("a run is already going on")
        self.trainer = None  # the new run's arrives in TrainerReady (Stop before it cancels)
        self._pending_knobs.clear()
        self.run_dir = None
        self.total_steps = total_steps
        self._pace_late, self._pending_steps = False, 0
        worker = GeneratorWorker(stream)
        worker.event.connect(self._on_event)
        worker.failed.connect(self._on_worker_failed)
        worker.finished.connect(self._on_worker_finished)
        self.worker = worker
        self._active, self._paused = True, False
        self.state_changed.emit(True, False)
        worker.start_work()

    # -- controls ---------------------------------------------------------------------------------
    def set_knob(self, name: str, value: float) -> None:
        """Change a live knob of the running trainer (kept until the trainer exists).

        Raises
        ------
        ValueError
            The trainer refuses the value.
        """
        if not self._active:
            return
        with self._pending_lock:
            if self.trainer is None:
                self._pending_knobs[name] = float(value)
                return
        self.trainer.set_knob(name, value)

    @property
    def pace(self) -> float | None:
        """Steps per second the runs train at (None: full speed)."""
        return self._pace

    def set_pace(self, steps_per_second: float | None) -> None:
        """Train at ``steps_per_second`` (None: full speed), this run and the later ones.

        The running run changes at its next compiled call (see :mod:`core.training.pace`).

        Raises
        ------
        ValueError
            Not None nor a positive finite number.
        """
        self._pace = check_pace(steps_per_second)
        if self._active and self.trainer is None:
            self._pace_late = True
        elif self._active:
            self.trainer.set_pace(self._pace)

    def advance(self, steps: int) -> None:
        """Run exactly ``steps`` more steps of the running run, then keep it paused."""
        if not self._active or steps < 1:
            return
        if self.trainer is None:
            self._pending_steps += steps
            return
        self.trainer.advance(steps)
        self.state_changed.emit(True, True)

    def toggle_pause(self) -> None:
        """Pause the running run, or resume a paused one."""
        if self.trainer is None or not self._active:
            return
        if self.trainer.paused:
            self.trainer.resume()
        else:
            self.trainer.pause()
        self.state_changed.emit(True, self.trainer.paused)

    def stop(self) -> None:
        """Stop the run after its current chunk of steps (the test split is still evaluated)."""
        if not self._active:
            return
        if self.trainer is not None:
            self.trainer.stop()
        elif self.worker is not None:
            self.worker.cancel()

    def cancel(self) -> None:
        """Drop the run: stop it and ignore whatever it still sends."""
        if self.trainer is not None:
            self.trainer.stop()
        if self.worker is not None:
            self.worker.cancel()

    def shutdown(self, timeout_ms: int = 60_000) -> None:
        """Stop the run and wait for its worker thread to end."""
        self.cancel()
        if self.worker is not None:
            self.worker.wait(timeout_ms)

    # -- events from the worker ------------------------------------------------------------------
    def _current(self) -> bool:
        worker = self.sender()
        return worker is None or (worker is self.worker and not self.worker.cancelled)

    def _on_event(self, ev: object) -> None:
        if not self._current():
            if isinstance(ev, TrainerReady):  # a cancelled run: let its trainer end
                ev.trainer.stop()
            return
        if isinstance(ev, TrainerReady):
            self._trainer_ready(ev)
            return
        if isinstance(ev, RunStarted):
            self.run_dir = ev.run_dir
            self.total_steps = ev.total_steps
        elif isinstance(ev, RunPaused):
            self._paused = ev.paused
            self.state_changed.emit(True, ev.paused)
        for kind, name in self._ROUTES:
            if isinstance(ev, kind):
                getattr(self, name).emit(ev)
                return

    def _hand_pending_knobs(self, trainer: Any) -> None:
        """Give ``trainer`` the knobs moved so far (any thread; they act at its first step)."""
        with self._pending_lock:
            pending, self._pending_knobs = self._pending_knobs, {}
        for name, value in pending.items():
            # a value the trainer refuses is one the model has no use for: dropped
            with contextlib.suppress(ValueError, KeyError):
                trainer.set_knob(name, value)

    def _trainer_ready(self, ready: TrainerReady) -> None:
        with self._pending_lock:
            self.trainer = ready.trainer
        self._hand_pending_knobs(ready.trainer)  # moved while it was being built
        if self._pace_late:
            self.trainer.set_pace(self._pace)
        if self._pending_steps:
            self.trainer.advance(self._pending_steps)
        self._pace_late, self._pending_steps = False, 0
        if ready.notes:
            self.notes.emit(list(ready.notes))
        if ready.predictor is not None:
            self.predictor_ready.emit(ready.predictor)

    def _on_worker_failed(self, message: str, details: str) -> None:
        if self.sender() is self.worker:
            self.failed.emit(RunFailed(-1, message, details=details))

    def _on_worker_finished(self) -> None:
        worker = self.sender()
        if isinstance(worker, QThread):
            worker_finished(worker)
        if worker is not None and worker is not self.worker:
            return
        self._active = self._paused = False
        self.state_changed.emit(False, False)
