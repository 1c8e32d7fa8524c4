"""Channel lists a CRM resyncs from after a reconnect: CoreShowChannels and Status (s00, s01, s05a)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pbxsim.ami_codec import Message, get_header
from pbxsim.ami_server import AmiServer, Session, response, send_list
from pbxsim.state import Channel

if TYPE_CHECKING:
    from pbxsim.pbx import Pbx


def install(server: AmiServer, pbx: Pbx) -> None:
    lists = ChannelLists(pbx)
    server.register_action("CoreShowChannels", lists.core_show_channels)
    server.register_action("Status", lists.status)


def _duration(seconds: float) -> str:
    whole = max(int(seconds), 0)
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


class ChannelLists:
    def __init__(self, pbx: Pbx) -> None:
        self.pbx = pbx

    def _block(self, channel: Channel) -> Message:
        return self.pbx.channel_block(channel)

    async def core_show_channels(self, session: Session, message: Message) -> None:
        action_id = get_header(message, "ActionID")
        tag = [("ActionID", action_id)] if action_id else []
        now = self.pbx.now()
        items = [
            [
                ("Event", "CoreShowChannel"), *tag, *self._block(c),
                ("Application", c.application), ("ApplicationData", c.app_data),
                ("Duration", _duration(now - c.created_at)),
                ("BridgeId", c.bridge.uniqueid if c.bridge else ""),
            ]
            for c in list(self.pbx.state.channels.values())
        ]  # fmt: skip
        send_list(session, message, "Channels will follow", items, "CoreShowChannelsComplete")

    async def status(self, session: Session, message: Message) -> None:
        name = get_header(message, "Channel")
        channels = list(self.pbx.state.channels.values())
        if name:
            found = self.pbx.state.find_channel(name)
            if found is None:
                session.send(response("Error", message, ("Message", "No such channel")))
                return
            channels = [found]
        action_id = get_header(message, "ActionID")
        tag = [("ActionID", action_id)] if action_id else []
        items = [[*self._status_item(c), *tag] for c in channels]
        send_list(
            session,
            message,
            "Channel status will follow",
            items,
            "StatusComplete",
            ("Items", str(len(items))),
        )

    def _status_item(self, c: Channel) -> Message:
        return [
            ("Event", "Status"), ("Privilege", "Call"), *self._block(c),
            ("Type", c.name.split("/", 1)[0]), ("DNID", ""),
            ("EffectiveConnectedLineNum", c.connected_num), ("EffectiveConnectedLineName", c.connected_name),
            ("TimeToHangup", "0"), ("BridgeID", c.bridge.uniqueid if c.bridge else ""),
            ("Application", c.application), ("Data", c.app_data), ("Nativeformats", "(slin)"),
            ("Readformat", "slin"), ("Readtrans", ""), ("Writeformat", "slin"), ("Writetrans", ""),
            ("Callgroup", "0"), ("Pickupgroup", "0"), ("Seconds", str(int(self.pbx.now() - c.created_at))),
        ]  # fmt: skip
