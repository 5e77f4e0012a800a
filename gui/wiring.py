"""Which panel listens to which of the session's signals.

Panels subscribe to the :class:`~gui.session.TrainingSession`'s typed signals; each slot only
buffers, and asks the window's :class:`~gui.repaint.RepaintPacer` for a repaint.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from core.events import EvalMetrics, KnobChanged, RunFinished, StepMetrics
from gui.panels.my_drawings import drawings_line
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
        if ev.split == "valid" and ev.dead_units >= 0:
            w.weights.set_activity(ev.unit_activity, ev.dead_units)
        if ev.split == "valid" and ev.predicted is not None and w.dataset is not None:
            x, y = w.dataset.split("valid")
            if len(x) == len(ev.predicted):  # the images behind each cell, as evaluated now
                w.confusion.set_examples(x, y, ev.predicted, split="valid")
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
    s.started.connect(lambda _ev: w.weights.set_activity(None, -1))
    s.finished.connect(on_finished)
    s.failed.connect(lambda _ev: paint())
    s.predictor_ready.connect(w.use_predictor)
    w.draw_pad.keep_requested.connect(lambda: keep_drawing(w))
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


def keep_drawing(w: MainWindow) -> None:
    """Keep the pad's drawing in My drawings, with the label the learner confirms."""
    pred = w.draw_pad.last_prediction()
    if pred is None:
        return
    w.my_drawings.set_classes(w.draw_pad.class_names())
    names = w.draw_pad.class_names()
    kept = w.my_drawings.keep(pred.seen, names[pred.predicted], w.draw_pad.canvas.strokes)
    if kept is not None:
        w.statusBar().showMessage(f"Kept your {kept.label} in My drawings", 4000)


def compute_test_results(w: MainWindow) -> None:
    """Classify the test split and your drawings with the trained model on a worker thread.

    The confusion tab's examples and the misclassified gallery come from it, and one line
    compares the test accuracy with the accuracy on the learner's own drawings.
    """
    if w.predictor is None or w.dataset is None:
        return
    predictor, ds = w.predictor, w.dataset
    w.my_drawings.set_classes(ds.class_names)
    mine_x, mine_y = w.my_drawings.arrays()

    def work(_progress: ProgressFn) -> tuple[np.ndarray, np.ndarray]:
        return predictor.probabilities(ds.test_x), predictor.probabilities(mine_x)

    def done(result: tuple[np.ndarray, np.ndarray]) -> None:
        probs, mine = result
        if w.dataset is not ds:
            return
        predicted = probs.argmax(axis=1)
        w.confusion.set_examples(ds.test_x, ds.test_y, predicted)
        w.misclassified.set_results(ds.test_x, ds.test_y, predicted, probs, ds.class_names)
        if len(mine_y):
            test = float((predicted == ds.test_y).mean()) if len(ds.test_y) else float("nan")
            line = f"test {test:.1%} · {drawings_line(mine, mine_y)}"
            w.log.append(f"On your drawings: {line}")
            w.statusBar().showMessage(line, 10_000)

    w.tasks.run(work, done)
