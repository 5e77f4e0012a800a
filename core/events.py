"""Events the trainer yields: small frozen dataclasses of floats and numpy arrays.

The GUI consumes these on its own thread; nothing here holds a TensorFlow object.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class RunStarted:
    """A run began (or resumed at ``start_step``): its starting settings, its data, its folder.

    ``run_dir`` is filled in by the recorder (None for a run that is not recorded).
    """

    total_steps: int
    settings: dict
    class_names: tuple[str, ...]
    dataset_description: str
    run_dir: str | None
    start_step: int = 0


@dataclass(frozen=True)
class StepMetrics:
    """Minibatch loss and accuracy after training step ``step`` (0-based).

    ``loss`` is what the lessons print as "Minibatch loss": cross-entropy plus the L2 penalty.
    ``cross_entropy`` leaves the penalty out, so it compares with the validation loss.
    """

    step: int
    loss: float
    accuracy: float
    learning_rate: float
    steps_per_second: float
    samples_per_second: float
    elapsed: float
    cross_entropy: float = float("nan")


@dataclass(frozen=True)
class EvalMetrics:
    """Evaluation on a whole split (``"valid"`` during training, ``"test"`` at the end)."""

    step: int
    split: str
    loss: float
    accuracy: float
    confusion: np.ndarray  # (classes, classes) int, rows = true class, columns = predicted
    predicted: np.ndarray | None = None  # (N,) the class predicted for each image of the split
    # ReLU nets on the validation split: each first-layer unit's share of images it fired on,
    # and how many units fired on none (dead); None and -1 otherwise
    unit_activity: np.ndarray | None = None
    dead_units: int = -1


@dataclass(frozen=True)
class WeightSnapshot:
    """Display-ready weights: one 2-D mosaic with NaN gutters, symmetric around zero."""

    step: int
    kind: str  # "output" (logistic regression), "hidden" (MLP) or "filters" (CNN)
    mosaic: np.ndarray
    tile_shape: tuple[int, int]
    grid: tuple[int, int]  # (rows, columns) of tiles
    limit: float  # display levels are (-limit, +limit)
    labels: tuple[str, ...] = ()
    layer_size: int = 0  # units or filters in the layer (more than tiles when a sample is shown)
    units: np.ndarray | None = None  # which units of the layer the tiles show, in tile order


@dataclass(frozen=True)
class KnobChanged:
    """A live knob changed; it takes effect at training step ``step``."""

    step: int
    name: str  # "learning_rate", "l2", "dropout"
    old: float
    new: float


@dataclass(frozen=True)
class RunPaused:
    """The run is paused (``paused=True``) or resumed (``paused=False``) at ``step``."""

    step: int
    paused: bool


@dataclass(frozen=True)
class RunFinished:
    """The run ended normally (``stopped=False``) or was stopped early by the user.

    ``run_dir`` is filled in by the recorder (None for a run that is not recorded).
    """

    step: int
    stopped: bool
    test: EvalMetrics | None
    seconds: float
    steps_per_second: float
    run_dir: str | None
    final: dict = field(default_factory=dict)


@dataclass(frozen=True)
class RunFailed:
    """The run ended with an error; ``diverged`` is True for a NaN/inf or exploded loss."""

    step: int
    message: str
    diverged: bool = False
    details: str = ""


Event = (
    RunStarted
    | StepMetrics
    | EvalMetrics
    | WeightSnapshot
    | KnobChanged
    | RunPaused
    | RunFinished
    | RunFailed
)
