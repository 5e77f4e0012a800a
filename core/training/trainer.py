"""The trainer: one compiled multi-step function, live knobs, and a generator of events.

Learning rate, L2 lambda and dropout rate are variables the compiled step reads, so changing them
from another thread takes effect at the next step without retracing (L2 or dropout raised from 0:
at the next compiled call, see :meth:`Trainer._step_loop`).
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Iterator
from dataclasses import fields
from datetime import datetime
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from core.data.dataset import Dataset
from core.data.errors import DataError
from core.models.build import build_model, display_layer, dropout_layers, weight_kernels
from core.models.layers import KnobDropout, NormalizePixels, SplitDense
from core.models.presets import get_preset
from core.paths import runs_dir
from core.threads import LANES
from core.training.batches import BatchSchedule, ChunkSizer
from core.training.config import LIVE_KNOBS, OLDER_RUN_SETTINGS, TrainConfig
from core.training.dense_backprop import DenseBackprop, add_all
from core.training.events import (
    EvalMetrics,
    Event,
    KnobChanged,
    RunFailed,
    RunFinished,
    RunPaused,
    RunStarted,
    StepMetrics,
    WeightSnapshot,
)
from core.training.history import StepLog
from core.weights import choose_hidden_units, weight_display

EVAL_BATCH = 1000
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


def confusion_matrix(true: np.ndarray, predicted: np.ndarray, num_classes: int) -> np.ndarray:
    """Counts with rows = true class and columns = predicted class."""
    return np.bincount(true * num_classes + predicted, minlength=num_classes * num_classes).reshape(
        num_classes, num_classes
    )


class Trainer:
    """Trains one model on one dataset; :meth:`run` yields events. Thread-safe controls."""

    def __init__(self, config: TrainConfig, dataset: Dataset) -> None:
        config.validate(train_size=len(dataset.train_x))
        self.config = config
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
        self._logits = tf.function(
            lambda x: tf.concat([self.model(half, training=False) for half in _halves(x)], 0),
            input_signature=[tf.TensorSpec([None, 28, 28], tf.uint8)],
        )

        self._lock = threading.Lock()
        self._knob_events: list[KnobChanged] = []
        self._stop = threading.Event()
        self._running = threading.Event()
        self._running.set()
        self.steps_log = StepLog()
        self.evals: list[dict] = []
        self.run_dir: Path | None = None
        self.last_test: EvalMetrics | None = None
        self.start_step = 0  # > 0 for a run resumed from a checkpoint (see from_run)
        self.timeline: list[WeightSnapshot] = []  # float16 mosaics saved at checkpoints
        self._tf_ckpt: Any = None
        self._started_at: str | None = None

    @classmethod
    def from_run(cls, run_dir: str | Path, dataset: Dataset, steps: int | None = None) -> Trainer:
        """A trainer that resumes the run in ``run_dir`` from its latest checkpoint.

        Model, optimizer, step, knobs, batch schedule, step log, evaluations and the weight
        timeline are restored; :meth:`run` then continues from :attr:`start_step` to the run's
        total (or ``steps``) and keeps writing into ``run_dir``.

        Parameters
        ----------
        run_dir:
            The run folder (see :func:`core.training.runs.find_run`).
        dataset:
            The same dataset the run was trained on (same spec and seed).
        steps:
            A new total number of steps (default: the run's own).

        Returns
        -------
        Trainer
            Ready to :meth:`run`.

        Raises
        ------
        DataError
            Not a run folder, no checkpoint, or a dataset that does not match the run.
        ValueError
            ``steps`` is not more than the steps already done.
        """
        from core.training import checkpoint, run_store

        run_dir = Path(run_dir)
        meta = run_store.read_settings(run_dir)
        known = {f.name for f in fields(TrainConfig)}
        settings = {**OLDER_RUN_SETTINGS, **meta["settings"]}
        try:
            config = TrainConfig(**{k: v for k, v in settings.items() if k in known})
        except TypeError as exc:
            raise DataError(
                run_dir / run_store.SETTINGS_FILE, f"incomplete settings ({exc})"
            ) from None
        config.save = True
        config.run_dir = str(run_dir)
        if tuple(meta.get("class_names", ())) != tuple(dataset.class_names):
            raise DataError(
                run_dir,
                f"the run was trained on classes {meta.get('class_names')} "
                f"but the dataset has {list(dataset.class_names)}",
            )
        ref = checkpoint.latest_checkpoint(run_dir)
        if ref is None:
            raise DataError(run_dir, "the run has no checkpoint to resume from")
        if steps is not None:
            config.steps = int(steps)
        if config.steps <= ref.step:
            raise ValueError(
                f"the run has already done {ref.step} of {config.steps} steps; "
                f"give a larger total number of steps to continue it"
            )
        trainer = cls(config, dataset)
        checkpoint.restore_trainer(trainer, run_dir)
        trainer.start_step = ref.step
        trainer.run_dir = run_dir
        trainer.timeline = [s for s in run_store.read_timeline(run_dir) if s.step <= ref.step]
        trainer._started_at = run_store.read_status(run_dir).get("started")
        return trainer

    def _tf_checkpoint(self) -> Any:
        """The (cached) ``tf.train.Checkpoint`` over model, optimizer, step and knobs."""
        if self._tf_ckpt is None:
            from core.training.checkpoint import tf_checkpoint

            self._tf_ckpt = tf_checkpoint(self)
        return self._tf_ckpt

    def _restore_knobs(self, knobs: dict) -> None:
        """Set the live knobs to saved values (no KnobChanged events)."""
        with self._lock:
            self.learning_rate.assign(float(knobs["learning_rate"]))
            self.l2.assign(float(knobs["l2"]))
            for layer in self._dropouts:
                layer.rate.assign(float(knobs["dropout"]))
            for name in LIVE_KNOBS:
                setattr(self.config, name, float(knobs[name]))

    # -- controls (any thread) ------------------------------------------------------------------
    def knob(self, name: str) -> float:
        """Current value of live knob ``name``."""
        if name == "learning_rate":
            return float(self.learning_rate.numpy())
        if name == "l2":
            return float(self.l2.numpy())
        if name == "dropout":
            return float(self._dropouts[0].rate.numpy()) if self._dropouts else 0.0
        raise KeyError(f"unknown knob {name!r}; live knobs are {LIVE_KNOBS}")

    def set_knob(self, name: str, value: float) -> None:
        """Change a live knob; it takes effect at the next training step (no retracing)."""
        value = float(value)
        probe = TrainConfig(**{**self.config.to_dict(), name: value})
        probe.validate()
        with self._lock:
            old = self.knob(name)
            if old == value:
                return
            if name == "learning_rate":
                self.learning_rate.assign(value)
            elif name == "l2":
                self.l2.assign(value)
            else:
                for layer in self._dropouts:
                    layer.rate.assign(value)
            setattr(self.config, name, value)
            self._knob_events.append(KnobChanged(int(self.step.numpy()), name, old, value))

    def pause(self) -> None:
        """Pause after the current chunk of steps."""
        self._running.clear()

    def resume(self) -> None:
        """Resume a paused run."""
        self._running.set()

    def stop(self) -> None:
        """Stop the run after the current chunk of steps (also wakes a paused run)."""
        self._stop.set()
        self._running.set()

    @property
    def paused(self) -> bool:
        """True while paused."""
        return not self._running.is_set()

    # -- compiled maths ---------------------------------------------------------------------------
    def _effective_lr(self) -> tf.Tensor:
        if not self._has_decay:
            return self.learning_rate.value()
        exponent = tf.cast(self.step // self._decay_steps, tf.float32)
        return self.learning_rate * tf.pow(self._decay_rate, exponent)

    def _forward(
        self, parts: list[tf.Tensor], training: bool, dropout: bool = True
    ) -> list[tf.Tensor]:
        """Logits of each part of a batch of normalized pixels: the layers after the input step.

        Each layer runs on each part on its own, so the parts are independent chains of ops,
        except batch norm in training, which normalizes the parts together with the statistics
        of the whole batch (and updates its moving averages once), as without parts.
        ``dropout=False`` leaves the dropout layers out (for steps that know every rate is 0).
        """
        for layer in self._layers_after_input:
            if not dropout and isinstance(layer, KnobDropout):
                continue
            if training and len(parts) > 1 and isinstance(layer, keras.layers.BatchNormalization):
                sizes = [tf.shape(p)[0] for p in parts]
                parts = tf.split(layer(tf.concat(parts, 0), training=True), sizes)
            else:
                parts = [layer(p, training=training) for p in parts]
        return parts

    def _batch(self, rows: tf.Tensor) -> tf.Tensor:
        """The normalized float images of training rows ``rows`` (the model's first layer)."""
        return self._normalize(tf.gather(self._train_x, rows))

    def _penalty_and_grads(self, grads: list, variables: list) -> tuple[tf.Tensor, list]:
        """L2 term of the loss and the gradients with it; nothing computed while lambda is 0.

        The penalty ``l2 * sum(w^2) / 2`` and its gradient ``l2 * w`` each pass over every
        weight (3.2 MB for nn1024's first layer); in the full step loop (dropout on, or a
        lambda raised mid-call) a ``tf.cond`` on the live lambda skips them while it is 0.
        """
        if not self._kernels:
            return tf.constant(0.0), grads
        l2 = self.l2.value()
        kernels = {id(w) for w in self._kernels}

        def with_l2() -> tuple[tf.Tensor, list]:
            penalty = l2 * tf.add_n([tf.nn.l2_loss(w) for w in self._kernels])
            return penalty, [
                g + l2 * v if id(v) in kernels else g for g, v in zip(grads, variables, strict=True)
            ]

        return tf.cond(l2 > 0.0, with_l2, lambda: (tf.constant(0.0), list(grads)))

    def _apply(self, grads: list, variables: list, lr: tf.Tensor) -> None:
        """One optimizer step at learning rate ``lr``.

        SGD without momentum uses the fused ``var -= lr * grad`` kernel (one pass over the
        weights instead of a multiply and a subtract); other optimizers go through Keras.
        """
        self.optimizer.learning_rate.assign(lr)
        if not self._plain_sgd:
            self.optimizer.apply(grads, variables)
            return
        for g, v in zip(grads, variables, strict=True):
            tf.raw_ops.ResourceApplyGradientDescent(var=v.value.handle, alpha=lr, delta=g)
        self.optimizer.iterations.assign_add(1)

    def _regularized(self) -> bool:
        """True while L2 lambda or the dropout rate is above 0 (read on the host)."""
        return self.knob("l2") > 0.0 or self.knob("dropout") > 0.0

    def _step_loop(self, regularized: bool) -> Any:
        """The traced step loop for the current knobs, traced on first use (see :meth:`run`).

        Two loops: while L2 lambda and every dropout rate are 0, one without them (no per-step
        branches: ~4% faster for nn1024); otherwise the full one, where each is skipped by a
        per-step ``tf.cond`` while its knob is 0, so a slider moved mid-call acts at the next
        step. A knob raised from 0 during a call of the plain loop acts at the next call
        (``steps_per_call`` steps, ~50 ms, at most). Each loop is traced once, on its own
        (a run traces the one it starts with before its first step and the other one after
        its first point, so the first point does not wait for both). The concrete function is
        called directly: that skips ``tf.function``'s argument binding (~0.3 ms of a ~1 ms
        fixed cost per call on a 2-core machine).
        """
        loop = self._step_loops.get(regularized)
        if loop is None:

            def steps(idx: tf.Tensor) -> tuple[tf.Tensor, ...]:
                self.trace_count += 1  # Python side effect: runs only when tracing
                return self._train_steps(idx, regularized)

            loop = tf.function(steps).get_concrete_function(tf.TensorSpec([None, None], tf.int32))
            self._step_loops[regularized] = loop
        return loop

    def _train_chunk(self, idx: Any) -> tuple[tf.Tensor, ...]:
        """Train on the batches of rows ``idx`` (steps x batch); per-step metrics.

        The step loop for the knobs as they are now (see :meth:`_step_loop`).
        """
        loop = self._step_loop(self._regularized())
        return loop(tf.convert_to_tensor(idx, tf.int32))

    def _train_steps(self, idx: tf.Tensor, regularized: bool) -> tuple[tf.Tensor, ...]:
        """The step loop of :meth:`_step_loop`, with or without L2 and dropout."""
        k = tf.shape(idx)[0]
        losses = tf.TensorArray(tf.float32, size=k)
        accs = tf.TensorArray(tf.float32, size=k)
        lrs = tf.TensorArray(tf.float32, size=k)
        xents = tf.TensorArray(tf.float32, size=k)
        variables = self.model.trainable_variables
        x_next = self._batch(idx[0])
        for i in tf.range(k):
            x = x_next
            y = tf.gather(self._train_y, idx[i])
            lr = self._effective_lr()
            xent, correct, grads, logits = self._gradients(x, y, variables, regularized)
            # The next batch is gathered and normalized while this one's backward pass runs
            # (after the forward pass, so it does not steal a core from the big products).
            with tf.control_dependencies(logits):
                x_next = self._batch(idx[tf.minimum(i + 1, k - 1)])
            if regularized:
                penalty, grads = self._penalty_and_grads(grads, variables)
                loss = xent + penalty
            else:
                loss = xent
            self._apply(grads, variables, lr)
            acc = correct / tf.cast(tf.size(y), tf.float32)
            losses = losses.write(i, loss)
            accs = accs.write(i, acc)
            lrs = lrs.write(i, lr)
            xents = xents.write(i, xent)
            self.step.assign_add(1)
        return losses.stack(), accs.stack(), lrs.stack(), xents.stack()

    def _gradients(
        self, x: tf.Tensor, y: tf.Tensor, variables: list, dropout: bool
    ) -> tuple[tf.Tensor, tf.Tensor, list, list[tf.Tensor]]:
        """Mean cross-entropy, number right and gradients of one batch, and its logits (parts).

        With :attr:`_batch_halves` the two halves of the batch go through the model on their
        own (see :meth:`_forward`): two chains of ops that do not depend on each other, one per
        core. Dense networks get their gradients by hand (:mod:`core.training.dense_backprop`),
        others from the tape.
        """
        xs, ys = (_halves(x), _halves(y)) if self._batch_halves else ([x], [y])
        if self._backprop is not None:
            batch = tf.size(y)
            parts = [
                self._backprop.gradients(xh, yh, batch, dropout)
                for xh, yh in zip(xs, ys, strict=True)
            ]
            xent = add_all([p[0] for p in parts]) / tf.cast(batch, tf.float32)
            logits = [p[1] for p in parts]
            grads = [add_all([p[2][id(v)] for p in parts]) for v in variables]
            return xent, self._right(logits, ys), grads, logits
        with tf.GradientTape() as tape:
            logits = self._forward(xs, training=True, dropout=dropout)
            xent = tf.add_n(
                [
                    tf.reduce_sum(
                        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=yh, logits=lh)
                    )
                    for yh, lh in zip(ys, logits, strict=True)
                ]
            ) / tf.cast(tf.size(y), tf.float32)
        grads = tape.gradient(xent, variables)
        return xent, self._right(logits, ys), grads, logits

    @staticmethod
    def _right(logits: list[tf.Tensor], labels: list[tf.Tensor]) -> tf.Tensor:
        """How many of the parts' examples the logits classify right."""
        return tf.add_n(
            [
                tf.reduce_sum(
                    tf.cast(tf.equal(tf.argmax(lh, 1, output_type=tf.int32), yh), tf.float32)
                )
                for yh, lh in zip(labels, logits, strict=True)
            ]
        )

    def logits(self, images: np.ndarray) -> np.ndarray:
        """Logits for uint8 (N, 28, 28) images, evaluated in batches (no dropout)."""
        out = [
            self._logits(images[i : i + EVAL_BATCH]).numpy()
            for i in range(0, len(images), EVAL_BATCH)
        ]
        return np.concatenate(out) if out else np.zeros((0, self.dataset.num_classes), np.float32)

    def evaluate(self, split: str) -> EvalMetrics:
        """Loss, accuracy and confusion matrix on a whole split (never with dropout)."""
        x, y = self.dataset.split(split)
        logits = self.logits(x)
        shifted = logits - logits.max(axis=1, keepdims=True)
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        loss = float(-log_probs[np.arange(len(y)), y].mean()) if len(y) else float("nan")
        predicted = logits.argmax(axis=1)
        acc = float((predicted == y).mean()) if len(y) else float("nan")
        return EvalMetrics(
            int(self.step.numpy()) - 1,
            split,
            loss,
            acc,
            confusion_matrix(y, predicted, self.dataset.num_classes),
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
        )

    def predictor(self):
        """A :class:`core.inference.Predictor` over this trainer's live model."""
        from core.inference import Predictor

        return Predictor(self.model, self.dataset.class_names)

    # -- the run ----------------------------------------------------------------------------------
    def run(self) -> Iterator[Event]:
        """Train, yielding events; ends with RunFinished or RunFailed (never raises).

        With ``config.save`` the run writes to its folder from the start: settings, status,
        history, a checkpoint at the start, at an evaluation once ``checkpoint_seconds`` have
        passed since the last one, and at the end, plus the final model (see
        :mod:`core.training.run_store`). Closing the generator early saves the run as stopped.
        """
        cfg = self.config
        start = time.perf_counter()
        step = self.start_step
        run_dir: Path | None = None
        ended = False
        try:
            if cfg.save:
                run_dir = self._open_run_dir()
            yield RunStarted(
                cfg.steps,
                cfg.to_dict(),
                self.dataset.class_names,
                self.dataset.provenance.description,
                str(run_dir) if run_dir else None,
            )
            yield self.snapshot()
            last_checkpoint = time.monotonic()
            window: list[tuple[float, int]] = [(start, step)]
            chunks = ChunkSizer(cfg.steps_per_call, cfg.chunk_seconds)
            while step < cfg.steps and not self._stop.is_set():
                if not self._running.is_set():
                    yield RunPaused(step, True)
                    while not self._running.wait(0.05):
                        pass
                    if self._stop.is_set():
                        break
                    yield RunPaused(step, False)
                yield from self._drain_knobs()
                k = chunks.next(
                    min(
                        cfg.steps - step,
                        _until_next(step, cfg.eval_every),
                        _until_next(step, cfg.snapshot_every),
                    )
                )
                regularized = self._regularized()
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
                    at = int(steps[first])
                    value = losses[first] if not np.isfinite(losses[first]) else xents[first]
                    message = (
                        f"diverged at step {at}: the loss became {value:.3g} "
                        f"(try a smaller learning rate)"
                    )
                    if run_dir is not None:
                        self._mark(run_dir, "diverged", at, message)
                    ended = True
                    yield RunFailed(at, message, diverged=True)
                    return
                self.steps_log.extend(steps, losses, accs, lrs, xents)
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
                if last % cfg.snapshot_every == 0 or step == cfg.steps:
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
                        }
                    )
                    yield EvalMetrics(last, "valid", ev.loss, ev.accuracy, ev.confusion)
                    if (
                        run_dir is not None
                        and step < cfg.steps
                        and time.monotonic() - last_checkpoint >= cfg.checkpoint_seconds
                    ):
                        self._checkpoint(run_dir, "running")
                        last_checkpoint = time.monotonic()
                if step < cfg.steps:  # the other loop, traced once the first point is out
                    self._step_loop(not regularized)
            yield from self._drain_knobs()
            test = self.evaluate("test")
            self.last_test = test
            yield test
            seconds = time.perf_counter() - start
            final = self.final_metrics(test)
            stopped = self._stop.is_set() and step < cfg.steps
            if run_dir is not None:
                self._save_end(run_dir, "stopped" if stopped else "finished", final, seconds)
            ended = True
            yield RunFinished(
                step,
                stopped,
                test,
                seconds,
                (step - self.start_step) / max(seconds, 1e-9),
                str(self.run_dir) if self.run_dir else None,
                final,
            )
        except GeneratorExit:  # the consumer closed us at a yield: still save what there is
            if run_dir is not None and not ended:
                try:
                    self._save_end(
                        run_dir,
                        "stopped",
                        self.final_metrics(self.last_test),
                        time.perf_counter() - start,
                    )
                except Exception:  # nothing may escape a closing generator
                    self._mark(run_dir, "stopped", int(self.step.numpy()), "")
            raise
        except Exception as exc:  # the window must never die because the worker failed
            message = f"{type(exc).__name__}: {exc}"
            if run_dir is not None and not ended:
                self._mark(run_dir, "failed", step, message)
            yield RunFailed(step, message, details=traceback.format_exc())

    # -- the run folder ---------------------------------------------------------------------------
    def _open_run_dir(self) -> Path:
        """Create the run folder; write settings, status ``running`` and a first checkpoint."""
        from core.training import run_store

        if self.run_dir is None:
            self.run_dir = Path(self.config.run_dir or _new_run_dir(self.config))
        run_dir = self.run_dir
        run_dir.mkdir(parents=True, exist_ok=True)
        self._started_at = self._started_at or datetime.now().isoformat(timespec="seconds")
        run_store.write_settings(self, run_dir)
        if self.start_step == 0:
            self._checkpoint(run_dir, "running")
        else:
            run_store.write_status(
                run_dir, "running", self, self.start_step, started=self._started_at
            )
        return run_dir

    def _checkpoint(self, run_dir: Path, state: str) -> None:
        """Checkpoint, then history, weight timeline and status (all atomic)."""
        from core.training import run_store
        from core.training.checkpoint import write_checkpoint
        from core.training.history import write_history_csv

        ref = write_checkpoint(self, run_dir)
        run_store.add_to_timeline(self.timeline, self.snapshot())
        run_store.write_timeline(run_dir, self.timeline)
        write_history_csv(run_dir / run_store.HISTORY_FILE, self.steps_log, self.evals)
        run_store.write_status(run_dir, state, self, ref.step, started=self._started_at)

    def _save_end(self, run_dir: Path, state: str, final: dict, seconds: float) -> None:
        """A last checkpoint (so the run can be continued), the final model, then the status."""
        from core.training import run_store

        self._checkpoint(run_dir, "running")
        run_store.save_run(self, final, seconds, run_dir)
        run_store.write_status(
            run_dir, state, self, int(self.step.numpy()), started=self._started_at
        )

    def _mark(self, run_dir: Path, state: str, steps_done: int, message: str) -> None:
        """Record a failed/diverged/stopped state; a failure to write it is ignored."""
        from core.training import run_store
        from core.training.history import write_history_csv

        try:
            write_history_csv(run_dir / run_store.HISTORY_FILE, self.steps_log, self.evals)
            run_store.write_status(
                run_dir, state, self, steps_done, message, started=self._started_at
            )
        except OSError:
            pass

    def _drain_knobs(self) -> Iterator[KnobChanged]:
        with self._lock:
            events, self._knob_events = self._knob_events, []
        yield from events

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


def _halves(t: tf.Tensor) -> list[tf.Tensor]:
    """The first and second half of ``t`` along axis 0 (the second one longer when odd)."""
    half = tf.shape(t)[0] // 2
    return [t[:half], t[half:]]


def _until_next(step: int, every: int) -> int:
    """Steps to run, starting at 0-based index ``step``, to end on an index divisible by every."""
    return (every - step % every) % every + 1


def _new_run_dir(cfg: TrainConfig) -> str:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    return str(runs_dir() / f"{stamp}-{cfg.preset}")
