"""Import TensorFlow as fast and as quietly as it allows.

Without its C++ start-up chatter (CUDA probing, oneDNN notes) on stderr, and without the
scikit-learn that its Keras would import but Glyph Lab does not need there.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Iterator
from types import ModuleType

_IMPORT_LOCK = threading.Lock()


@contextlib.contextmanager
def _sklearn_hidden() -> Iterator[None]:
    """``import sklearn`` fails inside (unless it is imported already); works again after."""
    hide = "sklearn" not in sys.modules
    if hide:
        sys.modules["sklearn"] = None  # type: ignore[assignment]
    try:
        yield
    finally:
        if hide and sys.modules.get("sklearn", ...) is None:
            del sys.modules["sklearn"]


@contextlib.contextmanager
def _stderr_silenced() -> Iterator[None]:
    """Point stderr's file descriptor at /dev/null inside (a no-op where it has none)."""
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # pytest capture, GUI without a console
        yield
        return
    sys.stderr.flush()
    saved = os.dup(fd)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
        yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)
        os.close(devnull)


def import_tensorflow(quiet: bool = True) -> ModuleType:
    """Import and return ``tensorflow`` (Keras with it).

    ``quiet`` silences the native start-up lines it prints: they come from absl before logging
    is configured, so ``TF_CPP_MIN_LOG_LEVEL`` cannot hide them, and stderr's file descriptor
    is pointed at /dev/null for the import only (the window passes False: other threads may
    be writing there). Importing TensorFlow imports Keras, which imports scikit-learn, and
    with it SciPy, for its scikit-learn wrappers: 0.8 s of a 4.3 s import on 2 cores, on the
    way to the window's first curve point. ``sklearn`` is hidden from this import (Keras then
    defines its wrappers without it); importing it later (the ``baseline`` command) works as
    usual. Import errors still raise as usual.
    """
    with _IMPORT_LOCK:  # a second thread waits here, not on a half-imported module
        if "tensorflow" in sys.modules:
            return sys.modules["tensorflow"]
        with _sklearn_hidden(), _stderr_silenced() if quiet else contextlib.nullcontext():
            import tensorflow
    return tensorflow
