"""Run folders: the trained model (Keras format), settings, metrics history; and loading back."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.training.history import write_history_csv

if TYPE_CHECKING:
    import keras

    from core.training.trainer import Trainer

MODEL_FILE = "model.keras"
SETTINGS_FILE = "settings.json"
METRICS_FILE = "metrics.json"
HISTORY_FILE = "history.csv"


def write_json_atomic(path: Path, obj: Any) -> None:
    """Write JSON to a temporary file, then rename it over ``path``."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(obj, indent=2, default=float))
    os.replace(tmp, path)


def save_run(trainer: Trainer, final: dict, seconds: float, run_dir: str | Path) -> Path:
    """Save model, settings, metrics and history of ``trainer`` to ``run_dir``; return it."""
    path = Path(run_dir)
    path.mkdir(parents=True, exist_ok=True)
    tmp_model = path / ("tmp-" + MODEL_FILE)
    trainer.model.save(tmp_model)
    os.replace(tmp_model, path / MODEL_FILE)
    ds = trainer.dataset
    write_json_atomic(path / SETTINGS_FILE, {
        "settings": trainer.config.to_dict(),
        "class_names": list(ds.class_names),
        "dataset": {"name": ds.name, "description": ds.provenance.description,
                    "train": len(ds.train_x), "valid": len(ds.valid_x), "test": len(ds.test_x)},
    })
    steps = int(trainer.steps_log.n)
    write_json_atomic(path / METRICS_FILE, {
        "final": final, "seconds": seconds, "steps": steps,
        "steps_per_second": steps / max(seconds, 1e-9), "evaluations": trainer.evals,
    })
    write_history_csv(path / HISTORY_FILE, trainer.steps_log, trainer.evals)
    return path


def load_run(run_dir: str | Path) -> tuple[keras.Model, dict]:
    """Load a saved run's model and its settings; DataError-style ValueError if it is not a run."""
    import keras

    import core.models.layers  # noqa: F401 - registers the custom layers for deserialization

    path = Path(run_dir)
    model_path = path / MODEL_FILE
    settings_path = path / SETTINGS_FILE
    if not model_path.is_file() or not settings_path.is_file():
        raise FileNotFoundError(f"{path}: not a Glyph Lab run folder (needs {MODEL_FILE} and "
                                f"{SETTINGS_FILE})")
    meta = json.loads(settings_path.read_text())
    model = keras.models.load_model(model_path, compile=False)
    return model, meta
