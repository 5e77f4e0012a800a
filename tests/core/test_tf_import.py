"""core.tf_import: TensorFlow (and its Keras) import without scikit-learn, quietly on request."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

CHILD = """
import sys
from core.tf_import import import_tensorflow
tf = import_tensorflow(quiet={quiet})
print("tf", tf.__name__, "keras" in sys.modules, "sklearn" in sys.modules)
import sklearn.linear_model  # later imports work as usual
print("sklearn", sklearn.linear_model.LogisticRegression.__name__)
"""


def _child(quiet: bool) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", CHILD.format(quiet=quiet)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def loud() -> subprocess.CompletedProcess:
    return _child(quiet=False)


def test_tensorflow_and_keras_load_without_sklearn_which_still_imports_later(loud):
    assert loud.returncode == 0, loud.stderr[-3000:]
    assert loud.stdout.splitlines() == ["tf tensorflow True False", "sklearn LogisticRegression"]


def test_quiet_import_keeps_the_native_start_up_lines_off_stderr(loud):
    quiet = _child(quiet=True)
    assert quiet.returncode == 0, quiet.stderr[-3000:]
    assert quiet.stdout == loud.stdout
    assert "cuda" in loud.stderr.lower() or "onednn" in loud.stderr.lower()  # the chatter
    assert "cuda" not in quiet.stderr.lower() and "onednn" not in quiet.stderr.lower()
