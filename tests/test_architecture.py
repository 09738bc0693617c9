"""The import rules of docs/architecture.md, checked on the source.

Each part of the package may import only the parts listed for it, so the folder tree
keeps telling the data flow: adapters -> store -> features -> search -> findings ->
widgets / export / bounty, wired in ``_workbench``. Only the store and the search's
SQL aggregator speak DuckDB.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import workbench

PACKAGE = Path(workbench.__file__).parent

#: part -> the parts it may import ("duckdb" marks a direct DuckDB import); None: any part
ALLOWED: dict[str, set[str] | None] = {
    "exceptions": set(),
    "_version": set(),
    "_validation": {"exceptions"},
    "_io": {"exceptions", "_validation"},
    "findings": {"exceptions"},
    "metrics": {"exceptions", "_validation"},
    "features": {"exceptions", "findings", "metrics", "_validation"},
    "adapters": {"exceptions", "features", "metrics", "_validation"},
    "store": {"exceptions", "findings", "_version", "duckdb"},
    "search": {"exceptions", "features", "findings", "_validation", "duckdb"},
    "export": {"exceptions", "findings", "_version"},
    "samples": {"exceptions", "features"},
    "bounty": {"exceptions", "findings", "export", "metrics", "_validation", "_version", "duckdb"},
    "_ingest": {
        "_io",
        "_validation",
        "adapters",
        "exceptions",
        "features",
        "findings",
        "metrics",
        "store",
    },
    "_slices": {"exceptions", "features", "findings", "metrics", "search", "store"},
    "_report": {"_slices", "_validation", "_version", "exceptions", "findings", "search", "store"},
    "_compare": {"_slices", "exceptions", "findings", "search"},
    "_verify": {"_io", "_ingest", "_slices", "exceptions", "export", "store"},
    "_descriptors": {"_ingest", "exceptions", "features", "store"},
    "widgets": {"exceptions", "findings", "metrics", "search", "export", "_validation", "_version"},
    "app": {
        "workbench",
        "widgets",
        "exceptions",
        "samples",
        "export",
        "search",
        "bounty",
        "_version",
    },
    "_workbench": None,
    "cli": None,
    "__main__": {"cli"},
    "workbench": None,
}

#: what even the wiring must not import: the front ends sit above it
FORBIDDEN = {"_workbench": {"cli", "app"}}


def _part(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "workbench"


def _imports() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = defaultdict(set)
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        module = ".".join(rel.parts).removesuffix(".__init__")
        part = _part(module)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            for name in names:
                if name == "duckdb" or name.startswith("duckdb."):
                    graph[part].add("duckdb")
                elif name == "workbench" and isinstance(node, ast.ImportFrom):
                    # `from workbench import _ingest` names sibling parts
                    graph[part].update(
                        alias.name if alias.name.startswith("_") else "workbench"
                        for alias in node.names
                    )
                elif name.startswith("workbench."):
                    graph[part].add(_part(name))
    return graph


def test_every_part_has_a_rule() -> None:
    assert set(_imports()) <= set(ALLOWED), set(_imports()) - set(ALLOWED)


def test_parts_import_only_what_the_architecture_allows() -> None:
    broken = []
    for part, imported in sorted(_imports().items()):
        rule = ALLOWED.get(part, set())
        allowed = (set(ALLOWED) | {"duckdb"}) if rule is None else rule
        extra = (imported - allowed - {part}) | (imported & FORBIDDEN.get(part, set()))
        if extra:
            broken.append(f"{part} imports {sorted(extra)}")
    assert not broken, (
        "Imports outside docs/architecture.md's rules (only the store and the search's SQL "
        "aggregator speak DuckDB; nothing below the front ends imports _workbench): "
        + "; ".join(broken)
    )


def test_nothing_below_the_front_ends_imports_the_workbench() -> None:
    users = {part for part, imported in _imports().items() if "_workbench" in imported}
    assert users <= {"workbench", "cli"}, users
