"""The floor: parse the feed with lxml and write the article bodies into a deflated zip.

    python benchmarks/baselines/floor.py FEED OUT.zip

No cleaning, no conversion, no book structure: the least work that still reads every article and
writes it compressed. Nothing that produces a real book can beat this by much.
"""

import sys
import zipfile

from lxml import etree

CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"

with zipfile.ZipFile(sys.argv[2], "w", zipfile.ZIP_DEFLATED) as archive:
    for number, (_, item) in enumerate(etree.iterparse(sys.argv[1], tag="item", huge_tree=True)):
        body = item.findtext(CONTENT) or item.findtext("description") or ""
        archive.writestr(f"{number:06d}.html", body)
        item.clear()
