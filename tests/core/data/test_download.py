from __future__ import annotations

import hashlib

import pytest
import requests

from core import paths
from core.data import download
from core.data.download import DownloadError, RemoteFile, fetch


@pytest.fixture
def source(tmp_path):
    f = tmp_path / "mirror" / "notMNIST_small.tar.gz"
    f.parent.mkdir()
    f.write_bytes(bytes(range(256)) * 40)
    return f


def test_file_url_is_fetched_with_progress_and_size_check(source):
    calls = []
    remote = RemoteFile("notMNIST_small.tar.gz", source.as_uri(), source.stat().st_size)
    got = fetch(remote, progress=lambda d, t, m: calls.append((d, t, m)))
    assert got == paths.data_dir() / "notMNIST_small.tar.gz"
    assert got.read_bytes() == source.read_bytes()
    assert calls[-1] == (10240, 10240, "downloading notMNIST_small.tar.gz")
    source.unlink()  # cached now: no second download
    assert fetch(remote) == got


def test_size_mismatch_removes_the_file(source):
    remote = RemoteFile("wrong-size.bin", source.as_uri(), 999)
    with pytest.raises(DownloadError, match="expected 999; the bad file was removed"):
        fetch(remote)
    assert not (paths.data_dir() / "wrong-size.bin").exists()


def test_hash_mismatch_removes_the_file(source):
    good = hashlib.sha256(source.read_bytes()).hexdigest()
    assert fetch(RemoteFile("good.bin", source.as_uri(), None, f"sha256:{good}")).is_file()
    remote = RemoteFile("bad-hash.bin", source.as_uri(), None, "sha256:" + "0" * 64)
    with pytest.raises(DownloadError, match="corrupt and was removed"):
        fetch(remote)
    assert not (paths.data_dir() / "bad-hash.bin").exists()


def test_no_network_says_so_plainly(monkeypatch):
    def offline(*args, **kwargs):
        raise requests.ConnectionError("Failed to resolve 'commondatastorage.googleapis.com'")

    monkeypatch.setattr(requests, "get", offline)
    with pytest.raises(DownloadError) as e:
        fetch("notMNIST_small.tar.gz")
    message = str(e.value)
    assert "no network" in message
    assert "commondatastorage.googleapis.com" in message
    assert "fonts-letters" in message
    assert "still available" in message
    assert not (paths.data_dir() / "notMNIST_small.tar.gz").exists()


def test_download_off_refuses_missing_file():
    with pytest.raises(DownloadError, match="not downloaded yet"):
        fetch("mnist.npz", download=False)


def test_known_files_pin_the_published_addresses():
    large = download.REMOTE_FILES["notMNIST_large.tar.gz"]
    assert large.url == "https://commondatastorage.googleapis.com/books1000/notMNIST_large.tar.gz"
    assert large.size == 247336696
    assert download.REMOTE_FILES["notMNIST_small.tar.gz"].size == 8458043
    assert download.REMOTE_FILES["mnist.npz"].known_hash.endswith("b673d1")
