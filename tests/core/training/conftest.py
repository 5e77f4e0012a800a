"""Small real datasets for trainer tests: glyphs rendered from this machine's fonts."""

from __future__ import annotations

import numpy as np
import pytest

from core.data.dataset import Dataset


@pytest.fixture(scope="session")
def tiny_letters() -> Dataset:
    """~1000 letters A-J rendered from the installed fonts (600 train / 200 valid / 200 test)."""
    from core.data.fonts import build_font_dataset

    return build_font_dataset("letters", train=600, valid=200, test=200, seed=1)


@pytest.fixture(scope="session")
def tiny_digits() -> Dataset:
    """~1000 digits 0-9 rendered from the installed fonts."""
    from core.data.fonts import build_font_dataset

    return build_font_dataset("digits", train=600, valid=200, test=200, seed=2)


def assert_same_dataset_shape(d: Dataset) -> None:
    """Helper used by tests: the dataset is a proper 10-class uint8 set."""
    assert d.train_x.dtype == np.uint8
    assert d.num_classes == 10


@pytest.fixture(scope="session")
def letters_npz(tiny_letters, tmp_path_factory):
    """The tiny font letters as a six-key npz, the way a user brings a dataset to the CLI."""
    d = tiny_letters
    path = tmp_path_factory.mktemp("letters-npz") / "letters.npz"
    np.savez(
        path,
        x_train=d.train_x,
        y_train=d.train_y,
        x_valid=d.valid_x,
        y_valid=d.valid_y,
        x_test=d.test_x,
        y_test=d.test_y,
    )
    return path
