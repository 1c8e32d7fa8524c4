"""AMI action builders: the exact actions Asterisk expects, and nothing unchecked on the wire."""

from __future__ import annotations

import pytest
from panoramisk.actions import Action

from crm_core.ports import TelephonyError
from cti.actions import ActionBuilder, Dialplan, spy_prefix

B = ActionBuilder()
AGENT = "Local/1001@agents/n"
LEG = "Local/1001@agents-00000013;1"


def wire_lines(action: dict) -> list[str]:
    """The header lines panoramisk would send for this action (its Action needs a running loop)."""
    return [line for line in str(Action(dict(action))).split("\r\n") if line]


def test_given_click_to_dial_then_originate_matches_the_recorded_lab_action() -> None:
    action = B.click_to_dial("Local/1001@agentphone", "5559001", "c2d-1", "Agent 1001", "1001")
    assert action == {
        "Action": "Originate",
        "Channel": "Local/1001@agentphone",
        "Context": "outbound",
        "Exten": "5559001",
        "Priority": "1",
        "Timeout": "30000",
        "Async": "true",
        "ChannelId": "c2d-1",
        "OtherChannelId": "c2d-1-2",
        "CallerID": '"Agent 1001" <1001>',
    }


def test_given_callback_then_customer_is_dialled_first_and_queue_goes_in_a_checked_variable() -> None:
    dialplan = Dialplan(callback_dial="Local/{number}@outbound", callback_context="cb", originate_timeout=20)
    action = ActionBuilder(dialplan).callback("+8613800138000", "support", "cb-7")
    assert action["Channel"] == "Local/+8613800138000@outbound"
    assert (action["Context"], action["Exten"], action["Timeout"]) == ("cb", "s", "20000")
    assert action["Variable"] == ["CB_QUEUE=support", "CB_NUMBER=+8613800138000"]
    assert action["ChannelId"] == "cb-7"


def test_given_campaign_then_customer_first_and_the_agent_goes_in_a_checked_variable() -> None:
    action = B.campaign("+8613800138000", AGENT, "pd-1", 25, "5550100")
    assert action["Channel"] == "Local/+8613800138000@pstn"
    assert (action["Context"], action["Exten"], action["Timeout"]) == ("campaign", "s", "25000")
    assert action["Variable"] == [f"CAMPAIGN_AGENT={AGENT}", "CB_NUMBER=+8613800138000"]
    assert action["CallerID"] == "<5550100>"
    for bad in ({"agent_interface": "Local/1001@agents,n)"}, {"ring_seconds": 0}, {"customer": "1;System"}):
        args = {
            "customer": "+8613800138000",
            "agent_interface": AGENT,
            "cid": "pd-2",
            "ring_seconds": 25,
        } | bad
        with pytest.raises(TelephonyError):
            B.campaign(**args)


def test_given_queue_actions_then_fields_are_those_asterisk_takes() -> None:
    assert B.queue_pause(AGENT, True, "午饭 lunch", "support") == {
        "Action": "QueuePause",
        "Interface": AGENT,
        "Paused": "true",
        "Queue": "support",
        "Reason": "午饭 lunch",
    }
    assert B.queue_pause(AGENT, False) == {"Action": "QueuePause", "Interface": AGENT, "Paused": "false"}
    assert B.queue_add(AGENT, "support", "Agent 1001", 2, "Custom:agent1001") == {
        "Action": "QueueAdd",
        "Queue": "support",
        "Interface": AGENT,
        "Penalty": "2",
        "MemberName": "Agent 1001",
        "StateInterface": "Custom:agent1001",
    }
    assert B.queue_remove(AGENT, "support") == {
        "Action": "QueueRemove",
        "Queue": "support",
        "Interface": AGENT,
    }


def test_given_transfers_then_extension_or_queue_destinations() -> None:
    assert B.blind_transfer(LEG, "1002") == {
        "Action": "BlindTransfer",
        "Channel": LEG,
        "Context": "transfer",
        "Exten": "1002",
    }
    assert B.redirect("Local/5550001@inbound-00000000;2", "queue:sales")["Context"] == "queues"
    assert B.attended_transfer(LEG, "1003") == {
        "Action": "Atxfer",
        "Channel": LEG,
        "Exten": "1003",
        "Context": "transfer",
    }


@pytest.mark.parametrize(("mode", "options"), [("listen", "q"), ("whisper", "qw"), ("barge", "qB")])
def test_given_spy_mode_then_chanspy_gets_the_prefix_and_fixed_options(mode: str, options: str) -> None:
    action = B.spy("2001", spy_prefix(AGENT), mode)
    assert action["Channel"] == "Local/2001@supervisor"
    assert (action["Application"], action["Data"]) == ("ChanSpy", f"Local/1001@agents-,{options}")
    assert B.spy("PJSIP/2001", spy_prefix(LEG), mode)["Data"] == f"{LEG},{options}"


def test_given_interfaces_then_spy_prefix_does_not_match_a_longer_extension() -> None:
    assert spy_prefix("PJSIP/1001") == "PJSIP/1001-"
    assert spy_prefix("PJSIP/1001-0000002a") == "PJSIP/1001-0000002a"
    assert spy_prefix("Local/1001@agents/n") == "Local/1001@agents-"


def test_given_recording_then_file_name_comes_from_pbx_and_call_id_only() -> None:
    assert B.mix_monitor(LEG, "beijing", "1795383464.38") == {
        "Action": "MixMonitor",
        "Channel": LEG,
        "File": "beijing-1795383464.38.wav",
        "Options": "b",
    }
    assert B.stop_mix_monitor(LEG) == {"Action": "StopMixMonitor", "Channel": LEG}
    assert B.mix_monitor_mute(LEG, True) == {
        "Action": "MixMonitorMute",
        "Channel": LEG,
        "Direction": "both",
        "State": "1",
    }
    assert B.mix_monitor_mute(LEG, False)["State"] == "0"
    assert B.hangup(LEG) == {"Action": "Hangup", "Channel": LEG, "Cause": "16"}


INJECTIONS = ["1\r\nAction: Command", "x\nApplication: System", "a\0b"]

BAD_CALLS = [
    ("number with letters", lambda: B.click_to_dial(AGENT, "555-CALL", "c1")),
    ("number with a newline", lambda: B.click_to_dial(AGENT, "555\r\nData: x", "c1")),
    ("empty number", lambda: B.callback("", "support", "c1")),
    ("queue with a space", lambda: B.callback("555", "sup port", "c1")),
    ("queue with a comma", lambda: B.queue_add(AGENT, "support,x", "n")),
    ("queue too long", lambda: B.queue_remove(AGENT, "q" * 65)),
    ("channel with a comma", lambda: B.spy("2001", "PJSIP/1001,B", "listen")),
    ("channel with parentheses", lambda: B.hangup("Local/1(x)@ctx")),
    ("channel with a dollar", lambda: B.hangup("PJSIP/${EVIL}")),
    ("interface without tech", lambda: B.queue_pause("1001", True)),
    ("spy mode unknown", lambda: B.spy("2001", "PJSIP/1001-", "qBw")),
    ("reason too long", lambda: B.queue_pause(AGENT, True, "r" * 65)),
    ("reason with a tab", lambda: B.queue_pause(AGENT, True, "a\tb")),
    ("member name with a newline", lambda: B.queue_add(AGENT, "support", "A\nB")),
    ("negative penalty", lambda: B.queue_add(AGENT, "support", "", -1)),
    ("penalty as bool", lambda: B.queue_add(AGENT, "support", "", True)),  # type: ignore[arg-type]
    ("transfer to a pattern", lambda: B.blind_transfer(LEG, "_X.")),
    ("transfer with a comma", lambda: B.blind_transfer(LEG, "1002,1")),
    ("transfer to a bad queue", lambda: B.redirect(LEG, "queue:a b")),
    ("call id with a slash", lambda: B.mix_monitor(LEG, "lab", "../etc/passwd")),
    ("call id with dots", lambda: B.mix_monitor(LEG, "lab", "a..b")),
    ("recording format", lambda: B.mix_monitor(LEG, "lab", "c1", "sh")),
    ("caller name with quote", lambda: B.click_to_dial(AGENT, "555", "c1", 'x" <1>', "1")),
    ("state interface with space", lambda: B.queue_add(AGENT, "support", "", 0, "Custom: x")),
    ("not a string", lambda: B.hangup(None)),  # type: ignore[arg-type]
]


@pytest.mark.parametrize(("label", "build"), BAD_CALLS, ids=[label for label, _ in BAD_CALLS])
def test_given_bad_value_then_invalid_before_anything_is_sent(label: str, build) -> None:
    with pytest.raises(TelephonyError) as caught:
        build()
    assert caught.value.code == "invalid", label


@pytest.mark.parametrize("evil", INJECTIONS)
def test_given_header_injection_in_any_user_field_then_refused(evil: str) -> None:
    builders = [
        lambda v: B.click_to_dial(v, "555", "c1"),
        lambda v: B.click_to_dial(AGENT, v, "c1"),
        lambda v: B.click_to_dial(AGENT, "555", v),
        lambda v: B.click_to_dial(AGENT, "555", "c1", v, "1"),
        lambda v: B.callback(v, "support", "c1"),
        lambda v: B.callback("555", v, "c1"),
        lambda v: B.queue_pause(AGENT, True, v),
        lambda v: B.queue_pause(AGENT, True, "", v),
        lambda v: B.queue_add(AGENT, "support", v),
        lambda v: B.blind_transfer(LEG, v),
        lambda v: B.attended_transfer(v, "1002"),
        lambda v: B.spy(v, "PJSIP/1-", "listen"),
        lambda v: B.spy("2001", v, "listen"),
        lambda v: B.mix_monitor(LEG, "lab", v),
    ]
    for build in builders:
        with pytest.raises(TelephonyError):
            build(evil)


async def test_given_valid_actions_then_each_value_is_exactly_one_wire_line() -> None:
    action = B.callback("555", "support", "c1", "5550100")
    assert len(wire_lines(action)) == len(action) + 1 + 1  # + ActionID, Variable twice


def test_given_bad_dialplan_config_then_refused_at_construction() -> None:
    for bad in (
        {"callback_dial": "Local/555@pstn"},
        {"callback_dial": "Local/{number}@pstn,x"},
        {"outbound_context": "out bound"},
        {"originate_timeout": 0},
    ):
        with pytest.raises(TelephonyError):
            Dialplan(**bad)  # type: ignore[arg-type]
