import numpy as np
import pytest
import soundfile as sf

from usvlib.audio import audio_info, iter_blocks, read_audio, write_wav
from usvlib.errors import AudioError

RATE = 300_000


@pytest.fixture
def tone_wav(tmp_path):
    t = np.arange(int(0.2 * RATE)) / RATE
    x = 0.5 * np.sin(2 * np.pi * 60_000 * t)
    return write_wav(tmp_path / "tone.wav", x, RATE), x


def test_round_trip_and_info(tone_wav):
    path, x = tone_wav
    info = audio_info(path)
    assert (info.rate_hz, info.n_channels, info.n_frames) == (RATE, 1, len(x))
    assert info.duration_s == pytest.approx(0.2)
    y, rate = read_audio(path)
    assert rate == RATE and y.dtype == np.float32
    np.testing.assert_allclose(y, x, atol=1 / 32768)


def test_partial_read(tone_wav):
    path, x = tone_wav
    y, _ = read_audio(path, start_s=0.05, stop_s=0.1)
    np.testing.assert_allclose(y, x[15_000:30_000], atol=1 / 32768)


def test_blocks_cover_the_file_with_overlap(tone_wav):
    path, x = tone_wav
    blocks = list(iter_blocks(path, block_s=0.03, overlap_s=0.01))
    starts = [s for s, _ in blocks]
    assert starts[0] == 0 and np.all(np.diff(starts) == 6_000)
    rebuilt = np.zeros(len(x), np.float32)
    for s, b in blocks:
        rebuilt[s : s + len(b)] = b
    np.testing.assert_allclose(rebuilt, x, atol=1 / 32768)
    assert blocks[-1][0] + len(blocks[-1][1]) == len(x)


def _one_line(exc) -> str:
    msg = str(exc.value)
    assert "\n" not in msg
    return msg


def test_low_rate_is_refused_with_the_fix(tmp_path):
    p = tmp_path / "cd.wav"
    sf.write(p, np.zeros(4410, np.int16), 44_100, subtype="PCM_16")
    with pytest.raises(AudioError) as exc:
        audio_info(p)
    msg = _one_line(exc)
    assert "cd.wav" in msg and "44100 Hz" in msg and "ultrasonic" in msg


def test_stereo_needs_a_channel(tmp_path):
    p = tmp_path / "stereo.wav"
    data = np.stack([np.zeros(3000), 0.25 * np.ones(3000)], axis=1)
    sf.write(p, data, RATE, subtype="PCM_16")
    with pytest.raises(AudioError) as exc:
        read_audio(p)
    assert "2 channels" in _one_line(exc) and "--channel" in str(exc.value)
    y, _ = read_audio(p, channel=1)
    assert y.mean() == pytest.approx(0.25, abs=1e-3)
    with pytest.raises(AudioError, match="no channel 2"):
        read_audio(p, channel=2)


def test_empty_file(tmp_path):
    p = tmp_path / "empty.wav"
    p.write_bytes(b"")
    with pytest.raises(AudioError) as exc:
        audio_info(p)
    assert "empty" in _one_line(exc)


def test_truncated_file(tone_wav, tmp_path):
    path, _ = tone_wav
    cut = tmp_path / "cut.wav"
    cut.write_bytes(path.read_bytes()[:50_000])
    with pytest.raises(AudioError) as exc:
        read_audio(cut)
    msg = _one_line(exc)
    assert "truncated" in msg and "cut.wav" in msg and "re-copy" in msg


def test_header_only_has_no_samples(tone_wav, tmp_path):
    path, _ = tone_wav
    head = tmp_path / "head.wav"
    data = bytearray(path.read_bytes()[:44])
    data[40:44] = (0).to_bytes(4, "little")  # a data chunk that declares nothing
    head.write_bytes(bytes(data))
    with pytest.raises(AudioError, match="no audio samples"):
        audio_info(head)


def test_not_audio(tmp_path):
    p = tmp_path / "notes.wav"
    p.write_text("these are field notes, not a recording\n" * 20)
    with pytest.raises(AudioError) as exc:
        audio_info(p)
    assert "not a readable audio file (Format not recognised)" in _one_line(exc)
    assert "BufferedReader" not in str(exc.value)  # no Python repr in a user's message


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(AudioError, match="no such file"):
        audio_info(tmp_path / "nope.wav")
    with pytest.raises(AudioError, match="is a folder"):
        audio_info(tmp_path)


def test_zip_member(tone_wav, tmp_path):
    import zipfile

    path, x = tone_wav
    archive = tmp_path / "set.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(path, "Control/a.wav")
    y, _rate = read_audio(f"{archive}::Control/a.wav")
    np.testing.assert_allclose(y, x, atol=1 / 32768)
    with pytest.raises(AudioError, match="no member"):
        audio_info(f"{archive}::Control/b.wav")


def test_write_is_atomic_on_failure(tmp_path):
    with pytest.raises(AudioError):
        write_wav(tmp_path / "bad.wav", np.zeros((10, 2)), RATE)
    assert list(tmp_path.iterdir()) == []
