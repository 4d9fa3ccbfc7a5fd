"""Peak memory of ``feed2book epub`` over one ~6 MB noise JPEG behind N query strings (issue 14).

    python benchmarks/image_memory.py 1000            # this checkout
    python benchmarks/image_memory.py 1000 OLD_TREE   # another tree (PYTHONPATH=OLD_TREE)

Serves the photo from 127.0.0.1, runs the command under ``/usr/bin/time -v`` with a fresh image
cache, and prints the maximum resident set size, the wall time and the cache's size on disk.
"""

from __future__ import annotations

import io
import os
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402

from tests.httpserver import Server  # noqa: E402


def main(count: int, tree: str | None) -> None:
    noise = random.Random(6).randbytes(2800 * 2100 * 3)
    buffer = io.BytesIO()
    Image.frombytes("RGB", (2800, 2100), noise).save(buffer, "JPEG", quality=93)
    print(f"photo: {len(buffer.getvalue()):,} bytes, {count} addresses")
    work = Path(tempfile.mkdtemp(prefix="feed2book-image-memory-"))
    server = Server().start()
    try:
        url = server.route("/photo.jpg", body=buffer.getvalue())
        items = "".join(
            f"<item><title>Post {n}</title><link>https://blog.example/p{n}</link>"
            f"<guid>p{n}</guid><pubDate>Mon, 01 Jun 2026 10:00:00 GMT</pubDate>"
            f"<author>a@blog.example (Ann)</author><description>&lt;p&gt;&lt;img "
            f'src="{url}?v={n}" alt="photo {n}"&gt;&lt;/p&gt;</description></item>'
            for n in range(count)
        )
        feed = work / "feed.xml"
        feed.write_text(
            f'<?xml version="1.0"?><rss version="2.0"><channel><title>Photos</title>'
            f"<link>https://blog.example/</link>{items}</channel></rss>"
        )
        env = dict(os.environ, FEED2BOOK_CACHE_DIR=str(work / "cache"))
        if tree:
            env["PYTHONPATH"] = tree
        command = [sys.executable, "-m", "feed2book", "epub", str(feed), "-o", str(work / "out")]
        result = subprocess.run(
            ["/usr/bin/time", "-v", *command], env=env, capture_output=True, text=True, cwd=work
        )
        for line in result.stderr.splitlines():
            if any(key in line for key in ("Maximum resident", "Elapsed", "images:", "Exit")):
                print(line.strip())
        cache = sum(p.stat().st_size for p in (work / "cache").rglob("*") if p.is_file())
        print(f"image cache on disk: {cache / 1e6:.1f} MB")
    finally:
        server.stop()
        shutil.rmtree(work)


if __name__ == "__main__":
    main(
        int(sys.argv[1]) if len(sys.argv) > 1 else 1000, sys.argv[2] if len(sys.argv) > 2 else None
    )
