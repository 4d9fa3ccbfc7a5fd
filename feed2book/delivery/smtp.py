"""E-mail delivery: one message per book, an ``application/epub+zip`` attachment each.

``book_message`` builds the message (a short text body, the file name in RFC 2231 form when it
is not ASCII: the ``email`` package does that with ``policy.SMTP``); ``message_limit`` is the
provider's size limit for an address; ``send_messages`` hands messages to one SMTP connection
(STARTTLS, implicit TLS, or a local relay without TLS).
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Final

from feed2book.delivery.config import Security, SmtpSettings
from feed2book.errors import Feed2BookError

MB: Final = 1_000_000
# Per message, after base64 (4/3 of the file) and headers. Amazon documents 50 MB per e-mail to
# a Send-to-Kindle address; Gmail and most providers accept 25 MB.
PROVIDER_LIMITS_MB: Final = (
    (("kindle.com", "free.kindle.com", "kindle.cn"), 50.0),
    (("gmail.com", "googlemail.com"), 25.0),
)
DEFAULT_LIMIT_MB: Final = 25.0
_HEADERS_ALLOWANCE: Final = 20_000  # bytes for headers, body and MIME boundaries


class DeliveryError(Feed2BookError):
    """A message could not be handed to the SMTP server."""


class TooLargeError(Feed2BookError):
    """A book makes a message over the provider's limit."""


@dataclass(frozen=True, slots=True)
class Attachment:
    """A book to send: its file name (as the reader will show it) and bytes."""

    file_name: str
    data: bytes
    title: str = ""


def message_limit(address: str, max_mb: float | None = None) -> int:
    """The largest message, in bytes, for ``address``: ``max_mb`` when given."""
    if max_mb is not None:
        return int(max_mb * MB)
    domain = address.rpartition("@")[2].lower()
    for domains, limit in PROVIDER_LIMITS_MB:
        if domain in domains:
            return int(limit * MB)
    return int(DEFAULT_LIMIT_MB * MB)


def largest_book(limit: int) -> int:
    """The largest EPUB that fits a ``limit``-byte message once base64-encoded."""
    # base64: 4 characters per 3 bytes, in lines of 76 characters and CRLF
    return max(0, (limit - _HEADERS_ALLOWANCE) * 3 * 76 // (4 * 78))


def is_kindle_address(address: str) -> bool:
    domain = address.rpartition("@")[2].lower()
    return domain == "kindle.com" or domain.endswith(".kindle.com") or domain == "kindle.cn"


def book_message(attachment: Attachment, sender: str, to: str, *, date: float | None = None) -> (
    EmailMessage
):
    """A message carrying one book, with a non-empty text body (some services drop empty ones)."""
    message = EmailMessage(policy=policy.SMTP)
    title = attachment.title or attachment.file_name
    message["Subject"] = title
    message["From"] = sender
    message["To"] = to
    message["Date"] = formatdate(date, localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message.set_content(
        f"{title}\n\nThe attached EPUB ({attachment.file_name}, {len(attachment.data):,} bytes) "
        "was built and sent by feed2book.\n"
    )
    message.add_attachment(
        attachment.data,
        maintype="application",
        subtype="epub+zip",
        filename=attachment.file_name,
    )
    return message


def message_bytes(message: EmailMessage) -> bytes:
    return message.as_bytes(policy=policy.SMTP)


def check_size(message: EmailMessage, limit: int, file_name: str) -> bytes:
    """The message's bytes, or ``TooLargeError`` when they exceed ``limit``."""
    data = message_bytes(message)
    if len(data) > limit:
        raise TooLargeError(
            f"{file_name}: the message would be {len(data) / MB:.1f} MB, over the "
            f"{limit / MB:g} MB limit for this address",
            hint="rebuild it with `feed2book epub --max-book-mb N` to split it into volumes, "
            "or raise --max-mb if your provider accepts more",
        )
    return data


def tls_context(settings: SmtpSettings) -> ssl.SSLContext:
    context = ssl.create_default_context(
        cafile=str(settings.cafile) if settings.cafile is not None else None
    )
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def send_messages(
    settings: SmtpSettings, to: str, messages: Iterable[tuple[EmailMessage, bytes]]
) -> int:
    """Send every message over one connection; returns how many were accepted."""
    server = settings.server
    sent = 0
    try:
        connection = _connect(settings)
        with connection:
            if server.security is Security.STARTTLS:
                connection.starttls(context=tls_context(settings))
                connection.ehlo()
            if server.user and settings.password:
                connection.login(server.user, settings.password)
            elif server.user:
                raise DeliveryError(
                    f"{server.host}: no password for {server.user}",
                    hint="set FEED2BOOK_SMTP_PASSWORD or password_command in the config file",
                )
            for _message, data in messages:
                refused = connection.sendmail(settings.sender, [to], data)
                if refused:
                    raise DeliveryError(f"{server.host} refused the recipient {to}")
                sent += 1
    except smtplib.SMTPAuthenticationError as error:
        raise DeliveryError(
            f"{server.host}: login as {server.user} refused ({_reply(error)})"
        ) from None
    except smtplib.SMTPRecipientsRefused:
        raise DeliveryError(f"{server.host} refused the recipient {to}") from None
    except smtplib.SMTPNotSupportedError as error:
        if "STARTTLS" in str(error):
            raise DeliveryError(
                f"{server.host}:{server.port} does not offer STARTTLS",
                hint="use smtps:// if the port expects TLS from the start",
            ) from None
        raise DeliveryError(f"{server.host}:{server.port}: {error}") from None
    except smtplib.SMTPResponseException as error:
        raise DeliveryError(f"{server.host}: {_reply(error)} (sent {sent})") from None
    except ssl.SSLError as error:
        raise DeliveryError(f"{server.host}:{server.port}: TLS failed ({error.reason})") from None
    except (smtplib.SMTPException, OSError) as error:
        raise DeliveryError(f"{server.host}:{server.port}: {error}") from None
    return sent


def _connect(settings: SmtpSettings) -> smtplib.SMTP:
    server = settings.server
    if server.security is Security.SSL:
        return smtplib.SMTP_SSL(
            server.host, server.port, timeout=settings.timeout, context=tls_context(settings)
        )
    return smtplib.SMTP(server.host, server.port, timeout=settings.timeout)


def _reply(error: smtplib.SMTPResponseException) -> str:
    text = error.smtp_error.decode("utf-8", "replace") if isinstance(error.smtp_error, bytes) else (
        str(error.smtp_error)
    )
    return f"{error.smtp_code} {text}".strip()


def plan_messages(
    attachments: Sequence[Attachment], sender: str, to: str, limit: int
) -> list[tuple[EmailMessage, bytes]]:
    """One message per attachment, each checked against ``limit`` before anything is sent."""
    planned = []
    for attachment in attachments:
        message = book_message(attachment, sender, to)
        planned.append((message, check_size(message, limit, attachment.file_name)))
    return planned
