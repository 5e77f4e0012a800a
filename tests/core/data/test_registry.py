from __future__ import annotations

import numpy as np
import pytest

from core.data.errors import DataError
from core.data.registry import KNOWN_SPECS, describe_spec, detect_format, load_dataset

NOTMNIST_SMALL = [1872, 1873, 1873, 1873, 1873, 1872, 1872, 1872, 1872, 1872]
NOTMNIST_LARGE_SAMPLE = [350, 349, 349, 349, 350, 349, 348, 350, 349, 350]
MNIST = {
    "train": [4932, 5678, 4968, 5101, 4859, 4506, 4951, 5175, 4842, 4988],
    "valid": [502, 534, 497, 521, 484, 457, 485, 527, 515, 478],
    "test": [489, 530, 493, 509, 499, 458, 482, 563, 494, 483],
}


def _total(ds):
    return sum(ds.class_counts(s) for s in ("train", "valid", "test")).tolist()


def test_shared_files_give_the_readme_counts(shared_data):
    small = load_dataset(str(shared_data / "notmnist_small.npz"))
    assert small.class_names == tuple("ABCDEFGHIJ")
    assert _total(small) == NOTMNIST_SMALL
    assert list(small.provenance.details["per_class_read"].values()) == NOTMNIST_SMALL
    assert small.provenance.details["overlap"]["within_train"] > 0  # fonts share glyphs
    large = load_dataset(str(shared_data / "notmnist_large_sample.npz"))
    assert _total(large) == NOTMNIST_LARGE_SAMPLE
    mnist = load_dataset(str(shared_data / "mnist.npz"))
    assert mnist.class_names == tuple("0123456789")
    for split, counts in MNIST.items():
        assert mnist.class_counts(split).tolist() == counts


def test_sanitize_on_real_notmnist_removes_every_overlap(shared_data):
    ds = load_dataset(str(shared_data / "notmnist_small.npz"), sanitize=True)
    d = ds.provenance.details
    assert d["overlap"]["train_valid"] == d["overlap"]["train_test"] == 0
    assert d["overlap"]["valid_test"] == 0
    assert d["sanitize_dropped"]["valid"] == d["overlap_before_sanitize"]["train_valid"] > 0
    assert len(ds.valid_y) == 1872 - d["sanitize_dropped"]["valid"]


def test_formats_are_detected(tmp_path, tree_files, write_tree, write_tar):
    tar = write_tar(tmp_path / "n.tar.gz", tree_files)
    folder = write_tree(tmp_path / "folder", tree_files)
    np.savez(tmp_path / "a.npz", images=np.zeros((1, 28, 28), np.uint8), labels=[0])
    (tmp_path / "x.bin").write_bytes(b"\0\0\x08\x03rest")
    assert detect_format(tar) == "notmnist-archive"
    assert detect_format(folder) == "notmnist-folder"
    assert detect_format(tmp_path / "a.npz") == "npz"
    assert detect_format(tmp_path / "x.bin") == "idx"
    (tmp_path / "what.txt").write_text("hello")
    with pytest.raises(DataError, match="unrecognised format"):
        detect_format(tmp_path / "what.txt")


def test_archive_path_spec_reports_skips(tmp_path, tree_files, write_tar):
    tar = write_tar(tmp_path / "n.tar.gz", tree_files)
    ds = load_dataset(str(tar), sanitize=True, seed=1)
    assert ds.provenance.images_read == 41
    assert ds.provenance.images_skipped == 4
    assert len(ds.train_y) + len(ds.valid_y) + len(ds.test_y) <= 41


def test_unknown_spec_and_bad_sizes():
    with pytest.raises(DataError, match="not a known dataset") as e:
        load_dataset("no-such-thing")
    assert "no-such-thing" in str(e.value)
    with pytest.raises(TypeError):
        load_dataset("mnist", batch=3)


def test_named_download_specs_use_the_download_folder(monkeypatch, tmp_path, shared_data):
    fetched = []

    def fake_fetch(name, progress=None, download=True):
        fetched.append((name, download))
        return shared_data / "mnist.npz"

    monkeypatch.setattr("core.data.download.fetch", fake_fetch)
    ds = load_dataset("mnist", download=False, test=100)
    assert fetched == [("mnist.npz", False)]
    assert ds.provenance.source == "mnist"
    assert len(ds.test_y) == 100


def test_no_network_for_a_named_spec_is_a_data_error(monkeypatch):
    import requests

    def offline(*args, **kwargs):
        raise requests.ConnectionError("no route")

    monkeypatch.setattr(requests, "get", offline)
    with pytest.raises(DataError, match="no network"):
        load_dataset("notmnist-small")


def test_known_specs_are_described(tmp_path):
    assert set(KNOWN_SPECS) == {
        "fonts-letters",
        "fonts-digits",
        "notmnist",
        "notmnist-small",
        "mnist",
        "fashion-mnist",
    }
    assert describe_spec("mnist") == KNOWN_SPECS["mnist"]
    np.savez(tmp_path / "a.npz", images=np.zeros((1, 28, 28), np.uint8), labels=[0])
    assert describe_spec(str(tmp_path / "a.npz")).startswith(".npz arrays")


def test_fonts_specs_call_the_font_builder(monkeypatch):
    fonts = pytest.importorskip("core.data.fonts")
    from core.data.dataset import Dataset, Provenance

    seen = {}

    def fake(kind, **kw):
        seen["kind"], seen["kw"] = kind, kw
        x = np.zeros((3, 28, 28), np.uint8)
        y = np.arange(3)
        return Dataset("f", tuple("0123456789"), x, y, x, y, x, y, Provenance("fonts", "d"))

    monkeypatch.setattr(fonts, "build_font_dataset", fake)
    ds = load_dataset("fonts-digits", train=10, seed=4)
    assert seen["kind"] == "digits"
    assert seen["kw"]["train"] == 10
    assert seen["kw"]["seed"] == 4
    assert ds.provenance.details["overlap"]["train_test"] == 3
    assert "cache" in load_dataset("fonts-digits", train=10, seed=4).provenance.details


def test_the_fonts_cache_key_does_not_depend_on_what_is_imported(monkeypatch):
    import sys

    from core.data import registry

    with_module = registry._fonts_identity()
    monkeypatch.delitem(sys.modules, "core.data.fonts", raising=False)
    assert registry._fonts_identity() == with_module
