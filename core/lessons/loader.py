"""Read and validate track files: one TOML file per track in ``core/lessons/tracks/``.

A file that is wrong in any way is refused with one line that names it and says why
(:class:`LessonFileError`), so a teacher editing a track sees the mistake at once.
"""

from __future__ import annotations

import math
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

from core.lessons.checks import CHECK_KINDS, check_params
from core.lessons.glossary import glossary, linked_terms
from core.lessons.track import KNOBS, PANELS, STEP_KINDS, Check, Step, Track
from core.models.presets import PRESETS

TRACKS_DIR = Path(__file__).resolve().parent / "tracks"
TRACK_KEYS = {"id", "title", "description", "dataset", "steps"}
STEP_KEYS = {
    "id",
    "title",
    "text",
    "kind",
    "preset",
    "dataset",
    "values",
    "knobs",
    "figure",
    "figure_test",
    "checks",
    "sizes",
}


class LessonFileError(ValueError):
    """A track file that cannot be used; the message names the file and the reason."""


def _text(table: dict[str, Any], key: str, where: str, default: str | None = None) -> str:
    value = table.get(key, default)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{where}: {key!r} must be a non-empty text")
    return " ".join(value.split())


def _unknown(table: dict[str, Any], allowed: set[str], where: str) -> None:
    extra = sorted(set(table) - allowed)
    if extra:
        raise ValueError(f"{where}: unknown key {extra[0]!r} (known: {', '.join(sorted(allowed))})")


def _check(table: Any, where: str, step_kind: str) -> Check:
    if not isinstance(table, dict):
        raise ValueError(f"{where}: a check must be a table")
    kind = _text(table, "kind", where)
    text = _text(table, "text", where)
    panel = _text(table, "panel", where)
    if panel not in PANELS:
        raise ValueError(f"{where}: unknown panel {panel!r} (known: {', '.join(PANELS)})")
    params = {k: v for k, v in table.items() if k not in ("kind", "text", "panel")}
    try:
        params = check_params(kind, params)
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None
    if CHECK_KINDS[kind].step_kind != step_kind:
        raise ValueError(
            f"{where}: a {kind!r} check reads a {CHECK_KINDS[kind].step_kind} step, "
            f"not a {step_kind} step"
        )
    return Check(kind, text, panel, params)


def _values(table: Any, where: str) -> dict[str, float]:
    if not isinstance(table, dict):
        raise ValueError(f"{where}: 'values' must be a table")
    out = {}
    for name, value in table.items():
        if name not in KNOBS:
            known = ", ".join(KNOBS)
            raise ValueError(f"{where}: values: unknown setting {name!r} (known: {known})")
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if not number or not math.isfinite(value):
            raise ValueError(f"{where}: values: {name} must be a number, got {value!r}")
        out[name] = value
    return out


def _step(table: Any, index: int, track_dataset: str, seen: list[str]) -> Step:
    where = f"step {index}"
    if not isinstance(table, dict):
        raise ValueError(f"{where}: a step must be a table")
    step_id = _text(table, "id", where)
    where = f"step {index} ({step_id})"
    _unknown(table, STEP_KEYS, where)
    if step_id in seen:
        raise ValueError(f"{where}: the id {step_id!r} is used by an earlier step")
    kind = table.get("kind", "train")
    if kind not in STEP_KINDS:
        raise ValueError(f"{where}: unknown kind {kind!r} (known: {', '.join(STEP_KINDS)})")
    preset = table.get("preset")
    if kind == "train":
        if preset not in PRESETS:
            raise ValueError(f"{where}: unknown preset {preset!r} (see `main.py presets`)")
    elif preset is not None:
        raise ValueError(f"{where}: a {kind} step trains no preset")
    p = PRESETS.get(preset) if preset else None
    text = _text(table, "text", where)
    missing = [t for t in linked_terms(text) if t not in glossary()]
    if missing:
        raise ValueError(f"{where}: the text links [[{missing[0]}]], which the glossary lacks")
    knobs = table.get("knobs", [])
    if not isinstance(knobs, list) or any(k not in KNOBS for k in knobs):
        raise ValueError(f"{where}: 'knobs' must list settings among {', '.join(KNOBS)}")
    figure_test = table.get("figure_test")
    if figure_test is not None and (
        isinstance(figure_test, bool)
        or not isinstance(figure_test, int | float)
        or not 0 < figure_test <= 1
    ):
        raise ValueError(f"{where}: 'figure_test' must be an accuracy between 0 and 1")
    sizes = table.get("sizes", [])
    if not isinstance(sizes, list) or any(
        isinstance(n, bool) or not isinstance(n, int) or n < 2 for n in sizes
    ):
        raise ValueError(f"{where}: 'sizes' must list numbers of images (2 or more)")
    if kind == "baseline" and len(sizes) < 2:
        raise ValueError(f"{where}: a baseline step needs at least two 'sizes'")
    checks_raw = table.get("checks", [])
    if not isinstance(checks_raw, list) or not checks_raw:
        raise ValueError(f"{where}: a step needs at least one check")
    checks = tuple(_check(c, f"{where}: check {i}", kind) for i, c in enumerate(checks_raw, 1))
    for i, check in enumerate(checks, 1):
        if check.kind == "beats_step" and check.params["step"] not in seen:
            raise ValueError(
                f"{where}: check {i}: step {check.params['step']!r} is not an earlier step"
            )
    default_dataset = p.dataset if p is not None and not track_dataset else track_dataset
    return Step(
        id=step_id,
        title=_text(table, "title", where),
        text=text,
        kind=kind,
        preset=preset,
        dataset=_text(table, "dataset", where, default_dataset or None),
        values=_values(table.get("values", {}), where),
        knobs=tuple(knobs),
        figure=_text(table, "figure", where, p.lesson_figure if p else None),
        figure_test=None if figure_test is None else float(figure_test),
        checks=checks,
        sizes=tuple(sizes),
    )


def parse_track(data: dict[str, Any], source: str = "") -> Track:
    """A :class:`Track` from a track file's parsed contents.

    Raises
    ------
    ValueError
        Something in it is missing, unknown or out of range (the message says where).
    """
    _unknown(data, TRACK_KEYS, "track")
    dataset = data.get("dataset", "")
    if not isinstance(dataset, str):
        raise ValueError("track: 'dataset' must be a text")
    raw_steps = data.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        raise ValueError("track: it needs at least one [[steps]] table")
    steps: list[Step] = []
    for i, table in enumerate(raw_steps, 1):
        steps.append(_step(table, i, dataset, [s.id for s in steps]))
    return Track(
        id=_text(data, "id", "track"),
        title=_text(data, "title", "track"),
        description=_text(data, "description", "track"),
        steps=tuple(steps),
        source=source,
    )


def load_track(path: str | Path) -> Track:
    """Read and validate the track file ``path``.

    Raises
    ------
    LessonFileError
        ``"<file>: <where>: <why>"`` for a file that cannot be read, parsed or used.
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return parse_track(data, str(path))
    except (OSError, UnicodeDecodeError) as exc:
        raise LessonFileError(f"{path.name}: cannot read it ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise LessonFileError(f"{path.name}: not valid TOML ({exc})") from None
    except ValueError as exc:
        raise LessonFileError(f"{path.name}: {exc}") from None


def track_files(folder: str | Path = TRACKS_DIR) -> list[Path]:
    """The ``*.toml`` track files in ``folder``, sorted by name."""
    return sorted(Path(folder).glob("*.toml"))


@cache
def tracks() -> dict[str, Track]:
    """Every track of the app by id, in the order the files give (Letters, then Digits).

    Raises
    ------
    LessonFileError
        A track file is bad.
    """
    loaded = [load_track(p) for p in track_files()]
    return {t.id: t for t in sorted(loaded, key=lambda t: TRACK_ORDER.get(t.id, 99))}


TRACK_ORDER = {"letters": 0, "digits": 1}


def get_track(name: str) -> Track:
    """The track ``name``; KeyError lists the known tracks."""
    known = tracks()
    if name not in known:
        raise KeyError(f"unknown track {name!r} (tracks: {', '.join(known)})")
    return known[name]
