"""``python -m bench.lessons`` runs every lesson step and writes the table the README shows."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bench.lessons import END, START, measured_text, replace_between_markers

REPO = Path(__file__).resolve().parents[1]


def test_the_table_goes_between_the_readme_markers():
    text = f"intro\n{START}\nold table\n{END}\nrest\n"
    assert replace_between_markers(text, "new") == f"intro\n{START}\nnew\n{END}\nrest\n"
    with pytest.raises(ValueError, match="markers"):
        replace_between_markers("no markers here", "new")


def test_measured_cells():
    assert measured_text(None) == "(look at the data)"
    assert measured_text({"steps": 3001, "test": 0.9114}) == "91.1% test (3,001 steps)"
    assert measured_text({"samples": 5000, "test": 0.85}) == "85.0% test (5,000 images)"
    assert measured_text({"steps": 10, "failed": "diverged"}) == "failed: diverged"


def test_the_script_runs_every_letters_step_and_writes_the_table(tmp_path):
    rng = np.random.default_rng(0)

    def split(n: int) -> tuple[np.ndarray, np.ndarray]:
        y = rng.integers(0, 10, n)
        x = rng.integers(0, 60, (n, 28, 28)).astype(np.uint8)
        for i, k in enumerate(y):
            x[i, 2 * k + 4 : 2 * k + 6, 3:25] = 255
        return x, y

    (tx, ty), (vx, vy), (sx, sy) = split(1000), split(200), split(200)
    data = tmp_path / "letters.npz"
    np.savez(data, x_train=tx, y_train=ty, x_valid=vx, y_valid=vy, x_test=sx, y_test=sy)
    readme = tmp_path / "README.md"
    readme.write_text(f"# Lessons\n{START}\n{END}\n")
    out = tmp_path / "LESSONS.md"
    env = {**os.environ, "GLYPH_BENCH_HOME": str(tmp_path / "bench")}
    args = ["--only", "letters", "--letters", str(data), "--scale", "0.002"]
    proc = subprocess.run(
        [sys.executable, "-m", "bench.lessons", *args, "--out", str(out), "--readme", str(readme)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads(proc.stdout.strip().splitlines()[-1])["results"]
    assert len(results) == 11 and results["letters/data"] is None
    assert results["letters/baseline"]["samples"] == 1000
    for key, result in results.items():
        if key not in ("letters/data", "letters/baseline"):
            assert 0 <= result["test"] <= 1, (key, result)
    table = out.read_text()
    assert table.count("\n| Letters ") == 11
    assert "| Letters 5. L2: keep the weights small | nn1024-l2 |" in table
    assert "data letters: `letters.npz`" in table  # a file name, never a host path
    assert "| Letters 11." in readme.read_text()
