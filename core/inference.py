"""Drawn image -> the model's input -> probabilities, for the drawing pad and `predict`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import tensorflow as tf

from core.data.errors import DataError
from core.gc_pause import paused_gc
from core.image_prep import prepare_image

if TYPE_CHECKING:
    import keras


@dataclass(frozen=True)
class Prediction:
    """What the model thinks of one image."""

    probabilities: np.ndarray  # (classes,) float32, sums to 1
    seen: np.ndarray  # (28, 28) uint8, 255 = ink: what the model saw
    predicted: int
    class_names: tuple[str, ...]

    @property
    def label(self) -> str:
        """Name of the predicted class."""
        return self.class_names[self.predicted]


def style_for(class_names: tuple[str, ...]) -> str:
    """``"digits"`` (MNIST recipe) when the classes are 0..9, else ``"letters"`` (notMNIST)."""
    return "digits" if all(c.isdigit() for c in class_names) else "letters"


class Predictor:
    """Wraps a model with one compiled single-image function (no retracing, no Keras predict).

    Built traced, so build it where that may take time (the GUI does, on a worker thread): the
    first drawing then answers as fast as the rest.
    """

    def __init__(self, model: keras.Model, class_names: tuple[str, ...]) -> None:
        self.model = model
        self.class_names = tuple(class_names)
        self.style = style_for(self.class_names)
        self._probs = tf.function(
            lambda x: tf.nn.softmax(model(x, training=False)),
            input_signature=[tf.TensorSpec([None, 28, 28], tf.uint8)],
        )
        self._saliency = tf.function(
            lambda x, cls: _gradient_times_input(model, x, cls),
            input_signature=[tf.TensorSpec([28, 28], tf.uint8), tf.TensorSpec([], tf.int32)],
        )
        self.probabilities(np.zeros((1, 28, 28), np.uint8))  # trace now

    def probabilities(self, images28: np.ndarray) -> np.ndarray:
        """Softmax probabilities for already-prepared uint8 (N, 28, 28) images."""
        images28 = np.asarray(images28, dtype=np.uint8)
        with paused_gc():  # the first call traces; see core.gc_pause
            out = [
                self._probs(images28[i : i + 1000]).numpy() for i in range(0, len(images28), 1000)
            ]
        return np.concatenate(out) if out else np.zeros((0, len(self.class_names)), np.float32)

    def saliency(self, seen: np.ndarray, cls: int) -> np.ndarray:
        """Why the model scores class ``cls`` for the 28x28 image ``seen`` (255 = ink).

        Gradient x input: each pixel's ink times the gradient of class ``cls``'s logit with
        respect to that pixel, so a pixel's value is how much its ink pushes the class's score
        up (positive) or down (negative) compared with a blank pad. For a linear model this is
        exactly the class's weights times the ink (0..1). Returns a float32 (28, 28) array.
        """
        seen = np.asarray(seen, dtype=np.uint8)
        if seen.shape != (28, 28):
            raise ValueError(f"expected a 28x28 image, got {seen.shape}")
        if not 0 <= int(cls) < len(self.class_names):
            raise ValueError(f"class {cls} out of range for {len(self.class_names)} classes")
        with paused_gc():  # the first call traces; see core.gc_pause
            return self._saliency(seen, np.int32(cls)).numpy()

    def predict(self, image: np.ndarray, polarity: str | None = None) -> Prediction:
        """Classify one grayscale image of any size.

        ``polarity`` is ``"dark-on-light"`` (a drawing pad, ink on paper) or ``"light-on-dark"``
        when the caller knows it; ``None`` detects it from the image.
        """
        seen = prepare_image(np.asarray(image), self.style, polarity=polarity)
        probs = self.probabilities(seen[None])[0]
        return Prediction(probs, seen, int(probs.argmax()), self.class_names)


def _gradient_times_input(model: keras.Model, seen: tf.Tensor, cls: tf.Tensor) -> tf.Tensor:
    """Gradient x input of logit ``cls`` at the uint8 image ``seen``, in ink units (0..1).

    The model's first layer turns uint8 pixels into floats; here the pixels are floats from the
    start so the gradient can reach them, then the other layers run as in inference.
    """
    ink = tf.cast(seen, tf.float32)[None] / 255.0
    with tf.GradientTape() as tape:
        tape.watch(ink)
        h = model.layers[0](ink * 255.0)
        for layer in model.layers[1:]:
            h = layer(h, training=False)
        logit = h[0, cls]
    return (tape.gradient(logit, ink) * ink)[0]


def load_predictor(run_dir: str | Path) -> Predictor:
    """A predictor over the model saved in ``run_dir``."""
    from core.runs.model import load_run

    model, meta = load_run(run_dir)
    names = tuple(meta["class_names"])
    outputs = int(model.output_shape[-1])
    if outputs != len(names):
        raise DataError(
            Path(run_dir) / "settings.json",
            f"{len(names)} class_names for a model with {outputs} outputs",
        )
    return Predictor(model, names)
