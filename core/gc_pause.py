"""Pause Python's cyclic garbage collector while a worker thread runs TensorFlow.

TensorFlow objects in reference cycles (old trainers, predictors, traced graphs) are freed by the
cyclic collector, on whichever thread happens to trigger it. When that is the GUI thread while a
worker thread traces a ``tf.function`` or writes a checkpoint, TensorFlow's ``__del__`` hooks
(``remove_function`` and friends) race the tracing and the process crashes or hangs (seen in
the 20-cycle start/stop test; tensorflow/tensorflow#59242 is the same crash). Running
TensorFlow work inside :func:`paused_gc` keeps the collector off while any such work is in
flight, from any number of threads.

The other way round is as bad: a collection on a worker thread frees the GUI's Qt objects there,
and a Qt destructor that waits for the GIL while holding Qt's signal lock deadlocks against the
GUI thread (seen once in ~20 runs of the same test). So the collector is only ever switched back
on by the main thread: when the last holder leaves on another thread it stays off until the
main thread calls :func:`resume_gc` (the GUI does once its worker threads have finished).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_holders = 0
_was_enabled = False
_resume_pending = False  # the last holder left on another thread: resume_gc() turns it back on


@contextmanager
def paused_gc() -> Iterator[None]:
    """No automatic cyclic garbage collection, in any thread, while this block runs.

    Nests and may be held by several threads at once: the collector is re-enabled (if it was
    enabled before the first holder came) when the last holder leaves, at once on the main
    thread; when that holder is another thread, only at the next :func:`resume_gc`.
    """
    global _holders, _was_enabled, _resume_pending
    with _lock:
        if _holders == 0:
            _was_enabled = gc.isenabled()  # False while a resume is pending: it stays pending
            gc.disable()
        _holders += 1
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0 and _was_enabled:
                if threading.current_thread() is threading.main_thread():
                    gc.enable()
                else:
                    _resume_pending = True


def resume_gc() -> bool:
    """Call on the main thread once no other thread runs Python code that may collect.

    Turns the collector back on if the last :func:`paused_gc` holder left it off on another
    thread (and nobody holds it now); returns whether it did.
    """
    global _resume_pending
    with _lock:
        if _holders or not _resume_pending:
            return False
        _resume_pending = False
        gc.enable()
        return True


def gc_paused() -> bool:
    """True while some thread holds :func:`paused_gc`."""
    return _holders > 0
