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


class _Call:
    """Pickles as ``func(*args)`` (with ``state`` for BUILD), as a hostile file would."""

    def __init__(self, func, *args, state=None):
        self.func, self.args, self.state = func, args, state

    def __reduce__(self):
        if self.state is None:
            return self.func, self.args
        return self.func, self.args, self.state


@pytest.mark.parametrize(
    ("payload", "words"),
    [
        (_Call(bytearray, 10_000_000), "a bytearray asks for 10,000,000 bytes"),
        (
            _Call(np._core.multiarray._reconstruct, np.ndarray, (10_000_000,), b"b"),
            "an array of shape (10000000,) asks for 10,000,000 bytes",
        ),
        (
            _Call(
                np._core.multiarray._reconstruct,
                np.ndarray,
                (0,),
                b"b",
                state=(1, (2_000_000,), np.dtype("u1"), False, b""),
            ),
            "an array of shape (2000000,) asks for 2,000,000 bytes",
        ),
    ],
    ids=["bytearray", "reconstruct", "array state"],
)
def test_sizes_beyond_what_the_file_can_hold_are_refused_before_allocating(
    tmp_path, payload, words
):
    """A real pickle carries its data: a 60-byte file may not ask for megabytes."""
    f = tmp_path / "bomb.pickle"
    f.write_bytes(pickle.dumps(payload, protocol=4))
    with pytest.raises(DataError, match="refused to load this pickle") as e:
        safe_load(f)
    assert words in str(e.value)
    assert "nothing was allocated" in str(e.value)


@pytest.mark.parametrize(
    ("payload", "words"),
    [
        (_Call(list, np.zeros(5, np.uint8)), "a list made from a ndarray"),
        (_Call(bytearray, np.zeros(5, np.uint8)), "a bytearray made from an array"),
        (_Call(__import__("_codecs").encode, "abc", "zlib"), "bytes not stored as latin1"),
    ],
    ids=["list of an array", "bytearray of an array", "encode with another codec"],
)
def test_allowed_calls_with_unexpected_arguments_are_refused(tmp_path, payload, words):
    f = tmp_path / "odd.pickle"
    f.write_bytes(pickle.dumps(payload, protocol=4))
    with pytest.raises(DataError, match=words):
        safe_load(f)


@pytest.mark.parametrize("protocol", [0, 2, 4, 5])
def test_sets_bytearrays_and_big_arrays_load_at_every_protocol(tmp_path, protocol):
    """Protocols 0-2 name builtins ``__builtin__``; a 4 MB array fits its own file's budget."""
    obj = {
        "set": {1, 2},
        "frozen": frozenset([3]),
        "raw": bytearray(b"ab"),
        "big": np.arange(1_000_000, dtype=np.float32),
    }
    f = tmp_path / "ok.pickle"
    f.write_bytes(pickle.dumps(obj, protocol=protocol))
    got = safe_load(f)
    assert got["set"] == {1, 2} and got["frozen"] == frozenset([3])
    assert got["raw"] == bytearray(b"ab")
    assert np.array_equal(got["big"], obj["big"])
