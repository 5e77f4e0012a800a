"""The dataset box of the control panel: the dataset picker, download buttons and load status."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QGroupBox,
    QLabel,
    QMenu,
    QProgressBar,
    QPushButton,
    QToolButton,
    QWidget,
)

from gui.style import icon

FALLBACK_SPECS = {
    "fonts-letters": "Letters A-J rendered from the fonts on this computer (built in)",
    "fonts-digits": "Digits 0-9 rendered from the fonts on this computer (built in)",
    "notmnist-small": "notMNIST small (download, ~19k hand-cleaned letters)",
    "mnist": "MNIST handwritten digits (download)",
}

# what the notMNIST download button offers, with sizes (the button itself fetches the first)
NOTMNIST_DOWNLOADS = {
    "notmnist-small": "notMNIST small: 8 MB, 18,700 images",
    "notmnist": "notMNIST large + small: 256 MB, 530,000 images",
}


def known_specs() -> dict[str, str]:
    """Dataset spec -> description, from the data registry (a built-in list if it is missing)."""
    try:
        from core.data.registry import KNOWN_SPECS
    except ImportError:
        return dict(FALLBACK_SPECS)
    return dict(KNOWN_SPECS)


class DatasetBox(QGroupBox):
    """Pick, download or open a dataset, and see its loading progress.

    Signals
    -------
    dataset_selected(str, bool)
        Load this dataset spec; the flag says whether downloading is allowed.
    open_file_requested()
        The learner wants to pick a dataset file.
    """

    dataset_selected = Signal(str, bool)
    open_file_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Dataset", parent)
        self.dataset_combo = QComboBox(self)
        self.dataset_combo.setToolTip("The images the model learns from")
        self.dataset_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.dataset_combo.setMinimumContentsLength(12)
        self.set_specs(known_specs())
        self.dataset_combo.activated.connect(
            lambda _i: self.dataset_selected.emit(self.dataset_spec(), False)
        )
        self.download_notmnist = QToolButton(self)
        self.download_notmnist.setText("notMNIST")
        self.download_notmnist.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.download_notmnist.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        sizes = QMenu(self.download_notmnist)
        for spec, text in NOTMNIST_DOWNLOADS.items():
            sizes.addAction(text, lambda s=spec: self._download_spec(s))
        self.download_notmnist.setMenu(sizes)
        self.download_mnist = QPushButton("MNIST", self)
        self.open_button = QPushButton("Open file…", self)
        self.download_notmnist.setIcon(icon("download"))
        self.download_mnist.setIcon(icon("download"))
        self.open_button.setIcon(icon("open"))
        self.download_notmnist.setToolTip(
            "Download notMNIST letters once (then cached): the button fetches the small set "
            f"({NOTMNIST_DOWNLOADS['notmnist-small']}); its arrow also offers the large one"
        )
        self.download_mnist.setToolTip("Download MNIST digits (once; then cached)")
        self.open_button.setToolTip(
            "Use a dataset file: .npz, MNIST-format files, a notMNIST archive or folder, or the "
            "assignment's .pickle"
        )
        self.download_notmnist.clicked.connect(lambda: self._download("notmnist"))
        self.download_mnist.clicked.connect(lambda: self._download("mnist"))
        self.open_button.clicked.connect(self.open_file_requested)
        self.progress = QProgressBar(self)
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(10)
        self.progress.hide()
        self.data_status = QLabel("", self)
        self.data_status.setWordWrap(True)
        self.data_status.setObjectName("hint")
        grid = QGridLayout(self)
        grid.addWidget(self.dataset_combo, 0, 0, 1, 3)
        grid.addWidget(QLabel("Download:", self), 1, 0)
        grid.addWidget(self.download_notmnist, 1, 1)
        grid.addWidget(self.download_mnist, 1, 2)
        grid.addWidget(self.open_button, 2, 0, 1, 3)
        grid.addWidget(self.progress, 3, 0, 1, 3)
        grid.addWidget(self.data_status, 4, 0, 1, 3)

    def set_specs(self, specs: dict[str, str]) -> None:
        """Fill the dataset picker with ``spec -> description``."""
        current = self.dataset_spec() if self.dataset_combo.count() else None
        self.dataset_combo.clear()
        for spec, description in specs.items():
            self.add_spec(spec, description)
        if current:
            self.set_dataset_spec(current)

    def add_spec(self, spec: str, description: str = "") -> None:
        """Add one dataset (e.g. an opened file) to the picker if it is not there yet."""
        if self.dataset_combo.findData(spec) >= 0:
            return
        text = spec if len(spec) < 40 else "…" + spec[-38:]
        self.dataset_combo.addItem(text, spec)
        self.dataset_combo.setItemData(
            self.dataset_combo.count() - 1, description or spec, Qt.ItemDataRole.ToolTipRole
        )

    def dataset_spec(self) -> str:
        """The spec selected in the dataset picker."""
        return str(self.dataset_combo.currentData() or "")

    def set_dataset_spec(self, spec: str) -> None:
        """Select ``spec`` in the picker (added when unknown), without emitting."""
        self.add_spec(spec)
        was = self.dataset_combo.blockSignals(True)
        self.dataset_combo.setCurrentIndex(self.dataset_combo.findData(spec))
        self.dataset_combo.blockSignals(was)

    def _download(self, family: str) -> None:
        specs = [self.dataset_combo.itemData(i) for i in range(self.dataset_combo.count())]
        matches = [s for s in specs if s.startswith(family)]
        spec = next(
            (s for s in matches if s in ("notmnist-small", "mnist")),
            matches[0] if matches else family,
        )
        self._download_spec(spec)

    def _download_spec(self, spec: str) -> None:
        self.set_dataset_spec(spec)
        self.dataset_selected.emit(spec, True)

    def set_loading(self, message: str, done: int = 0, total: int = 0) -> None:
        """Show dataset/TensorFlow progress (``total`` 0: busy indicator)."""
        self.progress.show()
        self.progress.setRange(0, max(total, 0))
        if total > 0:
            self.progress.setValue(min(done, total))
        self.data_status.setText(message)

    def show_status(self, message: str) -> None:
        """Hide the progress bar and show ``message``."""
        self.progress.hide()
        self.data_status.setText(message)

    def set_choosing_enabled(self, enabled: bool) -> None:
        """Enable or disable the picker and the download and open buttons (off during a run)."""
        buttons = (self.download_notmnist, self.download_mnist, self.open_button)
        for w in (self.dataset_combo, *buttons):
            w.setEnabled(enabled)
