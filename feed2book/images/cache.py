"""The on-disk image cache: raw bodies keyed by URL, converted images keyed by content.

Layout under the cache root (``default_cache_dir()``)::

    raw/<2 hex>/<sha256 of url>.body   the body as the server sent it (decoded)
    raw/<2 hex>/<sha256 of url>.json   url, etag, last-modified, content-type, stored, size, sha256
    converted/<2 hex>/<key>.body       converted bytes, key = sha256(raw sha + conversion options)
    converted/<2 hex>/<key>.json       media type, size in pixels, whether bytes changed

Every file is written to a temporary name and renamed into place, and the ``.json`` goes last
and records the body's size and hash: two processes can share the cache, and an entry a crash
left half-written, or one edited by hand, is simply a miss. Nothing here raises on a bad
cache; a cache that cannot be written only makes the next build slower.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from feed2book.images.convert import Converted

_FORMAT = 1  # bump when the layout or the meaning of an entry changes


@dataclass(frozen=True, slots=True)
class CachedBody:
    url: str
    body: bytes
    etag: str
    last_modified: str
    content_type: str

    @property
    def validators(self) -> dict[str, str]:
        """Request headers that let a server answer 304 Not Modified."""
        headers = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers


class ImageCache:
    def __init__(self, root: Path) -> None:
        self.root = root

    def get(self, url: str) -> CachedBody | None:
        meta, body = self._read(self._raw_path(url))
        if meta is None or body is None or meta.get("url") != url:
            return None
        return CachedBody(
            url=url,
            body=body,
            etag=str(meta.get("etag") or ""),
            last_modified=str(meta.get("last_modified") or ""),
            content_type=str(meta.get("content_type") or ""),
        )

    def put(self, url: str, body: bytes, headers: dict[str, str]) -> None:
        meta = {
            "url": url,
            "etag": headers.get("etag", ""),
            "last_modified": headers.get("last-modified", ""),
            "content_type": headers.get("content-type", ""),
            "stored": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        self._write(self._raw_path(url), body, meta)

    def get_converted(self, key: str) -> Converted | None:
        meta, data = self._read(self._converted_path(key))
        if meta is None or data is None:
            return None
        try:
            return Converted(
                media_type=str(meta["media_type"]),
                data=data,
                width=int(meta["width"]),
                height=int(meta["height"]),
                changed=bool(meta["changed"]),
                tracking_pixel=bool(meta["tracking_pixel"]),
            )
        except (KeyError, TypeError, ValueError):
            return None

    def put_converted(self, key: str, converted: Converted) -> None:
        meta = {
            "media_type": converted.media_type,
            "width": converted.width,
            "height": converted.height,
            "changed": converted.changed,
            "tracking_pixel": converted.tracking_pixel,
        }
        self._write(self._converted_path(key), converted.data, meta)

    def _raw_path(self, url: str) -> Path:
        digest = hashlib.sha256(url.encode("utf-8", "surrogatepass")).hexdigest()
        return self.root / "raw" / digest[:2] / digest

    def _converted_path(self, key: str) -> Path:
        return self.root / "converted" / key[:2] / key

    def _read(self, stem: Path) -> tuple[dict[str, Any] | None, bytes | None]:
        try:
            meta = json.loads(stem.with_suffix(".json").read_text(encoding="utf-8"))
            body = stem.with_suffix(".body").read_bytes()
        except (OSError, ValueError):
            return None, None
        if (
            not isinstance(meta, dict)
            or meta.get("format") != _FORMAT
            or meta.get("size") != len(body)
            or meta.get("sha256") != hashlib.sha256(body).hexdigest()
        ):
            return None, None
        return meta, body

    def _write(self, stem: Path, body: bytes, meta: dict[str, Any]) -> None:
        meta = {**meta, "format": _FORMAT, "size": len(body)}
        meta["sha256"] = hashlib.sha256(body).hexdigest()
        try:
            stem.parent.mkdir(parents=True, exist_ok=True)
            _write_atomically(stem.with_suffix(".body"), body)
            _write_atomically(stem.with_suffix(".json"), json.dumps(meta).encode())
        except OSError:
            pass  # a read-only or full cache only costs a download next time


def _write_atomically(path: Path, data: bytes) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
