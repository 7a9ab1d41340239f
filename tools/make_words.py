"""Regenerate data/words.npz: words of six languages, for chapter 14 (which language is a word from?).

Usage (Debian packages, as root)::

    apt-get install wamerican wfrench wngerman wspanish witalian wdutch
    .venv/bin/python tools/make_words.py

Clean-up, per word list (``/usr/share/dict/<file>``, UTF-8, one entry a line):

1. Proper nouns and abbreviations out: entries with a capital letter are
   dropped ("Paris", "DNA", "Californian's"). German capitalises every noun,
   so there only entries with a capital *after* the first letter are dropped
   ("DNA", "McDonald") and capitalised nouns are kept; German names of places
   and people therefore remain, indistinguishable from nouns.
2. Lower-case, then keep only words whose every character is in that
   language's alphabet (``ALPHABETS`` below): this drops possessives and
   elisions (an apostrophe), compounds with a hyphen or space, digits, and
   loanwords with foreign accents ("café" in English).
3. Length between ``MIN_LEN`` and ``MAX_LEN`` characters.
4. A word found in the cleaned lists of two or more languages ("hand",
   "festival") is dropped from all of them, so every label is unambiguous.

Then ``PER_LANGUAGE`` words are drawn from each cleaned list with a seeded
generator and split by word, within each language, into train / validation /
test (``SPLIT`` words each), so the classes are balanced in every part and no
word is in two parts. The file stores the words as a unicode array, the
labels, the split, the language names and the alphabet (the union of the six
alphabets, in code-point order) that a character model can index.

Checksums are of the UTF-8 text of the words joined by newlines (a unicode
array's bytes depend on the machine's byte order), and of the other arrays'
bytes.
"""

from __future__ import annotations

import hashlib
import string
import subprocess
import sys
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parent.parent / "data"
DICT = Path("/usr/share/dict")
SEED = 14                      # chapter 14
MIN_LEN, MAX_LEN = 3, 16
PER_LANGUAGE = 4000
SPLIT = {"train": 2800, "val": 600, "test": 600}

LOWER = string.ascii_lowercase
# (language, Debian package, file in /usr/share/dict, letters beyond a-z)
LANGUAGES = (
    ("English", "wamerican", "american-english", ""),
    ("French", "wfrench", "french", "àâæçéèêëîïôœùûüÿ"),
    ("German", "wngerman", "ngerman", "äöüß"),
    ("Spanish", "wspanish", "spanish", "áéíñóúü"),
    ("Italian", "witalian", "italian", "àèéìíîòóùú"),
    ("Dutch", "wdutch", "dutch", "áàäéèêëíïóöôúü"),
)
ALPHABETS = {name: set(LOWER + extra) for name, _, _, extra in LANGUAGES}
ALPHABET = "".join(sorted(set().union(*ALPHABETS.values())))


def package_version(package: str) -> str:
    out = subprocess.run(["dpkg-query", "-W", "-f=${Version}", package],
                         capture_output=True, text=True, check=True)
    return f"{package} {out.stdout.strip()}"


def clean(entries: list[str], language: str) -> set[str]:
    alphabet = ALPHABETS[language]
    keep = set()
    for entry in entries:
        if not entry:
            continue
        capitals = entry[1:] if language == "German" else entry
        if any(ch.isupper() for ch in capitals):
            continue
        word = entry.lower()
        if MIN_LEN <= len(word) <= MAX_LEN and set(word) <= alphabet:
            keep.add(word)
    return keep


def build() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(SEED)
    cleaned = {}
    for name, package, filename, _ in LANGUAGES:
        path = DICT / filename
        if not path.exists():
            raise SystemExit(f"{path} is missing: apt-get install {package}")
        entries = path.read_text(encoding="utf-8").splitlines()
        cleaned[name] = clean(entries, name)
        print(f"  {name:8s} {package_version(package):28s} {len(entries):7d} entries "
              f"-> {len(cleaned[name]):7d} after clean-up "
              f"\n           sha256 of the list {hashlib.sha256(path.read_bytes()).hexdigest()}")
    seen: dict[str, int] = {}
    for words in cleaned.values():
        for w in words:
            seen[w] = seen.get(w, 0) + 1
    shared = {w for w, n in seen.items() if n > 1}
    print(f"  {len(shared)} words are in two or more lists and dropped from all")
    words, labels, split = [], [], []
    parts = list(SPLIT)
    for label, (name, *_rest) in enumerate(LANGUAGES):
        pool = sorted(cleaned[name] - shared)            # sorted: set order varies per run
        if len(pool) < PER_LANGUAGE:
            raise SystemExit(f"{name}: only {len(pool)} words after clean-up")
        chosen = [pool[i] for i in rng.choice(len(pool), PER_LANGUAGE, replace=False)]
        bounds = np.cumsum([0] + list(SPLIT.values()))
        for p, (a, b) in enumerate(zip(bounds[:-1], bounds[1:])):
            words += chosen[a:b]
            labels += [label] * (b - a)
            split += [p] * (b - a)
        print(f"  {name:8s} {len(pool):7d} candidates, e.g. {', '.join(chosen[:6])}")
    order = rng.permutation(len(words))          # mix the languages within each part
    words_arr = np.array(words)[order]
    return {
        "words": words_arr.astype(f"<U{MAX_LEN}"),
        "labels": np.array(labels, dtype=np.uint8)[order],
        "split": np.array(split, dtype=np.uint8)[order],
        "languages": np.array([name for name, *_ in LANGUAGES]),
        "alphabet": np.array(ALPHABET),
        "split_names": np.array(parts),
        "packages": np.array([package_version(pkg) for _, pkg, _, _ in LANGUAGES]),
    }


def main() -> None:
    print("words: reading /usr/share/dict")
    arrays = build()
    out = DATA / "words.npz"
    np.savez_compressed(out, **arrays)
    print(f"wrote {out} ({out.stat().st_size / 1e6:.2f} MB)")
    for key, value in arrays.items():
        if value.dtype.kind == "U":
            digest = hashlib.sha256("\n".join(map(str, value.ravel())).encode("utf-8")).hexdigest()
        else:
            digest = hashlib.sha256(value.tobytes()).hexdigest()
        print(f"  array {key:12s} {value.shape!s:9s} {value.dtype!s:6s} sha256 {digest}")
    print(f"  alphabet ({len(ALPHABET)} letters): {ALPHABET}")
    for p, part in enumerate(SPLIT):
        counts = np.bincount(arrays["labels"][arrays["split"] == p], minlength=len(LANGUAGES))
        print(f"  {part:5s} per language {counts.tolist()}")


if __name__ == "__main__":
    sys.exit(main())
