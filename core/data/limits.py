"""Size limits the readers check before they allocate, so no small file can claim gigabytes.

The numbers come from the largest real datasets: notMNIST_large holds 529,114 PNGs, EMNIST
ByClass 814,255 images, and a notMNIST PNG is a 28x28 grayscale file of a few hundred bytes.
"""

from __future__ import annotations

IMAGE_BYTES = 28 * 28
MAX_IMAGES = 1_000_000  # images one file or split may declare (about twice notMNIST_large)
MAX_PNG_BYTES = 1 << 20  # a notMNIST PNG file or archive member larger than this is skipped
MAX_IMAGE_SIDE = 4096  # the largest width or height `predict` and the draw pad accept
MAX_NPZ_MEMBER_BYTES = 2 << 30  # notMNIST_large as float32 (1.66 GB) fits
HEADER_SLACK = 1 << 16  # bytes a file may hold beyond its pixels (headers, names)


def too_many_images(count: int, what: str = "images") -> str | None:
    """The problem with a declared image count, or None when it is within :data:`MAX_IMAGES`.

    Parameters
    ----------
    count:
        The number of images (or labels) a header announces.
    what:
        The word for the items (``"images"``, ``"labels"``).

    Returns
    -------
    str or None
        A phrase for a :class:`~core.data.errors.DataError`, or None.
    """
    if count > MAX_IMAGES:
        return (
            f"declares {count:,} {what}; at most {MAX_IMAGES:,} are accepted "
            "(the largest real dataset, notMNIST_large, has 529,114)"
        )
    return None
