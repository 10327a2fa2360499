"""Downloads from URLs a third party chose, refused when they lead to this machine's network.

As PocketBase's ``safeHTTPClient``: the address is checked once the connection is made (so a DNS
answer that changes between lookup and connect cannot slip through), and loopback, unspecified,
private, link-local and multicast addresses are refused, redirects included. The checks follow
Go's ``net.IP`` methods, so documentation and other special ranges pass as they do there.
"""

from __future__ import annotations

import ipaddress
import posixpath
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

#: Go's IsPrivate ranges (RFC 1918 and RFC 4193)
_PRIVATE = tuple(ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"))
_LINK_LOCAL_UNICAST = tuple(ipaddress.ip_network(n) for n in ("169.254.0.0/16", "fe80::/10"))


class DisallowedAddressError(requests.ConnectionError):
    """The URL resolved to an address outside the public internet."""


def is_public_ip(text: str) -> bool:
    """Whether ``text`` is an IP address PocketBase's safe client would connect to."""
    try:
        ip = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback or ip.is_unspecified or ip.is_multicast:
        return False
    return not any(ip in net for net in (*_PRIVATE, *_LINK_LOCAL_UNICAST))


def _checked(conn: Any) -> Any:
    sock = conn.sock
    peer = sock.getpeername()[0] if sock is not None else ""
    if not is_public_ip(peer):
        conn.close()
        raise DisallowedAddressError(f"address {peer!r} is invalid or resolves to a disallowed IP")
    return conn


class _CheckedHTTPConnection(HTTPConnection):
    def connect(self) -> None:
        super().connect()
        _checked(self)


class _CheckedHTTPSConnection(HTTPSConnection):
    def connect(self) -> None:
        super().connect()
        _checked(self)


class _CheckedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _CheckedHTTPConnection


class _CheckedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _CheckedHTTPSConnection


class _CheckedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _CheckedHTTPPool, "https": _CheckedHTTPSPool}


def download(url: str, *, max_bytes: int, timeout: float = 10) -> tuple[bytes, str]:
    """The body (at most ``max_bytes``) and the URL path's base name; raises on any failure."""
    with requests.Session() as session:
        session.trust_env = False  # NOTE: no proxy from the environment: the check is on the peer
        adapter = _CheckedAdapter()
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        with session.get(url, timeout=timeout, stream=True) as resp:
            if resp.status_code < 200 or resp.status_code > 399:
                raise requests.HTTPError(f"failed to download url {url} ({resp.status_code})")
            body = bytearray()
            for chunk in resp.iter_content(64 << 10):
                body += chunk
                if len(body) >= max_bytes:
                    del body[max_bytes:]
                    break
    return bytes(body), posixpath.basename(urlsplit(url).path) or "avatar"
