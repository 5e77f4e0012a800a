"""`python main.py runs`: list past training runs (id, preset, dataset, status, steps, accuracy)."""

from __future__ import annotations

import argparse
from pathlib import Path

from core.cli.common import fail, write_json


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the ``runs`` options on ``parser``."""
    parser.add_argument("--json", metavar="PATH", help="also write the list as JSON")
    parser.add_argument(
        "--dir",
        metavar="DIR",
        default=None,
        help="runs folder (default: the user data directory's runs folder)",
    )


def format_table(runs: list) -> str:
    """The runs as an aligned text table, one line per run (newest first).

    Parameters
    ----------
    runs:
        :class:`core.runs.listing.RunInfo` items.

    Returns
    -------
    str
        Header plus one line per run.
    """
    header = ("id", "preset", "dataset", "status", "steps", "best valid", "started")
    rows = [header]
    for r in runs:
        best = "-" if r.best_valid_accuracy is None else f"{100 * r.best_valid_accuracy:.1f}%"
        rows.append(
            (
                r.id,
                r.preset,
                _short(r.dataset),
                r.status if r.status != "unreadable" else f"unreadable: {r.message}",
                f"{r.steps_done}/{r.total_steps}",
                best,
                r.started.replace("T", " "),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


def _short(spec: str) -> str:
    """A dataset spec for the table: a path is shown by its file name."""
    return Path(spec).name if ("/" in spec or "\\" in spec) else spec


def run(args: argparse.Namespace) -> int:
    """Print the runs table (and write ``--json``); 2 with one line if the folder is unusable."""
    from core.paths import runs_dir
    from core.runs.listing import list_runs

    try:
        root = Path(args.dir) if args.dir else runs_dir()
        if args.dir and not root.is_dir():
            return fail(f"{root}: no such folder")
        runs = list_runs(root)
    except OSError as exc:
        return fail(str(exc))
    if runs:
        print(format_table(runs))
    else:
        print(f"no runs yet in {root}")
    if args.json:
        try:
            write_json(args.json, [r.to_dict() for r in runs])
        except OSError as exc:
            return fail(f"{args.json}: could not write ({exc.strerror or exc})")
    return 0
