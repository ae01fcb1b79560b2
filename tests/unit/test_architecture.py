"""The house's shape (issue 12): rooms of a readable size, one direction of dependencies, no circles.

Walks every import in chalicelib/ (function-level and TYPE_CHECKING imports too: a circle hidden
inside a function is still a circle). Layers, lowest first:
- domain: plain Python, imports only the domain;
- adapters (AWS), mail (emails): the domain, settings, templating, each other's own layer;
- services (use cases): anything below;
- the edges, web/ and events/: services and the domain (and the wiring that builds things).
What still breaks a rule is listed below by name, as work left, and the lists may only shrink: a
test fails if an entry is fixed but still listed, so the lists stay true.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "chalicelib"
MAX_LINES = 600

# Modules still over MAX_LINES, with the ceiling they may not grow past (none left: keep it so).
OVERSIZE: dict[str, int] = {}
# Imports that run the wrong way: (importer, imported) (none left: keep it so).
UPWARD: set[tuple[str, str]] = set()
# Circles left, each as its sorted members (none left: keep it so).
KNOWN_CYCLES: list[list[str]] = []

SHARED = {"chalicelib.settings", "chalicelib.logs", "chalicelib.metrics", "chalicelib.templating"}
MAY_IMPORT: dict[str, set[str]] = {
    "domain": {"domain"},
    "adapters": {"adapters", "domain", "shared"},
    "mail": {"mail", "domain", "shared"},
    "services": {"services", "adapters", "mail", "domain", "shared", "wiring"},
    "web": {"web", "services", "domain", "shared", "wiring"},
    "events": {"events", "services", "domain", "shared", "wiring"},
    "wiring": {"adapters", "domain", "shared", "wiring"},
    "shared": {"domain", "shared"},
}


def module_name(path: Path) -> str:
    name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
    return name.removesuffix(".__init__")


MODULES = {module_name(path): path for path in PACKAGE.rglob("*.py")}


def layer(module: str) -> str:
    if module in SHARED or module == "chalicelib":
        return "shared"
    if module == "chalicelib.wiring":
        return "wiring"
    return module.split(".")[1]


def imports_of(module: str) -> set[str]:
    """Every chalicelib module (or `local`) that `module` imports, anywhere in its body."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            names = [target, *(f"{target}.{alias.name}" for alias in node.names)]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        for name in names:
            if name in MODULES and name != module:
                found.add(name)
            elif name == "local" or name.startswith("local."):
                found.add("local")
    return found


GRAPH = {module: imports_of(module) for module in MODULES}


def cycles() -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for root in GRAPH:
        if root in index:
            continue
        work = [(root, iter(sorted(GRAPH[root] - {"local"})))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(GRAPH[child] - {"local"}))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_import_cycles() -> None:
    found = cycles()
    assert [c for c in found if c not in KNOWN_CYCLES] == [], "new import cycles"
    assert [c for c in KNOWN_CYCLES if c not in found] == [], "broken: remove these from KNOWN_CYCLES"


def test_the_cycle_finder_finds_a_cycle() -> None:
    global GRAPH
    real = GRAPH
    try:
        GRAPH = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
        assert cycles() == [["a", "b", "c"]]
    finally:
        GRAPH = real


def test_nothing_in_chalicelib_imports_the_local_harness() -> None:
    assert sorted(module for module, imported in GRAPH.items() if "local" in imported) == []


def test_dependencies_run_one_way() -> None:
    upward = {
        (module, imported)
        for module, imports in GRAPH.items()
        for imported in imports - {"local"}
        if layer(imported) not in MAY_IMPORT[layer(module)]
    }
    assert upward - UPWARD == set(), "new imports running the wrong way"
    assert UPWARD - upward == set(), "fixed: remove these from UPWARD"


def test_only_the_wiring_builds_adapters_once() -> None:
    """The composition root's cache is its own: a module needing an adapter gets it from a wiring
    property, never by building one through the private `_once` (which hides a second root)."""
    users = {
        module
        for module, path in MODULES.items()
        if module != "chalicelib.wiring"
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Attribute) and node.attr == "_once"
    }
    assert sorted(users) == []


def test_rooms_of_a_readable_size() -> None:
    sizes = {module: len(path.read_text().splitlines()) for module, path in MODULES.items()}
    too_big = {module: lines for module, lines in sizes.items() if lines > MAX_LINES}
    assert {m: n for m, n in too_big.items() if m not in OVERSIZE or n > OVERSIZE[m]} == {}
    assert [module for module in OVERSIZE if module not in too_big] == [], "split: remove these from OVERSIZE"


# Route functions (in chalicelib/web/) longer than this many lines of code (docstring, comments and
# blank lines not counted) put the work in the edge: it belongs in a service or a helper.
MAX_ROUTE_LINES = 20
# Routes still longer, with the ceiling they may not grow past.
LONG_ROUTES: dict[str, int] = {}


def route_lengths() -> dict[str, int]:
    """Every function under a route decorator in chalicelib/web/, by its lines of code."""
    found: dict[str, int] = {}
    for path in sorted((PACKAGE / "web").rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        lines = source.splitlines()
        for node in ast.walk(ast.parse(source)):
            if not isinstance(node, ast.FunctionDef):
                continue
            if not any("route" in ast.unparse(decorator) for decorator in node.decorator_list):
                continue
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant):
                body = body[1:]  # the docstring
            code = {
                number
                for statement in body
                for number in range(statement.lineno, (statement.end_lineno or statement.lineno) + 1)
                if lines[number - 1].strip() and not lines[number - 1].strip().startswith("#")
            }
            found[f"{path.relative_to(ROOT)}::{node.name}"] = len(code)
    return found


def test_the_route_length_check_counts_code_not_docstrings_or_comments() -> None:
    lengths = route_lengths()
    assert lengths["chalicelib/web/admin/queue.py::whoami"] <= 5
    assert len(lengths) > 100  # it finds the routes


def test_route_functions_stay_short() -> None:
    long = {route: n for route, n in route_lengths().items() if n > MAX_ROUTE_LINES}
    assert {r: n for r, n in long.items() if r not in LONG_ROUTES or n > LONG_ROUTES[r]} == {}
    assert [r for r in LONG_ROUTES if r not in long] == [], "shortened: remove these from LONG_ROUTES"
