"""Which panel listens to which of the session's signals.

Panels subscribe to the :class:`~gui.session.TrainingSession`'s typed signals; each slot only
buffers, and asks the window's :class:`~gui.repaint.RepaintPacer` for a repaint.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from core.events import EvalMetrics, KnobChanged, RunFinished, StepMetrics
from gui.tasks import ProgressFn

if TYPE_CHECKING:
    from gui.main_window import MainWindow


def wire_panels(w: MainWindow) -> None:
    """Connect ``w``'s controls to its session, and the session's signals to its panels."""
    s, c, paint = w.session, w.controls, w.pacer.request

    c.start_requested.connect(w.start_training)
    c.pause_requested.connect(s.toggle_pause)
    c.stop_requested.connect(s.stop)
    c.reset_requested.connect(w.reset)
    c.knob_changed.connect(lambda name, value: set_knob(w, name, value))
    c.dataset_selected.connect(lambda spec, dl: w.load_dataset(spec, download=dl))
    c.open_file_requested.connect(w.data.open_dataset_file)
    c.restrict.toggled.connect(w.curves.set_restricted)
    c.pace_changed.connect(w.pace.set_pace)
    c.step_requested.connect(w.pace.step)

    def on_step(ev: StepMetrics) -> None:
        w.pacer.note_step(ev)
        w.curves.add_step(ev.step, ev.cross_entropy, ev.accuracy)
        paint()

    def on_eval(ev: EvalMetrics) -> None:
        names = w.dataset.class_names if w.dataset else tuple(map(str, range(10)))
        w.curves.add_eval(ev.step, ev.split, ev.loss, ev.accuracy)
        w.confusion.set_confusion(ev.confusion, names, ev.step, ev.split)
        paint()

    def on_knob(ev: KnobChanged) -> None:
        w.curves.add_marker(ev.step, ev.name, ev.old, ev.new)
        paint()

    def on_finished(_ev: RunFinished) -> None:
        w.pacer.paint(final=True)
        compute_test_results(w)

    s.step.connect(on_step)
    s.evaluated.connect(on_eval)
    s.knob_changed.connect(on_knob)
    s.snapshot.connect(lambda ev: (w.weights.set_snapshot(ev), paint()))
    s.started.connect(lambda ev: setattr(w.pacer, "total_steps", ev.total_steps))
    s.finished.connect(on_finished)
    s.failed.connect(lambda _ev: paint())
    s.predictor_ready.connect(w.use_predictor)
    s.state_changed.connect(lambda running, _paused: on_state(w, running))


def on_state(w: MainWindow, running: bool) -> None:
    """The run started, paused, resumed or ended: controls, actions, and a last repaint."""
    w.update_actions()
    if not running:
        w.pacer.paint(final=True)


def set_knob(w: MainWindow, name: str, value: float) -> None:
    """A live knob moved: pass it to the run (a refused value says why in the banner)."""
    try:
        w.session.set_knob(name, value)
    except ValueError as exc:
        w.banner.show_message(str(exc), "warning")


def compute_test_results(w: MainWindow) -> None:
    """Classify the test split with the trained model on a worker thread.

    The confusion tab's examples and the misclassified gallery come from it.
    """
    if w.predictor is None or w.dataset is None:
        return
    predictor, ds = w.predictor, w.dataset

    def work(_progress: ProgressFn) -> np.ndarray:
        return predictor.probabilities(ds.test_x)

    def done(probs: np.ndarray) -> None:
        if w.dataset is ds:
            predicted = probs.argmax(axis=1)
            w.confusion.set_examples(ds.test_x, ds.test_y, predicted)
            w.misclassified.set_results(ds.test_x, ds.test_y, predicted, probs, ds.class_names)

    w.tasks.run(work, done)
