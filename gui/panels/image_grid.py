"""One painted widget for grids of small grayscale images (samples, confusion cells, mistakes).

All tiles live in ONE stacked ``QImage`` and are painted with one ``drawImage`` call each, so a
grid of hundreds of images costs one widget, not hundreds.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import QEvent, QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFontMetrics, QImage, QMouseEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

# A caption is a list of (text, colour) segments drawn side by side under a tile.
Caption = Sequence[tuple[str, str]]

TILE_BACKGROUND = QColor("#000000")
LABEL_COLOUR = QColor("#202020")


def to_qimage(array: np.ndarray) -> QImage:
    """Copy a 2-D uint8 array into a grayscale ``QImage`` (0 = black, 255 = white).

    Parameters
    ----------
    array:
        2-D array of any numeric type; values are clipped to 0..255.

    Returns
    -------
    QImage
        A ``Format_Grayscale8`` image that owns its pixels.
    """
    a = np.asarray(array)
    if a.ndim != 2:
        raise ValueError(f"expected a 2-D image, got shape {a.shape}")
    if a.dtype != np.uint8:
        a = np.clip(np.nan_to_num(a.astype(np.float64)), 0, 255).astype(np.uint8)
    a = np.ascontiguousarray(a)
    h, w = a.shape
    return QImage(a.data, w, h, a.strides[0], QImage.Format.Format_Grayscale8).copy()


def stack_tiles(images: np.ndarray) -> np.ndarray:
    """Stack ``(N, H, W)`` images into one ``(N * H, W)`` uint8 strip (the grid's one image).

    Parameters
    ----------
    images:
        ``(N, H, W)`` uint8 images.

    Returns
    -------
    numpy.ndarray
        The images one above the other; tile ``k`` is rows ``k*H .. (k+1)*H``.
    """
    a = np.asarray(images)
    if a.ndim != 3:
        raise ValueError(f"expected (N, H, W) images, got shape {a.shape}")
    return a.reshape(a.shape[0] * a.shape[1], a.shape[2])


class ImageGrid(QWidget):
    """A grid of small grayscale images, optionally with row labels and coloured captions.

    Two layouts:

    - ``columns`` given: that many columns, tiles scaled to FIT the widget (dataset samples).
    - ``columns=None``: tiles of ``tile_px`` pixels FLOW into as many columns as the width
      allows; the widget reports a height for its width, so put it in a ``QScrollArea`` with
      ``setWidgetResizable(True)`` (galleries).

    Signals
    -------
    tile_clicked(int)
        The index of the tile the user clicked.
    """

    tile_clicked = Signal(int)

    def __init__(
        self, parent: QWidget | None = None, *, tile_px: int = 84, spacing: int = 6
    ) -> None:
        super().__init__(parent)
        self._tile_px = int(tile_px)
        self._spacing = int(spacing)
        self._strip: QImage | None = None
        self._images = np.zeros((0, 28, 28), np.uint8)
        self._tile_size = QSize(0, 0)
        self._count = 0
        self._columns: int | None = None
        self._row_labels: list[str] = []
        self._captions: list[Caption] = []
        self._tooltips: list[str] = []
        self._empty_text = ""
        self._caption_w: int | None = None
        self._label_w: int | None = None
        policy = QSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)
        self.setMouseTracking(True)

    # ----------------------------------------------------------------- data
    def set_images(
        self,
        images: np.ndarray,
        *,
        columns: int | None = None,
        row_labels: Sequence[str] = (),
        captions: Sequence[Caption] | None = None,
        tooltips: Sequence[str] | None = None,
    ) -> None:
        """Show ``images`` (``(N, H, W)`` uint8, 255 = ink).

        Parameters
        ----------
        images:
            The tiles, in reading order (row by row).
        columns:
            Fixed number of columns (tiles fit the widget), or None to flow fixed-size tiles.
        row_labels:
            One label per row, drawn left of the row (fixed columns only).
        captions:
            One caption per tile: a list of ``(text, colour)`` segments drawn under it.
        tooltips:
            One tooltip per tile.
        """
        images = np.asarray(images)
        if images.ndim != 3:
            raise ValueError(f"expected (N, H, W) images, got shape {images.shape}")
        self._count = int(images.shape[0])
        self._images = images
        self._tile_size = QSize(int(images.shape[2]), int(images.shape[1]))
        self._strip = to_qimage(stack_tiles(images)) if self._count else None
        self._columns = None if columns is None else max(1, int(columns))
        self._row_labels = [str(s) for s in row_labels]
        self._captions = [list(c) for c in captions] if captions is not None else []
        self._tooltips = [str(t) for t in tooltips] if tooltips is not None else []
        self._caption_w = self._label_w = None
        self.updateGeometry()
        self.update()

    def clear(self, message: str = "") -> None:
        """Remove every tile; ``message`` is drawn in the middle instead."""
        self.set_images(np.zeros((0, 28, 28), np.uint8))
        self._empty_text = message
        self.update()

    def set_empty_text(self, message: str) -> None:
        """Text drawn when the grid holds no tiles."""
        self._empty_text = message
        self.update()

    def count(self) -> int:
        """Number of tiles shown."""
        return self._count

    def images(self) -> np.ndarray:
        """The ``(N, H, W)`` tiles shown."""
        return self._images

    def columns(self) -> int:
        """Number of columns at the current width."""
        if self._columns is not None:
            return self._columns
        return self._flow_columns(self.width())

    def rows(self) -> int:
        """Number of rows at the current width."""
        cols = self.columns()
        return -(-self._count // cols) if self._count else 0

    def caption(self, index: int) -> str:
        """Plain text of tile ``index``'s caption ("" when none)."""
        if index < len(self._captions):
            return "".join(text for text, _ in self._captions[index])
        return ""

    def tooltip_for(self, index: int) -> str:
        """Tooltip of tile ``index`` ("" when none)."""
        return self._tooltips[index] if 0 <= index < len(self._tooltips) else ""

    # ------------------------------------------------------------- geometry
    def _caption_height(self) -> int:
        return QFontMetrics(self.font()).height() + 4 if self._captions else 0

    def _label_width(self) -> int:
        if self._label_w is None:
            fm = QFontMetrics(self._label_font())
            self._label_w = max((fm.horizontalAdvance(s) + 12 for s in self._row_labels), default=0)
        return self._label_w

    def changeEvent(self, event: QEvent) -> None:
        """Re-measure labels and captions when the font changes."""
        if event.type() == QEvent.Type.FontChange:
            self._caption_w = self._label_w = None
            self.updateGeometry()
        super().changeEvent(event)

    def _label_font(self):
        font = self.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        return font

    def _caption_width(self) -> int:
        if self._caption_w is None:
            fm = QFontMetrics(self.font())
            self._caption_w = max(
                (sum(fm.horizontalAdvance(t) for t, _ in c) + 6 for c in self._captions), default=0
            )
        return self._caption_w

    def _flow_columns(self, width: int) -> int:
        cell = max(self._tile_px, self._caption_width()) + self._spacing
        return max(1, (width - self._spacing) // cell)

    def _tile_pixels(self) -> int:
        """Side of one painted tile, in widget pixels."""
        if self._columns is None:
            return self._tile_px
        cols = self._columns
        rows = max(1, -(-self._count // cols))
        avail_w = self.width() - self._label_width() - self._spacing * (cols + 1)
        avail_h = self.height() - self._spacing * (rows + 1) - rows * self._caption_height()
        aspect = self._tile_size.width() / max(1, self._tile_size.height())
        return max(4, int(min(avail_w / cols / aspect, avail_h / rows)))

    def tile_rect(self, index: int) -> QRect:
        """The rectangle tile ``index`` is painted in, in widget coordinates."""
        side = self._tile_pixels()
        w = round(side * self._tile_size.width() / max(1, self._tile_size.height()))
        cell_w = max(w, self._caption_width()) if self._columns is None else w
        cols = self.columns()
        row, col = divmod(index, cols)
        # centre the block horizontally (after the row labels)
        label_w = self._label_width()
        used = label_w + cols * (cell_w + self._spacing) - self._spacing
        x0 = label_w + max(self._spacing, (self.width() - used) // 2)
        cell_h = side + self._caption_height() + self._spacing
        x = x0 + col * (cell_w + self._spacing) + (cell_w - w) // 2
        return QRect(x, self._spacing + row * cell_h, w, side)

    def tile_at(self, pos: QPoint) -> int:
        """Index of the tile under ``pos`` (widget coordinates), or -1."""
        for k in range(self._count):
            r = self.tile_rect(k)
            r.setHeight(r.height() + self._caption_height())
            extra = max(0, self._caption_width() - r.width()) // 2 if self._columns is None else 0
            if r.adjusted(-extra, 0, extra, 0).contains(pos):
                return k
        return -1

    def hasHeightForWidth(self) -> bool:
        """Flowing grids grow downwards as tiles are added."""
        return self._columns is None

    def heightForWidth(self, width: int) -> int:
        """Height needed to show every flowing tile at ``width``."""
        if self._columns is not None or not self._count:
            return 80
        rows = -(-self._count // self._flow_columns(width))
        return self._spacing + rows * (self._tile_px + self._caption_height() + self._spacing)

    def sizeHint(self) -> QSize:
        """A comfortable size: 10 tiles wide."""
        cols = self._columns or 10
        w = self._label_width() + cols * (self._tile_px + self._spacing) + self._spacing
        return QSize(w, self.heightForWidth(w) if self._columns is None else w)

    def minimumSizeHint(self) -> QSize:
        """Small enough to live in a tab."""
        return QSize(self._tile_px + 2 * self._spacing, self._tile_px // 2)

    # -------------------------------------------------------------- painting
    def paintEvent(self, event: QPaintEvent) -> None:
        """Paint the tiles from the one stacked image, then labels and captions."""
        p = QPainter(self)
        if not self._count or self._strip is None:
            if self._empty_text:
                p.setPen(QColor("#606060"))
                p.drawText(
                    self.rect().adjusted(12, 12, -12, -12),
                    Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                    self._empty_text,
                )
            p.end()
            return
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        th, tw = self._tile_size.height(), self._tile_size.width()
        clip = event.rect()
        fm = QFontMetrics(self.font())
        for k in range(self._count):
            r = self.tile_rect(k)
            extra = self._caption_width() // 2
            if not r.adjusted(-extra, 0, extra, self._caption_height()).intersects(clip):
                continue
            p.drawImage(r, self._strip, QRect(0, k * th, tw, th))
            if k < len(self._captions):
                self._paint_caption(p, fm, r, self._captions[k])
        if self._row_labels and self._columns is not None:
            p.setFont(self._label_font())
            p.setPen(LABEL_COLOUR)
            for row, text in enumerate(self._row_labels):
                r = self.tile_rect(row * self._columns)
                label_w = self._label_width()
                p.drawText(
                    QRect(r.left() - label_w, r.top(), label_w - 6, r.height()),
                    Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                    text,
                )
        p.end()

    def _paint_caption(self, p: QPainter, fm: QFontMetrics, tile: QRect, caption: Caption) -> None:
        total = sum(fm.horizontalAdvance(text) for text, _ in caption)
        x = tile.center().x() - total // 2
        y = tile.bottom() + 2 + fm.ascent()
        for text, colour in caption:
            p.setPen(QColor(colour))
            p.drawText(x, y, text)
            x += fm.horizontalAdvance(text)

    # ------------------------------------------------------------ interaction
    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        """Emit :attr:`tile_clicked` for a left click on a tile."""
        if event.button() == Qt.MouseButton.LeftButton:
            k = self.tile_at(event.position().toPoint())
            if k >= 0:
                self.tile_clicked.emit(k)
        super().mouseReleaseEvent(event)

    def event(self, event: QEvent) -> bool:
        """Show the tooltip of the tile under the pointer."""
        if event.type() == QEvent.Type.ToolTip:
            k = self.tile_at(event.pos())
            text = self.tooltip_for(k) if k >= 0 else self.toolTip()
            if text:
                QToolTip.showText(event.globalPos(), text, self)
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().event(event)
