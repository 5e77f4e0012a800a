from __future__ import annotations

import os
import pickle

import numpy as np
import pytest

from core.data.errors import DataError
from core.data.safe_pickle import safe_load


class _Evil:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def test_malicious_pickle_is_refused_and_never_run(tmp_path):
    marker = tmp_path / "pwned"
    f = tmp_path / "notMNIST.pickle"
    f.write_bytes(pickle.dumps({"train_dataset": _Evil(marker)}))
    with pytest.raises(DataError, match="refused to load") as e:
        safe_load(f)
    assert "it tries to import os.system" in str(e.value)
    assert e.value.path == str(f)
    assert not marker.exists()
    # Sanity: the same payload really would have created the file.
    pickle.loads(f.read_bytes())
    assert marker.exists()


def test_other_globals_are_refused(tmp_path):
    f = tmp_path / "p.pickle"
    f.write_bytes(pickle.dumps({"f": eval}))  # a builtin function, not a container
    with pytest.raises(DataError, match=r"builtins\.eval"):
        safe_load(f)


@pytest.mark.parametrize("protocol", [0, 2, 4, 5])
def test_numpy_arrays_scalars_and_containers_load(tmp_path, protocol):
    obj = {
        "a": np.arange(6, dtype=np.float32).reshape(2, 3),
        "s": np.int64(4),
        "l": [1, (2.5, "x")],
        "b": b"\x00\xff",
    }
    f = tmp_path / "ok.pickle"
    f.write_bytes(pickle.dumps(obj, protocol=protocol))
    got = safe_load(f)
    assert np.array_equal(got["a"], obj["a"])
    assert got["a"].dtype == np.float32
    assert got["s"] == 4
    assert got["l"] == [1, (2.5, "x")]
    assert got["b"] == b"\x00\xff"


def test_numpy1_module_names_are_accepted(tmp_path):
    data = pickle.dumps(np.arange(3, dtype=np.uint8), protocol=2)
    data = data.replace(b"numpy._core.multiarray", b"numpy.core.multiarray")
    f = tmp_path / "old.pickle"
    f.write_bytes(data)
    assert safe_load(f).tolist() == [0, 1, 2]


def test_broken_pickle_names_the_file(tmp_path):
    f = tmp_path / "cut.pickle"
    f.write_bytes(pickle.dumps(list(range(100)))[:20])
    with pytest.raises(DataError, match="not a valid pickle") as e:
        safe_load(f)
    assert e.value.path == str(f)
