"""Help > Glossary: the terms a learner meets, each with the panel where it shows."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from core.lessons.glossary import Term, glossary
from gui.panels.lesson import PANEL_WORDS

WHERE = {**PANEL_WORDS, "lesson": "the Lesson panel"}


class GlossaryDialog(QDialog):
    """A non-modal list of terms and the text of the one selected.

    Parameters
    ----------
    terms:
        The glossary, by term id.
    show_panel:
        ``show_panel(name)`` brings the panel a term points at into view.
    parent:
        Optional Qt parent.
    """

    def __init__(
        self,
        terms: dict[str, Term],
        show_panel: Callable[[str], None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Glossary")
        self.setModal(False)
        self.terms = terms
        self.show_panel = show_panel
        self.list = QListWidget(self)
        for term in sorted(terms.values(), key=lambda t: t.term.lower()):
            item = QListWidgetItem(term.term, self.list)
            item.setData(Qt.ItemDataRole.UserRole, term.id)
        self.list.setMaximumWidth(240)
        self.list.currentItemChanged.connect(lambda item, _old: item and self._show(item))
        self.title = QLabel("", self)
        self.title.setObjectName("lessonTitle")
        self.text = QLabel("", self)
        self.text.setWordWrap(True)
        self.text.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.where = QLabel("", self)
        self.where.setObjectName("hint")
        self.show_button = QPushButton("Show me the panel", self)
        self.show_button.clicked.connect(lambda: self.show_panel(self.current.panel))
        right = QVBoxLayout()
        right.addWidget(self.title)
        right.addWidget(self.text, 1)
        right.addWidget(self.where)
        right.addWidget(self.show_button, 0, Qt.AlignmentFlag.AlignLeft)
        body = QHBoxLayout()
        body.addWidget(self.list)
        body.addLayout(right, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addLayout(body, 1)
        layout.addWidget(buttons)
        self.resize(720, 380)
        self.current: Term = next(iter(terms.values()))
        self.list.setCurrentRow(0)

    def show_term(self, term_id: str) -> None:
        """Select term ``term_id`` (an unknown id leaves the selection alone)."""
        for row in range(self.list.count()):
            if self.list.item(row).data(Qt.ItemDataRole.UserRole) == term_id:
                self.list.setCurrentRow(row)
                return

    def _show(self, item: QListWidgetItem) -> None:
        term = self.terms[item.data(Qt.ItemDataRole.UserRole)]
        self.current = term
        self.title.setText(html.escape(term.term))
        self.text.setText(term.text)
        panel = WHERE.get(term.panel, term.panel)
        self.where.setText(f"Where you see it: {panel}")


def reveal_panel(w: Any, name: str) -> None:
    """Bring panel ``name`` of window ``w`` into view: its tab, or its dock."""
    widget = w.lessons.panel_widget(name)
    if w.tabs.indexOf(widget) >= 0:
        w.tabs.setCurrentWidget(widget)
        return
    for dock in w.docks:
        if dock.widget() is widget or dock.widget().isAncestorOf(widget):
            dock.show()
            dock.raise_()


def open_glossary(w: Any, term_id: str | None = None) -> GlossaryDialog:
    """Show window ``w``'s glossary (one dialog, kept), at ``term_id`` when given."""
    dialog = getattr(w, "glossary_dialog", None)
    if dialog is None:
        dialog = w.glossary_dialog = GlossaryDialog(glossary(), lambda n: reveal_panel(w, n), w)
    if term_id:
        dialog.show_term(term_id)
    dialog.show()
    return dialog
