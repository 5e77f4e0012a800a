"""Transfer from rendered fonts to real notMNIST (issue 26): python -m bench.transfer.

Trains ``nn1024-l2`` and ``cnn3-pool`` (their preset steps, batch size and learning rate) with
the real trainer on:

* ``fonts``: ``fonts-letters`` as the app builds it on this machine (this computer's fonts plus
  the bundled ones, default sizes);
* ``bundle``: the same with the computer's fonts hidden (an empty font list: bundle only);
* ``real``: a shuffled part of the shared real notMNIST sample (for comparison).

The fonts models are scored on all 18,724 images of ``notmnist_small.npz``; the real model on a
held-back part of it (images whose pixels occur in its training part are left out). Also times
the ``fonts-letters`` build, cold (fresh process, empty cache) and from the cache.

    python -m bench.transfer                         # everything (about an hour on 2 cores)
    python -m bench.transfer --models nn1024-l2 --cases fonts --steps 1000   # a quick look
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time

import numpy as np

from bench.common import BENCH_HOME, REPO, run_child, setup_env

# the shared real sample beside the checkout (as the tests find it)
REAL = REPO.parent / "shared" / "data" / "notmnist_small.npz"
CASES = ("fonts", "bundle", "real")
MODELS = ("nn1024-l2", "cnn3-pool")
REAL_TEST = 3724  # held-back real images (before dropping the ones seen in training)


def load_real() -> tuple[np.ndarray, np.ndarray]:
    """All images and labels of the shared real notMNIST sample."""
    with np.load(REAL) as d:
        return d["images"], d["labels"].astype(np.int64)


def real_dataset(seed: int = 0):
    """The real sample shuffled: train / valid (1,000) / held-back test without train's pixels."""
    from core.data.dataset import Dataset, Provenance

    x, y = load_real()
    order = np.random.default_rng(seed).permutation(len(x))
    x, y = x[order], y[order]
    tx, ty = x[: -REAL_TEST - 1000], y[: -REAL_TEST - 1000]
    vx, vy = x[-REAL_TEST - 1000 : -REAL_TEST], y[-REAL_TEST - 1000 : -REAL_TEST]
    seen = {row.tobytes() for row in tx}
    keep = np.array([row.tobytes() not in seen for row in x[-REAL_TEST:]])
    sx, sy = x[-REAL_TEST:][keep], y[-REAL_TEST:][keep]
    prov = Provenance(source="notmnist_small.npz", description="real notMNIST sample, shuffled")
    return Dataset("real", tuple("ABCDEFGHIJ"), tx, ty, vx, vy, sx, sy, prov)


def fonts_dataset(case: str, seed: int = 0):
    """``fonts-letters`` as the app builds it (``fonts``) or from the bundle alone (``bundle``)."""
    if case == "fonts":
        from core.data.registry import load_dataset

        return load_dataset("fonts-letters", seed=seed)
    from core.data import curate
    from core.data.fonts import build_font_dataset

    return curate.curate(build_font_dataset("letters", seed=seed, font_files=[]))


def train_and_score(preset: str, ds, steps: int | None, seed: int) -> dict:
    """Train ``preset`` on ``ds`` with the real trainer; accuracies on its splits and on real."""
    from core.training.config import TrainConfig
    from core.training.trainer import Trainer

    cfg = TrainConfig.from_preset(
        preset, dataset=ds.name, steps=steps, seed=seed, save=False, eval_every=500
    )
    trainer = Trainer(cfg, ds)
    start = time.perf_counter()
    for _ in trainer.run():
        pass
    seconds = time.perf_counter() - start
    out = {
        "steps": cfg.steps,
        "train_seconds": round(seconds, 1),
        "valid_accuracy": round(trainer.evaluate("valid").accuracy, 4),
        "test_accuracy": round(trainer.evaluate("test").accuracy, 4),
        "test_images": len(ds.test_y),
    }
    if ds.name != "real":
        x, y = load_real()
        predicted = trainer.logits(x).argmax(1)
        out["real_notmnist_accuracy"] = round(float((predicted == y).mean()), 4)
        out["real_notmnist_images"] = len(y)
    return out


def child(case: str, preset: str, steps: int | None, seed: int) -> dict:
    """One (case, model) training in this process."""
    setup_env()
    ds = real_dataset(seed) if case == "real" else fonts_dataset(case, seed)
    prov = ds.provenance.details
    scores = train_and_score(preset, ds, steps, seed)
    result = {"case": case, "model": preset, "seed": seed, **scores}
    if case != "real":
        result["fonts_from_computer"] = prov["fonts_from_computer"]
        result["fonts_from_bundle"] = prov["fonts_from_bundle"]
        result["train_images"] = len(ds.train_y)
    return result


def build_times(repeats: int) -> dict:
    """``fonts-letters`` build: cold (fresh process, empty cache) and from the cache."""
    cold, cold_cpu, cached, load = [], [], [], []
    for _ in range(repeats):
        folder = BENCH_HOME / "transfer-cache"
        shutil.rmtree(folder, ignore_errors=True)
        env = {**os.environ, "GLYPH_LAB_CACHE_DIR": str(folder)}
        got = run_child("bench.transfer", "build", env=env)
        cold.append(got["cold_s"])
        cold_cpu.append(got["cold_cpu_s"])
        cached.append(got["cached_s"])
        load.append(got["load_1min"])
    return {
        "cold_s": cold,
        "cold_cpu_s": cold_cpu,
        "cached_s": cached,
        "load_1min": load,
        "cpus": os.cpu_count(),
    }


def child_build() -> dict:
    """Time one cold build and one cached load in this (fresh) process.

    Wall seconds, and the process's CPU seconds (what an idle machine's wall time would be:
    the build runs on one thread), with the machine's load average, since the host is shared.
    """
    setup_env()
    start, cpu = time.perf_counter(), time.process_time()
    from core.data.registry import load_dataset

    load_dataset("fonts-letters")
    cold, cold_cpu = time.perf_counter() - start, time.process_time() - cpu
    start = time.perf_counter()
    load_dataset("fonts-letters")
    return {
        "cold_s": round(cold, 2),
        "cold_cpu_s": round(cold_cpu, 2),
        "cached_s": round(time.perf_counter() - start, 3),
        "load_1min": os.getloadavg()[0],
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print one JSON object."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--child", nargs="*", help=argparse.SUPPRESS)
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--cases", default=",".join(CASES))
    ap.add_argument("--steps", type=int, default=None, help="override the presets' steps")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--build-repeats", type=int, default=3)
    args = ap.parse_args(argv)
    if args.child is None and not REAL.is_file():
        print(json.dumps({"error": f"no real notMNIST sample at {REAL}"}))
        return 1
    if args.child is not None:
        if args.child[0] == "build":
            print(json.dumps(child_build()))
        else:
            case, preset, steps, seed = args.child
            print(json.dumps(child(case, preset, int(steps) or None, int(seed))))
        return 0
    setup_env()
    out: dict = {"build": build_times(args.build_repeats) if args.build_repeats else None}
    runs = []
    for case in args.cases.split(","):
        for preset in args.models.split(","):
            steps = args.steps or 0
            got = run_child("bench.transfer", case, preset, steps, args.seed, timeout=7200)
            print(json.dumps(got), file=sys.stderr, flush=True)
            runs.append(got)
    out["runs"] = runs
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
