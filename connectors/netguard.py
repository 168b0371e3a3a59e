"""Which URLs ragloom may fetch: http(s) only, and by default only public addresses.

Every address a host name resolves to is checked, because one private address among public ones is
enough for a request to land inside the network (SSRF). Redirect targets are checked the same way by
``connectors.http.fetch``. ``redact_url`` is what error messages and logs show: no credentials, no
query string (API keys often live there).
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from rag.core.errors import ConnectorError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def redact_url(url: str) -> str:
    """``url`` without user info, query string or fragment."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if ":" in host:
            host = f"[{host}]"
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "(unparseable URL)"
    return f"{parts.scheme}://{host}{port}{parts.path}"


def is_public(address: IPAddress) -> bool:
    """False for loopback, private, link-local, shared, reserved, multicast and unspecified addresses."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not (
        address.is_multicast or address.is_reserved or address.is_link_local or address.is_loopback
        or address.is_private or address.is_unspecified
    )


def resolve(host: str, port: int) -> set[IPAddress]:
    """Every address ``host`` resolves to (an IP literal resolves to itself)."""
    try:
        return {ipaddress.ip_address(host)}
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise ConnectorError(f"cannot resolve host {host!r}") from exc
    return {ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos}


def check_url(url: str, *, allow_private: bool = False) -> None:
    """Raise ``ConnectorError`` unless ``url`` is http(s) with a host that resolves to public addresses only."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise ConnectorError(f"invalid URL {redact_url(url)}: {exc}") from exc
    if parts.scheme not in ("http", "https"):
        raise ConnectorError(f"only http and https URLs can be fetched, not {parts.scheme or 'no scheme'}:")
    if not parts.hostname:
        raise ConnectorError(f"URL has no host: {redact_url(url)}")
    if allow_private:
        return
    for address in sorted(resolve(parts.hostname, port), key=str):
        if not is_public(address):
            raise ConnectorError(
                f"refused {redact_url(url)}: {parts.hostname} is a non-public address ({address}); "
                "pass --allow-private to permit loopback/private hosts"
            )
