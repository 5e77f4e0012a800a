"""Evaluating a model on a whole split: loss, accuracy, confusion, and which hidden units fire.

For a ReLU network the first hidden layer's units are also counted as active (output above 0)
or not on every image, in the same compiled pass as the logits: a unit that is active on no
validation image is dead (a too-large learning rate kills many), and the weights panel marks it.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from core.events import EvalMetrics

EVAL_BATCH = 1000


def confusion_matrix(true: np.ndarray, predicted: np.ndarray, num_classes: int) -> np.ndarray:
    """Counts with rows = true class and columns = predicted class."""
    return np.bincount(true * num_classes + predicted, minlength=num_classes * num_classes).reshape(
        num_classes, num_classes
    )


def halves(t: tf.Tensor) -> list[tf.Tensor]:
    """The first and second half of ``t`` along axis 0 (the second one longer when odd)."""
    half = tf.shape(t)[0] // 2
    return [t[:half], t[half:]]


def activity_index(model: keras.Model, display_layer: keras.layers.Layer) -> int | None:
    """Index in ``model.layers`` of the ReLU activation after the first hidden layer, or None.

    None for models whose first weight layer is not a hidden dense layer with ReLU (logistic
    regression, sigmoid nets, CNNs): their units are not counted.
    """
    layers = model.layers
    start = layers.index(display_layer)
    for i in range(start + 1, len(layers)):
        layer = layers[i]
        if isinstance(layer, keras.layers.Activation):
            relu = getattr(layer.activation, "__name__", "") == "relu"
            return i if relu else None
        if isinstance(layer, keras.layers.Dense | keras.layers.Conv2D):
            return None
    return None


class Evaluator:
    """Compiled evaluation passes over a model (each traced once).

    ``hidden`` says the model's first weight layer is a hidden dense layer (an MLP), whose
    units are counted when its activation is ReLU.
    """

    def __init__(self, model: keras.Model, display_layer: keras.layers.Layer, hidden: bool) -> None:
        self.model = model
        self.active_at = activity_index(model, display_layer) if hidden else None
        self._logits = tf.function(
            lambda x: tf.concat([model(h, training=False) for h in halves(x)], 0),
            input_signature=[tf.TensorSpec([None, 28, 28], tf.uint8)],
        )
        self._with_activity = None
        if self.active_at is not None:
            self._with_activity = tf.function(
                self._logits_and_activity,
                input_signature=[tf.TensorSpec([None, 28, 28], tf.uint8)],
            )

    def _logits_and_activity(self, x: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        """Logits, and per unit of the first hidden layer how many images it fired on."""
        outs, counts = [], []
        for h in halves(x):
            for i, layer in enumerate(self.model.layers):
                h = layer(h, training=False)
                if i == self.active_at:
                    counts.append(tf.reduce_sum(tf.cast(h > 0, tf.int32), axis=0))
            outs.append(h)
        return tf.concat(outs, 0), tf.add_n(counts)

    def logits(self, images: np.ndarray, num_classes: int) -> np.ndarray:
        """Logits for uint8 (N, 28, 28) images, evaluated in batches (no dropout)."""
        out = [
            self._logits(images[i : i + EVAL_BATCH]).numpy()
            for i in range(0, len(images), EVAL_BATCH)
        ]
        return np.concatenate(out) if out else np.zeros((0, num_classes), np.float32)

    def evaluate(
        self, x: np.ndarray, y: np.ndarray, num_classes: int, step: int, split: str
    ) -> EvalMetrics:
        """Loss, accuracy, confusion matrix and predictions on images ``x`` with labels ``y``.

        On the validation split of a ReLU network, also each first-layer unit's share of images
        it fired on and how many units fired on none.
        """
        activity, dead = None, -1
        if split == "valid" and self._with_activity is not None and len(x):
            parts, fired = [], None
            for i in range(0, len(x), EVAL_BATCH):
                logits_part, counts = self._with_activity(x[i : i + EVAL_BATCH])
                parts.append(logits_part.numpy())
                fired = counts.numpy() if fired is None else fired + counts.numpy()
            logits = np.concatenate(parts)
            activity = (fired / len(x)).astype(np.float32)
            dead = int((fired == 0).sum())
        else:
            logits = self.logits(x, num_classes)
        shifted = logits - logits.max(axis=1, keepdims=True)
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        loss = float(-log_probs[np.arange(len(y)), y].mean()) if len(y) else float("nan")
        predicted = logits.argmax(axis=1)
        acc = float((predicted == y).mean()) if len(y) else float("nan")
        return EvalMetrics(
            step,
            split,
            loss,
            acc,
            confusion_matrix(y, predicted, num_classes),
            predicted.astype(np.int16),
            activity,
            dead,
        )
