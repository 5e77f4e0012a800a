"""Any grayscale or colour image -> the model's 28x28 uint8 input (255 = ink on 0 background).

The two styles follow how the training data was made:

``"letters"`` (notMNIST)
    Crop to the ink's bounding box and scale it so the glyph fills the 28x28 frame, centred.
    By default the aspect ratio is kept (the longer side becomes 28 pixels). Note that notMNIST
    itself stretched every glyph to fill *both* sides (over 97 % of ``notmnist_small`` images
    touch all four edges); ``keep_aspect=False`` reproduces that.
``"digits"`` (MNIST)
    Crop to the ink, scale so the longer side is 20 pixels (aspect kept, anti-aliased), and paste
    into 28x28 so the centre of mass lands on pixel (14, 14), shifting by whole pixels.

Resizing uses Pillow's LANCZOS filter on float pixels, so thin strokes are averaged rather than
dropped, and the result is stretched so its brightest pixel is 255, as in both datasets: a 1-px
pen line on a 280-px pad comes out as a clear 1-2 px stroke. (Thickening thin strokes first was
tried and dropped: it made real glyphs depend on the drawing's scale.)

Either polarity is accepted: :func:`ink_polarity` guesses it from the border, and callers that
know it (the draw pad, dataset files) pass ``polarity=`` to :func:`prepare_image`.
"""

from __future__ import annotations

import os
import stat
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from core.data.errors import DataError
from core.data.limits import MAX_IMAGE_SIDE

FRAME = 28
DIGIT_BOX = 20
DIGIT_CENTRE = 14.0  # MNIST's mean centre of mass, in pixel indices
STYLES = ("letters", "digits")
POLARITIES = ("dark-on-light", "light-on-dark")
MIN_PEAK = 32.0  # strongest ink below this (0..255, after background removal) counts as empty
BOX_LEVEL = 0.2  # pixels brighter than this fraction of the peak set the bounding box
CLEAN_BORDER = 0.7  # share of border pixels on one side that marks that side as background
FLAT_RANGE = 8.0  # a darkest..lightest spread below this (0..255) is a flat image


def size_problem(width: int, height: int) -> str | None:
    """Why an image of ``width`` x ``height`` pixels is refused, or None when it is accepted.

    Either side above :data:`~core.data.limits.MAX_IMAGE_SIDE` is refused: one glyph needs
    far fewer pixels, and preparing a 13000x13000 image would take gigabytes.
    """
    if width > MAX_IMAGE_SIDE or height > MAX_IMAGE_SIDE:
        return (
            f"image is {width}x{height} pixels; the largest accepted is "
            f"{MAX_IMAGE_SIDE}x{MAX_IMAGE_SIDE}"
        )
    return None


def to_grayscale(image: np.ndarray) -> np.ndarray:
    """Convert an image array to one gray channel.

    Parameters
    ----------
    image:
        ``(H, W)``, ``(H, W, 1)``, ``(H, W, 3)`` RGB or ``(H, W, 4)`` RGBA; ``uint8`` (0..255),
        ``uint16`` (0..65535), ``bool``, or float (0..1, clipped; NaN counts as 0). Alpha is
        composited on white, so transparent pixels read as paper.

    Returns
    -------
    numpy.ndarray
        ``float32`` array ``(H, W)`` of luminance 0..255 (ITU-R 601 weights, as Pillow's ``L``).
    """
    a = np.asarray(image)
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[..., 0]
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] not in (3, 4)):
        raise ValueError(f"expected an (H, W), (H, W, 3) or (H, W, 4) image, got {a.shape}")
    if a.dtype == np.bool_:
        f = a.astype(np.float32)
    elif np.issubdtype(a.dtype, np.floating):
        f = np.clip(np.nan_to_num(a.astype(np.float32), nan=0.0), 0.0, 1.0)
    elif a.dtype == np.uint16:
        f = a.astype(np.float32) / 65535.0
    elif np.issubdtype(a.dtype, np.integer):
        f = np.clip(a, 0, 255).astype(np.float32) / 255.0
    else:
        raise ValueError(f"unsupported image dtype {a.dtype}")
    if f.ndim == 3:
        gray = f[..., 0] * 0.299 + f[..., 1] * 0.587 + f[..., 2] * 0.114
        if f.shape[2] == 4:
            alpha = f[..., 3]
            gray = gray * alpha + (1.0 - alpha)
        f = gray
    return (f * 255.0).astype(np.float32)


def _border(gray: np.ndarray) -> np.ndarray:
    if min(gray.shape) <= 2:
        return gray.ravel()
    return np.concatenate([gray[0], gray[-1], gray[1:-1, 0], gray[1:-1, -1]])


def _mid_level(gray: np.ndarray) -> float | None:
    """Halfway between the darkest and the lightest pixel; ``None`` for a flat image."""
    lo, hi = float(gray.min()), float(gray.max())
    return None if hi - lo < FLAT_RANGE else (lo + hi) / 2.0


def ink_polarity(gray: np.ndarray) -> str:
    """Decide whether the ink is darker or lighter than the background.

    Pixels are split at the level halfway between the darkest and the lightest pixel. When
    at least 70 % of the border pixels fall on one side, that side is the background (drawings
    and photos, where paper surrounds the glyph). Otherwise the glyph touches the edges, as in
    notMNIST, and the answer leans to the datasets' convention: ``"dark-on-light"`` only when
    more than 70 % of all pixels are light. A flat image is judged by its level.

    Parameters
    ----------
    gray:
        ``(H, W)`` gray image, 0..255.

    Returns
    -------
    str
        ``"dark-on-light"`` (ink on paper) or ``"light-on-dark"`` (the models' convention).

    Notes
    -----
    Some notMNIST fonts draw a light letter cut out of a dark block, so no rule is right for
    every frame-filling glyph; callers that know the polarity should pass it to
    :func:`prepare_image` instead.
    """
    g = np.asarray(gray, dtype=np.float32)
    if g.size == 0:
        return "light-on-dark"
    mid = _mid_level(g)
    if mid is None:
        return "dark-on-light" if float(np.median(g)) >= 127.5 else "light-on-dark"
    border = _border(g)
    if np.mean(border > mid) >= CLEAN_BORDER:
        return "dark-on-light"
    if np.mean(border < mid) >= CLEAN_BORDER:
        return "light-on-dark"
    return "dark-on-light" if np.mean(g > mid) > CLEAN_BORDER else "light-on-dark"


def ink_image(gray: np.ndarray, polarity: str | None = None) -> np.ndarray:
    """Flip a gray image so ink is bright, and take away the background level.

    Parameters
    ----------
    gray:
        ``(H, W)`` gray image, 0..255.
    polarity:
        ``"dark-on-light"`` or ``"light-on-dark"``; ``None`` detects it with
        :func:`ink_polarity`.

    Returns
    -------
    numpy.ndarray
        ``float32`` ``(H, W)``: 0 at the background level (the median of the pixels on the
        background side of the mid level), rising linearly to 255 for ink at full contrast.
    """
    g = np.asarray(gray, dtype=np.float32)
    if polarity is None:
        polarity = ink_polarity(g)
    elif polarity not in POLARITIES:
        raise ValueError(f"unknown polarity {polarity!r}; expected one of {POLARITIES}")
    if polarity == "dark-on-light":
        g = 255.0 - g
    mid = _mid_level(g) if g.size else None
    if mid is None:
        return np.zeros_like(g)
    bg = float(np.median(g[g <= mid]))
    if bg >= 255.0:
        return np.zeros_like(g)
    return np.clip((g - bg) * (255.0 / (255.0 - bg)), 0.0, 255.0)


def _bounding_box(mask: np.ndarray) -> tuple[slice, slice]:
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    return slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1)


def _resize(ink: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Anti-aliased resize of float ink to ``(rows, cols)``, clipped to 0..255."""
    img = Image.fromarray(np.ascontiguousarray(ink, dtype=np.float32))
    out = np.asarray(img.resize((shape[1], shape[0]), Image.Resampling.LANCZOS))
    return np.clip(out, 0.0, 255.0)


def _paste_at(glyph: np.ndarray, top: int, left: int) -> np.ndarray:
    frame = np.zeros((FRAME, FRAME), dtype=np.float32)
    h, w = glyph.shape
    frame[top : top + h, left : left + w] = glyph
    return frame


def prepare_image(
    image: np.ndarray, style: str, *, keep_aspect: bool = True, polarity: str | None = None
) -> np.ndarray:
    """Turn any image of one glyph into the model's 28x28 input.

    Parameters
    ----------
    image:
        Any array :func:`to_grayscale` accepts, of any size and either polarity.
    style:
        ``"letters"`` (notMNIST framing) or ``"digits"`` (MNIST framing); see the module
        docstring.
    keep_aspect:
        ``"letters"`` only: keep the glyph's aspect ratio (default) or stretch it to fill the
        whole frame as notMNIST did. ``"digits"`` always keeps it.
    polarity:
        ``"light-on-dark"`` (the app's draw pad, dataset images) or ``"dark-on-light"`` (ink
        on paper) when the caller knows it; ``None`` detects it (see :func:`ink_polarity`).

    Returns
    -------
    numpy.ndarray
        ``uint8`` ``(28, 28)``, 255 = ink on a 0 background; all zeros when there is no ink.

    Raises
    ------
    ValueError
        Unknown style, an unsupported array, or a side above
        :data:`~core.data.limits.MAX_IMAGE_SIDE` pixels (see :func:`size_problem`).
    """
    if style not in STYLES:
        raise ValueError(f"unknown style {style!r}; expected one of {STYLES}")
    shape = np.shape(image)
    problem = size_problem(shape[1], shape[0]) if len(shape) >= 2 else None
    if problem is not None:
        raise ValueError(problem)
    gray = to_grayscale(image)
    empty = np.zeros((FRAME, FRAME), dtype=np.uint8)
    if gray.size == 0:
        return empty
    ink = ink_image(gray, polarity)
    peak = float(ink.max())
    if peak < MIN_PEAK:
        return empty
    crop = ink[_bounding_box(ink > BOX_LEVEL * peak)]
    scale = (DIGIT_BOX if style == "digits" else FRAME) / max(crop.shape)
    if style == "letters" and not keep_aspect:
        shape = (FRAME, FRAME)
    else:
        shape = (max(1, round(crop.shape[0] * scale)), max(1, round(crop.shape[1] * scale)))
    glyph = _resize(crop, shape)
    top_peak = float(glyph.max())
    if top_peak <= 0.0:
        return empty
    glyph *= 255.0 / top_peak
    h, w = glyph.shape
    if style == "letters":
        frame = _paste_at(glyph, (FRAME - h) // 2, (FRAME - w) // 2)
    else:
        total = float(glyph.sum())
        cy = float(glyph.sum(axis=1) @ np.arange(h)) / total
        cx = float(glyph.sum(axis=0) @ np.arange(w)) / total
        top = int(np.clip(round(DIGIT_CENTRE - cy), 0, FRAME - h))
        left = int(np.clip(round(DIGIT_CENTRE - cx), 0, FRAME - w))
        frame = _paste_at(glyph, top, left)
    return np.rint(np.clip(frame, 0.0, 255.0)).astype(np.uint8)


def _pil_to_array(im: Image.Image) -> np.ndarray:
    mode = im.mode
    if mode in ("1", "L") or (mode == "P" and "transparency" not in im.info):
        return np.asarray(im.convert("L"))
    if mode in ("LA", "La", "PA", "P", "RGBA", "RGBa"):
        return np.asarray(im.convert("RGBA"))
    if mode.startswith("I;16"):
        return (np.asarray(im, dtype=np.float64) / 257.0).round().astype(np.uint8)
    if mode in ("I", "F"):
        a = np.asarray(im, dtype=np.float64)
        if mode == "F" and a.size and np.nanmax(a) <= 1.0:
            a = a * 255.0
        elif a.size and np.nanmax(a) > 255.0:
            a = a / 257.0
        return np.clip(np.nan_to_num(a), 0, 255).round().astype(np.uint8)
    return np.asarray(im.convert("RGB"))


def _open_no_block(path: str, flags: int) -> int:
    """``os.open`` that returns at once for a FIFO (so it can be refused, not waited on)."""
    return os.open(path, flags | getattr(os, "O_NONBLOCK", 0))


def load_image_file(path: str | Path) -> np.ndarray:
    """Read a PNG, JPEG or any other image Pillow can open.

    Parameters
    ----------
    path:
        The image file. EXIF orientation is applied; an animation gives its first frame.

    Returns
    -------
    numpy.ndarray
        ``uint8`` ``(H, W)`` gray, ``(H, W, 3)`` RGB or ``(H, W, 4)`` RGBA (images with
        transparency), ready for :func:`prepare_image`.

    Raises
    ------
    DataError
        The file is missing, not a regular file (a folder, FIFO or device), not an image,
        larger than :data:`~core.data.limits.MAX_IMAGE_SIDE` pixels on a side (checked before
        its pixels are decoded), truncated or otherwise unreadable.
    """
    path = Path(path)
    try:
        with open(path, "rb", opener=_open_no_block) as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                raise DataError(path, "not a regular file")
            with warnings.catch_warnings():
                # the size is checked below, before any pixel is decoded
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                with Image.open(f) as im:
                    problem = size_problem(*im.size)
                    if problem is not None:
                        raise DataError(path, problem)
                    im.load()
                    array = _pil_to_array(ImageOps.exif_transpose(im))
    except DataError:
        raise
    except FileNotFoundError as exc:
        raise DataError(path, "no such file") from exc
    except Image.DecompressionBombError as exc:
        raise DataError(path, f"image is too large ({exc})") from exc
    except UnidentifiedImageError as exc:
        raise DataError(path, "not an image file (Pillow cannot identify it)") from exc
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        raise DataError(path, f"unreadable image ({type(exc).__name__}: {exc})") from exc
    if array.size == 0:
        raise DataError(path, "image has no pixels")
    return array
