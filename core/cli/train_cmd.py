"""`python main.py train`: train a preset from the command line with the lessons' log lines."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from core.cli.common import (
    TerminalProgress,
    fail,
    non_negative_float,
    non_negative_int,
    output_file,
    positive_float,
    positive_int,
    rate,
    seed_value,
    write_json,
)
from core.models.presets import PRESETS

if TYPE_CHECKING:
    from core.training.recorder import RunRecorder
    from core.training.trainer import Trainer


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the train options."""
    parser.add_argument(
        "--preset",
        choices=list(PRESETS),
        metavar="NAME",
        help="lesson preset (see `presets`); required unless --resume",
    )
    parser.add_argument(
        "--dataset", metavar="SPEC", help="dataset spec or path (default: the preset's dataset)"
    )
    parser.add_argument("--steps", type=positive_int("steps"))
    parser.add_argument("--batch-size", type=positive_int("batch size"))
    parser.add_argument("--lr", type=positive_float("learning rate"))
    parser.add_argument("--l2", type=non_negative_float("L2 lambda"))
    parser.add_argument("--dropout", type=rate("dropout rate"))
    parser.add_argument(
        "--restrict-batches",
        type=non_negative_int("restrict-batches"),
        help="train on the first N batches only (0 = off)",
    )
    parser.add_argument("--seed", type=seed_value, default=0)
    parser.add_argument("--log-every", type=positive_int("log interval"), default=500)
    parser.add_argument(
        "--save",
        metavar="DIR",
        help="run folder (default: a new folder in the user data directory)",
    )
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="with --save: replace the run already in that folder",
    )
    parser.add_argument(
        "--json", type=output_file, metavar="PATH", help="write settings, final figures and history"
    )
    parser.add_argument(
        "--checkpoint-seconds",
        type=non_negative_float("checkpoint interval"),
        default=30.0,
        metavar="S",
        help="checkpoint at an evaluation once S "
        "seconds have passed since the last checkpoint (default 30)",
    )
    parser.add_argument(
        "--resume",
        metavar="RUN_ID",
        help="continue an interrupted or stopped "
        "run (an id from `runs`, or a run folder) from its last checkpoint; "
        "--steps sets a new total",
    )


RESUME_FIXED = (
    "preset",
    "dataset",
    "batch_size",
    "lr",
    "l2",
    "dropout",
    "restrict_batches",
    "save",
)
RESUME_FLAGS = ("overwrite",)


def run(args: argparse.Namespace) -> int:
    """Load data, train, print the log; exit 2 with one line on bad input, 1 if the run failed."""
    from core.tf_import import import_tensorflow

    if args.resume is not None:
        given = [f"--{n.replace('_', '-')}" for n in RESUME_FIXED if getattr(args, n) is not None]
        given += [f"--{n}" for n in RESUME_FLAGS if getattr(args, n)]
        if given:
            return fail(f"--resume continues a run with its own settings; drop {', '.join(given)}")
    elif args.preset is None:
        return fail("--preset is required (or --resume RUN_ID to continue a run)")
    import_tensorflow()
    return _resume(args) if args.resume is not None else _train(args)


def _train(args: argparse.Namespace) -> int:
    """A new run of ``args.preset``."""
    from pathlib import Path

    from core.data.errors import DataError
    from core.data.registry import KNOWN_SPECS, load_dataset
    from core.models.presets import get_preset
    from core.training.config import TrainConfig
    from core.training.recorder import check_new_run_folder

    preset = get_preset(args.preset)
    spec = args.dataset or preset.dataset
    if spec not in KNOWN_SPECS and Path(spec).expanduser().exists():
        spec = str(Path(spec).expanduser().resolve())  # so `--resume` finds it from anywhere
    cfg = TrainConfig.from_preset(
        args.preset,
        dataset=spec,
        steps=args.steps,
        batch_size=args.batch_size,
        learning_rate=args.lr,
        l2=args.l2,
        dropout=args.dropout,
        restrict_batches=args.restrict_batches,
        seed=args.seed,
        eval_every=args.log_every,
        snapshot_every=max(args.log_every, 500),
        log_every=args.log_every,
        run_dir=args.save,
        checkpoint_seconds=args.checkpoint_seconds,
    )
    bar = TerminalProgress()
    try:
        if args.save:
            check_new_run_folder(Path(args.save).expanduser(), args.overwrite)
        dataset = load_dataset(spec, seed=args.seed, progress=bar)
        bar.close()
        cfg.validate(train_size=len(dataset.train_x))
    except (DataError, ValueError, OSError) as exc:
        bar.close()
        return fail(str(exc))
    if dataset.num_classes != 10:
        return fail(f"{spec}: expected 10 classes, found {dataset.num_classes}")

    from core.training.recorder import RunRecorder
    from core.training.trainer import Trainer

    print(
        f"Training {preset.name} ({preset.title}) on {dataset.provenance.description}: "
        f"{len(dataset.train_x)} train / {len(dataset.valid_x)} valid / "
        f"{len(dataset.test_x)} test images, {cfg.steps} steps"
    )
    trainer = Trainer(cfg, dataset)
    recorder = RunRecorder.for_trainer(trainer)
    try:
        recorder.open()
    except (DataError, OSError) as exc:
        return fail(str(exc), 1)
    return _train_loop(trainer, recorder, args, bar)


def _resume(args: argparse.Namespace) -> int:
    """Continue run ``args.resume`` from its last checkpoint."""
    from core.data.errors import DataError
    from core.data.registry import load_dataset
    from core.runs.listing import find_run
    from core.runs.lock import RunBusy
    from core.training.resume import resume, run_config

    bar = TerminalProgress()
    try:
        run_dir = find_run(args.resume)
        cfg = run_config(run_dir)
        dataset = load_dataset(cfg.dataset, seed=cfg.seed, progress=bar)
        bar.close()
        trainer, recorder, notes = resume(run_dir, dataset, steps=args.steps)
        recorder.open()
    except RunBusy as exc:
        bar.close()
        return fail(str(exc), 1)
    except (DataError, ValueError, OSError) as exc:
        bar.close()
        return fail(str(exc))
    for note in notes:
        print(f"note: {note}")
    print(
        f"Resuming {run_dir.name} ({trainer.config.preset}) from step {trainer.start_step} "
        f"of {trainer.config.steps} on {dataset.provenance.description}"
    )
    return _train_loop(trainer, recorder, args, bar)


def _train_loop(
    trainer: Trainer, recorder: RunRecorder, args: argparse.Namespace, bar: TerminalProgress
) -> int:
    """Run ``trainer`` printing the lesson-style log; 0 when finished, 1 when the run failed.

    Ctrl+C or SIGTERM stops the run as the window's Stop does: it ends after the current call
    with a checkpoint, and is saved as stopped (a second Ctrl+C interrupts at once).
    """
    from core.events import (
        EvalMetrics,
        KnobChanged,
        RunFailed,
        RunFinished,
        StepMetrics,
    )

    cfg = trainer.config
    last_step: StepMetrics | None = None
    outcome = None
    with stop_on_signals(trainer):
        for event in recorder.record(trainer.run()):
            if isinstance(event, StepMetrics):
                last_step = event
                bar(event.step + 1, cfg.steps, f"step {event.step + 1}/{cfg.steps}")
            elif isinstance(event, EvalMetrics) and event.split == "valid" and last_step:
                bar.close()
                print(f"Minibatch loss at step {event.step}: {last_step.loss:f}", flush=True)
                print(f"Minibatch accuracy: {100 * last_step.accuracy:.1f}%")
                print(f"Validation accuracy: {100 * event.accuracy:.1f}%", flush=True)
            elif isinstance(event, KnobChanged):
                bar.close()
                print(f"Step {event.step}: {event.name} {event.old:g} -> {event.new:g}")
            elif isinstance(event, RunFinished | RunFailed):
                outcome = event
    bar.close()
    if isinstance(outcome, RunFailed):
        where = f"diverged at step {outcome.step}: " if outcome.diverged else ""
        print(f"error: {where}{outcome.message}", file=sys.stderr)
        return 1
    assert isinstance(outcome, RunFinished)
    print(f"Test accuracy: {100 * outcome.final['test_accuracy']:.1f}%")
    print(
        f"{outcome.steps_per_second:.0f} steps/s, {outcome.seconds:.1f} s; "
        f"saved to {outcome.run_dir}"
    )
    if outcome.stopped:
        print(
            f"stopped at step {outcome.step}; resume with: "
            f"main.py train --resume {recorder.run_dir.name}"
        )
    if args.json:
        write_json(
            args.json,
            {
                "settings": cfg.to_dict(),
                "final": outcome.final,
                "steps_per_second": outcome.steps_per_second,
                "seconds": outcome.seconds,
                "run_dir": outcome.run_dir,
                "history": trainer.evals,
                "start_step": trainer.start_step,
            },
        )
    return 0


@contextlib.contextmanager
def stop_on_signals(trainer: Trainer) -> Iterator[None]:
    """While inside, the first SIGINT/SIGTERM stops ``trainer`` cleanly; a second interrupts."""
    previous: dict[int, Any] = {}

    def handler(signum: int, _frame: object) -> None:
        for sig, old in previous.items():
            signal.signal(sig, old)
        print("\nstopping after the current steps (Ctrl+C again to quit at once)…", flush=True)
        trainer.stop()

    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, handler)
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
