"""The control panel: dataset, model preset, knobs, and the run buttons.

The panel only reports what the learner asked for (signals); the window decides what happens.
Live knobs (learning rate, L2 lambda, dropout) stay enabled during a run; the others are disabled.
A live knob the preset's model has no use for is disabled whatever the run state, and says why.
Every spin box is clamped to values the trainer accepts, and its tooltip says why.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from core.models.presets import PRESETS, get_preset
from gui.panels.dataset_box import DatasetBox
from gui.panels.knob import SLIDER_STEPS, Knob
from gui.panels.knob_box import LiveKnobBox
from gui.panels.pace_box import PaceCombo, step_buttons
from gui.style import icon

__all__ = ["SLIDER_STEPS", "ControlsPanel", "Knob"]  # Knob and SLIDER_STEPS live in gui.panels.knob


def _spin(low: int, high: int, why: str, parent: QWidget) -> QSpinBox:
    box = QSpinBox(parent)
    box.setRange(low, high)
    box.setKeyboardTracking(False)
    box.setCorrectionMode(QAbstractSpinBox.CorrectionMode.CorrectToNearestValue)
    box.setAccelerated(True)
    box.setToolTip(why)
    box.setGroupSeparatorShown(True)
    return box


class ControlsPanel(QWidget):
    """Dataset picker, preset picker, knobs and run buttons.

    Signals
    -------
    dataset_selected(str, bool)
        Load this dataset spec; the flag says whether downloading is allowed.
    open_file_requested()
        The learner wants to pick a dataset file.
    preset_selected(str)
        A preset was chosen (its values are already in the knobs).
    knob_changed(str, float)
        A live knob (``learning_rate``, ``l2``, ``dropout``) was changed by the learner.
    start_requested(), pause_requested(), stop_requested(), reset_requested()
        The run buttons.
    pace_changed(object)
        The learner picked a pace: steps per second, or None for full speed.
    step_requested(int)
        Run this many training steps, then stay paused.
    """

    dataset_selected = Signal(str, bool)
    open_file_requested = Signal()
    preset_selected = Signal(str)
    knob_changed = Signal(str, float)
    start_requested = Signal()
    pause_requested = Signal()
    stop_requested = Signal()
    reset_requested = Signal()
    pace_changed = Signal(object)
    step_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("controls")
        self._running = False
        self._paused = False
        self._dataset_ready = False
        self._lock: frozenset[str] | None = None  # a teacher's lock: the settings left usable
        outer = QVBoxLayout(self)
        outer.setContentsMargins(6, 4, 6, 6)
        outer.setSpacing(6)
        outer.addWidget(self._build_data_box())
        outer.addWidget(self._build_model_box())
        outer.addWidget(self._build_knob_box())
        outer.addWidget(self._build_training_box())
        outer.addStretch(1)
        outer.addLayout(self._build_buttons())
        self.select_preset(next(iter(PRESETS)))
        self._update_enabled()

    # -- construction -----------------------------------------------------------------------------
    def _build_data_box(self) -> DatasetBox:
        box = self.data_box = DatasetBox(self)
        box.dataset_selected.connect(self.dataset_selected)
        box.open_file_requested.connect(self.open_file_requested)
        self.dataset_combo = box.dataset_combo
        self.download_notmnist = box.download_notmnist
        self.download_mnist = box.download_mnist
        self.open_button = box.open_button
        self.progress = box.progress
        self.data_status = box.data_status
        return box

    def _build_model_box(self) -> QGroupBox:
        box = QGroupBox("Model", self)
        self.preset_combo = QComboBox(box)
        self.preset_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.preset_combo.setMinimumContentsLength(12)
        for i, p in enumerate(PRESETS.values()):
            self.preset_combo.addItem(p.title, p.name)
            self.preset_combo.setItemData(
                i, self._preset_tooltip(p.name), Qt.ItemDataRole.ToolTipRole
            )
        self.preset_combo.activated.connect(
            lambda _i: self.select_preset(self.preset_name(), emit=True)
        )
        self.figure_label = QLabel("", box)
        self.figure_label.setObjectName("hint")
        self.figure_label.setWordWrap(True)
        layout = QVBoxLayout(box)
        layout.addWidget(self.preset_combo)
        layout.addWidget(self.figure_label)
        return box

    def _build_knob_box(self) -> LiveKnobBox:
        box = self.knob_box = LiveKnobBox(self)
        box.knob_changed.connect(self.knob_changed)
        self.learning_rate, self.l2, self.dropout = box.learning_rate, box.l2, box.dropout
        self.knobs = box.knobs
        return box

    def _build_training_box(self) -> QGroupBox:
        box = QGroupBox("Training", self)
        self.batch_size = _spin(
            1,
            4096,
            "Images per training step, 1 to 4096 (and no more than the training set holds)",
            box,
        )
        self.steps = _spin(1, 1_000_000, "Training steps to run, 1 to 1,000,000", box)
        self.steps.setSingleStep(500)
        self.restrict = QCheckBox("Restrict training to n batches", box)
        self.restrict.setToolTip(
            "Cycle over the same few batches only: the model memorises them (overfitting)"
        )
        self.restrict_n = _spin(1, 10_000, "Number of batches to cycle over (1 to 10,000)", box)
        self.restrict.toggled.connect(lambda _on: self._update_enabled())
        self.seed = _spin(0, 2**31 - 1, "Random seed: the same seed gives the same run", box)
        self.pace = PaceCombo(box)  # live: stays enabled during a run
        self.pace.pace_chosen.connect(self.pace_changed)
        form = QFormLayout(box)
        form.addRow("Batch size", self.batch_size)
        form.addRow("Steps", self.steps)
        form.addRow(self.restrict)
        form.addRow("n batches", self.restrict_n)
        form.addRow("Seed", self.seed)
        form.addRow("Pace", self.pace)
        return box

    def _build_buttons(self) -> QGridLayout:
        self.start_button = QPushButton("Start", self)
        self.start_button.setObjectName("start")
        self.pause_button = QPushButton("Pause", self)
        self.stop_button = QPushButton("Stop", self)
        self.reset_button = QPushButton("Reset", self)
        self.start_button.setIcon(icon("play"))
        self.pause_button.setIcon(icon("pause"))
        self.stop_button.setIcon(icon("stop"))
        self.reset_button.setIcon(icon("reset"))
        self.start_button.setToolTip("Start training (Space)")
        self.pause_button.setToolTip("Pause or resume training (Space)")
        self.stop_button.setToolTip("Stop training; the test split is still evaluated (Esc)")
        self.reset_button.setToolTip(
            "Clear the curves and weights and restore the preset's values (Ctrl+R)"
        )
        self.start_button.clicked.connect(self.start_requested)
        self.pause_button.clicked.connect(self.pause_requested)
        self.stop_button.clicked.connect(self.stop_requested)
        self.reset_button.clicked.connect(self.reset_requested)
        grid = QGridLayout()
        grid.addWidget(self.start_button, 0, 0)
        grid.addWidget(self.pause_button, 0, 1)
        grid.addWidget(self.stop_button, 1, 0)
        grid.addWidget(self.reset_button, 1, 1)
        self.step_button, self.step10_button = step_buttons(self)
        self.step_button.clicked.connect(lambda: self.step_requested.emit(1))
        self.step10_button.clicked.connect(lambda: self.step_requested.emit(10))
        grid.addWidget(self.step_button, 0, 2)
        grid.addWidget(self.step10_button, 1, 2)
        return grid

    # -- datasets ---------------------------------------------------------------------------------
    def set_specs(self, specs: dict[str, str]) -> None:
        """Fill the dataset picker with ``spec -> description``."""
        self.data_box.set_specs(specs)

    def add_spec(self, spec: str, description: str = "") -> None:
        """Add one dataset (e.g. an opened file) to the picker if it is not there yet."""
        self.data_box.add_spec(spec, description)

    def dataset_spec(self) -> str:
        """The spec selected in the dataset picker."""
        return self.data_box.dataset_spec()

    def set_dataset_spec(self, spec: str) -> None:
        """Select ``spec`` in the picker (added when unknown), without emitting."""
        self.data_box.set_dataset_spec(spec)

    def set_loading(self, message: str, done: int = 0, total: int = 0) -> None:
        """Show dataset/TensorFlow progress (``total`` 0: busy indicator)."""
        self.data_box.set_loading(message, done, total)

    def set_data_status(self, message: str, *, ready: bool | None = None) -> None:
        """Hide the progress bar and show ``message``; ``ready`` says whether Start may run."""
        self.data_box.show_status(message)
        if ready is not None:
            self._dataset_ready = ready
            self._update_enabled()

    # -- presets and values -----------------------------------------------------------------------
    @staticmethod
    def _preset_tooltip(name: str) -> str:
        p = get_preset(name)
        return f"{p.description}\nThe lesson's figure: {p.lesson_figure}"

    def preset_name(self) -> str:
        """The preset selected."""
        return str(self.preset_combo.currentData())

    def select_preset(self, name: str, *, emit: bool = False) -> None:
        """Select preset ``name`` and fill every knob with its values."""
        p = get_preset(name)
        self.preset_combo.setCurrentIndex(self.preset_combo.findData(name))
        self.preset_combo.setToolTip(self._preset_tooltip(name))
        self.figure_label.setText(f"Lesson: {p.lesson_figure}")
        self.figure_label.setToolTip(p.description)
        self.knob_box.use_model(p.model)
        self._update_enabled()
        self.set_values(
            {
                "learning_rate": p.learning_rate,
                "l2": p.l2,
                "dropout": p.dropout,
                "batch_size": p.batch_size,
                "steps": p.steps,
                "restrict_batches": p.restrict_batches,
            }
        )
        if emit:
            self.preset_selected.emit(name)

    def values(self) -> dict[str, Any]:
        """The settings to train with: preset, dataset and every knob."""
        return {
            "preset": self.preset_name(),
            "dataset": self.dataset_spec(),
            "learning_rate": self.learning_rate.value(),
            "l2": self.l2.value(),
            "dropout": self.dropout.value(),
            "batch_size": self.batch_size.value(),
            "steps": self.steps.value(),
            "restrict_batches": self.restrict_n.value() if self.restrict.isChecked() else 0,
            "seed": self.seed.value(),
        }

    def set_values(self, values: dict[str, Any]) -> None:
        """Set any of the keys of :meth:`values` (unknown keys are ignored), without emitting."""
        if "preset" in values and values["preset"] in PRESETS:
            idx = self.preset_combo.findData(values["preset"])
            was = self.preset_combo.blockSignals(True)
            self.preset_combo.setCurrentIndex(idx)
            self.preset_combo.blockSignals(was)
            preset = get_preset(values["preset"])
            self.figure_label.setText(f"Lesson: {preset.lesson_figure}")
            self.knob_box.use_model(preset.model)
            self._update_enabled()
        for name, knob in self.knobs.items():
            if name in values:
                knob.setValue(float(values[name]))
        for name, box in (
            ("batch_size", self.batch_size),
            ("steps", self.steps),
            ("seed", self.seed),
        ):
            if name in values:
                box.setValue(int(values[name]))
        if "restrict_batches" in values:
            n = int(values["restrict_batches"])
            self.restrict.setChecked(n > 0)
            if n > 0:
                self.restrict_n.setValue(n)

    def knob_enabled(self, name: str) -> bool:
        """Whether live knob ``name`` may be turned: False when the preset's model ignores it.

        Live knobs the model uses stay enabled while a run goes on; the run state never
        changes this.

        Raises
        ------
        KeyError
            ``name`` is not a live knob.
        """
        return self.knob_box.knob_enabled(name)

    def lock_to(self, settings: Iterable[str] | None) -> None:
        """A teacher's lock: only ``settings`` (names of :meth:`values`) stay usable; None lifts it.

        The dataset and preset pickers stay off while locked.
        """
        self._lock = None if settings is None else frozenset(settings)
        self._update_enabled()

    @property
    def locked(self) -> bool:
        """True while a teacher's lock holds."""
        return self._lock is not None

    def _free(self, name: str) -> bool:
        return self._lock is None or name in self._lock

    # -- run state --------------------------------------------------------------------------------
    def set_run_state(self, running: bool, paused: bool = False) -> None:
        """Enable what makes sense while idle, running or paused."""
        self._running, self._paused = running, paused
        self.pause_button.setText("Resume" if paused else "Pause")
        self.pause_button.setIcon(icon("play" if paused else "pause"))
        self._update_enabled()

    def _update_enabled(self) -> None:
        idle = not self._running
        self.data_box.set_choosing_enabled(idle and self._lock is None)
        self.preset_combo.setEnabled(idle and self._lock is None)
        for name, w in (
            ("batch_size", self.batch_size),
            ("steps", self.steps),
            ("restrict_batches", self.restrict),
            ("seed", self.seed),
        ):
            w.setEnabled(idle and self._free(name))
        free_n = self._free("restrict_batches")
        self.restrict_n.setEnabled(idle and self.restrict.isChecked() and free_n)
        self.start_button.setEnabled(idle and self._dataset_ready)
        self.pause_button.setEnabled(self._running)
        self.stop_button.setEnabled(self._running)
        self.step_button.setEnabled(self._running or self._dataset_ready)
        self.step10_button.setEnabled(self._running or self._dataset_ready)
        # live knobs: enabled when the preset's model uses them (LiveKnobBox.use_model), whatever
        # the run state, unless a lock holds them
        for name, knob in self.knobs.items():
            knob.setEnabled(self.knob_box.unused[name] is None and self._free(name))

    @property
    def running(self) -> bool:
        """True while the window reports a run in progress."""
        return self._running

    @property
    def paused(self) -> bool:
        """True while the run is paused."""
        return self._paused

    @property
    def dataset_ready(self) -> bool:
        """True when a dataset is loaded and Start may be pressed."""
        return self._dataset_ready
