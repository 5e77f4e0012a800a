"""Per-user folders for caches, downloads and runs (platformdirs), overridable for tests."""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_cache_dir, user_data_dir

APP_NAME = "glyph-lab"


def _dir(env: str, default: str) -> Path:
    path = Path(os.environ.get(env) or default)
    path.mkdir(parents=True, exist_ok=True)
    return path


def cache_dir() -> Path:
    """Folder for curated dataset caches (``GLYPH_LAB_CACHE_DIR`` overrides)."""
    return _dir("GLYPH_LAB_CACHE_DIR", user_cache_dir(APP_NAME))


def data_dir() -> Path:
    """Folder for downloaded archives (``GLYPH_LAB_DATA_DIR`` overrides)."""
    return _dir("GLYPH_LAB_DATA_DIR", os.path.join(user_data_dir(APP_NAME), "downloads"))


def runs_dir() -> Path:
    """Folder holding one sub-folder per training run (``GLYPH_LAB_RUNS_DIR`` overrides)."""
    return _dir("GLYPH_LAB_RUNS_DIR", os.path.join(user_data_dir(APP_NAME), "runs"))
