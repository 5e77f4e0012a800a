"""`python main.py lessons [TRACK]`: the lesson tracks, or one track's steps with their figures."""

from __future__ import annotations

import argparse
import textwrap

from core.cli.common import fail
from core.lessons.track import Step


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of the lessons command."""
    parser.add_argument("track", nargs="?", help="a track to print step by step (letters, digits)")
    parser.add_argument(
        "--text", action="store_true", help="with a track: print each step's text too"
    )


def step_line(number: int, step: Step) -> str:
    """One numbered line: title, preset (or what the step does) and the lesson's figure."""
    what = step.preset or {"data": "(the data)", "baseline": "(scikit-learn)"}[step.kind]
    return f"{number:2d}. {step.title:42s} {what:18s} {step.figure}"


def run(args: argparse.Namespace) -> int:
    """Print the tracks, or one track's steps; exit 2 with one line on a bad name or file."""
    from core.lessons.glossary import plain
    from core.lessons.loader import LessonFileError, get_track, tracks

    try:
        known = tracks()
        chosen = [get_track(args.track)] if args.track else list(known.values())
    except LessonFileError as exc:
        return fail(str(exc))
    except KeyError as exc:
        return fail(str(exc.args[0]))
    for track in chosen:
        print(f"{track.id}: {track.title} - {track.description} ({len(track.steps)} steps)")
        if not args.track:
            print("    " + ", ".join(s.id for s in track.steps))
            continue
        print(f"      {'step':42s} {'preset':18s} lesson's figure")
        for i, step in enumerate(track.steps, 1):
            print("  " + step_line(i, step))
            if args.text:
                pad = " " * 8
                print(
                    textwrap.fill(plain(step.text), 96, initial_indent=pad, subsequent_indent=pad)
                )
                for check in step.checks:
                    print(f"        [ ] {check.text} ({check.panel})")
    if not args.track:
        print("`main.py lessons TRACK` prints a track's steps; `main.py --lesson TRACK` opens it.")
    return 0
