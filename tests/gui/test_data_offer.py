"""The first-start notMNIST offer alone: buttons, progress, cancel, offline, dismiss."""

from __future__ import annotations

import threading

import pytest

from core.data.download import DownloadCancelled, DownloadError
from gui.panels.data_offer import OFFLINE, DataOffer


class FakeFetch:
    """Stands in for core.data.download.fetch: reports progress, honours cancel, or fails."""

    def __init__(self, error: Exception | None = None, block: bool = False) -> None:
        self.error = error
        self.block = block
        self.calls: list[str] = []
        self.started = threading.Event()

    def __call__(self, name, *, progress, cancel):
        self.calls.append(name)
        self.started.set()
        if self.error is not None:
            raise self.error
        total = 8_000_000
        for done in range(0, total + 1, 2_000_000):
            progress(done, total, f"downloading {name}")
            if self.block:
                cancel.wait(5)
            if cancel.is_set():
                raise DownloadCancelled(name, "download cancelled; 2,000,000 bytes kept")
        return name


def test_offer_names_both_sizes(qtbot) -> None:
    offer = DataOffer(fetch=FakeFetch())
    qtbot.addWidget(offer)
    texts = [b.text() for b in offer.buttons.values()]
    assert "Download notMNIST small (8 MB, 18k images)" in texts
    assert "Download notMNIST large (240 MB, 530k images)" in texts
    assert "Real notMNIST exists" in offer.message.text()
    assert offer.progress.isHidden() and offer.cancel_button.isHidden()


def test_small_download_reports_progress_and_finishes(qtbot) -> None:
    fetch = FakeFetch()
    offer = DataOffer(fetch=fetch)
    qtbot.addWidget(offer)
    with qtbot.waitSignal(offer.downloaded, timeout=5000) as got:
        offer.buttons["notmnist-small"].click()
    assert got.args == ["notmnist-small"]
    assert fetch.calls == ["notMNIST_small.tar.gz"]
    assert offer.progress.value() == offer.progress.maximum() > 0
    assert "8.0 of 8.0 MB" in offer.progress.format()
    assert offer.progress.isHidden()
    assert all(b.isEnabled() for b in offer.buttons.values())


def test_large_fetches_both_archives(qtbot) -> None:
    fetch = FakeFetch()
    offer = DataOffer(fetch=fetch)
    qtbot.addWidget(offer)
    with qtbot.waitSignal(offer.downloaded, timeout=5000) as got:
        offer.buttons["notmnist"].click()
    assert got.args == ["notmnist"]
    assert fetch.calls == ["notMNIST_large.tar.gz", "notMNIST_small.tar.gz"]


def test_cancel_stops_the_download(qtbot) -> None:
    fetch = FakeFetch(block=True)
    offer = DataOffer(fetch=fetch)
    qtbot.addWidget(offer)
    offer.buttons["notmnist-small"].click()
    assert fetch.started.wait(5)
    assert offer.cancel_button.isVisibleTo(offer) and offer.busy()
    assert not offer.buttons["notmnist"].isEnabled()
    with qtbot.waitSignal(offer.cancelled, timeout=5000):
        offer.cancel_button.click()
    assert "resumes" in offer.message.text()
    assert not offer.busy()


@pytest.mark.parametrize(
    ("error", "shown"),
    [
        (DownloadError("https://x", "no network: could not reach x; fonts still work"), OFFLINE),
        (DownloadError("f", "checksum mismatch: the download was deleted"), "checksum mismatch"),
    ],
)
def test_failures_say_so_in_one_line(qtbot, error: Exception, shown: str) -> None:
    offer = DataOffer(fetch=FakeFetch(error=error))
    qtbot.addWidget(offer)
    with qtbot.waitSignal(offer.failed, timeout=5000):
        offer.buttons["notmnist-small"].click()
    assert shown in offer.message.text()
    assert "Traceback" not in offer.message.text()
    assert offer.buttons["notmnist-small"].isEnabled()  # a retry is possible


def test_dismiss_hides_and_cancels(qtbot) -> None:
    fetch = FakeFetch(block=True)
    offer = DataOffer(fetch=fetch)
    qtbot.addWidget(offer)
    offer.show()
    offer.buttons["notmnist-small"].click()
    assert fetch.started.wait(5)
    with qtbot.waitSignal(offer.dismissed, timeout=2000):
        offer.close_button.click()
    offer.wait()
    assert not offer.isVisible()
    assert not offer.busy()
