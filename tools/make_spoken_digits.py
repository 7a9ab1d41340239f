"""Regenerate data/spoken_digits.npz and data/alsa_voice.npz: speech for chapter 15.

Usage (Debian packages, as root)::

    apt-get install espeak-ng flite alsa-utils
    .venv/bin/python tools/make_spoken_digits.py

**Spoken digits.** The words "zero" .. "nine" synthesised offline by two
programs: espeak-ng (formant synthesis; a *voice* is one English accent with
one of its voice variants, e.g. ``en-gb-scotland+m3``) and flite (CMU's
diphone and statistical-parametric voices ``kal``, ``kal16``, ``awb``,
``rms``, ``slt``). Each voice says each digit several times, every rendition
at a speed (and, for espeak-ng, a pitch) drawn from a seeded generator. Every
clip is resampled to 8 kHz mono, trimmed to the speech (frames within 40 dB
of the loudest), peak-normalised to 0.9 of full scale, centred in a 1 s window
of silence and stored as int16.

The split is by voice and fixed here: a test set of espeak-ng variants (their
timbre appears in no other split) plus the flite voice ``slt``, a validation
set of other variants plus ``awb``, and the rest for training. A chapter can
therefore report accuracy on voices never heard in training.

**ALSA voice.** The nine sample sounds of alsa-utils
(``/usr/share/sounds/alsa/*.wav``: one recorded speaker saying "Front
center", "Front left", ... and a noise burst), resampled from 48 kHz to
16 kHz int16 and stored end to end with their offsets.

The script prints the SHA-256 of each stored array (what data/README.md
documents and tests/test_datasets_beyond_images.py checks) and the counts per split.
Everything is deterministic given the same espeak-ng and flite versions
(recorded in the file); other versions synthesise slightly different audio.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tempfile
from math import gcd
from pathlib import Path

import numpy as np
from scipy.io import wavfile
from scipy.signal import resample_poly

DATA = Path(__file__).resolve().parent.parent / "data"
SEED = 15                       # chapter 15
SAMPLE_RATE = 8000              # enough for speech intelligibility (up to 4 kHz)
CLIP_SAMPLES = SAMPLE_RATE      # 1 s
ALSA_RATE = 16000

DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")

# espeak-ng's English accents (``espeak-ng --voices=en``, leaving out the
# mbrola voices, which need the separate mbrola program)
ESPEAK_ACCENTS = ("en-us", "en-gb", "en-gb-scotland", "en-gb-x-gbclan", "en-gb-x-rp",
                  "en-gb-x-gbcwmd", "en-029", "en-us-nyc")
ESPEAK_VARIANTS_DIR = Path("/usr/lib/x86_64-linux-gnu/espeak-ng-data/voices/!v")
N_TEST_VARIANTS = 15
N_VAL_VARIANTS = 15
ESPEAK_RENDITIONS = 2           # per voice and digit
ESPEAK_SPEED = (140, 210)       # words per minute (espeak-ng's default is 175)
ESPEAK_PITCH = (25, 75)         # 0..99 (default 50)

# awb_time is a limited-domain voice (it only says times of day): left out
FLITE_VOICES = {"kal": "train", "kal16": "train", "rms": "train", "awb": "val", "slt": "test"}
FLITE_RENDITIONS = 8            # more per voice: flite has only five voices
FLITE_STRETCH = (0.8, 1.25)     # duration_stretch (1 = the voice's own speed)

SPLITS = ("train", "val", "test")


def sha256(a: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()


def sha256_strings(strings) -> str:
    """Checksum of a string array that does not depend on the machine's byte order."""
    return hashlib.sha256("\n".join(map(str, strings)).encode("utf-8")).hexdigest()


def package_version(package: str) -> str:
    """``"espeak-ng 1.51+dfsg-10+deb12u2"``: the Debian package that made the audio."""
    out = subprocess.run(["dpkg-query", "-W", "-f=${Version}", package],
                         capture_output=True, text=True, check=True)
    return f"{package} {out.stdout.strip()}"


def read_wav(path: Path) -> tuple[int, np.ndarray]:
    rate, x = wavfile.read(path)
    if x.dtype != np.int16 or x.ndim != 1:
        raise SystemExit(f"{path}: expected mono int16, got {x.dtype} {x.shape}")
    return rate, x.astype(np.float64) / 32768.0


def resample(x: np.ndarray, rate: int, target: int) -> np.ndarray:
    # polyphase resampling with scipy's default Kaiser-windowed anti-alias filter
    g = gcd(rate, target)
    return resample_poly(x, target // g, rate // g)


def speech_span(x: np.ndarray, rate: int, floor_db: float = 40.0) -> tuple[int, int]:
    """First and last sample of the 10 ms frames within ``floor_db`` of the loudest."""
    hop = rate // 100
    n = len(x) // hop
    rms = np.sqrt(np.mean(x[: n * hop].reshape(n, hop) ** 2, axis=1))
    loud = np.flatnonzero(rms > rms.max() * 10 ** (-floor_db / 20))
    return loud[0] * hop, (loud[-1] + 1) * hop


def to_clip(x: np.ndarray, rate: int) -> np.ndarray | None:
    """Resample, trim, normalise and centre; None when the speech is longer than a clip."""
    x = resample(x, rate, SAMPLE_RATE)
    start, stop = speech_span(x, SAMPLE_RATE)
    speech = x[start:stop]
    if len(speech) > CLIP_SAMPLES - SAMPLE_RATE // 20:      # keep 25 ms of silence each side
        return None
    speech = speech * (0.9 / np.abs(speech).max())
    clip = np.zeros(CLIP_SAMPLES)
    offset = (CLIP_SAMPLES - len(speech)) // 2
    clip[offset: offset + len(speech)] = speech
    return np.round(clip * 32767).astype(np.int16)


def synth_espeak(word: str, accent: str, variant: str, speed: int, pitch: int, tmp: Path):
    out = tmp / "espeak.wav"
    subprocess.run(["espeak-ng", "-v", f"{accent}+{variant}", "-s", str(speed), "-p", str(pitch),
                    "-w", str(out), word], check=True, capture_output=True)
    return read_wav(out)


def synth_flite(word: str, voice: str, stretch: float, tmp: Path):
    out = tmp / "flite.wav"
    subprocess.run(["flite", "-voice", voice, "--setf", f"duration_stretch={stretch:.3f}",
                    "-t", word, "-o", str(out)], check=True, capture_output=True)
    return read_wav(out)


def plan_voices(rng: np.random.Generator) -> list[tuple[str, str, str, str]]:
    """(name, program, settings, split) for every voice; the split is fixed here."""
    variants = sorted(p.name for p in ESPEAK_VARIANTS_DIR.iterdir())
    if len(variants) < N_TEST_VARIANTS + N_VAL_VARIANTS + 10:
        raise SystemExit(f"only {len(variants)} espeak-ng variants in {ESPEAK_VARIANTS_DIR}")
    order = rng.permutation(len(variants))
    split_of = {}
    for rank, i in enumerate(order):
        split_of[variants[i]] = ("test" if rank < N_TEST_VARIANTS else
                                 "val" if rank < N_TEST_VARIANTS + N_VAL_VARIANTS else "train")
    voices = []
    for variant in variants:
        # one accent per variant, so each variant (a timbre) is one voice
        accent = ESPEAK_ACCENTS[rng.integers(len(ESPEAK_ACCENTS))]
        voices.append((f"espeak-ng:{accent}+{variant}", "espeak-ng", f"{accent}+{variant}",
                       split_of[variant]))
    for voice, split in FLITE_VOICES.items():
        voices.append((f"flite:{voice}", "flite", voice, split))
    return voices


def make_digits() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(SEED)
    voices = plan_voices(rng)
    clips, labels, voice_ids, speeds, pitches = [], [], [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for vid, (name, program, setting, _) in enumerate(voices):
            renditions = ESPEAK_RENDITIONS if program == "espeak-ng" else FLITE_RENDITIONS
            for digit, word in enumerate(DIGITS):
                for _ in range(renditions):
                    if program == "espeak-ng":
                        speed = int(rng.integers(ESPEAK_SPEED[0], ESPEAK_SPEED[1] + 1))
                        pitch = int(rng.integers(ESPEAK_PITCH[0], ESPEAK_PITCH[1] + 1))
                        accent, variant = setting.split("+")
                        # a slow, long-winded variant may not fit in 1 s: speak faster
                        for _attempt in range(4):
                            rate, x = synth_espeak(word, accent, variant, speed, pitch, tmp)
                            clip = to_clip(x, rate)
                            if clip is not None:
                                break
                            speed += 40
                    else:
                        stretch = float(rng.uniform(*FLITE_STRETCH))
                        clip = None
                        for _attempt in range(4):
                            rate, x = synth_flite(word, setting, stretch, tmp)
                            clip = to_clip(x, rate)
                            if clip is not None:
                                break
                            stretch *= 0.85
                        speed, pitch = round(100 / stretch), -1
                    if clip is None:
                        raise SystemExit(f"{name} saying {word!r} does not fit in 1 s")
                    clips.append(clip)
                    labels.append(digit)
                    voice_ids.append(vid)
                    speeds.append(speed)
                    pitches.append(pitch)
    voice_names = np.array([v[0] for v in voices])
    voice_split = np.array([SPLITS.index(v[3]) for v in voices], dtype=np.uint8)
    voice_ids = np.array(voice_ids, dtype=np.int16)
    return {
        "audio": np.stack(clips),
        "labels": np.array(labels, dtype=np.uint8),
        "voice": voice_ids,
        "split": voice_split[voice_ids],
        "voice_names": voice_names,
        "voice_split": voice_split,
        # espeak-ng: words per minute; flite: 100 / duration_stretch (percent of normal speed)
        "speed": np.array(speeds, dtype=np.int16),
        # espeak-ng's pitch 0..99; -1 for flite (its voice's own pitch)
        "pitch": np.array(pitches, dtype=np.int16),
        "sample_rate": np.array(SAMPLE_RATE),
        "words": np.array(DIGITS),
        "programs": np.array([package_version("espeak-ng"), package_version("flite")]),
    }


def make_alsa() -> dict[str, np.ndarray]:
    paths = sorted(Path("/usr/share/sounds/alsa").glob("*.wav"))
    if not paths:
        raise SystemExit("no /usr/share/sounds/alsa/*.wav: apt-get install alsa-utils")
    names, parts, sources = [], [], []
    for path in paths:
        rate, x = read_wav(path)
        y = resample(x, rate, ALSA_RATE)
        parts.append(np.round(np.clip(y, -1, 32767 / 32768) * 32768).astype(np.int16))
        names.append(path.stem)
        sources.append(hashlib.sha256(path.read_bytes()).hexdigest())
    offsets = np.cumsum([0] + [len(p) for p in parts]).astype(np.int64)
    return {"audio": np.concatenate(parts), "offsets": offsets, "names": np.array(names),
            "sample_rate": np.array(ALSA_RATE), "source_sha256": np.array(sources),
            "package": np.array(package_version("alsa-utils"))}


def report(path: Path, arrays: dict[str, np.ndarray]) -> None:
    print(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB)")
    for key, value in arrays.items():
        digest = sha256_strings(value.ravel()) if value.dtype.kind == "U" else sha256(value)
        print(f"  array {key:13s} {value.shape!s:12s} {value.dtype!s:6s} sha256 {digest}")


def main() -> None:
    digits = make_digits()
    out = DATA / "spoken_digits.npz"
    np.savez_compressed(out, **digits)
    report(out, digits)
    for s, split in enumerate(SPLITS):
        mask = digits["split"] == s
        voices = np.flatnonzero(digits["voice_split"] == s)
        print(f"  {split:5s}: {mask.sum():5d} clips, {len(voices):3d} voices, per digit "
              f"{np.bincount(digits['labels'][mask], minlength=10).tolist()}")
        if split != "train":
            print("         " + ", ".join(digits["voice_names"][voices]))
    alsa = make_alsa()
    out = DATA / "alsa_voice.npz"
    np.savez_compressed(out, **alsa)
    report(out, alsa)
    for name, a, b, src in zip(alsa["names"], alsa["offsets"][:-1], alsa["offsets"][1:],
                               alsa["source_sha256"]):
        print(f"  {name:13s} {(b - a) / ALSA_RATE:.2f} s  source sha256 {src}")


if __name__ == "__main__":
    sys.exit(main())
