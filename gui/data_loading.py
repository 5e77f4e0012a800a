"""Getting the window ready to train: TensorFlow's import and the dataset, off the GUI thread."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog

from core import tf_import
from core.data.dataset import Dataset
from gui.tasks import ProgressFn

if TYPE_CHECKING:
    from gui.main_window import MainWindow

TF_MODULES = ("core.training.trainer", "core.training.recorder", "core.inference")
Loader = Callable[..., Dataset]


def default_loader(
    spec: str, *, download: bool = False, progress: ProgressFn | None = None
) -> Dataset:
    """Load ``spec`` with :func:`core.data.registry.load_dataset` (cached after the first time)."""
    from core.data.registry import load_dataset

    return load_dataset(spec, download=download, progress=progress)


class DataLoading(QObject):
    """Imports TensorFlow once and loads datasets for ``window``, showing progress.

    Signals
    -------
    ready(str)
        A dataset is in use for the next runs (its spec, as :attr:`spec` holds it).
    load_failed(str)
        Loading this spec failed (the banner says why).
    """

    ready = Signal(str)
    load_failed = Signal(str)

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.w = window
        self.spec: str | None = None  # the spec of the dataset in use
        # refuse(spec) -> why a load is refused now (a teacher's lock), or None
        self.refuse: Callable[[str], str | None] | None = None
        self.tf_ready = False
        self.tf_loading = False  # an import task is under way: Start waits for it
        self._token = 0  # the newest load; older ones' results are dropped

    def import_tensorflow(self) -> None:
        """Import TensorFlow (and the trainer) on a worker thread (once, however often asked).

        A second import thread beside the first deadlocks Python's module locks now and then
        (``_DeadlockError`` inside TensorFlow), so a call while one is under way only waits.
        """
        if self.tf_ready or self.tf_loading:
            return
        self.tf_loading = True
        w = self.w
        w.status.set_busy("Loading TensorFlow…")

        def work(_progress: ProgressFn) -> bool:
            tf_import.import_tensorflow(quiet=False)  # stderr left alone: other threads write
            for name in TF_MODULES:
                importlib.import_module(name)
            return True

        def failed(message: str, details: str) -> None:
            self.tf_loading = False
            w.status.set_busy(None)
            w.report_error("TensorFlow could not be loaded", message, details)

        w.tasks.run(work, self._loaded, failed)

    def _loaded(self, _ok: object) -> None:
        self.tf_ready = True
        self.tf_loading = False
        self.w.status.set_busy(None)
        self.w.statusBar().showMessage("TensorFlow ready", 3000)
        self.w.tf_loaded()

    def load_dataset(self, spec: str, *, download: bool = False) -> None:
        """Load dataset ``spec`` on a worker thread, showing progress in the controls."""
        w = self.w
        if w.running or not spec:
            return
        why = self.refuse(spec) if self.refuse is not None else None
        if why:
            w.statusBar().showMessage(why, 8000)
            if self.spec:
                w.controls.set_dataset_spec(self.spec)
            return
        self._token += 1
        token = self._token
        previous = w.controls.dataset_spec() if w.dataset is not None else None
        w.controls.set_dataset_spec(spec)
        w.controls.set_data_status(f"Loading {spec}…", ready=False)
        w.controls.set_loading(f"Loading {spec}…")
        loader = w.loader

        def work(progress: ProgressFn) -> Dataset:
            return loader(spec, download=download, progress=progress)

        def progress(done: int, total: int, message: str) -> None:
            if token == self._token:
                w.controls.set_loading(message or f"Loading {spec}…", done, total)

        def failed(message: str, _details: str) -> None:
            if token != self._token:
                return
            hint = "" if download else "<br>Use a Download button to fetch it."
            if w.dataset is not None and previous:  # keep what was loaded, and usable
                self.set_dataset(w.dataset, previous)
                hint += f"<br>Still using <b>{previous}</b>."
            else:
                w.controls.set_data_status(f"Could not load {spec}: {message}", ready=False)
            w.banner.show_message(
                f"Could not load the dataset <b>{spec}</b>: {message}{hint}", "warning"
            )
            self.load_failed.emit(spec)

        def done(ds: Dataset) -> None:
            if token == self._token:
                self.set_dataset(ds, spec)

        w.tasks.run(work, done, failed, progress)

    def set_dataset(self, ds: Dataset, spec: str | None = None) -> None:
        """Use ``ds`` for the next runs and show it in the samples tab and status bar."""
        w = self.w
        w.dataset = ds
        if spec:
            w.controls.set_dataset_spec(spec)
        w.controls.set_data_status(
            f"{ds.name}: {len(ds.train_x):,} train · {len(ds.valid_x):,} valid · "
            f"{len(ds.test_x):,} test",
            ready=True,
        )
        w.status.set_provenance(ds.provenance.description)
        w.banner.hide()
        try:
            from core.data.report import format_report

            report = format_report(ds)
        except Exception as exc:  # a report problem must not block training
            report = f"{ds.provenance.description}\n(report unavailable: {exc})"
        w.samples.set_dataset(
            {s: ds.split(s) for s in ("train", "valid", "test")}, ds.class_names, report
        )
        w.my_drawings.set_classes(ds.class_names)
        if w.predictor is None:
            w.draw_pad.set_classifier(None, ds.class_names)
        self.spec = w.controls.dataset_spec()
        self.ready.emit(self.spec)

    def open_dataset_file(self) -> None:
        """Ask for a dataset file or folder and load it."""
        path, _ = QFileDialog.getOpenFileName(
            self.w,
            "Open a dataset",
            str(Path.home()),
            "Datasets (*.npz *.gz *.tar.gz *.pickle *-ubyte);;All files (*)",
        )
        if path:
            self.w.controls.add_spec(path, path)
            self.load_dataset(path)
