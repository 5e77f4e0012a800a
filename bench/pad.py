"""Benchmark 5: drawing pad image (280x280, ink on paper) to probabilities.

Times :meth:`core.inference.Predictor.predict` per stroke for nn1024 and cnn3-pool (and the same
with the "why" overlay on: predict, then :meth:`~core.inference.Predictor.saliency`) and, as the
in-run baseline, Keras ``model.predict`` on the same prepared image; also reports how often the
compiled function was traced (must stay 1). The shared host has busy spells of a few seconds
that move one block's p95 threefold, so the presets take turns in five rounds of 60 strokes and
the figure is the median of the rounds' p95s.
"""

from __future__ import annotations

import time

import numpy as np

from bench.common import Clock, emit, median, parse_args, percentile, setup_env

PRESETS = ("nn1024", "cnn3-pool")
ROUNDS = 5
STROKES_PER_ROUND = 60


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


def explained(predictor: object, image: np.ndarray) -> np.ndarray:
    """The pad with its "why" overlay on: the answer, then the push map for that answer."""
    p = predictor.predict(image, polarity="dark-on-light")
    return predictor.saliency(p.seen, p.predicted)


def run(quick: bool = False) -> dict:
    """Returns ``{nn1024_p95_ms, cnn3-pool_p95_ms}`` plus Keras-predict baselines and traces."""
    setup_env()
    from core.inference import Predictor
    from core.models.build import build_model
    from core.models.presets import get_preset

    clock = Clock()
    rounds, per_round = (2, 20) if quick else (ROUNDS, STROKES_PER_ROUND)
    images = pad_drawings(rounds * per_round)
    predictors = {}
    for name in PRESETS:
        model = build_model(get_preset(name).model, 10, 0.0, seed=0)
        predictors[name] = Predictor(model, tuple("ABCDEFGHIJ"))
    times: dict[str, list[list[float]]] = {name: [] for name in PRESETS}
    why: dict[str, list[list[float]]] = {name: [] for name in PRESETS}
    for r in range(rounds):
        strokes = images[r * per_round : (r + 1) * per_round]
        for name, pred in predictors.items():
            times[name].append(
                latencies_ms(lambda im, p=pred: p.predict(im, polarity="dark-on-light"), strokes)
            )
            why[name].append(latencies_ms(lambda im, p=pred: explained(p, im), strokes))
    out: dict = {}
    for name, pred in predictors.items():
        seen = [
            pred.predict(im, polarity="dark-on-light").seen[None]
            for im in images[: 20 if quick else 60]
        ]
        keras_ms = latencies_ms(lambda s, m=pred.model: m.predict(s, verbose=0), seen)
        p95s = [percentile(t, 95) for t in times[name]]
        out[f"{name}_p95_ms"] = median(p95s)
        out[f"{name}_round_p95s_ms"] = p95s
        out[f"{name}_median_ms"] = percentile([x for t in times[name] for x in t], 50)
        out[f"{name}_keras_predict_p95_ms"] = percentile(keras_ms, 95)
        out[f"{name}_traces"] = int(pred._probs.experimental_get_tracing_count())
        out[f"{name}_why_p95_ms"] = median([percentile(t, 95) for t in why[name]])
        out[f"{name}_why_traces"] = int(pred._saliency.experimental_get_tracing_count())
    out["seconds"] = clock()
    return out


def main() -> None:
    """``python -m bench.pad [--quick] [--json PATH]``."""
    args = parse_args(__doc__.splitlines()[0])
    emit(run(args.quick), args.json)


if __name__ == "__main__":
    main()
