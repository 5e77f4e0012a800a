from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from PIL import Image, ImageDraw

from core.data.errors import DataError
from core.image_prep import (
    ink_image,
    ink_polarity,
    load_image_file,
    prepare_image,
    to_grayscale,
)

# A fixed handful of real glyphs for the property tests (every n-th image of each file).
GLYPH_INDICES = {"digits": range(0, 5000, 250), "letters": range(0, 18724, 936)}
NO_FIXTURE_CHECK = [HealthCheck.function_scoped_fixture]


@functools.cache
def real_glyphs(folder: Path, style: str) -> np.ndarray:
    if style == "digits":
        images = np.load(folder / "mnist.npz")["x_test"]
    else:
        images = np.load(folder / "notmnist_small.npz")["images"]
    glyphs = images[list(GLYPH_INDICES[style])]
    return glyphs[glyphs.max(axis=(1, 2)) > 200]


def place(
    glyph: np.ndarray,
    factor: int,
    top: int,
    left: int,
    canvas: int = 250,
    dark_on_light: bool = False,
) -> np.ndarray:
    """A 28x28 glyph scaled up ``factor`` times on a big blank canvas."""
    big = Image.fromarray(glyph).resize((28 * factor, 28 * factor), Image.Resampling.BICUBIC)
    out = np.zeros((canvas, canvas), dtype=np.uint8)
    out[top : top + 28 * factor, left : left + 28 * factor] = np.asarray(big)
    return 255 - out if dark_on_light else out


def pad_drawing(width: int = 3, size: int = 280) -> np.ndarray:
    """A '0' with a slash, drawn black on white like a mouse on a draw pad."""
    im = Image.new("L", (size, size), 255)
    draw = ImageDraw.Draw(im)
    draw.ellipse((size * 0.25, size * 0.15, size * 0.7, size * 0.85), outline=0, width=width)
    draw.line((size * 0.3, size * 0.8, size * 0.65, size * 0.2), fill=0, width=width)
    return np.asarray(im)


def ink_bbox(out: np.ndarray) -> tuple[int, int, int, int]:
    rows = np.flatnonzero(out.any(axis=1))
    cols = np.flatnonzero(out.any(axis=0))
    return rows[0], rows[-1], cols[0], cols[-1]


def centre_of_mass(out: np.ndarray) -> tuple[float, float]:
    f = out.astype(np.float64)
    return (
        float(f.sum(axis=1) @ np.arange(28) / f.sum()),
        float(f.sum(axis=0) @ np.arange(28) / f.sum()),
    )


def aligned_difference(a: np.ndarray, b: np.ndarray) -> int:
    """Pixels differing by more than half the range, at the best shift of at most 1 pixel."""
    a, b = a.astype(int), b.astype(int)
    return min(
        int((np.abs(np.roll(a, (dy, dx), axis=(0, 1)) - b) > 128).sum())
        for dy in (-1, 0, 1)
        for dx in (-1, 0, 1)
    )


# --- to_grayscale -------------------------------------------------------------------------


def test_to_grayscale_accepts_gray_rgb_rgba_and_float() -> None:
    gray = np.array([[0, 128, 255]], dtype=np.uint8)
    np.testing.assert_allclose(to_grayscale(gray), [[0, 128, 255]])
    np.testing.assert_allclose(to_grayscale(gray[..., None]), [[0, 128, 255]])
    np.testing.assert_allclose(to_grayscale(gray / 255.0), [[0, 128, 255]], atol=1e-3)
    red = np.array([[[255, 0, 0]]], dtype=np.uint8)
    assert to_grayscale(red)[0, 0] == pytest.approx(0.299 * 255, abs=0.01)
    rgba = np.array([[[0, 0, 0, 0], [0, 0, 0, 255], [0, 0, 0, 128]]], dtype=np.uint8)
    out = to_grayscale(rgba)  # alpha composited on white
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, [[255, 0, 127]], atol=1.0)
    np.testing.assert_allclose(to_grayscale(np.array([[2.0, -1.0, np.nan]])), [[255, 0, 0]])


@pytest.mark.parametrize("shape", [(5,), (4, 4, 2), (4, 4, 5), (2, 3, 4, 3)])
def test_to_grayscale_rejects_other_shapes(shape: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match="image"):
        to_grayscale(np.zeros(shape, dtype=np.uint8))


# --- polarity -----------------------------------------------------------------------------


def test_polarity_of_pad_drawings_both_ways() -> None:
    drawing = pad_drawing()
    assert ink_polarity(drawing) == "dark-on-light"
    assert ink_polarity(255 - drawing) == "light-on-dark"
    # Grey paper with darker ink, and a flat image, are decided too.
    assert ink_polarity(np.where(drawing < 128, 90, 180).astype(np.uint8)) == "dark-on-light"
    assert ink_polarity(np.full((10, 10), 250, np.uint8)) == "dark-on-light"
    assert ink_polarity(np.zeros((10, 10), np.uint8)) == "light-on-dark"


def test_polarity_of_real_digits_both_ways(shared_data: Path) -> None:
    digits = np.load(shared_data / "mnist.npz")["x_test"][:300]
    assert all(ink_polarity(x) == "light-on-dark" for x in digits)
    assert all(ink_polarity(255 - x) == "dark-on-light" for x in digits)


def test_polarity_of_real_glyphs_on_a_canvas(shared_data: Path) -> None:
    for style in ("digits", "letters"):
        for glyph in real_glyphs(shared_data, style):
            assert ink_polarity(place(glyph, 3, 20, 30)) == "light-on-dark"
            assert ink_polarity(place(glyph, 3, 20, 30, dark_on_light=True)) == "dark-on-light"


def test_polarity_of_frame_filling_letters_leans_to_the_dataset_convention(
    shared_data: Path,
) -> None:
    # notMNIST glyphs touch all four edges; some fonts are light cut-outs of a dark block, so
    # no rule gets them all. Most must still come out as the dataset's light-on-dark.
    letters = np.load(shared_data / "notmnist_small.npz")["images"][::37]
    right = np.mean([ink_polarity(x) == "light-on-dark" for x in letters])
    assert right > 0.8


def test_ink_image_removes_the_paper_level() -> None:
    drawing = np.where(pad_drawing() < 128, 40, 200).astype(np.uint8)  # dark ink, grey paper
    ink = ink_image(drawing)
    assert ink.dtype == np.float32
    # Paper 200 -> 0; ink 40 is 160 levels from the paper out of a possible 200.
    np.testing.assert_allclose(np.unique(ink), [0.0, 160 * 255 / 200])
    np.testing.assert_array_equal(ink > 0, drawing < 128)
    # A known polarity skips the detection; the wrong one turns paper into ink.
    np.testing.assert_array_equal(ink_image(drawing, "dark-on-light"), ink)
    assert (ink_image(drawing, "light-on-dark") > 0).mean() > 0.5
    with pytest.raises(ValueError, match="polarity"):
        ink_image(drawing, "sideways")


# --- prepare_image ------------------------------------------------------------------------


@pytest.mark.parametrize("style", ["letters", "digits"])
@pytest.mark.parametrize(
    "image",
    [
        np.zeros((50, 40), np.uint8),
        np.full((50, 40), 255, np.uint8),
        np.full((9, 9, 3), 77, np.uint8),
        np.zeros((0, 10), np.uint8),
        np.full((30, 30), 0.5),
    ],
    ids=["black", "white", "grey-rgb", "no-pixels", "grey-float"],
)
def test_empty_image_gives_zeros(image: np.ndarray, style: str) -> None:
    out = prepare_image(image, style)
    assert out.shape == (28, 28)
    assert out.dtype == np.uint8
    assert not out.any()


def test_unknown_style_is_an_error() -> None:
    with pytest.raises(ValueError, match="style"):
        prepare_image(pad_drawing(), "runes")


def test_digits_recipe_centres_the_mass_and_fits_20x20() -> None:
    for drawing in (pad_drawing(), pad_drawing()[:, 40:200], pad_drawing()[::-1, ::-1]):
        out = prepare_image(drawing, "digits")
        assert out.max() == 255
        top, bottom, left, right = ink_bbox(out)
        assert max(bottom - top + 1, right - left + 1) == 20
        assert min(bottom - top + 1, right - left + 1) <= 20
        cy, cx = centre_of_mass(out)
        assert abs(cy - 14.0) <= 0.5
        assert abs(cx - 14.0) <= 0.5


def test_digits_recipe_reproduces_real_mnist(shared_data: Path) -> None:
    digits = np.load(shared_data / "mnist.npz")["x_test"][:100]
    for x in digits:
        out = prepare_image(x, "digits", polarity="light-on-dark")
        assert aligned_difference(out, x) <= 25
    for x in digits[:10]:
        top, bottom, left, right = ink_bbox(prepare_image(x, "digits"))
        assert max(bottom - top, right - left) + 1 <= 20


def test_letters_recipe_fills_the_frame_centred() -> None:
    out = prepare_image(pad_drawing()[:, 40:200], "letters")  # taller than wide
    top, bottom, left, right = ink_bbox(out)
    assert (top, bottom) == (0, 27)
    width = right - left + 1
    assert 14 <= width < 28
    assert abs(left - (27 - right)) <= 1
    stretched = prepare_image(pad_drawing()[:, 40:200], "letters", keep_aspect=False)
    assert ink_bbox(stretched) == (0, 27, 0, 27)


def test_letters_recipe_reproduces_real_notmnist(shared_data: Path) -> None:
    # notMNIST stretched each glyph to touch all four edges (a few glyphs don't; skip those).
    glyphs = [g for g in real_glyphs(shared_data, "letters") if ink_bbox(g > 51) == (0, 27, 0, 27)]
    assert len(glyphs) >= 10
    for glyph in glyphs:
        big = place(glyph, 5, 10, 40, dark_on_light=True)
        out = prepare_image(big, "letters", keep_aspect=False)
        assert aligned_difference(out, glyph) <= 5


@pytest.mark.parametrize("style", ["letters", "digits"])
def test_thin_pad_strokes_survive_downscaling(style: str) -> None:
    thin = prepare_image(pad_drawing(width=1, size=400), style)
    thick = prepare_image(pad_drawing(width=12, size=400), style)
    assert thin.max() == 255
    # The thin ring is still a ring: every row it spans has ink on both sides of the centre.
    top, bottom, left, right = ink_bbox(thin)
    ring_rows = [
        r
        for r in range(top + 3, bottom - 2)
        if thin[r, left : left + 4].max() > 64 and thin[r, right - 3 : right + 1].max() > 64
    ]
    assert len(ring_rows) >= (bottom - top) - 8
    assert (thin > 64).sum() >= 40
    assert (thick > 64).sum() > (thin > 64).sum()


def test_known_polarity_is_used() -> None:
    drawing = pad_drawing()
    auto = prepare_image(drawing, "digits")
    np.testing.assert_array_equal(prepare_image(drawing, "digits", polarity="dark-on-light"), auto)
    np.testing.assert_array_equal(
        prepare_image(255 - drawing, "digits", polarity="light-on-dark"), auto
    )


@settings(max_examples=60, deadline=None)
@given(
    shape=st.tuples(st.integers(1, 200), st.integers(1, 200)),
    channels=st.sampled_from([0, 3, 4]),
    seed=st.integers(0, 2**32 - 1),
    style=st.sampled_from(["letters", "digits"]),
)
def test_any_random_image_gives_28x28_uint8(
    shape: tuple[int, int], channels: int, seed: int, style: str
) -> None:
    rng = np.random.default_rng(seed)
    full = shape + ((channels,) if channels else ())
    image = rng.integers(0, 256, size=full, dtype=np.uint8)
    out = prepare_image(image, style)
    assert out.shape == (28, 28)
    assert out.dtype == np.uint8


@settings(max_examples=60, deadline=None)
@given(
    image=arrays(np.uint8, st.tuples(st.integers(1, 200), st.integers(1, 200))),
    style=st.sampled_from(["letters", "digits"]),
)
def test_any_structured_image_gives_28x28_uint8(image: np.ndarray, style: str) -> None:
    out = prepare_image(image, style)
    assert out.shape == (28, 28)
    assert out.dtype == np.uint8


@settings(max_examples=40, deadline=None, suppress_health_check=NO_FIXTURE_CHECK)
@given(data=st.data(), style=st.sampled_from(["letters", "digits"]))
def test_prepare_is_invariant_to_shift_scale_and_polarity(
    shared_data: Path, data: st.DataObject, style: str
) -> None:
    glyphs = real_glyphs(shared_data, style)
    glyph = glyphs[data.draw(st.integers(0, len(glyphs) - 1), label="glyph")]
    outs = []
    for _ in range(2):
        factor = data.draw(st.integers(1, 8), label="factor")
        top = data.draw(st.integers(0, 250 - 28 * factor), label="top")
        left = data.draw(st.integers(0, 250 - 28 * factor), label="left")
        dark = data.draw(st.booleans(), label="dark_on_light")
        outs.append(prepare_image(place(glyph, factor, top, left, dark_on_light=dark), style))
    assert outs[0].max() == 255
    assert aligned_difference(*outs) <= 20


# --- load_image_file ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "suffix", "shape"),
    [
        ("L", ".png", (30, 20)),
        ("RGB", ".jpg", (30, 20, 3)),
        ("RGBA", ".png", (30, 20, 4)),
        ("1", ".png", (30, 20)),
        ("P", ".gif", (30, 20)),
        ("F", ".tif", (30, 20)),
        ("LA", ".png", (30, 20, 4)),
        ("CMYK", ".jpg", (30, 20, 3)),
    ],
)
def test_load_image_file_modes(
    tmp_path: Path, mode: str, suffix: str, shape: tuple[int, ...]
) -> None:
    path = tmp_path / f"glyph{suffix}"
    Image.fromarray(pad_drawing(width=8, size=60)[::2, ::3]).convert(mode).save(path)
    image = load_image_file(path)
    assert image.dtype == np.uint8
    assert image.shape == shape
    out = prepare_image(image, "digits")
    assert out.max() == 255


def test_load_image_file_keeps_16_bit_levels(tmp_path: Path) -> None:
    path = tmp_path / "deep.png"
    Image.fromarray(np.array([[0, 32896, 65535]], dtype=np.uint16)).save(path)
    np.testing.assert_array_equal(load_image_file(path), [[0, 128, 255]])


def test_load_image_file_errors_name_the_file(tmp_path: Path) -> None:
    text = tmp_path / "notes.png"
    text.write_text("not an image at all")
    with pytest.raises(DataError, match=r"notes\.png.*not an image"):
        load_image_file(text)
    with pytest.raises(DataError, match=r"missing\.png.*no such file"):
        load_image_file(tmp_path / "missing.png")
    good = tmp_path / "cut.png"
    Image.fromarray(pad_drawing()).save(good)
    truncated = tmp_path / "truncated.png"
    truncated.write_bytes(good.read_bytes()[:200])
    with pytest.raises(DataError, match=r"truncated\.png"):
        load_image_file(truncated)
    with pytest.raises(DataError, match="unreadable"):
        load_image_file(tmp_path)  # a folder


def test_prepare_image_refuses_more_than_4096_pixels_a_side() -> None:
    """The draw pad's and predict's preparation refuses giant arrays with one line."""
    with pytest.raises(
        ValueError, match=r"^image is 5000x10 pixels; the largest accepted is 4096x4096$"
    ):
        prepare_image(np.zeros((10, 5000), np.uint8), "letters")
    assert prepare_image(np.zeros((4096, 8), np.uint8), "digits").shape == (28, 28)
