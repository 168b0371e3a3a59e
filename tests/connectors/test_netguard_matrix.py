"""The network-guard matrix: every spelling of a non-public address is refused before any socket opens,
redirects are checked hop by hop against real servers on 127.0.0.1, and a request has a whole deadline.

Traffic only ever goes to 127.0.0.1: every test records each connect and fails on any other address.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from connector_helpers import Reply

from connectors import netguard
from connectors.api import ApiConnector
from connectors.api_spec import spec_from_dict
from connectors.http import DeadlineExceeded, fetch, guarded_client
from connectors.netguard import check_url, is_public, literal_address, parse_ipv4_loose
from connectors.options import ConnectorOptions
from connectors.tools import ApiTool, ToolError
from connectors.web import WebConnector
from rag.core.errors import ConnectorError
from rag.core.types import Skipped

LOOPBACK_SPELLINGS = [
    "127.0.0.1", "2130706433", "0x7f000001", "0x7F.0.0.1", "0177.0.0.1", "0177.0000.0000.0001", "127.1",
    "127.0.1", "017700000001", "[::1]", "[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "[0:0:0:0:0:ffff:127.0.0.1]",
    "[::127.0.0.1]", "localhost", "LOCALHOST.", "app.localhost", "127.0.0.1.", "[64:ff9b::7f00:1]",
    "[2002:7f00:1::]",
]
PRIVATE_SPELLINGS = [
    "10.0.0.1", "0xa000001", "167772161", "012.0.0.1", "10.1", "172.16.0.1", "192.168.1.1", "0xc0a80101",
    "100.64.0.1", "0.0.0.0", "0", "[::]", "[fc00::1]", "[fd00:ec2::254]", "[::ffff:10.0.0.1]", "224.0.0.1",
    "240.0.0.1", "255.255.255.255",
]
METADATA_SPELLINGS = [
    "169.254.169.254", "2852039166", "0xa9fea9fe", "0251.0376.0251.0376", "169.254.43518", "[fe80::1]",
    "[fe80::1%25eth0]", "[::ffff:169.254.169.254]", "[::ffff:a9fe:a9fe]", "metadata.google.internal",
    "metadata", "instance-data",
]
EVIL_NAMES = {"rebind.test": "127.0.0.1", "intranet.test": "10.9.8.7", "meta.test": "169.254.169.254",
              "v6.test": "::1", "mixed.test": "93.184.216.34,192.168.0.5"}


@pytest.fixture
def no_sockets(monkeypatch) -> Iterator[list[tuple]]:
    """Any connect fails the test; names in EVIL_NAMES resolve without DNS; other lookups fail."""
    attempts: list[tuple] = []

    def refuse_connect(self, address):  # noqa: ANN001
        attempts.append(address)
        raise AssertionError(f"a socket tried to connect to {address}")

    def fake_getaddrinfo(host, port, *args, **kwargs):  # noqa: ANN001
        if host not in EVIL_NAMES:
            raise socket.gaierror(f"no DNS in tests: {host}")
        out = []
        for address in EVIL_NAMES[host].split(","):
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            out.append((family, socket.SOCK_STREAM, 6, "", (address, port)))
        return out

    monkeypatch.setattr(socket.socket, "connect", refuse_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse_connect)
    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
    yield attempts
    assert attempts == []


@pytest.fixture
def loopback_only(monkeypatch) -> Iterator[list[tuple]]:
    """Record every connect; any address other than 127.0.0.1 fails the test (and is never reached)."""
    seen: list[tuple] = []
    real_connect = socket.socket.connect

    def guarded_connect(self, address):  # noqa: ANN001
        seen.append(address)
        if not (isinstance(address, tuple) and address[0] == "127.0.0.1"):
            raise AssertionError(f"a socket tried to connect to {address}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    yield seen
    assert all(address[0] == "127.0.0.1" for address in seen)


@pytest.fixture
def loopback_counts_as_public(monkeypatch) -> None:
    """Let our 127.0.0.1 test server stand in for a public server (and nothing else)."""
    real = netguard.is_public
    monkeypatch.setattr(netguard, "is_public", lambda a: str(a) == "127.0.0.1" or real(a))


def test_loose_ipv4_spellings_parse_like_inet_aton() -> None:
    for spelling in ("2130706433", "0x7f000001", "0177.0.0.1", "127.1", "0x7f.1", "127.0.1", "0x7F000001."):
        assert str(parse_ipv4_loose(spelling)) == "127.0.0.1", spelling
        assert socket.inet_aton(spelling.rstrip(".")) == socket.inet_aton("127.0.0.1")
    for not_an_address in ("example.com", "256.1.1.1", "1.2.3.4.5", "08.1.1.1", "1e3", "", "127.0.0.1a"):
        assert parse_ipv4_loose(not_an_address) is None, not_an_address


@pytest.mark.parametrize("host", LOOPBACK_SPELLINGS + PRIVATE_SPELLINGS + METADATA_SPELLINGS + sorted(EVIL_NAMES))
def test_every_spelling_is_refused_before_connecting_and_names_the_opt_in(host: str, no_sockets) -> None:
    url = f"http://{host}:8080/latest/meta-data?x=1"
    with pytest.raises(ConnectorError, match="--allow-private") as refused:
        check_url(url)
    assert "non-public" in str(refused.value)


@pytest.mark.parametrize("host", ["[::ffff:127.0.0.1]", "0177.0.0.1", "intranet.test", "metadata.google.internal"])
def test_each_connector_refuses_before_connecting(host: str, no_sockets, tmp_path: Path) -> None:
    url = f"http://{host}/items"
    (page,) = WebConnector(url).load()
    assert isinstance(page, Skipped) and "--allow-private" in page.reason
    spec = spec_from_dict({"name": "t", "url": url, "max_retries": 0})
    with pytest.raises(ConnectorError, match="--allow-private"):
        list(ApiConnector(spec).load())
    tool = ApiTool(spec_from_dict({"name": "t", "url": url + "?q={query}", "max_retries": 0}))
    with pytest.raises(ToolError, match="--allow-private"):
        tool.fetch("hello")


def test_dns_rebinding_is_caught_at_connect_time(monkeypatch, no_sockets) -> None:
    """The name looks public when checked, then resolves to loopback when httpx connects."""
    answers = iter(["93.184.216.34", "127.0.0.1"])
    monkeypatch.setitem(EVIL_NAMES, "rebind.test", "93.184.216.34")
    real = socket.getaddrinfo

    def flipping(host, port, *args, **kwargs):  # noqa: ANN001
        if host == "rebind.test":
            EVIL_NAMES["rebind.test"] = next(answers)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", flipping)
    with guarded_client(timeout=2, allow_private=False) as client, pytest.raises(ConnectorError, match="127.0.0.1"):
        fetch(client, "http://rebind.test/", allow_private=False, max_bytes=1000)


def test_public_addresses_pass() -> None:
    for address in ("93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "8.8.8.8", "::ffff:8.8.8.8"):
        assert is_public(literal_address(address)), address


# -- redirects, against real servers on 127.0.0.1 ---------------------------------------------------------------

REFUSED_TARGETS = ["http://10.0.0.1/", "http://169.254.169.254/latest/meta-data", "http://0xa9fea9fe/",
                   "http://[::ffff:169.254.169.254]/", "http://localhost:1/", "http://intranet.test/",
                   "http://192.168.0.1:8080/admin", "http://0251.0376.0251.0376/"]


@pytest.mark.parametrize("target", REFUSED_TARGETS)
def test_a_public_page_redirecting_inward_is_refused(target: str, serve, loopback_only, loopback_counts_as_public,
                                                      monkeypatch) -> None:
    monkeypatch.setitem(EVIL_NAMES, "intranet.test", "10.9.8.7")
    monkeypatch.setattr(socket, "getaddrinfo", _fake_dns(socket.getaddrinfo))
    server = serve(lambda r: Reply(302, headers={"Location": target}))
    (page,) = WebConnector(server.url + "/start").load()
    # httpx itself rejects some spellings in a Location (octal parts): refused as invalid, still unreached
    assert isinstance(page, Skipped) and ("--allow-private" in page.reason or "not a valid" in page.reason), page
    assert server.hits("/start") == 1


@pytest.mark.parametrize("target", ["file:///etc/passwd", "gopher://127.0.0.1:70/_x", "ftp://127.0.0.1/x",
                                    "dict://127.0.0.1:11211/", "javascript:alert(1)", "data:text/plain,hi"])
def test_redirects_never_leave_http_even_with_the_opt_in(target: str, serve, loopback_only) -> None:
    server = serve(lambda r: Reply(301, headers={"Location": target}))
    (page,) = WebConnector(server.url + "/", ConnectorOptions(allow_private=True)).load()
    assert isinstance(page, Skipped) and "only http and https" in page.reason


def test_with_the_opt_in_loopback_redirects_are_followed(serve, loopback_only) -> None:
    target = serve(lambda r: Reply(200, "<p>arrived</p>"))
    start = serve(lambda r: Reply(307, headers={"Location": f"http://0x7f000001:{target.port}/end"}))
    (page,) = WebConnector(start.url + "/", ConnectorOptions(allow_private=True)).load()
    assert page.text == "arrived" and target.hits("/end") == 1


def test_redirect_loops_stop(serve, loopback_only) -> None:
    server = serve(lambda r: Reply(302, headers={"Location": "/again"}))
    (page,) = WebConnector(server.url + "/", ConnectorOptions(allow_private=True)).load()
    assert isinstance(page, Skipped) and "redirects" in page.reason


# -- size cap and whole-request deadline ------------------------------------------------------------------------


def test_response_size_is_capped(serve, loopback_only) -> None:
    server = serve(lambda r: Reply(200, "x" * 5000, headers={"Content-Type": "text/plain"}))
    with guarded_client(timeout=5, allow_private=True) as client, pytest.raises(ConnectorError, match="limit"):
        fetch(client, server.url + "/", allow_private=True, max_bytes=1000)


class _Dripper:
    """A raw TCP server on 127.0.0.1 that trickles a response one byte at a time (headers or body)."""

    def __init__(self, part: str, interval: float = 0.05) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.part, self.interval = part, interval
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        self.sock.settimeout(5)
        try:
            conn, _ = self.sock.accept()
        except OSError:
            return
        with conn:
            conn.recv(65536)
            head = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100000\r\n"
            drip = head + b"X-Slow: " + b"a" * 100000 if self.part == "headers" else head + b"\r\n" + b"b" * 100000
            for index in range(len(drip)):
                if self.stop.is_set():
                    return
                try:
                    conn.sendall(drip[index:index + 1])
                except OSError:
                    return  # the client hung up: what we want
                time.sleep(self.interval)

    def close(self) -> None:
        self.stop.set()
        self.sock.close()
        self.thread.join(5)


@pytest.mark.parametrize("part", ["headers", "body"])
def test_a_trickling_server_hits_the_whole_request_deadline(part: str, loopback_only) -> None:
    dripper = _Dripper(part)
    try:
        with guarded_client(timeout=0.6, allow_private=True) as client, pytest.raises(DeadlineExceeded,
                                                                                      match="whole-request"):
            fetch(client, f"http://127.0.0.1:{dripper.port}/", allow_private=True, max_bytes=10**6)
    finally:
        dripper.close()


def test_the_deadline_reaches_the_web_connector(loopback_only) -> None:
    dripper = _Dripper("body")
    try:
        (page,) = WebConnector(f"http://127.0.0.1:{dripper.port}/",
                               ConnectorOptions(allow_private=True, http_timeout=0.5)).load()
    finally:
        dripper.close()
    assert isinstance(page, Skipped) and "within 0.5s" in page.reason


def _fake_dns(real):  # noqa: ANN001, ANN202
    def lookup(host, port, *args, **kwargs):  # noqa: ANN001
        if host in EVIL_NAMES:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (EVIL_NAMES[host], port))]
        if host in ("127.0.0.1", "localhost"):
            return real(host, port, *args, **kwargs)
        raise socket.gaierror(f"no DNS in tests: {host}")
    return lookup


def test_httpx_is_never_given_a_chance_to_follow_redirects() -> None:
    with guarded_client(timeout=1, allow_private=False) as client:
        assert client.follow_redirects is False
        assert isinstance(client, httpx.Client)
