"""E-mail delivery against a real SMTP server on 127.0.0.1 (aiosmtpd): STARTTLS and implicit
TLS with a certificate made for the test, login, attachments, sizes, the Kindle preflight,
settings from the environment and the config file, and `--send` remembering what it sent."""

from __future__ import annotations

import email
import io
import os
import random
import socket
import ssl
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from PIL import Image
from typer.testing import CliRunner

from feed2book.cli.commands import app
from feed2book.cli.console import Environment
from feed2book.delivery.config import Security, parse_smtp_url, smtp_settings
from feed2book.delivery.smtp import Attachment, book_message, largest_book, message_limit
from feed2book.errors import UsageError
from feed2book.models import Book, Section
from feed2book.writers.epub.book import build_epub
from tests.conftest import EXAMPLES
from tests.factory import make_article

runner = CliRunner()
PASSWORD = "s3cret horse"


@dataclass
class Received:
    sender: str
    recipients: list[str]
    data: bytes
    tls: bool

    @property
    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.data, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class Mailbox:
    """An aiosmtpd handler that keeps every message it accepts."""

    received: list[Received] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content,
                     session.ssl is not None)
        )
        return "250 OK"


def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
    ok = isinstance(data, LoginPassword) and data.login == b"reader" and data.password == PASSWORD.encode()
    return AuthResult(success=ok, handled=False)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, made with the openssl command."""
    directory = tmp_path_factory.mktemp("tls")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    return cert, key


def server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


@dataclass
class Server:
    mailbox: Mailbox
    port: int


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start(mailbox: Mailbox, port: int | None = None, **options: Any) -> Controller:
    controller = Controller(mailbox, hostname="127.0.0.1", port=port or free_port(), **options)
    controller.start()
    return controller


@pytest.fixture
def starttls_server(certificate: tuple[Path, Path]) -> Iterator[Server]:
    mailbox = Mailbox()
    controller = start(mailbox, tls_context=server_context(certificate), require_starttls=True,
                       authenticator=authenticate, auth_required=True)
    try:
        yield Server(mailbox, controller.port)
    finally:
        controller.stop()


@pytest.fixture
def ssl_server(certificate: tuple[Path, Path]) -> Iterator[Server]:
    mailbox = Mailbox()
    # aiosmtpd only counts STARTTLS as TLS: on an implicit-TLS port, AUTH must be allowed as is.
    controller = start(mailbox, ssl_context=server_context(certificate), auth_require_tls=False,
                       authenticator=authenticate, auth_required=True)
    try:
        yield Server(mailbox, controller.port)
    finally:
        controller.stop()


@pytest.fixture
def relay() -> Iterator[Server]:
    """A local relay without TLS or login (the only case smtp:// is accepted for)."""
    mailbox = Mailbox()
    controller = start(mailbox)
    try:
        yield Server(mailbox, controller.port)
    finally:
        controller.stop()


def send(*args: str, environ: Mapping[str, str] | None = None) -> tuple[int, str, str]:
    """Run feed2book in an Environment whose variables are ours plus ``environ``."""
    env = Environment(
        stdin=io.BytesIO(), stdout=io.BytesIO(), stderr=io.StringIO(), environ={**os.environ, **(environ or {})}
    )
    result = runner.invoke(app, list(args), obj=env)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert isinstance(env.stdout, io.BytesIO) and isinstance(env.stderr, io.StringIO)
    return result.exit_code, result.stdout + env.stdout.getvalue().decode(), result.stderr + env.stderr.getvalue()


def sender(environ: Mapping[str, str]) -> Callable[..., tuple[int, str, str]]:
    """``send`` with these SMTP settings in the environment (read when each command runs)."""
    return lambda *args: send(*args, environ=environ)


def relay_sender(relay: Server) -> Callable[..., tuple[int, str, str]]:
    """``send`` through the plain relay on 127.0.0.1, from a cron-like sender."""
    return sender(
        {"FEED2BOOK_SMTP_URL": f"smtp://127.0.0.1:{relay.port}", "FEED2BOOK_SMTP_FROM": "cron@example.com"}
    )


def write_book(path: Path, title: str = "Field notes", content: str = "<p>Words.</p>",
               resources: dict[str, tuple[str, bytes]] | None = None) -> bytes:
    article = make_article(content=content)
    book = Book("author:test", title, article.authors, "en", (Section("", (article,)),))
    data = build_epub(book, resources=resources)
    path.write_bytes(data)
    return data


def attachment_of(message: EmailMessage) -> EmailMessage:
    parts = [part for part in message.iter_attachments() if isinstance(part, EmailMessage)]
    assert len(parts) == 1
    return parts[0]


# --- settings ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "security", "port"),
    [
        ("smtp+starttls://me@smtp.example.com", Security.STARTTLS, 587),
        ("smtps://me%40example.com@smtp.example.com", Security.SSL, 465),
        ("smtp+ssl://me@smtp.example.com:2465", Security.SSL, 2465),
        ("smtp://127.0.0.1:2525", Security.NONE, 2525),
    ],
)
def test_smtp_urls(url: str, security: Security, port: int) -> None:
    server = parse_smtp_url(url)
    assert (server.security, server.port, server.host) == (security, port, "smtp.example.com" if "example" in url else "127.0.0.1")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("smtps://me:hunter2@smtp.example.com", "holds a password"),
        ("smtp://smtp.example.com", "only accepted for a server on this machine"),
        ("http://smtp.example.com", "unsupported SMTP URL"),
    ],
)
def test_unsafe_or_unknown_urls_are_refused(url: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_smtp_url(url)


def test_settings_come_from_the_config_file_with_a_password_command(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        '[smtp]\nurl = "smtp+starttls://reader@mail.example.com"\nfrom = "me@example.com"\n'
        f"password_command = \"{sys.executable} -c 'print(\\\"{PASSWORD}\\\")'\"\n"
    )
    settings = smtp_settings(environ={}, config_path=config)
    assert (settings.server.host, settings.sender, settings.password) == ("mail.example.com", "me@example.com", PASSWORD)
    environment = {"FEED2BOOK_SMTP_URL": "smtps://other@mail2.example.com", "FEED2BOOK_SMTP_PASSWORD": "env"}
    settings = smtp_settings(environ=environment, config_path=config)
    assert (settings.server.host, settings.server.user, settings.password) == ("mail2.example.com", "other", "env")


def test_a_password_written_in_the_config_file_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[smtp]\nurl = "smtps://me@mail.example.com"\npassword = "x"\n')
    with pytest.raises(UsageError, match=r"smtp\.password is not read"):
        smtp_settings(environ={}, config_path=config)


def test_provider_limits() -> None:
    assert message_limit("me_1@kindle.com") == 50_000_000
    assert message_limit("me@gmail.com") == 25_000_000
    assert message_limit("me@gmail.com", 10) == 10_000_000
    book = bytes(random.Random(1).randbytes(largest_book(1_000_000)))
    message = book_message(Attachment("b.epub", book), "a@example.com", "b@example.com")
    assert len(message.as_bytes(policy=policy.SMTP)) <= 1_000_000


# --- sending --------------------------------------------------------------------------------------


def test_send_over_starttls_with_login(
    starttls_server: Server, certificate: tuple[Path, Path], tmp_path: Path
) -> None:
    book = tmp_path / "Café – notes.epub"
    data = write_book(book, title="Café – notes")
    smtp = {
        "FEED2BOOK_SMTP_URL": f"smtp+starttls://reader@127.0.0.1:{starttls_server.port}",
        "FEED2BOOK_SMTP_PASSWORD_COMMAND": f"{sys.executable} -c 'print(\"{PASSWORD}\")'",
        "FEED2BOOK_SMTP_CAFILE": str(certificate[0]),
    }
    run = sender(smtp)
    code, _, err = run("send", str(book), "--to", "reader@example.com", "--from", "me@example.com")
    assert code == 0, err
    assert "sent Café – notes.epub to reader@example.com" in err
    [received] = starttls_server.mailbox.received
    assert received.tls and received.sender == "me@example.com" and received.recipients == ["reader@example.com"]
    message = received.message
    assert (message["From"], message["To"], message["Subject"]) == ("me@example.com", "reader@example.com", "Café – notes")
    assert message.get_content_type() == "multipart/mixed"
    body = message.get_body(("plain",))
    assert body is not None and "Café – notes" in body.get_content()
    attachment = attachment_of(message)
    assert attachment.get_content_type() == "application/epub+zip"
    assert attachment.get_filename() == "Café – notes.epub"
    assert "filename*=utf-8''Caf%C3%A9%20%E2%80%93%20notes.epub" in received.data.decode("ascii")
    assert attachment.get_content() == data
    assert len(received.data) < message_limit("reader@example.com")


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
def test_send_over_implicit_tls(ssl_server: Server, certificate: tuple[Path, Path], tmp_path: Path) -> None:
    books = [tmp_path / "one.epub", tmp_path / "two.epub"]
    for number, path in enumerate(books):
        write_book(path, title=f"Book {number}")
    smtp = {
        "FEED2BOOK_SMTP_PASSWORD": PASSWORD,
        "FEED2BOOK_SMTP_CAFILE": str(certificate[0]),
    }
    run = sender(smtp)
    code, _, err = run("send", *map(str, books), "--to", "reader@example.com", "--from", "me@example.com",
                        "--smtp-url", f"smtps://reader@127.0.0.1:{ssl_server.port}")
    assert code == 0, err
    assert [r.message["Subject"] for r in ssl_server.mailbox.received] == ["Book 0", "Book 1"]
    # (aiosmtpd's session.ssl only tells STARTTLS; this port speaks nothing but TLS)


def test_an_untrusted_certificate_is_one_line(
    starttls_server: Server, tmp_path: Path
) -> None:
    book = tmp_path / "b.epub"
    write_book(book)
    url = f"smtp+starttls://reader@127.0.0.1:{starttls_server.port}"
    smtp = {"FEED2BOOK_SMTP_PASSWORD": PASSWORD}
    run = sender(smtp)
    code, _, err = run("send", str(book), "--to", "r@example.com", "--from", "me@example.com", "--smtp-url", url)
    assert code == 1 and "TLS failed (CERTIFICATE_VERIFY_FAILED)" in err and "Traceback" not in err
    assert starttls_server.mailbox.received == []


def test_a_wrong_password_is_one_line(
    starttls_server: Server, certificate: tuple[Path, Path], tmp_path: Path
) -> None:
    book = tmp_path / "b.epub"
    write_book(book)
    url = f"smtp+starttls://reader@127.0.0.1:{starttls_server.port}"
    smtp = {
        "FEED2BOOK_SMTP_PASSWORD": "wrong",
        "FEED2BOOK_SMTP_CAFILE": str(certificate[0]),
    }
    run = sender(smtp)
    code, _, err = run("send", str(book), "--to", "r@example.com", "--from", "me@example.com", "--smtp-url", url)
    assert code == 1 and "login as reader refused (535" in err and "Traceback" not in err
    assert starttls_server.mailbox.received == []


def test_settings_from_the_config_file(relay: Server, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[smtp]\nurl = "smtp://127.0.0.1:{relay.port}"\nfrom = "cron@example.com"\n')
    smtp = {"FEED2BOOK_CONFIG": str(config)}
    run = sender(smtp)
    book = tmp_path / "b.epub"
    write_book(book)
    assert run("send", str(book), "--to", "r@example.com")[0] == 0
    assert [r.sender for r in relay.mailbox.received] == ["cron@example.com"]


def noise_png(size: int) -> bytes:
    image = Image.frombytes("RGB", (size, size), random.Random(3).randbytes(size * size * 3))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def test_a_book_too_large_for_one_message_is_not_sent(relay: Server, tmp_path: Path) -> None:
    smtp = {"FEED2BOOK_SMTP_URL": f"smtp://127.0.0.1:{relay.port}"}
    run = sender(smtp)
    big, small = tmp_path / "big.epub", tmp_path / "small.epub"
    write_book(big, content='<p><img src="images/n.png" alt="n"/></p>', resources={"images/n.png": ("image/png", noise_png(200))})
    write_book(small)
    code, _, err = run("send", str(big), str(small), "--to", "r@example.com", "--from", "me@example.com", "--max-mb", "0.1")
    assert code == 1
    assert "big.epub: the message would be" in err and "over the 0.1 MB limit" in err and "--max-book-mb" in err
    assert [attachment_of(r.message).get_filename() for r in relay.mailbox.received] == ["small.epub"]


def test_a_kindle_address_gets_the_preflight_fixed_copy_and_refused_books_stay(relay: Server, tmp_path: Path) -> None:
    smtp = {"FEED2BOOK_SMTP_URL": f"smtp://127.0.0.1:{relay.port}"}
    run = sender(smtp)
    fixable, refused = tmp_path / "fixable.epub", tmp_path / "refused.epub"
    data = write_book(fixable)
    fixable.write_bytes(rewrite(data, "OEBPS/content.opf", lambda t: t.replace("<dc:language>en</dc:language>", "")))
    refused.write_bytes(rewrite(data, "OEBPS/style.css", lambda t: t + "\np { color: red;\n"))
    code, _, err = run("send", str(fixable), str(refused), "--to", "me_1@kindle.com", "--from", "me@example.com")
    assert code == 1
    assert "language: OEBPS/content.opf: no dc:language; set to 'en' (fixed)" in err
    assert "refused.epub: not sent: Send to Kindle would reject it (the stylesheet does not parse" in err
    [received] = relay.mailbox.received
    sent = attachment_of(received.message).get_content()
    with zipfile.ZipFile(io.BytesIO(sent)) as archive:
        assert b"<dc:language>en</dc:language>" in archive.read("OEBPS/content.opf")
    assert fixable.read_bytes() != sent  # the user's file is left as it was


def rewrite(epub: bytes, name: str, change: Any) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(epub)) as source, zipfile.ZipFile(buffer, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == name:
                data = change(data.decode()).encode()
            target.writestr(info, data)
    return buffer.getvalue()


# --- epub --send and sync --send: each article delivered once per address ---------------------------


def test_epub_send_twice_sends_once(relay: Server, tmp_path: Path) -> None:
    run = relay_sender(relay)
    assert run("add", str(EXAMPLES))[0] == 0
    out = tmp_path / "sent"
    code, _, err = run("epub", "--group-by", "none", "--images", "none", "--send", "me@example.com", "-o", str(out))
    assert code == 0, err
    assert len(relay.mailbox.received) == 1
    code, _, err = run("epub", "--group-by", "none", "--images", "none", "--send", "me@example.com", "-o", str(out))
    assert code == 3 and "nothing new" in err and "delivered before" in err
    assert len(relay.mailbox.received) == 1
    # another address has had nothing yet
    code, _, err = run("epub", "--group-by", "none", "--images", "none", "--send", "other@example.com", "-o", str(out), "--force")
    assert code == 0, err
    assert len(relay.mailbox.received) == 2


def test_a_failed_delivery_is_sent_again_next_time(tmp_path: Path) -> None:
    smtp = {"FEED2BOOK_SMTP_FROM": "cron@example.com"}
    run = sender(smtp)
    assert run("add", str(EXAMPLES))[0] == 0
    mailbox = Mailbox()
    controller = start(mailbox)
    port = controller.port
    controller.stop()  # nobody listens: the send fails
    smtp["FEED2BOOK_SMTP_URL"] = f"smtp://127.0.0.1:{port}"
    code, _, err = run("epub", "-g", "none", "--images", "none", "--send", "me@example.com", "-o", str(tmp_path))
    assert code == 1 and f"127.0.0.1:{port}" in err
    controller = start(mailbox, port=port)
    try:
        code, _, err = run("epub", "-g", "none", "--images", "none", "--send", "me@example.com", "-o", str(tmp_path))
    finally:
        controller.stop()
    assert code == 0, err
    assert len(mailbox.received) == 1


def test_sync_send_sends_what_is_new_once(relay: Server, tmp_path: Path) -> None:
    run = relay_sender(relay)
    assert run("add", str(EXAMPLES))[0] == 0
    code, _, err = run("sync", "--send", "me@example.com", "-o", str(tmp_path / "out"))
    assert code == 0, err
    assert len(relay.mailbox.received) == 1
    assert list((tmp_path / "out").glob("*.epub"))
    code, _, err = run("sync", "--send", "me@example.com", "-o", str(tmp_path / "out"))
    assert code == 0, err
    assert len(relay.mailbox.received) == 1
    assert "nothing new to send to me@example.com" in err and "error" not in err


def long_feed(path: Path, articles: int = 24, length: int = 900) -> Path:
    """An RSS feed of made-up articles, each of ``length`` words (900: about 6 kB) that compress
    poorly."""
    words = random.Random(5)
    items = []
    for number in range(1, articles + 1):
        text = " ".join("".join(words.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(words.randint(2, 9)))
                        for _ in range(length))
        items.append(
            f"<item><title>Entry {number}</title><link>https://long.example/{number}</link>"
            f"<guid>https://long.example/{number}</guid><pubDate>Mon, {number:02d} Jun 2026 10:00:00 GMT</pubDate>"
            f"<description>&lt;p&gt;{text}&lt;/p&gt;</description></item>"
        )
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Long</title>'
        "<link>https://long.example/</link>" + "".join(items) + "</channel></rss>"
    )
    return path


def test_epub_send_splits_a_large_digest_into_volumes_one_message_each(relay: Server, tmp_path: Path) -> None:
    run = relay_sender(relay)
    assert run("add", str(long_feed(tmp_path / "long.xml")))[0] == 0
    code, _, err = run("epub", "-g", "none", "--images", "none", "--no-cover", "--send", "me@example.com",
                        "--max-book-mb", "0.1", "-o", str(tmp_path / "sent"))
    assert code == 0, err
    sizes = [len(r.data) for r in relay.mailbox.received]
    names = [attachment_of(r.message).get_filename() for r in relay.mailbox.received]
    files = sorted(path.name for path in (tmp_path / "sent").glob("*.epub"))
    assert len(sizes) >= 2 and sorted(names) == files
    assert all("-vol-" in name for name in names)
    assert all(size <= 0.1 * 1_000_000 * 4 / 3 * 78 / 76 + 20_000 for size in sizes)
    code, _, err = run("epub", "-g", "none", "--images", "none", "--no-cover", "--send", "me@example.com",
                        "--max-book-mb", "0.1", "-o", str(tmp_path / "sent"))
    assert code == 3 and len(relay.mailbox.received) == len(sizes)


def test_sync_send_max_mb_sends_volumes_that_fit_the_limit(relay: Server, tmp_path: Path) -> None:
    run = relay_sender(relay)
    # 24 articles of ~8 kB (zipped) and a cover: well over what one 0.3 MB message holds
    assert run("add", str(long_feed(tmp_path / "long.xml", length=2000)))[0] == 0
    code, _, err = run("sync", "--send", "me@example.com", "--max-mb", "0.3", "-o", str(tmp_path / "sent"))
    assert code == 0, err
    sizes = [len(r.data) for r in relay.mailbox.received]
    assert len(sizes) >= 2 and all(size <= 300_000 for size in sizes)
    assert len(list((tmp_path / "sent").glob("*-vol-*.epub"))) == len(sizes)


def test_a_message_limit_smaller_than_the_book_limit_wins(relay: Server, tmp_path: Path) -> None:
    """Without --max-book-mb, --send builds volumes that each fit one message to the address."""
    from feed2book.cli.delivery import Outbox

    smtp = {
        "FEED2BOOK_SMTP_URL": f"smtp://127.0.0.1:{relay.port}",
        "FEED2BOOK_SMTP_FROM": "cron@example.com",
    }
    outbox = Outbox.open("me_1@kindle.com", environ=smtp)
    assert outbox.kindle and outbox.largest_book(None) == largest_book(50_000_000)
    assert outbox.largest_book(10_000_000) == 10_000_000
    assert Outbox.open("me@gmail.com", environ=smtp).largest_book(None) == largest_book(25_000_000)


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (f"{sys.executable} -c 'raise SystemExit(4)'", "exited with status 4"),
        (f"{sys.executable} -c 'print()'", "printed no password"),
        ("/nonexistent/pass-helper show", "failed"),
    ],
)
def test_a_failing_password_command_is_a_usage_error(command: str, message: str) -> None:
    environment = {"FEED2BOOK_SMTP_URL": "smtps://me%40example.com@mail.example.com", "FEED2BOOK_SMTP_PASSWORD_COMMAND": command}
    with pytest.raises(UsageError, match=message):
        smtp_settings(environ=environment, config_path=Path("/nonexistent/config.toml"))


def test_send_without_sources_refuses_an_empty_library(relay: Server, tmp_path: Path) -> None:
    """The bundled example feeds, read while the library is empty, are never e-mailed."""
    run = relay_sender(relay)
    code, _, err = run("epub", "--send", "me@example.com", "-o", str(tmp_path))
    assert code == 2 and "holds no articles" in err
    assert relay.mailbox.received == []
