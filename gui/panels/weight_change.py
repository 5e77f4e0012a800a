"""What the last step(s) did to the weights: the difference of the two newest snapshots.

The weights panel's *Change* view draws ``latest.mosaic - previous.mosaic`` in the same
blue-white-red colour map as the weights, with symmetric levels around zero (red: the weight
grew, blue: it shrank). The levels follow the largest change, not the weights' own limit: one
SGD step moves a weight by a small fraction of its size, and at the weights' levels it would be
white. After a Step the two snapshots are one step apart, so the view shows one SGD update.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.events import WeightSnapshot

TINY_LIMIT = 1e-12  # the colour limit of a change that is zero everywhere


@dataclass(frozen=True)
class WeightChange:
    """The change of the weight mosaic from step ``before`` to step ``after``.

    ``mosaic`` keeps the snapshots' NaN gutters; ``limit`` is the largest absolute change.
    """

    before: int
    after: int
    mosaic: np.ndarray
    limit: float

    @property
    def steps(self) -> int:
        """Training steps between the two snapshots."""
        return self.after - self.before


def weight_change(previous: WeightSnapshot | None, latest: WeightSnapshot) -> WeightChange | None:
    """``latest - previous``, or None when they do not show the same tiles of one run.

    ``previous`` must be older (a smaller step) and of the same kind and layout; a new run's
    first snapshot after another run's last one is not a change.
    """
    if (
        previous is None
        or previous.step >= latest.step
        or previous.kind != latest.kind
        or previous.mosaic.shape != latest.mosaic.shape
        or previous.grid != latest.grid
    ):
        return None
    diff = np.asarray(latest.mosaic, np.float32) - np.asarray(previous.mosaic, np.float32)
    finite = np.abs(diff[np.isfinite(diff)])
    limit = float(finite.max()) if finite.size else 0.0
    return WeightChange(previous.step, latest.step, diff, limit)


def change_caption(change: WeightChange) -> str:
    """The caption over a change: which steps, and the largest change."""
    return f"<b>Change</b> step {change.before:,} → {change.after:,} · largest ±{change.limit:.2g}"
