"""Downloads of the public archives with :mod:`pooch`, cached in :func:`core.paths.data_dir`.

Every file is checked by size, and by hash where one is pinned (MNIST's sha256 from Keras,
Fashion-MNIST's md5s from its README; the notMNIST archives have no published hash, so only their
size is checked). A file that fails a check is removed, and the message says so. An interrupted
HTTP download resumes where it stopped on the next attempt (:mod:`core.data.resume`: the bytes so
far wait in ``<name>.part``). ``file://`` addresses are copied from the local disk (mirrors,
offline installs, tests).
"""

from __future__ import annotations

import errno
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse
from urllib.request import url2pathname

from core import paths
from core.data.errors import DataError
from core.data.resume import DownloadCancelled, ResumableHTTP

__all__ = ["REMOTE_FILES", "DownloadCancelled", "DownloadError", "RemoteFile", "fetch"]

ProgressFn = Callable[[int, int, str], None]

NOTMNIST_BASE = "https://commondatastorage.googleapis.com/books1000/"
KERAS_BASE = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
DISK_ERRNOS = (
    errno.EACCES,
    errno.EPERM,
    errno.EROFS,
    errno.ENOSPC,
    getattr(errno, "EDQUOT", errno.ENOSPC),
)
OFFLINE_HINT = "the built-in font datasets (fonts-letters, fonts-digits) are still available"


class DownloadError(DataError):
    """A download failed (no network, server error, or a file that failed its check)."""


@dataclass(frozen=True)
class RemoteFile:
    """A file to download: where from, its name on disk, and how to check it.

    Attributes
    ----------
    fname:
        File name in the download folder.
    url:
        Address (``https://`` or ``file://``).
    size:
        Expected size in bytes, or None.
    known_hash:
        ``"sha256:..."``/``"md5:..."`` for pooch, or None.
    """

    fname: str
    url: str
    size: int | None = None
    known_hash: str | None = None


REMOTE_FILES: dict[str, RemoteFile] = {
    "notMNIST_large.tar.gz": RemoteFile(
        "notMNIST_large.tar.gz", NOTMNIST_BASE + "notMNIST_large.tar.gz", 247_336_696
    ),
    "notMNIST_small.tar.gz": RemoteFile(
        "notMNIST_small.tar.gz", NOTMNIST_BASE + "notMNIST_small.tar.gz", 8_458_043
    ),
    "mnist.npz": RemoteFile(
        "mnist.npz",
        KERAS_BASE + "mnist.npz",
        None,
        "sha256:731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
    ),
    "fashion-mnist/train-images-idx3-ubyte.gz": RemoteFile(
        "fashion-mnist/train-images-idx3-ubyte.gz",
        KERAS_BASE + "train-images-idx3-ubyte.gz",
        None,
        "md5:8d4fb7e6c68d591d4c3dfef9ec88bf0d",
    ),
    "fashion-mnist/train-labels-idx1-ubyte.gz": RemoteFile(
        "fashion-mnist/train-labels-idx1-ubyte.gz",
        KERAS_BASE + "train-labels-idx1-ubyte.gz",
        None,
        "md5:25c81989df183df01b3e8a0aad5dffbe",
    ),
    "fashion-mnist/t10k-images-idx3-ubyte.gz": RemoteFile(
        "fashion-mnist/t10k-images-idx3-ubyte.gz",
        KERAS_BASE + "t10k-images-idx3-ubyte.gz",
        None,
        "md5:bef4ecab320f06d8554ea6380940ec79",
    ),
    "fashion-mnist/t10k-labels-idx1-ubyte.gz": RemoteFile(
        "fashion-mnist/t10k-labels-idx1-ubyte.gz",
        KERAS_BASE + "t10k-labels-idx1-ubyte.gz",
        None,
        "md5:bb300cfdad3c16e7a12a480ee83cd310",
    ),
}


class _Progress:
    """The progress-bar object pooch's downloaders drive (``total``, update, reset, close)."""

    def __init__(self, progress: ProgressFn, message: str) -> None:
        self.progress = progress
        self.message = message
        self.total = 0
        self.n = 0

    def update(self, k: int) -> None:
        self.n += int(k)
        total = self.total or self.n
        self.progress(min(self.n, total), total, self.message)

    def reset(self) -> None:
        self.n = 0

    def close(self) -> None:
        """Nothing to release."""


class _LocalCopy:
    """A pooch downloader for ``file://`` addresses: copies the file in chunks."""

    def __init__(self, progressbar: _Progress | None = None, chunk_size: int = 1 << 20) -> None:
        self.progressbar = progressbar
        self.chunk_size = chunk_size

    def __call__(self, url: str, output_file: str, pooch: Any) -> None:
        src = Path(url2pathname(unquote(urlparse(url).path)))
        if self.progressbar is not None:
            self.progressbar.total = src.stat().st_size
        with src.open("rb") as fin, open(output_file, "wb") as fout:
            while chunk := fin.read(self.chunk_size):
                fout.write(chunk)
                if self.progressbar is not None:
                    self.progressbar.update(len(chunk))


def _downloader(url: str, bar: _Progress | None, part: Path, cancel: threading.Event | None) -> Any:
    if url.startswith("file://"):
        return _LocalCopy(bar)
    return ResumableHTTP(part, progressbar=bar, cancel=cancel)


def partial_path(remote: RemoteFile) -> Path:
    """Where the bytes of an interrupted download of ``remote`` wait for the next attempt."""
    target = local_path(remote)
    return target.with_name(target.name + ".part")


def local_path(remote: RemoteFile) -> Path:
    """Where ``remote`` is (or will be) stored in the download folder."""
    return paths.data_dir() / remote.fname


def fetch(
    remote: RemoteFile | str,
    *,
    progress: ProgressFn | None = None,
    download: bool = True,
    cancel: threading.Event | None = None,
) -> Path:
    """Return the local path of ``remote``, downloading it first if needed.

    Parameters
    ----------
    remote:
        A :class:`RemoteFile` or a key of :data:`REMOTE_FILES`.
    progress:
        ``progress(done_bytes, total_bytes, message)`` during the download.
    download:
        When False, a file not yet downloaded raises :class:`DownloadError`.
    cancel:
        When set during a download, the download stops (its bytes are kept to resume later)
        and :class:`DownloadCancelled` is raised.

    Returns
    -------
    pathlib.Path
        The checked file in :func:`core.paths.data_dir`.

    Raises
    ------
    DownloadError
        No network, a server error, or a size/hash mismatch (the bad file is removed).
    DownloadCancelled
        ``cancel`` was set.
    """
    import pooch

    pooch.get_logger().setLevel(logging.WARNING)  # progress is ours; keep stderr to one line
    if isinstance(remote, str):
        remote = REMOTE_FILES[remote]
    try:
        target = local_path(remote)
        if not download and not target.is_file():
            raise DownloadError(
                target, f"not downloaded yet and downloading is off ({OFFLINE_HINT})"
            )
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _folder_error(exc) from None
    bar = None if progress is None else _Progress(progress, f"downloading {remote.fname}")
    part = partial_path(remote)
    try:
        got = Path(
            pooch.retrieve(
                remote.url,
                known_hash=remote.known_hash,
                fname=target.name,
                path=target.parent,
                downloader=_downloader(remote.url, bar, part, cancel),
            )
        )
    except DataError:
        raise
    except ValueError:  # pooch: hash mismatch (it has removed the downloaded bytes)
        target.unlink(missing_ok=True)
        part.unlink(missing_ok=True)
        raise DownloadError(
            target,
            f"the download is corrupt and was removed (checksum mismatch: it does not match "
            f"{remote.known_hash}); try again",
        ) from None
    except FileNotFoundError as exc:
        raise DownloadError(remote.url, f"no such local file ({exc.filename})") from None
    except Exception as exc:
        raise _network_error(remote, exc, part) from None
    if remote.size is not None and got.stat().st_size != remote.size:
        size = got.stat().st_size
        got.unlink(missing_ok=True)
        raise DownloadError(
            got,
            f"downloaded {size:,} bytes but expected {remote.size:,}; the "
            "bad file was removed, try again",
        )
    return got


def _folder_error(exc: OSError) -> DownloadError:
    """A download folder that cannot be created or written (read-only, full disk)."""
    where = exc.filename or os.environ.get("GLYPH_LAB_DATA_DIR") or "the download folder"
    return DownloadError(
        where, f"cannot write the download folder ({exc.strerror or exc}); {OFFLINE_HINT}"
    )


def _network_error(remote: RemoteFile, exc: Exception, part: Path) -> DownloadError:
    import requests

    kept = part.stat().st_size if part.is_file() else 0
    resume = f"; {kept:,} bytes kept, the next attempt resumes" if kept else ""
    host = urlparse(remote.url).netloc or remote.url
    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        return DownloadError(
            remote.url,
            f"the server answered {exc.response.status_code} "
            f"({exc.response.reason}); {OFFLINE_HINT}",
        )
    if (
        isinstance(exc, OSError)
        and not isinstance(exc, requests.RequestException)
        and exc.errno in DISK_ERRNOS
    ):
        return _folder_error(exc)
    if isinstance(exc, requests.RequestException | OSError) and kept:
        return DownloadError(
            remote.url,
            f"the download of {remote.fname} from {host} broke off "
            f"({type(exc).__name__}){resume}; {OFFLINE_HINT}",
        )
    if isinstance(exc, requests.RequestException | OSError):
        return DownloadError(
            remote.url,
            f"no network: could not reach {host} to download {remote.fname}{resume}; "
            f"{OFFLINE_HINT}",
        )
    return DownloadError(
        remote.url,
        f"download of {remote.fname} failed ({type(exc).__name__}: {exc}){resume}; {OFFLINE_HINT}",
    )
