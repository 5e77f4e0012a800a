"""Runs are never lost: kill -9 then resume, stop, close, divergence, and the CLI around them."""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import main
from core.cli import runs_cmd
from core.events import RunFailed, RunFinished, StepMetrics
from core.runs import files
from core.runs.checkpoint import latest_checkpoint
from core.runs.history import read_history_csv
from core.runs.listing import list_runs, load_history, load_snapshots, read_run_info
from core.runs.model import load_run
from core.training.config import TrainConfig
from core.training.recorder import recorded_run
from core.training.resume import resume
from core.training.trainer import Trainer

REPO = Path(__file__).resolve().parents[3]


def config(preset: str, run_dir: Path, **kw: object) -> TrainConfig:
    base = {
        "steps": 40,
        "batch_size": 32,
        "eval_every": 10,
        "snapshot_every": 10,
        "steps_per_call": 5,
        "run_dir": str(run_dir),
        "checkpoint_seconds": 0.0,
    }
    base.update(kw)
    return TrainConfig.from_preset(preset, **base)


def losses(events: list) -> dict[int, float]:
    return {e.step: e.loss for e in events if isinstance(e, StepMetrics)}


def test_resumed_run_matches_an_uninterrupted_one(tiny_letters, tmp_path):
    """Model, Adam state, step, batch order and a changed knob all come back from a checkpoint."""

    def with_knob(trainer: Trainer) -> list:
        out = []
        for e in recorded_run(trainer):
            out.append(e)
            if isinstance(e, StepMetrics) and e.step >= 10:
                trainer.set_knob("l2", 0.01)  # no-op once set; takes effect at step 11
        return out

    full = Trainer(
        config("mnist-relu-adam", tmp_path / "full", steps=50, steps_per_call=1), tiny_letters
    )
    whole = losses(with_knob(full))
    first = Trainer(config("mnist-relu-adam", tmp_path / "part", steps=30), tiny_letters)
    part = with_knob(first)
    assert isinstance(part[-1], RunFinished)
    assert read_run_info(tmp_path / "part").status == "finished"

    resumed, recorder, _ = resume(tmp_path / "part", tiny_letters, steps=50)
    assert resumed.start_step == 30
    assert int(resumed.step.numpy()) == 30
    assert resumed.knob("l2") == pytest.approx(0.01)
    assert resumed.steps_log.n == 30
    assert [e["step"] for e in resumed.evals][-1] == 29
    rest = list(recorder.record(resumed.run()))
    assert isinstance(rest[-1], RunFinished)
    assert rest[-1].step == 50
    after = losses(rest)
    assert min(after) == 30
    np.testing.assert_allclose([after[s] for s in after], [whole[s] for s in after], rtol=2e-4)
    rows, evals = load_history(tmp_path / "part")
    np.testing.assert_array_equal(rows[:, 0], np.arange(50))
    np.testing.assert_allclose(rows[30:, 1], [whole[s] for s in range(30, 50)], rtol=2e-4)
    assert [e["step"] for e in evals] == [0, 10, 20, 29, 30, 40, 49]
    info = read_run_info(tmp_path / "part")
    assert (info.status, info.steps_done, info.total_steps) == ("finished", 50, 50)
    assert [s.step for s in load_snapshots(tmp_path / "part")][-1] == 50


def test_kill_9_mid_training_is_interrupted_and_resumes(letters_npz, tmp_path, capsys, monkeypatch):
    runs = tmp_path / "runs"
    env = {
        **os.environ,
        "GLYPH_LAB_RUNS_DIR": str(runs),
        "GLYPH_LAB_CACHE_DIR": str(tmp_path / "cache"),
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "CUDA_VISIBLE_DEVICES": "",
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "main.py",
            "train",
            "--preset",
            "logreg-sgd",
            "--dataset",
            str(letters_npz),
            "--steps",
            "100000",
            "--batch-size",
            "32",
            "--log-every",
            "20",
            "--checkpoint-seconds",
            "0",
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        ref = None
        while time.monotonic() < deadline and proc.poll() is None:
            folders = list(runs.glob("*/checkpoint.json")) if runs.is_dir() else []
            if folders:
                ref = latest_checkpoint(folders[0].parent)
                if ref is not None and ref.step >= 60:
                    break
            time.sleep(0.1)
        assert proc.poll() is None, proc.stderr.read().decode()
        assert ref is not None, "no checkpoint within 60 s"
        assert ref.step >= 60
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait(10)
        proc.stderr.close()
    (info,) = list_runs(runs)
    assert (info.status, info.resumable, info.has_model) == ("interrupted", True, False)
    done = info.steps_done
    assert done >= 60
    assert info.total_steps == 100_000
    assert files.read_status(info.path)["state"] == "running"  # what the dead process left

    monkeypatch.setenv("GLYPH_LAB_RUNS_DIR", str(runs))
    report = tmp_path / "runs.json"
    assert runs_cmd.run(argparse.Namespace(json=str(report), dir=None)) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split()[:4] == ["id", "preset", "dataset", "status"]
    assert table[1].split()[:5] == [
        info.id,
        "logreg-sgd",
        "letters.npz",
        "interrupted",
        f"{done}/100000",
    ]
    assert json.loads(report.read_text())[0]["status"] == "interrupted"

    total = done + 45
    assert main.main(["train", "--resume", info.id, "--steps", str(total)]) == 0
    out = capsys.readouterr().out
    assert f"Resuming {info.id} (logreg-sgd) from step {done} of {total}" in out
    after = read_run_info(info.path)
    assert (after.status, after.steps_done, after.total_steps) == ("finished", total, total)
    assert after.has_model
    rows, _ = read_history_csv(info.path / files.HISTORY_FILE)
    np.testing.assert_array_equal(rows[:, 0], np.arange(total))  # continuous, no gap, no repeat
    assert np.isfinite(rows[:, 1]).all()


def test_stopped_run_saves_model_history_and_status(tiny_letters, tmp_path):
    trainer = Trainer(
        config("logreg-sgd", tmp_path / "r", steps=100_000, checkpoint_seconds=3600), tiny_letters
    )
    events = []
    for e in recorded_run(trainer):
        events.append(e)
        if isinstance(e, StepMetrics) and e.step >= 24:
            trainer.stop()
    assert isinstance(events[-1], RunFinished)
    assert events[-1].stopped
    info = read_run_info(tmp_path / "r")
    assert (info.status, info.steps_done) == ("stopped", events[-1].step)
    assert (info.has_model, info.resumable) == (True, True)
    assert latest_checkpoint(tmp_path / "r").step == events[-1].step
    rows, _ = load_history(tmp_path / "r")
    assert len(rows) == events[-1].step


def test_closing_the_generator_mid_run_saves_it_as_stopped(tiny_letters, tmp_path):
    trainer = Trainer(config("logreg-sgd", tmp_path / "r", steps=100_000), tiny_letters)
    gen = recorded_run(trainer)
    for e in gen:
        if isinstance(e, StepMetrics) and e.step >= 14:
            break
    gen.close()  # what a cancelled worker does
    info = read_run_info(tmp_path / "r")
    assert (info.status, info.has_model) == ("stopped", True)
    assert info.steps_done == int(trainer.step.numpy()) >= 15
    assert latest_checkpoint(tmp_path / "r").step == info.steps_done


def test_divergence_keeps_the_previous_checkpoint_loadable(tiny_letters, tmp_path):
    from core.inference import load_predictor

    run = tmp_path / "r"
    trainer = Trainer(
        config("nn1024", run, learning_rate=1000.0, steps=300, eval_every=5, steps_per_call=1),
        tiny_letters,
    )
    events = list(recorded_run(trainer))
    failed = events[-1]
    assert isinstance(failed, RunFailed)
    assert failed.diverged
    info = read_run_info(run)
    assert info.status == "diverged"
    assert f"diverged at step {failed.step}" in info.message
    ref = latest_checkpoint(run)
    assert ref is not None
    assert 0 < ref.step <= failed.step
    probs = load_predictor(run).probabilities(tiny_letters.test_x[:20])  # no model.keras
    assert not info.has_model
    assert np.isfinite(probs).all()
    resumed, recorder, _ = resume(run, tiny_letters)
    recorder.close()
    assert resumed.start_step == ref.step
    assert all(np.isfinite(v.numpy()).all() for v in resumed.model.weights)


def test_resume_errors_are_one_line(letters_npz, tiny_letters, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("GLYPH_LAB_RUNS_DIR", str(tmp_path / "runs"))
    assert main.main(["train", "--resume", "no-such-run"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: no-such-run: no such run")
    assert "\n" not in err

    run = tmp_path / "runs" / "r1"
    list(
        recorded_run(
            Trainer(config("logreg-sgd", run, steps=20, dataset=str(letters_npz)), tiny_letters)
        )
    )
    assert main.main(["train", "--resume", "r1", "--steps", "20"]) == 2
    err = capsys.readouterr().err.strip()
    assert "already done 20 of 20 steps" in err
    assert "\n" not in err
    assert main.main(["train", "--resume", str(run), "--lr", "0.1"]) == 2
    assert "drop --lr" in capsys.readouterr().err
    assert main.main(["train"]) == 2
    assert "--preset is required" in capsys.readouterr().err


def test_a_run_saved_before_dense_parts_existed_resumes_with_whole_kernels(tiny_letters, tmp_path):
    """Its checkpoints hold one kernel per layer: the model is rebuilt that way, not split."""
    from core.models.layers import SplitDense

    run = tmp_path / "r"
    old = Trainer(config("nn1024", run, steps=20, dense_parts=1), tiny_letters)
    list(recorded_run(old))
    settings_path = run / files.SETTINGS_FILE
    meta = json.loads(settings_path.read_text())
    del meta["settings"]["dense_parts"]
    settings_path.write_text(json.dumps(meta))
    resumed, recorder, _ = resume(run, tiny_letters, steps=30)
    assert resumed.config.dense_parts == 1
    assert not any(isinstance(layer, SplitDense) for layer in resumed.model.layers)
    for got, want in zip(resumed.model.get_weights(), old.model.get_weights(), strict=True):
        np.testing.assert_array_equal(got, want)
    assert isinstance(list(recorder.record(resumed.run()))[-1], RunFinished)
    (run / files.MODEL_FILE).unlink()  # rebuilt from settings + checkpoint, as for a crash
    model, _ = load_run(run)
    assert not any(isinstance(layer, SplitDense) for layer in model.layers)
