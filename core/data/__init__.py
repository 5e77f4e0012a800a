"""Data sources, curation, splits and caching; every source ends in a :class:`Dataset`."""

from core.data.dataset import Dataset, Provenance
from core.data.errors import DataError

__all__ = ["DataError", "Dataset", "Provenance"]
