"""Run every benchmark, each in a fresh process, and collect one JSON object and a Markdown table.

``python -m bench`` (or ``python bench/run.py``) runs them all and writes ``bench/RESULTS.md``
and ``bench/RESULTS.json`` (every figure, with details); ``--json PATH`` writes the object of the
issue's keys; ``--quick`` runs the reduced versions (seconds each) and writes no RESULTS files
unless asked; ``--only gui,pad`` runs some of them.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # python bench/run.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import REPO

# result key -> module; the keys of the JSON object, in order
BENCHMARKS = {
    "throughput": "throughput",
    "roof": "roof",
    "gui": "gui_live",
    "startup": "startup",
    "pad": "pad",
    "scale": "scale",
    "soak": "soak",
}
KEYS = {
    "throughput": {
        "nn1024": ("steps_per_s", "keras_steps_per_s", "ratio_vs_keras"),
        "cnn-pool": ("steps_per_s", "keras_steps_per_s", "ratio_vs_keras"),
    },
    "roof": ("matmul_gflops", "nn1024_gflops", "fraction"),
    "gui": ("ratio_vs_headless", "stall_p99_ms", "stall_max_ms", "repaint_hz"),
    "startup": ("window_s", "first_point_s"),
    "pad": ("nn1024_p95_ms", "cnn3-pool_p95_ms", "nn1024_why_p95_ms", "cnn3-pool_why_p95_ms"),
    "scale": ("images", "curate_s", "reload_s", "train_peak_rss_mb"),
    "soak": ("steps", "rss_growth_mb"),
}
# (path, comparison, target, what it is)
TARGETS = [
    (("throughput", "nn1024", "ratio_vs_keras"), ">=", 1.3, "nn1024 trainer / Keras fit steps/s"),
    (
        ("throughput", "cnn-pool", "ratio_vs_keras"),
        ">=",
        1.3,
        "cnn-pool trainer / Keras fit steps/s",
    ),
    (("roof", "fraction"), ">=", 0.65, "nn1024 FLOP/s / fp32 matmul FLOP/s"),
    (("gui", "ratio_vs_headless"), ">=", 0.85, "steps/s in the window / headless"),
    (("gui", "stall_p99_ms"), "<=", 50, "GUI event-loop stall p99 (ms)"),
    (("gui", "stall_max_ms"), "<=", 250, "GUI event-loop stall max (ms)"),
    (("gui", "repaint_hz"), ">=", 10, "curve repaints per second"),
    (("startup", "window_s"), "<=", 1.5, "process start -> window shown (s)"),
    (("startup", "first_point_s"), "<=", 8, "process start -> first curve point (s)"),
    (("pad", "nn1024_p95_ms"), "<=", 5, "pad -> probabilities p95, nn1024 (ms)"),
    (("pad", "cnn3-pool_p95_ms"), "<=", 15, "pad -> probabilities p95, cnn3-pool (ms)"),
    (("pad", "nn1024_why_p95_ms"), "<=", 15, "pad with the why overlay p95, nn1024 (ms)"),
    (("pad", "cnn3-pool_why_p95_ms"), "<=", 30, "pad with the why overlay p95, cnn3-pool (ms)"),
    (("scale", "curate_s"), "<=", 90, "curate the 530k-PNG archive (s)"),
    (("scale", "reload_s"), "<=", 1, "cached reload (s)"),
    (("scale", "train_peak_rss_mb"), "<=", 1500, "peak RSS training nn1024 on it (MB)"),
    (("soak", "steps"), ">=", 100_000, "steps run with the window open"),
    (("soak", "rss_growth_mb"), "<=", 50, "RSS growth over the long run (MB)"),
    (("soak", "paint_late_vs_early"), "<=", 2, "repaint cost late / early in the run"),
]


def run_one(module: str, quick: bool, timeout: float) -> dict:
    """Run ``python -m bench.<module>`` in a fresh process; its JSON object (or an error)."""
    cmd = [sys.executable, "-m", f"bench.{module}", *(["--quick"] if quick else [])]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "QT_QPA_PLATFORM": "offscreen"}
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(
            cmd, cwd=REPO, capture_output=True, text=True, env=env, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    lines = [x for x in proc.stdout.splitlines() if x.startswith("{")]
    if proc.returncode != 0 or not lines:
        return {"error": f"exit {proc.returncode}: {proc.stderr.strip()[-2000:]}"}
    out = json.loads(lines[-1])
    out.setdefault("seconds", time.perf_counter() - t0)
    return out


def pick(details: dict, name: str) -> dict:
    """The issue's keys of benchmark ``name`` (NaN where it failed or lacks one)."""
    got, spec = details.get(name, {}), KEYS[name]
    if isinstance(spec, dict):
        return {
            sub: {k: float(got.get(sub, {}).get(k, math.nan)) for k in keys}
            for sub, keys in spec.items()
        }
    return {k: float(got.get(k, math.nan)) for k in spec}


def lookup(details: dict, path: tuple[str, ...]) -> float:
    """Value at ``path`` in ``details`` (NaN when missing)."""
    value: object = details
    for part in path:
        value = value.get(part, math.nan) if isinstance(value, dict) else math.nan
    return float(value) if isinstance(value, int | float) else math.nan


def machine() -> dict:
    """What the figures were measured on."""
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError, StopIteration), open("/proc/cpuinfo") as f:
        cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    versions = {}
    for mod in ("tensorflow", "keras", "PySide6", "pyqtgraph", "numpy"):
        try:
            from importlib.metadata import version

            versions[mod] = version(mod if mod != "PySide6" else "PySide6-Essentials")
        except Exception:
            versions[mod] = "?"
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "os": platform.platform(),
        "versions": versions,
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }


def _fmt(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3g}"


def markdown(details: dict, info: dict, quick: bool) -> str:
    """The README table: every target, the figure measured, and whether it was met."""
    lines = [
        f"# Benchmark results{' (quick run: not representative)' if quick else ''}",
        "",
        f"Measured {info['date']} on {info['cpu']}, {info['cores']} cores, "
        f"Python {info['python']}, "
        + ", ".join(f"{k} {v}" for k, v in info["versions"].items())
        + f". Load average before/after: {info['load_before']} / {info['load_after']}.",
        "",
        "| # | Figure | Measured | Target | Met |",
        "|---|---|---|---|---|",
    ]
    number = {"throughput": 1, "roof": 2, "gui": 3, "startup": 4, "pad": 5, "scale": 6, "soak": 7}
    for path, op, target, what in TARGETS:
        v = lookup(details, path)
        ok = (v >= target) if op == ">=" else (v <= target)
        met = "n/a" if math.isnan(v) else ("yes" if ok else "**no**")
        lines.append(f"| {number[path[0]]} | {what} | {_fmt(v)} | {op} {_fmt(target)} | {met} |")
    ceiling = lookup(details, ("roof", "big_products_fraction"))
    if not math.isnan(ceiling):
        lines += [
            "",
            f"Row 2's ceiling on this machine: nn1024's two big matrix products and "
            f"its kernel update alone, in a loop with nothing else, reach "
            f"{ceiling:.2f} of the roof.",
        ]
    lines += [
        "",
        "Details (the baselines measured in the same run):",
        "",
        "```json",
        json.dumps(details, indent=1),
        "```",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """``python -m bench [--quick] [--json PATH] [--only a,b]``; returns the exit status."""
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="reduced versions (seconds each)")
    p.add_argument("--json", metavar="PATH", help="write the issue's JSON object here")
    p.add_argument("--only", help="comma-separated subset of: " + ", ".join(BENCHMARKS))
    p.add_argument(
        "--results",
        metavar="DIR",
        help="where to write RESULTS.md/.json (default: bench/ for a full run)",
    )
    args = p.parse_args(argv)
    names = args.only.split(",") if args.only else list(BENCHMARKS)
    unknown = set(names) - set(BENCHMARKS)
    if unknown:
        p.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    info = machine()
    info["load_before"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    details: dict = {}
    for name in names:
        sys.stderr.write(f"bench: {name}...\n")
        details[name] = run_one(BENCHMARKS[name], args.quick, 600 if args.quick else 3000)
        if "error" in details[name]:
            sys.stderr.write(f"bench: {name} FAILED: {details[name]['error']}\n")
    info["load_after"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    result = {name: pick(details, name) for name in names}
    text = json.dumps(result)
    print(text)
    if args.json:
        Path(args.json).write_text(text + "\n")
    folder = Path(args.results) if args.results else (None if args.quick else REPO / "bench")
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "RESULTS.json").write_text(
            json.dumps(
                {"machine": info, "quick": args.quick, "results": result, "details": details},
                indent=1,
            )
            + "\n"
        )
        (folder / "RESULTS.md").write_text(markdown(details, info, args.quick))
    return 1 if any("error" in d for d in details.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
