"""The first start's offer of real notMNIST, once, above the curves (dismissed for good).

The offer (:class:`~gui.panels.data_offer.DataOffer`) downloads on its own thread with a
progress bar and a cancel button; once the files are in, the window loads that dataset. "Not
now" or a finished download hides it for good (remembered in the settings). Only the app's own
start shows it (``gui.app``); windows made by tests and scripts do not.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gui.panels.data_offer import DataOffer

if TYPE_CHECKING:
    from gui.main_window import MainWindow

SEEN_KEY = "first_start/data_offer_done"


def offer_real_data(window: MainWindow, fetch: Any = None) -> DataOffer | None:
    """Show the notMNIST offer above the tabs unless the learner has dismissed it before."""
    store = window.settings.store
    if store.value(SEEN_KEY, False) in (True, "true"):
        return None
    offer = DataOffer(fetch)
    window.centralWidget().layout().insertWidget(1, offer)  # under the banner, above the tabs
    window.data_offer = offer
    offer.show()  # a widget added to a shown window stays hidden until shown

    def done() -> None:
        store.setValue(SEEN_KEY, True)
        offer.hide()

    def downloaded(spec: str) -> None:
        done()
        window.controls.set_dataset_spec(spec)
        window.load_dataset(spec)

    offer.dismissed.connect(done)
    offer.downloaded.connect(downloaded)
    offer.failed.connect(lambda message: window.statusBar().showMessage(message, 10_000))
    return offer
