"""Past runs: list them, tell a killed run from a live one, and read a run's curves and weights.

This is the API ``python main.py runs`` and the window's *File > Recent runs* use:

- :func:`list_runs` -> :class:`RunInfo` per run folder, newest first;
- :func:`find_run` turns a run id (folder name) or a path into the folder;
- :func:`load_history` / :func:`load_snapshots` give a run's curves and weight timeline;
- :func:`core.runs.model.load_run` loads its model (final, or from the last checkpoint);
- :func:`core.training.recorder.resume` resumes it.

A folder in the runs folder that cannot be read is listed too, as ``unreadable``, with why.
"""

from __future__ import annotations

import os
import socket
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from core.data.errors import DataError
from core.events import WeightSnapshot
from core.paths import runs_dir
from core.runs import files
from core.runs.checkpoint import POINTER_FILE, latest_checkpoint
from core.runs.history import read_history_csv
from core.runs.lock import is_locked
from core.runs.timeline import read_timeline


@dataclass(frozen=True)
class RunInfo:
    """One run folder, summarised.

    Attributes
    ----------
    id:
        The folder name.
    path:
        The folder.
    preset, dataset:
        The run's preset name and dataset spec.
    status:
        ``running``, ``finished``, ``stopped``, ``interrupted`` (its process died without saying
        so), ``failed``, ``diverged``, or ``unreadable`` (the folder's files cannot be read;
        ``message`` says why).
    steps_done, total_steps:
        Steps saved so far (at the last checkpoint for a live or interrupted run) and the target.
    best_valid_accuracy:
        Best validation accuracy so far (0..1), or None.
    started:
        ISO date and time the run began.
    message:
        Why it failed or diverged (empty otherwise).
    has_model, resumable:
        Whether a final ``model.keras`` exists; whether a checkpoint exists to resume from.
    """

    id: str
    path: Path
    preset: str
    dataset: str
    status: str
    steps_done: int
    total_steps: int
    best_valid_accuracy: float | None
    started: str
    message: str
    has_model: bool
    resumable: bool

    def to_dict(self) -> dict:
        """Plain-JSON form."""
        d = asdict(self)
        d["path"] = str(self.path)
        return d


def effective_state(run_dir: Path, status: dict) -> str:
    """The status file's state, with ``running`` turned into ``interrupted`` if nobody trains it.

    A live run's process holds the run's lock (:mod:`core.runs.lock`); the operating system
    releases it when the process dies. A run recorded on another host keeps its recorded state.
    """
    state = str(status.get("state") or "interrupted")
    if state != "running":
        return state
    if status.get("host") not in (None, socket.gethostname()):
        return state
    return "running" if is_locked(run_dir) else "interrupted"


def read_run_info(path: str | Path) -> RunInfo:
    """Summarise the run folder ``path``.

    Raises
    ------
    DataError
        ``path`` is not a run folder (no readable ``settings.json``).
    """
    path = Path(path)
    meta = files.read_settings(path)
    cfg = meta["settings"]
    status = files.read_status(path)
    best = status.get("best_valid_accuracy")
    state = effective_state(path, status) if status else "interrupted"
    steps_done = int(status.get("steps_done") or 0)
    if state == "interrupted":
        # A kill can land between the checkpoint and the status update: the checkpoint is
        # what a resume continues from, so it is what "steps done" means here.
        try:
            ref = latest_checkpoint(path)
        except DataError:
            ref = None
        if ref is not None:
            steps_done = ref.step
        elif not status.get("message"):
            status["message"] = "interrupted before its first checkpoint; start it again"
    return RunInfo(
        id=path.name,
        path=path,
        preset=str(cfg.get("preset", "?")),
        dataset=str(cfg.get("dataset", "?")),
        status=state,
        steps_done=steps_done,
        total_steps=int(status.get("total_steps") or _int(cfg.get("steps"))),
        best_valid_accuracy=best,
        started=str(status.get("started") or ""),
        message=str(status.get("message") or ""),
        has_model=(path / files.MODEL_FILE).is_file(),
        resumable=(path / POINTER_FILE).is_file(),
    )


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def unreadable_info(path: Path, why: str) -> RunInfo:
    """A :class:`RunInfo` for a folder that cannot be read as a run, saying why."""
    return RunInfo(path.name, path, "?", "?", "unreadable", 0, 0, None, "", why, False, False)


def list_runs(root: str | Path | None = None) -> list[RunInfo]:
    """Every run folder in ``root`` (default :func:`core.paths.runs_dir`), newest first.

    A folder that cannot be read as a run is listed as ``unreadable`` with the reason, after
    the others; links are not followed.
    """
    root = Path(root) if root is not None else runs_dir()
    if not root.is_dir():
        return []
    infos, bad = [], []
    for child in root.iterdir():
        if child.is_symlink() or not child.is_dir():
            continue
        try:
            infos.append(read_run_info(child))
        except DataError as exc:
            bad.append(unreadable_info(child, exc.problem))
        except (OSError, ValueError, TypeError) as exc:
            bad.append(unreadable_info(child, str(exc)))
    return [
        *sorted(infos, key=lambda r: (r.started, r.id), reverse=True),
        *sorted(bad, key=lambda r: r.id),
    ]


def find_run(run: str | Path, root: str | Path | None = None) -> Path:
    """The folder of run ``run``: a run id (folder name in ``root``) or a path to the folder.

    Raises
    ------
    DataError
        No such run.
    """
    root = Path(root) if root is not None else runs_dir()
    text = str(run)
    by_id = root / text
    if text and "/" not in text and os.sep not in text and (by_id / files.SETTINGS_FILE).is_file():
        return by_id
    as_path = Path(text).expanduser()
    if text and (as_path / files.SETTINGS_FILE).is_file():
        return as_path.resolve()
    raise DataError(text, f"no such run (not a run id in {root}, nor a run folder)")


def load_history(run_dir: str | Path) -> tuple[np.ndarray, list[dict]]:
    """A run's curves: per-step rows (``StepLog.COLUMNS``) and the evaluation points.

    Raises
    ------
    DataError
        The history file is missing or unreadable.
    """
    path = Path(run_dir) / files.HISTORY_FILE
    try:
        return read_history_csv(path)
    except (OSError, ValueError) as exc:
        raise DataError(path, f"unreadable run history ({exc})") from None


def load_snapshots(run_dir: str | Path, *, last_only: bool = False) -> list[WeightSnapshot]:
    """A run's weight-mosaic timeline, oldest first (``[]`` when none was saved).

    With ``last_only``, a list of just the newest one.
    """
    return read_timeline(run_dir, last_only=last_only)
