"""Every preset builds and trains a few steps on a small real dataset."""

from __future__ import annotations

import numpy as np
import pytest

from core.events import RunFinished, StepMetrics
from core.models.presets import PRESETS
from core.training.config import TrainConfig
from core.training.trainer import Trainer


@pytest.mark.parametrize("name", list(PRESETS))
def test_preset_trains_a_few_steps(name, tiny_letters, tiny_digits):
    preset = PRESETS[name]
    data = tiny_digits if preset.dataset == "mnist" else tiny_letters
    restrict = min(preset.restrict_batches, 2)
    cfg = TrainConfig.from_preset(
        name,
        steps=6,
        batch_size=min(preset.batch_size, 64),
        restrict_batches=restrict,
        eval_every=3,
        snapshot_every=3,
        save=False,
    )
    trainer = Trainer(cfg, data)
    events = list(trainer.run())
    assert isinstance(events[-1], RunFinished), events[-1]
    losses = [e.loss for e in events if isinstance(e, StepMetrics)]
    assert losses and all(np.isfinite(losses))
    assert trainer.trace_count == 2  # each step loop once


def test_lesson_initializer_is_available(tiny_letters):
    from dataclasses import replace

    from core.models.build import build_model

    spec = replace(PRESETS["nn1024"].model, init="lesson")
    model = build_model(spec)
    kernel = model.get_layer("hidden_0").kernel.numpy()
    assert 0.8 < kernel.std() < 1.0  # truncated normal, stddev 1: the lesson's huge start losses
