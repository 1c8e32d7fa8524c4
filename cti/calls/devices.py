"""Telling which agent a dialled channel belongs to.

A DialBegin names the channel Asterisk created (``PJSIP/1001-0000002a``,
``Local/1002@agents-00000011;1``); agents are known by their queue interface
(``PJSIP/1001``, ``Local/1002@agents/n``). Both reduce to the same device base.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

DirectAgentHook = Callable[[str], str | None]
"""Maps a DialBegin DestChannel to an agent id when that channel is an agent's device."""

_CHANNEL_SUFFIX = re.compile(r"-[0-9a-fA-F]+(;[12])?$")
_LOCAL_OPTIONS = re.compile(r"/[a-zA-Z]+$")


def channel_base(channel: str) -> str:
    """``PJSIP/1001-0000002a`` -> ``PJSIP/1001``; ``Local/10@agents-00000011;1`` -> ``Local/10@agents``."""
    return _CHANNEL_SUFFIX.sub("", channel)


def interface_base(interface: str) -> str:
    """``Local/1002@agents/n`` -> ``Local/1002@agents``; a device interface is its own base."""
    if interface.lower().startswith("local/"):
        return _LOCAL_OPTIONS.sub("", interface)
    return interface


def is_local_one(channel: str) -> bool:
    return channel.lower().startswith("local/") and channel.endswith(";1")


def agent_hook(interfaces: Iterable[str]) -> DirectAgentHook:
    """A direct_agent hook for agents known by their queue interfaces (what the seats config holds)."""
    by_base = {interface_base(i).lower(): i for i in interfaces}

    def agent_of(channel: str) -> str | None:
        if channel.lower().startswith("local/") and channel.endswith(";2"):
            return None  # the ;2 half is the far end of a Local hop, never the dialled device
        return by_base.get(channel_base(channel).lower())

    return agent_of
