"""The client's IP: from ``settings.trustedProxy`` headers when configured, else the peer's.

As PocketBase's ``RealIP``: each configured header in order, its last occurrence, split on
commas, the rightmost valid IP (or the leftmost with ``useLeftmostIP``); the peer address when
none gives one. Only trust these headers behind a proxy that sets them.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any

import falcon

from pybase.apis.errors import ApiError
from pybase.tools.ratelimit import ip_in_list

if TYPE_CHECKING:
    from pybase.core.app import App


def check_superuser_ip(app: App, req: falcon.Request) -> None:
    """403 when ``settings.superuserIPs`` lists addresses and this request comes from none."""
    allowed = app.settings_store.live().get("superuserIPs") or []
    if allowed and not ip_in_list(real_ip(req), list(allowed)):
        raise ApiError(403)


def real_ip(req: falcon.Request) -> str:
    """The client's IP for this request (see :class:`ClientIpMiddleware`)."""
    ip = getattr(req.context, "real_ip", None)
    return ip if ip is not None else (req.remote_addr or "")


class SuperuserIpsMiddleware:
    """Superusers only from ``settings.superuserIPs`` (when it lists any), as PocketBase."""

    def __init__(self, app: App) -> None:
        self.app = app

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        auth = req.context.auth
        if auth is not None and auth.collection.is_superusers:
            check_superuser_ip(self.app, req)


class ClientIpMiddleware:
    """Resolves ``req.context.real_ip`` once per request."""

    def __init__(self, app: App) -> None:
        self.app = app
        self._seen: Any = None
        self._headers: tuple[str, ...] = ()
        self._leftmost = False

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        live = self.app.settings_store.live()
        if live is not self._seen:
            proxy = live.get("trustedProxy") or {}
            self._headers = tuple(str(h) for h in proxy.get("headers") or () if h)
            self._leftmost = bool(proxy.get("useLeftmostIP"))
            self._seen = live
        req.context.real_ip = self._from_headers(req) if self._headers else (req.remote_addr or "")

    def _from_headers(self, req: falcon.Request) -> str:
        for name in self._headers:
            values = req.get_header(name, default=None)
            if not values:
                continue
            # NOTE: Go's Header.Values: the last occurrence; WSGI joins repeats with ", ".
            parts = [p.strip() for p in values.split(",")]
            for part in parts if self._leftmost else reversed(parts):
                try:
                    return _expanded(ipaddress.ip_address(part))
                except ValueError:
                    continue
        return req.remote_addr or ""


def _expanded(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    """Go's ``Addr.StringExpanded``: IPv6 written in full, IPv4 as usual."""
    return address.exploded if address.version == 6 else str(address)
