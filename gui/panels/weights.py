"""The live weight mosaic: one ImageItem, levels (-limit, +limit), a diverging colour map.

:meth:`WeightsPanel.set_snapshot` only keeps the newest
:class:`~core.events.WeightSnapshot` (and the one before it, for the *Change* view of
:mod:`gui.panels.weight_change`); :meth:`WeightsPanel.flush` (the window's throttled repaint)
draws it. For logistic regression the tiles are labelled with their class (A..J or 0..9).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QVBoxLayout, QWidget

from core.events import WeightSnapshot
from gui.panels.weight_change import TINY_LIMIT, WeightChange, change_caption, weight_change

MIN_TILE_PX = 29  # a 28-px tile and its gutter at full size: fewer tiles, but readable ones
# The colour levels follow the snapshot's limit only once it has moved by more than this fraction:
# colours stay put while the weights barely change, and the colour bar's axis (about a third of
# a redraw) is not rebuilt for every snapshot.
LEVEL_TOLERANCE = 0.1
KIND_WORDS = {
    "output": "one tile per class: the pixels that vote for it (red) or against it (blue)",
    "hidden": "first-layer weights of hidden units: what each unit looks for",
    "filters": "first-layer convolution filters",
}


def diverging_colormap() -> pg.ColorMap:
    """Blue - white - red, white at zero (CET-D1)."""
    return pg.colormap.get("CET-D1")


def tile_origin(index: int, grid: tuple[int, int], tile_shape: tuple[int, int]) -> tuple[int, int]:
    """(row, column) pixel of the top-left corner of tile ``index`` in a 1-px-gutter mosaic."""
    _rows, cols = grid
    h, w = tile_shape
    r, c = divmod(index, cols)
    return r * (h + 1), c * (w + 1)


def shown_limit(current: float | None, limit: float) -> float:
    """The colour limit to draw with: ``current`` while ``limit`` is within LEVEL_TOLERANCE of it.

    ``limit`` must be positive and finite; ``current`` is None before the first snapshot.
    """
    if current is None or abs(limit / current - 1.0) > LEVEL_TOLERANCE:
        return limit
    return current


def caption(snap: WeightSnapshot) -> str:
    """A short description of what the mosaic shows."""
    if snap.kind == "output":
        return f"one tile per class ({len(snap.labels) or snap.grid[0] * snap.grid[1]})"
    count = snap.grid[0] * snap.grid[1]
    whole = f" of {snap.layer_size:,}" if snap.layer_size > count else ""
    return f"{count}{whole} first-layer {'units' if snap.kind == 'hidden' else 'filters'}"


class WeightsPanel(QWidget):
    """Shows the newest weight snapshot with a colour bar and a step caption.

    Parameters
    ----------
    parent:
        Optional Qt parent.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.pending: WeightSnapshot | None = None
        self.shown: WeightSnapshot | None = None
        self._dead_tiles: list[int] = []
        self.latest: WeightSnapshot | None = None  # the newest snapshot and the one before it
        self.previous: WeightSnapshot | None = None
        self.change: WeightChange | None = None  # the change drawn (None: the weights are)
        self.paint_count = 0
        self.caption = QLabel("Weights appear when training starts", self)
        self.caption.setObjectName("caption")
        self.caption.setWordWrap(True)
        self.caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.change_button = QToolButton(self)
        self.change_button.setText("Change")
        self.change_button.setCheckable(True)
        self.change_button.setToolTip(
            "Show what the last step(s) did to the weights: the newest snapshot minus the one "
            "before (red: the weight grew, blue: it shrank). Use Step to see one SGD update."
        )
        self.change_button.toggled.connect(lambda _on: self.redraw())

        self.view = pg.GraphicsLayoutWidget(self)
        self.view.setBackground("w")
        self.viewbox = self.view.addViewBox(
            row=0, col=0, lockAspect=True, invertY=True, enableMouse=False
        )
        self.viewbox.setBackgroundColor("#3a3a3a")
        self.viewbox.setMenuEnabled(False)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.viewbox.addItem(self.image)
        self.colormap = diverging_colormap()
        self.lut = self.colormap.getLookupTable(nPts=256)
        self.colorbar = pg.ColorBarItem(
            values=(-1.0, 1.0), colorMap=self.colormap, interactive=False, width=14, label="weight"
        )
        self.view.addItem(self.colorbar, row=0, col=1)
        self.labels: list[pg.TextItem] = []
        # dead units (active on no validation image at the last evaluation): a cross on the tile
        self.activity: np.ndarray | None = None
        self.dead_units = -1
        self.dead_marks = pg.ScatterPlotItem(
            symbol="x", size=10, pen=pg.mkPen("#111", width=1.5), brush=pg.mkBrush("#f2f2f2")
        )
        self.dead_marks.setZValue(5)
        self.viewbox.addItem(self.dead_marks)
        self._range: tuple[int, int] = (0, 0)
        self.limit: float | None = None  # the colour levels drawn are (-limit, +limit)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        header = QHBoxLayout()
        header.setContentsMargins(0, 0, 4, 0)
        header.addWidget(self.caption, 1)
        header.addWidget(self.change_button)
        layout.addLayout(header)
        layout.addWidget(self.view, 1)

    def set_activity(self, activity: np.ndarray | None, dead: int) -> None:
        """Each unit's share of validation images it fired on, and how many fired on none.

        The crosses and the count are drawn at the next :meth:`flush`.
        """
        self.activity = None if activity is None else np.asarray(activity)
        self.dead_units = int(dead)
        if self.shown is not None and self.pending is None:
            self.pending = self.shown

    def dead_tiles(self) -> list[int]:
        """Tile indices (in the shown mosaic) of units marked dead."""
        return list(self._dead_tiles)

    def set_snapshot(self, snapshot: WeightSnapshot) -> None:
        """Keep ``snapshot`` to draw at the next :meth:`flush` (older pending ones are dropped)."""
        self.pending = snapshot
        self.previous, self.latest = self.latest, snapshot

    def redraw(self) -> None:
        """Draw the newest snapshot again (the Change view was switched on or off)."""
        if self.latest is not None:
            self.pending = self.latest
            self.flush()

    @property
    def dirty(self) -> bool:
        """True when a snapshot waits to be drawn."""
        return self.pending is not None

    def clear(self) -> None:
        """Remove the mosaic."""
        self.pending = None
        self.shown = self.latest = self.previous = self.change = None
        self.limit = None
        self.image.clear()
        self.activity, self.dead_units, self._dead_tiles = None, -1, []
        self.dead_marks.setData([], [])
        self._set_labels((), (1, 1), (1, 1), [])
        self.caption.setText("Weights appear when training starts")

    def visible_grid(self, snap: WeightSnapshot) -> tuple[int, int]:
        """Rows and columns of tiles that fit at a readable size (at least MIN_TILE_PX each)."""
        rows, cols = snap.grid
        rect = self.viewbox.sceneBoundingRect()
        if rect.width() < 10 or rect.height() < 10:  # not laid out yet: show everything
            return rows, cols
        return (
            max(1, min(rows, int(rect.height() // MIN_TILE_PX))),
            max(1, min(cols, int(rect.width() // MIN_TILE_PX))),
        )

    def flush(self) -> None:
        """Draw the pending snapshot, if any."""
        snap, self.pending = self.pending, None
        if snap is None:
            return
        self.paint_count += 1
        wanted = self.change_button.isChecked() and snap is self.latest
        change = weight_change(self.previous, snap) if wanted else None
        if change is not None:
            mosaic, limit = change.mosaic, max(change.limit, TINY_LIMIT)
        else:
            mosaic = snap.mosaic
            limit = float(snap.limit) if np.isfinite(snap.limit) and snap.limit > 0 else 1.0
            limit = shown_limit(self.limit if self.change is None else None, limit)
        if (change is None) != (self.change is None) or self.shown is None:
            self.colorbar.getAxis("left").setLabel("weight" if change is None else "change")
        self.change = change
        rows, cols = self.visible_grid(snap)
        th, tw = snap.tile_shape
        image = mosaic[: rows * (th + 1) - 1, : cols * (tw + 1) - 1]
        self.image.setImage(image, levels=(-limit, limit), lut=self.lut, autoLevels=False)
        if limit != self.limit:
            self.colorbar.setLevels((-limit, limit))
            self.limit = limit
        h, w = image.shape
        if self._range != (h, w):
            self.viewbox.setRange(xRange=(0, w), yRange=(0, h), padding=0.02)
            self._range = (h, w)
        shown = [
            k
            for k in range(len(snap.labels))
            if k // snap.grid[1] < rows and k % snap.grid[1] < cols
        ]
        self._set_labels(tuple(snap.labels[k] for k in shown), snap.grid, snap.tile_shape, shown)
        cropped = (rows, cols) != tuple(snap.grid) and snap.kind != "output"
        more = f" · {rows * cols} shown" if cropped else ""
        self._mark_dead(snap, rows, cols)
        if self.dead_units >= 0 and snap.kind == "hidden":
            more += f" · <b>{self.dead_units:,}</b> of {snap.layer_size:,} units dead"
        if change is not None:
            self.caption.setText(change_caption(change) + more)
        else:
            later = " · change: after the next snapshot" if wanted else ""
            self.caption.setText(f"<b>Step {snap.step:,}</b> · {caption(snap)}{more}{later}")
        self.caption.setToolTip(
            KIND_WORDS.get(snap.kind, snap.kind)
            + (" - enlarge the panel to see more" if cropped else "")
        )
        self.shown = snap

    def _mark_dead(self, snap: WeightSnapshot, rows: int, cols: int) -> None:
        """Cross the shown tiles whose unit fired on no validation image."""
        self._dead_tiles = []
        xs, ys = [], []
        if snap.units is not None and self.activity is not None:
            th, tw = snap.tile_shape
            for k, unit in enumerate(np.asarray(snap.units)):
                r, c = divmod(k, snap.grid[1])
                if r < rows and c < cols and unit < len(self.activity) and not self.activity[unit]:
                    top, left = tile_origin(k, snap.grid, snap.tile_shape)
                    xs.append(left + tw / 2)
                    ys.append(top + th / 2)
                    self._dead_tiles.append(k)
        self.dead_marks.setData(xs, ys)

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Redraw the mosaic so as many tiles as fit are shown."""
        super().resizeEvent(event)
        if self.shown is not None and self.pending is None:
            self.pending = self.shown
            self.flush()

    def _set_labels(
        self,
        labels: tuple[str, ...],
        grid: tuple[int, int],
        tile_shape: tuple[int, int],
        indices: list[int],
    ) -> None:
        while len(self.labels) > len(labels):
            self.viewbox.removeItem(self.labels.pop())
        size = max(8, min(16, int(tile_shape[0] * 0.45)))
        for i, text in enumerate(labels):
            if i == len(self.labels):
                item = pg.TextItem(
                    "", color="#111", anchor=(0, 0), fill=pg.mkBrush(255, 255, 255, 190)
                )
                font = item.textItem.font()
                font.setBold(True)
                font.setPixelSize(size)
                item.setFont(font)
                self.viewbox.addItem(item)
                self.labels.append(item)
            top, left = tile_origin(indices[i], grid, tile_shape)
            self.labels[i].setText(text)
            self.labels[i].setPos(left + 0.5, top + 0.5)

    def label_texts(self) -> list[str]:
        """The tile labels drawn (empty unless the snapshot is logistic regression's)."""
        return [item.textItem.toPlainText() for item in self.labels]
