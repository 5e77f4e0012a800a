"""Benchmark 2: the trainer's achieved FLOP/s for nn1024 vs this machine's fp32 matmul roof.

The roof is the median rate of a large square ``tf.matmul``; the trainer's FLOP/s come from the
model's shapes (the FLOPs of the forward pass, the weight gradients, and the input gradients of
every layer but the first: see :func:`bench.common.flops_per_step`) times its measured steps/s,
both in this process. ``fraction_rule_of_six`` is the same with the common 6 * batch * weights
count, which also counts the image gradient nobody computes (x 1.49 for nn1024).
"""

from __future__ import annotations

from bench.common import (
    Clock,
    emit,
    flops_per_step,
    median,
    parse_args,
    random_dataset,
    setup_env,
)
from bench.throughput import trainer_rate


def matmul_gflops(n: int, repeats: int) -> float:
    """Median GFLOP/s of an ``n x n`` fp32 ``tf.matmul`` (compiled, result forced each call)."""
    import time

    import tensorflow as tf

    a = tf.random.normal((n, n), dtype=tf.float32)
    b = tf.random.normal((n, n), dtype=tf.float32)
    mm = tf.function(lambda a, b: tf.reduce_sum(tf.matmul(a, b)))
    mm(a, b).numpy()
    rates = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        mm(a, b).numpy()
        rates.append(2.0 * n ** 3 / (time.perf_counter() - t0) / 1e9)
    return median(rates)


def run(quick: bool = False) -> dict:
    """Returns ``{matmul_gflops, nn1024_gflops, fraction}`` and the steps/s behind them."""
    from core.models.presets import get_preset

    setup_env()
    clock = Clock()
    p = get_preset("nn1024")
    ds = random_dataset(train=12800, valid=1000, test=500)
    per_step = flops_per_step(p.model.hidden, p.batch_size)
    roofs, achieved = [], []
    for _ in range(1 if quick else 3):  # interleaved pairs: load drifts hit both sides
        roofs.append(matmul_gflops(1024 if quick else 2048, 5 if quick else 10))
        achieved.append(per_step * trainer_rate("nn1024", ds, 200 if quick else 800,
                                                3 if quick else 4) / 1e9)
    fractions = [a / r for a, r in zip(achieved, roofs, strict=True)]
    six = flops_per_step(p.model.hidden, p.batch_size, rule_of_six=True) / per_step
    return {"matmul_gflops": median(roofs), "nn1024_gflops": median(achieved),
            "fraction": median(fractions), "fractions": fractions,
            "fraction_rule_of_six": six * median(fractions),
            "nn1024_steps_per_s": median(achieved) * 1e9 / per_step,
            "nn1024_flops_per_step": per_step, "seconds": clock()}


def main() -> None:
    """``python -m bench.roof [--quick] [--json PATH]``."""
    args = parse_args(__doc__.splitlines()[0])
    emit(run(args.quick), args.json)


if __name__ == "__main__":
    main()
