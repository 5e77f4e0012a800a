"""SplitDense: the same function and the same initial weights as Dense, saved and loaded."""

from __future__ import annotations

import numpy as np
import pytest

from core.models.build import build_model, display_layer, weight_kernels
from core.models.layers import SplitDense
from core.models.presets import get_preset


def images(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (n, 28, 28), dtype=np.uint8)


@pytest.mark.parametrize("preset", ["nn1024", "deep-decay"])
def test_split_model_draws_the_same_weights_and_computes_the_same_logits(preset):
    spec = get_preset(preset).model
    whole = build_model(spec, seed=3)
    split = build_model(spec, seed=3, dense_parts=2)
    first_w, first_s = whole.get_layer("hidden_0"), split.get_layer("hidden_0")
    assert not isinstance(first_w, SplitDense)
    assert isinstance(first_s, SplitDense)
    assert [tuple(k.shape) for k in first_s.kernels] == [(784, 512), (784, 512)]
    np.testing.assert_array_equal(np.asarray(first_s.kernel), np.asarray(first_w.kernel))
    x = images(64)
    np.testing.assert_allclose(split(x).numpy(), whole(x).numpy(), rtol=1e-5, atol=1e-4)
    # narrower layers stay plain Dense
    assert [
        type(layer).__name__
        for layer in split.layers
        if layer.name.startswith("hidden_")
        and "_act_" not in layer.name
        and "_dropout_" not in layer.name
    ][1:] == ["Dense"] * (len(spec.hidden) - 1)


def test_l2_and_the_weights_panel_see_every_block():
    model = build_model(get_preset("nn1024").model, dense_parts=2)
    layer = model.get_layer("hidden_0")
    kernels = weight_kernels(model)
    assert [id(k) for k in kernels[:2]] == [id(k) for k in layer.kernels]
    assert len(kernels) == 3  # two blocks and the output layer
    kind, shown = display_layer(model)
    assert (kind, shown) == ("hidden", layer)
    assert tuple(shown.kernel.shape) == (784, 1024)


def test_uneven_blocks_and_bad_parts():
    layer = SplitDense(10, parts=3)
    out = layer(np.ones((4, 7), np.float32))
    assert tuple(out.shape) == (4, 10)
    assert [int(k.shape[1]) for k in layer.kernels] == [3, 4, 3]
    with pytest.raises(ValueError, match="parts must be between 1 and units"):
        SplitDense(4, parts=5)


def test_a_saved_split_model_loads_and_predicts_the_same(tmp_path):
    import keras

    model = build_model(get_preset("nn1024").model, seed=1, dense_parts=2)
    x = images(16, seed=1)
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.models.load_model(path, compile=False)
    assert isinstance(loaded.get_layer("hidden_0"), SplitDense)
    np.testing.assert_allclose(loaded(x).numpy(), model(x).numpy(), rtol=1e-6, atol=1e-6)
