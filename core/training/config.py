"""Training settings: a preset plus the user's overrides, validated at the boundary."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from core.models.presets import get_preset

LIVE_KNOBS = ("learning_rate", "l2", "dropout")


@dataclass
class TrainConfig:
    """Everything a run needs besides the data. Build one with :meth:`from_preset`."""

    preset: str
    dataset: str
    steps: int
    batch_size: int
    learning_rate: float
    l2: float
    dropout: float
    restrict_batches: int = 0
    seed: int = 0
    eval_every: int = 100
    snapshot_every: int = 50
    log_every: int = 500
    steps_per_call: int = 50  # at most this many steps per compiled call ...
    chunk_seconds: float = 0.05  # ... and about this long (0: always steps_per_call)
    save: bool = True
    run_dir: str | None = None
    checkpoint_seconds: float = 30.0  # checkpoint at an evaluation once this long has passed
    # hidden layers of >= 512 units as this many independent blocks (core.models.layers.SplitDense)
    dense_parts: int = 2

    @classmethod
    def from_preset(cls, name: str, **overrides: Any) -> TrainConfig:
        """The preset's settings with ``overrides`` (``None`` values are ignored)."""
        p = get_preset(name)
        cfg = cls(
            preset=p.name,
            dataset=p.dataset,
            steps=p.steps,
            batch_size=p.batch_size,
            learning_rate=p.learning_rate,
            l2=p.l2,
            dropout=p.dropout,
            restrict_batches=p.restrict_batches,
        )
        known = {f.name for f in fields(cls)}
        bad = set(overrides) - known
        if bad:
            raise TypeError(f"unknown settings: {', '.join(sorted(bad))}")
        return replace(cfg, **{k: v for k, v in overrides.items() if v is not None})

    def validate(self, train_size: int | None = None) -> None:
        """Raise ValueError with a clear message if a setting is out of range."""
        get_preset(self.preset)
        if self.steps < 1:
            raise ValueError(f"steps must be at least 1 (got {self.steps})")
        if self.batch_size < 1:
            raise ValueError(f"batch size must be at least 1 (got {self.batch_size})")
        if not (math.isfinite(self.learning_rate) and self.learning_rate > 0):
            raise ValueError(f"learning rate must be a positive number (got {self.learning_rate})")
        if not (math.isfinite(self.l2) and self.l2 >= 0):
            raise ValueError(f"L2 lambda must be 0 or more (got {self.l2})")
        if not (0 <= self.dropout < 1):
            raise ValueError(f"dropout rate must be in [0, 1) (got {self.dropout})")
        if self.restrict_batches < 0:
            raise ValueError(
                f"restrict-batches must be 0 (off) or more (got {self.restrict_batches})"
            )
        for name in ("eval_every", "snapshot_every", "log_every", "steps_per_call", "dense_parts"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name.replace('_', ' ')} must be at least 1")
        if not (math.isfinite(self.chunk_seconds) and self.chunk_seconds >= 0):
            raise ValueError(f"chunk seconds must be 0 or more (got {self.chunk_seconds})")
        if not (self.checkpoint_seconds >= 0):
            raise ValueError(
                f"checkpoint seconds must be 0 or more (got {self.checkpoint_seconds})"
            )
        if train_size is not None:
            if self.batch_size > train_size:
                raise ValueError(
                    f"batch size {self.batch_size} is larger than the training set "
                    f"({train_size} images)"
                )
            if self.restrict_batches * self.batch_size > train_size:
                need = self.restrict_batches * self.batch_size
                raise ValueError(
                    f"restricting to {self.restrict_batches} batches of "
                    f"{self.batch_size} needs {need} images but the training set "
                    f"has {train_size}"
                )

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form."""
        return asdict(self)
