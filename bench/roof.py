"""Benchmark 2: the trainer's achieved FLOP/s for nn1024 vs this machine's fp32 matmul roof.

The roof is the rate of a large square ``tf.matmul``; the trainer's FLOP/s come from the
model's shapes times its measured rate: per step the forward pass, the weight gradients, and the
input gradients of every layer but the first (see :func:`bench.common.flops_per_step`), plus the
forward pass over the validation split at each evaluation inside the timed window (see
:func:`bench.common.forward_flops`), since its time is inside the window too.
Both are measured in pairs inside one training run: the run (events consumed as the window does,
weight snapshots every 50 steps, validation every 100) trains a timed segment, then waits at an
event while the matmul is timed, then trains the next segment. Each pair gives one fraction, taken
seconds apart, so the load other tenants put on this machine hits both sides; the figure is the
median over the pairs. ``fraction_training_only`` counts the training steps' FLOPs alone (the
evaluations' time still counted); ``fraction_rule_of_six`` is that with the common
6 * batch * weights count, which also counts the image gradient nobody computes (x 1.49 for
nn1024). ``big_products_fraction`` is the ceiling: the step's two big products and its kernel
update alone (:class:`BigProducts`), in turns with the matmul.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import NamedTuple

from bench.common import (
    Clock,
    emit,
    flops_per_step,
    forward_flops,
    median,
    parse_args,
    random_dataset,
    setup_env,
)
from bench.throughput import advance, bench_config


def median_gflops(call: Callable[[], object], flops: float, repeats: int) -> float:
    """Median GFLOP/s of ``call()`` (which does ``flops`` and waits for them) over ``repeats``."""
    rates = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        call()
        rates.append(flops / (time.perf_counter() - t0) / 1e9)
    return median(rates)


class MatmulRoof:
    """Times an ``n x n`` fp32 ``tf.matmul`` (compiled once, result forced each call).

    Two ways, and the faster one is the roof: the one product, and the same product as two
    products of ``n / 2`` rows each, which do not depend on each other. With TensorFlow's
    default of one thread per core the first uses every core; with Glyph Lab's threads (see
    :mod:`core.threads`: one thread per kernel on 2 cores) only the second does.
    """

    def __init__(self, n: int) -> None:
        import tensorflow as tf

        self.n = n
        self.a = tf.random.normal((n, n), dtype=tf.float32)
        self.b = tf.random.normal((n, n), dtype=tf.float32)
        half = n // 2
        self.whole = tf.function(lambda a, b: tf.reduce_sum(tf.matmul(a, b)))
        self.halves = tf.function(
            lambda a, b: (
                tf.reduce_sum(tf.matmul(a[:half], b)) + tf.reduce_sum(tf.matmul(a[half:], b))
            )
        )
        for mm in (self.whole, self.halves):
            mm(self.a, self.b).numpy()

    def gflops(self, repeats: int) -> float:
        """The faster of the two ways: median GFLOP/s over ``repeats`` calls each."""
        return max(
            median_gflops(lambda mm=mm: mm(self.a, self.b).numpy(), 2.0 * self.n**3, repeats)
            for mm in (self.whole, self.halves)
        )


class BigProducts:
    """The floor of an nn1024 SGD step: its two big matrix products and the kernel update alone.

    ``h = relu(x @ W1)`` (batch x 784 x 1024), the weight gradient ``x^T @ h`` and the fused
    ``W1 -= lr * grad``, each depending on the last, in a compiled loop with nothing else: no
    output layer, loss, bias or ReLU gradients, no data. ``W1`` is in ``parts`` column blocks,
    as the trainer's (see :class:`core.models.layers.SplitDense`). Its FLOP/s over the roof
    bounds what any TensorFlow step of this shape reaches on this machine.
    """

    def __init__(self, batch: int, inputs: int, units: int, steps: int, parts: int = 2) -> None:
        import tensorflow as tf

        x = tf.random.normal((batch, inputs))
        ws = [
            tf.Variable(tf.random.normal((inputs, units // parts), stddev=0.01))
            for _ in range(parts)
        ]
        lr = tf.constant(1e-9)

        @tf.function
        def loop() -> tf.Tensor:
            for _ in tf.range(steps):
                for w in ws:
                    h = tf.nn.relu(tf.matmul(x, w))
                    grad = tf.matmul(x, h, transpose_a=True)
                    tf.raw_ops.ResourceApplyGradientDescent(var=w.handle, alpha=lr, delta=grad)
            return tf.add_n([w[0, 0] for w in ws])

        self.flops = 2 * 2.0 * batch * inputs * (units // parts * parts) * steps
        self.loop = loop
        loop().numpy()

    def gflops(self, repeats: int) -> float:
        """Median GFLOP/s over ``repeats`` loops."""
        return median_gflops(lambda: self.loop().numpy(), self.flops, repeats)


class Segment(NamedTuple):
    """One timed stretch of the nn1024 run and the matmul timed right after it."""

    steps_per_s: float
    steps: int  # training steps in the timed window
    evaluations: int  # validation passes inside it
    matmul_gflops: float

    def gflops(self, per_step: float, per_evaluation: float = 0.0) -> float:
        """The trainer's GFLOP/s in the window: its steps and (if counted) its evaluations."""
        return self.steps_per_s * (per_step + self.evaluations * per_evaluation / self.steps) / 1e9


def paired_rates(
    ds: object, roof: MatmulRoof, pairs: int, segment: int, warmup: int, repeats: int
) -> list[Segment]:
    """``pairs`` timed segments of one nn1024 run, each followed by a timed matmul.

    The first ``warmup`` steps (tracing, first evaluation) are not timed; after each segment
    the run waits at an event while the matmul is timed (see :func:`bench.throughput.advance`).
    """
    from core.events import EvalMetrics, StepMetrics
    from core.training.trainer import Trainer

    chunk = bench_config("nn1024", 1).steps_per_call
    # each advance also runs the chunk (<= steps_per_call steps) that ends before its clock starts
    run = Trainer(bench_config("nn1024", warmup + pairs * segment + (pairs + 2) * chunk), ds).run()
    advance(run, warmup)
    out = []
    for _ in range(pairs):
        timed: list = []
        rate = advance(run, segment, timed)
        steps = [e.step for e in timed if isinstance(e, StepMetrics)]
        evals = sum(isinstance(e, EvalMetrics) and e.split == "valid" for e in timed)
        out.append(Segment(rate, steps[-1] - steps[0], evals, roof.gflops(repeats)))
    run.close()
    return out


def run(quick: bool = False) -> dict:
    """Returns ``{matmul_gflops, nn1024_gflops, fraction}`` and the figures behind them."""
    from core.models.presets import get_preset

    setup_env()
    clock = Clock()
    p = get_preset("nn1024")
    ds = random_dataset(train=12800, valid=1000, test=500)
    per_step = flops_per_step(p.model.hidden, p.batch_size)
    per_eval = forward_flops(p.model.hidden, len(ds.valid_x))
    roof = MatmulRoof(1024 if quick else 2048)
    segments = paired_rates(
        ds,
        roof,
        pairs=2 if quick else 16,
        segment=50 if quick else 200,
        warmup=50 if quick else 200,
        repeats=2 if quick else 3,
    )
    # everything the trainer computed in the window: its steps and its validation passes
    achieved = [s.gflops(per_step, per_eval) for s in segments]
    roofs = [s.matmul_gflops for s in segments]
    fractions = [a / r for a, r in zip(achieved, roofs, strict=True)]
    training_fractions = [s.gflops(per_step) / s.matmul_gflops for s in segments]
    six = flops_per_step(p.model.hidden, p.batch_size, rule_of_six=True) / per_step
    products = BigProducts(p.batch_size, 784, p.model.hidden[0], 20 if quick else 100)
    ceiling = [products.gflops(1) / roof.gflops(1) for _ in range(2 if quick else 8)]
    return {
        "matmul_gflops": median(roofs),
        "nn1024_gflops": median(achieved),
        "fraction": median(fractions),
        "fractions": fractions,
        "fraction_training_only": median(training_fractions),
        "fraction_rule_of_six": six * median(training_fractions),
        "big_products_fraction": median(ceiling),
        "nn1024_steps_per_s": median([s.steps_per_s for s in segments]),
        "nn1024_flops_per_step": per_step,
        "valid_flops_per_evaluation": per_eval,
        "evaluations_per_segment": median([s.evaluations for s in segments]),
        "steps_per_segment": median([s.steps for s in segments]),
        "matmul_n": roof.n,
        "pairs": len(segments),
        "seconds": clock(),
    }


def main() -> None:
    """``python -m bench.roof [--quick] [--json PATH]``."""
    args = parse_args(__doc__.splitlines()[0])
    emit(run(args.quick), args.json)


if __name__ == "__main__":
    main()
