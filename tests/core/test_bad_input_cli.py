"""Careless command lines: empty splits, bad seeds, unwritable --json, FIFOs, closed pipes.

Each row ends in one line (an argparse error or ``error: ...``) or a report, never a traceback.
"""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import main
from core.data import cache
from core.data.errors import DataError

ROOT = Path(__file__).resolve().parents[2]
LETTERS = "ABCDEFGHIJ"


def glyphs(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (n, 28, 28), dtype=np.uint8)


@pytest.fixture(scope="module")
def pool_npz(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "pool.npz"
    np.savez(path, images=glyphs(200), labels=np.arange(200) % 10)
    return path


def one_line_error(capsys: pytest.CaptureFixture[str], *words: str) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def argument_error(capsys: pytest.CaptureFixture[str], argv: list[str], *words: str) -> str:
    with pytest.raises(SystemExit) as exc:
        main.main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]
    for word in words:
        assert word in last, last
    return last


# ---------------------------------------------------------------- empty splits (item 4)


@pytest.mark.parametrize(("option", "empty"), [("--valid", "valid"), ("--test", "test")])
def test_a_zero_split_is_reported_empty(option, empty, pool_npz, capsys):
    assert main.main(["data", "--dataset", str(pool_npz), "--no-cache", option, "0"]) == 0
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    assert f"{empty}: empty" in captured.out.splitlines()
    assert ("cannot train on this dataset" in captured.out) is (empty == "valid")


def test_a_negative_split_size_is_an_argument_error(pool_npz, capsys):
    argv = ["data", "--dataset", str(pool_npz), "--train", "-5"]
    argument_error(capsys, argv, "argument --train: train size -5 is out of range")


def test_an_npz_of_five_images_gives_empty_valid_and_test(tmp_path, capsys):
    path = tmp_path / "five.npz"
    np.savez(path, images=glyphs(5), labels=np.arange(5))
    assert main.main(["data", "--dataset", str(path), "--no-cache"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "valid: empty" in out and "test: empty" in out
    assert any("the valid split is empty; training needs" in line for line in out)


def idx_set(folder: Path, split: str, n: int) -> None:
    folder.mkdir(exist_ok=True)
    images = struct.pack(">IIII", 0x803, n, 28, 28) + glyphs(n).tobytes()
    labels = struct.pack(">II", 0x801, n) + bytes(i % 10 for i in range(n))
    (folder / f"{split}-images-idx3-ubyte").write_bytes(images)
    (folder / f"{split}-labels-idx1-ubyte").write_bytes(labels)


@pytest.mark.parametrize(("present", "empty"), [("train", ["test"]), ("t10k", ["train", "valid"])])
def test_an_idx_folder_with_one_set_reports_the_missing_splits_empty(
    present, empty, tmp_path, capsys
):
    idx_set(tmp_path / "idx", present, 60)
    assert main.main(["data", "--dataset", str(tmp_path / "idx"), "--no-cache"]) == 0
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    lines = captured.out.splitlines()
    for split in empty:
        assert f"{split}: empty" in lines


def test_check_trainable_refuses_a_dataset_without_train_or_valid_images(pool_npz):
    from core.data.registry import load_dataset

    full = load_dataset(str(pool_npz), use_cache=False)
    full.check_trainable()  # 160 / 20 / 20: fine
    full.subset(test=0).check_trainable()  # no test images: still trainable
    with pytest.raises(DataError, match="the valid split is empty; training needs") as exc:
        full.subset(valid=0).check_trainable()
    assert exc.value.path == str(pool_npz)
    with pytest.raises(DataError, match="the train and valid splits are empty"):
        full.subset(train=0, valid=0).check_trainable()
    assert full.subset(train=0, valid=0).empty_splits() == ["train", "valid"]


class _FakePredictor:
    class_names = tuple(LETTERS)

    def probabilities(self, images: np.ndarray) -> np.ndarray:  # pragma: no cover - not reached
        raise AssertionError("evaluate must not run on an empty test split")


def test_evaluate_on_an_empty_test_split_is_one_line(pool_npz, tmp_path, monkeypatch, capsys):
    import core.inference

    monkeypatch.setattr(core.inference, "load_predictor", lambda run_dir: _FakePredictor())
    data = tmp_path / "no-test.npz"
    x = glyphs(30)
    y = np.arange(30) % 10
    np.savez(data, x_train=x, y_train=y, x_valid=x, y_valid=y, x_test=x[:0], y_test=y[:0])
    assert main.main(["evaluate", "--model", str(tmp_path), "--dataset", str(data)]) == 2
    one_line_error(capsys, str(data), "the test split is empty")


# ---------------------------------------------------------------- seeds (item 10)


@pytest.mark.parametrize("command", ["data", "train", "evaluate", "baseline"])
@pytest.mark.parametrize("value", ["4294967296", "-1"])
def test_a_seed_outside_32_bits_is_an_argument_error(command, value, pool_npz, capsys):
    extra = {"train": ["--preset", "logreg-sgd"], "evaluate": ["--model", "x"]}
    argv = [command, "--dataset", str(pool_npz), *extra.get(command, []), "--seed", value]
    argument_error(capsys, argv, f"argument --seed: seed {value} is out of range (0 to 4294967295)")


def test_the_largest_seed_is_accepted(pool_npz, capsys):
    argv = ["data", "--dataset", str(pool_npz), "--no-cache", "--seed", "4294967295"]
    assert main.main(argv) == 0
    assert "Traceback" not in capsys.readouterr().err


def test_load_dataset_refuses_a_seed_outside_32_bits(pool_npz):
    from core.data.registry import load_dataset

    with pytest.raises(DataError, match="seed -1 is out of range"):
        load_dataset(str(pool_npz), seed=-1, use_cache=False)


# ---------------------------------------------------------------- --json (item 11)


@pytest.mark.parametrize(
    "argv",
    [
        ["train", "--preset", "logreg-sgd"],
        ["evaluate", "--model", "x", "--dataset", "y.npz"],
        ["predict", "--model", "x", "a.png"],
        ["baseline", "--dataset", "y.npz"],
    ],
    ids=["train", "evaluate", "predict", "baseline"],
)
def test_json_into_a_missing_folder_is_refused_before_any_work(argv, tmp_path, capsys):
    target = tmp_path / "nowhere" / "x.json"
    argument_error(
        capsys,
        [*argv, "--json", str(target)],
        f"argument --json: {target}: cannot write: the folder {target.parent} does not exist",
    )


def test_output_problem_names_folders_and_other_non_files(tmp_path):
    from core.cli.common import output_problem

    assert output_problem(tmp_path / "fine.json") is None
    (tmp_path / "old.json").write_text("{}")
    assert output_problem(tmp_path / "old.json") is None
    assert "it is a folder" in output_problem(tmp_path)
    os.mkfifo(tmp_path / "pipe")
    assert "not a regular file" in output_problem(tmp_path / "pipe")
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    assert "does not exist" in output_problem(blocker / "x.json")


# ---------------------------------------------------------------- FIFOs and / (item 12)


def run_child(code: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_predict_refuses_a_fifo_at_once(tmp_path):
    fifo = tmp_path / "glyph.png"
    os.mkfifo(fifo)
    done = run_child(
        f"""
        import sys, main
        sys.exit(main.main(["predict", "--model", {str(tmp_path)!r}, {str(fifo)!r}]))
        """
    )
    assert "Traceback" not in done.stderr
    assert done.returncode == 2
    assert done.stderr.strip() == f"error: {fifo}: not a regular file"


def test_image_reader_does_not_wait_on_a_fifo(tmp_path):
    fifo = tmp_path / "glyph.png"
    os.mkfifo(fifo)
    done = run_child(
        f"""
        from core.data.errors import DataError
        from core.image_prep import load_image_file
        try:
            load_image_file({str(fifo)!r})
        except DataError as exc:
            print(exc)
        """,
        timeout=30,
    )
    assert done.stdout.strip() == f"{fifo}: not a regular file"


def test_data_refuses_a_fifo(tmp_path, capsys):
    fifo = tmp_path / "data.npz"
    os.mkfifo(fifo)
    assert main.main(["data", "--dataset", str(fifo)]) == 2
    one_line_error(capsys, str(fifo), "not a regular file or folder")


def test_data_refuses_the_root_folder_without_fingerprinting_it(monkeypatch, capsys):
    def walk(path):  # pragma: no cover - reached only if the order is wrong
        raise AssertionError(f"fingerprinted {path} before checking it is a dataset")

    monkeypatch.setattr(cache, "file_identity", walk)
    assert main.main(["data", "--dataset", "/"]) == 2
    one_line_error(capsys, "/: folder holds neither letter folders A..J nor MNIST IDX files")


# ---------------------------------------------------------------- closed pipes (item 15)


@pytest.mark.parametrize(
    ("argv", "status"),
    [(["presets"], {1}), (["runs"], {1}), (["--help"], {0, 1})],  # argparse may drop the help
    ids=["presets", "runs", "help"],
)
def test_a_closed_stdout_pipe_ends_quietly(argv, status, tmp_path):
    env = dict(os.environ, GLYPH_LAB_RUNS_DIR=str(tmp_path / "runs"))
    child = subprocess.Popen(
        [sys.executable, "main.py", *argv],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    child.stdout.close()  # like `| head` exiting before the command writes
    err = child.stderr.read().decode()
    child.stderr.close()
    assert child.wait(timeout=120) in status
    assert "Traceback" not in err and "BrokenPipeError" not in err, err


# ---------------------------------------------------------------- PK junk (item 16)


def test_random_bytes_starting_with_pk_are_not_a_valid_npz(tmp_path, capsys):
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"PK" + np.random.default_rng(3).bytes(200))
    assert main.main(["data", "--dataset", str(junk), "--no-cache"]) == 2
    line = one_line_error(capsys, str(junk), "not a valid .npz file")
    assert "pickled" not in line
