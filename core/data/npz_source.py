"""Any ``.npz`` of 28x28 images, in one of three layouts, loaded with ``allow_pickle=False``.

Layouts:

* six keys ``x_train, y_train, x_valid, y_valid, x_test, y_test`` (used as they are);
* Keras' four keys ``x_train, y_train, x_test, y_test`` (valid carved from train, default 5,000);
* ``images, labels`` (optionally ``filenames``): one pool, shuffled with the seed, ~80/10/10.

Images may be ``(N, 28, 28)``, ``(N, 28, 28, 1)`` or ``(N, 784)``. Integer images must lie in
0..255; **float images are accepted only when every value is an integer 0..255** (e.g. ``x * 255``
stored as float), never rescaled from 0..1. Labels must be integers 0..9.
"""

from __future__ import annotations

import math
import zipfile
from pathlib import Path

import numpy as np

from core.data import curate
from core.data.dataset import Dataset, Provenance
from core.data.errors import DataError
from core.data.limits import IMAGE_BYTES, MAX_IMAGES, MAX_NPZ_MEMBER_BYTES, too_many_images

SIX_KEYS = ("x_train", "y_train", "x_valid", "y_valid", "x_test", "y_test")
FOUR_KEYS = ("x_train", "y_train", "x_test", "y_test")
POOL_KEYS = ("images", "labels")
DIGITS: tuple[str, ...] = tuple("0123456789")
LETTERS: tuple[str, ...] = tuple("ABCDEFGHIJ")
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")  # a zip's first entry, or an empty zip
NPY_MAGIC = b"\x93NUMPY"


def _member_header(member: zipfile.ZipExtFile) -> tuple[tuple[int, ...], np.dtype, int]:
    """``(shape, dtype, header length)`` from the start of one ``.npy`` member."""
    version = np.lib.format.read_magic(member)
    if version == (1, 0):
        shape, _, dtype = np.lib.format.read_array_header_1_0(member)
    else:  # 2.0, and 3.0 (2.0 with a UTF-8 header; numpy writes it for unicode field names)
        shape, _, dtype = np.lib.format.read_array_header_2_0(member)
    return tuple(shape), dtype, member.tell()


def check_members(path: Path) -> None:
    """Read every member's ``.npy`` header and refuse, before numpy allocates, what is unsafe.

    A member's declared shape decides what numpy allocates, so it is checked first: at most
    :data:`~core.data.limits.MAX_IMAGES` rows, ``MAX_IMAGES`` x 784 values and
    :data:`~core.data.limits.MAX_NPZ_MEMBER_BYTES` bytes, no Python objects, and no more than
    the member's own (zip-declared) size. Non-array members are refused too (numpy would read
    them whole).

    Parameters
    ----------
    path:
        The ``.npz`` file.

    Raises
    ------
    DataError
        Naming the file and the member.
    """
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            key = info.filename.removesuffix(".npy")
            with zf.open(info) as member:
                if member.read(len(NPY_MAGIC)) != NPY_MAGIC:
                    raise DataError(path, f"not a valid .npz file ({key} is not a .npy array)")
                member.seek(0)
                shape, dtype, header = _member_header(member)
            if dtype.hasobject:
                raise DataError(path, "holds pickled Python objects, which are refused")
            count = math.prod(shape)
            nbytes = count * dtype.itemsize
            problem = too_many_images(shape[0], "rows") if shape else None
            if problem is None and (
                count > MAX_IMAGES * IMAGE_BYTES or nbytes > MAX_NPZ_MEMBER_BYTES
            ):
                problem = (
                    f"declares {nbytes:,} bytes; at most {MAX_IMAGES:,} images of 784 "
                    f"values and {MAX_NPZ_MEMBER_BYTES:,} bytes are accepted"
                )
            if problem is None and header + nbytes > info.file_size:
                problem = f"is truncated ({info.file_size:,} bytes for {nbytes:,} of data)"
            if problem is not None:
                raise DataError(path, f"{key} {dtype} {shape} {problem}")


def _images(a: np.ndarray, path: Path, key: str) -> np.ndarray:
    if a.ndim == 2 and a.shape[1] == 784:
        a = a.reshape(-1, 28, 28)
    elif a.ndim == 4 and a.shape[1:] == (28, 28, 1):
        a = a[..., 0]
    if a.ndim != 3 or a.shape[1:] != (28, 28):
        raise DataError(path, f"{key} has shape {a.shape}; expected (N, 28, 28)")
    if a.dtype == np.uint8:
        return a
    if a.dtype.kind in "iu":
        if a.size and (a.min() < 0 or a.max() > 255):
            raise DataError(path, f"{key} ({a.dtype}) has values outside 0..255")
        return a.astype(np.uint8)
    if a.dtype.kind == "f":
        if a.size and not (
            np.isfinite(a).all() and (a == np.rint(a)).all() and a.min() >= 0 and a.max() <= 255
        ):
            raise DataError(
                path,
                f"{key} is {a.dtype} with values that are not whole numbers "
                "0..255; store uint8 pixels (0..1 floats are refused)",
            )
        return a.astype(np.uint8)
    raise DataError(path, f"{key} has dtype {a.dtype}; expected uint8 pixels")


def _labels(a: np.ndarray, n: int, path: Path, key: str, num_classes: int) -> np.ndarray:
    if a.ndim == 2 and a.shape[1] == 1:
        a = a[:, 0]
    if a.ndim != 1:
        raise DataError(path, f"{key} has shape {a.shape}; expected (N,)")
    if len(a) != n:
        raise DataError(path, f"{key} has {len(a):,} labels for {n:,} images")
    if a.dtype.kind == "f" and a.size and np.isfinite(a).all() and (a == np.rint(a)).all():
        a = a.astype(np.int64)
    if a.dtype.kind not in "iu":
        raise DataError(path, f"{key} has dtype {a.dtype}; expected integer labels")
    if a.size and (a.min() < 0 or a.max() >= num_classes):
        raise DataError(
            path, f"{key} has labels {a.min()}..{a.max()}, outside 0..{num_classes - 1}"
        )
    return a.astype(np.int64)


def _class_names(npz: np.lib.npyio.NpzFile, path: Path) -> tuple[str, ...]:
    if "class_names" in npz.files:
        names = npz["class_names"]
        if names.ndim != 1 or names.dtype.kind not in "US" or not 1 <= len(names) <= 10:
            raise DataError(path, "class_names must be 1..10 strings")
        return tuple(str(n) for n in names.tolist())
    if "filenames" in npz.files:
        first = npz["filenames"][:1]
        prefixes = {f"{c}/" for c in LETTERS}
        if first.dtype.kind == "U" and len(first) and str(first[0])[:2] in prefixes:
            return LETTERS
    lowered = path.name.lower()
    return LETTERS if "notmnist" in lowered or "letter" in lowered else DIGITS


def load_npz(
    path: str | Path,
    *,
    seed: int = 0,
    train: int | None = None,
    valid: int | None = None,
    test: int | None = None,
    class_names: tuple[str, ...] | None = None,
    source: str | None = None,
) -> Dataset:
    """Load a ``.npz`` dataset in any of the three layouts (see the module docstring).

    Parameters
    ----------
    path:
        The ``.npz`` file.
    seed:
        Seed for shuffling pools, carving valid and sub-sampling.
    train, valid, test:
        Split sizes, capped by what exists (a seeded random subset when smaller).
    class_names:
        Class names; default from a ``class_names`` key, ``filenames`` like ``"A/..."`` or a
        file name mentioning notMNIST (letters A..J), else digits.
    source:
        Provenance source name (default: the path).

    Returns
    -------
    Dataset

    Raises
    ------
    DataError
        Naming the file and the problem (not a zip, pickled objects, missing keys, wrong dtype
        or shape, mismatched lengths, labels out of range).
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(path, "not a regular file" if path.exists() else "no such file")
    with path.open("rb") as f:
        magic = f.read(6)
    if magic == b"\x93NUMPY":
        raise DataError(path, "is a single .npy array, not an .npz archive")
    if magic[:4] not in ZIP_MAGICS:
        raise DataError(path, "not a valid .npz file (not a zip archive)")
    try:
        check_members(path)
        with path.open("rb") as f, np.load(f, allow_pickle=False) as npz:
            return _load(npz, path, seed, train, valid, test, class_names, source)
    except DataError:
        raise
    except ValueError as exc:
        if "allow_pickle" in str(exc):
            raise DataError(path, "holds pickled Python objects, which are refused") from None
        raise DataError(path, f"not a valid .npz file ({exc})") from None
    except MemoryError:
        raise DataError(path, "not a valid .npz file (too big for memory)") from None
    except (
        OSError,
        EOFError,
        zipfile.BadZipFile,
        KeyError,
        TypeError,
        IndexError,
        OverflowError,
        RuntimeError,
        NotImplementedError,
    ) as exc:
        raise DataError(path, f"not a valid .npz file ({type(exc).__name__}: {exc})") from None


def _load(
    npz: np.lib.npyio.NpzFile,
    path: Path,
    seed: int,
    train: int | None,
    valid: int | None,
    test: int | None,
    class_names: tuple[str, ...] | None,
    source: str | None,
) -> Dataset:
    keys = set(npz.files)
    names = class_names or _class_names(npz, path)
    k = len(names)
    rng = np.random.default_rng(seed)

    def pair(xk: str, yk: str) -> tuple[np.ndarray, np.ndarray]:
        x = _images(npz[xk], path, xk)
        return x, _labels(npz[yk], len(x), path, yk, k)

    if keys.issuperset(SIX_KEYS):
        layout = "six keys: the file's own train/valid/test splits"
        tr, va, te = (pair(f"x_{s}", f"y_{s}") for s in ("train", "valid", "test"))
        read = sum(len(s[1]) for s in (tr, va, te))
        all_labels = np.concatenate([tr[1], va[1], te[1]])
        tr, va, te = (
            curate.take(*tr, train, rng),
            curate.take(*va, valid, rng),
            curate.take(*te, test, rng),
        )
    elif keys.issuperset(FOUR_KEYS):
        layout = f"Keras four keys: valid carved from train (seed {seed})"
        full_train, te_full = pair("x_train", "y_train"), pair("x_test", "y_test")
        read = len(full_train[1]) + len(te_full[1])
        all_labels = np.concatenate([full_train[1], te_full[1]])
        tr, va = curate.carve_valid(*full_train, seed=seed, valid=valid, train=train)
        te = curate.take(*te_full, test, rng)
    elif keys.issuperset(POOL_KEYS):
        layout = f"images/labels pool shuffled (seed {seed}) and split about 80/10/10"
        x, y = pair("images", "labels")
        read = len(y)
        all_labels = y
        tr, va, te = curate.split_pool(x, y, seed=seed, train=train, valid=valid, test=test)
    else:
        raise DataError(
            path,
            "missing keys: expected x_train, y_train, x_valid, y_valid, "
            "x_test, y_test (or x_train, y_train, x_test, y_test, or images, "
            f"labels); found {', '.join(sorted(keys)) or 'none'}",
        )
    provenance = Provenance(
        source=source or str(path),
        description=f"{path.name}: {read:,} images from an .npz file",
        images_read=read,
        details={
            "format": ".npz",
            "layout": layout,
            "per_class_read": curate.per_class(all_labels, names),
        },
    )
    return curate.make_dataset(path.stem, names, tr, va, te, provenance)
