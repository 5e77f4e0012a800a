"""Memory bombs: small files that declare gigabytes, one row per reader, each in a subprocess.

Each case builds a small hostile file, runs the reader in a child process (under an address-space
limit, so a regression fails the test instead of taking the machine), and checks the child's peak
resident memory (its own ``VmHWM`` and its decoding workers') stays under :data:`PEAK_LIMIT_MB`,
that it ends with one line (an ``error: ...`` or a skip in the report) and that no traceback is
printed.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import pickle
import struct
import subprocess
import sys
import tarfile
import textwrap
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
PEAK_LIMIT_MB = 500
ADDRESS_LIMIT = 3 << 30  # the child's safety net: far above the check, far below the machine
MB = 1 << 20
LETTERS = "ABCDEFGHIJ"

CHILD = textwrap.dedent(
    """
    import json, os, resource, sys
    limit = int(os.environ["PROBE_ADDRESS_LIMIT"])
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    sys.path.insert(0, os.environ["PROBE_ROOT"])

    def peak_mb():
        # VmHWM is this process's own peak: ru_maxrss also counts the (big) test process
        # that forked it, until exec
        scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss is bytes on macOS
        own = None
        try:
            with open("/proc/self/status") as f:
                own = next(int(l.split()[1]) * 1024 for l in f if l.startswith("VmHWM:"))
        except (OSError, StopIteration):
            own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale
        workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * scale
        return max(own, workers) // (1 << 20)

    status = 0
    try:
        exec(sys.argv[1])
    finally:
        with open(os.environ["PROBE_PEAK"], "w") as f:
            json.dump(peak_mb(), f)
    """
)


@dataclass
class Outcome:
    """What the child did: exit status, its output and its peak resident memory in MB."""

    status: int
    out: str
    err: str
    peak_mb: int


def probe(code: str, tmp_path: Path, timeout: float = 120) -> Outcome:
    """Run ``code`` in a fresh Python under an address-space limit; report its peak memory."""
    peak_file = tmp_path / "peak.json"
    env = dict(
        os.environ,
        PROBE_ROOT=str(ROOT),
        PROBE_PEAK=str(peak_file),
        PROBE_ADDRESS_LIMIT=str(ADDRESS_LIMIT),
    )
    done = subprocess.run(
        [sys.executable, "-c", CHILD, code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    peak = json.loads(peak_file.read_text()) if peak_file.exists() else -1
    return Outcome(done.returncode, done.stdout, done.stderr, peak)


def cli(args: list[str], tmp_path: Path) -> Outcome:
    """``main.py ARGS`` in a child process (see :func:`probe`)."""
    return probe(f"import main; sys.exit(main.main({args!r}))", tmp_path)


def assert_one_line_error(outcome: Outcome, *words: str) -> str:
    assert "Traceback" not in outcome.err, outcome.err[-3000:]
    assert outcome.status == 2, outcome.err[-3000:]
    lines = outcome.err.strip().splitlines()
    assert len(lines) == 1, outcome.err[-3000:]
    assert lines[0].startswith("error: ")
    for word in words:
        assert word in lines[0]
    assert 0 < outcome.peak_mb < PEAK_LIMIT_MB, f"peak {outcome.peak_mb} MB"
    return lines[0]


def zeros_deflated(n: int, level: int = 1) -> bytes:
    """``n`` zero bytes, deflated (raw stream), built without holding them in memory."""
    packer = zlib.compressobj(level, zlib.DEFLATED, -15)
    chunk = bytes(MB)
    parts = [packer.compress(chunk[: min(MB, n - i)]) for i in range(0, n, MB)]
    return b"".join(parts) + packer.flush()


def gzip_of(head: bytes, zeros: int) -> bytes:
    """A gzip file of ``head`` followed by ``zeros`` zero bytes (a few KB per 100 MB)."""
    packer = zlib.compressobj(1, zlib.DEFLATED, 31)  # 31: gzip wrapper
    chunk = bytes(MB)
    parts = [packer.compress(head)]
    parts += [packer.compress(chunk[: min(MB, zeros - i)]) for i in range(0, zeros, MB)]
    return b"".join(parts) + packer.flush()


def png(k: int) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.random.default_rng(k).integers(0, 256, (28, 28), np.uint8)).save(
        buf, format="PNG"
    )
    return buf.getvalue()


def letter_tree(root: Path) -> Path:
    """A small notMNIST folder: 3 good PNGs per letter."""
    for j, c in enumerate(LETTERS):
        (root / c).mkdir(parents=True)
        for i in range(3):
            (root / c / f"g{i}.png").write_bytes(png(10 * j + i))
    return root


class _Zeros(io.RawIOBase):
    """A file object of ``n`` zero bytes that never holds them all."""

    def __init__(self, n: int) -> None:
        self.left = n

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:  # type: ignore[no-untyped-def]
        n = min(len(b), self.left)
        b[:n] = bytes(n)
        self.left -= n
        return n


def write_tar(path: Path, big: dict[str, int]) -> Path:
    """A notMNIST .tar.gz of 3 PNGs per letter plus members of ``big[name]`` zero bytes."""
    with open(path, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz", compresslevel=1) as tar:
        for j, c in enumerate(LETTERS):
            for i in range(3):
                data = png(10 * j + i)
                info = tarfile.TarInfo(f"notMNIST_small/{c}/g{i}.png")
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
        for name, size in big.items():
            info = tarfile.TarInfo(f"notMNIST_small/{name}")
            info.size = size
            tar.addfile(info, io.BufferedReader(_Zeros(size), MB))
    return path


# ---------------------------------------------------------------- restricted unpickler


class _Call:
    """Pickles as ``func(*args)``, the way a hostile file would ask for it."""

    def __init__(self, func, *args, state=None) -> None:  # type: ignore[no-untyped-def]
        self.func, self.args, self.state = func, args, state

    def __reduce__(self):  # type: ignore[no-untyped-def]
        if self.state is None:
            return self.func, self.args
        return self.func, self.args, self.state


def test_pickle_bytearray_of_20_gb_is_refused(tmp_path):
    path = tmp_path / "notMNIST.pickle"
    path.write_bytes(pickle.dumps(_Call(bytearray, 20_000_000_000), protocol=4))
    assert path.stat().st_size < 64
    outcome = cli(["data", "--dataset", str(path), "--no-cache"], tmp_path)
    assert_one_line_error(outcome, str(path), "refused to load this pickle", "20,000,000,000")


def test_pickle_array_of_20_gb_is_refused(tmp_path):
    from numpy._core.multiarray import _reconstruct

    path = tmp_path / "notMNIST.pickle"
    path.write_bytes(pickle.dumps(_Call(_reconstruct, np.ndarray, (20_000_000_000,), b"b")))
    outcome = cli(["data", "--dataset", str(path), "--no-cache"], tmp_path)
    assert_one_line_error(outcome, "refused to load this pickle", "20,000,000,000 bytes")


def test_pickle_reusing_one_array_state_many_times_is_refused(tmp_path):
    """Each array state names the same 1 MB of big-endian data, which numpy copies to swap:
    2,000 arrays from a 1 MB file would take 2 GB."""
    from numpy._core.multiarray import _reconstruct

    state = (1, (MB // 2,), np.dtype(">i2"), False, bytes(MB))
    args = (np.ndarray, (0,), b"b")
    path = tmp_path / "notMNIST.pickle"
    arrays = [_Call(_reconstruct, *args, state=state) for _ in range(2000)]
    path.write_bytes(pickle.dumps(arrays, protocol=4))
    assert path.stat().st_size < 2 * MB
    outcome = cli(["data", "--dataset", str(path), "--no-cache"], tmp_path)
    assert_one_line_error(outcome, "refused to load this pickle")


# ---------------------------------------------------------------- IDX


def idx_header(n: int) -> bytes:
    return struct.pack(">IIII", 0x00000803, n, 28, 28)


def idx_folder(folder: Path, images: bytes, n_labels: int, gz: bool) -> Path:
    folder.mkdir()
    suffix = ".gz" if gz else ""
    (folder / f"train-images-idx3-ubyte{suffix}").write_bytes(images)
    labels = struct.pack(">II", 0x00000801, n_labels) + bytes(i % 10 for i in range(n_labels))
    (folder / f"train-labels-idx1-ubyte{suffix}").write_bytes(
        gzip.compress(labels) if gz else labels
    )
    return folder


def test_idx_header_claiming_2_7_million_images_is_refused_before_reading(tmp_path):
    folder = idx_folder(tmp_path / "idx", gzip_of(idx_header(2_700_000), 20 * MB), 10, gz=True)
    outcome = cli(["data", "--dataset", str(folder), "--no-cache"], tmp_path)
    assert_one_line_error(outcome, "train-images-idx3-ubyte.gz", "declares 2,700,000 images")


def test_idx_gzip_holding_far_more_than_its_header_is_read_in_bounded_chunks(tmp_path):
    """10 images announced, 700 MB inside: reading stops one byte past the 10 images."""
    folder = idx_folder(tmp_path / "idx", gzip_of(idx_header(10), 700 * MB), 10, gz=True)
    outcome = cli(["data", "--dataset", str(folder), "--no-cache"], tmp_path)
    assert_one_line_error(outcome, "train-images-idx3-ubyte.gz", "more than the 10 items")


def test_sparse_3_gb_idx_file_is_refused_by_its_size(tmp_path):
    folder = idx_folder(tmp_path / "idx", idx_header(10), 10, gz=False)
    with open(folder / "train-images-idx3-ubyte", "r+b") as f:
        f.truncate(3 << 30)  # sparse: takes no disk
    outcome = cli(["data", "--dataset", str(folder), "--no-cache"], tmp_path)
    assert_one_line_error(outcome, "unexpected bytes after the 10 items")


# ---------------------------------------------------------------- npz


def npz_member(zf: zipfile.ZipFile, name: str, shape: tuple[int, ...], data_bytes: int) -> None:
    """Write ``name.npy`` declaring a uint8 ``shape`` followed by ``data_bytes`` zeros."""
    head = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        head, {"descr": "|u1", "fortran_order": False, "shape": shape}
    )
    info = zipfile.ZipInfo(f"{name}.npy")
    info.compress_type = zipfile.ZIP_DEFLATED
    with zf.open(info, "w", force_zip64=True) as out:
        out.write(head.getvalue())
        chunk = bytes(MB)
        for i in range(0, data_bytes, MB):
            out.write(chunk[: min(MB, data_bytes - i)])


def test_npz_of_compressed_zeros_declaring_too_many_images_is_refused_before_reading(tmp_path):
    n = 1_100_000
    path = tmp_path / "bomb.npz"
    with zipfile.ZipFile(path, "w", compresslevel=1) as zf:
        npz_member(zf, "images", (n, 28, 28), n * 784)
        npz_member(zf, "labels", (n,), n)
    assert path.stat().st_size < 8 * MB
    outcome = cli(["data", "--dataset", str(path), "--no-cache"], tmp_path)
    assert_one_line_error(outcome, str(path), "images uint8 (1100000, 28, 28)", "1,100,000 rows")


def test_npz_member_shorter_than_its_header_is_refused_before_reading(tmp_path):
    path = tmp_path / "short.npz"
    with zipfile.ZipFile(path, "w") as zf:
        npz_member(zf, "images", (900_000, 784), 784)
        npz_member(zf, "labels", (900_000,), 10)
    outcome = cli(["data", "--dataset", str(path), "--no-cache"], tmp_path)
    assert_one_line_error(outcome, "images uint8 (900000, 784) is truncated")


# ---------------------------------------------------------------- notMNIST archives and folders


def test_tar_member_of_700_mb_is_skipped_unread_and_counted(tmp_path):
    path = write_tar(tmp_path / "notMNIST_small.tar.gz", {"C/huge.png": 700 * MB})
    outcome = cli(["data", "--dataset", str(path), "--no-cache"], tmp_path)
    assert outcome.status == 0, outcome.err[-3000:]
    assert "Traceback" not in outcome.err
    assert "images skipped: 1" in outcome.out
    assert "C/huge.png: too big for a 28x28 PNG (over 1,024 KiB; not read)" in outcome.out
    assert 0 < outcome.peak_mb < PEAK_LIMIT_MB, f"peak {outcome.peak_mb} MB"


def test_many_members_just_under_the_size_limit_are_decoded_in_bounded_chunks(tmp_path):
    """700 members of 1 MB (within the per-file limit): work units end at a byte bound."""
    big = {f"D/big{i}.png": MB for i in range(700)}
    path = write_tar(tmp_path / "notMNIST_small.tar.gz", big)
    outcome = cli(["data", "--dataset", str(path), "--no-cache"], tmp_path)
    assert outcome.status == 0, outcome.err[-3000:]
    assert "Traceback" not in outcome.err
    assert "images skipped: 700" in outcome.out
    assert 0 < outcome.peak_mb < PEAK_LIMIT_MB, f"peak {outcome.peak_mb} MB"


def test_sparse_3_gb_file_in_a_letter_folder_is_skipped_by_size(tmp_path):
    root = letter_tree(tmp_path / "notMNIST_small")
    with open(root / "E" / "sparse.png", "wb") as f:
        f.truncate(3 << 30)
    outcome = cli(["data", "--dataset", str(root), "--no-cache"], tmp_path)
    assert outcome.status == 0, outcome.err[-3000:]
    assert "Traceback" not in outcome.err
    assert "images skipped: 1" in outcome.out
    assert "E/sparse.png: too big for a 28x28 PNG" in outcome.out
    assert 0 < outcome.peak_mb < PEAK_LIMIT_MB, f"peak {outcome.peak_mb} MB"


# ---------------------------------------------------------------- predict's images


def huge_png(path: Path, side: int) -> Path:
    """A ``side`` x ``side`` RGBA PNG of zeros, written chunk by chunk (a few hundred KB)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    packer = zlib.compressobj(9)
    row = bytes(1 + 4 * side)  # filter byte 0, then the pixels
    idat = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    ihdr = struct.pack(">IIBBBBB", side, side, 8, 6, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )
    return path


@pytest.fixture(scope="module")
def huge_image(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 13000x13000 RGBA PNG: 676 MB of pixels in under 1 MB."""
    image = huge_png(tmp_path_factory.mktemp("huge") / "huge.png", 13_000)
    assert image.stat().st_size < MB
    return image


def test_predict_refuses_a_13000_pixel_png_before_decoding_it(huge_image, tmp_path):
    image = huge_image
    outcome = cli(["predict", "--model", str(tmp_path / "no-run"), str(image)], tmp_path)
    assert_one_line_error(outcome, str(image), "image is 13000x13000 pixels", "4096x4096")


def test_image_reader_refuses_a_13000_pixel_png_before_decoding_it(huge_image, tmp_path):
    image = huge_image
    code = f"""
from core.data.errors import DataError
from core.image_prep import load_image_file, prepare_image
try:
    prepare_image(load_image_file({str(image)!r}), "letters")
except DataError as exc:
    print(f"error: {{exc}}", file=sys.stderr)
    status = 2
sys.exit(status)
"""
    outcome = probe(code, tmp_path)
    assert_one_line_error(outcome, "image is 13000x13000 pixels")
