"""The built-in dataset: letters A-J or digits 0-9 rendered from this computer's and bundled fonts.

Fonts come from this computer (:func:`~core.data.font_discovery.find_font_files`) and from the
40 fonts shipped with Glyph Lab (``assets/fonts``), so a machine with a single font family still
gets many shapes. Each usable (font, class) glyph is rendered once at high resolution in four
stroke weights (:mod:`core.data.font_glyphs`); every image is one warp of one of those base
glyphs (:mod:`core.data.font_warp`: stretch, slant, overflow, perspective, elastic wobble) with
a seeded share of outline, shadow, striped ink, background texture, noise and inversion
(:mod:`core.data.font_effects`).

* letters follow notMNIST: the glyph is stretched to fill the 28x28 frame, a share of them
  overflows it and is cropped;
* digits follow MNIST: the glyph fits a 20x20 box and its centre of mass sits at the centre.

Fonts lacking any of the ten glyphs (the glyph is empty or is the font's ``.notdef`` box) are
skipped and counted. With five or more usable fonts, the splits use disjoint fonts: about a
twelfth of them draw only the validation split and another twelfth only the test split (each
drawn from the computer's and the bundle's fonts alike), so validation and test accuracy
measure fonts the model has never seen. The same spec (kind, sizes, seed, fonts) gives the same
arrays.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from core.data.dataset import Dataset, Provenance
from core.data.errors import DataError
from core.data.font_discovery import (
    FontGlyphs,
    bundled_font_files,
    dedupe_fonts,
    find_font_files,
    load_font_glyphs,
)
from core.data.font_effects import glyph_effects, image_effects
from core.data.font_warp import draw_params, warp_glyphs

__all__ = ["CLASS_CHARS", "build_font_dataset", "find_font_files", "render_split"]

CLASS_CHARS: dict[str, tuple[str, ...]] = {
    "letters": tuple("ABCDEFGHIJ"),
    "digits": tuple("0123456789"),
}
SKIP_DUPLICATE = "duplicate font"
MAX_FONTS = 150  # fonts used at most (a random sample of them when there are more)
HOLD_OUT = 12  # with >= 5 fonts, about 1/HOLD_OUT of them for valid and as many for test
COMPUTER, BUNDLE = "computer", "bundle"

ProgressFn = Callable[[int, int, str], None]


def family_weights(fonts: Sequence[FontGlyphs]) -> np.ndarray:
    """Sampling weight of each face: every font family weighs the same, shared by its faces.

    A computer with 22 faces of one family (or a family in many weights) then draws it as
    often as any other family, not 22 times as often.

    Parameters
    ----------
    fonts:
        The faces to draw from.

    Returns
    -------
    numpy.ndarray
        Probabilities, one per face, summing to 1.
    """
    families = [f.family or f.name for f in fonts]
    counts = {fam: families.count(fam) for fam in set(families)}
    weights = np.array([1.0 / counts[fam] for fam in families])
    return weights / weights.sum()


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
        Usable fonts to draw from, each family equally often (:func:`family_weights`).
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
    font_idx = rng.choice(len(fonts), n, p=family_weights(fonts))
    p = draw_params(rng, n, kind)
    glyphs = [fonts[f].glyphs[c][w] for f, c, w in zip(font_idx, labels, p["weight"], strict=True)]
    canvas = glyph_effects(warp_glyphs(glyphs, p, kind, tick), rng, kind)
    # box-reduce 2x2 -> 1 (SUPER = 2), summed in uint16
    wide = canvas.astype(np.uint16)
    images = wide[:, 0::2, 0::2] + wide[:, 1::2, 0::2] + wide[:, 0::2, 1::2] + wide[:, 1::2, 1::2]
    images = images.astype(np.float32) * 0.25
    return image_effects(images, rng, kind)


def _load_fonts(
    files: Sequence[tuple[Path, str]], chars: Sequence[str], tick: Callable[[int, str], None]
) -> tuple[list[tuple[FontGlyphs, str]], dict[str, int], dict[str, str]]:
    """Usable faces of ``files`` (each face name once, at most ``MAX_FONTS``) and the skips.

    Parameters
    ----------
    files:
        ``(path, origin)`` pairs, origin ``"computer"`` or ``"bundle"``.

    Returns
    -------
    (fonts, skipped, fonts_skipped)
        ``(face, origin)`` pairs; skip reason -> number of files; file path -> its skip reason.
    """
    fonts: list[tuple[FontGlyphs, str]] = []
    names: set[str] = set()
    skipped: dict[str, int] = {}
    fonts_skipped: dict[str, str] = {}
    for k, (path, origin) in enumerate(files):
        if len(fonts) >= MAX_FONTS:
            break
        tick(k, path.name)
        usable, reason = load_font_glyphs(path, chars)
        new = [face for face in usable if face.name not in names]
        if usable and not new:
            reason = SKIP_DUPLICATE  # the same face from another file (another version, a copy)
        for face in new[: MAX_FONTS - len(fonts)]:
            names.add(face.name)
            fonts.append((face, origin))
        if reason is not None:
            skipped[reason] = skipped.get(reason, 0) + 1
            fonts_skipped[str(path)] = reason
    return fonts, skipped, fonts_skipped


def _balanced_labels(n: int, rng: np.random.Generator) -> np.ndarray:
    return rng.permutation(np.arange(n) % 10)


def split_fonts(
    fonts: Sequence[tuple[FontGlyphs, str]], seed: int
) -> dict[str, list[tuple[FontGlyphs, str]]]:
    """Fonts of each split: disjoint when there are >= 5 fonts, else all fonts everywhere.

    About ``1/HOLD_OUT`` of the fonts (at least one) draw only the validation split and as
    many only the test split; the rest draw train. The held-out fonts are taken from the
    computer's and the bundle's fonts in proportion to their numbers.

    Parameters
    ----------
    fonts:
        ``(face, origin)`` pairs.
    seed:
        Seeds the choice of held-out fonts.

    Returns
    -------
    dict
        ``{"train": [...], "valid": [...], "test": [...]}``, each in the order of ``fonts``.
    """
    if len(fonts) < 5:
        return {"train": list(fonts), "valid": list(fonts), "test": list(fonts)}
    rng = np.random.default_rng([seed, 99])
    n_held = max(1, round(len(fonts) / HOLD_OUT))
    # deal the fonts of each origin in a random order, valid and test taking turns first
    order = [
        i
        for origin in (COMPUTER, BUNDLE)
        for i in rng.permutation([k for k, (_, o) in enumerate(fonts) if o == origin])
    ]
    stride = len(fonts) / (2 * n_held)
    picks = [order[int(k * stride)] for k in range(2 * n_held)]
    valid, test = set(picks[0::2]), set(picks[1::2])
    return {
        "train": [f for k, f in enumerate(fonts) if k not in valid and k not in test],
        "valid": [f for k, f in enumerate(fonts) if k in valid],
        "test": [f for k, f in enumerate(fonts) if k in test],
    }


def build_font_dataset(
    kind: str = "letters",
    *,
    train: int = 30000,
    valid: int = 2000,
    test: int = 2000,
    seed: int = 0,
    progress: ProgressFn | None = None,
    font_files: Sequence[Path] | None = None,
    bundled: bool = True,
) -> Dataset:
    """Render the built-in dataset from this computer's fonts and the bundled ones.

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
        Font files to use instead of this computer's (:func:`find_font_files`); an empty list
        hides the computer's fonts. Identical files and faces whose name was already used
        count once; with more than ``MAX_FONTS`` usable faces a random (seeded) sample is used.
    bundled:
        Also use the fonts shipped with Glyph Lab (:func:`bundled_font_files`).

    Returns
    -------
    Dataset
        uint8 splits and a :class:`Provenance` naming the fonts used (and where they came
        from), the fonts of each split and the fonts skipped.

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
        computer = find_font_files()
    else:
        computer = dedupe_fonts(Path(f) for f in font_files)
    bundle = bundled_font_files() if bundled else []
    files = [(f, COMPUTER) for f in computer] + [(f, BUNDLE) for f in bundle]
    if len(files) > MAX_FONTS:
        order = np.random.default_rng([seed, 98]).permutation(len(files))
        files = [files[i] for i in order]
    total = len(files) + sum(sizes.values())
    loaded = _load_fonts(files, chars, lambda k, name: report(k, total, f"reading font {name}"))
    fonts, skipped, fonts_skipped = loaded
    if not fonts:
        where = "the given font files" if font_files is not None else "this computer's fonts"
        where += " and the bundled fonts" if bundled else ""
        raise DataError(
            None,
            f"no usable font found among {len(files)} files in {where}: "
            f"every one lacks a glyph of {''.join(chars)} or cannot be read",
        )
    pools = split_fonts(fonts, seed)
    arrays: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    done = len(files)
    for index, (split, n) in enumerate(sizes.items()):
        rng = np.random.default_rng([seed, index])
        labels = _balanced_labels(int(n), rng)
        base = done

        def tick(k: int, base: int = base, split: str = split) -> None:
            report(base + k, total, f"rendering {split} images")

        pool = [face for face, _ in pools[split]]
        arrays[split] = (render_split(pool, labels, kind, rng, tick), labels)
        done += int(n)
    report(total, total, "done")
    details = {
        "fonts_found": len(files),
        "fonts_found_on_computer": len(computer),
        "fonts_bundled": len(bundle),
        "fonts_skipped": fonts_skipped,
        "seed": int(seed),
    }
    return _dataset(kind, chars, arrays, fonts, pools, skipped, details)


def _dataset(
    kind: str,
    chars: Sequence[str],
    arrays: dict[str, tuple[np.ndarray, np.ndarray]],
    fonts: list[tuple[FontGlyphs, str]],
    pools: dict[str, list[tuple[FontGlyphs, str]]],
    skipped: dict[str, int],
    extra: dict[str, Any],
) -> Dataset:
    span = f"{chars[0]}-{chars[-1]}"
    n_computer = sum(origin == COMPUTER for _, origin in fonts)
    n_bundle = len(fonts) - n_computer
    parts = []
    if n_computer or not n_bundle:
        parts.append(f"{n_computer} {'font' if n_computer == 1 else 'fonts'} on this computer")
    if n_bundle:
        parts.append(f"{n_bundle} bundled {'font' if n_bundle == 1 else 'fonts'}")
    disjoint = pools["test"] is not pools["train"] and len(fonts) >= 5
    held = (
        "; valid and test use fonts not in train"
        if disjoint
        else "; all splits share the fonts (fewer than 5)"
    )
    per_class = {
        split: {c: int(n) for c, n in zip(chars, np.bincount(y, minlength=10), strict=True)}
        for split, (_, y) in arrays.items()
    }
    names = {split: [f.name for f, _ in pool] for split, pool in pools.items()}
    provenance = Provenance(
        source=f"fonts-{kind}",
        description=f"{kind} {span} rendered from {' and '.join(parts)}{held}",
        images_read=int(sum(len(y) for _, y in arrays.values())),
        skipped=dict(skipped),
        skipped_examples=[
            f"{Path(p).name}: {r}" for p, r in list(extra["fonts_skipped"].items())[:10]
        ],
        details={
            "fonts_used": len(fonts),
            "fonts_from_computer": n_computer,
            "fonts_from_bundle": n_bundle,
            "font_names": [f.name for f, _ in fonts],
            "per_class": per_class,
            "split_fonts_disjoint": disjoint,
            "train_fonts": names["train"] if disjoint else [],
            "valid_fonts": names["valid"] if disjoint else [],
            "test_fonts": names["test"] if disjoint else [],
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
