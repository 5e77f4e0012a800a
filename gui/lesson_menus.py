"""The lesson and projector entries of the View and Help menus."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gui.glossary_dialog import open_glossary

if TYPE_CHECKING:
    from gui.main_window import MainWindow


def add_lesson_actions(w: MainWindow) -> None:
    """View > Lock to lesson (checkable; unlocking asks first) and Help > Glossary."""
    m = w.menus
    m.glossary = m.action(
        "&Glossary", lambda: open_glossary(w), (), "The terms of the lessons, and where to see them"
    )
    m.help_menu.insertAction(m.help_menu.actions()[1], m.glossary)
    w.lesson_panel.term_clicked.connect(lambda term: open_glossary(w, term))
    m.view_menu.addSeparator()
    m.lock_action = m.action(
        "&Lock to lesson",
        w.lock.toggle,
        (),
        "Keep learners on the lesson step shown: its data and preset fixed, only its knobs live",
    )
    m.lock_action.setCheckable(True)
    m.view_menu.addAction(m.lock_action)
