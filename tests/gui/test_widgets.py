"""The small Qt helpers: the repaint throttle, the eliding label and the folding section."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget

from gui.throttle import Throttle
from gui.widgets import Collapsible, ElidingLabel


def test_throttle_calls_at_once_then_once_per_interval_for_a_burst(qtbot):
    owner = QWidget()
    qtbot.addWidget(owner)
    calls: list[int] = []
    throttle = Throttle(lambda: calls.append(1), 50, owner)
    throttle()
    assert len(calls) == 1  # the first call is not delayed
    for _ in range(20):
        throttle()
    assert len(calls) == 1  # a burst inside the interval waits ...
    qtbot.waitUntil(lambda: len(calls) == 2, timeout=2000)  # ... and makes one call
    qtbot.wait(150)
    assert len(calls) == 2  # nothing asked since: no more calls


def test_a_cancelled_throttle_makes_no_late_call(qtbot):
    owner = QWidget()
    qtbot.addWidget(owner)
    calls: list[int] = []
    throttle = Throttle(lambda: calls.append(1), 30, owner)
    throttle()
    throttle()
    throttle.cancel()
    qtbot.wait(120)
    assert len(calls) == 1
    throttle()  # the interval is over: a new call runs at once
    assert len(calls) == 2


def test_eliding_label_shows_dots_when_narrow_and_keeps_the_whole_text(qtbot):
    text = "notMNIST small, curated from notMNIST_small.tar.gz: 18,724 images, 2 skipped"
    label = ElidingLabel(text)
    qtbot.addWidget(label)
    label.resize(80, 20)
    label.show()
    assert label.text() == text
    shown = QLabel.text(label)
    assert shown != text
    assert shown.endswith("…")
    assert label.minimumSizeHint().width() < label.fontMetrics().horizontalAdvance(text)
    label.resize(label.fontMetrics().horizontalAdvance(text) + 40, 20)
    assert QLabel.text(label) == text


def test_collapsible_folds_its_content_until_asked(qtbot):
    section = Collapsible("Details")
    qtbot.addWidget(section)
    inner = QLabel("Traceback ...")
    section.addWidget(inner)
    section.show()
    assert not section.isExpanded()
    assert not inner.isVisible()
    section.toggle.click()
    assert section.isExpanded()
    assert inner.isVisible()
    section.collapse()
    assert not inner.isVisible()
    section.expand()
    assert inner.isVisible()
