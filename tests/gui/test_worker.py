from __future__ import annotations

import threading
import time

import pytest
from PySide6.QtCore import Qt

from gui.worker import GeneratorWorker, TaskWorker, running_workers, worker_finished


def test_generator_worker_emits_every_item_in_order_then_finishes(qtbot):
    got: list[int] = []
    worker = GeneratorWorker(lambda: iter(range(5)))
    worker.event.connect(got.append)
    with qtbot.waitSignal(worker.finished, timeout=5000):
        worker.start_work()
    qtbot.waitUntil(lambda: len(got) == 5)
    assert got == [0, 1, 2, 3, 4]
    assert running_workers() == []


def test_generator_worker_runs_off_the_gui_thread(qtbot):
    threads: list[int] = []

    def gen():
        threads.append(threading.get_ident())
        yield 1

    worker = GeneratorWorker(gen)
    with qtbot.waitSignals([worker.event, worker.finished], order="strict", timeout=5000):
        worker.start_work()
    assert threads
    assert threads[0] != threading.get_ident()


def test_generator_worker_reports_an_exception_with_traceback(qtbot):
    def gen():
        yield 1
        raise RuntimeError("boom")

    worker = GeneratorWorker(gen)
    with qtbot.waitSignal(worker.failed, timeout=5000) as blocker:
        worker.start_work()
    message, details = blocker.args
    assert message == "RuntimeError: boom"
    assert "Traceback" in details
    assert "boom" in details
    worker.wait(5000)


def test_cancel_stops_an_endless_generator_and_closes_it(qtbot):
    closed = threading.Event()

    def endless():
        try:
            while True:
                time.sleep(0.001)
                yield 0
        finally:
            closed.set()

    worker = GeneratorWorker(endless)
    with qtbot.waitSignal(worker.event, timeout=5000):
        worker.start_work()
    worker.cancel()
    assert worker.wait(5000)
    assert closed.is_set()
    assert running_workers() == []


def test_task_worker_reports_progress_then_result(qtbot):
    def work(progress):
        progress(1, 2, "half")
        progress(2, 2, "done")
        return 42

    worker = TaskWorker(work)
    seen: list[tuple] = []
    worker.progress.connect(lambda *a: seen.append(a))
    with qtbot.waitSignal(worker.result, timeout=5000) as blocker:
        worker.start_work()
    assert blocker.args == [42]
    qtbot.waitUntil(lambda: len(seen) == 2)
    assert seen == [(1, 2, "half"), (2, 2, "done")]
    worker.wait(5000)


def test_task_worker_failure_is_a_signal_not_a_crash(qtbot):
    def work(_progress):
        raise ValueError("bad file")

    worker = TaskWorker(work)
    results: list = []
    worker.result.connect(results.append)
    with qtbot.waitSignal(worker.failed, timeout=5000) as blocker:
        worker.start_work()
    assert blocker.args[0] == "ValueError: bad file"
    worker.wait(5000)
    assert results == []


@pytest.mark.parametrize("cancel", [True, False])
def test_cancelled_task_drops_its_result(qtbot, cancel):
    gate = threading.Event()

    def work(_progress):
        gate.wait(5)
        return "value"

    worker = TaskWorker(work)
    results: list = []
    worker.result.connect(results.append)
    worker.start_work()
    if cancel:
        worker.cancel()
    gate.set()
    assert worker.wait(5000)
    qtbot.wait(20)
    assert results == ([] if cancel else ["value"])


@pytest.mark.parametrize("kind", ["generator", "task"])
def test_the_collector_never_runs_on_a_worker_thread(qtbot, kind):
    """A collection there would free Qt objects off the GUI thread (a deadlock, seen in the
    20-cycle test): the collector is off for a worker's whole life, handing items over
    included, and the GUI thread switches it back on once the worker has finished.
    """
    import gc

    assert gc.isenabled()
    seen: list[bool] = []

    def gen():
        seen.append(gc.isenabled())
        yield 1
        seen.append(gc.isenabled())  # after the item was handed over
        yield 2

    def fn(_progress):
        seen.append(gc.isenabled())
        return 3

    worker = GeneratorWorker(gen) if kind == "generator" else TaskWorker(fn)
    handed_over = worker.event if kind == "generator" else worker.result
    # a direct connection runs on the worker thread, while the item is being handed over
    handed_over.connect(lambda _item: seen.append(gc.isenabled()), Qt.DirectConnection)
    worker.finished.connect(lambda: worker_finished(worker))  # as the window's slots do
    with qtbot.waitSignal(worker.finished, timeout=5000):
        worker.start_work()
    assert len(seen) == (4 if kind == "generator" else 2)
    assert not any(seen)
    qtbot.waitUntil(gc.isenabled, timeout=5000)
    assert running_workers() == []


def test_a_finished_worker_stays_referenced_until_worker_finished_has_seen_it(qtbot):
    """Its result may still be queued for the GUI thread: dropping the last reference to the
    worker then would drop the result with it (a dataset load that never arrived)."""
    from gui import worker as workers

    first = TaskWorker(lambda _progress: 1)
    first.start_work()
    first.wait(5000)  # finished, but its queued signals not yet delivered
    second = TaskWorker(lambda _progress: 2)
    second.start_work()  # registering prunes the registry
    assert first in workers._LIVE
    second.wait(5000)
    worker_finished(first)
    worker_finished(second)
    assert running_workers() == []
    assert first not in workers._LIVE and second not in workers._LIVE
