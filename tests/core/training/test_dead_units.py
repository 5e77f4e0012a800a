"""Dead ReLU units: counted at every validation pass, kept in the history."""

from __future__ import annotations

import keras
import numpy as np

from core.data.dataset import Dataset, Provenance
from core.events import EvalMetrics
from core.runs.history import read_history_csv
from core.training.config import TrainConfig
from core.training.recorder import recorded_run
from core.training.trainer import Trainer


def config(**kw: object) -> TrainConfig:
    base = {"steps": 30, "batch_size": 32, "eval_every": 10, "snapshot_every": 10}
    base.update(kw)
    return TrainConfig.from_preset(str(base.pop("preset", "nn1024")), **base)


def fired(trainer: Trainer, images: np.ndarray) -> np.ndarray:
    """Per unit of the first hidden layer: on how many images its ReLU output is above 0."""
    h = images
    for layer in trainer.model.layers:
        h = layer(h, training=False)
        if isinstance(layer, keras.layers.Activation):
            break
    return (np.asarray(h) > 0).sum(axis=0)


def test_the_dead_count_is_the_units_that_fire_on_no_validation_image(tiny_letters):
    trainer = Trainer(config(save=False), tiny_letters)
    evals = [e for e in trainer.run() if isinstance(e, EvalMetrics) and e.split == "valid"]
    counts = fired(trainer, tiny_letters.valid_x)
    assert evals[-1].dead_units == int((counts == 0).sum())
    np.testing.assert_allclose(evals[-1].unit_activity, counts / len(tiny_letters.valid_x))
    assert trainer.evals[-1]["dead_units"] == evals[-1].dead_units


def bars(n: int = 400, seed: int = 0) -> Dataset:
    """Learnable bars (class k at row 2k+4) with noise: at a high rate ReLU units die fast."""
    rng = np.random.default_rng(seed)

    def make(m: int) -> tuple[np.ndarray, np.ndarray]:
        y = rng.integers(0, 10, m)
        x = rng.integers(0, 60, (m, 28, 28)).astype(np.uint8)
        for i, k in enumerate(y):
            x[i, 2 * k + 4 : 2 * k + 6, 3:25] = 255
        return x, y

    (tx, ty), (vx, vy), (sx, sy) = make(n), make(100), make(100)
    return Dataset("bars", tuple("ABCDEFGHIJ"), tx, ty, vx, vy, sx, sy, Provenance("bars", "bars"))


def test_a_high_learning_rate_kills_units_and_the_history_keeps_the_count(tmp_path):
    trainer = Trainer(config(learning_rate=2.0, run_dir=str(tmp_path / "r")), bars())
    events = list(recorded_run(trainer))
    dead = [e.dead_units for e in events if isinstance(e, EvalMetrics) and e.split == "valid"]
    assert dead and dead[-1] > 0
    _rows, evals = read_history_csv(tmp_path / "r" / "history.csv")
    assert [e["dead_units"] for e in evals] == dead


def test_models_without_a_relu_hidden_layer_count_nothing(tiny_letters):
    for preset in ("logreg-sgd", "mnist-sigmoid5", "cnn-pool"):
        trainer = Trainer(config(preset=preset, steps=5, batch_size=16, save=False), tiny_letters)
        ev = trainer.evaluate("valid")
        assert (ev.dead_units, ev.unit_activity) == (-1, None)
