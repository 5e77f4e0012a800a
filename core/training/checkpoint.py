"""Periodic checkpoints of a running trainer, and restoring a trainer from one.

A checkpoint is a ``tf.train.Checkpoint`` (model, optimizer, step and knob variables) written to a
fresh prefix in ``<run>/checkpoints/``, plus a sidecar ``.npz`` beside it with the trainer's Python
state (batch schedule RNG state and position, per-step log, evaluations, knob values). Only when
both are on disk is ``checkpoint.json`` replaced atomically to point at them, so a process killed
at any moment leaves the previous checkpoint intact. The two newest checkpoints are kept.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from core.data.errors import DataError
from core.json_io import json_default, write_json_atomic

if TYPE_CHECKING:
    from core.training.trainer import Trainer

POINTER_FILE = "checkpoint.json"
CHECKPOINT_DIR = "checkpoints"
KEEP = 2


@dataclass(frozen=True)
class CheckpointRef:
    """Where a run's latest checkpoint is.

    Attributes
    ----------
    step:
        Training steps done when it was written (the next step to run).
    tf_prefix:
        The ``tf.train.Checkpoint`` prefix (absolute).
    state:
        The sidecar ``.npz`` with the trainer's Python state (absolute).
    written:
        ISO time it was written.
    """

    step: int
    tf_prefix: Path
    state: Path
    written: str


def tf_checkpoint(trainer: Trainer) -> Any:
    """The ``tf.train.Checkpoint`` over a trainer's model, optimizer, step and knob variables."""
    import tensorflow as tf

    return tf.train.Checkpoint(
        model=trainer.model,
        optimizer=trainer.optimizer,
        step=trainer.step,
        learning_rate=trainer.learning_rate,
        l2=trainer.l2,
    )


def save_npz_atomic(path: Path, **arrays: Any) -> None:
    """Write ``arrays`` to ``path`` as an uncompressed ``.npz`` via a temporary file + rename."""
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".npz", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, **arrays)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_checkpoint(trainer: Trainer, run_dir: str | Path) -> CheckpointRef:
    """Checkpoint ``trainer`` into ``run_dir`` (TF variables, then sidecar, then the pointer).

    Parameters
    ----------
    trainer:
        The trainer, between training chunks.
    run_dir:
        The run folder.

    Returns
    -------
    CheckpointRef
        The new checkpoint (now the one ``checkpoint.json`` points at).
    """
    run_dir = Path(run_dir)
    folder = run_dir / CHECKPOINT_DIR
    folder.mkdir(parents=True, exist_ok=True)
    step = int(trainer.step.numpy())
    stamp = datetime.now().strftime("%Y%m%d%H%M%S%f")
    name = f"ckpt-{step:09d}-{stamp}"
    prefix = Path(trainer._tf_checkpoint().write(str(folder / name)))
    sched = trainer.schedule
    state = folder / f"{name}.state.npz"
    save_npz_atomic(
        state,
        step=np.array(step, np.int64),
        steps_log=trainer.steps_log.array.copy(),
        schedule_order=sched._order,
        schedule_pos=np.array(sched._pos, np.int64),
        schedule_step=np.array(sched._step, np.int64),
        rng_state=np.array(json.dumps(sched._rng.bit_generator.state)),
        evals=np.array(json.dumps(trainer.evals, default=json_default)),
        knobs=np.array(
            json.dumps({k: trainer.knob(k) for k in ("learning_rate", "l2", "dropout")})
        ),
    )
    written = datetime.now().isoformat(timespec="seconds")
    write_json_atomic(
        run_dir / POINTER_FILE,
        {
            "step": step,
            "tf_prefix": os.path.relpath(prefix, run_dir),
            "state": os.path.relpath(state, run_dir),
            "written": written,
        },
    )
    _prune(folder, keep={prefix.name, _prev_prefix_name(folder, prefix.name)})
    return CheckpointRef(step, prefix, state, written)


def _prev_prefix_name(folder: Path, current: str) -> str:
    names = sorted({p.name.split(".")[0] for p in folder.glob("ckpt-*.index")} - {current})
    return names[-1] if names else current


def _prune(folder: Path, keep: set[str]) -> None:
    """Delete checkpoint files whose prefix is not in ``keep`` (and stray temporary files)."""
    for p in folder.iterdir():
        if p.name.split(".")[0] not in keep:
            try:
                if p.is_dir():
                    continue
                p.unlink()
            except OSError:
                pass


def latest_checkpoint(run_dir: str | Path) -> CheckpointRef | None:
    """The checkpoint ``checkpoint.json`` points at, or None when the run has none.

    Raises
    ------
    DataError
        The pointer exists but is unreadable or points at missing files.
    """
    run_dir = Path(run_dir)
    pointer = run_dir / POINTER_FILE
    if not pointer.is_file():
        return None
    try:
        meta = json.loads(pointer.read_text())
        ref = CheckpointRef(
            int(meta["step"]),
            run_dir / meta["tf_prefix"],
            run_dir / meta["state"],
            str(meta.get("written", "")),
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise DataError(pointer, f"unreadable checkpoint pointer ({exc})") from None
    if not Path(str(ref.tf_prefix) + ".index").is_file() or not ref.state.is_file():
        raise DataError(ref.tf_prefix, "the checkpoint files are missing")
    return ref


def restore_model_weights(model: Any, run_dir: str | Path) -> int:
    """Load the latest checkpoint's model weights into ``model``; return its step.

    Raises
    ------
    DataError
        No checkpoint in ``run_dir``, or one that does not fit ``model``.
    """
    import tensorflow as tf

    ref = latest_checkpoint(run_dir)
    if ref is None:
        raise DataError(run_dir, "the run has neither a saved model nor a checkpoint")
    try:
        tf.train.Checkpoint(model=model).read(str(ref.tf_prefix)).expect_partial()
    except (tf.errors.OpError, ValueError, AssertionError) as exc:
        raise DataError(ref.tf_prefix, f"the checkpoint does not fit the model ({exc})") from None
    return ref.step


def restore_trainer(trainer: Trainer, run_dir: str | Path) -> CheckpointRef:
    """Restore model, optimizer, step, knobs, schedule, step log and evaluations of ``trainer``.

    Parameters
    ----------
    trainer:
        A fresh trainer built from the run's settings and the same dataset.
    run_dir:
        The run folder.

    Returns
    -------
    CheckpointRef
        The checkpoint restored.

    Raises
    ------
    DataError
        No checkpoint, or files that do not match the trainer.
    """
    import tensorflow as tf

    ref = latest_checkpoint(run_dir)
    if ref is None:
        raise DataError(run_dir, "the run has no checkpoint to resume from")
    try:
        status = trainer._tf_checkpoint().read(str(ref.tf_prefix))
        status.assert_existing_objects_matched()
    except (tf.errors.OpError, ValueError, AssertionError) as exc:
        raise DataError(ref.tf_prefix, f"the checkpoint does not fit this model ({exc})") from None
    try:
        with np.load(ref.state, allow_pickle=False) as z:
            order = z["schedule_order"]
            if len(order) != trainer.schedule.train_size:
                raise DataError(
                    ref.state,
                    f"the run was trained on {len(order)} images but the "
                    f"dataset has {trainer.schedule.train_size}",
                )
            sched = trainer.schedule
            sched._order = order.astype(np.int32)
            sched._pos = int(z["schedule_pos"])
            sched._step = int(z["schedule_step"])
            sched._rng.bit_generator.state = json.loads(str(z["rng_state"]))
            rows = z["steps_log"]
            trainer.steps_log.n = 0
            if len(rows):
                xents = rows[:, 4] if rows.shape[1] > 4 else None  # older checkpoints: none
                trainer.steps_log.extend(rows[:, 0], rows[:, 1], rows[:, 2], rows[:, 3], xents)
            trainer.evals = list(json.loads(str(z["evals"])))
            knobs = json.loads(str(z["knobs"]))
    except DataError:
        raise
    except (OSError, ValueError, KeyError) as exc:
        raise DataError(ref.state, f"unreadable trainer state ({exc})") from None
    trainer._restore_knobs(knobs)
    if int(trainer.step.numpy()) != ref.step:
        raise DataError(
            ref.state,
            f"the checkpoint is at step {int(trainer.step.numpy())} but its state says {ref.step}",
        )
    return ref
