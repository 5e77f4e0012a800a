"""``glyph-lab data``: build a dataset and print its curation report (optionally a PNG peek)."""

from __future__ import annotations

import argparse
import sys
import time
from typing import TextIO

from core.cli.common import non_negative_int, seed_value
from core.data.errors import DataError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the ``data`` sub-command's options on ``parser``."""
    from core.data.registry import KNOWN_SPECS

    parser.add_argument(
        "--dataset",
        default="fonts-letters",
        metavar="SPEC",
        help=f"one of {', '.join(KNOWN_SPECS)}, or a path to a notMNIST "
        ".tar.gz/folder, MNIST IDX files, an .npz or notMNIST.pickle "
        "(default: fonts-letters)",
    )
    parser.add_argument(
        "--sanitize",
        action="store_true",
        help="drop valid/test images that also occur in train (and test in valid)",
    )
    parser.add_argument("--seed", type=seed_value, default=0, help="shuffle seed (default 0)")
    parser.add_argument("--no-cache", action="store_true", help="ignore and do not write the cache")
    parser.add_argument("--no-download", action="store_true", help="never download")
    parser.add_argument(
        "--train", type=non_negative_int("train size"), metavar="N", help="train size"
    )
    parser.add_argument(
        "--valid", type=non_negative_int("valid size"), metavar="N", help="valid size"
    )
    parser.add_argument("--test", type=non_negative_int("test size"), metavar="N", help="test size")
    parser.add_argument(
        "--peek",
        default=None,
        metavar="OUT.png",
        help="write a PNG grid of samples from each split with their labels",
    )


class TerminalBar:
    """A one-line progress bar on a terminal stream, redrawn at most 10 times a second.

    Parameters
    ----------
    stream:
        Where to draw (stderr).
    """

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self._last = 0.0
        self._drawn = False

    def __call__(self, done: int, total: int, message: str) -> None:
        """Draw ``done`` of ``total`` with ``message``."""
        now = time.monotonic()
        if done < total and now - self._last < 0.1:
            return
        self._last = now
        frac = done / total if total else 0.0
        bar = "#" * int(frac * 30)
        self.stream.write(f"\r[{bar:<30}] {frac:6.1%} {message[:60]:<60}")
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        """End the bar's line."""
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()


def run(args: argparse.Namespace) -> int:
    """Build the dataset, print the report, write the peek; 2 on bad input."""
    from core.data.registry import load_dataset
    from core.data.report import format_report, write_peek

    bar = TerminalBar(sys.stderr) if sys.stderr.isatty() else None
    sizes = {
        k: getattr(args, k) for k in ("train", "valid", "test") if getattr(args, k) is not None
    }
    try:
        try:
            ds = load_dataset(
                args.dataset,
                sanitize=args.sanitize,
                seed=args.seed,
                use_cache=not args.no_cache,
                download=not args.no_download,
                progress=bar,
                **sizes,
            )
        finally:
            if bar is not None:
                bar.close()
        print(format_report(ds))
        if args.peek:
            out = write_peek(ds, args.peek, seed=args.seed)
            print(f"peek: wrote {out}")
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (ImportError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0
