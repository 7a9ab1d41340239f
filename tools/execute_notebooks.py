"""Re-execute notebooks in place, top to bottom, so their stored outputs are current.

Usage: python tools/execute_notebooks.py [PATH ...]   (files or folders; default chapters/)

Each notebook runs in a fresh kernel with its own folder as the working
directory (as nbval runs it), and is written back only if every cell succeeded
(cells tagged ``raises-exception`` may raise).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def notebooks(paths: list[str]) -> list[Path]:
    found: list[Path] = []
    for p in map(Path, paths or ["chapters"]):
        if p.is_dir():
            found += sorted(q for q in p.rglob("*.ipynb") if ".ipynb_checkpoints" not in q.parts)
        elif p.suffix == ".ipynb":
            found.append(p)
        else:
            sys.exit(f"error: {p} is neither a folder nor a .ipynb file")
    return found


def execute(path: Path) -> float:
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    # coalesce_streams: a cell that prints line by line (a training loop) stores
    # one text output, not one per flush, so the book shows one block
    NotebookClient(nb, timeout=600, kernel_name="python3", coalesce_streams=True,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    nbformat.write(nb, path)
    return time.perf_counter() - start


def main() -> None:
    paths = notebooks(sys.argv[1:])
    if not paths:
        print("no notebooks found")
        return
    for path in paths:
        print(f"executing {path} ...", end=" ", flush=True)
        print(f"{execute(path):.1f} s")


if __name__ == "__main__":
    main()
