"""Run history: per-step minibatch metrics in growable arrays plus evaluation points."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np


class StepLog:
    """Append-only per-step metrics in doubling arrays, one row per step with :attr:`COLUMNS`.

    ``minibatch_loss`` is what the optimizer minimises (cross-entropy plus the L2 term);
    ``minibatch_cross_entropy`` is the cross-entropy alone, the figure the curves plot so that
    runs with and without L2 compare on one scale.
    """

    COLUMNS = (
        "step",
        "minibatch_loss",
        "minibatch_accuracy",
        "learning_rate",
        "minibatch_cross_entropy",
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
    ) -> None:
        """Append a chunk of steps (``xents`` defaults to ``losses``: runs without L2)."""
        k = len(steps)
        while self.n + k > len(self._data):
            self._data = np.concatenate([self._data, np.zeros_like(self._data)])
        xents = losses if xents is None else xents
        self._data[self.n : self.n + k] = np.column_stack([steps, losses, accs, lrs, xents])
        self.n += k

    @property
    def array(self) -> np.ndarray:
        """The rows written so far, shape (n, 5)."""
        return self._data[: self.n]


def write_history_csv(path: Path, steps: StepLog, evals: list[dict]) -> None:
    """Write per-step metrics joined with the evaluation points (blank where none) to CSV."""
    by_step = {e["step"]: e for e in evals}
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", newline="") as fh:
        w = csv.writer(fh)
        # the cross-entropy comes last so that files from before it existed read the same
        w.writerow([*StepLog.COLUMNS[:4], "valid_loss", "valid_accuracy", StepLog.COLUMNS[4]])
        for row in steps.array:
            step = int(row[0])
            e = by_step.get(step, {})
            w.writerow(
                [
                    step,
                    f"{row[1]:.6g}",
                    f"{row[2]:.6g}",
                    f"{row[3]:.6g}",
                    e.get("valid_loss", ""),
                    e.get("valid_accuracy", ""),
                    f"{row[4]:.6g}",
                ]
            )
    tmp.replace(path)


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
        cross-entropy column repeat the loss there), and one dict per validation point with
        ``step``, ``valid_loss`` and ``valid_accuracy``.
    """
    rows: list[list[float]] = []
    evals: list[dict] = []
    with Path(path).open(newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        if header is None or tuple(header[:4]) != StepLog.COLUMNS[:4]:
            raise ValueError(f"{path}: not a Glyph Lab history file")
        has_xent = len(header) > 6 and header[6] == StepLog.COLUMNS[4]
        for rec in reader:
            if not rec:
                continue
            xent = rec[6] if has_xent and len(rec) > 6 and rec[6] != "" else rec[1]
            rows.append([*(float(v) for v in rec[:4]), float(xent)])
            if len(rec) >= 6 and rec[4] != "":
                evals.append(
                    {
                        "step": int(rec[0]),
                        "valid_loss": float(rec[4]),
                        "valid_accuracy": float(rec[5]),
                    }
                )
    data = np.array(rows, np.float64).reshape(-1, len(StepLog.COLUMNS))
    return data, evals
