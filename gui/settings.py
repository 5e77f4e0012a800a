"""What the window remembers between launches: geometry, last dataset and preset, knob values.

Everything goes through one :class:`~PySide6.QtCore.QSettings`; tests pass one backed by an INI
file in a temporary folder (:func:`settings_at`) so they never touch the user's settings.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import QMainWindow

ORGANISATION = "GlyphLab"
APPLICATION = "Glyph Lab"


def settings_at(path: str | Path) -> QSettings:
    """A QSettings stored in the INI file ``path`` (for tests and portable installs)."""
    return QSettings(str(path), QSettings.Format.IniFormat)


class AppSettings:
    """Typed access to the window's persistent settings.

    Parameters
    ----------
    store:
        The QSettings to use; the user's own (organisation ``GlyphLab``) when None.
    """

    def __init__(self, store: QSettings | None = None) -> None:
        self.store = store if store is not None else QSettings(ORGANISATION, APPLICATION)

    # -- window ---------------------------------------------------------------------------------
    def save_window(self, window: QMainWindow) -> None:
        """Remember the window's geometry and dock/toolbar state."""
        self.store.setValue("window/geometry", window.saveGeometry())
        self.store.setValue("window/state", window.saveState())

    def restore_window(self, window: QMainWindow) -> bool:
        """Restore the geometry saved by :meth:`save_window`; False when there is none."""
        geometry = self.store.value("window/geometry")
        state = self.store.value("window/state")
        ok = isinstance(geometry, QByteArray | bytes) and window.restoreGeometry(geometry)
        if isinstance(state, QByteArray | bytes):
            window.restoreState(state)
        return bool(ok)

    # -- choices --------------------------------------------------------------------------------
    def _text(self, key: str, default: str) -> str:
        value = self.store.value(key, default)
        return value if isinstance(value, str) and value else default

    @property
    def dataset(self) -> str:
        """The last dataset spec used (``"fonts-letters"`` the first time)."""
        return self._text("choices/dataset", "fonts-letters")

    @dataset.setter
    def dataset(self, spec: str) -> None:
        self.store.setValue("choices/dataset", spec)

    @property
    def preset(self) -> str:
        """The last preset chosen (``"logreg-sgd"`` the first time)."""
        return self._text("choices/preset", "logreg-sgd")

    @preset.setter
    def preset(self, name: str) -> None:
        self.store.setValue("choices/preset", name)

    @property
    def knobs(self) -> dict[str, Any]:
        """The knob values of the last session (empty the first time or if unreadable)."""
        raw = self.store.value("choices/knobs", "")
        try:
            value = json.loads(raw) if isinstance(raw, str) and raw else {}
        except json.JSONDecodeError:
            return {}
        return value if isinstance(value, dict) else {}

    @knobs.setter
    def knobs(self, values: dict[str, Any]) -> None:
        self.store.setValue("choices/knobs", json.dumps(values))

    def sync(self) -> None:
        """Write pending changes to disk."""
        self.store.sync()


def restore_window_settings(window: Any) -> bool:
    """Put the remembered dataset, preset, knobs and layout back into ``window``.

    Returns whether a saved layout was restored (if not, the window takes a default size).
    """
    s = window.settings
    window.controls.set_dataset_spec(s.dataset)
    with contextlib.suppress(KeyError):
        window.controls.select_preset(s.preset)
    window.controls.set_values(s.knobs)
    restored = s.restore_window(window)
    if not restored:
        window.resize(1366, 820)
    return restored


def save_window_settings(window: Any) -> None:
    """Remember ``window``'s geometry, dataset, preset and knob values."""
    values = window.controls.values()
    settings = window.settings
    settings.dataset = values.pop("dataset")
    settings.preset = values.pop("preset")
    settings.knobs = values
    settings.save_window(window)
    settings.sync()
