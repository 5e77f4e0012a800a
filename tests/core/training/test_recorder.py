"""The recorder writes run folders beside the trainer: formats, the knob timeline, the lock,
older runs, and folders that are damaged or crafted."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import main
from core.data.errors import DataError
from core.events import RunFailed, RunFinished, StepMetrics
from core.runs import files
from core.runs.checkpoint import checkpoints_newest_first, latest_checkpoint
from core.runs.files import KnobChange, read_knob_changes
from core.runs.history import read_history_csv
from core.runs.listing import list_runs, read_run_info
from core.runs.lock import RunBusy, RunLock
from core.training.batches import BatchSchedule
from core.training.config import TrainConfig
from core.training.recorder import recorded_run
from core.training.resume import resume
from core.training.trainer import Trainer
from tests.fixtures.format0 import FIXTURE, pattern_letters

REPO = Path(__file__).resolve().parents[3]


def config(run_dir: Path | None, **kw: object) -> TrainConfig:
    base = {
        "steps": 40,
        "batch_size": 32,
        "eval_every": 10,
        "snapshot_every": 10,
        "steps_per_call": 5,
        "run_dir": None if run_dir is None else str(run_dir),
        "checkpoint_seconds": 0.0,
    }
    base.update(kw)
    return TrainConfig.from_preset(str(base.pop("preset", "logreg-sgd")), **base)


def test_settings_keep_the_start_and_the_knob_timeline_every_change(tiny_letters, tmp_path):
    trainer = Trainer(config(tmp_path / "r", learning_rate=0.5), tiny_letters)
    for ev in recorded_run(trainer):
        if isinstance(ev, StepMetrics) and ev.step >= 9 and trainer.knob("l2") == 0:
            trainer.set_knob("l2", 0.01)
            trainer.set_knob("learning_rate", 0.05)
    meta = files.read_settings(tmp_path / "r")
    assert meta["format"] == 1
    assert (meta["settings"]["learning_rate"], meta["settings"]["l2"]) == (0.5, 0.0)
    changes = read_knob_changes(tmp_path / "r")
    assert sorted((c.name, c.old, c.new) for c in changes) == [
        ("l2", 0.0, 0.01),
        ("learning_rate", 0.5, pytest.approx(0.05)),
    ]
    (at,) = {c.step for c in changes}
    rows, _ = read_history_csv(tmp_path / "r" / "history.csv")
    np.testing.assert_array_equal(rows[:at, 5], 0.0)
    np.testing.assert_allclose(rows[at:, 5], 0.01)
    np.testing.assert_allclose(rows[at - 1 : at + 1, 3], [0.5, 0.05])
    assert json.loads((tmp_path / "r" / "status.json").read_text())["format"] == 1


def test_a_knob_plan_is_replayed_at_its_steps_whatever_the_chunks(tiny_letters):
    plan = [KnobChange(13, "learning_rate", 0.5, 0.2), KnobChange(27, "l2", 0.0, 0.003)]
    trainer = Trainer(config(None, save=False, steps_per_call=50), tiny_letters, plan)
    events = list(trainer.run())
    got = [(e.step, e.name, e.new) for e in events if type(e).__name__ == "KnobChanged"]
    assert got == [(13, "learning_rate", 0.2), (27, "l2", 0.003)]
    lrs = trainer.steps_log.array[:, 3]
    assert lrs[12] == pytest.approx(0.5) and lrs[13] == pytest.approx(0.2)


def test_the_trainer_refuses_a_knob_its_model_has_no_use_for(tiny_letters):
    trainer = Trainer(config(None, save=False), tiny_letters)
    with pytest.raises(ValueError, match="has no dropout"):
        trainer.set_knob("dropout", 0.3)
    assert Trainer(config(None, preset="nn1024", save=False), tiny_letters).live_knobs == (
        "learning_rate",
        "l2",
        "dropout",
    )


def test_a_batch_schedule_continues_from_its_state():
    a = BatchSchedule(100, 32, seed=3)
    a.next(7)
    b = BatchSchedule(100, 32, seed=99)
    b.restore(a.state())
    np.testing.assert_array_equal(a.next(9), b.next(9))
    with pytest.raises(ValueError, match="trained on 100 images"):
        BatchSchedule(50, 32).restore(a.state())


# -- runs written before run files had a format
def copy_fixture(tmp_path: Path) -> Path:
    run = tmp_path / "runs" / "old-run"
    shutil.copytree(FIXTURE, run)
    return run


def test_a_run_from_before_formats_lists_opens_and_resumes(tmp_path):
    from gui.opened_run import read_run

    run = copy_fixture(tmp_path)
    (info,) = list_runs(tmp_path / "runs")
    assert (info.id, info.status, info.steps_done, info.total_steps) == (
        "old-run",
        "stopped",
        31,
        60,
    )
    assert files.read_settings(run)["format"] == 0
    opened = read_run(run)
    assert opened.problems == []
    assert opened.knob_changes == []
    assert opened.rows.shape == (31, 7)
    assert np.isnan(opened.rows[:, 5]).all()  # no L2 column then
    assert opened.predictor is not None
    trainer, recorder, notes = resume(run, pattern_letters())
    assert notes == []
    assert trainer.start_step == 31
    assert trainer.knob("learning_rate") == pytest.approx(0.1)  # in force at the checkpoint
    assert trainer.knob("l2") == pytest.approx(0.001)
    last = list(recorder.record(trainer.run()))[-1]
    assert isinstance(last, RunFinished)
    assert read_run_info(run).status == "finished"
    rows, _ = read_history_csv(run / "history.csv")
    np.testing.assert_array_equal(rows[:, 0], np.arange(60))


# -- one process at a time
def test_a_second_resume_of_a_run_in_training_is_refused(tiny_letters, tmp_path):
    run = tmp_path / "r"
    list(recorded_run(Trainer(config(run, steps=20), tiny_letters)))
    lock = RunLock(run)
    lock.acquire()
    try:
        with pytest.raises(RunBusy, match=f"run r is being trained by process {os.getpid()}"):
            resume(run, tiny_letters, steps=40)
    finally:
        lock.release()
    _trainer, recorder, _ = resume(run, tiny_letters, steps=40)
    recorder.close()


def cli(*args: str, env: dict, **kw: object) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "main.py", *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kw,
    )


def test_two_processes_resuming_one_run_and_sigterm_stopping_the_first(letters_npz, tmp_path):
    env = {
        **os.environ,
        "GLYPH_LAB_CACHE_DIR": str(tmp_path / "cache"),
        "TF_CPP_MIN_LOG_LEVEL": "3",
    }
    run = tmp_path / "run"
    first = cli(
        "train",
        "--preset",
        "logreg-sgd",
        "--dataset",
        str(letters_npz),
        "--steps",
        "20",
        "--batch-size",
        "32",
        "--save",
        str(run),
        env=env,
    )
    assert first.wait(120) == 0, first.stderr.read()
    first.stdout.close(), first.stderr.close()
    a = cli("train", "--resume", str(run), "--steps", "10000000", "--log-every", "20", env=env)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and a.poll() is None:
            if files.read_status(run).get("state") == "running":
                break
            time.sleep(0.05)
        assert files.read_status(run).get("state") == "running"
        b = cli("train", "--resume", str(run), "--steps", "10000000", env=env)
        out, err = b.communicate(timeout=120)
        assert b.returncode == 1
        assert err.strip() == f"error: run run is being trained by process {a.pid}"
        time.sleep(0.5)
        assert a.poll() is None  # the first is unharmed
        a.send_signal(signal.SIGTERM)
        out, err = a.communicate(timeout=60)
    finally:
        a.kill()
    assert a.returncode == 0, err
    assert "Traceback" not in err
    assert f"resume with: main.py train --resume {run.name}" in out
    info = read_run_info(run)
    assert info.status == "stopped"
    assert info.steps_done > 20
    assert latest_checkpoint(run).step == info.steps_done


# -- hostile and damaged folders
def test_a_checkpoints_folder_that_is_a_link_is_never_written_or_pruned(tiny_letters, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "precious.txt").write_text("keep me")
    (elsewhere / "ckpt-000000001-20260101000000000000.index").write_text("also mine")
    run = tmp_path / "r"
    run.mkdir()
    (run / "checkpoints").symlink_to(elsewhere)
    events = list(recorded_run(Trainer(config(run), tiny_letters)))
    assert isinstance(events[-1], RunFailed)
    assert "symbolic link" in events[-1].message
    assert sorted(p.name for p in elsewhere.iterdir()) == [
        "ckpt-000000001-20260101000000000000.index",
        "precious.txt",
    ]


def test_planted_temporary_links_are_replaced_not_written_through(tiny_letters, tmp_path):
    target = tmp_path / "victim.txt"
    target.write_text("untouched")
    run = tmp_path / "r"
    list(recorded_run(Trainer(config(run, steps=10), tiny_letters)))
    for name in ("history.tmp", "tmp-model.keras", "status.json", ".tmp-planted.json"):
        (run / name).unlink(missing_ok=True)
        (run / name).symlink_to(target)
    trainer, recorder, _ = resume(run, tiny_letters, steps=20)
    assert isinstance(list(recorder.record(trainer.run()))[-1], RunFinished)
    assert target.read_text() == "untouched"
    assert not (run / "status.json").is_symlink()
    assert not (run / ".tmp-planted.json").exists()  # a leftover temporary: cleaned


def test_pruning_deletes_only_what_it_wrote(tiny_letters, tmp_path):
    run = tmp_path / "r"
    (run / "checkpoints").mkdir(parents=True)
    (run / "checkpoints" / "notes.txt").write_text("mine")
    (run / "checkpoints" / "ckpt-000000001-20260101000000000000_temp").mkdir()  # a killed write
    list(recorded_run(Trainer(config(run, steps=30), tiny_letters)))
    names = {p.name for p in (run / "checkpoints").iterdir()}
    assert "notes.txt" in names
    assert not any(n.endswith("_temp") for n in names)
    assert len({n.split(".")[0] for n in names} - {"notes"}) == 2


def test_save_refuses_a_folder_that_holds_something(letters_npz, tmp_path, capsys):
    target = tmp_path / "mine"
    (target / "checkpoints").mkdir(parents=True)
    (target / "checkpoints" / "notes.txt").write_text("notes")
    args = ["train", "--preset", "logreg-sgd", "--dataset", str(letters_npz), "--steps", "10"]
    assert main.main([*args, "--save", str(target)]) == 2
    err = capsys.readouterr().err.strip()
    assert "is not empty and is not a Glyph Lab run" in err and "\n" not in err
    assert (target / "checkpoints" / "notes.txt").read_text() == "notes"
    run = tmp_path / "run"
    assert main.main([*args, "--save", str(run)]) == 0
    assert main.main([*args, "--save", str(run)]) == 2
    assert "give --overwrite" in capsys.readouterr().err
    assert main.main([*args, "--steps", "12", "--save", str(run), "--overwrite"]) == 0
    assert read_run_info(run).steps_done == 12
    assert len(checkpoints_newest_first(run)) == 2


def test_a_damaged_newest_checkpoint_falls_back_to_the_one_before(tiny_letters, tmp_path):
    run = tmp_path / "r"
    list(recorded_run(Trainer(config(run, steps=30), tiny_letters)))
    newest, older = checkpoints_newest_first(run)
    newest.state.write_bytes(b"PK\x03\x04 truncated")
    (run / "snapshots.npz").write_bytes(b"PK\x03\x04 truncated too")
    trainer, recorder, notes = resume(run, tiny_letters, steps=40)
    assert trainer.start_step == older.step
    assert any(f"checkpoint at step {newest.step} could not be read" in n for n in notes)
    assert any("weight timeline could not be read" in n for n in notes)
    assert isinstance(list(recorder.record(trainer.run()))[-1], RunFinished)
    assert read_run_info(run).steps_done == 40


def test_every_checkpoint_damaged_is_one_clear_error(tiny_letters, tmp_path):
    run = tmp_path / "r"
    list(recorded_run(Trainer(config(run, steps=20), tiny_letters)))
    for ref in checkpoints_newest_first(run):
        ref.state.write_bytes(b"")
    with pytest.raises(DataError, match="could not be read"):
        resume(run, tiny_letters, steps=30)
    lock = RunLock(run)
    lock.acquire()  # the failed resume let its lock go
    lock.release()


def test_a_full_disk_ends_the_run_as_failed_and_says_so(tiny_letters, tmp_path, monkeypatch):
    import core.training.recorder as recorder_module

    def full(*_a: object, **_k: object) -> None:
        raise OSError(28, "No space left on device")

    run = tmp_path / "r"
    trainer = Trainer(config(run, steps=40), tiny_letters)
    events = []
    for ev in recorded_run(trainer):
        events.append(ev)
        if isinstance(ev, StepMetrics) and ev.step >= 15:
            monkeypatch.setattr(recorder_module, "save_final", full)
            monkeypatch.setattr(recorder_module, "write_checkpoint", full)
    assert isinstance(events[-1], RunFailed)
    assert events[-1].message == "the run folder could not be written: No space left on device"
    info = read_run_info(run)
    assert info.status == "failed"
    assert "No space left" in info.message
    assert not [p for p in run.iterdir() if p.name.startswith(".tmp-")]
