"""From a waveform to the pictures a CNN reads: frames, STFT, spectrograms, mel scale.

Chapter 15 builds the short-time Fourier transform step by step, and these
functions are those steps, written to be read:

1. :func:`frames`: cut the signal into overlapping frames of ``n_fft``
   samples, one every ``hop_length`` samples;
2. multiply each frame by a window (Hann by default, from
   :func:`scipy.signal.get_window`) so its ends fade to zero;
3. take the one-sided FFT of each windowed frame (:func:`numpy.fft.rfft`):
   ``n_fft // 2 + 1`` frequencies from 0 to the Nyquist frequency.

:func:`stft` does exactly that (PyTorch's ``torch.stft`` conventions: no
scaling, ``center=True`` pads ``n_fft // 2`` samples on both sides, the
output is ``(..., n_freqs, n_frames)``). :func:`spectrogram` takes its
magnitude or power, :func:`amplitude_to_db` puts it on a decibel scale,
:func:`mel_filterbank` builds HTK-formula triangular filters and
:func:`log_mel_spectrogram` chains them all. The tests check :func:`stft`
against :func:`scipy.signal.stft` and an explicit DFT, and the filterbank
against closed forms and a hand-worked example.

Every function accepts a batch: ``x`` of shape ``(..., T)`` is transformed
along its last axis.

Examples
--------
>>> import numpy as np
>>> from cnnlib import audio
>>> sr = 8000
>>> t = np.arange(sr) / sr
>>> x = np.sin(2 * np.pi * 1000 * t)                 # 1 s of a 1 kHz tone
>>> S = audio.spectrogram(x, n_fft=256, hop_length=128)
>>> S.shape                                          # (n_fft // 2 + 1, frames)
(129, 63)
>>> float(np.fft.rfftfreq(256, 1 / sr)[S[:, 30].argmax()])   # the loudest bin
1000.0
"""

from __future__ import annotations

from typing import Union

import numpy as np
from scipy.signal import get_window

from ._validate import float_array, nonneg_float, positive_float, positive_int

__all__ = [
    "frames",
    "stft",
    "spectrogram",
    "amplitude_to_db",
    "hz_to_mel",
    "mel_to_hz",
    "mel_filterbank",
    "log_mel_spectrogram",
]

Window = Union[str, tuple, np.ndarray]
_PAD_MODES = ("reflect", "constant")


def _signal(x, name: str = "x") -> np.ndarray:
    x = float_array(x, name)
    if x.ndim < 1:
        raise ValueError(f"{name} must have a time axis (shape (..., T)), got a 0-d array")
    return x


def frames(x: np.ndarray, frame_length: int, hop_length: int) -> np.ndarray:
    """Overlapping frames of a signal: frame ``t`` is ``x[..., t*hop : t*hop + frame_length]``.

    Parameters
    ----------
    x : ndarray, shape (..., T), float
    frame_length : int
        Samples per frame, at most ``T``.
    hop_length : int
        Samples between the starts of consecutive frames (>= 1).

    Returns
    -------
    ndarray, shape (..., n_frames, frame_length)
        ``n_frames = (T - frame_length) // hop_length + 1``: only whole frames,
        the last samples are dropped if they do not fill one. A read-only
        view of ``x`` (no copy).

    Examples
    --------
    >>> frames(np.arange(10.0), frame_length=4, hop_length=3)
    array([[0., 1., 2., 3.],
           [3., 4., 5., 6.],
           [6., 7., 8., 9.]])
    """
    x = _signal(x)
    frame_length = positive_int(frame_length, "frame_length")
    hop_length = positive_int(hop_length, "hop_length")
    if frame_length > x.shape[-1]:
        raise ValueError(
            f"frame_length={frame_length} is longer than the signal ({x.shape[-1]} samples, "
            f"x has shape {x.shape}); use a shorter frame or a longer signal"
        )
    # every window position, then keep every hop_length-th: a strided view
    windows = np.lib.stride_tricks.sliding_window_view(x, frame_length, axis=-1)
    return windows[..., ::hop_length, :]


def _window(window: Window, n_fft: int, dtype) -> np.ndarray:
    if isinstance(window, np.ndarray):
        w = float_array(window, "window")
        if w.shape != (n_fft,):
            raise ValueError(f"window must have shape ({n_fft},) (one value per sample of a "
                             f"frame of n_fft={n_fft}), got shape {w.shape}")
        return w.astype(dtype, copy=False)
    if not isinstance(window, (str, tuple)):
        raise TypeError(f"window must be a name such as 'hann', a (name, parameter) tuple or an "
                        f"array of length n_fft, got {window!r}")
    # periodic ("DFT-even") windows, as scipy.signal.get_window and torch.hann_window give
    return get_window(window, n_fft, fftbins=True).astype(dtype)


def stft(x: np.ndarray, n_fft: int, hop_length: int | None = None, window: Window = "hann",
         center: bool = True, pad_mode: str = "reflect") -> np.ndarray:
    """Short-time Fourier transform: the one-sided spectrum of each windowed frame.

    Parameters
    ----------
    x : ndarray, shape (..., T), float
    n_fft : int
        Frame length in samples, also the FFT size.
    hop_length : int, optional
        Samples between frames; default ``n_fft // 4`` (as PyTorch).
    window : str, tuple or ndarray of shape (n_fft,), default "hann"
        A name or ``(name, parameter)`` for :func:`scipy.signal.get_window`
        (periodic), or the window's values.
    center : bool, default True
        Pad ``n_fft // 2`` samples on both sides first, so frame ``t`` is
        centred on sample ``t * hop_length``.
    pad_mode : {"reflect", "constant"}, default "reflect"
        How ``center`` pads: mirror the signal (without repeating the edge
        sample, :func:`numpy.pad`'s ``"reflect"``) or with zeros.

    Returns
    -------
    ndarray, shape (..., n_fft // 2 + 1, n_frames), complex
        ``X[..., k, t] = sum_n window[n] * x_padded[..., t*hop + n] * exp(-2j pi k n / n_fft)``:
        no scaling, frequency bin ``k`` is ``k * sample_rate / n_fft`` Hz.
        ``n_frames = (T' - n_fft) // hop_length + 1`` with ``T'`` the padded
        length (``T + 2 * (n_fft // 2)`` when centred).

    Notes
    -----
    The same numbers as :func:`scipy.signal.stft` with ``nperseg=n_fft``,
    ``noverlap=n_fft - hop_length``, ``padded=False``, ``boundary="zeros"``
    (``pad_mode="constant"``) or ``"even"`` (``"reflect"``), times
    ``window.sum()`` (SciPy's default scaling divides by it).

    Examples
    --------
    >>> x = np.zeros(16); x[8] = 1.0                      # a click in the middle
    >>> X = stft(x, n_fft=8, hop_length=4, window="boxcar", center=False)
    >>> X.shape                                            # 5 bins, 3 frames
    (5, 3)
    >>> np.abs(X).round(3)                                 # flat spectrum where the click is
    array([[0., 1., 1.],
           [0., 1., 1.],
           [0., 1., 1.],
           [0., 1., 1.],
           [0., 1., 1.]])
    """
    x = _signal(x)
    n_fft = positive_int(n_fft, "n_fft")
    hop_length = max(n_fft // 4, 1) if hop_length is None else positive_int(hop_length, "hop_length")
    if not isinstance(center, (bool, np.bool_)):
        raise TypeError(f"center must be True or False, got {center!r}")
    if pad_mode not in _PAD_MODES:
        raise ValueError(f"pad_mode must be one of {_PAD_MODES}, got {pad_mode!r}")
    w = _window(window, n_fft, x.dtype)
    if center:
        pad = n_fft // 2
        if pad_mode == "reflect" and x.shape[-1] <= pad:
            raise ValueError(
                f"pad_mode='reflect' needs more than n_fft // 2 = {pad} samples to mirror, "
                f"x has {x.shape[-1]} (shape {x.shape}); use pad_mode='constant' or a smaller n_fft"
            )
        x = np.pad(x, [(0, 0)] * (x.ndim - 1) + [(pad, pad)], mode=pad_mode)
    if n_fft > x.shape[-1]:
        raise ValueError(
            f"n_fft={n_fft} is longer than the {'padded ' if center else ''}signal "
            f"({x.shape[-1]} samples); use a smaller n_fft or center=True"
        )
    # 1. frames (..., n_frames, n_fft)  2. window  3. one-sided FFT of each frame
    spectra = np.fft.rfft(frames(x, n_fft, hop_length) * w, axis=-1)
    # frequency before time, as torch.stft and scipy.signal.stft return it
    return np.swapaxes(spectra, -1, -2)


def spectrogram(x: np.ndarray, n_fft: int, hop_length: int | None = None,
                window: Window = "hann", center: bool = True, pad_mode: str = "reflect",
                power: float = 2.0) -> np.ndarray:
    """``|stft(x)| ** power``: power (2, the default) or magnitude (1) per bin and frame.

    Parameters
    ----------
    x, n_fft, hop_length, window, center, pad_mode
        As for :func:`stft`.
    power : float, default 2.0
        Exponent of the magnitude, > 0.

    Returns
    -------
    ndarray, shape (..., n_fft // 2 + 1, n_frames), real, the dtype of ``x``

    Examples
    --------
    >>> x = np.ones(32)
    >>> S = spectrogram(x, n_fft=8, hop_length=8, window="boxcar", center=False)
    >>> S[:, 0]                                  # a constant is all in bin 0: 8 ** 2
    array([64.,  0.,  0.,  0.,  0.])
    """
    power = positive_float(power, "power")
    X = stft(x, n_fft, hop_length, window, center, pad_mode)
    magnitude = np.abs(X)
    return (magnitude if power == 1.0 else magnitude ** power).astype(np.asarray(x).dtype,
                                                                       copy=False)


def amplitude_to_db(S: np.ndarray, stype: str = "power", ref: float = 1.0, amin: float = 1e-10,
                    top_db: float | None = None) -> np.ndarray:
    """Decibels: ``10 log10(S / ref)`` for power, ``20 log10(S / ref)`` for magnitude.

    Parameters
    ----------
    S : ndarray, float, >= 0
        A spectrogram (any shape).
    stype : {"power", "magnitude"}, default "power"
    ref : float, default 1.0
        The value that maps to 0 dB (> 0).
    amin : float, default 1e-10
        Values below are raised to it first, so silence gives a finite floor
        (-100 dB for power) instead of ``-inf``.
    top_db : float, optional
        If given, clip everything more than ``top_db`` below the maximum (of
        the whole array), as torchaudio does.

    Returns
    -------
    ndarray, same shape and dtype as ``S``

    Examples
    --------
    >>> amplitude_to_db(np.array([1.0, 10.0, 100.0, 0.0]))
    array([   0.,   10.,   20., -100.])
    >>> amplitude_to_db(np.array([1.0, 10.0]), stype="magnitude")
    array([ 0., 20.])
    """
    S = float_array(S, "S")
    if stype not in ("power", "magnitude"):
        raise ValueError(f"stype must be 'power' or 'magnitude', got {stype!r}")
    ref = positive_float(ref, "ref")
    amin = positive_float(amin, "amin")
    if np.any(S < 0):
        raise ValueError(f"S must be a magnitude or power (>= 0), got a minimum of {S.min()}")
    factor = 10.0 if stype == "power" else 20.0
    db = factor * (np.log10(np.maximum(S, amin)) - np.log10(max(ref, amin)))
    if top_db is not None:
        top_db = nonneg_float(top_db, "top_db")
        db = np.maximum(db, db.max() - top_db)
    return db.astype(S.dtype, copy=False)


def hz_to_mel(f: float | np.ndarray) -> float | np.ndarray:
    """The HTK mel scale: ``mel = 2595 log10(1 + f / 700)``.

    Nearly linear below about 700 Hz and logarithmic above, like the pitch a
    listener perceives (O'Shaughnessy's formula, the one HTK and torchaudio's
    default use). 1000 Hz is about 1000 mel.

    Examples
    --------
    >>> round(float(hz_to_mel(1000.0)), 1)
    1000.0
    """
    return 2595.0 * np.log10(1.0 + np.asarray(f, dtype=np.float64) / 700.0)


def mel_to_hz(m: float | np.ndarray) -> float | np.ndarray:
    """Inverse of :func:`hz_to_mel`: ``f = 700 (10 ** (mel / 2595) - 1)``.

    Examples
    --------
    >>> round(float(mel_to_hz(hz_to_mel(440.0))), 6)
    440.0
    """
    return 700.0 * (10.0 ** (np.asarray(m, dtype=np.float64) / 2595.0) - 1.0)


def mel_filterbank(sample_rate: float, n_fft: int, n_mels: int = 40, f_min: float = 0.0,
                   f_max: float | None = None) -> np.ndarray:
    """Triangular filters on the mel scale: a (n_mels, n_fft // 2 + 1) matrix.

    ``n_mels + 2`` edge frequencies are spaced evenly in mel between
    ``f_min`` and ``f_max`` (HTK formula, :func:`hz_to_mel`). Filter ``m``
    rises linearly in Hz from edge ``m`` to 1 at edge ``m + 1`` (its centre)
    and falls back to 0 at edge ``m + 2``. Filters are not area-normalised
    (torchaudio's ``norm=None``): each peaks at 1, and between the first and
    last centres neighbouring filters add up to exactly 1.

    Parameters
    ----------
    sample_rate : float
        Samples per second of the signal (> 0).
    n_fft : int
        The STFT size: the filters act on its ``n_fft // 2 + 1`` bins at
        ``k * sample_rate / n_fft`` Hz.
    n_mels : int, default 40
    f_min : float, default 0.0
    f_max : float, optional
        Default ``sample_rate / 2`` (the Nyquist frequency); at most that.

    Returns
    -------
    ndarray, shape (n_mels, n_fft // 2 + 1), float64
        ``fb @ S`` turns a spectrogram ``S`` of shape (..., n_fft // 2 + 1,
        n_frames) into a mel spectrogram (..., n_mels, n_frames).

    Examples
    --------
    >>> fb = mel_filterbank(sample_rate=8000, n_fft=8, n_mels=1)
    >>> fb.round(3)                  # bins at 0, 1000, ..., 4000 Hz; centre 1113.8 Hz
    array([[0.   , 0.898, 0.693, 0.346, 0.   ]])
    """
    sample_rate = positive_float(sample_rate, "sample_rate")
    n_fft = positive_int(n_fft, "n_fft")
    n_mels = positive_int(n_mels, "n_mels")
    f_min = nonneg_float(f_min, "f_min")
    nyquist = sample_rate / 2
    f_max = nyquist if f_max is None else positive_float(f_max, "f_max")
    if f_max > nyquist:
        raise ValueError(f"f_max must be at most the Nyquist frequency sample_rate / 2 = "
                         f"{nyquist:g} Hz, got {f_max:g}")
    if f_min >= f_max:
        raise ValueError(f"f_min must be below f_max, got f_min={f_min:g} Hz, f_max={f_max:g} Hz")
    edges = mel_to_hz(np.linspace(hz_to_mel(f_min), hz_to_mel(f_max), n_mels + 2))
    # the round trip through mel moves the ends by ~1e-13 Hz: pin them, so a bin
    # at exactly f_min or f_max gets weight 0, not 1e-16
    edges[0], edges[-1] = f_min, f_max
    lower, centre, upper = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    bins = np.fft.rfftfreq(n_fft, d=1.0 / sample_rate)[None, :]
    rising = (bins - lower) / (centre - lower)
    falling = (upper - bins) / (upper - centre)
    return np.maximum(0.0, np.minimum(rising, falling))


def log_mel_spectrogram(x: np.ndarray, sample_rate: float, n_fft: int = 256,
                        hop_length: int | None = None, n_mels: int = 40, f_min: float = 0.0,
                        f_max: float | None = None, window: Window = "hann",
                        center: bool = True, pad_mode: str = "reflect", amin: float = 1e-10,
                        top_db: float | None = None) -> np.ndarray:
    """Power spectrogram, mel filterbank, decibels: the usual input of a speech CNN.

    ``amplitude_to_db(mel_filterbank(...) @ spectrogram(x, ...), top_db=top_db)``.

    Parameters
    ----------
    x : ndarray, shape (..., T), float
    sample_rate : float
    n_fft, hop_length, window, center, pad_mode
        As for :func:`stft` (``n_fft`` default 256: 32 ms at 8 kHz).
    n_mels, f_min, f_max
        As for :func:`mel_filterbank`.
    amin, top_db
        As for :func:`amplitude_to_db` (``top_db`` applies per call, over
        the whole batch).

    Returns
    -------
    ndarray, shape (..., n_mels, n_frames), the dtype of ``x``
        Decibels relative to a power of 1.

    Examples
    --------
    >>> sr = 8000
    >>> x = np.sin(2 * np.pi * 500 * np.arange(sr) / sr)     # a 500 Hz tone
    >>> M = log_mel_spectrogram(x, sr, n_fft=256, hop_length=80, n_mels=32)
    >>> M.shape
    (32, 101)
    >>> k = int(M[:, 50].argmax())                           # the loudest filter
    >>> centres = mel_to_hz(np.linspace(hz_to_mel(0), hz_to_mel(sr / 2), 34))[1:-1]
    >>> k, centres[k - 1:k + 2].round()                      # 500 Hz lies between 477 and 547
    (8, array([411., 477., 547.]))
    """
    S = spectrogram(x, n_fft, hop_length, window, center, pad_mode, power=2.0)
    fb = mel_filterbank(sample_rate, n_fft, n_mels, f_min, f_max).astype(S.dtype)
    # (n_mels, F) @ (..., F, frames) broadcasts over the batch axes
    return amplitude_to_db(fb @ S, stype="power", amin=amin, top_db=top_db)
