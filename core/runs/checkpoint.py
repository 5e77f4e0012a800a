"""Checkpoints in a run folder: written so a kill at any moment loses nothing, read back.

A checkpoint is a ``tf.train.Checkpoint`` (model, optimizer, step and knob variables) written to a
fresh prefix in ``<run>/checkpoints/``, plus a sidecar ``.npz`` beside it with the trainer's plain
state (batch schedule, per-step log, evaluations, knob values). Only when both are on disk is
``checkpoint.json`` replaced atomically to point at them, so a process killed at any moment leaves
the previous checkpoint intact. The two newest checkpoints are kept; pruning deletes only files
whose names this module wrote, and never through a link.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from core.data.errors import DataError
from core.json_io import json_default
from core.runs.files import read_json_file
from core.runs.safe_io import refuse_link, writable_folder, write_json, write_npz

POINTER_FILE = "checkpoint.json"
CHECKPOINT_DIR = "checkpoints"
KEEP = 2
# ckpt-<step>-<stamp> then .index, .data-NNNNN-of-NNNNN, .state.npz; TF's own leftovers: *_temp
NAME = re.compile(r"^(ckpt-\d{9}-\d{20})(\.index|\.data-\d{5}-of-\d{5}|\.state\.npz)$")
TEMP_DIR = re.compile(r"^ckpt-\d{9}-\d{20}_temp$")
MAX_STATE_BYTES = 512 << 20  # a state holds the step log: ~56 bytes a step


@dataclass(frozen=True)
class CheckpointRef:
    """One checkpoint of a run.

    Attributes
    ----------
    step:
        Training steps done when it was written (the next step to run).
    tf_prefix:
        The ``tf.train.Checkpoint`` prefix (absolute).
    state:
        The sidecar ``.npz`` with the trainer's plain state (absolute).
    written:
        ISO time it was written.
    """

    step: int
    tf_prefix: Path
    state: Path
    written: str


def write_checkpoint(run_dir: Path, tf_ckpt: Any, state: dict[str, Any]) -> CheckpointRef:
    """Write a checkpoint: TF variables, then the sidecar, then the pointer.

    Parameters
    ----------
    run_dir:
        The run folder.
    tf_ckpt:
        The ``tf.train.Checkpoint`` over the trainer's variables.
    state:
        The trainer's plain state (``Trainer.state()``): arrays, and ``evals``/``knobs`` as
        JSON-able objects.

    Returns
    -------
    CheckpointRef
        The new checkpoint (now the one ``checkpoint.json`` points at).
    """
    folder = writable_folder(run_dir / CHECKPOINT_DIR)
    step = int(state["step"])
    name = f"ckpt-{step:09d}-{datetime.now().strftime('%Y%m%d%H%M%S%f')}"
    prefix = Path(tf_ckpt.write(str(folder / name)))
    sidecar = folder / f"{name}.state.npz"
    arrays = {k: v for k, v in state.items() if k not in ("evals", "knobs")}
    arrays["evals"] = np.array(json.dumps(state["evals"], default=json_default))
    arrays["knobs"] = np.array(json.dumps(state["knobs"]))
    write_npz(sidecar, **arrays)
    written = datetime.now().isoformat(timespec="seconds")
    write_json(
        run_dir / POINTER_FILE,
        {
            "step": step,
            "tf_prefix": os.path.relpath(prefix, run_dir),
            "state": os.path.relpath(sidecar, run_dir),
            "written": written,
        },
    )
    prune(folder, keep=KEEP)
    return CheckpointRef(step, prefix, sidecar, written)


def prune(folder: Path, keep: int = KEEP) -> None:
    """Keep the ``keep`` newest checkpoints in ``folder``; delete older ones and TF's leftovers.

    Only regular files named like this module's checkpoints are deleted (and TF's ``*_temp``
    folders of a killed write); anything else in the folder is left alone.
    """
    if folder.is_symlink() or not folder.is_dir():
        return
    prefixes = sorted({m.group(1) for p in folder.iterdir() if (m := NAME.match(p.name))})
    complete = [p for p in prefixes if (folder / f"{p}.index").is_file()]
    kept = set(complete[-keep:]) if keep > 0 else set()
    for p in folder.iterdir():
        m = NAME.match(p.name)
        try:
            if m and m.group(1) not in kept and not p.is_symlink() and p.is_file():
                p.unlink()
            elif TEMP_DIR.match(p.name) and not p.is_symlink() and p.is_dir():
                shutil.rmtree(p)
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
    if not pointer.exists():
        return None
    meta = read_json_file(pointer)
    try:
        ref = CheckpointRef(
            int(meta["step"]),
            run_dir / str(meta["tf_prefix"]),
            run_dir / str(meta["state"]),
            str(meta.get("written", "")),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise DataError(pointer, f"unreadable checkpoint pointer ({exc})") from None
    _check_inside(run_dir, ref)
    return ref


def _check_inside(run_dir: Path, ref: CheckpointRef) -> None:
    """Refuse a pointer that leads outside the run's checkpoint folder or to missing files."""
    folder = (run_dir / CHECKPOINT_DIR).resolve()
    for path in (ref.tf_prefix, ref.state):
        if path.resolve().parent != folder:
            raise DataError(path, "the checkpoint pointer leads outside the run's checkpoints")
    if not Path(str(ref.tf_prefix) + ".index").is_file() or not ref.state.is_file():
        raise DataError(ref.tf_prefix, "the checkpoint files are missing")


def checkpoints_newest_first(run_dir: str | Path) -> list[CheckpointRef]:
    """Every complete checkpoint of a run, the pointer's first, then the others newest first.

    A resume falls back to an older one when the newest cannot be read.
    """
    run_dir = Path(run_dir)
    refs: list[CheckpointRef] = []
    try:
        ref = latest_checkpoint(run_dir)
    except DataError:
        ref = None
    if ref is not None:
        refs.append(ref)
    folder = run_dir / CHECKPOINT_DIR
    if folder.is_dir() and not folder.is_symlink():
        names = sorted({m.group(1) for p in folder.iterdir() if (m := NAME.match(p.name))})
        for name in reversed(names):
            other = CheckpointRef(
                int(name.split("-")[1]), folder / name, folder / f"{name}.state.npz", ""
            )
            if ref is not None and other.tf_prefix == ref.tf_prefix:
                continue
            if (folder / f"{name}.index").is_file() and other.state.is_file():
                refs.append(other)
    return refs


def read_state(ref: CheckpointRef) -> dict[str, Any]:
    """The sidecar state of checkpoint ``ref``: arrays, with ``evals`` and ``knobs`` decoded.

    Raises
    ------
    DataError
        The file is unreadable, too large, or lacks a part.
    """
    try:
        refuse_link(ref.state)
        if ref.state.stat().st_size > MAX_STATE_BYTES:
            raise DataError(ref.state, "too large to be a checkpoint state")
        with ref.state.open("rb") as fh, np.load(fh, allow_pickle=False) as z:
            state = {k: z[k] for k in z.files}
        state["evals"] = list(json.loads(str(state["evals"])))
        state["knobs"] = dict(json.loads(str(state["knobs"])))
        if int(state["step"]) != ref.step:
            raise ValueError(f"its state says step {int(state['step'])}, not {ref.step}")
    except DataError:
        raise
    except Exception as exc:  # zip, JSON and numpy errors alike: the file is damaged
        raise DataError(ref.state, f"unreadable trainer state ({exc})") from None
    return state


def restore_model_weights(model: Any, run_dir: str | Path) -> int:
    """Load the newest readable checkpoint's model weights into ``model``; return its step.

    Raises
    ------
    DataError
        No checkpoint in ``run_dir``, or none that fits ``model``.
    """
    import tensorflow as tf

    refs = checkpoints_newest_first(run_dir)
    if not refs:
        raise DataError(run_dir, "the run has neither a saved model nor a checkpoint")
    problem = ""
    for ref in refs:
        try:
            tf.train.Checkpoint(model=model).read(str(ref.tf_prefix)).expect_partial()
            return ref.step
        except Exception as exc:  # TF, shape and index errors alike: a damaged checkpoint
            problem = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    raise DataError(refs[0].tf_prefix, f"no checkpoint fits the model ({problem})")
