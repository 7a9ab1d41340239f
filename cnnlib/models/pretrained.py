"""Shipped weights: networks trained by scripts in ``tools/``, loaded by name.

Each model family registers its shipped weights with :func:`register` (the
architecture's builder, the file in ``data/weights/``, a one-line
description); :func:`load_pretrained` builds the architecture and loads the
file. How every file was made (script, command, time, result) is in
``data/README.md``, and the tests check that each one still scores what it
says there.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..nn import Module
from ..serialization import load

__all__ = ["WEIGHTS_DIR", "register", "available", "load_pretrained"]

WEIGHTS_DIR = Path(__file__).resolve().parent.parent.parent / "data" / "weights"


@dataclass(frozen=True)
class _Entry:
    builder: Callable[..., Module]
    filename: str
    description: str
    kwargs: tuple = ()


_REGISTRY: dict[str, _Entry] = {}


def register(name: str, builder: Callable[..., Module], filename: str, description: str,
             **kwargs: Any) -> None:
    """Make ``load_pretrained(name)`` build ``builder(rng=..., **kwargs)`` and load ``filename``.

    Parameters
    ----------
    name : str
        The name readers use, e.g. ``"lenet5-mnist"``.
    builder : callable
        The architecture, called as ``builder(rng=rng, **kwargs)``.
    filename : str
        A file in ``data/weights/`` written by :func:`cnnlib.save`.
    description : str
        One line: the data it was trained on and what it scores.
    """
    if name in _REGISTRY and _REGISTRY[name].filename != filename:
        raise ValueError(f"pretrained model {name!r} is already registered with "
                         f"{_REGISTRY[name].filename!r}")
    _REGISTRY[name] = _Entry(builder, filename, description, tuple(sorted(kwargs.items())))


def available() -> dict[str, str]:
    """The names :func:`load_pretrained` accepts, each with its description.

    Examples
    --------
    >>> import cnnlib.models
    >>> isinstance(cnnlib.models.available(), dict)
    True
    """
    return {name: entry.description for name, entry in sorted(_REGISTRY.items())}


def load_pretrained(name: str) -> Module:
    """A network with shipped weights, in evaluation mode.

    Parameters
    ----------
    name : str
        One of :func:`available`.

    Returns
    -------
    Module
        The architecture with the trained weights (and batch-norm statistics)
        loaded, switched to ``eval()``.

    Raises
    ------
    KeyError
        An unknown name (the message lists the known ones).
    FileNotFoundError
        The weights file is missing from ``data/weights/``.
    """
    if name not in _REGISTRY:
        raise KeyError(f"no pretrained model named {name!r}; available: {sorted(_REGISTRY)}")
    entry = _REGISTRY[name]
    path = WEIGHTS_DIR / entry.filename
    if not path.exists():
        raise FileNotFoundError(
            f"{path} is missing: the shipped weights live in the data/ folder of the course "
            f"repository (install cnnlib from a clone with 'pip install -e .'); "
            f"data/README.md says which tools/ script regenerates them"
        )
    # the initial weights are overwritten, but the builder needs a generator
    model = entry.builder(rng=np.random.default_rng(0), **dict(entry.kwargs))
    model.load_state_dict(load(path))
    return model.eval()
