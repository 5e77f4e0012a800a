"""`python main.py predict`: classify image files with a saved model, as the drawing pad does."""

from __future__ import annotations

import argparse

from core.cli.common import fail, write_json


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the predict options."""
    parser.add_argument("--model", required=True, metavar="RUN_DIR", help="a saved run folder")
    parser.add_argument("images", nargs="+", metavar="IMAGE", help="PNG/JPEG files, any size")
    parser.add_argument("--json", metavar="PATH")


def run(args: argparse.Namespace) -> int:
    """Print the predicted class and the probabilities per file."""
    from core.data.errors import DataError
    from core.tf_import import import_tensorflow

    import_tensorflow()
    from core.image_prep import load_image_file
    from core.inference import load_predictor

    try:
        predictor = load_predictor(args.model)
        images = [(path, load_image_file(path)) for path in args.images]
    except (DataError, OSError, ValueError, KeyError) as exc:
        return fail(str(exc))
    results = []
    for path, image in images:
        p = predictor.predict(image)
        probs = "  ".join(
            f"{c}:{v:.3f}" for c, v in zip(p.class_names, p.probabilities, strict=True)
        )
        print(f"{path}: {p.label} ({100 * p.probabilities[p.predicted]:.1f}%)  {probs}")
        results.append(
            {
                "file": str(path),
                "predicted": p.label,
                "probabilities": [float(v) for v in p.probabilities],
            }
        )
    if args.json:
        write_json(args.json, results)
    return 0
