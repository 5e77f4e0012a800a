"""Run folders: atomic checkpoints, status and liveness, weight timeline, listing, finding."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from core.cli import runs_cmd
from core.data.errors import DataError
from core.events import WeightSnapshot
from core.runs import files
from core.runs import timeline as run_timeline
from core.runs.checkpoint import POINTER_FILE, latest_checkpoint, write_checkpoint
from core.runs.listing import effective_state, find_run, list_runs, load_history, read_run_info
from core.runs.lock import RunLock
from core.training.config import TrainConfig
from core.training.recorder import recorded_run
from core.training.resume import resume
from core.training.trainer import Trainer


def small(run_dir, **kw) -> TrainConfig:
    base = {
        "steps": 20,
        "batch_size": 32,
        "eval_every": 10,
        "snapshot_every": 10,
        "steps_per_call": 5,
        "run_dir": None if run_dir is None else str(run_dir),
        "checkpoint_seconds": 0.0,
    }
    base.update(kw)
    return TrainConfig.from_preset("logreg-sgd", **base)


def test_a_finished_run_folder_has_everything(tiny_letters, tmp_path):
    list(recorded_run(Trainer(small(tmp_path / "r"), tiny_letters)))
    run = tmp_path / "r"
    for name in (
        "settings.json",
        "status.json",
        "history.csv",
        "snapshots.npz",
        POINTER_FILE,
        "model.keras",
        "metrics.json",
    ):
        assert (run / name).is_file(), name
    assert not [p for p in run.rglob("*") if ".tmp" in p.name]  # no temporary leftovers
    settings = json.loads((run / "settings.json").read_text())
    assert settings["class_names"] == list("ABCDEFGHIJ")
    assert settings["format"] == 1
    assert settings["dataset"]["train"] == 600
    status = files.read_status(run)
    assert status["state"] == "finished"
    assert status["pid"] == os.getpid()
    assert status["steps_done"] == status["total_steps"] == 20
    assert 0 < status["best_valid_accuracy"] <= 1
    rows, evals = load_history(run)
    assert rows.shape == (20, 7)
    assert [e["step"] for e in evals] == [0, 10, 19]


def test_only_the_two_newest_checkpoints_are_kept_and_a_crash_mid_write_is_harmless(
    tiny_letters, tmp_path
):
    run = tmp_path / "r"
    list(
        recorded_run(Trainer(small(run, steps=40), tiny_letters))
    )  # checkpoints at 0, 1, 11, 21, 31, 40
    prefixes = {p.name.split(".")[0] for p in (run / "checkpoints").iterdir()}
    assert len(prefixes) == 2
    ref = latest_checkpoint(run)
    assert ref.step == 40
    # a process killed after writing TF files but before the pointer: the pointer still wins
    (run / "checkpoints" / "ckpt-000000099-x.index").write_bytes(b"partial")
    assert latest_checkpoint(run) == ref
    # a pointer at files that vanished is reported, naming them
    ref.state.unlink()
    with pytest.raises(DataError, match="checkpoint files are missing"):
        latest_checkpoint(run)


def test_write_checkpoint_then_restore_gives_the_same_trainer(tiny_letters, tmp_path):
    a = Trainer(small(None, save=False, steps=30), tiny_letters)
    list(a.run())
    write_checkpoint(tmp_path, a.tf_checkpoint(), a.state())
    (tmp_path / "settings.json").write_text(
        json.dumps({"settings": small(None, steps=30).to_dict(), "class_names": list("ABCDEFGHIJ")})
    )
    b, recorder, notes = resume(tmp_path, tiny_letters, steps=60)
    recorder.close()
    assert notes == []
    for va, vb in zip(a.model.weights, b.model.weights, strict=True):
        np.testing.assert_array_equal(va.numpy(), vb.numpy())
    np.testing.assert_array_equal(a.schedule.next(3), b.schedule.next(3))
    np.testing.assert_array_equal(a.steps_log.array, b.steps_log.array)


def snap(step: int, value: float = 1.0) -> WeightSnapshot:
    mosaic = np.full((57, 57), value, np.float32)
    mosaic[28] = np.nan
    return WeightSnapshot(step, "output", mosaic, (28, 28), (2, 2), 1.0, ("A", "B", "C", "D"))


def test_timeline_is_float16_bounded_and_round_trips(tmp_path):
    timeline: list[WeightSnapshot] = []
    for step in range(200):
        run_timeline.add_to_timeline(timeline, snap(step, 1e6 if step == 5 else 0.5))
    assert len(timeline) <= run_timeline.MAX_SNAPSHOTS
    steps = [s.step for s in timeline]
    assert steps[0] == 0
    assert steps[-1] == 199
    assert steps == sorted(steps)
    assert all(s.mosaic.dtype == np.float16 for s in timeline)
    run_timeline.write_timeline(tmp_path, timeline)
    back = run_timeline.read_timeline(tmp_path)
    assert [s.step for s in back] == steps
    assert np.isnan(back[0].mosaic[28]).all()
    assert back[-1].mosaic[0, 0] == pytest.approx(0.5)
    assert back[0].labels == ("A", "B", "C", "D")
    assert back[0].grid == (2, 2)
    big = [snap(0)]
    run_timeline.add_to_timeline(big, snap(5, 1e6))  # beyond float16: clipped, not inf
    assert np.isfinite(big[-1].mosaic[0]).all()


def test_a_running_run_is_live_while_its_lock_is_held_and_interrupted_after(tmp_path):
    (tmp_path / "r").mkdir()
    running = {"state": "running", "host": None}
    lock = RunLock(tmp_path / "r")
    lock.acquire()
    try:
        assert effective_state(tmp_path / "r", running) == "running"
    finally:
        lock.release()
    assert effective_state(tmp_path / "r", running) == "interrupted"
    assert effective_state(tmp_path / "r", {"state": "diverged"}) == "diverged"
    assert effective_state(tmp_path / "r", {**running, "host": "elsewhere"}) == "running"


def test_a_dead_process_releases_its_lock(tmp_path):
    code = (
        "import sys, os; from core.runs.lock import RunLock; "
        f"RunLock({str(tmp_path)!r}).acquire(); os._exit(0)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    assert effective_state(tmp_path, {"state": "running"}) == "interrupted"


def test_list_find_and_the_runs_command(tiny_letters, tmp_path, monkeypatch, capsys):
    root = tmp_path / "runs"
    monkeypatch.setenv("GLYPH_LAB_RUNS_DIR", str(root))
    list(recorded_run(Trainer(small(root / "first"), tiny_letters)))
    stopped = Trainer(small(root / "second", steps=1000), tiny_letters)
    for ev in recorded_run(stopped):
        if getattr(ev, "step", 0) >= 5:
            stopped.stop()
    (root / "not-a-run").mkdir()
    (root / "broken").mkdir()
    (root / "broken" / "settings.json").write_text("{not json")
    status = files.read_status(root / "second")
    status["started"] = "2999-01-01T00:00:00"  # newest first
    (root / "second" / "status.json").write_text(json.dumps(status))

    runs = list_runs()
    assert [r.id for r in runs] == ["second", "first", "broken", "not-a-run"]
    assert [r.status for r in runs] == ["stopped", "finished", "unreadable", "unreadable"]
    assert "unreadable" in runs[2].message
    assert "no settings.json" in runs[3].message
    assert runs[1].steps_done == runs[1].total_steps == 20
    assert find_run("first") == root / "first"
    assert find_run(str(root / "second")) == (root / "second").resolve()
    with pytest.raises(DataError, match="no such run"):
        find_run("third")
    with pytest.raises(DataError, match="not a Glyph Lab run folder"):
        read_run_info(root / "not-a-run")

    out_json = tmp_path / "runs.json"
    assert runs_cmd.run(argparse.Namespace(json=str(out_json), dir=None)) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == [
        "id",
        "preset",
        "dataset",
        "status",
        "steps",
        "best",
        "valid",
        "started",
    ]
    assert lines[2].split()[:5] == ["first", "logreg-sgd", "fonts-letters", "finished", "20/20"]
    assert lines[2].split()[5].endswith("%")
    assert "unreadable: " in lines[4]
    data = json.loads(out_json.read_text())
    assert [d["id"] for d in data] == ["second", "first", "broken", "not-a-run"]
    assert data[0]["path"] == str(root / "second")

    assert runs_cmd.run(argparse.Namespace(json=None, dir=str(tmp_path / "empty-nope"))) == 2
    assert "no such folder" in capsys.readouterr().err


def test_load_run_without_a_final_model_uses_the_checkpoint(tiny_letters, tmp_path):
    from core.inference import load_predictor

    trainer = Trainer(small(tmp_path / "r"), tiny_letters)
    list(recorded_run(trainer))
    live = trainer.predictor().probabilities(tiny_letters.test_x[:30])
    (tmp_path / "r" / "model.keras").unlink()
    loaded = load_predictor(tmp_path / "r").probabilities(tiny_letters.test_x[:30])
    np.testing.assert_allclose(live, loaded, atol=1e-6)


def test_history_keeps_the_cross_entropy_and_reads_older_files(tmp_path):
    from core.runs.history import StepLog, read_history_csv, write_history_csv

    log = StepLog()
    log.extend(
        np.arange(3),
        np.array([3.0, 2.5, 2.0]),
        np.full(3, 0.5),
        np.full(3, 0.1),
        np.array([2.3, 1.9, 1.5]),
    )
    path = tmp_path / "history.csv"
    write_history_csv(path, log, [{"step": 2, "valid_loss": 1.4, "valid_accuracy": 0.6}])
    rows, evals = read_history_csv(path)
    np.testing.assert_allclose(rows[:, 1], [3.0, 2.5, 2.0])  # with the L2 term
    np.testing.assert_allclose(rows[:, 4], [2.3, 1.9, 1.5])  # cross-entropy alone
    assert evals == [{"step": 2, "valid_loss": 1.4, "valid_accuracy": 0.6}]
    old = tmp_path / "old.csv"  # written before the cross-entropy column existed
    old.write_text(
        "step,minibatch_loss,minibatch_accuracy,learning_rate,valid_loss,"
        "valid_accuracy\n0,2.5,0.5,0.1,,\n1,2.0,0.6,0.1,1.9,0.55\n"
    )
    rows, evals = read_history_csv(old)
    np.testing.assert_allclose(rows[:, 4], rows[:, 1])
    assert evals[0]["step"] == 1


def test_the_timeline_can_be_read_for_its_newest_snapshot_alone(tmp_path):
    assert run_timeline.read_timeline(tmp_path, last_only=True) == []  # none saved
    timeline: list[WeightSnapshot] = []
    for step in range(5):
        run_timeline.add_to_timeline(timeline, snap(step, 0.1 * (step + 1)))
    run_timeline.write_timeline(tmp_path, timeline)
    [last] = run_timeline.read_timeline(tmp_path, last_only=True)
    assert last.step == 4
    np.testing.assert_array_equal(last.mosaic, run_timeline.read_timeline(tmp_path)[-1].mosaic)
