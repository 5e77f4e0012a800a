"""A live knob: a slider and a spin box showing one float, on a log or a linear scale."""

from __future__ import annotations

import math

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QAbstractSpinBox, QDoubleSpinBox, QHBoxLayout, QSlider, QWidget

SLIDER_STEPS = 1000


class Knob(QWidget):
    """A slider and a spin box showing one float, on a log or a linear scale.

    Parameters
    ----------
    low, high:
        The range (``low`` > 0 for a log scale).
    scale:
        ``"log"`` or ``"linear"``.
    allow_zero:
        Log scale only: the slider's leftmost position (and the spin box's minimum) is 0.
    decimals:
        Decimals in the spin box.
    why:
        Tooltip text explaining the range.
    parent:
        Optional Qt parent.

    Signals
    -------
    valueChanged(float)
        The user set a new value (on slider release, Enter, or a spin-box arrow).
    """

    valueChanged = Signal(float)

    def __init__(
        self,
        low: float,
        high: float,
        *,
        scale: str = "log",
        allow_zero: bool = False,
        decimals: int = 4,
        why: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.low, self.high, self.scale, self.allow_zero = low, high, scale, allow_zero
        self.slider = QSlider(Qt.Orientation.Horizontal, self)
        self.slider.setRange(0, SLIDER_STEPS)
        self.slider.setTracking(False)
        self.spin = QDoubleSpinBox(self)
        self.spin.setDecimals(decimals)
        self.spin.setRange(0.0 if allow_zero else low, high)
        self.spin.setStepType(QAbstractSpinBox.StepType.AdaptiveDecimalStepType)
        self.spin.setKeyboardTracking(False)
        self.spin.setCorrectionMode(QAbstractSpinBox.CorrectionMode.CorrectToNearestValue)
        self.spin.setMinimumWidth(84)
        self.why = why
        self._set_tooltips(why)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.spin)
        self.slider.sliderMoved.connect(self._slider_moved)
        self.slider.valueChanged.connect(self._slider_changed)
        self.spin.valueChanged.connect(self._spin_changed)

    def _to_position(self, value: float) -> int:
        if self.scale == "linear":
            frac = (value - self.low) / (self.high - self.low)
        elif value <= 0 or value < self.low:
            return 0
        else:
            frac = math.log(value / self.low) / math.log(self.high / self.low)
            if self.allow_zero:  # position 0 is reserved for the value 0
                return 1 + round(frac * (SLIDER_STEPS - 1))
        return round(min(max(frac, 0.0), 1.0) * SLIDER_STEPS)

    def _to_value(self, position: int) -> float:
        if self.scale == "linear":
            return self.low + (self.high - self.low) * position / SLIDER_STEPS
        if self.allow_zero:
            if position == 0:
                return 0.0
            frac = (position - 1) / (SLIDER_STEPS - 1)
        else:
            frac = position / SLIDER_STEPS
        value = self.low * (self.high / self.low) ** frac
        digits = max(0, 2 - math.floor(math.log10(value)))  # three significant figures
        return round(value, digits)

    def value(self) -> float:
        """The current value."""
        return float(self.spin.value())

    def setValue(self, value: float) -> None:
        """Show ``value`` (clamped to the range) without emitting :attr:`valueChanged`."""
        blockers = (self.spin.blockSignals(True), self.slider.blockSignals(True))
        try:
            self.spin.setValue(float(value))
            self.slider.setValue(self._to_position(self.spin.value()))
        finally:
            self.spin.blockSignals(blockers[0])
            self.slider.blockSignals(blockers[1])

    def set_unused(self, reason: str | None) -> None:
        """Disable the knob with ``reason`` as its tooltip, or (None) enable it with its own.

        A model that has no use for the knob gets it disabled, so the learner does not turn a
        knob that changes nothing; the tooltip says why in plain words.
        """
        self.setEnabled(reason is None)
        self._set_tooltips(self.why if reason is None else reason)

    def _set_tooltips(self, text: str) -> None:
        for w in (self, self.slider, self.spin):
            w.setToolTip(text)

    def _slider_moved(self, position: int) -> None:
        was = self.spin.blockSignals(True)
        self.spin.setValue(self._to_value(position))
        self.spin.blockSignals(was)

    def _slider_changed(self, position: int) -> None:
        was = self.spin.blockSignals(True)
        self.spin.setValue(self._to_value(position))
        self.spin.blockSignals(was)
        self.valueChanged.emit(self.value())

    def _spin_changed(self, value: float) -> None:
        was = self.slider.blockSignals(True)
        self.slider.setValue(self._to_position(value))
        self.slider.blockSignals(was)
        self.valueChanged.emit(float(value))
