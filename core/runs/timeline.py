"""The weight-mosaic timeline of a run (``snapshots.npz``): what the weights looked like when.

Mosaics are kept as float16; the list is thinned evenly when it grows, so a long run keeps its
start, its end and frames spread between them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from core.data.errors import DataError
from core.events import WeightSnapshot
from core.runs.files import SNAPSHOTS_FILE
from core.runs.safe_io import refuse_link, write_npz

MAX_SNAPSHOTS = 48
MAX_SNAPSHOT_BYTES = 24 << 20
MAX_FILE_BYTES = 256 << 20


def write_timeline(run_dir: Path, snapshots: list[WeightSnapshot]) -> None:
    """Write the weight-snapshot timeline (float16 mosaics) to ``snapshots.npz``."""
    if not snapshots:
        return
    first = snapshots[0]
    arrays: dict[str, np.ndarray] = {
        "steps": np.array([s.step for s in snapshots], np.int64),
        "limits": np.array([s.limit for s in snapshots], np.float64),
        "kind": np.array(first.kind),
        "tile_shape": np.array(first.tile_shape, np.int64),
        "grid": np.array(first.grid, np.int64),
        "labels": np.array(list(first.labels), dtype=str),
        "layer_size": np.array(first.layer_size, np.int64),
    }
    for i, s in enumerate(snapshots):
        arrays[f"mosaic_{i}"] = s.mosaic
    write_npz(run_dir / SNAPSHOTS_FILE, **arrays)


def read_timeline(run_dir: str | Path, *, last_only: bool = False) -> list[WeightSnapshot]:
    """The weight-snapshot timeline of a run (mosaics as float32); ``[]`` when it has none.

    With ``last_only`` just its newest snapshot is decoded.

    Raises
    ------
    DataError
        The file exists but is unreadable.
    """
    path = Path(run_dir) / SNAPSHOTS_FILE
    if not path.exists():
        return []
    try:
        refuse_link(path)
        if path.stat().st_size > MAX_FILE_BYTES:
            raise DataError(path, "too large to be a weight timeline")
        with path.open("rb") as fh, np.load(fh, allow_pickle=False) as z:
            kind, tile, grid = str(z["kind"]), tuple(z["tile_shape"]), tuple(z["grid"])
            labels = tuple(str(s) for s in z["labels"].tolist())
            size = int(z["layer_size"]) if "layer_size" in z.files else 0
            entries = list(enumerate(zip(z["steps"], z["limits"], strict=True)))
            return [
                WeightSnapshot(
                    int(step),
                    kind,
                    z[f"mosaic_{i}"].astype(np.float32),
                    (int(tile[0]), int(tile[1])),
                    (int(grid[0]), int(grid[1])),
                    float(limit),
                    labels,
                    size,
                )
                for i, (step, limit) in (entries[-1:] if last_only else entries)
            ]
    except DataError:
        raise
    except Exception as exc:  # zip, numpy and shape errors alike: the file is damaged
        raise DataError(path, f"unreadable weight timeline ({exc})") from None


def add_to_timeline(snapshots: list[WeightSnapshot], snap: WeightSnapshot) -> None:
    """Append ``snap`` (as float16) and thin the list to every other one when it grows too big.

    The first and the newest snapshots are always kept; the list never holds more than
    :data:`MAX_SNAPSHOTS` mosaics nor more than :data:`MAX_SNAPSHOT_BYTES` of them.
    """
    if snapshots and snapshots[-1].step == snap.step:
        snapshots.pop()
    f16 = np.finfo(np.float16).max
    mosaic = np.clip(np.asarray(snap.mosaic, np.float32), -f16, f16).astype(np.float16)
    small = WeightSnapshot(
        snap.step,
        snap.kind,
        mosaic,
        snap.tile_shape,
        snap.grid,
        snap.limit,
        snap.labels,
        snap.layer_size,
    )
    snapshots.append(small)
    cap = max(2, min(MAX_SNAPSHOTS, MAX_SNAPSHOT_BYTES // max(small.mosaic.nbytes, 1)))
    while len(snapshots) > cap:
        newest = snapshots[-1]
        kept = snapshots[:-1:2]
        snapshots[:] = [*kept, newest]
