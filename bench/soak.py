"""Benchmark 7: a long run with the window open: memory stays flat and repaints stay cheap.

Trains ``logreg-sgd`` (the fastest preset, so the window receives the most events per second)
for 100,000 steps (3,000 with ``--quick``) in the real window, offscreen. RSS is sampled every
second on the GUI thread; ``rss_growth_mb`` is the last sample minus the sample taken once 10%
of the steps were done (warm-up: caches, compiled functions). A run still going after 8 minutes
is stopped there and ``steps`` reports how far it got. The in-run baseline for repaint
cost is the run's own start: the median cost of a frame (buffers to plot items, plus Qt drawing
the curves) over the first 10% of frames vs the last 10%.
"""

from __future__ import annotations

import time

from bench.common import Clock, emit, median, parse_args, random_dataset, rss_mb
from bench.gui_live import make_window, setup_run, train_in_window

PRESET = "logreg-sgd"


def run(quick: bool = False) -> dict:
    """Returns ``{steps, rss_growth_mb}`` plus repaint costs early vs late."""
    from PySide6.QtCore import QTimer

    clock = Clock()
    steps = 3_000 if quick else 100_000
    app, window = make_window("soak")
    ds = random_dataset(train=12800, valid=1000, test=1000)
    setup_run(app, window, ds, PRESET, steps)
    samples: list[tuple[int, float, float]] = []

    def sample() -> None:
        done = window.marks[-1][1] if window.marks else 0
        samples.append((done, rss_mb(), time.perf_counter()))

    sampler = QTimer()
    sampler.setInterval(250 if quick else 1000)
    sampler.timeout.connect(sample)
    sampler.start()
    result = train_in_window(app, window, timeout_s=3600, stop_after_s=60 if quick else 480)
    sample()
    sampler.stop()
    done = window.marks[-1][1]
    warm = next(s for s in samples if s[0] >= done * 0.1)

    def frame_ms(part: slice) -> float:
        return median(result["paint_ms"][part]) + median(result["curve_paint_ms"][part])

    tenth = max(1, min(len(result["paint_ms"]), len(result["curve_paint_ms"])) // 10)
    early, late = frame_ms(slice(0, tenth)), frame_ms(slice(-tenth - 1, -1))
    window.close()
    app.processEvents()
    return {
        "steps": window.marks[-1][1],
        "rss_growth_mb": samples[-1][1] - warm[1],
        "rss_start_mb": warm[1],
        "rss_end_mb": samples[-1][1],
        "rss_max_mb": max(s[1] for s in samples),
        "paint_ms_early": early,
        "paint_ms_late": late,
        "paint_late_vs_early": late / early,
        "steps_per_s": result["steps_per_s"],
        "repaint_hz": result["repaint_hz"],
        "preset": PRESET,
        "seconds": clock(),
    }


def main() -> None:
    """``python -m bench.soak [--quick] [--json PATH]``."""
    args = parse_args(__doc__.splitlines()[0])
    emit(run(args.quick), args.json)


if __name__ == "__main__":
    main()
