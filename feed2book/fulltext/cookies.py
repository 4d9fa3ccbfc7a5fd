"""Cookies for article pages: a Netscape cookie file (what browser extensions export, and
curl's ``-b``/``-c`` write), read with ``http.cookiejar.MozillaCookieJar``.

Only the cookies whose domain, path and ``secure`` flag match a page's URL are sent to it;
expired cookies are not loaded. Nothing is ever written back to the file.
"""

from __future__ import annotations

import time
import urllib.request
from http.cookiejar import LoadError, MozillaCookieJar
from pathlib import Path

from feed2book.errors import UsageError


class CookieFileError(UsageError):
    """``--cookies FILE`` cannot be read as a Netscape cookie file."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(
            f"--cookies {path}: {reason}",
            hint="export the cookies in Netscape format (cookies.txt), one cookie a line",
        )


def load_cookies(path: Path) -> MozillaCookieJar:
    """The cookies of a Netscape cookie file (session cookies included, expired ones not)."""
    jar = MozillaCookieJar(str(path))
    try:
        jar.load(ignore_discard=True, ignore_expires=True)
    except FileNotFoundError:
        raise CookieFileError(path, "no such file") from None
    except LoadError as error:
        raise CookieFileError(path, f"not a Netscape cookie file ({error})") from None
    except (OSError, UnicodeDecodeError) as error:
        raise CookieFileError(path, f"cannot be read ({error})") from None
    now = time.time()
    for cookie in list(jar):
        if not cookie.expires:  # 0: a session cookie (curl and browser exports write 0)
            cookie.expires = None
        elif cookie.expires < now:
            jar.clear(cookie.domain, cookie.path, cookie.name)
    return jar


def cookie_header(jar: MozillaCookieJar, url: str) -> str:
    """The ``Cookie`` header value the jar holds for ``url`` ("" when none match)."""
    request = urllib.request.Request(url)
    jar.add_cookie_header(request)
    return str(request.get_header("Cookie") or "")
