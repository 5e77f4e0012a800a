"""The compiled training step: forward and backward passes, L2, the update, the step loops.

:class:`CompiledSteps` is the part of :class:`core.training.trainer.Trainer` that runs inside
TensorFlow graphs. The knobs are variables it reads, so moving a slider never retraces.
"""

from __future__ import annotations

from typing import Any

import keras
import tensorflow as tf

from core.models.layers import KnobDropout
from core.training.dense_backprop import add_all


class CompiledSteps:
    """Mixin of the trainer's compiled maths.

    :class:`~core.training.trainer.Trainer` sets the model, optimizer, knob variables and
    training tensors it reads.
    """

    trace_count: int

    def _regularized(self) -> bool:
        """True while L2 lambda or the dropout rate is above 0 (read on the host)."""
        raise NotImplementedError

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

    def _step_loop(self, regularized: bool) -> Any:
        """The traced step loop for the current knobs, traced on first use (see :meth:`run`).

        Two loops: while L2 lambda and every dropout rate are 0, one without them (no per-step
        branches); otherwise the full one, where each is skipped by a
        per-step ``tf.cond`` while its knob is 0, so a slider moved mid-call acts at the next
        step. A knob raised from 0 during a call of the plain loop acts at the next call
        (``steps_per_call`` steps at most). Each loop is traced once, on its own
        (a run traces the one it starts with before its first step and the other one after
        its first point, so the first point does not wait for both). The concrete function is
        called directly: that skips ``tf.function``'s argument binding, a large share of a
        call's fixed cost.
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
        xs, ys = (halves(x), halves(y)) if self._batch_halves else ([x], [y])
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


def halves(t: tf.Tensor) -> list[tf.Tensor]:
    """The first and second half of ``t`` along axis 0 (the second one longer when odd)."""
    half = tf.shape(t)[0] // 2
    return [t[:half], t[half:]]
