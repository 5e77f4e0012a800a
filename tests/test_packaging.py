"""The wheel carries what the window loads: the style sheet, the icons, the sample strokes."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def test_the_wheel_installs_assets_beside_gui(tmp_path):
    pytest.importorskip("setuptools", reason="building a wheel offline needs setuptools")
    src = tmp_path / "src"  # a copy, so the build leaves nothing in the checkout
    src.mkdir()
    for name in ("pyproject.toml", "README.md", "main.py"):
        shutil.copy2(REPO / name, src / name)
    for name in ("core", "gui", "bench", "assets"):
        shutil.copytree(
            REPO / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
        )
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(src),
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path / "wheel"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    (wheel,) = (tmp_path / "wheel").glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    wanted = {
        p.relative_to(REPO).as_posix()
        for p in (REPO / "assets").rglob("*")
        if p.is_file() and "screenshots" not in p.parts
    }
    assert wanted and wanted <= names, sorted(wanted - names)
    lessons = {p.relative_to(REPO).as_posix() for p in (REPO / "core" / "lessons").rglob("*.toml")}
    assert len(lessons) >= 3 and lessons <= names, sorted(lessons - names)  # tracks, glossary
    assert "gui/style.py" in names  # gui.style looks for assets/ beside gui/
    assert not any(n.startswith("assets/screenshots/") for n in names)  # README pictures only
