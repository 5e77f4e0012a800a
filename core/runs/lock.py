"""One process trains a run at a time: a lock on ``<run>/.lock`` held while it trains.

The operating system releases the lock when the process ends, however it ends (kill -9 too), so
a run whose lock is free but whose status says "running" was interrupted. The lock file holds the
owner's process id, so a second process can say who trains the run.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from core.data.errors import DataError

LOCK_FILE = ".lock"


class RunBusy(DataError):
    """Another process trains this run."""


def _open(path: Path) -> int:
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
    try:
        return os.open(path, flags, 0o644)
    except OSError as exc:
        raise DataError(path, f"cannot open the run's lock ({exc.strerror or exc})") from None


def _try_lock(fd: int) -> bool:
    if sys.platform == "win32":  # pragma: no cover - Windows only
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def _owner(fd: int) -> str:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        text = os.read(fd, 32).decode("ascii", "replace").strip()
    except OSError:
        return "another process"
    return f"process {text}" if text.isdigit() else "another process"


class RunLock:
    """The lock of run folder ``run_dir``; :meth:`acquire` it before writing the run."""

    def __init__(self, run_dir: str | Path) -> None:
        self.path = Path(run_dir) / LOCK_FILE
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        """True while this object holds the lock."""
        return self._fd is not None

    def acquire(self) -> None:
        """Take the lock, or raise :class:`RunBusy` naming the process that holds it."""
        if self._fd is not None:
            return
        fd = _open(self.path)
        if not _try_lock(fd):
            owner = _owner(fd)
            os.close(fd)
            raise RunBusy(None, f"run {self.path.parent.name} is being trained by {owner}")
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd

    def release(self) -> None:
        """Let the lock go (closing the file releases it)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def is_locked(run_dir: str | Path) -> bool:
    """Whether some process (this one included) holds the lock of ``run_dir`` now."""
    path = Path(run_dir) / LOCK_FILE
    if path.is_symlink() or not path.is_file():
        return False
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return False
    try:
        if sys.platform == "win32":  # pragma: no cover - Windows only
            return not _try_lock(fd)
        import fcntl

        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:
            return True
        return False
    finally:
        os.close(fd)
