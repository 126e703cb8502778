"""The house's layout holds (docs/architecture.md): imports point one way, and no module imports
itself back through others."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

BOT = Path(__file__).resolve().parent.parent / "bot"
# What each part may import from the project (besides itself).
ALLOWED = {
    "storage": {"clock"},
    "services": {"storage", "clock", "config", "i18n"},
    "handlers": {
        "services",
        "storage",
        "context",
        "clock",
        "config",
        "i18n",
        "transport",
        "ask_texts",
    },
    "cli": {
        "services",
        "storage",
        "handlers",
        "app",
        "context",
        "clock",
        "config",
        "i18n",
        "webhook",
        "fakeapi",
        "ask_texts",
        "receiving",
        "transport",
        "web",
    },
    # The web pages share the chat's services and its formatting of dates, times and rooms.
    "web": {"services", "storage", "handlers", "context", "clock", "config", "i18n"},
}


def _modules() -> dict[str, Path]:
    found = {}
    for path in BOT.rglob("*.py"):
        parts = path.relative_to(BOT.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _imports(path: Path) -> Iterator[tuple[str, bool]]:
    """Each project module `path` imports, and whether it is imported for type checking only."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            typing_only.update(id(n) for n in ast.walk(node))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("bot"):
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            for name in names:
                yield name, id(node) in typing_only
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith(("bot", "telegram")):
                    yield alias.name, id(node) in typing_only


def _part(module: str) -> str:
    return module.split(".")[1] if module.count(".") else module


def test_imports_point_one_way() -> None:
    modules = _modules()
    wrong = []
    for name, path in modules.items():
        part = _part(name)
        if part not in ALLOWED:
            continue
        for imported, _typing in _imports(path):
            target = _part(imported)
            if imported in modules and target != part and target not in ALLOWED[part]:
                wrong.append(f"{name} imports {imported}")
    assert not wrong, wrong


def test_services_and_storage_do_not_know_telegram() -> None:
    wrong = []
    for name, path in _modules().items():
        if _part(name) in ("services", "storage"):
            text = path.read_text(encoding="utf-8")
            if "import telegram" in text or "from telegram" in text:
                wrong.append(name)
    assert not wrong, wrong


def test_no_module_imports_itself_back() -> None:
    modules = _modules()
    graph = {
        name: {i for i, typing in _imports(path) if i in modules and i != name and not typing}
        for name, path in modules.items()
    }
    # A package's __init__ importing its own modules is how a package is assembled, not a circle.
    for name in graph:
        graph[name] = {i for i in graph[name] if not i.startswith(name + ".")}
    circles = []
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                circles.append(" -> ".join([*path[path.index(nxt) :], nxt]))
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert not circles, circles
