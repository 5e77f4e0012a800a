"""Benchmark 6: a generated archive shaped like notMNIST_large: curation, cached reload, training.

The archive (``.tar.gz``, 10 letter folders, 529,114 PNGs of which a few are corrupt as in the
real one; 5,000 with ``--quick``) is generated once into the bench folder and reused. Each phase
runs in a fresh process with an empty cache: ``curate_s`` is ``load_dataset(archive)`` from cold
(decode + curate + cache write); ``reload_s`` the cache hit in a second process, which then trains
nn1024 and reports its peak RSS. The in-run baseline is a plain pass over the archive that reads
every member without decoding (``tar_read_s``), the I/O floor of curation.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import sys
import tarfile
import time
import zlib
from pathlib import Path

import numpy as np

from bench.common import BENCH_HOME, Clock, emit, peak_rss_mb, run_child, setup_env

LETTERS = "ABCDEFGHIJ"
FULL = 529_114
QUICK = 5_000
CORRUPT = {"empty": 6, "truncated": 3}


def png_bytes(img: np.ndarray) -> bytes:
    """A minimal 8-bit grayscale PNG of ``img`` (fast: zlib directly, no Pillow)."""
    h, w = img.shape
    raw = np.zeros((h, w + 1), np.uint8)
    raw[:, 1:] = img

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw.tobytes(), 6))
        + chunk(b"IEND", b"")
    )


def _templates(n: int, rng: np.random.Generator) -> np.ndarray:
    from PIL import Image, ImageDraw

    out = np.zeros((n, 28, 28), np.uint8)
    for i in range(n):
        im = Image.new("L", (28, 28), 0)
        d = ImageDraw.Draw(im)
        for _ in range(3):
            pts = [tuple(map(int, p)) for p in rng.integers(2, 26, (3, 2))]
            d.line(pts, fill=int(rng.integers(150, 256)), width=int(rng.integers(2, 5)))
        out[i] = np.asarray(im)
    return out


def generate_archive(path: Path, n: int, seed: int = 0) -> Path:
    """Write a notMNIST_large-shaped ``.tar.gz`` with ``n`` PNGs (a few corrupt) to ``path``."""
    rng = np.random.default_rng(seed)
    temps = _templates(500, rng)
    tmp = path.with_suffix(".part")
    corrupt = rng.choice(n, sum(CORRUPT.values()), replace=False)
    kinds = dict(
        zip(
            corrupt.tolist(),
            ["empty"] * CORRUPT["empty"] + ["truncated"] * CORRUPT["truncated"],
            strict=True,
        )
    )
    with tarfile.open(tmp, "w:gz", compresslevel=1) as tar:
        for start in range(0, n, 2000):
            k = min(2000, n - start)
            base = temps[rng.integers(0, len(temps), k)].astype(np.int16)
            noise = rng.integers(0, 8, (k, 28, 28), dtype=np.int16)
            imgs = np.clip(base + noise, 0, 255).astype(np.uint8)
            shifts = rng.integers(-2, 3, (k, 2))
            for j in range(k):
                i = start + j
                img = np.roll(imgs[j], tuple(shifts[j]), axis=(0, 1))
                blob = png_bytes(img)
                if kinds.get(i) == "empty":
                    blob = b""
                elif kinds.get(i) == "truncated":
                    blob = blob[: len(blob) // 2]
                info = tarfile.TarInfo(f"notMNIST_large/{LETTERS[i % 10]}/{i:07d}.png")
                info.size = len(blob)
                tar.addfile(info, _Reader(blob))
    tmp.rename(path)
    return path


class _Reader:
    def __init__(self, blob: bytes) -> None:
        self.blob, self.pos = blob, 0

    def read(self, size: int = -1) -> bytes:
        end = len(self.blob) if size < 0 else self.pos + size
        out, self.pos = self.blob[self.pos : end], min(end, len(self.blob))
        return out


def archive(n: int) -> Path:
    """The cached generated archive with ``n`` PNGs (generated on first use)."""
    folder = BENCH_HOME / "archives"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"notMNIST_large_synth_{n}.tar.gz"
    return path if path.exists() else generate_archive(path, n)


def tar_read_seconds(path: Path) -> float:
    """Seconds to stream every member's bytes out of the archive (no decoding)."""
    t0 = time.perf_counter()
    with tarfile.open(path, "r|gz") as tar:
        for m in tar:
            if m.isfile():
                tar.extractfile(m).read()
    return time.perf_counter() - t0


def child(phase: str, path: str, steps: int) -> dict:
    """In a fresh process: curate from cold, or reload from the cache and train nn1024."""
    from core.data.registry import load_dataset

    t0 = time.perf_counter()
    ds = load_dataset(path)
    seconds = time.perf_counter() - t0
    out = {
        "seconds": seconds,
        "images": int(ds.provenance.images_read),
        "skipped": int(ds.provenance.images_skipped),
        "train": len(ds.train_x),
        "peak_rss_mb": peak_rss_mb(),
    }
    if phase == "reload":
        from core.training.config import TrainConfig
        from core.training.trainer import Trainer

        cfg = TrainConfig.from_preset("nn1024", dataset=path, steps=steps, save=False)
        t1 = time.perf_counter()
        for _ in Trainer(cfg, ds).run():
            pass
        out["train_s"] = time.perf_counter() - t1
        out["train_peak_rss_mb"] = peak_rss_mb()
    return out


def run(quick: bool = False) -> dict:
    """Returns ``{images, curate_s, reload_s, train_peak_rss_mb}`` and the details."""
    os.environ["GLYPH_LAB_CACHE_DIR"] = str(BENCH_HOME / "scale-cache")
    setup_env()
    clock = Clock()
    path = archive(QUICK if quick else FULL)
    shutil.rmtree(BENCH_HOME / "scale-cache", ignore_errors=True)
    floor = tar_read_seconds(path)
    cold = run_child("bench.scale", "curate", path, 0)
    warm = run_child("bench.scale", "reload", path, 100 if quick else 1000)
    return {
        "images": cold["images"] + cold["skipped"],
        "curate_s": cold["seconds"],
        "reload_s": warm["seconds"],
        "train_peak_rss_mb": warm["train_peak_rss_mb"],
        "skipped": cold["skipped"],
        "train_images": cold["train"],
        "curate_peak_rss_mb": cold["peak_rss_mb"],
        "tar_read_s": floor,
        "curate_vs_tar_read": cold["seconds"] / floor,
        "archive_mb": path.stat().st_size / 1e6,
        "seconds": clock(),
    }


def main() -> None:
    """``python -m bench.scale [--quick] [--json PATH]`` (``--child`` is internal)."""
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        setup_env()
        print(json.dumps(child(sys.argv[2], sys.argv[3], int(sys.argv[4]))))
        return
    from bench.common import parse_args

    args = parse_args(__doc__.splitlines()[0])
    emit(run(args.quick), args.json)


if __name__ == "__main__":
    main()
