"""ImageResolver against a real HTTP server on 127.0.0.1: formats, failures that become
warnings, limits (size, time, gzip bombs, redirects), retries, politeness, and the cache."""

from __future__ import annotations

import gzip
import os
import threading
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from feed2book.images import (
    EmbeddedImage,
    ImageOptions,
    ImageResolver,
    ImageStats,
    default_cache_dir,
)
from feed2book.models import Problem, Severity
from feed2book.sources.fetch import USER_AGENT
from tests import images_fixtures as fx
from tests.httpserver import Route, Server

pytestmark = pytest.mark.network


def options(tmp_path: Path, **changes: object) -> ImageOptions:
    return ImageOptions(cache_dir=tmp_path / "cache", **changes)  # type: ignore[arg-type]


def resolve(
    resolver: ImageResolver, urls: list[str]
) -> tuple[dict[str, EmbeddedImage | None], list[Problem]]:
    problems: list[Problem] = []
    return resolver.resolve(urls, on_problem=problems.append), problems


def test_fixtures_resolved_failures_reported_once(server: Server, tmp_path: Path) -> None:
    good = {
        "/photo.webp": (fx.webp_photo(), "image/jpeg"),
        "/alpha.png": (fx.png_with_alpha(), "image/png"),
        "/huge.jpg": (fx.huge_jpeg(), "image/jpeg"),
        "/rotated.jpg": (fx.exif_rotated_jpeg(), "image/jpeg"),
        "/cmyk.jpg": (fx.cmyk_jpeg(), "image/jpeg"),
        "/anim.gif": (fx.animated_gif(), "image/png"),
        "/photo.bmp": (fx.bmp_photo(), "image/jpeg"),
        "/diagram.tiff": (fx.tiff_diagram(), "image/png"),
        "/clean.svg": (fx.CLEAN_SVG, "image/svg+xml"),
        "/mislabelled.gif": (fx.png_with_alpha(), "image/png"),  # bytes win over the name
    }
    for path, (body, _) in good.items():
        server.route(path, body=body, headers={"Content-Type": "image/jpeg"})
    server.route("/pixel.gif", body=fx.one_pixel_gif())
    server.route("/script.svg", body=fx.SCRIPT_SVG, headers={"Content-Type": "image/svg+xml"})
    server.route("/big.jpg", body=fx.noise_jpeg(800, 800, seed=1))
    server.route("/page.jpg", body=b"<!doctype html><html><body>Sorry</body></html>")
    urls = [server.url(path) for path in good] + [
        server.url(path) for path in ("/pixel.gif", "/script.svg", "/missing.png", "/big.jpg")
    ]
    urls += [server.url("/page.jpg"), "ftp://example.com/x.png", urls[0], fx.png_data_uri()]
    with ImageResolver(options(tmp_path, max_bytes=600_000)) as resolver:
        images, problems = resolve(resolver, urls)
        assert list(images) == list(dict.fromkeys(urls))  # first-seen order, each once
        for path, (_, media_type) in good.items():
            image = images[server.url(path)]
            assert image is not None and image.media_type == media_type, path
        assert images[server.url("/huge.jpg")].width == 1600  # type: ignore[union-attr]
        assert images[fx.png_data_uri()] is not None
        assert resolver.dropped == {server.url("/pixel.gif")}
        failed = {problem.source: problem.message for problem in problems}
        assert failed == {
            server.url("/script.svg"): "image not included: the SVG contains <script>",
            server.url("/missing.png"): "image not included: HTTP 404 Not Found",
            server.url("/big.jpg"): "image not included: larger than the size limit (0.572 MB)",
            server.url(
                "/page.jpg"
            ): "image not included: not an image (the server sent an HTML page)",
            "ftp://example.com/x.png": "image not included: not an http(s) or data: address",
        }
        assert all(problem.severity is Severity.WARNING for problem in problems)
        for url in failed:
            assert images[url] is None
        stats = resolver.stats
        assert (stats.downloaded, stats.cached, stats.failed, stats.dropped) == (11, 0, 5, 1)
        assert stats.converted == 9  # the two alpha PNGs needed no change
        assert stats.bytes_out < stats.bytes_in
        # Asking again costs nothing and reports nothing again.
        before = len(server.requests)
        again, problems_again = resolve(resolver, urls)
        assert again == images and problems_again == [] and len(server.requests) == before
    accepted = server.requests[0][1]
    assert accepted["accept"] == "image/jpeg,image/png,image/gif;q=0.8,*/*;q=0.5"
    assert accepted["user-agent"] == USER_AGENT


def test_warm_cache_makes_zero_requests(server: Server, tmp_path: Path) -> None:
    urls = [
        server.route("/a.webp", body=fx.webp_photo(), headers={"ETag": '"v1"'}),
        server.route("/b.png", body=fx.png_with_alpha()),
        server.route("/c.jpg", body=fx.huge_jpeg()),
    ]
    with ImageResolver(options(tmp_path)) as cold:
        first, _ = resolve(cold, urls)
    requests = len(server.requests)
    assert requests == 3
    with ImageResolver(options(tmp_path)) as warm:
        second, problems = resolve(warm, urls)
        assert warm.stats.cached == 3 and warm.stats.downloaded == 0 and not problems
    assert len(server.requests) == requests  # zero requests
    assert second == first
    assert "3 cached" in warm.stats.summary_line()


def test_revalidate_sends_validators_and_accepts_304(server: Server, tmp_path: Path) -> None:
    body = fx.webp_photo()

    def answer(handler: BaseHTTPRequestHandler) -> Route:
        if handler.headers.get("If-None-Match") == '"v1"':
            return Route(304)
        return Route(200, body, {"ETag": '"v1"', "Last-Modified": "Wed, 01 Apr 2026 10:00:00 GMT"})

    url = server.url("/r.webp")
    server.routes["/r.webp"] = Route(responder=answer)
    with ImageResolver(options(tmp_path)) as cold:
        first, _ = resolve(cold, [url])
    with ImageResolver(options(tmp_path, revalidate=True)) as check:
        second, problems = resolve(check, [url])
        assert check.stats.cached == 1 and not problems
    conditional = server.requests[-1][1]
    assert conditional["if-none-match"] == '"v1"'
    assert conditional["if-modified-since"] == "Wed, 01 Apr 2026 10:00:00 GMT"
    assert second == first


def test_broken_cache_entries_are_misses(server: Server, tmp_path: Path) -> None:
    url = server.route("/a.png", body=fx.png_with_alpha())
    with ImageResolver(options(tmp_path)) as cold:
        first, _ = resolve(cold, [url])
    for path in (tmp_path / "cache").rglob("*"):
        if path.is_file():
            path.write_bytes(path.read_bytes()[:-5] if path.suffix == ".body" else b"{not json")
    with ImageResolver(options(tmp_path)) as again:
        second, problems = resolve(again, [url])
        assert again.stats.downloaded == 1 and not problems
    assert second == first
    leftovers = [p.name for p in (tmp_path / "cache").rglob(".tmp-*")]
    assert leftovers == []


def test_identical_images_stored_once(server: Server, tmp_path: Path) -> None:
    body = fx.webp_photo()
    urls = [server.route("/one.webp", body=body), server.route("/two/other.webp", body=body)]
    with ImageResolver(options(tmp_path)) as resolver:
        images, _ = resolve(resolver, urls)
    first, second = images[urls[0]], images[urls[1]]
    assert first is not None and first == second
    assert first.name.startswith("images/") and first.name.endswith(".jpg")
    assert len(first.name) == len("images/") + 16 + len(".jpg")


def test_data_uris_never_touch_the_disk(tmp_path: Path) -> None:
    with ImageResolver(options(tmp_path)) as resolver:
        images, problems = resolve(resolver, [fx.png_data_uri(), "data:image/png;base64,@@"])
    assert images[fx.png_data_uri()] is not None and len(problems) == 1
    assert problems[0].source == "data:image/png;base64,@@"
    assert not (tmp_path / "cache").exists()


def test_long_data_uri_named_short_in_problems(tmp_path: Path) -> None:
    uri = "data:image/png;base64," + "A" * 500
    with ImageResolver(options(tmp_path)) as resolver:
        _, problems = resolve(resolver, [uri])
    assert len(problems[0].source) == 60 and problems[0].source.endswith("...")


def test_hanging_and_trickling_servers_cannot_hold_the_build(
    server: Server, tmp_path: Path
) -> None:
    hang = server.route("/hang.jpg", body=fx.webp_photo(), delay=30)
    trickle = server.route("/trickle.jpg", body=b"x" * 5000, trickle=0.01)
    started = time.monotonic()
    with ImageResolver(options(tmp_path, timeout=0.4, deadline=1.0, retries=5)) as resolver:
        images, problems = resolve(resolver, [hang, trickle])
    assert time.monotonic() - started < 4
    assert images == {hang: None, trickle: None}
    messages = {problem.source: problem.message for problem in problems}
    assert messages[hang] in {
        "image not included: took longer than 1 s in total",  # the usual case: 0.4 + 0.5 + ...
        "image not included: timed out after 0.4 s; a retry would pass the 1 s limit",
    }
    assert messages[trickle] == "image not included: took longer than 1 s in total"


def test_timeout_without_retries(server: Server, tmp_path: Path) -> None:
    hang = server.route("/hang.png", body=b"", delay=30)
    with ImageResolver(options(tmp_path, timeout=0.3, retries=0)) as resolver:
        _, problems = resolve(resolver, [hang])
    assert [p.message for p in problems] == ["image not included: timed out after 0.3 s"]


def test_429_with_retry_after_then_200(server: Server, tmp_path: Path) -> None:
    answers = iter([Route(429, b"slow down", {"Retry-After": "1"})])
    body = fx.webp_photo()
    url = server.url("/busy.webp")
    server.routes["/busy.webp"] = Route(responder=lambda _: next(answers, Route(200, body)))
    started = time.monotonic()
    with ImageResolver(options(tmp_path)) as resolver:  # the real sleep: Retry-After: 1
        images, problems = resolve(resolver, [url])
    assert images[url] is not None and not problems
    assert time.monotonic() - started >= 1.0
    assert [path for path, _ in server.requests] == ["/busy.webp", "/busy.webp"]


def test_backoff_doubles_and_gives_up(server: Server, tmp_path: Path) -> None:
    url = server.route("/broken.jpg", status=500, body=b"oops")
    sleeps: list[float] = []
    with ImageResolver(options(tmp_path, retries=3), sleep=sleeps.append) as resolver:
        images, problems = resolve(resolver, [url])
    assert sleeps == [0.5, 1.0, 2.0]
    assert len(server.requests) == 4
    assert images[url] is None
    assert problems[0].message == "image not included: HTTP 500 Internal Server Error"


def test_retry_after_date_is_capped(server: Server, tmp_path: Path) -> None:
    answers = iter([Route(503, b"", {"Retry-After": "Fri, 01 Jan 2100 00:00:00 GMT"})])
    body = fx.png_with_alpha()
    url = server.url("/later.png")
    server.routes["/later.png"] = Route(responder=lambda _: next(answers, Route(200, body)))
    sleeps: list[float] = []
    with ImageResolver(options(tmp_path), sleep=sleeps.append) as resolver:
        images, _ = resolve(resolver, [url])
    assert sleeps == [30.0] and images[url] is not None


def test_retry_never_waits_past_the_deadline(server: Server, tmp_path: Path) -> None:
    url = server.route("/busy.jpg", status=429, headers={"Retry-After": "20"})
    sleeps: list[float] = []
    with ImageResolver(options(tmp_path, deadline=10), sleep=sleeps.append) as resolver:
        _, problems = resolve(resolver, [url])
    assert sleeps == []
    assert problems[0].message == (
        "image not included: HTTP 429 Too Many Requests; a retry would pass the 10 s limit"
    )


def test_size_limits_and_gzip_bomb(server: Server, tmp_path: Path) -> None:
    bomb = server.route(
        "/bomb.png",
        body=fx.gzip_bomb(12 * 1024 * 1024),
        headers={"Content-Encoding": "gzip", "Content-Type": "image/png"},
    )
    zipped = server.route(
        "/zipped.png",
        body=gzip.compress(fx.png_with_alpha()),
        headers={"Content-Encoding": "gzip"},
    )
    with ImageResolver(options(tmp_path)) as resolver:
        images, problems = resolve(resolver, [bomb, zipped])
    assert images[zipped] is not None  # an honest gzip body is decoded
    assert [problem.message for problem in problems] == [
        "image not included: larger than the size limit (10 MB)"
    ]


def test_redirects_followed_and_capped(server: Server, tmp_path: Path) -> None:
    server.route("/final.png", body=fx.png_with_alpha())
    moved = server.route("/moved.png", status=301, headers={"Location": "/final.png"})
    for hop in range(7):
        server.route(f"/loop{hop}", status=302, headers={"Location": f"/loop{hop + 1}"})
    loop = server.url("/loop0")
    with ImageResolver(options(tmp_path)) as resolver:
        images, problems = resolve(resolver, [moved, loop])
    assert images[moved] is not None
    assert [p.message for p in problems] == ["image not included: too many redirects (more than 5)"]


def _counting_server(server: Server, count: int, pause: float) -> tuple[list[str], list[int]]:
    lock = threading.Lock()
    in_flight = [0]
    peak = [0]
    bodies = [fx.encode(fx.photo(40, 30, seed=n), "PNG") for n in range(count)]

    def answer(handler: BaseHTTPRequestHandler) -> Route:
        with lock:
            in_flight[0] += 1
            peak[0] = max(peak[0], in_flight[0])
        time.sleep(pause)
        with lock:
            in_flight[0] -= 1
        return Route(200, bodies[int(handler.path.strip("/").split(".")[0])])

    urls = []
    for n in range(count):
        server.routes[f"/{n}.png"] = Route(responder=answer)
        urls.append(server.url(f"/{n}.png"))
    return urls, peak


@pytest.mark.parametrize(("concurrency", "per_host", "bound"), [(8, 2, 2), (3, 8, 3)])
def test_concurrency_really_bounded(
    server: Server, tmp_path: Path, concurrency: int, per_host: int, bound: int
) -> None:
    urls, peak = _counting_server(server, 12, 0.1)
    settings = options(tmp_path, concurrency=concurrency, per_host=per_host)
    with ImageResolver(settings) as resolver:
        images, problems = resolve(resolver, urls)
    assert not problems and all(images.values())
    assert peak[0] == bound  # reached (so the work was concurrent) and never exceeded


def test_progress_called_once_per_image(server: Server, tmp_path: Path) -> None:
    urls = [
        server.route(f"/{n}.png", body=fx.encode(fx.photo(30, 20, seed=n), "PNG")) for n in range(5)
    ]
    seen: list[str] = []
    with ImageResolver(options(tmp_path)) as resolver:
        resolver.resolve(urls[:2])
        resolver.resolve(urls + urls[:2], on_progress=seen.append)
    assert sorted(seen) == sorted(urls)  # the two known ones too, each once


def test_a_dead_host_costs_one_round_of_retries(tmp_path: Path) -> None:
    closed = Server()  # bound, never started, then closed: nothing listens on its port
    base = closed.base
    closed.httpd.server_close()
    urls = [f"{base}/{n}.png" for n in range(4)]
    sleeps: list[float] = []
    with ImageResolver(options(tmp_path, per_host=1), sleep=sleeps.append) as resolver:
        images, problems = resolve(resolver, urls)
    assert sleeps == [0.5, 1.0, 2.0]  # the first image's retries only
    assert all(image is None for image in images.values()) and len(problems) == 4
    assert sum("an earlier image from this host too" in p.message for p in problems) == 3


def test_summary_line_and_default_cache_dir() -> None:
    stats = ImageStats(
        downloaded=12, cached=30, converted=8, failed=1, bytes_in=3_000_000, bytes_out=900_000
    )
    assert stats.summary_line() == (
        "images: 12 downloaded, 30 cached, 8 converted, 1 failed, 2.1 MB saved"
    )
    stats.dropped, stats.bytes_out = 2, 3_000_400
    assert stats.summary_line().endswith("2 tracking pixels dropped, 400 B added")
    assert default_cache_dir({"FEED2BOOK_CACHE_DIR": "/tmp/f2b"}) == Path("/tmp/f2b/images")
    assert default_cache_dir({}).name == "images"


def test_downloads_stream_to_disk_and_a_killed_runs_leftovers_go(
    server: Server, tmp_path: Path
) -> None:
    url = server.route("/a.png", body=fx.png_with_alpha())
    downloads = tmp_path / "cache" / "tmp"
    downloads.mkdir(parents=True)
    old, recent = downloads / ".tmp-old.download", downloads / ".tmp-recent.download"
    old.write_bytes(b"half a body")
    recent.write_bytes(b"another process is writing this")
    os.utime(old, (time.time() - 3 * 24 * 3600,) * 2)
    with ImageResolver(options(tmp_path)) as resolver:
        images, problems = resolve(resolver, [url, url + "?again"])
    assert not problems and images[url] is images[url + "?again"]  # one object for one content
    assert sorted(p.name for p in downloads.iterdir()) == [recent.name]
    assert len(list((tmp_path / "cache" / "blobs").rglob("*.body"))) == 1
