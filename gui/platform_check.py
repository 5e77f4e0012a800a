"""Check, before Qt starts, that the system libraries of Qt's X11 (xcb) platform plugin load.

The PySide6 wheels ship Qt but not the X11 client libraries its ``xcb`` plugin links against.
On a minimal Debian/Ubuntu/Fedora desktop some are missing (``libxcb-cursor0`` first), and
Qt then aborts with "Could not load the Qt platform plugin "xcb" ... Reinstalling the application
may fix this problem", which sends the user the wrong way. This module finds the missing ones
and words one message with the packages to install.

It imports no Qt and loads nothing unless the window would use xcb: on Linux, with ``DISPLAY``
set, no Wayland session, and no platform chosen (or ``xcb`` chosen) by ``QT_QPA_PLATFORM`` or a
``-platform`` argument. Loading them is cheap, and Qt loads the same ones right after.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import NamedTuple


class Library(NamedTuple):
    """One shared library the xcb plugin needs, and the package that installs it."""

    soname: str
    debian: str  # Debian and Ubuntu package
    fedora: str  # Fedora (dnf) package


# The X11 libraries that Qt/plugins/platforms/libqxcb.so and Qt/lib/libQt6XcbQpa.so.6 of the
# PySide6 wheel list as NEEDED (``readelf -d``), beyond those QtGui itself needs.
XCB_LIBRARIES: tuple[Library, ...] = (
    Library("libxcb-cursor.so.0", "libxcb-cursor0", "xcb-util-cursor"),
    Library("libxcb-icccm.so.4", "libxcb-icccm4", "xcb-util-wm"),
    Library("libxcb-keysyms.so.1", "libxcb-keysyms1", "xcb-util-keysyms"),
    Library("libxcb-image.so.0", "libxcb-image0", "xcb-util-image"),
    Library("libxcb-render-util.so.0", "libxcb-render-util0", "xcb-util-renderutil"),
    Library("libxcb-util.so.1", "libxcb-util1", "xcb-util"),
    Library("libxkbcommon-x11.so.0", "libxkbcommon-x11-0", "libxkbcommon-x11"),
    Library("libxkbcommon.so.0", "libxkbcommon0", "libxkbcommon"),
    Library("libxcb-randr.so.0", "libxcb-randr0", "libxcb"),
    Library("libxcb-render.so.0", "libxcb-render0", "libxcb"),
    Library("libxcb-shape.so.0", "libxcb-shape0", "libxcb"),
    Library("libxcb-shm.so.0", "libxcb-shm0", "libxcb"),
    Library("libxcb-sync.so.1", "libxcb-sync1", "libxcb"),
    Library("libxcb-xfixes.so.0", "libxcb-xfixes0", "libxcb"),
    Library("libxcb-xkb.so.1", "libxcb-xkb1", "libxcb"),
    Library("libxcb.so.1", "libxcb1", "libxcb"),
    Library("libX11-xcb.so.1", "libx11-xcb1", "libX11-xcb"),
    Library("libX11.so.6", "libx11-6", "libX11"),
)


class MissingSystemLibraries(RuntimeError):
    """Qt's xcb plugin cannot load; ``str()`` is the message for the user."""

    def __init__(self, missing: Sequence[Library]) -> None:
        super().__init__(missing_libraries_message(missing))
        self.missing = tuple(missing)


def explicit_platform(environ: Mapping[str, str], argv: Sequence[str]) -> str | None:
    """The Qt platform chosen by a ``-platform`` argument or ``QT_QPA_PLATFORM``, else None.

    Parameters
    ----------
    environ
        The process environment.
    argv
        The arguments the QApplication receives (``argv[0]`` is the program).

    Returns
    -------
    str or None
        The platform string as Qt reads it (the argument wins over the variable).
    """
    args = list(argv[1:])
    for i, arg in enumerate(args):
        if arg in ("-platform", "--platform"):
            return args[i + 1] if i + 1 < len(args) else ""
    return environ.get("QT_QPA_PLATFORM") or None


def xcb_check_applies(
    environ: Mapping[str, str] | None = None,
    argv: Sequence[str] = (),
    platform: str | None = None,
) -> bool:
    """Whether Qt would start on xcb here, so that its libraries must be checked.

    Parameters
    ----------
    environ
        The process environment (default ``os.environ``).
    argv
        The arguments the QApplication receives.
    platform
        ``sys.platform`` (default: this process's).

    Returns
    -------
    bool
        True on Linux with ``DISPLAY`` set when the platform is xcb alone: chosen explicitly,
        or left to Qt's default outside a Wayland session (Qt tries Wayland first there).
    """
    environ = os.environ if environ is None else environ
    platform = sys.platform if platform is None else platform
    if not platform.startswith("linux") or not environ.get("DISPLAY"):
        return False
    chosen = explicit_platform(environ, argv)
    if chosen is not None:
        # "xcb" or "xcb:options"; a list such as "xcb;offscreen" has a fallback, so no check
        return chosen.split(":", 1)[0] == "xcb" and ";" not in chosen
    wayland = environ.get("WAYLAND_DISPLAY") or environ.get("XDG_SESSION_TYPE") == "wayland"
    return not wayland


def _qt_lib_dirs() -> list[Path]:
    """PySide6's own library folder (a wheel could bundle some of the libraries there)."""
    spec = importlib.util.find_spec("PySide6")
    if spec is None or not spec.submodule_search_locations:
        return []
    return [Path(p) / "Qt" / "lib" for p in spec.submodule_search_locations]


def can_load(soname: str) -> bool:
    """Whether the dynamic loader finds and loads ``soname`` (system paths, then PySide6's).

    Parameters
    ----------
    soname
        A shared library name such as ``libxcb-cursor.so.0``.

    Returns
    -------
    bool
        True when ``dlopen`` succeeds.
    """
    try:
        ctypes.CDLL(soname)
        return True
    except OSError:
        pass
    for folder in _qt_lib_dirs():
        path = folder / soname
        if path.exists():
            try:
                ctypes.CDLL(str(path))
                return True
            except OSError:
                continue
    return False


def missing_libraries(
    libraries: Sequence[Library] | None = None,
    load: Callable[[str], bool] = can_load,
) -> list[Library]:
    """The libraries of ``libraries`` (default :data:`XCB_LIBRARIES`) that ``load`` cannot load.

    Parameters
    ----------
    libraries
        The table to check.
    load
        Tries one soname; True when it loads.

    Returns
    -------
    list of Library
        The missing ones, in table order.
    """
    table = XCB_LIBRARIES if libraries is None else libraries
    return [lib for lib in table if not load(lib.soname)]


def _unique(names: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(names))


def missing_libraries_message(missing: Sequence[Library]) -> str:
    """The message for the user: what is missing and the install command per distribution.

    Parameters
    ----------
    missing
        The libraries that do not load (not empty).

    Returns
    -------
    str
        A few lines: the cause, the ``apt`` and ``dnf`` commands, and the way around.
    """
    sonames = ", ".join(lib.soname for lib in missing)
    debian = " ".join(_unique([lib.debian for lib in missing]))
    fedora = " ".join(_unique([lib.fedora for lib in missing]))
    return (
        "glyph-lab: the window cannot open: Qt's X11 (xcb) platform needs system libraries "
        f"that are not installed ({sonames}). Install them, then start again:\n"
        f"  Debian/Ubuntu:  sudo apt install {debian}\n"
        f"  Fedora:         sudo dnf install {fedora}\n"
        "(The command-line tools work without them: python main.py --help.)"
    )


def check_xcb_libraries(
    argv: Sequence[str] = (),
    environ: Mapping[str, str] | None = None,
    load: Callable[[str], bool] = can_load,
) -> None:
    """Raise :class:`MissingSystemLibraries` when Qt would start on xcb and cannot load it.

    Call it before the QApplication is created; it does nothing off Linux, without an X11
    display, on a Wayland session or when another Qt platform is chosen.

    Parameters
    ----------
    argv
        The arguments the QApplication will receive.
    environ
        The process environment (default ``os.environ``).
    load
        Tries one soname; True when it loads.

    Raises
    ------
    MissingSystemLibraries
        One or more libraries of :data:`XCB_LIBRARIES` do not load.
    """
    if not xcb_check_applies(environ, argv):
        return
    missing = missing_libraries(XCB_LIBRARIES, load)
    if missing:
        raise MissingSystemLibraries(missing)
