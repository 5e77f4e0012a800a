"""`python main.py evaluate`: a saved model's loss, accuracy and confusion on a test split."""

from __future__ import annotations

import argparse

import numpy as np

from core.cli.common import TerminalProgress, fail, output_file, seed_value, write_json


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the evaluate options."""
    parser.add_argument("--model", required=True, metavar="RUN_DIR", help="a saved run folder")
    parser.add_argument("--dataset", required=True, metavar="SPEC")
    parser.add_argument("--seed", type=seed_value, default=0)
    parser.add_argument("--json", type=output_file, metavar="PATH")


def format_confusion(matrix: np.ndarray, class_names: tuple[str, ...]) -> str:
    """The confusion matrix as text: rows = true class, columns = predicted."""
    width = max(5, len(str(int(matrix.max(initial=0)))) + 1)
    head = "true\\pred " + "".join(f"{c:>{width}s}" for c in class_names)
    rows = [
        f"{c:>9s} " + "".join(f"{int(v):>{width}d}" for v in row)
        for c, row in zip(class_names, matrix, strict=True)
    ]
    return "\n".join([head, *rows])


def run(args: argparse.Namespace) -> int:
    """Evaluate and print; exit 2 with one line on a bad model or dataset."""
    from core.data.errors import DataError
    from core.tf_import import import_tensorflow

    import_tensorflow()
    from core.data.registry import load_dataset
    from core.inference import load_predictor
    from core.training.evaluation import confusion_matrix

    bar = TerminalProgress()
    try:
        predictor = load_predictor(args.model)
        dataset = load_dataset(args.dataset, seed=args.seed, progress=bar)
    except (DataError, OSError, ValueError, KeyError) as exc:
        bar.close()
        return fail(str(exc))
    bar.close()
    if dataset.num_classes != len(predictor.class_names):
        return fail(
            f"{args.dataset}: {dataset.num_classes} classes but the model has "
            f"{len(predictor.class_names)}"
        )
    if len(dataset.test_y) == 0:
        return fail(f"{args.dataset}: the test split is empty; there is nothing to evaluate")
    probs = predictor.probabilities(dataset.test_x)
    y = dataset.test_y
    loss = float(-np.log(np.clip(probs[np.arange(len(y)), y], 1e-12, 1)).mean())
    predicted = probs.argmax(axis=1)
    accuracy = float((predicted == y).mean())
    confusion = confusion_matrix(y, predicted, dataset.num_classes)
    print(f"Test loss: {loss:.4f}")
    print(f"Test accuracy: {100 * accuracy:.1f}% ({len(y)} images)")
    print(format_confusion(confusion, predictor.class_names))
    if args.json:
        try:
            write_json(
                args.json, {"loss": loss, "accuracy": accuracy, "confusion": confusion.tolist()}
            )
        except OSError as exc:
            return fail(f"{args.json}: cannot write ({exc.strerror or exc})")
    return 0
