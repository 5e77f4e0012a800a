from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

import main


@pytest.fixture
def data_only(monkeypatch):
    """Only the data sub-command registered (the others belong to other engineers)."""
    monkeypatch.setattr(main, "COMMANDS", {"data": main.COMMANDS["data"]})


def test_report_and_peek(tmp_path, data_only, capsys):
    rng = np.random.default_rng(0)
    f = tmp_path / "letters.npz"
    np.savez(
        f, images=rng.integers(0, 256, (120, 28, 28), dtype=np.uint8), labels=np.arange(120) % 10
    )
    out = tmp_path / "peek.png"
    assert main.main(["data", "--dataset", str(f), "--peek", str(out), "--sanitize"]) == 0
    text = capsys.readouterr().out
    for line in (
        "source: ",
        "images read: 120",
        "images skipped: 0",
        "per class per split",
        "  train       96 |",
        "overlap after sanitize:",
        "normalized train: mean",
        f"peek: wrote {out}",
    ):
        assert line in text
    with Image.open(out) as im:
        assert im.format == "PNG"
        assert im.width > 10 * 56
        assert im.height > 3 * 56


def test_real_notmnist_mean_and_std(shared_data, data_only, capsys):
    assert main.main(["data", "--dataset", str(shared_data / "notmnist_small.npz")]) == 0
    text = capsys.readouterr().out
    line = next(s for s in text.splitlines() if s.startswith("normalized train"))
    mean = float(line.split("mean ")[1].split(",")[0])
    std = float(line.split("std ")[1])
    assert abs(mean) < 0.15
    assert 0.4 < std < 0.55


def test_bad_file_is_one_line_and_exit_2(tmp_path, data_only, capsys):
    f = tmp_path / "broken.npz"
    f.write_bytes(b"PK\x03\x04 not really")
    assert main.main(["data", "--dataset", str(f)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ")
    assert str(f) in err
    assert err.count("\n") == 1
    assert "Traceback" not in err
