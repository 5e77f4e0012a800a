"""Shared pieces of the sub-commands: argument types, a terminal progress bar, error exits."""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def _number(kind: type, low: float, high: float | None, low_open: bool, what: str) -> Callable:
    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a {kind.__name__}") from None
        if isinstance(value, float) and not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"{what} must be a finite number")
        if value < low or (low_open and value == low) or (high is not None and value >= high):
            raise argparse.ArgumentTypeError(
                f"{what} {text} is out of range ({_range(low, high, low_open)})"
            )
        return value

    return parse


def _range(low: float, high: float | None, low_open: bool) -> str:
    left = "more than" if low_open else "at least"
    return f"{left} {low:g}" + (f" and less than {high:g}" if high is not None else "")


def positive_int(what: str) -> Callable[[str], int]:
    """Argparse type: an int >= 1."""
    return _number(int, 1, None, False, what)


def non_negative_int(what: str) -> Callable[[str], int]:
    """Argparse type: an int >= 0."""
    return _number(int, 0, None, False, what)


def positive_float(what: str) -> Callable[[str], float]:
    """Argparse type: a float > 0."""
    return _number(float, 0.0, None, True, what)


def non_negative_float(what: str) -> Callable[[str], float]:
    """Argparse type: a float >= 0."""
    return _number(float, 0.0, None, False, what)


def rate(what: str) -> Callable[[str], float]:
    """Argparse type: a float in [0, 1)."""
    return _number(float, 0.0, 1.0, False, what)


SEED_LIMIT = 2**32


def seed_value(text: str) -> int:
    """Argparse type: a random seed, an int from 0 to 2**32 - 1 (what numpy and TF accept)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an int") from None
    if not 0 <= value < SEED_LIMIT:
        raise argparse.ArgumentTypeError(f"seed {text} is out of range (0 to {SEED_LIMIT - 1})")
    return value


def output_problem(path: str | Path) -> str | None:
    """Why ``path`` cannot be written as an output file, or None when it can.

    Checked before any work starts, so a typo in ``--json`` does not cost a finished run.

    Parameters
    ----------
    path:
        The file to be written (it may exist; it is replaced).

    Returns
    -------
    str or None
        A one-line problem naming the path, or None.
    """
    target = Path(path).expanduser()
    folder = target.parent
    if not folder.is_dir():
        return f"{path}: cannot write: the folder {folder} does not exist"
    if target.is_dir():
        return f"{path}: cannot write: it is a folder"
    if target.exists() and not target.is_file():
        return f"{path}: cannot write: not a regular file"
    writable = os.access(target, os.W_OK) if target.exists() else os.access(folder, os.W_OK)
    if not writable:
        return f"{path}: cannot write: permission denied"
    return None


def output_file(text: str) -> str:
    """Argparse type: a file path that can be written (see :func:`output_problem`)."""
    problem = output_problem(text)
    if problem is not None:
        raise argparse.ArgumentTypeError(problem)
    return text


def fail(message: str, status: int = 2) -> int:
    """Print a one-line ``error: ...`` on stderr and return the exit status."""
    print(f"error: {message}", file=sys.stderr)
    return status


def write_json(path: str | Path, obj: Any) -> None:
    """Write ``obj`` as indented JSON (NaN becomes null)."""

    def clean(o: Any) -> Any:
        if isinstance(o, float) and not math.isfinite(o):
            return None
        if isinstance(o, dict):
            return {k: clean(v) for k, v in o.items()}
        if isinstance(o, list | tuple):
            return [clean(v) for v in o]
        return o

    Path(path).write_text(json.dumps(clean(obj), indent=2, default=lambda o: o.tolist()))


class TerminalProgress:
    """A one-line progress bar on stderr, drawn only when stderr is a terminal."""

    def __init__(self, stream: Any = None, min_interval: float = 0.1) -> None:
        self.stream = stream or sys.stderr
        self.enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self.min_interval = min_interval
        self._last = 0.0
        self._drawn = False

    def __call__(self, done: int, total: int, message: str = "") -> None:
        """Draw ``done`` of ``total`` with ``message``."""
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last < self.min_interval and done < total:
            return
        self._last = now
        frac = done / total if total else 0.0
        bar = "#" * int(30 * frac)
        self.stream.write(f"\r{message[:40]:40s} [{bar:30s}] {100 * frac:5.1f}%")
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        """End the bar's line."""
        if self._drawn:
            self.stream.write("\r" + " " * 90 + "\r")
            self.stream.flush()
            self._drawn = False
