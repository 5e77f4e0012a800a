"""TensorFlow's thread pools, set before it is imported: one lane per half of the cores.

TensorFlow hands every kernel (op) to an intra-op pool of one thread per core. For the small
products of these lessons (a batch of 128 through 1024 units) the hand-offs cost more than the
second core gives: on 2 cores most of a step is waiting on that pool. Glyph Lab instead runs each
kernel on half the cores (one thread on a 2-core machine) and gives every step two halves that do
not depend on each other (:class:`~core.models.layers.SplitDense` blocks, or the two halves of the
batch, see :mod:`core.training.trainer`), which TensorFlow's inter-op pool runs side by side.
"""

from __future__ import annotations

import os

LANES = 2  # independent halves per step, run side by side


def available_cores() -> int:
    """The CPU cores this process may run on (its affinity where the OS tells it)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def set_thread_defaults(environ: dict | None = None) -> None:
    """Default TensorFlow to ``cores // LANES`` threads per kernel, ``LANES`` or more ops at once.

    Values the user set in the environment are kept. No effect once TensorFlow has started.
    """
    env = os.environ if environ is None else environ
    cores = available_cores()
    env.setdefault("TF_NUM_INTRAOP_THREADS", str(max(1, cores // LANES)))
    env.setdefault("TF_NUM_INTEROP_THREADS", str(max(LANES, cores)))
