"""Load a pickle that may come from anywhere, admitting only numpy arrays and plain containers.

``pickle.load`` runs whatever a file asks for, so a downloaded ``notMNIST.pickle`` could run
``os.system``. :class:`SafeUnpickler` resolves only the few globals numpy needs to rebuild arrays,
dtypes and scalars; anything else raises :class:`~core.data.errors.DataError` before it is imported,
let alone called.

Even allowed calls can be bombs: ``bytearray(20_000_000_000)`` is a 35-byte pickle. A real pickle
carries its data (numpy rebuilds each array from bytes that are in the file), so the memory that
calls and array states ask for together is held to a budget of twice the file's length plus
:data:`BUDGET_SLACK`, checked before anything is allocated. The pure-Python unpickler is used
because it lets the array-state opcode (``BUILD``) be checked too; a numpy pickle has few
opcodes, so it is as fast as the C one on real files.
"""

from __future__ import annotations

import importlib
import math
import os
import pickle
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO, ClassVar

import numpy as np

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
    "__builtin__": "builtins",  # protocols 0-2
}
_OS_MODULES = {"posix": "os", "nt": "os"}
_CONTAINERS = (list, tuple, dict, set, frozenset)
BUDGET_SLACK = 1 << 20
POINTER_BYTES = 8


class SafeUnpickler(pickle._Unpickler):
    """An unpickler that resolves only :data:`ALLOWED_GLOBALS` and bounds what they allocate.

    Parameters
    ----------
    file:
        Binary file to read.
    path:
        Name of the file, for error messages.
    budget:
        Bytes that allowed calls and array states may ask for in all (see the module docstring).
    """

    dispatch: ClassVar[dict] = dict(pickle._Unpickler.dispatch)

    def __init__(self, file: BinaryIO, path: str | Path, budget: int) -> None:
        super().__init__(file, encoding="latin1")
        self._path = path
        self._budget = budget

    def _charge(self, nbytes: int, what: str) -> None:
        """Count ``nbytes`` against the budget, refusing the file when it would run out."""
        if nbytes > self._budget:
            raise DataError(
                self._path,
                f"refused to load this pickle: {what} asks for {nbytes:,} bytes, more than a "
                "pickle of this size can hold (nothing was allocated)",
            )
        self._budget -= nbytes

    def _array_bytes(self, shape: Any, dtype: Any, what: str) -> None:
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        if not all(isinstance(n, int) and n >= 0 for n in shape):
            raise DataError(self._path, f"not a valid pickle ({what} has shape {shape!r})")
        item = np.dtype(dtype).itemsize
        self._charge(math.prod(shape) * max(1, item), f"{what} of shape {shape}")

    def find_class(self, module: str, name: str) -> Any:
        """Resolve an allowed global (wrapped in its size check) or refuse the file."""
        module = _ALIASES.get(module, module)
        if (module, name) not in ALLOWED_GLOBALS:
            shown = f"{_OS_MODULES.get(module, module)}.{name}"
            raise DataError(
                self._path,
                f"refused to load this pickle: it tries to import {shown}, and only numpy arrays "
                "and plain containers are allowed (nothing in it was run)",
            )
        target = getattr(importlib.import_module(module), name)
        if name in ("ndarray", "dtype"):
            return target  # referenced as a type; its calls are checked where they happen
        return self._guard(name, target)

    def _guard(self, name: str, target: Callable) -> Callable:
        def checked(*args: Any, **kwargs: Any) -> Any:
            if kwargs:
                raise DataError(self._path, f"not a valid pickle ({name} with keywords)")
            self._check_call(name, args)
            return target(*args)

        return checked

    def _check_call(self, name: str, args: tuple) -> None:
        if name == "_reconstruct":
            if len(args) != 3 or args[0] is not np.ndarray:
                raise DataError(self._path, "not a valid pickle (an array of an unknown type)")
            self._array_bytes(args[1], args[2], "an array")
        elif name == "scalar":
            self._charge(np.dtype(args[0]).itemsize if args else 0, "a numpy scalar")
        elif name == "encode":
            if not (args and isinstance(args[0], str)) or args[1:] not in ((), ("latin1",)):
                raise DataError(self._path, "not a valid pickle (bytes not stored as latin1)")
            self._charge(len(args[0]), "a bytes object")
        elif name == "bytearray":
            if args and isinstance(args[0], int):
                self._charge(args[0], "a bytearray")
            elif args and not isinstance(args[0], (bytes, bytearray, str, *_CONTAINERS)):
                raise DataError(self._path, "not a valid pickle (a bytearray made from an array)")
            else:
                self._charge(len(args[0]) if args else 0, "a bytearray")
        elif name != "_frombuffer":  # containers; _frombuffer wraps a buffer already counted
            if args and not isinstance(args[0], _CONTAINERS):
                kind = type(args[0]).__name__
                raise DataError(self._path, f"not a valid pickle (a {name} made from a {kind})")
            self._charge(POINTER_BYTES * len(args[0]) if args else 0, f"a {name}")

    def _load_build(self) -> None:
        """``BUILD``: an array's state declares its shape; check it before numpy allocates."""
        inst, state = self.stack[-2], self.stack[-1]
        if isinstance(inst, np.ndarray):
            if not (isinstance(state, tuple) and len(state) == 5):
                raise DataError(self._path, "not a valid pickle (a malformed array state)")
            self._array_bytes(state[1], state[2], "an array")
        pickle._Unpickler.load_build(self)

    dispatch[pickle.BUILD[0]] = _load_build

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
        If the file is missing, not a regular file, not a pickle, truncated, references anything
        not allowed, or asks for more memory than its size allows.
    """
    path = Path(path)
    try:
        with path.open("rb") as f:
            size = os.fstat(f.fileno())
            if not stat.S_ISREG(size.st_mode):
                raise DataError(path, "not a regular file")
            return SafeUnpickler(f, path, 2 * size.st_size + BUDGET_SLACK).load()
    except DataError:
        raise
    except FileNotFoundError:
        raise DataError(path, "no such file") from None
    except MemoryError:
        raise DataError(path, "not a valid pickle (too big for memory)") from None
    except Exception as exc:
        raise DataError(path, f"not a valid pickle ({type(exc).__name__}: {exc})") from None
