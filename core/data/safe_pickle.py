"""Load a pickle that may come from anywhere, admitting only numpy arrays and plain containers.

``pickle.load`` runs whatever a file asks for, so a downloaded ``notMNIST.pickle`` could run
``os.system``. :class:`SafeUnpickler` resolves only the few globals numpy needs to rebuild arrays,
dtypes and scalars; anything else raises :class:`~core.data.errors.DataError` before it is imported,
let alone called.
"""

from __future__ import annotations

import importlib
import pickle
from pathlib import Path
from typing import Any, BinaryIO

from core.data.errors import DataError

# (module, name) pairs a numpy pickle may reference. ``numpy.core`` is numpy 1's name for
# ``numpy._core``; it is mapped to the new name so numpy 2 does not warn.
ALLOWED_GLOBALS: frozenset[tuple[str, str]] = frozenset(
    {
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "scalar"),
        ("numpy._core.numeric", "_frombuffer"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        # Python 3 writes bytes as _codecs.encode(str, "latin1") in protocols 0-2.
        ("_codecs", "encode"),
        ("builtins", "bytearray"),
        ("builtins", "dict"),
        ("builtins", "list"),
        ("builtins", "tuple"),
        ("builtins", "set"),
        ("builtins", "frozenset"),
        ("collections", "OrderedDict"),
    }
)
_ALIASES = {
    "numpy.core.multiarray": "numpy._core.multiarray",
    "numpy.core.numeric": "numpy._core.numeric",
}
_OS_MODULES = {"posix": "os", "nt": "os"}


class SafeUnpickler(pickle.Unpickler):
    """An unpickler that resolves only :data:`ALLOWED_GLOBALS` (numpy arrays and containers).

    Parameters
    ----------
    file:
        Binary file to read.
    path:
        Name of the file, for error messages.
    """

    def __init__(self, file: BinaryIO, path: str | Path) -> None:
        super().__init__(file, encoding="latin1")
        self._path = path

    def find_class(self, module: str, name: str) -> Any:
        """Resolve an allowed global or refuse the file."""
        module = _ALIASES.get(module, module)
        if (module, name) not in ALLOWED_GLOBALS:
            shown = f"{_OS_MODULES.get(module, module)}.{name}"
            raise DataError(
                self._path,
                f"refused to load this pickle: it tries to import {shown}, and only numpy arrays "
                "and plain containers are allowed (nothing in it was run)",
            )
        return getattr(importlib.import_module(module), name)

    def persistent_load(self, pid: Any) -> Any:
        """Refuse persistent ids (plain data pickles never use them)."""
        raise DataError(self._path, "refused to load this pickle: it uses persistent ids")


def safe_load(path: str | Path) -> Any:
    """Unpickle ``path`` with :class:`SafeUnpickler`.

    Parameters
    ----------
    path:
        The pickle file.

    Returns
    -------
    object
        The unpickled numpy arrays / containers.

    Raises
    ------
    DataError
        If the file is missing, not a pickle, truncated, or references anything not allowed.
    """
    path = Path(path)
    try:
        with path.open("rb") as f:
            return SafeUnpickler(f, path).load()
    except DataError:
        raise
    except FileNotFoundError:
        raise DataError(path, "no such file") from None
    except MemoryError:
        raise DataError(path, "not a valid pickle (too big for memory)") from None
    except Exception as exc:
        raise DataError(path, f"not a valid pickle ({type(exc).__name__}: {exc})") from None
