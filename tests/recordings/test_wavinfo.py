"""Duration from the WAV header, including a header a crash left wrong."""

from __future__ import annotations

import io
import struct
from pathlib import Path

import pytest

from recordings.wavinfo import NotAudio, read_info
from tests.recordings.support import make_wav


def test_duration_comes_from_the_header(tmp_path: Path) -> None:
    data = make_wav(tmp_path / "a.wav", 1.25, rate=16000)
    info = read_info(io.BytesIO(data), len(data))
    assert (info.format, info.duration_seconds) == ("wav", 1.25)


def test_a_header_whose_data_size_was_never_written_falls_back_to_the_bytes_present(tmp_path: Path) -> None:
    data = bytearray(make_wav(tmp_path / "a.wav", 2.0))
    at = data.index(b"data") + 4
    data[at : at + 4] = struct.pack("<I", 0)  # Asterisk writes the final size only when recording stops
    assert read_info(io.BytesIO(bytes(data)), len(data)).duration_seconds == 2.0


def test_not_a_wav_is_refused() -> None:
    with pytest.raises(NotAudio):
        read_info(io.BytesIO(b"ID3 not audio we know"), 21)
