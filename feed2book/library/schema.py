"""The library's tables, and the migrations that bring any older library up to date.

``PRAGMA user_version`` holds the number of migrations applied; ``MIGRATIONS`` is ordered and
append-only (never edit a released step: add one). Each step runs in its own transaction, so a
library is always at some version, never half-way between two.

Times: article dates are integer microseconds since the Unix epoch (range queries); bookkeeping
times (``added``, ``seen_at``, ``built_at``) are fixed-width UTC text (``records.text_stamp``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

_V1 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

-- What `feed2book add` remembers, and `sync` re-reads.
CREATE TABLE sources (
    spec TEXT PRIMARY KEY,            -- an absolute path, glob or directory, or a URL
    kind TEXT NOT NULL,               -- url, file, directory, glob, opml
    added TEXT NOT NULL,
    last_synced TEXT,
    last_status TEXT,                 -- ok, unchanged, failed
    last_error TEXT,
    last_new INTEGER NOT NULL DEFAULT 0,
    last_updated INTEGER NOT NULL DEFAULT 0,
    last_unchanged INTEGER NOT NULL DEFAULT 0
);

-- Validators for conditional GET, for every feed URL read (feeds inside an OPML source too).
CREATE TABLE fetch_state (
    url TEXT PRIMARY KEY,
    etag TEXT,
    last_modified TEXT,
    checked TEXT NOT NULL
);

-- One row per article id: the columns of its current revision, for filtering and ordering.
CREATE TABLE articles (
    id TEXT PRIMARY KEY,
    revision INTEGER NOT NULL,        -- revisions.n of the current revision
    url TEXT NOT NULL,
    title TEXT NOT NULL,
    published INTEGER NOT NULL,
    updated INTEGER,
    revision_key TEXT NOT NULL,
    series_key TEXT,                  -- records.series_key(title)
    series_name_key TEXT,             -- records.series_name_key(article)
    feed_url TEXT NOT NULL,
    feed_title TEXT NOT NULL,
    language TEXT NOT NULL,
    word_count INTEGER NOT NULL,
    content_hash TEXT NOT NULL,
    first_seen TEXT NOT NULL
);
CREATE INDEX articles_published ON articles (published);
CREATE INDEX articles_revision_key ON articles (revision_key);
CREATE INDEX articles_series_key ON articles (series_key) WHERE series_key IS NOT NULL;
CREATE INDEX articles_series_name_key ON articles (series_name_key)
    WHERE series_name_key IS NOT NULL;
CREATE INDEX articles_feed_url ON articles (feed_url);

-- Every distinct copy of an article ever seen (`record`: the writers.jsonl layout).
CREATE TABLE revisions (
    article_id TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    n INTEGER NOT NULL,
    content_hash TEXT NOT NULL,
    record TEXT NOT NULL,
    stamp INTEGER NOT NULL,           -- updated, else published: records.Rank
    size INTEGER NOT NULL,            -- len(content_html): records.Rank
    seen_at TEXT NOT NULL,            -- the run that last saw this copy
    UNIQUE (article_id, n),
    UNIQUE (article_id, content_hash)
);

CREATE TABLE article_authors (
    article_id TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    handle TEXT NOT NULL,
    name TEXT NOT NULL,
    handle_key TEXT NOT NULL,         -- records.author_key(handle)
    name_key TEXT NOT NULL,           -- records.author_key(name)
    PRIMARY KEY (article_id, position)
) WITHOUT ROWID;
CREATE INDEX article_authors_handle ON article_authors (handle_key);
CREATE INDEX article_authors_name ON article_authors (name_key);

CREATE TABLE article_tags (
    article_id TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    tag_key TEXT NOT NULL,            -- records.tag_key(tag)
    PRIMARY KEY (article_id, tag_key)
) WITHOUT ROWID;
CREATE INDEX article_tags_tag ON article_tags (tag_key);

-- Which source (a remembered spec, a --save spec, or "import:FILE") brought which article.
CREATE TABLE article_sources (
    article_id TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    source TEXT NOT NULL,
    PRIMARY KEY (article_id, source)
) WITHOUT ROWID;
CREATE INDEX article_sources_source ON article_sources (source);
"""

_V2 = """
-- What each `--new` build held, so the next one can leave it out.
CREATE TABLE builds (
    id INTEGER PRIMARY KEY,
    book_key TEXT NOT NULL,
    built_at TEXT NOT NULL
);
CREATE INDEX builds_book_key ON builds (book_key);
CREATE TABLE build_articles (
    build_id INTEGER NOT NULL REFERENCES builds (id) ON DELETE CASCADE,
    article_id TEXT NOT NULL,         -- no foreign key: books may be built from unsaved SOURCES
    PRIMARY KEY (build_id, article_id)
) WITHOUT ROWID;
"""

_V3 = """
-- What `epub --send` and `sync --send` delivered to each address, so nothing is sent twice.
CREATE TABLE deliveries (
    id INTEGER PRIMARY KEY,
    address TEXT NOT NULL,            -- lower case
    book_key TEXT NOT NULL,
    file_name TEXT NOT NULL,
    sent_at TEXT NOT NULL
);
CREATE INDEX deliveries_address ON deliveries (address);
CREATE TABLE delivery_articles (
    delivery_id INTEGER NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
    article_id TEXT NOT NULL,
    PRIMARY KEY (delivery_id, article_id)
) WITHOUT ROWID;
"""

_V4 = """
-- `add --full-text always|never|auto`: how the articles of a source get their pages' text.
ALTER TABLE sources ADD COLUMN full_text TEXT;
"""


def _script(sql: str) -> Callable[[sqlite3.Connection], None]:
    """Run the statements one by one (``executescript`` would commit the open transaction)."""

    def run(connection: sqlite3.Connection) -> None:
        statement = ""
        for line in sql.splitlines(keepends=True):
            statement += line
            if sqlite3.complete_statement(statement):
                connection.execute(statement)
                statement = ""
        assert not statement.strip(), "a migration ends with an incomplete statement"

    return run


# Append only. Version N is reached by running MIGRATIONS[:N].
MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (
    _script(_V1),  # 1: sources, fetch state, articles, revisions, authors, tags
    _script(_V2),  # 2: builds, for --new
    _script(_V3),  # 3: deliveries, for --send
    _script(_V4),  # 4: sources.full_text, remembered per source
)
CURRENT_VERSION = len(MIGRATIONS)


def version(connection: sqlite3.Connection) -> int:
    row = connection.execute("PRAGMA user_version").fetchone()
    return int(row[0])


def _begin(connection: sqlite3.Connection) -> None:
    connection.execute("BEGIN IMMEDIATE")


def migrate(
    connection: sqlite3.Connection,
    target: int = CURRENT_VERSION,
    begin: Callable[[sqlite3.Connection], None] = _begin,
) -> int:
    """Apply the missing migrations up to ``target``, one transaction each; returns the version.

    The version is re-read inside each write transaction, so two processes opening an old
    library at once apply every step exactly once.
    """
    if version(connection) >= target:
        return version(connection)  # the common case: no write lock needed
    while True:
        begin(connection)  # takes the write lock (``connection.begin_immediate`` waits for it)
        try:
            current = version(connection)
            if current >= target:
                connection.execute("COMMIT")
                return current
            MIGRATIONS[current](connection)
            connection.execute(f"PRAGMA user_version = {current + 1}")
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
