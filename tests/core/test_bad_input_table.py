"""Bad input, one row per case, through the command line: a clear message naming file and problem.

Data rows run ``python main.py data --dataset X`` (and a few ``train``) via :func:`main.main` and
expect exit status 2 with exactly one line ``error: <file>: <problem>`` on stderr and no traceback.
Broken PNGs inside a notMNIST folder are not fatal: they are skipped and the report names them.
The data layer's own unit tests (tests/core/data) cover the details; this table covers the
boundary the user sees.
"""

from __future__ import annotations

import gzip
import io
import logging
import pickle
import struct
import tarfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import main
from core.data import download

LETTERS = "ABCDEFGHIJ"


@pytest.fixture(autouse=True)
def _data_and_train_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the sub-commands under test (the others belong to other engineers)."""
    monkeypatch.setattr(main, "COMMANDS", {k: main.COMMANDS[k] for k in ("data", "train")})


def glyph(k: int) -> np.ndarray:
    """A distinct 28x28 uint8 image."""
    rng = np.random.default_rng(k)
    return rng.integers(0, 256, (28, 28), dtype=np.uint8)


def png(img: np.ndarray, mode: str = "L") -> bytes:
    buf = io.BytesIO()
    Image.fromarray(img).convert(mode).save(buf, format="PNG")
    return buf.getvalue()


def tree(extra: dict[str, bytes] | None = None, skip: str = "") -> dict[str, bytes]:
    """A notMNIST tree: 3 good PNGs per letter, plus ``extra`` files, without letter ``skip``."""
    files = {
        f"{c}/g{i}.png": png(glyph(10 * j + i))
        for j, c in enumerate(LETTERS)
        if c != skip
        for i in range(3)
    }
    files.update(extra or {})
    return files


def write_tree(root: Path, files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return root


def write_tar(path: Path, files: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo("notMNIST_small/" + name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def idx_images(n: int, rows: int = 28, magic: int = 0x00000803) -> bytes:
    return struct.pack(">IIII", magic, n, rows, 28) + bytes(n * rows * 28)


def idx_labels(n: int) -> bytes:
    return struct.pack(">II", 0x00000801, n) + bytes(i % 10 for i in range(n))


def write_idx(folder: Path, images: bytes, labels: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "train-images-idx3-ubyte").write_bytes(images)
    (folder / "train-labels-idx1-ubyte").write_bytes(labels)
    return folder


def npz(path: Path, **arrays: np.ndarray) -> Path:
    np.savez(path, **arrays)
    return path


X = np.zeros((30, 28, 28), np.uint8)
Y = np.arange(30) % 10


class Evil:
    """Unpickling this would create a marker file (it must never run)."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple:
        return (Path.touch, (Path(self.marker),))


def evil_pickle(tmp: Path) -> Path:
    path = tmp / "notMNIST.pickle"
    path.write_bytes(pickle.dumps({"train_dataset": Evil(str(tmp / "pwned"))}))
    return path


# (case id, builder(tmp) -> path given to --dataset, culprit relative to tmp, problem words)
FATAL: list[tuple[str, Callable[[Path], Path], str, str]] = [
    (
        "truncated tar.gz",
        lambda t: _truncate(write_tar(t / "a.tar.gz", tree())),
        "a.tar.gz",
        "truncated or corrupt archive",
    ),
    (
        "non-archive tar.gz",
        lambda t: _write(t / "b.tar.gz", b"hello, not gzip\n"),
        "b.tar.gz",
        "not a gzip file",
    ),
    (
        "missing class folder",
        lambda t: write_tree(t / "m", tree(skip="J")),
        "m/J",
        "missing class folder",
    ),
    (
        "empty class folder",
        lambda t: _mkdir(write_tree(t / "e", tree(skip="J")) / "J").parent,
        "e/J",
        "empty class folder",
    ),
    (
        "class folder of junk only",
        lambda t: write_tree(t / "j", tree({"J/x.png": b"junk"}, skip="J")),
        "j/J",
        "no readable images",
    ),
    (
        "IDX wrong magic",
        lambda t: write_idx(t / "w", idx_images(10, magic=0x00000903), idx_labels(10)),
        "w/train-images-idx3-ubyte",
        "data type 0x09",
    ),
    (
        "IDX wrong dims",
        lambda t: write_idx(t / "d", idx_images(10, rows=32), idx_labels(10)),
        "d/train-images-idx3-ubyte",
        "images are 32x28, expected 28x28",
    ),
    (
        "IDX truncated",
        lambda t: write_idx(t / "c", idx_images(10)[:-100], idx_labels(10)),
        "c/train-images-idx3-ubyte",
        "truncated",
    ),
    (
        "IDX count mismatch",
        lambda t: write_idx(t / "n", idx_images(10), idx_labels(9)),
        "n/train-labels-idx1-ubyte",
        "9 labels but",
    ),
    ("npz missing keys", lambda t: npz(t / "k.npz", x_train=X), "k.npz", "missing keys"),
    (
        "npz wrong dtype",
        lambda t: npz(t / "t.npz", images=X.astype(np.float32) + 0.5, labels=Y),
        "t.npz",
        "not whole numbers",
    ),
    (
        "npz mismatched lengths",
        lambda t: npz(t / "l.npz", images=X, labels=Y[:20]),
        "l.npz",
        "20 labels for 30 images",
    ),
    (
        "npz labels out of range",
        lambda t: npz(t / "r.npz", images=X, labels=Y + 5),
        "r.npz",
        "has labels 5..14",
    ),
    (
        "npz of pickled objects",
        lambda t: npz(t / "o.npz", images=np.array([{}] * 30, dtype=object), labels=Y),
        "o.npz",
        "pickled Python objects, which are refused",
    ),
    (
        "non-image file",
        lambda t: _write(t / "notes.txt", b"just some text"),
        "notes.txt",
        "unrecognised format",
    ),
    ("missing file", lambda t: t / "nowhere.npz", "nowhere.npz", "no such file or folder"),
    ("malicious pickle", evil_pickle, "notMNIST.pickle", "refused"),
    (
        "IDX gzip corrupt",
        lambda t: write_idx(t / "g", gzip.compress(idx_images(10))[:40], idx_labels(10)),
        "g/train-images-idx3-ubyte",
        "truncated",
    ),
]


def _truncate(path: Path) -> Path:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _mkdir(path: Path) -> Path:
    path.mkdir()
    return path


def one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    return lines[0]


@pytest.mark.parametrize(
    ("builder", "culprit", "problem"), [row[1:] for row in FATAL], ids=[row[0] for row in FATAL]
)
def test_bad_data_is_one_line_and_exit_2(builder, culprit, problem, tmp_path, capsys):
    spec = builder(tmp_path)
    assert main.main(["data", "--dataset", str(spec), "--no-cache"]) == 2
    line = one_line_error(capsys)
    assert str(tmp_path / culprit) in line or (culprit == "nowhere.npz" and culprit in line)
    assert problem in line
    assert not (tmp_path / "pwned").exists()  # the malicious pickle never ran


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("zero-byte PNG", b"", "empty file (0 bytes)"),
        ("truncated PNG", png(glyph(99))[:40], "cannot decode (truncated or corrupt PNG)"),
        ("corrupt PNG", b"\x89PNG\r\n\x1a\n" + b"\x00" * 60, "cannot decode"),
        ("non-image .png", b"this is text\n", "not a PNG"),
        ("32x32 PNG", png(np.zeros((32, 32), np.uint8)), "wrong size (not 28x28)"),
    ],
)
def test_broken_pngs_are_skipped_and_named(name, data, reason, tmp_path, capsys):
    root = write_tree(tmp_path / "t", tree({"C/bad.png": data}))
    assert main.main(["data", "--dataset", str(root), "--no-cache"]) == 0, name
    out = capsys.readouterr().out
    assert "images skipped: 1" in out
    example = next(line for line in out.splitlines() if line.strip().startswith("e.g."))
    assert "bad.png" in example
    assert reason in example or reason in out


def test_rgb_png_is_converted_not_refused(tmp_path, capsys):
    rgb = np.stack([glyph(7)] * 3, axis=-1)
    root = write_tree(tmp_path / "t", tree({"C/colour.png": png(rgb, "RGB")}))
    assert main.main(["data", "--dataset", str(root), "--no-cache"]) == 0
    out = capsys.readouterr().out
    assert "images skipped: 0" in out
    assert "colour png: 1" in out


def local_remote(monkeypatch, source: Path, known_hash: str | None) -> None:
    monkeypatch.setitem(
        download.REMOTE_FILES,
        "mnist.npz",
        download.RemoteFile("mnist.npz", source.as_uri(), None, known_hash),
    )


def test_download_hash_mismatch_removes_the_file(tmp_path, monkeypatch, capsys):
    source = npz(tmp_path / "src.npz", x_train=X, y_train=Y, x_test=X, y_test=Y)
    local_remote(monkeypatch, source, "sha256:" + "0" * 64)
    assert main.main(["data", "--dataset", "mnist", "--no-cache"]) == 2
    line = one_line_error(capsys)
    target = download.local_path(download.REMOTE_FILES["mnist.npz"])
    assert f"error: {target}: the download is corrupt and was removed" in line
    assert not target.exists()


def test_no_network_is_a_plain_message(monkeypatch, capsys):
    monkeypatch.setitem(
        download.REMOTE_FILES,
        "mnist.npz",
        download.RemoteFile("mnist.npz", "http://127.0.0.1:9/mnist.npz", None, None),
    )  # the discard port: refused
    assert main.main(["data", "--dataset", "mnist", "--no-cache"]) == 2
    line = one_line_error(capsys)
    assert "http://127.0.0.1:9/mnist.npz: no network: could not reach 127.0.0.1:9" in line
    assert "fonts-letters" in line  # the built-in data stays available


def test_unwritable_download_folder_names_it(tmp_path, monkeypatch, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("GLYPH_LAB_DATA_DIR", str(blocker / "downloads"))
    source = npz(tmp_path / "src.npz", x_train=X, y_train=Y, x_test=X, y_test=Y)
    local_remote(monkeypatch, source, None)
    assert main.main(["data", "--dataset", "mnist", "--no-cache"]) == 2
    line = one_line_error(capsys)
    assert str(blocker / "downloads") in line
    assert "cannot write the download folder" in line


def test_full_download_disk_is_not_called_no_network(tmp_path, monkeypatch, capsys):
    import errno

    source = npz(tmp_path / "src.npz", x_train=X, y_train=Y, x_test=X, y_test=Y)
    local_remote(monkeypatch, source, None)

    def full(self, url, output_file, pooch):
        raise OSError(errno.ENOSPC, "No space left on device", str(output_file))

    monkeypatch.setattr(download._LocalCopy, "__call__", full)
    assert main.main(["data", "--dataset", "mnist", "--no-cache"]) == 2
    line = one_line_error(capsys)
    assert "No space left on device" in line
    assert "cannot write the download folder" in line
    assert "no network" not in line


@pytest.mark.parametrize("how", ["unusable folder", "full disk"])
def test_cache_write_failure_does_not_stop_loading(how, tmp_path, monkeypatch, capsys, caplog):
    import errno
    import tempfile

    data = npz(
        tmp_path / "ok.npz",
        images=np.stack([glyph(i) for i in range(40)]),
        labels=np.arange(40) % 10,
    )
    folder = tmp_path / "cache"
    if how == "unusable folder":
        (tmp_path / "a-file").write_text("")
        folder = tmp_path / "a-file" / "cache"
    else:
        folder.mkdir()

        def no_space(*args, **kwargs):
            raise OSError(errno.ENOSPC, "No space left on device", str(folder))

        monkeypatch.setattr(tempfile, "mkstemp", no_space)
    monkeypatch.setenv("GLYPH_LAB_CACHE_DIR", str(folder))
    with caplog.at_level(logging.WARNING, logger="core.data.cache"):
        assert main.main(["data", "--dataset", str(data)]) == 0
    assert "images read: 40" in capsys.readouterr().out
    (record,) = [r for r in caplog.records if r.name == "core.data.cache"]
    assert str(folder) in record.getMessage()
    assert "could not write the dataset cache" in record.getMessage()


@pytest.fixture(scope="module")
def small_npz(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("table") / "small.npz"
    return npz(path, images=np.stack([glyph(i) for i in range(100)]), labels=np.arange(100) % 10)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--l2", "-1"], "argument --l2: L2 lambda -1 is out of range"),
        (["--dropout", "1"], "argument --dropout: dropout rate 1 is out of range"),
        (["--steps", "0"], "argument --steps: steps 0 is out of range"),
        (["--restrict-batches", "-2"], "argument --restrict-batches"),
    ],
)
def test_bad_knobs_are_argument_errors(args, words, small_npz, capsys):
    with pytest.raises(SystemExit) as exc:
        main.main(["train", "--preset", "logreg-sgd", "--dataset", str(small_npz), *args])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert words in err.strip().splitlines()[-1]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--batch-size", "500"], "batch size 500 is larger than the training set"),
        (["--batch-size", "20", "--restrict-batches", "50"], "restricting to 50 batches of 20"),
    ],
)
def test_knobs_beyond_the_data_are_one_line(args, words, small_npz, capsys):
    assert (
        main.main(
            ["train", "--preset", "logreg-sgd", "--dataset", str(small_npz), "--steps", "5", *args]
        )
        == 2
    )
    assert words in one_line_error(capsys)


def test_train_on_bad_data_is_one_line(tmp_path, capsys):
    bad = npz(tmp_path / "bad.npz", images=X, labels=Y[:20])
    assert main.main(["train", "--preset", "logreg-sgd", "--dataset", str(bad)]) == 2
    line = one_line_error(capsys)
    assert f"error: {bad}: " in line
    assert "20 labels for 30 images" in line
