"""Regenerate examples/feeds/: small, realistic feeds written for feed2book (invented text).

    python scripts/make_examples.py

- devto-priya-raman.xml: dev.to-shaped RSS 2.0 (dc:creator, categories, Rouge-highlighted code,
  a "Day N: ... - Rust in Small Bites" series with one post republished under a new URL).
- devto-tomas-ferreira.xml: dev.to-shaped RSS 2.0 with a table, a YouTube iframe, SQL and shell.
- field-notes.atom: Atom with xml:base, relative links, embedded data: images (so that the README's
  first command needs no network: not even a DNS lookup), an entry without a date.
- blogroll.opml: an OPML list naming the three feeds above by relative path.
"""

from __future__ import annotations

import base64
import struct
import zlib
from html import escape
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

OUT = Path(__file__).resolve().parents[1] / "examples" / "feeds"


def code(lang: str, source: str) -> str:
    """dev.to's markup for a fenced block: Rouge spans around tokens, plain text otherwise."""
    highlighted = []
    for line in source.split("\n"):
        words = line.split(" ")
        spans = []
        for word in words:
            if word in {
                "fn",
                "let",
                "mut",
                "pub",
                "struct",
                "impl",
                "def",
                "return",
                "SELECT",
                "FROM",
                "WHERE",
                "JOIN",
                "ON",
                "GROUP",
                "BY",
                "use",
                "match",
                "for",
                "in",
            }:
                spans.append(f'<span class="k">{escape(word)}</span>')
            elif word.startswith('"') and word.endswith('"') and len(word) > 1:
                spans.append(f'<span class="s">{escape(word)}</span>')
            else:
                spans.append(escape(word))
        highlighted.append(" ".join(spans))
    body = "\n".join(highlighted)
    return (
        '<div class="highlight js-code-highlight">\n'
        f'<pre class="highlight {lang}"><code>{body}\n</code></pre>\n\n</div>\n\n'
    )


def heading(level: int, text: str) -> str:
    return f"<h{level}>\n  \n  \n  {escape(text)}\n</h{level}>\n\n"


def p(text: str) -> str:
    return f"<p>{text}</p>\n\n"


def rss_item(
    title: str,
    handle: str,
    creator: str,
    slug: str,
    date: str,
    tags: list[str],
    body: str,
    host: str = "dev.to",
) -> str:
    link = f"https://{host}/{handle}/{slug}"
    categories = "".join(f"      <category>{t}</category>\n" for t in tags)
    return (
        "    <item>\n"
        f"      <title>{xml_escape(title)}</title>\n"
        f"      <dc:creator>{xml_escape(creator)}</dc:creator>\n"
        f"      <pubDate>{date}</pubDate>\n"
        f"      <link>{link}</link>\n"
        f"      <guid>{link}</guid>\n"
        f"      <description>{xml_escape(body)}</description>\n"
        f"{categories}"
        "    </item>\n"
    )


def rss(title: str, handle: str, name: str, items: list[str]) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/">\n'
        "  <channel>\n"
        f"    <title>{xml_escape(title)}</title>\n"
        f"    <description>The latest articles on DEV Community by {xml_escape(name)} "
        f"(@{handle}).</description>\n"
        f"    <link>https://dev.to/{handle}</link>\n"
        f'    <atom:link rel="self" type="application/rss+xml" href="https://dev.to/feed/{handle}"/>\n'
        "    <language>en</language>\n" + "".join(items) + "  </channel>\n</rss>\n"
    )


RUST_DAYS = [
    (
        1,
        "Ownership Without Tears",
        "Sat, 02 May 2026 09:00:00 +0000",
        "own-1a2b",
        "Every value in Rust has exactly one owner. When the owner goes out of scope, the value is "
        "dropped. That single rule replaces a garbage collector, and it is easier to live with than "
        "its reputation suggests.",
        "rust",
        'fn main() {\n    let greeting = String::from("hello");\n    let moved = greeting;\n'
        '    println!("{}", moved);\n}',
    ),
    (
        2,
        "Borrowing Is Just Lending",
        "Sun, 03 May 2026 09:00:00 +0000",
        "borrow-3c4d",
        "A reference lets a function look at a value without taking it. Shared references may be "
        "many; a mutable reference must be alone. The compiler checks this for you, every time.",
        "rust",
        "fn length(text: &str) -> usize {\n    text.len()\n}",
    ),
    (
        3,
        "Enums That Carry Data",
        "Mon, 04 May 2026 09:00:00 +0000",
        "enums-5e6f",
        "Rust enums are closer to tagged unions than to C enums: each variant can hold its own data, "
        "and <code>match</code> makes sure you handle every one of them.",
        "rust",
        "enum Shape {\n    Circle { radius: f64 },\n    Square { side: f64 },\n}",
    ),
    (
        4,
        "Errors as Values",
        "Tue, 05 May 2026 09:00:00 +0000",
        "errors-7a8b",
        "There are no exceptions in Rust. A function that can fail returns a <code>Result</code>, "
        "and the question mark operator passes the error up when you cannot handle it here.",
        "rust",
        "use std::fs;\n\nfn read_config() -> Result<String, std::io::Error> {\n"
        '    let text = fs::read_to_string("config.toml")?;\n    Ok(text)\n}',
    ),
]


def rust_body(day: int, topic: str, intro: str, lang: str, source: str, revised: bool) -> str:
    body = p(intro)
    body += heading(2, "The idea in one picture")
    body += p("Think of it as a small contract between you and the compiler:")
    body += "<ul>\n<li>you state who owns what</li>\n<li>the compiler checks the promise</li>\n"
    body += "<li>the program never pays for it at run time</li>\n</ul>\n\n"
    body += heading(2, "Code")
    body += code(lang, source)
    body += heading(3, "Try it")
    body += p(
        f"Paste the snippet into the playground and change one line. Day {day} is about "
        f"seeing the error message, reading it slowly, and fixing it."
    )
    if revised:
        body += p(
            "<em>Updated:</em> the first version of this post had a typo in the signature; "
            "this one compiles."
        )
    body += p("See you tomorrow. <strong>Happy hacking!</strong>")
    return body


def priya() -> str:
    items = []
    for day, topic, date, slug, intro, lang, source in reversed(RUST_DAYS):
        title = f"Day {day}: {topic} - Rust in Small Bites"
        items.append(
            rss_item(
                title,
                "priya_raman",
                "Priya Raman",
                f"day-{day}-{topic.lower().replace(' ', '-')}-{slug}",
                date,
                ["rust", "beginners", "learning"],
                rust_body(day, topic, intro, lang, source, False),
            )
        )
    # Day 2 republished under a new URL a day later (a fixed typo): a revision.
    day, topic, _, _, intro, lang, source = RUST_DAYS[1]
    items.insert(
        0,
        rss_item(
            f"Day {day}: {topic} - Rust in Small Bites",
            "priya_raman",
            "Priya Raman",
            "day-2-borrowing-is-just-lending-9f0e",
            "Wed, 06 May 2026 08:30:00 +0000",
            ["rust", "beginners", "learning"],
            rust_body(day, topic, intro, lang, source, True),
        ),
    )
    return rss("DEV Community: Priya Raman", "priya_raman", "Priya Raman", items)


def tomas() -> str:
    table = (
        '<div class="table-wrapper-paragraph"><table>\n<thead>\n<tr>\n<th>Index type</th>\n'
        "<th>Good for</th>\n<th>Cost</th>\n</tr>\n</thead>\n<tbody>\n"
        "<tr>\n<td>B-tree</td>\n<td>ranges, sorting, equality</td>\n<td>moderate writes</td>\n</tr>\n"
        "<tr>\n<td>Hash</td>\n<td>equality only</td>\n<td>cheap, but no ranges</td>\n</tr>\n"
        "<tr>\n<td>GIN</td>\n<td>arrays, JSONB, full text</td>\n<td>slow to update</td>\n</tr>\n"
        "</tbody>\n</table></div>\n\n"
    )
    indexes = (
        p(
            "Most slow queries I am asked to look at are not slow because the database is slow. "
            "They are slow because the database is doing exactly what we asked: reading everything."
        )
        + heading(2, "Which index, when")
        + table
        + p("A composite index helps only when the query filters on its <em>leading</em> columns:")
        + code(
            "sql",
            "SELECT id, title\nFROM posts\nWHERE author_id = 42\n"
            "  AND published_at > now() - interval '30 days';",
        )
        + code(
            "sql", "CREATE INDEX posts_author_published\n    ON posts (author_id, published_at);"
        )
        + heading(2, "Check before you believe")
        + p('Run <code>EXPLAIN ANALYZE</code> and look for "Seq Scan" on big tables.')
        + "<blockquote>\n<p>Measure first. An index you do not need is a write tax forever.</p>\n"
        "</blockquote>\n\n"
    )
    talk = (
        p(
            '  <iframe width="710" height="399" src="https://www.youtube.com/embed/dQw4w9WgXcQ" '
            'allowfullscreen loading="lazy">\n  </iframe>\n'
        )
        + heading(1, "Shipping a Side Project in a Weekend")
        + p(
            "I gave a short talk at our local meetup about shipping small things quickly. "
            "The recording is above; these are the notes."
        )
        + heading(2, "The checklist")
        + "<ol>\n<li>Write the README first.</li>\n<li>Pick boring tools:\n<ul>\n"
        "<li>SQLite for storage</li>\n<li>one server process</li>\n</ul>\n</li>\n"
        "<li>Deploy on day one.</li>\n</ol>\n\n"
        + code("bash", "git init weekend-app\ncd weekend-app\npython -m venv .venv")
        + p('Slides and links are on <a href="https://example.com/talks/weekend">my site</a>.')
    )
    items = [
        rss_item(
            "Notes from My Meetup Talk: Shipping a Side Project in a Weekend",
            "tomas_ferreira",
            "Tomás Ferreira",
            "notes-from-my-meetup-talk-2k9x",
            "Fri, 15 May 2026 17:45:00 +0000",
            ["productivity", "sideprojects", "talks"],
            talk,
        ),
        rss_item(
            "Database Indexes, Explained With a Library Card Catalogue",
            "tomas_ferreira",
            "Tomás Ferreira",
            "database-indexes-explained-4m1q",
            "Mon, 11 May 2026 07:15:00 +0000",
            ["database", "postgres", "sql", "performance"],
            indexes,
        ),
    ]
    return rss("DEV Community: Tomás Ferreira", "tomas_ferreira", "Tomás Ferreira", items)


PIXEL = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAFUlEQVR42mPUqzViwAaYGHCAwSkBALHyAO0OAoiCAAAAAElFTkSuQmCC"


def beds_sketch() -> str:
    """A 48x24 PNG of four raised beds (green squares on soil brown), as a data: URI: drawn
    here, byte for byte the same on every run."""
    width, height = 48, 24
    soil, bed = (120, 86, 60), (86, 150, 70)
    rows = []
    for y in range(height):
        row = bytearray([0])  # filter: none
        for x in range(width):
            inside = 3 <= y < 21 and (x - 2) % 11 < 9 and x < 46
            row += bytes(bed if inside else soil)
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + chunk(b"IEND", b"")
    )
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def atom() -> str:
    first = (
        "<p>The garden log moved to plain text files this spring. Each bed has a file; each "
        'change is a line. The <a href="../tools/log-format.html">format notes</a> explain the '
        'columns, and the <a href="/archive/">archive</a> has last year\'s entries.</p>'
        f'<figure><img src="{beds_sketch()}" alt="Sketch of the four raised beds"/>'
        "<figcaption>The four raised beds, as drawn on the shed door.</figcaption></figure>"
        "<p>Tomatoes went into bed three on the twelfth; the peas are already climbing.</p>"
    )
    second = (
        "<p>A short one: the rain gauge is a jam jar with a ruler taped to it. Readings, in "
        "millimetres:</p><table><thead><tr><th>Week</th><th>Rain</th></tr></thead><tbody>"
        "<tr><td>19</td><td>12</td></tr><tr><td>20</td><td>31</td></tr></tbody></table>"
        f'<p>A colour swatch for the new trellis: <img src="{PIXEL}" alt="swatch"/></p>'
    )
    third = (
        "<p>This note has no date in the feed; feed2book dates it from the feed itself and says "
        'so. See the <a href="./">index of notes</a>.</p>'
    )
    return f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en" xml:base="https://notes.example.org/garden/">
  <title>Field Notes from the Allotment</title>
  <subtitle>Short notes on growing things, kept by Lena Vogel.</subtitle>
  <link rel="alternate" type="text/html" href="https://notes.example.org/"/>
  <link rel="self" href="https://notes.example.org/garden/feed.atom"/>
  <id>tag:notes.example.org,2026:garden</id>
  <updated>2026-05-20T18:00:00Z</updated>
  <author><name>Lena Vogel</name></author>
  <entry>
    <title>Moving the garden log to text files</title>
    <link rel="alternate" href="2026/05/text-log.html"/>
    <id>tag:notes.example.org,2026:garden/text-log</id>
    <published>2026-05-12T06:30:00Z</published>
    <updated>2026-05-13T08:00:00Z</updated>
    <category term="tools"/>
    <category term="garden"/>
    <content type="html" xml:base="https://notes.example.org/garden/2026/05/">{xml_escape(first)}</content>
  </entry>
  <entry>
    <title>The jam-jar rain gauge</title>
    <link rel="alternate" href="2026/05/rain-gauge.html"/>
    <id>tag:notes.example.org,2026:garden/rain-gauge</id>
    <published>2026-05-19T19:10:00Z</published>
    <category term="garden"/>
    <content type="html">{xml_escape(second)}</content>
  </entry>
  <entry>
    <title>An undated note</title>
    <link rel="alternate" href="2026/05/undated.html"/>
    <id>tag:notes.example.org,2026:garden/undated</id>
    <content type="html">{xml_escape(third)}</content>
  </entry>
</feed>
"""


def opml() -> str:
    return """<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head><title>Example blogroll</title></head>
  <body>
    <outline text="Developers">
      <outline type="rss" text="Priya Raman" xmlUrl="devto-priya-raman.xml"/>
      <outline type="rss" text="Tomás Ferreira" xmlUrl="devto-tomas-ferreira.xml"/>
    </outline>
    <outline text="Gardening">
      <outline type="rss" text="Field Notes" xmlUrl="field-notes.atom"/>
    </outline>
  </body>
</opml>
"""


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "devto-priya-raman.xml").write_text(priya(), encoding="utf-8")
    (OUT / "devto-tomas-ferreira.xml").write_text(tomas(), encoding="utf-8")
    (OUT / "field-notes.atom").write_text(atom(), encoding="utf-8")
    (OUT / "blogroll.opml").write_text(opml(), encoding="utf-8")


if __name__ == "__main__":
    main()
