"""An Asterisk 22 simulator: the AMI server, a PBX model with live state, and call scenarios.

Public API (event names, header names and order follow the recorded traces in
``tests/fixtures/asterisk``):

Server (:mod:`pbxsim.ami_server`)
    ``AmiServer(username, secret, *, timestampevents=False, clock=time.time, login_fail_delay=1.0,
    channelvars=(), host="127.0.0.1", port=0)``; ``start()``, ``stop()``, ``port``, ``connections``,
    ``received_actions``, ``send_event(pairs, timestamp=None)``, ``register_action(name, handler)``.
    Fault injection: ``drop_all()`` (abort sockets), ``stall()`` / ``resume()`` (no replies, no
    Pong, no events meanwhile), ``restart(downtime=0.0)`` (Shutdown event, all closed, same port,
    new boot time, ``boot_count`` + 1), ``resend_last(n)`` (duplicates), ``swap_next()`` (the next
    two events change places).

PBX (:mod:`pbxsim.pbx`, state in :mod:`pbxsim.state`)
    ``Pbx(server, *, speed=1.0)`` registers the call, queue and list actions on ``server``:
    Originate (click-to-dial ``Local/<ext>@agentphone``, callback ``Local/<number>@pstn``,
    ``Application: ChanSpy``), Hangup, Redirect, BlindTransfer, Atxfer, MixMonitor,
    StopMixMonitor, MixMonitorMute, QueueAdd, QueueRemove, QueuePause, QueuePenalty,
    QueueStatus, QueueSummary, CoreShowChannels, Status. ``pbx.state`` holds live channels,
    bridges and queues; ``add_queue(name, strategy="rrmemory", **options)``,
    ``add_members(queue, [(interface, name)])``, ``member(queue, interface, name)``,
    ``device_status(interface, status, at)``; ``phones[interface]`` = seconds until that
    agent answers (``None``: never; default 1 s); ``outbound[number]`` = what a customer's phone
    dialled by a progressive campaign does: "answer" (default), "no_answer", "busy", "congestion",
    "unreachable" (Originate ``Local/<number>@pstn`` into context ``campaign``,
    :mod:`pbxsim.scenarios_campaign`). After a restart the PBX forgets its calls,
    its dynamic members and restarts its Uniqueid sequence.

Scenarios
    :mod:`pbxsim.scenarios`: ``QueueCall(caller_number, caller_name, queue, agent_interface,
    member_name="", ring_seconds=0, talk_seconds=0, answer=True, wait_seconds=2, variables={},
    hangup_by="caller", patience=60, hold_after=None, hold_seconds=0, record=False)``;
    ``agent_interface=BY_STRATEGY`` lets the queue ring its members (ringall / rrmemory,
    ring-no-answer with auto-pause, busy members skipped); ``play(pbx, spec) -> CallResult``,
    ``queue_call(pbx, number, name, queue, agent_interface, ...)``, ``run_concurrently``.
    ``CallResult``: linkedid, caller_uniqueid, caller_channel, agent_uniqueid, answered,
    joined_at, called_at, answered_at, ended_at, agent_interface, end_reason.
    :mod:`pbxsim.scenarios_direct`: ``direct_call(pbx, caller_number, device, outcome=
    "ANSWER"|"BUSY"|"NOANSWER")``, ``click_to_dial``, ``callback``, ``supervisor_spy``.
    During a call, AMI actions on its channels steer it (:mod:`pbxsim.scenarios_transfer`).
"""
