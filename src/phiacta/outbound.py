"""Which URLs webhooks and extension health checks may call (pure), against SSRF.

Agents register these URLs, and the server calls them from inside its network, so in
production a URL may not lead to the server's neighbours: loopback, private, link-local (cloud
metadata at 169.254.169.254), multicast and reserved addresses are refused, as are the ports of
databases and caches, credentials in the URL and schemes other than http(s).
``EXTENSION_ALLOWED_HOSTS`` (host names or CIDRs) lets chosen internal hosts through. In
development any address may be called (local receivers are the normal case), but the scheme,
credential and port rules still apply.

A URL is checked when it is registered (422 ``BLOCKED_URL``) and again before every call, on
the addresses its host resolves to then, so a name that later resolves inward is refused too.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from phiacta.errors import field_error, validation_failed

BLOCKED_PORTS = frozenset({5432, 6379, 3306, 27017, 11211, 9200, 9300})

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class OutboundPolicy:
    restrict_addresses: bool
    """True in production."""
    allowed_hosts: Sequence[str] = ()
    """Host names, or CIDRs (``10.0.0.0/8``), let through although internal."""

    def url_problem(self, url: str) -> str | None:
        """Why ``url`` may not be called, judged without resolving its host; None if it may."""
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"}:
            return "only http and https URLs are called"
        if parts.username or parts.password:
            return "credentials in a URL are not sent"
        host = (parts.hostname or "").lower()
        if not host:
            return "the URL has no host"
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            return "the URL's port is not a number"
        if port in BLOCKED_PORTS:
            return f"port {port} is a database or cache port"
        if not self.restrict_addresses or host in self.allowed_hosts:
            return None
        if host == "localhost" or host.endswith(".localhost"):
            return "localhost is not called"
        try:
            literal = ipaddress.ip_address(host)
        except ValueError:
            return None  # a name: judged on its addresses when it is called
        return self.address_problem(host, [literal])

    def refuse_blocked(self, urls: dict[str, str | None]) -> None:
        """422 ``BLOCKED_URL`` naming each field whose URL may not be called."""
        problems = [
            field_error(field, "BLOCKED_URL", problem)
            for field, url in urls.items()
            if url is not None and (problem := self.url_problem(url)) is not None
        ]
        if problems:
            raise validation_failed(problems)

    def address_problem(self, host: str, addresses: Iterable[Address]) -> str | None:
        """Why ``host``, resolving to ``addresses``, may not be called; None if it may."""
        if not self.restrict_addresses or host.lower() in self.allowed_hosts:
            return None
        for address in addresses:
            if self._allowed_network(address):
                continue
            if not address.is_global or address.is_multicast:
                return f"{address} is an internal address"
        return None

    def _allowed_network(self, address: Address) -> bool:
        for entry in self.allowed_hosts:
            try:
                if address in ipaddress.ip_network(entry, strict=False):
                    return True
            except ValueError:
                continue  # a host name entry
        return False
