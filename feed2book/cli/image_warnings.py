"""Image warnings that scale: failures of one host for one cause become one line.

127 images of an unreachable host give ``127 images from example.org not included: host not
found`` instead of 127 lines; ``--verbose`` still lists each image as it fails.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from feed2book.i18n import plural
from feed2book.models import Problem, Severity

_FAILED = "image not included: "


class ImageWarnings:
    """Stands between the image stage's ``on_problem`` and the messenger's: image failures
    are counted by (host, cause) and told by ``flush``; every other problem passes at once."""

    def __init__(
        self, tell: Callable[[Problem], None], warn: Callable[[str], None], *, each: bool = False
    ) -> None:
        self._tell = tell
        self._warn = warn
        self._each = each  # --verbose: every image on its own line, as it fails
        self._groups: dict[tuple[str, str], list[Problem]] = {}

    def __call__(self, problem: Problem) -> None:
        host = urlsplit(problem.source).hostname if "://" in problem.source else None
        grouped = problem.severity is Severity.WARNING and problem.message.startswith(_FAILED)
        if self._each or not grouped or not host:
            self._tell(problem)
            return
        self._groups.setdefault((host, problem.message[len(_FAILED) :]), []).append(problem)

    def flush(self) -> None:
        """One line per (host, cause); a lone image keeps its own line with its address."""
        for (host, cause), problems in self._groups.items():
            if len(problems) == 1:
                self._tell(problems[0])
            else:
                count = plural(len(problems), "image", "images")
                self._warn(f"{count} from {host} not included: {cause}")
        self._groups.clear()
