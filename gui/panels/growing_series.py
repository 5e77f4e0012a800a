"""Plot data that grows one point at a time: preallocated arrays that double when full."""

from __future__ import annotations

import itertools

import numpy as np

_VERSIONS = itertools.count()  # unique across all series, copies included


class GrowingSeries:
    """(x, y) points in preallocated float arrays that double when full.

    Parameters
    ----------
    capacity:
        Initial number of points the arrays hold.
    """

    def __init__(self, capacity: int = 1024) -> None:
        self._x = np.empty(capacity, dtype=np.float64)
        self._y = np.empty(capacity, dtype=np.float64)
        self.n = 0
        self.version = next(_VERSIONS)  # new on every change: views redraw only what changed

    def append(self, x: float, y: float) -> None:
        """Add one point (the arrays double when full)."""
        if self.n == len(self._x):
            self._x = np.concatenate([self._x, np.empty_like(self._x)])
            self._y = np.concatenate([self._y, np.empty_like(self._y)])
        self._x[self.n] = x
        self._y[self.n] = y
        self.n += 1
        self.version = next(_VERSIONS)

    def clear(self) -> None:
        """Forget every point (the arrays are kept)."""
        self.n = 0
        self.version = next(_VERSIONS)

    @property
    def capacity(self) -> int:
        """Points the arrays can hold before they grow."""
        return len(self._x)

    @property
    def x(self) -> np.ndarray:
        """The x values so far (a view)."""
        return self._x[: self.n]

    @property
    def y(self) -> np.ndarray:
        """The y values so far (a view)."""
        return self._y[: self.n]

    def copy(self) -> GrowingSeries:
        """An independent copy holding the same points."""
        other = GrowingSeries(max(self.n, 1))
        other._x[: self.n] = self.x
        other._y[: self.n] = self.y
        other.n = self.n
        other.version = next(_VERSIONS)
        return other
