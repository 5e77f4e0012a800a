"""The live knobs box: learning rate, L2 lambda and dropout, each usable mid-run.

A knob the selected model has no use for (dropout on logistic regression) is disabled, and its
tooltip says why in plain words, so the learner does not turn a knob that changes nothing.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFormLayout, QGroupBox, QWidget

from core.models.presets import ModelSpec
from gui.panels.knob import Knob

NO_DROPOUT = {
    "logreg": "Logistic regression has no hidden layer, so there is nothing to drop out.",
}
NO_DROPOUT_OTHER = "This model has no hidden dense layer, so there is nothing to drop out."


def unused_knob_reason(spec: ModelSpec, name: str) -> str | None:
    """Why a model of ``spec`` has no use for live knob ``name``, or None when it uses it.

    Parameters
    ----------
    spec:
        The model's architecture.
    name:
        A live knob: ``"learning_rate"``, ``"l2"`` or ``"dropout"``.

    Returns
    -------
    str or None
        A plain sentence for the knob's tooltip, or None.
    """
    if name in spec.live_knobs():
        return None
    if name == "dropout":
        return NO_DROPOUT.get(spec.family, NO_DROPOUT_OTHER)
    return "This model does not use this knob."


class LiveKnobBox(QGroupBox):
    """The three live knobs, enabled by the model they act on rather than by the run state.

    Signals
    -------
    knob_changed(str, float)
        The learner changed knob ``name`` (``learning_rate``, ``l2``, ``dropout``) to a value.
    """

    knob_changed = Signal(str, float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Live knobs", parent)
        self.setToolTip("These take effect at the next training step, even mid-run")
        self.learning_rate = Knob(
            1e-4,
            100.0,
            decimals=4,
            parent=self,
            why="Learning rate: how far each step moves the weights (0.0001 to 100). Too big "
            "and the loss explodes (try 50 on the 1024-unit net: the run stops, "
            "diverged); too small and nothing seems to happen.",
        )
        self.l2 = Knob(
            1e-5,
            1.0,
            allow_zero=True,
            decimals=5,
            parent=self,
            why="L2 lambda: penalty on large weights, 0 (off) to 1. Far left = 0. "
            "The lesson uses 0.005.",
        )
        self.dropout = Knob(
            0.0,
            0.9,
            scale="linear",
            decimals=2,
            parent=self,
            why="Dropout rate: the fraction of hidden units silenced at random each step, 0 to "
            "0.9 (1 would silence them all).",
        )
        self.knobs = {"learning_rate": self.learning_rate, "l2": self.l2, "dropout": self.dropout}
        self.unused: dict[str, str | None] = dict.fromkeys(self.knobs)  # why, per knob
        for name, knob in self.knobs.items():
            knob.valueChanged.connect(lambda v, n=name: self.knob_changed.emit(n, v))
        self._form = QFormLayout(self)
        self._form.addRow("Learning rate", self.learning_rate)
        self._form.addRow("L2 lambda", self.l2)
        self._form.addRow("Dropout", self.dropout)

    def use_model(self, spec: ModelSpec) -> None:
        """Enable the knobs a model of ``spec`` uses; disable the others, saying why."""
        for name, knob in self.knobs.items():
            reason = unused_knob_reason(spec, name)
            self.unused[name] = reason
            knob.set_unused(reason)
            label = self._form.labelForField(knob)
            if label is not None:
                label.setEnabled(reason is None)
                label.setToolTip(reason or "")

    def knob_enabled(self, name: str) -> bool:
        """Whether knob ``name`` may be turned (False when the model ignores it).

        Raises
        ------
        KeyError
            ``name`` is not a live knob.
        """
        if name not in self.knobs:
            raise KeyError(f"unknown knob {name!r}; live knobs are {tuple(self.knobs)}")
        return self.knobs[name].isEnabledTo(self)
