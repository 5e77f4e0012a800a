"""The built-in dataset rendered from the fonts on this computer (core.data.fonts)."""

from __future__ import annotations

import shutil
import struct
from pathlib import Path

import numpy as np
import pytest
from PIL import ImageFont

from core.data.dataset import Dataset
from core.data.errors import DataError
from core.data.font_discovery import SKIP_MISSING, check_glyphs, dedupe_fonts, find_font_files
from core.data.fonts import HOLD_OUT, build_font_dataset

LETTERS = "ABCDEFGHIJ"
DIGITS = "0123456789"
GREEK = "ΑΒΓΔΕΖΗΘΙΚ"


@pytest.fixture(scope="module")
def dejavu() -> list[Path]:
    """Every DejaVu font file found on this machine (the CI machine has exactly these)."""
    found = [p for p in find_font_files(include_packages=False) if p.name.startswith("DejaVu")]
    if len(found) < 5:
        pytest.skip("needs the DejaVu fonts (fonts-dejavu) installed")
    return found


@pytest.fixture(scope="module")
def dejavu_sans(dejavu: list[Path]) -> Path:
    return next(p for p in dejavu if p.name == "DejaVuSans.ttf")


@pytest.fixture(scope="module")
def letters(dejavu: list[Path]) -> Dataset:
    return build_font_dataset(
        "letters", train=3000, valid=200, test=1000, seed=0, bundled=False, font_files=dejavu
    )


# --- a real font lacking glyphs: DejaVu Sans with its character map cut down -------------------


def _tables(data: bytes) -> dict[bytes, tuple[int, int]]:
    count = struct.unpack_from(">H", data, 4)[0]
    out = {}
    for i in range(count):
        tag, _checksum, offset, length = struct.unpack_from(">4sIII", data, 12 + 16 * i)
        out[tag] = (offset, length)
    return out


def _glyph_ids(data: bytes, chars: str) -> dict[int, int]:
    """Glyph ids of ``chars`` in the font's Windows Unicode BMP (3, 1) format-4 cmap."""
    cmap, _ = _tables(data)[b"cmap"]
    n = struct.unpack_from(">H", data, cmap + 2)[0]
    records = [struct.unpack_from(">HHI", data, cmap + 4 + 8 * i) for i in range(n)]
    base = cmap + next(off for pid, eid, off in records if (pid, eid) == (3, 1))
    fmt, _length, _lang, seg2 = struct.unpack_from(">4H", data, base)
    assert fmt == 4
    seg = seg2 // 2
    ends = struct.unpack_from(f">{seg}H", data, base + 14)
    starts = struct.unpack_from(f">{seg}H", data, base + 16 + seg2)
    deltas = struct.unpack_from(f">{seg}h", data, base + 16 + 2 * seg2)
    ro_at = base + 16 + 3 * seg2
    range_offsets = struct.unpack_from(f">{seg}H", data, ro_at)
    out = {}
    for cp in map(ord, chars):
        i = next(i for i in range(seg) if starts[i] <= cp <= ends[i])
        if range_offsets[i] == 0:
            out[cp] = (cp + deltas[i]) & 0xFFFF
        else:
            at = ro_at + 2 * i + range_offsets[i] + 2 * (cp - starts[i])
            out[cp] = (struct.unpack_from(">H", data, at)[0] + deltas[i]) & 0xFFFF
    return out


def _cmap_table(mapping: dict[int, int]) -> bytes:
    """A cmap table with one (3, 1) format-4 subtable mapping exactly ``mapping``."""
    segs = [(cp, cp, (gid - cp) & 0xFFFF) for cp, gid in sorted(mapping.items())]
    segs.append((0xFFFF, 0xFFFF, 1))
    n = len(segs)
    power = 1 << (n.bit_length() - 1)
    body = (
        struct.pack(f">{n}H", *(e for _, e, _ in segs))
        + b"\0\0"
        + struct.pack(f">{n}H", *(s for s, _, _ in segs))
        + struct.pack(f">{n}H", *(d for _, _, d in segs))
        + struct.pack(f">{n}H", *([0] * n))
    )
    sub = (
        struct.pack(
            ">7H", 4, 14 + len(body), 0, 2 * n, 2 * power, power.bit_length() - 1, 2 * n - 2 * power
        )
        + body
    )
    return struct.pack(">HHHHI", 0, 1, 3, 1, 12) + sub


def _subset_font(src: Path, dst: Path, keep: str) -> Path:
    """Copy ``src`` with a character map holding only ``keep`` (the glyphs stay in the file)."""
    data = bytearray(src.read_bytes())
    mapping = _glyph_ids(bytes(data), keep)
    assert all(mapping.values()), "the source font lacks a glyph the subset should keep"
    data += b"\0" * (-len(data) % 4)
    offset = len(data)
    table = _cmap_table(mapping)
    data += table
    count = struct.unpack_from(">H", data, 4)[0]
    for i in range(count):
        if data[12 + 16 * i : 16 + 16 * i] == b"cmap":
            struct.pack_into(">II", data, 20 + 16 * i, offset, len(table))
    dst.write_bytes(bytes(data))
    return dst


@pytest.fixture(scope="module")
def bad_fonts(tmp_path_factory: pytest.TempPathFactory, dejavu_sans: Path) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("fonts")
    junk = folder / "Junk.ttf"
    junk.write_bytes(b"this is not a font file at all" * 20)
    return {
        "greek_only": _subset_font(dejavu_sans, folder / "GreekOnly.ttf", GREEK),
        "digits_and_a_to_e": _subset_font(dejavu_sans, folder / "Partial.ttf", DIGITS + "ABCDE"),
        "junk": junk,
    }


def _face(path: Path) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(path), 64, layout_engine=ImageFont.Layout.BASIC)


def test_subset_fonts_are_real_fonts_that_draw_what_they_map(
    bad_fonts: dict[str, Path], dejavu_sans: Path
) -> None:
    # The made-up fonts must be readable and draw the glyphs they keep, or the skip tests
    # below would pass for the wrong reason.
    greek = _face(bad_fonts["greek_only"])
    assert check_glyphs(greek, GREEK) is None
    partial = _face(bad_fonts["digits_and_a_to_e"])
    original = _face(dejavu_sans)
    assert np.array_equal(np.asarray(partial.getmask("A")), np.asarray(original.getmask("A")))
    assert check_glyphs(partial, DIGITS) is None


def test_font_without_latin_glyphs_is_skipped(bad_fonts: dict[str, Path]) -> None:
    greek = _face(bad_fonts["greek_only"])
    assert check_glyphs(greek, LETTERS) == SKIP_MISSING
    assert check_glyphs(greek, DIGITS) == SKIP_MISSING
    partial = _face(bad_fonts["digits_and_a_to_e"])
    assert check_glyphs(partial, LETTERS) == SKIP_MISSING  # F-J are missing


def test_build_skips_bad_fonts_and_counts_them(
    bad_fonts: dict[str, Path], dejavu_sans: Path
) -> None:
    files = [dejavu_sans, *bad_fonts.values()]
    ds = build_font_dataset("letters", train=40, valid=10, test=10, bundled=False, font_files=files)
    prov = ds.provenance
    assert prov.details["fonts_used"] == 1
    assert prov.skipped == {"missing glyphs": 2, "unreadable font": 1}
    assert prov.details["fonts_skipped"] == {
        str(bad_fonts["greek_only"]): "missing glyphs",
        str(bad_fonts["digits_and_a_to_e"]): "missing glyphs",
        str(bad_fonts["junk"]): "unreadable font",
    }
    assert "from 1 font on this computer; all splits share the fonts" in prov.description
    # The partial font has every digit, so the digits set uses it ...
    partial = bad_fonts["digits_and_a_to_e"]
    digits = build_font_dataset(
        "digits",
        train=40,
        valid=10,
        test=10,
        bundled=False,
        font_files=[partial, bad_fonts["greek_only"]],
    )
    assert digits.provenance.details["font_names"] == ["DejaVu Sans Book"]
    assert digits.provenance.skipped == {"missing glyphs": 1}
    # ... but not next to the real DejaVu Sans: the same face from two files counts once.
    digits = build_font_dataset(
        "digits", train=40, valid=10, test=10, bundled=False, font_files=[dejavu_sans, partial]
    )
    assert digits.provenance.details["fonts_used"] == 1
    assert digits.provenance.details["fonts_skipped"] == {str(partial): "duplicate font"}


def test_no_usable_font_raises_data_error(bad_fonts: dict[str, Path]) -> None:
    with pytest.raises(DataError, match="no usable font"):
        build_font_dataset(
            "letters",
            train=10,
            valid=0,
            test=0,
            bundled=False,
            font_files=[bad_fonts["greek_only"], bad_fonts["junk"]],
        )


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"kind": "greek"}, "unknown font dataset kind"),
        ({"train": -1}, "must not be negative"),
    ],
)
def test_bad_arguments_raise_data_error(kwargs: dict, match: str, dejavu_sans: Path) -> None:
    with pytest.raises(DataError, match=match):
        build_font_dataset(**kwargs, bundled=False, font_files=[dejavu_sans])


def test_find_font_files_dedupes_identical_files(tmp_path: Path, dejavu_sans: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b" / "deeper").mkdir(parents=True)
    shutil.copy(dejavu_sans, tmp_path / "a" / "Sans.ttf")
    shutil.copy(dejavu_sans, tmp_path / "b" / "deeper" / "SameSans.TTF")
    (tmp_path / "b" / "readme.txt").write_text("not a font")
    found = find_font_files(search_dirs=[tmp_path], include_packages=False)
    assert found == [tmp_path / "a" / "Sans.ttf"]
    assert dedupe_fonts([dejavu_sans, dejavu_sans, tmp_path / "missing.ttf"]) == [dejavu_sans]


def test_find_font_files_finds_the_system_fonts(dejavu: list[Path]) -> None:
    found = find_font_files()
    assert set(dejavu) <= set(found)
    assert all(p.suffix.lower() in {".ttf", ".otf", ".ttc"} for p in found)
    assert len({p.read_bytes() for p in found}) == len(found)


# --- the dataset itself -------------------------------------------------------------------------


def test_letters_shapes_labels_and_balance(letters: Dataset, dejavu: list[Path]) -> None:
    assert letters.class_names == tuple(LETTERS)
    for split, n in (("train", 3000), ("valid", 200), ("test", 1000)):
        x, y = letters.split(split)
        assert x.shape == (n, 28, 28)
        assert x.dtype == np.uint8
        assert y.dtype == np.int64
        assert set(np.unique(y)) == set(range(10))
        assert np.all(letters.class_counts(split) == n // 10)
        assert letters.provenance.details["per_class"][split] == dict.fromkeys(LETTERS, n // 10)
    x = letters.train_x
    assert np.all(x.reshape(len(x), -1).max(1) >= 150)  # every image has ink
    assert np.mean(x < 30) > 0.4  # white glyph on a black background (notMNIST: 0.5)
    prov = letters.provenance
    assert prov.source == "fonts-letters"
    assert prov.description == (
        f"letters A-J rendered from {len(dejavu)} fonts on this computer; "
        "valid and test use fonts not in train"
    )
    assert prov.images_read == 4200
    assert prov.skipped == {}
    assert prov.details["fonts_used"] == len(dejavu) == len(prov.details["font_names"])
    assert "DejaVu Sans Bold" in prov.details["font_names"]


def _ink_boxes(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ink = x > 100
    rows, cols = ink.any(2), ink.any(1)
    height = 28 - rows.argmax(1) - rows[:, ::-1].argmax(1)
    width = 28 - cols.argmax(1) - cols[:, ::-1].argmax(1)
    return height, width


def test_letters_nearly_fill_the_frame(letters: Dataset) -> None:
    height, width = _ink_boxes(letters.train_x)
    assert np.median(np.maximum(height, width)) >= 24
    assert np.median(width) >= 20  # stretched towards the frame like notMNIST, not just tall


def test_digits_follow_the_mnist_layout(dejavu: list[Path]) -> None:
    ds = build_font_dataset(
        "digits", train=500, valid=50, test=50, seed=1, bundled=False, font_files=dejavu
    )
    assert ds.class_names == tuple(DIGITS)
    assert ds.provenance.source == "fonts-digits"
    assert ds.provenance.description.startswith("digits 0-9 rendered from ")
    assert np.all(ds.class_counts("train") == 50)
    x = ds.train_x.astype(np.float64)
    height, width = _ink_boxes(ds.train_x)
    assert np.percentile(np.maximum(height, width), 95) <= 22  # fits a ~20 px box
    ys, xs = np.mgrid[0:28, 0:28] + 0.5
    mass = x.sum((1, 2))
    cy, cx = (x * ys).sum((1, 2)) / mass, (x * xs).sum((1, 2)) / mass
    assert abs(np.mean(cx) - 14) < 0.5
    assert abs(np.mean(cy) - 14) < 0.5
    assert np.percentile(np.hypot(cx - 14, cy - 14), 90) < 3


def test_same_seed_same_arrays_other_seed_differs(dejavu: list[Path]) -> None:
    few = dejavu[:6]
    a = build_font_dataset(
        "letters", train=100, valid=20, test=20, seed=5, bundled=False, font_files=few
    )
    b = build_font_dataset(
        "letters", train=100, valid=20, test=20, seed=5, bundled=False, font_files=few
    )
    c = build_font_dataset(
        "letters", train=100, valid=20, test=20, seed=6, bundled=False, font_files=few
    )
    for split in ("train", "valid", "test"):
        assert np.array_equal(a.split(split)[0], b.split(split)[0])
        assert np.array_equal(a.split(split)[1], b.split(split)[1])
        assert not np.array_equal(a.split(split)[0], c.split(split)[0])
    # a split's images do not depend on the sizes of the other splits
    d = build_font_dataset(
        "letters", train=30, valid=20, test=20, seed=5, bundled=False, font_files=few
    )
    assert np.array_equal(a.test_x, d.test_x)


def test_duplicate_font_files_count_once(dejavu_sans: Path) -> None:
    ds = build_font_dataset(
        "digits", train=20, valid=0, test=10, bundled=False, font_files=[dejavu_sans, dejavu_sans]
    )
    assert ds.provenance.details["fonts_used"] == 1
    assert ds.valid_x.shape == (0, 28, 28)


def test_valid_and_test_hold_out_fonts_and_new_images(letters: Dataset, dejavu: list[Path]) -> None:
    details = letters.provenance.details
    train, valid, test = (set(details[f"{s}_fonts"]) for s in ("train", "valid", "test"))
    assert details["split_fonts_disjoint"] is True
    assert len(valid) == len(test) == max(1, round(len(dejavu) / HOLD_OUT))
    assert not (train & valid) and not (train & test) and not (valid & test)
    assert train | valid | test == set(details["font_names"])
    train_rows = {row.tobytes() for row in letters.train_x}
    assert not any(row.tobytes() in train_rows for row in letters.test_x)
    assert not any(row.tobytes() in train_rows for row in letters.valid_x)


def test_fewer_than_five_fonts_share_all_fonts(dejavu: list[Path]) -> None:
    ds = build_font_dataset(
        "letters", train=20, valid=10, test=10, bundled=False, font_files=dejavu[:3]
    )
    assert ds.provenance.details["test_fonts"] == []
    assert ds.provenance.details["split_fonts_disjoint"] is False
    assert ds.provenance.details["fonts_used"] == 3


def test_progress_is_reported_up_to_the_total(dejavu: list[Path]) -> None:
    calls: list[tuple[int, int, str]] = []
    build_font_dataset(
        "letters",
        train=2500,
        valid=0,
        test=10,
        bundled=False,
        font_files=dejavu[:2],
        progress=lambda done, total, msg: calls.append((done, total, msg)),
    )
    done = [d for d, _, _ in calls]
    assert done == sorted(done)
    assert calls[-1][0] == calls[-1][1] == 2 + 2510
    assert any("train" in msg for _, _, msg in calls)
    assert len(calls) >= 5


def test_logistic_regression_learns_but_does_not_solve_it(letters: Dataset) -> None:
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=0.1, max_iter=500)
    model.fit(letters.train_x.reshape(-1, 784) / 255.0, letters.train_y)
    accuracy = model.score(letters.test_x.reshape(-1, 784) / 255.0, letters.test_y)
    # chance is 0.10; the notMNIST assignment's logistic regression reaches ~0.85-0.9
    assert 0.7 < accuracy < 0.97, accuracy


def test_many_fonts_are_sampled_down_to_the_cap(
    dejavu: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("core.data.fonts.MAX_FONTS", 4)
    a = build_font_dataset(
        "digits", train=20, valid=0, test=10, seed=1, bundled=False, font_files=dejavu
    )
    b = build_font_dataset(
        "digits", train=20, valid=0, test=10, seed=2, bundled=False, font_files=dejavu
    )
    assert a.provenance.details["fonts_used"] == 4
    assert a.provenance.details["fonts_found"] == len(dejavu)
    assert a.provenance.details["font_names"] != b.provenance.details["font_names"]
