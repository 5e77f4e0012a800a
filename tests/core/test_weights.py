from __future__ import annotations

import numpy as np
import pytest

from core.weights import (
    choose_hidden_units,
    filter_tiles,
    grid_shape,
    hidden_tiles,
    mosaic,
    output_tiles,
    symmetric_limit,
    weight_display,
)


def constant_column_kernel(units: int) -> np.ndarray:
    """A (784, units) kernel whose column k is the constant k."""
    return np.tile(np.arange(units, dtype=np.float32), (784, 1))


def tile_at(m: np.ndarray, r: int, c: int, h: int, w: int, gutter: int = 1) -> np.ndarray:
    return m[r * (h + gutter) : r * (h + gutter) + h, c * (w + gutter) : c * (w + gutter) + w]


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (0, (0, 0)),
        (1, (1, 1)),
        (2, (1, 2)),
        (4, (2, 2)),
        (5, (2, 3)),
        (10, (3, 4)),
        (32, (6, 6)),
        (225, (15, 15)),
        (226, (15, 16)),
    ],
)
def test_grid_shape_is_as_square_as_possible(n: int, expected: tuple[int, int]) -> None:
    assert grid_shape(n) == expected
    rows, cols = expected
    assert rows * cols >= n


def test_grid_shape_with_forced_columns() -> None:
    assert grid_shape(10, columns=5) == (2, 5)
    assert grid_shape(3, columns=8) == (1, 3)
    with pytest.raises(ValueError):
        grid_shape(3, columns=0)


def test_mosaic_shape_gutters_and_unused_cells() -> None:
    tiles = np.arange(5 * 3 * 4, dtype=np.float32).reshape(5, 3, 4)
    m = mosaic(tiles)
    assert m.dtype == np.float32
    assert m.shape == (2 * 3 + 1, 3 * 4 + 2)  # 2 rows x 3 columns, 1-px gutters between
    assert np.isnan(m[3, :]).all()  # horizontal gutter
    assert np.isnan(m[:, 4]).all()
    assert np.isnan(m[:, 9]).all()
    assert np.isnan(tile_at(m, 1, 2, 3, 4)).all()  # the sixth cell is unused
    for k in range(5):
        np.testing.assert_array_equal(tile_at(m, k // 3, k % 3, 3, 4), tiles[k])
    # Only the gutters and the unused cell are NaN.
    assert np.isnan(m).sum() == m.size - tiles.size


def test_mosaic_wider_gutter_and_columns() -> None:
    tiles = np.ones((4, 2, 2), dtype=np.float32)
    m = mosaic(tiles, columns=4, gutter=2)
    assert m.shape == (2, 4 * 2 + 3 * 2)
    assert np.isnan(m[:, 2:4]).all()
    assert not np.isnan(mosaic(tiles, gutter=0)).any()


def test_mosaic_rejects_wrong_rank() -> None:
    with pytest.raises(ValueError, match="n, h, w"):
        mosaic(np.zeros((28, 28)))


def test_symmetric_limit_is_robust_and_positive() -> None:
    rng = np.random.default_rng(0)
    w = rng.normal(size=10_000)
    w[0] = 1000.0  # one outlier must not set the level
    m = symmetric_limit(w)
    assert 2.0 < m < 3.5
    assert symmetric_limit(-w) == pytest.approx(m)  # symmetric in the sign of the weights
    assert symmetric_limit(np.array([np.nan, -2.0, 2.0, np.nan])) == pytest.approx(2.0)
    assert symmetric_limit(np.zeros(10)) == 1.0
    assert symmetric_limit(np.array([np.nan])) == 1.0
    sparse = np.zeros(1000)
    sparse[0] = -0.5
    assert symmetric_limit(sparse) == pytest.approx(0.5)  # percentile 0 -> falls back to max


def test_symmetric_limit_of_a_large_layer_samples_but_stays_close() -> None:
    w = np.random.default_rng(1).standard_t(3, size=(784, 225)).astype(np.float32)
    assert symmetric_limit(w) == pytest.approx(np.percentile(np.abs(w), 99.0), rel=0.03)
    sparse = np.zeros(100_000, np.float32)
    sparse[1] = np.nan
    sparse[3] = -0.7  # not among the sampled values: the fallback still sees every value
    assert symmetric_limit(sparse) == pytest.approx(0.7)


def test_output_tiles_put_class_k_weights_in_tile_k() -> None:
    kernel = constant_column_kernel(10)
    tiles = output_tiles(kernel)
    assert tiles.shape == (10, 28, 28)
    for k in range(10):
        assert (tiles[k] == k).all()


def test_output_tiles_are_row_major_images() -> None:
    kernel = np.zeros((784, 10), dtype=np.float32)
    kernel[3 * 28 + 5, 2] = 1.0  # pixel (row 3, column 5) of class 2
    tiles = output_tiles(kernel)
    assert tiles[2, 3, 5] == 1.0
    assert tiles.sum() == 1.0


def test_dense_kernels_must_have_784_inputs() -> None:
    with pytest.raises(ValueError, match="784"):
        output_tiles(np.zeros((100, 10)))
    with pytest.raises(ValueError, match="784"):
        hidden_tiles(np.zeros((10, 784)), np.arange(3))


def test_choose_hidden_units_is_deterministic_sorted_and_distinct() -> None:
    a = choose_hidden_units(1024, seed=3)
    b = choose_hidden_units(1024, seed=3)
    np.testing.assert_array_equal(a, b)
    assert len(a) == 225
    assert len(np.unique(a)) == 225
    assert (np.diff(a) > 0).all()
    assert a.min() >= 0
    assert a.max() < 1024
    assert not np.array_equal(a, choose_hidden_units(1024, seed=4))
    np.testing.assert_array_equal(choose_hidden_units(100), np.arange(100))
    assert len(choose_hidden_units(50, count=10)) == 10


def test_hidden_tiles_pick_the_chosen_units() -> None:
    kernel = constant_column_kernel(1024)
    units = choose_hidden_units(1024)
    tiles = hidden_tiles(kernel, units)
    assert tiles.shape == (225, 28, 28)
    np.testing.assert_array_equal(tiles[:, 0, 0], units.astype(np.float32))


def test_filter_tiles_single_and_multi_channel() -> None:
    kernel = np.zeros((5, 5, 1, 32), dtype=np.float32)
    kernel[1, 2, 0, 7] = 3.0
    tiles = filter_tiles(kernel)
    assert tiles.shape == (32, 5, 5)
    assert tiles[7, 1, 2] == 3.0
    assert tiles.sum() == 3.0
    multi = np.zeros((3, 3, 4, 2), dtype=np.float32)
    multi[0, 0, :, 1] = [1.0, 2.0, 3.0, 6.0]
    assert filter_tiles(multi)[1, 0, 0] == pytest.approx(3.0)  # average over input channels
    with pytest.raises(ValueError):
        filter_tiles(np.zeros((3, 3, 4)))


def test_weight_display_output() -> None:
    kernel = constant_column_kernel(10) - 4.5
    m, tile_shape, grid, limit = weight_display("output", kernel)
    assert tile_shape == (28, 28)
    assert grid == (3, 4)
    assert m.shape == (3 * 28 + 2, 4 * 28 + 3)
    for k in range(10):
        assert (tile_at(m, k // 4, k % 4, 28, 28) == k - 4.5).all()
    assert np.isnan(tile_at(m, 2, 2, 28, 28)).all()
    assert limit == pytest.approx(4.5)


def test_weight_display_hidden_is_15_by_15() -> None:
    kernel = constant_column_kernel(1024)
    units = choose_hidden_units(1024, seed=1)
    m, tile_shape, grid, limit = weight_display("hidden", kernel, units)
    assert grid == (15, 15)
    assert tile_shape == (28, 28)
    assert m.shape == (15 * 28 + 14, 15 * 28 + 14)
    assert tile_at(m, 14, 14, 28, 28)[0, 0] == units[-1]
    assert limit > 0
    # Without units the default choice is used, the same every time.
    m2, *_ = weight_display("hidden", kernel)
    m3, *_ = weight_display("hidden", kernel)
    np.testing.assert_array_equal(m2, m3)


def test_weight_display_filters_and_unknown_kind() -> None:
    kernel = np.random.default_rng(0).normal(size=(5, 5, 1, 16)).astype(np.float32)
    m, tile_shape, grid, limit = weight_display("filters", kernel)
    assert (tile_shape, grid) == ((5, 5), (4, 4))
    assert m.shape == (4 * 5 + 3, 4 * 5 + 3)
    np.testing.assert_array_equal(tile_at(m, 1, 2, 5, 5), kernel[:, :, 0, 6])
    assert limit == pytest.approx(symmetric_limit(kernel))
    with pytest.raises(ValueError, match="unknown"):
        weight_display("bias", kernel)
