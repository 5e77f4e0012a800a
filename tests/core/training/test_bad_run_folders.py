"""Damaged and crafted run folders (issue 25, items 6-9 and 13): each one line, nothing hidden.

Every case starts from a real recorded run and breaks one file the way a crash, a full disk or a
hostile hand would; the listing, `runs`, `predict`, resume and the window's open-run must say what
is wrong in one line and keep everything else usable.
"""

from __future__ import annotations

import argparse
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import main
from core.cli import runs_cmd
from core.data.errors import DataError
from core.runs import files
from core.runs.checkpoint import checkpoints_newest_first
from core.runs.listing import list_runs, read_run_info
from core.training.config import TrainConfig
from core.training.recorder import recorded_run
from core.training.resume import resume
from core.training.trainer import Trainer


@pytest.fixture(scope="module")
def good_run(tiny_letters, tmp_path_factory) -> Path:
    """A finished 20-step logreg-sgd run, copied by each test before it breaks it."""
    run = tmp_path_factory.mktemp("good") / "run"
    cfg = TrainConfig.from_preset(
        "logreg-sgd",
        steps=20,
        batch_size=32,
        eval_every=10,
        snapshot_every=10,
        steps_per_call=5,
        run_dir=str(run),
        checkpoint_seconds=0.0,
    )
    list(recorded_run(Trainer(cfg, tiny_letters)))
    return run


@pytest.fixture
def runs_root(good_run, tmp_path) -> Path:
    import shutil

    root = tmp_path / "runs"
    for name in ("a", "b"):
        shutil.copytree(good_run, root / name)
    return root


def edit_json(path: Path, **changes: object) -> None:
    data = json.loads(path.read_text())
    data.update(changes)
    path.write_text(json.dumps(data))


@pytest.mark.parametrize(
    "changes",
    [
        {"steps_done": "x"},
        {"pid": "twelve"},
        {"pid": [1, 2]},
        {"best_valid_accuracy": "high"},
        {"total_steps": None, "state": 7},
    ],
)
def test_one_bad_status_hides_no_run(runs_root, changes, capsys, monkeypatch):
    edit_json(runs_root / "a" / "status.json", **changes)
    runs = {r.id: r for r in list_runs(runs_root)}
    assert set(runs) == {"a", "b"}
    assert runs["b"].status == "finished"
    assert runs["a"].status in ("finished", "interrupted")
    monkeypatch.setenv("GLYPH_LAB_RUNS_DIR", str(runs_root))
    assert runs_cmd.run(argparse.Namespace(json=None, dir=None)) == 0
    assert len(capsys.readouterr().out.splitlines()) == 3


def test_a_folder_that_cannot_be_read_is_listed_with_why(runs_root, capsys, monkeypatch):
    (runs_root / "a" / "settings.json").write_text('{"settings": 5}')
    (runs_root / "killed-before-settings").mkdir()
    runs = {r.id: r for r in list_runs(runs_root)}
    assert runs["a"].status == "unreadable" and "settings" in runs["a"].message
    assert runs["killed-before-settings"].status == "unreadable"
    monkeypatch.setenv("GLYPH_LAB_RUNS_DIR", str(runs_root))
    assert runs_cmd.run(argparse.Namespace(json=None, dir=None)) == 0
    out = capsys.readouterr().out
    assert "unreadable: " in out and "Traceback" not in out


@pytest.mark.parametrize(
    ("setting", "value"), [("batch_size", "32"), ("learning_rate", "fast"), ("steps", [1])]
)
def test_settings_of_the_wrong_type_are_one_error_on_resume(
    runs_root, tiny_letters, setting, value
):
    path = runs_root / "a" / "settings.json"
    meta = json.loads(path.read_text())
    meta["settings"][setting] = value
    path.write_text(json.dumps(meta))
    with pytest.raises(DataError, match="unusable settings"):
        resume(runs_root / "a", tiny_letters, steps=40)


@pytest.mark.parametrize(
    "names", [5, ["A", "B", "C"], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], "ABCDEFGHIJ"]
)
def test_hostile_class_names_are_one_line_in_predict(runs_root, tmp_path, names, capsys):
    path = runs_root / "a" / "settings.json"
    meta = json.loads(path.read_text())
    meta["class_names"] = names
    path.write_text(json.dumps(meta))
    image = tmp_path / "a.png"
    Image.fromarray(np.zeros((28, 28), np.uint8)).save(image)
    status = main.main(["predict", "--model", str(runs_root / "a"), str(image)])
    err = capsys.readouterr().err.strip()
    if names == ["A", "B", "C"]:  # well-formed names that do not fit the model's 10 outputs
        assert status == 2 and "\n" not in err
        return
    assert status == 2
    assert "class_names" in err and "\n" not in err and "Traceback" not in err


def test_a_crafted_model_file_is_one_line(runs_root, tmp_path, capsys):
    model = runs_root / "a" / "model.keras"
    with zipfile.ZipFile(model) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    config = json.loads(parts["config.json"])
    config["module"], config["class_name"] = "os", "system"
    parts["config.json"] = json.dumps(config).encode()
    with zipfile.ZipFile(model, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    (runs_root / "a" / "checkpoint.json").unlink()  # no checkpoint to fall back on
    image = tmp_path / "a.png"
    Image.fromarray(np.zeros((28, 28), np.uint8)).save(image)
    assert main.main(["predict", "--model", str(runs_root / "a"), str(image)]) == 2
    err = capsys.readouterr().err.strip()
    assert "model.keras: the model cannot be loaded" in err and "\n" not in err


def test_a_truncated_weights_file_falls_back_or_says_so(runs_root, tiny_letters, tmp_path, capsys):
    run = runs_root / "a"
    newest, older = checkpoints_newest_first(run)
    data = next(run.glob(f"checkpoints/{newest.tf_prefix.name}.data-*"))
    data.write_bytes(data.read_bytes()[:100])
    (run / "model.keras").unlink()
    image = tmp_path / "a.png"
    Image.fromarray(np.zeros((28, 28), np.uint8)).save(image)
    assert main.main(["predict", "--model", str(run), str(image)]) == 0  # the older checkpoint
    capsys.readouterr()
    trainer, recorder, notes = resume(run, tiny_letters, steps=40)
    recorder.close()
    assert trainer.start_step == older.step and notes
    older_data = next(run.glob(f"checkpoints/{older.tf_prefix.name}.data-*"))
    older_data.write_bytes(b"")
    assert main.main(["predict", "--model", str(run), str(image)]) == 2
    err = capsys.readouterr().err.strip()
    assert "no checkpoint fits the model" in err and "\n" not in err


def test_a_one_dimensional_step_log_is_a_damaged_checkpoint(runs_root, tiny_letters):
    run = runs_root / "a"
    newest, _older = checkpoints_newest_first(run)
    with np.load(newest.state) as z:
        state = {k: z[k] for k in z.files}
    state["steps_log"] = np.arange(5.0)
    np.savez(newest.state, **state)
    _trainer, recorder, notes = resume(run, tiny_letters, steps=40)
    recorder.close()
    assert any("could not be read" in n for n in notes)


def test_the_window_opens_what_can_be_read(runs_root):
    from gui.opened_run import read_run

    run = runs_root / "a"
    lines = (run / "history.csv").read_text().splitlines()
    lines.insert(5, "12")
    lines.insert(8, "x,y,z,w")
    (run / "history.csv").write_text("\n".join(lines) + "\n")
    (run / "snapshots.npz").write_bytes((run / "snapshots.npz").read_bytes()[:200])
    opened = read_run(run, with_model=False)
    assert len(opened.rows) == 20  # the two bad lines are left out
    assert opened.snapshot is None
    assert len(opened.problems) == 1 and "snapshots.npz" in opened.problems[0]


def test_a_run_killed_before_its_first_checkpoint_says_it_cannot_resume(runs_root):
    run = runs_root / "a"
    (run / "checkpoint.json").unlink()
    edit_json(run / "status.json", state="running", steps_done=0)
    info = read_run_info(run)
    assert (info.status, info.resumable) == ("interrupted", False)
    assert "before its first checkpoint" in info.message


def test_leftover_temporaries_are_cleaned_at_the_next_resume(runs_root, tiny_letters):
    run = runs_root / "a"
    (run / ".tmp-abc.json").write_text("half")
    (run / "checkpoints" / ".tmp-x.npz").write_text("half")
    (run / "checkpoints" / "ckpt-000000007-20260101000000000000_temp").mkdir()
    _trainer, recorder, _ = resume(run, tiny_letters, steps=30)
    recorder.open()
    recorder.close()
    assert not list(run.rglob(".tmp-*"))
    assert not list(run.glob("checkpoints/*_temp"))
    assert files.read_status(run)["state"] == "running"
