"""The house rules of the package layout, checked on the import graph of ``feed2book/``.

Every ``import`` and ``from … import`` is read with ``ast`` (nothing is imported), then:

- the top-level parts (a package or a module right under ``feed2book/``) import each other
  without a cycle;
- each part sits in a layer (``LAYERS``, bottom first) and never imports a higher layer;
- ``images/``, ``writers/`` and ``library/`` never import ``feed2book.cli``, and nothing but
  the EPUB writer itself (and the writer registry) imports the EPUB writer's modules;
- only ``cli/`` imports typer or rich;
- the pure stages (``clean/``, ``convert/``, ``group``, ``select``, ``series``) use neither the
  network nor the clock;
- no family of top-level modules shares a prefix (``covers_*``, ``cli_*``): a family is a package.

Each rule is a function over a graph, so it is also run on small made-up graphs that break it.
"""

from __future__ import annotations

import ast
import importlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import REPO

PACKAGE = REPO / "feed2book"

# Bottom first. A part may import its own layer or a lower one, never a higher one.
LAYERS: tuple[tuple[str, ...], ...] = (
    # the root package (``__version__``) and what every stage uses
    ("feed2book", "models", "errors", "identity", "filenames", "defaults", "lazy", "lang", "xhtml",
     "parallel", "headstart"),
    ("i18n", "atomic"),  # the book's words (Babel), atomic file writes
    ("sources",),  # names to bytes: files, OPML, autodiscovery, HTTP
    ("clean",),  # HTML to safe XHTML
    ("convert",),  # XHTML to Markdown and plain text (uses clean's rules)
    ("parse",),  # bytes to articles: calls clean and convert, sniffs with sources
    ("select", "series", "group"),
    ("pipeline",),  # sources -> parse -> Collection
    ("images", "covers"),
    ("writers",),
    ("output",),  # books and bundles on disk: images, covers, writers
    ("library",),
    ("fulltext", "delivery"),  # pages for summary-only feeds; e-mail and device passes
    ("api",),
    ("opds",),  # the library as an OPDS catalogue: documents, files built on demand, server
    ("cli", "__main__"),
)

# Imports inside a function body that close a cycle between parts, allowed because they are
# there to keep start-up fast. None today: the layering leaves no cycle to excuse.
LAZY_CYCLE_EXCEPTIONS: frozenset[tuple[str, str]] = frozenset()

# Layer violations kept on purpose (importer part, imported part): none today.
LAYER_EXCEPTIONS: frozenset[tuple[str, str]] = frozenset()

NETWORK = ("httpx", "socket", "urllib.request", "http.client")
CLOCK_MODULES = ("time",)
CLOCK_CALLS = frozenset(
    {
        ("datetime", "now"),
        ("datetime", "today"),
        ("datetime", "utcnow"),
        ("date", "today"),
        ("time", "time"),
        ("time", "monotonic"),
        ("time", "perf_counter"),
    }
)
PURE = ("clean", "convert", "group", "select", "series")
UI = ("typer", "rich")
NO_CLI = ("images", "writers", "library")
EPUB_WRITER = "feed2book.writers.epub"
EPUB_WRITER_USERS = ("feed2book.writers.epub", "feed2book.writers.base", "feed2book.output")


@dataclass(frozen=True, slots=True)
class Import:
    importer: str  # dotted module name
    target: str  # dotted module name (or ``module.name`` for ``from module import name``)
    lazy: bool  # inside a function body
    line: int


@dataclass(frozen=True, slots=True)
class Module:
    name: str
    imports: tuple[Import, ...]
    clock_calls: tuple[tuple[str, int], ...]  # ("datetime.now", line)


def module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def read_module(path: Path, root: Path) -> Module:
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    imports: list[Import] = []
    clock: list[tuple[str, int]] = []

    def visit(node: ast.AST, lazy: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import):
                imports.extend(Import(name, a.name, lazy, child.lineno) for a in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = package.split(".")[: len(package.split(".")) - child.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                imports.append(Import(name, base, lazy, child.lineno))
                imports.extend(
                    Import(name, f"{base}.{a.name}", lazy, child.lineno) for a in child.names
                )
            elif (
                isinstance(child, ast.Attribute)
                and isinstance(child.value, ast.Name)
                and (child.value.id, child.attr) in CLOCK_CALLS
            ):
                clock.append((f"{child.value.id}.{child.attr}", child.lineno))
            inner = lazy or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            visit(child, inner)

    visit(tree, False)
    return Module(name, tuple(imports), tuple(clock))


def read_package(root: Path = PACKAGE) -> dict[str, Module]:
    return {m.name: m for m in (read_module(p, root) for p in sorted(root.rglob("*.py")))}


def part_of(module: str) -> str | None:
    """The top-level part a ``feed2book`` module belongs to (``feed2book`` for the root)."""
    if not (module == "feed2book" or module.startswith("feed2book.")):
        return None
    part = module.split(".")[1] if "." in module else "feed2book"
    if part.startswith("__") and part != "__main__":  # ``from feed2book import __version__``
        return "feed2book"
    return part


def internal_edges(
    modules: Mapping[str, Module], *, lazy: bool = True
) -> dict[tuple[str, str], list[Import]]:
    """Imports from one part to another, keyed by (importer part, imported part)."""
    edges: dict[tuple[str, str], list[Import]] = {}
    for module in modules.values():
        for imp in module.imports:
            if imp.lazy and not lazy:
                continue
            source, target = part_of(module.name), part_of(imp.target)
            if source is None or target is None or source == target:
                continue
            edges.setdefault((source, target), []).append(imp)
    return edges


# --- the rules: each returns what breaks it, as readable lines ---------------------------------


def cycles(modules: Mapping[str, Module], allowed: Iterable[tuple[str, str]] = ()) -> list[str]:
    """Cycles between parts. A lazy import listed in ``allowed`` does not count."""
    allowed = set(allowed)
    graph: dict[str, set[str]] = {}
    for (source, target), imports in internal_edges(modules).items():
        if all(i.lazy for i in imports) and (source, target) in allowed:
            continue
        graph.setdefault(source, set()).add(target)
    found: list[str] = []
    state: dict[str, int] = {}  # 1: on the path, 2: done
    path: list[str] = []

    def walk(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                found.append(" -> ".join([*path[path.index(nxt) :], nxt]))
            elif nxt not in state:
                walk(nxt)
        path.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            walk(node)
    return found


def layer_violations(
    modules: Mapping[str, Module],
    layers: tuple[tuple[str, ...], ...] = LAYERS,
    allowed: Iterable[tuple[str, str]] = (),
) -> list[str]:
    rank = {part: index for index, layer in enumerate(layers) for part in layer}
    allowed = set(allowed)
    found = []
    for (source, target), imports in sorted(internal_edges(modules).items()):
        if source not in rank or target not in rank:
            found.append(f"{source} -> {target}: a part missing from LAYERS")
        elif rank[target] > rank[source] and (source, target) not in allowed:
            first = imports[0]
            found.append(f"{first.importer}:{first.line} imports {first.target} (higher layer)")
    return found


def under(name: str, prefixes: Iterable[str]) -> bool:
    """``name`` is one of ``prefixes`` or inside one of them."""
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def imports_matching(
    modules: Mapping[str, Module], importer: Callable[[str], bool], targets: Iterable[str]
) -> list[str]:
    """Imports of a module under one of ``targets`` by the modules ``importer`` accepts."""
    targets = tuple(targets)
    return [
        f"{m.name}:{i.line} imports {i.target}"
        for m in modules.values()
        if importer(m.name)
        for i in m.imports
        if under(i.target, targets)
    ]


def cli_or_epub_internals(modules: Mapping[str, Module]) -> list[str]:
    no_cli = [f"feed2book.{part}" for part in NO_CLI]
    return imports_matching(
        modules, lambda name: under(name, no_cli), ["feed2book.cli"]
    ) + imports_matching(modules, lambda name: not under(name, EPUB_WRITER_USERS), [EPUB_WRITER])


def ui_outside_cli(modules: Mapping[str, Module]) -> list[str]:
    return imports_matching(modules, lambda name: part_of(name) not in ("cli", "__main__"), UI)


def network_or_clock_in_pure_stages(modules: Mapping[str, Module]) -> list[str]:
    pure = [f"feed2book.{part}" for part in PURE]
    found = imports_matching(modules, lambda name: under(name, pure), (*NETWORK, *CLOCK_MODULES))
    for module in modules.values():
        if under(module.name, pure):
            found += [f"{module.name}:{line} calls {call}" for call, line in module.clock_calls]
    return found


def prefix_families(names: Iterable[str]) -> list[str]:
    """Top-level module names sharing a prefix (``covers_text`` next to ``covers``/``covers_x``)."""
    names = sorted(n for n in names if not n.startswith("_"))
    found = []
    for name in names:
        prefix = name.split("_")[0]
        if "_" in name and any(other != name and other.split("_")[0] == prefix for other in names):
            found.append(f"{name} shares the prefix {prefix!r} with another top-level module")
    return found


def top_level_names(root: Path = PACKAGE) -> list[str]:
    return [p.stem for p in root.glob("*.py")] + [p.parent.name for p in root.glob("*/__init__.py")]


# --- the rules hold for feed2book --------------------------------------------------------------


@pytest.fixture(scope="module")
def modules() -> dict[str, Module]:
    return read_package()


def test_the_graph_is_read(modules: dict[str, Module]) -> None:
    assert "feed2book.clean.html" in modules
    edges = internal_edges(modules)
    assert ("parse", "clean") in edges and ("cli", "pipeline") in edges


def test_no_cycle_between_parts(modules: dict[str, Module]) -> None:
    assert cycles(modules, LAZY_CYCLE_EXCEPTIONS) == []


def test_no_part_imports_a_higher_layer(modules: dict[str, Module]) -> None:
    assert layer_violations(modules, LAYERS, LAYER_EXCEPTIONS) == []


def test_every_part_has_a_layer(modules: dict[str, Module]) -> None:
    layered = {part for layer in LAYERS for part in layer}
    parts = {part_of(name) for name in modules}
    assert parts - layered == set()


def test_images_writers_library_never_import_the_cli_or_the_epub_writers_internals(
    modules: dict[str, Module],
) -> None:
    assert cli_or_epub_internals(modules) == []


def test_only_the_cli_imports_typer_or_rich(modules: dict[str, Module]) -> None:
    assert ui_outside_cli(modules) == []


def test_pure_stages_use_neither_network_nor_clock(modules: dict[str, Module]) -> None:
    assert network_or_clock_in_pure_stages(modules) == []


def test_no_top_level_module_family() -> None:
    assert prefix_families(top_level_names()) == []


@pytest.mark.parametrize(
    "package",
    sorted(
        module_name(p, PACKAGE)
        for p in PACKAGE.rglob("__init__.py")
        if "__all__" in p.read_text(encoding="utf-8")
    ),
)
def test_package_re_exports_resolve(package: str) -> None:
    """A package's ``__all__`` (imported on first use) names things that exist."""
    module = importlib.import_module(package)
    missing = [name for name in module.__all__ if not hasattr(module, name)]
    assert missing == []


def test_api_re_exports_resolve() -> None:
    api = importlib.import_module("feed2book.api")
    assert [name for name in api.__all__ if not hasattr(api, name)] == []


# --- each rule can fail: small made-up graphs ---------------------------------------------------


def fake(edges: Mapping[str, Iterable[str]], *, lazy: Iterable[str] = ()) -> dict[str, Module]:
    """Modules importing the listed targets; a target in ``lazy`` is imported in a function."""
    lazy = set(lazy)
    return {
        name: Module(name, tuple(Import(name, t, t in lazy, 1) for t in targets), ())
        for name, targets in edges.items()
    }


def test_a_cycle_between_parts_is_found() -> None:
    graph = fake(
        {
            "feed2book.parse.feed": ["feed2book.pipeline.pool"],
            "feed2book.pipeline": ["feed2book.parse"],
        }
    )
    assert cycles(graph) == ["parse -> pipeline -> parse"]


def test_a_listed_lazy_import_may_close_a_cycle_but_not_an_unlisted_one() -> None:
    graph = fake(
        {"feed2book.parse": ["feed2book.pipeline"], "feed2book.pipeline": ["feed2book.parse"]},
        lazy=["feed2book.parse"],
    )
    assert cycles(graph, {("pipeline", "parse")}) == []
    assert cycles(graph) != []


def test_importing_a_higher_layer_is_found() -> None:
    graph = fake({"feed2book.parse.feed": ["feed2book.pipeline.pool"]})
    assert layer_violations(graph) == [
        "feed2book.parse.feed:1 imports feed2book.pipeline.pool (higher layer)"
    ]
    assert layer_violations(fake({"feed2book.pipeline": ["feed2book.parse.feed"]})) == []


def test_a_part_outside_the_layers_is_found() -> None:
    graph = fake({"feed2book.newthing": ["feed2book.models"]})
    assert layer_violations(graph) == ["newthing -> models: a part missing from LAYERS"]


def test_a_writer_importing_the_cli_or_markdown_importing_epub_internals_is_found() -> None:
    graph = fake(
        {
            "feed2book.library.tables": ["feed2book.cli.console"],
            "feed2book.writers.markdown": ["feed2book.writers.epub.plan"],
            "feed2book.images.rewrite": ["feed2book.writers.epub.pages.esc"],
            "feed2book.writers.epub.book": ["feed2book.writers.epub.plan"],
            "feed2book.output.build": ["feed2book.writers.epub.book"],
        }
    )
    assert cli_or_epub_internals(graph) == [
        "feed2book.library.tables:1 imports feed2book.cli.console",
        "feed2book.writers.markdown:1 imports feed2book.writers.epub.plan",
        "feed2book.images.rewrite:1 imports feed2book.writers.epub.pages.esc",
    ]


def test_rich_or_typer_outside_the_cli_is_found() -> None:
    graph = fake(
        {
            "feed2book.library.stats": ["rich.table"],
            "feed2book.images": ["typer"],
            "feed2book.cli.tables": ["rich.table"],
            "feed2book.models": ["richer"],
        }
    )
    assert ui_outside_cli(graph) == [
        "feed2book.library.stats:1 imports rich.table",
        "feed2book.images:1 imports typer",
    ]


def test_network_or_clock_in_a_pure_stage_is_found(tmp_path: Path) -> None:
    root = tmp_path / "feed2book"
    (root / "clean").mkdir(parents=True)
    (root / "__init__.py").write_text("")
    (root / "clean" / "__init__.py").write_text("")
    (root / "clean" / "html.py").write_text(
        "import socket\nfrom datetime import datetime\n\ndef f():\n    return datetime.now()\n"
    )
    (root / "select.py").write_text("def g():\n    from time import monotonic\n")
    (root / "pipeline.py").write_text("import time\nx = time.monotonic()\n")  # not a pure stage
    assert network_or_clock_in_pure_stages(read_package(root)) == [
        "feed2book.clean.html:1 imports socket",
        "feed2book.select:2 imports time",
        "feed2book.select:2 imports time.monotonic",
        "feed2book.clean.html:5 calls datetime.now",
    ]


def test_a_module_family_is_found() -> None:
    assert prefix_families(["covers", "covers_text", "models"]) == [
        "covers_text shares the prefix 'covers' with another top-level module"
    ]
    assert prefix_families(["cli_library", "cli_options", "select"]) == [
        "cli_library shares the prefix 'cli' with another top-level module",
        "cli_options shares the prefix 'cli' with another top-level module",
    ]
    assert prefix_families(["__main__", "models", "select", "series"]) == []
