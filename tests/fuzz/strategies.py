"""Shared hypothesis strategies: split points of a byte stream, and AMI/AGI-looking traffic."""

from __future__ import annotations

import itertools

from hypothesis import strategies as st

# Values a real PBX sends beside plain ASCII: Chinese caller names (3-byte UTF-8), emoji (4 bytes).
TEXT = st.text(alphabet=st.sampled_from("abcXYZ019 +-_/:;.李娜王芳客服😀é"), max_size=24)


@st.composite
def chunks(draw: st.DrawFn, data: bytes) -> list[bytes]:
    """`data` cut at arbitrary offsets (UTF-8 characters included): the reads a TCP peer may see."""
    cuts = sorted(set(draw(st.lists(st.integers(0, len(data)), max_size=12))))
    bounds = [0, *cuts, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(bounds) if b > a]


@st.composite
def ami_frames(draw: st.DrawFn) -> bytes:
    """A banner and some AMI events whose values carry multi-byte characters."""
    frames = []
    for i in range(draw(st.integers(0, 5))):
        name = draw(st.sampled_from(["Newchannel", "AgentCalled", "QueueCallerJoin", "Hangup", "VarSet"]))
        lines = [f"Event: {name}", f"Uniqueid: 1795383366.{i}"]
        for key in draw(
            st.lists(st.sampled_from(["CallerIDName", "ConnectedLineName", "Value"]), max_size=3)
        ):
            lines.append(f"{key}: {draw(TEXT).strip()}")
        frames.append("\r\n".join(lines) + "\r\n\r\n")
    return ("Asterisk Call Manager/5.0.1\r\n" + "".join(frames)).encode()
