"""The recorder: writes a run folder from the trainer's events, beside the trainer, not in it.

:meth:`RunRecorder.record` wraps the trainer's event stream: each event is written (when it
needs to be) and passed on unchanged, except that ``RunStarted`` and ``RunFinished`` get the run
folder. The folder holds the settings the run started with, the status, the knob timeline (every
change with its step), the history, checkpoints, the weight timeline and the final model (see
:mod:`core.runs.files`). While it records, the recorder holds the run's lock, so a second
process cannot train the same run. Closing the stream early (a window closed mid-run) saves the
run as stopped.

The recorder sees the trainer only through its public methods (``tf_checkpoint()``, ``state()``,
``snapshot()``, ``final_metrics()``, ``model``, ``config``, ``dataset``, ``steps_log``,
``evals``, ``steps_done``); it never imports the trainer.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from core.data.errors import DataError
from core.events import (
    EvalMetrics,
    Event,
    KnobChanged,
    RunFailed,
    RunFinished,
    RunStarted,
    WeightSnapshot,
)
from core.paths import runs_dir
from core.runs import files
from core.runs.checkpoint import CHECKPOINT_DIR, KEEP, prune, write_checkpoint
from core.runs.history import write_history_csv
from core.runs.lock import RunLock
from core.runs.model import save_final
from core.runs.safe_io import remove_stale_temporaries, writable_folder
from core.runs.timeline import add_to_timeline, write_timeline


def new_run_dir(preset: str) -> Path:
    """A fresh run folder name in the user's runs folder."""
    return runs_dir() / f"{datetime.now().strftime('%Y%m%d-%H%M%S-%f')}-{preset}"


def check_new_run_folder(path: Path, overwrite: bool = False) -> None:
    """Refuse to start a new run in a folder that holds something already.

    A folder that is not a run is never written into; an existing run only with ``overwrite``.

    Raises
    ------
    DataError
        One line naming the folder and what to do.
    """
    if path.is_symlink() or (path.exists() and not path.is_dir()):
        raise DataError(path, "is not a folder")
    if not path.exists() or not any(path.iterdir()):
        return
    if not (path / files.SETTINGS_FILE).is_file():
        raise DataError(path, "is not empty and is not a Glyph Lab run; choose an empty folder")
    if not overwrite:
        raise DataError(path, "holds a run already; give --overwrite to replace it")


class RunRecorder:
    """Writes one run's folder from its events.

    Parameters
    ----------
    trainer:
        The trainer whose events it records (for checkpoints and the final model).
    run_dir:
        The run folder.
    resumed:
        The run continues from a checkpoint already in ``run_dir`` (no settings are rewritten,
        no first checkpoint).
    knob_changes:
        The knob timeline so far (a resumed run's, up to its checkpoint).
    timeline:
        The weight timeline so far (a resumed run's).
    started:
        When the run first started (a resumed run's).
    lock:
        The run's lock when the caller took it already.
    """

    def __init__(
        self,
        trainer: Any,
        run_dir: str | Path,
        *,
        resumed: bool = False,
        knob_changes: list[files.KnobChange] | None = None,
        timeline: list[WeightSnapshot] | None = None,
        started: str | None = None,
        lock: RunLock | None = None,
    ) -> None:
        self.trainer = trainer
        self.run_dir = Path(run_dir)
        self.resumed = resumed
        self.knob_changes = list(knob_changes or [])
        self.timeline = list(timeline or [])
        self.started = started
        self.lock = lock or RunLock(self.run_dir)
        self._opened = False
        self._ended = False
        self._last_checkpoint = 0.0
        self._clock = time.perf_counter()

    @classmethod
    def for_trainer(cls, trainer: Any) -> RunRecorder:
        """A recorder for a new run of ``trainer`` in its ``config.run_dir`` (or a fresh one)."""
        cfg = trainer.config
        return cls(trainer, Path(cfg.run_dir) if cfg.run_dir else new_run_dir(cfg.preset))

    # -- the folder -------------------------------------------------------------------------------
    def open(self) -> None:
        """Take the run's lock and write what a run has from its start (once).

        Raises
        ------
        core.runs.lock.RunBusy
            Another process trains this run.
        DataError
            The folder cannot be used (a link, not a folder).
        """
        if self._opened:
            return
        writable_folder(self.run_dir)
        self.lock.acquire()
        self._opened = True
        for folder in (self.run_dir, self.run_dir / CHECKPOINT_DIR):
            remove_stale_temporaries(folder)
        # a new run replaces an overwritten run's checkpoints; a resumed one keeps the newest
        prune(self.run_dir / CHECKPOINT_DIR, keep=KEEP if self.resumed else 0)
        self.started = self.started or files.now()
        if not self.resumed:
            ds, cfg = self.trainer.dataset, self.trainer.config
            files.write_settings(
                self.run_dir,
                cfg.to_dict(),
                ds.class_names,
                {
                    "name": ds.name,
                    "spec": cfg.dataset,
                    "description": ds.provenance.description,
                    "train": len(ds.train_x),
                    "valid": len(ds.valid_x),
                    "test": len(ds.test_x),
                },
            )
            files.write_knob_changes(self.run_dir, self.knob_changes)
            self.checkpoint("running")
        else:
            self._status("running", self.trainer.steps_done)
        self._last_checkpoint = time.monotonic()

    def close(self) -> None:
        """Release the run's lock."""
        self.lock.release()

    def _status(self, state: str, steps_done: int, message: str = "") -> None:
        accs = [e["valid_accuracy"] for e in self.trainer.evals if e["valid_accuracy"] >= 0]
        cfg = self.trainer.config
        files.write_status(
            self.run_dir,
            {
                "state": state,
                "started": self.started,
                "steps_done": int(steps_done),
                "total_steps": int(cfg.steps),
                "best_valid_accuracy": max(accs) if accs else None,
                "preset": cfg.preset,
                "dataset": cfg.dataset,
                "message": message,
            },
        )

    def checkpoint(self, state: str) -> None:
        """Checkpoint, then the weight timeline, history and status (all atomic)."""
        t = self.trainer
        ref = write_checkpoint(self.run_dir, t.tf_checkpoint(), t.state())
        add_to_timeline(self.timeline, t.snapshot())
        write_timeline(self.run_dir, self.timeline)
        write_history_csv(self.run_dir / files.HISTORY_FILE, t.steps_log, t.evals)
        self._status(state, ref.step)
        self._last_checkpoint = time.monotonic()

    def save_end(self, state: str) -> None:
        """A last checkpoint (so the run can be continued), the final model, then the status."""
        t = self.trainer
        self.checkpoint("running")
        seconds = time.perf_counter() - self._clock
        steps = int(t.steps_log.n)
        save_final(
            self.run_dir,
            t.model,
            {
                "final": t.final_metrics(t.last_test),
                "seconds": seconds,
                "steps": steps,
                "steps_per_second": steps / max(seconds, 1e-9),
                "evaluations": t.evals,
            },
        )
        self._status(state, t.steps_done)
        self._ended = True

    def mark(self, state: str, steps_done: int, message: str) -> None:
        """Record a failed/diverged state with its message; a failure to write it is ignored."""
        self._ended = True
        try:
            write_history_csv(
                self.run_dir / files.HISTORY_FILE, self.trainer.steps_log, self.trainer.evals
            )
            self._status(state, steps_done, message)
        except (OSError, DataError):
            pass

    # -- the events -------------------------------------------------------------------------------
    def on_event(self, ev: Event) -> Event:
        """Write what ``ev`` changes in the folder; return the event to pass on."""
        if isinstance(ev, RunStarted):
            return replace(ev, run_dir=str(self.run_dir))
        if isinstance(ev, KnobChanged):
            self.knob_changes.append(files.KnobChange(ev.step, ev.name, ev.old, ev.new))
            files.write_knob_changes(self.run_dir, self.knob_changes)
        elif isinstance(ev, WeightSnapshot):
            add_to_timeline(self.timeline, ev)
        elif isinstance(ev, EvalMetrics) and ev.split == "valid":
            cfg = self.trainer.config
            due = time.monotonic() - self._last_checkpoint >= cfg.checkpoint_seconds
            if due and self.trainer.steps_done < cfg.steps:
                self.checkpoint("running")
        elif isinstance(ev, RunFinished):
            self.save_end("stopped" if ev.stopped else "finished")
            return replace(ev, run_dir=str(self.run_dir))
        elif isinstance(ev, RunFailed):
            if ev.diverged:
                message = f"diverged at step {ev.step}: {ev.message}"
                self.mark("diverged", ev.step, message)
            else:
                self.mark("failed", ev.step, ev.message)
        return ev

    def record(self, events: Iterator[Event]) -> Iterator[Event]:
        """Pass ``events`` on, recording each; the lock is held until the stream ends.

        A write that fails (a full disk, say) ends the run as failed, saying why.
        """
        try:
            try:
                self.open()
            except (OSError, DataError) as exc:
                why = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
                yield RunFailed(0, f"the run folder could not be written: {why}")
                return
            for ev in events:
                try:
                    out = self.on_event(ev)
                except (OSError, DataError) as exc:
                    step = getattr(ev, "step", self.trainer.steps_done)
                    why = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
                    message = f"the run folder could not be written: {why}"
                    self.mark("failed", step, message)
                    self.trainer.stop()
                    yield RunFailed(step, message)
                    return
                yield out
        except GeneratorExit:  # the consumer closed us at a yield: still save what there is
            if self._opened and not self._ended:
                try:
                    self.save_end("stopped")
                except Exception:  # nothing may escape a closing generator
                    self.mark("stopped", self.trainer.steps_done, "")
            raise
        finally:
            close = getattr(events, "close", None)
            if close is not None:
                close()
            self.close()


def recorded_run(trainer: Any, recorder: RunRecorder | None = None) -> Iterator[Event]:
    """``trainer.run()``, recorded in a run folder when ``trainer.config.save`` is set."""
    if recorder is None and not trainer.config.save:
        return trainer.run()
    return (recorder or RunRecorder.for_trainer(trainer)).record(trainer.run())
