"""Article pages in the shapes of six kinds of site, and a summary-only feed that links them.

Written for feed2book's tests (no copied article text). Each page wraps one article in the
furniture its kind of site puts around it: navigation, cookie banners, share buttons, ads,
subscribe boxes, "related" links and comments. ``BOILERPLATE`` lists a phrase from each piece of
furniture; none of them may reach a book. ``Page.paragraphs`` are the article's own paragraphs
(what an extractor should return), used for the assertions and by benchmarks/fulltext.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape


@dataclass(frozen=True, slots=True)
class Page:
    slug: str  # the site shape: wordpress, ghost, medium, substack, hugo, news
    title: str
    summary: str  # what the feed carries
    paragraphs: tuple[str, ...]  # the article's paragraphs, in order
    code_language: str
    code: str
    html: str

    @property
    def last_paragraph(self) -> str:
        return self.paragraphs[-1]


BOILERPLATE = (
    "Accept all cookies",
    "We use cookies to improve your experience",
    "Share on Twitter",
    "Share on Facebook",
    "Copy link",
    "Subscribe to our newsletter",
    "Get the best stories in your inbox",
    "Related articles",
    "You might also like",
    "Leave a comment",
    "commented two days ago",
    "Advertisement",
    "Sponsored by Orbital Mattresses",
    "Home",
    "About us",
    "Privacy policy",
    "All rights reserved",
    "Sign in",
    "Member-only story",
    "Trending now",
)

_TEXTS: dict[str, tuple[str, tuple[str, ...], str, str]] = {
    "wordpress": (
        "Keeping a sourdough starter alive on a boat",
        (
            "Our starter has crossed the Baltic twice, and it survived both trips in a jar wedged between two coils of rope.",
            "The trick is temperature: below twelve degrees the yeast sleeps, above thirty it sours the whole jar within a day.",
            "We feed it every second morning with rye flour, because rye keeps better than wheat in a damp cabin.",
            "A small script on the navigation laptop reminds the crew, since nobody remembers after a night watch.",
            "When we reach harbour, the first loaf goes to the harbour master, which has opened more doors than any paperwork.",
        ),
        "python",
        'def feeding_due(last: date, today: date) -> bool:\n    return (today - last).days >= 2',
    ),
    "ghost": (
        "What a quiet week in the workshop taught me",
        (
            "Nothing shipped this week, and for once that was the plan rather than an accident.",
            "I spent the mornings sharpening chisels, the afternoons reading old joinery manuals, and the evenings away from screens.",
            "The manuals all agree on one thing: a joint that needs glue to hold was cut wrong in the first place.",
            "I wrote the measurements down in a tiny shell function so the numbers live next to the saw, not in my head.",
            "Next week the bench gets its new vice, and I suspect the quiet will end with a great deal of sawdust.",
        ),
        "bash",
        'tenon() {\n  echo "$(( $1 / 3 )) mm"\n}',
    ),
    "medium": (
        "Seven lessons from rewriting a payroll system",
        (
            "Payroll looks like arithmetic until the first employee changes tax residence in the middle of a month.",
            "We kept the old system running beside the new one for a full quarter and compared every payslip line by line.",
            "Rounding was the worst enemy: the old code rounded each line, the new one rounded the total, and auditors noticed.",
            "Money must never be a floating point number, so every amount became an integer count of cents.",
            "By the end, the comparison report was empty for three months in a row, and we finally switched the old system off.",
        ),
        "typescript",
        "type Cents = number & { readonly brand: unique symbol };\nconst pay = (hours: number, rate: Cents) => (hours * rate) as Cents;",
    ),
    "substack": (
        "Letter from the allotment, late October",
        (
            "The last courgettes came in this weekend, absurdly large, as if they knew the frost was coming.",
            "Half the plot is now under cardboard and manure, which the worms will have turned into soil by March.",
            "Our neighbour keeps a spreadsheet of every harvest since 1994, and she let me query it for this letter.",
            "Her numbers say the first frost arrives nine days later than it did thirty years ago.",
            "I will plant the garlic on Sunday, and then the allotment goes quiet until the seed catalogues arrive.",
        ),
        "sql",
        "SELECT year, MIN(first_frost) FROM harvests GROUP BY year ORDER BY year;",
    ),
    "hugo": (
        "Profiling a slow static site build",
        (
            "The blog took forty seconds to build, which is absurd for two hundred pages of text.",
            "A profile showed that most of the time went into resizing the same header image for every page.",
            "Hugo caches processed images, but only when the resources directory survives between builds.",
            "Our continuous integration threw that directory away, so I taught it to keep the cache.",
            "The build now takes three seconds, and the header image is resized once a month at most.",
        ),
        "go",
        'func main() {\n\tfmt.Println("resized once")\n}',
    ),
    "news": (
        "City council approves new night bus routes",
        (
            "The city council voted on Tuesday to add four night bus routes from the first of March.",
            "The routes connect the hospital district, the university and the two largest industrial estates.",
            "Night shift workers had campaigned for three years, gathering more than eleven thousand signatures.",
            "Transport officials will publish the timetable data openly so that journey planners can include it.",
            "A review after six months will decide whether the routes run every night or only at weekends.",
        ),
        "json",
        '{"route": "N4", "first": "00:15", "last": "05:45"}',
    ),
}


def _article(slug: str) -> str:
    _title, paragraphs, language, code = _TEXTS[slug]
    first, second, third, fourth, last = (f"<p>{escape(p)}</p>" for p in paragraphs)
    table = ""
    if slug in ("medium", "news"):
        table = (
            "<table><thead><tr><th>Item</th><th>Count</th></tr></thead>"
            "<tbody><tr><td>first</td><td>1</td></tr><tr><td>second</td><td>2</td></tr></tbody></table>"
        )
    return (
        f"{first}{second}<h2>How it works</h2>{third}"
        "<ul><li>check the jar daily</li><li>write the date on the lid</li></ul>"
        f"{fourth}"
        f'<pre><code class="language-{language}">{escape(code)}</code></pre>'
        f'<figure><img src="/img/{slug}.png" alt="A photo for {slug}"/>'
        f"<figcaption>The {slug} picture, seen from above.</figcaption></figure>"
        f"{table}{last}"
        f'<p>Some background is in <a href="/notes/{slug}">my earlier notes</a>.</p>'
    )


_COOKIES = (
    '<div class="cookie-banner" id="cookie-consent"><p>We use cookies to improve your experience.</p>'
    "<button>Accept all cookies</button></div>"
)
_SHARE = (
    '<div class="share-buttons"><a href="https://twitter.example/share">Share on Twitter</a>'
    '<a href="https://facebook.example/share">Share on Facebook</a><button>Copy link</button></div>'
)
_SUBSCRIBE = (
    '<div class="subscribe-box newsletter"><h3>Subscribe to our newsletter</h3>'
    "<p>Get the best stories in your inbox every Friday.</p>"
    '<form><input type="email"/><button>Subscribe</button></form></div>'
)
_RELATED = (
    '<aside class="related-posts"><h3>Related articles</h3><ul>'
    '<li><a href="/other-1">A different story about boats and bread</a></li>'
    '<li><a href="/other-2">Another story nobody asked for</a></li></ul></aside>'
)
_COMMENTS = (
    '<section id="comments" class="comments"><h3>Leave a comment</h3>'
    '<div class="comment"><p class="comment-author">Rowan commented two days ago</p>'
    "<p>Great post, thanks for writing it!</p></div></section>"
)
_AD = '<div class="advertisement ad-slot"><span>Advertisement</span><p>Sponsored by Orbital Mattresses</p></div>'
_NAV = (
    '<nav class="site-nav"><ul><li><a href="/">Home</a></li><li><a href="/about">About us</a></li>'
    '<li><a href="/signin">Sign in</a></li></ul></nav>'
)
_FOOTER = (
    '<footer class="site-footer"><a href="/privacy">Privacy policy</a>'
    "<p>© 2026 Example Media. All rights reserved.</p></footer>"
)


def _wrap(slug: str, title: str, body: str) -> str:
    head = f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"/><title>{escape(title)}</title></head><body>"
    heading = f"<h1>{escape(title)}</h1>"
    if slug == "wordpress":
        middle = (
            f'<header id="masthead">{_NAV}</header>{_COOKIES}<div id="page" class="site">'
            f'<main id="main"><article class="post type-post hentry"><header class="entry-header">{heading}'
            '<div class="entry-meta">Posted on October 3, 2026 by skipper</div></header>'
            f'<div class="entry-content">{body}{_SHARE}</div></article>'
            f"{_RELATED}{_COMMENTS}</main>"
            f'<aside id="secondary" class="widget-area">{_AD}{_SUBSCRIBE}</aside></div>{_FOOTER}'
        )
    elif slug == "ghost":
        middle = (
            f'<header class="gh-head">{_NAV}</header><main class="gh-main">'
            f'<article class="gh-article post"><header class="gh-article-header">{heading}</header>'
            f'<section class="gh-content gh-canvas">{body}</section>{_SHARE}'
            f'<section class="gh-cta">{_SUBSCRIBE}</section></article>'
            f'<aside class="gh-read-next">{_RELATED}</aside>{_COMMENTS}</main>{_COOKIES}{_FOOTER}'
        )
    elif slug == "medium":
        middle = (
            f'<div id="root"><div class="metabar">{_NAV}<span>Member-only story</span></div>'
            f'<article><div class="section-content">{heading}<div class="pw-post-body">{body}</div></div>'
            f"</article>{_SHARE}<div class=\"js-responses\">{_COMMENTS}</div>"
            f'<div class="trending"><h3>Trending now</h3><p>Ten things about nothing at all.</p></div>'
            f"{_RELATED}{_SUBSCRIBE}</div>{_FOOTER}"
        )
    elif slug == "substack":
        middle = (
            f'<div class="main-menu">{_NAV}</div><div class="single-post-container">'
            f'<article class="typography newsletter-post post">{heading}'
            f'<div class="available-content"><div class="body markup">{body}</div></div>'
            f"{_SUBSCRIBE}{_SHARE}</article>{_COMMENTS}{_RELATED}</div>{_COOKIES}{_FOOTER}"
        )
    elif slug == "hugo":
        middle = (
            f'<header class="header">{_NAV}</header><main class="main"><article class="post-single">'
            f'<header class="post-header">{heading}</header><div class="post-content">{body}</div>'
            f'<footer class="post-footer">{_SHARE}</footer></article>{_RELATED}</main>{_FOOTER}'
        )
    else:  # a news site
        middle = (
            f"{_COOKIES}<header>{_NAV}</header>{_AD}<div class=\"layout\"><main>"
            f'<article class="story">{heading}<p class="byline">By the city desk</p>'
            f'<div class="story-body">{body}</div></article>{_SHARE}</main>'
            f'<aside class="sidebar"><div class="trending"><h3>Trending now</h3>'
            f"<p>Ten things about nothing at all.</p></div>{_AD}</aside></div>"
            f"{_RELATED}{_SUBSCRIBE}{_COMMENTS}{_FOOTER}"
        )
    return head + middle + "</body></html>"


def pages() -> tuple[Page, ...]:
    made = []
    for slug, (title, paragraphs, language, code) in _TEXTS.items():
        summary = paragraphs[0][:60].rsplit(" ", 1)[0] + " […]"
        made.append(
            Page(slug, title, summary, paragraphs, language, code, _wrap(slug, title, _article(slug)))
        )
    return tuple(made)


def summary_feed(base: str) -> bytes:
    """An RSS feed of the pages, each item carrying only a one-line teaser (no content:encoded)."""
    items = "".join(
        f"<item><title>{escape(page.title)}</title><link>{base}/{page.slug}/post/</link>"
        f"<guid>{base}/{page.slug}/post/</guid><pubDate>Tue, 0{index + 1} Dec 2026 10:00:00 GMT</pubDate>"
        f"<description>{escape(page.summary)}</description></item>"
        for index, page in enumerate(pages())
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Six Sites</title><link>{base}/</link><description>teasers</description>"
        f"{items}</channel></rss>"
    ).encode()
