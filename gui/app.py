"""``glyph-lab`` (no sub-command): open the window.

Qt is imported inside the functions so that ``main.py --help`` and the command-line tools start
without loading it.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from gui import lesson_args

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of the window command."""
    parser.add_argument("--dataset", help="dataset spec or file to open (default: the last one)")
    parser.add_argument("--preset", help="model preset to select (default: the last one)")
    lesson_args.add_arguments(parser)


def create_app(argv: list[str] | None = None) -> QApplication:
    """The QApplication (created once), with Glyph Lab's names, style sheet and fonts.

    Raises :class:`gui.platform_check.MissingSystemLibraries` instead of letting Qt abort when
    the X11 platform plugin's system libraries are missing.
    """
    from PySide6.QtWidgets import QApplication

    from gui import style
    from gui.platform_check import check_xcb_libraries
    from gui.settings import APPLICATION, ORGANISATION

    app = QApplication.instance()
    if app is None:
        qt_argv = argv if argv is not None else sys.argv[:1]
        # Qt aborts the process when its platform plugin cannot load; this raises first
        check_xcb_libraries(qt_argv)
        app = QApplication(qt_argv)
    app.setOrganizationName(ORGANISATION)
    app.setApplicationName(APPLICATION)
    app.setStyle("Fusion")
    font = app.font()
    font.setPointSizeF(max(font.pointSizeF(), 10.0))
    app.setFont(font)
    app.setStyleSheet(style.style_sheet())
    app.setWindowIcon(style.icon("app"))
    return app


def run(args: argparse.Namespace) -> int:
    """Open the window and run the event loop; returns the exit status."""
    problem = lesson_args.check(args)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    app = create_app()
    from PySide6.QtCore import QTimer

    from gui.main_window import MainWindow

    window = MainWindow(load_on_start=False)
    if getattr(args, "preset", None):
        window.controls.select_preset(args.preset)
    if getattr(args, "dataset", None):
        window.controls.set_dataset_spec(args.dataset)
    lesson_args.apply(window, args)
    from gui.first_start import offer_real_data

    offer_real_data(window)
    window.show()

    def load() -> None:
        window.import_tensorflow()
        window.load_dataset(window.controls.dataset_spec())

    # once the first frame is drawn: the loading threads hold the GIL for long stretches, and
    # every Python paint callback of that frame would wait for it (about 0.6 s on 2 cores)
    QTimer.singleShot(0, load)
    return int(app.exec())
