from __future__ import annotations

import pytest

from pbxsim.ami_codec import MessageParser, encode_message, get_header


def test_given_pairs_when_encoded_then_crlf_lines_and_blank_line_in_order() -> None:
    pairs = [("Event", "Newchannel"), ("ChanVariable", "A=1"), ("ChanVariable", "B="), ("AccountCode", "")]
    assert encode_message(pairs) == (
        b"Event: Newchannel\r\nChanVariable: A=1\r\nChanVariable: B=\r\nAccountCode: \r\n\r\n"
    )


@pytest.mark.parametrize(
    "pair",
    [
        ("Message", "one\r\nEvent: Forged"),
        ("Message", "a\nb"),
        ("Message", "a\rb"),
        ("Bad\nKey", "x"),
        ("", "x"),
    ],
)
def test_given_line_break_in_header_when_encoded_then_value_error(pair: tuple[str, str]) -> None:
    with pytest.raises(ValueError):
        encode_message([pair])


def test_given_action_split_at_every_byte_when_parsed_then_same_message_including_chinese() -> None:
    wire = (
        'Action: Originate\r\nCallerID: "张伟" <5550001>\r\nVariable: A=1\r\nVariable: A=2\r\n\r\n'.encode()
    )
    expected = [
        ("Action", "Originate"),
        ("CallerID", '"张伟" <5550001>'),
        ("Variable", "A=1"),
        ("Variable", "A=2"),
    ]
    for cut in range(1, len(wire)):
        parser = MessageParser()
        assert parser.feed(wire[:cut]) + parser.feed(wire[cut:]) == [expected], cut


def test_given_one_byte_at_a_time_when_parsed_then_every_message_comes_out_once() -> None:
    wire = b"Action: Ping\r\nActionID: 1\r\n\r\n\r\nAction: Logoff\nActionID: 2\n\n"
    parser = MessageParser()
    messages = [m for i in range(len(wire)) for m in parser.feed(wire[i : i + 1])]
    assert messages == [[("Action", "Ping"), ("ActionID", "1")], [("Action", "Logoff"), ("ActionID", "2")]]


def test_given_header_lookup_then_case_insensitive_and_first_value() -> None:
    message = [("action", "Ping"), ("Variable", "A=1"), ("Variable", "B=2")]
    assert get_header(message, "Action") == "Ping"
    assert get_header(message, "variable") == "A=1"
    assert get_header(message, "Missing", "-") == "-"
