"""Suite-wide set-up: offscreen Qt, quiet TensorFlow, per-test user folders, shared data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(autouse=True)
def _user_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point caches, downloads and runs at per-session temporary folders."""
    base = tmp_path_factory.getbasetemp()
    monkeypatch.setenv("GLYPH_LAB_CACHE_DIR", str(base / "cache"))
    monkeypatch.setenv("GLYPH_LAB_DATA_DIR", str(base / "downloads"))
    monkeypatch.setenv("GLYPH_LAB_RUNS_DIR", str(base / "runs"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The ../shared/data folder with real notMNIST and MNIST samples; skips when absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not present (a user's clone has none)")
    return SHARED_DATA
