"""Thread defaults: half the cores per kernel, two lanes, the user's own settings kept."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from core.threads import LANES, available_cores, set_thread_defaults

REPO = Path(__file__).resolve().parents[2]


def test_defaults_give_each_lane_its_share_of_the_cores():
    env: dict = {}
    set_thread_defaults(env)
    cores = available_cores()
    assert env["TF_NUM_INTRAOP_THREADS"] == str(max(1, cores // LANES))
    assert int(env["TF_NUM_INTEROP_THREADS"]) >= LANES


def test_the_users_settings_are_kept():
    env = {"TF_NUM_INTRAOP_THREADS": "7", "TF_NUM_INTEROP_THREADS": "3"}
    set_thread_defaults(env)
    assert env == {"TF_NUM_INTRAOP_THREADS": "7", "TF_NUM_INTEROP_THREADS": "3"}


def test_importing_core_sets_them_before_tensorflow_starts():
    env = {k: v for k, v in os.environ.items() if not k.startswith("TF_NUM_")}
    code = (
        "import os, sys; import core; assert 'tensorflow' not in sys.modules; "
        "print(os.environ['TF_NUM_INTRAOP_THREADS'])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == str(max(1, available_cores() // LANES))
