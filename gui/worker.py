"""Run work off the GUI thread: a training generator, or any blocking call with progress.

Both workers are :class:`~PySide6.QtCore.QThread` subclasses whose signals are delivered to
receivers on the GUI thread (queued). Every started worker stays referenced in a module registry
until its thread has finished and :func:`worker_finished` has seen it, so Python never destroys a
running ``QThread`` nor one whose result is still queued; :func:`running_workers` lists the
running ones (tests check it is empty after each test).
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable, Iterator
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal

from core.gc_pause import paused_gc, resume_gc

_LIVE: set[QThread] = set()
_END = object()  # the generator is exhausted
_LIVE_LOCK = threading.Lock()


def running_workers() -> list[QThread]:
    """Workers started by this module whose thread has not finished yet.

    Also lets the registry drop the finished workers that :func:`worker_finished` has seen: by
    then their queued signals (a result, say) were delivered. A finished worker it has not seen
    stays referenced, so a result still on its way is never lost with it.
    """
    with _LIVE_LOCK:
        done = {w for w in _LIVE if w.isFinished() and w._settled}
        _LIVE.difference_update(done)
        return [w for w in _LIVE if not w.isFinished()]


def wait_all(timeout_ms: int = 30_000) -> bool:
    """Wait for every running worker to finish; True when none is left running."""
    for worker in running_workers():
        worker.wait(timeout_ms)
    return not running_workers()


def worker_finished(worker: QThread) -> None:
    """Call on the GUI thread from a slot of ``worker.finished``: resumes the idle collector.

    Once no worker thread runs, the cyclic collector runs again. Worker threads never switch it
    back on themselves (see :mod:`core.gc_pause`): a collection there would free Qt objects off
    the GUI thread. It also marks ``worker`` settled: the registry may drop it from the next
    :func:`running_workers` on (not now: other ``finished`` slots may still be queued).
    """
    worker.wait()  # finished is emitted just before the thread ends
    with _LIVE_LOCK:
        busy = any(not w.isFinished() for w in _LIVE)
    worker._settled = True
    if not busy:
        resume_gc()


def _register(worker: QThread) -> None:
    running_workers()  # prune the settled ones
    with _LIVE_LOCK:
        _LIVE.add(worker)


class _Worker(QThread):
    """Common part: registration on start and error reporting."""

    failed = Signal(str, str)  # message, traceback

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._cancel = threading.Event()
        self._settled = False  # worker_finished() has seen it finish

    def start_work(self) -> None:
        """Register the worker and start its thread."""
        _register(self)
        self.start()

    def cancel(self) -> None:
        """Ask the work to end at its next chance (the next event of a generator)."""
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        """True once :meth:`cancel` was called."""
        return self._cancel.is_set()

    def _report(self, exc: BaseException) -> None:
        details = "".join(traceback.format_exception(exc))
        self.failed.emit(f"{type(exc).__name__}: {exc}", details)


class GeneratorWorker(_Worker):
    """Iterates ``make_generator()`` on its own thread and emits every item it yields.

    Parameters
    ----------
    make_generator:
        Called on the worker thread; returns the iterator to drain (for training,
        ``lambda: Trainer(config, dataset).run()`` or ``trainer.run``).
    parent:
        Optional Qt parent.

    Signals
    -------
    event(object)
        One yielded item.
    failed(str, str)
        The generator raised: message and formatted traceback.
    """

    event = Signal(object)

    def __init__(
        self, make_generator: Callable[[], Iterator[Any]], parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._make = make_generator

    def run(self) -> None:
        """Thread body: drain the generator until it ends or :meth:`cancel` is called.

        The whole body runs with the cyclic garbage collector paused
        (:func:`core.gc_pause.paused_gc`): the generator's TensorFlow work must not race a
        collection on the GUI thread, and a collection on this thread would free Qt objects.
        Connect ``finished`` to a slot that calls :func:`worker_finished`.
        """
        with paused_gc():
            try:
                gen = iter(self._make())
                try:
                    while True:
                        item = next(gen, _END)
                        if item is _END:
                            break
                        self.event.emit(item)
                        if self.cancelled:
                            break
                finally:
                    close = getattr(gen, "close", None)
                    if close is not None:
                        close()
            except Exception as exc:
                self._report(exc)


class TaskWorker(_Worker):
    """Runs ``fn(progress)`` on its own thread and emits its result.

    Parameters
    ----------
    fn:
        Called on the worker thread with one argument, a ``progress(done, total, message)``
        callback it may call from any thread.
    parent:
        Optional Qt parent.

    Signals
    -------
    progress(int, int, str)
        Done, total (0 when unknown) and a message.
    result(object)
        What ``fn`` returned.
    failed(str, str)
        ``fn`` raised: message and formatted traceback.
    """

    progress = Signal(int, int, str)
    result = Signal(object)

    def __init__(
        self, fn: Callable[[Callable[[int, int, str], None]], Any], parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._fn = fn

    def _progress(self, done: int, total: int, message: str = "") -> None:
        self.progress.emit(int(done), int(total), str(message))

    def run(self) -> None:
        """Thread body: call the function and emit its result or its error.

        It runs with the cyclic garbage collector paused, as a generator worker's body does.
        """
        with paused_gc():
            try:
                value = self._fn(self._progress)
            except Exception as exc:
                self._report(exc)
            else:
                if not self.cancelled:
                    self.result.emit(value)
