"""A pooch downloader that resumes an interrupted HTTP download from where it stopped.

Bytes are appended to a partial file (``<name>.part`` beside the download) as they arrive. When
a download breaks off (lost connection, a cancel), the partial file stays; the next attempt
asks the server for the rest only (an HTTP ``Range: bytes=<size>-`` request) and appends it. A
server that ignores the range answers 200 with the whole file, which then replaces the partial
one. Once complete, the file is handed to pooch, which checks its hash.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from core.data.errors import DataError

CHUNK = 1 << 16
TIMEOUT_S = 30


class DownloadCancelled(DataError):
    """The user cancelled a download (its partial file is kept for a later resume)."""


class ResumableHTTP:
    """Pooch downloader (``downloader(url, output_file, pooch)``) with HTTP range resume.

    Parameters
    ----------
    part:
        The partial file to append to and resume from.
    progressbar:
        Object with ``total``, ``update(n)``, ``reset()`` and ``close()`` (pooch's protocol).
    cancel:
        When set, the download stops after the current chunk and raises
        :class:`DownloadCancelled`.
    """

    def __init__(
        self,
        part: Path,
        progressbar: Any = None,
        cancel: threading.Event | None = None,
    ) -> None:
        self.part = Path(part)
        self.progressbar = progressbar
        self.cancel = cancel
        self.resumed_from = 0  # bytes already on disk when the last attempt started

    def __call__(self, url: str, output_file: str, pooch: Any, check_only: bool = False) -> Any:
        """Download ``url`` into the partial file (resuming it), then move it to ``output_file``."""
        import requests

        if check_only:
            response = requests.head(url, allow_redirects=True, timeout=TIMEOUT_S)
            return response.status_code == 200
        have = self.part.stat().st_size if self.part.is_file() else 0
        headers = {"Range": f"bytes={have}-"} if have else {}
        with requests.get(url, headers=headers, stream=True, timeout=TIMEOUT_S) as response:
            if response.status_code == 416:  # the partial file is already whole (or too long)
                total = _total_from_range(response.headers.get("Content-Range"))
                if total != have:
                    self.part.unlink(missing_ok=True)
                    raise DataError(url, "the server refused to resume; start again")
                self.resumed_from = have
                os.replace(self.part, output_file)
                return None
            response.raise_for_status()
            if response.status_code != 206:
                have = 0  # the server sent the whole file: start over
            self.resumed_from = have
            length = int(response.headers.get("Content-Length") or 0)
            total = _total_from_range(response.headers.get("Content-Range")) or have + length
            self._start(total, have)
            with self.part.open("ab" if have else "wb") as out:
                for chunk in response.iter_content(chunk_size=CHUNK):
                    out.write(chunk)
                    if self.progressbar is not None:
                        self.progressbar.update(len(chunk))
                    if self.cancel is not None and self.cancel.is_set():
                        out.flush()
                        raise DownloadCancelled(
                            url, f"download cancelled; {self.part.stat().st_size:,} bytes kept"
                        )
        if self.progressbar is not None:
            self.progressbar.close()
        os.replace(self.part, output_file)
        return None

    def _start(self, total: int, have: int) -> None:
        if self.progressbar is None:
            return
        self.progressbar.total = total
        self.progressbar.reset()
        if have:
            self.progressbar.update(have)


def _total_from_range(value: str | None) -> int:
    """The full size from a ``Content-Range: bytes a-b/total`` header (0 when unknown)."""
    if not value or "/" not in value:
        return 0
    tail = value.rsplit("/", 1)[1].strip()
    return int(tail) if tail.isdigit() else 0
