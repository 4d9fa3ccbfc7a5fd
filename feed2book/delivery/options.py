"""The device names (``--device``): no heavy import here (``feed2book --help`` and ``list``
start without lxml or Pillow)."""

from __future__ import annotations

from enum import StrEnum


class Device(StrEnum):
    """``--device``: the profiles ``feed2book.delivery.devices`` applies."""

    KINDLE = "kindle"
