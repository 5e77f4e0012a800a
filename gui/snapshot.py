"""``glyph-lab snapshot``: run the real window offscreen, train, draw a glyph, save a screenshot."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of the snapshot command."""
    parser.add_argument("--preset", default="nn1024-l2", help="model preset (default nn1024-l2)")
    parser.add_argument(
        "--steps", type=int, help="training steps (default 300; with --lesson, the step's own)"
    )
    parser.add_argument("--out", required=True, help="PNG file to write")
    parser.add_argument("--size", default="1600x1000", help="window size WxH (default 1600x1000)")
    parser.add_argument("--dataset", help="dataset spec or file (default: the preset's dataset)")
    parser.add_argument(
        "--timeout", type=float, default=900.0, help="give up after this many seconds (default 900)"
    )
    parser.add_argument("--projector", action="store_true", help="take it in projector mode")
    parser.add_argument(
        "--lesson", metavar="TRACK", help="run a lesson step from the lesson panel instead"
    )
    parser.add_argument("--step", type=int, default=1, help="with --lesson: the step (default 1)")
    parser.add_argument(
        "--grab-at",
        type=int,
        metavar="STEP",
        help="take the screenshot mid-run, once training passes this step (then stop)",
    )


def parse_size(text: str) -> tuple[int, int]:
    """``"1600x1000"`` -> ``(1600, 1000)``; ValueError for anything else."""
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise ValueError(f"size must look like 1600x1000, got {text!r}") from None
    if not (320 <= w <= 8000 and 240 <= h <= 8000):
        raise ValueError(f"size {w}x{h} is out of range (320x240 to 8000x8000)")
    return w, h


def use_offscreen_if_headless() -> bool:
    """Select Qt's offscreen platform when there is no display; True when it did."""
    if os.environ.get("QT_QPA_PLATFORM") or sys.platform in ("win32", "darwin"):
        return False
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return False
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    return True


def sample_strokes(class_names: tuple[str, ...]) -> list[list[tuple[float, float]]]:
    """Strokes of a sample drawing from ``assets/strokes.json``: a letter or a digit."""
    from gui.style import asset

    data = json.loads(asset("strokes.json").read_text(encoding="utf-8"))
    for key in (*class_names, "A", "3"):
        if key in data and key in class_names:
            return [[(float(x), float(y)) for x, y in s] for s in data[key]]
    return []


def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    """Process Qt events until ``predicate()`` is true; TimeoutError after ``timeout`` s."""
    from PySide6.QtCore import QCoreApplication, QEventLoop

    end = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > end:
            raise TimeoutError(f"timed out waiting for {what}")
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        time.sleep(0.005)


def take_snapshot(
    window: Any,
    *,
    preset: str,
    steps: int | None,
    dataset: str,
    out: str | Path,
    timeout: float = 900.0,
    lesson: tuple[str, int] | None = None,
    grab_at: int | None = None,
) -> Path:
    """Drive ``window`` (a MainWindow): load, train, draw, save ``out``.

    With ``lesson`` (track, 0-based step) the run starts from the lesson panel's "Run this
    step" and ``dataset`` is the step's; with ``grab_at`` the screenshot is taken once the
    run passes that step, and the run is stopped after it.
    """
    start = time.monotonic()

    def left() -> float:
        return max(1.0, timeout - (time.monotonic() - start))

    if lesson is not None:
        window.lessons.open(*lesson)
        window.lessons.show_panel()
        dataset = window.lessons.step.dataset
        if steps is not None:
            window.run_overrides["steps"] = steps
    else:
        window.controls.select_preset(preset)
        window.controls.set_values({"steps": steps or 300})
    at = [-1]
    window.session.step.connect(lambda ev: at.__setitem__(0, ev.step))
    window.import_tensorflow()
    window.load_dataset(dataset, download=True)
    wait_until(
        lambda: (
            window.dataset is not None
            or bool(window.errors)
            or "Could not load" in window.controls.data_status.text()
        ),
        left(),
        "the dataset",
    )
    if window.dataset is None:
        raise RuntimeError(window.controls.data_status.text() or "the dataset did not load")
    wait_until(lambda: window.tf_ready or bool(window.errors), left(), "TensorFlow")
    if lesson is not None:
        window.lessons.run_step()
    else:
        window.start_training()
    wait_until(lambda: window.running, left(), "the run to start")
    if grab_at is not None:
        wait_until(lambda: at[0] >= grab_at or not window.running, left(), f"step {grab_at}")
    else:
        wait_until(lambda: not window.running and not window.tasks, left(), "the run to finish")
    if window.last_failed is not None and not window.last_failed.diverged:
        raise RuntimeError(window.last_failed.message)
    for stroke in sample_strokes(window.dataset.class_names):
        window.draw_pad.draw_stroke(stroke)
    window.draw_pad.classify_now()
    window.pacer.paint(final=True)
    wait_until(lambda: True, 1, "")
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    saved = window.grab().save(str(path), "PNG")
    window.session.stop()
    wait_until(lambda: not window.running and not window.tasks, left(), "the run to stop")
    if not saved:
        raise OSError(f"{path}: could not write the screenshot")
    return path


def run(args: argparse.Namespace) -> int:
    """Run the snapshot command; returns the exit status."""
    try:
        width, height = parse_size(args.size)
        from core.models.presets import get_preset

        preset = get_preset(args.preset)
    except (ValueError, KeyError) as exc:
        print(f"snapshot: {exc}", file=sys.stderr)
        return 2
    if args.steps is not None and args.steps < 1:
        print("snapshot: --steps must be at least 1", file=sys.stderr)
        return 2
    lesson = None
    if args.lesson:
        from gui import lesson_args

        problem = lesson_args.check(argparse.Namespace(lesson=args.lesson, step=args.step))
        if problem:
            print(f"snapshot: {problem}", file=sys.stderr)
            return 2
        lesson = (args.lesson, args.step - 1)
    use_offscreen_if_headless()
    from gui.app import create_app
    from gui.main_window import MainWindow
    from gui.settings import AppSettings, settings_at

    app = create_app()
    with tempfile.TemporaryDirectory() as tmp:
        errors: list[str] = []
        window = MainWindow(
            settings=AppSettings(settings_at(Path(tmp) / "settings.ini")),
            error_sink=lambda t, m, d: errors.append(f"{t}: {m}\n{d}"),
            load_on_start=False,
        )
        window.resize(width, height)
        window.show()
        window.fit_docks()
        window.projector.set_enabled(args.projector)
        try:
            path = take_snapshot(
                window,
                preset=preset.name,
                steps=args.steps,
                dataset=args.dataset or preset.dataset,
                out=args.out,
                timeout=args.timeout,
                lesson=lesson,
                grab_at=args.grab_at,
            )
        except (RuntimeError, TimeoutError, OSError) as exc:
            print(f"snapshot: {exc}", file=sys.stderr)
            for e in errors:
                print(e, file=sys.stderr)
            return 1
        finally:
            window.shutdown()
            window.close()
            app.processEvents()
    print(f"saved {path} ({width}x{height})")
    return 0
