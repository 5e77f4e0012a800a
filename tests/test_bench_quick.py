"""The benchmarks cannot rot: ``python -m bench --quick --json PATH`` runs every one of them.

Checks that the JSON object has every key of issue 5 and that every figure is a finite number
(or, for the speed figures, positive). Reduced versions: about a minute on 2 cores.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

from bench.run import KEYS

REPO = Path(__file__).resolve().parents[1]


def _leaves(obj: dict, prefix: str = "") -> dict[str, object]:
    out: dict[str, object] = {}
    for k, v in obj.items():
        if isinstance(v, dict):
            out.update(_leaves(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def _expected() -> set[str]:
    names = set()
    for bench, spec in KEYS.items():
        if isinstance(spec, dict):
            names |= {f"{bench}.{sub}.{k}" for sub, keys in spec.items() for k in keys}
        else:
            names |= {f"{bench}.{k}" for k in spec}
    return names


def test_issue_keys_are_the_documented_ones():
    assert "throughput.cnn-pool.ratio_vs_keras" in _expected()
    assert "startup.first_point_s" in _expected()
    assert "pad.nn1024_why_p95_ms" in _expected()  # the pad with its why overlay (issue 24)
    assert len(_expected()) == 25


def test_quick_run_writes_every_key_as_a_number(tmp_path: Path):
    out = tmp_path / "bench.json"
    env = {
        **os.environ,
        "GLYPH_BENCH_HOME": str(tmp_path / "bench-home"),
        "GLYPH_LAB_CACHE_DIR": str(tmp_path / "cache"),
        "GLYPH_LAB_RUNS_DIR": str(tmp_path / "runs"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--json", str(out)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    leaves = _leaves(json.loads(out.read_text()))
    assert set(leaves) == _expected()
    for key, value in leaves.items():
        assert isinstance(value, float), key
        assert math.isfinite(value), key
        if key == "soak.rss_growth_mb":  # memory may shrink
            continue
        if key.startswith("gui.stall"):  # delays beyond the 5 ms tick: zero on an idle loop
            assert value >= 0, key
        else:
            assert value > 0, key
    assert leaves["soak.steps"] == 3000
    assert leaves["scale.images"] == 5000
