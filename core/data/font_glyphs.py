"""Render the base glyphs of one font file: each of the ten characters in several stroke weights.

A font face is usable when it draws all ten glyphs: a glyph that is empty or pixel-identical to
the font's ``.notdef`` box counts as missing. Each usable glyph is rendered once at high
resolution and its stroke weight changed by morphology there (thinned, as designed, bolder,
heaviest), so the weights look like other cuts of the font rather than blurred copies
(:class:`BaseGlyph`).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from PIL import Image, ImageDraw, ImageFont

SKIP_UNREADABLE = "unreadable font"
SKIP_MISSING = "missing glyphs"
SKIP_IDENTICAL = "identical glyphs"
# Code points no font maps to a real glyph: they render as the font's .notdef glyph.
NOTDEF_PROBES = ("\U0010ffff", "\uffff")
RENDER_EM = 128  # font size (px) of the one high-resolution rendering per glyph
WORK_SIZE = 64  # longer side of a base glyph fed to the warp
MAX_TTC_FACES = 32
# stroke added for the bolder weights, as a fraction of the em
BOLD_STROKES = (0.025, 0.06)
MAX_STROKE = 0.24  # the heaviest stroke the bolder weights reach, as a fraction of the em


@dataclass(frozen=True)
class BaseGlyph:
    """One glyph in one stroke weight, ready to be warped.

    Attributes
    ----------
    image:
        Mode ``"L"`` image, ink = 255, longer side about ``WORK_SIZE``.
    centre:
        Intensity centre of mass ``(x, y)`` in ``image`` pixel coordinates.
    hull:
        ``(K, 2)`` ink points relative to ``centre`` extreme in 32 directions; the bounding box
        of their linear image equals the warped glyph's.
    """

    image: Image.Image
    centre: np.ndarray
    hull: np.ndarray


@dataclass(frozen=True)
class FontGlyphs:
    """The base glyphs of one usable font face: ``glyphs[class][weight]``, and its family."""

    name: str
    path: Path
    glyphs: tuple[tuple[BaseGlyph, ...], ...]
    family: str = ""


def _faces(path: Path) -> list[ImageFont.FreeTypeFont]:
    """Every face in ``path`` (a ``.ttc`` holds several); raises OSError when none opens."""
    faces = []
    count = MAX_TTC_FACES if path.suffix.lower() == ".ttc" else 1
    for index in range(count):
        try:
            faces.append(
                ImageFont.truetype(
                    str(path), RENDER_EM, index=index, layout_engine=ImageFont.Layout.BASIC
                )
            )
        except OSError:
            if index == 0:
                raise
            break
    return faces


def _render(font: ImageFont.FreeTypeFont, char: str, stroke: int = 0) -> np.ndarray:
    """``char`` as a uint8 array cropped to its ink (shape ``(0, 0)`` when there is none)."""
    left, top, right, bottom = font.getbbox(char, stroke_width=stroke)
    if right <= left or bottom <= top:
        return np.zeros((0, 0), np.uint8)
    pad = 2
    image = Image.new("L", (right - left + 2 * pad, bottom - top + 2 * pad))
    ImageDraw.Draw(image).text(
        (pad - left, pad - top), char, fill=255, font=font, stroke_width=stroke, stroke_fill=255
    )
    return _crop(np.asarray(image))


def _crop(a: np.ndarray) -> np.ndarray:
    rows, cols = np.flatnonzero(a.any(1)), np.flatnonzero(a.any(0))
    if rows.size == 0:
        return np.zeros((0, 0), np.uint8)
    return a[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def check_glyphs(font: ImageFont.FreeTypeFont, chars: Sequence[str]) -> str | None:
    """Why ``font`` cannot draw ``chars`` (a skip reason), or None when it can.

    A glyph is missing when it has no ink, is tiny, or is pixel-identical to the font's
    ``.notdef`` glyph (what the font draws for code points it does not map).
    """
    probes = [_render(font, p) for p in NOTDEF_PROBES]
    seen: list[np.ndarray] = []
    for char in chars:
        glyph = _render(font, char)
        if glyph.size == 0 or max(glyph.shape) < RENDER_EM // 8:
            return SKIP_MISSING
        if any(p.shape == glyph.shape and np.array_equal(p, glyph) for p in probes):
            return SKIP_MISSING
        if any(s.shape == glyph.shape and np.array_equal(s, glyph) for s in seen):
            return SKIP_IDENTICAL
        seen.append(glyph)
    return None


def _stroke_estimate(ink: np.ndarray) -> float:
    """Rough stroke width (px): ink area over half its perimeter."""
    inner = ink.copy()
    inner[1:-1, 1:-1] &= ink[:-2, 1:-1] & ink[2:, 1:-1] & ink[1:-1, :-2] & ink[1:-1, 2:]
    edge = int(ink.sum() - inner[1:-1, 1:-1].sum())
    return 2.0 * float(ink.sum()) / max(edge, 1)


def _erode(a: np.ndarray, r: int) -> np.ndarray:
    """Grey-level erosion of ``a`` by a (2r+1)-square, as two 1-D running minimums."""
    out = np.pad(a, r)
    for axis in (0, 1):
        out = sliding_window_view(out, 2 * r + 1, axis=axis).min(axis=-1)
    return out


def _weights(font: ImageFont.FreeTypeFont, char: str) -> list[np.ndarray]:
    """``char`` in four stroke weights: thinned, as designed, bolder, boldest."""
    normal = _render(font, char)
    stroke = _stroke_estimate(normal > 127)
    thin_r = min(round(0.025 * RENDER_EM), int(0.35 * stroke))
    thin = normal
    if thin_r >= 1:
        thin_arr = _crop(_erode(normal, thin_r))
        thin = thin_arr if thin_arr.size else normal
    # a face that is heavy already gets less extra stroke, so its counters stay open
    room = max(MAX_STROKE * RENDER_EM - stroke, 2.0) / 2
    bold = [
        _render(font, char, stroke=max(1, round(min(f * RENDER_EM, room)))) for f in BOLD_STROKES
    ]
    return [thin, normal, *bold]


def _base_glyph(a: np.ndarray) -> BaseGlyph:
    h, w = a.shape
    scale = WORK_SIZE / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    image = Image.fromarray(np.pad(a, 2)).resize(
        (size[0] + 4, size[1] + 4), Image.Resampling.LANCZOS
    )
    arr = np.asarray(image, dtype=np.float64)
    total = arr.sum()
    ys, xs = np.arange(arr.shape[0]) + 0.5, np.arange(arr.shape[1]) + 0.5
    centre = np.array([arr.sum(0) @ xs / total, arr.sum(1) @ ys / total])
    # the extreme ink points in any direction are among each row's first and last ink pixel
    ink = arr >= arr.max() / 2  # the half-intensity edge: where the eye sees the outline
    rows = np.flatnonzero(ink.any(1))
    first = ink[rows].argmax(1)
    last = ink.shape[1] - 1 - ink[rows, ::-1].argmax(1)
    pts = np.concatenate([np.stack([first, rows], 1), np.stack([last, rows], 1)]).astype(np.float64)
    square = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.float64)
    corners = (pts[:, None, :] + square).reshape(-1, 2) - centre
    angles = np.linspace(0, 2 * np.pi, 32, endpoint=False)
    dirs = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    hull = corners[np.unique(np.argmax(corners @ dirs.T, axis=0))]
    return BaseGlyph(image=image, centre=centre, hull=hull)


def load_font_glyphs(path: Path, chars: Sequence[str]) -> tuple[list[FontGlyphs], str | None]:
    """Base glyphs of every usable face in ``path``, or the reason the file is skipped.

    Results are remembered per (file, modification time, size, chars), so building the
    dataset again (another seed or size) does not render the fonts again.

    Parameters
    ----------
    path:
        A ``.ttf``, ``.otf`` or ``.ttc`` file.
    chars:
        The ten characters, in class order.

    Returns
    -------
    (faces, reason)
        ``faces`` holds one :class:`FontGlyphs` per face that draws all of ``chars``; ``reason``
        is None when at least one face is usable, else why none is.
    """
    try:
        st = Path(path).stat()
    except OSError:
        return [], SKIP_UNREADABLE
    usable, reason = _load_font_glyphs(Path(path), st.st_mtime_ns, st.st_size, tuple(chars))
    return list(usable), reason


@functools.lru_cache(maxsize=512)
def _load_font_glyphs(
    path: Path, _mtime_ns: int, _size: int, chars: tuple[str, ...]
) -> tuple[tuple[FontGlyphs, ...], str | None]:
    try:
        faces = _faces(path)
    except (OSError, ValueError):
        return (), SKIP_UNREADABLE
    usable: list[FontGlyphs] = []
    reason: str | None = None
    for font in faces:
        try:
            reason = check_glyphs(font, chars)
            if reason is not None:
                continue
            glyphs = tuple(tuple(_base_glyph(a) for a in _weights(font, c)) for c in chars)
        except (OSError, ValueError):
            reason = SKIP_UNREADABLE
            continue
        family, style = font.getname()
        name = " ".join(part for part in (family or path.stem, style) if part)
        usable.append(FontGlyphs(name=name, path=path, glyphs=glyphs, family=family or path.stem))
    return tuple(usable), (None if usable else reason)
