"""The lesson, projector and full-screen entries of the View menu, and Help > Glossary."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gui.glossary_dialog import open_glossary

if TYPE_CHECKING:
    from gui.main_window import MainWindow


def add_lesson_actions(w: MainWindow) -> None:
    """View > Lock to lesson, Projector mode and Full screen (checkable), and Help > Glossary."""
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
    m.projector_action = m.action(
        "&Projector mode",
        w.projector.toggle,
        ("Ctrl+Shift+P",),
        "Large type, thick lines and colour-blind-safe colours for a classroom projector",
    )
    m.projector_action.setCheckable(True)
    m.full_screen_action = m.action("&Full screen", lambda: toggle_full_screen(w), ("F11",))
    m.full_screen_action.setCheckable(True)
    m.view_menu.addAction(m.projector_action)
    m.view_menu.addAction(m.full_screen_action)


def toggle_full_screen(w: MainWindow) -> None:
    """F11: full screen, or back to the window as it was (maximised or not)."""
    if w.isFullScreen():
        w.showMaximized() if getattr(w, "_was_maximized", False) else w.showNormal()
    else:
        w._was_maximized = w.isMaximized()
        w.showFullScreen()
    w.menus.full_screen_action.setChecked(w.isFullScreen())
