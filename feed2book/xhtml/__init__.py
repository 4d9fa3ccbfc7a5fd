"""XHTML fragments: parse and serialise them, the XHTML namespace, and tree helpers.

``sink`` holds the tree-building helpers of the clean walk (where inline content goes, unwrapping,
tidying up); ``content`` parses and serialises article fragments and fixes what only a book
knows (references, ids, nothing remote). Two modules rather than one ``xhtml.py``: both files
were moved whole, so the branches editing them still merge; the public helpers are re-exported
here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from feed2book.lazy import lazy_attributes

if TYPE_CHECKING:
    from feed2book.xhtml.content import (
        XHTML_NS,
        externalise_remote_images,
        externalise_remote_media,
        fix_references,
        has_mathml,
        parse_fragment,
        serialise_fragment,
        url_key,
    )
    from feed2book.xhtml.sink import (
        Sink,
        append_text,
        finish,
        is_empty,
        last_child,
        plain_text,
        remove_keep_tail,
        text_content,
        unwrap,
        unwrap_all,
    )

# Imported on first use (PEP 562): importing one submodule does not load the others.
_LAZY = {
    "XHTML_NS": "feed2book.xhtml.content",
    "externalise_remote_images": "feed2book.xhtml.content",
    "externalise_remote_media": "feed2book.xhtml.content",
    "fix_references": "feed2book.xhtml.content",
    "has_mathml": "feed2book.xhtml.content",
    "parse_fragment": "feed2book.xhtml.content",
    "serialise_fragment": "feed2book.xhtml.content",
    "url_key": "feed2book.xhtml.content",
    "Sink": "feed2book.xhtml.sink",
    "append_text": "feed2book.xhtml.sink",
    "finish": "feed2book.xhtml.sink",
    "is_empty": "feed2book.xhtml.sink",
    "last_child": "feed2book.xhtml.sink",
    "plain_text": "feed2book.xhtml.sink",
    "remove_keep_tail": "feed2book.xhtml.sink",
    "text_content": "feed2book.xhtml.sink",
    "unwrap": "feed2book.xhtml.sink",
    "unwrap_all": "feed2book.xhtml.sink",
}


__getattr__ = lazy_attributes(__name__, _LAZY)


__all__ = [
    "XHTML_NS",
    "Sink",
    "append_text",
    "externalise_remote_images",
    "externalise_remote_media",
    "finish",
    "fix_references",
    "has_mathml",
    "is_empty",
    "last_child",
    "parse_fragment",
    "plain_text",
    "remove_keep_tail",
    "serialise_fragment",
    "text_content",
    "unwrap",
    "unwrap_all",
    "url_key",
]
