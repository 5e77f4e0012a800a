"""Past runs and saved models in the window: open, resume, recent runs, save, load, export.

Everything slow (reading a run, loading its model and dataset, copying a folder) runs on a
worker thread through the window's :class:`~gui.tasks.TaskRunner`.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QFileDialog

from core.data.dataset import Dataset
from gui.opened_run import OpenedRun, fill_curves, read_run
from gui.panels.runs_dialog import CLOSED_STATES, RunsDialog, can_resume, menu_text
from gui.tasks import ProgressFn
from gui.worker import TaskWorker

if TYPE_CHECKING:
    from gui.main_window import MainWindow

RECENT_RUNS = 10  # runs in File > Recent runs


class RunHandling(QObject):
    """The window's past-run and model actions."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.w = window
        self.runs_dialog: RunsDialog | None = None

    # -- listing ----------------------------------------------------------------------------------
    def fill_recent_menu(self) -> None:
        """Fill *File > Recent runs* with the last :data:`RECENT_RUNS` runs."""
        w = self.w
        menu = w.menus.recent
        menu.clear()
        try:
            runs = list(w.runs_lister())[:RECENT_RUNS]
        except OSError as exc:
            runs = []
            w.statusBar().showMessage(f"The runs folder could not be read: {exc}", 5000)
        for info in runs:
            action = menu.addAction(menu_text(info))
            action.setToolTip(f"{info.id}\n{info.message}" if info.message else info.id)
            action.setEnabled(info.status not in CLOSED_STATES and not w.running)
            action.triggered.connect(lambda _c=False, p=str(info.path): self.open_run(p))
        if not runs:
            menu.addAction("(no runs yet)").setEnabled(False)
        menu.addSeparator()
        menu.addAction(w.menus.runs)

    def show_runs_dialog(self) -> RunsDialog:
        """Show the (non-modal) table of past runs, with Open and Resume."""
        dialog = self.runs_dialog
        if dialog is None:
            dialog = RunsDialog(self.w.runs_lister, self.w)
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

    # -- opening ----------------------------------------------------------------------------------
    def open_run(self, run_dir: str | Path) -> TaskWorker | None:
        """Show a past run: its curves, knob markers, last weights, and its model in the pad.

        Everything is read (and the model loaded) on a worker thread; None while training.
        """
        w = self.w
        if w.running:
            w.banner.show_message("Stop the current run before opening another.", "warning")
            return None
        path = str(run_dir)

        def work(_progress: ProgressFn) -> OpenedRun:
            return read_run(path)

        def done(opened: OpenedRun) -> None:
            if not w.running and not w.closing:
                self.show_opened_run(opened)

        w.statusBar().showMessage(f"Opening run {Path(path).name}…")
        return w.tasks.run(work, done, lambda m, d: w.report_error("Could not open the run", m, d))

    def show_opened_run(self, opened: OpenedRun) -> None:
        """Put an opened run's curves, weights and model into the window (GUI thread)."""
        w, info = self.w, opened.info
        w.opened_run = opened
        w.pacer.start_run(info.total_steps)
        fill_curves(w.curves, opened)
        w.controls.set_values(opened.control_values)  # Start repeats the experiment
        w.weights.clear()
        if opened.snapshot is not None:
            w.weights.set_snapshot(opened.snapshot)
        if opened.predictor is not None:
            w.use_predictor(opened.predictor)
        w.status.show_run(info.steps_done, info.total_steps)
        best = (
            ""
            if info.best_valid_accuracy is None
            else f", best validation accuracy {100 * info.best_valid_accuracy:.1f}%"
        )
        changes = len(opened.knob_changes)
        knobs = f", {changes} knob change{'s' * (changes != 1)}" if changes else ""
        w.log.append(
            f"--- opened {info.id}: {info.preset} on {info.dataset}, {info.status} "
            f"after {info.steps_done:,} of {info.total_steps:,} steps{best}{knobs} ---"
        )
        if opened.problems:
            w.banner.show_message(
                "Part of the run could not be read: " + "; ".join(opened.problems), "warning"
            )
        elif info.status in ("diverged", "failed") and info.message:
            w.banner.show_message(f"This run {info.status}: {info.message}", "info")
        else:
            w.banner.hide()
        w.statusBar().showMessage(f"Opened run {info.id} ({info.status})", 5000)
        w.update_actions()
        w.pacer.request()

    # -- resuming ---------------------------------------------------------------------------------
    def resume_run(self, run_dir: str | Path) -> TaskWorker | None:
        """Continue an interrupted or stopped run from its last checkpoint, with live panels.

        Its dataset is loaded with the window's loader and its history read on a worker
        thread; then the session resumes it on another.
        """
        w = self.w
        if w.running:
            w.banner.show_message("Stop the current run before resuming another.", "warning")
            return None
        loader, path = w.loader, str(run_dir)

        def work(progress: ProgressFn) -> tuple[OpenedRun, Dataset]:
            opened = read_run(path, with_model=False)
            if not can_resume(opened.info):
                raise ValueError(
                    f"run {opened.info.id} is {opened.info.status} and cannot be resumed"
                )
            return opened, loader(opened.dataset_spec, download=False, progress=progress)

        def done(result: tuple[OpenedRun, Dataset]) -> None:
            if not w.running and not w.closing:
                self._start_resumed(*result)

        w.statusBar().showMessage(f"Loading run {Path(path).name}…")
        return w.tasks.run(
            work, done, lambda m, d: w.report_error("Could not resume the run", m, d)
        )

    def _start_resumed(self, opened: OpenedRun, dataset: Dataset) -> None:
        w, info = self.w, opened.info
        if w.dataset is not dataset:
            w.set_dataset(dataset, opened.dataset_spec)
        w.controls.set_values(opened.control_values)
        w.opened_run = None
        w.pacer.start_run(info.total_steps)
        fill_curves(w.curves, opened)
        w.log.append(
            f"--- resuming {info.id} ({info.preset} on {info.dataset}) at step "
            f"{info.steps_done} of {info.total_steps} ---"
        )
        w.banner.hide()
        w.session.resume_run(info.path, dataset, info.total_steps)

    # -- models -----------------------------------------------------------------------------------
    def load_model(self, run_dir: str | Path) -> TaskWorker:
        """Load a saved model on a worker thread and use it for the draw pad."""
        w = self.w

        def work(_progress: ProgressFn) -> Any:
            from core.inference import load_predictor

            return load_predictor(run_dir)

        def done(predictor: Any) -> None:
            w.use_predictor(predictor)
            w.statusBar().showMessage(f"Loaded model from {run_dir}", 5000)

        return w.tasks.run(
            work, done, lambda m, d: w.report_error("Could not load the model", m, d)
        )

    def load_model_dialog(self) -> None:
        """Ask for a saved run folder and load its model."""
        path = QFileDialog.getExistingDirectory(self.w, "Load a saved model (run folder)")
        if path:
            self.load_model(path)

    def shown_run_dir(self) -> str | None:
        """The folder of the run the window shows: an opened one, or the last one trained."""
        w = self.w
        if w.opened_run is not None:
            return str(w.opened_run.info.path)
        return w.session.run_dir

    def save_model(self, folder: str | Path) -> TaskWorker | None:
        """Copy the shown run's folder (model, settings, history, checkpoints) to ``folder``."""
        w = self.w
        source = self.shown_run_dir()
        if w.running or source is None:
            return None

        def copy(_progress: ProgressFn) -> str:
            shutil.copytree(
                source,
                folder,
                symlinks=True,
                dirs_exist_ok=True,
                ignore=shutil.ignore_patterns(".lock", ".tmp-*"),
            )
            return str(folder)

        return w.tasks.run(
            copy,
            lambda p: w.statusBar().showMessage(f"Saved to {p}", 5000),
            lambda m, d: w.report_error("Could not save the model", m, d),
        )

    def save_model_dialog(self) -> None:
        """Ask for a folder and save the shown model there."""
        path = QFileDialog.getExistingDirectory(self.w, "Save the model into a folder")
        if path:
            self.save_model(path)

    def export_curves_dialog(self, kind: str) -> None:
        """Ask for a file name and export the curves as PNG or CSV."""
        w = self.w
        path, _ = QFileDialog.getSaveFileName(
            w, f"Export curves as {kind.upper()}", f"curves.{kind}", f"{kind.upper()} (*.{kind})"
        )
        if not path:
            return
        try:
            (w.curves.export_png if kind == "png" else w.curves.export_csv)(path)
        except OSError as exc:
            w.report_error("Could not export the curves", str(exc), "")
