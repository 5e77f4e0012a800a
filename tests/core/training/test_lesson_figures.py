"""The lessons' findings, reproduced with real training (slow; run in CI).

On the built-in font letters and, when ../shared/data exists, on real notMNIST and MNIST:
nn1024-l2 beats logreg-l2; the overfit preset memorises its 5 batches while validation lags;
dropout lifts validation accuracy of the overfit run (real notMNIST); ReLU + Adam reaches >= 96%
on MNIST.
"""

from __future__ import annotations

import numpy as np
import pytest

from core.data.dataset import Dataset, Provenance
from core.events import RunFinished
from core.training.config import TrainConfig
from core.training.trainer import Trainer

pytestmark = pytest.mark.slow


def train(preset: str, data: Dataset, **kw: object) -> dict:
    cfg = TrainConfig.from_preset(preset, save=False, eval_every=500, snapshot_every=10_000, **kw)
    events = list(Trainer(cfg, data).run())
    assert isinstance(events[-1], RunFinished), events[-1]
    return events[-1].final


@pytest.fixture(scope="module")
def font_letters() -> Dataset:
    from core.data.fonts import build_font_dataset

    return build_font_dataset("letters", train=20000, valid=2000, test=2000, seed=0)


@pytest.fixture(scope="module")
def real_notmnist(shared_data) -> Dataset:
    d = np.load(shared_data / "notmnist_small.npz")
    order = np.random.default_rng(0).permutation(len(d["labels"]))
    x, y = d["images"][order], d["labels"][order]
    return Dataset(
        "notmnist_small",
        tuple("ABCDEFGHIJ"),
        x[:14724],
        y[:14724],
        x[14724:16724],
        y[14724:16724],
        x[16724:],
        y[16724:],
        Provenance("notmnist_small.npz", "notMNIST_small (shared sample)"),
    )


def check_lessons(data: Dataset, dropout_lifts_validation: bool = True) -> dict:
    logreg = train("logreg-l2", data)
    nn = train("nn1024-l2", data)
    overfit = train("overfit", data)
    dropout = train("overfit-dropout", data)
    figures = {"logreg-l2": logreg, "nn1024-l2": nn, "overfit": overfit, "overfit-dropout": dropout}
    print({k: round(v["test_accuracy"], 4) for k, v in figures.items()})
    assert nn["test_accuracy"] > logreg["test_accuracy"], figures
    assert overfit["minibatch_accuracy"] >= 0.99, figures
    assert overfit["valid_accuracy"] < overfit["minibatch_accuracy"] - 0.05, figures
    if dropout_lifts_validation:
        assert dropout["valid_accuracy"] > overfit["valid_accuracy"], figures
    return figures


def test_lessons_on_font_letters(font_letters):
    """Not dropout's lift here: on the font letters it is smaller than the spread between
    seeds (seeds 0-4: -1.25 to +3.4 points of validation accuracy, +0.3 on average), so one
    run cannot show it; on real notMNIST it held for each of seeds 0-3."""
    check_lessons(font_letters, dropout_lifts_validation=False)


def test_lessons_on_real_notmnist(real_notmnist):
    figures = check_lessons(real_notmnist)
    assert figures["logreg-l2"]["test_accuracy"] > 0.85
    assert figures["nn1024-l2"]["test_accuracy"] > 0.88


def test_mnist_relu_adam_reaches_96_percent(shared_data):
    d = np.load(shared_data / "mnist.npz")
    data = Dataset(
        "mnist",
        tuple("0123456789"),
        d["x_train"],
        d["y_train"],
        d["x_valid"],
        d["y_valid"],
        d["x_test"],
        d["y_test"],
        Provenance("mnist.npz", "MNIST"),
    )
    final = train("mnist-relu-adam", data)
    print(final)
    assert final["test_accuracy"] >= 0.96
