"""bench.transfer's data: the real comparison never tests on images it trained on."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bench import transfer


def test_real_split_holds_back_unseen_images(shared_data, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transfer, "REAL", shared_data / "notmnist_small.npz")
    ds = transfer.real_dataset(seed=0)
    assert len(ds.valid_y) == 1000
    assert len(ds.train_y) + 1000 + transfer.REAL_TEST == 18724
    assert 0.9 * transfer.REAL_TEST < len(ds.test_y) <= transfer.REAL_TEST
    seen = {row.tobytes() for row in ds.train_x}
    assert not any(row.tobytes() in seen for row in ds.test_x)
    assert set(np.unique(ds.test_y)) == set(range(10))
    again = transfer.real_dataset(seed=0)
    assert np.array_equal(again.test_x, ds.test_x)


def test_missing_real_sample_is_one_json_line(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setattr(transfer, "REAL", tmp_path / "absent.npz")
    assert transfer.main(["--build-repeats", "0"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert "no real notMNIST sample" in out["error"]
