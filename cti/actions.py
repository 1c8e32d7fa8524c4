"""AMI action builders for every Telephony operation, validating each value first.

An AMI action is plain ``Header: value`` lines: a CR or LF in a value would start a
new header (``Application: System``), and a comma or parenthesis in a value that
reaches ``Data`` or a dialplan argument changes what Asterisk runs. So nothing a
user typed reaches the wire unless it matches a narrow character set for what it
is (a number, a queue, a channel…); otherwise ``TelephonyError(code="invalid")``
is raised before anything is sent. ``Application``, ``Data``, ``Variable`` and
``File`` are only ever built here from validated parts and fixed text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from crm_core.ports import TelephonyError

AmiAction = dict[str, str | list[str]]

_NUMBER = re.compile(r"\+?[0-9]{1,32}")
_QUEUE = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_CONTEXT = re.compile(r"[A-Za-z0-9_.-]{1,79}")
_EXTEN = re.compile(r"[A-Za-z0-9*#+][A-Za-z0-9*#+._-]{0,63}")
_CALL_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
# Tech/resource: "PJSIP/1001", "Local/1001@agents/n", "Local/1001@agents-00000013;1".
_CHANNEL = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,31}/[A-Za-z0-9_@.;:+#*~/=-]{1,200}")
# Device-state interfaces also use "Custom:agent1001", "Queue:support_pause_…".
_STATE_INTERFACE = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,31}[:/][A-Za-z0-9_@.;:+#*~/=-]{1,200}")
_FORBIDDEN = ("\r", "\n", "\0")

SPY_OPTIONS = {"listen": "q", "whisper": "qw", "barge": "qB"}
"""ChanSpy option letters per mode: q = no beep/announcement, w = whisper to the
spied channel, B = barge (talk to both parties). Fixed text, never user input."""

RECORDING_FORMATS = ("wav", "WAV", "gsm", "wav49")


def _invalid(what: str, value: object) -> TelephonyError:
    shown = repr(value) if len(repr(value)) <= 80 else repr(value)[:77] + "..."
    return TelephonyError(f"invalid {what}: {shown}", code="invalid")


def _match(pattern: re.Pattern[str], what: str, value: object) -> str:
    if not isinstance(value, str) or any(c in value for c in _FORBIDDEN):
        raise _invalid(what, value)
    if pattern.fullmatch(value) is None:
        raise _invalid(what, value)
    return value


def number(value: object) -> str:
    """A phone number: digits with an optional leading +."""
    return _match(_NUMBER, "number", value)


def queue(value: object) -> str:
    return _match(_QUEUE, "queue", value)


def context(value: object) -> str:
    return _match(_CONTEXT, "dialplan context", value)


def exten(value: object) -> str:
    """A dialplan extension to send a call to (no pattern, no separators)."""
    return _match(_EXTEN, "extension", value)


def call_id(value: object) -> str:
    """A call id (Linkedid / ChannelId): safe in a file name and a header."""
    value = _match(_CALL_ID, "call id", value)
    if ".." in value:
        raise _invalid("call id", value)
    return value


def channel(value: object) -> str:
    """A channel or interface name: no comma, pipe, parenthesis, space or ``$``."""
    return _match(_CHANNEL, "channel", value)


def state_interface(value: object) -> str:
    return _match(_STATE_INTERFACE, "state interface", value)


def text(value: object, what: str, limit: int = 64) -> str:
    """Free text for a header of its own (pause reason, member name): printable, bounded."""
    if not isinstance(value, str) or len(value) > limit or not value.isprintable():
        raise _invalid(what, value)
    return value


def caller_name(value: object) -> str:
    """A caller-ID name: printable text without the quote and angle brackets of the CallerID syntax."""
    value = text(value, "caller name", 64)
    if any(c in value for c in '"<>\\'):
        raise _invalid("caller name", value)
    return value


def penalty(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 1000:
        raise _invalid("penalty", value)
    return str(value)


def _flag(value: bool) -> str:
    return "true" if value else "false"


@dataclass(frozen=True, slots=True)
class Dialplan:
    """The dialplan the builders send calls into (defaults match the lab's extensions.conf)."""

    outbound_context: str = "outbound"  # click-to-dial: Exten = the customer's number
    callback_context: str = "callback"  # callback: the answered customer runs this (then Queue)
    callback_exten: str = "s"
    callback_dial: str = "Local/{number}@pstn"  # how the customer is dialled for a callback
    transfer_context: str = "transfer"  # blind/attended transfer to an extension
    queue_context: str = "queues"  # transfer to "queue:<name>": Exten = the queue's name
    spy_context: str = "supervisor"  # a bare supervisor extension is dialled as Local/<ext>@spy_context
    campaign_context: str = "campaign"  # progressive: the answered customer runs it (Dial(${CAMPAIGN_AGENT}))
    campaign_exten: str = "s"
    originate_timeout: float = 30.0  # seconds the first leg may ring

    def __post_init__(self) -> None:
        for name in (
            "outbound_context",
            "callback_context",
            "transfer_context",
            "queue_context",
            "campaign_context",
        ):
            context(getattr(self, name))
        context(self.spy_context)
        exten(self.callback_exten)
        exten(self.campaign_exten)
        if self.callback_dial.count("{number}") != 1:
            raise _invalid("callback dial template", self.callback_dial)
        channel(self.callback_dial.replace("{number}", "0"))
        if not 0 < self.originate_timeout <= 600:
            raise _invalid("originate timeout", self.originate_timeout)


class ActionBuilder:
    """Turns Telephony requests into AMI action dicts; raises TelephonyError("invalid") first."""

    def __init__(self, dialplan: Dialplan | None = None) -> None:
        self.dialplan = dialplan or Dialplan()

    def _timeout_ms(self) -> str:
        return str(int(self.dialplan.originate_timeout * 1000))

    def click_to_dial(
        self, agent_channel: str, customer: str, cid: str, agent_name: str = "", agent_number: str = ""
    ) -> AmiAction:
        """Ring the agent's phone first; when answered it runs outbound_context/<customer>."""
        action: AmiAction = {
            "Action": "Originate",
            "Channel": channel(agent_channel),
            "Context": self.dialplan.outbound_context,
            "Exten": number(customer),
            "Priority": "1",
            "Timeout": self._timeout_ms(),
            "Async": "true",
            "ChannelId": call_id(cid),
            "OtherChannelId": call_id(f"{cid}-2"),
        }
        caller = self._caller_id(agent_name, agent_number)
        if caller:
            action["CallerID"] = caller
        return action

    @staticmethod
    def _caller_id(name: str, num: str) -> str:
        if not name and not num:
            return ""
        shown = f'"{caller_name(name)}" ' if name else ""
        return f"{shown}<{number(num)}>" if num else shown.strip()

    def callback(self, customer: str, to_queue: str, cid: str, caller_number: str = "") -> AmiAction:
        """Dial the customer first; when answered they run callback_context, which queues them."""
        num = number(customer)
        action: AmiAction = {
            "Action": "Originate",
            "Channel": channel(self.dialplan.callback_dial.replace("{number}", num)),
            "Context": self.dialplan.callback_context,
            "Exten": self.dialplan.callback_exten,
            "Priority": "1",
            "Timeout": self._timeout_ms(),
            "Async": "true",
            "ChannelId": call_id(cid),
            "OtherChannelId": call_id(f"{cid}-2"),
            "Variable": [f"CB_QUEUE={queue(to_queue)}", f"CB_NUMBER={num}"],
        }
        if caller_number:
            action["CallerID"] = f"<{number(caller_number)}>"
        return action

    def campaign(
        self, customer: str, agent_interface: str, cid: str, ring_seconds: float, caller_number: str = ""
    ) -> AmiAction:
        """Progressive dialing: the customer first, ringing at most ring_seconds; only when they answer
        do they run campaign_context, which dials the agent's interface (CAMPAIGN_AGENT)."""
        num = number(customer)
        if (
            isinstance(ring_seconds, bool)
            or not isinstance(ring_seconds, int | float)
            or not 0 < ring_seconds <= 600
        ):
            raise _invalid("ring time", ring_seconds)
        action: AmiAction = {
            "Action": "Originate",
            "Channel": channel(self.dialplan.callback_dial.replace("{number}", num)),
            "Context": self.dialplan.campaign_context,
            "Exten": self.dialplan.campaign_exten,
            "Priority": "1",
            "Timeout": str(int(ring_seconds * 1000)),
            "Async": "true",
            "ChannelId": call_id(cid),
            "OtherChannelId": call_id(f"{cid}-2"),
            "Variable": [f"CAMPAIGN_AGENT={channel(agent_interface)}", f"CB_NUMBER={num}"],
        }
        if caller_number:
            action["CallerID"] = f"<{number(caller_number)}>"
        return action

    @staticmethod
    def hangup(chan: str) -> AmiAction:
        return {"Action": "Hangup", "Channel": channel(chan), "Cause": "16"}

    def destination(self, target: str) -> tuple[str, str]:
        """(Context, Exten) for a transfer target: an extension or "queue:<name>"."""
        if isinstance(target, str) and target.startswith("queue:"):
            return self.dialplan.queue_context, queue(target[len("queue:") :])
        return self.dialplan.transfer_context, exten(target)

    def blind_transfer(self, transferer_channel: str, target: str) -> AmiAction:
        """BlindTransfer moves every channel bridged to ``transferer_channel`` (the agent's leg)."""
        ctx, ext = self.destination(target)
        return {
            "Action": "BlindTransfer",
            "Channel": channel(transferer_channel),
            "Context": ctx,
            "Exten": ext,
        }

    def redirect(self, chan: str, target: str) -> AmiAction:
        """Redirect moves ``chan`` itself (the caller) when no agent leg is bridged to it."""
        ctx, ext = self.destination(target)
        return {"Action": "Redirect", "Channel": channel(chan), "Context": ctx, "Exten": ext, "Priority": "1"}

    def attended_transfer(self, agent_channel: str, target: str) -> AmiAction:
        ctx, ext = self.destination(target)
        return {"Action": "Atxfer", "Channel": channel(agent_channel), "Exten": ext, "Context": ctx}

    @staticmethod
    def queue_pause(interface: str, paused: bool, reason: str = "", in_queue: str = "") -> AmiAction:
        action: AmiAction = {"Action": "QueuePause", "Interface": channel(interface), "Paused": _flag(paused)}
        if in_queue:
            action["Queue"] = queue(in_queue)
        if reason:
            action["Reason"] = text(reason, "pause reason")
        return action

    @staticmethod
    def queue_add(
        interface: str, to_queue: str, member_name: str = "", pen: int = 0, state_iface: str = ""
    ) -> AmiAction:
        action: AmiAction = {
            "Action": "QueueAdd",
            "Queue": queue(to_queue),
            "Interface": channel(interface),
            "Penalty": penalty(pen),
        }
        if member_name:
            action["MemberName"] = text(member_name, "member name")
        if state_iface:
            action["StateInterface"] = state_interface(state_iface)
        return action

    @staticmethod
    def queue_remove(interface: str, from_queue: str) -> AmiAction:
        return {"Action": "QueueRemove", "Queue": queue(from_queue), "Interface": channel(interface)}

    def supervisor_channel(self, supervisor: str) -> str:
        """A bare extension is the supervisor's phone in spy_context; else an interface."""
        if isinstance(supervisor, str) and _EXTEN.fullmatch(supervisor) and "/" not in supervisor:
            return channel(f"Local/{supervisor}@{self.dialplan.spy_context}")
        return channel(supervisor)

    def spy(self, supervisor: str, agent_prefix: str, mode: str, cid: str = "") -> AmiAction:
        """Ring the supervisor; when answered they run ChanSpy on channels starting with agent_prefix."""
        options = SPY_OPTIONS.get(mode) if isinstance(mode, str) else None
        if options is None:
            raise _invalid("spy mode", mode)
        action: AmiAction = {
            "Action": "Originate",
            "Channel": self.supervisor_channel(supervisor),
            "Application": "ChanSpy",
            "Data": f"{channel(agent_prefix)},{options}",
            "Timeout": self._timeout_ms(),
            "Async": "true",
        }
        if cid:  # lets the tracker recognise the spy leg as supervision, not a call
            action["ChannelId"] = call_id(cid)
        return action

    @staticmethod
    def mix_monitor(chan: str, pbx: str, cid: str, fmt: str = "wav") -> AmiAction:
        """Record the call to ``<pbx>-<call id>.<fmt>``: the file name never comes from a user."""
        if fmt not in RECORDING_FORMATS:
            raise _invalid("recording format", fmt)
        name = f"{queue(pbx)}-{call_id(cid)}.{fmt}"
        return {"Action": "MixMonitor", "Channel": channel(chan), "File": name, "Options": "b"}

    @staticmethod
    def stop_mix_monitor(chan: str) -> AmiAction:
        return {"Action": "StopMixMonitor", "Channel": channel(chan)}

    @staticmethod
    def mix_monitor_mute(chan: str, muted: bool) -> AmiAction:
        return {
            "Action": "MixMonitorMute",
            "Channel": channel(chan),
            "Direction": "both",
            "State": "1" if muted else "0",
        }


def spy_prefix(agent_interface_or_channel: str) -> str:
    """The ChanSpy prefix for an agent: their live channel, or their interface's channel stem.

    ``PJSIP/1001`` → ``PJSIP/1001-`` (so PJSIP/10010 is not spied too);
    ``Local/1001@agents/n`` → ``Local/1001@agents-`` (Local options are not part of channel names).
    A live channel name (it has a ``-`` suffix already, e.g. ``…-00000013;1``) is used as is.
    """
    value = channel(agent_interface_or_channel)
    tech, _, resource = value.partition("/")
    if tech.lower() == "local":
        resource = resource.split("/", 1)[0]
    if re.search(r"-[0-9a-f]{8}(;[12])?$", resource):
        return f"{tech}/{resource}"
    return f"{tech}/{resource}-"
