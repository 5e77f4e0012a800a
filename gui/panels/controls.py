"""The control panel: dataset, model preset, knobs, and the run buttons.

The panel only reports what the learner asked for (signals); the window decides what happens.
Live knobs (learning rate, L2 lambda, dropout) stay enabled during a run; the others are disabled.
Every spin box is clamped to values the trainer accepts, and its tooltip says why.
"""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from core.models.presets import PRESETS, get_preset
from gui.style import icon

SLIDER_STEPS = 1000
FALLBACK_SPECS = {
    "fonts-letters": "Letters A-J rendered from the fonts on this computer (built in)",
    "fonts-digits": "Digits 0-9 rendered from the fonts on this computer (built in)",
    "notmnist-small": "notMNIST small (download, ~19k hand-cleaned letters)",
    "mnist": "MNIST handwritten digits (download)",
}


def known_specs() -> dict[str, str]:
    """Dataset spec -> description, from the data registry (a built-in list if it is missing)."""
    try:
        from core.data.registry import KNOWN_SPECS
    except ImportError:
        return dict(FALLBACK_SPECS)
    return dict(KNOWN_SPECS)


class Knob(QWidget):
    """A slider and a spin box showing one float, on a log or a linear scale.

    Parameters
    ----------
    low, high:
        The range (``low`` > 0 for a log scale).
    scale:
        ``"log"`` or ``"linear"``.
    allow_zero:
        Log scale only: the slider's leftmost position (and the spin box's minimum) is 0.
    decimals:
        Decimals in the spin box.
    why:
        Tooltip text explaining the range.
    parent:
        Optional Qt parent.

    Signals
    -------
    valueChanged(float)
        The user set a new value (on slider release, Enter, or a spin-box arrow).
    """

    valueChanged = Signal(float)

    def __init__(
        self,
        low: float,
        high: float,
        *,
        scale: str = "log",
        allow_zero: bool = False,
        decimals: int = 4,
        why: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.low, self.high, self.scale, self.allow_zero = low, high, scale, allow_zero
        self.slider = QSlider(Qt.Orientation.Horizontal, self)
        self.slider.setRange(0, SLIDER_STEPS)
        self.slider.setTracking(False)
        self.spin = QDoubleSpinBox(self)
        self.spin.setDecimals(decimals)
        self.spin.setRange(0.0 if allow_zero else low, high)
        self.spin.setStepType(QAbstractSpinBox.StepType.AdaptiveDecimalStepType)
        self.spin.setKeyboardTracking(False)
        self.spin.setCorrectionMode(QAbstractSpinBox.CorrectionMode.CorrectToNearestValue)
        self.spin.setMinimumWidth(84)
        for w in (self, self.slider, self.spin):
            w.setToolTip(why)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.spin)
        self.slider.sliderMoved.connect(self._slider_moved)
        self.slider.valueChanged.connect(self._slider_changed)
        self.spin.valueChanged.connect(self._spin_changed)

    def _to_position(self, value: float) -> int:
        if self.scale == "linear":
            frac = (value - self.low) / (self.high - self.low)
        elif value <= 0 or value < self.low:
            return 0
        else:
            frac = math.log(value / self.low) / math.log(self.high / self.low)
            if self.allow_zero:  # position 0 is reserved for the value 0
                return 1 + round(frac * (SLIDER_STEPS - 1))
        return round(min(max(frac, 0.0), 1.0) * SLIDER_STEPS)

    def _to_value(self, position: int) -> float:
        if self.scale == "linear":
            return self.low + (self.high - self.low) * position / SLIDER_STEPS
        if self.allow_zero:
            if position == 0:
                return 0.0
            frac = (position - 1) / (SLIDER_STEPS - 1)
        else:
            frac = position / SLIDER_STEPS
        value = self.low * (self.high / self.low) ** frac
        digits = max(0, 2 - math.floor(math.log10(value)))  # three significant figures
        return round(value, digits)

    def value(self) -> float:
        """The current value."""
        return float(self.spin.value())

    def setValue(self, value: float) -> None:
        """Show ``value`` (clamped to the range) without emitting :attr:`valueChanged`."""
        blockers = (self.spin.blockSignals(True), self.slider.blockSignals(True))
        try:
            self.spin.setValue(float(value))
            self.slider.setValue(self._to_position(self.spin.value()))
        finally:
            self.spin.blockSignals(blockers[0])
            self.slider.blockSignals(blockers[1])

    def _slider_moved(self, position: int) -> None:
        was = self.spin.blockSignals(True)
        self.spin.setValue(self._to_value(position))
        self.spin.blockSignals(was)

    def _slider_changed(self, position: int) -> None:
        was = self.spin.blockSignals(True)
        self.spin.setValue(self._to_value(position))
        self.spin.blockSignals(was)
        self.valueChanged.emit(self.value())

    def _spin_changed(self, value: float) -> None:
        was = self.slider.blockSignals(True)
        self.slider.setValue(self._to_position(value))
        self.slider.blockSignals(was)
        self.valueChanged.emit(float(value))


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
    """

    dataset_selected = Signal(str, bool)
    open_file_requested = Signal()
    preset_selected = Signal(str)
    knob_changed = Signal(str, float)
    start_requested = Signal()
    pause_requested = Signal()
    stop_requested = Signal()
    reset_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("controls")
        self._running = False
        self._paused = False
        self._dataset_ready = False
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
    def _build_data_box(self) -> QGroupBox:
        box = QGroupBox("Dataset", self)
        self.dataset_combo = QComboBox(box)
        self.dataset_combo.setToolTip("The images the model learns from")
        self.dataset_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.dataset_combo.setMinimumContentsLength(12)
        self.set_specs(known_specs())
        self.dataset_combo.activated.connect(
            lambda _i: self.dataset_selected.emit(self.dataset_spec(), False)
        )
        self.download_notmnist = QPushButton("notMNIST", box)
        self.download_mnist = QPushButton("MNIST", box)
        self.open_button = QPushButton("Open file…", box)
        self.download_notmnist.setIcon(icon("download"))
        self.download_mnist.setIcon(icon("download"))
        self.open_button.setIcon(icon("open"))
        self.download_notmnist.setToolTip("Download notMNIST letters (once; then cached)")
        self.download_mnist.setToolTip("Download MNIST digits (once; then cached)")
        self.open_button.setToolTip(
            "Use a dataset file: .npz, MNIST-format files, a notMNIST archive or folder, or the "
            "assignment's .pickle"
        )
        self.download_notmnist.clicked.connect(lambda: self._download("notmnist"))
        self.download_mnist.clicked.connect(lambda: self._download("mnist"))
        self.open_button.clicked.connect(self.open_file_requested)
        self.progress = QProgressBar(box)
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(10)
        self.progress.hide()
        self.data_status = QLabel("", box)
        self.data_status.setWordWrap(True)
        self.data_status.setObjectName("hint")
        grid = QGridLayout(box)
        grid.addWidget(self.dataset_combo, 0, 0, 1, 3)
        grid.addWidget(QLabel("Download:", box), 1, 0)
        grid.addWidget(self.download_notmnist, 1, 1)
        grid.addWidget(self.download_mnist, 1, 2)
        grid.addWidget(self.open_button, 2, 0, 1, 3)
        grid.addWidget(self.progress, 3, 0, 1, 3)
        grid.addWidget(self.data_status, 4, 0, 1, 3)
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

    def _build_knob_box(self) -> QGroupBox:
        box = QGroupBox("Live knobs", self)
        box.setToolTip("These take effect at the next training step, even mid-run")
        self.learning_rate = Knob(
            1e-4,
            100.0,
            decimals=4,
            parent=box,
            why="Learning rate: how far each step moves the weights (0.0001 to 100). Too big "
            "and the loss explodes (try 50 on the 1024-unit net: the run stops, "
            "diverged); too small and nothing seems to happen.",
        )
        self.l2 = Knob(
            1e-5,
            1.0,
            allow_zero=True,
            decimals=5,
            parent=box,
            why="L2 lambda: penalty on large weights, 0 (off) to 1. Far left = 0. "
            "The lesson uses 0.005.",
        )
        self.dropout = Knob(
            0.0,
            0.9,
            scale="linear",
            decimals=2,
            parent=box,
            why="Dropout rate: the fraction of hidden units silenced at random each step, 0 to "
            "0.9 (1 would silence them all). No effect on logistic regression.",
        )
        self.knobs = {"learning_rate": self.learning_rate, "l2": self.l2, "dropout": self.dropout}
        for name, knob in self.knobs.items():
            knob.valueChanged.connect(lambda v, n=name: self.knob_changed.emit(n, v))
        form = QFormLayout(box)
        form.addRow("Learning rate", self.learning_rate)
        form.addRow("L2 lambda", self.l2)
        form.addRow("Dropout", self.dropout)
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
        form = QFormLayout(box)
        form.addRow("Batch size", self.batch_size)
        form.addRow("Steps", self.steps)
        form.addRow(self.restrict)
        form.addRow("n batches", self.restrict_n)
        form.addRow("Seed", self.seed)
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
        return grid

    # -- datasets ---------------------------------------------------------------------------------
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
        self.set_dataset_spec(spec)
        self.dataset_selected.emit(spec, True)

    def set_loading(self, message: str, done: int = 0, total: int = 0) -> None:
        """Show dataset/TensorFlow progress (``total`` 0: busy indicator)."""
        self.progress.show()
        self.progress.setRange(0, max(total, 0))
        if total > 0:
            self.progress.setValue(min(done, total))
        self.data_status.setText(message)

    def set_data_status(self, message: str, *, ready: bool | None = None) -> None:
        """Hide the progress bar and show ``message``; ``ready`` says whether Start may run."""
        self.progress.hide()
        self.data_status.setText(message)
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
            self.figure_label.setText(f"Lesson: {get_preset(values['preset']).lesson_figure}")
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

    # -- run state --------------------------------------------------------------------------------
    def set_run_state(self, running: bool, paused: bool = False) -> None:
        """Enable what makes sense while idle, running or paused."""
        self._running, self._paused = running, paused
        self.pause_button.setText("Resume" if paused else "Pause")
        self.pause_button.setIcon(icon("play" if paused else "pause"))
        self._update_enabled()

    def _update_enabled(self) -> None:
        idle = not self._running
        for w in (
            self.dataset_combo,
            self.download_notmnist,
            self.download_mnist,
            self.open_button,
            self.preset_combo,
            self.batch_size,
            self.steps,
            self.restrict,
            self.seed,
        ):
            w.setEnabled(idle)
        self.restrict_n.setEnabled(idle and self.restrict.isChecked())
        self.start_button.setEnabled(idle and self._dataset_ready)
        self.pause_button.setEnabled(self._running)
        self.stop_button.setEnabled(self._running)
        for knob in self.knobs.values():
            knob.setEnabled(True)

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
