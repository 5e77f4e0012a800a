from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from gui.panels.samples import SamplesPanel

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")

LETTERS = tuple("ABCDEFGHIJ")


def random_splits(seed: int = 0) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(seed)
    out = {}
    for name, n in (("train", 400), ("valid", 120), ("test", 60)):
        x = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        y = rng.integers(0, 10, n)
        out[name] = (x, y)
    # class J has only 3 test images
    x, y = out["test"]
    y = np.where(y == 9, 0, y)
    y[:3] = 9
    out["test"] = (x, y)
    return out


@pytest.fixture
def panel(qtbot) -> SamplesPanel:
    w = SamplesPanel()
    qtbot.addWidget(w)
    w.resize(1100, 620)
    w.show()
    qtbot.waitExposed(w)
    return w


def check_grid_matches(panel: SamplesPanel, images: np.ndarray, labels: np.ndarray) -> None:
    shown = panel.shown_indices()
    tiles = panel.grid.images()
    assert shown.shape == (10, 10)
    assert tiles.shape == (100, 28, 28)
    for c in range(10):
        for k, j in enumerate(shown[c]):
            if j >= 0:
                assert labels[j] == c  # every row holds its own class
                np.testing.assert_array_equal(tiles[c * 10 + k], images[j])
            else:
                assert not tiles[c * 10 + k].any()  # a blank tile where the class ran out


def test_empty_panel(panel: SamplesPanel) -> None:
    assert panel.splits() == ()
    assert panel.current_split() == ""
    assert panel.grid.count() == 0
    assert not panel.shuffle_button.isEnabled()


def test_set_dataset_shows_each_class_per_split(panel: SamplesPanel) -> None:
    data = random_splits()
    panel.set_dataset(data, LETTERS, "notMNIST: 18,724 images read, 2 skipped (empty file)")
    assert panel.splits() == ("train", "valid", "test")
    assert panel.split_combo.itemText(0) == "Training (400)"
    assert panel.current_split() == "train"
    check_grid_matches(panel, *data["train"])
    assert panel.grid.columns() == 10
    assert "400 training images" in panel.info_label.text()
    assert panel.report_text().startswith("notMNIST: 18,724 images read")
    assert panel.report.isReadOnly()
    assert panel.report.textInteractionFlags() & Qt.TextInteractionFlag.TextSelectableByMouse

    panel.set_split("test")
    assert panel.current_split() == "test"
    check_grid_matches(panel, *data["test"])
    shown = panel.shown_indices()
    assert (shown[9] >= 0).sum() == 3  # only three J images exist
    assert "60 test images" in panel.info_label.text()

    panel.split_combo.setCurrentIndex(1)  # the learner picks in the combo
    assert panel.current_split() == "valid"
    check_grid_matches(panel, *data["valid"])
    with pytest.raises(KeyError):
        panel.set_split("holdout")


def test_reshuffle_picks_other_examples_of_the_same_classes(panel: SamplesPanel) -> None:
    data = random_splits()
    panel.set_dataset(data, LETTERS, "")
    before = panel.shown_indices()
    panel.shuffle_button.click()
    after = panel.shown_indices()
    assert not np.array_equal(before, after)
    check_grid_matches(panel, *data["train"])


def test_new_dataset_keeps_the_chosen_split(panel: SamplesPanel) -> None:
    panel.set_dataset(random_splits(0), LETTERS, "")
    panel.set_split("valid")
    data = random_splits(1)
    panel.set_dataset(data, tuple("0123456789"), "mnist")
    assert panel.current_split() == "valid"
    check_grid_matches(panel, *data["valid"])
    panel.clear()
    assert panel.grid.count() == 0
    assert panel.splits() == ()


def test_screenshot_with_real_notmnist(
    panel: SamplesPanel, shared_data: Path, qtbot, tmp_path: Path
) -> None:
    d = np.load(shared_data / "notmnist_small.npz")
    order = np.random.default_rng(0).permutation(len(d["labels"]))[:3000]
    x, y = d["images"][order], d["labels"][order]
    data = {
        "train": (x[:2000], y[:2000]),
        "valid": (x[2000:2500], y[2000:2500]),
        "test": (x[2500:], y[2500:]),
    }
    report = "\n".join(
        [
            "Source: notMNIST_small (18,724 PNG files)",
            "Read:    18,724 images",
            "Skipped:      2 (empty file)",
            "Duplicates removed across splits: 492",
            "Split:   train 2,000 / valid 500 / test 500",
        ]
    )
    panel.set_dataset(data, LETTERS, report)
    check_grid_matches(panel, *data["train"])
    qtbot.wait(20)
    image = panel.grab().toImage()
    assert not image.isNull()
    image.save(str(tmp_path / "samples.png"))
    if os.environ.get("GLYPH_LAB_SCREENSHOTS"):
        image.save(str(Path(os.environ["GLYPH_LAB_SCREENSHOTS"]) / "samples.png"))
