"""How the learning curves are drawn: colours, line widths and marker sizes.

The window's look (:data:`NORMAL`) keeps the live minibatch curves 1 px wide, the cheapest to
repaint; projector mode (:data:`PROJECTOR`) trades that for lines a classroom can see, in the
Okabe-Ito colours that colour-blind viewers tell apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pyqtgraph as pg

from gui import style

if TYPE_CHECKING:
    from gui.panels.curves import CurvesPanel

# Okabe & Ito (2008), "Color Universal Design": eight colours told apart in every common
# form of colour blindness
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}


@dataclass(frozen=True)
class CurveLook:
    """Colours and sizes of the curves panel's lines and markers."""

    minibatch: str
    validation: str
    test: str
    width: float  # minibatch and previous-run lines, and validation lines with many points
    valid_width: float  # validation lines while they have dots
    dot_size: float
    star_size: float


NORMAL = CurveLook(style.MINIBATCH, style.VALIDATION, style.TEST, 1, 2, 6, 18)
PROJECTOR = CurveLook(
    OKABE_ITO["sky_blue"], OKABE_ITO["vermillion"], OKABE_ITO["bluish_green"], 3, 4, 11, 30
)


def apply_curve_look(panel: CurvesPanel, look: CurveLook) -> None:
    """Draw ``panel``'s curves with ``look`` from now on (the data stays as it is)."""
    minibatch = pg.mkPen(look.minibatch, width=look.width)
    for name in ("loss_minibatch", "acc_minibatch"):
        panel.items[name].setPen(minibatch)
    panel.valid_pen = pg.mkPen(look.validation, width=look.valid_width)
    panel.valid_thin_pen = pg.mkPen(look.validation, width=look.width)
    for name in ("loss_valid", "acc_valid"):
        item = panel.items[name]
        dotted = item.opts["symbol"] is not None
        item.setPen(panel.valid_pen if dotted else panel.valid_thin_pen)
        item.setSymbolBrush(look.validation)
        item.setSymbolSize(look.dot_size)
    test = panel.items["acc_test"]
    test.setSymbolBrush(look.test)
    test.setSymbolSize(look.star_size)
    previous = pg.mkPen(style.PREVIOUS, width=max(1.0, look.width - 1))
    for item in panel._prev_items.values():
        item.setPen(previous)
