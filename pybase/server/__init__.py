"""Serving HTTP with waitress: one module per part.

- :mod:`pybase.server.serve`: :class:`Server`: listen, the loop thread and its watchdog, drain;
- :mod:`pybase.server.dispatch`: :class:`DispatchPolicy`: inline, worker threads or slow lane;
- :mod:`pybase.server.connection`: a connection's channel and tasks (inline runs, the response
  head, one send per response, realtime streams handed over).
"""

from pybase.server.dispatch import INLINE_BODY_MAX, SLOW_STRIKES, DispatchPolicy
from pybase.server.serve import MAX_REQUEST_BODY, Server

__all__ = ["INLINE_BODY_MAX", "MAX_REQUEST_BODY", "SLOW_STRIKES", "DispatchPolicy", "Server"]
