"""The options the ``feed2book`` commands share, as ``Annotated`` aliases (one definition each),
and the groups of them that several commands take (frozen dataclasses; see ``cli.params``)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from feed2book.defaults import TIMEOUT
from feed2book.group import BookOptions, GroupBy, Sections, TagMode
from feed2book.images import ImageMode
from feed2book.parse.summary import FullTextMode
from feed2book.sources.limits import DEFAULT_LIST_DEADLINE, DEFAULT_MAX_SOURCES, SourceLimits

if TYPE_CHECKING:
    from feed2book.sources.fetch import FetchLimits

# --- options shared by every building command --------------------------------------------------

SourcesArg = Annotated[
    list[str] | None,
    typer.Argument(
        help="Feeds to read: files (any extension; the content is sniffed), globs, directories, "
        "http(s) URLs, OPML lists, `-` for stdin, or feed2book JSON Lines. "
        "Example: `feeds/*.xml https://dev.to/feed/ben`.",
        show_default=False,
    ),
]
AuthorOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--author",
        "-a",
        help="Only this author: handle or display name, any case "
        "(repeatable). Example: `--author matt_frank_usa`.",
        show_default=False,
    ),
]
TagOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--tag",
        "-t",
        help="Only articles with this tag (repeatable). Example: `--tag python`.",
        show_default=False,
    ),
]
SeriesOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--series",
        help="Only this series (as detected from titles; repeatable). "
        'Example: `--series "AI System Design in Seconds"`.',
        show_default=False,
    ),
]
SinceOpt = Annotated[
    str | None,
    typer.Option(
        "--since",
        help="Published on or after: ISO date or a span back from now "
        "(`30d`, `2w`, `6m`, `1y`). Example: `--since 2026-01-01`.",
        show_default=False,
    ),
]
UntilOpt = Annotated[
    str | None,
    typer.Option(
        "--until",
        help="Published on or before (a bare date includes that day). "
        "Example: `--until 2026-05-31`.",
        show_default=False,
    ),
]
TitleOpt = Annotated[
    str | None,
    typer.Option(
        "--title-match",
        help="Only titles matching this regular expression "
        "(case-insensitive). Example: `--title-match '^Day \\d+'`.",
        show_default=False,
    ),
]
LimitOpt = Annotated[
    int | None,
    typer.Option(
        "--limit",
        "-n",
        min=1,
        help="At most this many articles: the newest that match. Example: `--limit 20`.",
        show_default=False,
    ),
]
RevisionsOpt = Annotated[
    bool,
    typer.Option(
        "--all-revisions",
        help="Keep every republished copy of a post, not just the "
        "newest. Example: `--all-revisions`.",
    ),
]
VerboseOpt = Annotated[
    bool, typer.Option("--verbose", "-v", help="Also say what each source gave.")
]
QuietOpt = Annotated[
    bool, typer.Option("--quiet", "-q", help="Only errors on stderr; no progress.")
]
DebugOpt = Annotated[bool, typer.Option("--debug", help="Show a traceback when something fails.")]
InsecureOpt = Annotated[
    bool, typer.Option("--insecure", help="Accept HTTPS certificates that do not verify.")
]


def finite(value: float | None) -> float | None:
    """Refuse ``inf`` and ``nan``, which pass ``min=`` (and would overflow later)."""
    if value is not None and not math.isfinite(value):
        raise typer.BadParameter(f"{value} is not a finite number")
    return value


TimeoutOpt = Annotated[
    float,
    typer.Option(
        "--timeout", min=0.1, callback=finite, help="Network timeout per request, in seconds."
    ),
]
MaxSourcesOpt = Annotated[
    int,
    typer.Option(
        "--max-sources",
        min=1,
        help="Read at most N sources named by OPML lists and HTML pages in one run; the rest "
        "are counted in one warning. Example: `--max-sources 5000`.",
    ),
]
ListDeadlineOpt = Annotated[
    float,
    typer.Option(
        "--list-deadline",
        min=0.1,
        help="Stop following OPML lists once reading what they name has taken this many "
        "seconds in one run. Example: `--list-deadline 1800`.",
    ),
]


GroupByOpt = Annotated[
    GroupBy,
    typer.Option(
        "--group-by",
        "-g",
        help="One book per author, series, month, week, year, "
        "tag (see --tag-mode) or feed, or `none` for a single book. Example: `--group-by series`.",
    ),
]
TagModeOpt = Annotated[
    TagMode,
    typer.Option(
        "--tag-mode",
        help="With `--group-by tag`: put an article in the book of `all` its tags, or of its "
        "`first` tag only. Example: `--tag-mode first`.",
    ),
]
SectionsOpt = Annotated[
    Sections,
    typer.Option(
        "--sections",
        help="First level of each book's table of contents; `auto` "
        "uses series when there are some, else months. Example: `--sections month`.",
    ),
]
NewestFirstOpt = Annotated[
    bool, typer.Option("--newest-first", help="Newest articles first instead of reading order.")
]
BookTitleOpt = Annotated[
    str | None,
    typer.Option(
        "--title",
        help="The book title (instead of the group's name). "
        'Example: `--title "Rust, Day by Day"`.',
        show_default=False,
    ),
]
LanguageOpt = Annotated[
    str | None,
    typer.Option(
        "--language",
        help="The book language as a BCP 47 tag (instead of the "
        "articles' most common one). Example: `--language fr`.",
        show_default=False,
    ),
]
ForceOpt = Annotated[
    bool,
    typer.Option(
        "--force", "-f", help="Replace existing files even when feed2book did not write them."
    ),
]
CoverThemeOpt = Annotated[
    str | None,
    typer.Option(
        "--cover-theme",
        help="Cover theme (see `feed2book cover --help`); default: "
        "chosen from the book. Example: `--cover-theme geometric`.",
        show_default=False,
    ),
]
CoverFileOpt = Annotated[
    Path | None,
    typer.Option(
        "--cover",
        help="Use this image as the cover. Example: `--cover me.jpg`.",
        show_default=False,
        exists=True,
        dir_okay=False,
    ),
]
NoCoverOpt = Annotated[bool, typer.Option("--no-cover", help="Build books without a cover.")]


JsonOpt = Annotated[
    bool, typer.Option("--json", help="One JSON document on stdout instead of a table.")
]


# --- the library (SQLite store of every article seen) ------------------------------------------

LibraryOpt = Annotated[
    Path | None,
    typer.Option(
        "--library",
        envvar="FEED2BOOK_LIBRARY",
        help="The library file to use instead of the default one in the user data directory "
        "(also `FEED2BOOK_LIBRARY`). Example: `--library ~/books/library.sqlite3`.",
        show_default=False,
        dir_okay=False,
    ),
]
SaveOpt = Annotated[
    bool,
    typer.Option(
        "--save",
        help="Also store the articles read from SOURCES in the library (without SOURCES the "
        "library is read, never written).",
    ),
]
NewOpt = Annotated[
    bool,
    typer.Option(
        "--new",
        help="Only articles not in an earlier build of the same book (a digest of what is new); "
        "the build is recorded in the library.",
    ),
]


# --- images --------------------------------------------------------------------------------

ImagesOpt = Annotated[
    ImageMode,
    typer.Option(
        "--images",
        help="`embed` downloads, converts and packs images into the book; `link` keeps their web "
        "addresses (a visible link in EPUBs, which never load remote files); `none` keeps only "
        "their alt text. Example: `--images link`.",
    ),
]
ImageMaxPxOpt = Annotated[
    int | None,
    typer.Option(
        "--image-max-px",
        min=16,
        help="Longest edge of embedded images, in pixels (default: 1600; 2000 with "
        "`--device apple`). Example: `--image-max-px 1200`.",
        show_default=False,
    ),
]
GrayscaleOpt = Annotated[
    bool, typer.Option("--grayscale", help="Convert embedded images to greyscale (for e-ink).")
]
CacheDirOpt = Annotated[
    Path | None,
    typer.Option(
        "--cache-dir",
        envvar="FEED2BOOK_CACHE_DIR",
        help="Where downloaded images are cached (default: the user cache directory; also "
        "`FEED2BOOK_CACHE_DIR`). Example: `--cache-dir ~/.cache/feed2book`.",
        show_default=False,
        file_okay=False,
    ),
]
MaxBookMbOpt = Annotated[
    float | None,
    typer.Option(
        "--max-book-mb",
        min=0.1,
        callback=finite,
        help="Keep each EPUB under this many megabytes: images are shrunk first, then the book "
        "is split into volumes (Kindle's e-mail limit is 50). Example: `--max-book-mb 50`.",
        show_default=False,
    ),
]
FullTextOpt = Annotated[
    FullTextMode | None,
    typer.Option(
        "--full-text",
        help="`auto` fetches the article's page when the feed carries only a summary; `always` "
        "for every article; `never` keeps the feed's text. Default: `auto`, or what `add "
        "--full-text` remembered for the source. Example: `--full-text always`.",
        show_default=False,
    ),
]
RefetchOpt = Annotated[
    bool,
    typer.Option(
        "--refetch",
        help="Fetch article pages again (a conditional GET) instead of reusing the cached or "
        "stored full text.",
    ),
]
CookiesOpt = Annotated[
    Path | None,
    typer.Option(
        "--cookies",
        help="A Netscape cookie file (cookies.txt) whose cookies are sent with article pages, "
        "for sites you subscribe to. Example: `--cookies ~/cookies.txt`.",
        show_default=False,
        dir_okay=False,
    ),
]


# --- groups of options, declared once (``cli.params.command`` flattens them) -----------------


@dataclass(frozen=True, slots=True)
class SelectionOptions:
    """Which articles: ``--author``, ``--tag``, ``--series``, dates, ``--title-match``…"""

    author: AuthorOpt = None
    tag: TagOpt = None
    series: SeriesOpt = None
    since: SinceOpt = None
    until: UntilOpt = None
    title_match: TitleOpt = None
    limit: LimitOpt = None
    all_revisions: RevisionsOpt = False


@dataclass(frozen=True, slots=True)
class NetworkOptions:
    """How sources are fetched, and how far lists are followed."""

    insecure: InsecureOpt = False
    timeout: TimeoutOpt = TIMEOUT
    max_sources: MaxSourcesOpt = DEFAULT_MAX_SOURCES
    list_deadline: ListDeadlineOpt = DEFAULT_LIST_DEADLINE

    def fetch_limits(self) -> FetchLimits:
        from feed2book.sources.fetch import FetchLimits  # httpx: only when sources are read

        return FetchLimits(timeout=self.timeout, insecure=self.insecure)

    def source_limits(self) -> SourceLimits:
        return SourceLimits(self.max_sources, self.list_deadline)


@dataclass(frozen=True, slots=True)
class ReportOptions:
    """What is said on stderr."""

    verbose: VerboseOpt = False
    quiet: QuietOpt = False
    debug: DebugOpt = False


@dataclass(frozen=True, slots=True)
class PageTextOptions:
    """The full-text stage: ``--full-text``, ``--refetch``, ``--cookies``."""

    full_text: FullTextOpt = None
    refetch: RefetchOpt = False
    cookies: CookiesOpt = None


@dataclass(frozen=True, slots=True)
class BookReading:
    """What the book-making commands read: which articles, their full text, how sources are
    fetched, the library (``--save``, ``--new``)."""

    selection: SelectionOptions = field(default_factory=SelectionOptions)
    pages: PageTextOptions = field(default_factory=PageTextOptions)
    network: NetworkOptions = field(default_factory=NetworkOptions)
    library: LibraryOpt = None
    save: SaveOpt = False
    new: NewOpt = False


@dataclass(frozen=True, slots=True)
class BookLayout:
    """How articles are grouped into books and ordered in them."""

    group_by: GroupByOpt = GroupBy.AUTHOR
    tag_mode: TagModeOpt = TagMode.ALL
    sections: SectionsOpt = Sections.AUTO
    newest_first: NewestFirstOpt = False
    title: BookTitleOpt = None
    language: LanguageOpt = None

    def book_options(self) -> BookOptions:
        return BookOptions(
            self.group_by,
            self.sections,
            self.newest_first,
            self.title,
            self.language,
            self.tag_mode,
        )


@dataclass(frozen=True, slots=True)
class CoverOptions:
    cover_theme: CoverThemeOpt = None
    cover: CoverFileOpt = None
    no_cover: NoCoverOpt = False


@dataclass(frozen=True, slots=True)
class ImageChoices:
    """What becomes of the articles' images."""

    images: ImagesOpt = ImageMode.EMBED
    image_max_px: ImageMaxPxOpt = None  # the device profile's, else IMAGE_MAX_PX
    grayscale: GrayscaleOpt = False
    cache_dir: CacheDirOpt = None
