"""The window's panels, one module each; every panel is a plain ``QWidget`` with a small API.

Teaching panels: :mod:`~gui.panels.draw_pad` (``DrawPad``), :mod:`~gui.panels.samples`
(``SamplesPanel``), :mod:`~gui.panels.confusion` (``ConfusionPanel``),
:mod:`~gui.panels.misclassified` (``MisclassifiedPanel``) and :mod:`~gui.panels.log_panel`
(``LogPanel``); :mod:`~gui.panels.image_grid` draws their image grids.
"""
