"""The work of the two steps that train no preset: a look at the data, and the baseline.

Both run on a worker thread in the window; each returns the event its step's checks read
(:class:`~core.lessons.facts.DataSummary`, :class:`~core.lessons.facts.BaselinePoint`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from core.data.dataset import SPLITS, Dataset
from core.lessons.facts import BaselinePoint, DataSummary


def data_summary(ds: Dataset) -> DataSummary:
    """Images per class in each split, and exact duplicates within and across the splits."""
    from core.data.curate import overlap_counts

    counts = {s: tuple(int(n) for n in ds.class_counts(s)) for s in SPLITS}
    return DataSummary(counts, overlap_counts(ds.train_x, ds.valid_x, ds.test_x))


def baseline_sizes(sizes: Sequence[int], train_size: int) -> list[int]:
    """The step's training-set sizes that the data holds; the whole set stands in for bigger ones.

    Examples
    --------
    >>> baseline_sizes([50, 100, 1000, 5000], 600)
    [50, 100, 600]
    """
    kept = sorted({n for n in sizes if n <= train_size})
    if any(n > train_size for n in sizes) and train_size not in kept and train_size >= 2:
        kept.append(train_size)
    return kept


def baseline_point(
    ds: Dataset, samples: int, seed: int = 0
) -> tuple[BaselinePoint, np.ndarray, np.ndarray]:
    """Fit scikit-learn's logistic regression on the first ``samples`` training images.

    Returns
    -------
    tuple
        ``(point, predicted, probabilities)``: the test accuracy, and the predicted class and
        class probabilities of every test image (for the confusion and misclassified tabs).

    Raises
    ------
    ValueError
        The images hold fewer than two classes, or the test split is empty.
    """
    from core.cli.baseline_cmd import fit_baseline
    from core.data.normalize import normalize

    x, y = ds.train_x[:samples], ds.train_y[:samples]
    if len(np.unique(y)) < 2:
        raise ValueError(f"the first {samples} training images hold fewer than two classes")
    if len(ds.test_y) == 0:
        raise ValueError("the test split is empty")
    model, _converged = fit_baseline(x, y, seed=seed)
    flat = normalize(ds.test_x).reshape(len(ds.test_x), -1)
    probs = np.zeros((len(flat), ds.num_classes), np.float32)
    probs[:, model.classes_] = model.predict_proba(flat)  # type: ignore[attr-defined]
    predicted = probs.argmax(axis=1)
    accuracy = float(np.mean(predicted == ds.test_y))
    return BaselinePoint(len(y), accuracy), predicted, probs
