"""``python -m bench.lessons``: run every lesson step headless and write the lesson table.

Each training step of both tracks runs its preset with the step's own settings (the trainer, no
window, nothing saved) and reports its test accuracy; the baseline step fits scikit-learn on its
largest number of images. The table goes to ``bench/LESSONS.md`` and, with ``--readme``, between
the ``<!-- lessons:start -->`` and ``<!-- lessons:end -->`` markers of the README. The last line
printed is the JSON of every figure.

``--scale`` runs a fraction of each preset's steps (the table says so); ``--letters`` and
``--digits`` choose the data (the tracks' own by default: fonts-letters and MNIST).
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import re
import sys
import time
from pathlib import Path
from typing import Any

from bench.common import REPO, setup_env

START, END = "<!-- lessons:start -->", "<!-- lessons:end -->"


def run_step(step: Any, ds: Any, scale: float) -> dict[str, Any]:
    """Train ``step``'s preset on ``ds`` for ``scale`` of its steps; its figures."""
    from core.events import RunFailed, RunFinished
    from core.training.config import TrainConfig
    from core.training.trainer import Trainer

    settings = step.settings()
    settings["steps"] = max(1, round(settings["steps"] * scale))
    settings["seed"] = int(settings["seed"])
    cfg = TrainConfig.from_preset(
        step.preset,
        **settings,
        eval_every=max(1, settings["steps"] // 10),
        snapshot_every=10**9,
        save=False,
    )
    cfg.validate(train_size=len(ds.train_x))
    start = time.perf_counter()
    for ev in Trainer(cfg, ds).run():
        if isinstance(ev, RunFailed):
            return {"steps": cfg.steps, "failed": ev.message}
        if isinstance(ev, RunFinished):
            test = ev.test.accuracy if ev.test is not None else float("nan")
            return {"steps": cfg.steps, "test": test, "seconds": time.perf_counter() - start}
    return {"steps": cfg.steps, "failed": "the run ended without a result"}


def run_baseline(step: Any, ds: Any) -> dict[str, Any]:
    """Fit the baseline on the step's largest number of images the data holds."""
    from core.lessons.step_work import baseline_point, baseline_sizes

    samples = baseline_sizes(step.sizes, len(ds.train_x))[-1]
    start = time.perf_counter()
    point, _predicted, _probs = baseline_point(ds, samples)
    return {
        "samples": point.samples,
        "test": point.accuracy,
        "seconds": time.perf_counter() - start,
    }


def measured_text(result: dict[str, Any] | None) -> str:
    """The table's "measured" cell."""
    if result is None:
        return "(look at the data)"
    if "failed" in result:
        return f"failed: {result['failed']}"
    if "samples" in result:
        return f"{100 * result['test']:.1f}% test ({result['samples']:,} images)"
    return f"{100 * result['test']:.1f}% test ({result['steps']:,} steps)"


def table(rows: list[dict[str, Any]], note: str) -> str:
    """The lesson table in Markdown, with ``note`` (how it was measured) under it."""
    lines = [
        "| Lesson | Preset | What you will see | Lesson's figure | Measured with this version |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['track']} {r['number']}. {r['title']} | {r['preset']} | {r['see']} | "
            f"{r['figure']} | {r['measured']} |"
        )
    return "\n".join([*lines, "", note])


def replace_between_markers(text: str, body: str) -> str:
    """``text`` with what lies between the lesson markers replaced by ``body``.

    Raises
    ------
    ValueError
        The markers are missing.
    """
    pattern = re.compile(re.escape(START) + r".*?" + re.escape(END), re.S)
    if not pattern.search(text):
        raise ValueError(f"the markers {START} and {END} are missing")
    return pattern.sub(lambda _m: f"{START}\n{body}\n{END}", text, count=1)


def main(argv: list[str] | None = None) -> int:
    """Run the lessons, write the table; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m bench.lessons", description=__doc__)
    parser.add_argument("--letters", help="dataset for the Letters track (default: its own)")
    parser.add_argument("--digits", help="dataset for the Digits track (default: its own)")
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of each run's steps")
    parser.add_argument("--only", choices=("letters", "digits"), help="one track only")
    parser.add_argument("--out", default=str(REPO / "bench" / "LESSONS.md"), help="table file")
    parser.add_argument("--readme", help="also put the table between the README's markers")
    parser.add_argument(
        "--results",
        metavar="JSON",
        help="write the table from the JSON line an earlier run printed, training nothing",
    )
    args = parser.parse_args(argv)
    if not 0 < args.scale <= 1:
        print("error: --scale must be more than 0 and at most 1", file=sys.stderr)
        return 2
    setup_env()
    from core.lessons.loader import tracks
    from core.lessons.track import Track

    earlier = None
    if args.results:
        earlier = json.loads(Path(args.results).read_text("utf-8").strip().splitlines()[-1])
        args.scale = earlier["scale"]
    chosen: list[Track] = [t for t in tracks().values() if args.only in (None, t.id)]
    rows, results, specs = [], {}, {}
    for track in chosen:
        if earlier is not None:
            if track.id not in earlier["data"]:
                continue
            specs[track.id] = earlier["data"][track.id]
        else:
            from core.data.registry import load_dataset

            specs[track.id] = getattr(args, track.id) or track.steps[0].dataset
            ds = load_dataset(specs[track.id])
        for number, step in enumerate(track.steps, 1):
            key = f"{track.id}/{step.id}"
            if earlier is not None:
                result = earlier["results"].get(key)
            elif step.kind == "train":
                result = run_step(step, ds, args.scale)
            elif step.kind == "baseline":
                result = run_baseline(step, ds)
            else:
                result = None
            results[key] = result
            print(f"{track.id} {number:2d} {step.id:12s} {measured_text(result)}", file=sys.stderr)
            figure = f"{100 * step.figure_test:.1f}% test" if step.figure_test else step.figure
            rows.append(
                {
                    "track": track.title,
                    "number": number,
                    "title": step.title,
                    "preset": step.preset or {"data": "-", "baseline": "scikit-learn"}[step.kind],
                    "see": step.checks[0].text,
                    "figure": figure,
                    "measured": measured_text(result),
                }
            )
    import numpy as np
    import tensorflow as tf

    data = ", ".join(f"{k}: `{Path(v).name}`" for k, v in specs.items())  # no host paths
    steps = (
        "every preset's full steps" if args.scale == 1 else f"{args.scale:g} of each run's steps"
    )
    note = (
        f"*Measured by `python -m bench.lessons` ({steps}; data {data}) on "
        f"{datetime.date.today():%Y-%m-%d} with Python {platform.python_version()}, "
        f"TensorFlow {tf.__version__}, numpy {np.__version__}.*"
    )
    body = table(rows, note)
    Path(args.out).write_text(f"# The lessons, measured\n\n{body}\n", encoding="utf-8")
    if args.readme:
        readme = Path(args.readme)
        readme.write_text(replace_between_markers(readme.read_text("utf-8"), body), "utf-8")
    print(json.dumps({"scale": args.scale, "data": specs, "results": results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
