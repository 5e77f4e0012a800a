"""notMNIST, the real one: official archives, their folders, or the assignment's pickle.

Sources: the official ``notMNIST_large.tar.gz``/``notMNIST_small.tar.gz``, their extracted
folders, or the Udacity assignment's ``notMNIST.pickle``.

Archives are streamed with :mod:`tarfile` (nothing is extracted to disk) and their PNGs decoded in
worker processes (:func:`core.data.images.decode_stream`). Unreadable files are skipped and
counted by reason; colour PNGs are converted to grayscale and counted.
"""

from __future__ import annotations

import os
import tarfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np

from core.data import curate
from core.data.dataset import Dataset, Provenance
from core.data.errors import DataError
from core.data.images import SKIP_TOO_BIG, DecodedImages, SkipLog, decode_stream
from core.data.limits import MAX_PNG_BYTES
from core.data.safe_pickle import safe_load

LETTERS: tuple[str, ...] = tuple("ABCDEFGHIJ")
SKIP_OUTSIDE = "not inside a class folder A..J"
PIXEL_DEPTH = 255.0
PICKLE_KEYS = (
    "train_dataset",
    "train_labels",
    "valid_dataset",
    "valid_labels",
    "test_dataset",
    "test_labels",
)

ProgressFn = Callable[[int, int, str], None]


def is_archive_name(path: Path) -> bool:
    """True when ``path``'s name looks like a tar archive (``.tar.gz``, ``.tgz``, ``.tar``)."""
    name = path.name.lower()
    return name.endswith((".tar.gz", ".tgz", ".tar"))


def class_root(folder: Path) -> Path | None:
    """The folder holding the letter folders: ``folder`` itself or its single sub-folder."""
    if any((folder / letter).is_dir() for letter in LETTERS):
        return folder
    subs = [p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")]
    if len(subs) == 1 and any((subs[0] / letter).is_dir() for letter in LETTERS):
        return subs[0]
    return None


def _iter_archive(
    path: Path, skipped: SkipLog, on_bytes: Callable[[int], None] | None
) -> Iterator[tuple[str, int, bytes]]:
    with path.open("rb") as f:
        magic = f.read(2)
        f.seek(0)
        if magic != b"\x1f\x8b":
            raise DataError(path, "not a gzip file (expected a .tar.gz archive of notMNIST PNGs)")
        try:
            with tarfile.open(fileobj=f, mode="r|gz") as tar:
                for i, member in enumerate(tar):
                    if on_bytes is not None and i % 2000 == 0:
                        on_bytes(f.tell())
                    if not member.isfile():
                        continue
                    parts = member.name.replace("\\", "/").split("/")
                    letter = parts[-2] if len(parts) >= 2 else ""
                    if letter not in LETTERS:
                        skipped.add(SKIP_OUTSIDE, member.name)
                        continue
                    if member.size > MAX_PNG_BYTES:  # the stream skips its data unread
                        skipped.add(SKIP_TOO_BIG, member.name)
                        continue
                    fh = tar.extractfile(member)
                    raw = fh.read() if fh is not None else b""
                    yield member.name, LETTERS.index(letter), raw
        except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
            raise DataError(path, f"truncated or corrupt archive ({exc})") from None


def _read_small(path: str) -> bytes | None:
    """The file's bytes; None when it holds more than :data:`MAX_PNG_BYTES` (b"" if unreadable)."""
    try:
        with open(path, "rb") as f:
            if os.fstat(f.fileno()).st_size > MAX_PNG_BYTES:
                return None
            raw = f.read(MAX_PNG_BYTES + 1)
    except OSError:
        return b""
    return None if len(raw) > MAX_PNG_BYTES else raw


def _iter_folder(root: Path, skipped: SkipLog) -> Iterator[tuple[str, int, bytes]]:
    for label, letter in enumerate(LETTERS):
        folder = root / letter
        with os.scandir(folder) as it:
            entries = sorted((e for e in it if e.is_file()), key=lambda e: e.name)
        for entry in entries:
            name = f"{letter}/{entry.name}"
            raw = _read_small(entry.path)
            if raw is None:
                skipped.add(SKIP_TOO_BIG, name)
            else:
                yield name, label, raw


def _check_classes(result: DecodedImages, path: Path, archive: bool) -> None:
    counts = result.class_counts(len(LETTERS))
    for letter, n in zip(LETTERS, counts, strict=True):
        if n == 0 and archive:
            raise DataError(path, f"class folder {letter}/ is missing or has no readable images")
        if n == 0:
            raise DataError(path / letter, "class folder has no readable images")


def read_archive(
    path: str | Path, *, progress: ProgressFn | None = None, workers: int | None = None
) -> DecodedImages:
    """Read every PNG of a notMNIST ``.tar.gz`` archive (streamed, not extracted).

    Parameters
    ----------
    path:
        ``notMNIST_large.tar.gz`` or ``notMNIST_small.tar.gz`` (or any archive with letter folders).
    progress:
        ``progress(done_bytes, total_bytes, message)`` while reading.
    workers:
        Decoding processes (None: every core).

    Returns
    -------
    DecodedImages
        Images, labels 0..9 (A..J) and the skip log.

    Raises
    ------
    DataError
        Not a gzip file, truncated or corrupt archive, or a class with no readable image.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(path, "no such file")
    total = path.stat().st_size
    skipped = SkipLog()
    message = f"decoding {path.name}"
    on_bytes = None if progress is None else (lambda done: progress(done, total, message))
    result = decode_stream(_iter_archive(path, skipped, on_bytes), workers=workers)
    if progress is not None:
        progress(total, total, message)
    result.skipped.merge(skipped)
    _check_classes(result, path, archive=True)
    return result


def read_folder(
    path: str | Path, *, progress: ProgressFn | None = None, workers: int | None = None
) -> DecodedImages:
    """Read every PNG of an extracted notMNIST folder (a root with one folder per letter A..J).

    Parameters
    ----------
    path:
        The root, or a folder whose only sub-folder is the root.
    progress:
        ``progress(done_files, total_files, message)`` while decoding.
    workers:
        Decoding processes (None: every core).

    Returns
    -------
    DecodedImages
        Images, labels 0..9 (A..J) and the skip log.

    Raises
    ------
    DataError
        Naming the folder, when a class folder is missing or empty.
    """
    path = Path(path)
    root = class_root(path) if path.is_dir() else None
    if root is None:
        raise DataError(path, "no class folders A..J found")
    total = 0
    for letter in LETTERS:
        folder = root / letter
        if not folder.is_dir():
            raise DataError(folder, "missing class folder")
        n = sum(1 for e in os.scandir(folder) if e.is_file())
        if n == 0:
            raise DataError(folder, "empty class folder (no files)")
        total += n
    message = f"decoding {root.name}"
    skipped = SkipLog()
    tick = (
        None if progress is None else (lambda done: progress(done + skipped.total, total, message))
    )
    result = decode_stream(_iter_folder(root, skipped), workers=workers, progress=tick)
    result.skipped.merge(skipped)
    _check_classes(result, root, archive=False)
    return result


def read_source(
    path: str | Path, *, progress: ProgressFn | None = None, workers: int | None = None
) -> DecodedImages:
    """Read a notMNIST archive or folder (see :func:`read_archive`, :func:`read_folder`)."""
    path = Path(path)
    if path.is_dir():
        return read_folder(path, progress=progress, workers=workers)
    return read_archive(path, progress=progress, workers=workers)


def _describe(result: DecodedImages) -> dict[str, object]:
    return {
        "images_read": len(result.labels),
        "skipped": dict(result.skipped.counts),
        "converted_to_grayscale": int(result.converted),
        "per_class": curate.per_class(result.labels, LETTERS),
    }


def load_notmnist(
    paths: Sequence[str | Path],
    *,
    seed: int = 0,
    train: int | None = None,
    valid: int | None = None,
    test: int | None = None,
    progress: ProgressFn | None = None,
    workers: int | None = None,
    source: str | None = None,
) -> Dataset:
    """Build a notMNIST :class:`Dataset` from one or two archives/folders.

    With one source, its images are shuffled with ``seed`` and split (defaults: 10% each for
    valid and test, at most 10,000, and up to 200,000 for train). With two (the large and the
    small archive), train and valid come from the bigger one and test from the smaller one.

    Parameters
    ----------
    paths:
        One or two notMNIST archives or folders.
    seed:
        Shuffle seed.
    train, valid, test:
        Split sizes, capped by what exists.
    progress:
        ``progress(done, total, message)``.
    workers:
        Decoding processes (None: every core).
    source:
        Provenance source name (default: the path).

    Returns
    -------
    Dataset
        Letters A..J; ``provenance.details`` has per-source per-class counts and skip reasons.
    """
    if not 1 <= len(paths) <= 2:
        raise ValueError("load_notmnist takes one or two sources")
    results = [(Path(p), read_source(p, progress=progress, workers=workers)) for p in paths]
    results.sort(key=lambda pr: -len(pr[1].labels))
    skipped = SkipLog()
    for _, r in results:
        skipped.merge(r.skipped)
    big_path, big = results[0]
    if len(results) == 2:
        small = results[1][1]
        x, y = curate.shuffled(big.images, big.labels, np.random.default_rng(seed))
        n_valid = min(curate.DEFAULT_VALID if valid is None else max(0, valid), len(x))
        n_train = min(curate.DEFAULT_TRAIN if train is None else max(0, train), len(x) - n_valid)
        train_split = (x[n_valid : n_valid + n_train], y[n_valid : n_valid + n_train])
        valid_split = (x[:n_valid], y[:n_valid])
        tx, ty = curate.shuffled(small.images, small.labels, np.random.default_rng(seed + 1))
        n_test = min(curate.DEFAULT_TEST if test is None else max(0, test), len(tx))
        test_split = (tx[:n_test], ty[:n_test])
        layout = f"train and valid from {big_path.name}, test from {results[1][0].name}"
    else:
        train_split, valid_split, test_split = curate.split_pool(
            big.images, big.labels, seed=seed, train=train, valid=valid, test=test
        )
        layout = f"train, valid and test shuffled (seed {seed}) from {big_path.name}"
    read = sum(len(r.labels) for _, r in results)
    converted = sum(r.converted for _, r in results)
    provenance = Provenance(
        source=source or str(big_path),
        description=f"notMNIST letters A-J: {read:,} PNGs read from "
        + " + ".join(p.name for p, _ in results),
        images_read=read,
        skipped=dict(skipped.counts),
        skipped_examples=skipped.examples[:20],
        details={
            "format": "notMNIST PNG archive/folder",
            "layout": layout,
            "colour_png": f"{converted} colour PNGs converted to grayscale (not skipped)",
            "sources": {str(p): _describe(r) for p, r in results},
            "per_class_read": curate.per_class(
                np.concatenate([r.labels for _, r in results]), LETTERS
            ),
        },
    )
    return curate.make_dataset(
        "notMNIST", LETTERS, train_split, valid_split, test_split, provenance
    )


def _from_assignment(x: object, path: Path, key: str) -> np.ndarray:
    if not isinstance(x, np.ndarray) or x.ndim != 3 or x.shape[1:] != (28, 28):
        shape = getattr(x, "shape", type(x).__name__)
        raise DataError(path, f"{key} must be a (N, 28, 28) array, got {shape}")
    if not np.issubdtype(x.dtype, np.floating):
        raise DataError(path, f"{key} must be float (normalized pixels), got {x.dtype}")
    pixels = np.asarray(x, dtype=np.float64) * PIXEL_DEPTH + PIXEL_DEPTH / 2
    rounded = np.rint(pixels)
    if (
        not np.isfinite(pixels).all()
        or np.abs(pixels - rounded).max(initial=0) > 0.01
        or rounded.min(initial=0) < 0
        or rounded.max(initial=0) > 255
    ):
        raise DataError(path, f"{key} is not (pixel - 127.5) / 255 of 0..255 pixels")
    return rounded.astype(np.uint8)


def load_assignment_pickle(path: str | Path, *, source: str | None = None) -> Dataset:
    """Load the Udacity assignment's ``notMNIST.pickle`` safely and convert it back to uint8.

    The pickle holds ``train_dataset``/``valid_dataset``/``test_dataset`` float32 ``(N, 28, 28)``
    normalized as ``(pixel - 255/2) / 255`` and int label arrays; pixels are restored exactly
    with ``round(x * 255 + 127.5)``.

    Returns
    -------
    Dataset
        Letters A..J with the pickle's own splits.

    Raises
    ------
    DataError
        Unsafe pickle, missing keys, wrong shapes or values, labels outside 0..9.
    """
    path = Path(path)
    data = safe_load(path)
    if not isinstance(data, dict):
        raise DataError(path, f"expected a dict with {', '.join(PICKLE_KEYS)}")
    missing = [k for k in PICKLE_KEYS if k not in data]
    if missing:
        raise DataError(path, f"missing keys: {', '.join(missing)}")
    splits = []
    for split in ("train", "valid", "test"):
        x = _from_assignment(data[f"{split}_dataset"], path, f"{split}_dataset")
        y = np.asarray(data[f"{split}_labels"])
        if y.ndim != 1 or len(y) != len(x) or not np.issubdtype(y.dtype, np.integer):
            raise DataError(
                path, f"{split}_labels must be {len(x)} integers, got {y.dtype} {y.shape}"
            )
        if len(y) and (y.min() < 0 or y.max() > 9):
            raise DataError(path, f"{split}_labels out of range 0..9")
        splits.append((x, y.astype(np.int64)))
    read = sum(len(s[1]) for s in splits)
    provenance = Provenance(
        source=source or str(path),
        description=f"notMNIST letters A-J from the assignment pickle {path.name} "
        f"({read:,} images)",
        images_read=read,
        details={
            "format": "Udacity notMNIST.pickle (float32, (pixel - 127.5) / 255)",
            "per_class_read": curate.per_class(np.concatenate([s[1] for s in splits]), LETTERS),
        },
    )
    return curate.make_dataset("notMNIST", LETTERS, *splits, provenance)
