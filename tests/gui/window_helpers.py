"""The main window as the GUI tests open it: a fixed dataset, temporary settings, quick cadence."""

from __future__ import annotations

from typing import Any

from gui.main_window import MainWindow

WAIT = 60_000  # ms: TensorFlow's first import and a model build on a slow CI machine
CADENCE = {"eval_every": 10, "snapshot_every": 10, "steps_per_call": 5}


def make_window(
    qtbot: Any, dataset: Any, settings: Any, *, capture_errors: bool = True, **kw: Any
) -> MainWindow:
    """A shown 1200x800 window whose loader returns ``dataset``, ready to train.

    With ``capture_errors`` (and no ``error_sink`` given) errors go to ``w.shown_errors``
    instead of a dialog; ``capture_errors=False`` keeps the real error dialog.
    """
    errors: list[tuple[str, str, str]] = []
    if capture_errors:
        kw.setdefault("error_sink", lambda *a: errors.append(a))
    w = MainWindow(
        loader=lambda spec, download=False, progress=None: dataset, settings=settings, **kw
    )
    w.shown_errors = errors
    qtbot.addWidget(w)
    w.resize(1200, 800)
    w.show()
    qtbot.waitUntil(lambda: w.dataset is not None and w.tf_ready, timeout=WAIT)
    w.run_overrides = dict(CADENCE)
    return w
