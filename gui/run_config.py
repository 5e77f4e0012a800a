"""The TrainConfig a window run uses: the controls' values with the window's cadence."""

from __future__ import annotations

from typing import Any

import numpy as np


def run_cadence(steps: int) -> dict[str, int]:
    """Evaluation, snapshot and chunk sizes for a run of ``steps`` steps.

    A validation pass over the whole split costs about as much as dozens of training steps, so
    evaluations come every ~10% of the run but at least every 100 steps (the headless CLI's
    default), and weight snapshots twice as often (at least every 50 steps). A compiled call
    runs at most ``steps // 50`` steps (a short run still draws 50 points) and about 50 ms of
    work (see :class:`core.training.batches.ChunkSizer`), so Stop, Pause and closing the window
    answer quickly whatever the model.
    """
    return {
        "eval_every": int(np.clip(steps // 10, 5, 100)),
        "snapshot_every": int(np.clip(steps // 20, 5, 50)),
        "steps_per_call": int(np.clip(steps // 50, 2, 50)),
    }


def run_config(values: dict[str, Any], overrides: dict[str, Any], train_size: int | None) -> Any:
    """The :class:`core.training.config.TrainConfig` for the controls' ``values``, validated.

    Every run writes its own folder in :func:`core.paths.runs_dir`; ``overrides`` (tests,
    scripts) may change any setting, the controls' values included.

    Raises
    ------
    ValueError, KeyError, TypeError
        A setting is out of range or unknown.
    """
    from core.training.config import TrainConfig

    v = dict(values)
    preset = v.pop("preset")
    settings = {**v, **run_cadence(v["steps"]), "save": True, "run_dir": None, **overrides}
    cfg = TrainConfig.from_preset(preset, **settings)
    cfg.validate(train_size=train_size)
    return cfg
