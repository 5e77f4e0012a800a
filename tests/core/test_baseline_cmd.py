from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import main
from core.cli.baseline_cmd import fit_baseline, predict

LETTERS = "ABCDEFGHIJ"


@pytest.fixture(autouse=True)
def _only_baseline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Register only this sub-command, so the test does not depend on the others' imports."""
    monkeypatch.setattr(main, "COMMANDS", {"baseline": main.COMMANDS["baseline"]})


@pytest.fixture
def letters_npz(shared_data: Path, tmp_path: Path) -> Path:
    """Real notMNIST glyphs, shuffled, in the six-key layout (1000 train, 200 valid, 500 test)."""
    d = np.load(shared_data / "notmnist_small.npz")
    order = np.random.default_rng(0).permutation(len(d["labels"]))[:1700]
    x, y = d["images"][order], d["labels"][order]
    path = tmp_path / "notmnist_glyphs.npz"
    np.savez_compressed(
        path,
        x_train=x[:1000],
        y_train=y[:1000],
        x_valid=x[1000:1200],
        y_valid=y[1000:1200],
        x_test=x[1200:],
        y_test=y[1200:],
    )
    return path


def test_baseline_on_real_letters(
    letters_npz: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_json = tmp_path / "baseline.json"
    status = main.main(
        ["baseline", "--dataset", str(letters_npz), "--samples", "300", "--json", str(out_json)]
    )
    assert status == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("Baseline: scikit-learn LogisticRegression on 300 training images")
    acc_line = next(line for line in lines if line.startswith("Test accuracy:"))
    assert acc_line.endswith("(500 images)")
    header = next(i for i, line in enumerate(lines) if line.startswith("true\\pred"))
    assert lines[header].split()[1:] == list(LETTERS)
    rows = lines[header + 1 : header + 11]
    assert [row.split()[0] for row in rows] == list(LETTERS)

    report = json.loads(out_json.read_text())
    assert report["samples"] == 300
    assert report["test_accuracy"] > 0.6
    assert f"{100 * report['test_accuracy']:.1f}%" in acc_line
    confusion = np.array(report["confusion"])
    assert confusion.shape == (10, 10)
    assert confusion.sum() == 500
    assert np.trace(confusion) / 500 == pytest.approx(report["test_accuracy"])
    printed = np.array([[int(v) for v in row.split()[1:]] for row in rows])
    np.testing.assert_array_equal(printed, confusion)


def test_samples_caps_the_training_set(
    letters_npz: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_json = tmp_path / "b.json"
    assert (
        main.main(
            [
                "baseline",
                "--dataset",
                str(letters_npz),
                "--samples",
                "50",
                "--seed",
                "3",
                "--json",
                str(out_json),
            ]
        )
        == 0
    )
    assert "on 50 training images" in capsys.readouterr().out
    assert json.loads(out_json.read_text())["samples"] == 50


def test_missing_dataset_is_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nowhere.npz"
    assert main.main(["baseline", "--dataset", str(missing), "--samples", "10"]) == 2
    captured = capsys.readouterr()
    err = captured.err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("error: ")
    assert "nowhere.npz" in err[0]
    assert captured.out == ""


def test_unusable_dataset_is_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "broken.npz"
    np.savez(bad, pictures=np.zeros((3, 28, 28), np.uint8))  # a real .npz with the wrong keys
    assert main.main(["baseline", "--dataset", str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("error: ")
    assert "broken.npz" in err[0]


def test_single_class_training_set_is_refused(
    shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d = np.load(shared_data / "notmnist_small.npz")
    x, y = d["images"], d["labels"]  # sorted by label: the first 100 are all A
    path = tmp_path / "only_a.npz"
    np.savez_compressed(
        path,
        x_train=x[:100],
        y_train=y[:100],
        x_valid=x[-20:],
        y_valid=y[-20:],
        x_test=x[-50:],
        y_test=y[-50:],
    )
    assert main.main(["baseline", "--dataset", str(path), "--samples", "100"]) == 2
    assert "fewer than two classes" in capsys.readouterr().err


def test_samples_must_be_positive(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main.main(["baseline", "--dataset", "mnist", "--samples", "0"])
    assert exc.value.code == 2
    assert "--samples" in capsys.readouterr().err


def test_fit_baseline_reports_non_convergence_without_warning(shared_data: Path) -> None:
    d = np.load(shared_data / "mnist.npz")
    x, y = d["x_train"][:200], d["y_train"][:200]
    # filterwarnings=error would turn an escaping ConvergenceWarning into a failure here.
    model, converged = fit_baseline(x, y, max_iter=2)
    assert converged is False
    assert predict(model, x[:5]).shape == (5,)
    model, converged = fit_baseline(x, y)
    assert converged is True
    assert np.mean(predict(model, x) == y) > 0.95  # fits its own training data
