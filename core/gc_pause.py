"""Pause Python's cyclic garbage collector while a worker thread runs TensorFlow.

TensorFlow objects in reference cycles (old trainers, predictors, traced graphs) are freed by the
cyclic collector, on whichever thread happens to trigger it. When that is the GUI thread while a
worker thread traces a ``tf.function`` or writes a checkpoint, TensorFlow's ``__del__`` hooks
(``remove_function`` and friends) race the tracing and the process crashes or hangs (seen in
the 20-cycle start/stop test; tensorflow/tensorflow#59242 is the same crash). Running
TensorFlow work inside :func:`paused_gc` keeps the collector off while any such work is in
flight, from any number of threads; it runs again, as usual, once all of them are out.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_holders = 0
_was_enabled = False


@contextmanager
def paused_gc() -> Iterator[None]:
    """No automatic cyclic garbage collection, in any thread, while this block runs.

    Nests and may be held by several threads at once: the collector is re-enabled (if it was
    enabled before the first holder came) when the last holder leaves.
    """
    global _holders, _was_enabled
    with _lock:
        if _holders == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _holders += 1
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0 and _was_enabled:
                gc.enable()


def gc_paused() -> bool:
    """True while some thread holds :func:`paused_gc`."""
    return _holders > 0
