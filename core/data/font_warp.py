"""Place each base glyph in the frame: stretch, slant, overflow, perspective and elastic warps.

Every image is one warp of one base glyph (:class:`~core.data.font_glyphs.BaseGlyph`), drawn
2x supersampled onto a 56x56 canvas. The warp is a linear map (slant, small rotation, the
stretch that fits the glyph to its box) followed by a small perspective tilt and a smooth
elastic wobble; Pillow draws it as a mesh of quads whose corners carry the exact map.

* letters follow notMNIST, whose glyphs are stretched to fill the whole 28x28 frame: most fill
  it exactly, a share overflows it (the glyph is cropped), a few keep a narrower width;
* digits follow MNIST: the glyph fits a 20x20 box and its centre of mass sits at the centre.

All parameters come from one generator, drawn vectorised in a fixed order (:func:`draw_params`),
so the same generator state gives the same images.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from PIL import Image

from core.data.font_glyphs import BaseGlyph

SIDE = 28
SUPER = 2  # the warp draws at 56x56, box-reduced to 28x28
MESH = 2  # the canvas is drawn as MESH x MESH quads
PROGRESS_EVERY = 1000

# Ranges of the per-image parameters (angles in degrees, lengths in 28-px units). ``fill``,
# ``overflow`` and ``narrow`` are the shares of the three letter layouts; ``italic`` the share
# drawn with a right-leaning slant from ``slant``.
WARP: dict[str, dict[str, tuple[float, ...]]] = {
    "letters": {
        "weight_p": (0.2, 0.35, 0.25, 0.2),
        "rot": (-3.0, 3.0),
        "turned": (0.15,),  # share of images rotated at all (notMNIST's glyphs stand upright)
        "shear": (-0.08, 0.08),
        "italic": (0.2,),
        "slant": (0.12, 0.45),
        "layout_p": (0.68, 0.22, 0.10),  # fill, overflow, narrow
        "overflow": (0.5, 5.0),
        "narrow": (0.85, 1.3),
        "jitter": (0.6,),
        "tilt": (0.008,),
        "tilted": (0.15,),  # share of images with a perspective tilt
        "elastic": (0.0, 0.7),
        "edge_wobble": (0.25,),  # elastic scale on the frame's edge (a filled frame stays filled)
    },
    "digits": {
        "weight_p": (0.25, 0.25, 0.25, 0.25),
        "rot": (-15.0, 15.0),
        "turned": (1.0,),
        "shear": (-0.45, 0.45),
        "italic": (0.0,),
        "slant": (0.0, 0.0),
        "aspect": (-0.35, 0.35),
        "box": (15.0, 21.0),
        "jitter": (0.7,),
        "tilt": (0.004,),
        "tilted": (1.0,),
        "elastic": (0.0, 0.4),
        "edge_wobble": (1.0,),
    },
}


def draw_params(rng: np.random.Generator, n: int, kind: str) -> dict[str, np.ndarray]:
    """Per-image warp parameters for ``n`` images of ``kind`` (``"letters"`` or ``"digits"``).

    Parameters
    ----------
    rng:
        Source of every draw; the order of draws is fixed.
    n:
        Number of images.
    kind:
        A key of :data:`WARP`.

    Returns
    -------
    dict
        Arrays with a first axis of length ``n``.
    """
    w = WARP[kind]
    p: dict[str, np.ndarray] = {"weight": rng.choice(4, n, p=np.asarray(w["weight_p"]))}
    turned = rng.random(n) < w["turned"][0]
    p["rot"] = np.where(turned, np.deg2rad(rng.uniform(*w["rot"], n)), 0.0)
    shear = rng.uniform(*w["shear"], n)
    italic = rng.random(n) < w["italic"][0]
    p["shear"] = np.where(italic, -rng.uniform(*w["slant"], n), shear)
    p["jitter"] = rng.normal(0.0, w["jitter"][0], (n, 2))
    tilted = rng.random(n) < w["tilted"][0]
    p["tilt"] = rng.uniform(-w["tilt"][0], w["tilt"][0], (n, 2)) * tilted[:, None]
    p["elastic"] = rng.uniform(*w["elastic"], n)[:, None, None, None] * rng.normal(
        0.0, 1.0, (n, MESH + 1, MESH + 1, 2)
    )
    edge = np.ones((MESH + 1, MESH + 1, 1))
    edge[[0, -1], :] = edge[:, [0, -1]] = w["edge_wobble"][0]
    p["elastic"] *= edge
    if kind == "letters":
        p["layout"] = rng.choice(3, n, p=np.asarray(w["layout_p"]))
        p["overflow"] = rng.uniform(*w["overflow"], (n, 4))  # left, top, right, bottom
        p["narrow"] = rng.uniform(*w["narrow"], n)
        p["u"] = rng.random(n)
    else:
        p["aspect"] = np.exp(rng.uniform(*w["aspect"], n))
        p["box"] = rng.uniform(*w["box"], n)
    return p


def _linear(p: dict[str, np.ndarray]) -> np.ndarray:
    """(n, 2, 2) linear parts: rotation @ shear (@ aspect for digits)."""
    c, s = np.cos(p["rot"]), np.sin(p["rot"])
    rot = np.stack([np.stack([c, -s], -1), np.stack([s, c], -1)], -2)
    shear = np.zeros_like(rot)
    shear[:, 0, 0] = shear[:, 1, 1] = 1.0
    shear[:, 0, 1] = p["shear"]
    lin = rot @ shear
    if "aspect" in p:
        lin[:, :, 0] *= p["aspect"][:, None]
    return lin


def _hulls(glyphs: Sequence[BaseGlyph]) -> np.ndarray:
    """(n, K, 2) hull points of every glyph, padded by repeating each glyph's first point."""
    k = max(len(g.hull) for g in glyphs)
    out = np.empty((len(glyphs), k, 2))
    for i, g in enumerate(glyphs):
        out[i, : len(g.hull)] = g.hull
        out[i, len(g.hull) :] = g.hull[0]
    return out


def _forward(
    glyphs: Sequence[BaseGlyph], p: dict[str, np.ndarray], kind: str
) -> tuple[np.ndarray, np.ndarray]:
    """(n, 2, 2) linear maps ``A`` and (n, 2) offsets ``t``: output = A @ (src - centre) + t.

    Output coordinates are in 28-px units; the glyph's ink box lands on its layout's box.
    """
    lin = _linear(p)
    q = np.einsum("nkj,nij->nki", _hulls(glyphs), lin)
    lo, hi = q.min(1), q.max(1)
    ext = np.maximum(hi - lo, 1e-6)
    if kind == "digits":
        k = p["box"] / ext.max(1)
        t = 14.0 + p["jitter"]
        lo_o, hi_o = k[:, None] * lo + t, k[:, None] * hi + t
        t -= np.minimum(lo_o, 0) + np.maximum(hi_o - SIDE, 0)  # keep the glyph in the frame
        return k[:, None, None] * lin, t
    # fill: the box is the frame, a fraction of a pixel larger so the ink touches every edge
    box_lo = -0.25 - np.abs(0.3 * p["jitter"])
    box_hi = SIDE + 0.25 + np.abs(0.3 * p["jitter"][:, ::-1])
    over = p["layout"] == 1  # overflow: the box reaches past the frame, the glyph is cropped
    box_lo[over] -= p["overflow"][over, :2]
    box_hi[over] += p["overflow"][over, 2:]
    narrow = p["layout"] == 2  # narrow: full height, the width near the glyph's own proportion
    width = np.clip(SIDE * ext[:, 0] / ext[:, 1] * p["narrow"], 4.0, SIDE)
    box_lo[narrow, 0] = p["u"][narrow] * (SIDE - width[narrow])
    box_hi[narrow, 0] = box_lo[narrow, 0] + width[narrow]
    scale = (box_hi - box_lo) / ext
    return scale[:, :, None] * lin, box_lo - scale * lo


def _sources(glyphs: Sequence[BaseGlyph], p: dict[str, np.ndarray], kind: str) -> np.ndarray:
    """(n, M+1, M+1, 2) source points (glyph pixels) of the canvas mesh vertices."""
    a, t = _forward(glyphs, p, kind)
    edges = np.arange(MESH + 1) * (SIDE / MESH)
    vx, vy = np.meshgrid(edges, edges)
    out = np.stack([vx, vy], axis=-1)[None] + p["elastic"]  # 28-px units
    centred = out - SIDE / 2
    # undo the perspective tilt p' = p / (1 + tilt . p) about the frame centre
    w = 1.0 - np.einsum("nrcj,nj->nrc", centred, p["tilt"])
    flat = centred / w[..., None] + SIDE / 2 - t[:, None, None, :]
    centre = np.stack([g.centre for g in glyphs])
    return np.einsum("nrcj,nij->nrci", flat, np.linalg.inv(a)) + centre[:, None, None, :]


def warp_glyphs(
    glyphs: Sequence[BaseGlyph],
    p: dict[str, np.ndarray],
    kind: str,
    tick: Callable[[int], None] | None = None,
) -> np.ndarray:
    """Draw every glyph through its warp onto a 56x56 canvas.

    Parameters
    ----------
    glyphs:
        One base glyph per image (its weight already chosen).
    p:
        Parameters from :func:`draw_params`.
    kind:
        ``"letters"`` or ``"digits"``.
    tick:
        Called with the number of images drawn so far, every ``PROGRESS_EVERY`` images.

    Returns
    -------
    numpy.ndarray
        ``uint8`` canvases ``(len(glyphs), 56, 56)``, ink = 255.
    """
    n = len(glyphs)
    size = SIDE * SUPER
    canvas = np.empty((n, size, size), np.uint8)
    if n == 0:
        return canvas
    src = _sources(glyphs, p, kind)
    # each quad: upper-left, lower-left, lower-right, upper-right corners
    quads = np.concatenate(
        [src[:, :-1, :-1], src[:, 1:, :-1], src[:, 1:, 1:], src[:, :-1, 1:]], axis=-1
    ).reshape(n, MESH * MESH, 8)
    cell = size // MESH
    boxes = [
        (c * cell, r * cell, (c + 1) * cell, (r + 1) * cell)
        for r in range(MESH)
        for c in range(MESH)
    ]
    for i, (g, q) in enumerate(zip(glyphs, quads.tolist(), strict=True)):
        canvas[i] = g.image.transform(
            (size, size),
            Image.Transform.MESH,
            list(zip(boxes, q, strict=True)),
            resample=Image.Resampling.BILINEAR,
        )
        if tick is not None and (i + 1) % PROGRESS_EVERY == 0:
            tick(i + 1)
    return canvas
