"""Fixtures that build small real notMNIST trees and archives, IDX files and npz files."""

from __future__ import annotations

import io
import tarfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

SHARED = Path(__file__).resolve().parents[3].parent / "shared" / "data"
LETTERS = "ABCDEFGHIJ"
PER_CLASS = 4


def _drawn_glyphs() -> tuple[np.ndarray, np.ndarray]:
    images, labels = [], []
    for label in range(10):
        for k in range(PER_CLASS):
            im = Image.new("L", (28, 28), 0)
            d = ImageDraw.Draw(im)
            d.rectangle((2 + k, 2 + label, 20 + k, 12 + label), fill=255 - 10 * k)
            d.ellipse((5 + label, 14, 15 + label, 24 + k), outline=200)
            images.append(np.asarray(im))
            labels.append(label)
    return np.stack(images), np.array(labels)


@pytest.fixture(scope="session")
def glyphs() -> tuple[np.ndarray, np.ndarray]:
    """40 distinct real notMNIST glyphs (4 per letter), or drawn shapes without ../shared/data."""
    path = SHARED / "notmnist_small.npz"
    if not path.is_file():
        return _drawn_glyphs()
    with np.load(path) as d:
        x, y = d["images"], d["labels"]
    images, labels = [], []
    for label in range(10):
        seen: set[bytes] = set()
        for img in x[y == label]:
            if img.tobytes() not in seen and img.std() > 20:
                seen.add(img.tobytes())
                images.append(img)
                labels.append(label)
            if len(seen) == PER_CLASS:
                break
    return np.stack(images), np.array(labels)


def png_bytes(img: np.ndarray, mode: str = "L") -> bytes:
    buf = io.BytesIO()
    Image.fromarray(img).convert(mode).save(buf, format="PNG")
    return buf.getvalue()


@pytest.fixture
def to_png() -> Callable[..., bytes]:
    """``to_png(img, mode="L")``: PNG bytes of a uint8 array."""
    return png_bytes


@pytest.fixture
def bad_files(glyphs: tuple[np.ndarray, np.ndarray]) -> dict[str, bytes]:
    """The five awkward files, keyed by their path inside the tree (all under A/ or B/)."""
    good = png_bytes(glyphs[0][0])
    big = np.zeros((32, 32), np.uint8)
    rgb = np.stack([255 - glyphs[0][1]] * 3, axis=-1)
    return {
        "A/empty.png": b"",
        "A/truncated.png": good[: len(good) // 2],
        "B/text.png": b"this is not a picture\n",
        "B/big.png": png_bytes(big),
        "B/colour.png": png_bytes(rgb, "RGB"),
    }


@pytest.fixture
def tree_files(
    glyphs: tuple[np.ndarray, np.ndarray], bad_files: dict[str, bytes]
) -> dict[str, bytes]:
    """40 good glyph PNGs + the awkward ones: 41 readable (1 converted), 4 skipped."""
    x, y = glyphs
    files = {
        f"{LETTERS[lab]}/g{i:02d}.png": png_bytes(img)
        for i, (img, lab) in enumerate(zip(x, y, strict=True))
    }
    files.update(bad_files)
    return files


@pytest.fixture
def write_tree() -> Callable[[Path, dict[str, bytes]], Path]:
    def write(root: Path, files: dict[str, bytes]) -> Path:
        for name, data in files.items():
            p = root / name
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(data)
        return root

    return write


@pytest.fixture
def write_tar() -> Callable[[Path, dict[str, bytes], str], Path]:
    def write(path: Path, files: dict[str, bytes], top: str = "notMNIST_small") -> Path:
        with tarfile.open(path, "w:gz") as tar:
            for name, data in files.items():
                info = tarfile.TarInfo(f"{top}/{name}")
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
        return path

    return write


@pytest.fixture(autouse=True)
def _own_user_dirs(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fresh download and cache folders for every test here (the suite's are shared)."""
    monkeypatch.setenv("GLYPH_LAB_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.setenv("GLYPH_LAB_DATA_DIR", str(tmp_path_factory.mktemp("downloads")))
