"""The learning curves as a CSV table: one row per step, one column per curve."""

from __future__ import annotations

import csv
from collections.abc import Mapping
from pathlib import Path

from gui.panels.growing_series import GrowingSeries

# CSV column -> the curve (series name) it holds
CSV_COLUMNS = {
    "minibatch_loss": "loss_minibatch",
    "minibatch_accuracy": "acc_minibatch",
    "valid_loss": "loss_valid",
    "valid_accuracy": "acc_valid",
    "test_accuracy": "acc_test",
}


def write_curves_csv(series: Mapping[str, GrowingSeries], path: str | Path) -> None:
    """Write the curves in ``series`` to ``path``: a row per step, blank where a curve has none.

    Parameters
    ----------
    series:
        Series name -> points; every curve named in :data:`CSV_COLUMNS` must be there.
    path:
        The CSV file to write (replaced when it exists).
    """
    keys = list(CSV_COLUMNS.values())
    rows: dict[int, dict[str, float]] = {}
    for name in keys:
        s = series[name]
        for x, y in zip(s.x, s.y, strict=True):
            rows.setdefault(int(x), {})[name] = float(y)
    with Path(path).open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["step", *CSV_COLUMNS])
        for step in sorted(rows):
            row = rows[step]
            writer.writerow([step, *(f"{row[k]:.6g}" if k in row else "" for k in keys)])
