"""Background tasks of the window: blocking calls (a load, a save) on worker threads."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThread

from gui.worker import TaskWorker, worker_finished

ProgressFn = Callable[[int, int, str], None]
ErrorFn = Callable[[str, str], None]


class TaskRunner(QObject):
    """Runs ``fn(progress)`` calls on worker threads and keeps them until they end.

    Parameters
    ----------
    on_error:
        ``on_error(message, details)`` for a task that raised and has no handler of its own.
    """

    def __init__(self, on_error: ErrorFn, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.on_error = on_error
        self.tasks: list[TaskWorker] = []

    def run(
        self,
        fn: Callable[[ProgressFn], Any],
        on_result: Callable[[Any], None],
        on_error: ErrorFn | None = None,
        on_progress: ProgressFn | None = None,
    ) -> TaskWorker:
        """Start ``fn`` on a worker thread; its result goes to ``on_result`` (GUI thread)."""
        task = TaskWorker(fn)
        task.result.connect(on_result)
        task.failed.connect(on_error or self.on_error)
        if on_progress is not None:
            task.progress.connect(on_progress)
        task.finished.connect(self._prune)
        self.tasks.append(task)
        task.start_work()
        return task

    def __len__(self) -> int:
        """How many tasks are not done (so ``not runner`` means all are done).

        A task counts until its ``finished`` slot has run on the GUI thread, which comes after
        its result was delivered: a thread that has ended may still have a result on its way.
        """
        return len(self.tasks)

    def _prune(self) -> None:
        if isinstance(self.sender(), QThread):
            worker_finished(self.sender())
        self.tasks = [t for t in self.tasks if not t.isFinished()]

    def shutdown(self, timeout_ms: int = 60_000) -> None:
        """Cancel every task and wait for its thread."""
        for task in list(self.tasks):
            task.cancel()
            task.wait(timeout_ms)
