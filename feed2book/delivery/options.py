"""The device names (``--device``): no heavy import here (``feed2book --help`` and ``list``
start without lxml or Pillow)."""

from __future__ import annotations

from enum import StrEnum

from feed2book.filenames import KEPUB_SUFFIX


class Device(StrEnum):
    """``--device``: the profiles ``feed2book.delivery.devices`` applies."""

    KINDLE = "kindle"
    KOBO = "kobo"
    KOREADER = "koreader"
    APPLE = "apple"
    GENERIC = "generic"

    @property
    def suffix(self) -> str:
        """The book's file-name ending: a Kobo opens a ``.kepub.epub`` as a kepub."""
        return KEPUB_SUFFIX if self is Device.KOBO else ".epub"
