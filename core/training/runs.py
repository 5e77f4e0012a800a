"""Past runs: list them, tell a killed run from a live one, and read a run's curves and weights.

This is the API ``python main.py runs`` and the window's *File > Recent runs* use:

- :func:`list_runs` -> :class:`RunInfo` per run folder, newest first;
- :func:`find_run` turns a run id (folder name) or a path into the folder;
- :func:`load_history` / :func:`load_snapshots` give a run's curves and weight timeline;
- :func:`core.training.run_store.load_run` loads its model (final, or from the last checkpoint);
- :meth:`core.training.trainer.Trainer.from_run` resumes it.
"""

from __future__ import annotations

import os
import socket
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from core.data.errors import DataError
from core.paths import runs_dir
from core.training import run_store
from core.training.checkpoint import POINTER_FILE, latest_checkpoint
from core.training.events import WeightSnapshot
from core.training.history import read_history_csv


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
        so), ``failed`` or ``diverged``.
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


def process_alive(pid: int, start: str | None) -> bool:
    """Whether process ``pid`` is alive and is the same process (same start time) as recorded."""
    if pid <= 0:
        return False
    if pid == os.getpid():
        return True
    if sys.platform.startswith("linux"):
        try:
            text = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return False
        fields = text.rsplit(")", 1)[-1].split()
        if not fields or fields[0] in ("Z", "X"):
            return False
        return start is None or (len(fields) > 19 and fields[19] == start)
    if sys.platform == "win32":
        return _windows_alive(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _windows_alive(pid: int) -> bool:  # pragma: no cover - Windows only
    import ctypes

    kernel32 = ctypes.windll.kernel32
    handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
    if not handle:
        return False
    code = ctypes.c_ulong()
    kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
    kernel32.CloseHandle(handle)
    return code.value == 259  # STILL_ACTIVE


def effective_state(status: dict) -> str:
    """The status file's state, with ``running`` turned into ``interrupted`` if its process died.

    A run recorded on another host cannot be checked and keeps its recorded state.
    """
    state = str(status.get("state") or "interrupted")
    if state != "running":
        return state
    if status.get("host") not in (None, socket.gethostname()):
        return state
    alive = process_alive(int(status.get("pid") or 0), status.get("process_start"))
    return "running" if alive else "interrupted"


def read_run_info(path: str | Path) -> RunInfo:
    """Summarise the run folder ``path``.

    Raises
    ------
    DataError
        ``path`` is not a run folder (no readable ``settings.json``).
    """
    path = Path(path)
    meta = run_store.read_settings(path)
    cfg = meta["settings"]
    status = run_store.read_status(path)
    best = status.get("best_valid_accuracy")
    state = effective_state(status) if status else "interrupted"
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
    return RunInfo(
        id=path.name,
        path=path,
        preset=str(cfg.get("preset", "?")),
        dataset=str(cfg.get("dataset", "?")),
        status=state,
        steps_done=steps_done,
        total_steps=int(status.get("total_steps") or cfg.get("steps") or 0),
        best_valid_accuracy=None if best is None else float(best),
        started=str(status.get("started") or ""),
        message=str(status.get("message") or ""),
        has_model=(path / run_store.MODEL_FILE).is_file(),
        resumable=(path / POINTER_FILE).is_file(),
    )


def list_runs(root: str | Path | None = None) -> list[RunInfo]:
    """Every run folder in ``root`` (default :func:`core.paths.runs_dir`), newest first.

    Folders that are not runs (no readable settings) are skipped.
    """
    root = Path(root) if root is not None else runs_dir()
    if not root.is_dir():
        return []
    infos = []
    for child in root.iterdir():
        if child.is_dir():
            try:
                infos.append(read_run_info(child))
            except DataError:
                continue
    return sorted(infos, key=lambda r: (r.started, r.id), reverse=True)


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
    if (
        text
        and "/" not in text
        and os.sep not in text
        and (by_id / run_store.SETTINGS_FILE).is_file()
    ):
        return by_id
    as_path = Path(text).expanduser()
    if text and (as_path / run_store.SETTINGS_FILE).is_file():
        return as_path.resolve()
    raise DataError(text, f"no such run (not a run id in {root}, nor a run folder)")


def load_history(run_dir: str | Path) -> tuple[np.ndarray, list[dict]]:
    """A run's curves: per-step rows (``StepLog.COLUMNS``) and the evaluation points.

    Raises
    ------
    DataError
        The history file is missing or unreadable.
    """
    path = Path(run_dir) / run_store.HISTORY_FILE
    try:
        return read_history_csv(path)
    except (OSError, ValueError) as exc:
        raise DataError(path, f"unreadable run history ({exc})") from None


def load_snapshots(run_dir: str | Path, *, last_only: bool = False) -> list[WeightSnapshot]:
    """A run's weight-mosaic timeline, oldest first (``[]`` when none was saved).

    With ``last_only``, a list of just the newest one.
    """
    return run_store.read_timeline(run_dir, last_only=last_only)
