"""How feed2book behaves towards the servers it downloads from, beyond the feeds themselves:
one value that the images stage and the full-text stage's page fetcher both hand to the one
``images.fetch.Downloader`` (no I/O here)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from feed2book.defaults import DEADLINE, MAX_IMAGE_BYTES, PER_HOST, RETRIES, TIMEOUT, USER_AGENT

CONCURRENCY = 8  # downloads at once in one run, all hosts together


class Limits(Protocol):
    """A stage's options that carry the fields of a ``Politeness`` (images, pages)."""

    @property
    def per_host(self) -> int: ...
    @property
    def concurrency(self) -> int: ...
    @property
    def timeout(self) -> float: ...
    @property
    def deadline(self) -> float: ...
    @property
    def retries(self) -> int: ...
    @property
    def max_bytes(self) -> int: ...
    @property
    def insecure(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class Politeness:
    """At most ``per_host`` requests at once to one server (``concurrency`` in all), each
    network operation bounded by ``timeout`` and one whole download (every attempt, wait and
    byte) by ``deadline``; ``retries`` on 429/5xx and connection errors; a body larger than
    ``max_bytes`` is refused; requests name themselves with ``user_agent``."""

    per_host: int = PER_HOST
    concurrency: int = CONCURRENCY
    timeout: float = TIMEOUT
    deadline: float = DEADLINE
    retries: int = RETRIES
    max_bytes: int = MAX_IMAGE_BYTES
    insecure: bool = False  # accept certificates that do not verify (`--insecure`)
    user_agent: str = USER_AGENT

    def __post_init__(self) -> None:
        if self.concurrency < 1 or self.per_host < 1:
            raise ValueError("concurrency and per_host must be at least 1")
        if self.retries < 0 or self.max_bytes < 1 or self.timeout <= 0 or self.deadline <= 0:
            raise ValueError("retries, max_bytes, timeout and deadline must be positive")

    @classmethod
    def of(cls, limits: Limits) -> Politeness:
        """The politeness a stage's options ask for (with feed2book's user agent)."""
        return cls(
            per_host=limits.per_host,
            concurrency=limits.concurrency,
            timeout=limits.timeout,
            deadline=limits.deadline,
            retries=limits.retries,
            max_bytes=limits.max_bytes,
            insecure=limits.insecure,
        )
