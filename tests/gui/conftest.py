"""GUI test set-up: no worker thread may outlive a test; a tiny dataset; temporary settings."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.data.dataset import Dataset, Provenance

SHARED_NOTMNIST = (
    Path(__file__).resolve().parents[2].parent / "shared" / "data" / "notmnist_small.npz"
)


@pytest.fixture(autouse=True)
def _no_thread_left_running(request: pytest.FixtureRequest):
    """Fail a test that leaves a gui.worker thread running (checked after teardown)."""
    yield
    from core.gc_pause import resume_gc
    from gui.worker import running_workers, wait_all

    left = running_workers()
    if left:
        wait_all(30_000)
    resume_gc()  # a bare worker (no window slot calling worker_finished) leaves it pending
    if left:
        pytest.fail(f"{request.node.name} left {len(left)} worker thread(s) running")


def synthetic_dataset(n_train: int = 400, n_other: int = 100, seed: int = 0) -> Dataset:
    """Learnable 28x28 images: class k is a bright bar at row 2k+4, plus noise."""
    rng = np.random.default_rng(seed)

    def make(n: int) -> tuple[np.ndarray, np.ndarray]:
        y = rng.integers(0, 10, n)
        x = rng.integers(0, 60, (n, 28, 28)).astype(np.uint8)
        for i, k in enumerate(y):
            x[i, 2 * k + 4 : 2 * k + 6, 3:25] = 255
        return x, y

    (tx, ty), (vx, vy), (sx, sy) = make(n_train), make(n_other), make(n_other)
    return Dataset(
        "synthetic",
        tuple("ABCDEFGHIJ"),
        tx,
        ty,
        vx,
        vy,
        sx,
        sy,
        Provenance("synthetic", "synthetic bars for tests"),
    )


@pytest.fixture(scope="session")
def tiny_dataset() -> Dataset:
    """A few hundred real notMNIST letters (shuffled), or synthetic bars without ../shared."""
    if not SHARED_NOTMNIST.is_file():
        return synthetic_dataset()
    with np.load(SHARED_NOTMNIST) as d:
        x, y = d["images"], d["labels"]
    idx = np.random.default_rng(0).permutation(len(x))[:1000]
    x, y = x[idx], y[idx].astype(np.int64)
    return Dataset(
        "notmnist-tiny",
        tuple("ABCDEFGHIJ"),
        x[:600],
        y[:600],
        x[600:800],
        y[600:800],
        x[800:],
        y[800:],
        Provenance("notmnist-tiny", "1,000 notMNIST_small letters (test subset)"),
    )


@pytest.fixture
def app_settings(tmp_path: Path):
    """Window settings stored in a temporary INI file (never the user's own)."""
    from gui.settings import AppSettings, settings_at

    return AppSettings(settings_at(tmp_path / "settings.ini"))


@pytest.fixture
def runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A runs folder of this test's own (``GLYPH_LAB_RUNS_DIR``)."""
    folder = tmp_path / "runs"
    monkeypatch.setenv("GLYPH_LAB_RUNS_DIR", str(folder))
    return folder
