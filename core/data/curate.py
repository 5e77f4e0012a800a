"""Curation shared by every source: shuffling, splitting, the overlap report and sanitizing.

Duplicates are exact: two images are the same when their pixel bytes are (a 128-bit BLAKE2b
digest of the 784 bytes; hashing rows is cheaper than sorting them with ``np.unique``).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from core.data.dataset import Dataset, Provenance

DEFAULT_TRAIN = 200_000
DEFAULT_VALID = 10_000
DEFAULT_TEST = 10_000
DEFAULT_CARVED_VALID = 5_000

Split = tuple[np.ndarray, np.ndarray]


def row_hashes(images: np.ndarray) -> list[bytes]:
    """One 16-byte digest of each image's pixel bytes.

    Parameters
    ----------
    images:
        uint8 array ``(N, 28, 28)``.

    Returns
    -------
    list of bytes
        ``N`` digests; equal digests mean identical pixels.
    """
    images = np.ascontiguousarray(images, dtype=np.uint8)
    rows = images.reshape(len(images), math.prod(images.shape[1:]))  # also for 0 images
    return [hashlib.blake2b(r, digest_size=16).digest() for r in rows]


def shuffled(x: np.ndarray, y: np.ndarray, rng: np.random.Generator) -> Split:
    """Return ``x`` and ``y`` in the same random order."""
    order = rng.permutation(len(x))
    return x[order], y[order]


def take(x: np.ndarray, y: np.ndarray, n: int | None, rng: np.random.Generator) -> Split:
    """A random subset of ``n`` rows (all rows, in their order, when ``n`` is None or too big)."""
    if n is None or n >= len(x):
        return x, y
    order = np.sort(rng.permutation(len(x))[: max(0, n)])
    return x[order], y[order]


def pool_sizes(
    n: int, train: int | None = None, valid: int | None = None, test: int | None = None
) -> tuple[int, int, int]:
    """Split sizes for one pool of ``n`` images, capped by what exists.

    Unset sizes default to 10% of the pool for valid and test (at most 10,000 each) and the rest
    for train (at most 200,000): roughly 80/10/10 for small pools. Given sizes are capped in the
    order test, valid, train.

    Returns
    -------
    tuple of int
        ``(train, valid, test)``.
    """
    test = min(DEFAULT_TEST, n // 10) if test is None else min(max(0, test), n)
    valid = min(DEFAULT_VALID, n // 10) if valid is None else valid
    valid = min(max(0, valid), n - test)
    rest = n - test - valid
    train = min(DEFAULT_TRAIN, rest) if train is None else min(max(0, train), rest)
    return train, valid, test


def split_pool(
    x: np.ndarray,
    y: np.ndarray,
    *,
    seed: int = 0,
    train: int | None = None,
    valid: int | None = None,
    test: int | None = None,
) -> tuple[Split, Split, Split]:
    """Shuffle one pool with ``seed`` and cut it into train, valid and test.

    Sizes as in :func:`pool_sizes`.


    Returns
    -------
    tuple
        ``((train_x, train_y), (valid_x, valid_y), (test_x, test_y))``.
    """
    x, y = shuffled(x, y, np.random.default_rng(seed))
    n_train, n_valid, n_test = pool_sizes(len(x), train, valid, test)
    a, b = n_test, n_test + n_valid
    return (x[b : b + n_train], y[b : b + n_train]), (x[a:b], y[a:b]), (x[:a], y[:a])


def carve_valid(
    x: np.ndarray,
    y: np.ndarray,
    *,
    seed: int = 0,
    valid: int | None = None,
    train: int | None = None,
) -> tuple[Split, Split]:
    """Carve a validation split (default 5,000) from a training set, after a seeded shuffle.

    Returns
    -------
    tuple
        ``((train_x, train_y), (valid_x, valid_y))``.
    """
    n_valid = min(DEFAULT_CARVED_VALID if valid is None else max(0, valid), len(x))
    x, y = shuffled(x, y, np.random.default_rng(seed))
    rest_x, rest_y = x[n_valid:], y[n_valid:]
    if train is not None:
        rest_x, rest_y = rest_x[: max(0, train)], rest_y[: max(0, train)]
    return (rest_x, rest_y), (x[:n_valid], y[:n_valid])


def overlap_counts(train: np.ndarray, valid: np.ndarray, test: np.ndarray) -> dict[str, int]:
    """Count exact duplicate images within train and across the splits.

    Returns
    -------
    dict
        ``within_train``: train images equal to an earlier train image; ``train_valid``: valid
        images whose pixels occur in train; ``train_test``: test images whose pixels occur in
        train; ``valid_test``: test images whose pixels occur in valid.
    """
    h_train, h_valid, h_test = row_hashes(train), row_hashes(valid), row_hashes(test)
    s_train, s_valid = set(h_train), set(h_valid)
    return {
        "within_train": len(h_train) - len(s_train),
        "train_valid": sum(h in s_train for h in h_valid),
        "train_test": sum(h in s_train for h in h_test),
        "valid_test": sum(h in s_valid for h in h_test),
    }


def sanitized_masks(
    train: np.ndarray, valid: np.ndarray, test: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Rows of valid and test to keep: none shares an image with train, nor test with valid.

    Returns
    -------
    tuple of numpy.ndarray
        Boolean keep-masks for valid and test.
    """
    s_train = set(row_hashes(train))
    h_valid = row_hashes(valid)
    keep_valid = np.array([h not in s_train for h in h_valid], dtype=bool)
    s_valid = {h for h, k in zip(h_valid, keep_valid, strict=True) if k}
    keep_test = np.array(
        [h not in s_train and h not in s_valid for h in row_hashes(test)], dtype=bool
    )
    return keep_valid, keep_test


def curate(ds: Dataset, *, sanitize: bool = False) -> Dataset:
    """Add the overlap report to ``ds``'s provenance and, with ``sanitize``, drop the overlaps.

    ``sanitize`` drops from valid and test the images that also occur in train, and from test the
    images that also occur in valid, as the notMNIST assignment's follow-up asks.

    Returns
    -------
    Dataset
        A new dataset; ``provenance.details`` gains ``overlap`` (counts of the returned splits)
        and, when sanitized, ``overlap_before_sanitize`` and ``sanitize_dropped``.
    """
    details = dict(ds.provenance.details)
    before = overlap_counts(ds.train_x, ds.valid_x, ds.test_x)
    valid_x, valid_y, test_x, test_y = ds.valid_x, ds.valid_y, ds.test_x, ds.test_y
    if sanitize:
        keep_valid, keep_test = sanitized_masks(ds.train_x, ds.valid_x, ds.test_x)
        valid_x, valid_y = valid_x[keep_valid], valid_y[keep_valid]
        test_x, test_y = test_x[keep_test], test_y[keep_test]
        details["overlap_before_sanitize"] = before
        details["sanitize_dropped"] = {
            "valid": int((~keep_valid).sum()),
            "test": int((~keep_test).sum()),
        }
        details["overlap"] = overlap_counts(ds.train_x, valid_x, test_x)
    else:
        details["overlap"] = before
    details["sanitized"] = bool(sanitize)
    return replace(
        ds,
        valid_x=valid_x,
        valid_y=valid_y,
        test_x=test_x,
        test_y=test_y,
        provenance=replace(ds.provenance, details=details),
    )


def per_class(labels: np.ndarray, class_names: Sequence[str]) -> dict[str, int]:
    """``{class name: count}`` for a label array."""
    counts = np.bincount(np.asarray(labels, dtype=np.int64), minlength=len(class_names))
    return {name: int(c) for name, c in zip(class_names, counts, strict=False)}


def make_dataset(
    name: str,
    class_names: Sequence[str],
    train: Split,
    valid: Split,
    test: Split,
    provenance: Provenance,
) -> Dataset:
    """Build a :class:`Dataset` from three ``(x, y)`` splits."""
    return Dataset(
        name=name,
        class_names=tuple(class_names),
        train_x=train[0],
        train_y=train[1],
        valid_x=valid[0],
        valid_y=valid[1],
        test_x=test[0],
        test_y=test[1],
        provenance=provenance,
    )
