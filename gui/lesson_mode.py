"""Lesson mode: walks a track step by step, runs each step, and ticks its checks off live.

"Run this step" loads the step's data, selects its preset and values, and starts through the
window (a data or baseline step runs its own work on a worker thread). The checks' states come
from the session's signals folded into :class:`~core.lessons.facts.RunFacts`
(:func:`core.lessons.checks.next_states`), never from a timer. While a step runs, the panels its
pending checks point at are outlined.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QColor

from core.lessons.checks import DONE, PENDING, next_states
from core.lessons.facts import BaselinePoint, RunFacts
from core.lessons.loader import LessonFileError, tracks
from core.lessons.track import Step, Track
from gui.lesson_progress import LessonProgress
from gui.outline import COLOUR, PanelOutline
from gui.tasks import ProgressFn

if TYPE_CHECKING:
    from gui.main_window import MainWindow


def result_line(step: Step, facts: RunFacts) -> str:
    """The learner's figure beside the lesson's: ``"You: 91.4% test. Lesson: 91.1%."``."""
    lesson = f"{100 * step.figure_test:.1f}%" if step.figure_test else step.figure
    if facts.failed:
        return f"The run failed before the end. Lesson: {lesson}."
    if step.kind == "data" and facts.data is not None:
        shared = facts.data.overlaps.get("train_test", 0)
        return f"You: {shared:,} test images also in train. Lesson: {lesson}."
    figures = facts.results()
    if "test" not in figures:
        return ""
    you = f"{100 * figures['test']:.1f}% test"
    if step.kind == "baseline" and facts.baseline:
        you += f" with {max(p.samples for p in facts.baseline):,} images"
    elif facts.stopped:
        you += f" (stopped at step {facts.steps[-1] + 1 if facts.steps else 0:,})"
    return f"You: {you}. Lesson: {lesson}."


class LessonMode(QObject):
    """The lesson panel's brain: the track and step shown, the run's facts, the checks' states.

    Parameters
    ----------
    window:
        The main window (its ``lesson_panel``, session, data loading and panels).
    """

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.w = window
        self.panel = window.lesson_panel
        self.progress = LessonProgress(window.settings)
        self.tracks: dict[str, Track] = {}
        self.error = ""
        try:
            self.tracks = tracks()
        except LessonFileError as exc:  # a bad track file: the rest of the window works
            self.error = str(exc)
        self.track: Track | None = None
        self.index = 0
        self.facts = RunFacts()
        self.states: list[str] = []
        self.tracking = False  # the session's run is this step's
        self.busy = False  # a data or baseline step's own work is running
        self._waiting: tuple[str, Callable[[], None]] | None = None
        self._outlines: dict[str, PanelOutline] = {}
        self._outlined: tuple[str, ...] = ()

        p = self.panel
        p.set_tracks([(t.id, t.title) for t in self.tracks.values()])
        p.track_selected.connect(lambda track_id: self.open(track_id))
        p.back_requested.connect(lambda: self.go(self.index - 1))
        p.next_requested.connect(lambda: self.go(self.index + 1))
        p.run_requested.connect(self.run_step)
        s = window.session
        s.started.connect(self._on_started)
        for signal in (s.step, s.evaluated, s.knob_changed, s.finished, s.failed):
            signal.connect(self._on_event)
        s.state_changed.connect(lambda _running, _paused: self._update_running())
        window.data.ready.connect(self._on_data_ready)
        window.data.load_failed.connect(self._on_data_failed)
        if self.tracks:
            chosen = self.progress.track
            self.open(chosen if chosen in self.tracks else next(iter(self.tracks)))
        else:
            p.set_result(f"No lessons: {self.error}")

    # -- where we are ----------------------------------------------------------------------------
    @property
    def step(self) -> Step | None:
        """The step shown, or None when no track could be loaded."""
        return self.track.steps[self.index] if self.track else None

    def show_panel(self) -> None:
        """Show the lesson dock above the controls, with most of the column's height."""
        w = self.w
        w.lesson_dock.show()
        w.lesson_dock.raise_()
        w.resizeDocks([w.lesson_dock, w.controls_dock], [60, 40], Qt.Orientation.Vertical)

    @property
    def step_running(self) -> bool:
        """True from "Run this step" until the step has ended (data loading included)."""
        return self._waiting is not None or self.busy or self.w.running

    def earlier(self) -> dict[str, dict[str, float]]:
        """The learner's figures in this track's steps (what later checks compare with)."""
        return self.progress.results(self.track.id) if self.track else {}

    def open(self, track_id: str, index: int | None = None) -> None:
        """Show track ``track_id`` at step ``index`` (0-based; default: where the learner was).

        Raises
        ------
        KeyError
            No such track.
        """
        if track_id not in self.tracks:
            raise KeyError(f"unknown track {track_id!r} (tracks: {', '.join(self.tracks)})")
        self.track = self.tracks[track_id]
        self.progress.track = track_id
        self.go(self.progress.step(track_id) if index is None else index)

    def go(self, index: int) -> None:
        """Show step ``index`` of the track (clamped to the track); a run going on is let be."""
        if self.track is None:
            return
        self.index = max(0, min(index, len(self.track.steps) - 1))
        self.progress.set_step(self.track.id, self.index)
        self._forget_run()
        step = self.track.steps[self.index]
        seen = step.id in self.progress.done(self.track.id)
        self.panel.show_step(self.track.id, self.index, len(self.track.steps), step, seen)
        self.states = self.panel.states()
        self._update_running()

    def _forget_run(self) -> None:
        self.tracking = False
        self._waiting = None
        self.facts = RunFacts()
        self._outline(())

    # -- running a step --------------------------------------------------------------------------
    def run_step(self) -> None:
        """Load the step's data, set its preset and values, and start it."""
        step = self.step
        if step is None or self.w.running or self.busy:
            return
        self._forget_run()
        self.panel.set_states([PENDING] * len(step.checks))
        self.states = self.panel.states()
        self.panel.set_result("")
        then = {"train": self._start_training, "data": self._look_at_data}.get(
            step.kind, self._run_baseline
        )
        if self.w.dataset is not None and self.w.data.spec == step.dataset:
            then()
        else:
            self._waiting = (step.dataset, then)
            self.panel.set_result(f"Loading {step.dataset}…")
            self._update_running()
            self.w.load_dataset(step.dataset)

    def _on_data_ready(self, spec: str) -> None:
        if self._waiting is not None and self._waiting[0] == spec:
            then, self._waiting = self._waiting[1], None
            self.panel.set_result("")
            then()
            self._update_running()

    def _on_data_failed(self, spec: str) -> None:
        if self._waiting is not None and self._waiting[0] == spec:
            self._waiting = None
            self.panel.set_result(f"Could not load {spec}: the banner above the curves says why.")
            self._update_running()

    def prepare_step(self) -> None:
        """Put the step's preset and values in the controls, and load its data if need be."""
        step, w = self.step, self.w
        if step is None or w.running:
            return
        if step.preset is not None:
            w.controls.select_preset(step.preset)
            w.controls.set_values(step.settings())
        if w.data.spec != step.dataset:
            w.controls.set_dataset_spec(step.dataset)
            if w.dataset is not None:  # else the window loads the spec it shows when it starts
                w.load_dataset(step.dataset)

    def _start_training(self) -> None:
        self.prepare_step()
        self.w.tabs.setCurrentWidget(self.w.curves)
        self.w.start_training()

    def _on_started(self, ev: Any) -> None:
        step = self.step
        self.tracking = bool(step and step.kind == "train" and ev.settings["preset"] == step.preset)
        if self.tracking:
            self.facts = RunFacts()
            self.facts.add(ev)
            self._update_checks()

    def _on_event(self, ev: Any) -> None:
        if self.tracking and self.facts.add(ev):
            self._update_checks()
            if self.facts.ended:
                self._finish()

    def _update_checks(self) -> None:
        step = self.step
        assert step is not None
        self.states = next_states(step.checks, self.states, self.facts, self.earlier())
        self.panel.set_states(self.states)
        running = not self.facts.ended
        pending = [c.panel for c, s in zip(step.checks, self.states, strict=True) if s != DONE]
        self._outline(tuple(dict.fromkeys(pending)) if running else ())

    def _finish(self) -> None:
        step, track = self.step, self.track
        assert step is not None
        assert track is not None
        self.tracking = False
        self.panel.set_result(result_line(step, self.facts))
        if not self.facts.failed and not self.facts.stopped:
            all_done = all(s == DONE for s in self.states)
            self.progress.record(track.id, step.id, self.facts.results(), all_done)
            if all_done:
                self.panel.counter.setText(self.panel.counter.text().rstrip(" ✓") + " ✓")

    # -- the steps that train no preset ------------------------------------------------------------
    def _look_at_data(self) -> None:
        from core.lessons.step_work import data_summary

        ds = self.w.dataset
        self.w.tabs.setCurrentWidget(self.w.samples)
        self._begin_own_work()

        def done(summary: Any) -> None:
            self._own_work_event(summary, last=True)

        self.w.tasks.run(lambda _p: data_summary(ds), done, self._own_work_failed)

    def _run_baseline(self) -> None:
        from core.lessons.step_work import baseline_point, baseline_sizes

        ds, step = self.w.dataset, self.step
        assert ds is not None
        assert step is not None
        sizes = baseline_sizes(step.sizes, len(ds.train_x))
        if len(sizes) < 2:
            self.panel.set_result("The training set is too small for a baseline.")
            return
        self._begin_own_work()
        points: list[tuple[int, float]] = []

        def fit(k: int) -> None:
            self.panel.set_result(f"Fitting logistic regression on {sizes[k]:,} images…")

            def work(_progress: ProgressFn) -> Any:
                return baseline_point(ds, sizes[k])

            def done(out: tuple[BaselinePoint, np.ndarray, np.ndarray]) -> None:
                point, predicted, probs = out
                points.append((point.samples, point.accuracy))
                self.panel.set_baseline(points)
                last = k + 1 == len(sizes)
                if last:
                    names = ds.class_names
                    n = ds.num_classes
                    matrix = np.bincount(ds.test_y * n + predicted, minlength=n * n).reshape(n, n)
                    self.w.confusion.set_confusion(matrix, names, 0, "test")
                    self.w.confusion.set_examples(ds.test_x, ds.test_y, predicted)
                    self.w.misclassified.set_results(ds.test_x, ds.test_y, predicted, probs, names)
                self._own_work_event(point, last=last)
                if not last and self.busy:
                    fit(k + 1)

            self.w.tasks.run(work, done, self._own_work_failed)

        fit(0)

    def _begin_own_work(self) -> None:
        self.busy = self.tracking = True
        self.facts = RunFacts()
        self._update_running()
        self._update_checks()

    def _own_work_event(self, ev: object, *, last: bool) -> None:
        if not self.tracking:  # the learner moved on meanwhile
            self.busy = False
            self._update_running()
            return
        self.facts.add(ev)
        self.facts.ended = last
        self._update_checks()
        if last:
            self.busy = False
            self._finish()
            self._update_running()

    def _own_work_failed(self, message: str, _details: str) -> None:
        self.busy = self.tracking = False
        self.facts.ended = self.facts.failed = True
        self._update_checks()
        self.panel.set_result(f"This step could not run: {message}")
        self._update_running()

    # -- look ------------------------------------------------------------------------------------
    def _update_running(self) -> None:
        self.panel.set_running(self.step_running)

    def panel_widget(self, name: str) -> Any:
        """The widget of panel ``name`` (as track files name panels)."""
        w = self.w
        return {
            "controls": w.controls_dock.widget(),
            "curves": w.curves,
            "weights": w.weights,
            "draw": w.draw_pad,
            "samples": w.samples,
            "confusion": w.confusion,
            "misclassified": w.misclassified,
            "log": w.log,
            "lesson": w.lesson_panel,
        }[name]

    def outlined(self) -> tuple[str, ...]:
        """The panels outlined now."""
        return self._outlined

    def _outline(self, names: tuple[str, ...]) -> None:
        if names == self._outlined:
            return
        self._outlined = names
        for name in set(self._outlines) | set(names):
            if name not in self._outlines:
                self._outlines[name] = PanelOutline(self.panel_widget(name))
            self._outlines[name].set_shown(name in names)
        bar = self.w.tabs.tabBar()
        for i in range(self.w.tabs.count()):
            marked = any(self.w.tabs.widget(i) is self.panel_widget(n) for n in names)
            bar.setTabTextColor(i, COLOUR.darker(130) if marked else QColor())
