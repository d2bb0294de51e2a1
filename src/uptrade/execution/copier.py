"""Copies definitions of the UpTrade package, with everything they use, as source text for another file.

:mod:`uptrade.execution.bundle` builds the Hummingbot controller files with it. Given the
definitions a file needs (``Ref``: module and name), :class:`Generator` reads each module's
source, follows its imports through the package, and returns the dependency closure in an order
a module can be written in (dependencies first, grouped by module, in source order), with the
external imports it needs. :meth:`Generator.text` gives a definition's text as the package writes
it (comments included), with two changes at most:

- a constant computed by UpTrade code at import (a layout read from the ``P_*`` constants with
  ``layout_names(globals(), ...)``, the MA type table, the adapters' signal kinds) is written as
  the literal of its value;
- a name that two copied modules define (SniperProX's and VZOProX's ``F_UPPER``) is prefixed with
  its module's name (``SNIPER_F_UPPER``), and every reference to it is renamed alike.

Only modules of :data:`COPYABLE` and ``uptrade.indicators.nb.*`` are copied, and they may use only
the :data:`EXTERNAL` modules: anything else a definition needs (pandas, UpTrade's errors or
models) is refused with a :class:`BundleError` naming it. A name read only in an annotation is
left as written (annotations are postponed and never evaluated).
"""

from __future__ import annotations

import ast
import builtins
import heapq
import importlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from uptrade.errors import UpTradeError

#: Modules whose top-level definitions may be copied (besides ``uptrade.indicators.nb.*``).
COPYABLE = (
    "uptrade.execution.hbsignals",
    "uptrade.signals.core",
    "uptrade.signals.rules",
    "uptrade.indicators.spectral",
    "uptrade.indicators.cycle_ma",
)
#: External modules a copied definition may use (all in Hummingbot's environment; llvmlite is
#: numba's own code generator, for the FMA intrinsic of ``nb/fma.py``).
EXTERNAL = ("numpy", "numba", "numba.extending", "llvmlite", "math", "types", "typing", "collections.abc")
_NO_LITERAL = ("globals", "locals", "vars")


class BundleError(UpTradeError):
    """The bundle cannot be generated: a template or a copied definition breaks the rules of the copy."""


@dataclass(frozen=True, order=True)
class Ref:
    """What a name means in a module: a copyable ``def``, an ``external`` import, a ``builtin``, or
    ``foreign`` (UpTrade code that is not copied) / ``unknown``."""

    kind: str
    module: str
    name: str


@dataclass
class Source:
    """One parsed module: its text, its top-level definitions and its imports (local name -> module, attribute)."""

    name: str
    lines: list[str]
    defs: dict[str, ast.stmt]
    imports: dict[str, tuple[str, str | None]]


def copyable(module: str) -> bool:
    """Whether definitions of ``module`` may be copied into a controller."""
    return module in COPYABLE or module.startswith("uptrade.indicators.nb.")


def parse_source(name: str, text: str) -> Source:
    """The top-level definitions and imports of a module's text."""
    tree = ast.parse(text)
    defs: dict[str, ast.stmt] = {}
    imports: dict[str, tuple[str, str | None]] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            defs[node.name] = node
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            for target in defined_names(node):
                defs[target] = node
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            defs[node.target.id] = node
        elif isinstance(node, ast.Import):
            for alias in node.names:
                local = alias.asname or alias.name.split(".")[0]
                imports[local] = (alias.name if alias.asname else local, None)
        elif isinstance(node, ast.ImportFrom) and node.module and node.module != "__future__":
            for alias in node.names:
                imports[alias.asname or alias.name] = (node.module, alias.name)
    return Source(name, text.splitlines(), defs, imports)


def defined_names(node: ast.stmt) -> list[str]:
    """The names a top-level definition binds (``a, b = 1, 2`` binds two)."""
    if isinstance(node, ast.FunctionDef | ast.ClassDef):
        return [node.name]
    if isinstance(node, ast.Assign):
        target = node.targets[0]
        elts = target.elts if isinstance(target, ast.Tuple) else [target]
        return [e.id for e in elts if isinstance(e, ast.Name)]
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return [node.target.id]
    return []


class _Names(ast.NodeVisitor):
    """The ``Name`` reads of a statement (with whether each is inside an annotation) and the names it binds."""

    def __init__(self) -> None:
        self.loads: list[tuple[ast.Name, bool]] = []
        self.bound: set[str] = set()
        self._annotation = 0

    def annotation(self, node: ast.AST | None) -> None:
        if node is not None:
            self._annotation += 1
            self.visit(node)
            self._annotation -= 1

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            self.loads.append((node, self._annotation > 0))
        else:
            self.bound.add(node.id)

    def visit_arg(self, node: ast.arg) -> None:
        self.bound.add(node.arg)
        self.annotation(node.annotation)

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for d in node.decorator_list:
            self.visit(d)
        self.visit(node.args)
        self.annotation(node.returns)
        for stmt in node.body:
            self.visit(stmt)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self.annotation(node.annotation)
        self.visit(node.target)
        if node.value is not None:
            self.visit(node.value)

    def visit_alias(self, node: ast.alias) -> None:
        self.bound.add(node.asname or node.name.split(".")[0])

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.name:
            self.bound.add(node.name)
        self.generic_visit(node)


def statement_names(node: ast.stmt) -> tuple[list[ast.Name], list[ast.Name]]:
    """A top-level statement's reads of module-level names: in code, and in (postponed) annotations."""
    v = _Names()
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        v.visit_FunctionDef(node)
        for inner in ast.walk(node):
            if inner is not node and isinstance(inner, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                v.bound.add(inner.name)
    elif isinstance(node, ast.Assign):
        v.visit(node.value)
    elif isinstance(node, ast.AnnAssign):
        v.annotation(node.annotation)
        if node.value is not None:
            v.visit(node.value)
    else:
        v.visit(node)
    for comp in ast.walk(node):  # comprehension variables are local to the comprehension
        if isinstance(comp, ast.comprehension):
            v.bound.update(n.id for n in ast.walk(comp.target) if isinstance(n, ast.Name))
    code = [n for n, ann in v.loads if not ann and n.id not in v.bound]
    notes = [n for n, ann in v.loads if ann and n.id not in v.bound]
    return code, notes


class Generator:
    """Copies definitions of the package, with their dependencies, into controller files."""

    def __init__(self) -> None:
        self._sources: dict[str, Source] = {}
        self._literal: dict[tuple[str, str], bool] = {}
        self.renames: dict[tuple[str, str], str] = {}

    def source(self, module: str) -> Source:
        """The parsed source of a package module."""
        if module not in self._sources:
            mod = importlib.import_module(module)
            if mod.__file__ is None:
                raise BundleError(f"{module}: no source file to copy from")
            self._sources[module] = parse_source(module, Path(mod.__file__).read_text(encoding="utf-8"))
        return self._sources[module]

    def resolve(self, module: str, name: str) -> Ref:
        """What ``name`` means at the top level of ``module`` (package imports followed)."""
        src = self.source(module)
        if name in src.defs:
            return Ref("def" if copyable(module) else "foreign", module, name)
        if name in src.imports:
            target, attr = src.imports[name]
            if target in EXTERNAL:
                return Ref("external", target, attr or "")
            if target.split(".")[0] == "uptrade" and attr is not None and copyable(target):
                return self.resolve(target, attr)
            return Ref("foreign", target, attr or "")
        if name in vars(builtins):
            return Ref("builtin", "builtins", name)
        return Ref("unknown", module, name)

    def node(self, ref: Ref) -> ast.stmt:
        return self.source(ref.module).defs[ref.name]

    def is_literal(self, ref: Ref) -> bool:
        """Whether a constant is written as its value: it is computed by code the bundle does not copy."""
        key = (ref.module, ref.name)
        if key not in self._literal:
            node = self.node(ref)
            literal = False
            if isinstance(node, ast.Assign | ast.AnnAssign):
                for name in statement_names(node)[0]:
                    r = self.resolve(ref.module, name.id)
                    calls_code = r.kind == "def" and isinstance(self.node(r), ast.FunctionDef)
                    if r.kind in ("foreign", "unknown") or calls_code or name.id in _NO_LITERAL:
                        literal = True
            self._literal[key] = literal
        return self._literal[key]

    def dependencies(self, ref: Ref) -> tuple[list[Ref], set[tuple[str, str, str]]]:
        """The definitions a definition needs (in source order) and its external imports (module, attr, local)."""
        if self.is_literal(ref):
            return [], set()
        code, notes = statement_names(self.node(ref))
        deps: list[Ref] = []
        externals: set[tuple[str, str, str]] = set()
        for name, in_code in [(n, True) for n in code] + [(n, False) for n in notes]:
            r = self.resolve(ref.module, name.id)
            if r.kind == "def" and r not in deps:
                deps.append(r)
            elif r.kind == "external":
                externals.add((r.module, r.name, name.id))
            elif in_code and r.kind in ("foreign", "unknown"):
                where = f"{r.module}.{r.name}" if r.kind == "foreign" else "nothing"
                raise BundleError(f"{ref.module}.{ref.name} uses {name.id} ({where}), which a controller cannot copy")
        return deps, externals

    def closure(self, roots: Iterable[Ref]) -> tuple[list[Ref], set[tuple[str, str, str]]]:
        """Every definition ``roots`` need, dependencies first, and their external imports.

        Within that constraint the definitions stay grouped by module (a module after the modules
        it uses) and in their source order, so a controller file reads like the modules it copies.
        """
        deps: dict[Ref, list[Ref]] = {}
        externals: set[tuple[str, str, str]] = set()
        todo = list(roots)
        while todo:
            ref = todo.pop()
            if ref not in deps:
                deps[ref], ext = self.dependencies(ref)
                externals |= ext
                todo.extend(deps[ref])
        uses: dict[str, set[str]] = {}
        for ref, needed in deps.items():
            uses.setdefault(ref.module, set()).update(d.module for d in needed if d.module != ref.module)
        rank: dict[str, int] = {}
        while len(rank) < len(uses):  # modules after the modules they use (a cycle: the first name breaks it)
            ready = sorted(m for m in uses if m not in rank and uses[m] <= set(rank)) or [
                min(m for m in uses if m not in rank)
            ]
            rank[ready[0]] = len(rank)
        key = {ref: (rank[ref.module], self.node(ref).lineno, ref.name) for ref in deps}
        waiting = {ref: {d for d in needed if d != ref} for ref, needed in deps.items()}
        heap = [(key[r], r) for r, w in waiting.items() if not w]
        heapq.heapify(heap)
        order: list[Ref] = []
        while waiting:
            if not heap:  # mutual recursion: emit the first remaining definition
                first = min(waiting, key=key.__getitem__)
                heap.append((key[first], first))
                waiting[first] = set()
            _, ref = heapq.heappop(heap)
            if ref not in waiting:
                continue
            del waiting[ref]
            order.append(ref)
            for other, pending in waiting.items():
                if ref in pending:
                    pending.discard(ref)
                    if not pending:
                        heapq.heappush(heap, (key[other], other))
        return order, externals

    def plan_renames(self, refs: Iterable[Ref]) -> None:
        """Prefix the names that several copied modules define with their module's last name part."""
        by_name: dict[str, set[Ref]] = {}
        for ref in refs:
            by_name.setdefault(ref.name, set()).add(ref)
        taken = set(by_name)
        for name, owners in sorted(by_name.items()):
            if len(owners) < 2:
                continue
            for ref in owners:
                short = ref.module.rsplit(".", 1)[-1]
                new = f"{short.upper()}_{name}" if name.isupper() else f"{short}_{name}"
                if new in taken:
                    raise BundleError(f"renaming {ref.module}.{name} to {new} would clash with another definition")
                taken.add(new)
                self.renames[(ref.module, ref.name)] = new

    def emitted(self, ref: Ref) -> str:
        """The name of a definition in the controller files."""
        return self.renames.get((ref.module, ref.name), ref.name)

    def text(self, ref: Ref) -> str:
        """A definition's text in a controller file: its source lines (renamed), or its value as a literal."""
        src = self.source(ref.module)
        node = self.node(ref)
        start = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
        while start > 1 and src.lines[start - 2].startswith("#"):
            start -= 1
        assert node.end_lineno is not None
        lines = src.lines[start - 1 : node.end_lineno]
        if self.is_literal(ref):
            if len(defined_names(node)) != 1:
                raise BundleError(f"{ref.module}.{ref.name}: a computed constant must be assigned alone")
            value = getattr(importlib.import_module(ref.module), ref.name)
            return "\n".join([*lines[: node.lineno - start], f"{self.emitted(ref)} = {literal(value, ref)}"])
        edits: list[tuple[int, int, str, str]] = []  # (line, byte column, old name, new name)
        code, notes = statement_names(node)
        for name in code + notes:
            r = self.resolve(ref.module, name.id)
            if r.kind == "def" and self.emitted(r) != name.id:
                edits.append((name.lineno, name.col_offset, name.id, self.emitted(r)))
        for defined in defined_names(node):
            own = Ref(ref.kind, ref.module, defined)
            if self.emitted(own) != defined:
                edits.append((*self._name_position(node, defined, src), defined, self.emitted(own)))
        for line, col, old, new in sorted(edits, reverse=True):
            i = line - start
            text = lines[i]
            c = len(text.encode()[:col].decode())  # ast columns are UTF-8 byte offsets
            if not re.match(rf"{re.escape(old)}\b", text[c:]):
                raise BundleError(
                    f"{ref.module}.{ref.name}: cannot find {old} at line {line}, column {col} to rename it"
                )
            lines[i] = text[:c] + new + text[c + len(old) :]
        return "\n".join(lines)

    @staticmethod
    def _name_position(node: ast.stmt, name: str, src: Source) -> tuple[int, int]:
        """(line, byte column) of ``name`` where a top-level statement defines it."""
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for n in (n for t in targets for n in ast.walk(t)):
                if isinstance(n, ast.Name) and n.id == name:
                    return n.lineno, n.col_offset
            raise BundleError(f"{src.name}: {name} is not a target on line {node.lineno}")
        assert isinstance(node, ast.FunctionDef | ast.ClassDef)
        line = src.lines[node.lineno - 1]
        found = re.match(rf"^\s*(async\s+def|def|class)\s+(?={re.escape(node.name)}\b)", line)
        if found is None:
            raise BundleError(f"{src.name}.{node.name}: cannot find its name on line {node.lineno}")
        return node.lineno, len(line[: found.end()].encode())


def layout(value: Any, indent: str = "") -> str:
    """``repr(value)``, a long dict or tuple one item per line (nested ones likewise)."""
    text = repr(value)
    if len(indent) + len(text) <= 100 or not isinstance(value, dict | tuple) or not value:
        return text
    inner = indent + "    "
    if isinstance(value, dict):
        items = [f"{k!r}: {layout(v, inner)}" for k, v in value.items()]
    else:
        items = [layout(v, inner) for v in value]
    opening, closing = ("{", "}") if isinstance(value, dict) else ("(", ")")
    return opening + "\n" + "".join(f"{inner}{item},\n" for item in items) + indent + closing


def literal(value: Any, ref: Ref) -> str:
    """``value`` as Python source that evaluates back to it (tuples, dicts, lists, numbers, strings, None)."""
    text = layout(value)
    try:
        same = ast.literal_eval(text) == value and type(ast.literal_eval(text)) is type(value)
    except (ValueError, SyntaxError):
        same = False
    if not same:
        raise BundleError(f"{ref.module}.{ref.name}: its value {text[:80]} cannot be written as a literal")
    return text


__all__ = [
    "COPYABLE",
    "EXTERNAL",
    "BundleError",
    "Generator",
    "Ref",
    "Source",
    "copyable",
    "defined_names",
    "layout",
    "literal",
    "parse_source",
    "statement_names",
]
