"""The package's layout keeps its promises (README "Layout"): no import
cycle among its modules, no module reaching into another's private names,
no module over 400 lines without a stated reason, and subpackages that only
import the layers below them (models -> convert/data -> training/distribute
-> tuning/deploy -> benchmark -> cli)."""

import ast
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "keras_inception"
MAX_LINES = 400
REASON = "over 400 lines because"
# Each subpackage and the ones it may import (utils is below everything).
LAYERS = {
    "utils": set(),
    "models": {"utils"},
    "convert": {"utils", "models"},
    "data": {"utils", "models"},
    "training": {"utils", "models", "data", "distribute"},
    "distribute": {"utils", "models"},
    "tuning": {"utils", "models", "data", "training", "distribute"},
    "deploy": {"utils", "models", "data", "training"},
    "benchmark": {"utils", "models", "convert", "data", "training",
                  "deploy"},
    "cli": {"utils", "models", "convert", "data", "training", "distribute",
            "tuning", "deploy", "benchmark"},
}


def _modules():
    mods = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        mods[".".join(parts)] = path
    return mods


MODULES = _modules()


def _imports(path):
    """``[(imported module, [names], node)]`` of the package's own imports,
    and ``{local alias: module}`` for imported modules."""
    tree = ast.parse(path.read_text())
    found, aliases = [], {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and \
                node.module.startswith("keras_inception"):
            found.append((node.module, [a.name for a in node.names], node))
            for a in node.names:
                full = f"{node.module}.{a.name}"
                if full in MODULES:
                    aliases[a.asname or a.name] = full
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("keras_inception"):
                    found.append((a.name, [], node))
                    if a.asname:
                        aliases[a.asname] = a.name
    return tree, found, aliases


def _edges():
    edges = {}
    for name, path in MODULES.items():
        _, found, _ = _imports(path)
        deps = set()
        for module, names, _ in found:
            targets = [f"{module}.{n}" for n in names
                       if f"{module}.{n}" in MODULES]
            # `from pkg import submodule` depends on the submodule only;
            # `from pkg import name` on the package's __init__.
            if len(targets) < len(names) or not names:
                deps.add(module)
            deps.update(targets)
        edges[name] = {d for d in deps if d in MODULES and d != name}
    return edges


def _is_package(name):
    return MODULES[name].name == "__init__.py"


def test_no_import_cycle():
    edges = _edges()
    # A package __init__ re-exports its own submodules; an import of the
    # package from inside it is what would close a cycle.
    state, cycles = {}, []

    def visit(node, stack):
        state[node] = "open"
        for dep in sorted(edges[node]):
            if _is_package(node) and dep.startswith(node + "."):
                continue
            if state.get(dep) == "open":
                cycles.append(stack[stack.index(dep):] + [dep])
            elif dep not in state:
                visit(dep, stack + [dep])
        state[node] = "done"

    for name in sorted(MODULES):
        if name not in state:
            visit(name, [name])
    assert not cycles, f"import cycles: {cycles}"


def test_no_module_uses_another_modules_private_names():
    found = []
    for name, path in MODULES.items():
        tree, imports, aliases = _imports(path)
        for module, names, node in imports:
            for n in names:
                if n.startswith("_") and not n.startswith("__") and \
                        f"{module}.{n}" not in MODULES:
                    found.append(f"{path.name}:{node.lineno} imports "
                                 f"{module}.{n}")
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and \
                    isinstance(node.value, ast.Name) and \
                    node.value.id in aliases and \
                    node.attr.startswith("_") and \
                    not node.attr.startswith("__") and \
                    aliases[node.value.id] != name:
                found.append(f"{path.name}:{node.lineno} uses "
                             f"{aliases[node.value.id]}.{node.attr}")
    assert not found, found


def test_no_module_over_400_lines_without_a_reason():
    big = []
    for name, path in MODULES.items():
        text = path.read_text()
        lines = len(text.splitlines())
        doc = ast.get_docstring(ast.parse(text)) or ""
        if lines > MAX_LINES and REASON not in doc:
            big.append(f"{name} ({lines} lines)")
    assert not big, big


def _layer(name):
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else None


@pytest.mark.parametrize("layer", sorted(LAYERS))
def test_subpackages_import_only_the_layers_below(layer):
    assert any(_layer(n) == layer for n in MODULES), f"no {layer} package"
    wrong = []
    for name, deps in _edges().items():
        if _layer(name) != layer:
            continue
        for dep in deps:
            other = _layer(dep)
            if other is None and dep == "keras_inception":
                wrong.append(f"{name} imports the top-level package")
            elif other not in (None, layer) and other in LAYERS and \
                    other not in LAYERS[layer]:
                wrong.append(f"{name} imports {dep}")
    assert not wrong, wrong


def test_the_checks_see_what_they_check(tmp_path):
    """The walk finds every subpackage and a known edge, so the tests above
    are not passing on an empty graph."""
    edges = _edges()
    assert len(MODULES) > 30
    assert "keras_inception.models.layers" in edges[
        "keras_inception.models.builder"]
