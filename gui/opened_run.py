"""A past run read back for the window: its summary, curves, last weights and model.

:func:`read_run` runs on a worker thread (loading the model imports TensorFlow);
:func:`fill_curves` puts the history into the curves panel on the GUI thread.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from core.runs.files import KnobChange

if TYPE_CHECKING:
    from core.events import WeightSnapshot
    from core.runs.listing import RunInfo
    from gui.panels.curves import CurvesPanel

MAX_CURVE_POINTS = 20_000  # a longer history is thinned (every k-th step) for display


@dataclass
class OpenedRun:
    """Everything the window shows of a past run.

    Attributes
    ----------
    info:
        The run's summary (status, steps, best accuracy ...).
    rows:
        Per-step history (:attr:`core.runs.history.StepLog.COLUMNS`), shape (n, 7).
    evals:
        Validation points: dicts with ``step``, ``valid_loss``, ``valid_accuracy``.
    snapshot:
        The last weight mosaic of its timeline, or None.
    predictor:
        A :class:`core.inference.Predictor` over its model (final or last checkpoint), or None.
    test_accuracy:
        The final test accuracy (0..1) of a finished or stopped run, or None.
    settings:
        The run's ``settings.json`` (the settings it started with, for runs of format 1).
    knob_changes:
        Its knob timeline: every change with the step it took effect at.
    problems:
        What could not be read (each one line), shown to the learner.
    """

    info: RunInfo
    rows: np.ndarray
    evals: list[dict]
    snapshot: WeightSnapshot | None
    predictor: Any
    test_accuracy: float | None
    settings: dict
    knob_changes: list[KnobChange] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def dataset_spec(self) -> str:
        """The dataset spec the run trained on (to load it again)."""
        return str(self.settings.get("dataset", {}).get("spec") or self.info.dataset)

    @property
    def control_values(self) -> dict[str, Any]:
        """The run's training settings, as the controls' ``set_values`` takes them.

        The dataset is left out: the window loads it apart (:attr:`dataset_spec`).
        """
        return {k: v for k, v in self.settings.get("settings", {}).items() if k != "dataset"}

    def repeats(self, values: dict[str, Any]) -> bool:
        """Whether the controls' ``values`` describe this run's start (so Start replays it)."""
        start = self.control_values
        for key, value in values.items():
            if key == "dataset" or key not in start:
                continue
            want = start[key]
            if isinstance(value, float) or isinstance(want, float):
                try:
                    if not math.isclose(float(value), float(want), rel_tol=1e-3, abs_tol=1e-12):
                        return False
                except (TypeError, ValueError):
                    return False
            elif value != want:
                return False
        return True


def read_run(path: str | Path, *, with_model: bool = True) -> OpenedRun:
    """Read run folder ``path`` (call on a worker thread).

    Parameters
    ----------
    path:
        The run folder.
    with_model:
        Also load its model (imports TensorFlow).

    Returns
    -------
    OpenedRun
        What could be read; missing parts are None/empty and explained in ``problems``.

    Raises
    ------
    DataError
        ``path`` is not a run folder.
    """
    from core.data.errors import DataError
    from core.runs import files
    from core.runs.listing import load_history, load_snapshots, read_run_info

    info = read_run_info(path)
    settings = files.read_settings(path)
    problems: list[str] = []
    try:
        changes = files.read_knob_changes(path)
    except DataError as exc:
        changes = []
        problems.append(str(exc))
    try:
        rows, evals = load_history(path)
    except DataError as exc:
        rows, evals = np.zeros((0, 7)), []
        problems.append(str(exc))
    try:
        snaps = load_snapshots(path, last_only=True)
    except DataError as exc:
        snaps = []
        problems.append(str(exc))
    predictor = None
    if with_model:
        from core.inference import load_predictor

        try:
            predictor = load_predictor(path)
        except (DataError, FileNotFoundError, OSError, ValueError) as exc:
            problems.append(f"the model could not be loaded: {exc}")
    return OpenedRun(
        info,
        rows,
        evals,
        snaps[-1] if snaps else None,
        predictor,
        _test_accuracy(Path(path)),
        settings,
        changes,
        problems,
    )


def _test_accuracy(path: Path) -> float | None:
    from core.runs.files import METRICS_FILE

    try:
        final = json.loads((path / METRICS_FILE).read_text())["final"]
        value = float(final["test_accuracy"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return value if np.isfinite(value) else None


def fill_curves(curves: CurvesPanel, run: OpenedRun, *, keep_previous: bool = True) -> None:
    """Show ``run``'s history in ``curves`` (the current curves become the 'previous run')."""
    if not keep_previous:
        curves.clear()
    cfg = run.settings.get("settings", {})
    curves.start_run(run.info.total_steps, restricted=int(cfg.get("restrict_batches", 0)) > 0)
    rows = run.rows
    if len(rows) > MAX_CURVE_POINTS:
        keep = np.unique(
            np.r_[np.arange(0, len(rows), len(rows) // MAX_CURVE_POINTS + 1), len(rows) - 1]
        )
        rows = rows[keep]
    for row in rows:  # cross-entropy, as the live curves show
        curves.add_step(int(row[0]), float(row[4]), float(row[2]))
    for change in run.knob_changes:
        curves.add_marker(change.step, change.name, change.old, change.new)
    for e in run.evals:
        curves.add_eval(int(e["step"]), "valid", float(e["valid_loss"]), float(e["valid_accuracy"]))
    if run.test_accuracy is not None and len(run.rows):
        curves.add_eval(int(run.rows[-1, 0]), "test", float("nan"), run.test_accuracy)
