"""Realtime: clients and their topics, the event bus, and which change reaches whom.

The SSE transport lives in the HTTP layer (``pybase.apis.realtime``); nothing here knows
about sockets.
"""

from pybase.core.realtime.access import can_receive
from pybase.core.realtime.broadcast import RecordBroadcaster
from pybase.core.realtime.broker import SubscriptionsBroker
from pybase.core.realtime.bus import EventBus, InProcessBus, RecordChange
from pybase.core.realtime.client import (
    AUTH_KEY,
    IP_KEY,
    Client,
    Message,
    SubscriptionOptions,
    Transport,
    as_message,
)

__all__ = [
    "AUTH_KEY", "IP_KEY", "Client", "EventBus", "InProcessBus", "Message", "RecordBroadcaster",
    "RecordChange", "SubscriptionOptions", "SubscriptionsBroker", "Transport", "as_message", "can_receive",
]
