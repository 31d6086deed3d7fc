"""What README.md shows a user still works: every import path and dotted
name it mentions resolves, and its Python examples run (the long ones with
the tiny settings named here, everything else as printed)."""

import ast
import importlib
import os
import re

import pytest

from tests.helpers import ROOT

README = os.path.join(ROOT, "README.md")


def _text():
    with open(README, encoding="utf-8") as f:
        return f.read()


def _all_python_blocks():
    return re.findall(r"```python\n(.*?)```", _text(), re.S)


def _parses(block):
    try:
        ast.parse(block)
    except SyntaxError:
        return False
    return True


def _python_blocks():
    """The runnable examples (the builders' signature block is not)."""
    return [b for b in _all_python_blocks() if _parses(b)]


def _dotted_names():
    """Every ``keras_inception.a.b`` in the README (prose and code)."""
    names = set(re.findall(r"\bkeras_inception(?:\.[A-Za-z_]\w*)+",
                           _text()))
    return sorted(n for n in names if not n.endswith((".py", ".md")))


def _resolve(dotted):
    """Import the longest module prefix of ``dotted``, then walk
    attributes."""
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ModuleNotFoundError:
            continue
        for attr in parts[i:]:
            obj = getattr(obj, attr)
        return obj
    raise ModuleNotFoundError(dotted)


def test_readme_has_python_examples_and_names():
    assert len(_python_blocks()) >= 3
    # Only the signature of every builder is not code.
    assert [b.split("(")[0] for b in _all_python_blocks()
            if not _parses(b)] == ["Builder"]
    assert len(_dotted_names()) >= 10


@pytest.mark.parametrize("dotted", _dotted_names())
def test_every_dotted_name_in_the_readme_resolves(dotted):
    assert _resolve(dotted) is not None


def _imports_of(block):
    tree = ast.parse(block)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            for a in node.names:
                yield f"{node.module}.{a.name}"
        elif isinstance(node, ast.Import):
            for a in node.names:
                yield a.name


def test_every_import_in_the_readme_examples_works():
    names = sorted({n for block in _python_blocks()
                    for n in _imports_of(block)
                    if n.startswith("keras_inception")})
    assert names, "no keras_inception import in the README's examples"
    for name in names:
        assert _resolve(name) is not None, name


def test_quick_start_runs_as_printed(tmp_path, monkeypatch):
    """The first Python block, unchanged, in an empty folder (it writes
    ``v3.weights.h5`` there)."""
    block = _python_blocks()[0]
    assert "InceptionV4(weights=None)" in block
    monkeypatch.chdir(tmp_path)
    namespace = {}
    exec(compile(block, "README.md quick start", "exec"), namespace)
    assert namespace["inference"].output_shape == (None, 10)
    assert [i["stride"] for i in
            namespace["keras_inception"].feature_info(namespace["fx"])] == \
        [4, 8, 16, 32]


def test_readme_examples_call_only_arguments_that_exist():
    """Every keyword of every call to a keras_inception callable in the
    examples is one that callable takes (the long-running examples are
    checked this way; the quick start runs)."""
    import inspect

    checked = 0
    for block in _python_blocks():
        tree = ast.parse(block)
        bound = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and \
                    node.module.startswith("keras_inception"):
                for a in node.names:
                    bound[a.asname or a.name] = f"{node.module}.{a.name}"
            elif isinstance(node, ast.Import):
                for a in node.names:
                    bound[a.asname or a.name] = a.name
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.keywords:
                continue
            target = ast.unparse(node.func)
            head = target.split(".")[0]
            if head not in bound or not bound[head].startswith(
                    "keras_inception"):
                continue
            func = _resolve(bound[head] + target[len(head):])
            params = inspect.signature(func).parameters
            if any(p.kind is p.VAR_KEYWORD for p in params.values()):
                continue
            for kw in node.keywords:
                if kw.arg is not None:
                    assert kw.arg in params, (target, kw.arg)
                    checked += 1
    assert checked >= 10
