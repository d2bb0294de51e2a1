"""``uptrade hb bundle``: the Hummingbot controllers as self-contained files, generated from the package.

Hummingbot imports a controller from ``controllers/<controller_type>/<controller_name>.py`` and
hummingbot-api uploads one file per controller, into an environment without UpTrade. So each
``uptrade_*.py`` of the bundle carries, below its imports, a copy of every UpTrade definition its
controller calls: the signal code of :mod:`uptrade.execution.hbsignals` and, transitively, the
numba kernels (:mod:`uptrade.indicators.nb`), the signal arithmetic (:mod:`uptrade.signals.core`,
:mod:`uptrade.signals.rules`) and the few NumPy helpers of the indicator modules they use.

The copy is made here, from the package's own source text, each time the bundle is written:

- the controller template (``controllers/<name>.py`` beside this module: the Hummingbot config and
  controller classes) names what it needs as free names; each is looked up as
  :mod:`~uptrade.execution.hbsignals` sees it, and the dependency closure of those definitions is
  computed from their syntax trees, following the package's imports;
- each definition is copied with its text (comments included) in dependency order, the package's
  own imports dropped and the external ones (NumPy, numba, the standard library) gathered at the
  top; a constant computed by UpTrade code at import (a layout read from ``P_*`` constants, the MA
  type table, the adapters' signal kinds) is written as the literal of its value;
- names that two copied modules both define (SniperProX's and VZOProX's ``F_UPPER``, ...) are
  prefixed with their module's name in every file, and each reference is renamed with them;
- ``# <uptrade:fields KEY>`` lines of a template become pydantic fields with the types, defaults
  and ranges of UpTrade's models (the indicator parameters, the combiner, the candle feed).

``UPTRADE_SOURCES`` in each file maps every copied name to its ``(module, name)``:
``tests/test_bundle.py`` checks each copy against the package with it.
"""

from __future__ import annotations

import ast
import builtins
import heapq
import importlib
import re
import symtable
import sys
import types
import typing
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from annotated_types import Ge, Gt, Le, Lt
from pydantic import BaseModel

from uptrade import __version__
from uptrade.errors import UpTradeError

#: The controllers of the bundle (file and module names), in the ``directional_trading`` type.
CONTROLLERS = ("uptrade_sniper", "uptrade_vzo", "uptrade_cycle", "uptrade_combined")
CONTROLLER_TYPE = "directional_trading"
#: The glue module the templates' free names are read in.
GLUE = "uptrade.execution.hbsignals"
#: Modules whose top-level definitions may be copied (besides ``uptrade.indicators.nb.*``).
COPYABLE = (
    GLUE,
    "uptrade.signals.core",
    "uptrade.signals.rules",
    "uptrade.indicators.spectral",
    "uptrade.indicators.cycle_ma",
)
#: External modules a copied definition may use (all in Hummingbot's environment).
EXTERNAL = ("numpy", "numba", "math", "types", "typing", "collections.abc")
GENERATED = "# <uptrade:generated>"
FIELDS_RE = re.compile(r"^(?P<indent>\s*)# <uptrade:fields (?P<key>\w+)>\s*$")
_NO_LITERAL = ("globals", "locals", "vars")


class BundleError(UpTradeError):
    """The bundle cannot be generated (a template or a copied definition breaks the rules above)."""


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
        edits: list[tuple[int, int, int, str]] = []  # (line, column, length, new name)
        code, notes = statement_names(node)
        for name in code + notes:
            r = self.resolve(ref.module, name.id)
            if r.kind == "def" and self.emitted(r) != name.id:
                edits.append((name.lineno, name.col_offset, len(name.id), self.emitted(r)))
        for defined in defined_names(node):
            own = Ref(ref.kind, ref.module, defined)
            if self.emitted(own) != defined:
                edits.append((*self._name_position(node, defined, src), len(defined), self.emitted(own)))
        for line, col, size, new in sorted(edits, reverse=True):
            i = line - start
            text = lines[i]
            c = len(text.encode()[:col].decode())  # ast columns are UTF-8 byte offsets
            lines[i] = text[:c] + new + text[c + size :]
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


def layout(value: Any) -> str:
    """``repr(value)``, a long dict or tuple one item per line."""
    text = repr(value)
    if len(text) > 100 and isinstance(value, dict | tuple) and value:
        items = [f"{k!r}: {v!r}" for k, v in value.items()] if isinstance(value, dict) else [repr(v) for v in value]
        text = "{\n" if isinstance(value, dict) else "(\n"
        text += "".join(f"    {item},\n" for item in items) + ("}" if isinstance(value, dict) else ")")
    return text


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


def type_text(annotation: Any, typing_names: set[str]) -> str:
    """A field annotation as source text (``int``, ``str | int``, ``Literal[...]``, ``dict[str, float] | None``)."""
    if annotation is type(None):
        return "None"
    if isinstance(annotation, type) and not typing.get_args(annotation):
        return annotation.__name__
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Literal:
        typing_names.add("Literal")
        return f"Literal[{', '.join(repr(a) for a in args)}]"
    if origin in (typing.Union, types.UnionType):
        return " | ".join(type_text(a, typing_names) for a in args)
    if origin in (dict, list, tuple):
        return f"{origin.__name__}[{', '.join(type_text(a, typing_names) for a in args)}]"
    raise BundleError(f"field type {annotation!r}: no source text for it")


def field_lines(
    model: type[BaseModel], names: tuple[str, ...] | None, indent: str, typing_names: set[str]
) -> list[str]:
    """Pydantic field declarations with ``model``'s types, defaults, ranges and descriptions."""
    bounds = {Ge: "ge", Gt: "gt", Le: "le", Lt: "lt"}
    out = []
    for name, field in model.model_fields.items():
        if names is not None and name not in names:
            continue
        if field.default_factory is not None:
            raise BundleError(f"{model.__name__}.{name}: a default factory cannot be written as a field default")
        kw = [f"default={field.default!r}"]
        for meta in field.metadata:
            kind = bounds.get(type(meta))
            if kind is not None:
                kw.append(f"{kind}={getattr(meta, kind)!r}")
            elif getattr(meta, "allow_inf_nan", None) is False:
                kw.append("allow_inf_nan=False")
        if field.description:
            kw.append(f"description={field.description!r}")
        out.append(f"{indent}{name}: {type_text(field.annotation, typing_names)} = Field({', '.join(kw)})")
    return out


def field_models() -> dict[str, tuple[type[BaseModel], tuple[str, ...] | None]]:
    """What each ``# <uptrade:fields KEY>`` of a template stands for: a model and the fields taken from it."""
    from uptrade.execution.bots import CandleSource
    from uptrade.indicators.registry import get_indicator
    from uptrade.signals.combine import CombinerConfig

    models: dict[str, tuple[type[BaseModel], tuple[str, ...] | None]] = {
        name: (get_indicator(name).model, None) for name in ("sniper", "vzo", "cycle", "ma")
    }
    models["combine"] = (CombinerConfig, None)
    models["candles"] = (CandleSource, ("max_records",))
    return models


def template(name: str) -> str:
    """The source of a controller template (package data beside this module)."""
    if name not in CONTROLLERS:
        raise BundleError(f"controller: unknown {name!r}; the bundle has {', '.join(CONTROLLERS)}")
    return resources.files("uptrade.execution").joinpath("controllers", f"{name}.py").read_text(encoding="utf-8")


def free_names(text: str) -> list[str]:
    """The module-level names a module's code reads but never binds (builtins excluded), in order of use."""
    table = symtable.symtable(text, "<template>", "exec")
    bound = {s.get_name() for s in table.get_symbols() if s.is_assigned() or s.is_imported()}
    found: dict[str, None] = {}

    def walk(t: symtable.SymbolTable) -> None:
        for s in t.get_symbols():
            outer = s.is_global() if t.get_type() != "module" else s.is_referenced()
            if s.is_referenced() and outer and s.get_name() not in bound and s.get_name() not in vars(builtins):
                found[s.get_name()] = None
        for child in t.get_children():
            walk(child)

    walk(table)
    for node in ast.walk(ast.parse(text)):  # pydantic reads field annotations in the module's namespace
        if isinstance(node, ast.ClassDef):
            for stmt in node.body:
                if isinstance(stmt, ast.AnnAssign):
                    for n in ast.walk(stmt.annotation):
                        if isinstance(n, ast.Name) and n.id not in bound and n.id not in vars(builtins):
                            found[n.id] = None
    return list(found)


def merged_imports(externals: set[tuple[str, str, str]], template_tree: ast.Module) -> tuple[list[str], set[int]]:
    """One import block for the template's imports and the copied code's, and the template's import lines."""
    plain: dict[str, set[str]] = {}
    froms: dict[str, set[str]] = {}
    have: dict[str, tuple[str, str | None]] = {}
    lines: set[int] = set()
    for node in template_tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom) and getattr(node, "module", None) != "__future__":
            lines.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
            for alias in node.names:
                local = alias.asname or alias.name.split(".")[0]
                if isinstance(node, ast.Import):
                    have[local] = (alias.name if alias.asname else local, None)
                    plain.setdefault(alias.name, set()).add(
                        alias.name if local == alias.name else f"{alias.name} as {local}"
                    )
                else:
                    have[local] = (str(node.module), alias.name)
                    froms.setdefault(str(node.module), set()).add(
                        alias.name if local == alias.name else f"{alias.name} as {local}"
                    )
    for module, attr, local in sorted(externals):
        want = (module, attr or None)
        if local in have:
            if have[local] != want:
                raise BundleError(f"the template binds {local} to {have[local]}, the copied code to {want}")
        elif not attr:
            plain.setdefault(module, set()).add(module if local == module else f"{module} as {local}")
        else:
            froms.setdefault(module, set()).add(attr if local == attr else f"{attr} as {local}")
    groups: tuple[list[str], list[str]] = ([], [])  # the standard library's, then the others
    for module in sorted({*plain, *froms}):
        group = groups[0] if module.split(".")[0] in sys.stdlib_module_names else groups[1]
        group.extend(f"import {name}" for name in sorted(plain.get(module, ())))
        if module in froms:
            names = sorted(froms[module])
            one = f"from {module} import {', '.join(names)}"
            group.append(
                one if len(one) <= 120 else f"from {module} import (\n" + "".join(f"    {n},\n" for n in names) + ")"
            )
    return [*groups[0], *([""] if all(groups) else []), *groups[1]], lines


def check_self_contained(name: str, text: str) -> None:
    """Refuse a controller file that does not compile or reads a name nothing in it binds."""
    try:
        compile(text, f"{name}.py", "exec")
    except SyntaxError as exc:
        raise BundleError(f"{name}.py: generated code does not compile ({exc})") from None
    missing = free_names(text)
    if missing:
        raise BundleError(f"{name}.py: reads names nothing in it defines: {', '.join(missing)}")
    seen: set[str] = set()
    for node in ast.parse(text).body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            if node.name in seen:
                raise BundleError(f"{name}.py: {node.name} is defined twice")
            seen.add(node.name)


class Bundle:
    """The controller files, generated together so that every file names a copied definition alike."""

    def __init__(self, names: Iterable[str] = CONTROLLERS) -> None:
        self.names = tuple(names)
        self.gen = Generator()
        self.templates = {n: template(n) for n in CONTROLLERS}  # all: each file names a definition alike
        self.roots: dict[str, list[Ref]] = {}
        every: list[Ref] = []
        for n, text in self.templates.items():
            roots = []
            for free in free_names(text):
                ref = self.gen.resolve(GLUE, free)
                if ref.kind != "def":
                    raise BundleError(f"template {n}: {free} is not a definition of {GLUE}")
                roots.append(ref)
            self.roots[n] = roots
            every.extend(self.gen.closure(roots)[0])
        self.gen.plan_renames(set(every))
        for n, roots in self.roots.items():
            for ref in roots:
                if self.gen.emitted(ref) != ref.name:
                    raise BundleError(f"template {n}: {ref.name} is written {self.gen.emitted(ref)} in the bundle")

    def render(self, name: str) -> str:
        """The text of one controller file."""
        text = self.templates[name]
        order, externals = self.gen.closure(self.roots[name])
        typing_names: set[str] = set()
        models = field_models()
        imports, import_rows = merged_imports(externals, ast.parse(text))  # the template's import rows are dropped
        body: list[str] = []
        for row, line in enumerate(text.splitlines(), start=1):
            if row in import_rows:
                continue
            m = FIELDS_RE.match(line)
            if m is None:
                body.append(line)
                continue
            if m["key"] not in models:
                raise BundleError(f"template {name}: unknown field set {m['key']!r}; known: {', '.join(models)}")
            model, fields = models[m["key"]]
            body.extend(field_lines(model, fields, m["indent"], typing_names))
        if typing_names:
            imports, _ = merged_imports(externals | {("typing", t, t) for t in typing_names}, ast.parse(text))
        sources = {self.gen.emitted(r): (r.module, r.name) for r in order}
        generated = [
            f"# ---- generated by `uptrade hb bundle` (uptrade {__version__}) from the package's source; do not edit",
            "",
        ]
        previous: ast.stmt | None = None
        done: set[int] = set()
        module = ""
        for ref in order:
            node = self.gen.node(ref)
            if id(node) in done:  # ``a, b = ...``: written once
                continue
            done.add(id(node))
            if ref.module != module:
                generated += (["", ""] if previous is not None else []) + [f"# -- from {ref.module} --"]
                module, previous = ref.module, None
            if previous is not None and ast.FunctionDef in (type(node), type(previous)):
                generated += ["", ""]
            generated.append(self.gen.text(ref))
            previous = node
        generated += [
            "",
            "",
            "#: Each definition above: the package module and name it was copied from.",
            f"UPTRADE_SOURCES = {layout(sources)}",
            "# ---- end of the generated code ----",
        ]
        joined = "\n".join(body)
        if joined.count(GENERATED) != 1 or "from __future__ import annotations" not in joined:
            raise BundleError(f"template {name}: needs `from __future__ import annotations` and one {GENERATED} line")
        head = "from __future__ import annotations"
        out = joined.replace(head, head + "\n\n" + "\n".join(imports), 1)
        out = out.replace(GENERATED, "\n".join(generated), 1)
        out = re.sub(r"\n{4,}", "\n\n\n", out).rstrip() + "\n"  # the dropped import rows leave blank runs
        check_self_contained(name, out)
        return out

    def write(self, out: Path) -> list[Path]:
        """Write ``out/controllers/directional_trading/<name>.py`` (and the packages' ``__init__.py``)."""
        folder = out / "controllers" / CONTROLLER_TYPE
        texts = {n: self.render(n) for n in self.names}  # everything generated before anything is written
        folder.mkdir(parents=True, exist_ok=True)
        for init in (out / "controllers" / "__init__.py", folder / "__init__.py"):
            if not init.exists():
                init.write_text("", encoding="utf-8")
        written = []
        for n, text in texts.items():
            path = folder / f"{n}.py"
            path.write_text(text, encoding="utf-8")
            written.append(path)
        return written


def write_bundle(out: str | Path, names: Iterable[str] = CONTROLLERS) -> list[Path]:
    """Generate the controllers ``names`` into the Hummingbot layout under ``out``; the files written."""
    return Bundle(names).write(Path(out))


__all__ = [
    "CONTROLLERS",
    "CONTROLLER_TYPE",
    "Bundle",
    "BundleError",
    "Generator",
    "Ref",
    "write_bundle",
]
