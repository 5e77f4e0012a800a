"""Writes inside a run folder that never follow a symbolic link.

A run folder can be copied, shared or crafted: a ``checkpoints`` folder that is a link to
another folder, or a temporary file name planted as a link to another file, must never make the
app write or delete outside the run. Every file is written under a fresh, unpredictable name in
its target folder and renamed over the target (a rename replaces a link, it never writes through
it), and folders the app writes into are refused when they are links.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import numpy as np

from core.data.errors import DataError
from core.json_io import json_default


def refuse_link(path: Path) -> None:
    """Raise :class:`DataError` when ``path`` is a symbolic link (it is never followed)."""
    if path.is_symlink():
        raise DataError(path, "is a symbolic link; Glyph Lab never writes through links in a run")


def writable_folder(path: Path) -> Path:
    """Create folder ``path`` if needed and return it; refuse a link or a non-folder."""
    refuse_link(path)
    if path.exists() and not path.is_dir():
        raise DataError(path, "is not a folder")
    path.mkdir(parents=True, exist_ok=True)
    return path


def write_atomic(path: Path, write: Callable[[IO[bytes]], Any], suffix: str = "") -> None:
    """Write ``path`` through ``write(fh)`` on a fresh temporary file, then rename it over.

    A process killed half way leaves the previous file intact (and a ``.tmp-*`` file that
    :func:`remove_stale_temporaries` deletes at the next start of the run).
    """
    writable_folder(path.parent)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=suffix, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(path: Path, obj: Any) -> None:
    """Write ``obj`` as indented JSON to ``path`` atomically."""
    text = json.dumps(obj, indent=2, default=json_default).encode()
    write_atomic(path, lambda fh: fh.write(text), ".json")


def write_npz(path: Path, **arrays: Any) -> None:
    """Write ``arrays`` as an uncompressed ``.npz`` to ``path`` atomically."""
    write_atomic(path, lambda fh: np.savez(fh, **arrays), ".npz")


def temporary_path(folder: Path, suffix: str) -> Path:
    """A fresh, unpredictable file name in ``folder``, created empty.

    For a writer that needs a path rather than a file handle, such as Keras' ``model.save``.
    """
    writable_folder(folder)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=suffix, dir=folder)
    os.close(fd)
    return Path(tmp)


def remove_stale_temporaries(folder: Path) -> int:
    """Delete the ``.tmp-*`` files a killed write left in ``folder``; return how many.

    Only regular files are deleted, and a link is removed itself, never what it points to.
    """
    removed = 0
    if folder.is_symlink() or not folder.is_dir():
        return 0
    for p in folder.iterdir():
        if p.name.startswith(".tmp-") and (p.is_symlink() or p.is_file()):
            p.unlink(missing_ok=True)
            removed += 1
    return removed
