"""Why one image could not be used; the resolver turns it into a warning, never a failed build."""

from __future__ import annotations

from feed2book.errors import Feed2BookError


class ConversionError(Feed2BookError):
    """The bytes are not an image we can safely make fit for an e-reader (the message says why)."""
