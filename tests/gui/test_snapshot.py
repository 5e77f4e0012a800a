from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from gui.snapshot import parse_size, sample_strokes, use_offscreen_if_headless

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("text", "size"), [("1600x1000", (1600, 1000)), ("1366X768", (1366, 768))])
def test_parse_size(text, size):
    assert parse_size(text) == size


@pytest.mark.parametrize("bad", ["1600", "axb", "10x10", "1600x1000x2"])
def test_parse_size_rejects_nonsense(bad):
    with pytest.raises(ValueError, match="size"):
        parse_size(bad)


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="X11/Wayland only")
def test_offscreen_is_chosen_only_without_a_display(monkeypatch):
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.setenv("DISPLAY", ":0")
    assert not use_offscreen_if_headless()
    assert "QT_QPA_PLATFORM" not in os.environ
    monkeypatch.delenv("DISPLAY")
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert use_offscreen_if_headless()
    assert os.environ["QT_QPA_PLATFORM"] == "offscreen"


def test_sample_strokes_match_the_classes():
    letter = sample_strokes(tuple("ABCDEFGHIJ"))
    digit = sample_strokes(tuple("0123456789"))
    assert letter
    assert digit
    assert letter != digit
    for stroke in letter + digit:
        assert len(stroke) >= 2
        assert all(0 <= x <= 280 and 0 <= y <= 280 for x, y in stroke)


@pytest.mark.parametrize(
    ("size", "extra"),
    [((1366, 768), []), ((1280, 720), ["--projector"])],
    ids=["window", "projector"],
)
def test_snapshot_command_trains_draws_and_saves_a_png(tmp_path, tiny_dataset, size, extra):
    ds = tiny_dataset
    data = tmp_path / "tiny.npz"
    np.savez(
        data,
        x_train=ds.train_x,
        y_train=ds.train_y,
        x_valid=ds.valid_x,
        y_valid=ds.valid_y,
        x_test=ds.test_x,
        y_test=ds.test_y,
    )
    out = tmp_path / "shot" / "window.png"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "main.py"),
            "snapshot",
            "--preset",
            "logreg-sgd",
            "--steps",
            "20",
            "--size",
            f"{size[0]}x{size[1]}",
            "--dataset",
            str(data),
            "--out",
            str(out),
            *extra,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "saved" in proc.stdout
    from PySide6.QtGui import QImage

    img = QImage(str(out))
    assert (img.width(), img.height()) == size  # projector mode too fits the window's size
    # not a blank image: the screenshot has many colours
    arr = np.asarray(img.convertToFormat(QImage.Format.Format_RGB32).constBits()).reshape(-1)
    assert len(np.unique(arr[::97])) > 50


def test_snapshot_rejects_an_unknown_preset(tmp_path):
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "main.py"),
            "snapshot",
            "--preset",
            "nope",
            "--out",
            str(tmp_path / "x.png"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 2
    assert "unknown preset" in proc.stderr
