"""Glyph Lab entry point: the window by default, sub-commands for the command line.

Each sub-command lives in its own module exposing ``add_arguments(parser)`` and ``run(args)``;
they import TensorFlow lazily so ``--help`` and the window open fast.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from gui.platform_check import MissingSystemLibraries

# name -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "gui": ("gui.app", "open the window (the default)"),
    "data": ("core.cli.data_cmd", "build a dataset and print its curation report"),
    "presets": ("core.cli.presets_cmd", "list the lesson presets with the lesson's figures"),
    "lessons": ("core.cli.lessons_cmd", "list the lesson tracks, or one track's steps"),
    "train": ("core.cli.train_cmd", "train a preset and print the lesson-style log"),
    "evaluate": ("core.cli.evaluate_cmd", "evaluate a saved model on a dataset's test split"),
    "predict": ("core.cli.predict_cmd", "classify image files with a saved model"),
    "baseline": ("core.cli.baseline_cmd", "scikit-learn logistic regression baseline"),
    "runs": ("core.cli.runs_cmd", "list past runs (finished, interrupted, failed, diverged)"),
    "snapshot": ("gui.snapshot", "run the real window offscreen and save a screenshot"),
}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every sub-command registered."""
    parser = argparse.ArgumentParser(
        prog="glyph-lab",
        description="Watch a neural network learn letters (notMNIST) and digits (MNIST).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, help_text) in COMMANDS.items():
        module = importlib.import_module(module_name)
        p = sub.add_parser(name, help=help_text, description=help_text)
        module.add_arguments(p)
        p.set_defaults(_module=module)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` and run the chosen sub-command; returns the process exit status.

    When the reader of stdout goes away (``main.py runs | head``), the command stops quietly
    with status 1 instead of a ``BrokenPipeError`` traceback.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help")):
        argv = ["gui", *argv]
    try:
        try:
            parser = build_parser()
            args = parser.parse_args(argv)
            status = int(args._module.run(args) or 0)
        finally:  # also after --help's SystemExit: a closed pipe shows here, not at exit
            sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()
        return 1
    except MissingSystemLibraries as exc:
        print(exc, file=sys.stderr)
        return 1
    return status


def _silence_stdout() -> None:
    """Point stdout at the null device, so the flush at exit does not hit the closed pipe."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # stdout is not a real file (e.g. captured)
        pass


if __name__ == "__main__":
    sys.exit(main())
