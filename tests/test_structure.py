"""The shape of jobs/: no import cycle, no module over 300 lines, no function over 50.

Read with `ast`, not imported, and counted as /work/shared/tools/structure.py
counts: a module's lines are its text's lines; a function runs from its `def` to
its last line (decorators aside); imports inside functions count, imports under
`if TYPE_CHECKING:` do not; an import of a package a module lives in (`from jobs
import __version__` in jobs.worker.heartbeat) is not an edge.
"""

from __future__ import annotations

import ast
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MAX_MODULE, MAX_FUNCTION = 300, 50


@dataclass
class Scan:
    """What the measures need from every module of one package."""

    modules: dict[str, Path] = field(default_factory=dict)
    edges: dict[str, set[str]] = field(default_factory=dict)
    findings: dict[str, str] = field(default_factory=dict)  # stable key -> message


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(mod: str, node: ast.Import | ast.ImportFrom, is_package: bool) -> list[str]:
    """Every dotted name an import statement may mean (a module, or a name inside one)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    prefix = node.module or ""
    if node.level:
        base = mod.split(".") if is_package else mod.split(".")[:-1]
        base = base[: len(base) - (node.level - 1)]
        prefix = ".".join(base + ([node.module] if node.module else []))
    return [prefix] + [f"{prefix}.{alias.name}" for alias in node.names]


def typing_only(tree: ast.Module) -> set[int]:
    """ids of the nodes under `if TYPE_CHECKING:` (imports there cost nothing at run time)."""
    return {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
        for statement in block.body
        for node in ast.walk(statement)
    }


def scan(root: Path, package: str = "jobs") -> Scan:
    found = Scan()
    paths = sorted(p for p in (root / package).rglob("*.py") if "migrations" not in p.parts)
    found.modules = {module_name(p, root): p for p in paths}
    for mod, path in found.modules.items():
        found.edges[mod] = set()
        text = path.read_text()
        relative = path.relative_to(root).as_posix()
        lines = len(text.splitlines())
        if lines > MAX_MODULE:
            found.findings[f"lines {relative}"] = f"{relative} has {lines} lines"
        tree = ast.parse(text)
        skip = typing_only(tree)
        for node in ast.walk(tree):
            if id(node) in skip:
                continue
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION:
                    message = f"{relative}:{node.lineno} {node.name}() has {length} lines"
                    found.findings[f"function {relative} {node.name}"] = message
            elif isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "import_module":
                message = f"{relative}:{node.lineno} importlib.import_module hides a dependency"
                found.findings[f"import_module {relative}"] = message
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                for name in imported(mod, node, path.name == "__init__.py"):
                    add_edge(found, mod, name)
    for group, cycle in cycles(found.edges):
        route = " -> ".join([*cycle, cycle[0]])
        among = ", ".join(sorted(group))
        found.findings["cycle " + " ".join(sorted(group))] = f"import cycle among {among}: {route}"
    return found


def add_edge(found: Scan, mod: str, name: str) -> None:
    while name and name not in found.modules:  # the longest module the name is in
        name = name.rpartition(".")[0]
    if name and name != mod and not mod.startswith(name + "."):
        found.edges[mod].add(name)


def cycles(edges: dict[str, set[str]]) -> list[tuple[set[str], list[str]]]:
    """Each group of modules that import each other (Tarjan's SCCs), and one cycle in it."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[set[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = {stack.pop()}
            while v not in group:
                group.add(stack.pop())
            if len(group) > 1:
                groups.append(group)

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return [(group, shortest_cycle(edges, group)) for group in groups]


def shortest_cycle(edges: dict[str, set[str]], group: set[str]) -> list[str]:
    """The shortest way round from the group's first module back to itself."""
    start = min(group)
    came_from: dict[str, str] = {}
    queue = deque([start])
    while queue:
        v = queue.popleft()
        for w in sorted(edges[v] & group):
            if w == start:
                path = [v]
                while path[-1] != start:
                    path.append(came_from[path[-1]])
                return path[::-1]
            if w not in came_from:
                came_from[w] = v
                queue.append(w)
    raise AssertionError(f"no cycle in {group}")  # a strongly connected group always has one


@pytest.fixture(scope="module")
def jobs_scan() -> Scan:
    return scan(ROOT)


def findings(found: Scan, kind: str) -> list[str]:
    return [
        message for key, message in sorted(found.findings.items()) if key.startswith(kind + " ")
    ]


def test_no_import_cycle_between_modules_of_jobs(jobs_scan: Scan) -> None:
    assert findings(jobs_scan, "cycle") == []


def test_no_module_of_jobs_is_over_300_lines(jobs_scan: Scan) -> None:
    assert findings(jobs_scan, "lines") == []


def test_no_function_of_jobs_is_over_50_lines(jobs_scan: Scan) -> None:
    assert findings(jobs_scan, "function") == []


def test_no_module_of_jobs_hides_an_import(jobs_scan: Scan) -> None:
    assert findings(jobs_scan, "import_module") == []


def test_the_scan_reads_every_module_and_finds_real_edges(jobs_scan: Scan) -> None:
    assert "jobs.worker.launcher" in jobs_scan.modules
    assert "jobs.runtime.loop" in jobs_scan.edges["jobs.worker.launcher"]
    assert "jobs.recurring.runner" in jobs_scan.edges["jobs.worker.launcher"]
    # The shared layer sits below the worker and recurring, never above them.
    for mod in ("jobs.runtime.clock", "jobs.runtime.health", "jobs.runtime.loop"):
        assert not {
            e for e in jobs_scan.edges[mod] if e.startswith(("jobs.worker", "jobs.recurring"))
        }
    recurring = [m for m in jobs_scan.modules if m.startswith("jobs.recurring")]
    assert all(not e.startswith("jobs.worker") for m in recurring for e in jobs_scan.edges[m])


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_a_cycle_through_an_import_inside_a_function_is_found_and_named(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/a.py": "from pkg.b import thing\n",
            "pkg/b.py": "from . import c\nthing = 1\n",
            "pkg/c.py": "def late():\n    from pkg import a\n    return a\n",
            "pkg/d.py": "import typing\nif typing.TYPE_CHECKING:\n    from pkg import a\n",
            "pkg/sub/__init__.py": "from .. import d\n",
        },
    )
    found = scan(tmp_path, "pkg")
    assert found.edges["pkg.c"] == {"pkg.a"}
    assert found.edges["pkg.d"] == set()  # a TYPE_CHECKING import is no dependency
    assert found.edges["pkg.sub"] == {"pkg.d"}
    assert found.findings == {
        "cycle pkg.a pkg.b pkg.c": "import cycle among pkg.a, pkg.b, pkg.c: pkg.a -> pkg.b -> pkg.c -> pkg.a"
    }


def test_long_modules_and_functions_are_counted_as_the_structure_tool_counts(
    tmp_path: Path,
) -> None:
    body = "".join(f"    x{i} = {i}\n" for i in range(49))
    write(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/fits.py": f"@staticmethod\ndef fits():\n{body}",  # 50 lines with the def
            "pkg/long.py": f"def too_long():\n{body}    return x0\n" + "\n" * 250,
        },
    )
    found = scan(tmp_path, "pkg")
    assert found.findings == {
        "function pkg/long.py too_long": "pkg/long.py:1 too_long() has 51 lines",
        "lines pkg/long.py": "pkg/long.py has 301 lines",
    }
