"""The train / evaluate / predict / presets sub-commands end to end on a small real dataset."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from main import main


@pytest.fixture(scope="module")
def letters_npz(tmp_path_factory) -> str:
    """A small 6-key npz of font-rendered letters (the way users bring their own data)."""
    from core.data.fonts import build_font_dataset

    d = build_font_dataset("letters", train=800, valid=200, test=200, seed=5)
    path = tmp_path_factory.mktemp("data") / "letters.npz"
    np.savez(
        path,
        x_train=d.train_x,
        y_train=d.train_y,
        x_valid=d.valid_x,
        y_valid=d.valid_y,
        x_test=d.test_x,
        y_test=d.test_y,
    )
    return str(path)


def test_presets_lists_every_lesson_figure(capsys):
    assert main(["presets"]) == 0
    out = capsys.readouterr().out
    assert "nn1024-l2" in out and "test 91.1%" in out and "mnist-cnn-bn" in out


def test_train_evaluate_predict(letters_npz, tmp_path, capsys):
    run_dir = tmp_path / "run"
    report = tmp_path / "train.json"
    status = main(
        [
            "train",
            "--preset",
            "logreg-l2",
            "--dataset",
            letters_npz,
            "--steps",
            "201",
            "--log-every",
            "100",
            "--save",
            str(run_dir),
            "--json",
            str(report),
        ]
    )
    out = capsys.readouterr().out
    assert status == 0, out
    assert "Minibatch loss at step 100:" in out
    assert "Minibatch accuracy:" in out and "Validation accuracy:" in out
    assert "Test accuracy:" in out
    result = json.loads(report.read_text())
    assert set(result) >= {"settings", "final", "steps_per_second", "seconds", "run_dir", "history"}
    assert 0.3 < result["final"]["test_accuracy"] <= 1.0
    assert result["settings"]["l2"] == 0.005 and result["run_dir"] == str(run_dir)

    ev = tmp_path / "eval.json"
    assert (
        main(["evaluate", "--model", str(run_dir), "--dataset", letters_npz, "--json", str(ev)])
        == 0
    )
    evaluation = json.loads(ev.read_text())
    assert evaluation["accuracy"] == pytest.approx(result["final"]["test_accuracy"], abs=1e-6)
    assert np.array(evaluation["confusion"]).sum() == 200

    d = np.load(letters_npz)
    img = 255 - np.kron(d["x_test"][0], np.ones((5, 5), np.uint8))  # big, dark ink on light
    Image.fromarray(img).save(tmp_path / "glyph.png")
    pj = tmp_path / "pred.json"
    assert (
        main(["predict", "--model", str(run_dir), str(tmp_path / "glyph.png"), "--json", str(pj)])
        == 0
    )
    (pred,) = json.loads(pj.read_text())
    assert pred["predicted"] in "ABCDEFGHIJ"
    assert sum(pred["probabilities"]) == pytest.approx(1.0, abs=1e-5)


@pytest.mark.parametrize(
    "args",
    [
        ["--l2", "-1"],
        ["--dropout", "1"],
        ["--steps", "0"],
        ["--batch-size", "0"],
        ["--lr", "nan"],
    ],
)
def test_bad_knobs_are_argument_errors(args, letters_npz, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["train", "--preset", "nn1024", "--dataset", letters_npz, *args])
    assert exc.value.code == 2
    assert "Traceback" not in capsys.readouterr().err


def test_batch_larger_than_data_is_one_line_error(letters_npz, capsys):
    assert (
        main(["train", "--preset", "logreg-sgd", "--dataset", letters_npz, "--batch-size", "5000"])
        == 2
    )
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and "larger than the training set" in err
    assert "\n" not in err


def test_missing_model_folder_is_one_line_error(tmp_path, capsys):
    assert main(["evaluate", "--model", str(tmp_path), "--dataset", "x.npz"]) == 2
    assert "not a Glyph Lab run folder" in capsys.readouterr().err
