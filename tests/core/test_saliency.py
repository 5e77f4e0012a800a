"""Why the pad answered so: gradient x input of a class's logit on the 28x28 input."""

from __future__ import annotations

import numpy as np
import pytest

from core.inference import Predictor
from core.models.build import build_model
from core.models.presets import get_preset

LETTERS = tuple("ABCDEFGHIJ")


def drawn_letter(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    seen = np.zeros((28, 28), np.uint8)
    seen[6:22, 9:12] = 255
    seen[6:9, 9:20] = rng.integers(100, 256, (3, 11))
    return seen


def test_the_saliency_of_a_linear_model_is_its_weights_times_the_ink():
    model = build_model(get_preset("logreg-sgd").model, 10, seed=4)
    predictor = Predictor(model, LETTERS)
    seen = drawn_letter()
    kernel = model.get_layer("output").kernel.numpy()  # (784, 10)
    for cls in (int(predictor.probabilities(seen[None])[0].argmax()), 3):
        expected = kernel[:, cls].reshape(28, 28) * (seen / 255.0)
        np.testing.assert_allclose(predictor.saliency(seen, cls), expected, atol=1e-6)
    assert (predictor.saliency(seen, 0)[seen == 0] == 0).all()  # no ink, no push


@pytest.mark.parametrize("preset", ["nn1024", "cnn3-pool"])
def test_the_saliency_of_deeper_nets_adds_up_like_a_first_order_step(preset):
    """Gradient x input is the first-order change of the logit from a blank pad; on a tiny
    drawing (a few faint pixels) it predicts that change closely."""
    model = build_model(get_preset(preset).model, 10, seed=1)
    predictor = Predictor(model, LETTERS)
    faint = np.zeros((28, 28), np.uint8)
    faint[10:13, 12:15] = 3
    logits = model.predict(np.stack([np.zeros_like(faint), faint]), verbose=0)
    change = logits[1, 2] - logits[0, 2]
    assert predictor.saliency(faint, 2).sum() == pytest.approx(change, rel=0.05, abs=1e-4)


def test_saliency_refuses_other_shapes_and_classes():
    predictor = Predictor(build_model(get_preset("logreg-sgd").model, 10), LETTERS)
    with pytest.raises(ValueError, match="28x28"):
        predictor.saliency(np.zeros((10, 10), np.uint8), 0)
    with pytest.raises(ValueError, match="out of range"):
        predictor.saliency(np.zeros((28, 28), np.uint8), 10)
