"""A run's model on disk: the final ``model.keras`` and its figures, and loading it back.

Loading imports TensorFlow (lazily); the rest of :mod:`core.runs` does not.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.data.errors import DataError
from core.runs.checkpoint import POINTER_FILE, restore_model_weights
from core.runs.files import METRICS_FILE, MODEL_FILE, SETTINGS_FILE, read_settings
from core.runs.safe_io import refuse_link, temporary_path, write_json

if TYPE_CHECKING:
    import keras

# What a run saved before a setting existed used: runs from before dense_parts have one kernel per
# layer, and their checkpoints only load into such a model.
OLDER_RUN_SETTINGS = {"dense_parts": 1}
MAX_MODEL_BYTES = 2 << 30


def save_final(run_dir: Path, model: Any, metrics: dict) -> None:
    """Save the final ``model.keras`` (through a fresh temporary name) and ``metrics.json``."""
    tmp = temporary_path(run_dir, ".keras")
    try:
        model.save(tmp)
        os.replace(tmp, run_dir / MODEL_FILE)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    write_json(run_dir / METRICS_FILE, metrics)


def load_run(run_dir: str | Path) -> tuple[keras.Model, dict]:
    """Load a run's model and its settings.

    The final ``model.keras`` when there is one; otherwise (an interrupted, failed or diverged
    run) the model rebuilt from the settings with the weights of the newest readable checkpoint.

    Raises
    ------
    FileNotFoundError
        ``run_dir`` is not a run folder.
    DataError
        The run has settings but neither a loadable model nor a loadable checkpoint.
    """
    import keras

    import core.models.layers  # noqa: F401 - registers the custom layers for deserialization

    path = Path(run_dir)
    model_path = path / MODEL_FILE
    if not (path / SETTINGS_FILE).is_file() or not (
        model_path.is_file() or (path / POINTER_FILE).is_file()
    ):
        raise FileNotFoundError(
            f"{path}: not a Glyph Lab run folder (needs {MODEL_FILE} and {SETTINGS_FILE})"
        )
    meta = read_settings(path)
    if model_path.is_file():
        refuse_link(model_path)
        if model_path.stat().st_size > MAX_MODEL_BYTES:
            raise DataError(model_path, "too large to be a Glyph Lab model")
        try:
            return keras.models.load_model(model_path, compile=False, safe_mode=True), meta
        except Exception as exc:  # Keras raises many kinds for a damaged or crafted file
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            if not (path / POINTER_FILE).is_file():
                raise DataError(model_path, f"the model cannot be loaded ({first})") from None
    return rebuild_from_checkpoint(path, meta), meta


def rebuild_from_checkpoint(path: Path, meta: dict) -> keras.Model:
    """The run's model built from its settings, with its newest readable checkpoint's weights."""
    from core.models.build import build_model
    from core.models.presets import get_preset

    cfg = {**OLDER_RUN_SETTINGS, **meta["settings"]}
    try:
        spec = get_preset(str(cfg["preset"])).model
        model = build_model(
            spec,
            len(meta["class_names"]),
            float(cfg.get("dropout", 0.0)),
            seed=int(cfg.get("seed", 0)),
            dense_parts=int(cfg["dense_parts"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise DataError(
            path / SETTINGS_FILE, f"the settings do not describe a model ({exc})"
        ) from None
    restore_model_weights(model, path)
    return model
