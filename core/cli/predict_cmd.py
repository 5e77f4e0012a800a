"""`python main.py predict`: classify image files with a saved model, as the drawing pad does."""

from __future__ import annotations

import argparse

from core.cli.common import fail, output_file, write_json


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the predict options."""
    parser.add_argument("--model", required=True, metavar="RUN_DIR", help="a saved run folder")
    parser.add_argument(
        "images", nargs="+", metavar="IMAGE", help="PNG/JPEG files, up to 4096x4096 pixels"
    )
    parser.add_argument("--json", type=output_file, metavar="PATH")


def run(args: argparse.Namespace) -> int:
    """Print the predicted class and the probabilities per file.

    The images are read (and refused, with one line) before TensorFlow and the model load.
    """
    from core.data.errors import DataError
    from core.image_prep import load_image_file

    try:
        images = [(path, load_image_file(path)) for path in args.images]
    except DataError as exc:
        return fail(str(exc))

    from core.tf_import import import_tensorflow

    import_tensorflow()
    from core.inference import load_predictor

    try:
        predictor = load_predictor(args.model)
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
        try:
            write_json(args.json, results)
        except OSError as exc:
            return fail(f"{args.json}: cannot write ({exc.strerror or exc})")
    return 0
