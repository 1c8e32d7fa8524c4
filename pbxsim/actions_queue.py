"""Queue member actions (QueueAdd/Remove/Pause/Penalty) and the queue lists (QueueStatus, QueueSummary).

Texts and event order are those of s07 and s09a: the CRM maps these errors to what an
agent sees (e.g. "Already there" on a second login), so they must be Asterisk's words.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pbxsim.ami_codec import Message, get_header
from pbxsim.ami_server import AmiServer, Session, response, send_list
from pbxsim.blocks import member_list_item
from pbxsim.state import IDLE, Queue, QueueMember

if TYPE_CHECKING:
    from pbxsim.pbx import Pbx

TRUE = ("true", "yes", "1", "on")


def install(server: AmiServer, pbx: Pbx) -> None:
    actions = QueueActions(pbx)
    server.register_action("QueueAdd", actions.add)
    server.register_action("QueueRemove", actions.remove)
    server.register_action("QueuePause", actions.pause)
    server.register_action("QueuePenalty", actions.penalty)
    server.register_action("QueueStatus", actions.status)
    server.register_action("QueueSummary", actions.summary)


def _error(session: Session, message: Message, text: str) -> None:
    session.send(response("Error", message, ("Message", text)))


def _ok(session: Session, message: Message, text: str) -> None:
    session.send(response("Success", message, ("Message", text)))


class QueueActions:
    def __init__(self, pbx: Pbx) -> None:
        self.pbx = pbx

    async def add(self, session: Session, message: Message) -> None:
        name, interface = get_header(message, "Queue"), get_header(message, "Interface")
        if not name or not interface:
            _error(session, message, f"'{'Queue' if not name else 'Interface'}' not specified.")
            return
        queue = self.pbx.state.queues.get(name)
        if queue is None:
            _error(session, message, "Unable to add interface to queue: No such queue")
            return
        if interface in queue.members:
            _error(session, message, "Unable to add interface: Already there")
            return
        now = int(self.pbx.now())
        paused = get_header(message, "Paused").lower() in TRUE
        member = QueueMember(
            name, interface, get_header(message, "MemberName") or interface,
            get_header(message, "StateInterface") or interface, now, membership="dynamic",
            penalty=int(get_header(message, "Penalty") or 0), paused=paused,
            paused_reason=get_header(message, "Reason") if paused else "", last_pause=now if paused else 0,
        )  # fmt: skip
        existing = self.pbx.state.members_for(interface)
        member.status = existing[0].status if existing else IDLE
        queue.members[interface] = member
        _ok(session, message, "Added interface to queue")
        self.pbx.member_event("QueueMemberAdded", member, self.pbx.now())

    async def remove(self, session: Session, message: Message) -> None:
        queue = self.pbx.state.queues.get(get_header(message, "Queue"))
        interface = get_header(message, "Interface")
        if queue is None:
            _error(session, message, "Unable to remove interface from queue: No such queue")
            return
        member = queue.members.get(interface)
        if member is None:
            _error(session, message, "Unable to remove interface: Not there")
            return
        if member.membership != "dynamic":
            _error(session, message, "Member not dynamic")
            return
        del queue.members[interface]
        _ok(session, message, "Removed interface from queue")
        self.pbx.member_event("QueueMemberRemoved", member, self.pbx.now())

    def _targets(self, message: Message) -> list[QueueMember]:
        """The interface's membership in the named queue, or in every queue when none is named."""
        interface, name = get_header(message, "Interface"), get_header(message, "Queue")
        members = self.pbx.state.members_for(interface)
        return [m for m in members if not name or m.queue == name]

    async def pause(self, session: Session, message: Message) -> None:
        paused_text = get_header(message, "Paused")
        if not get_header(message, "Interface") or not paused_text:
            _error(session, message, "Need 'Interface' and 'Paused' parameters.")
            return
        members = self._targets(message)
        if not members:
            _error(session, message, "Interface not found")
            return
        paused, reason, now = paused_text.lower() in TRUE, get_header(message, "Reason"), self.pbx.now()
        _ok(session, message, f"Interface {'paused' if paused else 'unpaused'} successfully")
        for member in members:
            member.paused, member.paused_reason = paused, reason
            if paused:
                member.last_pause = int(now)
            self.pbx.member_event("QueueMemberPause", member, now)

    async def penalty(self, session: Session, message: Message) -> None:
        text = get_header(message, "Penalty")
        if not get_header(message, "Interface") or not text:
            _error(session, message, "Need 'Interface' and 'Penalty' parameters.")
            return
        members = self._targets(message)
        if not text.isdigit() or not members:
            _error(session, message, "Invalid interface, queuename or penalty")
            return
        _ok(session, message, "Interface penalty set successfully")
        for member in members:
            member.penalty = int(text)
            self.pbx.member_event("QueueMemberPenalty", member, self.pbx.now())

    async def status(self, session: Session, message: Message) -> None:
        name, wanted = get_header(message, "Queue"), get_header(message, "Member")
        tag = _tag(message)
        items: list[Message] = []
        for queue in self._queues(name):
            items.append([("Event", "QueueParams"), *_params(queue), *tag])
            items += [
                [("Event", "QueueMember"), *member_list_item(m), *tag]
                for m in queue.members.values()
                if not wanted or m.interface == wanted
            ]
            items += [
                [("Event", "QueueEntry"), *self._entry(queue, i), *tag] for i in range(len(queue.callers))
            ]
        send_list(session, message, "Queue status will follow", items, "QueueStatusComplete")

    def _queues(self, name: str) -> list[Queue]:
        queues = self.pbx.state.queues
        return [queues[name]] if name in queues else [] if name else list(queues.values())

    def _entry(self, queue: Queue, index: int) -> Message:
        caller = queue.callers[index]
        return [
            ("Queue", queue.name), ("Position", str(index + 1)), ("Channel", caller.name),
            ("Uniqueid", caller.uniqueid), ("CallerIDNum", caller.caller_num),
            ("CallerIDName", caller.caller_name), ("ConnectedLineNum", caller.connected_num),
            ("ConnectedLineName", caller.connected_name),
            ("Wait", str(max(int(self.pbx.now() - caller.created_at), 0))), ("Priority", "0"),
        ]  # fmt: skip

    async def summary(self, session: Session, message: Message) -> None:
        tag = _tag(message)
        items: list[Message] = []
        for queue in self._queues(get_header(message, "Queue")):
            members = queue.members.values()
            available = sum(1 for m in members if not m.paused and m.status == IDLE)
            longest = max((int(self.pbx.now() - c.created_at) for c in queue.callers), default=0)
            items.append(
                [
                    ("Event", "QueueSummary"), ("Queue", queue.name), ("LoggedIn", str(len(members))),
                    ("Available", str(available)), ("Callers", str(len(queue.callers))),
                    ("HoldTime", str(_average(queue.holdtime, queue.completed))),
                    ("TalkTime", str(_average(queue.talktime, queue.completed))),
                    ("LongestHoldTime", str(longest)), *tag,
                ]
            )  # fmt: skip
        send_list(session, message, "Queue summary will follow", items, "QueueSummaryComplete")


def _tag(message: Message) -> Message:
    action_id = get_header(message, "ActionID")
    return [("ActionID", action_id)] if action_id else []


def _average(total: int, count: int) -> int:
    return total // count if count else 0


def _params(queue: Queue) -> Message:
    return [
        ("Queue", queue.name), ("Max", "0"), ("Strategy", queue.strategy),
        ("Calls", str(len(queue.callers))), ("Holdtime", str(_average(queue.holdtime, queue.completed))),
        ("TalkTime", str(_average(queue.talktime, queue.completed))), ("Completed", str(queue.completed)),
        ("Abandoned", str(queue.abandoned)), ("ServiceLevel", "0"), ("ServicelevelPerf", "0.0"),
        ("ServicelevelPerf2", "0.0"), ("Weight", "0"),
    ]  # fmt: skip
