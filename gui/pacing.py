"""The window's training pace and single steps, kept in step everywhere they show.

One pace setting (steps per second, or None for full speed) shows in the controls' picker, the
Run menu's *Pace* items and the status bar; :meth:`WindowPace.set_pace` changes all of them and
the session's (a lesson step calls it too). At a pace the weight mosaic is drawn at every
repaint, since training leaves the CPU idle; at full speed the window paints as it always has.

:meth:`WindowPace.step` is the Step button: a running run pauses and runs exactly ``n`` steps;
with no run, a new one starts paused and runs ``n`` steps.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QMenu

from core.training.pace import PACES, check_pace
from gui.panels.pace_box import PACE_KEYS, STEP10_KEYS, STEP_KEYS, pace_label, pace_tip
from gui.repaint import WEIGHTS_INTERVAL_S

if TYPE_CHECKING:
    from gui.main_window import MainWindow
    from gui.menus import WindowMenus


class WindowPace(QObject):
    """The pace of ``window``'s runs, and its Step actions."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.pace_actions: dict[float | None, QAction] = {}
        self._group = QActionGroup(self)
        self._group.setExclusionPolicy(QActionGroup.ExclusionPolicy.ExclusiveOptional)
        self._show(window.session.pace)

    @property
    def pace(self) -> float | None:
        """Steps per second (None: full speed)."""
        return self.window.session.pace

    def set_pace(self, steps_per_second: float | None) -> None:
        """Train at ``steps_per_second`` (None: full speed) from the next call on; show it.

        Raises
        ------
        ValueError
            Not None nor a positive finite number.
        """
        pace = check_pace(steps_per_second)
        self.window.session.set_pace(pace)
        self._show(pace)

    def _show(self, pace: float | None) -> None:
        w = self.window
        w.controls.pace.set_pace(pace)
        action = self.pace_actions.get(pace)
        if action is not None:
            action.setChecked(True)
        else:
            for other in self.pace_actions.values():
                other.setChecked(False)
        w.status.set_pace(f"pace: {pace_label(pace).lower()}", pace_tip())
        w.pacer.weights_interval = WEIGHTS_INTERVAL_S if pace is None else 0.0

    def step(self, steps: int) -> None:
        """Run exactly ``steps`` steps, then stay paused (a new run starts paused)."""
        w = self.window
        if w.running:
            w.session.advance(steps)
        elif w.dataset is None:
            w.statusBar().showMessage("Load a dataset first", 4000)
        else:
            w.start_training(paused_steps=steps)

    def add_to_menu(self, menus: WindowMenus, menu: QMenu) -> tuple[QAction, QAction]:
        """Step, Step x10 and a Pace submenu in ``menu`` (the Run menu); the two Step actions."""
        menu.addSeparator()
        one = "Run one training step, then stay paused (a new run starts paused)"
        step = menus.action("Step", lambda: self.step(1), STEP_KEYS, one)
        ten = "Run ten training steps, then stay paused"
        step10 = menus.action("Step ×10", lambda: self.step(10), STEP10_KEYS, ten)
        menu.addAction(step)
        menu.addAction(step10)
        pace_menu = menu.addMenu("&Pace")
        pace_menu.setToolTipsVisible(True)
        for pace in (None, *sorted(PACES, reverse=True)):
            action = menus.action(
                pace_label(pace),
                lambda p=pace: self.set_pace(p),
                (PACE_KEYS[pace],),
                "Train at full speed"
                if pace is None
                else f"Train at {pace_label(pace)}: slow enough to watch it learn",
            )
            action.setCheckable(True)
            self._group.addAction(action)
            pace_menu.addAction(action)
            self.pace_actions[pace] = action
        self._show(self.pace)
        return step, step10
