"""Pixel normalization shared by every model's input step.

Storage is uint8 0..255; models see ``(x - 128) / 255``, which gives mean ~0 and std ~0.5 on
notMNIST, as in the Udacity assignment.
"""

from __future__ import annotations

import numpy as np

PIXEL_OFFSET = 128.0
PIXEL_SCALE = 255.0


def normalize_float(x):
    """Map float pixel values 0..255 to roughly -0.5..0.5 (numpy array or TensorFlow tensor)."""
    return (x - PIXEL_OFFSET) / PIXEL_SCALE


def normalize(images: np.ndarray) -> np.ndarray:
    """Return uint8 images as float32 ``(x - 128) / 255``."""
    return normalize_float(np.asarray(images, dtype=np.float32))
