"""MNIST-format IDX files (MNIST, Fashion-MNIST, EMNIST), raw or gzipped.

A folder holding ``train-images-idx3-ubyte[.gz]``, ``train-labels-idx1-ubyte[.gz]``,
``t10k-images-idx3-ubyte[.gz]`` and ``t10k-labels-idx1-ubyte[.gz]`` (EMNIST prefixes them, e.g.
``emnist-letters-``), or one images file with its labels file beside it. Every header field is
checked against the file's length before anything is read.

EMNIST images are stored transposed; they are flipped back. EMNIST ``letters`` labels are 1..26:
only A..J (labels 1..10) are kept, as 0..9, and the other letters are counted as skipped. Other
EMNIST sets keep their digits 0..9 only.
"""

from __future__ import annotations

import contextlib
import gzip
import math
import os
import re
import stat
import struct
import zlib
from pathlib import Path
from typing import BinaryIO, NoReturn

import numpy as np

from core.data import curate
from core.data.dataset import Dataset, Provenance
from core.data.errors import DataError
from core.data.limits import too_many_images

IMAGES_MAGIC = 0x00000803
LABELS_MAGIC = 0x00000801
DIGITS: tuple[str, ...] = tuple("0123456789")
LETTERS: tuple[str, ...] = tuple("ABCDEFGHIJ")
FASHION: tuple[str, ...] = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
CHUNK = 1 << 20

_PATTERN = re.compile(
    r"^(?P<prefix>.*?)(?P<split>train|t10k|test)-(?P<kind>images|labels)"
    r"[-.](?P<idx>idx[13])-ubyte(?P<gz>\.gz)?$",
    re.IGNORECASE,
)


def is_idx_name(path: Path) -> bool:
    """True when ``path``'s name looks like an IDX images or labels file."""
    return _PATTERN.match(path.name) is not None


def _read_upto(stream: BinaryIO, n: int) -> bytes:
    """At most ``n`` bytes of ``stream``, read in chunks (never more than the stream holds)."""
    chunks: list[bytes] = []
    left = n
    while left > 0:
        chunk = stream.read(min(CHUNK, left))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _read_bytes(path: Path, kind: str) -> bytes:
    """The (gunzipped) contents of an IDX file, reading no more than its header announces.

    The header is read first and checked (magic, shape, image count within
    :data:`~core.data.limits.MAX_IMAGES`); then at most the announced items plus one byte are
    read, in chunks, so neither a sparse file nor a gzip bomb is ever read whole.
    """
    ndim = 3 if kind == "images" else 1
    try:
        with path.open("rb") as f:
            info = os.fstat(f.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise DataError(path, "not a regular file")
            gz = f.read(2) == b"\x1f\x8b"
            f.seek(0)
            with gzip.GzipFile(fileobj=f) if gz else contextlib.nullcontext(f) as stream:
                head = _read_upto(stream, 4 + 4 * ndim)
                header, dims = _parse_header(head, path, kind)
                expected = header + math.prod(dims)
                if not gz and info.st_size > expected:
                    _too_long(path, info.st_size - expected, dims)
                data = head + _read_upto(stream, expected - header + 1)
    except FileNotFoundError:
        raise DataError(path, "no such file") from None
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise DataError(path, f"truncated or corrupt gzip data ({exc})") from None
    except OSError as exc:
        raise DataError(path, f"cannot read ({exc.strerror or exc})") from None
    if len(data) > expected:
        raise DataError(
            path,
            f"decompresses to more than the {dims[0]:,} items the header announces "
            f"({expected:,} bytes)",
        )
    return data


def _too_long(path: Path, extra: int, dims: tuple[int, ...]) -> NoReturn:
    raise DataError(
        path, f"{extra:,} unexpected bytes after the {dims[0]:,} items the header announces"
    )


def _parse_header(data: bytes, path: str | Path, kind: str) -> tuple[int, tuple[int, ...]]:
    """Check an IDX header's magic, data type, shape and item count.

    Returns
    -------
    tuple
        ``(header_length, dims)``.
    """
    ndim = 3 if kind == "images" else 1
    magic = IMAGES_MAGIC if kind == "images" else LABELS_MAGIC
    if len(data) < 4:
        raise DataError(path, f"too short for an IDX {kind} file ({len(data)} bytes)")
    (found,) = struct.unpack(">I", data[:4])
    if found != magic:
        if data[:2] == b"\0\0" and data[3] == ndim and data[2] != 0x08:
            raise DataError(path, f"IDX data type 0x{data[2]:02x} is not unsigned byte (0x08)")
        raise DataError(
            path, f"bad magic number 0x{found:08x}; an IDX {kind} file starts with 0x{magic:08x}"
        )
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataError(path, f"truncated header ({len(data)} bytes)")
    dims = struct.unpack(f">{ndim}I", data[4:header])
    if kind == "images" and dims[1:] != (28, 28):
        raise DataError(path, f"images are {dims[1]}x{dims[2]}, expected 28x28")
    problem = too_many_images(dims[0], kind)
    if problem is not None:
        raise DataError(path, problem)
    return header, dims


def parse_idx(data: bytes, path: str | Path, *, kind: str) -> np.ndarray:
    """Parse IDX bytes, checking magic, dtype, dimensions, item count and length.

    Parameters
    ----------
    data:
        The (decompressed) file contents.
    path:
        The file, for error messages.
    kind:
        ``"images"`` (magic 0x00000803, N x 28 x 28) or ``"labels"`` (magic 0x00000801, N).

    Returns
    -------
    numpy.ndarray
        uint8 ``(N, 28, 28)`` images or ``(N,)`` labels.

    Raises
    ------
    DataError
        Naming ``path`` and what is wrong.
    """
    header, dims = _parse_header(data, path, kind)
    expected = header + math.prod(dims)
    if len(data) < expected:
        raise DataError(
            path,
            f"truncated: header says {dims[0]:,} items ({expected:,} bytes) "
            f"but the file has {len(data):,} bytes",
        )
    if len(data) > expected:
        _too_long(Path(path), len(data) - expected, dims)
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(dims)


def read_idx(path: str | Path, *, kind: str) -> np.ndarray:
    """Read and validate one IDX file, gzipped or not (see :func:`parse_idx`)."""
    path = Path(path)
    return parse_idx(_read_bytes(path, kind), path, kind=kind)


def _pair(images: Path) -> tuple[Path, Path]:
    m = _PATTERN.match(images.name)
    if m is None:
        raise DataError(images, "not an IDX file name (expected ...-images-idx3-ubyte[.gz])")
    stem = m["prefix"] + m["split"]
    candidates = []
    for gz in ("", ".gz"):
        candidates += [
            images.with_name(f"{stem}-images-idx3-ubyte{gz}"),
            images.with_name(f"{stem}-images.idx3-ubyte{gz}"),
        ]
    imgs = (
        images
        if m["kind"].lower() == "images"
        else next((c for c in candidates if c.is_file()), None)
    )
    if imgs is None:
        raise DataError(images, "no images file beside this labels file")
    labels = [
        imgs.with_name(n)
        for n in (
            f"{stem}-labels-idx1-ubyte.gz",
            f"{stem}-labels-idx1-ubyte",
            f"{stem}-labels.idx1-ubyte.gz",
            f"{stem}-labels.idx1-ubyte",
        )
    ]
    found = next((p for p in labels if p.is_file()), None)
    if found is None:
        raise DataError(
            imgs, f"no labels file beside it (looked for {labels[0].name} or {labels[1].name})"
        )
    return imgs, found


def find_sets(folder: Path) -> dict[str, tuple[Path, Path]]:
    """``{"train": (images, labels), "test": (...)}`` for the IDX files in ``folder``.

    Raises
    ------
    DataError
        When the folder holds no IDX images file or several sets (e.g. two EMNIST variants).
    """
    found: dict[str, list[Path]] = {}
    for p in sorted(folder.iterdir()):
        m = _PATTERN.match(p.name)
        if m and m["kind"].lower() == "images" and p.is_file():
            split = "train" if m["split"].lower() == "train" else "test"
            found.setdefault(split, []).append(p)
    if not found:
        raise DataError(folder, "no IDX images file (...-images-idx3-ubyte[.gz]) in this folder")
    for split, files in found.items():
        stems = {f.name.removesuffix(".gz") for f in files}
        if len(stems) > 1:
            raise DataError(
                folder,
                f"several {split} image sets ({', '.join(sorted(stems))}); pass one file instead",
            )
    return {split: _pair(files[0]) for split, files in found.items()}


def _load_pair(images: Path, labels: Path) -> tuple[np.ndarray, np.ndarray]:
    x = read_idx(images, kind="images")
    y = read_idx(labels, kind="labels")
    if len(x) != len(y):
        raise DataError(labels, f"{len(y):,} labels but {images.name} has {len(x):,} images")
    return x, y.astype(np.int64)


def _emnist_variant(path: Path) -> str | None:
    m = re.search(r"emnist-([a-z]+)-", path.name.lower())
    return m.group(1) if m else None


def _fix_labels(
    x: np.ndarray, y: np.ndarray, variant: str | None, labels: Path, dropped: dict[str, int]
) -> tuple[np.ndarray, np.ndarray]:
    if variant is not None:
        x = np.ascontiguousarray(x.transpose(0, 2, 1))
    if variant == "letters":
        keep = (y >= 1) & (y <= 10)
        reason = "EMNIST letters K..Z (only A..J are kept)"
        y = y - 1
    elif variant is not None and variant not in ("digits", "mnist"):
        keep = y <= 9
        reason = f"EMNIST {variant} classes beyond the digits 0..9"
    else:
        bad = np.flatnonzero(y > 9)
        if len(bad):
            raise DataError(
                labels, f"label {int(y[bad[0]])} at index {int(bad[0])} is out of range 0..9"
            )
        return x, y
    n_drop = int((~keep).sum())
    if n_drop:
        dropped[reason] = dropped.get(reason, 0) + n_drop
    return x[keep], y[keep]


def load_idx(
    path: str | Path,
    *,
    seed: int = 0,
    train: int | None = None,
    valid: int | None = None,
    test: int | None = None,
    class_names: tuple[str, ...] | None = None,
    source: str | None = None,
    name: str | None = None,
) -> Dataset:
    """Load an IDX folder (train + t10k) or one images file with its labels file beside it.

    A folder's train set gives train and a validation split carved from it (default 5,000,
    after a seeded shuffle); its t10k set gives test. A single pair is shuffled and split
    about 80/10/10.

    Parameters
    ----------
    path:
        The folder or an images (or labels) file.
    seed:
        Shuffle seed.
    train, valid, test:
        Split sizes, capped by what exists.
    class_names:
        Names of classes 0..9 (default: digits, A..J for EMNIST letters, Fashion-MNIST names
        when the path mentions "fashion").
    source, name:
        Provenance source and dataset name (defaults from the path).

    Returns
    -------
    Dataset

    Raises
    ------
    DataError
        Naming the offending file.
    """
    path = Path(path)
    if path.is_dir():
        sets = find_sets(path)
    elif path.is_file():
        sets = {"pool": _pair(path)}
    else:
        raise DataError(path, "no such file or folder")
    variant = _emnist_variant(next(iter(sets.values()))[0])
    dropped: dict[str, int] = {}
    arrays = {}
    for split, (imgs, labels) in sets.items():
        x, y = _load_pair(imgs, labels)
        arrays[split] = _fix_labels(x, y, variant, labels, dropped)
    rng = np.random.default_rng(seed)
    if "pool" in arrays:
        tr, va, te = curate.split_pool(
            *arrays["pool"], seed=seed, train=train, valid=valid, test=test
        )
        layout = f"one set shuffled (seed {seed}) and split about 80/10/10"
    else:
        empty = (np.zeros((0, 28, 28), np.uint8), np.zeros(0, np.int64))
        te = curate.take(*arrays.get("test", empty), test, rng)
        tr, va = curate.carve_valid(
            *arrays.get("train", empty), seed=seed, valid=valid, train=train
        )
        layout = f"valid carved from train (seed {seed}); test from the t10k files"
    if class_names is None:
        if variant == "letters":
            class_names = LETTERS
        elif "fashion" in str(path).lower():
            class_names = FASHION
        else:
            class_names = DIGITS
    read = sum(len(y) for _, y in arrays.values()) + sum(dropped.values())
    files = [p.name for pair in sets.values() for p in pair]
    kind = f"EMNIST {variant}" if variant else "MNIST-format"
    provenance = Provenance(
        source=source or str(path),
        description=f"{kind} IDX files from {path.name} ({read:,} images)",
        images_read=read - sum(dropped.values()),
        skipped=dropped,
        details={
            "format": f"{kind} IDX" + (" (transposed back)" if variant else ""),
            "files": files,
            "layout": layout,
            "per_class_read": curate.per_class(
                np.concatenate([y for _, y in arrays.values()]), class_names
            ),
        },
    )
    return curate.make_dataset(
        name or (f"EMNIST-{variant}" if variant else path.name), class_names, tr, va, te, provenance
    )
