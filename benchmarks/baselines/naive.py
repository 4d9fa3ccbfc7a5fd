"""The feed-to-EPUB script most tutorials write: feedparser with its defaults, then ebooklib.

    python benchmarks/baselines/naive.py FEED OUT.epub

Kept deliberately naive (it is the baseline feed2book is measured against): feedparser opens the
file itself with its sanitiser and URI resolver on, and every entry becomes one chapter.
"""

import sys

import feedparser
from ebooklib import epub

feed = feedparser.parse(sys.argv[1])
book = epub.EpubBook()
book.set_identifier("naive-baseline")
book.set_title(feed.feed.get("title", "Feed"))
book.set_language("en")
chapters = []
for number, entry in enumerate(feed.entries):
    body = entry.content[0].value if "content" in entry else entry.get("summary", "")
    chapter = epub.EpubHtml(title=entry.title, file_name=f"chapter_{number}.xhtml", lang="en")
    chapter.content = f"<h1>{entry.title}</h1>{body}"
    book.add_item(chapter)
    chapters.append(chapter)
book.toc = chapters
book.add_item(epub.EpubNcx())
book.add_item(epub.EpubNav())
book.spine = ["nav", *chapters]
epub.write_epub(sys.argv[2], book)
