"""Outbound HTTP (webhook deliveries, images fetched by URL) that cannot be aimed at internal services.

A URL given by a project member is fetched by the server, so without a guard it could reach the
database, Redis, a cloud metadata endpoint (169.254.169.254) or anything else on the private
network (server-side request forgery). The guard checks the address a connection actually reached
(after DNS resolution, on every redirect hop), so a hostname that resolves or re-resolves to a
private address is caught as well as a literal one.

``ANNOTATION_QC["OUTBOUND_ALLOW_PRIVATE"]`` (env ``AQC_OUTBOUND_ALLOW_PRIVATE``) lifts the guard: on
by default for development and tests (local receivers), off in production.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


class BlockedAddress(OSError):
    """The connection reached an address that outbound requests may not use."""


def private_allowed() -> bool:
    return bool(settings.ANNOTATION_QC.get("OUTBOUND_ALLOW_PRIVATE", False))


def is_public_address(address: str) -> bool:
    """A globally routable unicast address (not loopback, private, link-local, multicast, reserved...)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        # IPv6 forms that carry an IPv4 address (mapped, 6to4, NAT64) are judged by that address.
        if ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        elif ip.sixtofour is not None:
            ip = ip.sixtofour
        elif ip in _NAT64:
            ip = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip.is_global and not ip.is_multicast


def literal_host_problem(url: str) -> str | None:
    """Why a URL's host is refused before any connection (an internal literal address or name), else None.

    Used to reject a webhook URL as input; names resolving to private addresses are caught on connect.
    """
    if private_allowed():
        return None
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
        return f"{host} is an internal host name"
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return None
    if not is_public_address(host):
        return f"{host} is not a public address"
    return None


def _check_peer(sock: socket.socket | None, host: str) -> None:
    if sock is None or private_allowed():
        return
    peer = sock.getpeername()[0]
    if not is_public_address(peer):
        sock.close()
        raise BlockedAddress(f"{host} resolved to {peer}, which is not a public address")


class _GuardedHTTPConnection(http.client.HTTPConnection):
    def connect(self) -> None:
        super().connect()
        _check_peer(self.sock, self.host)


class _GuardedHTTPSConnection(http.client.HTTPSConnection):
    def connect(self) -> None:
        # HTTPSConnection.connect wraps the socket in TLS; check the peer before any bytes are sent.
        http.client.HTTPConnection.connect(self)
        _check_peer(self.sock, self.host)
        server_hostname = self._tunnel_host or self.host  # type: ignore[attr-defined]
        self.sock = self._context.wrap_socket(  # type: ignore[attr-defined]
            self.sock, server_hostname=server_hostname
        )


class _GuardedHTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_GuardedHTTPConnection, req)


class _GuardedHTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_GuardedHTTPSConnection, req)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def build_opener(*, follow_redirects: bool) -> urllib.request.OpenerDirector:
    """A urllib opener whose every connection (redirects included) passes the address guard.

    The guard itself is read per connection, so a settings change applies to an existing opener.
    """
    handlers: list[Any] = [_GuardedHTTPHandler(), _GuardedHTTPSHandler()]
    if not follow_redirects:
        handlers.append(_NoRedirect())
    return urllib.request.build_opener(*handlers)
