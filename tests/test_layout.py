"""The package's layout, drawn from its source: no import circle, and only the registry knows every topic.

Read with `ast`, not by importing: every `from . import x`, `from .x import y`, `from reference
import x` and `import reference.x`, at module level or inside a function, is an edge (an import
deferred into a function is still a dependency, and a circle through one is still a circle).
"""

import ast
import functools
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "reference"
MODULES = {path.stem: path for path in PACKAGE.glob("*.py")}


def imported_modules(path: Path) -> set[str]:
    """The modules of the package that `path` imports, anywhere in it."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            package = "." if node.level == 1 else "reference."
            module = "." * node.level + (node.module or "")
            if module in (".", "reference"):
                found |= {alias.name for alias in node.names}  # from . import x
            elif module.startswith(package):
                found.add(module.removeprefix(package).split(".")[0])  # from .x import y
        elif isinstance(node, ast.Import):
            found |= {
                alias.name.split(".")[1]  # import reference.x
                for alias in node.names
                if alias.name.startswith("reference.")
            }
    return found & MODULES.keys()


@functools.cache
def import_graph() -> dict[str, set[str]]:
    """Parsed once a run: three tests read it (0.25 s a parse)."""
    return {name: imported_modules(path) - {name} for name, path in MODULES.items()}


def first_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A circle of imports as a path that ends where it starts, or None."""
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> list[str] | None:
        if module in path:
            return [*path[path.index(module) :], module]
        if module in done:
            return None
        for imported in sorted(graph[module]):
            cycle = visit(imported, [*path, module])
            if cycle:
                return cycle
        done.add(module)
        return None

    for module in sorted(graph):
        cycle = visit(module, [])
        if cycle:
            return cycle
    return None


def topic_modules() -> list[str]:
    """The names in registry.py's `TOPICS` tuple."""
    tree = ast.parse(MODULES["registry"].read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and [t.id for t in node.targets] == ["TOPICS"]:
            return [element.id for element in node.value.elts]
    raise AssertionError("registry.py has no TOPICS tuple")


def test_the_graph_sees_the_known_edges():
    """The reader of the source finds what is there (a blind reader would pass every test below)."""
    graph = import_graph()
    assert set(topic_modules()) <= graph["registry"]
    assert "example" in graph["parameter_access"]  # from .example import …
    assert "registry" in graph["cli"]  # from . import registry, inside a function


def test_no_import_circle():
    cycle = first_cycle(import_graph())
    assert cycle is None, f"import circle: {' -> '.join(cycle)}"


def test_no_topic_module_imports_the_registry():
    graph = import_graph()
    offenders = [topic for topic in topic_modules() if "registry" in graph[topic]]
    assert not offenders, f"topic modules that import the registry: {offenders}"


def test_the_cycle_finder_finds_one():
    assert first_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert first_cycle({"a": {"b"}, "b": set()}) is None
