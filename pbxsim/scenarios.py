"""Queue calls played on a :class:`~pbxsim.pbx.Pbx`: who is rung, who answers, how the talk ends.

The event blocks are in :mod:`pbxsim.scenarios_queue`; transfers in
:mod:`pbxsim.scenarios_transfer`. During the talk, AMI actions (Hangup, BlindTransfer,
Redirect, Atxfer) posted to the call change its course.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping

from pbxsim import scenarios_queue as q
from pbxsim.control import CallControl, Command
from pbxsim.pbx import Pbx
from pbxsim.scenarios_queue import BY_STRATEGY, CallResult, Leg, QueueCall, QueueCallState

__all__ = ["BY_STRATEGY", "CallResult", "QueueCall", "play", "queue_call", "run_concurrently"]


async def queue_call(
    pbx: Pbx,
    caller_number: str,
    caller_name: str,
    queue: str,
    agent_interface: str | None,
    member_name: str = "",
    ring_seconds: float = 0.0,
    talk_seconds: float = 0.0,
    answer: bool = True,
    wait_seconds: float = 2.0,
    variables: Mapping[str, str] | None = None,
    **options: object,
) -> CallResult:
    """Play one queue call; see :class:`QueueCall` for the parameters."""
    spec = QueueCall(
        caller_number, caller_name, queue, agent_interface, member_name,
        ring_seconds, talk_seconds, answer, wait_seconds, dict(variables or {}), **options,  # type: ignore[arg-type]
    )  # fmt: skip
    return await play(pbx, spec)


async def run_concurrently(pbx: Pbx, calls: Iterable[QueueCall]) -> list[CallResult]:
    """Play several calls at once; each gets its own channels, ids and timeline."""
    return list(await asyncio.gather(*(play(pbx, spec) for spec in calls)))


async def play(pbx: Pbx, spec: QueueCall) -> CallResult:
    if spec.agent_interface not in (None, BY_STRATEGY):
        q.local_target(spec.agent_interface)  # fail before any event is sent
        pbx.member(spec.queue, spec.agent_interface, spec.member_name)
    control = CallControl(pbx, pbx.timeline())
    inbound = q.answer_inbound(pbx, spec, control.timeline.now)
    control.own(*inbound)
    call = QueueCallState(spec, control, inbound)
    if spec.record:
        q.mixmonitor_start(pbx, inbound[1], call.now)
    q.join_queue(pbx, call)
    if await ring_until_answered(pbx, call):
        await talk(pbx, call)
    return q.result(call)


async def ring_until_answered(pbx: Pbx, call: QueueCallState) -> bool:
    """True once a member answered; False when the caller abandoned."""
    if call.spec.agent_interface == BY_STRATEGY:
        return await _ring_by_strategy(pbx, call)
    return await _ring_named(pbx, call)


async def _ring_named(pbx: Pbx, call: QueueCallState) -> bool:
    """The member the spec names rings ``ring_seconds`` after ``wait_seconds`` in the queue."""
    spec = call.spec
    if await call.control.wait(spec.wait_seconds) is not None or spec.agent_interface is None:
        q.abandon(pbx, call)
        return False
    leg = q.ring_member(pbx, call, pbx.member(spec.queue, spec.agent_interface, spec.member_name))
    if await call.control.wait(spec.ring_seconds) is not None or not spec.answer:
        q.caller_gone(pbx, call, [leg])
        return False
    q.connect(pbx, call, leg)
    return True


async def _ring_by_strategy(pbx: Pbx, call: QueueCallState) -> bool:
    """app_queue's loop: ring per strategy for ``timeout``, RNA + retry, until answered or patience ends."""
    queue = pbx.queue(call.spec.queue)
    deadline = call.joined_at + call.spec.patience
    while call.now < deadline:
        chosen = queue.available() if queue.strategy == "ringall" else queue.next_rrmemory()
        if not chosen:
            if await call.control.wait(min(queue.retry, deadline - call.now)) is not None:
                break
            continue
        queue.last_rung = chosen[-1].interface
        legs = [q.ring_member(pbx, call, member) for member in chosen]
        outcome = await _await_answer(pbx, call, legs, min(queue.timeout, deadline - call.now))
        if outcome is not None:
            return outcome
        if await call.control.wait(min(queue.retry, max(deadline - call.now, 0))) is not None:
            break
    q.abandon(pbx, call)
    return False


async def _await_answer(pbx: Pbx, call: QueueCallState, legs: list[Leg], ring_for: float) -> bool | None:
    """True: answered; False: caller hung up; None: nobody answered within ``ring_for``."""
    delays = [(pbx.phones.get(leg.member.interface, 1.0), leg) for leg in legs]
    answering = sorted(((d, leg) for d, leg in delays if d is not None and d < ring_for), key=lambda x: x[0])
    wait = answering[0][0] if answering else ring_for
    if await call.control.wait(wait) is not None:
        q.caller_gone(pbx, call, legs)
        return False
    if answering:
        winner = answering[0][1]
        q.connect(pbx, call, winner, [leg for leg in legs if leg is not winner])
        return True
    if call.now >= call.joined_at + call.spec.patience:
        q.caller_gone(pbx, call, legs)
        return False
    for leg in legs:
        q.ring_no_answer(pbx, call, leg)
    return None


async def talk(pbx: Pbx, call: QueueCallState) -> None:
    """Talk for ``talk_seconds`` (with an optional hold), unless an action changes the call's course."""
    from pbxsim.scenarios_transfer import run_command  # transfers continue the call through here

    spec, remaining = call.spec, call.spec.talk_seconds
    command: Command | None = None
    if spec.hold_after is not None and spec.hold_after < remaining:
        command = await _hold_phase(pbx, call)
        remaining -= spec.hold_after + spec.hold_seconds
    if command is None:
        command = await call.control.wait(max(remaining, 0))
    if command is None:
        (q.complete_by_agent if spec.hangup_by == "agent" else q.complete_by_caller)(pbx, call)
        return
    await run_command(pbx, call, command)


async def _hold_phase(pbx: Pbx, call: QueueCallState) -> Command | None:
    assert call.leg is not None
    command = await call.control.wait(call.spec.hold_after or 0)
    if command is not None:
        return command
    q.hold(pbx, call.leg.one, call.now, on=True)
    command = await call.control.wait(call.spec.hold_seconds)
    q.hold(pbx, call.leg.one, call.now, on=False)
    return command
