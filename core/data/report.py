"""The curation report (plain text) and the ``--peek`` PNG grid of samples from each split."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from core.data.dataset import SPLITS, Dataset
from core.data.errors import DataError
from core.data.normalize import PIXEL_OFFSET, PIXEL_SCALE

OVERLAP_LABELS = {
    "within_train": "duplicates within train",
    "train_valid": "valid images also in train",
    "train_test": "test images also in train",
    "valid_test": "test images also in valid",
}


def normalized_stats(images: np.ndarray) -> tuple[float, float]:
    """Mean and std of ``normalize(images)``, exactly, from a 256-bin histogram (no float copy).

    Returns
    -------
    tuple of float
        ``(mean, std)`` of ``(x - 128) / 255`` over every pixel.
    """
    hist = np.bincount(np.asarray(images, dtype=np.uint8).ravel(), minlength=256)
    total = hist.sum()
    if total == 0:
        return float("nan"), float("nan")
    values = (np.arange(256, dtype=np.float64) - PIXEL_OFFSET) / PIXEL_SCALE
    mean = float((hist * values).sum() / total)
    var = float((hist * (values - mean) ** 2).sum() / total)
    return mean, var**0.5


def format_report(ds: Dataset) -> str:
    """The curation report: source, images read/skipped, per-class counts, overlaps, stats.

    Returns
    -------
    str
        Several lines, no trailing newline.
    """
    p = ds.provenance
    d = p.details
    lines = [f"dataset: {ds.name}", f"source: {p.source}", f"description: {p.description}"]
    for key in ("format", "layout", "colour_png", "cache"):
        if key in d:
            lines.append(f"{key.replace('_', ' ')}: {d[key]}")
    lines.append(f"images read: {p.images_read:,}")
    lines.append(f"images skipped: {p.images_skipped:,}")
    for reason, n in sorted(p.skipped.items(), key=lambda kv: -kv[1]):
        lines.append(f"  {n:>8,}  {reason}")
    for example in p.skipped_examples[:10]:
        lines.append(f"    e.g. {example}")
    width = max(len(c) for c in ds.class_names) if ds.class_names else 1
    if "per_class_read" in d:
        lines.append(
            "per class, as read: " + "  ".join(f"{c}={n:,}" for c, n in d["per_class_read"].items())
        )
    lines.append(f"per class per split ({', '.join(ds.class_names)}):")
    for split in SPLITS:
        counts = ds.class_counts(split)
        cells = " ".join(f"{int(n):>{max(width, 6)}}" for n in counts) if counts.any() else "empty"
        lines.append(f"  {split:<5} {len(ds.split(split)[1]):>8,} | {cells}")
    if "overlap" in d:
        if "overlap_before_sanitize" in d:
            before = d["overlap_before_sanitize"]
            lines.append(
                "overlap before sanitize: "
                + ", ".join(f"{OVERLAP_LABELS.get(k, k)} {v:,}" for k, v in before.items())
            )
            dropped = d.get("sanitize_dropped", {})
            lines.append(
                f"sanitize dropped: {dropped.get('valid', 0):,} valid, "
                f"{dropped.get('test', 0):,} test"
            )
        label = "overlap after sanitize" if d.get("sanitized") else "overlap"
        lines.append(
            f"{label}: "
            + ", ".join(f"{OVERLAP_LABELS.get(k, k)} {v:,}" for k, v in d["overlap"].items())
        )
    for split in SPLITS:
        x, _ = ds.split(split)
        if not len(x):
            lines.append(f"{split}: empty")
            continue
        mean, std = normalized_stats(x)
        lines.append(f"normalized {split}: mean {mean:+.3f}, std {std:.3f}")
    try:
        ds.check_trainable()
    except DataError as exc:
        lines.append(f"note: cannot train on this dataset: {exc.problem}")
    return "\n".join(lines)


def write_peek(
    ds: Dataset,
    path: str | Path,
    *,
    per_split: int = 20,
    columns: int = 10,
    scale: int = 2,
    seed: int = 0,
) -> Path:
    """Write a PNG grid of random samples from each split, each with its label.

    Parameters
    ----------
    ds:
        The dataset.
    path:
        Output ``.png``.
    per_split:
        Samples drawn from each split (fewer when the split is smaller).
    columns:
        Images per row.
    scale:
        Integer upscale of each 28x28 image.
    seed:
        Seed for choosing the samples.

    Returns
    -------
    pathlib.Path
        The written file.
    """
    from PIL import Image, ImageDraw, ImageFont

    path = Path(path)
    rng = np.random.default_rng(seed)
    cell, label_h, title_h, pad = 28 * scale, 12, 14, 4
    rows_per_split = max(1, -(-per_split // columns))
    width = columns * (cell + pad) + pad
    height = len(SPLITS) * (title_h + rows_per_split * (cell + label_h + pad)) + pad
    canvas = Image.new("L", (width, height), color=64)
    draw = ImageDraw.Draw(canvas)
    font = ImageFont.load_default()
    y0 = pad
    for split in SPLITS:
        x_all, y_all = ds.split(split)
        draw.text((pad, y0), f"{split} ({len(y_all):,})", fill=255, font=font)
        y0 += title_h
        pick = (
            np.sort(rng.choice(len(y_all), size=min(per_split, len(y_all)), replace=False))
            if len(y_all)
            else np.zeros(0, np.int64)
        )
        for i, idx in enumerate(pick):
            r, c = divmod(i, columns)
            left = pad + c * (cell + pad)
            top = y0 + r * (cell + label_h + pad)
            tile = Image.fromarray(x_all[idx]).resize((cell, cell), Image.Resampling.NEAREST)
            canvas.paste(tile, (left, top))
            draw.text((left, top + cell), ds.class_names[int(y_all[idx])][:8], fill=255, font=font)
        y0 += rows_per_split * (cell + label_h + pad)
    path.parent.mkdir(parents=True, exist_ok=True)
    canvas.save(path, format="PNG")
    return path
