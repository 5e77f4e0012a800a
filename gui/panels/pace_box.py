"""The pace picker and the Step buttons of the controls' Training box.

The picker offers *Full speed* and the paces of :data:`core.training.pace.PACES`; it stays
enabled during a run, and a change takes effect at the run's next compiled call. Every choice
has a shortcut (the Run menu's, :data:`PACE_KEYS`); the tooltips name them.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QPushButton, QWidget

from core.training.pace import PACES

# Ctrl+1 is the slowest pace, Ctrl+5 full speed: a larger number is faster
PACE_KEYS: dict[float | None, str] = {
    **{pace: f"Ctrl+{i}" for i, pace in enumerate(PACES, start=1)},
    None: f"Ctrl+{len(PACES) + 1}",
}
STEP_KEYS = ("N", ".")  # one training step
STEP10_KEYS = ("Shift+N",)  # ten training steps


def pace_label(steps_per_second: float | None) -> str:
    """``"Full speed"`` or ``"30 steps/s"``."""
    if steps_per_second is None:
        return "Full speed"
    return f"{steps_per_second:g} steps/s"


def pace_tip() -> str:
    """The picker's tooltip: what it does and every shortcut."""
    keys = ", ".join(f"{PACE_KEYS[p]} {pace_label(p).lower()}" for p in (*PACES, None))
    return (
        "How fast training runs: full speed, or slowly enough to watch the curves, the weights "
        f"and the pad follow every step. Takes effect at once, also during a run ({keys})"
    )


class PaceCombo(QComboBox):
    """Full speed first, then the paces from fastest to slowest.

    Signals
    -------
    pace_chosen(object)
        The learner picked a pace: steps per second, or None for full speed.
    """

    pace_chosen = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        for pace in (None, *sorted(PACES, reverse=True)):
            self.addItem(pace_label(pace), pace)
        self.setToolTip(pace_tip())
        self.activated.connect(lambda i: self.pace_chosen.emit(self.itemData(i)))

    def pace(self) -> float | None:
        """The pace shown (None: full speed)."""
        return self.currentData()

    def set_pace(self, steps_per_second: float | None) -> None:
        """Show ``steps_per_second`` (added to the list when it is not there), without emitting."""
        index = self.findData(steps_per_second)
        if index < 0:
            self.addItem(pace_label(steps_per_second), steps_per_second)
            index = self.count() - 1
        self.setCurrentIndex(index)


def step_buttons(parent: QWidget) -> tuple[QPushButton, QPushButton]:
    """*Step* and *Step x10*: training steps one at a time on a paused or new run."""
    step = QPushButton("Step", parent)
    step10 = QPushButton("Step ×10", parent)
    step.setToolTip(
        "Run one training step, then stay paused: a new run starts paused, a running one "
        f"pauses first ({' or '.join(STEP_KEYS)})"
    )
    step10.setToolTip(f"Run ten training steps, then stay paused ({STEP10_KEYS[0]})")
    return step, step10
