"""Datasets shipped in the repository's ``data/`` folder (nothing is downloaded).

Each loader reads one file written by a script in ``tools/`` (``data/README.md``
gives the provenance, licence, checksums and regenerating command of each)
and returns fresh arrays, identical on every call and machine.

Images: :func:`load_digits` (8x8), :func:`load_mnist` and
:func:`load_fashion_mnist` (28x28), :func:`load_photo` (one colour photo).
Text, sound and graphs: :func:`load_words` (words of six languages),
:func:`load_spoken_digits` (synthesised spoken digits, split by voice),
:func:`load_alsa_voice` (one real speaker), :func:`load_karate_club` and
:func:`load_molecules` (graphs).
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np

__all__ = [
    "DATA_DIR",
    # images
    "load_digits", "load_mnist", "load_fashion_mnist", "FASHION_MNIST_CLASSES", "load_photo",
    # text, sound, graphs
    "load_words", "WORD_LANGUAGES", "WORD_ALPHABET",
    "load_spoken_digits", "SPOKEN_DIGITS_SAMPLE_RATE", "load_alsa_voice",
    "load_karate_club", "KARATE_CLUB_FACTIONS", "load_molecules", "MOLECULE_TARGETS", "Molecule",
]

DATA_DIR = Path(__file__).resolve().parent.parent / "data"

Split = tuple[np.ndarray, np.ndarray]


def _open(filename: str, loader: str, tool: str):
    """``np.load`` of a shipped file, or a FileNotFoundError that says what to do."""
    path = DATA_DIR / filename
    if not path.exists():
        raise FileNotFoundError(
            f"{path} is missing: cnnlib.datasets.{loader}() reads the data/ folder of the "
            f"course repository, so install cnnlib from a clone with 'pip install -e .' "
            f"(data/README.md says how to regenerate the file with tools/{tool})"
        )
    return np.load(path)

# Fixed, so every call on every machine gives the same split (PCG64 streams
# are platform-independent).
_SPLIT_SEED = 1
_TEST_FRACTION = 0.2


def _stratified_split(labels: np.ndarray, test_fraction: float, seed: int):
    """Indices (train, test): each class split in the same proportion."""
    rng = np.random.default_rng(seed)
    train, test = [], []
    for cls in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == cls))
        n_test = int(round(test_fraction * idx.size))
        test.append(idx[:n_test])
        train.append(idx[n_test:])
    # shuffle across classes so a batch of the first rows is not all zeros
    return rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(test))


def load_digits():
    """The 1,797 handwritten 8x8 digits of UCI "optdigits", split 80/20.

    Returns
    -------
    (X_train, y_train), (X_test, y_test)
        ``X_*`` float32 of shape (N, 1, 8, 8) with values in [0, 1] (the
        original 0..16 ink counts divided by 16); ``y_*`` int64 labels 0..9 of
        shape (N,). The split is stratified by class with a fixed seed: 1,438
        training and 359 test images, identical on every call and machine.

    Notes
    -----
    Source: E. Alpaydin and C. Kaynak, "Optical Recognition of Handwritten
    Digits", UCI Machine Learning Repository (CC BY 4.0); see ``data/README.md``.
    """
    with _open("digits.npz", "load_digits", "make_digits.py") as f:
        images, labels = f["images"], f["labels"]
    X = (images.astype(np.float32) / np.float32(16.0))[:, None, :, :]
    y = labels.astype(np.int64)
    train, test = _stratified_split(y, _TEST_FRACTION, _SPLIT_SEED)
    return (X[train], y[train]), (X[test], y[test])


#: The names of Fashion-MNIST's labels 0..9, in label order, as Xiao, Rasul &
#: Vollgraf (2017) list them.
FASHION_MNIST_CLASSES: tuple[str, ...] = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)

def _load_28x28(filename: str, loader: str) -> tuple[Split, Split]:
    """Read one of the .npz files written by tools/make_mnist.py, scaled to [0, 1]."""
    with _open(filename, loader, "make_mnist.py") as f:
        parts = []
        for part in ("train", "test"):
            images, labels = f[f"x_{part}"], f[f"y_{part}"]
            # division, not multiplication by 1/255, so each value is the float32
            # nearest to k/255 and the result does not depend on rounding of 1/255
            X = (images / np.float32(255.0)).astype(np.float32, copy=False)[:, None, :, :]
            parts.append((X, labels.astype(np.int64)))
    return parts[0], parts[1]


def load_mnist() -> tuple[Split, Split]:
    """The MNIST handwritten digits: 60,000 training and 10,000 test images, 28x28.

    Returns
    -------
    (X_train, y_train), (X_test, y_test)
        ``X_*`` float32 of shape (N, 1, 28, 28) with values k/255 in [0, 1]
        (the original 8-bit grey levels, 0 = background); ``y_*`` int64
        digits 0..9 of shape (N,). N = 60,000 and 10,000: the original
        training and test sets, in the original order (not shuffled: the
        training loop shuffles). Fresh arrays on every call; loading takes a
        fraction of a second.

    Notes
    -----
    Source: Y. LeCun, C. Cortes and C. J. C. Burges, "The MNIST database of
    handwritten digits" (CC BY-SA 3.0); the original idx files, checked by
    SHA-256. See ``data/README.md`` for the provenance.

    Examples
    --------
    >>> from cnnlib.datasets import load_mnist
    >>> (X_train, y_train), (X_test, y_test) = load_mnist()
    >>> X_train.shape, X_train.dtype, y_test.shape
    ((60000, 1, 28, 28), dtype('float32'), (10000,))
    >>> y_train[:5].tolist()
    [5, 0, 4, 1, 9]
    """
    return _load_28x28("mnist.npz", "load_mnist")


def load_fashion_mnist() -> tuple[Split, Split]:
    """Fashion-MNIST: 28x28 greyscale photos of clothing in 10 classes.

    A drop-in replacement for MNIST (same sizes and layout) that is harder to
    classify; :data:`~cnnlib.datasets.FASHION_MNIST_CLASSES` names the labels.

    Returns
    -------
    (X_train, y_train), (X_test, y_test)
        ``X_*`` float32 of shape (N, 1, 28, 28) with values k/255 in [0, 1];
        ``y_*`` int64 labels 0..9 of shape (N,), 6,000 training and 1,000
        test images per class. N = 60,000 and 10,000, the original sets in
        the original order. Fresh arrays on every call.

    Notes
    -----
    Source: H. Xiao, K. Rasul and R. Vollgraf, "Fashion-MNIST: a Novel Image
    Dataset for Benchmarking Machine Learning Algorithms", arXiv:1708.07747,
    2017 (MIT licence). See ``data/README.md`` for the provenance.

    Examples
    --------
    >>> from cnnlib.datasets import FASHION_MNIST_CLASSES, load_fashion_mnist
    >>> (X_train, y_train), _ = load_fashion_mnist()
    >>> X_train.shape
    (60000, 1, 28, 28)
    >>> [FASHION_MNIST_CLASSES[k] for k in y_train[:3]]
    ['Ankle boot', 'T-shirt/top', 'T-shirt/top']
    """
    return _load_28x28("fashion_mnist.npz", "load_fashion_mnist")


def load_photo() -> np.ndarray:
    """A real colour photograph: Rear Admiral Grace Hopper (public domain).

    Returns
    -------
    ndarray, shape (600, 512, 3), float32 in [0, 1]
        Height x width x channels (R, G, B): the layout image files use. Use
        ``x.transpose(2, 0, 1)`` for the channels-first layout of cnnlib.

    Notes
    -----
    The photo matplotlib ships as ``grace_hopper.jpg``, decoded once and stored
    losslessly in ``data/grace_hopper.png`` so every machine sees the same
    pixels; see ``data/README.md``.
    """
    import matplotlib.image as mpimg

    path = DATA_DIR / "grace_hopper.png"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: install cnnlib from a clone with 'pip install -e .'")
    return np.ascontiguousarray(mpimg.imread(path)[..., :3], dtype=np.float32)


# --------------------------------------------------------------------------
# text, sound and graphs

#: The languages of :func:`load_words`: label ``k`` is ``WORD_LANGUAGES[k]``.
WORD_LANGUAGES: tuple[str, ...] = ("English", "French", "German", "Spanish", "Italian", "Dutch")
#: Every letter a word of :func:`load_words` may use: a-z and the accented
#: letters of the six alphabets, in code-point order (a letter's index can be
#: its id for an embedding).
WORD_ALPHABET: str = "abcdefghijklmnopqrstuvwxyzßàáâäæçèéêëìíîïñòóôöùúûüÿœ"
#: Samples per second of :func:`load_spoken_digits`.
SPOKEN_DIGITS_SAMPLE_RATE: int = 8000
#: The factions of :func:`load_karate_club`: label ``k`` is ``KARATE_CLUB_FACTIONS[k]``.
KARATE_CLUB_FACTIONS: tuple[str, ...] = ("Mr. Hi", "Officer")
#: The properties :func:`load_molecules` can return as targets.
MOLECULE_TARGETS: tuple[str, ...] = ("num_rings", "num_aromatic_rings", "tpsa")

_SPLITS = ("train", "val", "test")

def load_words() -> tuple[Split, Split, Split]:
    """Which language is a word from? 24,000 words of six languages, 4,000 each.

    Returns
    -------
    (words_train, y_train), (words_val, y_val), (words_test, y_test)
        ``words_*`` ndarray of str (dtype ``<U16``), lower-case words of 3 to
        16 letters from :data:`WORD_ALPHABET`; ``y_*`` int64 labels 0..5,
        the index into :data:`WORD_LANGUAGES` (English, French, German,
        Spanish, Italian, Dutch). 16,800 / 3,600 / 3,600 words, balanced:
        2,800 / 600 / 600 per language. The split is by word and fixed (no
        word is in two parts), and no word belongs to two languages.

    Notes
    -----
    Sampled from Debian's word lists wamerican, wfrench, wngerman, wspanish,
    witalian and wdutch after dropping proper nouns, words with characters
    outside the language's alphabet and words found in two lists; see
    ``data/README.md`` for the clean-up, the licences and the checksums.

    Examples
    --------
    >>> from cnnlib.datasets import WORD_LANGUAGES, load_words
    >>> (w_train, y_train), (w_val, y_val), (w_test, y_test) = load_words()
    >>> w_train.shape, y_train.dtype, len(w_val), len(w_test)
    ((16800,), dtype('int64'), 3600, 3600)
    >>> [(str(w), WORD_LANGUAGES[k]) for w, k in zip(w_train[:3], y_train[:3])]
    [('tamborón', 'Spanish'), ('voorselectie', 'Dutch'), ('retrodatavi', 'Italian')]
    """
    with _open("words.npz", "load_words", "make_words.py") as f:
        words, labels, split = f["words"], f["labels"].astype(np.int64), f["split"]
    return tuple((words[split == s].copy(), labels[split == s]) for s in range(len(_SPLITS)))


def load_spoken_digits(with_voices: bool = False) -> tuple[tuple[np.ndarray, ...], ...]:
    """Spoken digits "zero" .. "nine", synthesised by 106 voices; test voices never trained on.

    Parameters
    ----------
    with_voices : bool, default False
        Also return each clip's voice name, e.g. ``"espeak-ng:en-gb+m3"``
        (espeak-ng's accent + variant) or ``"flite:slt"``.

    Returns
    -------
    (X_train, y_train), (X_val, y_val), (X_test, y_test)
        ``X_*`` float32 of shape (N, 8000): 1 s at
        :data:`SPOKEN_DIGITS_SAMPLE_RATE` = 8 kHz, values k/32768 in [-1, 1)
        (the stored int16 samples), the word centred and peak-normalised to
        0.9; ``y_*`` int64 digits 0..9. N = 1,660 / 380 / 380 (166 / 38 / 38
        per digit). With ``with_voices=True`` each part is ``(X, y, voice)``
        with ``voice`` an ndarray of str, shape (N,).

        The split is by voice: 74 training voices, 16 validation and 16 test
        voices, disjoint. A test voice's espeak-ng variant (its timbre) is
        used by no training voice, and the flite voice ``slt`` is only in
        the test set (``awb`` only in validation). All voices are synthetic.
        Clips are grouped by voice and digit (not shuffled: the training
        loop shuffles).

    Examples
    --------
    >>> from cnnlib.datasets import load_spoken_digits
    >>> (X_train, y_train), _, (X_test, y_test) = load_spoken_digits()
    >>> X_train.shape, X_train.dtype, y_test.shape
    ((1660, 8000), dtype('float32'), (380,))
    >>> *_, (X_test, y_test, v_test) = load_spoken_digits(with_voices=True)
    >>> str(sorted(set(v_test))[-1])
    'flite:slt'
    """
    if not isinstance(with_voices, (bool, np.bool_)):
        raise TypeError(f"with_voices must be True or False, got {with_voices!r}")
    with _open("spoken_digits.npz", "load_spoken_digits", "make_spoken_digits.py") as f:
        audio, labels, split = f["audio"], f["labels"].astype(np.int64), f["split"]
        voices = f["voice_names"][f["voice"]]
    X = (audio / np.float32(32768.0)).astype(np.float32, copy=False)
    parts = []
    for s in range(len(_SPLITS)):
        mask = split == s
        parts.append((X[mask], labels[mask], voices[mask]) if with_voices
                     else (X[mask], labels[mask]))
    return tuple(parts)


def load_alsa_voice() -> tuple[dict[str, np.ndarray], int]:
    """A real recorded voice: the nine ALSA test sounds ("Front left", ...), at 16 kHz.

    Returns
    -------
    sounds : dict of str -> ndarray
        Name -> float32 waveform of shape (T,) in [-1, 1), T about 21,000 to
        24,500 samples (1.3 to 1.5 s). Names: ``Front_Center``,
        ``Front_Left``, ``Front_Right``, ``Rear_Center``, ``Rear_Left``,
        ``Rear_Right``, ``Side_Left``, ``Side_Right`` (one speaker saying
        those words) and ``Noise`` (a burst of noise, no speech).
    sample_rate : int
        16000.

    Examples
    --------
    >>> from cnnlib.datasets import load_alsa_voice
    >>> sounds, sr = load_alsa_voice()
    >>> sr, len(sounds), sounds["Front_Left"].dtype
    (16000, 9, dtype('float32'))
    >>> round(len(sounds["Front_Left"]) / sr, 2)
    1.48
    """
    with _open("alsa_voice.npz", "load_alsa_voice", "make_spoken_digits.py") as f:
        audio, offsets, names = f["audio"], f["offsets"], f["names"]
        sample_rate = int(f["sample_rate"])
    sounds = {str(name): (audio[a:b] / np.float32(32768.0)).astype(np.float32)
              for name, a, b in zip(names, offsets[:-1], offsets[1:])}
    return sounds, sample_rate


def load_karate_club(weighted: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Zachary's karate club: 34 members, 78 friendships, the two factions of the split.

    Parameters
    ----------
    weighted : bool, default False
        Edge weights: Zachary's count (1..7) of the contexts in which two
        members interacted, instead of 1.

    Returns
    -------
    A : ndarray, shape (34, 34), float32
        Symmetric adjacency, no self-loops.
    y : ndarray, shape (34,), int64
        The faction each member joined: 0 = "Mr. Hi" (the instructor, node
        0), 1 = "Officer" (the administrator, node 33); 17 members each.
        Names in :data:`KARATE_CLUB_FACTIONS`.

    Examples
    --------
    >>> from cnnlib.datasets import load_karate_club
    >>> A, y = load_karate_club()
    >>> A.shape, int(A.sum()) // 2, y[[0, 33]].tolist()
    ((34, 34), 78, [0, 1])
    """
    if not isinstance(weighted, (bool, np.bool_)):
        raise TypeError(f"weighted must be True or False, got {weighted!r}")
    with _open("karate_club.npz", "load_karate_club", "make_graphs.py") as f:
        edges, weights, club = f["edges"].astype(np.int64), f["weights"], f["club"]
    A = np.zeros((len(club), len(club)), dtype=np.float32)
    values = weights.astype(np.float32) if weighted else np.float32(1.0)
    A[edges[:, 0], edges[:, 1]] = values
    A[edges[:, 1], edges[:, 0]] = values
    return A, club.astype(np.int64)


class Molecule(NamedTuple):
    """One molecule as a graph of its heavy atoms (hydrogens are counted per atom).

    The fields, in order:

    - ``smiles`` (str): RDKit's canonical SMILES; atoms are numbered in its order.
    - ``atomic_numbers``: int64 (n_atoms,); 6 = carbon, 7 = nitrogen, 8 = oxygen, ...
    - ``num_hs``: int64 (n_atoms,), the hydrogens bonded to each atom.
    - ``formal_charges``: int64 (n_atoms,).
    - ``bonds``: int64 (n_bonds, 2), atom index pairs ``(i, j)`` with ``i < j``,
      each bond once (:func:`cnnlib.graph.edges_to_adjacency` turns them into
      an adjacency matrix).
    - ``bond_orders``: int64 (n_bonds,), 1, 2 or 3 in the Kekulé form
      (aromatic rings drawn with alternating single and double bonds:
      aromaticity is not given).
    """

    smiles: str
    atomic_numbers: np.ndarray
    num_hs: np.ndarray
    formal_charges: np.ndarray
    bonds: np.ndarray
    bond_orders: np.ndarray


def load_molecules(target: str = "num_rings") -> tuple[tuple[list[Molecule], np.ndarray], ...]:
    """4,736 small molecules (NCI, via RDKit) as graphs, with a property to predict.

    Parameters
    ----------
    target : {"num_rings", "num_aromatic_rings", "tpsa"}, default "num_rings"
        ``num_rings``: RDKit's ring count (smallest set of smallest rings;
        bonds - atoms + 1 except for 21 bridged molecules, where it is one
        more). ``num_aromatic_rings``: rings RDKit perceives as aromatic.
        ``tpsa``: topological polar surface area in square angstroms (from
        the source file), a sum of per-atom contributions, for contrast.

    Returns
    -------
    (mols_train, y_train), (mols_val, y_val), (mols_test, y_test)
        ``mols_*`` list of :class:`Molecule`; ``y_*`` int64 of shape (N,)
        for the ring counts (0 to 10), float32 for ``tpsa``. N = 3,315 /
        710 / 711, a fixed random split by molecule (each canonical SMILES
        once), each part in the source file's order. Molecules have 2 to 50
        heavy atoms and are in one piece.

    Examples
    --------
    >>> from cnnlib.datasets import load_molecules
    >>> (mols, y), _, _ = load_molecules("num_rings")
    >>> len(mols), y.dtype
    (3315, dtype('int64'))
    >>> m = mols[0]
    >>> m.smiles, m.atomic_numbers.shape, m.bonds.shape, int(y[0])
    ('c1ccc2sc(SSc3nc4ccccc4s3)nc2c1', (20,), (23, 2), 4)
    >>> len(m.bonds) - len(m.atomic_numbers) + 1         # bonds - atoms + 1 rings
    4
    """
    if target not in MOLECULE_TARGETS:
        raise ValueError(f"target must be one of {MOLECULE_TARGETS}, got {target!r}")
    with _open("molecules.npz", "load_molecules", "make_graphs.py") as f:
        arrays = {k: f[k] for k in f.files}
    aptr, bptr = arrays["atom_ptr"], arrays["bond_ptr"]
    mols = []
    for k, smiles in enumerate(arrays["smiles"]):
        a, b = slice(aptr[k], aptr[k + 1]), slice(bptr[k], bptr[k + 1])
        mols.append(Molecule(str(smiles),
                             arrays["atomic_number"][a].astype(np.int64),
                             arrays["num_hs"][a].astype(np.int64),
                             arrays["formal_charge"][a].astype(np.int64),
                             arrays["bonds"][b].astype(np.int64),
                             arrays["bond_order"][b].astype(np.int64)))
    y = arrays[target].astype(np.float32 if target == "tpsa" else np.int64)
    split = arrays["split"]
    return tuple(([mols[i] for i in np.flatnonzero(split == s)], y[split == s])
                 for s in range(len(_SPLITS)))
