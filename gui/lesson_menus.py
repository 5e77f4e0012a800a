"""The lesson and projector entries of the View and Help menus."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gui.main_window import MainWindow


def add_lesson_actions(w: MainWindow) -> None:
    """View > Lock to lesson (checkable; unlocking asks first)."""
    m = w.menus
    m.view_menu.addSeparator()
    m.lock_action = m.action(
        "&Lock to lesson",
        w.lock.toggle,
        (),
        "Keep learners on the lesson step shown: its data and preset fixed, only its knobs live",
    )
    m.lock_action.setCheckable(True)
    m.view_menu.addAction(m.lock_action)
