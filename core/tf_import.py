"""Import TensorFlow without its C++ start-up chatter (CUDA probing, oneDNN notes) on stderr."""

from __future__ import annotations

import os
import sys
from types import ModuleType


def import_tensorflow() -> ModuleType:
    """Import and return ``tensorflow``, silencing the native start-up lines it prints.

    The lines come from absl before logging is configured, so ``TF_CPP_MIN_LOG_LEVEL`` cannot
    hide them; stderr's file descriptor is pointed at /dev/null for the import only.
    Import errors still raise as usual.
    """
    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"]
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # pytest capture, GUI without a console
        import tensorflow

        return tensorflow
    sys.stderr.flush()
    saved = os.dup(fd)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
        import tensorflow
    finally:
        os.dup2(saved, fd)
        os.close(saved)
        os.close(devnull)
    return tensorflow
