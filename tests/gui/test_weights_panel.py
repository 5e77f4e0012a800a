from __future__ import annotations

import numpy as np
import pytest

from core.events import WeightSnapshot
from core.weights import mosaic as make_mosaic
from gui.panels.weights import WeightsPanel, tile_origin


@pytest.fixture
def panel(qtbot):
    p = WeightsPanel()
    qtbot.addWidget(p)
    p.resize(400, 400)
    return p


def snapshot(kind: str, n: int, step: int = 7, labels: tuple[str, ...] = ()) -> WeightSnapshot:
    tiles = np.random.default_rng(0).normal(size=(n, 28, 28)).astype(np.float32)
    m = make_mosaic(tiles, columns=5)
    rows = -(-n // 5)
    return WeightSnapshot(step, kind, m, (28, 28), (rows, 5), 2.5, labels)


def test_tile_origin_matches_core_mosaic_layout():
    tiles = np.arange(10)[:, None, None] * np.ones((10, 28, 28), np.float32)
    m = make_mosaic(tiles, columns=5)
    for k in range(10):
        r, c = tile_origin(k, (2, 5), (28, 28))
        assert m[r, c] == k
        assert m[r + 27, c + 27] == k


def test_snapshot_waits_for_the_repaint(panel):
    panel.set_snapshot(snapshot("output", 10))
    assert panel.dirty
    assert panel.image.image is None
    panel.flush()
    assert not panel.dirty
    assert panel.paint_count == 1
    panel.flush()
    assert panel.paint_count == 1


def test_only_the_newest_pending_snapshot_is_drawn(panel):
    panel.set_snapshot(snapshot("hidden", 25, step=10))
    panel.set_snapshot(snapshot("hidden", 25, step=20))
    panel.flush()
    assert panel.paint_count == 1
    assert panel.shown.step == 20
    assert "Step 20" in panel.caption.text()


def test_mosaic_is_one_image_with_symmetric_levels_and_diverging_colours(panel):
    snap = snapshot("output", 10)
    panel.set_snapshot(snap)
    panel.flush()
    assert panel.image.image.shape == snap.mosaic.shape
    assert tuple(panel.image.getLevels()) == (-2.5, 2.5)
    lut = panel.image.lut
    assert lut[0][2] > lut[0][0]  # negative end is blue
    assert lut[-1][0] > lut[-1][2]  # positive end is red
    mid = lut[len(lut) // 2]
    assert min(mid[:3]) > 200  # zero is (nearly) white


def test_logistic_regression_tiles_are_labelled_at_their_tiles(panel):
    panel.set_snapshot(snapshot("output", 10, labels=tuple("ABCDEFGHIJ")))
    panel.flush()
    assert panel.label_texts() == list("ABCDEFGHIJ")
    pos = panel.labels[6].pos()
    r, c = tile_origin(6, (2, 5), (28, 28))
    assert (pos.x(), pos.y()) == pytest.approx((c + 0.5, r + 0.5))
    # a hidden-unit snapshot has no class labels
    panel.set_snapshot(snapshot("hidden", 25))
    panel.flush()
    assert panel.label_texts() == []


def test_clear_forgets_the_mosaic(panel):
    panel.set_snapshot(snapshot("output", 10, labels=tuple("0123456789")))
    panel.flush()
    panel.clear()
    assert panel.shown is None
    assert panel.label_texts() == []


def test_the_caption_says_when_only_a_sample_of_the_units_is_shown():
    import numpy as np

    from core.events import WeightSnapshot
    from gui.panels.weights import caption

    snap = WeightSnapshot(
        5, "hidden", np.zeros((10, 10), np.float32), (28, 28), (15, 15), 1.0, layer_size=1024
    )
    assert caption(snap) == "225 of 1,024 first-layer units"
    assert (
        caption(
            WeightSnapshot(
                5, "filters", np.zeros((4, 4), np.float32), (5, 5), (2, 2), 1.0, layer_size=4
            )
        )
        == "4 first-layer filters"
    )


def test_colour_levels_stay_put_until_the_limit_moves_by_more_than_ten_percent(panel):
    from dataclasses import replace

    from gui.panels.weights import shown_limit

    assert shown_limit(None, 2.0) == 2.0
    assert shown_limit(2.0, 2.15) == 2.0
    assert shown_limit(2.0, 1.85) == 2.0
    assert shown_limit(2.0, 2.3) == 2.3
    assert shown_limit(2.0, 1.7) == 1.7
    snap = snapshot("hidden", 25)
    for limit, expected in ((2.5, 2.5), (2.6, 2.5), (3.0, 3.0), (2.8, 3.0), (1.0, 1.0)):
        panel.set_snapshot(replace(snap, limit=limit))
        panel.flush()
        assert tuple(panel.image.getLevels()) == (-expected, expected)
        assert tuple(panel.colorbar.levels()) == pytest.approx((-expected, expected))
    panel.clear()
    panel.set_snapshot(replace(snap, limit=0.9))
    panel.flush()
    assert tuple(panel.image.getLevels()) == (-0.9, 0.9)
