"""The package's shape stays as the map in style_lib/__init__.py draws it."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

import style_lib

ROOT = Path(style_lib.__file__).parent


def _imports() -> dict[str, set[tuple[str, tuple[str, ...]]]]:
    """module -> {(imported module, names)} for every relative import in style_lib."""
    graph: dict[str, set] = {}
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        module = ".".join(parts)
        package = parts[:-1]
        found = graph.setdefault(module, set())
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level:
                base = package[: len(package) - (node.level - 1)]
                names = tuple(a.name for a in node.names)
                if node.module:
                    found.add((".".join(base + tuple(node.module.split("."))), names))
                else:               # from . import a, b
                    for name in names:
                        found.add((".".join(base + (name,)), ()))
    return graph


def _known(graph: dict, name: str) -> str | None:
    """The module of ``graph`` that ``name`` is (or the package's __init__)."""
    if name in graph:
        return name
    return f"{name}.__init__" if f"{name}.__init__" in graph else None


def test_no_import_cycle():
    graph = {m: {_known(graph_m, t) for t, _ in deps} - {None, m}
             for graph_m in [_imports()] for m, deps in graph_m.items()}
    state: dict[str, int] = {}

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in graph.get(module, ()):
            if state.get(target) == 1:
                raise AssertionError("import cycle: " + " -> ".join(path + [module, target]))
            if not state.get(target):
                visit(target, path + [module])
        state[module] = 2
    for module in graph:
        if not state.get(module):
            visit(module, [])


def test_no_private_name_is_used_across_sub_packages():
    """``from ..images import _helper`` inside fast/ or video/ reaches into another
    package's private code; give the helper a public name instead."""
    crossing = []
    for module, deps in _imports().items():
        home = module.split(".")[0] if "." in module else ""
        for target, names in deps:
            there = target.split(".")[0] if "." in target else ""
            if home != there and any(n.startswith("_") for n in names):
                crossing.append(f"{module} imports {[n for n in names if n.startswith('_')]}"
                                f" from {target}")
    assert not crossing, crossing


def test_every_module_is_on_the_map():
    doc = style_lib.__doc__
    modules = {p.stem for p in ROOT.glob("*.py") if not p.stem.startswith("__")}
    packages = {p.name for p in ROOT.iterdir() if (p / "__init__.py").exists()}
    missing = sorted(m for m in modules if f"``{m}``" not in doc) + \
        sorted(p for p in packages if f"``{p}/``" not in doc)
    assert not missing, f"not in the map of style_lib/__init__.py: {missing}"


#: The layers of the map in style_lib/__init__.py, lowest first: a module may
#: import from its own layer or an earlier one, never from a later one.
LAYERS = [
    {"errors", "session", "vgg_layers", "settings", "files", "progress", "command_line"},
    {"io", "arguments"},
    {"core"},
    {"pixel"},
    {"teaching"},
    {"fast", "adain", "video"},
    {"checks", "figures", "cli", "__main__", "__init__"},
]


def _layer(module: str) -> int:
    head = module.split(".")[0]
    for number, names in enumerate(LAYERS):
        if head in names:
            return number
    raise AssertionError(f"style_lib.{module} is in no layer of the map: add it to LAYERS")


def test_no_module_imports_from_a_later_layer():
    upward = []
    for module, deps in _imports().items():
        for target, _ in deps:
            if target == "" or target.split(".")[0] == module.split(".")[0]:
                continue
            if _layer(target) > _layer(module):
                upward.append(f"style_lib.{module} imports style_lib.{target}")
    assert not upward, upward


def test_the_old_top_level_names_say_where_the_module_went():
    with pytest.raises(ImportError, match=r"style_lib\.io\.data.*from style_lib\.io import data"):
        from style_lib import data  # noqa: F401
    with pytest.raises(ImportError, match=r"style_lib\.session: write 'from style_lib import session'"):
        from style_lib import config  # noqa: F401
    for old, new in style_lib.MOVED.items():
        assert (ROOT / (new.replace(".", "/") + ".py")).is_file(), new
        assert not (ROOT / f"{old}.py").exists(), old


def test_the_readme_package_table_matches_the_tree():
    """Every module of the layers (top level, io/, core/, pixel/, teaching/) has its row in
    README's package table, and every row names a module that exists."""
    readme = (ROOT.parent / "README.md").read_text(encoding="utf-8")
    table = readme.split("## The package", 1)[1].split("\n## ", 1)[0]
    rows = {line.split("`")[1] for line in table.splitlines() if line.startswith("| `style_lib")}
    expected = {f"style_lib.{p.stem}" for p in ROOT.glob("*.py") if not p.stem.startswith("__")}
    for package in ("io", "core", "pixel", "teaching"):
        expected |= {f"style_lib.{package}.{p.stem}" for p in (ROOT / package).glob("*.py")
                     if not p.stem.startswith("__")}
    expected |= {f"style_lib.{p}" for p in ("fast", "adain", "video", "checks")}
    assert not expected - rows, f"modules without a row: {sorted(expected - rows)}"
    assert not rows - expected, f"rows without a module: {sorted(rows - expected)}"
