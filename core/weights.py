"""Weights -> display-ready tiles and one mosaic with NaN gutters (numpy only).

The weights panel shows one 2-D ``float32`` array in a single image item, with display levels
``(-limit, +limit)`` and a diverging colour map; NaN gutters separate the tiles. Three kinds:

``"output"``
    Logistic regression: the 784 weights of each of the 10 output neurons as a 28x28 tile,
    in class order (A..J or 0..9).
``"hidden"``
    An MLP's first hidden layer: the 784 input weights of up to 225 hidden units chosen at
    random once per run (a 15x15 mosaic).
``"filters"``
    A CNN's first convolution: one ``kh x kw`` tile per filter.
"""

from __future__ import annotations

import math

import numpy as np

IMAGE_SIDE = 28
IMAGE_PIXELS = IMAGE_SIDE * IMAGE_SIDE
DEFAULT_HIDDEN_UNITS = 225
KINDS = ("output", "hidden", "filters")
LIMIT_SAMPLE = 20_000  # symmetric_limit reads at least this many values, evenly spaced


def grid_shape(n: int, columns: int | None = None) -> tuple[int, int]:
    """Rows and columns of a grid holding ``n`` tiles, as square as possible.

    Parameters
    ----------
    n:
        Number of tiles (``>= 0``).
    columns:
        Force this many columns; ``None`` picks ``ceil(sqrt(n))``.

    Returns
    -------
    tuple[int, int]
        ``(rows, columns)``; ``(0, 0)`` for no tiles.
    """
    if n < 0:
        raise ValueError(f"number of tiles must be >= 0, got {n}")
    if n == 0:
        return 0, 0
    if columns is None:
        columns = math.ceil(math.sqrt(n))
    if columns < 1:
        raise ValueError(f"columns must be >= 1, got {columns}")
    columns = min(columns, n)
    return math.ceil(n / columns), columns


def mosaic(tiles: np.ndarray, columns: int | None = None, gutter: int = 1) -> np.ndarray:
    """Lay ``(n, h, w)`` tiles out row by row in one 2-D array with NaN gutters.

    Parameters
    ----------
    tiles:
        Array of shape ``(n, h, w)``.
    columns:
        Tiles per row; ``None`` makes the grid as square as possible (see :func:`grid_shape`).
    gutter:
        Width in pixels of the NaN lines between tiles (none around the outside).

    Returns
    -------
    numpy.ndarray
        ``float32`` array of shape ``(rows*h + (rows-1)*gutter, cols*w + (cols-1)*gutter)``;
        tile ``k`` sits at grid cell ``(k // cols, k % cols)``; gutters and unused cells are NaN.
    """
    tiles = np.asarray(tiles, dtype=np.float32)
    if tiles.ndim != 3:
        raise ValueError(f"tiles must be (n, h, w), got shape {tiles.shape}")
    if gutter < 0:
        raise ValueError(f"gutter must be >= 0, got {gutter}")
    n, h, w = tiles.shape
    rows, cols = grid_shape(n, columns)
    if n == 0:
        return np.full((0, 0), np.nan, dtype=np.float32)
    out = np.full(
        (rows * h + (rows - 1) * gutter, cols * w + (cols - 1) * gutter), np.nan, dtype=np.float32
    )
    for k in range(n):
        r, c = divmod(k, cols)
        top, left = r * (h + gutter), c * (w + gutter)
        out[top : top + h, left : left + w] = tiles[k]
    return out


def symmetric_limit(values: np.ndarray, percentile: float = 99.0) -> float:
    """A positive display level ``m`` so the colour levels are ``(-m, m)``.

    Parameters
    ----------
    values:
        Any array; NaN and infinite entries are ignored.
    percentile:
        Percentile of ``|values|`` used, so a few outliers don't wash out the rest.

    Returns
    -------
    float
        The percentile of ``|values|``; if that is 0, the largest ``|value|``; if all values are
        0 (or there are none), ``1.0``. Never 0, never NaN. Above :data:`LIMIT_SAMPLE` values
        the percentile is taken over evenly spaced ones (at least that many): a colour level,
        not a statistic, and much cheaper for nn1024's 176,400 shown weights.
    """
    a = np.abs(np.asarray(values, dtype=np.float32)).ravel()
    sample = a[:: max(1, a.size // LIMIT_SAMPLE)]
    sample = sample[np.isfinite(sample)]
    m = float(np.percentile(sample, percentile)) if sample.size else 0.0
    if m <= 0.0:
        finite = a[np.isfinite(a)]
        m = float(finite.max()) if finite.size else 0.0
    return m if m > 0.0 else 1.0


def _check_dense_kernel(kernel: np.ndarray) -> np.ndarray:
    kernel = np.asarray(kernel, dtype=np.float32)
    if kernel.ndim != 2 or kernel.shape[0] != IMAGE_PIXELS:
        raise ValueError(f"dense kernel must be ({IMAGE_PIXELS}, units), got {kernel.shape}")
    return kernel


def output_tiles(kernel: np.ndarray) -> np.ndarray:
    """The output neurons' input weights of logistic regression as 28x28 tiles.

    Parameters
    ----------
    kernel:
        Dense kernel of shape ``(784, classes)`` (inputs are row-major flattened 28x28 images).

    Returns
    -------
    numpy.ndarray
        ``float32`` array ``(classes, 28, 28)``; tile ``k`` is class ``k`` (A..J or 0..9).
    """
    kernel = _check_dense_kernel(kernel)
    return np.ascontiguousarray(kernel.T.reshape(-1, IMAGE_SIDE, IMAGE_SIDE))


def choose_hidden_units(
    n_hidden: int, count: int = DEFAULT_HIDDEN_UNITS, seed: int = 0
) -> np.ndarray:
    """Pick which hidden units to show, once per run.

    Parameters
    ----------
    n_hidden:
        Number of units in the hidden layer.
    count:
        How many to show (225 makes a 15x15 mosaic).
    seed:
        Random seed; the same seed always gives the same units.

    Returns
    -------
    numpy.ndarray
        Sorted ``int64`` unit indices: ``count`` distinct units drawn at random, or all units
        when the layer has no more than ``count``.
    """
    if n_hidden < 0 or count < 0:
        raise ValueError(f"n_hidden and count must be >= 0, got {n_hidden} and {count}")
    if n_hidden <= count:
        return np.arange(n_hidden, dtype=np.int64)
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n_hidden, size=count, replace=False)).astype(np.int64)


def hidden_tiles(kernel: np.ndarray, units: np.ndarray) -> np.ndarray:
    """The input weights of the chosen hidden units as 28x28 tiles.

    Parameters
    ----------
    kernel:
        First dense layer's kernel, shape ``(784, n_hidden)``.
    units:
        Unit indices, e.g. from :func:`choose_hidden_units`.

    Returns
    -------
    numpy.ndarray
        ``float32`` array ``(len(units), 28, 28)``; tile ``i`` is unit ``units[i]``.
    """
    kernel = _check_dense_kernel(kernel)
    units = np.asarray(units, dtype=np.int64).reshape(-1)
    # take, then one transposing copy: cheaper than reshaping the strided kernel[:, units].T
    columns = np.ascontiguousarray(kernel.take(units, axis=1).T)
    return columns.reshape(-1, IMAGE_SIDE, IMAGE_SIDE)


def filter_tiles(kernel: np.ndarray) -> np.ndarray:
    """First-layer convolution filters as tiles.

    Parameters
    ----------
    kernel:
        Keras ``Conv2D`` kernel of shape ``(kh, kw, in_channels, filters)``. With more than one
        input channel the tile is the **average over the input channels**.

    Returns
    -------
    numpy.ndarray
        ``float32`` array ``(filters, kh, kw)``; tile ``k`` is filter ``k``.
    """
    kernel = np.asarray(kernel, dtype=np.float32)
    if kernel.ndim != 4:
        raise ValueError(f"conv kernel must be (kh, kw, in, out), got {kernel.shape}")
    return np.ascontiguousarray(np.transpose(kernel.mean(axis=2), (2, 0, 1)))


def weight_display(
    kind: str,
    kernel: np.ndarray,
    units: np.ndarray | None = None,
) -> tuple[np.ndarray, tuple[int, int], tuple[int, int], float]:
    """Everything the weights panel needs for one kernel.

    Parameters
    ----------
    kind:
        ``"output"``, ``"hidden"`` or ``"filters"`` (see the module docstring).
    kernel:
        The layer's kernel: ``(784, classes)``, ``(784, n_hidden)`` or ``(kh, kw, in, out)``.
    units:
        For ``"hidden"``: which units to show; ``None`` uses :func:`choose_hidden_units` with its
        defaults. Pass the same units every time during a run so tiles don't jump around.

    Returns
    -------
    tuple
        ``(mosaic, tile_shape, grid, limit)``: the 2-D ``float32`` mosaic with 1-px NaN gutters,
        ``(h, w)`` of one tile, ``(rows, columns)`` of the grid, and the symmetric display level.
    """
    if kind == "output":
        tiles = output_tiles(kernel)
    elif kind == "hidden":
        if units is None:
            units = choose_hidden_units(np.shape(kernel)[-1])
        tiles = hidden_tiles(kernel, units)
    elif kind == "filters":
        tiles = filter_tiles(kernel)
    else:
        raise ValueError(f"unknown weight display kind {kind!r}; expected one of {KINDS}")
    grid = grid_shape(len(tiles))
    tile_shape = (int(tiles.shape[1]), int(tiles.shape[2]))
    return mosaic(tiles), tile_shape, grid, symmetric_limit(tiles)
