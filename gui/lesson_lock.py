"""The teacher's lock: keep the window on one lesson step.

While locked, the step's data and preset are fixed (the pickers, File > Open, past runs and
saved models are off, and a load of other data is refused), only the settings the step names
stay usable, and the lesson panel cannot leave the step. The status bar says so. Unlocking
asks for confirmation (tests inject the answer).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QLabel, QMessageBox

if TYPE_CHECKING:
    from gui.main_window import MainWindow

Confirm = Callable[[str], bool]
UNLOCK_QUESTION = (
    "Unlock the lesson? Learners can then change the data, the preset and every setting."
)


class LessonLock(QObject):
    """Locks ``window`` to the lesson step it shows.

    Parameters
    ----------
    window:
        The main window (its ``lessons``, controls, menus and data loading).
    confirm:
        ``confirm(question) -> bool``, asked before unlocking (default: a Yes/No box).
    """

    def __init__(self, window: MainWindow, confirm: Confirm | None = None) -> None:
        super().__init__(window)
        self.w = window
        self.confirm = confirm or self._ask
        self.step_id: str | None = None
        self.label = QLabel("", window.statusBar())
        self.label.setObjectName("lockStatus")
        self.label.hide()
        window.statusBar().addPermanentWidget(self.label)
        # after the window's own slots, so the lock has the last word on what is enabled
        window.session.state_changed.connect(lambda _r, _p: self._apply_menus())
        window.controls.reset_requested.connect(self._restore_step)
        window.controls.preset_selected.connect(self._refuse_preset)

    @property
    def locked(self) -> bool:
        """True while the window is locked to a step."""
        return self.step_id is not None

    def lock(self) -> None:
        """Lock to the step the lesson panel shows, setting its data, preset and values."""
        lessons = self.w.lessons
        step, track = lessons.step, lessons.track
        if step is None or track is None:
            return
        self.step_id = step.id
        lessons.prepare_step()
        self.w.controls.lock_to(step.knobs)
        self.w.lesson_panel.set_locked(True)
        self.w.data.refuse = self._refuse_data
        self.label.setText(f"🔒 Locked: {track.title}, step {lessons.index + 1} ({step.title})")
        self.label.setToolTip("A teacher locked the window to this step (View > Lock to lesson)")
        self.label.show()
        self._apply_menus()

    def unlock(self, *, ask: bool = True) -> bool:
        """Lift the lock, after asking (``ask``); returns whether the window is unlocked."""
        if not self.locked:
            return True
        if ask and not self.confirm(UNLOCK_QUESTION):
            return False
        self.step_id = None
        self.w.controls.lock_to(None)
        self.w.lesson_panel.set_locked(False)
        self.w.data.refuse = None
        self.label.hide()
        self.w.update_actions()
        self._apply_menus()
        return True

    def toggle(self) -> None:
        """View > Lock to lesson: lock, or unlock after confirmation."""
        if self.locked:
            self.unlock()
        else:
            self.lock()
        self._apply_menus()  # the action's tick follows the lock, also when unlocking is declined

    # -- what the lock refuses ---------------------------------------------------------------------
    def _refuse_data(self, spec: str) -> str | None:
        step = self.w.lessons.step
        if self.locked and step is not None and spec != step.dataset:
            return f"Locked to the lesson: the data stays {step.dataset}"
        return None

    def _refuse_preset(self, name: str) -> None:
        step = self.w.lessons.step
        if self.locked and step is not None and step.preset and name != step.preset:
            self.w.lessons.prepare_step()
            self.w.statusBar().showMessage(
                f"Locked to the lesson: the preset stays {step.preset}", 8000
            )

    def _restore_step(self) -> None:
        if self.locked:
            self.w.lessons.prepare_step()

    def _apply_menus(self) -> None:
        menus = self.w.menus
        if self.locked:
            for action in (menus.open, menus.load_model, menus.runs):
                action.setEnabled(False)
            menus.recent.setEnabled(False)
        else:
            menus.runs.setEnabled(True)
            menus.recent.setEnabled(True)
        if hasattr(menus, "lock_action"):
            menus.lock_action.setChecked(self.locked)

    def _ask(self, question: str) -> bool:
        answer = QMessageBox.question(
            self.w,
            "Unlock the lesson",
            question,
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes
