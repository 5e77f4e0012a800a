"""The window's menus and their actions, with shortcuts and tips."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu

from gui.help_text import PANEL_HELP, RUNS_HELP

if TYPE_CHECKING:
    from gui.main_window import MainWindow


class WindowMenus:
    """Builds the menu bar of ``window`` and keeps the actions others enable or disable."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        w, runs = window, window.runs
        bar = w.menuBar()
        file_menu = bar.addMenu("&File")
        self.open = self.action("&Open dataset…", w.data.open_dataset_file, ("Ctrl+O",))
        self.load_model = self.action(
            "&Load model…", runs.load_model_dialog, ("Ctrl+L",), "Load a saved model for the pad"
        )
        self.save_model = self.action(
            "&Save model…", runs.save_model_dialog, ("Ctrl+S",), "Copy the shown run to a folder"
        )
        export_png = self.action("Export curves as &PNG…", lambda: runs.export_curves_dialog("png"))
        export_csv = self.action("Export curves as &CSV…", lambda: runs.export_curves_dialog("csv"))
        quit_action = self.action("&Quit", w.close, ("Ctrl+Q",))
        self.runs = self.action("R&uns…", runs.show_runs_dialog, ("Ctrl+Shift+R",), RUNS_HELP)
        file_menu.addAction(self.open)
        file_menu.addAction(self.load_model)
        file_menu.addAction(self.save_model)
        file_menu.addSeparator()
        self.recent: QMenu = file_menu.addMenu("&Recent runs")
        self.recent.setToolTipsVisible(True)
        self.recent.aboutToShow.connect(runs.fill_recent_menu)
        file_menu.addAction(self.runs)
        file_menu.addSeparator()
        file_menu.addAction(export_png)
        file_menu.addAction(export_csv)
        file_menu.addSeparator()
        file_menu.addAction(quit_action)

        run_menu = bar.addMenu("&Run")
        self.start = self.action(
            "Start / Pause", w.start_or_pause, ("Space",), "Start training, or pause / resume it"
        )
        self.stop = self.action("Stop", w.session.stop, ("Esc", "Ctrl+."), "Stop training")
        self.reset = self.action(
            "Reset", w.reset, ("Ctrl+R",), "Clear the curves and restore the preset's values"
        )
        for a in (self.start, self.stop, self.reset):
            run_menu.addAction(a)
        self.step, self.step10 = w.pace.add_to_menu(self, run_menu)  # and the Pace submenu

        view_menu = self.view_menu = bar.addMenu("&View")
        for dock in w.docks:
            view_menu.addAction(dock.toggleViewAction())

        help_menu = self.help_menu = bar.addMenu("&Help")
        help_menu.addAction(self.action("What am I looking at?", w.show_help, ("F1",)))
        for title, text in PANEL_HELP.values():
            help_menu.addAction(self.action(title, lambda t=title, x=text: w.message(t, x)))

    def action(
        self,
        text: str,
        slot: Callable[[], object],
        shortcuts: tuple[str, ...] = (),
        tip: str = "",
    ) -> QAction:
        """A window-wide action running ``slot``, with ``shortcuts`` and a tip."""
        action = QAction(text, self.window)
        if shortcuts:
            action.setShortcuts([QKeySequence(s) for s in shortcuts])
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        if tip:
            action.setStatusTip(tip)
            action.setToolTip(tip)
        action.triggered.connect(lambda _checked=False: slot())
        self.window.addAction(action)
        return action

    def set_running(self, running: bool, can_save: bool) -> None:
        """Enable what makes sense while a run trains or not."""
        self.stop.setEnabled(running)
        self.open.setEnabled(not running)
        self.load_model.setEnabled(not running)
        self.save_model.setEnabled(not running and can_save)
