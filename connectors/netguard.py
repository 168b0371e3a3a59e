"""Which URLs ragloom may fetch: http(s) only, and by default only public addresses.

A host is checked in every spelling an attacker might use: IP literals, the shorthand IPv4 forms
that ``inet_aton`` and browsers accept (``2130706433``, ``0x7f000001``, ``0177.0.0.1``, ``127.1``),
IPv6 forms that carry an IPv4 address inside (``::ffff:127.0.0.1``, ``::127.0.0.1``, 6to4, NAT64,
Teredo), well-known metadata host names, and DNS names (every address a name resolves to is
checked: one private address among public ones is enough to land inside the network). Redirect
targets are checked the same way by ``connectors.http.fetch``, and ``connectors.http`` checks the
address again at connect time, so a DNS answer that changes between check and connect (rebinding)
is caught too. Every refusal names the opt-in, ``--allow-private``.

``redact_url`` is what error messages and logs show: no credentials, no query string, and any
registered secret masked (a token can sit in the path). ``public_url`` is what is stored as a
document's source: the query is kept (it tells pages apart) but credentials and values of
key/token-like parameters become ``***``.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from rag.core.errors import ConnectorError
from rag.core.secrets import MASK, redact, register_secret

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

OPT_IN = "--allow-private (allow_private=True in the library or spec)"
# names that reach a cloud metadata service without DNS, or are loopback by definition
_BLOCKED_NAMES = {"localhost", "metadata", "metadata.google.internal", "metadata.goog", "instance-data",
                  "instance-data.ec2.internal", "metadata.azure.internal", "kubernetes.default.svc"}
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# query parameter names whose values are credentials: "token", "api_key", "X-Amz-Signature", "apiKey", ...
_SECRET_PARAM = re.compile(r"(^|[_\-.])(api[_-]?key|key|token|secret|passw(or)?d|pwd|sig(nature)?|auth(orization)?|"
                           r"credentials?|session(id)?)$|^(apikey|accesstoken|authtoken|sessionid)$", re.I)


def redact_url(url: str) -> str:
    """``url`` for messages: without user info, query string or fragment, secrets masked."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if ":" in host:
            host = f"[{host}]"
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "(unparseable URL)"
    return redact(f"{parts.scheme}://{host}{port}{parts.path}")


def public_url(url: str) -> str:
    """``url`` as stored and listed: no user info, values of secret-looking query parameters masked."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if ":" in host:
            host = f"[{host}]"
        netloc = f"{host}:{parts.port}" if parts.port else host
    except ValueError:
        return "(unparseable URL)"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(_SECRET_PARAM.search(name) for name, _ in pairs):
            masked = [(name, MASK if _SECRET_PARAM.search(name) else value) for name, value in pairs]
            query = urlencode(masked, safe="*", quote_via=quote)
    return redact(urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment)))


def register_url_secrets(url: str) -> None:
    """Register the password and secret-looking query values of ``url`` so no message shows them."""
    try:
        parts = urlsplit(url)
        register_secret(parts.password)
        for name, value in parse_qsl(parts.query, keep_blank_values=True):
            if _SECRET_PARAM.search(name):
                register_secret(value)
    except ValueError:
        return


def parse_ipv4_loose(host: str) -> ipaddress.IPv4Address | None:
    """The address of a shorthand IPv4 spelling as ``inet_aton`` reads it (1-4 parts, decimal,
    ``0x`` hex or ``0``-prefixed octal), or ``None`` when ``host`` is not one."""
    parts = host[:-1].split(".") if host.endswith(".") else host.split(".")
    if not 1 <= len(parts) <= 4:
        return None
    numbers: list[int] = []
    for part in parts:
        try:
            if part.lower().startswith("0x"):
                numbers.append(int(part[2:] or "0", 16))
            elif len(part) > 1 and part.startswith("0"):
                numbers.append(int(part, 8))
            elif part.isdigit():
                numbers.append(int(part))
            else:
                return None
        except ValueError:
            return None
    *head, last = numbers
    if any(n > 255 for n in head) or last >= 256 ** (4 - len(head)):
        return None
    value = last
    for index, number in enumerate(head):
        value += number << (8 * (3 - index))
    return ipaddress.IPv4Address(value)


def literal_address(host: str) -> IPAddress | None:
    """``host`` as an IP address if it is one in any spelling (zone ids dropped), else ``None``."""
    host = host.strip("[]").split("%", 1)[0]
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return parse_ipv4_loose(host)


def _embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    inner: list[ipaddress.IPv4Address] = []
    if address.ipv4_mapped is not None:
        inner.append(address.ipv4_mapped)
    if address.sixtofour is not None:
        inner.append(address.sixtofour)
    if address.teredo is not None:
        inner.extend(address.teredo)
    packed = address.packed
    if address in _NAT64 or (packed[:12] == bytes(12) and int(address) > 1):  # NAT64, IPv4-compatible ::a.b.c.d
        inner.append(ipaddress.IPv4Address(packed[12:]))
    return inner


def is_public(address: IPAddress) -> bool:
    """False for loopback, private, link-local, shared, reserved, multicast and unspecified addresses,
    and for IPv6 addresses that carry such an IPv4 address."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:a.b.c.d is a.b.c.d on the wire
    candidates: list[IPAddress] = [address]
    if isinstance(address, ipaddress.IPv6Address):
        candidates += _embedded_ipv4(address)
    return all(
        a.is_global and not (a.is_multicast or a.is_reserved or a.is_link_local or a.is_loopback
                             or a.is_private or a.is_unspecified)
        for a in candidates
    )


def resolve(host: str, port: int) -> set[IPAddress]:
    """Every address ``host`` resolves to (an IP literal in any spelling resolves to itself)."""
    literal = literal_address(host)
    if literal is not None:
        return {literal}
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError) as exc:
        raise ConnectorError(f"cannot resolve host {redact(host)!r}") from exc
    return {ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos}


def checked_addresses(host: str, port: int, *, allow_private: bool, shown: str | None = None) -> list[IPAddress]:
    """The addresses of ``host`` that may be contacted; raises ``ConnectorError`` (naming the opt-in)
    if any of them is not public and ``allow_private`` is off."""
    name = host.strip("[]").lower().rstrip(".")
    shown = shown or name
    if not allow_private and (name in _BLOCKED_NAMES or name.endswith(".localhost")):
        raise ConnectorError(f"refused {shown}: {name} is a non-public host (loopback or cloud metadata); "
                             f"pass {OPT_IN} to permit loopback/private hosts")
    addresses = sorted(resolve(name, port), key=str)
    if not allow_private:
        for address in addresses:
            if not is_public(address):
                raise ConnectorError(f"refused {shown}: {name} is a non-public address ({address}); "
                                     f"pass {OPT_IN} to permit loopback/private hosts")
    return addresses


def check_url(url: str, *, allow_private: bool = False) -> None:
    """Raise ``ConnectorError`` unless ``url`` is http(s) with a host that resolves to public addresses only."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise ConnectorError(f"invalid URL {redact_url(url)}: {exc}") from exc
    if parts.scheme.lower() not in ("http", "https"):
        raise ConnectorError(f"only http and https URLs can be fetched, not {parts.scheme or 'no scheme'}:")
    if not parts.hostname:
        raise ConnectorError(f"URL has no host: {redact_url(url)}")
    if not allow_private:  # with the opt-in, the connect-time resolution is enough
        checked_addresses(parts.hostname, port, allow_private=False, shown=redact_url(url))
