"""`main.py lessons`: the tracks, one track's numbered steps, and one line for a bad name."""

from __future__ import annotations

import re

import main


def test_lessons_lists_both_tracks_and_their_steps(capsys):
    assert main.main(["lessons"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("letters: Letters")
    assert "digits: Digits" in out
    assert "data, baseline, logreg, nn1024, l2, overfit, dropout" in out


def test_one_track_prints_numbered_steps_with_preset_and_figure(capsys):
    assert main.main(["lessons", "letters"]) == 0
    lines = capsys.readouterr().out.splitlines()
    steps = [line.strip() for line in lines if re.match(r"\s*\d+\. ", line)]
    assert len(steps) == 11
    assert steps[0].startswith("1. Meet the letters") and "(the data)" in steps[0]
    assert steps[4].startswith("5. L2") and "nn1024-l2" in steps[4] and "91.1%" in steps[4]
    assert steps[10].startswith("11. ") and "cnn3-pool" in steps[10]


def test_text_option_prints_the_steps_words_and_checks(capsys):
    assert main.main(["lessons", "digits", "--text"]) == 0
    out = capsys.readouterr().out
    assert "[[" not in out  # links print as their words
    assert "[ ] Test accuracy passes 99% (confusion)" in out


def test_an_unknown_track_is_one_line_and_status_2(capsys):
    assert main.main(["lessons", "nope"]) == 2
    err = capsys.readouterr().err
    assert err == "error: unknown track 'nope' (tracks: letters, digits)\n"
