"""The on-disk image cache: bodies stored once by content, URLs indexed to them, converted
images keyed by content.

Layout under the cache root (``default_cache_dir()``)::

    blobs/<2 hex>/<sha256 of body>.body  a body as the server sent it (decoded), one copy
                                         however many URLs serve it
    raw/<2 hex>/<sha256 of url>.json     url -> body: url, etag, last-modified, content-type,
                                         stored, size and sha256 of the body
    converted/<2 hex>/<key>.body         converted bytes, key = sha256(raw sha + conversion options)
    converted/<2 hex>/<key>.json         media type, size in pixels, whether bytes changed
    tmp/                                 downloads in progress (streamed here, never in memory)

Every file is written to a temporary name and renamed into place, and a ``.json`` goes last
and records the body's size and hash: two processes can share the cache, and an entry a crash
left half-written, or one edited by hand, is simply a miss (a blob's hash is checked once per
run). Nothing here raises on a bad cache; a cache that cannot be written only makes the next
build slower.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from feed2book.images.convert import Converted

_FORMAT = 2  # bump when the layout or the meaning of an entry changes
_HASH_STEP = 1024 * 1024
STALE_DOWNLOAD_SECONDS = 24 * 3600


@dataclass(frozen=True, slots=True)
class CachedBody:
    """A URL's cached body: its file (``path``) and hash, and the validators it came with."""

    url: str
    path: Path
    sha256: str
    size: int
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


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(_HASH_STEP):
            digest.update(chunk)
    return digest.hexdigest()


class ImageCache:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._verified: set[str] = set()  # blobs whose hash was checked in this run
        self._lock = threading.Lock()

    def get(self, url: str) -> CachedBody | None:
        """``url``'s entry when its index and its body are intact, else None."""
        try:
            meta = json.loads(self._index_path(url).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(meta, dict) or meta.get("format") != _FORMAT or meta.get("url") != url:
            return None
        sha, size = str(meta.get("sha256") or ""), meta.get("size")
        path = self.blob_path(sha)
        if len(sha) != 64 or not self._intact(path, sha, size):
            return None
        return CachedBody(
            url=url,
            path=path,
            sha256=sha,
            size=int(size) if isinstance(size, int) else 0,
            etag=str(meta.get("etag") or ""),
            last_modified=str(meta.get("last_modified") or ""),
            content_type=str(meta.get("content_type") or ""),
        )

    def put(self, url: str, body: Path, sha256: str, headers: dict[str, str]) -> None:
        """Keep the file ``body`` (whose hash is ``sha256``) for ``url``: moved into the blobs
        unless that content is there already, then the URL indexed to it."""
        blob = self.blob_path(sha256)
        try:
            size = body.stat().st_size
            if not self._intact(blob, sha256, size):
                blob.parent.mkdir(parents=True, exist_ok=True)
                handle, temporary = tempfile.mkstemp(dir=blob.parent, prefix=".tmp-")
                os.close(handle)
                try:
                    shutil.copyfile(body, temporary)
                    os.replace(temporary, blob)
                except BaseException:
                    Path(temporary).unlink(missing_ok=True)
                    raise
                with self._lock:
                    self._verified.add(sha256)
            meta = {
                "format": _FORMAT,
                "url": url,
                "sha256": sha256,
                "size": size,
                "etag": headers.get("etag", ""),
                "last_modified": headers.get("last-modified", ""),
                "content_type": headers.get("content-type", ""),
                "stored": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
            index = self._index_path(url)
            index.parent.mkdir(parents=True, exist_ok=True)
            _write_atomically(index, json.dumps(meta).encode())
        except OSError:
            pass  # a read-only or full cache only costs a download next time

    def download_dir(self) -> Path | None:
        """Where downloads are streamed (created on first use), or None when not writable.
        Downloads a killed run left there (older than ``STALE_DOWNLOAD_SECONDS``: another
        process may be writing the newer ones) are removed."""
        folder = self.root / "tmp"
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            return None
        stale = time.time() - STALE_DOWNLOAD_SECONDS
        for leftover in folder.glob(".tmp-*"):
            try:
                if leftover.stat().st_mtime < stale:
                    leftover.unlink()
            except OSError:
                pass
        return folder

    def blob_path(self, sha256: str) -> Path:
        return self.root / "blobs" / sha256[:2] / f"{sha256}.body"

    def _intact(self, path: Path, sha256: str, size: object) -> bool:
        try:
            if path.stat().st_size != size:
                return False
        except OSError:
            return False
        with self._lock:
            if sha256 in self._verified:
                return True
        try:
            same = file_sha256(path) == sha256
        except OSError:
            return False
        if same:
            with self._lock:
                self._verified.add(sha256)
        return same

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

    def _index_path(self, url: str) -> Path:
        digest = hashlib.sha256(url.encode("utf-8", "surrogatepass")).hexdigest()
        return self.root / "raw" / digest[:2] / f"{digest}.json"

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
