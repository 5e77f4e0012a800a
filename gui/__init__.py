"""The Glyph Lab window: PySide6 + pyqtgraph, never TensorFlow.

:mod:`gui.app` opens the window, :mod:`gui.main_window` assembles the panels and owns the
training worker (:mod:`gui.worker`), :mod:`gui.snapshot` saves an offscreen screenshot.
"""

from __future__ import annotations
