"""The *Runs…* dialog: every past run in a table, with Open and Resume.

The list comes from :func:`core.runs.listing.list_runs` (JSON files only, no TensorFlow), so it
is read on the GUI thread; opening or resuming a run is the window's job (on worker threads).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

if TYPE_CHECKING:
    from core.runs.listing import RunInfo

COLUMNS = ("Run", "Preset", "Dataset", "Status", "Steps", "Best valid", "Date")
STATUS_COLOURS = {
    "finished": "#1b5e20",
    "stopped": "#455a64",
    "interrupted": "#e65100",
    "failed": "#b71c1c",
    "diverged": "#b71c1c",
    "running": "#0d47a1",
}
RESUMABLE_STATES = ("interrupted", "stopped")


CLOSED_STATES = ("running", "unreadable")  # runs that cannot be opened now


def can_resume(info: RunInfo) -> bool:
    """Whether ``info``'s run can be continued: interrupted or stopped, with a checkpoint left."""
    return info.status in RESUMABLE_STATES and info.resumable and info.steps_done < info.total_steps


def run_row(info: RunInfo) -> list[str]:
    """The table's texts for one run, in :data:`COLUMNS` order."""
    best = "" if info.best_valid_accuracy is None else f"{100 * info.best_valid_accuracy:.1f}%"
    return [
        info.id,
        info.preset,
        info.dataset,
        info.status,
        f"{info.steps_done:,} / {info.total_steps:,}",
        best,
        info.started.replace("T", " "),
    ]


def menu_text(info: RunInfo) -> str:
    """One line for the *Recent runs* submenu."""
    best = "" if info.best_valid_accuracy is None else f", {100 * info.best_valid_accuracy:.0f}%"
    return (
        f"{info.started.replace('T', ' ')[:16]}  {info.preset} on {info.dataset} - "
        f"{info.status}, {info.steps_done:,} steps{best}"
    )


def default_lister() -> list[RunInfo]:
    """Every run in the user's runs folder, newest first."""
    from core.runs.listing import list_runs

    return list_runs()


class RunsDialog(QDialog):
    """A non-modal table of past runs.

    Parameters
    ----------
    lister:
        Returns the runs to show, newest first (default: :func:`default_lister`).
    parent:
        Optional Qt parent.

    Signals
    -------
    open_requested(str)
        Show this run folder's curves, weights and model.
    resume_requested(str)
        Continue this (interrupted or stopped) run folder from its last checkpoint.
    """

    open_requested = Signal(str)
    resume_requested = Signal(str)

    def __init__(
        self, lister: Callable[[], list[RunInfo]] | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Runs")
        self.setModal(False)
        self._lister = lister or default_lister
        self.runs: list[RunInfo] = []
        self.note = QLabel("", self)
        self.note.setWordWrap(True)
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.table.cellDoubleClicked.connect(lambda _r, _c: self.open_selected())

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.open_button = QPushButton("Open", self)
        self.open_button.setToolTip(
            "Show the run's curves and weights and use its model in the draw pad"
        )
        self.resume_button = QPushButton("Resume", self)
        self.resume_button.setToolTip(
            "Continue an interrupted or stopped run from its last checkpoint"
        )
        self.refresh_button = QPushButton("Refresh", self)
        for b in (self.open_button, self.resume_button, self.refresh_button):
            buttons.addButton(b, QDialogButtonBox.ButtonRole.ActionRole)
        self.open_button.clicked.connect(self.open_selected)
        self.resume_button.clicked.connect(self.resume_selected)
        self.refresh_button.clicked.connect(self.refresh)
        buttons.rejected.connect(self.close)

        layout = QVBoxLayout(self)
        layout.addWidget(self.note)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        self.resize(900, 380)
        self.refresh()

    def refresh(self) -> None:
        """Read the runs again and fill the table (the first run is selected)."""
        try:
            self.runs = list(self._lister())
            problem = ""
        except OSError as exc:
            self.runs, problem = [], f"The runs folder could not be read: {exc}"
        self.table.setRowCount(len(self.runs))
        for r, info in enumerate(self.runs):
            for c, text in enumerate(run_row(info)):
                item = QTableWidgetItem(text)
                if c == 3:
                    item.setForeground(QColor(STATUS_COLOURS.get(info.status, "#222222")))
                    if info.message:
                        item.setToolTip(info.message)
                if c in (4, 5):
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                self.table.setItem(r, c, item)
        self.note.setText(
            problem
            or (
                f"{len(self.runs)} run(s). Double-click one to open it."
                if self.runs
                else "No runs yet: every run you start is saved and listed here."
            )
        )
        if self.runs:
            self.table.selectRow(0)
        self._update_buttons()

    def selected(self) -> RunInfo | None:
        """The selected run, or None."""
        rows = self.table.selectionModel().selectedRows()
        return self.runs[rows[0].row()] if rows else None

    def select_run(self, run_id: str) -> bool:
        """Select the run with id ``run_id``; False when it is not listed."""
        for r, info in enumerate(self.runs):
            if info.id == run_id:
                self.table.selectRow(r)
                return True
        return False

    def _update_buttons(self) -> None:
        info = self.selected()
        self.open_button.setEnabled(info is not None and info.status not in CLOSED_STATES)
        self.resume_button.setEnabled(info is not None and can_resume(info))

    def open_selected(self) -> None:
        """Ask the window to open the selected run."""
        info = self.selected()
        if info is not None and info.status not in CLOSED_STATES:
            self.open_requested.emit(str(Path(info.path)))

    def resume_selected(self) -> None:
        """Ask the window to resume the selected run."""
        info = self.selected()
        if info is not None and can_resume(info):
            self.resume_requested.emit(str(Path(info.path)))
