"""The look: the style sheet and the SVG icons in ``assets/``, and the plot colours."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from PySide6.QtGui import QIcon

ASSETS = Path(__file__).resolve().parents[1] / "assets"

# Plot colours (colour-blind safe pairs; the minibatch curve is lighter than validation).
MINIBATCH = "#7fb2e5"
VALIDATION = "#d9480f"
TEST = "#2b8a3e"
PREVIOUS = (150, 150, 150, 90)
MARKER = "#7048e8"
GAP_FILL = (217, 72, 15, 45)


def asset(name: str) -> Path:
    """Path of a file in the assets folder."""
    return ASSETS / name


@cache
def icon(name: str) -> QIcon:
    """The icon ``assets/icons/<name>.svg`` (an empty icon if the file is missing)."""
    path = ASSETS / "icons" / f"{name}.svg"
    return QIcon(str(path)) if path.is_file() else QIcon()


def style_sheet() -> str:
    """The application style sheet (empty when the file is missing)."""
    path = ASSETS / "style.qss"
    return path.read_text(encoding="utf-8") if path.is_file() else ""
