from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from gui.panels.confusion import MAX_EXAMPLES, ConfusionPanel

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")

LETTERS = tuple("ABCDEFGHIJ")


def confusion(true: np.ndarray, pred: np.ndarray, n: int = 10) -> np.ndarray:
    m = np.zeros((n, n), np.int64)
    np.add.at(m, (true, pred), 1)
    return m


def noisy_predictions(n: int = 600, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    true = rng.integers(0, 10, n)
    pred = np.where(rng.random(n) < 0.8, true, rng.integers(0, 10, n))
    pred[:7] = 6
    true[:7] = 2  # seven C images predicted as G
    return images, true, pred


def contrast(a: QColor, b: QColor) -> float:
    def lum(c: QColor) -> float:
        def lin(v: float) -> float:
            v /= 255
            return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4

        return 0.2126 * lin(c.red()) + 0.7152 * lin(c.green()) + 0.0722 * lin(c.blue())

    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.fixture
def panel(qtbot) -> ConfusionPanel:
    w = ConfusionPanel()
    qtbot.addWidget(w)
    w.resize(1100, 640)
    w.show()
    qtbot.waitExposed(w)
    return w


def test_empty_panel(panel: ConfusionPanel) -> None:
    assert np.isnan(panel.accuracy())
    assert panel.selected_cell() is None
    assert panel.heatmap.cell_at(panel.heatmap.rect().center()) is None


def test_matrix_title_and_cells(panel: ConfusionPanel, qtbot) -> None:
    _, true, pred = noisy_predictions()
    m = confusion(true, pred)
    panel.set_confusion(m, LETTERS, step=1200, split="valid")
    acc = np.trace(m) / m.sum()
    assert panel.accuracy() == pytest.approx(acc)
    title = panel.title_label.text()
    assert "validation set" in title
    assert "step 1,200" in title
    assert f"accuracy {acc:.1%}" in title
    np.testing.assert_array_equal(panel.heatmap.matrix(), m)
    assert "Row = true class, column = predicted class" in panel.heatmap.cell_tooltip(2, 6)
    assert "True C, predicted G: " in panel.heatmap.cell_tooltip(2, 6)
    assert f"{m[2, 6]:,} images" in panel.heatmap.cell_tooltip(2, 6)
    assert "rows are the true class" in panel.heatmap.toolTip().lower()

    qtbot.wait(10)
    shot = panel.heatmap.grab().toImage()
    dpr = shot.devicePixelRatio()
    for i, j in [(0, 0), (2, 6), (9, 9), (4, 1)]:
        r = panel.heatmap.cell_rect(i, j)
        expected = panel.heatmap.cell_colour(i, j)
        # a pixel near the cell's corner, away from the count text and the grid lines
        px = shot.pixelColor(int((r.left() + 3) * dpr), int((r.top() + 3) * dpr))
        assert (px.red(), px.green(), px.blue()) == (
            expected.red(),
            expected.green(),
            expected.blue(),
        ), (i, j)
    # the diagonal is blue, mistakes are red, more is darker
    diag, off = panel.heatmap.cell_colour(0, 0), panel.heatmap.cell_colour(2, 6)
    assert diag.blue() > diag.red()
    assert off.red() > off.blue()


def test_count_text_is_readable_on_every_cell(panel: ConfusionPanel) -> None:
    _, true, pred = noisy_predictions()
    m = confusion(true, pred)
    m[3, 3] = 0  # an empty row cell
    m[5] = 0
    m[5, 5] = 900  # a very dark cell
    panel.set_confusion(m, LETTERS, step=10, split="test")
    hm = panel.heatmap
    for i in range(10):
        for j in range(10):
            assert contrast(hm.text_colour(i, j), hm.cell_colour(i, j)) >= 4.5, (i, j)
    assert hm.text_colour(5, 5) == QColor("#ffffff")  # white on the darkest blue


def test_click_shows_the_images_behind_the_cell(panel: ConfusionPanel, qtbot) -> None:
    images, true, pred = noisy_predictions()
    panel.set_confusion(confusion(true, pred), LETTERS, step=3000, split="test")
    panel.set_examples(images, true, pred)
    hm = panel.heatmap
    with qtbot.waitSignal(panel.cell_clicked, timeout=1000) as blocker:
        qtbot.mouseClick(hm, Qt.MouseButton.LeftButton, pos=hm.cell_rect(2, 6).center())
    assert blocker.args == [2, 6]
    assert panel.selected_cell() == (2, 6)
    expected = np.flatnonzero((true == 2) & (pred == 6))
    assert expected.size >= 7
    np.testing.assert_array_equal(panel.example_indices(), expected)
    assert panel.examples_text().startswith(f"{expected.size} images of true C predicted as G")
    assert panel.examples.count() == expected.size
    np.testing.assert_array_equal(panel.examples.images(), images[expected])


def test_select_cell_before_and_after_examples(panel: ConfusionPanel, qtbot) -> None:
    images, true, pred = noisy_predictions()
    panel.set_confusion(confusion(true, pred), LETTERS, step=100, split="valid")
    with qtbot.waitSignal(panel.cell_clicked) as blocker:
        panel.select_cell(4, 4)
    assert blocker.args == [4, 4]
    assert panel.examples.count() == 0
    assert "True E predicted as E" in panel.examples_text()
    panel.set_examples(images, true, pred)  # arrive later: the selection fills in
    expected = np.flatnonzero((true == 4) & (pred == 4))
    assert panel.examples.count() == expected.size
    assert panel.examples_text().startswith(f"{expected.size} images of true E predicted as E")
    assert "(right)" in panel.examples_text()


def test_empty_cell_and_too_many_images(panel: ConfusionPanel, qtbot) -> None:
    n = MAX_EXAMPLES + 50
    images = np.zeros((n + 1, 28, 28), np.uint8)
    true = np.zeros(n + 1, np.int64)
    pred = np.zeros(n + 1, np.int64)
    true[-1], pred[-1] = 1, 2
    panel.set_confusion(confusion(true, pred), LETTERS, step=0, split="test")
    panel.set_examples(images, true, pred)
    panel.select_cell(0, 0)
    assert panel.examples.count() == MAX_EXAMPLES
    assert f"showing the first {MAX_EXAMPLES}" in panel.examples_text()
    grid = panel.examples
    qtbot.waitUntil(lambda: grid.height() >= grid.heightForWidth(grid.width()), timeout=1000)
    last = grid.tile_rect(MAX_EXAMPLES - 1)
    assert grid.rect().contains(last)  # the scroll area can reach the last image
    assert grid.rows() > 1
    panel.select_cell(1, 2)
    assert panel.examples_text().startswith("1 image of true B predicted as C (wrong)")
    panel.select_cell(3, 7)
    assert panel.examples.count() == 0
    assert panel.examples_text().startswith("0 images of true D predicted as H")


def test_bad_input_is_rejected(panel: ConfusionPanel) -> None:
    with pytest.raises(ValueError, match="square"):
        panel.set_confusion(np.zeros((3, 4)), LETTERS, step=0, split="valid")
    with pytest.raises(ValueError, match="must match"):
        panel.set_examples(np.zeros((3, 28, 28), np.uint8), np.zeros(3), np.zeros(2))


def test_screenshot_with_real_notmnist(
    panel: ConfusionPanel, shared_data: Path, qtbot, tmp_path: Path
) -> None:
    d = np.load(shared_data / "notmnist_small.npz")
    order = np.random.default_rng(0).permutation(len(d["labels"]))
    x, y = d["images"][order], d["labels"][order].astype(np.int64)
    train_x, train_y, test_x, test_y = x[:4000], y[:4000], x[4000:6000], y[4000:6000]
    flat = train_x.reshape(len(train_x), -1).astype(np.float64)
    means = np.stack([flat[train_y == k].mean(axis=0) for k in range(10)])
    dist = ((test_x.reshape(len(test_x), -1)[:, None, :] - means[None]) ** 2).sum(axis=2)
    pred = dist.argmin(axis=1)
    panel.set_confusion(confusion(test_y, pred), LETTERS, step=3001, split="test")
    panel.set_examples(test_x, test_y, pred)
    off = confusion(test_y, pred) - np.diag(np.diag(confusion(test_y, pred)))
    i, j = np.unravel_index(off.argmax(), off.shape)
    panel.select_cell(int(i), int(j))
    assert panel.examples.count() == off.max()
    qtbot.wait(20)
    image = panel.grab().toImage()
    image.save(str(tmp_path / "confusion.png"))
    if os.environ.get("GLYPH_LAB_SCREENSHOTS"):
        image.save(str(Path(os.environ["GLYPH_LAB_SCREENSHOTS"]) / "confusion.png"))


def test_real_trainer_events_fill_the_panel(
    panel: ConfusionPanel, request: pytest.FixtureRequest
) -> None:
    from core.data.dataset import Dataset, Provenance
    from core.events import EvalMetrics
    from core.training.config import TrainConfig
    from core.training.trainer import Trainer

    try:
        folder = request.getfixturevalue("shared_data")
    except pytest.skip.Exception:
        rng = np.random.default_rng(0)
        x, y = rng.integers(0, 256, (600, 28, 28), dtype=np.uint8), rng.integers(0, 10, 600)
    else:
        d = np.load(folder / "notmnist_small.npz")
        order = np.random.default_rng(1).permutation(len(d["labels"]))[:600]
        x, y = d["images"][order], d["labels"][order]
    ds = Dataset(
        "tiny",
        LETTERS,
        x[:400],
        y[:400],
        x[400:500],
        y[400:500],
        x[500:],
        y[500:],
        Provenance("tiny", "600 images for a GUI test"),
    )
    cfg = TrainConfig.from_preset(
        "logreg-sgd", steps=30, eval_every=10, snapshot_every=10, save=False
    )
    trainer = Trainer(cfg, ds)
    evals = [e for e in trainer.run() if isinstance(e, EvalMetrics)]
    assert [e.split for e in evals][-1] == "test"
    for e in evals:  # as the window would, at each evaluation
        panel.set_confusion(e.confusion, LETTERS, e.step, e.split)
        assert panel.accuracy() == pytest.approx(e.accuracy, abs=1e-6)
    test = evals[-1]
    probs = trainer.predictor().probabilities(ds.test_x)
    pred = probs.argmax(axis=1)
    np.testing.assert_array_equal(confusion(ds.test_y, pred), test.confusion)
    panel.set_examples(ds.test_x, ds.test_y, pred)
    i, j = np.unravel_index(np.argmax(test.confusion), test.confusion.shape)
    panel.select_cell(int(i), int(j))
    assert panel.examples.count() == test.confusion[i, j]
    assert "test set at step" in panel.title_label.text()


def test_examples_of_another_split_say_so_and_clear_resets(panel: ConfusionPanel) -> None:
    images, true, pred = noisy_predictions()
    panel.set_examples(images, true, pred)  # the test images, from the last run
    panel.set_confusion(confusion(true, pred), LETTERS, step=200, split="valid")
    panel.select_cell(2, 6)
    assert panel.examples_text().endswith("· from the test set")
    panel.set_confusion(confusion(true, pred), LETTERS, step=300, split="test")
    assert "from the" not in panel.examples_text()
    assert panel.selected_cell() == (2, 6)

    panel.clear()
    assert panel.selected_cell() is None
    assert np.isnan(panel.accuracy())
    assert panel.examples.count() == 0
    assert panel.heatmap.matrix().shape == (0, 0)
    assert panel.title_label.text() == "Confusion matrix"
