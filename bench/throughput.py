"""Benchmark 1: training steps/s of the project's trainer vs plain ``keras.Model.fit``.

Both train the same architecture (Keras gets plain ``Dense`` layers) on the same random uint8
images with the same batch size. The trainer's events are consumed as the window would (weight
snapshots every 50 steps, validation every 100); Keras ``fit`` runs with its defaults. Rates are
medians over segments after a warm-up (tracing excluded on both sides).

Keras is timed twice: in the same process, under Glyph Lab's thread settings (see
:mod:`core.threads`), and in a child process with TensorFlow's own defaults (a thread per core
for every kernel). The faster of the two is the baseline, so the thread setting cannot flatter
the ratio by slowing Keras down.
"""

from __future__ import annotations

import itertools
import os
import sys
import time
from collections.abc import Iterator

from bench.common import Clock, emit, median, parse_args, random_dataset, run_child, setup_env

CASES = {"nn1024": 128, "cnn-pool": 16}


def bench_config(preset: str, steps: int, **overrides: object) -> object:
    """The :class:`TrainConfig` the speed benchmarks train with.

    The window's cadence: weight snapshots every 50 steps, validation every 100; nothing saved.
    """
    from core.training.config import TrainConfig

    settings = {"steps": steps, "save": False, "snapshot_every": 50, "eval_every": 100, **overrides}
    return TrainConfig.from_preset(preset, dataset="random", **settings)


def trainer_rate(
    preset: str, ds: object, steps: int, segments: int = 5, **overrides: object
) -> float:
    """Median steps/s of ``Trainer(...).run()`` over ``segments`` windows after warm-up."""
    from core.events import StepMetrics
    from core.training.trainer import Trainer

    marks: list[tuple[float, int]] = []
    for ev in Trainer(bench_config(preset, steps, **overrides), ds).run():
        if isinstance(ev, StepMetrics):
            marks.append((time.perf_counter(), ev.step + 1))
    return segment_median(marks, steps, segments)


def marks_rate(marks: list[tuple[float, int]]) -> float:
    """Steps/s between the first and the last ``(time, steps done)`` mark."""
    (t0, s0), (t1, s1) = marks[0], marks[-1]
    return (s1 - s0) / (t1 - t0)


def advance(events: Iterator[object], steps: int, timed: list | None = None) -> float:
    """Consume a run's events for ``steps`` more steps; their steps/s.

    Timed from the first step event on, so time the run spent suspended before this call (while
    the caller measured something else) does not count; the snapshots and evaluations between
    the timed events do. ``timed`` (if given) receives the events of the timed window, from the
    first step event to the last.
    """
    from core.events import StepMetrics

    marks: list[tuple[float, int]] = []
    for ev in events:
        is_step = isinstance(ev, StepMetrics)
        if timed is not None and (marks or is_step):
            timed.append(ev)
        if is_step:
            marks.append((time.perf_counter(), ev.step + 1))
            if marks[-1][1] - marks[0][1] >= steps:
                return marks_rate(marks)
    raise RuntimeError("the run ended early")


def segment_median(marks: list[tuple[float, int]], steps: int, segments: int) -> float:
    """Median rate over ``segments`` equal step windows, skipping the first 20% as warm-up."""
    start = next(i for i, (_, s) in enumerate(marks) if s >= steps * 0.2)
    marks = marks[start:]
    size = max(1, (len(marks) - 1) // segments)
    rates = []
    for i in range(0, len(marks) - size, size):
        (t0, s0), (t1, s1) = marks[i], marks[i + size]
        rates.append((s1 - s0) / (t1 - t0))
    return median(rates)


def keras_rate(preset: str, ds: object, steps_per_epoch: int, epochs: int) -> float:
    """Median steps/s of plain ``model.fit`` epochs (the first epoch, with tracing, is dropped)."""
    import keras

    from core.models.build import build_model
    from core.models.presets import get_preset

    p = get_preset(preset)
    model = build_model(p.model, 10, 0.0, seed=0)
    model.compile(
        optimizer=keras.optimizers.SGD(p.learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    n = steps_per_epoch * p.batch_size
    if n > len(ds.train_x):
        raise ValueError(f"{steps_per_epoch} steps of {p.batch_size} need {n} images")
    x, y = ds.train_x[:n], ds.train_y[:n].astype("int32")
    stamps: list[float] = []

    class Stamp(keras.callbacks.Callback):
        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            stamps.append(time.perf_counter())

    model.fit(
        x,
        y,
        batch_size=p.batch_size,
        epochs=epochs + 1,
        shuffle=True,
        verbose=0,
        callbacks=[Stamp()],
    )
    return median([steps_per_epoch / (b - a) for a, b in itertools.pairwise(stamps)])


def throughput_dataset() -> object:
    """The random images both sides train on (the child process makes the same ones)."""
    return random_dataset(train=25600, valid=1000, test=500)


def keras_rate_default_threads(preset: str, steps_per_epoch: int, epochs: int) -> float:
    """:func:`keras_rate` in a child process with TensorFlow's default thread pools."""
    env = {**os.environ, "TF_NUM_INTRAOP_THREADS": "0", "TF_NUM_INTEROP_THREADS": "0"}
    out = run_child("bench.throughput", preset, steps_per_epoch, epochs, env=env, timeout=600)
    return float(out["keras_steps_per_s"])


def run(quick: bool = False) -> dict:
    """Both cases; returns ``{preset: {steps_per_s, keras_steps_per_s, ratio_vs_keras}}``."""
    setup_env()
    clock = Clock()
    ds = throughput_dataset()
    out: dict = {}
    for preset, batch in CASES.items():
        per_epoch = 50 if quick else 200
        steps = 200 if quick else 1500
        epochs = 2 if quick else 4
        keras_sps, keras_default, ours = [], [], []
        for _ in range(1 if quick else 2):  # alternate, so slow drifts in load hit both
            keras_sps.append(keras_rate(preset, ds, per_epoch, epochs))
            keras_default.append(keras_rate_default_threads(preset, per_epoch, epochs))
            ours.append(trainer_rate(preset, ds, steps, 3 if quick else 5))
        faster = [max(a, b) for a, b in zip(keras_sps, keras_default, strict=True)]
        ratios = [a / b for a, b in zip(ours, faster, strict=True)]
        out[preset] = {
            "steps_per_s": median(ours),
            "keras_steps_per_s": median(faster),
            "ratio_vs_keras": median(ratios),
            "batch_size": batch,
            "ratios": ratios,
            "keras_same_process_steps_per_s": median(keras_sps),
            "keras_default_threads_steps_per_s": median(keras_default),
        }
    out["seconds"] = clock()
    return out


def main() -> None:
    """``python -m bench.throughput [--quick] [--json PATH]`` (``--child`` is internal)."""
    if len(sys.argv) > 1 and sys.argv[1] == "--child":  # see keras_rate_default_threads
        setup_env()
        preset, steps_per_epoch, epochs = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
        emit(
            {"keras_steps_per_s": keras_rate(preset, throughput_dataset(), steps_per_epoch, epochs)}
        )
        return
    args = parse_args(__doc__.splitlines()[0])
    emit(run(args.quick), args.json)


if __name__ == "__main__":
    main()
