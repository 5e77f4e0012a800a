"""The first-start offer of real notMNIST: download small or large, with progress and cancel.

A self-contained banner: it says that real notMNIST exists, offers the small archive (8 MB,
18k images) or the large one (240 MB, 530k images; the ``notmnist`` dataset also needs the
small one), shows a progress bar with a cancel button while the files download on a worker
thread, and can be dismissed. An interrupted or cancelled download resumes where it stopped
next time (:mod:`core.data.resume`). Offline, it says so and that ``fonts-letters`` keeps
working. The window decides when to show it and remembers a dismissal (signals only).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

# dataset spec -> (button text, archive files to fetch, in order)
CHOICES: dict[str, tuple[str, tuple[str, ...]]] = {
    "notmnist-small": (
        "Download notMNIST small (8 MB, 18k images)",
        ("notMNIST_small.tar.gz",),
    ),
    "notmnist": (
        "Download notMNIST large (240 MB, 530k images)",
        ("notMNIST_large.tar.gz", "notMNIST_small.tar.gz"),
    ),
}
INTRO = (
    "Real notMNIST exists: letters A-J in thousands of fonts, collected from the web. "
    "The built-in fonts-letters needs no download; the real set is one click away."
)
OFFLINE = (
    "Offline: real notMNIST cannot be downloaded now. Glyph Lab keeps working on fonts-letters."
)

FetchFn = Callable[..., Any]


class DataOffer(QFrame):
    """Banner offering the real notMNIST downloads.

    Parameters
    ----------
    fetch:
        ``fetch(name, progress=..., cancel=...)`` downloading one archive (default:
        :func:`core.data.download.fetch`); tests pass a stand-in.

    Signals
    -------
    downloaded(str):
        The spec (``"notmnist-small"`` or ``"notmnist"``) whose files are all downloaded.
    failed(str):
        A one-line message (no network, server error, failed check).
    cancelled():
        The learner cancelled (the bytes so far are kept for a resume).
    dismissed():
        The learner closed the offer.
    """

    downloaded = Signal(str)
    failed = Signal(str)
    cancelled = Signal()
    dismissed = Signal()
    _progress = Signal(int, int, str)  # from the worker thread
    _done = Signal(str, str)  # (spec, error message or "" or "cancelled")

    def __init__(self, fetch: FetchFn | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("dataOffer")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self._fetch = fetch
        self._cancel: threading.Event | None = None
        self._thread: threading.Thread | None = None
        self.message = QLabel(INTRO)
        self.message.setWordWrap(True)
        self.buttons = {spec: QPushButton(text) for spec, (text, _) in CHOICES.items()}
        self.close_button = QPushButton("Not now")
        self.close_button.setToolTip("Hide this offer (the datasets stay in the dataset list)")
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.cancel_button = QPushButton("Cancel")
        row = QHBoxLayout()
        for button in self.buttons.values():
            row.addWidget(button)
        row.addStretch(1)
        row.addWidget(self.close_button)
        busy = QHBoxLayout()
        busy.addWidget(self.progress, 1)
        busy.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.message)
        layout.addLayout(row)
        layout.addLayout(busy)
        for spec, button in self.buttons.items():
            button.clicked.connect(lambda _=False, s=spec: self.start(s))
        self.close_button.clicked.connect(self.dismiss)
        self.cancel_button.clicked.connect(self.cancel)
        self._progress.connect(self._on_progress, Qt.ConnectionType.QueuedConnection)
        self._done.connect(self._on_done, Qt.ConnectionType.QueuedConnection)
        self._set_busy(False)

    # -- actions ---------------------------------------------------------------------------------
    def start(self, spec: str) -> None:
        """Download the files of ``spec`` on a worker thread (ignored while one is running)."""
        if self.busy() or spec not in CHOICES:
            return
        self._cancel = threading.Event()
        self._set_busy(True)
        self.progress.setRange(0, 0)
        self.message.setText(f"Downloading {spec} ...")
        files = CHOICES[spec][1]
        self._thread = threading.Thread(
            target=self._work, args=(spec, files, self._cancel), daemon=True
        )
        self._thread.start()

    def cancel(self) -> None:
        """Stop the running download after its current chunk (its bytes are kept)."""
        if self._cancel is not None:
            self._cancel.set()

    def dismiss(self) -> None:
        """Cancel any download, hide the offer and emit ``dismissed``."""
        self.cancel()
        self.hide()
        self.dismissed.emit()

    def set_offline(self) -> None:
        """Say that the downloads are unavailable offline (the buttons stay for a retry)."""
        self.message.setText(OFFLINE)

    def busy(self) -> bool:
        """True while a download runs."""
        return self._thread is not None and self._thread.is_alive()

    def wait(self, timeout: float = 5.0) -> None:
        """Block until the worker thread ends (for tests and shutdown)."""
        if self._thread is not None:
            self._thread.join(timeout)

    # -- worker thread ---------------------------------------------------------------------------
    def _work(self, spec: str, files: tuple[str, ...], cancel: threading.Event) -> None:
        from core.data.download import DownloadCancelled, DownloadError

        fetch = self._fetch
        if fetch is None:
            from core.data.download import fetch
        try:
            for name in files:
                fetch(name, progress=self._progress.emit, cancel=cancel)
                if cancel.is_set():
                    raise DownloadCancelled(name, "download cancelled")
        except DownloadCancelled:
            self._done.emit(spec, "cancelled")
        except DownloadError as exc:
            self._done.emit(spec, exc.problem)
        except Exception as exc:  # a bug or an odd failure: one line, never a traceback
            self._done.emit(spec, f"download failed ({type(exc).__name__}: {exc})")
        else:
            self._done.emit(spec, "")

    # -- GUI thread ------------------------------------------------------------------------------
    def _on_progress(self, done: int, total: int, message: str) -> None:
        if total > 0:
            scale = max(1, total // 1_000_000)  # QProgressBar holds ints up to 2**31
            self.progress.setRange(0, total // scale)
            self.progress.setValue(min(done, total) // scale)
            self.progress.setFormat(f"{message}: {done / 1e6:.1f} of {total / 1e6:.1f} MB")

    def _on_done(self, spec: str, error: str) -> None:
        self._set_busy(False)
        if error == "cancelled":
            self.message.setText("Download cancelled; it resumes where it stopped next time.")
            self.cancelled.emit()
        elif error:
            if "no network" in error:
                self.set_offline()
            else:
                self.message.setText(error)
            self.failed.emit(error)
        else:
            self.message.setText(f"Downloaded: choose {spec} in the dataset list.")
            self.downloaded.emit(spec)

    def _set_busy(self, busy: bool) -> None:
        for button in self.buttons.values():
            button.setEnabled(not busy)
        self.progress.setVisible(busy)
        self.cancel_button.setVisible(busy)
