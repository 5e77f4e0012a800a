"""The small files of a run folder: settings, status and the knob timeline.

A run folder holds (each file written atomically, see :mod:`core.runs.safe_io`)::

    settings.json     format, the settings the run STARTED with, class names, the dataset
    status.json       format, state, pid, steps done, best accuracy, message
    knobs.json        format, every live-knob change with the step it took effect at
    history.csv       per-step minibatch metrics joined with the validation points
    snapshots.npz     the weight-mosaic timeline
    checkpoint.json   pointer to the latest checkpoint in checkpoints/
    model.keras       the final model (finished or stopped runs)
    metrics.json      final figures and the evaluation points (finished or stopped runs)
    .lock             held by the process that trains the run (see core.runs.lock)

Files carry ``"format": 1``. Runs written before formats existed (format 0) read the same,
except that their settings hold the knob values the run ended with and they have no knobs.json.
"""

from __future__ import annotations

import json
import math
import os
import socket
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from core.data.errors import DataError
from core.runs.safe_io import write_json

FORMAT = 1
SETTINGS_FILE = "settings.json"
STATUS_FILE = "status.json"
KNOBS_FILE = "knobs.json"
HISTORY_FILE = "history.csv"
METRICS_FILE = "metrics.json"
MODEL_FILE = "model.keras"
SNAPSHOTS_FILE = "snapshots.npz"
STATES = ("running", "finished", "stopped", "interrupted", "failed", "diverged")
MAX_SMALL_FILE = 4 << 20  # settings, status, knobs: a few KB; anything this large is not ours


@dataclass(frozen=True)
class KnobChange:
    """A live knob set to ``new`` before training step ``step`` (0-based) ran."""

    step: int
    name: str
    old: float
    new: float

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form."""
        return {"step": self.step, "name": self.name, "old": self.old, "new": self.new}


def read_json_file(path: Path) -> Any:
    """Parse a small JSON file of a run.

    Raises
    ------
    DataError
        Missing, not a regular file, too large, or not JSON.
    """
    try:
        if path.is_symlink() or not path.is_file():
            raise DataError(path, "missing")
        if path.stat().st_size > MAX_SMALL_FILE:
            raise DataError(path, "too large to be a Glyph Lab run file")
        return json.loads(path.read_text())
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise DataError(path, f"unreadable ({exc})") from None


def write_settings(
    run_dir: Path, settings: dict, class_names: tuple[str, ...], dataset: dict
) -> None:
    """Write ``settings.json``: the starting settings, the class names and the dataset."""
    write_json(
        run_dir / SETTINGS_FILE,
        {
            "format": FORMAT,
            "settings": settings,
            "class_names": list(class_names),
            "dataset": dataset,
        },
    )


def read_settings(run_dir: str | Path) -> dict:
    """The parsed ``settings.json`` of a run, any format, with ``format`` filled in.

    Raises
    ------
    DataError
        Missing, unreadable, or with settings or class names that cannot be used.
    """
    path = Path(run_dir) / SETTINGS_FILE
    if not path.exists():
        raise DataError(run_dir, f"not a Glyph Lab run folder (no {SETTINGS_FILE})")
    meta = read_json_file(path)
    if not isinstance(meta, dict) or not isinstance(meta.get("settings"), dict):
        raise DataError(path, "unreadable run settings (no 'settings' object)")
    names = meta.get("class_names")
    if (
        not isinstance(names, list)
        or len(names) < 2
        or not all(isinstance(n, str) and n for n in names)
    ):
        raise DataError(path, "unreadable run settings (class_names must be a list of names)")
    fmt = meta.get("format", 0)
    if not isinstance(fmt, int) or fmt > FORMAT:
        raise DataError(path, f"written by a newer Glyph Lab (format {fmt}); update to open it")
    if not isinstance(meta.get("dataset"), dict):
        meta["dataset"] = {}
    meta["format"] = fmt
    return meta


def write_status(run_dir: Path, status: dict) -> None:
    """Write ``status.json`` from ``status`` (state, steps, ...), stamped with format and time."""
    if status.get("state") not in STATES:
        raise ValueError(f"unknown run state {status.get('state')!r}")
    write_json(
        run_dir / STATUS_FILE,
        {
            "format": FORMAT,
            "pid": os.getpid(),
            "host": socket.gethostname(),
            **status,
            "updated": now(),
        },
    )


def read_status(run_dir: str | Path) -> dict:
    """The ``status.json`` of a run with every field checked, or ``{}`` when there is none.

    Fields of the wrong type are dropped (a run with a damaged status still lists).
    """
    try:
        raw = read_json_file(Path(run_dir) / STATUS_FILE)
    except DataError:
        return {}
    if not isinstance(raw, dict):
        return {}
    out: dict[str, Any] = {}
    for key, kind in (
        ("state", str),
        ("host", str),
        ("started", str),
        ("updated", str),
        ("preset", str),
        ("dataset", str),
        ("message", str),
    ):
        if isinstance(raw.get(key), kind):
            out[key] = raw[key]
    for key in ("steps_done", "total_steps", "pid"):
        value = raw.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            out[key] = value
    best = raw.get("best_valid_accuracy")
    if isinstance(best, (int, float)) and not isinstance(best, bool) and math.isfinite(best):
        out["best_valid_accuracy"] = float(best)
    if out.get("state") not in STATES:
        out.pop("state", None)
    return out


def write_knob_changes(run_dir: Path, changes: list[KnobChange]) -> None:
    """Write the run's knob timeline ``knobs.json``."""
    write_json(run_dir / KNOBS_FILE, {"format": FORMAT, "changes": [c.to_dict() for c in changes]})


def read_knob_changes(run_dir: str | Path) -> list[KnobChange]:
    """The run's knob changes in step order (``[]`` for a run without ``knobs.json``).

    Raises
    ------
    DataError
        The file exists but is unreadable.
    """
    path = Path(run_dir) / KNOBS_FILE
    if not path.exists():
        return []
    raw = read_json_file(path)
    try:
        changes = [
            KnobChange(int(c["step"]), str(c["name"]), float(c["old"]), float(c["new"]))
            for c in raw["changes"]
        ]
    except (KeyError, TypeError, ValueError) as exc:
        raise DataError(path, f"unreadable knob timeline ({exc})") from None
    if any(c.step < 0 or not math.isfinite(c.new) for c in changes):
        raise DataError(path, "unreadable knob timeline (a step or value out of range)")
    return sorted(changes, key=lambda c: c.step)


def now() -> str:
    """The local time as an ISO string (seconds)."""
    return datetime.now().isoformat(timespec="seconds")
