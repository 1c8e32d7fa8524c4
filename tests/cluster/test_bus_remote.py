"""Events from other instances reach what people see, never the writers."""

from __future__ import annotations

from crm_core.bus import EventBus
from crm_core.events import CallEnded, PbxLinkChanged


def _ended(call_id: str) -> CallEnded:
    return CallEnded("main", call_id, "answered", "", "", None, None, 1.0, None, None, 0.0, 0.0)


async def test_remote_events_go_only_to_subscribers_that_asked_for_them_in_order() -> None:
    bus = EventBus()
    writer: list[object] = []
    console: list[object] = []

    async def write(event: object) -> None:
        writer.append(event)

    async def show(event: object) -> None:
        console.append(event)

    bus.subscribe("records", write, CallEnded)
    bus.subscribe("hub", show, CallEnded, remote=True)
    await bus.start()
    bus.publish(_ended("local-1"))
    bus.publish_remote(_ended("remote-1"))
    bus.publish_remote(PbxLinkChanged("main", True, "up", 1.0))  # a type the hub did not ask for
    bus.publish(_ended("local-2"))
    await bus.stop()

    assert [e.call_id for e in writer] == ["local-1", "local-2"]
    assert [e.call_id for e in console] == ["local-1", "remote-1", "local-2"]
