"""The trainer's mechanics: events, live knobs without retracing, restriction, controls, faults."""

from __future__ import annotations

import threading

import numpy as np
import pytest

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
from core.training.config import TrainConfig
from core.training.recorder import recorded_run
from core.training.trainer import Trainer


def small_config(preset: str = "logreg-sgd", **kw: object) -> TrainConfig:
    base = {
        "steps": 40,
        "batch_size": 32,
        "eval_every": 10,
        "snapshot_every": 10,
        "steps_per_call": 5,
        "save": False,
    }
    base.update(kw)
    return TrainConfig.from_preset(preset, **base)


def test_run_yields_the_expected_events(tiny_letters):
    trainer = Trainer(small_config(), tiny_letters)
    events = list(trainer.run())
    assert isinstance(events[0], RunStarted)
    assert isinstance(events[-1], RunFinished)
    steps = [e for e in events if isinstance(e, StepMetrics)]
    assert steps[-1].step == 39
    assert all(np.isfinite(e.loss) and 0 <= e.accuracy <= 1 for e in steps)
    valid = [e for e in events if isinstance(e, EvalMetrics) and e.split == "valid"]
    assert [e.step for e in valid] == [0, 10, 20, 30, 39]
    assert valid[-1].confusion.sum() == len(tiny_letters.valid_y)
    test = [e for e in events if isinstance(e, EvalMetrics) and e.split == "test"]
    assert len(test) == 1 and test[0].confusion.sum() == len(tiny_letters.test_y)
    snaps = [e for e in events if isinstance(e, WeightSnapshot)]
    assert snaps and snaps[-1].labels == tiny_letters.class_names
    assert snaps[-1].kind == "output" and snaps[-1].mosaic.ndim == 2
    finished = events[-1]
    assert not finished.stopped
    assert finished.final["test_accuracy"] == pytest.approx(test[0].accuracy)


def test_calls_grow_to_the_cap_and_stop_at_evaluations(tiny_letters):
    """Chunk sizes ramp 1, 1, 2, 4 ... up to ``steps_per_call`` (a 10 s budget never binds
    here) and still end on every evaluation step; one trace serves every size. The first
    point waits only for the step loop in use; the other one is traced after it."""
    trainer = Trainer(
        small_config(
            steps=70, steps_per_call=20, chunk_seconds=10.0, eval_every=50, snapshot_every=1000
        ),
        tiny_letters,
    )
    traces_at_steps = []
    events = []
    for event in trainer.run():
        events.append(event)
        if isinstance(event, StepMetrics):
            traces_at_steps.append(trainer.trace_count)
    assert [e.step for e in events if isinstance(e, StepMetrics)] == [0, 1, 3, 7, 15, 31, 50, 69]
    assert traces_at_steps[0] == 1
    assert trainer.trace_count == 2  # each step loop once
    fixed = Trainer(
        small_config(
            steps=12, steps_per_call=4, chunk_seconds=0.0, eval_every=1000, snapshot_every=1000
        ),
        tiny_letters,
    )
    assert [e.step for e in fixed.run() if isinstance(e, StepMetrics)] == [0, 4, 8, 11]


def test_knobs_change_mid_run_without_retracing(tiny_letters):
    trainer = Trainer(small_config("nn1024-l2", steps=60, dropout=0.0), tiny_letters)
    seen = []
    for event in trainer.run():
        if isinstance(event, StepMetrics) and event.step == 20:
            trainer.set_knob("l2", 0.05)
            trainer.set_knob("dropout", 0.5)
            trainer.set_knob("learning_rate", 0.1)
        if isinstance(event, KnobChanged):
            seen.append((event.name, event.old, event.new, event.step))
        if isinstance(event, StepMetrics) and event.step > 20:
            assert event.learning_rate == pytest.approx(0.1)
    assert trainer.trace_count == 2  # each step loop once
    assert seen, "the knobs were never changed"
    assert ("l2", 0.005, 0.05, 21) in [
        (n, pytest.approx(o), pytest.approx(v), s) for n, o, v, s in seen
    ]
    assert {name for name, *_ in seen} == {"l2", "dropout", "learning_rate"}
    assert trainer.knob("l2") == pytest.approx(0.05)
    assert trainer.knob("dropout") == pytest.approx(0.5)
    assert all(float(layer.rate.numpy()) == pytest.approx(0.5) for layer in trainer._dropouts)


def test_a_knob_moved_from_zero_acts_at_the_next_call(tiny_letters):
    """While L2 and dropout are 0 a call runs the step loop without them; raising either one
    switches to the full loop at the next call, with no retracing (both loops are traced
    once, the second after the first point)."""

    def losses(changes: dict[int, tuple[str, float]]) -> tuple[dict, Trainer]:
        trainer = Trainer(
            small_config("nn1024", steps=30, dropout=0.0, l2=0.0, chunk_seconds=0.0), tiny_letters
        )
        out = {}
        for event in trainer.run():
            if isinstance(event, StepMetrics):
                out[event.step] = (event.loss, event.cross_entropy)
                if event.step in changes:
                    trainer.set_knob(*changes[event.step])
        return out, trainer

    plain, _ = losses({})
    assert sorted(plain) == [0, 5, 10, 15, 20, 25, 29]
    dropped, trainer = losses({10: ("dropout", 0.5)})
    assert trainer.trace_count == 2  # each step loop once
    assert all(dropped[s] == plain[s] for s in dropped if s <= 10)
    assert all(dropped[s] != plain[s] for s in dropped if s > 10)
    penalized, trainer = losses({10: ("l2", 0.05)})
    assert trainer.trace_count == 2
    assert all(loss == xent for s, (loss, xent) in penalized.items() if s <= 10)
    assert all(loss > xent for s, (loss, xent) in penalized.items() if s > 10)


def test_knob_values_are_checked(tiny_letters):
    trainer = Trainer(small_config(), tiny_letters)
    with pytest.raises(ValueError, match="L2"):
        trainer.set_knob("l2", -1)
    with pytest.raises(ValueError, match="dropout"):
        trainer.set_knob("dropout", 1.0)


def test_restricted_mode_cycles_over_n_batches(tiny_letters):
    trainer = Trainer(
        small_config("overfit", steps=100, batch_size=16, restrict_batches=2), tiny_letters
    )
    assert trainer.schedule.distinct_images == 32
    seen = set()
    for _ in range(10):
        seen.update(trainer.schedule.next(3).ravel().tolist())
    assert len(seen) == 32
    events = list(trainer.run())
    steps = [e for e in events if isinstance(e, StepMetrics)]
    assert steps[-1].accuracy == 1.0  # 32 images memorised


def test_bad_settings_are_refused(tiny_letters):
    with pytest.raises(ValueError, match="larger than the training set"):
        Trainer(small_config(batch_size=10_000), tiny_letters)
    with pytest.raises(ValueError, match="restricting"):
        Trainer(small_config(restrict_batches=100), tiny_letters)
    with pytest.raises(ValueError, match="steps"):
        Trainer(small_config(steps=0), tiny_letters)


def test_pause_resume_stop_from_another_thread(tiny_letters):
    trainer = Trainer(small_config(steps=100_000), tiny_letters)
    events = []

    def consume():
        events.extend(trainer.run())

    worker = threading.Thread(target=consume)
    worker.start()
    trainer.pause()
    # wait until the run reports it is paused
    for _ in range(200):
        if any(isinstance(e, RunPaused) and e.paused for e in events):
            break
        threading.Event().wait(0.05)
    assert trainer.paused
    n = len([e for e in events if isinstance(e, StepMetrics)])
    threading.Event().wait(0.3)
    assert len([e for e in events if isinstance(e, StepMetrics)]) == n
    trainer.resume()
    threading.Event().wait(0.3)
    trainer.stop()
    worker.join(20)
    assert not worker.is_alive()
    assert any(isinstance(e, RunPaused) and not e.paused for e in events)
    finished = events[-1]
    assert isinstance(finished, RunFinished) and finished.stopped
    assert finished.step < 100_000


def test_divergence_stops_the_run(tiny_letters):
    trainer = Trainer(small_config("nn1024", learning_rate=1e6, steps=200), tiny_letters)
    events = list(trainer.run())
    failed = events[-1]
    assert isinstance(failed, RunFailed) and failed.diverged
    assert failed.message.startswith("the loss became")  # the step is a field, not text
    assert "smaller learning rate" in failed.message


@pytest.mark.parametrize("learning_rate", [50.0, 1000.0])
def test_an_exploded_but_finite_loss_counts_as_divergence(tiny_letters, learning_rate):
    # at these rates the loss jumps to ~1e11, then sinks to a finite dead-ReLU plateau and
    # never becomes NaN: the run must still stop and say it diverged
    events = list(
        Trainer(small_config("nn1024", learning_rate=learning_rate, steps=100), tiny_letters).run()
    )
    failed = events[-1]
    assert isinstance(failed, RunFailed) and failed.diverged, failed
    assert failed.step < 10
    assert "try a smaller learning rate" in failed.message


def test_a_healthy_run_is_not_called_diverged(tiny_letters):
    events = list(Trainer(small_config("nn1024", steps=60), tiny_letters).run())
    assert not any(isinstance(e, RunFailed) for e in events)


def test_same_seed_same_curve(tiny_letters):
    def curve(seed):
        t = Trainer(small_config("nn1024-l2", steps=20, dropout=0.3, seed=seed), tiny_letters)
        list(t.run())
        return t.steps_log.array[:, 1]  # every step's loss (calls are sized by time)

    a, b, c = curve(3), curve(3), curve(4)
    np.testing.assert_allclose(a, b, rtol=1e-5)
    assert not np.allclose(a, c)


def test_exception_becomes_run_failed(tiny_letters, monkeypatch):
    trainer = Trainer(small_config(), tiny_letters)

    def boom(split):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(trainer, "evaluate", boom)
    events = list(trainer.run())
    assert isinstance(events[-1], RunFailed)
    assert "disk on fire" in events[-1].message and not events[-1].diverged
    assert "Traceback" in events[-1].details


def test_save_and_load_give_the_same_predictions(tiny_letters, tmp_path):
    from core.inference import load_predictor

    cfg = small_config("cnn-pool", steps=20, batch_size=16, save=True, run_dir=str(tmp_path / "r"))
    trainer = Trainer(cfg, tiny_letters)
    finished = list(recorded_run(trainer))[-1]
    assert finished.run_dir == str(tmp_path / "r")
    for name in ("model.keras", "settings.json", "metrics.json", "history.csv"):
        assert (tmp_path / "r" / name).is_file()
    live = trainer.predictor().probabilities(tiny_letters.test_x[:50])
    loaded = load_predictor(tmp_path / "r").probabilities(tiny_letters.test_x[:50])
    np.testing.assert_allclose(live, loaded, atol=1e-5)
    lines = (tmp_path / "r" / "history.csv").read_text().splitlines()
    assert len(lines) == 21 and lines[0].startswith("step,minibatch_loss")


def test_cross_entropy_leaves_the_l2_penalty_out(tiny_letters):
    trainer = Trainer(small_config("nn1024-l2", steps=10, l2=0.01), tiny_letters)
    steps = [e for e in trainer.run() if isinstance(e, StepMetrics)]
    for e in steps:
        assert np.isfinite(e.cross_entropy)
        assert e.cross_entropy < e.loss  # the lesson's minibatch loss includes lambda * L2


@pytest.mark.parametrize(
    ("preset", "l2"),
    [
        ("nn1024-l2", 0.01),
        ("nn1024", 0.0),
        ("mnist-relu-adam", 0.003),
        ("cnn-stride", 0.0),
        ("deep-decay", 0.001),
        ("mnist-sigmoid5", 0.0),
        ("logreg-l2", 0.01),
    ],
)
def test_a_chunk_is_plain_gradient_steps(tiny_letters, preset, l2):
    """The compiled chunk (prefetched batches, L2 skipped at lambda 0, fused SGD, the batch in two
    halves or SplitDense blocks) takes the same steps as a plain loop: loss = cross-entropy +
    lambda * sum(w^2) / 2, then the optimizer."""
    import copy

    import keras
    import tensorflow as tf

    from core.models.build import weight_kernels

    trainer = Trainer(small_config(preset, l2=l2, dropout=0.0), tiny_letters)
    ref = keras.models.clone_model(trainer.model)
    ref.set_weights(trainer.model.get_weights())
    schedule = copy.deepcopy(trainer.schedule)
    lr = trainer.knob("learning_rate")
    opt = keras.optimizers.Adam(lr) if trainer.preset.optimizer == "adam" else None
    losses = trainer._train_chunk(trainer.schedule.next(6))[0].numpy()

    expected = []
    for rows in schedule.next(6):
        y = tf.constant(tiny_letters.train_y[rows].astype(np.int32))
        with tf.GradientTape() as tape:
            logits = ref(tiny_letters.train_x[rows], training=True)
            loss = tf.reduce_mean(
                tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits)
            )
            loss += l2 * tf.add_n([tf.reduce_sum(w * w) / 2 for w in weight_kernels(ref)])
        grads = tape.gradient(loss, ref.trainable_variables)
        if opt is None:
            for g, v in zip(grads, ref.trainable_variables, strict=True):
                v.assign_sub(lr * g)
        else:
            opt.apply(grads, ref.trainable_variables)
        expected.append(float(loss))
    np.testing.assert_allclose(losses, expected, rtol=1e-4)  # graph vs eager rounding
    for got, want in zip(trainer.model.get_weights(), ref.get_weights(), strict=True):
        # lr 0.5 on std-1 weights amplifies rounding: a few ReLUs flip, ~1e-3 off in 0.1%
        np.testing.assert_allclose(got, want, atol=2e-3 * max(1.0, float(np.abs(want).max())))
    assert int(trainer.optimizer.iterations.numpy()) == 6


@pytest.mark.parametrize(
    ("preset", "halves", "blocks"),
    [
        ("nn1024", False, 2),
        ("deep-decay", False, 2),
        ("cnn-pool", True, 0),
        ("mnist-relu-adam", True, 0),
        ("mnist-cnn-bn", True, 0),
    ],
)
def test_each_step_has_two_independent_halves(tiny_letters, preset, halves, blocks):
    """Wide layers are SplitDense blocks; otherwise the batch is halved."""
    from core.models.layers import SplitDense

    trainer = Trainer(small_config(preset), tiny_letters)
    assert trainer._batch_halves is halves
    split = [layer for layer in trainer.model.layers if isinstance(layer, SplitDense)]
    assert sum(len(layer.kernels) for layer in split) == blocks


def test_batch_norm_normalizes_the_halves_with_the_whole_batch(tiny_letters):
    """Halving the batch does not make batch norm per half-batch ("ghost" batch norm): the first
    step's loss and the moving statistics it leaves are those of the whole batch in one piece.

    Both come from the same weights, so they agree to float32 rounding on any CPU (per-half
    statistics would move the loss by percents). Later steps are not compared: Adam's first
    updates are about ``lr * sign(gradient)``, so a last-bit difference in a tiny gradient (the
    halves add up in another order, differently on other CPUs) becomes an lr-sized weight change.
    """
    import copy

    def first_step(halves: bool) -> tuple[float, list[np.ndarray]]:
        trainer = Trainer(small_config("mnist-cnn-bn", dropout=0.0), tiny_letters)
        trainer._batch_halves = halves
        rows = copy.deepcopy(trainer.schedule).next(1)
        loss = float(trainer._train_chunk(rows)[0].numpy()[0])
        moving = [w.numpy() for w in trainer.model.non_trainable_weights if "moving" in w.path]
        return loss, moving

    (halved, halved_moving), (whole, whole_moving) = first_step(True), first_step(False)
    assert len(whole_moving) == 8  # mean and variance of four batch norms
    assert halved == pytest.approx(whole, rel=1e-5)
    for got, want in zip(halved_moving, whole_moving, strict=True):
        assert np.abs(want).max() > 0  # the step did move the statistics
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize(
    ("preset", "by_hand"),
    [
        ("overfit-dropout", True),
        ("deep-decay", True),
        ("mnist-sigmoid5", True),
        ("logreg-sgd", True),
        ("cnn-pool", False),
        ("mnist-cnn-bn", False),
    ],
)
def test_dense_gradients_by_hand_match_the_tape_with_dropout(tiny_letters, preset, by_hand):
    """Dense networks get their gradients by hand (blocks kept apart), others from the tape;
    by hand, with dropout on, the steps are the tape's: the same losses and weights (the same
    dropout draws)."""

    def chunk(hand: bool) -> tuple[np.ndarray, list]:
        trainer = Trainer(small_config(preset, dropout=0.4, l2=0.001), tiny_letters)
        if not hand:
            trainer._backprop = None
        losses = trainer._train_chunk(trainer.schedule.next(5))[0].numpy()
        return losses, trainer.model.get_weights()

    assert (Trainer(small_config(preset), tiny_letters)._backprop is not None) is by_hand
    if not by_hand:
        return
    (hand_losses, hand_weights), (tape_losses, tape_weights) = chunk(True), chunk(False)
    np.testing.assert_allclose(hand_losses, tape_losses, rtol=1e-5)
    for got, want in zip(hand_weights, tape_weights, strict=True):
        np.testing.assert_allclose(got, want, atol=1e-5 * max(1.0, float(np.abs(want).max())))


def test_the_trainer_refuses_a_dataset_without_valid_images(tiny_letters):
    import dataclasses

    from core.data.errors import DataError

    empty = dataclasses.replace(
        tiny_letters, valid_x=tiny_letters.valid_x[:0], valid_y=tiny_letters.valid_y[:0]
    )
    with pytest.raises(DataError, match="valid split is empty"):
        Trainer(small_config(), empty)
