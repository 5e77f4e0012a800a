"""`python main.py presets`: the lesson presets with the figure each lesson reports."""

from __future__ import annotations

import argparse

from core.models.presets import PRESETS


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """No options."""


def run(args: argparse.Namespace) -> int:
    """Print one line per preset."""
    print(f"{'preset':18s} {'dataset':14s} {'steps':>6s}  {'lesson figure':36s} set-up")
    for p in PRESETS.values():
        extras = [f"{p.optimizer} lr {p.learning_rate:g}", f"batch {p.batch_size}"]
        if p.l2:
            extras.append(f"L2 {p.l2:g}")
        if p.dropout:
            extras.append(f"dropout {p.dropout:g}")
        if p.restrict_batches:
            extras.append(f"{p.restrict_batches} batches only")
        if p.decay_steps:
            extras.append(f"lr x{p.decay_rate:g}/{p.decay_steps} steps")
        print(
            f"{p.name:18s} {p.dataset:14s} {p.steps:6d}  {p.lesson_figure:36s} {p.title}: "
            + ", ".join(extras)
        )
    return 0
