"""SMTP settings for ``feed2book send``: flags, then the environment, then the config file.

The config file is ``config.toml`` in the platformdirs config directory (``FEED2BOOK_CONFIG``
names another one)::

    [smtp]
    url = "smtp+starttls://me@example.com@smtp.example.com:587"
    password_command = "pass mail/smtp"
    from = "me@example.com"

``url`` is ``smtp+starttls://USER@HOST[:PORT]`` (port 587 by default), ``smtps://…`` or
``smtp+ssl://…`` (implicit TLS, port 465), or ``smtp://HOST[:PORT]`` without TLS, which is only
accepted for a server on this machine (a local relay). The password never comes from the command
line: ``FEED2BOOK_SMTP_PASSWORD``, else the output of ``password_command``
(``FEED2BOOK_SMTP_PASSWORD_COMMAND`` overrides the file's). A password written into the URL is
refused.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Final
from urllib.parse import unquote, urlsplit

from feed2book.defaults import PASSWORD_COMMAND_TIMEOUT, SMTP_TIMEOUT
from feed2book.errors import UsageError

CONFIG_FILE: Final = "config.toml"
_LOCAL_HOSTS: Final = frozenset({"localhost", "127.0.0.1", "::1"})


class Security(StrEnum):
    STARTTLS = "starttls"  # plain connection upgraded with STARTTLS (port 587)
    SSL = "ssl"  # TLS from the first byte (port 465)
    NONE = "none"  # a relay on this machine only


_SCHEMES: Final = {
    "smtp+starttls": (Security.STARTTLS, 587),
    "smtps": (Security.SSL, 465),
    "smtp+ssl": (Security.SSL, 465),
    "smtp": (Security.NONE, 25),
}


@dataclass(frozen=True, slots=True)
class SmtpServer:
    """Where and how to connect, from an ``smtp…://`` URL."""

    host: str
    port: int
    security: Security
    user: str = ""


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    """Everything ``send`` needs to hand a message to a server."""

    server: SmtpServer
    sender: str
    password: str = ""
    cafile: Path | None = None  # trust this CA bundle instead of the system's (own servers)
    timeout: float = SMTP_TIMEOUT


def parse_smtp_url(url: str) -> SmtpServer:
    """``smtp+starttls://user@host:587`` -> ``SmtpServer``; ``UsageError`` for anything else."""
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in _SCHEMES:
        raise UsageError(
            f"unsupported SMTP URL {url!r}",
            hint="use smtp+starttls://USER@HOST:587 or smtps://USER@HOST:465",
        )
    if parts.password is not None:
        raise UsageError(
            "the SMTP URL holds a password; it would be visible to other users and in logs",
            hint="set FEED2BOOK_SMTP_PASSWORD or password_command in the config file instead",
        )
    security, default_port = _SCHEMES[parts.scheme.lower()]
    host = parts.hostname or ""
    if not host:
        raise UsageError(f"the SMTP URL {url!r} names no host")
    try:
        port = parts.port or default_port
    except ValueError:
        raise UsageError(f"the SMTP URL {url!r} has an invalid port") from None
    if security is Security.NONE and host not in _LOCAL_HOSTS:
        raise UsageError(
            f"smtp:// without TLS is only accepted for a server on this machine, not {host}",
            hint="use smtp+starttls:// or smtps://",
        )
    return SmtpServer(host, port, security, unquote(parts.username or ""))


def default_config_path(environ: Mapping[str, str] | None = None) -> Path:
    environ = os.environ if environ is None else environ
    if environ.get("FEED2BOOK_CONFIG"):
        return Path(environ["FEED2BOOK_CONFIG"])
    from platformdirs import user_config_dir

    return Path(user_config_dir("feed2book", appauthor=False)) / CONFIG_FILE


def read_config(path: Path) -> dict[str, Any]:
    """The ``[smtp]`` table of the config file (empty when the file does not exist)."""
    try:
        with path.open("rb") as handle:
            document = tomllib.load(handle)
    except FileNotFoundError:
        return {}
    except OSError as error:
        raise UsageError(f"{path}: cannot read the config file ({error.strerror})") from None
    except tomllib.TOMLDecodeError as error:
        raise UsageError(f"{path}: not valid TOML ({error})") from None
    smtp = document.get("smtp", {})
    if not isinstance(smtp, dict):
        raise UsageError(f"{path}: [smtp] must be a table")
    for key, value in smtp.items():
        if not isinstance(value, str):
            raise UsageError(f"{path}: smtp.{key} must be a string")
        if key == "password":
            raise UsageError(
                f"{path}: smtp.password is not read (a password in a file is too easily shared)",
                hint="use password_command (e.g. `pass mail/smtp`) or FEED2BOOK_SMTP_PASSWORD",
            )
    return smtp


def smtp_settings(
    *,
    url: str | None = None,
    sender: str | None = None,
    environ: Mapping[str, str] | None = None,
    config_path: Path | None = None,
) -> SmtpSettings:
    """The settings from flags (``url``, ``sender``), else the environment, else the file."""
    environ = os.environ if environ is None else environ
    path = config_path or default_config_path(environ)
    config = read_config(path)
    chosen_url = url or environ.get("FEED2BOOK_SMTP_URL") or config.get("url")
    if not chosen_url:
        raise UsageError(
            "no SMTP server configured",
            hint=f'give --smtp-url, set FEED2BOOK_SMTP_URL, or write [smtp] url = "…" in {path}',
        )
    server = parse_smtp_url(chosen_url)
    chosen_sender = sender or environ.get("FEED2BOOK_SMTP_FROM") or config.get("from")
    chosen_sender = chosen_sender or (server.user if "@" in server.user else "")
    if not chosen_sender:
        raise UsageError(
            "no sender address", hint=f"give --from, set FEED2BOOK_SMTP_FROM or smtp.from in {path}"
        )
    password = environ.get("FEED2BOOK_SMTP_PASSWORD", "")
    command = environ.get("FEED2BOOK_SMTP_PASSWORD_COMMAND") or config.get("password_command")
    if not password and command and server.user:
        password = run_password_command(command)
    cafile = environ.get("FEED2BOOK_SMTP_CAFILE") or config.get("cafile")
    return SmtpSettings(server, chosen_sender, password, Path(cafile) if cafile else None)


def run_password_command(command: str) -> str:
    """The first line of what ``command`` prints (as ``git``'s credential helpers do)."""
    try:
        done = subprocess.run(
            shlex.split(command),
            capture_output=True,
            check=False,
            timeout=PASSWORD_COMMAND_TIMEOUT,
        )
    except (OSError, ValueError, subprocess.TimeoutExpired) as error:
        raise UsageError(f"the SMTP password command {command!r} failed: {error}") from None
    if done.returncode != 0:
        raise UsageError(
            f"the SMTP password command {command!r} exited with status {done.returncode}"
        )
    lines = done.stdout.decode("utf-8", "replace").splitlines()
    if not lines or not lines[0]:
        raise UsageError(f"the SMTP password command {command!r} printed no password")
    return lines[0]
