"""An interrupted HTTP download resumes with a range request, and its checksum is verified."""

from __future__ import annotations

import hashlib
import http.server
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from core import paths
from core.data.download import DownloadCancelled, DownloadError, RemoteFile, fetch, partial_path

PAYLOAD = bytes(range(256)) * 1200  # 307,200 bytes


@dataclass
class Server:
    """What the local server saw and how it behaves."""

    url: str
    ranges: list[str | None] = field(default_factory=list)
    drop_first: bool = True  # the first full request breaks off half way
    honour_range: bool = True


@pytest.fixture
def server() -> Iterator[Server]:
    state = Server(url="")

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            """Quiet."""

        def do_GET(self) -> None:
            asked = self.headers.get("Range")
            state.ranges.append(asked)
            if asked and state.honour_range:
                start = int(asked.removeprefix("bytes=").split("-")[0])
                body = PAYLOAD[start:]
                self.send_response(206)
                self.send_header(
                    "Content-Range", f"bytes {start}-{len(PAYLOAD) - 1}/{len(PAYLOAD)}"
                )
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(PAYLOAD)))
            self.end_headers()
            if state.drop_first:
                state.drop_first = False
                self.wfile.write(PAYLOAD[: len(PAYLOAD) // 2])
                self.wfile.flush()
                self.close_connection = True  # the connection drops half way
                return
            self.wfile.write(PAYLOAD)

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}/archive.bin"
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def _remote(server: Server, digest: str | None = None, name: str = "archive.bin") -> RemoteFile:
    good = hashlib.sha256(PAYLOAD).hexdigest()
    return RemoteFile(name, server.url, len(PAYLOAD), f"sha256:{digest or good}")


def test_interrupted_download_resumes_from_the_middle(server: Server) -> None:
    remote = _remote(server)
    with pytest.raises(DownloadError, match=r"broke off.* bytes kept, the next attempt resumes"):
        fetch(remote)
    kept = partial_path(remote).stat().st_size
    assert 0 < kept <= len(PAYLOAD) // 2  # the bytes that arrived before the drop
    assert partial_path(remote).read_bytes() == PAYLOAD[:kept]
    assert not (paths.data_dir() / "archive.bin").exists()
    calls: list[tuple[int, int, str]] = []
    got = fetch(remote, progress=lambda d, t, m: calls.append((d, t, m)))
    assert server.ranges == [None, f"bytes={kept}-"]  # the second attempt asks for the rest
    assert got.read_bytes() == PAYLOAD
    assert hashlib.sha256(got.read_bytes()).hexdigest() == remote.known_hash.split(":")[1]
    assert not partial_path(remote).exists()
    assert calls[0][0] >= kept  # the progress starts from the bytes kept
    assert calls[-1][:2] == (len(PAYLOAD), len(PAYLOAD))


def test_wrong_checksum_deletes_the_file_and_says_so(server: Server) -> None:
    remote = _remote(server, digest="0" * 64, name="bad.bin")
    with pytest.raises(DownloadError):
        fetch(remote)  # the first attempt breaks off
    kept = partial_path(remote).stat().st_size
    with pytest.raises(DownloadError, match=r"corrupt and was removed \(checksum mismatch") as e:
        fetch(remote)
    assert "sha256:000" in str(e.value)
    assert server.ranges[-1] == f"bytes={kept}-"
    assert not (paths.data_dir() / "bad.bin").exists()
    assert not partial_path(remote).exists()


def test_server_ignoring_the_range_sends_the_whole_file_again(server: Server) -> None:
    server.honour_range = False
    remote = _remote(server)
    with pytest.raises(DownloadError):
        fetch(remote)
    kept = partial_path(remote).stat().st_size
    got = fetch(remote)
    assert server.ranges == [None, f"bytes={kept}-"]
    assert got.read_bytes() == PAYLOAD


def test_cancel_keeps_the_partial_file_for_a_resume(server: Server) -> None:
    server.drop_first = False
    remote = _remote(server)
    cancel = threading.Event()

    def progress(done: int, total: int, message: str) -> None:
        if done >= 100_000:
            cancel.set()

    with pytest.raises(DownloadCancelled, match="cancelled"):
        fetch(remote, progress=progress, cancel=cancel)
    kept = partial_path(remote).stat().st_size
    assert 100_000 <= kept < len(PAYLOAD)
    got = fetch(remote)
    assert server.ranges == [None, f"bytes={kept}-"]
    assert got.read_bytes() == PAYLOAD
