"""Decode raw PNG bytes into 28x28 uint8 images, in parallel worker processes for big sets.

Unreadable files are skipped and counted by reason (see :class:`SkipLog`). Colour PNGs are
**converted** to grayscale (mode ``L``) and counted as converted; 16-bit and float PNGs are skipped.

Decoding uses a process pool with the ``spawn`` start method (forking a process that has already
imported TensorFlow is unsafe). Threads do not help: measured on 20,000 notMNIST PNGs, one thread
took 0.61 s and two threads 0.80 s, because Pillow's per-image work for a 28x28 PNG is mostly
Python code holding the GIL.
"""

from __future__ import annotations

import io
import multiprocessing
import os
import warnings
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field

import numpy as np

from core.data.dataset import IMAGE_SHAPE
from core.data.limits import MAX_PNG_BYTES

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PIXELS = IMAGE_SHAPE[0] * IMAGE_SHAPE[1]

OK = "ok"
CONVERTED = "converted"
SKIP_EMPTY = "empty file (0 bytes)"
SKIP_NOT_PNG = "not a PNG"
SKIP_CORRUPT = "cannot decode (truncated or corrupt PNG)"
SKIP_SIZE = "wrong size (not 28x28)"
SKIP_MODE = "unsupported pixel mode (16-bit or float)"
SKIP_TOO_BIG = f"too big for a 28x28 PNG (over {MAX_PNG_BYTES // 1024:,} KiB; not read)"
CHUNK_BYTES = 16 << 20  # a work unit also ends at this many bytes of PNGs, bounding memory

# Modes Pillow converts to 8-bit grayscale without losing meaning.
_CONVERTIBLE = frozenset({"1", "P", "PA", "RGB", "RGBA", "RGBX", "LA", "La", "CMYK", "YCbCr"})

ProgressFn = Callable[[int, int, str], None]


def decode_png(raw: bytes) -> tuple[bytes | None, str]:
    """Decode one PNG into 784 grayscale bytes.

    Parameters
    ----------
    raw:
        The file's bytes.

    Returns
    -------
    tuple
        ``(pixels, status)``: ``pixels`` is 784 bytes (row-major 28x28) or None when skipped;
        ``status`` is ``"ok"``, ``"converted"`` (colour converted to grayscale) or a skip reason.
    """
    from PIL import Image

    if not raw:
        return None, SKIP_EMPTY
    if not raw.startswith(PNG_SIGNATURE):
        return None, SKIP_NOT_PNG
    try:
        with Image.open(io.BytesIO(raw), formats=("PNG",)) as im:
            if im.size != IMAGE_SHAPE[::-1]:
                return None, SKIP_SIZE
            status = OK
            if im.mode != "L":
                if im.mode not in _CONVERTIBLE:
                    return None, SKIP_MODE
                im.load()
                im = im.convert("L")
                status = CONVERTED
            pixels = im.tobytes()
    except Exception:
        return None, SKIP_CORRUPT
    if len(pixels) != PIXELS:
        return None, SKIP_CORRUPT
    return pixels, status


def decode_chunk(blobs: list[bytes]) -> tuple[bytes, list[str]]:
    """Decode a list of PNGs (run in a worker process).

    Parameters
    ----------
    blobs:
        Raw PNG files.

    Returns
    -------
    tuple
        ``(pixels, statuses)``: the decoded images' 784-byte rows concatenated, in order, and one
        status per blob (see :func:`decode_png`).
    """
    out = bytearray()
    statuses = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for raw in blobs:
            pixels, status = decode_png(raw)
            if pixels is not None:
                out += pixels
            statuses.append(status)
    return bytes(out), statuses


@dataclass
class SkipLog:
    """Counts of skipped files by reason, with a few examples of each."""

    counts: dict[str, int] = field(default_factory=dict)
    examples: list[str] = field(default_factory=list)
    per_reason_examples: int = 3

    def add(self, reason: str, name: str) -> None:
        """Record that file ``name`` was skipped for ``reason``."""
        n = self.counts.get(reason, 0)
        self.counts[reason] = n + 1
        if n < self.per_reason_examples:
            self.examples.append(f"{name}: {reason}")

    def merge(self, other: SkipLog) -> None:
        """Add another log's counts and examples to this one."""
        for reason, n in other.counts.items():
            self.counts[reason] = self.counts.get(reason, 0) + n
        self.examples.extend(other.examples)

    @property
    def total(self) -> int:
        """Number of files skipped, over all reasons."""
        return sum(self.counts.values())


@dataclass
class DecodedImages:
    """Images decoded from a source, with their labels and what was skipped."""

    images: np.ndarray
    labels: np.ndarray
    skipped: SkipLog
    converted: int = 0

    def class_counts(self, num_classes: int = 10) -> np.ndarray:
        """Images per class."""
        return np.bincount(self.labels, minlength=num_classes)


def default_workers() -> int:
    """Decoding processes to start: one per core but one, which reads the archive (at least 1)."""
    return max(1, (os.cpu_count() or 1) - 1)


def _spawn_pool(workers: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))


def decode_stream(
    items: Iterable[tuple[str, int, bytes]],
    *,
    workers: int | None = None,
    chunk_size: int = 2000,
    progress: Callable[[int], None] | None = None,
) -> DecodedImages:
    """Decode ``(name, label, png_bytes)`` items, in worker processes once there are many.

    The first chunk is decoded in this process; a ``spawn`` process pool starts only when a
    second chunk arrives, so small sets never pay for starting processes. At most
    ``2 * workers`` chunks are in flight, and a chunk ends at ``chunk_size`` files or
    :data:`CHUNK_BYTES` bytes, so memory stays bounded for a 530k-file archive and for big files.

    Parameters
    ----------
    items:
        Iterable of ``(name, label, raw_bytes)``; it may raise (e.g. a truncated archive).
    workers:
        Decoding processes; ``None``: :func:`default_workers`; ``0``: decode in this process.
    chunk_size:
        Files per work unit.
    progress:
        Called with the number of files decoded so far.

    Returns
    -------
    DecodedImages
        The decoded images in input order, their labels and the skip log.
    """
    workers = default_workers() if workers is None else max(0, workers)
    parts: list[bytes] = []
    labels: list[int] = []
    skipped = SkipLog()
    converted = 0
    done = 0
    pending: list[tuple[Future, list[str], list[int], list[bytes]]] = []
    pool: ProcessPoolExecutor | None = None
    use_pool = workers > 0

    def collect(result: tuple[bytes, list[str]], names: list[str], labs: list[int]) -> None:
        nonlocal converted, done
        pixels, statuses = result
        parts.append(pixels)
        for name, lab, status in zip(names, labs, statuses, strict=True):
            if status in (OK, CONVERTED):
                labels.append(lab)
                converted += status == CONVERTED
            else:
                skipped.add(status, name)
        done += len(names)
        if progress is not None:
            progress(done)

    def collect_pending() -> None:
        nonlocal use_pool
        future, names, labs, blobs = pending.pop(0)
        try:
            result = future.result()
        except BrokenProcessPool:  # e.g. an unguarded __main__ under spawn: decode here
            use_pool = False
            result = decode_chunk(blobs)
        collect(result, names, labs)

    def submit(names: list[str], labs: list[int], blobs: list[bytes]) -> None:
        nonlocal pool, use_pool
        if use_pool and done + len(pending) > 0:
            try:
                if pool is None:
                    pool = _spawn_pool(workers)
                pending.append((pool.submit(decode_chunk, blobs), names, labs, blobs))
            except (BrokenProcessPool, RuntimeError, OSError):
                use_pool = False
                while pending:
                    collect_pending()
                collect(decode_chunk(blobs), names, labs)
            while len(pending) > 2 * workers:
                collect_pending()
        else:
            while pending:
                collect_pending()
            collect(decode_chunk(blobs), names, labs)

    try:
        for names, labs, blobs in _chunks(items, chunk_size):
            submit(names, labs, blobs)
        while pending:
            collect_pending()
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    flat = np.frombuffer(b"".join(parts), dtype=np.uint8)
    return DecodedImages(
        images=flat.reshape(-1, *IMAGE_SHAPE).copy(),
        labels=np.asarray(labels, dtype=np.int64),
        skipped=skipped,
        converted=converted,
    )


def _chunks(
    items: Iterable[tuple[str, int, bytes]], size: int
) -> Iterator[tuple[list[str], list[int], list[bytes]]]:
    names: list[str] = []
    labs: list[int] = []
    blobs: list[bytes] = []
    held = 0
    for name, lab, raw in items:
        names.append(name)
        labs.append(lab)
        blobs.append(raw)
        held += len(raw)
        if len(names) >= size or held >= CHUNK_BYTES:
            yield names, labs, blobs
            names, labs, blobs = [], [], []
            held = 0
    if names:
        yield names, labs, blobs
