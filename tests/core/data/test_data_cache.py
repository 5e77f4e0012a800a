from __future__ import annotations

import os
import time

import numpy as np

from core import paths
from core.data import cache
from core.data.registry import load_dataset


def _npz(path, seed=0, n=200):
    rng = np.random.default_rng(seed)
    np.savez(
        path, images=rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), labels=np.arange(n) % 10
    )
    return path


def _cache_files():
    return sorted(paths.cache_dir().glob("dataset-*.npz"))


def test_miss_then_hit_then_rebuild_on_change(tmp_path):
    f = _npz(tmp_path / "d.npz")
    first = load_dataset(str(f), seed=2)
    assert "cache" not in first.provenance.details
    assert len(_cache_files()) == 1
    hit = load_dataset(str(f), seed=2)
    assert hit.provenance.details["cache"] == str(_cache_files()[0])
    assert np.array_equal(hit.train_x, first.train_x)
    assert np.array_equal(hit.test_y, first.test_y)
    assert hit.provenance.details["overlap"] == first.provenance.details["overlap"]
    assert hit.class_names == first.class_names
    # Other options are other entries.
    load_dataset(str(f), seed=3)
    load_dataset(str(f), seed=2, sanitize=True)
    load_dataset(str(f), seed=2, train=50)
    assert len(_cache_files()) == 4
    # The source changes: rebuilt, not served stale.
    _npz(f, seed=9)
    st = f.stat()
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    changed = load_dataset(str(f), seed=2)
    assert "cache" not in changed.provenance.details
    assert not np.array_equal(changed.train_x, first.train_x)
    # use_cache=False neither reads nor writes.
    before = _cache_files()
    assert "cache" not in load_dataset(str(f), seed=2, use_cache=False).provenance.details
    assert _cache_files() == before


def test_folder_fingerprint_changes_with_its_files(tmp_path):
    (tmp_path / "A").mkdir()
    (tmp_path / "A" / "x.png").write_bytes(b"1")
    a = cache.file_identity(tmp_path)
    (tmp_path / "A" / "y.png").write_bytes(b"2")
    assert cache.file_identity(tmp_path) != a


def test_broken_cache_file_is_a_miss(tmp_path):
    f = _npz(tmp_path / "d.npz")
    load_dataset(str(f))
    (entry,) = _cache_files()
    entry.write_bytes(b"garbage")
    ds = load_dataset(str(f))
    assert "cache" not in ds.provenance.details
    assert len(ds.train_y) == 160


def test_hit_loads_20k_images_fast(tmp_path):
    f = _npz(tmp_path / "big.npz", n=25_000)
    load_dataset(str(f))
    t = time.perf_counter()
    ds = load_dataset(str(f))
    elapsed = time.perf_counter() - t
    assert len(ds.train_y) == 20_000
    assert "cache" in ds.provenance.details
    assert elapsed < 0.5, elapsed
