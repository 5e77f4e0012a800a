"""The FLOP count behind benchmark 2 (the fraction of the matmul roof)."""

from __future__ import annotations

from bench.common import flops_per_step, forward_flops


def test_counts_forward_weight_gradients_and_every_input_gradient_but_the_images():
    # 2 -> 4 -> 3, batch 5: forward 2*5*(8+12), weight gradients the same, the input
    # gradient of the second layer 2*5*12; the images' gradient (2*5*8) is never computed
    assert flops_per_step([4], 5, inputs=2, classes=3) == 200 + 200 + 120
    assert flops_per_step([], 5, inputs=2, classes=3) == 60 + 60  # logistic regression
    assert flops_per_step([4], 5, inputs=2, classes=3, rule_of_six=True) == 6 * 5 * 20


def test_the_rule_of_six_overstates_nn1024_by_half():
    exact = flops_per_step([1024], 128)
    assert exact == 2 * 128 * (2 * (784 * 1024 + 1024 * 10) + 1024 * 10)
    assert 1.48 < flops_per_step([1024], 128, rule_of_six=True) / exact < 1.50


def test_an_evaluation_counts_the_forward_pass_over_the_split():
    assert forward_flops([4], 7, inputs=2, classes=3) == 2 * 7 * (8 + 12)
    # nn1024's validation pass over 1000 images: about four training steps' worth
    ratio = forward_flops([1024], 1000) / flops_per_step([1024], 128)
    assert 3.8 < ratio < 3.9
