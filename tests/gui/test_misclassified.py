from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from gui.panels.misclassified import MisclassifiedPanel

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")

LETTERS = tuple("ABCDEFGHIJ")


def results(n: int = 2000, n_wrong: int = 87, seed: int = 0):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    true = rng.integers(0, 10, n)
    pred = true.copy()
    wrong = rng.choice(n, n_wrong, replace=False)
    pred[wrong] = (true[wrong] + rng.integers(1, 10, n_wrong)) % 10
    logits = rng.normal(0, 2, (n, 10))
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return images, true, pred, probs


@pytest.fixture
def panel(qtbot) -> MisclassifiedPanel:
    w = MisclassifiedPanel()
    qtbot.addWidget(w)
    w.resize(1000, 620)
    w.show()
    qtbot.waitExposed(w)
    return w


def test_count_line_and_captions(panel: MisclassifiedPanel) -> None:
    images, true, pred, _ = results()
    panel.set_results(images, true, pred, None, LETTERS)
    assert panel.count_text() == "87 of 2,000 test images misclassified (4.35%)"
    assert panel.wrong_count() == 87
    shown = panel.shown_indices()
    np.testing.assert_array_equal(shown, np.flatnonzero(true != pred))  # original order
    assert panel.gallery.count() == 87
    np.testing.assert_array_equal(panel.gallery.images(), images[shown])
    k = shown[0]
    assert panel.gallery.caption(0) == f"pred {LETTERS[pred[k]]} / true {LETTERS[true[k]]}"
    assert f"the model said {LETTERS[pred[k]]}" in panel.gallery.tooltip_for(0)


def test_most_confident_mistakes_first_and_capped(qtbot) -> None:
    w = MisclassifiedPanel(max_items=20)
    qtbot.addWidget(w)
    images, true, pred, probs = results(n=500, n_wrong=60)
    w.set_results(images, true, pred, probs, LETTERS, split="valid")
    assert w.count_text() == "60 of 500 validation images misclassified (12.00%)"
    shown = w.shown_indices()
    assert shown.size == 20
    assert np.all(true[shown] != pred[shown])
    conf = probs[shown, pred[shown]]
    assert np.all(np.diff(conf) <= 0)  # descending confidence
    wrong = np.flatnonzero(true != pred)
    assert conf[0] == pytest.approx(probs[wrong, pred[wrong]].max())
    assert conf[-1] >= np.sort(probs[wrong, pred[wrong]])[-20]  # the top 20 of all 60
    assert "Showing the 20 most confident mistakes" in w.detail_label.text()
    assert f"{conf[0]:.0%} sure" in w.gallery.tooltip_for(0)


def test_wrong_prediction_is_painted_red(panel: MisclassifiedPanel, qtbot) -> None:
    images, true, pred, probs = results(n=300, n_wrong=12)
    panel.set_results(images, true, pred, probs, LETTERS)
    qtbot.wait(10)
    shot = panel.gallery.grab().toImage()
    dpr = shot.devicePixelRatio()
    r = panel.gallery.tile_rect(0)
    caption_top, caption_bottom = r.bottom() + 1, r.bottom() + panel.gallery.fontMetrics().height()
    reds = darks = 0
    for y in range(caption_top, caption_bottom):
        for x in range(r.left() - 30, r.right() + 30):
            c = shot.pixelColor(int(x * dpr), int(y * dpr))
            reds += c.red() > 150 and c.green() < 90 and c.blue() < 90
            darks += c.red() < 60 and c.green() < 60 and c.blue() < 60
    assert reds > 10  # "pred X" in red
    assert darks > 10  # "true Y" in black


def test_no_mistakes_and_clear(panel: MisclassifiedPanel) -> None:
    images, true, _, probs = results(n=50, n_wrong=0)
    panel.set_results(images, true, true, probs, LETTERS)
    assert panel.count_text() == "0 of 50 test images misclassified (0.00%)"
    assert panel.gallery.count() == 0
    panel.clear()
    assert panel.wrong_count() == 0
    assert "appear when a run finishes" in panel.count_text()


def test_bad_shapes_are_rejected(panel: MisclassifiedPanel) -> None:
    images, true, pred, probs = results(n=40, n_wrong=5)
    with pytest.raises(ValueError, match="must match"):
        panel.set_results(images, true[:-1], pred, None, LETTERS)
    with pytest.raises(ValueError, match="probabilities have shape"):
        panel.set_results(images, true, pred, probs[:, :5], LETTERS)


def test_screenshot_with_real_notmnist(
    panel: MisclassifiedPanel, shared_data: Path, qtbot, tmp_path: Path
) -> None:
    d = np.load(shared_data / "notmnist_small.npz")
    order = np.random.default_rng(0).permutation(len(d["labels"]))
    x, y = d["images"][order], d["labels"][order].astype(np.int64)
    train_x, train_y, test_x, test_y = x[:4000], y[:4000], x[4000:6000], y[4000:6000]
    flat = train_x.reshape(len(train_x), -1).astype(np.float64) / 255
    means = np.stack([flat[train_y == k].mean(axis=0) for k in range(10)])
    dist = ((test_x.reshape(len(test_x), -1)[:, None, :] / 255 - means[None]) ** 2).sum(axis=2)
    logits = -dist / 5
    probs = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    pred = probs.argmax(axis=1)
    panel.set_results(test_x, test_y, pred, probs, LETTERS)
    n_wrong = int((pred != test_y).sum())
    assert panel.count_text().startswith(f"{n_wrong:,} of 2,000 test images misclassified")
    qtbot.wait(20)
    image = panel.grab().toImage()
    image.save(str(tmp_path / "misclassified.png"))
    if os.environ.get("GLYPH_LAB_SCREENSHOTS"):
        image.save(str(Path(os.environ["GLYPH_LAB_SCREENSHOTS"]) / "misclassified.png"))
