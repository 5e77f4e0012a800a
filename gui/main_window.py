"""The main window: assembles the panels, owns the training worker, and wires events to views.

Data flows one way: controls -> knobs -> trainer (on a worker thread) -> events -> buffers ->
one throttled repaint (at most 12 per second). TensorFlow is imported on a worker thread when the
window opens; nothing here imports it at module level.
"""

from __future__ import annotations

import contextlib
import importlib
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSize, Qt, QThread, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from core import tf_import
from core.data.dataset import Dataset
from core.events import (
    EvalMetrics,
    KnobChanged,
    RunFailed,
    RunFinished,
    RunPaused,
    RunStarted,
    StepMetrics,
    WeightSnapshot,
)
from gui import style
from gui.help_text import PANEL_HELP, RUNS_HELP, help_html
from gui.opened_run import OpenedRun, fill_curves, read_run
from gui.panels.confusion import ConfusionPanel
from gui.panels.controls import ControlsPanel
from gui.panels.curves import CurvesPanel, marker_text
from gui.panels.draw_pad import DrawPad
from gui.panels.log_panel import LogPanel
from gui.panels.misclassified import MisclassifiedPanel
from gui.panels.runs_dialog import RunsDialog, can_resume, default_lister, menu_text
from gui.panels.samples import SamplesPanel
from gui.panels.weights import WeightsPanel
from gui.settings import AppSettings
from gui.status import Banner, ErrorDialog, StatusFields
from gui.throttle import Throttle
from gui.worker import GeneratorWorker, TaskWorker, worker_finished

pg.setConfigOptions(imageAxisOrder="row-major", antialias=True)

# At most 12 repaints per second: smooth curves, and the CPU left to training (on 2 cores every
# millisecond the GUI thread paints is taken from TensorFlow's threads; see bench/gui_live.py).
PAINT_INTERVAL_MS = 83
# Slower parts of a repaint, at most this often: the status bar's numbers (4 times a second is
# readable; each change relays the bar out) and the weight mosaic (a fresh colour image each time).
STATUS_INTERVAL_S = 0.25
WEIGHTS_INTERVAL_S = 0.2
RECENT_RUNS = 10  # runs in File > Recent runs
TF_MODULES = ("core.training.trainer", "core.inference")
Loader = Callable[..., Dataset]
ErrorSink = Callable[[str, str, str], None]
ProgressFn = Callable[[int, int, str], None]


def default_loader(
    spec: str, *, download: bool = False, progress: ProgressFn | None = None
) -> Dataset:
    """Load ``spec`` with :func:`core.data.registry.load_dataset` (cached after the first time)."""
    from core.data.registry import load_dataset

    return load_dataset(spec, download=download, progress=progress)


def default_trainer_factory(config: Any, dataset: Dataset) -> Any:
    """Build a :class:`core.training.trainer.Trainer` (call it on a worker thread)."""
    from core.training.trainer import Trainer

    return Trainer(config, dataset)


def default_resume_factory(run_dir: str | Path, dataset: Dataset) -> Any:
    """Resume a run with :meth:`core.training.trainer.Trainer.from_run` (on a worker thread)."""
    from core.training.trainer import Trainer

    return Trainer.from_run(run_dir, dataset)


def run_cadence(steps: int) -> dict[str, int]:
    """Evaluation, snapshot and chunk sizes for a run of ``steps`` steps.

    A validation pass over the whole split costs about as much as dozens of training steps, so
    evaluations come every ~10% of the run but at least every 100 steps (the headless CLI's
    default), and weight snapshots twice as often (at least every 50 steps): lively curves at
    about the headless speed (nn1024-l2, 2000 steps: 93 steps/s in the window, 96 headless).
    A compiled call runs at most ``steps // 50`` steps (a short run still draws 50 points) and
    about 50 ms of work (see :class:`core.training.batches.ChunkSizer`), so Stop, Pause and
    closing the window answer quickly whatever the model.
    """
    return {
        "eval_every": int(np.clip(steps // 10, 5, 100)),
        "snapshot_every": int(np.clip(steps // 20, 5, 50)),
        "steps_per_call": int(np.clip(steps // 50, 2, 50)),
    }


@dataclass(frozen=True)
class TrainerReady:
    """First item of the worker's stream: the trainer and its pad predictor.

    Both are built, and the predictor traced, on the worker thread.
    """

    trainer: Any
    predictor: Any = None


def trainer_ready(trainer: Any) -> TrainerReady:
    """:class:`TrainerReady` for ``trainer``; call it on the worker thread.

    Building the predictor traces it (~50 ms, longer while a run trains): here, not at the
    first stroke on the GUI thread.
    """
    return TrainerReady(trainer, trainer.predictor())


def lesson_lines(step: int, loss: float, accuracy: float, valid: float) -> list[str]:
    """The notebook's three log lines for an evaluation point."""
    return [
        f"Minibatch loss at step {step}: {loss:.6f}",
        f"Minibatch accuracy: {100 * accuracy:.1f}%",
        f"Validation accuracy: {100 * valid:.1f}%",
    ]


class MainWindow(QMainWindow):
    """Glyph Lab's window.

    Parameters
    ----------
    loader:
        ``loader(spec, download=bool, progress=fn) -> Dataset``; called on a worker thread.
        Defaults to :func:`default_loader`; tests inject a tiny dataset.
    settings:
        Persistent settings; tests pass one stored in a temporary file.
    error_sink:
        ``error_sink(title, message, details)`` shows an error; by default a non-modal
        :class:`~gui.status.ErrorDialog`.
    trainer_factory:
        ``factory(config, dataset) -> Trainer``; called on the worker thread.
    resume_factory:
        ``factory(run_dir, dataset) -> Trainer`` resuming a saved run; called on the worker
        thread (default :func:`default_resume_factory`).
    runs_lister:
        Returns the past runs (:class:`core.runs.listing.RunInfo`), newest first, for
        *File > Recent runs* (default: the user's runs folder).
    load_on_start:
        Load the last dataset (and import TensorFlow) as soon as the window exists.
    """

    def __init__(
        self,
        *,
        loader: Loader | None = None,
        settings: AppSettings | None = None,
        error_sink: ErrorSink | None = None,
        trainer_factory: Callable[[Any, Dataset], Any] | None = None,
        resume_factory: Callable[[str | Path, Dataset], Any] | None = None,
        runs_lister: Callable[[], list[Any]] | None = None,
        load_on_start: bool = True,
    ) -> None:
        super().__init__()
        self.setWindowTitle("Glyph Lab")
        self.setWindowIcon(style.icon("app"))
        self.loader = loader or default_loader
        self.settings = settings or AppSettings()
        self.error_sink = error_sink or self._show_error_dialog
        self.trainer_factory = trainer_factory or default_trainer_factory
        self.resume_factory = resume_factory or default_resume_factory
        self.runs_lister = runs_lister or default_lister
        self.runs_dialog: RunsDialog | None = None
        self.run_dir: str | None = None
        self.opened_run: OpenedRun | None = None
        self.run_overrides: dict[str, Any] = {}
        self.dataset: Dataset | None = None
        self.trainer: Any = None
        self.worker: GeneratorWorker | None = None
        self.tasks: list[TaskWorker] = []
        self.predictor: Any = None
        self.last_finished: RunFinished | None = None
        self.last_failed: RunFailed | None = None
        self.errors: list[tuple[str, str, str]] = []
        self.tf_ready = False
        self._tf_loading = False  # an import task is under way: Start waits for it
        self._start_pending = False
        self._total_steps = 0
        self._last_step: StepMetrics | None = None
        self._pending_knobs: dict[str, float] = {}
        self._load_token = 0
        self._frames: deque[float] = deque(maxlen=60)
        self._closing = False
        self._active = False
        self.run_paused = False
        self._status_dirty = False
        self._status_at = 0.0  # perf_counter of the last status-bar update
        self._weights_at = 0.0  # ... and of the last weight-mosaic drawing
        self._late_paint = False  # a repaint for skipped parts is scheduled

        self._build_panels()
        self._build_docks()
        self._build_menus()
        self.statusBar().setSizeGripEnabled(True)
        self.status = StatusFields(self.statusBar())
        self._request_paint = Throttle(self._paint, PAINT_INTERVAL_MS, self)
        self._restore_settings()
        self._set_running(False)
        if load_on_start:
            self.import_tensorflow()
            self.load_dataset(self.controls.dataset_spec())

    # == construction ============================================================================
    def _build_panels(self) -> None:
        self.controls = ControlsPanel()
        self.curves = CurvesPanel()
        self.weights = WeightsPanel()
        self.draw_pad = DrawPad()
        self.samples = SamplesPanel()
        self.confusion = ConfusionPanel()
        self.misclassified = MisclassifiedPanel()
        self.log = LogPanel()
        self.banner = Banner()

        c = self.controls
        c.start_requested.connect(self.start_training)
        c.pause_requested.connect(self.toggle_pause)
        c.stop_requested.connect(self.stop_training)
        c.reset_requested.connect(self.reset)
        c.knob_changed.connect(self.set_knob)
        c.dataset_selected.connect(lambda spec, dl: self.load_dataset(spec, download=dl))
        c.open_file_requested.connect(self.open_dataset_file)
        c.restrict.toggled.connect(self.curves.set_restricted)

        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.curves, style.icon("curves"), "Curves")
        self.tabs.addTab(self.samples, "Samples")
        self.tabs.addTab(self.confusion, "Confusion")
        self.tabs.addTab(self.misclassified, "Misclassified")
        self.tabs.addTab(self.log, "Log")
        for i, key in enumerate(("curves", "samples", "confusion", "misclassified", "log")):
            self.tabs.setTabToolTip(i, PANEL_HELP[key][1])
        centre = QWidget()
        layout = QVBoxLayout(centre)
        layout.setContentsMargins(4, 4, 4, 0)
        layout.setSpacing(4)
        layout.addWidget(self.banner)
        layout.addWidget(self.tabs, 1)
        self.setCentralWidget(centre)

    def _dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea, name: str) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetClosable
            | QDockWidget.DockWidgetFeature.DockWidgetMovable
        )
        self.addDockWidget(area, dock)
        return dock

    def _build_docks(self) -> None:
        scroll = QScrollArea()
        scroll.setWidget(self.controls)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setMinimumWidth(self.controls.minimumSizeHint().width() + 16)
        left, right = Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea
        self.controls_dock = self._dock("Controls", scroll, left, "controlsDock")
        self.weights_dock = self._dock("Weights", self.weights, right, "weightsDock")
        self.draw_dock = self._dock("Draw a character", self.draw_pad, right, "drawDock")
        self.splitDockWidget(self.weights_dock, self.draw_dock, Qt.Orientation.Vertical)
        self.resizeDocks([self.weights_dock, self.draw_dock], [45, 55], Qt.Orientation.Vertical)
        self.resizeDocks(
            [self.controls_dock, self.weights_dock], [300, 380], Qt.Orientation.Horizontal
        )
        self.weights_dock.setToolTip(PANEL_HELP["weights"][1])
        self.draw_dock.setToolTip(PANEL_HELP["draw"][1])

    def _action(
        self, text: str, slot: Callable[[], object], shortcuts: tuple[str, ...] = (), tip: str = ""
    ) -> QAction:
        action = QAction(text, self)
        if shortcuts:
            action.setShortcuts([QKeySequence(s) for s in shortcuts])
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        if tip:
            action.setStatusTip(tip)
            action.setToolTip(tip)
        action.triggered.connect(lambda _checked=False: slot())
        self.addAction(action)
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self.open_action = self._action("&Open dataset…", self.open_dataset_file, ("Ctrl+O",))
        self.load_model_action = self._action(
            "&Load model…",
            self.load_model_dialog,
            ("Ctrl+L",),
            "Load a saved model for the draw pad",
        )
        self.save_model_action = self._action(
            "&Save model…",
            self.save_model_dialog,
            ("Ctrl+S",),
            "Save the trained model to a folder",
        )
        self.export_png_action = self._action(
            "Export curves as &PNG…", lambda: self.export_curves_dialog("png")
        )
        self.export_csv_action = self._action(
            "Export curves as &CSV…", lambda: self.export_curves_dialog("csv")
        )
        quit_action = self._action("&Quit", self.close, ("Ctrl+Q",))
        self.runs_action = self._action(
            "R&uns…", self.show_runs_dialog, ("Ctrl+Shift+R",), RUNS_HELP
        )
        for a in (
            self.open_action,
            self.load_model_action,
            self.save_model_action,
            None,
            "recent",
            self.runs_action,
            None,
            self.export_png_action,
            self.export_csv_action,
            None,
            quit_action,
        ):
            if a is None:
                file_menu.addSeparator()
            elif a == "recent":
                self.recent_menu = file_menu.addMenu("&Recent runs")
                self.recent_menu.setToolTipsVisible(True)
                self.recent_menu.aboutToShow.connect(self.fill_recent_menu)
            else:
                file_menu.addAction(a)

        run_menu = bar.addMenu("&Run")
        self.start_action = self._action(
            "Start / Pause", self.start_or_pause, ("Space",), "Start training, or pause / resume it"
        )
        self.stop_action = self._action(
            "Stop", self.stop_training, ("Esc", "Ctrl+."), "Stop training"
        )
        self.reset_action = self._action(
            "Reset", self.reset, ("Ctrl+R",), "Clear the curves and restore the preset's values"
        )
        for a in (self.start_action, self.stop_action, self.reset_action):
            run_menu.addAction(a)

        view_menu = bar.addMenu("&View")
        for dock in (self.controls_dock, self.weights_dock, self.draw_dock):
            view_menu.addAction(dock.toggleViewAction())

        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self._action("What am I looking at?", self.show_help, ("F1",)))
        for key, (title, text) in PANEL_HELP.items():
            help_menu.addAction(self._action(title, lambda t=title, x=text: self._message(t, x)))
            del key

    # == settings ================================================================================
    def _restore_settings(self) -> None:
        s = self.settings
        self.controls.set_dataset_spec(s.dataset)
        with contextlib.suppress(KeyError):
            self.controls.select_preset(s.preset)
        self.controls.set_values(s.knobs)
        self._layout_restored = s.restore_window(self)
        if not self._layout_restored:
            self.resize(1366, 820)

    def save_settings(self) -> None:
        """Remember geometry, dataset, preset and knob values."""
        values = self.controls.values()
        self.settings.dataset = values.pop("dataset")
        self.settings.preset = values.pop("preset")
        self.settings.knobs = values
        self.settings.save_window(self)
        self.settings.sync()

    # == background tasks ========================================================================
    def _task(
        self,
        fn: Callable[[ProgressFn], Any],
        on_result: Callable[[Any], None],
        on_error: Callable[[str, str], None] | None = None,
        on_progress: Callable[[int, int, str], None] | None = None,
    ) -> TaskWorker:
        task = TaskWorker(fn)
        task.result.connect(on_result)
        task.failed.connect(on_error or (lambda m, d: self.report_error("Error", m, d)))
        if on_progress is not None:
            task.progress.connect(on_progress)
        task.finished.connect(self._prune_tasks)
        self.tasks.append(task)
        task.start_work()
        return task

    def _prune_tasks(self) -> None:
        if isinstance(self.sender(), QThread):
            worker_finished(self.sender())
        self.tasks = [t for t in self.tasks if not t.isFinished()]

    def import_tensorflow(self) -> None:
        """Import TensorFlow (and the trainer) on a worker thread (once, however often asked).

        A second import thread beside the first deadlocks Python's module locks now and then
        (``_DeadlockError`` inside TensorFlow), so a call while one is under way only waits.
        """
        if self.tf_ready or self._tf_loading:
            return
        self._tf_loading = True
        self.status.set_busy("Loading TensorFlow…")

        def work(_progress: ProgressFn) -> bool:
            tf_import.import_tensorflow(quiet=False)  # stderr left alone: other threads write
            for name in TF_MODULES:
                importlib.import_module(name)
            return True

        def failed(message: str, details: str) -> None:
            self._tf_loading = False
            self.status.set_busy(None)
            self.report_error("TensorFlow could not be loaded", message, details)

        self._task(work, self._tf_loaded, failed)

    def _tf_loaded(self, _ok: object) -> None:
        self.tf_ready = True
        self._tf_loading = False
        self.status.set_busy(None)
        self.statusBar().showMessage("TensorFlow ready", 3000)
        if self._start_pending:
            self._start_pending = False
            self.start_training()

    def load_dataset(self, spec: str, *, download: bool = False) -> None:
        """Load dataset ``spec`` on a worker thread, showing progress in the controls."""
        if self.running or not spec:
            return
        self._load_token += 1
        token = self._load_token
        self.controls.set_dataset_spec(spec)
        self.controls.set_data_status(f"Loading {spec}…", ready=False)
        self.controls.set_loading(f"Loading {spec}…")
        loader = self.loader

        def work(progress: ProgressFn) -> Dataset:
            return loader(spec, download=download, progress=progress)

        def progress(done: int, total: int, message: str) -> None:
            if token == self._load_token:
                self.controls.set_loading(message or f"Loading {spec}…", done, total)

        def failed(message: str, details: str) -> None:
            if token != self._load_token:
                return
            self.controls.set_data_status(f"Could not load {spec}: {message}", ready=False)
            self.banner.show_message(
                f"Could not load the dataset <b>{spec}</b>: {message}"
                + ("" if download else "<br>Use a Download button to fetch it."),
                "warning",
            )

        def done(ds: Dataset) -> None:
            if token == self._load_token:
                self.set_dataset(ds, spec)

        self._task(work, done, failed, progress)

    def set_dataset(self, ds: Dataset, spec: str | None = None) -> None:
        """Use ``ds`` for the next runs and show it in the samples tab and status bar."""
        self.dataset = ds
        if spec:
            self.controls.set_dataset_spec(spec)
        self.controls.set_data_status(
            f"{ds.name}: {len(ds.train_x):,} train · {len(ds.valid_x):,} valid · "
            f"{len(ds.test_x):,} test",
            ready=True,
        )
        self.status.set_provenance(ds.provenance.description)
        self.banner.hide()
        try:
            from core.data.report import format_report

            report = format_report(ds)
        except Exception as exc:  # a report problem must not block training
            report = f"{ds.provenance.description}\n(report unavailable: {exc})"
        self.samples.set_dataset(
            {s: ds.split(s) for s in ("train", "valid", "test")}, ds.class_names, report
        )
        if self.predictor is None:
            self.draw_pad.set_classifier(None, ds.class_names)

    def open_dataset_file(self) -> None:
        """Ask for a dataset file or folder and load it."""
        path, _ = QFileDialog.getOpenFileName(
            self,
            "Open a dataset",
            str(Path.home()),
            "Datasets (*.npz *.gz *.tar.gz *.pickle *-ubyte);;All files (*)",
        )
        if path:
            self.controls.add_spec(path, path)
            self.load_dataset(path)

    # == training ================================================================================
    @property
    def running(self) -> bool:
        """True while a training worker is running."""
        return self._active

    def start_or_pause(self) -> None:
        """Space: start when idle, pause or resume when running."""
        if self.running:
            self.toggle_pause()
        else:
            self.start_training()

    def make_config(self) -> Any:
        """The TrainConfig the controls describe (validated against the loaded dataset)."""
        from core.training.config import TrainConfig

        v = self.controls.values()
        preset = v.pop("preset")
        # every run writes its own folder in core.paths.runs_dir(); run_overrides (tests,
        # scripts) may change any setting, the controls' values included
        settings = {
            **v,
            **run_cadence(v["steps"]),
            "save": True,
            "run_dir": None,
            **self.run_overrides,
        }
        cfg = TrainConfig.from_preset(preset, **settings)
        cfg.validate(train_size=len(self.dataset.train_x) if self.dataset else None)
        return cfg

    def start_training(self) -> None:
        """Start a run with the controls' settings (once TensorFlow and the data are ready)."""
        if self.running or self.dataset is None:
            return
        try:
            cfg = self.make_config()
        except (ValueError, KeyError, TypeError) as exc:
            self.banner.show_message(f"Cannot start: {exc}", "warning")
            return
        if not self.tf_ready:
            self._start_pending = True
            self.statusBar().showMessage("Starting as soon as TensorFlow has loaded…")
            self.import_tensorflow()
            return
        self.curves.start_run(cfg.steps, restricted=cfg.restrict_batches > 0)
        self.log.append(
            f"--- {cfg.preset} on {self.dataset.name}: {cfg.steps} steps, batch "
            f"{cfg.batch_size}, learning rate {cfg.learning_rate:g}, L2 {cfg.l2:g}, "
            f"dropout {cfg.dropout:g}"
            + (f", restricted to {cfg.restrict_batches} batches" if cfg.restrict_batches else "")
            + " ---"
        )
        dataset, factory = self.dataset, self.trainer_factory

        def stream() -> Any:
            trainer = factory(cfg, dataset)
            yield trainer_ready(trainer)
            yield from trainer.run()

        self._launch(stream, cfg.steps)

    def _launch(self, stream: Callable[[], Any], total_steps: int) -> None:
        """Run the event stream ``stream()`` on a new worker thread with live panels."""
        self.banner.hide()
        self.last_finished = self.last_failed = None
        self.opened_run = None
        self.run_dir = None
        self.trainer = None  # the new run's arrives in TrainerReady (Stop before it cancels)
        self._last_step = None
        self._pending_knobs.clear()
        self._total_steps = total_steps
        worker = GeneratorWorker(stream)
        worker.event.connect(self._on_event)
        worker.failed.connect(self._on_worker_failed)
        worker.finished.connect(self._on_worker_finished)
        self.worker = worker
        self._active = True
        self._set_running(True)
        self.statusBar().showMessage("Building the model…")
        worker.start_work()

    def resume_run(self, run_dir: str | Path) -> TaskWorker | None:
        """Continue an interrupted or stopped run from its last checkpoint, with live panels.

        Its dataset is loaded with the window's loader and its history shown on a worker
        thread; then :attr:`resume_factory` (``Trainer.from_run``) continues it on another.
        """
        if self.running:
            self.banner.show_message("Stop the current run before resuming another.", "warning")
            return None
        loader, path = self.loader, str(run_dir)

        def work(progress: ProgressFn) -> tuple[OpenedRun, Dataset]:
            opened = read_run(path, with_model=False)
            if not can_resume(opened.info):
                raise ValueError(
                    f"run {opened.info.id} is {opened.info.status} and cannot be resumed"
                )
            return opened, loader(opened.dataset_spec, download=False, progress=progress)

        def done(result: tuple[OpenedRun, Dataset]) -> None:
            if self.running or self._closing:
                return
            opened, dataset = result
            self._start_resumed(opened, dataset)

        self.statusBar().showMessage(f"Loading run {Path(path).name}…")
        return self._task(
            work, done, lambda m, d: self.report_error("Could not resume the run", m, d)
        )

    def _start_resumed(self, opened: OpenedRun, dataset: Dataset) -> None:
        if self.dataset is not dataset:
            self.set_dataset(dataset, opened.dataset_spec)
        self.controls.set_values(opened.control_values)
        fill_curves(self.curves, opened)
        info, path, factory = opened.info, str(opened.info.path), self.resume_factory
        self.log.append(
            f"--- resuming {info.id} ({info.preset} on {info.dataset}) at step "
            f"{info.steps_done} of {info.total_steps} ---"
        )

        def stream() -> Any:
            trainer = factory(path, dataset)
            yield trainer_ready(trainer)
            yield from trainer.run()

        self._launch(stream, info.total_steps)

    def toggle_pause(self) -> None:
        """Pause a running run, or resume a paused one."""
        if self.trainer is None or not self.running:
            return
        if self.trainer.paused:
            self.trainer.resume()
        else:
            self.trainer.pause()
        self._set_running(True, self.trainer.paused)

    def stop_training(self) -> None:
        """Stop the run after its current chunk of steps (the test split is still evaluated)."""
        if not self.running:
            return
        if self.trainer is not None:
            self.trainer.stop()
        else:
            self.worker.cancel()
        self.statusBar().showMessage("Stopping…")

    def reset(self) -> None:
        """Stop any run, clear curves, weights and log, and restore the preset's values."""
        if self.running:
            self.stop_training()
            self.worker.cancel()
        self.curves.clear()
        self.weights.clear()
        self.log.clear()
        self.banner.hide()
        self.controls.select_preset(self.controls.preset_name())
        self._request_paint()

    def set_knob(self, name: str, value: float) -> None:
        """A live knob moved: forward it to the running trainer (thread-safe)."""
        if not self.running:
            return
        if self.trainer is None:
            self._pending_knobs[name] = value
            return
        try:
            self.trainer.set_knob(name, value)
        except ValueError as exc:
            self.banner.show_message(str(exc), "warning")

    def _set_running(self, running: bool, paused: bool = False) -> None:
        self.controls.set_run_state(running, paused)
        self.stop_action.setEnabled(running)
        for a in (self.open_action, self.load_model_action):
            a.setEnabled(not running)
        self.save_model_action.setEnabled(
            not running and (self.trainer is not None or self.opened_run is not None)
        )

    # == events from the worker ==================================================================
    def _on_event(self, ev: object) -> None:
        worker = self.sender()
        if worker is not None and (worker is not self.worker or self.worker.cancelled):
            if isinstance(ev, TrainerReady):  # a reset or close cancelled this run
                ev.trainer.stop()
            return
        if isinstance(ev, TrainerReady):
            self._trainer_ready(ev)
        elif isinstance(ev, StepMetrics):
            self._last_step = ev
            self._status_dirty = True
            self.curves.add_step(ev.step, ev.cross_entropy, ev.accuracy)
        elif isinstance(ev, EvalMetrics):
            self._on_eval(ev)
        elif isinstance(ev, WeightSnapshot):
            self.weights.set_snapshot(ev)
        elif isinstance(ev, KnobChanged):
            self.curves.add_marker(ev.step, ev.name, ev.old, ev.new)
            self.log.append(f"Step {ev.step}: {marker_text(ev.name, ev.old, ev.new)}")
        elif isinstance(ev, RunStarted):
            self._total_steps = ev.total_steps
            self.run_dir = ev.run_dir
            self.statusBar().showMessage(
                f"Training… (saved in {ev.run_dir})" if ev.run_dir else "Training…", 4000
            )
        elif isinstance(ev, RunPaused):
            self.run_paused = ev.paused
            self._set_running(True, ev.paused)
            self.statusBar().showMessage("Paused" if ev.paused else "Resumed", 2000)
        elif isinstance(ev, RunFinished):
            self._on_finished(ev)
        elif isinstance(ev, RunFailed):
            self._on_failed(ev)
        self._request_paint()

    def _trainer_ready(self, ready: TrainerReady) -> None:
        self.trainer = trainer = ready.trainer
        for name, value in self._pending_knobs.items():
            self.set_knob(name, value)
        self._pending_knobs.clear()
        if self.worker is not None and self.worker.cancelled:
            trainer.stop()
        self.use_predictor(ready.predictor)

    def _on_eval(self, ev: EvalMetrics) -> None:
        names = self.dataset.class_names if self.dataset else tuple(map(str, range(10)))
        self.curves.add_eval(ev.step, ev.split, ev.loss, ev.accuracy)
        self.confusion.set_confusion(ev.confusion, names, ev.step, ev.split)
        if ev.split == "test":
            self.log.append(f"Test accuracy: {100 * ev.accuracy:.1f}%")
        elif self._last_step is not None:
            s = self._last_step
            self.log.append_lines(lesson_lines(ev.step, s.loss, s.accuracy, ev.accuracy))

    def _on_finished(self, ev: RunFinished) -> None:
        self.last_finished = ev
        word = "Stopped" if ev.stopped else "Finished"
        test = f", test accuracy {100 * ev.test.accuracy:.1f}%" if ev.test else ""
        self.statusBar().showMessage(
            f"{word} after {ev.step:,} steps in {ev.seconds:.1f} s{test}", 10_000
        )
        self._paint(final=True)
        if self._last_step is not None:
            s = self._last_step
            self.status.set_progress(
                ev.step,
                self._total_steps,
                ev.steps_per_second,
                ev.steps_per_second * s.samples_per_second / max(s.steps_per_second, 1e-9),
                ev.seconds,
            )
        if ev.run_dir:
            self.log.append(f"Run saved in {ev.run_dir}")
        self.compute_test_results()

    def _on_failed(self, ev: RunFailed) -> None:
        self.last_failed = ev
        if ev.diverged:
            detail = (
                ev.message.split(": ", 1)[-1] if ev.message.startswith("diverged") else ev.message
            )
            kept = (
                " Its last checkpoint before that stays loadable from File > Recent runs."
                if self.run_dir
                else ""
            )
            self.banner.show_message(
                f"<b>Diverged at step {ev.step}</b>: {detail}. Lower the learning rate and "
                f"start again.{kept}",
                "error",
            )
            self.log.append(f"Diverged at step {ev.step}: {detail}")
        else:
            self.log.append(f"Run failed at step {ev.step}: {ev.message}")
            self.report_error("Training failed", ev.message, ev.details)

    def _on_worker_failed(self, message: str, details: str) -> None:
        self.log.append(f"Run failed: {message}")
        self.report_error("Training failed", message, details)

    def _on_worker_finished(self) -> None:
        if isinstance(self.sender(), QThread):
            worker_finished(self.sender())
        if self.sender() is not None and self.sender() is not self.worker:
            return
        self._active = False
        self._set_running(False)
        self._paint(final=True)

    def compute_test_results(self) -> None:
        """Classify the test split with the trained model on a worker thread."""
        if self.predictor is None or self.dataset is None:
            return
        predictor, ds = self.predictor, self.dataset

        def work(_progress: ProgressFn) -> np.ndarray:
            return predictor.probabilities(ds.test_x)

        def done(probs: np.ndarray) -> None:
            if self.dataset is not ds:
                return
            predicted = probs.argmax(axis=1)
            self.confusion.set_examples(ds.test_x, ds.test_y, predicted)
            self.misclassified.set_results(ds.test_x, ds.test_y, predicted, probs, ds.class_names)

        self._task(work, done)

    # == painting ================================================================================
    def _paint(self, final: bool = False) -> None:
        """The one repaint: draw every buffered change (throttled to <= 12 Hz).

        The status bar and the weight mosaic are drawn at most every ``STATUS_INTERVAL_S`` and
        ``WEIGHTS_INTERVAL_S`` (always when ``final``, at the end of a run); a part skipped for
        that gets a repaint of its own once it is due, so nothing stays stale while paused.
        """
        self.curves.flush()
        now = time.perf_counter()
        self._frames.append(now)
        due: list[float] = []  # seconds until a part skipped here may be drawn
        if self.weights.dirty:
            wait = 0.0 if final else WEIGHTS_INTERVAL_S - (now - self._weights_at)
            if wait <= 0:
                self.weights.flush()
                self._weights_at = now
            else:
                due.append(wait)
        wait = 0.0 if final else STATUS_INTERVAL_S - (now - self._status_at)
        if wait <= 0:
            self._status_at = now
            self._paint_status(now)
        elif self._status_dirty:
            due.append(wait)
        if due and not self._late_paint:
            self._late_paint = True
            QTimer.singleShot(int(1000 * min(due)) + 1, self, self._paint_late)

    def _paint_late(self) -> None:
        """A repaint for the parts that :meth:`_paint` skipped as not yet due."""
        self._late_paint = False
        self._request_paint()

    def _paint_status(self, now: float) -> None:
        """The status bar's progress numbers and the repaint rate."""
        if self._status_dirty and self._last_step is not None:
            ev = self._last_step
            self.status.set_progress(
                ev.step + 1,
                self._total_steps,
                ev.steps_per_second,
                ev.samples_per_second,
                ev.elapsed,
            )
        self._status_dirty = False
        recent = [t for t in self._frames if now - t <= 1.0]
        self.status.set_fps(len(recent) / max(now - recent[0], 1e-3) if len(recent) > 1 else 0)

    # == models ==================================================================================
    def use_predictor(self, predictor: Any) -> None:
        """Classify drawings with ``predictor`` (a :class:`core.inference.Predictor`)."""
        self.predictor = predictor
        self.draw_pad.set_classifier(predictor.predict, predictor.class_names)

    def load_model(self, run_dir: str | Path) -> TaskWorker:
        """Load a saved model on a worker thread and use it for the draw pad."""

        def work(_progress: ProgressFn) -> Any:
            from core.inference import load_predictor

            return load_predictor(run_dir)

        def done(predictor: Any) -> None:
            self.use_predictor(predictor)
            self.statusBar().showMessage(f"Loaded model from {run_dir}", 5000)

        return self._task(
            work, done, lambda m, d: self.report_error("Could not load the model", m, d)
        )

    def load_model_dialog(self) -> None:
        """Ask for a saved run folder and load its model."""
        path = QFileDialog.getExistingDirectory(self, "Load a saved model (run folder)")
        if path:
            self.load_model(path)

    # == past runs ==============================================================================
    def fill_recent_menu(self) -> None:
        """Fill *File > Recent runs* with the last :data:`RECENT_RUNS` runs."""
        menu = self.recent_menu
        menu.clear()
        try:
            runs = list(self.runs_lister())[:RECENT_RUNS]
        except OSError as exc:
            runs = []
            self.statusBar().showMessage(f"The runs folder could not be read: {exc}", 5000)
        for info in runs:
            action = menu.addAction(menu_text(info))
            action.setToolTip(f"{info.id}\n{info.message}" if info.message else info.id)
            action.setEnabled(info.status != "running" and not self.running)
            action.triggered.connect(lambda _c=False, p=str(info.path): self.open_run(p))
        if not runs:
            menu.addAction("(no runs yet)").setEnabled(False)
        menu.addSeparator()
        menu.addAction(self.runs_action)

    def show_runs_dialog(self) -> RunsDialog:
        """Show the (non-modal) table of past runs, with Open and Resume."""
        dialog = self.runs_dialog
        if dialog is None:
            dialog = RunsDialog(self.runs_lister, self)
            dialog.open_requested.connect(self.open_run)
            dialog.resume_requested.connect(self._resume_from_dialog)
            self.runs_dialog = dialog
        else:
            dialog.refresh()
        if dialog.isVisible():
            dialog.raise_()
        dialog.show()
        return dialog

    def _resume_from_dialog(self, path: str) -> None:
        if self.runs_dialog is not None:
            self.runs_dialog.hide()
        self.resume_run(path)

    def open_run(self, run_dir: str | Path) -> TaskWorker | None:
        """Show a past run: its curves, its last weights, and its model in the draw pad.

        Everything is read (and the model loaded) on a worker thread; None while training.
        """
        if self.running:
            self.banner.show_message("Stop the current run before opening another.", "warning")
            return None
        path = str(run_dir)

        def work(_progress: ProgressFn) -> OpenedRun:
            return read_run(path)

        def done(opened: OpenedRun) -> None:
            if not self.running and not self._closing:
                self.show_opened_run(opened)

        self.statusBar().showMessage(f"Opening run {Path(path).name}…")
        return self._task(
            work, done, lambda m, d: self.report_error("Could not open the run", m, d)
        )

    def show_opened_run(self, opened: OpenedRun) -> None:
        """Put an opened run's curves, weights and model into the window (GUI thread)."""
        info = opened.info
        self.opened_run = opened
        fill_curves(self.curves, opened)
        self.controls.set_values(opened.control_values)  # Start repeats the experiment
        self.weights.clear()
        if opened.snapshot is not None:
            self.weights.set_snapshot(opened.snapshot)
        if opened.predictor is not None:
            self.use_predictor(opened.predictor)
        best = (
            ""
            if info.best_valid_accuracy is None
            else f", best validation accuracy {100 * info.best_valid_accuracy:.1f}%"
        )
        self.log.append(
            f"--- opened {info.id}: {info.preset} on {info.dataset}, {info.status} "
            f"after {info.steps_done:,} of {info.total_steps:,} steps{best} ---"
        )
        if opened.problems:
            self.banner.show_message(
                "Part of the run could not be read: " + "; ".join(opened.problems), "warning"
            )
        elif info.status in ("diverged", "failed") and info.message:
            self.banner.show_message(f"This run {info.status}: {info.message}", "info")
        else:
            self.banner.hide()
        self.statusBar().showMessage(f"Opened run {info.id} ({info.status})", 5000)
        self._set_running(False)
        self._request_paint()

    def save_model(self, folder: str | Path) -> TaskWorker | None:
        """Save the model shown to ``folder`` (on a worker thread).

        The last trained model with its settings and history, or, after opening a past run from
        *Recent runs*, a copy of that run's folder.
        """
        if self.running:
            return None
        if self.opened_run is not None:
            source = Path(self.opened_run.info.path)

            def copy(_progress: ProgressFn) -> str:
                import shutil

                shutil.copytree(source, folder, dirs_exist_ok=True)
                return str(folder)

            return self._task(
                copy,
                lambda p: self.statusBar().showMessage(f"Saved to {p}", 5000),
                lambda m, d: self.report_error("Could not save the model", m, d),
            )
        trainer = self.trainer
        if trainer is None:
            return None
        seconds = self.last_finished.seconds if self.last_finished else 0.0

        def work(_progress: ProgressFn) -> str:
            from core.training.run_store import save_run

            return str(save_run(trainer, trainer.final_metrics(trainer.last_test), seconds, folder))

        return self._task(
            work,
            lambda p: self.statusBar().showMessage(f"Saved to {p}", 5000),
            lambda m, d: self.report_error("Could not save the model", m, d),
        )

    def save_model_dialog(self) -> None:
        """Ask for a folder and save the trained model there."""
        path = QFileDialog.getExistingDirectory(self, "Save the model into a folder")
        if path:
            self.save_model(path)

    def export_curves_dialog(self, kind: str) -> None:
        """Ask for a file name and export the curves as PNG or CSV."""
        path, _ = QFileDialog.getSaveFileName(
            self, f"Export curves as {kind.upper()}", f"curves.{kind}", f"{kind.upper()} (*.{kind})"
        )
        if not path:
            return
        try:
            (self.curves.export_png if kind == "png" else self.curves.export_csv)(path)
        except OSError as exc:
            self.report_error("Could not export the curves", str(exc), "")

    # == messages ================================================================================
    def report_error(self, title: str, message: str, details: str = "") -> None:
        """Show an error without blocking (recorded in :attr:`errors`)."""
        self.errors.append((title, message, details))
        self.statusBar().showMessage(f"{title}: {message}", 10_000)
        if not self._closing:
            self.error_sink(title, message, details)

    def _show_error_dialog(self, title: str, message: str, details: str) -> None:
        dialog = ErrorDialog(title, message, details, self)
        dialog.show()

    def _message(self, title: str, text: str) -> None:
        box = QMessageBox(
            QMessageBox.Icon.Information, title, text, QMessageBox.StandardButton.Close, self
        )
        box.setModal(False)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.show()

    def show_help(self) -> None:
        """A short 'what am I looking at' page for every panel."""
        self._message("What am I looking at?", help_html())

    # == closing =================================================================================
    def shutdown(self, timeout_ms: int = 60_000) -> None:
        """Stop the run and wait for every worker thread of this window to finish."""
        self._closing = True
        if self.trainer is not None:
            self.trainer.stop()
        if self.worker is not None:
            self.worker.cancel()
            self.worker.wait(timeout_ms)
        for task in list(self.tasks):
            task.cancel()
            task.wait(timeout_ms)
        self._request_paint.cancel()

    def closeEvent(self, event: QCloseEvent) -> None:
        """Save settings, stop training cleanly, then close."""
        self.save_settings()
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
        w = self.width()
        self.resizeDocks(
            [self.controls_dock, self.weights_dock],
            [max(300, int(w * 0.19)), max(380, int(w * 0.27))],
            Qt.Orientation.Horizontal,
        )

    def sizeHint(self) -> QSize:
        """A laptop-friendly default size."""
        return QSize(1366, 820)
