"""Custom Keras layers.

The input step (uint8 -> normalized float), dropout with a live rate, and a dense layer computed
as independent column blocks.
"""

from __future__ import annotations

import itertools

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
            name="rate",
            shape=(),
            trainable=False,
            initializer=keras.initializers.Constant(self.initial_rate),
        )

    def call(self, inputs: tf.Tensor, training: bool = False) -> tf.Tensor:
        """Zero each unit with probability ``rate`` and scale the rest by ``1 / (1 - rate)``."""
        if not training:
            return inputs
        rate = tf.convert_to_tensor(self.rate)
        return tf.cond(
            rate > 0.0,
            lambda: inputs * self._keep_scale(tf.shape(inputs), rate),
            lambda: tf.identity(inputs),
        )

    def scale(self, shape: tf.Tensor) -> tf.Tensor:
        """What training multiplies inputs of ``shape`` by: a fresh ``keep / (1 - rate)``.

        All ones while the rate is 0. The same draw as :meth:`call` makes, for a
        hand-written backward pass (see :mod:`core.training.dense_backprop`).
        """
        rate = tf.convert_to_tensor(self.rate)
        return tf.cond(
            rate > 0.0,
            lambda: self._keep_scale(shape, rate),
            lambda: tf.ones(shape, self.compute_dtype),
        )

    def _keep_scale(self, shape: tf.Tensor, rate: tf.Tensor) -> tf.Tensor:
        noise = keras.random.uniform(shape, seed=self.seed_generator)
        return tf.cast(noise >= rate, self.compute_dtype) / (1.0 - rate)

    def get_config(self) -> dict:
        """Serializable settings."""
        return {**super().get_config(), "rate": self.initial_rate, "seed": self.seed}


@keras.saving.register_keras_serializable(package="glyph_lab")
class SplitDense(keras.layers.Layer):
    """A dense layer whose units are ``parts`` column blocks, each with its own kernel and bias.

    The same function as ``keras.layers.Dense`` (the kernel is drawn whole with the initializer,
    then cut, so a seed gives the same weights), computed as ``concat([x @ K0 + b0, ...])``:
    blocks that do not depend on each other, so with one thread per kernel (see
    :mod:`core.threads`) the forward products, the weight-gradient products and the updates of
    the blocks run on both cores at once instead of handing every op to a thread pool.
    """

    def __init__(
        self,
        units: int,
        parts: int = 2,
        kernel_initializer: object = "glorot_uniform",
        bias_initializer: object = "zeros",
        **kwargs: object,
    ) -> None:
        super().__init__(**kwargs)
        if not 1 <= parts <= units:
            raise ValueError(f"parts must be between 1 and units ({units}), got {parts}")
        self.units = int(units)
        self.parts = int(parts)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)

    def build(self, input_shape: tuple) -> None:
        """Draw the whole kernel once and give each block its columns."""
        full = keras.ops.convert_to_numpy(
            self.kernel_initializer((int(input_shape[-1]), self.units))
        )
        edges = [round(p * self.units / self.parts) for p in range(self.parts + 1)]
        self.kernels, self.biases = [], []
        for p, (a, b) in enumerate(itertools.pairwise(edges)):
            block = full[:, a:b]
            self.kernels.append(
                self.add_weight(
                    name=f"kernel_{p}",
                    shape=block.shape,
                    initializer=lambda shape, dtype=None, block=block: tf.constant(block, dtype),
                )
            )
            self.biases.append(
                self.add_weight(name=f"bias_{p}", shape=(b - a,), initializer=self.bias_initializer)
            )

    def call(self, inputs: tf.Tensor) -> tf.Tensor:
        """``inputs @ kernel + bias``, block by block."""
        return tf.concat(
            [tf.matmul(inputs, k) + b for k, b in zip(self.kernels, self.biases, strict=True)],
            axis=-1,
        )

    @property
    def kernel(self) -> tf.Tensor:
        """The whole ``(inputs, units)`` kernel (a copy; for display and export)."""
        return tf.concat(self.kernels, axis=1)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        """``input_shape`` with the last axis ``units``."""
        return (*input_shape[:-1], self.units)

    def get_config(self) -> dict:
        """Serializable settings."""
        return {
            **super().get_config(),
            "units": self.units,
            "parts": self.parts,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "bias_initializer": keras.initializers.serialize(self.bias_initializer),
        }
