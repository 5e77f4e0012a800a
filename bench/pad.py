"""Benchmark 5: drawing pad image (280x280, ink on paper) to probabilities.

Times :meth:`core.inference.Predictor.predict` per stroke for nn1024 and cnn3-pool (p95 over many
calls after a warm-up) and, as the in-run baseline, Keras ``model.predict`` on the same prepared
image; also reports how often the compiled function was traced (must stay 1).
"""

from __future__ import annotations

import time

import numpy as np

from bench.common import Clock, emit, parse_args, percentile, setup_env

PRESETS = ("nn1024", "cnn3-pool")


def pad_drawings(n: int, size: int = 280, seed: int = 0) -> list[np.ndarray]:
    """``n`` pad images: dark random strokes on a white canvas, as the draw pad hands them over."""
    from PIL import Image, ImageDraw

    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        im = Image.new("L", (size, size), 255)
        draw = ImageDraw.Draw(im)
        for _ in range(3):
            pts = [tuple(map(int, p)) for p in rng.uniform(30, size - 30, (6, 2))]
            draw.line(pts, fill=0, width=14, joint="curve")
        out.append(np.asarray(im))
    return out


def latencies_ms(fn: object, images: list[np.ndarray], warmup: int = 5) -> list[float]:
    """Per-call wall times of ``fn(image)`` in milliseconds (after ``warmup`` calls)."""
    for im in images[:warmup]:
        fn(im)
    times = []
    for im in images:
        t0 = time.perf_counter()
        fn(im)
        times.append((time.perf_counter() - t0) * 1e3)
    return times


def run(quick: bool = False) -> dict:
    """Returns ``{nn1024_p95_ms, cnn3-pool_p95_ms}`` plus Keras-predict baselines and traces."""
    setup_env()
    from core.inference import Predictor
    from core.models.build import build_model
    from core.models.presets import get_preset

    clock = Clock()
    images = pad_drawings(40 if quick else 300)
    out: dict = {}
    for name in PRESETS:
        model = build_model(get_preset(name).model, 10, 0.0, seed=0)
        pred = Predictor(model, tuple("ABCDEFGHIJ"))
        ours = latencies_ms(lambda im, p=pred: p.predict(im, polarity="dark-on-light"), images)
        seen = [pred.predict(im, polarity="dark-on-light").seen[None] for im in images]
        n_keras = 20 if quick else 60
        keras_ms = latencies_ms(lambda s, m=model: m.predict(s, verbose=0), seen[:n_keras])
        out[f"{name}_p95_ms"] = percentile(ours, 95)
        out[f"{name}_median_ms"] = percentile(ours, 50)
        out[f"{name}_keras_predict_p95_ms"] = percentile(keras_ms, 95)
        out[f"{name}_traces"] = int(pred._probs.experimental_get_tracing_count())
    out["seconds"] = clock()
    return out


def main() -> None:
    """``python -m bench.pad [--quick] [--json PATH]``."""
    args = parse_args(__doc__.splitlines()[0])
    emit(run(args.quick), args.json)


if __name__ == "__main__":
    main()
