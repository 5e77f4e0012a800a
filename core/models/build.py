"""Build a Keras model from a :class:`~core.models.presets.ModelSpec`.

Every model takes uint8 (N, 28, 28) images and returns logits. Layers have stable names so the
display code can find them: ``hidden_0``..., ``conv_0``..., ``output``.
"""

from __future__ import annotations

import keras

from core.models.layers import KnobDropout, NormalizePixels, SplitDense
from core.models.presets import ModelSpec

ACTIVATIONS = ("relu", "sigmoid")
# Hidden layers at least this wide are built as SplitDense blocks (when dense_parts > 1): below
# it, a block's products are too small to be worth running on their own core.
SPLIT_MIN_UNITS = 512


def _initializers(spec: ModelSpec, conv: bool, seed: int) -> dict:
    if spec.init == "lesson":
        std = 0.1 if conv else 1.0
        return {
            "kernel_initializer": keras.initializers.TruncatedNormal(stddev=std, seed=seed),
            "bias_initializer": "zeros",
        }
    if spec.activation == "relu" and spec.family != "logreg":
        return {"kernel_initializer": keras.initializers.HeNormal(seed=seed)}
    return {"kernel_initializer": keras.initializers.GlorotUniform(seed=seed)}


def build_model(
    spec: ModelSpec,
    num_classes: int = 10,
    dropout: float = 0.0,
    seed: int = 0,
    dense_parts: int = 1,
) -> keras.Model:
    """Return an (unbuilt-optimizer) Keras model for ``spec`` producing logits.

    With ``dense_parts > 1`` each hidden layer of at least :data:`SPLIT_MIN_UNITS` units is a
    :class:`~core.models.layers.SplitDense` of that many blocks (the same function and, for a
    seed, the same initial weights as ``Dense``); otherwise every layer is a plain Keras one.
    """
    if spec.activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {spec.activation!r}; use one of {ACTIVATIONS}")
    layers: list[keras.layers.Layer] = [
        keras.Input((28, 28), dtype="uint8"),
        NormalizePixels(name="normalize"),
    ]
    seeds = iter(range(seed * 1000, seed * 1000 + 1000))

    def block(layer: keras.layers.Layer, index: int, prefix: str, drop: bool) -> None:
        layers.append(layer)
        if spec.batch_norm:
            layers.append(keras.layers.BatchNormalization(name=f"{prefix}_bn_{index}"))
        layers.append(keras.layers.Activation(spec.activation, name=f"{prefix}_act_{index}"))
        if drop:
            layers.append(KnobDropout(dropout, seed=next(seeds), name=f"{prefix}_dropout_{index}"))

    if spec.family == "cnn":
        layers.append(keras.layers.Reshape((28, 28, 1), name="to_image"))
        for i, (kernel, depth, stride) in enumerate(spec.convs):
            block(
                keras.layers.Conv2D(
                    depth,
                    kernel,
                    strides=stride,
                    padding="same",
                    name=f"conv_{i}",
                    **_initializers(spec, True, next(seeds)),
                ),
                i,
                "conv",
                drop=False,
            )
            if spec.pool:
                layers.append(keras.layers.MaxPooling2D(2, 2, padding="same", name=f"pool_{i}"))
    elif spec.family not in ("logreg", "mlp"):
        raise ValueError(f"unknown model family {spec.family!r}")
    layers.append(keras.layers.Flatten(name="flatten"))
    if spec.family != "logreg":
        for i, units in enumerate(spec.hidden):
            init = _initializers(spec, False, next(seeds))
            dense = (
                SplitDense(units, dense_parts, name=f"hidden_{i}", **init)
                if dense_parts > 1 and units >= SPLIT_MIN_UNITS
                else keras.layers.Dense(units, name=f"hidden_{i}", **init)
            )
            block(dense, i, "hidden", drop=True)
    layers.append(
        keras.layers.Dense(num_classes, name="output", **_initializers(spec, False, next(seeds)))
    )
    return keras.Sequential(layers, name=f"glyph_lab_{spec.family}")


WEIGHT_LAYERS = (keras.layers.Dense, keras.layers.Conv2D, SplitDense)


def weight_kernels(model: keras.Model) -> list:
    """The weight matrices (kernels, not biases) that L2 regularization penalizes.

    A :class:`SplitDense` gives each block's kernel variable.
    """
    kernels = []
    for layer in model.layers:
        if isinstance(layer, SplitDense):
            kernels.extend(layer.kernels)
        elif isinstance(layer, WEIGHT_LAYERS):
            kernels.append(layer.kernel)
    return kernels


def dropout_layers(model: keras.Model) -> list[KnobDropout]:
    """The model's live-rate dropout layers (empty for logistic regression)."""
    return [layer for layer in model.layers if isinstance(layer, KnobDropout)]


def display_layer(model: keras.Model) -> tuple[str, keras.layers.Layer]:
    """The first weight layer (the weights panel shows its ``kernel``) and its display kind.

    The kind is output / hidden / filters.
    """
    first = next(layer for layer in model.layers if isinstance(layer, WEIGHT_LAYERS))
    if isinstance(first, keras.layers.Conv2D):
        return "filters", first
    return ("output" if first.name == "output" else "hidden"), first
