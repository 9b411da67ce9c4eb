"""The house rules of ARCHITECTURE.md, checked on the code's own imports (walked with ``ast``).

Layers import only downward (a module may import its own layer or lower ones), no import cycle
among fusionlab modules, no private name of another module, no argparse or printing below the
commands, modules of about 800 lines at most and functions of at most 80 code lines unless a
``# long function:`` comment says why.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "fusionlab"

#: Layers, lowest first; a module's layer is that of its longest listed prefix.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "base",
        (
            "fusionlab.errors",
            "fusionlab.output",
            "fusionlab.jsonio",
            "fusionlab.weights",
            "fusionlab.kernels",
        ),
    ),
    (
        "files",
        (
            "fusionlab",
            "fusionlab.scores",
            "fusionlab.alignment",
            "fusionlab.synth",
            "fusionlab.importers",
            "fusionlab.groups",
        ),
    ),
    (
        "core",
        (
            "fusionlab.rules",
            "fusionlab.metrics",
            "fusionlab.validation",
            "fusionlab.fused",
            "fusionlab.views",
        ),
    ),
    (
        "analysis",
        (
            "fusionlab.search",
            "fusionlab.learned",
            "fusionlab.importance",
            "fusionlab.diversity",
            "fusionlab.parallel",
        ),
    ),
    ("pipeline", ("fusionlab.evaluate",)),
    ("renderers", ("fusionlab.render", "fusionlab.report", "fusionlab.explorer")),
    ("commands", ("fusionlab.commands",)),
    ("entry", ("fusionlab.cli", "fusionlab.__main__")),
)
LAYER_NAMES = [name for name, _ in LAYERS]
MAX_MODULE_LINES = 850  # "about 800"
MAX_FUNCTION_LINES = 80  # code lines, docstring excluded


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES: dict[str, Path] = {_module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def layer_of(module: str) -> int:
    if module.split(".")[-1] == "__main__":
        return LAYER_NAMES.index("entry")
    best, level = -1, -1
    for i, (_, prefixes) in enumerate(LAYERS):
        for p in prefixes:
            if (module == p or module.startswith(p + ".")) and len(p) > best:
                best, level = len(p), i
    if level < 0:
        raise AssertionError(f"{module} is in no layer: add it to LAYERS and ARCHITECTURE.md")
    return level


def _type_checking_lines(tree: ast.AST) -> set[int]:
    out: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for sub in node.body:
                out.update(range(sub.lineno, (sub.end_lineno or sub.lineno) + 1))
    return out


@cache
def imports(module: str) -> tuple[tuple[str, str | None, int], ...]:
    """(target module, imported name or None, line) of every fusionlab import in ``module``.

    Lazy imports inside functions count; imports under ``if TYPE_CHECKING:`` do not.
    """
    path = MODULES[module]
    tree = ast.parse(path.read_text())
    skip = _type_checking_lines(tree)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out: list[tuple[str, str | None, int]] = []
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) in skip:
            continue
        if isinstance(node, ast.Import):
            out += [
                (a.name, None, node.lineno) for a in node.names if a.name.startswith("fusionlab")
            ]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("fusionlab"):
                continue
            for a in node.names:
                sub = f"{target}.{a.name}"
                if sub in MODULES:
                    out.append((sub, None, node.lineno))
                else:
                    out.append((target, a.name, node.lineno))
    return tuple(out)


def test_every_module_has_a_layer() -> None:
    for m in MODULES:
        layer_of(m)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_only_downward(module: str) -> None:
    mine = layer_of(module)
    bad = [
        f"line {line}: {module} ({LAYER_NAMES[mine]}) imports {target} "
        f"({LAYER_NAMES[layer_of(target)]})"
        for target, _, line in imports(module)
        if target in MODULES and layer_of(target) > mine
    ]
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_private_name_of_another_module(module: str) -> None:
    package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
    bad = []
    for target, name, line in imports(module):
        if name is not None and name.startswith("_") and not name.startswith("__"):
            bad.append(f"line {line}: imports {name} from {target}")
        # a private module (a path part starting with _) only from inside its own package
        parts = target.split(".")
        for i, part in enumerate(parts):
            if part.startswith("_") and not part.startswith("__"):
                owner = ".".join(parts[:i])
                if not (package == owner or package.startswith(owner + ".")):
                    bad.append(f"line {line}: imports private module {target}")
    assert not bad, "\n".join(bad)


def _graph() -> dict[str, set[str]]:
    return {m: {t for t, _, _ in imports(m) if t in MODULES and t != m} for m in MODULES}


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Cycles found by a depth-first walk (each as a path that ends where it starts)."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> Iterator[list[str]]:
        state[m] = 1
        stack.append(m)
        for t in sorted(graph.get(m, ())):
            if state.get(t) == 1:
                yield [*stack[stack.index(t) :], t]
            elif t not in state:
                yield from visit(t)
        stack.pop()
        state[m] = 2

    return [c for m in sorted(graph) if m not in state for c in visit(m)]


def test_no_import_cycle() -> None:
    cycles = find_cycles(_graph())
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_the_checks_can_fail() -> None:
    """The checkers themselves, on planted cases (guards against a vacuous pass)."""
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]
    assert find_cycles({"a": {"b"}, "b": set()}) == []
    assert layer_of("fusionlab.commands.evaluate") > layer_of("fusionlab.evaluate")
    assert layer_of("fusionlab.evaluate.__main__") == LAYER_NAMES.index("entry")
    assert layer_of("fusionlab.render.table") > layer_of("fusionlab.evaluate.pipeline")


LOW = LAYER_NAMES.index("pipeline")


@pytest.mark.parametrize("module", [m for m in sorted(MODULES) if layer_of(m) <= LOW])
def test_no_command_line_or_printing_below_the_commands(module: str) -> None:
    if module.split(".")[-1] == "__main__":
        return
    tree = ast.parse(MODULES[module].read_text())
    bad = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.name for a in node.names]
            mod = getattr(node, "module", None)
            if "argparse" in names or mod == "argparse":
                bad.append(f"line {node.lineno}: imports argparse")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id == "print":
                bad.append(f"line {node.lineno}: print()")
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_module_size(module: str) -> None:
    n = len(MODULES[module].read_text().splitlines())
    assert n <= MAX_MODULE_LINES, f"{module}: {n} lines (about 800 at most: split it by concern)"


def _long_functions(source: str) -> list[str]:
    tree = ast.parse(source)
    lines = source.splitlines()
    out = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        end = node.end_lineno or node.lineno
        n = end - node.lineno + 1
        body = node.body
        if (
            body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            n -= (body[0].end_lineno or body[0].lineno) - body[0].lineno + 1
        if n > MAX_FUNCTION_LINES:
            text = "\n".join(lines[node.lineno - 1 : end])
            if "# long function:" not in text:
                out.append(f"{node.name} (line {node.lineno}): {n} code lines")
    return out


def test_long_function_check_works() -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES + 1))
    assert _long_functions(f"def f():\n    '''doc'''\n{body}\n")
    assert not _long_functions(f"def f():\n    # long function: a table of cases\n{body}\n")


@pytest.mark.parametrize("module", sorted(MODULES))
def test_function_size(module: str) -> None:
    bad = _long_functions(MODULES[module].read_text())
    assert not bad, f"{module}: " + "; ".join(bad) + " (split it, or say why in a comment)"
