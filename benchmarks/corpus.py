"""A deterministic, dev.to-shaped benchmark corpus: RSS 2.0 feeds of N generated articles.

    python benchmarks/corpus.py 2000 -o corpus.xml          # one feed, N articles
    python benchmarks/corpus.py 2000 --multi feeds/         # N articles over 10 per-author feeds
    python benchmarks/corpus.py 2000 --jsonl articles.jsonl # the same articles as feed2book JSONL
    python benchmarks/corpus.py 2000 --real -o real.xml     # real-shaped: ../shared's feeds

Every article is a pure function of ``(seed, index)``: the same N always gives byte-identical
files, and article ``i`` is the same whatever N is. Each one carries ~10 KB of HTML shaped the way
dev.to emits it (headings with dev.to's blank lines, Rouge-highlighted code blocks inside
``div.highlight``, a table in ``div.table-wrapper-paragraph``, a YouTube iframe, lists, a
blockquote, links) but the words are generated from the word lists below, never copied. Five
authors write; every third post of an author belongs to one of the author's series, titled "Day N:
Topic - Series Name" so that feed2book's series detection finds them.

``--real`` is the other corpus: the items of the shared seed and practice feeds (``../shared``
beside the repository), repeated in order to N, each copy with its own link, title and date
(``write_real_feed``); without them it says where it looked and exits 2.

Importable: ``make_feed(n) -> bytes``, ``write_feed``, ``write_multi``, ``write_jsonl``,
``expected_series(n)``, ``real_items``, ``write_real_feed``.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape as html_escape
from pathlib import Path
from typing import BinaryIO
from xml.sax.saxutils import escape as xml_escape

SEED = "feed2book-bench-1"
TARGET_HTML_BYTES = 10_000
MULTI_FILES = 10
EPOCH = datetime(2018, 1, 1, 6, 0, tzinfo=UTC)
SPACING = timedelta(minutes=40)  # 100,000 articles span ~7.6 years
SERIES_EVERY = 3  # every third post of an author is part of a series

# --- who writes ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Writer:
    name: str
    handle: str
    series: tuple[str, ...]


WRITERS = (
    Writer("Ines Vaskova", "ines_vaskova", ("Postgres Under Pressure", "Queues From Scratch")),
    Writer("Tomasz Okafor", "tokafor", ("Kubernetes Without Tears",)),
    Writer("Mireille Tanaka", "mireille-dev", ("Frontend Speed Field Notes", "Typed Python Daily")),
    Writer("Joaquin Halvorsen", "jhalvorsen", ("Shell Scripts That Last",)),
    Writer("Aiyana Brandt", "aiyana_builds", ("The Observability Diaries", "Edge Caching Dives")),
)

# --- words (written for this corpus) -------------------------------------------------------------
# fmt: off

GERUNDS = (
    "Taming", "Debugging", "Untangling", "Shipping", "Scaling", "Testing", "Profiling",
    "Refactoring", "Designing", "Securing", "Caching", "Monitoring", "Migrating", "Packaging",
    "Tuning", "Rethinking", "Documenting", "Automating", "Simplifying", "Hardening",
    "Measuring", "Replacing", "Isolating", "Versioning", "Batching", "Tracing", "Sharding",
    "Throttling", "Benchmarking", "Reviewing",
)
ADJECTIVES = (
    "flaky", "stubborn", "noisy", "fragile", "legacy", "slow", "hidden", "brittle", "chatty",
    "idle", "leaky", "overgrown", "tangled", "silent", "eager", "lazy", "stale", "greedy",
    "oversized", "forgotten", "nested", "shared", "mutable", "cold", "warm", "partial",
    "duplicated", "orphaned", "unbounded", "hungry", "racy", "sticky", "verbose", "opaque",
    "careless", "clumsy", "wobbly", "sleepy", "restless", "crowded",
)
NOUNS = (
    "migrations", "caches", "workers", "queues", "endpoints", "fixtures", "webhooks", "cron jobs",
    "containers", "dashboards", "feature flags", "connection pools", "build scripts", "indexes",
    "sessions", "retries", "timeouts", "dependencies", "log lines", "schemas", "deploys",
    "load balancers", "test suites", "service meshes", "state machines", "event handlers",
    "lock files", "API clients", "background jobs", "config files", "memory pools", "sockets",
    "pipelines", "bundles", "templates", "permissions", "alerts", "replicas", "snapshots",
    "transactions", "iterators", "generators", "middlewares", "serializers", "trace spans",
    "rate limiters", "circuit breakers", "job runners", "release notes", "type hints",
)
CONTEXTS = (
    "in Production", "on a Budget", "Without Downtime", "at Startup Speed", "for Small Teams",
    "in a Monorepo", "on Kubernetes", "in the Browser", "on the Edge", "Before Friday",
    "in Plain Python", "with Postgres", "with Go", "in TypeScript", "in Rust", "on Bare Metal",
    "Across Regions", "Under Load", "Behind a Proxy", "on Slow Networks", "in CI", "at Night",
    "for the Long Run", "the Boring Way", "Step by Step", "from First Principles",
    "Without a Framework", "with SQLite", "on One Server", "for Humans",
)
SUBJECTS = (
    "the scheduler", "our ingest service", "the billing worker", "a tiny proxy",
    "the search index", "the login flow", "a nightly export", "the event bus",
    "our staging cluster", "the asset build", "a reporting query", "the mobile API",
    "the upload handler", "a read replica", "the cache layer", "the notification fan-out",
    "our test runner", "the payment webhook", "a batch importer", "the admin panel",
    "the audit log", "our feature store", "the rollout script", "a shared volume",
)
VERBS = (
    "stalls", "drifts", "retries", "degrades", "blocks", "leaks memory", "times out", "recovers",
    "spikes", "double-writes", "falls behind", "warms up", "locks up", "thrashes", "backs off",
    "fans out", "rebalances", "starves", "flaps", "fails over", "catches up", "stays quiet",
)
CAUSES = (
    "a missing index", "an unbounded loop", "a stale lock", "one slow dependency",
    "a chatty client", "clock skew", "a full disk", "an expired token", "a bad default",
    "a forgotten flag", "a retry storm", "an oversized payload", "a hot partition",
    "a cold cache", "a noisy neighbour", "a leaked file handle", "connection churn",
    "a schema mismatch", "a silent fallback", "an eager import", "a shared global",
)
ACTIONS = (
    "measure before changing anything", "write the failing test first", "cap the queue length",
    "add a timeout to every call", "log the request id everywhere",
    "move the work off the hot path",
    "make the operation idempotent", "batch the writes", "stream instead of buffering",
    "pin the dependency", "split the job in two", "add a circuit breaker", "precompute the summary",
    "trace one request end to end", "keep the config in one place", "delete the dead code path",
    "profile with real data", "reuse the connection", "shed load early", "document the decision",
)
OUTCOMES = (
    "the latency graph goes flat", "the pager stays silent", "rollbacks become boring",
    "the build drops under a minute", "memory stops creeping up", "nobody dreads Mondays",
    "the error budget survives", "the numbers finally add up", "new hires ship on day two",
    "the dashboard tells the truth", "incidents get shorter", "the bill shrinks",
)
OPENERS = (
    "In practice,", "Most of the time,", "On paper,", "Under real traffic,", "Surprisingly,",
    "After a few weeks,", "For a small team,", "In our case,", "Sooner or later,", "Usually,",
    "At first glance,", "Looking back,",
)
TAGS = (
    "python", "javascript", "typescript", "go", "rust", "devops", "kubernetes", "docker",
    "postgres", "sql", "webdev", "performance", "testing", "architecture", "cloud", "linux",
    "security", "observability", "frontend", "backend", "productivity", "tutorial", "beginners",
    "programming", "career", "opensource", "database", "aws", "shell", "api",
)
LINK_HOSTS = (
    "docs.python.org/3/library", "developer.mozilla.org/en-US/docs/Web", "www.postgresql.org/docs",
    "kubernetes.io/docs/concepts", "go.dev/doc", "doc.rust-lang.org/book", "sqlite.org",
    "martinfowler.com/articles", "www.kernel.org/doc/html/latest", "nginx.org/en/docs",
)
IDENTIFIERS = (
    "queue", "batch", "retry", "client", "record", "payload", "cursor", "job", "worker", "limit",
    "offset", "row", "event", "span", "token", "session", "config", "result", "handler", "cache",
    "entry", "snapshot", "ledger", "timer", "budget", "window", "shard", "lease", "buffer", "index",
)
METHODS = (
    "fetch", "load", "flush", "commit", "publish", "acquire", "release", "enqueue", "drain",
    "resolve", "emit", "scan", "merge", "persist", "refresh", "render", "validate", "schedule",
)
SHELL_TOOLS = (
    ("npm", "install"), ("pip", "install"), ("docker", "compose"), ("kubectl", "apply"),
    ("git", "switch"), ("cargo", "build"), ("go", "test"), ("psql", "--dbname"),
)
LANGUAGES = ("python", "javascript", "typescript", "shell")
LABEL_WORDS = ("Before", "After", "Option", "Cost", "Risk", "When", "Tool", "Effort")
# fmt: on

# --- one article ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class GeneratedArticle:
    index: int
    writer: Writer
    title: str
    slug: str
    link: str
    published: datetime
    tags: tuple[str, ...]
    html: str
    series: tuple[str, int] | None  # (name, day)


def writer_of(index: int) -> Writer:
    return WRITERS[index % len(WRITERS)]


def series_slot(index: int) -> tuple[str, int] | None:
    """(series name, day number) when article ``index`` is part of a series; stateless."""
    writer = writer_of(index)
    position = index // len(WRITERS)  # the writer's own post number
    if position % SERIES_EVERY:
        return None
    turn = position // SERIES_EVERY
    return writer.series[turn % len(writer.series)], turn // len(writer.series) + 1


def _previous_in_series(index: int) -> int | None:
    writer = writer_of(index)
    step = len(WRITERS) * SERIES_EVERY * len(writer.series)
    return index - step if index - step >= 0 else None


def _rng(seed: str, index: int, purpose: str) -> random.Random:
    return random.Random(f"{seed}:{index}:{purpose}")


def title_of(index: int, seed: str = SEED) -> str:
    slot = series_slot(index)
    rng = _rng(seed, index, "title")
    if slot is not None:
        name, day = slot
        topic = f"{rng.choice(ADJECTIVES).title()} {rng.choice(NOUNS).title()}"
        return f"Day {day}: {topic} - {name}"
    # A bijection from the index onto word combinations keeps every title unique (and free of
    # digits, so it never looks like a series) without remembering earlier titles.
    sizes = (len(GERUNDS), len(ADJECTIVES), len(NOUNS), len(CONTEXTS))
    space = sizes[0] * sizes[1] * sizes[2] * sizes[3]
    code = (index * 7_368_787 + _seed_offset(seed)) % space  # 7368787 is prime, coprime to space
    picks = []
    for size in sizes:
        code, pick = divmod(code, size)
        picks.append(pick)
    gerund, adjective, noun, context = picks
    return (
        f"{GERUNDS[gerund]} {ADJECTIVES[adjective].title()} {NOUNS[noun].title()} "
        + (CONTEXTS[context])
    )


def _seed_offset(seed: str) -> int:
    return random.Random(seed).randrange(1_000_000)


def _slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def link_of(index: int, seed: str = SEED) -> str:
    suffix = "".join(_rng(seed, index, "slug").choices("abcdefghijklmnopqrstuvwxyz0123456789", k=4))
    return f"https://dev.to/{writer_of(index).handle}/{_slugify(title_of(index, seed))}-{suffix}"


def article(index: int, seed: str = SEED, target: int = TARGET_HTML_BYTES) -> GeneratedArticle:
    """Article number ``index`` of the corpus made from ``seed``."""
    writer = writer_of(index)
    title = title_of(index, seed)
    link = link_of(index, seed)
    rng = _rng(seed, index, "body")
    published = EPOCH + SPACING * index + timedelta(seconds=rng.randrange(int(SPACING.seconds)))
    tags = tuple(rng.sample(TAGS, 4))
    previous = _previous_in_series(index) if series_slot(index) else None
    body = _Body(rng, index, seed).html(
        target,
        (title_of(previous, seed), link_of(previous, seed)) if previous is not None else None,
    )
    return GeneratedArticle(
        index=index,
        writer=writer,
        title=title,
        slug=link.rsplit("/", 1)[1],
        link=link,
        published=published,
        tags=tags,
        html=body,
        series=series_slot(index),
    )


class _Body:
    """The HTML of one article, shaped like dev.to's feed output."""

    def __init__(self, rng: random.Random, index: int, seed: str) -> None:
        self.rng = rng
        self.index = index
        self.seed = seed
        self.parts: list[str] = []

    def html(self, target: int, previous: tuple[str, str] | None) -> str:
        rng = self.rng
        video_first = rng.random() < 0.5
        if video_first:
            self.iframe()
        self.heading(2, self.heading_text())
        if previous is not None:
            title, link = previous
            self.add(f'<p>This continues <a href="{link}">{html_escape(title)}</a>.</p>')
        self.paragraph()
        # At the default size every part below is there (they stay under 9.5 KB together); a
        # small target stops adding them once it is reached (quick library fills).
        fixed: list[Callable[[], None]] = [
            self.paragraph,
            lambda: self.heading(2, self.heading_text()),
            self.paragraph,
            self.code_block,
            self.paragraph,
            lambda: self.bullet_list("ul"),
            lambda: self.heading(3, self.heading_text()),
            self.paragraph,
            self.table,
            *([] if video_first else [self.iframe]),
            lambda: self.heading(2, self.heading_text()),
            self.paragraph,
            lambda: self.bullet_list("ol"),
            self.blockquote,
            self.code_block,
        ]
        for step in fixed:
            if self.size() < target:
                step()
        closing = self.closing()
        while self.size() + len(closing) < target:
            choice = rng.random()
            if choice < 0.15:
                self.heading(3, self.heading_text())
            elif choice < 0.3:
                self.code_block()
            elif choice < 0.38:
                self.bullet_list("ul")
            else:
                self.paragraph()
        self.add(closing)
        return "\n\n".join(self.parts) + "\n\n"

    def add(self, fragment: str) -> None:
        self.parts.append(fragment)

    def size(self) -> int:
        return sum(len(part) + 2 for part in self.parts)

    # -- text --------------------------------------------------------------------------------------
    def sentence(self) -> str:
        rng = self.rng
        pick = rng.randrange(8)
        subject, verb, cause = rng.choice(SUBJECTS), rng.choice(VERBS), rng.choice(CAUSES)
        action, outcome = rng.choice(ACTIONS), rng.choice(OUTCOMES)
        noun, adjective = rng.choice(NOUNS), rng.choice(ADJECTIVES)
        if pick == 0:
            text = f"{rng.choice(OPENERS)} {subject} {verb} because of {cause}."
        elif pick == 1:
            text = f"The fix is rarely clever: {action}, and {outcome}."
        elif pick == 2:
            text = f"When {subject} {verb}, look for {cause} before blaming the {noun}."
        elif pick == 3:
            text = f"{adjective.capitalize()} {noun} are cheap to create and expensive to keep."
        elif pick == 4:
            text = f"We learned to {action} whenever {subject} {verb}."
        elif pick == 5:
            text = f"{rng.choice(OPENERS)} {outcome} once you {action}."
        elif pick == 6:
            text = f"Nobody plans for {cause}, yet it is behind most {adjective} {noun}."
        else:
            text = f"Keep an eye on {subject}: it {verb} long before the {noun} do."
        return text[0].upper() + text[1:]

    def inline(self, text: str) -> str:
        """Sprinkle inline markup: code, strong, em and links."""
        rng = self.rng
        roll = rng.random()
        if roll < 0.25:
            name = f"{rng.choice(IDENTIFIERS)}_{rng.choice(METHODS)}()"
            return f"{text[:-1]} (see <code>{name}</code>)."
        if roll < 0.4:
            return f"<strong>{text}</strong>"
        if roll < 0.5:
            return f"<em>{text}</em>"
        if roll < 0.62:
            host = rng.choice(LINK_HOSTS)
            page = _slugify(rng.choice(NOUNS))
            words = rng.choice(NOUNS)
            anchor = (
                f'<a href="https://{host}/{page}" rel="noopener noreferrer">notes on {words}</a>'
            )
            return f"{text} The {anchor} help."
        return text

    def paragraph(self) -> None:
        sentences = [
            html_escape(self.sentence(), quote=False) for _ in range(self.rng.randint(3, 6))
        ]
        self.add("<p>" + " ".join(self.inline(s) for s in sentences) + "</p>")

    def heading_text(self) -> str:
        rng = self.rng
        return rng.choice(
            (
                f"Why {rng.choice(SUBJECTS)} {rng.choice(VERBS)}",
                f"{rng.choice(GERUNDS)} the {rng.choice(ADJECTIVES)} parts",
                f"What {rng.choice(CAUSES)} looks like",
                f"A closer look at {rng.choice(SUBJECTS)}",
                f"{rng.choice(GERUNDS)} {rng.choice(NOUNS)} {rng.choice(CONTEXTS).lower()}",
            )
        ).capitalize()

    def heading(self, level: int, text: str) -> None:
        self.add(f"<h{level}>\n  \n  \n  {html_escape(text, quote=False)}\n</h{level}>")

    def bullet_list(self, tag: str) -> None:
        rng = self.rng
        items = []
        for _ in range(rng.randint(3, 6)):
            item = f"{rng.choice(ACTIONS).capitalize()} for {rng.choice(NOUNS)}"
            if rng.random() < 0.3:
                item = f"<strong>{item}</strong>: {rng.choice(OUTCOMES)}"
            items.append(f"<li>{item}</li>")
        self.add(f"<{tag}>\n" + "\n".join(items) + f"\n</{tag}>")

    def blockquote(self) -> None:
        self.add(f"<blockquote>\n<p>{html_escape(self.sentence(), quote=False)}</p>\n</blockquote>")

    def table(self) -> None:
        rng = self.rng
        columns = rng.sample(LABEL_WORDS, 3)
        head = "\n".join(f"<th>{name}</th>" for name in columns)
        rows = []
        for _ in range(rng.randint(3, 6)):
            cells = (rng.choice(NOUNS), rng.choice(OUTCOMES), f"{rng.randint(1, 99)} ms")
            rows.append("<tr>\n" + "\n".join(f"<td>{c}</td>" for c in cells) + "\n</tr>")
        self.add(
            '<div class="table-wrapper-paragraph"><table>\n<thead>\n<tr>\n'
            + head
            + "\n</tr>\n</thead>\n<tbody>\n"
            + "\n".join(rows)
            + "\n</tbody>\n</table></div>"
        )

    def iframe(self) -> None:
        video = "".join(
            self.rng.choices(
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-", k=11
            )
        )
        self.add(
            f'<p>  <iframe width="710" height="399" src="https://www.youtube.com/embed/{video}" '
            'allowfullscreen loading="lazy">\n  </iframe>\n</p>'
        )

    def closing(self) -> str:
        rng = self.rng
        host = rng.choice(LINK_HOSTS)
        first, last = (html_escape(self.sentence(), quote=False) for _ in range(2))
        return (
            "<h2>\n  \n  \n  Wrapping up\n</h2>\n\n"
            f"<p>{first} If you want to go further, the "
            f'<a href="https://{host}/{_slugify(rng.choice(NOUNS))}" rel="noopener noreferrer">'
            f"reference pages</a> are worth an evening. {last}</p>"
        )

    # -- code --------------------------------------------------------------------------------------
    def code_block(self) -> None:
        language = self.rng.choice(LANGUAGES)
        code = _highlight(language, _code(self.rng, language))
        self.add(
            '<div class="highlight js-code-highlight">\n'
            f'<pre class="highlight {language}"><code>{code}\n</code></pre>\n\n</div>'
        )


# Code is written as plain text from templates, then highlighted by a tiny lexer into the span
# classes Rouge gives (k, kd, kn, nf, n/nx, p, o, mi, s1/s2, c1, ...) as dev.to's HTML shows them.
_CODE_TEMPLATES = {
    "python": (
        "from {mod} import {method}\n"
        "\n"
        "def {func}({arg}, limit={num}):\n"
        "    # {action}\n"
        '    {local} = {arg}.{method}("{ident}")\n'
        "    for item in {local}[:limit]:\n"
        '        if item.{ident} == "{adjective}":\n'
        "            yield item\n"
        "    return None"
    ),
    "javascript": (
        "async function {camel}({arg}) {{\n"
        "  // {action}\n"
        "  const {local} = await client.{method}({arg}, {{ limit: {num} }});\n"
        "  if (!{local}.length) return [];\n"
        "  return {local}.filter((row) => row.{ident} !== '{adjective}');\n"
        "}}"
    ),
    "typescript": (
        "interface {type} {{\n"
        "  {ident}: string;\n"
        "  {ident2}: number;\n"
        "}}\n"
        "\n"
        "export async function {camel}({arg}: {type}): Promise<number> {{\n"
        "  // {action}\n"
        "  const {local} = await client.{method}({arg}.{ident}, {{ limit: {num} }});\n"
        "  return {local}.length > 0 ? {local}.length : {num};\n"
        "}}"
    ),
    "shell": (
        "# {action}\n"
        'export {upper}="{adjective}"\n'
        "{tool} --verbose {ident}-${upper}\n"
        'echo "done in $SECONDS s" | tee -a build.log'
    ),
}
_KEYWORDS = {
    "python": {"from": "kn", "import": "kn", "def": "k", "for": "k", "in": "ow", "if": "k",
               "yield": "k", "return": "k", "None": "kc"},
    "javascript": {"async": "k", "function": "kd", "const": "kd", "await": "k", "if": "k",
                   "return": "k"},
    "typescript": {"interface": "kd", "export": "k", "async": "k", "function": "kd", "const": "kd",
                   "await": "k", "return": "k", "string": "kr", "number": "kr", "Promise": "nb"},
    "shell": {"export": "nb", "echo": "nb", "tee": "nb"},
}  # fmt: skip
_LEXEMES = re.compile(
    r"(?P<c1>(?:#|//)[^\n]*)|(?P<s2>\"[^\"\n]*\")|(?P<s1>'[^'\n]*')|(?P<mi>\b\d+\b)"
    r"|(?P<nv>\$\w+)|(?P<nt>--\w+)|(?P<word>[A-Za-z_]\w*)|(?P<o>===?|!==?|=>|[=!<>|+*?-])"
    r"|(?P<p>[()\[\]{}.,:;])|(?P<plain>\s+|.)"
)


def _highlight(language: str, code: str) -> str:
    keywords = _KEYWORDS[language]
    names = "n" if language == "python" else "nx"
    out = []
    for match in _LEXEMES.finditer(code):
        kind, text = match.lastgroup or "plain", match.group()
        if kind == "word":
            following = code[match.end() : match.end() + 1]
            kind = keywords.get(text) or ("nf" if following == "(" else names)
        escaped = html_escape(text, quote=False)
        out.append(escaped if kind == "plain" else f'<span class="{kind}">{escaped}</span>')
    return "".join(out)


def _code(rng: random.Random, language: str) -> str:
    first, second = rng.choice(IDENTIFIERS), rng.choice(IDENTIFIERS)
    tool, verb = rng.choice(SHELL_TOOLS)
    return _CODE_TEMPLATES[language].format(
        mod=rng.choice(IDENTIFIERS),
        method=rng.choice(METHODS),
        func=f"{first}_{second}",
        camel=first + second.capitalize(),
        type=(first + second.capitalize()).capitalize(),
        arg=rng.choice(IDENTIFIERS),
        local=f"{second}s",
        ident=rng.choice(IDENTIFIERS),
        ident2=rng.choice(METHODS) + "Count",
        num=rng.randint(2, 500),
        action=rng.choice(ACTIONS),
        adjective=rng.choice(ADJECTIVES),
        upper=rng.choice(IDENTIFIERS).upper(),
        tool=f"{tool} {verb}",
    )


# --- feeds ----------------------------------------------------------------------------------------

_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/">\n'
    "  <channel>\n"
    "    <title>{title}</title>\n"
    "    <description>{description}</description>\n"
    "    <link>{link}</link>\n"
    '    <atom:link rel="self" type="application/rss+xml" href="{self_link}"/>\n'
    "    <language>en</language>\n"
)
_TAIL = "  </channel>\n</rss>\n"


def item_xml(generated: GeneratedArticle) -> str:
    categories = "".join(f"      <category>{tag}</category>\n" for tag in generated.tags)
    return (
        "    <item>\n"
        f"      <title>{xml_escape(generated.title)}</title>\n"
        f"      <dc:creator>{xml_escape(generated.writer.name)}</dc:creator>\n"
        f"      <pubDate>{format_datetime(generated.published)}</pubDate>\n"
        f"      <link>{generated.link}</link>\n"
        f"      <guid>{generated.link}</guid>\n"
        f"      <description>{xml_escape(generated.html)}</description>\n"
        f"{categories}"
        "    </item>\n"
    )


def _write_items(out: BinaryIO, indexes: Iterable[int], seed: str, target: int) -> None:
    for index in indexes:
        out.write(item_xml(article(index, seed, target)).encode("utf-8"))


def write_feed(out: BinaryIO, n: int, seed: str = SEED, target: int = TARGET_HTML_BYTES) -> None:
    """One feed of ``n`` articles by every writer, newest first (dev.to's home-feed shape)."""
    head = _HEAD.format(
        title="DEV Community",
        description="The most recent home feed on DEV Community.",
        link="https://dev.to",
        self_link="https://dev.to/feed",
    )
    out.write(head.encode("utf-8"))
    _write_items(out, range(n - 1, -1, -1), seed, target)
    out.write(_TAIL.encode("utf-8"))


def make_feed(n: int, seed: str = SEED) -> bytes:
    """The bytes of ``write_feed``."""
    import io

    buffer = io.BytesIO()
    write_feed(buffer, n, seed)
    return buffer.getvalue()


def multi_file_name(file_number: int) -> str:
    return f"feed-{file_number:02d}.xml"


def write_multi(
    directory: Path,
    n: int,
    seed: str = SEED,
    files: int = MULTI_FILES,
    target: int = TARGET_HTML_BYTES,
) -> list[Path]:
    """``n`` articles spread over ``files`` per-writer feeds (pages 1, 2, ... of each writer).

    Article ``i`` goes to file ``i % files``; ``files`` must be a multiple of the five writers so
    that every file holds one writer's posts, as a dev.to user feed does.
    """
    if files % len(WRITERS):
        raise ValueError(f"files must be a multiple of {len(WRITERS)}")
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for number in range(files):
        writer = writer_of(number)
        page = number // len(WRITERS) + 1
        head = _HEAD.format(
            title=f"DEV Community: {writer.name}",
            description=(
                f"The latest articles on DEV Community by {writer.name} (@{writer.handle})."
            ),
            link=f"https://dev.to/{writer.handle}",
            self_link=f"https://dev.to/feed/{writer.handle}?page={page}",
        )
        path = directory / multi_file_name(number)
        last = n - 1 - ((n - 1 - number) % files)  # the newest index that lands in this file
        with path.open("wb") as out:
            out.write(head.encode("utf-8"))
            if number < n:
                _write_items(out, range(last, -1, -files), seed, target)
            out.write(_TAIL.encode("utf-8"))
        paths.append(path)
    return paths


def credited(index: int, authors: int = len(WRITERS)) -> Writer:
    """Who article ``index`` is credited to in a corpus of ``authors`` authors: the five writers
    and, beyond them, guests ("Guest Writer 7", ``guest007``), round robin."""
    if authors <= len(WRITERS):
        return writer_of(index)
    slot = index % authors
    if slot < len(WRITERS):
        return WRITERS[slot]
    number = slot - len(WRITERS) + 1
    return Writer(f"Guest Writer {number}", f"guest{number:03d}", ())


def write_jsonl(
    out: BinaryIO,
    n: int,
    seed: str = SEED,
    target: int = TARGET_HTML_BYTES,
    authors: int = len(WRITERS),
) -> None:
    """The same articles as feed2book JSON Lines (``feed2book/schema/article.schema.json``),
    oldest first, for filling a library without parsing feeds. With more than five ``authors``
    the articles are spread over guest writers too, so that a big library has many authors."""
    for index in range(n):
        generated = article(index, seed, target)
        writer = credited(index, authors)
        title, series = generated.title, generated.series
        if series is not None and writer not in WRITERS:
            # A guest's series is the guest's own, as a series is on dev.to.
            name = f"{series[0]} by {writer.name}"
            title, series = title.replace(f" - {series[0]}", f" - {name}"), (name, series[1])
        words = len(re.sub(r"<[^>]+>", " ", generated.html).split())
        record = {
            "id": f"forem:{writer.handle}/{generated.slug}",
            "url": f"https://dev.to/{writer.handle}/{generated.slug}",
            "title": title,
            "authors": [{"name": writer.name, "handle": writer.handle}],
            "published": generated.published.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "updated": None,
            "tags": list(generated.tags),
            "series": {"name": series[0], "index": series[1]} if series else None,
            "feed": {
                "title": f"DEV Community: {writer.name}",
                "url": f"https://dev.to/feed/{writer.handle}",
                "site": f"https://dev.to/{writer.handle}",
            },
            "language": "en",
            "word_count": words,
            "reading_minutes": max(1, round(words / 230)),
            "content_html": generated.html,
        }
        out.write((json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8"))


# --- real-shaped: articles assembled from the shared seed and practice feeds ----------------------

SHARED = Path(__file__).resolve().parents[2] / "shared"  # ../shared beside the repository


# Characters XML 1.0 forbids (a few practice feeds carry them; feedparser lets them through).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


class MissingShared(Exception):
    """The real-shaped corpus was asked for but the shared feeds are not there."""


@dataclass(frozen=True)
class RealItem:
    title: str
    author: str
    link: str
    published: datetime
    html: str


def real_sources(shared: Path = SHARED) -> list[Path]:
    """The feed files of ``shared``: ``seeds/*.txt`` then ``practice/*.xml|*.rss``, by name."""
    seeds = sorted((shared / "seeds").glob("*.txt"))
    practice = sorted(
        path for path in (shared / "practice").glob("*") if path.suffix in (".xml", ".rss")
    )
    if not seeds and not practice:
        raise MissingShared(
            f"the real-shaped corpus is made from the seed and practice feeds in {shared} "
            "(seeds/*.txt, practice/*.xml): none found; use the generated corpus instead"
        )
    return [*seeds, *practice]


def real_items(shared: Path = SHARED) -> list[RealItem]:
    """Every item with a body of the shared feeds, in file then document order (read with
    feedparser, sanitiser off: the HTML is what the feed carries)."""
    import feedparser

    items = []
    for path in real_sources(shared):
        parsed = feedparser.parse(path.read_bytes(), sanitize_html=False)
        for entry in parsed.entries:
            html = entry.content[0].value if entry.get("content") else entry.get("summary", "")
            if not html.strip():
                continue
            moment = entry.get("published_parsed") or entry.get("updated_parsed")
            published = datetime(*moment[:6], tzinfo=UTC) if moment else EPOCH
            published = max(published, EPOCH)  # room to date copies earlier
            items.append(
                RealItem(
                    title=_NOT_XML.sub("", entry.get("title") or path.stem),
                    author=_NOT_XML.sub("", entry.get("author") or parsed.feed.get("title") or "")
                    or path.stem,
                    link=entry.get("link") or f"https://example.org/{path.stem}",
                    published=published,
                    html=_NOT_XML.sub("", html),
                )
            )
    return items


def real_item_xml(item: RealItem, copy: int) -> str:
    """Item ``item`` as its ``copy``-th repetition: copy 0 is the item as read; later copies get
    their own link, guid and title (so none is a duplicate or a revision of another) and a date
    ``copy`` days earlier."""
    title, link = item.title, item.link
    if copy:
        title = f"{title} (reprint {copy})"
        link = f"{link.split('#')[0].rstrip('/')}-reprint-{copy}"
    published = item.published - timedelta(days=copy)
    return (
        "    <item>\n"
        f"      <title>{xml_escape(title)}</title>\n"
        f"      <dc:creator>{xml_escape(item.author)}</dc:creator>\n"
        f"      <pubDate>{format_datetime(published)}</pubDate>\n"
        f"      <link>{xml_escape(link)}</link>\n"
        f"      <guid>{xml_escape(link)}</guid>\n"
        f"      <description>{xml_escape(item.html)}</description>\n"
        "    </item>\n"
    )


def write_real_feed(out: BinaryIO, n: int, shared: Path = SHARED) -> int:
    """One RSS 2.0 feed of ``n`` real-shaped items: the shared feeds' items repeated in order
    (item ``i`` is copy ``i // len(items)`` of item ``i % len(items)``). Returns how many distinct
    items it was made from. Deterministic for the same ``shared`` files."""
    items = real_items(shared)
    # No channel language: each article's is guessed from its script, as it is for the feeds
    # the items come from that declare none (and their mix of languages stays visible).
    head = _HEAD.replace("    <language>en</language>\n", "").format(
        title="Real-shaped corpus",
        description="Articles of the seed and practice feeds, repeated.",
        link="https://example.org/",
        self_link="https://example.org/feed.xml",
    )
    out.write(head.encode("utf-8"))
    for index in range(n):
        copy, which = divmod(index, len(items))
        out.write(real_item_xml(items[which], copy).encode("utf-8"))
    out.write(_TAIL.encode("utf-8"))
    return len(items)


def expected_series(n: int) -> dict[str, int]:
    """Series name -> number of articles, for the first ``n`` articles (series of one excluded:
    feed2book needs two articles to call something a series)."""
    counts = Counter(slot[0] for slot in map(series_slot, range(n)) if slot is not None)
    return {name: count for name, count in sorted(counts.items()) if count >= 2}


def iter_articles(n: int, seed: str = SEED) -> Iterator[GeneratedArticle]:
    return (article(index, seed) for index in range(n))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Write a deterministic dev.to-shaped RSS corpus of N articles."
    )
    parser.add_argument("n", type=int, help="number of articles")
    parser.add_argument("-o", "--output", type=Path, help="write one feed here (default: stdout)")
    parser.add_argument("--multi", type=Path, metavar="DIR", help=f"write {MULTI_FILES} feeds here")
    parser.add_argument("--files", type=int, default=MULTI_FILES, help="feeds for --multi")
    parser.add_argument("--jsonl", type=Path, metavar="FILE", help="write feed2book JSON Lines")
    parser.add_argument("--seed", default=SEED, help=f"corpus seed (default {SEED!r})")
    parser.add_argument(
        "--real",
        nargs="?",
        const=SHARED,
        type=Path,
        metavar="SHARED",
        help=f"one real-shaped feed from SHARED/seeds and SHARED/practice (default {SHARED})",
    )
    parser.add_argument(
        "--authors",
        type=int,
        default=len(WRITERS),
        help="authors for --jsonl (beyond five: guest writers)",
    )
    parser.add_argument(
        "--body-bytes",
        type=int,
        default=TARGET_HTML_BYTES,
        help=f"HTML per article, at least (default {TARGET_HTML_BYTES})",
    )
    options = parser.parse_args(argv)
    if options.n < 0:
        parser.error("N must be >= 0")
    if options.real is not None:
        try:
            real_sources(options.real)  # before any output file is made
        except MissingShared as error:
            parser.exit(2, f"corpus.py: {error}\n")
        if options.output is None:
            write_real_feed(sys.stdout.buffer, options.n, options.real)
        else:
            with options.output.open("wb") as out:
                write_real_feed(out, options.n, options.real)
        return 0
    wrote = False
    if options.multi is not None:
        write_multi(options.multi, options.n, options.seed, options.files, options.body_bytes)
        wrote = True
    if options.jsonl is not None:
        with options.jsonl.open("wb") as out:
            write_jsonl(out, options.n, options.seed, options.body_bytes, options.authors)
        wrote = True
    if options.output is not None:
        with options.output.open("wb") as out:
            write_feed(out, options.n, options.seed, options.body_bytes)
    elif not wrote:
        write_feed(sys.stdout.buffer, options.n, options.seed, options.body_bytes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
