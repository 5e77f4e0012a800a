"""Track files: both tracks load and hold what the lessons need; a bad file names itself and why."""

from __future__ import annotations

import textwrap

import pytest

from core.lessons.checks import CHECK_KINDS
from core.lessons.glossary import glossary, linked_terms, plain, read_glossary, split_links
from core.lessons.loader import LessonFileError, get_track, load_track, track_files, tracks
from core.models.presets import PRESETS

LETTERS = [
    "data",
    "baseline",
    "logreg-sgd",
    "nn1024",
    "nn1024-l2",
    "overfit",
    "overfit-dropout",
    "deep-decay",
    "cnn-stride",
    "cnn-pool",
    "cnn3-pool",
]


def test_both_tracks_load_in_course_order():
    assert list(tracks()) == ["letters", "digits"]
    letters = get_track("letters")
    assert [s.preset or s.kind for s in letters.steps] == LETTERS
    digits = get_track("digits")
    assert [s.preset for s in digits.steps][:4] == [
        "mnist-softmax",
        "mnist-sigmoid5",
        "mnist-relu-adam",
        "mnist-decay",
    ]
    assert digits.steps[-1].preset == "mnist-cnn-bn"
    assert all(s.dataset == "mnist" for s in digits.steps)


def test_every_step_is_complete_and_written_for_a_learner():
    for track in tracks().values():
        for step in track.steps:
            sentences = [s for s in plain(step.text).replace("!", ".").split(". ") if s]
            assert 2 <= len(sentences) <= 4, (track.id, step.id, len(sentences))
            assert step.figure and step.checks and step.dataset
            assert set(step.knobs).isdisjoint(step.fixed)
            if step.kind == "train":
                assert step.preset in PRESETS
                assert step.settings()["steps"] == PRESETS[step.preset].steps
            for check in step.checks:
                assert CHECK_KINDS[check.kind].step_kind == step.kind


def test_step_values_go_on_top_of_the_preset():
    dropout = get_track("digits").steps[get_track("digits").index_of("dropout")]
    assert dropout.preset == "mnist-decay"
    assert dropout.settings()["dropout"] == 0.25
    assert dropout.settings()["learning_rate"] == PRESETS["mnist-decay"].learning_rate
    l2 = get_track("letters").steps[4]
    assert l2.knobs == ("l2",)
    assert "learning_rate" in l2.fixed and "l2" not in l2.fixed
    assert l2.figure_test == pytest.approx(0.911)


def test_glossary_terms_point_at_panels_and_step_links_resolve():
    terms = glossary()
    assert len(terms) >= 20
    for wanted in ("logits", "softmax", "cross-entropy", "dropout", "overfitting", "batch-norm"):
        assert wanted in terms
    for term in terms.values():
        assert 2 <= term.text.count(". ") + 1 <= 4
    linked = {t for tr in tracks().values() for s in tr.steps for t in linked_terms(s.text)}
    assert len(linked) >= 12 and linked <= set(terms)


def test_links_split_into_words_and_terms():
    assert split_links("See [[l2|L2 lambda]] and [[batch-norm]].") == [
        ("See ", None),
        ("L2 lambda", "l2"),
        (" and ", None),
        ("batch norm", "batch-norm"),
        (".", None),
    ]
    assert plain("no links") == "no links"


GOOD_STEP = """
[[steps]]
id = "one"
title = "One"
preset = "logreg-sgd"
text = "First sentence. Second sentence."
[[steps.checks]]
kind = "finishes"
panel = "curves"
text = "It ends"
"""


def write(tmp_path, body: str, name: str = "mine.toml"):
    path = tmp_path / name
    path.write_text(
        'id = "mine"\ntitle = "Mine"\ndescription = "A test track."\n' + textwrap.dedent(body)
    )
    return path


def test_a_good_file_loads(tmp_path):
    track = load_track(write(tmp_path, GOOD_STEP))
    assert track.steps[0].dataset == "fonts-letters"  # the preset's
    assert track.steps[0].figure == PRESETS["logreg-sgd"].lesson_figure


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (('preset = "logreg-sgd"', 'preset = "nope"'), "step 1 (one): unknown preset 'nope'"),
        (('kind = "finishes"', 'kind = "sparkles"'), "check 1: unknown check kind 'sparkles'"),
        (('panel = "curves"', 'panel = "attic"'), "check 1: unknown panel 'attic'"),
        (('text = "It ends"', 'text = "It ends"\nat_least = 0.5'), "unknown parameter 'at_least'"),
        (('kind = "finishes"', 'kind = "test_above"'), "parameter 'at_least' is required"),
        (('kind = "finishes"', 'kind = "test_above"\nat_least = "high"'), "must be a float"),
        (('kind = "finishes"', 'kind = "baseline_grows"'), "reads a baseline step"),
        (("Second sentence.", "See [[unicorns]]."), "links [[unicorns]], which the glossary"),
        (('title = "One"', 'title = "One"\ncolour = 3'), "unknown key 'colour'"),
        (('title = "One"', 'title = "One"\nknobs = ["volume"]'), "'knobs' must list settings"),
        (('title = "One"', 'title = "One"\nvalues = { steps = "many" }'), "steps must be a number"),
        (('title = "One"', 'title = "One"\nfigure_test = 91.1'), "between 0 and 1"),
        (
            ('kind = "finishes"', 'kind = "beats_step"\nstep = "later"\nfallback = 0.5'),
            "not an earlier step",
        ),
        (
            ('[[steps.checks]]\nkind = "finishes"\npanel = "curves"\ntext = "It ends"', ""),
            "at least one check",
        ),
        (('id = "one"', 'id = "one"\nkind = "lecture"'), "unknown kind 'lecture'"),
    ],
)
def test_a_bad_file_names_itself_and_why(tmp_path, change, why):
    old, new = change
    assert old in GOOD_STEP
    path = write(tmp_path, GOOD_STEP.replace(old, new))
    with pytest.raises(LessonFileError) as err:
        load_track(path)
    message = str(err.value)
    assert message.startswith("mine.toml: ") and why in message, message
    assert "\n" not in message


def test_unreadable_and_broken_files_are_refused_in_one_line(tmp_path):
    with pytest.raises(LessonFileError, match=r"^gone.toml: cannot read it"):
        load_track(tmp_path / "gone.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("id = \n")
    with pytest.raises(LessonFileError, match=r"^broken.toml: not valid TOML"):
        load_track(broken)
    dup = write(tmp_path, GOOD_STEP + GOOD_STEP, "dup.toml")
    with pytest.raises(LessonFileError, match="step 2 \\(one\\): the id 'one' is used"):
        load_track(dup)
    empty = write(tmp_path, "", "empty.toml")
    with pytest.raises(LessonFileError, match="at least one \\[\\[steps\\]\\]"):
        load_track(empty)


def test_a_bad_glossary_is_refused(tmp_path):
    path = tmp_path / "g.toml"
    path.write_text('[[terms]]\nid = "x"\nterm = "X"\ntext = "Some text."\npanel = "attic"\n')
    with pytest.raises(ValueError, match=r"g\.toml: term 'x': unknown panel 'attic'"):
        read_glossary(path)


def test_track_files_are_the_two_tracks():
    assert [p.stem for p in track_files()] == ["digits", "letters"]
    with pytest.raises(KeyError, match="unknown track 'nope' \\(tracks: letters, digits\\)"):
        get_track("nope")
