"""The main window: layout, docks and wiring; the work happens in the modules it wires.

Data flows one way: controls -> knobs -> :class:`~gui.session.TrainingSession` (the trainer on a
worker thread) -> typed signals -> panels, which buffer -> one throttled repaint
(:mod:`gui.repaint`). Past runs and models: :mod:`gui.run_handling`; TensorFlow's import and the
datasets: :mod:`gui.data_loading`; the log: :mod:`gui.run_log`; menus: :mod:`gui.menus`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QCloseEvent, QShowEvent
from PySide6.QtWidgets import (
    QMainWindow,
    QMessageBox,
)

from core.data.dataset import Dataset
from gui import style
from gui.data_loading import DataLoading, Loader, default_loader
from gui.help_text import help_html
from gui.layout import build_docks, build_panels, fit_docks
from gui.lesson_lock import LessonLock
from gui.lesson_menus import add_lesson_actions
from gui.lesson_mode import LessonMode
from gui.menus import WindowMenus
from gui.opened_run import OpenedRun
from gui.pace_hint import PaceHint
from gui.pacing import WindowPace
from gui.pad_follower import PadFollower
from gui.panels.runs_dialog import default_lister
from gui.projector import ProjectorMode
from gui.repaint import RepaintPacer
from gui.run_config import run_config
from gui.run_handling import RunHandling
from gui.run_log import RunNarrator, start_line
from gui.session import TrainingSession
from gui.settings import AppSettings, restore_window_settings, save_window_settings
from gui.status import ErrorDialog, StatusFields
from gui.tasks import TaskRunner
from gui.wiring import wire_panels

pg.setConfigOptions(imageAxisOrder="row-major", antialias=True)
ErrorSink = Callable[[str, str, str], None]


class MainWindow(QMainWindow):
    """Glyph Lab's window.

    Parameters
    ----------
    loader:
        ``loader(spec, download=bool, progress=fn) -> Dataset``; called on a worker thread.
    settings:
        Persistent settings; tests pass one stored in a temporary file.
    error_sink:
        ``error_sink(title, message, details)`` shows an error (default: a non-modal dialog).
    trainer_factory, resume_factory:
        Passed to the :class:`~gui.session.TrainingSession` (tests inject their own).
    runs_lister:
        Returns the past runs (:class:`core.runs.listing.RunInfo`), newest first.
    load_on_start:
        Load the last dataset (and import TensorFlow) as soon as the window exists.
    """

    def __init__(
        self,
        *,
        loader: Loader | None = None,
        settings: AppSettings | None = None,
        error_sink: ErrorSink | None = None,
        trainer_factory: Callable[..., Any] | None = None,
        resume_factory: Callable[..., Any] | None = None,
        runs_lister: Callable[[], list[Any]] | None = None,
        load_on_start: bool = True,
    ) -> None:
        super().__init__()
        self.setWindowTitle("Glyph Lab")
        self.setWindowIcon(style.icon("app"))
        self.loader = loader or default_loader
        self.settings = settings or AppSettings()
        self.error_sink = error_sink or self._show_error_dialog
        self.runs_lister = runs_lister or default_lister
        self.dataset: Dataset | None = None
        self.opened_run: OpenedRun | None = None
        self.predictor: Any = None
        self.run_overrides: dict[str, Any] = {}
        self.errors: list[tuple[str, str, str]] = []
        self.closing = False
        self._start_pending = False
        self._start_steps = 0  # a Step pressed before TensorFlow loaded: start paused

        self.session = TrainingSession(trainer_factory, resume_factory, self)
        self.tasks = TaskRunner(lambda m, d: self.report_error("Error", m, d), self)
        build_panels(self)
        build_docks(self)
        self.statusBar().setSizeGripEnabled(True)
        self.status = StatusFields(self.statusBar())
        self.pacer = RepaintPacer(self.curves, self.weights, self.status, self)
        self.data = DataLoading(self)
        self.runs = RunHandling(self)
        self.pace = WindowPace(self)
        self.menus = WindowMenus(self)
        self.narrator = RunNarrator(
            self.session, self.log, self.statusBar(), self.banner, self.report_error
        )
        self.pad_follower = PadFollower(self.draw_pad, self.session)
        self.pace_hint = PaceHint(self.session, self.banner, self.pace, self.start_training)
        wire_panels(self)
        self.lessons = LessonMode(self)
        self.lock = LessonLock(self)
        self.projector = ProjectorMode(self)
        add_lesson_actions(self)
        self._layout_restored = restore_window_settings(self)
        self.update_actions()
        if load_on_start:
            self.import_tensorflow()
            self.load_dataset(self.controls.dataset_spec())

    # == data and TensorFlow (gui.data_loading) ==================================================
    @property
    def tf_ready(self) -> bool:
        """True once TensorFlow and the trainer are imported."""
        return self.data.tf_ready

    def import_tensorflow(self) -> None:
        """Import TensorFlow on a worker thread (once)."""
        self.data.import_tensorflow()

    def load_dataset(self, spec: str, *, download: bool = False) -> None:
        """Load dataset ``spec`` on a worker thread."""
        self.data.load_dataset(spec, download=download)

    def set_dataset(self, ds: Dataset, spec: str | None = None) -> None:
        """Use ``ds`` for the next runs."""
        self.data.set_dataset(ds, spec)

    def tf_loaded(self) -> None:
        """TensorFlow is ready: start a run that waited for it."""
        if self._start_pending:
            self._start_pending = False
            self.start_training(self._start_steps)

    # == training ================================================================================
    @property
    def running(self) -> bool:
        """True while a run's worker is running."""
        return self.session.running

    @property
    def run_paused(self) -> bool:
        """True once the running trainer has reported that it paused."""
        return self.session.reported_paused

    @property
    def trainer(self) -> Any:
        """The running (or last) run's trainer, once built."""
        return self.session.trainer

    @property
    def run_dir(self) -> str | None:
        """The running (or last) run's folder."""
        return self.session.run_dir

    @property
    def last_finished(self) -> Any:
        """The last run's RunFinished event, or None."""
        return self.narrator.last_finished

    @property
    def last_failed(self) -> Any:
        """The last run's RunFailed event, or None."""
        return self.narrator.last_failed

    @property
    def trainer_factory(self) -> Any:
        """The session's ``factory(config, dataset[, knob_plan]) -> Trainer`` (tests swap it)."""
        return self.session.trainer_factory

    @trainer_factory.setter
    def trainer_factory(self, factory: Any) -> None:
        self.session.trainer_factory = factory

    def make_config(self) -> Any:
        """The TrainConfig the controls describe (validated against the loaded dataset)."""
        size = len(self.dataset.train_x) if self.dataset is not None else None
        return run_config(self.controls.values(), self.run_overrides, size)

    def start_or_pause(self) -> None:
        """Space: start when idle, pause or resume when running."""
        if self.running:
            self.session.toggle_pause()
        else:
            self.start_training()

    def start_training(self, paused_steps: int = 0) -> None:
        """Start a run with the controls' settings (once TensorFlow and the data are ready).

        On an opened run whose starting settings the controls still show, the run is
        repeated: its knob changes are replayed at the same steps. With ``paused_steps`` it
        starts paused and runs that many steps (the Step button).
        """
        if self.running or self.dataset is None:
            return
        try:
            cfg = self.make_config()
        except (ValueError, KeyError, TypeError) as exc:
            self.banner.show_message(f"Cannot start: {exc}", "warning")
            return
        if not self.tf_ready:
            self._start_pending, self._start_steps = True, paused_steps
            self.statusBar().showMessage("Starting as soon as TensorFlow has loaded…")
            self.import_tensorflow()
            return
        opened = self.opened_run
        plan = opened.knob_changes if opened and opened.repeats(self.controls.values()) else []
        self.opened_run = None
        self.curves.start_run(cfg.steps, restricted=cfg.restrict_batches > 0)
        self.pacer.start_run(cfg.steps)
        self.log.append(start_line(cfg, self.dataset.name, len(plan)))
        self.banner.hide()
        self.statusBar().showMessage("Building the model…")
        self.session.start(cfg, self.dataset, plan, paused_steps)

    def reset(self) -> None:
        """Drop any run, clear curves, weights and log, and restore the preset's values."""
        self.session.cancel()
        self.curves.clear()
        self.weights.clear()
        self.log.clear()
        self.banner.hide()
        self.controls.select_preset(self.controls.preset_name())
        self.pacer.request()

    def update_actions(self) -> None:
        """Enable the controls and actions that make sense now."""
        running = self.session.running
        self.controls.set_run_state(running, self.session.is_paused)
        self.menus.set_running(running, self.runs.shown_run_dir() is not None)

    def use_predictor(self, predictor: Any) -> None:
        """Classify drawings with ``predictor`` (a :class:`core.inference.Predictor`)."""
        self.predictor = predictor
        self.draw_pad.set_classifier(predictor.predict, predictor.class_names)
        self.draw_pad.set_explainer(getattr(predictor, "saliency", None))

    # == messages ================================================================================
    def report_error(self, title: str, message: str, details: str = "") -> None:
        """Show an error without blocking (recorded in :attr:`errors`)."""
        self.errors.append((title, message, details))
        self.statusBar().showMessage(f"{title}: {message}", 10_000)
        if not self.closing:
            self.error_sink(title, message, details)

    def _show_error_dialog(self, title: str, message: str, details: str) -> None:
        ErrorDialog(title, message, details, self).show()

    def message(self, title: str, text: str) -> None:
        """A non-modal information box."""
        box = QMessageBox(
            QMessageBox.Icon.Information, title, text, QMessageBox.StandardButton.Close, self
        )
        box.setModal(False)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.show()

    def show_help(self) -> None:
        """A short 'what am I looking at' page for every panel."""
        self.message("What am I looking at?", help_html())

    # == closing =================================================================================
    def shutdown(self, timeout_ms: int = 60_000) -> None:
        """Stop the run and wait for every worker thread of this window to finish."""
        self.closing = True
        self.session.shutdown(timeout_ms)
        self.tasks.shutdown(timeout_ms)
        self.pacer.cancel()
        self.pad_follower.cancel()

    def closeEvent(self, event: QCloseEvent) -> None:
        """Save settings, stop training cleanly, then close."""
        save_window_settings(self)
        self.shutdown()
        super().closeEvent(event)

    def showEvent(self, event: QShowEvent) -> None:
        """On the first show without a saved layout, size the side columns to the window."""
        super().showEvent(event)
        if not self._layout_restored:
            self._layout_restored = True
            self.fit_docks()

    def fit_docks(self) -> None:
        """Give the controls and the right column widths that suit the window's size."""
        fit_docks(self)

    def sizeHint(self) -> QSize:
        """A laptop-friendly default size."""
        return QSize(1366, 820)
