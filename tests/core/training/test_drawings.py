"""Your drawings: kept atomically, read back skipping bad files, a dataset spec for evaluate."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import main
from core.data.drawings import DrawingStore
from core.data.errors import DataError
from core.data.registry import load_dataset

REPO = Path(__file__).resolve().parents[3]  # tests/core/training/ -> the checkout


def ink(k: int) -> np.ndarray:
    img = np.zeros((28, 28), np.uint8)
    img[4 + k : 20 + k, 10:14] = 255
    return img


@pytest.fixture
def store(tmp_path, monkeypatch) -> DrawingStore:
    monkeypatch.setenv("GLYPH_LAB_DRAWINGS_DIR", str(tmp_path / "drawings"))
    return DrawingStore("letters")


def test_keep_relabel_delete_and_export(store, tmp_path):
    a = store.keep(ink(0), "A", [[(1.0, 2.0), (3.0, 4.0)]])
    b = store.keep(ink(1), "B")
    got = store.drawings()
    assert [d.label for d in got] == ["A", "B"]
    np.testing.assert_array_equal(got[0].image, ink(0))
    assert got[0].strokes == [[[1.0, 2.0], [3.0, 4.0]]]
    store.relabel(b, "C")
    store.delete(a)
    assert [d.label for d in store.drawings()] == ["C"]
    assert store.export_npz(tmp_path / "mine.npz") == 1
    with np.load(tmp_path / "mine.npz") as z:
        assert z["labels"].tolist() == [2] and z["images"].shape == (1, 28, 28)
    with pytest.raises(ValueError, match="not one of"):
        store.keep(ink(0), "K")


def test_bad_entries_are_skipped_and_named(store):
    store.keep(ink(0), "A")
    folder = store.folder
    (folder / "junk.npz").write_bytes(b"PK\x03\x04 not a zip")
    np.savez(
        folder / "wrong-shape.npz",
        image=np.zeros((5, 5), np.uint8),
        label=np.array("A"),
        strokes=np.array("[]"),
        time=np.array("t"),
    )
    np.savez(
        folder / "wrong-label.npz",
        image=ink(1),
        label=np.array("Z"),
        strokes=np.array("[]"),
        time=np.array("t"),
    )
    (folder / "huge.npz").write_bytes(b"\0" * (2 << 20))
    assert len(store.drawings()) == 1
    assert len(store.skipped) == 4
    assert any("junk.npz" in s for s in store.skipped)
    ds = store.dataset()
    assert len(ds.test_x) == 1 and ds.provenance.images_skipped == 4


def test_a_kept_drawing_survives_kill_9_right_after_keep(tmp_path):
    env = {**os.environ, "GLYPH_LAB_DRAWINGS_DIR": str(tmp_path / "d")}
    code = (
        "import os, signal, numpy as np\n"
        "from core.data.drawings import DrawingStore\n"
        "img = np.zeros((28, 28), np.uint8); img[5:20, 8:12] = 255\n"
        "DrawingStore('digits').keep(img, '7')\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, check=False)
    assert proc.returncode == -signal.SIGKILL
    (kept,) = DrawingStore("digits", tmp_path / "d").drawings()
    assert kept.label == "7" and kept.image.sum() > 0
    assert not list((tmp_path / "d" / "digits").glob(".tmp-*"))


def test_my_drawings_is_a_dataset_spec_for_evaluate(store, tiny_letters, tmp_path, capsys):
    from core.training.config import TrainConfig
    from core.training.recorder import recorded_run
    from core.training.trainer import Trainer

    for k, x in enumerate(tiny_letters.test_x[:12]):
        store.keep(x, "ABCDEFGHIJ"[tiny_letters.test_y[k]])
    ds = load_dataset("my-drawings-letters")
    assert (len(ds.train_x), len(ds.valid_x), len(ds.test_x)) == (0, 0, 12)
    run = tmp_path / "run"
    cfg = TrainConfig.from_preset("logreg-sgd", steps=20, batch_size=32, run_dir=str(run))
    list(recorded_run(Trainer(cfg, tiny_letters)))
    assert main.main(["evaluate", "--model", str(run), "--dataset", "my-drawings-letters"]) == 0
    assert "(12 images)" in capsys.readouterr().out
    with pytest.raises(DataError, match="train and valid splits are empty"):
        ds.check_trainable()
