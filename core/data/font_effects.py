"""Looks applied to warped glyphs: outline, shadow, boxes, stripes, background, noise, inversion.

The glyph effects (outline-only strokes, drop shadows, boxed glyphs, striped ink) work on the
56x56 canvases before they are box-reduced to 28x28; the image effects (ink level, background
texture, noise, white-on-black inversion) on the 28x28 result. Each effect touches a seeded
share of the images.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

# Shares of images with each effect and the ranges of their parameters. Sizes are in pixels of
# the 56x56 canvas for the glyph effects and of the 28x28 image for the rest.
EFFECTS: dict[str, dict[str, tuple[float, ...]]] = {
    "letters": {
        "edge_contrast": (2.0,),
        "outline": (0.07,),
        "outline_width": (2, 5),
        "shadow": (0.07,),
        "shadow_offset": (2, 7),
        "shadow_ink": (0.45, 1.0),
        "stripes": (0.03,),
        "stripe_period": (4.0, 10.0),
        "boxed": (0.04,),
        "box_scale": (0.55, 0.8),
        "ink": (0.98, 1.0),
        "background": (0.08,),
        "background_level": (15.0, 70.0),
        "noise": (0.25,),
        "noise_sd": (2.0, 12.0),
        "invert": (0.04,),
    },
    "digits": {
        "edge_contrast": (1.0,),
        "outline": (0.0,),
        "outline_width": (1, 2),
        "shadow": (0.0,),
        "shadow_offset": (2, 3),
        "shadow_ink": (1.0, 1.0),
        "stripes": (0.0,),
        "stripe_period": (4.0, 4.0),
        "boxed": (0.0,),
        "box_scale": (1.0, 1.0),
        "ink": (0.7, 1.0),
        "background": (0.0,),
        "background_level": (0.0, 0.0),
        "noise": (1.0,),
        "noise_sd": (0.0, 14.0),
        "invert": (0.0,),
    },
}


def _shift(x: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """``x`` (..., H, W) moved by (dy, dx) pixels, zeros shifted in."""
    out = np.zeros_like(x)
    h, w = x.shape[-2:]
    out[..., max(dy, 0) : h + min(dy, 0), max(dx, 0) : w + min(dx, 0)] = x[
        ..., max(-dy, 0) : h + min(-dy, 0), max(-dx, 0) : w + min(-dx, 0)
    ]
    return out


def _erode(x: np.ndarray, r: int) -> np.ndarray:
    """Grey-level erosion of ``x`` (n, H, W) by a (2r+1)-square, as r 3x3 steps."""
    for _ in range(r):
        y = np.minimum(x, _shift(x, 1, 0))
        y = np.minimum(y, _shift(x, -1, 0))
        x = np.minimum(np.minimum(y, _shift(y, 0, 1)), _shift(y, 0, -1))
    return x


def _boxed(glyph: np.ndarray, scale: float, kind: int) -> np.ndarray:
    """The glyph shrunk into a box filling the frame: cut out of white (0) or inside a frame (1)."""
    side = glyph.shape[-1]
    inner = max(4, round(side * scale))
    small = np.asarray(
        Image.fromarray(glyph).resize((inner, inner), Image.Resampling.BILINEAR), np.uint8
    )
    at = (side - inner) // 2
    out = np.full_like(glyph, 255) if kind == 0 else np.zeros_like(glyph)
    if kind == 0:
        out[at : at + inner, at : at + inner] = 255 - small
    else:
        line = max(2, side // 20)
        out[:line] = out[-line:] = 255
        out[:, :line] = out[:, -line:] = 255
        out[at : at + inner, at : at + inner] = np.maximum(
            out[at : at + inner, at : at + inner], small
        )
    return out


def glyph_effects(canvas: np.ndarray, rng: np.random.Generator, kind: str) -> np.ndarray:
    """Outline-only, shadowed and striped glyphs in a seeded share of ``canvas`` (changed in place).

    Parameters
    ----------
    canvas:
        ``uint8`` (n, 56, 56) glyphs, ink = 255.
    rng:
        Source of every draw; the order of draws is fixed.
    kind:
        A key of :data:`EFFECTS`.

    Returns
    -------
    numpy.ndarray
        ``canvas``.
    """
    e = EFFECTS[kind]
    n = len(canvas)
    contrast = e["edge_contrast"][0]
    if contrast != 1.0:
        # steeper edges: a glyph stretched a lot (a narrow I filling the frame) stays crisp
        lut = np.clip(contrast * (np.arange(256) - 127.5) + 127.5, 0, 255).astype(np.uint8)
        canvas[...] = lut[canvas]
    u = rng.random((n, 4))
    box_scale = rng.uniform(*e["box_scale"], n)
    box_kind = rng.integers(0, 2, n)
    width = rng.integers(int(e["outline_width"][0]), int(e["outline_width"][1]), n)
    offset = rng.integers(int(e["shadow_offset"][0]), int(e["shadow_offset"][1]), (n, 2))
    sign = rng.choice(np.array([-1, 1]), (n, 2))
    shadow_ink = rng.uniform(*e["shadow_ink"], n)
    angle = rng.uniform(0.0, np.pi, n)
    period = rng.uniform(*e["stripe_period"], n)
    outline = np.flatnonzero(u[:, 0] < e["outline"][0])
    for r in np.unique(width[outline]):
        rows = outline[width[outline] == r]
        x = canvas[rows]
        inner = _erode(x, int(r))
        # only strokes wide enough to keep a core become outlines (thin ones would vanish)
        bold = inner.sum((1, 2), dtype=np.int64) > 0.3 * x.sum((1, 2), dtype=np.int64)
        canvas[rows[bold]] = x[bold] - inner[bold]
    shadow = np.flatnonzero(u[:, 1] < e["shadow"][0])
    for i in shadow:
        x = canvas[i].astype(np.float32)
        steps = int(max(abs(offset[i, 0]), abs(offset[i, 1])))
        extrude = np.zeros_like(x)
        for k in range(1, steps + 1):
            dy, dx = (round(k * sign[i, j] * offset[i, j] / steps) for j in (0, 1))
            extrude = np.maximum(extrude, _shift(x, dy, dx))
        canvas[i] = np.maximum(x, extrude * shadow_ink[i]).astype(np.uint8)
    boxed = np.flatnonzero(u[:, 3] < e["boxed"][0])
    for i in boxed:
        canvas[i] = _boxed(canvas[i], box_scale[i], box_kind[i])
    stripes = np.flatnonzero(u[:, 2] < e["stripes"][0])
    if stripes.size:
        side = canvas.shape[-1]
        yy, xx = np.mgrid[0:side, 0:side].astype(np.float32)
        a = angle[stripes, None, None]
        phase = (xx * np.cos(a) + yy * np.sin(a)) / period[stripes, None, None]
        mask = (np.sin(2 * np.pi * phase) > -0.2).astype(np.float32)
        canvas[stripes] = (canvas[stripes] * mask).astype(np.uint8)
    return canvas


def _smooth_field(rng: np.random.Generator, n: int, side: int) -> np.ndarray:
    """(n, side, side) smooth random fields in [0, 1]: 4x4 random values, bilinear."""
    coarse = rng.random((n, 4, 4)).astype(np.float32)
    pos = np.linspace(0, 3, side)
    i0 = np.minimum(pos.astype(int), 2)
    f = (pos - i0).astype(np.float32)
    rows = coarse[:, i0, :] * (1 - f)[None, :, None] + coarse[:, i0 + 1, :] * f[None, :, None]
    return rows[:, :, i0] * (1 - f) + rows[:, :, i0 + 1] * f


def image_effects(images: np.ndarray, rng: np.random.Generator, kind: str) -> np.ndarray:
    """Ink level, background texture, noise and inversion of 28x28 float images.

    Parameters
    ----------
    images:
        ``float32`` (n, 28, 28) images in 0..255, ink high (changed in place).
    rng:
        Source of every draw; the order of draws is fixed.
    kind:
        A key of :data:`EFFECTS`.

    Returns
    -------
    numpy.ndarray
        ``uint8`` (n, 28, 28) images.
    """
    e = EFFECTS[kind]
    n, side = len(images), images.shape[-1]
    u = rng.random((n, 3))
    # hairline strokes thinned by the reduction get full-strength ink back (at most x3), as
    # notMNIST's images reach full white
    peak = images.reshape(n, -1).max(1) if n else np.zeros(0, np.float32)
    gain = np.clip(255.0 / np.maximum(peak, 1.0), 1.0, 3.0)
    images *= (gain * rng.uniform(*e["ink"], n)).astype(np.float32)[:, None, None]
    textured = np.flatnonzero(u[:, 0] < e["background"][0])
    level = rng.uniform(*e["background_level"], n).astype(np.float32)
    if textured.size:
        field = _smooth_field(rng, textured.size, side) * level[textured, None, None]
        x = images[textured]
        images[textured] = x + field * (1.0 - x / 255.0)
    noisy = np.flatnonzero(u[:, 1] < e["noise"][0])
    sd = rng.uniform(*e["noise_sd"], n).astype(np.float32)
    if noisy.size:
        noise = rng.normal(0.0, 1.0, (noisy.size, side, side)).astype(np.float32)
        images[noisy] += noise * sd[noisy, None, None]
    out = np.clip(np.rint(images), 0, 255).astype(np.uint8)
    # inverted: black ink on white; never a nearly white image (it would turn into a blank one)
    inverted = np.flatnonzero((u[:, 2] < e["invert"][0]) & (out.mean((1, 2)) < 160))
    out[inverted] = 255 - out[inverted]
    return out
