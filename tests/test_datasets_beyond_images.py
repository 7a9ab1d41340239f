"""The Part IV datasets (words, spoken digits, ALSA voice, karate club, molecules):
the shipped files against their documented checksums, and what each loader promises."""

from __future__ import annotations

import hashlib
import re

import numpy as np
import pytest

from cnnlib import datasets as ds

# SHA-256 of each stored array, as tools/make_*.py print them and
# data/README.md documents them: of the bytes for numbers, of the
# UTF-8 text joined by newlines for strings (a unicode array's bytes depend
# on the machine's byte order).
CHECKSUMS = {
    "words.npz": {
        "words": "3524425d7a33b6a17f001bf60bdcb977d6833855416fc7e15d806603955ca30b",
        "labels": "95cc0d46e9603c0af91000cca639ec5f386d239327f93d026cbf216c7f1a7b64",
        "split": "3cd0bbc76f9b35b184b4c11b9b5e4a75a8dbe8ebd07494cd21d0c35ab263f4c3",
        "languages": "2c602d7ed3a2dfe8811b088a4525d91ea68b1e10a91da3c6b931abb3143d8370",
        "alphabet": "3fd41ddb900a07188e97de6270fea29c259188100f08ac2f01eed27734e5d150",
    },
    "spoken_digits.npz": {
        "audio": "48a22abf94f5f2b633a08b15017771c33bb22900158032d8b96fa211c6206459",
        "labels": "1de8f768adcd545552b048f6ff471a0772e6a00f1df83d6e77e25de300d9ce28",
        "voice": "89d0592717d7f10040d6ced2acdc63a7a8c2cfe44a391a3b33d8d8f398e5d486",
        "split": "798ffd27f230e13666d6a93077218dfdcd6526e6add35804287885adc6fcd85e",
        "voice_names": "d98485c024b1561605440fe18eabd48aaea7a19554a3e42a091735ff831965bb",
        "voice_split": "976b356cd0cafebbdafd3d0ed43a01ca6128181d6e72de3221910be1f2bd9f27",
    },
    "alsa_voice.npz": {
        "audio": "85edf98df023e31f69649b991106819dadbeeecc8a55b43edd87c3e72d889bf4",
        "offsets": "371eb0448e2d4e9d3429fece730e370a04ee270e634497f7a0b95005fef5d8e0",
        "names": "02d159cd321ed20886e1f5fca65f505e4f6b74b88afd5e5bf7dd2fe56b94a7ed",
    },
    "karate_club.npz": {
        "edges": "69fe8b4d3abaa4345bcb4e9476e862f612604fe3404f3df09d2a51424667765d",
        "weights": "3e92f1b72dbcab157505bfb01c1725cfe7ef3797d8c87ace96a3c851d284db18",
        "club": "879bb5bdaf2f27d06958785ca722e4e9e7a5bcba60e640f5239606cff1c97f48",
    },
    "molecules.npz": {
        "smiles": "6bb397b7c044cd3b3ac97881d626d78246131571a31b2e765cff537ab5481496",
        "atom_ptr": "65d54c19373a8a1e7883ac8dbced4064114a42cdd4d4464da3e59504def1bdba",
        "atomic_number": "7008db8c3585110664fbb341acbc66adb7141ebad6bc81c5b21654cfda79b4b6",
        "num_hs": "1ead576acbd29b46a5579f87da2678c9911696684589ff8a80e0227f56025ff4",
        "formal_charge": "9e683112c9c218615f91cd030cddec124c4f2c53b13fb2eec1b628b5457ad34d",
        "bond_ptr": "82d58c884faefbc3ea9a6bddbf1365fa8aa3a6efad865d7465a80cd421e6db3a",
        "bonds": "97cbcdb40d98f0ef70399845c4340100a07519a46131819b2244beb4110c8cfa",
        "bond_order": "fbcb6a5278fbf6da1af1ea9a1dd1b61e6ab99a47e9ad705b3835bcf075ab8f52",
        "num_rings": "45f05fcafe61a52e6307faac8e0dbac6789f2700a7c6e82e4ed3e7621b45ba70",
        "num_aromatic_rings": "0295ef12bcec84256107819b6f7ab909011c37755bed1addf982e8f632013be8",
        "tpsa": "e2c9b9ae2da515c1f51fa98b85ef0eea2fdbe13bf6b830b499c0d0748d0f2255",
        "split": "dd5b38e01b8c23fcd6bc2da6ae71eafeb37976347dae2a62c2b5a600bd8ca29f",
    },
}


def digest(a: np.ndarray) -> str:
    if a.dtype.kind == "U":
        return hashlib.sha256("\n".join(map(str, a.ravel())).encode("utf-8")).hexdigest()
    return hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()


def raw(filename: str) -> dict[str, np.ndarray]:
    with np.load(ds.DATA_DIR / filename) as f:
        return {k: f[k] for k in f.files}


@pytest.mark.parametrize("filename", sorted(CHECKSUMS))
def test_shipped_arrays_match_their_documented_checksums(filename):
    arrays = raw(filename)
    for key, expected in CHECKSUMS[filename].items():
        assert digest(arrays[key]) == expected, f"{filename}: {key} differs from the documented data"


def test_new_data_stays_small():
    sizes = {name: (ds.DATA_DIR / name).stat().st_size for name in CHECKSUMS}
    assert sum(sizes.values()) < 15e6, sizes


def test_checksums_are_the_ones_the_readme_documents():
    readme = (ds.DATA_DIR / "README.md").read_text(encoding="utf-8")
    for filename, arrays in CHECKSUMS.items():
        for key, value in arrays.items():
            assert value in readme, f"{filename}:{key} checksum missing from data/README*.md"


def test_missing_file_says_how_to_get_it(monkeypatch, tmp_path):
    monkeypatch.setattr(ds, "DATA_DIR", tmp_path)
    with pytest.raises(FileNotFoundError, match=r"load_words\(\).*pip install -e .*make_words\.py"):
        ds.load_words()
    with pytest.raises(FileNotFoundError, match="make_spoken_digits.py"):
        ds.load_alsa_voice()


# -- words -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def words():
    return ds.load_words()


def test_words_shapes_dtypes_and_balance(words):
    for (w, y), n in zip(words, (16800, 3600, 3600)):
        assert w.shape == y.shape == (n,)
        assert w.dtype.kind == "U" and y.dtype == np.int64
        assert np.array_equal(np.bincount(y, minlength=6), np.full(6, n // 6))


def test_words_splits_are_disjoint_and_labels_unambiguous(words):
    sets = [set(w.tolist()) for w, _ in words]
    assert sum(len(s) for s in sets) == 24000                    # no duplicates inside a part
    assert not (sets[0] & sets[1]) and not (sets[0] & sets[2]) and not (sets[1] & sets[2])
    all_words = np.concatenate([w for w, _ in words])
    assert len(np.unique(all_words)) == len(all_words)           # so one label per word


def test_words_use_the_documented_alphabets(words):
    arrays = raw("words.npz")
    assert str(arrays["alphabet"]) == ds.WORD_ALPHABET
    assert tuple(arrays["languages"]) == ds.WORD_LANGUAGES
    assert list(ds.WORD_ALPHABET) == sorted(set(ds.WORD_ALPHABET))
    native = {"English": "", "French": "àâæçéèêëîïôœùûüÿ", "German": "äöüß",
              "Spanish": "áéíñóúü", "Italian": "àèéìíîòóùú", "Dutch": "áàäéèêëíïóöôúü"}
    for w, y in words:
        for word, label in zip(w.tolist(), y.tolist()):
            assert 3 <= len(word) <= 16 and word == word.lower()
            allowed = set("abcdefghijklmnopqrstuvwxyz" + native[ds.WORD_LANGUAGES[label]])
            assert set(word) <= allowed, (word, ds.WORD_LANGUAGES[label])


def test_words_letters_that_name_their_language(words):
    # a sanity check of the labels: ß only in German, ñ only in Spanish
    w, y = words[0]
    for letter, language in (("ß", "German"), ("ñ", "Spanish")):
        has = np.array([letter in word for word in w.tolist()])
        assert has.sum() > 10
        assert set(y[has].tolist()) == {ds.WORD_LANGUAGES.index(language)}


def test_words_are_identical_on_every_call(words):
    again = ds.load_words()
    for (w1, y1), (w2, y2) in zip(words, again):
        assert np.array_equal(w1, w2) and np.array_equal(y1, y2)


# -- spoken digits ---------------------------------------------------------------

@pytest.fixture(scope="module")
def digits():
    return ds.load_spoken_digits(with_voices=True)


def test_spoken_digits_shapes_dtypes_and_counts(digits):
    for (X, y, v), n in zip(digits, (1660, 380, 380)):
        assert X.shape == (n, ds.SPOKEN_DIGITS_SAMPLE_RATE) and X.dtype == np.float32
        assert y.shape == v.shape == (n,) and y.dtype == np.int64
        assert np.array_equal(np.bincount(y, minlength=10), np.full(10, n // 10))
        np.testing.assert_array_equal(X * 32768, np.round(X * 32768))      # int16 samples / 32768
    assert int(raw("spoken_digits.npz")["sample_rate"]) == ds.SPOKEN_DIGITS_SAMPLE_RATE
    plain = ds.load_spoken_digits()
    assert all(len(part) == 2 for part in plain)
    assert np.array_equal(plain[2][0], digits[2][0])


def test_test_voices_are_never_heard_in_training(digits):
    voices = [set(v.tolist()) for _, _, v in digits]
    assert [len(s) for s in voices] == [74, 16, 16]
    assert not (voices[0] & voices[1]) and not (voices[0] & voices[2]) and not (voices[1] & voices[2])

    def variant(name):                   # "espeak-ng:en-gb+m3" -> "m3": the timbre
        return name.split("+", 1)[1] if name.startswith("espeak-ng:") else name

    train_variants = {variant(v) for v in voices[0]}
    assert not train_variants & {variant(v) for v in voices[2]}
    assert not train_variants & {variant(v) for v in voices[1]}
    assert "flite:slt" in voices[2] and "flite:awb" in voices[1]
    assert {"flite:kal", "flite:kal16", "flite:rms"} <= voices[0]
    # every voice says every digit the same number of times
    for _, y, v in digits:
        for name in set(v.tolist()):
            counts = np.bincount(y[v == name], minlength=10)
            assert counts.min() == counts.max() > 0


def test_every_clip_is_a_centred_word_with_silence_around(digits):
    sr = ds.SPOKEN_DIGITS_SAMPLE_RATE
    edge = sr // 40                                  # 25 ms
    for X, _, _ in digits:
        peaks = np.abs(X).max(axis=1)
        np.testing.assert_allclose(peaks, 0.9, atol=2 / 32768)            # peak-normalised
        assert np.all(X[:, :edge] == 0) and np.all(X[:, -edge:] == 0)
        loud = np.abs(X) > 0.01
        first = loud.argmax(axis=1)
        last = sr - 1 - loud[:, ::-1].argmax(axis=1)
        centre = (first + last) / 2
        assert np.all(np.abs(centre - sr / 2) < 0.1 * sr)
        assert np.all(last - first > 0.1 * sr)      # a word (the shortest, "two", ~0.14 s), not a click


def test_spoken_digits_argument_check():
    with pytest.raises(TypeError, match="with_voices must be True or False"):
        ds.load_spoken_digits(with_voices="yes")


# -- the ALSA voice --------------------------------------------------------------

def test_alsa_voice():
    sounds, sr = ds.load_alsa_voice()
    assert sr == 16000
    assert sorted(sounds) == sorted(["Front_Center", "Front_Left", "Front_Right", "Noise",
                                     "Rear_Center", "Rear_Left", "Rear_Right", "Side_Left",
                                     "Side_Right"])
    for name, x in sounds.items():
        assert x.dtype == np.float32 and x.ndim == 1
        assert 1.2 < len(x) / sr < 1.6, (name, len(x))
        assert np.abs(x).max() < 1.0
        assert np.sqrt(np.mean(x ** 2)) > 0.01, name          # not silence
    arrays = raw("alsa_voice.npz")
    assert arrays["offsets"][0] == 0 and arrays["offsets"][-1] == len(arrays["audio"])


# -- karate club -----------------------------------------------------------------

def test_karate_club():
    A, y = ds.load_karate_club()
    assert A.shape == (34, 34) and A.dtype == np.float32 and y.dtype == np.int64
    assert np.array_equal(A, A.T) and np.all(np.diag(A) == 0)
    assert set(np.unique(A).tolist()) == {0.0, 1.0} and A.sum() == 2 * 78
    assert np.bincount(y).tolist() == [17, 17]
    assert y[0] == 0 and y[33] == 1                       # the instructor and the administrator
    assert A.sum(axis=1)[[0, 33]].tolist() == [16, 17]    # the two hubs
    W, _ = ds.load_karate_club(weighted=True)
    assert np.array_equal(W > 0, A > 0) and W.max() == 7 and W.min() == 0
    with pytest.raises(TypeError, match="weighted must be True or False"):
        ds.load_karate_club(weighted=1)


def test_karate_club_matches_networkx_when_installed():
    nx = pytest.importorskip("networkx")
    g = nx.karate_club_graph()
    A, y = ds.load_karate_club()
    np.testing.assert_array_equal(A, nx.to_numpy_array(g, nodelist=range(34), weight=None))
    assert [ds.KARATE_CLUB_FACTIONS[k] for k in y] == [g.nodes[i]["club"] for i in range(34)]


# -- molecules -------------------------------------------------------------------

@pytest.fixture(scope="module")
def molecules():
    return ds.load_molecules("num_rings")


def test_molecules_shapes_and_split(molecules):
    assert [len(m) for m, _ in molecules] == [3315, 710, 711]
    smiles = [{mol.smiles for mol in mols} for mols, _ in molecules]
    assert sum(len(s) for s in smiles) == 4736
    assert not (smiles[0] & smiles[1]) and not (smiles[0] & smiles[2]) and not (smiles[1] & smiles[2])
    for mols, y in molecules:
        assert y.dtype == np.int64 and y.shape == (len(mols),)
        for mol in mols:
            n = len(mol.atomic_numbers)
            assert 2 <= n <= 50
            assert mol.num_hs.shape == mol.formal_charges.shape == (n,)
            assert mol.bonds.shape == (len(mol.bond_orders), 2) and mol.bonds.dtype == np.int64
            assert np.all(mol.bonds[:, 0] < mol.bonds[:, 1]) and mol.bonds.max() < n
            assert set(mol.bond_orders.tolist()) <= {1, 2, 3}
            assert len({tuple(b) for b in mol.bonds.tolist()}) == len(mol.bonds)


def test_ring_counts_follow_eulers_formula_except_bridged(molecules):
    # one piece: independent cycles = bonds - atoms + 1. RDKit's ring count is
    # that, except for 21 bridged molecules (e.g. bicyclo[2.2.2]octane), where
    # its symmetrised smallest set of rings has one ring more.
    differ = 0
    for mols, y in molecules:
        for mol, rings in zip(mols, y):
            cycles = len(mol.bonds) - len(mol.atomic_numbers) + 1
            assert rings in (cycles, cycles + 1), mol.smiles
            differ += rings != cycles
    assert differ == 21


def test_molecule_targets():
    (_, y_arom), _, _ = ds.load_molecules("num_aromatic_rings")
    (_, y_tpsa), _, _ = ds.load_molecules("tpsa")
    (_, y_rings), _, _ = ds.load_molecules()
    assert y_arom.dtype == np.int64 and np.all(y_arom <= y_rings)
    assert y_tpsa.dtype == np.float32 and y_tpsa.min() >= 0
    with pytest.raises(ValueError, match=re.escape("target must be one of")):
        ds.load_molecules("logp")


def test_molecules_match_rdkit_when_installed(molecules):
    Chem = pytest.importorskip("rdkit.Chem")
    from rdkit.Chem import rdMolDescriptors

    mols, y = molecules[2]
    for mol, rings in list(zip(mols, y))[::25]:
        m = Chem.MolFromSmiles(mol.smiles)
        assert rdMolDescriptors.CalcNumRings(m) == rings
        assert [a.GetAtomicNum() for a in m.GetAtoms()] == mol.atomic_numbers.tolist()
        assert m.GetNumBonds() == len(mol.bonds)
