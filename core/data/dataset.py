"""The :class:`Dataset` every source produces: uint8 splits, class names and provenance."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from core.data.errors import DataError

IMAGE_SHAPE = (28, 28)
SPLITS = ("train", "valid", "test")


@dataclass
class Provenance:
    """Where a dataset came from and what curation did to it.

    Attributes
    ----------
    source:
        Short machine name of the source (``"fonts-letters"``, ``"notmnist"``, a file path ...).
    description:
        One human line for the status bar ("letters rendered from 9 fonts on this computer").
    images_read:
        Images successfully read from the source.
    skipped:
        Reason -> number of images skipped for that reason.
    skipped_examples:
        A few of the skipped files, with their reasons, for the report.
    details:
        Anything else worth reporting (fonts used, overlap counts, download address ...).
    """

    source: str
    description: str
    images_read: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    skipped_examples: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def images_skipped(self) -> int:
        """Total number of images skipped, over all reasons."""
        return int(sum(self.skipped.values()))

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form, for caches and reports."""
        return {
            "source": self.source,
            "description": self.description,
            "images_read": int(self.images_read),
            "skipped": {k: int(v) for k, v in self.skipped.items()},
            "skipped_examples": list(self.skipped_examples),
            "details": self.details,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Provenance:
        """Inverse of :meth:`to_dict`."""
        return cls(
            source=d["source"],
            description=d["description"],
            images_read=int(d.get("images_read", 0)),
            skipped=dict(d.get("skipped", {})),
            skipped_examples=list(d.get("skipped_examples", [])),
            details=dict(d.get("details", {})),
        )


@dataclass
class Dataset:
    """Train / valid / test splits of 28x28 uint8 images with int labels 0..9.

    Images are ``uint8`` arrays of shape ``(N, 28, 28)``, 0 = background, 255 = ink; labels are
    ``int64`` arrays of shape ``(N,)``.
    """

    name: str
    class_names: tuple[str, ...]
    train_x: np.ndarray
    train_y: np.ndarray
    valid_x: np.ndarray
    valid_y: np.ndarray
    test_x: np.ndarray
    test_y: np.ndarray
    provenance: Provenance

    def __post_init__(self) -> None:
        self.class_names = tuple(self.class_names)
        for split in SPLITS:
            x = np.ascontiguousarray(getattr(self, f"{split}_x"), dtype=np.uint8)
            y = np.asarray(getattr(self, f"{split}_y")).astype(np.int64, copy=False)
            if x.ndim != 3 or x.shape[1:] != IMAGE_SHAPE:
                raise ValueError(f"{split} images must be (N, 28, 28), got {x.shape}")
            if len(x) != len(y):
                raise ValueError(f"{split}: {len(x)} images but {len(y)} labels")
            setattr(self, f"{split}_x", x)
            setattr(self, f"{split}_y", y)

    @property
    def num_classes(self) -> int:
        """Number of classes (10 for every built-in source)."""
        return len(self.class_names)

    def empty_splits(self) -> list[str]:
        """Names of the splits that hold no image, in the order train, valid, test."""
        return [s for s in SPLITS if len(getattr(self, f"{s}_y")) == 0]

    def check_trainable(self) -> None:
        """Refuse a dataset a run cannot use: training needs train images and valid images.

        Raises
        ------
        DataError
            Naming the source and the empty split(s), when train or valid is empty.
        """
        empty = [s for s in self.empty_splits() if s != "test"]
        if empty:
            raise DataError(
                self.provenance.source,
                f"the {' and '.join(empty)} split{'s are' if len(empty) > 1 else ' is'} empty; "
                "training needs train and valid images",
            )

    def split(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """Return ``(images, labels)`` of split ``"train"``, ``"valid"`` or ``"test"``."""
        if name not in SPLITS:
            raise KeyError(f"unknown split {name!r}; expected one of {SPLITS}")
        return getattr(self, f"{name}_x"), getattr(self, f"{name}_y")

    def class_counts(self, name: str) -> np.ndarray:
        """Images per class in split ``name``."""
        _, y = self.split(name)
        return np.bincount(y, minlength=self.num_classes)

    def subset(
        self, train: int | None = None, valid: int | None = None, test: int | None = None
    ) -> Dataset:
        """A smaller dataset holding the first ``n`` images of each split (None keeps all)."""

        def cut(x: np.ndarray, n: int | None) -> np.ndarray:
            return x if n is None else x[:n]

        return Dataset(
            name=self.name,
            class_names=self.class_names,
            train_x=cut(self.train_x, train),
            train_y=cut(self.train_y, train),
            valid_x=cut(self.valid_x, valid),
            valid_y=cut(self.valid_y, valid),
            test_x=cut(self.test_x, test),
            test_y=cut(self.test_y, test),
            provenance=self.provenance,
        )
