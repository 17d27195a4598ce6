"""The AMI wire format: encoding, and the incremental parser."""

from __future__ import annotations

import pytest

from bridge.ami.protocol import AmiParser, Message, encode

BANNER = b"Asterisk Call Manager/11.0.0\r\n"
LOGIN_OK = b"Response: Success\r\nActionID: login-1\r\nMessage: Authentication accepted\r\n\r\n"


def test_encode_writes_crlf_lines_and_the_blank_line() -> None:
    message = Message([("Action", "DBPut"), ("Family", "DND"), ("Key", "4224"), ("Val", "YES")])
    assert encode(message) == b"Action: DBPut\r\nFamily: DND\r\nKey: 4224\r\nVal: YES\r\n\r\n"
    assert encode({"Action": "Ping"}) == b"Action: Ping\r\n\r\n"


@pytest.mark.parametrize("value", ["a\r\nAction: Originate", "a\nb", "a\rb"])
def test_encode_refuses_header_injection(value: str) -> None:
    with pytest.raises(ValueError, match="CR or LF"):
        encode([("Action", "Setvar"), ("Value", value)])


def test_encode_keeps_utf8() -> None:
    assert encode([("CallerID", "Zoë <4224>")]) == "CallerID: Zoë <4224>\r\n\r\n".encode()


def test_banner_is_kept_apart_and_the_message_after_it_parsed() -> None:
    parser = AmiParser()
    assert parser.feed(BANNER) == []
    assert parser.banner == "Asterisk Call Manager/11.0.0"
    [message] = parser.feed(LOGIN_OK)
    assert message.headers[0] == ("Response", "Success")
    assert message["message"] == "Authentication accepted"


def test_banner_and_first_message_in_one_chunk() -> None:
    parser = AmiParser()
    [message] = parser.feed(BANNER + LOGIN_OK)
    assert parser.banner == "Asterisk Call Manager/11.0.0"
    assert message.name == "Success"


def test_without_banner_expected_a_first_line_is_a_header() -> None:
    parser = AmiParser(expect_banner=False)
    [message] = parser.feed(b"Asterisk Call Manager/11.0.0\r\nA: b\r\n\r\n")
    assert parser.banner is None
    assert message.headers == [("", "Asterisk Call Manager/11.0.0"), ("A", "b")]


def test_a_message_split_byte_by_byte() -> None:
    parser = AmiParser()
    data = BANNER + LOGIN_OK + b"Event: FullyBooted\r\nPrivilege: system,all\r\n\r\n"
    messages = [m for i in range(len(data)) for m in parser.feed(data[i : i + 1])]
    assert [m.name for m in messages] == ["Success", "FullyBooted"]
    assert not parser.pending


def test_utf8_character_split_across_reads_survives() -> None:
    data = "Event: Newchannel\r\nCallerIDName: Zoë Ærø\r\n\r\n".encode()
    cut = data.index("ë".encode()) + 1  # between the two bytes of ë
    parser = AmiParser(expect_banner=False)
    assert parser.feed(data[:cut]) == []
    [message] = parser.feed(data[cut:])
    assert message["CallerIDName"] == "Zoë Ærø"


def test_bare_newline_line_ends_and_extra_blank_lines() -> None:
    parser = AmiParser(expect_banner=False)
    messages = parser.feed(b"Event: A\nX: 1\n\n\n\r\nEvent: B\r\nY: 2\n\r\n")
    assert [m.headers for m in messages] == [
        [("Event", "A"), ("X", "1")],
        [("Event", "B"), ("Y", "2")],
    ]


def test_values_keep_colons_and_leading_spaces_beyond_the_first() -> None:
    parser = AmiParser(expect_banner=False)
    [message] = parser.feed(
        b"Response: Success\r\nOutput:   '4224' => hint: Custom:DND4224\r\n"
        b"RequestType: Action: NoSuchAction\r\nAccountCode: \r\nNoSpace:x\r\n\r\n"
    )
    assert message["Output"] == "  '4224' => hint: Custom:DND4224"
    assert message["RequestType"] == "Action: NoSuchAction"
    assert message["AccountCode"] == ""
    assert message["NoSpace"] == "x"


def test_repeated_keys_and_case_blind_lookup() -> None:
    message = Message([("Response", "Success"), ("Output", "one"), ("output", "two")])
    assert message.get_all("OUTPUT") == ["one", "two"]
    assert message.get("OUTPUT") == "one"
    assert message.get("missing") is None and "missing" not in message
    assert "response" in message
    message.add("Extra", "x")
    assert message["extra"] == "x" and message.keys()[-1] == "Extra"
    with pytest.raises(KeyError):
        message["missing"]


def test_pending_reports_a_started_message() -> None:
    parser = AmiParser(expect_banner=False)
    parser.feed(b"Event: A\r\nX: 1\r\n")
    assert parser.pending
    parser.feed(b"\r\n")
    assert not parser.pending
