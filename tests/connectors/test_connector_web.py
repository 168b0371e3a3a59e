"""Web pages from a real loopback site: crawl depth, same-host only, content types, size caps, SSRF guard."""

from __future__ import annotations

import ipaddress

import pytest
from connector_helpers import Reply

import connectors.netguard as netguard
from connectors import ConnectorOptions, WebConnector, load_sources
from connectors.netguard import check_url
from rag.core.errors import ConnectorError
from rag.core.types import Document, Skipped


def page(title: str, body: str, links: list[str]) -> str:
    anchors = "".join(f'<a href="{href}">link</a>' for href in links)
    return (f"<html><head><title>{title}</title></head><body><nav>NAVIGATION</nav>"
            f"<main><p>{body}</p>{anchors}</main><footer>FOOTER</footer></body></html>")


@pytest.fixture
def site(serve):
    other = serve(lambda request: Reply(200, page("Other", "Other host page.", [])))

    def route(request):
        pages = {
            "/": page("Home", "Welcome home.", ["/a", "b#top", "/a", f"http://localhost:{other.port}/", "/logo.png",
                                                 "mailto:me@example.com", "javascript:void(0)"]),
            "/a": page("Page A", "About apples.", ["/a/deep"]),
            "/b": page("Page B", "About bananas.", ["/"]),
            "/a/deep": page("Deep", "Deep down.", ["/a/deeper"]),
            "/a/deeper": page("Deeper", "Deeper still.", []),
        }
        if request.path == "/logo.png":
            return Reply(200, b"\x89PNG....", {"Content-Type": "image/png"})
        if request.path in pages:
            return Reply(200, pages[request.path], {"Last-Modified": "Tue, 03 Nov 2026 10:00:00 GMT"})
        return Reply(404, "not found")

    return serve(route), other


def crawl(url: str, **options: object) -> list[Document | Skipped]:
    return list(WebConnector(url, ConnectorOptions(allow_private=True, **options)).load())  # type: ignore[arg-type]


def test_single_page_by_default(site) -> None:
    server, _ = site
    (doc,) = crawl(server.url + "/")
    assert doc.source_id == server.url + "/"
    assert doc.text.startswith("Welcome home.") and "NAVIGATION" not in doc.text and "FOOTER" not in doc.text
    assert doc.metadata == {"source": server.url + "/", "file_type": "html", "title": "Home",
                            "modified": "2026-11-03T10:00:00+00:00"}
    assert [r.path for r in server.requests] == ["/"]


def test_crawl_to_depth_stays_on_host(site) -> None:
    server, other = site
    items = crawl(server.url + "/", crawl_depth=2)
    documents = [i for i in items if isinstance(i, Document)]
    assert [d.metadata["title"] for d in documents] == ["Home", "Page A", "Page B", "Deep"]
    assert server.hits("/a/deeper") == 0  # depth 3
    assert server.hits("/a") == 1 and server.hits("/") == 1  # each page once, fragments and repeats folded
    assert other.requests == []  # another host is never followed
    (png,) = [i for i in items if isinstance(i, Skipped)]
    assert png.source.endswith("/logo.png") and "image/png" in png.reason


def test_max_pages_bounds_the_crawl(site) -> None:
    server, _ = site
    assert len(crawl(server.url + "/", crawl_depth=5, max_pages=2)) == 2
    assert len(server.requests) == 2


def test_plain_text_charset_and_size_cap(serve) -> None:
    body = "Grüße aus Köln.".encode("iso-8859-1")
    server = serve(lambda r: Reply(200, body if r.path == "/t" else b"x" * 5000,
                                   {"Content-Type": "text/plain; charset=iso-8859-1"}))
    (doc,) = crawl(server.url + "/t")
    assert doc.text == "Grüße aus Köln." and doc.metadata["file_type"] == "text"
    (big,) = crawl(server.url + "/big", max_response_bytes=1000)
    assert isinstance(big, Skipped) and "1000 byte limit" in big.reason


def test_loopback_refused_without_allow_private(site) -> None:
    server, _ = site
    (refused,) = load_sources([server.url + "/"])
    assert isinstance(refused, Skipped) and "non-public" in refused.reason and "--allow-private" in refused.reason
    assert server.requests == []


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1/", "http://localhost:8080/", "http://10.1.2.3/", "http://172.16.0.1/", "http://192.168.1.1/",
     "http://169.254.169.254/latest/meta-data", "http://[::1]/", "http://[fe80::1]/", "http://[::ffff:127.0.0.1]/",
     "http://0.0.0.0/", "http://100.64.0.1/", "http://240.0.0.1/", "http://224.0.0.1/"],
)
def test_non_public_addresses_are_refused(url: str) -> None:
    with pytest.raises(ConnectorError, match="non-public"):
        check_url(url)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/x", "gopher://x/"])
def test_only_http_schemes(url: str) -> None:
    with pytest.raises(ConnectorError, match="only http and https"):
        check_url(url, allow_private=True)


def test_public_literal_passes() -> None:
    check_url("http://93.184.216.34/")  # an IP literal needs no DNS


def test_redirects_are_rechecked_and_drop_credentials_across_origins(serve, monkeypatch) -> None:
    # treat 127.0.0.1 as "public" so the redirect target is the only private hop
    original = netguard.is_public
    monkeypatch.setattr(netguard, "is_public", lambda a: a == ipaddress.ip_address("127.0.0.1") or original(a))
    target = serve(lambda r: Reply(200, page("T", "Landed.", [])))
    server = serve(lambda r: Reply(302, "", {"Location": {"/private": "http://10.255.255.1/",
                                                          "/hop": f"http://127.0.0.1:{target.port}/x"}[r.path]}))
    (refused,) = WebConnector(server.url + "/private").load()
    assert isinstance(refused, Skipped) and "10.255.255.1" in refused.reason
    (landed,) = WebConnector(server.url + "/hop").load()
    assert isinstance(landed, Document) and landed.text == "Landed."

    import httpx

    from connectors.http import fetch

    with httpx.Client(timeout=2) as client:
        result = fetch(client, server.url + "/hop", allow_private=True, max_bytes=10_000,
                       headers={"Authorization": "Bearer nope"})
    assert result.status == 200
    assert server.requests[-1].headers.get("authorization") == "Bearer nope"
    assert "authorization" not in target.requests[-1].headers  # another origin: credentials dropped
