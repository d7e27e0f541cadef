"""What every request passes: the Host allow-list, trusted proxies, security headers.

All three are pure ASGI, so streamed bodies pass untouched.

Only names on the allow-list may appear in ``Host`` (a DNS-rebinding page or a
forged Host is answered 400), and the CSRF origin check compares with the same
list. Proxy headers are ignored unless the connection comes from a proxy named
with ``--trusted-proxy``: then the client is the last ``X-Forwarded-For`` hop
that is not a trusted proxy, which is what the brake counts and the audit records.

The CSP allows scripts and styles only from this server (no inline script, no
outside asset), images from this server and ``blob:`` (a revealed picture is a
blob that is revoked when it is hidden again), and no framing.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vigil.errors import UsageError

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

CSP = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' blob:",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    )
)

HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    # Nothing the app serves may sit in a browser or proxy cache: pictures least of all.
    (b"cache-control", b"no-store"),
    (b"pragma", b"no-cache"),
)


class SecurityHeaders:
    """Adds :data:`HEADERS` to every HTTP response, replacing any the route set."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        names = {name for name, _ in HEADERS}

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names]
                message["headers"] = kept + list(HEADERS)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def host_of(netloc: str) -> str:
    """The host name of a ``Host`` header or URL netloc: lower case, no port, no brackets.

    An empty string for anything that is not a plain host (user info, a bad bracket).
    """
    netloc = netloc.strip().lower()
    if "@" in netloc:
        return ""
    if netloc.startswith("["):
        end = netloc.find("]")
        rest = netloc[end + 1 :]
        if end < 0 or (rest and not rest.startswith(":")):
            return ""
        return netloc[1:end]
    if netloc.count(":") > 1:  # a bare IPv6 address
        return netloc
    return netloc.split(":", 1)[0].rstrip(".")


def normal_hosts(names: Iterable[str]) -> frozenset[str]:
    """Allow-list entries as :func:`host_of` gives them (``[::1]`` and ``::1`` are one)."""
    return frozenset(host_of(name) for name in names) - {""}


def trusted_networks(proxies: Iterable[str]) -> tuple[Network, ...]:
    """The proxies' addresses or networks; UsageError naming one that is neither."""
    networks = []
    for proxy in proxies:
        try:
            networks.append(ipaddress.ip_network(proxy.strip(), strict=False))
        except ValueError:
            raise UsageError(
                f"--trusted-proxy {proxy!r} is not an IP address or network (e.g. 10.0.0.0/8)"
            ) from None
    return tuple(networks)


class AllowedHosts:
    """Answers 400 to a request whose ``Host`` names none of ``hosts``."""

    def __init__(self, app: ASGIApp, hosts: Iterable[str]) -> None:
        self.app = app
        self.hosts = normal_hosts(hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            host = Headers(scope=scope).get("host")
            if host is None or host_of(host) not in self.hosts:
                refusal = PlainTextResponse(
                    "unknown host name: allow it with vigil serve --allowed-host NAME",
                    status_code=400,
                )
                await refusal(scope, receive, send)
                return
        await self.app(scope, receive, send)


class TrustedProxies:
    """Takes the client address from ``X-Forwarded-For``, but only from a trusted proxy.

    Without trusted proxies the ASGI ``client`` (the TCP peer) is left alone and
    every proxy header is ignored, whoever sends it.
    """

    def __init__(self, app: ASGIApp, proxies: Iterable[str]) -> None:
        self.app = app
        self.networks = trusted_networks(proxies)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        peer = scope.get("client")
        if scope["type"] == "http" and self.networks and peer and self._trusted(peer[0]):
            hops = [
                hop.strip()
                for header in Headers(scope=scope).getlist("x-forwarded-for")
                for hop in header.split(",")
            ]
            client = self._client_of(hops)
            if client is not None:
                scope = dict(scope, client=(client, 0))
        await self.app(scope, receive, send)

    def _trusted(self, address: str) -> bool:
        parsed = _address(address)
        return parsed is not None and any(parsed in network for network in self.networks)

    def _client_of(self, hops: list[str]) -> str | None:
        # Each proxy appends the address it saw: read from the right, past our own
        # proxies. What lies left of the first outside address was written by the
        # client and proves nothing. A malformed hop there keeps the peer address.
        for hop in reversed(hops):
            parsed = _address(hop)
            if parsed is None:
                return None
            if not any(parsed in network for network in self.networks):
                return str(parsed)
        return None


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("["):  # [v6]:port
        text = text[1 : text.find("]")] if "]" in text else ""
    elif text.count(":") == 1:  # v4:port
        text = text.split(":", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None
