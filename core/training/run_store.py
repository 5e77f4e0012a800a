"""Run folders: settings, status, metrics history, weight timeline, final model; loading back.

A run folder holds (every file written atomically: temporary file, then ``os.replace``)::

    settings.json     TrainConfig, class names, dataset description and spec
    status.json       running / finished / stopped / failed / diverged, pid, steps, best accuracy
    history.csv       per-step minibatch metrics joined with the validation points
    snapshots.npz     the weight-mosaic timeline (float16, at most MAX_SNAPSHOTS mosaics)
    checkpoint.json   pointer to the latest checkpoint in checkpoints/ (see checkpoint.py)
    model.keras       the final model (finished or stopped runs)
    metrics.json      final figures and the evaluation points (finished or stopped runs)
"""

from __future__ import annotations

import json
import os
import socket
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from core.data.errors import DataError
from core.json_io import write_json_atomic
from core.training.checkpoint import save_npz_atomic
from core.training.events import WeightSnapshot
from core.training.history import write_history_csv

if TYPE_CHECKING:
    import keras

    from core.training.trainer import Trainer

MODEL_FILE = "model.keras"
SETTINGS_FILE = "settings.json"
METRICS_FILE = "metrics.json"
HISTORY_FILE = "history.csv"
STATUS_FILE = "status.json"
SNAPSHOTS_FILE = "snapshots.npz"
MAX_SNAPSHOTS = 48
MAX_SNAPSHOT_BYTES = 24 << 20
STATES = ("running", "finished", "stopped", "interrupted", "failed", "diverged")


def process_start_time(pid: int) -> str | None:
    """An identifier of when process ``pid`` started (Linux ``/proc``), or None if unknown."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text.rsplit(")", 1)[-1].split()
    return fields[19] if len(fields) > 19 else None


def write_settings(trainer: Trainer, run_dir: Path) -> None:
    """Write ``settings.json``: the config, class names and the dataset's description."""
    ds = trainer.dataset
    write_json_atomic(
        run_dir / SETTINGS_FILE,
        {
            "settings": trainer.config.to_dict(),
            "class_names": list(ds.class_names),
            "dataset": {
                "name": ds.name,
                "spec": trainer.config.dataset,
                "description": ds.provenance.description,
                "train": len(ds.train_x),
                "valid": len(ds.valid_x),
                "test": len(ds.test_x),
            },
        },
    )


def read_settings(run_dir: str | Path) -> dict:
    """The parsed ``settings.json`` of a run.

    Raises
    ------
    DataError
        Missing or unreadable.
    """
    path = Path(run_dir) / SETTINGS_FILE
    if not path.is_file():
        raise DataError(run_dir, f"not a Glyph Lab run folder (no {SETTINGS_FILE})")
    try:
        meta = json.loads(path.read_text())
        if not isinstance(meta, dict) or not isinstance(meta.get("settings"), dict):
            raise ValueError("no 'settings' object")
    except (OSError, ValueError) as exc:
        raise DataError(path, f"unreadable run settings ({exc})") from None
    return meta


def write_status(
    run_dir: Path,
    state: str,
    trainer: Trainer,
    steps_done: int,
    message: str = "",
    started: str | None = None,
) -> None:
    """Write ``status.json`` for ``trainer``'s run (this process's pid and start time)."""
    if state not in STATES:
        raise ValueError(f"unknown run state {state!r}")
    accs = [
        e["valid_accuracy"] for e in trainer.evals if np.isfinite(e.get("valid_accuracy", np.nan))
    ]
    old = read_status(run_dir)
    pid = os.getpid()
    write_json_atomic(
        run_dir / STATUS_FILE,
        {
            "state": state,
            "pid": pid,
            "process_start": process_start_time(pid),
            "host": socket.gethostname(),
            "started": started or old.get("started") or _now(),
            "updated": _now(),
            "steps_done": int(steps_done),
            "total_steps": int(trainer.config.steps),
            "best_valid_accuracy": max(accs) if accs else None,
            "preset": trainer.config.preset,
            "dataset": trainer.config.dataset,
            "message": message,
        },
    )


def read_status(run_dir: str | Path) -> dict:
    """The parsed ``status.json`` of a run, or ``{}`` when missing or unreadable."""
    try:
        obj = json.loads((Path(run_dir) / STATUS_FILE).read_text())
    except (OSError, ValueError):
        return {}
    return obj if isinstance(obj, dict) else {}


def write_timeline(run_dir: Path, snapshots: list[WeightSnapshot]) -> None:
    """Write the weight-snapshot timeline (float16 mosaics) to ``snapshots.npz``."""
    if not snapshots:
        return
    first = snapshots[0]
    arrays: dict[str, np.ndarray] = {
        "steps": np.array([s.step for s in snapshots], np.int64),
        "limits": np.array([s.limit for s in snapshots], np.float64),
        "kind": np.array(first.kind),
        "tile_shape": np.array(first.tile_shape, np.int64),
        "grid": np.array(first.grid, np.int64),
        "labels": np.array(list(first.labels), dtype=str),
    }
    for i, s in enumerate(snapshots):
        arrays[f"mosaic_{i}"] = s.mosaic
    save_npz_atomic(run_dir / SNAPSHOTS_FILE, **arrays)


def read_timeline(run_dir: str | Path, *, last_only: bool = False) -> list[WeightSnapshot]:
    """The weight-snapshot timeline of a run (mosaics as float32); ``[]`` when it has none.

    With ``last_only`` just its newest snapshot is decoded (a timeline can hold ~100 mosaics).

    Raises
    ------
    DataError
        The file exists but is unreadable.
    """
    path = Path(run_dir) / SNAPSHOTS_FILE
    if not path.is_file():
        return []
    try:
        with np.load(path, allow_pickle=False) as z:
            kind, tile, grid = str(z["kind"]), tuple(z["tile_shape"]), tuple(z["grid"])
            labels = tuple(str(s) for s in z["labels"].tolist())
            entries = list(enumerate(zip(z["steps"], z["limits"], strict=True)))
            return [
                WeightSnapshot(
                    int(step),
                    kind,
                    z[f"mosaic_{i}"].astype(np.float32),
                    (int(tile[0]), int(tile[1])),
                    (int(grid[0]), int(grid[1])),
                    float(limit),
                    labels,
                )
                for i, (step, limit) in (entries[-1:] if last_only else entries)
            ]
    except (OSError, ValueError, KeyError) as exc:
        raise DataError(path, f"unreadable weight timeline ({exc})") from None


def add_to_timeline(snapshots: list[WeightSnapshot], snap: WeightSnapshot) -> None:
    """Append ``snap`` (as float16) and thin the list to every other one when it grows too big.

    The first and the newest snapshots are always kept; the list never holds more than
    :data:`MAX_SNAPSHOTS` mosaics nor more than :data:`MAX_SNAPSHOT_BYTES` of them.
    """
    if snapshots and snapshots[-1].step == snap.step:
        snapshots.pop()
    f16 = np.finfo(np.float16).max
    mosaic = np.clip(np.asarray(snap.mosaic, np.float32), -f16, f16).astype(np.float16)
    small = WeightSnapshot(
        snap.step, snap.kind, mosaic, snap.tile_shape, snap.grid, snap.limit, snap.labels
    )
    snapshots.append(small)
    cap = max(2, min(MAX_SNAPSHOTS, MAX_SNAPSHOT_BYTES // max(small.mosaic.nbytes, 1)))
    while len(snapshots) > cap:
        newest = snapshots[-1]
        kept = snapshots[:-1:2]
        snapshots[:] = [*kept, newest]


def save_run(trainer: Trainer, final: dict, seconds: float, run_dir: str | Path) -> Path:
    """Save model, settings, metrics and history of ``trainer`` to ``run_dir``; return it."""
    path = Path(run_dir)
    path.mkdir(parents=True, exist_ok=True)
    tmp_model = path / ("tmp-" + MODEL_FILE)
    trainer.model.save(tmp_model)
    os.replace(tmp_model, path / MODEL_FILE)
    write_settings(trainer, path)
    steps = int(trainer.steps_log.n)
    write_json_atomic(
        path / METRICS_FILE,
        {
            "final": final,
            "seconds": seconds,
            "steps": steps,
            "steps_per_second": steps / max(seconds, 1e-9),
            "evaluations": trainer.evals,
        },
    )
    write_history_csv(path / HISTORY_FILE, trainer.steps_log, trainer.evals)
    return path


def load_run(run_dir: str | Path) -> tuple[keras.Model, dict]:
    """Load a run's model and its settings.

    The final ``model.keras`` when there is one; otherwise (an interrupted, failed or diverged
    run) the model rebuilt from the settings with the weights of the latest checkpoint.

    Raises
    ------
    FileNotFoundError
        ``run_dir`` is not a run folder.
    DataError
        The run has settings but neither a model nor a loadable checkpoint.
    """
    import keras

    import core.models.layers  # noqa: F401 - registers the custom layers for deserialization

    path = Path(run_dir)
    model_path = path / MODEL_FILE
    settings_path = path / SETTINGS_FILE
    if not settings_path.is_file() or not (
        model_path.is_file() or (path / "checkpoint.json").is_file()
    ):
        raise FileNotFoundError(
            f"{path}: not a Glyph Lab run folder (needs {MODEL_FILE} and {SETTINGS_FILE})"
        )
    meta = read_settings(path)
    if model_path.is_file():
        return keras.models.load_model(model_path, compile=False), meta
    from core.models.build import build_model
    from core.models.presets import get_preset
    from core.training.checkpoint import restore_model_weights
    from core.training.config import OLDER_RUN_SETTINGS

    cfg = {**OLDER_RUN_SETTINGS, **meta["settings"]}
    model = build_model(
        get_preset(cfg["preset"]).model,
        len(meta["class_names"]),
        float(cfg.get("dropout", 0.0)),
        seed=int(cfg.get("seed", 0)),
        dense_parts=int(cfg["dense_parts"]),
    )
    restore_model_weights(model, path)
    return model, meta


def _now() -> str:
    return datetime.now().isoformat(timespec="seconds")
