from __future__ import annotations

import numpy as np

from core.data import curate
from core.data.dataset import Dataset, Provenance


def _imgs(values):
    return np.stack([np.full((28, 28), v, np.uint8) for v in values])


def _ds(train, valid, test):
    return Dataset(
        "t",
        tuple("0123456789"),
        _imgs(train),
        np.zeros(len(train)),
        _imgs(valid),
        np.zeros(len(valid)),
        _imgs(test),
        np.zeros(len(test)),
        Provenance("s", "d"),
    )


def test_overlap_counts():
    counts = curate.overlap_counts(
        _imgs([1, 2, 2, 3, 3, 3]), _imgs([3, 4, 5, 5]), _imgs([1, 5, 6, 4])
    )
    assert counts == {"within_train": 3, "train_valid": 1, "train_test": 1, "valid_test": 2}


def test_sanitize_drops_valid_and_test_overlaps_and_reports_both():
    ds = curate.curate(_ds([1, 2, 2], [2, 7, 8], [1, 7, 9, 8, 10]), sanitize=True)
    assert [int(x[0, 0]) for x in ds.valid_x] == [7, 8]
    assert [int(x[0, 0]) for x in ds.test_x] == [9, 10]
    d = ds.provenance.details
    assert d["overlap_before_sanitize"] == {
        "within_train": 1,
        "train_valid": 1,
        "train_test": 1,
        "valid_test": 2,
    }
    assert d["overlap"] == {"within_train": 1, "train_valid": 0, "train_test": 0, "valid_test": 0}
    assert d["sanitize_dropped"] == {"valid": 1, "test": 3}


def test_without_sanitize_nothing_is_dropped():
    ds = curate.curate(_ds([1], [1], [1]))
    assert len(ds.valid_x) == 1
    assert ds.provenance.details["overlap"]["train_test"] == 1


def test_pool_sizes_cap_and_defaults():
    assert curate.pool_sizes(100) == (80, 10, 10)
    assert curate.pool_sizes(530_000) == (200_000, 10_000, 10_000)
    assert curate.pool_sizes(10, train=100, valid=100, test=4) == (0, 6, 4)


def test_split_pool_is_a_seeded_partition():
    x = _imgs(range(50))
    y = np.arange(50) % 10
    (a, ay), (b, _), (c, _) = curate.split_pool(x, y, seed=1)
    got = sorted(int(v[0, 0]) for v in np.concatenate([a, b, c]))
    assert got == list(range(50))
    assert np.array_equal(ay, np.array([int(v[0, 0]) % 10 for v in a]))
    (a2, _), _, _ = curate.split_pool(x, y, seed=1)
    assert np.array_equal(a, a2)
