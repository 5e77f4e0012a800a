from __future__ import annotations

import contextlib
import io

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.data.dataset import Dataset
from core.data.errors import DataError
from core.data.npz_source import load_npz

FIXTURE_OK = [HealthCheck.function_scoped_fixture]


@pytest.fixture
def arrays():
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (100, 28, 28), dtype=np.uint8), np.arange(100) % 10


def test_six_keys_are_used_as_they_are(tmp_path, arrays):
    x, y = arrays
    f = tmp_path / "six.npz"
    np.savez(
        f,
        x_train=x[:70],
        y_train=y[:70],
        x_valid=x[70:80],
        y_valid=y[70:80],
        x_test=x[80:],
        y_test=y[80:],
    )
    ds = load_npz(f)
    assert np.array_equal(ds.train_x, x[:70])
    assert np.array_equal(ds.test_y, y[80:])
    assert ds.class_names == tuple("0123456789")
    small = load_npz(f, train=20, test=5)
    assert len(small.train_y) == 20
    assert len(small.valid_y) == 10
    assert len(small.test_y) == 5
    rows = {r.tobytes() for r in x[:70]}
    assert all(r.tobytes() in rows for r in small.train_x)


def test_keras_four_keys_carve_valid(tmp_path, arrays):
    x, y = arrays
    f = tmp_path / "mnist.npz"
    np.savez_compressed(f, x_train=x[:80], y_train=y[:80], x_test=x[80:], y_test=y[80:])
    ds = load_npz(f, valid=10)
    assert (len(ds.train_y), len(ds.valid_y), len(ds.test_y)) == (70, 10, 20)
    assert ds.provenance.images_read == 100


def test_images_labels_pool_is_shuffled_and_split(tmp_path, arrays):
    x, y = arrays
    f = tmp_path / "letters.npz"
    np.savez(
        f,
        images=x,
        labels=y.astype(np.uint8),
        filenames=np.array([f"{'ABCDEFGHIJ'[v]}/f{i}.png" for i, v in enumerate(y)]),
    )
    ds = load_npz(f, seed=5)
    assert (len(ds.train_y), len(ds.valid_y), len(ds.test_y)) == (80, 10, 10)
    assert ds.class_names == tuple("ABCDEFGHIJ")
    assert not np.array_equal(ds.train_x, x[:80])
    allx = np.concatenate([ds.train_x, ds.valid_x, ds.test_x])
    assert sorted(map(bytes, allx)) == sorted(map(bytes, x))
    assert np.array_equal(load_npz(f, seed=5).test_x, ds.test_x)


def test_integral_floats_and_flat_images_are_accepted(tmp_path, arrays):
    x, y = arrays
    f = tmp_path / "f.npz"
    np.savez(f, images=x.reshape(100, 784).astype(np.float32), labels=y.astype(np.float64))
    ds = load_npz(f)
    assert sorted(map(bytes, np.concatenate([ds.train_x, ds.valid_x, ds.test_x]))) == sorted(
        map(bytes, x)
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ({"x_train": "X", "y_train": "Y"}, "missing keys"),
        ({"images": "F01", "labels": "Y"}, "not whole numbers 0..255"),
        ({"images": "X32", "labels": "Y"}, r"shape \(100, 32, 32\)"),
        ({"images": "X", "labels": "Yshort"}, "99 labels for 100 images"),
        ({"images": "X", "labels": "Ybig"}, "outside 0..9"),
        ({"images": "X", "labels": "Ystr"}, "expected integer labels"),
        ({"images": "X16", "labels": "Y"}, "outside 0..255"),
    ],
)
def test_bad_npz_names_file_and_problem(tmp_path, arrays, content, message):
    x, y = arrays
    pool = {
        "X": x,
        "Y": y,
        "F01": x / 255.0,
        "X32": np.zeros((100, 32, 32), np.uint8),
        "Yshort": y[:-1],
        "Ybig": y + 1,
        "Ystr": y.astype(str),
        "X16": x.astype(np.int16) * 2,
    }
    f = tmp_path / "bad.npz"
    np.savez(f, **{k: pool[v] for k, v in content.items()})
    with pytest.raises(DataError, match=message) as e:
        load_npz(f)
    assert e.value.path == str(f)


def test_pickled_objects_and_non_zip_are_refused(tmp_path):
    f = tmp_path / "obj.npz"
    np.savez(f, images=np.array([{"a": 1}], dtype=object), labels=np.zeros(1))
    with pytest.raises(DataError, match="pickled"):
        load_npz(f)
    g = tmp_path / "junk.npz"
    g.write_bytes(b"not a zip file")
    with pytest.raises(DataError, match=r"not a valid \.npz") as e:
        load_npz(g)
    assert e.value.path == str(g)


@settings(max_examples=150, deadline=None, suppress_health_check=FIXTURE_OK)
@given(data=st.binary(max_size=300))
def test_random_bytes_give_a_dataset_or_a_data_error(tmp_path, data):
    f = tmp_path / "r.npz"
    f.write_bytes(data)
    with contextlib.suppress(DataError):
        assert isinstance(load_npz(f), Dataset)


def _valid_npz_bytes() -> bytes:
    buf = io.BytesIO()
    np.savez(buf, images=np.full((3, 28, 28), 9, np.uint8), labels=np.array([0, 1, 2]))
    return buf.getvalue()


VALID = _valid_npz_bytes()


@settings(max_examples=200, deadline=None, suppress_health_check=FIXTURE_OK)
@given(
    pos=st.integers(0, len(VALID) - 1), value=st.integers(0, 255), cut=st.integers(0, len(VALID))
)
def test_mutated_valid_npz_give_a_dataset_or_a_data_error(tmp_path, pos, value, cut):
    data = bytearray(VALID)
    data[pos] = value
    f = tmp_path / "m.npz"
    f.write_bytes(bytes(data[:cut]))
    try:
        ds = load_npz(f)
    except DataError:
        return
    assert isinstance(ds, Dataset)
