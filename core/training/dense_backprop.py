"""The gradients of a dense network, written out by hand, with its column blocks kept apart.

For a network of dense layers (``Dense``, :class:`~core.models.layers.SplitDense`), ReLU or
sigmoid activations and :class:`~core.models.layers.KnobDropout` (logistic regression and every
MLP preset), :class:`DenseBackprop` computes the mean cross-entropy's gradients with the same
maths as ``tf.GradientTape``, but without the tape's concat of a SplitDense layer's blocks and
the matching slices of its gradient: each block keeps its own chain (product and bias, then
activation and dropout), and the layer after it takes the blocks as they are, with its kernel
cut by rows. On 2 cores (one block per core, see :mod:`core.threads`) this shortens the part of
a step where one core waits for the other (output layer, loss, their gradients); the figures are
in bench/README.md. Models with other layers (convolutions, batch norm) have no plan and keep
the tape.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import keras
import tensorflow as tf

from core.models.layers import KnobDropout, SplitDense

ACTIVATIONS = {keras.activations.relu: "relu", keras.activations.sigmoid: "sigmoid"}


@dataclass(frozen=True)
class _Stage:
    """One layer of the plan: ``kind`` is dense, relu, sigmoid or dropout."""

    kind: str
    layer: Any
    kernels: tuple = ()  # dense: one variable per output block
    biases: tuple = ()


def dense_plan(layers: list) -> list[_Stage] | None:
    """The stages of ``layers`` (the model after its input step), or None if one is unknown.

    Known: ``Flatten`` (first only), ``Dense`` without activation, ``SplitDense``, ``Activation``
    (relu or sigmoid) and ``KnobDropout``; the last layer must be dense (the logits).
    """
    stages: list[_Stage] = []
    for i, layer in enumerate(layers):
        if isinstance(layer, keras.layers.Flatten) and i == 0:
            continue
        if isinstance(layer, SplitDense):
            stages.append(_Stage("dense", layer, tuple(layer.kernels), tuple(layer.biases)))
        elif (
            isinstance(layer, keras.layers.Dense)
            and layer.use_bias
            and layer.activation is keras.activations.linear
        ):
            stages.append(_Stage("dense", layer, (layer.kernel,), (layer.bias,)))
        elif isinstance(layer, keras.layers.Activation) and layer.activation in ACTIVATIONS:
            stages.append(_Stage(ACTIVATIONS[layer.activation], layer))
        elif isinstance(layer, KnobDropout):
            stages.append(_Stage("dropout", layer))
        else:
            return None
    if not stages or stages[-1].kind != "dense" or len(stages[-1].kernels) != 1:
        return None
    return stages


class DenseBackprop:
    """Cross-entropy and gradients of a dense network, block by block (see the module doc)."""

    def __init__(self, stages: list[_Stage]) -> None:
        self.stages = stages

    @classmethod
    def for_layers(cls, layers: list) -> DenseBackprop | None:
        """A DenseBackprop for ``layers`` (see :func:`dense_plan`), or None."""
        stages = dense_plan(layers)
        return cls(stages) if stages is not None else None

    def gradients(
        self, x: tf.Tensor, y: tf.Tensor, batch: tf.Tensor, dropout: bool
    ) -> tuple[tf.Tensor, tf.Tensor, dict[int, tf.Tensor]]:
        """Summed cross-entropy, logits and gradients for images ``x`` and labels ``y``.

        ``x`` is the normalized batch (or a part of it); gradients are of the summed loss
        divided by ``batch`` (the whole batch's size, so the parts' gradients add up to the
        batch's), keyed by ``id`` of each variable. ``dropout=False`` leaves the dropout
        stages out (for steps that know every rate is 0).
        """
        stages = [s for s in self.stages if dropout or s.kind != "dropout"]
        blocks = [tf.reshape(x, (tf.shape(x)[0], -1))]
        # per stage, what its gradient needs: dense its input blocks and its kernels cut to
        # match them (each kernel read once a step), dropout its masks, activations their output
        saved: list[Any] = []
        for stage in stages:
            if stage.kind == "dense":
                rows = [_row_blocks(kernel, blocks) for kernel in stage.kernels]
                saved.append((blocks, rows))
                blocks = self._dense(stage, blocks, rows)
            elif stage.kind == "dropout":
                widths = [int(b.shape[-1]) for b in blocks]
                scale = stage.layer.scale(tf.stack([tf.shape(blocks[0])[0], sum(widths)]))
                masks = tf.split(scale, widths, axis=-1) if len(blocks) > 1 else [scale]
                saved.append(masks)
                blocks = [b * m for b, m in zip(blocks, masks, strict=True)]
            else:
                blocks = [tf.nn.relu(b) if stage.kind == "relu" else tf.sigmoid(b) for b in blocks]
                saved.append(blocks)
        logits = blocks[0]
        losses, backprop = tf.raw_ops.SparseSoftmaxCrossEntropyWithLogits(features=logits, labels=y)
        grad_blocks = [backprop / tf.cast(batch, backprop.dtype)]
        grads: dict[int, tf.Tensor] = {}
        first_dense = next(i for i, s in enumerate(stages) if s.kind == "dense")
        for i in range(len(stages) - 1, -1, -1):
            stage, kept = stages[i], saved[i]
            if stage.kind == "dense":
                grad_blocks = self._dense_backward(
                    stage, *kept, grad_blocks, grads, inputs_needed=i > first_dense
                )
            elif stage.kind == "dropout":
                grad_blocks = [g * m for g, m in zip(grad_blocks, kept, strict=True)]
            elif stage.kind == "relu":
                grad_blocks = [
                    tf.raw_ops.ReluGrad(gradients=g, features=a)
                    for g, a in zip(grad_blocks, kept, strict=True)
                ]
            else:
                grad_blocks = [g * a * (1.0 - a) for g, a in zip(grad_blocks, kept, strict=True)]
        return tf.reduce_sum(losses), logits, grads

    @staticmethod
    def _dense(
        stage: _Stage, blocks: list[tf.Tensor], rows: list[list[tf.Tensor]]
    ) -> list[tf.Tensor]:
        """Output blocks of a dense stage: each of its blocks from every input block.

        ``rows[j]`` is the stage's kernel ``j`` cut by rows to match ``blocks``.
        """
        out = []
        for kernel_rows, bias in zip(rows, stage.biases, strict=True):
            products = [tf.matmul(b, r) for b, r in zip(blocks, kernel_rows, strict=True)]
            out.append(tf.nn.bias_add(add_all(products), bias))
        return out

    @staticmethod
    def _dense_backward(
        stage: _Stage,
        inputs: list[tf.Tensor],
        rows: list[list[tf.Tensor]],
        grad_out: list[tf.Tensor],
        grads: dict[int, tf.Tensor],
        inputs_needed: bool,
    ) -> list[tf.Tensor]:
        """Record a dense stage's kernel and bias gradients; the gradient of its input blocks."""
        grad_in: list[list[tf.Tensor]] = [[] for _ in inputs]
        for kernel, kernel_rows, bias, g in zip(
            stage.kernels, rows, stage.biases, grad_out, strict=True
        ):
            grads[id(bias)] = tf.reduce_sum(g, 0)
            parts = [tf.matmul(a, g, transpose_a=True) for a in inputs]
            grads[id(kernel)] = parts[0] if len(parts) == 1 else tf.concat(parts, 0)
            if inputs_needed:
                for acc, r in zip(grad_in, kernel_rows, strict=True):
                    acc.append(tf.matmul(g, r, transpose_b=True))
        return [add_all(acc) for acc in grad_in] if inputs_needed else []


def _row_blocks(kernel: Any, blocks: list[tf.Tensor]) -> list[tf.Tensor]:
    """``kernel`` cut by rows to match the widths of the input ``blocks`` (whole for one)."""
    value = tf.convert_to_tensor(kernel)
    if len(blocks) == 1:
        return [value]
    widths = [int(b.shape[-1]) for b in blocks]
    edges = [0, *itertools.accumulate(widths)]
    return [value[a:b] for a, b in itertools.pairwise(edges)]


def add_all(tensors: list[tf.Tensor]) -> tf.Tensor:
    """The sum of ``tensors`` (one: itself, with no op)."""
    return tensors[0] if len(tensors) == 1 else tf.add_n(tensors)
