"""cnnlib.audio: STFT against SciPy and an explicit DFT, mel filters against closed forms."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal as ss
from hypothesis import given
from hypothesis import strategies as st

from cnnlib import audio

# -- frames -------------------------------------------------------------------

@given(T=st.integers(1, 60), frame_length=st.integers(1, 20), hop=st.integers(1, 9))
def test_frames_match_slicing_by_hand(T, frame_length, hop):
    x = np.arange(T, dtype=np.float64)
    if frame_length > T:
        with pytest.raises(ValueError, match="frame_length"):
            audio.frames(x, frame_length, hop)
        return
    expected = []
    start = 0
    while start + frame_length <= T:          # whole frames only
        expected.append(x[start:start + frame_length])
        start += hop
    np.testing.assert_array_equal(audio.frames(x, frame_length, hop), np.array(expected))


def test_frames_work_on_batches():
    x = np.random.default_rng(0).normal(size=(2, 3, 20))
    f = audio.frames(x, 6, 4)
    assert f.shape == (2, 3, 4, 6)
    np.testing.assert_array_equal(f[1, 2, 3], x[1, 2, 12:18])


# -- stft -----------------------------------------------------------------------

def dft_stft(x, n_fft, hop, window):
    """The definition, one sum per (bin, frame), on an already padded signal."""
    n_frames = (len(x) - n_fft) // hop + 1
    X = np.zeros((n_fft // 2 + 1, n_frames), dtype=complex)
    for t in range(n_frames):
        for k in range(n_fft // 2 + 1):
            for n in range(n_fft):
                X[k, t] += window[n] * x[t * hop + n] * np.exp(-2j * np.pi * k * n / n_fft)
    return X


@pytest.mark.parametrize("n_fft, hop", [(8, 2), (7, 3), (16, 16)])
def test_stft_is_the_windowed_dft_of_each_frame(n_fft, hop):
    x = np.random.default_rng(1).normal(size=40)
    w = ss.get_window("hann", n_fft)
    np.testing.assert_allclose(audio.stft(x, n_fft, hop, center=False),
                               dft_stft(x, n_fft, hop, w), atol=1e-12)
    padded = np.pad(x, n_fft // 2, mode="reflect")
    np.testing.assert_allclose(audio.stft(x, n_fft, hop), dft_stft(padded, n_fft, hop, w), atol=1e-12)


@given(T=st.integers(20, 300), n_fft=st.integers(2, 64), hop_frac=st.floats(0.05, 1.0),
       window=st.sampled_from(["hann", "hamming", "boxcar", "blackman", ("kaiser", 8.0)]),
       pad_mode=st.sampled_from(["constant", "reflect"]))
def test_stft_matches_scipy_stft(T, n_fft, hop_frac, window, pad_mode):
    # scipy.signal.stft with padded=False and boundary 'zeros' (our 'constant')
    # or 'even' (our 'reflect') frames the same samples; its default scaling
    # divides by the window's sum, which we do not. (SciPy shortens a segment
    # longer than the signal instead of raising, so keep n_fft <= T.)
    n_fft = min(n_fft, T)
    hop = max(1, int(hop_frac * n_fft))
    x = np.random.default_rng(T * 1000 + n_fft).normal(size=T)
    w = ss.get_window(window, n_fft)
    _, _, Z = ss.stft(x, window=window, nperseg=n_fft, noverlap=n_fft - hop, padded=False,
                      boundary={"constant": "zeros", "reflect": "even"}[pad_mode])
    ours = audio.stft(x, n_fft, hop, window=window, pad_mode=pad_mode)
    assert ours.shape == Z.shape
    np.testing.assert_allclose(ours, Z * w.sum(), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("n_fft, hop", [(16, 4), (15, 5), (32, 7)])
def test_stft_matches_scipy_short_time_fft(n_fft, hop):
    # ShortTimeFFT centres slice p on sample p * hop and pads with zeros, as
    # center=True, pad_mode="constant" does; phase_shift=None puts the DFT's
    # origin at the start of each slice, as ours.
    x = np.random.default_rng(2).normal(size=101)
    ours = audio.stft(x, n_fft, hop, pad_mode="constant")
    sft = ss.ShortTimeFFT(ss.get_window("hann", n_fft), hop, fs=1.0, mfft=n_fft,
                          fft_mode="onesided", phase_shift=None)
    np.testing.assert_allclose(ours, sft.stft(x, p0=0, p1=ours.shape[-1]), atol=1e-12)


def test_stft_of_a_bin_centred_tone():
    # cos(2 pi k0 n / N) with a boxcar window: X[k0] = N / 2 in every frame, other bins 0
    n_fft, k0 = 32, 5
    x = np.cos(2 * np.pi * k0 * np.arange(256) / n_fft)
    X = audio.stft(x, n_fft, hop_length=n_fft, window="boxcar", center=False)
    np.testing.assert_allclose(np.abs(X[k0]), n_fft / 2, atol=1e-9)
    np.testing.assert_allclose(np.delete(np.abs(X), k0, axis=0), 0, atol=1e-9)


def test_stft_defaults_hop_to_a_quarter_and_keeps_batches():
    x = np.random.default_rng(3).normal(size=(2, 3, 64))
    X = audio.stft(x, 16)
    assert X.shape == (2, 3, 9, (64 + 16 - 16) // 4 + 1)
    np.testing.assert_allclose(X[1, 2], audio.stft(x[1, 2], 16, 4))


def test_stft_window_array_equals_window_name():
    x = np.random.default_rng(4).normal(size=50)
    np.testing.assert_allclose(audio.stft(x, 10, 3, window=ss.get_window("hamming", 10)),
                               audio.stft(x, 10, 3, window="hamming"))


def test_stft_keeps_float32():
    x = np.random.default_rng(5).normal(size=100).astype(np.float32)
    assert audio.stft(x, 16).dtype == np.complex64
    assert audio.spectrogram(x, 16).dtype == np.float32
    assert audio.log_mel_spectrogram(x, 8000, n_fft=16, n_mels=4).dtype == np.float32


# -- spectrogram and decibels ------------------------------------------------------

def test_spectrogram_is_power_or_magnitude_of_stft():
    x = np.random.default_rng(6).normal(size=200)
    X = audio.stft(x, 32, 8)
    np.testing.assert_allclose(audio.spectrogram(x, 32, 8), np.abs(X) ** 2)
    np.testing.assert_allclose(audio.spectrogram(x, 32, 8, power=1.0), np.abs(X))


def test_parseval_for_one_boxcar_frame():
    # sum |x|^2 = (|X_0|^2 + 2 sum_{0<k<N/2} |X_k|^2 + |X_{N/2}|^2) / N for even N
    x = np.random.default_rng(7).normal(size=64)
    S = audio.spectrogram(x, 64, 64, window="boxcar", center=False)[:, 0]
    assert np.isclose((S[0] + 2 * S[1:-1].sum() + S[-1]) / 64, np.sum(x ** 2))


def test_amplitude_to_db_values():
    S = np.array([1e-12, 1e-3, 1.0, 1e4])
    # power: 10 log10, floored at amin = 1e-10 -> -100 dB
    np.testing.assert_allclose(audio.amplitude_to_db(S), [-100, -30, 0, 40])
    # magnitude: 20 log10
    np.testing.assert_allclose(audio.amplitude_to_db(S, stype="magnitude"), [-200, -60, 0, 80])
    np.testing.assert_allclose(audio.amplitude_to_db(S, ref=1e4), [-140, -70, -40, 0])
    np.testing.assert_allclose(audio.amplitude_to_db(S, top_db=50), [-10, -10, 0, 40])


def test_power_and_magnitude_decibels_agree():
    x = np.random.default_rng(8).normal(size=300)
    np.testing.assert_allclose(
        audio.amplitude_to_db(audio.spectrogram(x, 32, power=2.0)),
        audio.amplitude_to_db(audio.spectrogram(x, 32, power=1.0), stype="magnitude"), atol=1e-9)


# -- the mel scale ---------------------------------------------------------------

def test_htk_mel_formula_values():
    # 2595 log10(1 + f / 700): 700 Hz -> 2595 log10 2
    assert audio.hz_to_mel(0.0) == 0.0
    assert np.isclose(audio.hz_to_mel(700.0), 2595 * np.log10(2))
    assert np.isclose(audio.hz_to_mel(1000.0), 999.985, atol=1e-3)


@given(st.floats(0, 48000))
def test_mel_to_hz_inverts_hz_to_mel(f):
    assert np.isclose(audio.mel_to_hz(audio.hz_to_mel(f)), f, rtol=1e-12, atol=1e-9)


def test_mel_filterbank_by_hand():
    # sample_rate 8000, n_fft 8: bins at 0, 1000, 2000, 3000, 4000 Hz. One filter
    # from 0 to 4000 Hz: mel(4000) = 2595 log10(1 + 4000/700) = 2146.06; the centre
    # is at mel 1073.03, i.e. 700 (10^(1073.03/2595) - 1) = 1113.80 Hz.
    # Weights: 1000/1113.80 = 0.8978; (4000-2000)/(4000-1113.80) = 0.6930;
    # (4000-3000)/2886.20 = 0.3465; 0 at 0 and 4000 Hz.
    fb = audio.mel_filterbank(8000, 8, n_mels=1)
    np.testing.assert_allclose(fb, [[0, 0.8978, 0.6930, 0.3465, 0]], atol=1e-4)


def test_mel_filterbank_closed_forms():
    sr, n_fft, n_mels, f_min, f_max = 16000, 1024, 26, 100.0, 7000.0
    fb = audio.mel_filterbank(sr, n_fft, n_mels, f_min, f_max)
    freqs = np.fft.rfftfreq(n_fft, 1 / sr)
    edges = audio.mel_to_hz(np.linspace(audio.hz_to_mel(f_min), audio.hz_to_mel(f_max), n_mels + 2))
    assert fb.shape == (n_mels, n_fft // 2 + 1)
    assert fb.min() >= 0 and fb.max() <= 1
    for m in range(n_mels):
        lower, centre, upper = edges[m], edges[m + 1], edges[m + 2]
        support = freqs[fb[m] > 0]
        assert support.min() > lower and support.max() < upper
        # the peak: the largest weight is at the bin nearest the mel-spaced centre
        assert abs(freqs[fb[m].argmax()] - centre) <= sr / n_fft
        # and the rising edge, extended as a line in Hz, reaches 1 exactly at the centre
        k = np.flatnonzero((freqs > lower) & (freqs < centre) & (fb[m] > 0))[-1]
        reaches_one = lower + (freqs[k] - lower) / fb[m, k]
        assert np.isclose(reaches_one, centre, rtol=1e-9)
    # between the first and the last centre the filters add up to exactly 1
    inside = (freqs >= edges[1]) & (freqs <= edges[-2])
    np.testing.assert_allclose(fb[:, inside].sum(axis=0), 1.0, atol=1e-12)
    outside = (freqs <= f_min) | (freqs >= f_max)
    assert np.all(fb[:, outside] == 0)


def test_mel_filterbank_matches_torchaudio_when_installed():
    torchaudio = pytest.importorskip("torchaudio")
    ours = audio.mel_filterbank(8000, 256, n_mels=20, f_min=20.0, f_max=3800.0)
    theirs = torchaudio.functional.melscale_fbanks(129, 20.0, 3800.0, 20, 8000, norm=None,
                                                   mel_scale="htk").numpy().T
    np.testing.assert_allclose(ours, theirs, atol=1e-6)


def test_log_mel_is_decibels_of_filtered_power():
    x = np.random.default_rng(9).normal(size=(2, 4000))
    M = audio.log_mel_spectrogram(x, 8000, n_fft=200, hop_length=80, n_mels=16, top_db=60.0)
    S = audio.spectrogram(x, 200, 80)
    fb = audio.mel_filterbank(8000, 200, 16)
    expected = 10 * np.log10(np.maximum(np.einsum("mf,bft->bmt", fb, S), 1e-10))
    expected = np.maximum(expected, expected.max() - 60)
    assert M.shape == (2, 16, 4000 // 80 + 1)
    np.testing.assert_allclose(M, expected, atol=1e-9)


def test_a_tone_lights_the_filter_around_its_frequency():
    sr, f0 = 8000, 1500.0
    x = np.sin(2 * np.pi * f0 * np.arange(sr) / sr)
    M = audio.log_mel_spectrogram(x, sr, n_fft=512, hop_length=128, n_mels=40)
    edges = audio.mel_to_hz(np.linspace(0, audio.hz_to_mel(sr / 2), 42))
    m = int(M[:, 30].argmax())
    assert edges[m] < f0 < edges[m + 2]          # the tone is inside the loudest filter's triangle


# -- bad inputs ------------------------------------------------------------------

@pytest.mark.parametrize("call, error, match", [
    (lambda: audio.stft(np.arange(100), 16), TypeError, "x must be a floating-point array.*astype"),
    (lambda: audio.stft(np.zeros(100), 0), ValueError, "n_fft must be >= 1"),
    (lambda: audio.stft(np.zeros(100), 16, hop_length=0), ValueError, "hop_length must be >= 1"),
    (lambda: audio.stft(np.zeros(10), 32, center=False), ValueError, "n_fft=32 is longer"),
    (lambda: audio.stft(np.zeros(10), 32), ValueError, "pad_mode='reflect' needs more than"),
    (lambda: audio.stft(np.zeros(100), 16, pad_mode="wrap"), ValueError, "pad_mode must be one of"),
    (lambda: audio.stft(np.zeros(100), 16, window=np.ones(8)), ValueError, r"window must have shape \(16,\)"),
    (lambda: audio.stft(np.zeros(100), 16, window=3), TypeError, "window must be a name"),
    (lambda: audio.stft(np.zeros(100), 16, center=1), TypeError, "center must be True or False"),
    (lambda: audio.stft(np.float64(1.0), 16), ValueError, "x must have a time axis"),
    (lambda: audio.spectrogram(np.zeros(100), 16, power=0), ValueError, "power must be > 0"),
    (lambda: audio.amplitude_to_db(np.array([-1.0])), ValueError, "S must be a magnitude or power"),
    (lambda: audio.amplitude_to_db(np.ones(3), stype="energy"), ValueError, "stype must be"),
    (lambda: audio.mel_filterbank(8000, 256, f_max=5000), ValueError, "Nyquist.*4000"),
    (lambda: audio.mel_filterbank(8000, 256, f_min=3000, f_max=2000), ValueError, "f_min must be below f_max"),
    (lambda: audio.mel_filterbank(8000, 256, n_mels=0), ValueError, "n_mels must be >= 1"),
    (lambda: audio.mel_filterbank(-8000, 256), ValueError, "sample_rate must be > 0"),
])
def test_bad_inputs_raise_clear_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_silence_gives_the_floor_without_warnings():
    M = audio.log_mel_spectrogram(np.zeros(1000), 8000, n_fft=64, n_mels=8)
    assert np.all(M == -100.0)
