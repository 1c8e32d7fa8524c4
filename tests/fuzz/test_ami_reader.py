"""The AMI reader (cti.ami_protocol.Utf8AmiProtocol) against any cut of its byte stream.

TCP delivers a stream in reads of any size: a frame, a CRLF pair or a 3-byte Chinese character
may be cut anywhere. Whatever the cuts, the reader must hand out the same events as for one read,
and arbitrary bytes must never raise or take long. Each example runs over a real socket pair.
"""

from __future__ import annotations

import asyncio
import socket
import time

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from cti.ami_protocol import MAX_FRAME, LinkManager, Utf8AmiProtocol
from tests.fuzz.strategies import ami_frames, chunks

FUZZ = settings(database=None, max_examples=80, deadline=2000, suppress_health_check=[HealthCheck.too_slow])


def events_for(reads: list[bytes]) -> tuple[str | None, list[dict[str, str]]]:
    """The banner version and the events the reader dispatches when fed `reads` in that order."""
    return asyncio.run(_feed(reads))


async def _feed(reads: list[bytes]) -> tuple[str | None, list[dict[str, str]]]:
    manager = LinkManager("127.0.0.1", 0)
    manager.loop = asyncio.get_running_loop()
    seen: list[dict[str, str]] = []
    manager.register_event("*", lambda _m, event: seen.append(dict(event.items())))
    ours, theirs = socket.socketpair()
    try:
        transport, protocol = await manager.loop.create_connection(
            lambda: Utf8AmiProtocol(manager), sock=ours
        )
        assert isinstance(protocol, Utf8AmiProtocol)
        for read in reads:
            protocol.data_received(read)
        transport.close()
        return protocol.version, seen
    finally:
        theirs.close()


@FUZZ
@given(st.data())
def test_any_cut_of_real_traffic_gives_the_same_events(data: st.DataObject) -> None:
    stream = data.draw(ami_frames())
    whole = events_for([stream])
    assert whole == events_for(data.draw(chunks(stream)))
    assert len(whole[1]) == stream.count(b"\r\n\r\n"), "every frame is an event, none lost"
    assert whole == events_for([stream[i : i + 1] for i in range(len(stream))]), "one byte per read"


@FUZZ
@given(st.data())
def test_any_bytes_cut_anywhere_never_raise_and_give_the_same_events(data: st.DataObject) -> None:
    stream = data.draw(
        st.one_of(
            st.binary(max_size=600),
            st.builds(lambda a, b: a + b, ami_frames(), st.binary(max_size=300)),
            st.builds(lambda b: b"Asterisk Call Manager/" + b, st.binary(max_size=400)),
        )
    )
    started = time.monotonic()
    whole = events_for([stream])
    assert whole == events_for(data.draw(chunks(stream)))
    assert time.monotonic() - started < 1.0


@FUZZ
@given(length=st.integers(0, 400), cut=st.integers(0, 500))
@example(length=178, cut=201)  # found by this test: a 200-character banner cut after its CR
def test_a_banner_of_any_length_cut_anywhere_reads_the_same(length: int, cut: int) -> None:
    """The reader gives up on a banner past its limit: the same way whether or not its end has come."""
    stream = b"Asterisk Call Manager/" + b"9" * length + b"\r\nEvent: FullyBooted\r\n\r\n"
    assert events_for([stream]) == events_for([stream[:cut], stream[cut:]])


async def _flood(reads: list[bytes]) -> tuple[float, bool, str | None, int]:
    """Feed reads; (seconds taken, link closed, the reason the manager was told, events seen)."""
    manager = LinkManager("127.0.0.1", 0)
    manager.loop = asyncio.get_running_loop()
    manager.lost = manager.loop.create_future()
    seen: list[object] = []
    manager.register_event("*", lambda _m, event: seen.append(event))
    ours, theirs = socket.socketpair()
    try:
        transport, protocol = await manager.loop.create_connection(
            lambda: Utf8AmiProtocol(manager), sock=ours
        )
        assert isinstance(protocol, Utf8AmiProtocol)
        started = time.monotonic()
        for read in reads:
            protocol.data_received(read)
        took = time.monotonic() - started
        reason = manager.lost.result() if manager.lost.done() else None
        closed = transport.is_closing()
        transport.close()
        return took, closed, reason, len(seen)
    finally:
        theirs.close()


def test_a_stream_that_never_ends_a_frame_closes_the_link_quickly() -> None:
    """4 MiB with no frame end took 7 s of event loop; now the link closes at MAX_FRAME (and reconnects)."""
    garbage = b"Asterisk Call Manager/6.0\r\nEvent: Ok\r\n\r\n" + b"Variable: x\r\n" * (4 * 2**20 // 13)
    took, closed, reason, events = asyncio.run(
        _flood([garbage[i : i + 4096] for i in range(0, len(garbage), 4096)])
    )
    assert took < 1.0 and closed and reason and str(MAX_FRAME) in reason
    assert events == 1, "what came before the flood was still delivered"


def test_a_frame_just_under_the_limit_is_still_read_whatever_the_cut() -> None:
    frame = b"Event: Big\r\nValue: " + b"x" * (MAX_FRAME - 40) + b"\r\n\r\n"
    stream = b"Asterisk Call Manager/6.0\r\n" + frame
    for cut in (len(stream) - 1, len(stream) - 3, 100):
        _, closed, reason, events = asyncio.run(_flood([stream[:cut], stream[cut:]]))
        assert (closed, reason, events) == (False, None, 1)
