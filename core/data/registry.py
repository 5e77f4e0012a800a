"""Dataset specs: names (``fonts-letters``, ``mnist`` ...) or paths, loaded, curated and cached.

:func:`load_dataset` is the one entry point the GUI and the CLI use.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from core.data import cache, curate, drawings
from core.data.dataset import Dataset
from core.data.errors import DataError

ProgressFn = Callable[[int, int, str], None]

KNOWN_SPECS: dict[str, str] = {
    "fonts-letters": "Letters A-J rendered from this computer's fonts and 40 bundled ones "
    "(built in, no download)",
    "fonts-digits": "Digits 0-9 rendered from this computer's fonts and 40 bundled ones "
    "(built in, no download)",
    "notmnist": "notMNIST letters A-J, large + small archives (downloads 256 MB): "
    "200,000 train, 10,000 valid, 10,000 test",
    "notmnist-small": "notMNIST small archive, ~18,700 letters A-J (downloads 8 MB)",
    "mnist": "MNIST handwritten digits 0-9, 60,000 + 10,000 (downloads 11 MB)",
    "fashion-mnist": "Fashion-MNIST clothing images in 10 classes, 60,000 + 10,000 "
    "(downloads 30 MB)",
}
SIZE_KEYS = ("train", "valid", "test")
FONT_DIRS = (
    "/usr/share/fonts",
    "/usr/local/share/fonts",
    "~/.fonts",
    "~/.local/share/fonts",
    "/System/Library/Fonts",
    "/Library/Fonts",
    "~/Library/Fonts",
)
FASHION_FILES = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)


def detect_format(path: str | Path) -> str:
    """The format of a file or folder.

    Returns
    -------
    str
        ``"notmnist-archive"``, ``"notmnist-folder"``, ``"idx"`` (file or folder), ``"npz"`` or
        ``"pickle"``.

    Raises
    ------
    DataError
        Missing path or unrecognised content.
    """
    from core.data import idx, notmnist

    path = Path(path)
    if path.is_dir():
        if notmnist.class_root(path) is not None:
            return "notmnist-folder"
        if any(idx.is_idx_name(p) for p in path.iterdir()):
            return "idx"
        raise DataError(path, "folder holds neither letter folders A..J nor MNIST IDX files")
    if not path.is_file():
        if path.exists():
            raise DataError(path, "not a regular file or folder (a FIFO, socket or device)")
        raise DataError(path, "no such file or folder")
    if notmnist.is_archive_name(path):
        return "notmnist-archive"
    if idx.is_idx_name(path):
        return "idx"
    suffix = path.suffix.lower()
    if suffix == ".npz":
        return "npz"
    if suffix in (".pickle", ".pkl"):
        return "pickle"
    with path.open("rb") as f:
        head = f.read(4)
    if head[:2] == b"PK":
        return "npz"
    if head[:1] == b"\x80":
        return "pickle"
    if head[:2] == b"\x1f\x8b":
        return "notmnist-archive"
    if head in (b"\0\0\x08\x03", b"\0\0\x08\x01"):
        return "idx"
    raise DataError(
        path,
        "unrecognised format; expected a notMNIST .tar.gz or folder, MNIST IDX "
        "files, an .npz or a notMNIST.pickle",
    )


def describe_spec(spec: str) -> str:
    """One human line for a spec (a known name or a path)."""
    if spec in KNOWN_SPECS:
        return KNOWN_SPECS[spec]
    path = Path(spec).expanduser()
    try:
        fmt = detect_format(path)
    except DataError as exc:
        return f"{path.name}: {exc.problem}"
    words = {
        "notmnist-archive": "notMNIST archive",
        "notmnist-folder": "notMNIST folder",
        "idx": "MNIST-format IDX files",
        "npz": ".npz arrays",
        "pickle": "notMNIST assignment pickle",
    }
    return f"{words[fmt]}: {path}"


def _fonts_identity() -> dict[str, Any]:
    ident: dict[str, Any] = {}
    spec = importlib.util.find_spec("core.data.fonts")
    if spec is not None and spec.origin:
        # the renderer's own source files: a change to them re-renders (whether or not the
        # module is imported yet, so the key is the same in every process)
        for code in sorted(Path(spec.origin).parent.glob("font*.py")):
            ident[code.name] = cache.file_identity(code)
    from core.data.font_discovery import bundled_font_dir

    bundle = bundled_font_dir()
    if bundle.is_dir():
        ident["bundled fonts"] = cache.file_identity(bundle)["fingerprint"]
    for d in FONT_DIRS:
        folder = Path(os.path.expanduser(d))
        if folder.is_dir():
            ident[str(folder)] = cache.file_identity(folder)["fingerprint"]
    return ident


def _build_fonts(
    kind: str, seed: int, sizes: dict[str, int], progress: ProgressFn | None
) -> Dataset:
    from core.data.fonts import build_font_dataset

    return build_font_dataset(kind, seed=seed, progress=progress, **sizes)


def _build_named(
    spec: str, seed: int, sizes: dict[str, int], progress: ProgressFn | None, download: bool
) -> Dataset:
    from core.data import download as dl
    from core.data import idx, notmnist, npz_source

    if spec in ("fonts-letters", "fonts-digits"):
        return _build_fonts(spec.removeprefix("fonts-"), seed, sizes, progress)
    if spec == "notmnist":
        files = [
            dl.fetch(n, progress=progress, download=download)
            for n in ("notMNIST_large.tar.gz", "notMNIST_small.tar.gz")
        ]
        return notmnist.load_notmnist(files, seed=seed, progress=progress, source=spec, **sizes)
    if spec == "notmnist-small":
        f = dl.fetch("notMNIST_small.tar.gz", progress=progress, download=download)
        return notmnist.load_notmnist([f], seed=seed, progress=progress, source=spec, **sizes)
    if spec == "mnist":
        f = dl.fetch("mnist.npz", progress=progress, download=download)
        return npz_source.load_npz(f, seed=seed, class_names=idx.DIGITS, source=spec, **sizes)
    if spec == "fashion-mnist":
        files = [
            dl.fetch(f"fashion-mnist/{n}", progress=progress, download=download)
            for n in FASHION_FILES
        ]
        return idx.load_idx(
            files[0].parent,
            seed=seed,
            class_names=idx.FASHION,
            source=spec,
            name="Fashion-MNIST",
            **sizes,
        )
    raise AssertionError(spec)


def _build_path(
    path: Path, seed: int, sizes: dict[str, int], progress: ProgressFn | None
) -> Dataset:
    from core.data import idx, notmnist, npz_source

    fmt = detect_format(path)
    if fmt in ("notmnist-archive", "notmnist-folder"):
        return notmnist.load_notmnist([path], seed=seed, progress=progress, **sizes)
    if fmt == "idx":
        return idx.load_idx(path, seed=seed, **sizes)
    if fmt == "npz":
        return npz_source.load_npz(path, seed=seed, **sizes)
    ds = notmnist.load_assignment_pickle(path)
    return ds.subset(**sizes) if sizes else ds


def _identity(spec: str, path: Path | None) -> Any:
    from core.data import download as dl

    if path is not None:
        return cache.file_identity(path)
    if spec.startswith("fonts-"):
        return _fonts_identity()
    return sorted((r.url, r.size, r.known_hash) for r in dl.REMOTE_FILES.values())


def load_dataset(
    spec: str = "fonts-letters",
    *,
    sanitize: bool = False,
    seed: int = 0,
    use_cache: bool = True,
    download: bool = True,
    progress: ProgressFn | None = None,
    **sizes: int,
) -> Dataset:
    """Load, curate and cache the dataset named by ``spec``.

    Parameters
    ----------
    spec:
        A key of :data:`KNOWN_SPECS` or a path to a notMNIST ``.tar.gz``/folder, an IDX file or
        folder, an ``.npz`` or a ``notMNIST.pickle`` (the format is detected).
    sanitize:
        Drop from valid/test the images that also occur in train (and test images in valid).
    seed:
        Seed for shuffling and splitting, 0 to 2**32 - 1.
    use_cache:
        Read and write the curated cache in :func:`core.paths.cache_dir`.
    download:
        Allow downloads for ``notmnist``, ``notmnist-small``, ``mnist``, ``fashion-mnist``.
    progress:
        ``progress(done, total, message)`` during slow work (download, decode, render).
    **sizes:
        ``train``, ``valid``, ``test``: split sizes, capped by what exists.

    Returns
    -------
    Dataset
        With the overlap report in ``provenance.details["overlap"]``.

    Raises
    ------
    DataError
        Bad or missing input (``DownloadError`` when a download fails), naming the file.
    """
    unknown = set(sizes) - set(SIZE_KEYS)
    if unknown:
        raise TypeError(f"unknown size argument(s): {', '.join(sorted(unknown))}")
    if not 0 <= seed < 2**32:
        raise DataError(None, f"seed {seed} is out of range (0 to {2**32 - 1})")
    sizes = {k: int(v) for k, v in sizes.items() if v is not None}
    if spec in drawings.SPECS:  # your own drawings: read afresh every time, never cached
        return drawings.DrawingStore(drawings.SPECS[spec]).dataset()
    path = None
    if spec not in KNOWN_SPECS:
        path = Path(spec).expanduser().resolve()
        if not path.exists():
            known = ", ".join(KNOWN_SPECS)
            known += ", my-drawings-letters, my-drawings-digits"
            raise DataError(spec, f"no such file or folder, and not a known dataset ({known})")
        detect_format(path)  # refuses what is not a dataset before the cache key fingerprints it
    key = None
    if use_cache:
        options = {"sizes": sizes, "seed": seed, "sanitize": sanitize}
        key = cache.cache_key(str(path or spec), options, _identity(spec, path))
        hit = cache.load(key)
        if hit is not None:
            return hit
    if path is None:
        ds = _build_named(spec, seed, sizes, progress, download)
    else:
        ds = _build_path(path, seed, sizes, progress)
    ds = curate.curate(ds, sanitize=sanitize)
    if key is not None:
        cache.save(key, ds)
    return ds
