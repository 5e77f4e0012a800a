"""Benchmark 3: training nn1024 inside the real window (offscreen) vs the headless trainer.

In one process, one run in the window and one headless :class:`~core.training.trainer.Trainer`
run, with the same config (the window's own ``make_config``) and the same data, take turns:
the window's run is resumed for a segment of 500 steps (as the Pause button does) and paused
again, then the headless run's generator is advanced 500 steps, and so on, in ABBA order
(headless, window, window, headless, ...). The shared host's speed drifts by +-10% within
tens of seconds; segments seconds apart, and their order reversed every pair, keep that drift
out of the ratio. The figure is the median of the pairs' window/headless ratios.

While the window trains, a 5 ms precise timer on the GUI thread measures event-loop stalls
(the delay of each tick beyond 5 ms) and every repaint is counted. Steps/s come from the
trainer's own timestamps.
"""

from __future__ import annotations

import itertools
import time
from typing import Any

from bench.common import (
    BENCH_HOME,
    Clock,
    emit,
    median,
    parse_args,
    percentile,
    random_dataset,
    setup_env,
)
from bench.throughput import advance, marks_rate, segment_median

TICK_MS = 5
PAIRS = 24  # headless/window pairs, in ABBA order
SEGMENT_STEPS = 500  # ~2.5 s
WARMUP_STEPS = 300


def make_window(name: str = "bench") -> tuple[Any, Any]:
    """The QApplication and an instrumented, shown :class:`gui.main_window.MainWindow`.

    The window records ``paints`` (start, seconds) of every throttled repaint (buffers to
    plot items), ``curve_paints`` (start, seconds) of every time Qt drew the curves view (the
    drawing itself), and ``marks`` (trainer elapsed seconds, steps done) of every StepMetrics
    it receives.
    """
    setup_env()
    from gui.app import create_app

    app = create_app(["glyph-lab-bench"])
    from PySide6.QtCore import QSettings

    from core.events import StepMetrics
    from gui.main_window import MainWindow
    from gui.settings import AppSettings

    class BenchWindow(MainWindow):
        def __init__(self, **kw: Any) -> None:
            self.paints: list[tuple[float, float]] = []
            self.curve_paints: list[tuple[float, float]] = []
            self.marks: list[tuple[float, int]] = []
            super().__init__(**kw)
            paint = self.pacer.paint

            def timed(final: bool = False) -> None:
                t0 = time.perf_counter()
                paint(final)
                self.paints.append((t0, time.perf_counter() - t0))

            self.pacer.paint = self.pacer.request.func = timed
            self.session.step.connect(self._mark)

        def _mark(self, ev: StepMetrics) -> None:
            self.marks.append((ev.elapsed, ev.step + 1))

    import pyqtgraph as pg

    view_paint = pg.GraphicsView.paintEvent

    def timed_paint(view: Any, ev: Any) -> None:
        t0 = time.perf_counter()
        view_paint(view, ev)
        if view is getattr(window_ref.get("w"), "curves_view", None):
            window_ref["w"].curve_paints.append((t0, time.perf_counter() - t0))

    window_ref: dict[str, Any] = {}
    pg.GraphicsView.paintEvent = timed_paint
    ini = BENCH_HOME / "config" / f"{name}.ini"
    ini.unlink(missing_ok=True)
    store = QSettings(str(ini), QSettings.Format.IniFormat)
    errors: list[tuple[str, str, str]] = []
    window = BenchWindow(
        settings=AppSettings(store), load_on_start=False, error_sink=lambda *e: errors.append(e)
    )
    window.bench_errors = errors
    window.curves_view = window.curves.view
    window_ref["w"] = window
    window.show()
    app.processEvents()
    return app, window


def wait_until(app: Any, predicate: Any, timeout_s: float, poll_ms: int = 20) -> None:
    """Run the Qt event loop until ``predicate()`` is true (RuntimeError after ``timeout_s``).

    ``predicate`` is checked every ``poll_ms`` (each check wakes the GUI thread: 20 ms polls
    alone cost ~0.8% of a core).
    """
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    deadline = time.perf_counter() + timeout_s
    poll = QTimer()
    poll.setInterval(poll_ms)
    poll.timeout.connect(lambda: (predicate() or time.perf_counter() > deadline) and loop.quit())
    poll.start()
    if not predicate():
        loop.exec()
    poll.stop()
    if not predicate():
        raise RuntimeError(f"timed out after {timeout_s:.0f} s")


class StallProbe:
    """A precise 5 ms timer on the GUI thread; ``gaps_ms`` are the extra delays of its ticks."""

    def __init__(self) -> None:
        from PySide6.QtCore import Qt, QTimer

        self.ticks: list[float] = []
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(lambda: self.ticks.append(time.perf_counter()))

    def start(self) -> None:
        """Start (clears earlier ticks)."""
        self.ticks.clear()
        self.timer.start()

    def stop(self) -> list[float]:
        """Stop; returns the delays beyond 5 ms between consecutive ticks, in ms."""
        self.timer.stop()
        return [max(0.0, (b - a) * 1e3 - TICK_MS) for a, b in itertools.pairwise(self.ticks)]


def train_in_window(
    app: Any, window: Any, timeout_s: float = 900, stop_after_s: float | None = None
) -> dict:
    """Start a run with the window's controls and wait for it; returns its figures.

    With ``stop_after_s`` the run is stopped (as the Stop button does) after that many seconds.
    """
    from PySide6.QtCore import QTimer

    window.marks.clear()
    window.paints.clear()
    window.curve_paints.clear()
    probe = StallProbe()
    probe.start()
    t0 = time.perf_counter()
    window.start_training()
    if stop_after_s is not None:
        QTimer.singleShot(int(stop_after_s * 1000), window.session.stop)
    wait_until(app, lambda: not window.running, timeout_s, poll_ms=100)
    seconds = time.perf_counter() - t0
    gaps = probe.stop()
    wait_until(app, lambda: not window.tasks, 120, poll_ms=50)  # the test-set results
    if window.last_failed is not None or window.bench_errors:
        raise RuntimeError(f"run failed: {window.last_failed} {window.bench_errors}")
    steps = window.marks[-1][1]
    busy = [t for t, _ in window.paints if t0 <= t <= t0 + seconds]
    return {
        "steps_per_s": segment_median(window.marks, steps, 5),
        "gaps": gaps,
        "repaint_hz": len(busy) / seconds,
        "seconds": seconds,
        "paint_ms": [d * 1e3 for _, d in window.paints],
        "curve_paint_ms": [d * 1e3 for _, d in window.curve_paints],
    }


def setup_run(app: Any, window: Any, ds: Any, preset: str, steps: int) -> None:
    """Give the window ``ds`` and the controls ``preset`` and ``steps``; load TensorFlow."""
    window.set_dataset(ds, "random")
    window.controls.select_preset(preset)
    window.controls.set_values({"steps": steps})
    window.import_tensorflow()
    wait_until(app, lambda: window.tf_ready, 120)


def window_segment(app: Any, window: Any, steps: int, probe: StallProbe) -> dict:
    """Resume the window's paused run for ``steps`` steps, pause it again; its figures."""
    n_marks, n_paints = len(window.marks), len(window.paints)
    target = window.marks[-1][1] + steps
    probe.start()
    t0 = time.perf_counter()
    window.session.toggle_pause()
    wait_until(app, lambda: window.marks[-1][1] >= target, 120, poll_ms=100)
    window.session.toggle_pause()
    t1 = time.perf_counter()
    gaps = probe.stop()
    settle = t1 + 0.2  # the chunk under way when paused, and its events
    wait_until(app, lambda: time.perf_counter() > settle, 10, poll_ms=50)
    if window.last_failed is not None or window.bench_errors:
        raise RuntimeError(f"run failed: {window.last_failed} {window.bench_errors}")
    paints = [t for t, _ in window.paints[n_paints:] if t <= t1]
    # timed from the end of the first chunk after resuming: no paused time in between
    return {
        "steps_per_s": marks_rate(window.marks[n_marks:]),
        "gaps": gaps,
        "repaint_hz": len(paints) / (t1 - t0),
    }


def run(quick: bool = False) -> dict:
    """Returns ``{ratio_vs_headless, stall_p99_ms, stall_max_ms, repaint_hz}`` and details."""
    from core.training.trainer import Trainer

    clock = Clock()
    app, window = make_window("gui_live")
    ds = random_dataset(train=12800, valid=1000, test=1000)
    pairs, steps = (1, 200) if quick else (PAIRS, SEGMENT_STEPS)
    setup_run(app, window, ds, "nn1024", (2 * pairs + 2) * steps + WARMUP_STEPS)
    events = Trainer(window.make_config(), ds).run()
    advance(events, WARMUP_STEPS)  # tracing, first evaluations
    window.start_training()
    window.session.toggle_pause()
    wait_until(app, lambda: bool(window.marks) and window.marks[-1][1] >= WARMUP_STEPS, 120)
    window.session.toggle_pause()
    probe = StallProbe()
    headless, live, gaps, hz = [], [], [], []
    for pair in range(pairs):
        for in_window in (False, True) if pair % 2 == 0 else (True, False):
            if not in_window:
                headless.append(advance(events, steps))
                continue
            r = window_segment(app, window, steps, probe)
            live.append(r["steps_per_s"])
            gaps.extend(r["gaps"])
            hz.append(r["repaint_hz"])
    events.close()
    window.session.toggle_pause()
    window.session.stop()
    wait_until(app, lambda: not window.running and not window.tasks, 120)
    window.close()
    app.processEvents()
    ratios = [a / b for a, b in zip(live, headless, strict=True)]
    return {
        "ratio_vs_headless": median(ratios),
        "ratios": ratios,
        "stall_p99_ms": percentile(gaps, 99),
        "stall_max_ms": max(gaps),
        "repaint_hz": median(hz),
        "window_steps_per_s": median(live),
        "headless_steps_per_s": median(headless),
        "pairs": pairs,
        "segment_steps": steps,
        "ticks": len(gaps),
        "seconds": clock(),
    }


def main() -> None:
    """``python -m bench.gui_live [--quick] [--json PATH]``."""
    args = parse_args(__doc__.splitlines()[0])
    emit(run(args.quick), args.json)


if __name__ == "__main__":
    main()
