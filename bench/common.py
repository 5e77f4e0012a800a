"""Shared helpers: environment, timing statistics, memory readings, datasets, JSON output."""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

BENCH_HOME = Path(os.environ.get("GLYPH_BENCH_HOME", "/tmp/glyph-lab-bench"))
REPO = Path(__file__).resolve().parents[1]


def run_child(module: str, *args: object, env: dict | None = None, timeout: float = 1200) -> dict:
    """``python -m module --child *args`` from the repository; the JSON object it printed last.

    ``env`` replaces the environment (default: this process's). A failed child raises
    RuntimeError with the end of its stderr.
    """
    proc = subprocess.run(
        [sys.executable, "-m", module, "--child", *map(str, args)],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=env or os.environ.copy(),
        check=False,
        timeout=timeout,
    )
    if proc.returncode != 0:
        raise RuntimeError(
            f"{module} --child {' '.join(map(str, args))} failed:\n{proc.stderr[-3000:]}"
        )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def setup_env(cache: str = "cache") -> None:
    """Quiet TensorFlow, offscreen Qt, and caches/runs/settings in the bench folder."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    for env, sub in (
        ("GLYPH_LAB_CACHE_DIR", cache),
        ("GLYPH_LAB_DATA_DIR", "downloads"),
        ("GLYPH_LAB_RUNS_DIR", "runs"),
        ("XDG_CONFIG_HOME", "config"),
    ):
        path = BENCH_HOME / sub
        path.mkdir(parents=True, exist_ok=True)
        os.environ.setdefault(env, str(path))


def median(values: Sequence[float]) -> float:
    """Median of ``values`` (NaN when empty)."""
    return float(statistics.median(values)) if len(values) else float("nan")


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0..100) of ``values`` (NaN when empty)."""
    return float(np.percentile(np.asarray(values, float), q)) if len(values) else float("nan")


def repeat(fn: Callable[[], float], n: int) -> list[float]:
    """Call ``fn`` ``n`` times and return what it returned."""
    return [fn() for _ in range(n)]


def _status_kb(field: str) -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return float(line.split()[1])
    return float("nan")


def rss_mb() -> float:
    """This process's resident set size now, in MB."""
    return _status_kb("VmRSS") / 1024


def peak_rss_mb() -> float:
    """This process's peak resident set size so far (VmHWM), in MB."""
    return _status_kb("VmHWM") / 1024


def random_dataset(train: int, valid: int = 500, test: int = 500, seed: int = 0) -> Any:
    """A letters :class:`~core.data.dataset.Dataset` of random uint8 images (speed runs only)."""
    from core.data.dataset import Dataset, Provenance

    rng = np.random.default_rng(seed)

    def split(n: int) -> tuple[np.ndarray, np.ndarray]:
        return (
            rng.integers(0, 256, (n, 28, 28), dtype=np.uint8),
            rng.integers(0, 10, n).astype(np.uint8),
        )

    (tx, ty), (vx, vy), (sx, sy) = split(train), split(valid), split(test)
    return Dataset(
        "random",
        tuple("ABCDEFGHIJ"),
        tx,
        ty,
        vx,
        vy,
        sx,
        sy,
        Provenance(source="bench", description="random uint8 images"),
    )


def flops_per_step(
    hidden: Sequence[int],
    batch: int,
    inputs: int = 784,
    classes: int = 10,
    *,
    rule_of_six: bool = False,
) -> float:
    """The matrix FLOPs one SGD step of an MLP performs (biases and activations left out).

    Forward 2*B*sum(in*out); backward, the weight gradients as much again and the input
    gradients of every layer but the first: nothing needs the gradient of the images, and
    TensorFlow does not compute it. ``rule_of_six`` gives the common 6*B*weights instead,
    which counts that first input gradient too: for nn1024, whose first layer holds 99% of
    the weights, it overstates the work by half.
    """
    macs = _layer_macs(hidden, inputs, classes)
    if rule_of_six:
        return 6.0 * batch * sum(macs)
    return 2.0 * batch * (2 * sum(macs) + sum(macs[1:]))


def forward_flops(
    hidden: Sequence[int], images: int, inputs: int = 784, classes: int = 10
) -> float:
    """The matrix FLOPs of an MLP's forward pass over ``images`` images (an evaluation)."""
    return 2.0 * images * sum(_layer_macs(hidden, inputs, classes))


def _layer_macs(hidden: Sequence[int], inputs: int, classes: int) -> list[int]:
    """Multiply-adds per image of each dense layer of an MLP."""
    return [a * b for a, b in itertools.pairwise([inputs, *hidden, classes])]


def parse_args(description: str) -> argparse.Namespace:
    """``--quick`` and ``--json PATH``, the options every benchmark takes."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--quick", action="store_true", help="reduced version (seconds)")
    p.add_argument("--json", metavar="PATH", help="also write the JSON object to PATH")
    return p.parse_args()


def emit(result: dict, path: str | None = None) -> None:
    """Print ``result`` as one JSON line on stdout (and write it to ``path``)."""
    text = json.dumps(result, sort_keys=False)
    if path:
        Path(path).write_text(text + "\n")
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


class Clock:
    """Wall-clock stopwatch (``time.perf_counter``)."""

    def __init__(self) -> None:
        self.t0 = time.perf_counter()

    def __call__(self) -> float:
        """Seconds since creation."""
        return time.perf_counter() - self.t0
