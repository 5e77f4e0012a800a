"""The learning curves' axes: the 1-2-5 ranges they step through, and the labelled loss axis.

Both the step axis and the loss axis widen in 1-2-5 stages (100, 200, 500 ...), so they change
a few times per run instead of on every repaint.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

STAGES = (1.0, 2.0, 5.0)
LOSS_PADDING = 0.04  # of the loss axis's span (in decades) on each side of its 1-2-5 range
_EPS = 1e-9  # relative: a value this close to a stage counts as on it


def _stage(k: int) -> float:
    """The ``k``-th value of the 1-2-5 ladder: ... 0.5, 1 (k = 0), 2, 5, 10, 20 ..."""
    return STAGES[k % 3] * 10.0 ** (k // 3)


def _stage_below(v: float) -> int:
    """The largest ``k`` with ``_stage(k) <= v`` (``v > 0``)."""
    k = 3 * int(np.floor(np.log10(v)))
    while _stage(k + 1) <= v * (1 + _EPS):
        k += 1
    while _stage(k) > v * (1 + _EPS):
        k -= 1
    return k


def _stage_above(v: float) -> int:
    """The smallest ``k`` with ``_stage(k) >= v`` (``v > 0``)."""
    k = _stage_below(v)
    return k if _stage(k) >= v * (1 - _EPS) else k + 1


def x_extent(step: float, total_steps: int) -> float:
    """The right end of the step axis while ``step`` is the last step drawn.

    The axis grows in 1-2-5 stages (100, 200, 500, 1000, ...) up to the run's length, so the
    early steps are not squeezed against the left edge, yet the axes (costly to redraw) change
    only a few times per run instead of on every repaint.
    """
    nice = _stage(_stage_above(max(10.0, 1.05 * float(step))))
    return float(min(nice, total_steps)) if total_steps > 0 else float(nice)


def loss_extent(lo: float, hi: float) -> tuple[float, float]:
    """The loss axis's range holding every loss in ``lo..hi`` (both > 0).

    The ends are the 1-2-5 values at or just beyond the data (0.2..5 for losses 0.23..2.3), so,
    like the step axis, the loss axis changes a few times per run. pyqtgraph's own auto range
    follows every new low of the noisy minibatch loss, and each change redraws the axis and
    recomputes every curve's bounds: that was a fifth of a repaint's CPU time.
    """
    low = _stage_below(lo)
    return _stage(low), _stage(max(_stage_above(hi), low + 1))


def _is_125(log_value: float) -> bool:
    mantissa = 10.0 ** (log_value - np.floor(log_value + 1e-9))
    return any(abs(mantissa - m) < 1e-6 for m in (1.0, 2.0, 5.0))


class LossAxis(pg.AxisItem):
    """A log axis labelled at 0.1, 0.2, 0.5, 1, 2, 5 ... with unlabelled minor ticks between.

    pyqtgraph labels 1..9 of every decade, and those labels pile up between 0.6 and 1.
    """

    def logTickValues(self, minVal: float, maxVal: float, size: float, stdTicks: list) -> list:
        """Major ticks at 1-2-5, minor ticks at the other integers of each decade."""
        decades = range(int(np.floor(minVal)), int(np.ceil(maxVal)) + 1)
        every = [d + np.log10(m) for d in decades for m in range(1, 10)]
        inside = [v for v in every if minVal <= v <= maxVal]
        major = [v for v in inside if _is_125(v)]
        if len(major) < 2:  # less than a decade and a half: let pyqtgraph label it
            return super().logTickValues(minVal, maxVal, size, stdTicks)
        return [(None, major), (None, [v for v in inside if not _is_125(v)])]

    def logTickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        """``0.2``, ``1``, ``5`` ... for the 1-2-5 ticks, nothing for the minor ones."""
        return [f"{10.0**v:.3g}" if _is_125(v) else "" for v in values]


class AccuracyAxis(pg.AxisItem):
    """The accuracy axis (percent): ticks within 0..100 only, spaced as for that span.

    The plot keeps room above 100 for the knob-marker labels. Spacing the ticks for the whole
    view would make that room change them (10s on one height, 50s on another) and add a
    meaningless 110 % tick.
    """

    def tickValues(self, minVal: float, maxVal: float, size: float) -> list:
        """The ticks pyqtgraph would give the part of the view inside 0..100 %."""
        lo, hi = max(minVal, 0.0), min(maxVal, 100.0)
        if hi <= lo or maxVal <= minVal:
            return super().tickValues(minVal, maxVal, size)
        return super().tickValues(lo, hi, size * (hi - lo) / (maxVal - minVal))
