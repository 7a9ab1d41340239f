"""Saving and loading state dicts as ``.npz`` files (exported as ``cnnlib.save`` and ``cnnlib.load``).

A state dict, as ``model.state_dict()`` returns, is a flat dict from names
(``"0.weight"``, ``"bn1.running_mean"``) to arrays. :func:`save` stores it
as an uncompressed NumPy ``.npz`` archive: one ``.npy`` member per key, in
the dict's order, each array with its exact dtype and shape (0-d arrays such
as batch norm's int64 ``num_batches_tracked`` included). :func:`load` gives
the same dict back.

Nothing is pickled, in either direction: :func:`save` refuses object arrays,
and :func:`load` reads with ``allow_pickle=False``, because unpickling a file
from elsewhere can run arbitrary code. Such a file can still be read with
``numpy.load`` by someone who trusts it.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Mapping
from numbers import Number
from typing import TYPE_CHECKING, Union

import numpy as np

__all__ = ["save", "load"]

if TYPE_CHECKING:
    # only for type checkers: the API page then shows the short name, which
    # needs no link target in the offline build
    StrPath = Union[str, os.PathLike[str]]

# bool, signed and unsigned int, float, complex: what a network's state holds
_NUMERIC_KINDS = "biufc"


def _as_path(path: StrPath) -> str:
    try:
        return os.fspath(path)
    except TypeError:
        raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__}") from None


def _checked_arrays(state_dict: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """``state_dict`` as a dict of numeric arrays, with a clear error for anything else."""
    if not isinstance(state_dict, Mapping):
        hint = ": call .state_dict() on it first" if hasattr(state_dict, "state_dict") else ""
        raise TypeError(f"state_dict must be a dict of name -> array (e.g. model.state_dict()), "
                        f"got {type(state_dict).__name__}{hint}")
    arrays = {}
    for key, value in state_dict.items():
        if not isinstance(key, str):
            raise TypeError(f"state_dict keys must be strings, got {key!r} ({type(key).__name__})")
        where = f"state_dict[{key!r}]"
        if isinstance(value, Mapping):
            raise TypeError(f"{where} is a dict: save() stores flat dicts of name -> array, "
                            f"as model.state_dict() returns")
        if isinstance(value, (Number, np.generic)) and not isinstance(value, np.ndarray):
            value = np.asarray(value)
        if not isinstance(value, np.ndarray):
            raise TypeError(f"{where} must be a NumPy array or a number, got {type(value).__name__}")
        if value.dtype.kind not in _NUMERIC_KINDS:
            raise TypeError(f"{where} must hold numbers (bool, int, float or complex), got dtype "
                            f"{value.dtype}: it could only be stored by pickling")
        arrays[key] = value
    return arrays


def save(state_dict: Mapping[str, np.ndarray], path: StrPath) -> None:
    """Write a state dict to ``path`` as an ``.npz`` archive.

    The file is written to exactly ``path`` (no suffix is added; ``.npz`` is
    the convention), through a temporary file renamed at the end, so a crash
    while saving never leaves a half-written checkpoint in its place.

    Parameters
    ----------
    state_dict : dict of str -> ndarray
        Flat dict of numeric arrays, any shapes (0-d included), e.g.
        ``model.state_dict()``. Numbers are stored as 0-d arrays
        (``np.asarray``: a Python int becomes int64, a float float64).
    path : str or os.PathLike
        The file to write; its directory must exist. An existing file is replaced.

    Raises
    ------
    TypeError
        If ``state_dict`` is not a dict, a key is not a string, or a value is
        not a numeric array or a number.
    FileNotFoundError
        If the directory of ``path`` does not exist.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from cnnlib.serialization import load, save
    >>> state = {"conv.weight": np.ones((2, 1, 3, 3), np.float32),
    ...          "bn.num_batches_tracked": np.array(5)}
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     save(state, os.path.join(folder, "model.npz"))
    ...     back = load(os.path.join(folder, "model.npz"))
    >>> list(back), back["conv.weight"].dtype, back["bn.num_batches_tracked"]
    (['conv.weight', 'bn.num_batches_tracked'], dtype('float32'), array(5))
    """
    arrays = _checked_arrays(state_dict)
    path = _as_path(path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"cannot save to {path!r}: the directory {folder!r} does not exist")
    partial = f"{path}.partial"
    try:
        # what numpy.savez does, minus its keyword arguments (a key named
        # "file" would clash with them) and with pickling switched off
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
            for key, array in arrays.items():
                with archive.open(key + ".npy", "w", force_zip64=True) as member:
                    np.lib.format.write_array(member, array, allow_pickle=False)
        os.replace(partial, path)
    finally:
        if os.path.exists(partial):
            os.remove(partial)


def load(path: StrPath) -> dict[str, np.ndarray]:
    """Read a state dict written by :func:`save` (or ``numpy.savez``).

    Parameters
    ----------
    path : str or os.PathLike
        An ``.npz`` archive.

    Returns
    -------
    dict of str -> ndarray
        The arrays in the order they were saved, with their saved dtypes and
        shapes; ordinary in-memory arrays (the file is closed).

    Raises
    ------
    FileNotFoundError
        If there is no file at ``path``.
    ValueError
        If the file is not an ``.npz`` archive, or holds pickled objects
        (never unpickled: that could run arbitrary code).

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from cnnlib.serialization import load, save
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     save({"w": np.arange(3.0), "b": np.zeros(2, np.float32)}, os.path.join(folder, "m.npz"))
    ...     state = load(os.path.join(folder, "m.npz"))
    >>> state
    {'w': array([0., 1., 2.]), 'b': array([0., 0.], dtype=float32)}
    """
    path = _as_path(path)
    if not os.path.isfile(path):
        hint = ""
        if os.path.isfile(path + ".npz"):
            hint = f" (there is {path + '.npz'!r}: numpy.savez adds that suffix)"
        raise FileNotFoundError(f"no state dict file at {path!r}{hint}")
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise ValueError(f"{path!r} is not an .npz archive (cnnlib.save writes one)") from None
    state = {}
    with archive:
        for name in archive.namelist():
            if not name.endswith(".npy"):
                raise ValueError(f"{path!r} is not a state dict archive: member {name!r} is not "
                                 f"a .npy array")
            key = name[:-len(".npy")]
            with archive.open(name) as member:
                try:
                    state[key] = np.lib.format.read_array(member, allow_pickle=False)
                except ValueError as err:
                    if "allow_pickle" not in str(err):
                        raise ValueError(f"{path!r}: entry {key!r} is not a valid .npy array: "
                                         f"{err}") from err
                    raise ValueError(
                        f"{path!r}: entry {key!r} holds pickled Python objects; load() refuses "
                        f"to unpickle them, since that can run arbitrary code (use numpy.load "
                        f"with allow_pickle=True only for a file you trust)") from None
    return state
