"""Benchmark 4: from process start to the window shown, and to the first curve point.

Each repeat spawns a fresh ``python main.py gui --preset nn1024 --dataset fonts-letters`` (the
real entry point, offscreen) whose window, hooked before ``main`` runs, starts training as soon as
its dataset is loaded. Times are measured from just before the parent spawns the process:
``window_s`` when the first shown frame has been processed, ``first_point_s`` when the first
repaint after the first StepMetrics has drawn. The dataset cache is warmed first (untimed). The
in-run baseline is a bare ``python -c "import PySide6.QtWidgets"`` spawn.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from bench.common import REPO, Clock, emit, median, parse_args, setup_env

CHILD = r"""
import sys, time, json
T0 = float(sys.argv[1])
marks = {}
from gui import main_window as mw
from gui.data_loading import DataLoading
from gui.repaint import RepaintPacer
from gui.session import TrainingSession
W = mw.MainWindow
_show, _paint = W.showEvent, RepaintPacer.paint
_ready, _tf = TrainingSession._trainer_ready, DataLoading._loaded

def mark(key):
    marks.setdefault(key, time.time() - T0)

def showEvent(self, ev):
    _show(self, ev)
    from PySide6.QtCore import QTimer
    QTimer.singleShot(0, lambda: mark("window_s"))
    self._bench_poll = QTimer(self)
    self._bench_poll.setInterval(10)
    def poll():
        if self.dataset is not None:
            self._bench_poll.stop()
            mark("dataset_s")
            self.start_training()
    self._bench_poll.timeout.connect(poll)
    self._bench_poll.start()

def _tf_loaded(self, ok):
    mark("tf_ready_s")
    _tf(self, ok)

def _trainer_ready(self, ready):
    mark("trainer_ready_s")
    _ready(self, ready)

def paint(self, final=False):
    _paint(self, final)
    if self.last_step is not None and "first_point_s" not in marks:
        mark("first_point_s")
        print("BENCH " + json.dumps(marks), flush=True)
        from PySide6.QtWidgets import QApplication
        self.parent().shutdown()
        QApplication.quit()

W.showEvent, RepaintPacer.paint = showEvent, paint
TrainingSession._trainer_ready, DataLoading._loaded = _trainer_ready, _tf_loaded
import main
sys.exit(main.main(["gui", "--preset", "nn1024", "--dataset", "fonts-letters"]))
"""


def spawn(code: str, args: list[str], timeout: float = 120) -> tuple[float, str]:
    """Run ``python -c code *args`` from the repo; returns (wall seconds, stdout)."""
    t0 = time.time()
    proc = subprocess.run(
        [sys.executable, "-c", code, str(t0), *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=os.environ.copy(),
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"child failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return time.time() - t0, proc.stdout


def one_start() -> dict:
    """One fresh process: the child's marks in seconds since spawn."""
    _, out = spawn(CHILD, [])
    line = next(x for x in out.splitlines() if x.startswith("BENCH "))
    return json.loads(line[6:])


def run(quick: bool = False) -> dict:
    """Returns ``{window_s, first_point_s}`` (medians over fresh processes) and the baseline."""
    setup_env()
    clock = Clock()
    subprocess.run(
        [
            sys.executable,
            "-c",
            "from core.data.registry import load_dataset; load_dataset('fonts-letters')",
        ],
        cwd=REPO,
        check=True,
    )
    bare = [spawn("import PySide6.QtWidgets", [])[0] for _ in range(1 if quick else 3)]
    marks = [one_start() for _ in range(1 if quick else 3)]
    keys = ("window_s", "dataset_s", "tf_ready_s", "trainer_ready_s", "first_point_s")
    out = {k: median([m[k] for m in marks]) for k in keys}
    out["bare_qt_import_s"] = median(bare)
    out["seconds"] = clock()
    return out


def main() -> None:
    """``python -m bench.startup [--quick] [--json PATH]``."""
    args = parse_args(__doc__.splitlines()[0])
    emit(run(args.quick), args.json)


if __name__ == "__main__":
    main()
