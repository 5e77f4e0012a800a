"""Your drawings: letters and digits drawn on the pad, kept as a test set of your own.

Each kept drawing is one small ``.npz`` file in the user data folder (``drawings/letters`` or
``drawings/digits``): the 28x28 image the model saw, the label, the raw strokes (JSON) and the
time. A file is written under a fresh temporary name, flushed to disk, then renamed, so a drawing
is either kept whole or not at all, even when the app is killed right after "Keep". Reading
skips (and names) any file that is not a readable drawing. ``my-drawings-letters`` and
``my-drawings-digits`` are dataset specs: every drawing goes to the test split.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

from core.data.dataset import Dataset, Provenance
from core.data.errors import DataError
from core.paths import _dir

KINDS = {"letters": tuple("ABCDEFGHIJ"), "digits": tuple("0123456789")}
SPECS = {f"my-drawings-{kind}": kind for kind in KINDS}
MAX_FILE_BYTES = 1 << 20  # a drawing is a few KB


def drawings_dir() -> Path:
    """Folder of the kept drawings (``GLYPH_LAB_DRAWINGS_DIR`` overrides)."""
    from platformdirs import user_data_dir

    return _dir("GLYPH_LAB_DRAWINGS_DIR", os.path.join(user_data_dir("glyph-lab"), "drawings"))


def kind_for(class_names: tuple[str, ...]) -> str:
    """``"digits"`` for 0-9, ``"letters"`` otherwise."""
    return "digits" if tuple(class_names) == KINDS["digits"] else "letters"


@dataclass(frozen=True)
class Drawing:
    """One kept drawing."""

    path: Path
    image: np.ndarray  # (28, 28) uint8, 255 = ink: what the model saw
    label: str
    strokes: list
    time: str


class DrawingStore:
    """The kept drawings of one kind (``"letters"`` or ``"digits"``) in ``root``."""

    def __init__(self, kind: str, root: Path | None = None) -> None:
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {sorted(KINDS)}, not {kind!r}")
        self.kind = kind
        self.classes = KINDS[kind]
        self.folder = (root or drawings_dir()) / kind
        self.skipped: list[str] = []  # "file: why" for each file that could not be read

    def keep(self, image: np.ndarray, label: str, strokes: list | None = None) -> Drawing:
        """Keep ``image`` (28x28 uint8, 255 = ink) as a drawing of ``label``; durable on return."""
        image = np.asarray(image)
        if image.shape != (28, 28) or image.dtype != np.uint8:
            raise ValueError(f"a drawing is a 28x28 uint8 image, not {image.shape} {image.dtype}")
        if label not in self.classes:
            raise ValueError(f"label {label!r} is not one of {' '.join(self.classes)}")
        when = datetime.now()
        self.folder.mkdir(parents=True, exist_ok=True)
        if self.folder.is_symlink():
            raise DataError(self.folder, "is a symbolic link; drawings are never written through")
        path = self.folder / f"{when.strftime('%Y%m%d-%H%M%S-%f')}.npz"
        drawing = Drawing(path, image.copy(), label, list(strokes or []), when.isoformat())
        self._write(drawing)
        return drawing

    def _write(self, d: Drawing) -> None:
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".npz", dir=self.folder)
        try:
            with os.fdopen(fd, "wb") as fh:
                np.savez(
                    fh,
                    image=d.image,
                    label=np.array(d.label),
                    strokes=np.array(json.dumps(d.strokes)),
                    time=np.array(d.time),
                )
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, d.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def read(self, path: Path) -> Drawing:
        """One drawing file.

        Raises
        ------
        DataError
            Not a readable drawing of this kind.
        """
        try:
            if path.is_symlink() or not path.is_file():
                raise DataError(path, "not a regular file")
            if path.stat().st_size > MAX_FILE_BYTES:
                raise DataError(path, "too large to be a drawing")
            with path.open("rb") as fh, np.load(fh, allow_pickle=False) as z:
                image, label = z["image"], str(z["label"])
                strokes, time = json.loads(str(z["strokes"])), str(z["time"])
        except DataError:
            raise
        except Exception as exc:  # zip, JSON and key errors alike: a damaged file
            raise DataError(path, f"not a readable drawing ({type(exc).__name__})") from None
        if image.shape != (28, 28) or image.dtype != np.uint8:
            raise DataError(path, f"the image is {image.shape} {image.dtype}, not 28x28 uint8")
        if label not in self.classes:
            raise DataError(path, f"the label {label!r} is not one of {' '.join(self.classes)}")
        return Drawing(path, image, label, strokes, time)

    def drawings(self) -> list[Drawing]:
        """Every readable drawing, oldest first; :attr:`skipped` names the others."""
        self.skipped = []
        if not self.folder.is_dir():
            return []
        out = []
        for path in sorted(self.folder.glob("*.npz")):
            try:
                out.append(self.read(path))
            except DataError as exc:
                self.skipped.append(str(exc))
        return out

    def delete(self, drawing: Drawing) -> None:
        """Forget a drawing (its file is removed; a link is removed itself)."""
        drawing.path.unlink(missing_ok=True)

    def relabel(self, drawing: Drawing, label: str) -> Drawing:
        """The drawing with a new label, rewritten atomically."""
        if label not in self.classes:
            raise ValueError(f"label {label!r} is not one of {' '.join(self.classes)}")
        new = Drawing(drawing.path, drawing.image, label, drawing.strokes, drawing.time)
        self._write(new)
        return new

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """Images (N, 28, 28) uint8 and labels (N,) as class indices."""
        found = self.drawings()
        x = np.stack([d.image for d in found]) if found else np.zeros((0, 28, 28), np.uint8)
        y = np.array([self.classes.index(d.label) for d in found], np.int64)
        return x, y

    def export_npz(self, out: Path) -> int:
        """Write every drawing to ``out`` as ``images``/``labels``/``class_names``; the count."""
        x, y = self.arrays()
        np.savez_compressed(out, images=x, labels=y, class_names=np.array(self.classes))
        return len(x)

    def dataset(self) -> Dataset:
        """The drawings as a dataset: all of them in the test split (they test, not train)."""
        x, y = self.arrays()
        empty_x, empty_y = np.zeros((0, 28, 28), np.uint8), np.zeros(0, np.int64)
        skipped = {"unreadable drawing": len(self.skipped)} if self.skipped else {}
        return Dataset(
            f"my-drawings-{self.kind}",
            self.classes,
            empty_x,
            empty_y,
            empty_x,
            empty_y,
            x,
            y,
            Provenance(
                f"my-drawings-{self.kind}",
                f"your {len(x)} drawn {self.kind} ({self.folder})",
                images_read=len(x) + len(self.skipped),
                skipped=skipped,
                skipped_examples=self.skipped[:10],
            ),
        )
