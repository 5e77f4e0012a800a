"""`python main.py baseline`: the lesson's off-the-shelf check, scikit-learn logistic regression.

Trains ``sklearn.linear_model.LogisticRegression`` on ``--samples`` training images (flattened
to 784 pixels and normalized like every model's input) and reports the test accuracy and the
confusion matrix. No TensorFlow is involved.
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np

from core.cli.common import (
    TerminalProgress,
    fail,
    output_file,
    positive_int,
    seed_value,
    write_json,
)

MAX_ITER = 1000


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the baseline options.

    Parameters
    ----------
    parser:
        The ``baseline`` sub-command's parser.
    """
    parser.add_argument(
        "--dataset",
        required=True,
        metavar="SPEC",
        help="a dataset name (fonts-letters, mnist ...) or a file/folder path",
    )
    parser.add_argument(
        "--samples",
        type=positive_int("--samples"),
        default=5000,
        metavar="N",
        help="training images to fit on (default 5000; the lesson tries 50, 100, 1000 and 5000)",
    )
    parser.add_argument("--seed", type=seed_value, default=0, help="seed for the data (default 0)")
    parser.add_argument(
        "--json",
        type=output_file,
        metavar="PATH",
        help="also write samples, test accuracy and confusion matrix as JSON",
    )


def fit_baseline(
    train_x: np.ndarray, train_y: np.ndarray, seed: int = 0, max_iter: int = MAX_ITER
) -> tuple[object, bool]:
    """Fit scikit-learn's logistic regression on uint8 images.

    Parameters
    ----------
    train_x:
        ``uint8`` images ``(N, 28, 28)``; they are flattened and normalized with
        :func:`core.data.normalize.normalize`.
    train_y:
        Integer labels ``(N,)``; at least two classes must occur.
    seed:
        ``random_state`` of the model.
    max_iter:
        Most L-BFGS iterations.

    Returns
    -------
    tuple
        ``(model, converged)``; ``converged`` is False when the solver hit ``max_iter`` (its
        ``ConvergenceWarning`` is not let out).
    """
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression

    from core.data.normalize import normalize

    x = normalize(train_x).reshape(len(train_x), -1)
    model = LogisticRegression(max_iter=max_iter, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(x, np.asarray(train_y))
    converged = int(np.max(model.n_iter_)) < max_iter
    return model, converged


def predict(model: object, images: np.ndarray) -> np.ndarray:
    """Predicted class indices of uint8 images ``(N, 28, 28)`` for a :func:`fit_baseline` model."""
    from core.data.normalize import normalize

    return np.asarray(model.predict(normalize(images).reshape(len(images), -1)))  # type: ignore[attr-defined]


def run(args: argparse.Namespace) -> int:
    """Load the data, fit, print accuracy and confusion; exit 2 with one line on bad input.

    Parameters
    ----------
    args:
        Parsed options (see :func:`add_arguments`).

    Returns
    -------
    int
        0 on success, 2 on a bad dataset or unusable training subset.
    """
    from core.cli.evaluate_cmd import format_confusion
    from core.data.errors import DataError
    from core.data.registry import load_dataset

    bar = TerminalProgress()
    try:
        dataset = load_dataset(args.dataset, seed=args.seed, train=args.samples, progress=bar)
    except (DataError, OSError, ValueError, KeyError) as exc:
        bar.close()
        return fail(str(exc))
    bar.close()
    train_x, train_y = dataset.train_x[: args.samples], dataset.train_y[: args.samples]
    test_x, test_y = dataset.test_x, dataset.test_y
    if len(test_y) == 0:
        return fail(f"{args.dataset}: the test split is empty")
    if len(np.unique(train_y)) < 2:
        return fail(
            f"{args.dataset}: the {len(train_y)} training images hold fewer than two "
            "classes; use more --samples"
        )
    model, converged = fit_baseline(train_x, train_y, seed=args.seed)
    predicted = predict(model, test_x)
    accuracy = float(np.mean(predicted == test_y))
    n = dataset.num_classes
    confusion = np.bincount(test_y * n + predicted, minlength=n * n).reshape(n, n)
    print(
        f"Baseline: scikit-learn LogisticRegression on {len(train_y)} training images of "
        f"{dataset.name} ({train_x[0].size} pixels each)"
    )
    if not converged:
        print(f"Note: the solver stopped at {MAX_ITER} iterations before converging")
    print(f"Test accuracy: {100 * accuracy:.1f}% ({len(test_y)} images)")
    print(format_confusion(confusion, dataset.class_names))
    if args.json:
        try:
            write_json(
                args.json,
                {
                    "samples": len(train_y),
                    "test_accuracy": accuracy,
                    "confusion": confusion.tolist(),
                    "class_names": list(dataset.class_names),
                    "test_images": len(test_y),
                    "converged": converged,
                },
            )
        except OSError as exc:
            return fail(f"{args.json}: cannot write ({exc.strerror or exc})")
    return 0
