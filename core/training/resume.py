"""Resume a recorded run from its newest readable checkpoint, under the run's lock."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

from core.data.dataset import Dataset
from core.data.errors import DataError
from core.runs import files
from core.runs.checkpoint import checkpoints_newest_first, read_state
from core.runs.lock import RunLock
from core.runs.model import OLDER_RUN_SETTINGS
from core.runs.timeline import read_timeline
from core.training.config import TrainConfig
from core.training.recorder import RunRecorder
from core.training.trainer import Trainer


def run_config(run_dir: Path) -> TrainConfig:
    """The starting settings of the run in ``run_dir`` as a checked :class:`TrainConfig`.

    Raises
    ------
    DataError
        Missing, incomplete or out-of-range settings.
    """
    meta = files.read_settings(run_dir)
    known = {f.name for f in fields(TrainConfig)}
    settings = {**OLDER_RUN_SETTINGS, **meta["settings"]}
    path = run_dir / files.SETTINGS_FILE
    try:
        config = TrainConfig(**{k: v for k, v in settings.items() if k in known})
        config.validate()
    except (TypeError, ValueError, KeyError) as exc:
        raise DataError(path, f"unusable settings ({exc})") from None
    return config


def resume(
    run_dir: str | Path, dataset: Dataset, steps: int | None = None
) -> tuple[Trainer, RunRecorder, list[str]]:
    """A trainer continuing the run in ``run_dir``, its recorder, and notes for the learner.

    Model, optimizer, step, knobs, batch schedule, step log and evaluations come from the
    newest checkpoint that can be read (an older one when the newest is damaged, said in the
    notes); the knob values are those in force at that checkpoint. A damaged weight timeline
    never blocks a resume: the timeline starts again (said in the notes).

    Parameters
    ----------
    run_dir:
        The run folder (see :func:`core.runs.listing.find_run`).
    dataset:
        The same dataset the run was trained on.
    steps:
        A new total number of steps (default: the run's own).

    Raises
    ------
    core.runs.lock.RunBusy
        Another process trains this run.
    DataError
        Not a run, no usable checkpoint, or a dataset that does not match the run.
    ValueError
        ``steps`` is not more than the steps already done.
    """
    run_dir = Path(run_dir)
    meta = files.read_settings(run_dir)
    config = run_config(run_dir)
    config.save, config.run_dir = True, str(run_dir)
    if tuple(meta["class_names"]) != tuple(dataset.class_names):
        raise DataError(
            run_dir,
            f"the run was trained on classes {meta['class_names']} "
            f"but the dataset has {list(dataset.class_names)}",
        )
    lock = RunLock(run_dir)
    lock.acquire()
    try:
        refs = checkpoints_newest_first(run_dir)
        if not refs:
            raise DataError(run_dir, "the run has no checkpoint to resume from")
        if steps is not None:
            config.steps = int(steps)
        if config.steps <= refs[0].step and steps is not None:
            raise ValueError(
                f"the run has already done {refs[0].step} of {config.steps} steps; "
                "give a larger total number of steps to continue it"
            )
        trainer = Trainer(config, dataset)
        notes: list[str] = []
        problems: list[str] = []
        for ref in refs:
            try:
                status = trainer.tf_checkpoint().read(str(ref.tf_prefix))
                status.assert_existing_objects_matched()
                trainer.restore(read_state(ref))
                break
            except Exception as exc:  # TF, zip and shape errors alike: try an older one
                first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                problems.append(f"the checkpoint at step {ref.step} could not be read ({first})")
        else:
            raise DataError(run_dir, "; ".join(problems))
        notes.extend(f"{p}; resuming from step {trainer.start_step}" for p in problems)
        if config.steps <= trainer.start_step:
            raise ValueError(
                f"the run has already done {trainer.start_step} of {config.steps} steps; "
                "give a larger total number of steps to continue it"
            )
        try:
            timeline = [s for s in read_timeline(run_dir) if s.step <= trainer.start_step]
        except DataError as exc:
            timeline = []
            notes.append(f"the weight timeline could not be read and starts again ({exc})")
        try:
            changes = [c for c in files.read_knob_changes(run_dir) if c.step < trainer.start_step]
        except DataError as exc:
            changes = []
            notes.append(f"the knob timeline could not be read and starts again ({exc})")
        recorder = RunRecorder(
            trainer,
            run_dir,
            resumed=True,
            knob_changes=changes,
            timeline=timeline,
            started=files.read_status(run_dir).get("started"),
            lock=lock,
        )
    except BaseException:
        lock.release()
        raise
    return trainer, recorder, notes
