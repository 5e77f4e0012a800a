from __future__ import annotations

import contextlib
import gzip
import struct

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.data import idx
from core.data.dataset import Dataset
from core.data.errors import DataError

FIXTURE_OK = [HealthCheck.function_scoped_fixture]


def idx_images(x: np.ndarray) -> bytes:
    return struct.pack(">IIII", 0x803, len(x), 28, 28) + x.astype(np.uint8).tobytes()


def idx_labels(y: np.ndarray) -> bytes:
    return struct.pack(">II", 0x801, len(y)) + y.astype(np.uint8).tobytes()


def write(path, data, gz):
    path = path.with_name(path.name + ".gz") if gz else path
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


@pytest.fixture
def digits():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (60, 28, 28), dtype=np.uint8)
    y = np.arange(60) % 10
    return x, y


@pytest.mark.parametrize("gz", [False, True])
def test_folder_carves_valid_from_train(tmp_path, digits, gz):
    x, y = digits
    write(tmp_path / "train-images-idx3-ubyte", idx_images(x[:50]), gz)
    write(tmp_path / "train-labels-idx1-ubyte", idx_labels(y[:50]), gz)
    write(tmp_path / "t10k-images-idx3-ubyte", idx_images(x[50:]), gz)
    write(tmp_path / "t10k-labels-idx1-ubyte", idx_labels(y[50:]), gz)
    ds = idx.load_idx(tmp_path, valid=8, seed=1)
    assert (len(ds.train_y), len(ds.valid_y), len(ds.test_y)) == (42, 8, 10)
    assert np.array_equal(ds.test_x, x[50:])
    assert np.array_equal(ds.test_y, y[50:])
    train = {a.tobytes(): b for a, b in zip(x[:50], y[:50], strict=True)}
    for a, b in zip(
        np.concatenate([ds.train_x, ds.valid_x]),
        np.concatenate([ds.train_y, ds.valid_y]),
        strict=True,
    ):
        assert train.pop(a.tobytes()) == b
    assert not train
    assert ds.class_names == tuple("0123456789")
    assert ds.provenance.images_read == 60


def test_default_valid_is_5000_capped(tmp_path, digits):
    x, y = digits
    write(tmp_path / "train-images-idx3-ubyte", idx_images(x), True)
    write(tmp_path / "train-labels-idx1-ubyte", idx_labels(y), True)
    ds = idx.load_idx(tmp_path)
    assert len(ds.valid_y) == 60
    assert len(ds.train_y) == 0
    assert len(ds.test_y) == 0


def test_single_file_with_labels_beside_is_split(tmp_path, digits):
    x, y = digits
    images = write(tmp_path / "t10k-images-idx3-ubyte", idx_images(x), True)
    write(tmp_path / "t10k-labels-idx1-ubyte", idx_labels(y), False)
    ds = idx.load_idx(images)
    assert (len(ds.train_y), len(ds.valid_y), len(ds.test_y)) == (48, 6, 6)
    (tmp_path / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(DataError, match="no labels file beside it") as e:
        idx.load_idx(images)
    assert e.value.path == str(images)


def test_emnist_letters_are_transposed_and_kept_a_to_j(tmp_path):
    rng = np.random.default_rng(1)
    x = rng.integers(0, 256, (26, 28, 28), dtype=np.uint8)
    y = np.arange(1, 27)
    f = write(tmp_path / "emnist-letters-train-images-idx3-ubyte", idx_images(x), True)
    write(tmp_path / "emnist-letters-train-labels-idx1-ubyte", idx_labels(y), True)
    ds = idx.load_idx(f, train=100, valid=0, test=0)
    assert ds.class_names == tuple("ABCDEFGHIJ")
    assert sorted(ds.train_y.tolist()) == list(range(10))
    for img, lab in zip(ds.train_x, ds.train_y, strict=True):
        assert np.array_equal(img, x[lab].T)
    assert ds.provenance.skipped == {"EMNIST letters K..Z (only A..J are kept)": 16}


def test_fashion_folder_gets_fashion_names(tmp_path, digits):
    x, y = digits
    folder = tmp_path / "fashion"
    folder.mkdir()
    write(folder / "train-images-idx3-ubyte", idx_images(x), False)
    write(folder / "train-labels-idx1-ubyte", idx_labels(y), False)
    assert idx.load_idx(folder).class_names[0] == "T-shirt/top"


def _bad(tmp_path, images: bytes, labels: bytes):
    f = write(tmp_path / "train-images-idx3-ubyte", images, False)
    g = write(tmp_path / "train-labels-idx1-ubyte", labels, False)
    return f, g


@pytest.mark.parametrize(
    ("images", "labels", "culprit", "message"),
    [
        (b"\0\0\x08\x02" + b"\0" * 20, None, "images", "bad magic number"),
        (
            b"\0\0\x0d\x03" + struct.pack(">III", 1, 28, 28) + b"\0" * 3136,
            None,
            "images",
            "data type 0x0d",
        ),
        (struct.pack(">IIII", 0x803, 2, 32, 32) + b"\0" * 2048, None, "images", "32x32"),
        (struct.pack(">IIII", 0x803, 3, 28, 28) + b"\0" * 784, None, "images", "truncated"),
        (struct.pack(">IIII", 0x803, 1, 28, 28) + b"\0" * 785, None, "images", "unexpected bytes"),
        (None, struct.pack(">II", 0x801, 4) + b"\0" * 4, "labels", "4 labels but"),
        (None, struct.pack(">II", 0x801, 2) + b"\x01\x0c", "labels", "label 12 at index 1"),
    ],
)
def test_bad_idx_names_the_file(tmp_path, images, labels, culprit, message):
    ok_images = struct.pack(">IIII", 0x803, 2, 28, 28) + b"\0" * 1568
    ok_labels = struct.pack(">II", 0x801, 2) + b"\0\0"
    f, g = _bad(tmp_path, images or ok_images, labels or ok_labels)
    with pytest.raises(DataError, match=message) as e:
        idx.load_idx(tmp_path)
    assert e.value.path == str(f if culprit == "images" else g)


def test_bad_gzip_names_the_file(tmp_path):
    f = tmp_path / "train-images-idx3-ubyte.gz"
    f.write_bytes(gzip.compress(b"x" * 1000)[:30])
    with pytest.raises(DataError, match="gzip") as e:
        idx.read_idx(f, kind="images")
    assert e.value.path == str(f)


@settings(max_examples=150, deadline=None, suppress_health_check=FIXTURE_OK)
@given(data=st.binary(max_size=200), labels=st.binary(max_size=40))
def test_random_bytes_give_a_dataset_or_a_data_error(tmp_path, data, labels):
    _bad(tmp_path, data, labels)
    with contextlib.suppress(DataError):
        assert isinstance(idx.load_idx(tmp_path), Dataset)


@settings(max_examples=150, deadline=None, suppress_health_check=FIXTURE_OK)
@given(
    pos=st.integers(0, 16 + 3 * 784 - 1),
    value=st.integers(0, 255),
    cut=st.integers(0, 16 + 3 * 784),
    gz=st.booleans(),
)
def test_mutated_valid_files_give_a_dataset_or_a_data_error(tmp_path, pos, value, cut, gz):
    images = bytearray(idx_images(np.full((3, 28, 28), 7, np.uint8)))
    images[pos] = value
    labels = bytearray(idx_labels(np.array([1, 2, 3])))
    labels[min(pos, len(labels) - 1)] = value
    for p in tmp_path.iterdir():
        p.unlink()
    write(tmp_path / "train-images-idx3-ubyte", bytes(images[:cut]), gz)
    write(tmp_path / "train-labels-idx1-ubyte", bytes(labels), gz)
    try:
        ds = idx.load_idx(tmp_path)
    except DataError:
        return
    assert isinstance(ds, Dataset)
