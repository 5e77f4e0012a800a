"""The built-in dataset: letters A-J or digits 0-9 rendered with Pillow from this computer's fonts.

Each usable (font, class) glyph is rendered once at high resolution in four stroke weights; every
image is then one random affine warp (size, aspect, position, slant, small rotation) of one of
those base glyphs, drawn 2x supersampled and box-reduced to 28x28, with light noise on top.

* letters follow notMNIST: the glyph is stretched to (nearly) fill the 28x28 frame;
* digits follow MNIST: the glyph fits a 20x20 box and its centre of mass sits at the centre.

Fonts lacking any of the ten glyphs (the glyph is empty or is the font's ``.notdef`` box) are
skipped and counted. With five or more usable fonts, about a fifth of them are held out: they draw
only the test split, so the test accuracy measures fonts the model has never seen.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from core.data.dataset import Dataset, Provenance
from core.data.errors import DataError
from core.data.font_discovery import (
    BaseGlyph,
    FontGlyphs,
    dedupe_fonts,
    find_font_files,
    load_font_glyphs,
)

__all__ = ["AUGMENT", "CLASS_CHARS", "build_font_dataset", "find_font_files", "render_split"]

CLASS_CHARS: dict[str, tuple[str, ...]] = {
    "letters": tuple("ABCDEFGHIJ"),
    "digits": tuple("0123456789"),
}
SKIP_DUPLICATE = "duplicate font"
MAX_FONTS = 150  # fonts used at most (a random sample of them when there are more)
SUPER = 2  # the warp draws at 56x56, box-reduced to 28x28
SIDE = 28
PROGRESS_EVERY = 1000

ProgressFn = Callable[[int, int, str], None]


# Ranges of the per-image random parameters (angles in degrees, sizes in 28-px units).
AUGMENT: dict[str, dict[str, tuple[float, float]]] = {
    "letters": {
        "rot": (-14.0, 14.0),
        "shear": (-0.4, 0.4),
        "aspect": (-0.25, 0.25),
        "box": (21.0, 28.0),
        "box_h": (22.0, 28.0),
        "stretch": (0.2, 1.0),
        "ink": (0.7, 1.0),
        "noise": (0.0, 14.0),
    },
    "digits": {
        "rot": (-15.0, 15.0),
        "shear": (-0.45, 0.45),
        "aspect": (-0.35, 0.35),
        "box": (15.0, 21.0),
        "box_h": (20.0, 20.0),
        "stretch": (0.0, 0.0),
        "ink": (0.7, 1.0),
        "noise": (0.0, 14.0),
    },
}


def _random_parts(rng: np.random.Generator, n: int, kind: str) -> dict[str, np.ndarray]:
    """Per-image random parameters, drawn vectorised (the order of draws fixes the stream)."""
    ranges = AUGMENT[kind]
    p = {"weight": rng.integers(0, 4, n)}
    for key in ("rot", "shear", "aspect", "box", "box_h", "stretch", "ink", "noise"):
        p[key] = rng.uniform(*ranges[key], n)
    p["rot"] = np.deg2rad(p["rot"])
    p["aspect"] = np.exp(p["aspect"])
    p["u"] = rng.uniform(0.0, 1.0, (n, 2))
    p["jitter"] = rng.normal(0.0, 1.0, (n, 2))
    return p


def _forward(
    g: BaseGlyph, p: dict[str, np.ndarray], i: int, kind: str
) -> tuple[np.ndarray, np.ndarray]:
    """Linear map ``A`` and offset ``t``: output (28-px units) = A @ (src - centre) + t."""
    c, s = np.cos(p["rot"][i]), np.sin(p["rot"][i])
    lin = (
        np.array([[c, -s], [s, c]])
        @ np.array([[1.0, p["shear"][i]], [0.0, 1.0]])
        @ np.diag([p["aspect"][i], 1.0])
    )
    q = g.hull @ lin.T
    lo, hi = q.min(0), q.max(0)
    ext = np.maximum(hi - lo, 1e-6)
    if kind == "digits":
        k = p["box"][i] / ext.max()
        a = k * lin
        t = np.array([14.0, 14.0]) + 0.7 * p["jitter"][i]
        lo_o, hi_o = k * lo + t, k * hi + t
        t -= np.minimum(lo_o, 0) + np.maximum(hi_o - SIDE, 0)  # keep the glyph in the frame
        return a, t
    # letters: the taller side fills box_h; the width moves from the glyph's own aspect
    # (stretch 0) towards filling the box (stretch 1), like notMNIST's stretched glyphs.
    h_out = p["box_h"][i]
    w_nat = min(h_out * ext[0] / ext[1], float(SIDE))
    w_out = w_nat ** (1 - p["stretch"][i]) * p["box"][i] ** p["stretch"][i]
    scale = np.array([w_out, h_out]) / ext
    a = np.diag(scale) @ lin
    size = np.array([w_out, h_out])
    start = p["u"][i] * (SIDE - size)
    return a, start - scale * lo


def _warp(g: BaseGlyph, a: np.ndarray, t: np.ndarray) -> Image.Image:
    """Draw ``g`` through the forward map onto a 56x56 canvas (2x supersampled 28x28)."""
    inv = np.linalg.inv(a)
    # canvas position X (continuous, pixel centres at k + 0.5) is X / SUPER in 28-px units.
    m = inv / SUPER
    off = g.centre - inv @ t
    data = (m[0, 0], m[0, 1], off[0], m[1, 0], m[1, 1], off[1])
    return g.image.transform(
        (SIDE * SUPER, SIDE * SUPER),
        Image.Transform.AFFINE,
        data,
        resample=Image.Resampling.BILINEAR,
    )


def render_split(
    fonts: Sequence[FontGlyphs],
    labels: np.ndarray,
    kind: str,
    rng: np.random.Generator,
    tick: Callable[[int], None] | None = None,
) -> np.ndarray:
    """Render one image per label from randomly chosen ``fonts``.

    Parameters
    ----------
    fonts:
        Usable fonts to draw from (uniformly at random).
    labels:
        Class index of every image.
    kind:
        ``"letters"`` (stretched to fill the frame) or ``"digits"`` (MNIST layout).
    rng:
        Source of every random choice; the same generator state gives the same images.
    tick:
        Called with the number of images rendered so far, every ``PROGRESS_EVERY`` images.

    Returns
    -------
    numpy.ndarray
        ``uint8`` images ``(len(labels), 28, 28)``, 0 = background, 255 = ink.
    """
    n = len(labels)
    font_idx = rng.integers(0, len(fonts), n)
    p = _random_parts(rng, n, kind)
    canvas = np.empty((n, SIDE * SUPER, SIDE * SUPER), np.uint8)
    for i in range(n):
        g = fonts[font_idx[i]].glyphs[labels[i]][p["weight"][i]]
        a, t = _forward(g, p, i, kind)
        canvas[i] = _warp(g, a, t)
        if tick is not None and (i + 1) % PROGRESS_EVERY == 0:
            tick(i + 1)
    images = canvas.reshape(n, SIDE, SUPER, SIDE, SUPER).mean(axis=(2, 4), dtype=np.float32)
    images *= p["ink"][:, None, None]
    images += rng.normal(0.0, 1.0, images.shape).astype(np.float32) * p["noise"][:, None, None]
    return np.clip(np.rint(images), 0, 255).astype(np.uint8)


def _load_fonts(
    files: Sequence[Path], chars: Sequence[str], tick: Callable[[int, str], None]
) -> tuple[list[FontGlyphs], dict[str, int], dict[str, str]]:
    """Usable faces of ``files`` (each face name once, at most ``MAX_FONTS``) and the skips.

    Returns
    -------
    (fonts, skipped, fonts_skipped)
        The usable faces; skip reason -> number of files; file path -> its skip reason.
    """
    fonts: list[FontGlyphs] = []
    names: set[str] = set()
    skipped: dict[str, int] = {}
    fonts_skipped: dict[str, str] = {}
    for k, path in enumerate(files):
        if len(fonts) >= MAX_FONTS:
            break
        tick(k, path.name)
        usable, reason = load_font_glyphs(path, chars)
        new = [face for face in usable if face.name not in names]
        if usable and not new:
            reason = SKIP_DUPLICATE  # the same face from another file (another version, a copy)
        for face in new[: MAX_FONTS - len(fonts)]:
            names.add(face.name)
            fonts.append(face)
        if reason is not None:
            skipped[reason] = skipped.get(reason, 0) + 1
            fonts_skipped[str(path)] = reason
    return fonts, skipped, fonts_skipped


def _balanced_labels(n: int, rng: np.random.Generator) -> np.ndarray:
    return rng.permutation(np.arange(n) % 10)


def _split_fonts(fonts: list[FontGlyphs], seed: int) -> tuple[list[FontGlyphs], list[FontGlyphs]]:
    """(train/valid fonts, test fonts): every ~5th font held out when there are >= 5."""
    if len(fonts) < 5:
        return fonts, fonts
    order = np.random.default_rng([seed, 99]).permutation(len(fonts))
    held = set(order[: max(1, round(len(fonts) / 5))].tolist())
    return (
        [f for i, f in enumerate(fonts) if i not in held],
        [f for i, f in enumerate(fonts) if i in held],
    )


def build_font_dataset(
    kind: str = "letters",
    *,
    train: int = 20000,
    valid: int = 2000,
    test: int = 2000,
    seed: int = 0,
    progress: ProgressFn | None = None,
    font_files: Sequence[Path] | None = None,
) -> Dataset:
    """Render the built-in dataset from the fonts on this computer.

    Parameters
    ----------
    kind:
        ``"letters"`` (A-J, notMNIST style) or ``"digits"`` (0-9, MNIST style).
    train, valid, test:
        Images per split; each split is balanced over the ten classes.
    seed:
        Same seed (and fonts) -> identical arrays.
    progress:
        Called as ``progress(done, total, message)`` while fonts load and images render.
    font_files:
        Font files to use instead of :func:`find_font_files`. Identical files and faces whose
        name was already used count once; with more than ``MAX_FONTS`` usable faces a random
        (seeded) sample of them is used.

    Returns
    -------
    Dataset
        uint8 splits and a :class:`Provenance` naming the fonts used and skipped.

    Raises
    ------
    DataError
        For an unknown ``kind``, a negative split size, or when no usable font is found.
    """
    if kind not in CLASS_CHARS:
        raise DataError(None, f"unknown font dataset kind {kind!r}; expected 'letters' or 'digits'")
    sizes = {"train": train, "valid": valid, "test": test}
    if any(int(v) < 0 for v in sizes.values()):
        raise DataError(None, f"split sizes must not be negative, got {sizes}")
    chars = CLASS_CHARS[kind]
    report = progress or (lambda _d, _t, _m: None)
    if font_files is None:
        report(0, 1, "looking for fonts on this computer")
        files = find_font_files()
    else:
        files = dedupe_fonts(Path(f) for f in font_files)
    if len(files) > MAX_FONTS:
        order = np.random.default_rng([seed, 98]).permutation(len(files))
        files = [files[i] for i in order]
    total = len(files) + sum(sizes.values())
    loaded = _load_fonts(files, chars, lambda k, name: report(k, total, f"reading font {name}"))
    fonts, skipped, fonts_skipped = loaded
    if not fonts:
        where = "the given font files" if font_files is not None else "this computer's fonts"
        raise DataError(
            None,
            f"no usable font found among {len(files)} files in {where}: "
            f"every one lacks a glyph of {''.join(chars)} or cannot be read",
        )
    train_fonts, test_fonts = _split_fonts(fonts, seed)
    arrays: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    done = len(files)
    for index, (split, n) in enumerate(sizes.items()):
        rng = np.random.default_rng([seed, index])
        labels = _balanced_labels(int(n), rng)
        pool = test_fonts if split == "test" else train_fonts
        base = done

        def tick(k: int, base: int = base, split: str = split) -> None:
            report(base + k, total, f"rendering {split} images")

        arrays[split] = (render_split(pool, labels, kind, rng, tick), labels)
        done += int(n)
    report(total, total, "done")
    details = {"fonts_found": len(files), "fonts_skipped": fonts_skipped, "seed": int(seed)}
    return _dataset(kind, chars, arrays, fonts, test_fonts, skipped, details)


def _dataset(
    kind: str,
    chars: Sequence[str],
    arrays: dict[str, tuple[np.ndarray, np.ndarray]],
    fonts: list[FontGlyphs],
    test_fonts: list[FontGlyphs],
    skipped: dict[str, int],
    extra: dict[str, Any],
) -> Dataset:
    span = f"{chars[0]}-{chars[-1]}"
    plural = "font" if len(fonts) == 1 else "fonts"
    held = [f.name for f in test_fonts] if test_fonts is not fonts else []
    per_class = {
        split: {c: int(n) for c, n in zip(chars, np.bincount(y, minlength=10), strict=True)}
        for split, (_, y) in arrays.items()
    }
    provenance = Provenance(
        source=f"fonts-{kind}",
        description=f"{kind} {span} rendered from {len(fonts)} {plural} on this computer",
        images_read=int(sum(len(y) for _, y in arrays.values())),
        skipped=dict(skipped),
        skipped_examples=[
            f"{Path(p).name}: {r}" for p, r in list(extra["fonts_skipped"].items())[:10]
        ],
        details={
            "fonts_used": len(fonts),
            "font_names": [f.name for f in fonts],
            "per_class": per_class,
            "test_fonts": held,
            **extra,
        },
    )
    return Dataset(
        name=f"fonts-{kind}",
        class_names=tuple(chars),
        train_x=arrays["train"][0],
        train_y=arrays["train"][1],
        valid_x=arrays["valid"][0],
        valid_y=arrays["valid"][1],
        test_x=arrays["test"][0],
        test_y=arrays["test"][1],
        provenance=provenance,
    )
