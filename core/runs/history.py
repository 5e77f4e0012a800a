"""Run history: per-step minibatch metrics in growable arrays plus evaluation points."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import numpy as np

from core.runs.safe_io import write_atomic


class StepLog:
    """Append-only per-step metrics in doubling arrays, one row per step with :attr:`COLUMNS`.

    ``minibatch_loss`` is what the optimizer minimises (cross-entropy plus the L2 term);
    ``minibatch_cross_entropy`` is the cross-entropy alone, the figure the curves plot so that
    runs with and without L2 compare on one scale. ``l2`` and ``dropout`` are the knob values
    the step trained with (NaN in runs recorded before they were kept).
    """

    COLUMNS = (
        "step",
        "minibatch_loss",
        "minibatch_accuracy",
        "learning_rate",
        "minibatch_cross_entropy",
        "l2",
        "dropout",
    )

    def __init__(self, capacity: int = 1024) -> None:
        self._data = np.zeros((capacity, len(self.COLUMNS)), dtype=np.float64)
        self.n = 0

    def extend(
        self,
        steps: np.ndarray,
        losses: np.ndarray,
        accs: np.ndarray,
        lrs: np.ndarray,
        xents: np.ndarray | None = None,
        l2: float | np.ndarray = np.nan,
        dropout: float | np.ndarray = np.nan,
    ) -> None:
        """Append a chunk of steps (``xents`` defaults to ``losses``: runs without L2)."""
        k = len(steps)
        while self.n + k > len(self._data):
            self._data = np.concatenate([self._data, np.zeros_like(self._data)])
        xents = losses if xents is None else xents
        self._data[self.n : self.n + k] = np.column_stack(
            [steps, losses, accs, lrs, xents, np.broadcast_to(l2, k), np.broadcast_to(dropout, k)]
        )
        self.n += k

    def set_rows(self, rows: np.ndarray) -> None:
        """Replace the log by ``rows`` (a checkpoint's; older ones have fewer columns)."""
        rows = np.asarray(rows, np.float64)
        if rows.ndim != 2 or rows.shape[1] < 4 or rows.shape[1] > len(self.COLUMNS):
            raise ValueError(f"a step log has 4-{len(self.COLUMNS)} columns, not {rows.shape}")
        self.n = 0
        if len(rows):
            xents = rows[:, 4] if rows.shape[1] > 4 else None
            l2 = rows[:, 5] if rows.shape[1] > 5 else np.nan
            dropout = rows[:, 6] if rows.shape[1] > 6 else np.nan
            self.extend(rows[:, 0], rows[:, 1], rows[:, 2], rows[:, 3], xents, l2, dropout)

    @property
    def array(self) -> np.ndarray:
        """The rows written so far, shape (n, 7)."""
        return self._data[: self.n]


HEADER = (
    *StepLog.COLUMNS[:4],
    "valid_loss",
    "valid_accuracy",
    *StepLog.COLUMNS[4:],
    "dead_units",
)


def write_history_csv(path: Path, steps: StepLog, evals: list[dict]) -> None:
    """Write per-step metrics joined with the evaluation points (blank where none) to CSV.

    The columns after the validation pair came later, so files from before them read the same.
    """
    by_step = {e["step"]: e for e in evals}
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(HEADER)
    for row in steps.array:
        e = by_step.get(int(row[0]), {})
        w.writerow(
            [
                int(row[0]),
                *(f"{v:.6g}" for v in row[1:4]),
                e.get("valid_loss", ""),
                e.get("valid_accuracy", ""),
                *(f"{v:.6g}" for v in row[4:]),
                e.get("dead_units", ""),
            ]
        )
    data = out.getvalue().encode()
    write_atomic(path, lambda fh: fh.write(data), ".csv")


def read_history_csv(path: Path) -> tuple[np.ndarray, list[dict]]:
    """Read a history CSV back: the per-step rows (n, 5) and the validation points.

    Parameters
    ----------
    path:
        A file written by :func:`write_history_csv`.

    Returns
    -------
    tuple
        ``(rows, evals)``: float64 rows with :attr:`StepLog.COLUMNS` (older files without the
        cross-entropy column repeat the loss there, without the knob columns hold NaN), and one
        dict per validation point with ``step``, ``valid_loss`` and ``valid_accuracy``. A line
        that cannot be read is left out; a file with no readable line raises ValueError.
    """
    rows: list[list[float]] = []
    evals: list[dict] = []
    problems = 0
    with Path(path).open(newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        if header is None or tuple(header[:4]) != StepLog.COLUMNS[:4]:
            raise ValueError(f"{path}: not a Glyph Lab history file")
        extra = {name: i for i, name in enumerate(header) if i >= 6}
        for rec in reader:
            if not rec:
                continue
            try:
                row = [float(v) for v in rec[:4]]
                for name in StepLog.COLUMNS[4:]:
                    i = extra.get(name)
                    text = rec[i] if i is not None and i < len(rec) else ""
                    fallback = row[1] if name == "minibatch_cross_entropy" else math.nan
                    row.append(float(text) if text != "" else fallback)
                if len(rec) >= 6 and rec[4] != "":
                    point = {
                        "step": int(rec[0]),
                        "valid_loss": float(rec[4]),
                        "valid_accuracy": float(rec[5]),
                    }
                    dead = extra.get("dead_units")
                    if dead is not None and dead < len(rec) and rec[dead] != "":
                        point["dead_units"] = int(rec[dead])
                    evals.append(point)
            except (ValueError, IndexError):
                problems += 1
                continue
            rows.append(row)
    if problems and not rows:
        raise ValueError(f"{path}: no readable line")
    data = np.array(rows, np.float64).reshape(-1, len(StepLog.COLUMNS))
    return data, evals
