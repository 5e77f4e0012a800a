"""Find the usable fonts on this computer and render their base glyphs.

Font files are found by walking the system font folders plus the fonts shipped inside installed
packages (no fontconfig, no registry, so it works the same on Linux, macOS and Windows); identical
files found in several places are kept once. The fonts bundled with Glyph Lab
(``assets/fonts``) are listed apart (:func:`bundled_font_files`). Rendering their glyphs is
:mod:`core.data.font_glyphs`'s job (re-exported here).
"""

from __future__ import annotations

import hashlib
import os
import site
import sys
import time
from collections.abc import Iterable
from pathlib import Path

from core.data.font_glyphs import (
    SKIP_IDENTICAL,
    SKIP_MISSING,
    SKIP_UNREADABLE,
    BaseGlyph,
    FontGlyphs,
    check_glyphs,
    load_font_glyphs,
)

__all__ = [
    "SKIP_IDENTICAL",
    "SKIP_MISSING",
    "SKIP_UNREADABLE",
    "BaseGlyph",
    "FontGlyphs",
    "bundled_font_dir",
    "bundled_font_files",
    "check_glyphs",
    "dedupe_fonts",
    "find_font_files",
    "load_font_glyphs",
    "package_font_dirs",
    "scan_for_fonts",
    "system_font_dirs",
]

FONT_SUFFIXES = (".ttf", ".otf", ".ttc")
PACKAGE_SCAN_SECONDS = 3.0
SYSTEM_SCAN_SECONDS = 10.0
# assets/ installs beside core/ (as gui.style expects it beside gui/)
BUNDLED_FONT_DIR = Path(__file__).resolve().parents[2] / "assets" / "fonts"


def system_font_dirs() -> list[Path]:
    """The usual system and per-user font folders of Linux, macOS and Windows that exist here.

    Returns
    -------
    list of Path
        Existing folders, in a fixed order, without duplicates.
    """
    home = Path.home()
    candidates = [
        Path("/usr/share/fonts"),
        Path("/usr/local/share/fonts"),
        home / ".fonts",
        home / ".local" / "share" / "fonts",
        Path("/System/Library/Fonts"),
        Path("/Library/Fonts"),
        home / "Library" / "Fonts",
    ]
    windir = os.environ.get("WINDIR") or os.environ.get("SYSTEMROOT")
    if windir:
        candidates.append(Path(windir) / "Fonts")
    local = os.environ.get("LOCALAPPDATA")
    if local:
        candidates.append(Path(local) / "Microsoft" / "Windows" / "Fonts")
    return _existing_unique(candidates)


def package_font_dirs() -> list[Path]:
    """Folders where installed Python packages may ship fonts (site-packages, ``sys.prefix``).

    Returns
    -------
    list of Path
        Existing folders, in a fixed order, without duplicates.
    """
    candidates: list[Path] = [Path(p) for p in site.getsitepackages()]
    if site.ENABLE_USER_SITE:
        candidates.append(Path(site.getusersitepackages()))
    prefix = Path(sys.prefix)
    candidates += [
        prefix / "share" / "fonts",
        prefix / "fonts",
        prefix / "Library" / "share" / "fonts",
        prefix / "Library" / "lib" / "fonts",
    ]
    return _existing_unique(candidates)


def _existing_unique(paths: Iterable[Path]) -> list[Path]:
    seen: set[Path] = set()
    out: list[Path] = []
    for path in paths:
        try:
            real = path.resolve()
        except OSError:
            continue
        if real.is_dir() and real not in seen:
            seen.add(real)
            out.append(path)
    return out


def scan_for_fonts(folders: Iterable[Path], time_limit_s: float) -> list[Path]:
    """Every ``.ttf``/``.otf``/``.ttc`` file below ``folders``, stopping after ``time_limit_s``.

    Parameters
    ----------
    folders:
        Folders to walk recursively (symbolic links to folders are not followed).
    time_limit_s:
        Wall-clock budget for the whole walk; what was found until then is returned.

    Returns
    -------
    list of Path
        Font files in walk order (may contain the same file twice; see :func:`dedupe_fonts`).
    """
    deadline = time.monotonic() + time_limit_s
    found: list[Path] = []
    for folder in folders:
        for root, dirs, files in os.walk(folder, onerror=lambda _err: None):
            dirs.sort()
            found += [
                Path(root, name) for name in sorted(files) if name.lower().endswith(FONT_SUFFIXES)
            ]
            if time.monotonic() > deadline:
                return found
    return found


def dedupe_fonts(paths: Iterable[Path]) -> list[Path]:
    """Drop unreadable paths and files whose bytes equal an earlier file's.

    Files are first grouped by size, so only files of equal size are hashed.

    Parameters
    ----------
    paths:
        Font file paths, in order of preference.

    Returns
    -------
    list of Path
        The first path of each distinct file content, in the input order.
    """
    by_size: dict[int, list[Path]] = {}
    order: list[Path] = []
    for path in paths:
        try:
            size = path.stat().st_size if path.is_file() else -1
        except OSError:
            continue
        if size <= 0:
            continue
        by_size.setdefault(size, []).append(path)
        order.append(path)
    keep: set[Path] = set()
    for group in by_size.values():
        if len(group) == 1:
            keep.add(group[0])
            continue
        digests: set[str] = set()
        for path in group:
            try:
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
            except OSError:
                continue
            if digest not in digests:
                digests.add(digest)
                keep.add(path)
    out: list[Path] = []
    for path in order:
        if path in keep:
            keep.discard(path)
            out.append(path)
    return out


def find_font_files(
    *, search_dirs: Iterable[Path] | None = None, include_packages: bool = True
) -> list[Path]:
    """Every font file on this computer that could be used, each distinct file once.

    Parameters
    ----------
    search_dirs:
        Folders to search instead of :func:`system_font_dirs` (for tests).
    include_packages:
        Also search the fonts shipped inside installed packages (:func:`package_font_dirs`);
        that walk stops after ``PACKAGE_SCAN_SECONDS``.

    Returns
    -------
    list of Path
        ``.ttf``/``.otf``/``.ttc`` files, system fonts first. Whether each one really draws the
        needed glyphs is decided when its glyphs are loaded (:func:`load_font_glyphs`).
    """
    folders = system_font_dirs() if search_dirs is None else [Path(p) for p in search_dirs]
    found = scan_for_fonts(folders, SYSTEM_SCAN_SECONDS)
    if include_packages:
        found += scan_for_fonts(package_font_dirs(), PACKAGE_SCAN_SECONDS)
    return dedupe_fonts(found)


def bundled_font_dir() -> Path:
    """The folder of the fonts shipped with Glyph Lab (``assets/fonts``; it may be missing).

    Returns
    -------
    Path
        The folder, whether or not it exists.
    """
    return BUNDLED_FONT_DIR


def bundled_font_files() -> list[Path]:
    """The fonts shipped with Glyph Lab, sorted by file name (empty when none are installed).

    Returns
    -------
    list of Path
        ``.ttf``/``.otf`` files of :func:`bundled_font_dir`.
    """
    folder = bundled_font_dir()
    if not folder.is_dir():
        return []
    return sorted(
        (p for p in folder.iterdir() if p.suffix.lower() in FONT_SUFFIXES and p.is_file()),
        key=lambda p: p.name,
    )
