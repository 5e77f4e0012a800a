from __future__ import annotations

import pickle

import numpy as np
import pytest

from core.data import images, notmnist
from core.data.errors import DataError

SKIPS = {images.SKIP_EMPTY: 1, images.SKIP_CORRUPT: 1, images.SKIP_NOT_PNG: 1, images.SKIP_SIZE: 1}


def test_archive_is_read_with_skips_counted_by_reason(tmp_path, tree_files, write_tar, glyphs):
    path = write_tar(tmp_path / "notMNIST_small.tar.gz", tree_files)
    calls = []
    out = notmnist.read_archive(path, workers=0, progress=lambda d, t, m: calls.append((d, t)))
    assert len(out.labels) == 41
    assert out.converted == 1
    assert out.skipped.counts == SKIPS
    counts = out.class_counts()
    assert counts[0] == 4
    assert counts[1] == 5
    assert counts[2:].tolist() == [4] * 8
    assert calls[-1] == (path.stat().st_size, path.stat().st_size)
    # Every real glyph came through with its letter.
    x, y = glyphs
    got = {img.tobytes(): lab for img, lab in zip(out.images, out.labels, strict=True)}
    assert all(got[img.tobytes()] == lab for img, lab in zip(x, y, strict=True))


def test_folder_gives_the_same_images_as_the_archive(tmp_path, tree_files, write_tree, write_tar):
    root = write_tree(tmp_path / "extract" / "notMNIST_small", tree_files)
    tar = write_tar(tmp_path / "a.tar.gz", tree_files)
    from_folder = notmnist.read_folder(root.parent, workers=0)  # root found one level down
    from_tar = notmnist.read_archive(tar, workers=0)
    assert from_folder.skipped.counts == SKIPS
    assert sorted(map(bytes, from_folder.images)) == sorted(map(bytes, from_tar.images))


def test_missing_and_empty_class_folders_are_named(tmp_path, tree_files, write_tree):
    files = {k: v for k, v in tree_files.items() if not k.startswith("J/")}
    root = write_tree(tmp_path / "r", files)
    with pytest.raises(DataError, match="missing class folder") as e:
        notmnist.read_folder(root, workers=0)
    assert e.value.path == str(root / "J")
    (root / "J").mkdir()
    with pytest.raises(DataError, match="empty class folder") as e:
        notmnist.read_folder(root, workers=0)
    assert e.value.path == str(root / "J")


def test_archive_with_a_class_missing_names_it(tmp_path, tree_files, write_tar):
    files = {k: v for k, v in tree_files.items() if not k.startswith("C/")}
    path = write_tar(tmp_path / "x.tar.gz", files)
    with pytest.raises(DataError, match="no readable images") as e:
        notmnist.read_archive(path, workers=0)
    assert str(path) in str(e.value)
    assert "C/" in str(e.value)


def test_truncated_and_non_gzip_archives_name_the_file(tmp_path, tree_files, write_tar):
    path = write_tar(tmp_path / "t.tar.gz", tree_files)
    data = path.read_bytes()
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match="truncated or corrupt archive") as e:
        notmnist.read_archive(cut, workers=0)
    assert str(cut) in str(e.value)
    plain = tmp_path / "plain.tar.gz"
    plain.write_bytes(b"hello, not gzip at all")
    with pytest.raises(DataError, match="not a gzip file") as e:
        notmnist.read_archive(plain, workers=0)
    assert str(plain) in str(e.value)


def test_large_and_small_make_test_from_small(tmp_path, tree_files, write_tar, glyphs, to_png):
    large = write_tar(
        tmp_path / "notMNIST_large.tar.gz",
        {**tree_files, **{f"{k[:2]}copy_{k[2:]}": v for k, v in tree_files.items()}},
        "notMNIST_large",
    )
    small_files = {
        f"{notmnist.LETTERS[lab]}/s{i}.png": to_png(255 - img)
        for i, (img, lab) in enumerate(zip(*glyphs, strict=True))
    }
    small = write_tar(tmp_path / "notMNIST_small.tar.gz", small_files)
    ds = notmnist.load_notmnist([small, large], seed=3, valid=10, workers=0)
    assert len(ds.test_y) == 40
    inverted = {(255 - img).tobytes() for img in glyphs[0]}
    assert all(img.tobytes() in inverted for img in ds.test_x)
    assert len(ds.valid_y) == 10
    assert len(ds.train_y) == 82 - 10
    assert ds.provenance.images_read == 82 + 40
    assert ds.provenance.skipped[images.SKIP_EMPTY] == 2
    assert ds.provenance.details["per_class_read"]["A"] == 8 + 4
    same = notmnist.load_notmnist([small, large], seed=3, valid=10, workers=0)
    assert np.array_equal(same.train_x, ds.train_x)
    other = notmnist.load_notmnist([small, large], seed=4, valid=10, workers=0)
    assert not np.array_equal(other.train_x, ds.train_x)


def test_one_source_is_split_with_caps(tmp_path, tree_files, write_tar):
    path = write_tar(tmp_path / "s.tar.gz", tree_files)
    ds = notmnist.load_notmnist([path], workers=0)
    assert (len(ds.train_y), len(ds.valid_y), len(ds.test_y)) == (33, 4, 4)
    ds = notmnist.load_notmnist([path], workers=0, train=1000, valid=30, test=5)
    assert (len(ds.train_y), len(ds.valid_y), len(ds.test_y)) == (6, 30, 5)
    assert ds.class_names == tuple("ABCDEFGHIJ")


def _assignment_pickle(path, glyphs, protocol=pickle.HIGHEST_PROTOCOL):
    x, y = glyphs
    norm = ((x.astype(np.float32) - 255 / 2) / 255).astype(np.float32)
    data = {
        "train_dataset": norm[:30],
        "train_labels": y[:30].astype(np.int32),
        "valid_dataset": norm[30:35],
        "valid_labels": y[30:35].astype(np.int32),
        "test_dataset": norm[35:],
        "test_labels": y[35:].astype(np.int32),
    }
    path.write_bytes(pickle.dumps(data, protocol=protocol))
    return path


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_assignment_pickle_converts_back_exactly(tmp_path, glyphs, protocol):
    path = _assignment_pickle(tmp_path / "notMNIST.pickle", glyphs, protocol)
    ds = notmnist.load_assignment_pickle(path)
    x, y = glyphs
    assert np.array_equal(ds.train_x, x[:30])
    assert np.array_equal(ds.test_x, x[35:])
    assert np.array_equal(ds.valid_y, y[30:35])
    assert ds.train_y.dtype == np.int64
    assert ds.class_names == tuple("ABCDEFGHIJ")


def test_assignment_pickle_problems_name_the_file(tmp_path, glyphs):
    path = tmp_path / "bad.pickle"
    path.write_bytes(pickle.dumps({"train_dataset": np.zeros((2, 28, 28), np.float32)}))
    with pytest.raises(DataError, match="missing keys") as e:
        notmnist.load_assignment_pickle(path)
    assert str(path) in str(e.value)
    good = _assignment_pickle(tmp_path / "n.pickle", glyphs)
    import core.data.safe_pickle as sp

    data = sp.safe_load(good)
    data["valid_dataset"] = data["valid_dataset"] * 0.3
    path.write_bytes(pickle.dumps(data))
    with pytest.raises(DataError, match="valid_dataset is not"):
        notmnist.load_assignment_pickle(path)
    data = sp.safe_load(good)
    data["test_labels"][0] = 11
    path.write_bytes(pickle.dumps(data))
    with pytest.raises(DataError, match="test_labels out of range"):
        notmnist.load_assignment_pickle(path)
