"""The trainer: one compiled multi-step function, live knobs, and a generator of events.

Learning rate, L2 lambda and dropout rate are variables the compiled step reads, so a knob
changes the next compiled call (at most ~50 ms away) without retracing. A change asked for from
another thread waits for the end of the call under way, so every change has an exact step, and
a run replayed from its knob timeline changes its knobs at the same steps.

The trainer trains and nothing else: writing the run folder is the recorder's job
(:mod:`core.training.recorder`), from the same events.
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from core.data.dataset import Dataset
from core.events import (
    EvalMetrics,
    Event,
    RunFailed,
    RunFinished,
    RunStarted,
    StepMetrics,
    WeightSnapshot,
)
from core.models.build import build_model, display_layer, dropout_layers, weight_kernels
from core.models.layers import NormalizePixels, SplitDense
from core.models.presets import get_preset
from core.runs.files import KnobChange
from core.runs.history import StepLog
from core.threads import LANES
from core.training.batches import BatchSchedule, ChunkSizer
from core.training.config import LIVE_KNOBS, TrainConfig
from core.training.dense_backprop import DenseBackprop
from core.training.evaluation import Evaluator
from core.training.knobs import LiveKnobs
from core.training.pace import PacedSteps
from core.training.step_loop import CompiledSteps
from core.weights import choose_hidden_units, weight_display

# A mean cross-entropy this large means the logits differ by thousands: the weights have blown
# up. With a too-large learning rate the loss often jumps to ~1e11 and then sinks back to a
# finite plateau of dead ReLUs instead of ever becoming NaN, so a NaN check alone misses it.
# Healthy runs stay below ~20 (ln 10 = 2.3 at the start).
DIVERGED_CROSS_ENTROPY = 1e3


def make_optimizer(name: str, learning_rate: float) -> keras.optimizers.Optimizer:
    """The preset's optimizer with a variable learning rate."""
    if name == "sgd":
        return keras.optimizers.SGD(learning_rate=float(learning_rate))
    if name == "adam":
        return keras.optimizers.Adam(learning_rate=float(learning_rate))
    raise ValueError(f"unknown optimizer {name!r}")


class Trainer(LiveKnobs, PacedSteps, CompiledSteps):
    """Trains one model on one dataset; :meth:`run` yields events. Thread-safe controls.

    Parameters
    ----------
    config:
        The run's starting settings (kept unchanged in :attr:`config`; the knobs' values now
        are :meth:`knob_values`).
    dataset:
        The data.
    knob_plan:
        Knob changes to replay, each set before its ``step`` runs (a run repeated from its
        knob timeline); they come out as :class:`KnobChanged` events like a slider's.
    """

    def __init__(
        self, config: TrainConfig, dataset: Dataset, knob_plan: Sequence[KnobChange] = ()
    ) -> None:
        dataset.check_trainable()
        config.validate(train_size=len(dataset.train_x))
        self.config = replace(config)  # the settings the run starts with; never changed
        self.dataset = dataset
        self.preset = get_preset(config.preset)
        keras.utils.set_random_seed(config.seed)
        self.model = build_model(
            self.preset.model,
            dataset.num_classes,
            config.dropout,
            seed=config.seed,
            dense_parts=config.dense_parts,
        )
        self.optimizer = make_optimizer(self.preset.optimizer, config.learning_rate)
        self.optimizer.build(self.model.trainable_variables)
        self._plain_sgd = (
            isinstance(self.optimizer, keras.optimizers.SGD) and self.optimizer.momentum == 0
        )
        self._kernels = weight_kernels(self.model)
        self._dropouts = dropout_layers(self.model)
        self._display_kind, self._display_layer = display_layer(self.model)
        self._display_units = int(self._display_layer.kernel.shape[-1])
        self._normalize = self.model.layers[0]
        if not isinstance(self._normalize, NormalizePixels):
            raise TypeError(f"the model must start with NormalizePixels, not {self._normalize}")
        self._layers_after_input = self.model.layers[1:]
        # Two halves of each batch, each with its own forward and backward pass, unless the
        # model has halves of its own (SplitDense blocks). See core.threads.
        self._batch_halves = LANES > 1 and not any(
            isinstance(layer, SplitDense) for layer in self.model.layers
        )
        # dense networks: gradients by hand, block by block (None: the tape's)
        self._backprop = DenseBackprop.for_layers(self._layers_after_input)
        self._units = (
            choose_hidden_units(self._display_units, 225, config.seed)
            if self._display_kind == "hidden"
            else None
        )

        self.learning_rate = tf.Variable(config.learning_rate, dtype=tf.float32, trainable=False)
        self.l2 = tf.Variable(config.l2, dtype=tf.float32, trainable=False)
        self.step = tf.Variable(0, dtype=tf.int64, trainable=False)
        self._decay_rate = tf.constant(self.preset.decay_rate, tf.float32)
        self._decay_steps = tf.constant(max(self.preset.decay_steps, 1), tf.int64)
        self._has_decay = self.preset.decay_steps > 0 and self.preset.decay_rate != 1.0

        self._train_x = tf.constant(dataset.train_x)
        self._train_y = tf.constant(dataset.train_y.astype(np.int32))
        self.schedule = BatchSchedule(
            len(dataset.train_x), config.batch_size, config.restrict_batches, config.seed
        )
        self.trace_count = 0
        self._step_loops: dict[bool, Any] = {}  # regularized? -> traced graph (see _step_loop)
        self._evaluator = Evaluator(self.model, self._display_layer, self._display_kind == "hidden")

        self.live_knobs = self.preset.model.live_knobs()
        self._lock = threading.Lock()
        self._pending: dict[str, float] = {}  # knob changes asked for, applied between calls
        self._plan = sorted(knob_plan, key=lambda c: c.step)  # changes to replay at their steps
        self._stop = threading.Event()
        self._running = threading.Event()
        self._running.set()
        self._init_pacing()  # full speed; see set_pace and advance
        self.steps_log = StepLog()
        self.evals: list[dict] = []
        self.last_test: EvalMetrics | None = None
        self.start_step = 0  # > 0 for a run restored from a checkpoint (see restore)
        self._tf_ckpt: Any = None

    def _regularized(self) -> bool:
        """True while L2 lambda or the dropout rate is above 0 (read on the host)."""
        return self._knob_now("l2") > 0.0 or self._knob_now("dropout") > 0.0

    def _train_chunk(self, idx: Any) -> tuple[tf.Tensor, ...]:
        """Train on the batches of rows ``idx`` (steps x batch); per-step metrics."""
        loop = self._step_loop(self._regularized())
        return loop(tf.convert_to_tensor(idx, tf.int32))

    # -- state for checkpoints --------------------------------------------------------------------
    def tf_checkpoint(self) -> Any:
        """The (cached) ``tf.train.Checkpoint`` over model, optimizer, step and knob variables."""
        if self._tf_ckpt is None:
            self._tf_ckpt = tf.train.Checkpoint(
                model=self.model,
                optimizer=self.optimizer,
                step=self.step,
                learning_rate=self.learning_rate,
                l2=self.l2,
            )
        return self._tf_ckpt

    @property
    def steps_done(self) -> int:
        """Training steps done so far."""
        return int(self.step.numpy())

    def state(self) -> dict[str, Any]:
        """The plain (non-TensorFlow) state a checkpoint keeps beside the variables."""
        return {
            "step": np.array(self.steps_done, np.int64),
            "steps_log": self.steps_log.array.copy(),
            **self.schedule.state(),
            "evals": list(self.evals),
            "knobs": self.knob_values(),
        }

    def restore(self, state: dict[str, Any]) -> None:
        """Continue from :meth:`state` (after the variables were read from the checkpoint).

        Raises
        ------
        ValueError
            The state does not fit this trainer (another training set, a damaged log).
        """
        step = int(state["step"])
        if step != self.steps_done:
            raise ValueError(
                f"the checkpoint is at step {self.steps_done} but its state says {step}"
            )
        self.schedule.restore(state)
        self.steps_log.set_rows(state["steps_log"])
        self.evals = [dict(e) for e in state["evals"]]
        knobs = state["knobs"]
        for name in LIVE_KNOBS:
            self._assign(name, float(knobs[name]))
        self._plan = [c for c in self._plan if c.step >= step]
        self.start_step = step

    def logits(self, images: np.ndarray) -> np.ndarray:
        """Logits for uint8 (N, 28, 28) images, evaluated in batches (no dropout)."""
        return self._evaluator.logits(images, self.dataset.num_classes)

    def evaluate(self, split: str) -> EvalMetrics:
        """Loss, accuracy, confusion matrix (and unit activity) on a whole split, no dropout."""
        x, y = self.dataset.split(split)
        return self._evaluator.evaluate(
            x, y, self.dataset.num_classes, int(self.step.numpy()) - 1, split
        )

    def snapshot(self) -> WeightSnapshot:
        """The display-ready weight mosaic of the first weight layer."""
        kernel = keras.ops.convert_to_numpy(self._display_layer.kernel)
        mosaic, tile, grid, limit = weight_display(self._display_kind, kernel, self._units)
        labels = self.dataset.class_names if self._display_kind == "output" else ()
        return WeightSnapshot(
            int(self.step.numpy()),
            self._display_kind,
            mosaic,
            tile,
            grid,
            limit,
            labels,
            self._display_units,
            self._units,
        )

    def predictor(self):
        """A :class:`core.inference.Predictor` over this trainer's live model."""
        from core.inference import Predictor

        return Predictor(self.model, self.dataset.class_names)

    # -- the run ----------------------------------------------------------------------------------
    def run(self) -> Iterator[Event]:
        """Train, yielding events; ends with RunFinished or RunFailed (never raises)."""
        cfg = self.config
        start = time.perf_counter()
        step = self.start_step
        try:
            yield RunStarted(
                cfg.steps,
                cfg.to_dict(),
                self.dataset.class_names,
                self.dataset.provenance.description,
                None,
                step,
            )
            yield self.snapshot()
            window: list[tuple[float, int]] = [(start, step)]
            chunks = ChunkSizer(cfg.steps_per_call, cfg.chunk_seconds)
            while step < cfg.steps and not self._stop.is_set():
                turn = yield from self._next_turn(step)  # the pace, a pause, single steps
                if turn is None:
                    break
                yield from self._apply_knobs(step)
                k = chunks.next(
                    min(
                        cfg.steps - step,
                        _until_next(step, cfg.eval_every),
                        _until_next(step, cfg.snapshot_every),
                        self._until_plan(step),
                        turn.limit,
                    )
                )
                self._begin_call(turn, k)
                l2, dropout = self._knob_now("l2"), self._knob_now("dropout")
                regularized = l2 > 0.0 or dropout > 0.0  # as _regularized(), read once
                train_chunk = self._step_loop(regularized)
                called = time.perf_counter()
                losses, accs, lrs, xents = (
                    t.numpy() for t in train_chunk(tf.constant(self.schedule.next(k)))
                )
                chunks.took(k, time.perf_counter() - called)
                steps = np.arange(step, step + k)
                bad = ~np.isfinite(losses) | ~(xents < DIVERGED_CROSS_ENTROPY)
                if bad.any():
                    first = int(np.argmax(bad))
                    value = losses[first] if not np.isfinite(losses[first]) else xents[first]
                    yield RunFailed(
                        int(steps[first]),
                        f"the loss became {value:.3g} (try a smaller learning rate)",
                        diverged=True,
                    )
                    return
                self.steps_log.extend(steps, losses, accs, lrs, xents, l2, dropout)
                step += k
                now = time.perf_counter()
                window = [*window[-20:], (now, step)]
                rate = (step - window[0][1]) / max(now - window[0][0], 1e-9)
                yield StepMetrics(
                    step - 1,
                    float(losses[-1]),
                    float(accs[-1]),
                    float(lrs[-1]),
                    rate,
                    rate * cfg.batch_size,
                    now - start,
                    float(xents[-1]),
                )
                last = step - 1  # 0-based index of the step just done, as the lessons count
                due = last % cfg.snapshot_every == 0 and not turn.granted
                if due or step == cfg.steps or turn.snapshot:
                    yield self.snapshot()
                if last % cfg.eval_every == 0 or step == cfg.steps:
                    ev = self.evaluate("valid")
                    self.evals.append(
                        {
                            "step": last,
                            "valid_loss": ev.loss,
                            "valid_accuracy": ev.accuracy,
                            "minibatch_loss": float(losses[-1]),
                            "minibatch_accuracy": float(accs[-1]),
                            **({"dead_units": ev.dead_units} if ev.dead_units >= 0 else {}),
                        }
                    )
                    yield ev
                if step < cfg.steps:  # the other loop, traced once the first point is out
                    self._step_loop(not regularized)
            yield from self._apply_knobs(step)
            test = self.evaluate("test")
            self.last_test = test
            yield test
            seconds = time.perf_counter() - start
            yield RunFinished(
                step,
                self._stop.is_set() and step < cfg.steps,
                test,
                seconds,
                (step - self.start_step) / max(seconds, 1e-9),
                None,
                self.final_metrics(test),
            )
        except Exception as exc:  # the window must never die because the worker failed
            yield RunFailed(step, f"{type(exc).__name__}: {exc}", details=traceback.format_exc())

    def final_metrics(self, test: EvalMetrics | None) -> dict:
        """The lesson's final figures as fractions 0..1."""
        last = self.steps_log.array[-1] if self.steps_log.n else [0, np.nan, np.nan, 0, np.nan]
        valid = self.evals[-1]["valid_accuracy"] if self.evals else float("nan")
        return {
            "minibatch_loss": float(last[1]),
            "minibatch_accuracy": float(last[2]),
            "valid_accuracy": float(valid),
            "test_accuracy": float(test.accuracy) if test else float("nan"),
        }


def _until_next(step: int, every: int) -> int:
    """Steps to run, starting at 0-based index ``step``, to end on an index divisible by every."""
    return (every - step % every) % every + 1
