"""The window's lesson options: ``--lesson TRACK --step N --locked`` (and ``--projector``)."""

from __future__ import annotations

import argparse
from typing import Any


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the lesson and projector options of the window command."""
    parser.add_argument("--lesson", metavar="TRACK", help="open the lesson panel on a track")
    parser.add_argument(
        "--step", type=int, metavar="N", help="with --lesson: the step to show (1 = the first)"
    )
    parser.add_argument(
        "--locked",
        action="store_true",
        help="with --lesson: keep learners on the step (View > Lock to lesson unlocks)",
    )
    parser.add_argument(
        "--projector", action="store_true", help="start in projector mode (large type)"
    )


def check(args: argparse.Namespace) -> str | None:
    """Why the lesson options cannot be used (one line), or None when they can."""
    from core.lessons.loader import LessonFileError, get_track

    lesson = getattr(args, "lesson", None)
    step = getattr(args, "step", None)
    if lesson is None:
        if step is not None or getattr(args, "locked", False):
            return "--step and --locked need --lesson TRACK"
        return None
    try:
        track = get_track(lesson)
    except LessonFileError as exc:
        return str(exc)
    except KeyError as exc:
        return str(exc.args[0])
    if step is not None and not 1 <= step <= len(track.steps):
        return f"--step must be 1 to {len(track.steps)} for the {track.id} track (got {step})"
    return None


def apply(window: Any, args: argparse.Namespace) -> None:
    """Open the lesson (and lock it) and projector mode as the options ask (after :func:`check`)."""
    lesson = getattr(args, "lesson", None)
    if lesson:
        step = getattr(args, "step", None)
        window.lessons.open(lesson, None if step is None else step - 1)
        window.lessons.prepare_step()
        window.lessons.show_panel()
        if getattr(args, "locked", False):
            window.lock.lock()
    if getattr(args, "projector", False) and hasattr(window, "projector"):
        window.projector.set_enabled(True)
