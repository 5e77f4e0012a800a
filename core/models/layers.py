"""Custom Keras layers: the input step (uint8 -> normalized float) and dropout with a live rate."""

from __future__ import annotations

import keras
import tensorflow as tf

from core.data.normalize import normalize_float


@keras.saving.register_keras_serializable(package="glyph_lab")
class NormalizePixels(keras.layers.Layer):
    """Model input step: uint8 (N, 28, 28) pixels -> float32 ``(x - 128) / 255``."""

    def call(self, inputs: tf.Tensor) -> tf.Tensor:
        """Cast and normalize."""
        return normalize_float(tf.cast(inputs, tf.float32))


@keras.saving.register_keras_serializable(package="glyph_lab")
class KnobDropout(keras.layers.Layer):
    """Dropout whose rate is a non-trainable variable, so a slider changes it without retracing.

    Active only when called with ``training=True``; evaluation and inference never drop units.
    """

    def __init__(self, rate: float = 0.0, seed: int | None = None, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.initial_rate = float(rate)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def build(self, input_shape: tuple) -> None:
        """Create the rate variable."""
        self.rate = self.add_weight(
            name="rate", shape=(), trainable=False,
            initializer=keras.initializers.Constant(self.initial_rate))

    def call(self, inputs: tf.Tensor, training: bool = False) -> tf.Tensor:
        """Zero each unit with probability ``rate`` and scale the rest by ``1 / (1 - rate)``."""
        if not training:
            return inputs
        rate = tf.convert_to_tensor(self.rate)

        def drop() -> tf.Tensor:
            noise = keras.random.uniform(tf.shape(inputs), seed=self.seed_generator)
            keep = tf.cast(noise >= rate, inputs.dtype)
            return inputs * keep / (1.0 - rate)

        return tf.cond(rate > 0.0, drop, lambda: tf.identity(inputs))

    def get_config(self) -> dict:
        """Serializable settings."""
        return {**super().get_config(), "rate": self.initial_rate, "seed": self.seed}
