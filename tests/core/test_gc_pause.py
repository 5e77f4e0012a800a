from __future__ import annotations

import gc
import threading

import pytest

from core.gc_pause import gc_paused, paused_gc, resume_gc


@pytest.fixture(autouse=True)
def _gc_enabled():
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_the_collector_is_off_inside_and_back_on_after():
    with paused_gc():
        assert not gc.isenabled()
        assert gc_paused()
    assert gc.isenabled()
    assert not gc_paused()


def _nested_then_fail() -> None:
    with paused_gc():
        with paused_gc():
            pass
        assert not gc.isenabled()  # the inner block's exit kept it off
        raise ValueError


def test_nested_and_failing_blocks_restore_it_only_at_the_outermost_exit():
    with pytest.raises(ValueError):
        _nested_then_fail()
    assert gc.isenabled()


def test_it_stays_off_until_the_last_of_several_threads_leaves():
    entered, release = threading.Barrier(3), threading.Event()
    seen: list[bool] = []

    def hold() -> None:
        with paused_gc():
            entered.wait()
            release.wait(5)

    threads = [threading.Thread(target=hold) for _ in range(2)]
    for t in threads:
        t.start()
    entered.wait()
    with paused_gc():
        pass
    seen.append(gc.isenabled())  # the main thread left; two threads still hold it
    release.set()
    for t in threads:
        t.join(5)
    assert seen == [False]
    # the last holder was a worker thread: only the main thread switches it back on
    assert not gc.isenabled()
    assert resume_gc()
    assert gc.isenabled()
    assert not resume_gc()  # nothing pending any more


def test_a_worker_thread_never_switches_the_collector_back_on():
    seen: list[bool] = []

    def work() -> None:
        with paused_gc():
            pass
        seen.append(gc.isenabled())  # still on this thread, after the block

    t = threading.Thread(target=work)
    t.start()
    t.join(5)
    assert seen == [False]
    with paused_gc():  # a main-thread block meanwhile does not switch it on either
        pass
    assert not gc.isenabled()
    assert resume_gc() and gc.isenabled()


def test_resume_waits_while_someone_holds_it():
    entered, release = threading.Event(), threading.Event()

    def hold() -> None:
        with paused_gc():
            entered.set()
            release.wait(5)

    t = threading.Thread(target=hold)
    t.start()
    entered.wait(5)
    assert not resume_gc() and not gc.isenabled()
    release.set()
    t.join(5)
    assert resume_gc() and gc.isenabled()
