"""The package's imports follow its architecture: only downward, never in a circle.

Layers, bottom to top (a module may import its own layer and the layers below it)::

    errors, io, argcheck, fsguard  <  theory  <  tensor  <  lm  <  verify  <  report  <  cli, __main__

``laaciq/__init__.py`` sits on top too, but at import time it may only use the bottom layer
(``import laaciq.theory.mse`` runs it first); it may expose API functions of lower layers
lazily, from inside a function (a module ``__getattr__``).

The walk reads every ``import`` in ``python/laaciq`` with :mod:`ast`, including imports inside
functions (a lazy import still ties two modules together), and ``importlib.import_module`` calls
with a literal name.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "python" / "laaciq"

#: Layer of each top-level part of the package (``laaciq.<part>...``); "" is ``laaciq`` itself.
LAYERS = {
    "errors": 0, "io": 0, "argcheck": 0, "fsguard": 0,
    "theory": 1,
    "tensor": 2,
    "lm": 3,
    "verify": 4,
    "report": 5,
    "cli": 6, "__main__": 6, "": 6,
}
BOTTOM = 0


def module_names(pkg_dir: Path) -> dict[str, Path]:
    """Dotted module name → file, for every ``.py`` under ``pkg_dir`` (a package folder)."""
    out = {}
    for f in sorted(pkg_dir.rglob("*.py")):
        parts = list(f.relative_to(pkg_dir.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = f
    return out


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The package module a dotted name lands in (its longest prefix that is a module)."""
    parts = name.split(".")
    for k in range(len(parts), 0, -1):
        cand = ".".join(parts[:k])
        if cand in modules:
            return cand
    return None


class _Imports(ast.NodeVisitor):
    """Imports of one module as (target module, line, inside a function)."""

    def __init__(self, module: str, is_package: bool, modules: dict[str, Path]):
        self.module, self.is_package, self.modules = module, is_package, modules
        self.found: list[tuple[str, int, bool]] = []
        self.depth = 0

    def _add(self, name: str, line: int) -> None:
        target = _resolve(name, self.modules)
        if target is not None and target != self.module:
            self.found.append((target, line, self.depth > 0))

    def _function(self, node):
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _function

    def visit_Import(self, node: ast.Import):
        for a in node.names:
            self._add(a.name, node.lineno)

    def visit_ImportFrom(self, node: ast.ImportFrom):
        if node.level:  # relative: from the current package upward
            base = self.module.split(".")
            if not self.is_package:
                base = base[:-1]
            base = base[: len(base) - (node.level - 1)]
            mod = ".".join(base + ([node.module] if node.module else []))
        else:
            mod = node.module or ""
        for a in node.names:  # `from pkg import sub` imports the submodule
            self._add(f"{mod}.{a.name}" if f"{mod}.{a.name}" in self.modules else mod,
                      node.lineno)

    def visit_Call(self, node: ast.Call):
        f = node.func
        name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", None)
        if (name == "import_module" and node.args and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)):
            self._add(node.args[0].value, node.lineno)
        self.generic_visit(node)


def import_graph(pkg_dir: Path) -> dict[str, list[tuple[str, int, bool]]]:
    """Each module's imports of other modules of the package."""
    modules = module_names(pkg_dir)
    graph = {}
    for name, path in modules.items():
        v = _Imports(name, path.name == "__init__.py", modules)
        v.visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
        graph[name] = v.found
    return graph


def layer(module: str) -> int | None:
    parts = module.split(".")
    return LAYERS.get(parts[1] if len(parts) > 1 else "")


def upward_imports(graph) -> list[str]:
    """Every import of a higher layer (and every module without a layer)."""
    bad = []
    for src, imports in sorted(graph.items()):
        ls = layer(src)
        if ls is None:
            bad.append(f"{src}: not in a layer (add its part to LAYERS in this test)")
            continue
        for dst, line, lazy in imports:
            ld = layer(dst)
            top = src.count(".") == 0  # laaciq/__init__.py
            limit = BOTTOM if top and not lazy else ls
            if ld is None or ld > limit:
                bad.append(f"{src}:{line} imports {dst} (layer {ld} above {limit}"
                           f"{', at import time' if top and not lazy else ''})")
    return bad


def cycles(graph) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), each sorted."""
    index, low, stack, on, out = {}, {}, [], set(), []
    succ = {m: sorted({d for d, _, _ in imps}) for m, imps in graph.items()}

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in succ.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for m in sorted(succ):
        if m not in index:
            visit(m)
    return out


def test_package_imports_only_downward():
    graph = import_graph(PACKAGE)
    assert len(graph) > 30 and sum(map(len, graph.values())) > 50  # the walk saw the package
    assert upward_imports(graph) == []


def test_package_has_no_import_cycle():
    assert cycles(import_graph(PACKAGE)) == []


# The checker itself, on small made-up packages: it must see what it is meant to catch.

def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        p = tmp_path / "laaciq" / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return tmp_path / "laaciq"


@pytest.mark.parametrize("files, expected", [
    ({"theory/__init__.py": "", "theory/mse.py": "import laaciq.tensor.solver\n",
      "tensor/__init__.py": "", "tensor/solver.py": ""}, ["laaciq.theory.mse:1"]),
    ({"tensor/__init__.py": "", "tensor/solver.py": "def f():\n    from laaciq.verify import lean\n",
      "verify/__init__.py": "", "verify/lean.py": ""}, ["laaciq.tensor.solver:2"]),
    ({"theory/__init__.py": "", "theory/mse.py": "from ..report import render\n",
      "report/__init__.py": "", "report/render.py": ""}, ["laaciq.theory.mse:1"]),
    ({"__init__.py": "from laaciq.tensor import solver\n", "tensor/__init__.py": "",
      "tensor/solver.py": ""}, ["laaciq:1"]),
    ({"__init__.py": "def __getattr__(n):\n    from laaciq.tensor import solver\n",
      "tensor/__init__.py": "", "tensor/solver.py": "import laaciq.errors\n", "errors.py": ""},
     []),
    ({"gadgets/__init__.py": ""}, ["laaciq.gadgets: not in a layer"]),
    ({"verify/__init__.py": "", "verify/h.py": "import importlib\n"
      "importlib.import_module('laaciq.report.render')\n",
      "report/__init__.py": "", "report/render.py": ""}, ["laaciq.verify.h:2"]),
])
def test_checker_finds_upward_imports(tmp_path, files, expected):
    found = upward_imports(import_graph(_tree(tmp_path, files)))
    assert len(found) == len(expected) and all(
        f.startswith(e + (" " if e.endswith(tuple("0123456789")) else ""))
        for f, e in zip(found, expected)), found


def test_checker_finds_cycles_including_lazy_imports(tmp_path):
    pkg = _tree(tmp_path, {
        "verify/__init__.py": "",
        "verify/harness.py": "def f():\n    from laaciq.verify import claims\n",
        "verify/claims.py": "from laaciq.verify.registry import x\n",
        "verify/registry.py": "from . import harness\n",
        "verify/lean.py": "from laaciq.verify import registry\n",
    })
    assert cycles(import_graph(pkg)) == [["laaciq.verify.claims", "laaciq.verify.harness",
                                          "laaciq.verify.registry"]]
