"""The import rules of docs/ARCHITECTURE.md, held to the code: layers point inward, no cycles."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BOT = ROOT / "bot"
MAX_LINES = 400


@cache
def modules() -> dict[str, Path]:
    """Every module under bot/ (migrations aside) by dotted name."""
    found = {}
    for path in BOT.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        found[name] = path
    return found


def _targets(module: str, node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = module.split(".")
    if node.level:
        is_package = modules()[module].name == "__init__.py"
        base = base[: len(base) - node.level + (1 if is_package else 0)]
        prefix = ".".join([*base, node.module] if node.module else base)
    else:
        prefix = node.module or ""
    return [prefix, *(f"{prefix}.{alias.name}" for alias in node.names)]


@cache
def imports() -> dict[str, frozenset[str]]:
    """What each bot module imports, function-level imports included (typing-only ones not)."""
    graph = {}
    for name, path in modules().items():
        tree = ast.parse(path.read_text(), str(path))
        typing_only = {
            id(sub)
            for node in ast.walk(tree)
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
            for sub in ast.walk(node)
        }
        found: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom) and id(node) not in typing_only:
                found.update(_targets(name, node))
        graph[name] = frozenset(found)
    return graph


def bot_imports(module: str) -> set[str]:
    """The bot modules module imports (a name inside a module counts as the module)."""
    result = set()
    for name in imports()[module]:
        target = name
        while target and target not in modules():
            target = target.rpartition(".")[0]
        if target and target != module:
            result.add(target)
    return result


def under(prefix: str) -> list[str]:
    return [m for m in modules() if m == prefix or m.startswith(prefix + ".")]


def uses(module: str, package: str) -> bool:
    return any(t == package or t.startswith(package + ".") for t in imports()[module])


def test_no_import_cycle_among_bot_modules() -> None:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in bot_imports(node):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                component.append(top)
                if top == node:
                    break
            # A package's __init__ re-exporting its own submodules is layout, not a cycle.
            packages = [m for m in component if modules()[m].name == "__init__.py"]
            own = len(packages) == 1 and all(
                m == packages[0] or m.startswith(packages[0] + ".") for m in component
            )
            if len(component) > 1 and not own:
                cycles.append(sorted(component))

    for module in modules():
        if module not in index:
            visit(module)
    assert cycles == []


def test_no_module_is_longer_than_a_sitting() -> None:
    lengths = {m: len(p.read_text().splitlines()) for m, p in modules().items()}
    assert {m: n for m, n in lengths.items() if n > MAX_LINES} == {}


@pytest.mark.parametrize("module", ["bot.fields", "bot.texts", "bot.texts.page"])
def test_the_innermost_modules_import_nothing_of_lenspin(module: str) -> None:
    assert bot_imports(module) == set()


def test_the_domain_records_know_only_the_fields() -> None:
    assert bot_imports("bot.domain") == {"bot.fields"}


@pytest.mark.parametrize(
    ("layer", "forbidden"),
    [
        ("bot.rescue", ("bot.slack", "bot.store", "bot.pins", "bot.accounts", "bot.app")),
        ("bot.store", ("bot.slack", "bot.rescue", "bot.pins", "bot.accounts", "bot.app")),
        ("bot.pins", ("bot.slack", "bot.store", "bot.app", "bot.config")),
        ("bot.lanes", ("bot.slack", "bot.store", "bot.app", "bot.config", "bot.pins")),
        ("bot.accounts", ("bot.slack", "bot.store", "bot.app", "bot.config")),
        # The connect page's links: a use case, like accounts, it knows no web and no Slack.
        ("bot.connect", ("bot.slack", "bot.store", "bot.app", "bot.config", "bot.page")),
        (
            "bot.page",
            (
                "bot.slack",
                "bot.store",
                "bot.rescue.client",
                "bot.rescue.transport",
                "bot.rescue.reading",
                "bot.app",
                "bot.web",
            ),
        ),
        # Each workspace's settings: a use case over the WorkspaceStore Protocol.
        ("bot.workspaces", ("bot.slack", "bot.store", "bot.app", "bot.config", "bot.pins")),
        ("bot.watch", ("bot.slack", "bot.store", "bot.app", "bot.config", "bot.pins")),
        # Settings are checked by a gunicorn master, which must not load the store's libraries.
        ("bot.config", ("bot.slack", "bot.store", "bot.app", "bot.pins")),
        ("bot.env", ("bot.slack", "bot.store", "bot.app", "bot.pins", "bot.config")),
        ("bot.watch_ports", ("bot.slack", "bot.store", "bot.app", "bot.config", "bot.pins")),
        (
            "bot.watch_rules",
            ("bot.slack", "bot.store", "bot.app", "bot.config", "bot.pins", "bot.watch"),
        ),
        ("bot.slack.blocks", ("bot.slack.io", "bot.slack.listeners", "bot.store", "bot.app")),
        ("bot.slack.io", ("bot.slack.blocks", "bot.slack.listeners", "bot.store", "bot.pins")),
        (
            "bot.slack",
            (
                "bot.store",
                "bot.rescue.client",
                "bot.rescue.transport",
                "bot.rescue.reading",
                "bot.app",
                "bot.page",
            ),
        ),
    ],
)
def test_layers_point_inward(layer: str, forbidden: tuple[str, ...]) -> None:
    wrong = {
        (module, target)
        for module in under(layer)
        for target in bot_imports(module)
        if any(target == f or target.startswith(f + ".") for f in forbidden)
    }
    assert wrong == set()


def test_no_listener_imports_another() -> None:
    listeners = set(under("bot.slack.listeners")) - {"bot.slack.listeners"}
    assert {(m, t) for m in listeners for t in bot_imports(m) if t in listeners} == set()


@pytest.mark.parametrize(
    ("library", "allowed"),
    [
        ("zeep", ("bot.rescue",)),
        ("lxml", ("bot.rescue",)),
        ("slack_bolt", ("bot.slack", "bot.app", "bot.web", "bot.__main__")),
        # Not bot.gunicorn_conf: a gunicorn master loads no database stack (bot/front.py).
        ("sqlalchemy", ("bot.store", "bot.check", "bot.__main__")),
    ],
)
def test_each_library_stays_in_its_layer(library: str, allowed: tuple[str, ...]) -> None:
    outside = [
        m
        for m in modules()
        if uses(m, library) and not any(m == a or m.startswith(a + ".") for a in allowed)
    ]
    assert outside == []


def test_blocks_are_pure_and_listeners_call_slack_through_io() -> None:
    for module in under("bot.slack.blocks"):
        assert not uses(module, "slack_sdk"), module
        assert not uses(module, "slack_bolt"), module


def test_nothing_in_bot_loads_the_stand_ins_at_import() -> None:
    for name, path in modules().items():
        tree = ast.parse(path.read_text())
        top_level = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
        assert not any(
            t == "devtools" or t.startswith("devtools.")
            for node in top_level
            for t in _targets(name, node)
        ), name
    assert not (BOT / "devtools").exists()
