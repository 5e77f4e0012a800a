from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QInputDevice, QPointingDevice, QTabletEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from gui.panels.draw_pad import CANVAS_SIZE, NO_MODEL_HINT, DrawPad

# The offscreen platform warns when a shown top-level widget has size constraints.
pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")

LETTERS = tuple("ABCDEFGHIJ")


@dataclass(frozen=True)
class FakePrediction:
    probabilities: np.ndarray
    seen: np.ndarray
    predicted: int


class LinearSoftmax:
    """A numpy linear model over the 28x28 block-averaged canvas, counting its calls."""

    def __init__(self, weights: np.ndarray, bias: np.ndarray) -> None:
        self.weights = weights  # (10, 784)
        self.bias = bias
        self.calls = 0
        self.inputs: list[np.ndarray] = []

    def __call__(self, canvas: np.ndarray) -> FakePrediction:
        self.calls += 1
        self.inputs.append(canvas)
        h, w = canvas.shape
        ink = 255.0 - canvas.astype(np.float64)
        seen = ink.reshape(28, h // 28, 28, w // 28).mean(axis=(1, 3))
        logits = self.weights @ ((seen.ravel() - 128.0) / 255.0) + self.bias
        e = np.exp(logits - logits.max())
        probs = e / e.sum()
        return FakePrediction(probs, seen.astype(np.uint8), int(probs.argmax()))


@pytest.fixture
def model() -> LinearSoftmax:
    rng = np.random.default_rng(0)
    return LinearSoftmax(rng.normal(0, 0.3, (10, 784)), rng.normal(0, 0.5, 10))


@pytest.fixture
def pad(qtbot) -> DrawPad:
    w = DrawPad()
    qtbot.addWidget(w)
    w.resize(520, 560)
    w.show()
    qtbot.waitExposed(w)
    return w


def save_shot(widget, name: str, tmp_path: Path) -> None:
    """Grab the widget; also keep a copy in $GLYPH_LAB_SCREENSHOTS when set."""
    image = widget.grab().toImage()
    assert not image.isNull()
    assert image.width() == widget.width()
    image.save(str(tmp_path / f"{name}.png"))
    folder = os.environ.get("GLYPH_LAB_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        image.save(str(Path(folder) / f"{name}.png"))


def letter_c() -> list[tuple[float, float]]:
    t = np.linspace(0.25 * np.pi, 1.75 * np.pi, 40)
    c = CANVAS_SIZE / 2
    return [(c + 85 * np.cos(t_), c - 95 * np.sin(t_)) for t_ in t]


def test_no_classifier_shows_hint_and_drawing_still_works(pad: DrawPad) -> None:
    assert pad.status_text() == NO_MODEL_HINT
    pad.draw_stroke([(40, 140), (240, 140)])
    assert pad.canvas_array()[140, 60:220].max() < 60  # ink along the stroke
    assert pad.status_text() == NO_MODEL_HINT
    assert np.all(pad.bar_heights() == 0)
    assert pad.last_prediction() is None


def test_canvas_array_is_white_paper_and_stroke_is_where_drawn(pad: DrawPad) -> None:
    a = pad.canvas_array()
    assert a.shape == (CANVAS_SIZE, CANVAS_SIZE)
    assert a.dtype == np.uint8
    assert np.all(a == 255)
    pad.draw_stroke([(140, 20), (140, 260)])  # vertical line down the middle
    a = pad.canvas_array()
    assert a[20:260, 140].max() < 60
    assert np.all(a[:, :100] == 255)  # nothing on the left
    assert np.all(a[:, 180:] == 255)  # nor on the right


def test_stroke_gives_probabilities_and_bars(pad: DrawPad, model: LinearSoftmax, qtbot) -> None:
    pad.set_classifier(model, LETTERS)
    with qtbot.waitSignal(pad.predicted, timeout=1000) as blocker:
        pad.draw_stroke(letter_c())
    pred = blocker.args[0]
    assert model.calls == 1
    assert pred.probabilities.shape == (10,)
    assert pred.probabilities.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(pad.bar_heights(), pred.probabilities)
    top = int(np.argmax(pred.probabilities))
    assert pad.highlighted_bar() == top
    assert pad.answer_label.text() == LETTERS[pred.predicted]
    assert pad.confidence_label.text() == f"{pred.probabilities[pred.predicted]:.0%} sure"
    assert not pad.seen_label.pixmap().isNull()
    # the classifier got the canvas itself
    np.testing.assert_array_equal(model.inputs[-1], pad.canvas_array())


def test_mouse_drawing_classifies_once_on_release(
    pad: DrawPad, model: LinearSoftmax, qtbot
) -> None:
    pad.set_classifier(model, LETTERS)
    canvas = pad.canvas
    r = canvas.target_rect()
    y = r.center().y()
    xs = np.linspace(r.left() + 20, r.right() - 20, 12).astype(int)
    QTest.mousePress(
        canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(int(xs[0]), y)
    )
    for x in xs[1:]:
        QTest.mouseMove(canvas, QPoint(int(x), y))
    assert model.calls == 0  # debounced while drawing
    QTest.mouseRelease(
        canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(int(xs[-1]), y)
    )
    assert model.calls == 1  # once, right away, on release
    qtbot.wait(DrawPad.DEBOUNCE_MS * 3)
    assert model.calls == 1  # and the pending debounce was cancelled
    a = pad.canvas_array()
    row = round((y - r.top()) * CANVAS_SIZE / r.height())
    assert a[row, CANVAS_SIZE // 4 : 3 * CANVAS_SIZE // 4].max() < 60
    assert np.all(a[: row - 30] == 255)


def test_touch_draws_and_classifies(pad: DrawPad, model: LinearSoftmax) -> None:
    pad.set_classifier(model, LETTERS)
    canvas = pad.canvas
    r = canvas.target_rect()
    y = r.center().y()
    device = QTest.createTouchDevice()
    xs = range(r.left() + 20, r.right() - 20, 15)
    for k, x in enumerate(xs):
        seq = QTest.touchEvent(canvas, device)
        (seq.press if k == 0 else seq.move)(0, QPoint(x, y))
        seq.commit()
    assert model.calls == 0  # still debounced
    seq = QTest.touchEvent(canvas, device)
    seq.release(0, QPoint(r.right() - 20, y))
    seq.commit()
    assert model.calls == 1
    row = round((y - r.top()) * CANVAS_SIZE / r.height())
    assert pad.canvas_array()[row, CANVAS_SIZE // 4 : 3 * CANVAS_SIZE // 4].max() < 60


def test_tablet_pen_draws_and_classifies(pad: DrawPad, model: LinearSoftmax) -> None:
    pad.set_classifier(model, LETTERS)
    canvas = pad.canvas
    pen = QPointingDevice(
        "test pen",
        4242,
        QInputDevice.DeviceType.Stylus,
        QPointingDevice.PointerType.Pen,
        QInputDevice.Capability.Position | QInputDevice.Capability.Pressure,
        1,
        2,
    )
    r = canvas.target_rect()
    x = float(r.center().x())
    ys = [r.top() + 20.0, r.center().y(), r.bottom() - 20.0]
    kinds = [
        QEvent.Type.TabletPress,
        QEvent.Type.TabletMove,
        QEvent.Type.TabletMove,
        QEvent.Type.TabletRelease,
    ]
    for kind, y in zip(kinds, [*ys, ys[-1]], strict=True):
        pos = QPointF(x, y)
        event = QTabletEvent(
            kind,
            pen,
            pos,
            canvas.mapToGlobal(pos),
            0.6,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            Qt.KeyboardModifier.NoModifier,
            Qt.MouseButton.LeftButton,
            Qt.MouseButton.LeftButton,
        )
        QApplication.sendEvent(canvas, event)
    assert model.calls == 1
    col = round((x - r.left()) * CANVAS_SIZE / r.width())
    assert pad.canvas_array()[40:240, col].max() < 60


def test_debounce_fires_once_for_a_burst_of_moves(
    pad: DrawPad, model: LinearSoftmax, qtbot
) -> None:
    pad.set_classifier(model, LETTERS)
    canvas = pad.canvas
    canvas.begin(QPointF(40, 40))
    for k in range(30):  # a burst of moves, pen still down
        canvas.extend(QPointF(40 + 6 * k, 40 + 4 * k))
    assert model.calls == 0
    qtbot.waitUntil(lambda: model.calls == 1, timeout=1000)
    qtbot.wait(DrawPad.DEBOUNCE_MS * 3)
    assert model.calls == 1


def test_raising_classifier_shows_message_then_recovers(
    pad: DrawPad, model: LinearSoftmax, qtbot
) -> None:
    def broken(_canvas: np.ndarray) -> FakePrediction:
        raise RuntimeError("weights are still loading")

    pad.set_classifier(broken, LETTERS)
    with qtbot.assertNotEmitted(pad.predicted):
        pad.draw_stroke(letter_c())
    assert "weights are still loading" in pad.status_text()
    assert pad.answer_label.text() == "!"
    assert np.all(pad.bar_heights() == 0)

    pad.set_classifier(model, LETTERS)  # re-classifies what is on the canvas
    assert model.calls == 1
    assert "weights are still loading" not in pad.status_text()
    assert pad.bar_heights().sum() == pytest.approx(1.0)


def test_wrong_number_of_probabilities_is_reported_not_raised(pad: DrawPad) -> None:
    pad.set_classifier(
        lambda a: FakePrediction(np.ones(3) / 3, np.zeros((28, 28), np.uint8), 0), LETTERS
    )
    pad.draw_stroke([(50, 50), (200, 200)])
    assert "3 probabilities for 10 classes" in pad.status_text()


def test_clear_button_and_escape_wipe_canvas_and_answer(
    pad: DrawPad, model: LinearSoftmax, qtbot
) -> None:
    pad.set_classifier(model, LETTERS)
    pad.draw_stroke(letter_c())
    assert pad.answer_label.text() in LETTERS
    qtbot.mouseClick(pad.clear_button, Qt.MouseButton.LeftButton)
    assert np.all(pad.canvas_array() == 255)
    assert np.all(pad.bar_heights() == 0)
    assert pad.answer_label.text() == "?"

    pad.draw_stroke(letter_c())
    QTest.keyClick(pad.canvas, Qt.Key.Key_Escape)
    assert np.all(pad.canvas_array() == 255)
    pad.draw_stroke(letter_c())
    QTest.keyClick(pad.canvas, Qt.Key.Key_Delete)
    assert np.all(pad.canvas_array() == 255)
    assert model.calls == 3  # one per stroke
    assert pad.classify_now() is None
    assert model.calls == 3  # a blank canvas is never sent to the model


def test_reclassify_follows_a_classifier_that_changed(
    pad: DrawPad, model: LinearSoftmax, qtbot
) -> None:
    pad.set_classifier(model, LETTERS)
    pad.draw_stroke(letter_c())
    assert pad.has_drawing
    before = pad.last_prediction().predicted
    assert pad.answer_label.text() == LETTERS[before]
    calls = model.calls
    # the model keeps training: its weights now favour another class
    other = (before + 3) % 10
    model.bias = np.where(np.arange(10) == other, 50.0, 0.0)
    with qtbot.waitSignal(pad.predicted, timeout=1000) as blocker:
        pred = pad.reclassify()
    assert blocker.args[0] is pred
    assert model.calls == calls + 1
    assert pred.predicted == other
    assert pad.answer_label.text() == LETTERS[other]
    assert pad.highlighted_bar() == other
    np.testing.assert_allclose(pad.bar_heights(), pred.probabilities)
    np.testing.assert_array_equal(model.inputs[-1], pad.canvas_array())  # the same drawing


def test_reclassify_uses_the_classifier_swapped_in_behind_the_pad(pad: DrawPad) -> None:
    def sure_of(k: int) -> Callable[[np.ndarray], FakePrediction]:
        def answer(_canvas: np.ndarray) -> FakePrediction:
            probs = np.full(10, 0.02)
            probs[k] = 0.82
            return FakePrediction(probs, np.zeros((28, 28), np.uint8), k)

        return answer

    current = {"fn": sure_of(1)}  # like a predictor whose model is replaced
    pad.set_classifier(lambda canvas: current["fn"](canvas), LETTERS)
    pad.draw_stroke(letter_c())
    assert pad.answer_label.text() == "B"
    current["fn"] = sure_of(9)
    assert pad.answer_label.text() == "B"  # nothing changes on its own
    assert pad.reclassify().predicted == 9
    assert pad.answer_label.text() == "J"
    assert pad.confidence_label.text() == "82% sure"
    assert pad.highlighted_bar() == 9


def test_reclassify_computes_nothing_without_a_drawing_or_a_classifier(
    pad: DrawPad, model: LinearSoftmax, qtbot
) -> None:
    pad.set_classifier(model, LETTERS)
    assert not pad.has_drawing
    with qtbot.assertNotEmitted(pad.predicted):
        assert pad.reclassify() is None
    assert model.calls == 0
    pad.draw_stroke(letter_c())
    pad.clear()
    assert not pad.has_drawing
    calls = model.calls
    assert pad.reclassify() is None
    assert model.calls == calls
    assert pad.answer_label.text() == "?"

    pad.draw_stroke(letter_c())  # drawn, then the model goes away
    pad.set_classifier(None, LETTERS)
    calls = model.calls
    with qtbot.assertNotEmitted(pad.predicted):
        assert pad.reclassify() is None
    assert model.calls == calls
    assert pad.status_text() == NO_MODEL_HINT
    assert np.all(pad.bar_heights() == 0)


def test_class_names_label_the_bars(pad: DrawPad, model: LinearSoftmax) -> None:
    digits = tuple("0123456789")
    pad.set_classifier(model, digits)
    ticks = pad.plot.getPlotItem().getAxis("bottom")._tickLevels[0]
    assert [name for _, name in ticks] == list(digits)
    assert pad.canvas.placeholder == "Draw a digit here"
    pad.set_classifier(None, LETTERS)
    assert pad.canvas.placeholder == "Draw a letter here"
    assert pad.status_text() == NO_MODEL_HINT


def test_screenshot_with_a_template_model(
    pad: DrawPad, shared_data: Path, qtbot, tmp_path: Path
) -> None:
    d = np.load(shared_data / "notmnist_small.npz")
    x = (d["images"].reshape(len(d["images"]), -1).astype(np.float64) - 128.0) / 255.0
    y = d["labels"]
    means = np.stack([x[y == k].mean(axis=0) for k in range(10)])
    model = LinearSoftmax(means * 0.1, -0.05 * (means**2).sum(axis=1))
    pad.set_classifier(model, LETTERS)
    pad.draw_stroke(letter_c())
    assert pad.bar_heights().sum() == pytest.approx(1.0)
    qtbot.wait(20)
    save_shot(pad, "draw_pad", tmp_path)
    pad.clear()
    pad.set_classifier(None, LETTERS)
    save_shot(pad, "draw_pad_empty", tmp_path)


def tiny_dataset(request: pytest.FixtureRequest):
    """600 real notMNIST images when ../shared/data is there, random uint8 images otherwise."""
    from core.data.dataset import Dataset, Provenance

    try:
        folder = request.getfixturevalue("shared_data")
    except pytest.skip.Exception:
        rng = np.random.default_rng(0)
        x, y = rng.integers(0, 256, (600, 28, 28), dtype=np.uint8), rng.integers(0, 10, 600)
    else:
        d = np.load(folder / "notmnist_small.npz")
        order = np.random.default_rng(0).permutation(len(d["labels"]))[:600]
        x, y = d["images"][order], d["labels"][order]
    return Dataset(
        "tiny",
        LETTERS,
        x[:400],
        y[:400],
        x[400:500],
        y[400:500],
        x[500:],
        y[500:],
        Provenance("tiny", "600 images for a GUI test"),
    )


def test_real_trainer_predictor_drives_the_pad(
    pad: DrawPad, request: pytest.FixtureRequest, qtbot
) -> None:
    from core.training.config import TrainConfig
    from core.training.trainer import Trainer

    cfg = TrainConfig.from_preset(
        "logreg-sgd", steps=30, eval_every=10, snapshot_every=10, save=False
    )
    trainer = Trainer(cfg, tiny_dataset(request))
    events = list(trainer.run())
    assert type(events[-1]).__name__ == "RunFinished"
    predictor = trainer.predictor()
    pad.set_classifier(predictor.predict, predictor.class_names)
    with qtbot.waitSignal(pad.predicted, timeout=5000) as blocker:
        pad.draw_stroke(letter_c())
    pred = blocker.args[0]
    assert pred.seen.shape == (28, 28)
    assert pred.seen.dtype == np.uint8
    assert pred.probabilities.sum() == pytest.approx(1.0, abs=1e-5)
    np.testing.assert_allclose(pad.bar_heights(), pred.probabilities, rtol=1e-6)
    assert pad.answer_label.text() == LETTERS[pred.predicted]
    assert pad.highlighted_bar() == int(np.argmax(pred.probabilities))
