from __future__ import annotations

import numpy as np

from core.data import images


def test_decode_png_statuses(glyphs, bad_files, to_png):
    img = glyphs[0][0]
    pixels, status = images.decode_png(to_png(img))
    assert status == images.OK
    assert np.array_equal(np.frombuffer(pixels, np.uint8).reshape(28, 28), img)
    expected = {
        "A/empty.png": images.SKIP_EMPTY,
        "A/truncated.png": images.SKIP_CORRUPT,
        "B/text.png": images.SKIP_NOT_PNG,
        "B/big.png": images.SKIP_SIZE,
        "B/colour.png": images.CONVERTED,
    }
    for name, raw in bad_files.items():
        assert images.decode_png(raw)[1] == expected[name], name


def test_colour_png_is_converted_to_the_same_grey(glyphs, to_png):
    img = glyphs[0][1]
    pixels, status = images.decode_png(to_png(np.stack([img] * 3, -1), "RGB"))
    assert status == images.CONVERTED
    assert np.array_equal(np.frombuffer(pixels, np.uint8).reshape(28, 28), img)


def test_16_bit_png_is_skipped(to_png):
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.full((28, 28), 1000, np.uint16)).save(buf, format="PNG")
    assert images.decode_png(buf.getvalue()) == (None, images.SKIP_MODE)


def _items(glyphs, bad_files, to_png, copies):
    x, y = glyphs
    items = [
        (f"g{i}", int(lab), to_png(img)) for i, (img, lab) in enumerate(zip(x, y, strict=True))
    ]
    items += [(name, 0, raw) for name, raw in bad_files.items()]
    return items * copies


def test_decode_stream_in_process_keeps_order_and_counts_skips(glyphs, bad_files, to_png):
    items = _items(glyphs, bad_files, to_png, 1)
    out = images.decode_stream(items, workers=0, chunk_size=7)
    x, y = glyphs
    assert len(out.images) == len(x) + 1 == len(out.labels)
    assert np.array_equal(out.images[: len(x)], x)
    assert np.array_equal(out.labels[: len(x)], y)
    assert out.converted == 1
    assert out.skipped.counts == {
        images.SKIP_EMPTY: 1,
        images.SKIP_CORRUPT: 1,
        images.SKIP_NOT_PNG: 1,
        images.SKIP_SIZE: 1,
    }
    assert "A/empty.png: empty file (0 bytes)" in out.skipped.examples


def test_decode_stream_with_worker_processes_matches_in_process(glyphs, bad_files, to_png):
    items = _items(glyphs, bad_files, to_png, 6)
    seen = []
    serial = images.decode_stream(items, workers=0, chunk_size=50)
    parallel = images.decode_stream(items, workers=2, chunk_size=50, progress=seen.append)
    assert np.array_equal(serial.images, parallel.images)
    assert np.array_equal(serial.labels, parallel.labels)
    assert serial.skipped.counts == parallel.skipped.counts
    assert seen[-1] == len(items)
    assert seen == sorted(seen)


def test_work_units_end_at_a_byte_bound_as_well_as_a_file_count():
    """Forty 1 MB files make several work units, not one 40 MB unit."""
    items = ((f"A/{i}.png", 0, bytes(1 << 20)) for i in range(40))
    units = [blobs for _, _, blobs in images._chunks(items, 2000)]
    assert sum(len(b) for b in units) == 40
    assert max(sum(map(len, b)) for b in units) <= images.CHUNK_BYTES
