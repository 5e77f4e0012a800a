"""The richer fonts-letters renderer: bundled fonts, effects, layouts and font-disjoint splits."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from core.data import font_effects
from core.data.font_discovery import bundled_font_dir, bundled_font_files
from core.data.fonts import BUNDLE, COMPUTER, HOLD_OUT, build_font_dataset, split_fonts

MB = 1 << 20


def test_the_bundle_holds_20_to_40_licensed_fonts_within_8_mb() -> None:
    fonts = bundled_font_files()
    assert 20 <= len(fonts) <= 40
    assert sum(f.stat().st_size for f in fonts) <= 8 * MB
    readme = (bundled_font_dir() / "README.md").read_text()
    rows = [line for line in readme.splitlines() if line.startswith("| `")]
    assert len(rows) == len(fonts)
    for font in fonts:
        row = next(r for r in rows if r.startswith(f"| `{font.name}` |"))
        licence = re.search(r"`(LICENSE-[^`]+\.txt)`", row)
        assert licence, row
        text = (bundled_font_dir() / licence.group(1)).read_text(errors="replace")
        assert re.search(
            r"Open Font License|Apache License|Permission is hereby|Redistribution|"
            r"[Pp]ublic [Dd]omain",
            text,
        ), licence.group(1)
        for banned in ("script", "handwrit", "comic"):
            assert banned not in row.lower()


@pytest.fixture(scope="module")
def bundle_only() -> object:
    return build_font_dataset("letters", train=2000, valid=300, test=300, seed=3, font_files=[])


def test_bundle_alone_builds_with_font_disjoint_splits(bundle_only) -> None:
    d = bundle_only.provenance.details
    assert d["fonts_from_computer"] == 0
    assert d["fonts_from_bundle"] == d["fonts_used"] == len(bundled_font_files())
    assert bundle_only.provenance.description == (
        f"letters A-J rendered from {d['fonts_used']} bundled fonts; "
        "valid and test use fonts not in train"
    )
    train, valid, test = (set(d[f"{s}_fonts"]) for s in ("train", "valid", "test"))
    assert valid and test and not (train & valid) and not (train & test) and not (valid & test)
    assert len(train) >= 3 * len(valid)


def test_letters_fill_the_frame_like_notmnist(bundle_only) -> None:
    ink = bundle_only.train_x > 100
    rows, cols = ink.any(2), ink.any(1)
    height = 28 - rows.argmax(1) - rows[:, ::-1].argmax(1)
    width = 28 - cols.argmax(1) - cols[:, ::-1].argmax(1)
    assert np.mean(height >= 27) > 0.7  # notMNIST: 97% span the full height
    assert np.mean(width >= 26) > 0.5  # notMNIST: 80% span the full width
    # a share is white on black's opposite (inverted) or fills most of the frame
    bright = bundle_only.train_x.reshape(len(ink), -1).mean(1) > 128
    assert 0.05 < bright.mean() < 0.6


def test_computer_and_bundle_fonts_are_both_held_out() -> None:
    fonts = [(f"c{i}", COMPUTER) for i in range(16)] + [(f"b{i}", BUNDLE) for i in range(40)]
    pools = split_fonts(fonts, seed=0)
    assert len(pools["valid"]) == len(pools["test"]) == round(56 / HOLD_OUT)
    for split in ("valid", "test"):
        origins = {o for _, o in pools[split]}
        assert origins == {COMPUTER, BUNDLE}, split
    everything = pools["train"] + pools["valid"] + pools["test"]
    assert sorted(everything) == sorted(fonts)
    assert split_fonts(fonts, seed=0) == pools
    assert split_fonts(fonts, seed=1) != pools


def _square_canvas(n: int) -> np.ndarray:
    canvas = np.zeros((n, 56, 56), np.uint8)
    canvas[:, 16:40, 16:40] = 255
    return canvas


def test_outline_keeps_only_the_ring(monkeypatch: pytest.MonkeyPatch) -> None:
    shares = {
        **font_effects.EFFECTS["letters"],
        "outline": (1.0,),
        "shadow": (0.0,),
        "stripes": (0.0,),
        "boxed": (0.0,),
    }
    monkeypatch.setitem(font_effects.EFFECTS, "letters", shares)
    out = font_effects.glyph_effects(_square_canvas(8), np.random.default_rng(0), "letters")
    assert np.all(out[:, 28, 28] == 0)  # the inside is gone
    assert np.all(out[:, 16, 16:40] == 255)  # the edge stays
    assert np.all(out[:, :16] == 0)


def test_shadow_draws_ink_beside_the_glyph(monkeypatch: pytest.MonkeyPatch) -> None:
    shares = {
        **font_effects.EFFECTS["letters"],
        "outline": (0.0,),
        "shadow": (1.0,),
        "stripes": (0.0,),
        "boxed": (0.0,),
    }
    monkeypatch.setitem(font_effects.EFFECTS, "letters", shares)
    square = _square_canvas(8)
    out = font_effects.glyph_effects(square.copy(), np.random.default_rng(0), "letters")
    outside = (out > 0) & (square == 0)
    assert np.all(outside.sum((1, 2)) > 24)
    assert np.all(out[square == 255] == 255)


def test_inversion_and_noise_shares(monkeypatch: pytest.MonkeyPatch) -> None:
    shares = {
        **font_effects.EFFECTS["letters"],
        "invert": (1.0,),
        "noise": (0.0,),
        "background": (0.0,),
    }
    monkeypatch.setitem(font_effects.EFFECTS, "letters", shares)
    images = np.zeros((4, 28, 28), np.float32)
    images[:, 8:20, 8:20] = 255.0
    out = font_effects.image_effects(images, np.random.default_rng(0), "letters")
    assert np.all(out[:, 0, 0] == 255)  # the background is white
    assert np.all(out[:, 14, 14] <= 255 - 0.96 * 255 + 1)  # the glyph dark


def test_image_effects_are_seeded() -> None:
    images = np.random.default_rng(1).uniform(0, 255, (200, 28, 28)).astype(np.float32)
    a = font_effects.image_effects(images.copy(), np.random.default_rng(5), "letters")
    b = font_effects.image_effects(images.copy(), np.random.default_rng(5), "letters")
    c = font_effects.image_effects(images.copy(), np.random.default_rng(6), "letters")
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_the_cache_key_follows_the_bundle() -> None:
    from core.data.registry import _fonts_identity

    ident = _fonts_identity()
    assert "bundled fonts" in ident
    assert {"font_warp.py", "font_effects.py", "font_glyphs.py", "fonts.py"} <= set(ident)


def test_the_dataset_menu_counts_the_bundle() -> None:
    from core.data.registry import KNOWN_SPECS

    for spec in ("fonts-letters", "fonts-digits"):
        assert f"and {len(bundled_font_files())} bundled ones" in KNOWN_SPECS[spec]


def test_boxed_glyphs_sit_inside_a_box_filling_the_frame(monkeypatch: pytest.MonkeyPatch) -> None:
    shares = {
        **font_effects.EFFECTS["letters"],
        "outline": (0.0,),
        "shadow": (0.0,),
        "stripes": (0.0,),
        "boxed": (1.0,),
        "edge_contrast": (1.0,),
    }
    monkeypatch.setitem(font_effects.EFFECTS, "letters", shares)
    square = _square_canvas(40)
    out = font_effects.glyph_effects(square.copy(), np.random.default_rng(0), "letters")
    corners = out[:, [0, 0, -1, -1], [0, -1, 0, -1]]
    assert np.all(corners == 255)  # the box (or its frame line) reaches every corner
    knocked_out = out[:, 28, 28] == 0  # black glyph cut out of a white box
    framed = out[:, 28, 28] == 255  # white glyph inside a white frame line, black between
    assert np.all(knocked_out | framed) and knocked_out.any() and framed.any()
    assert np.all(out[framed][:, 8, 28] == 0)


def test_each_font_family_weighs_the_same() -> None:
    from core.data.font_glyphs import FontGlyphs
    from core.data.fonts import family_weights

    faces = [FontGlyphs(f"Sans {k}", Path("x"), (), family="Sans") for k in range(3)]
    faces.append(FontGlyphs("Slab", Path("y"), (), family="Slab"))
    assert np.allclose(family_weights(faces), [1 / 6, 1 / 6, 1 / 6, 1 / 2])
