"""``uptrade hb bundle``: the Hummingbot controllers as self-contained files, generated from the package.

Hummingbot imports a controller from ``controllers/<controller_type>/<controller_name>.py`` and
hummingbot-api uploads one file per controller, into an environment without UpTrade. So each
``uptrade_*.py`` of the bundle carries, below its imports, a copy of every UpTrade definition its
controller calls: the signal code of :mod:`uptrade.execution.hbsignals` and, transitively, the
numba kernels (:mod:`uptrade.indicators.nb`), the signal arithmetic (:mod:`uptrade.signals.core`,
:mod:`uptrade.signals.rules`) and the few NumPy helpers of the indicator modules they use.

The copy is made from the package's own source text each time the bundle is written:

- the controller template (``controllers/<name>.py`` beside this module: the Hummingbot config and
  controller classes) names what it needs as free names; each is looked up as
  :mod:`~uptrade.execution.hbsignals` sees it, and :class:`~uptrade.execution.copier.Generator`
  copies those definitions with their dependency closure (in dependency order, the package's own
  imports dropped, the external ones gathered with the template's at the top, a name two copied
  modules define prefixed alike in every file, a constant computed at import written as its
  value);
- ``# <uptrade:fields KEY>`` lines of a template become pydantic fields with the types, defaults
  and ranges of UpTrade's models (the indicator parameters, the combiner, the candle feed).

``UPTRADE_SOURCES`` in each file maps every copied name to its ``(module, name)``:
``tests/test_bundle.py`` checks each copy against the package with it.
"""

from __future__ import annotations

import ast
import builtins
import json
import re
import symtable
import sys
import types
import typing
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any

from annotated_types import Ge, Gt, Le, Lt
from pydantic import BaseModel

from uptrade import __version__
from uptrade.execution.copier import BundleError, Generator, Ref, layout

#: The controllers of the bundle (file and module names), in the ``directional_trading`` type.
CONTROLLERS = ("uptrade_sniper", "uptrade_vzo", "uptrade_cycle", "uptrade_combined")
CONTROLLER_TYPE = "directional_trading"
#: The glue module the templates' free names are read in.
GLUE = "uptrade.execution.hbsignals"
GENERATED = "# <uptrade:generated>"
FIELDS_RE = re.compile(r"^(?P<indent>\s*)# <uptrade:fields (?P<key>\w+)>\s*$")


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
        kw = [f"default={source_value(field.default)}"]
        for meta in field.metadata:
            kind = bounds.get(type(meta))
            if kind is not None:
                kw.append(f"{kind}={getattr(meta, kind)!r}")
            elif getattr(meta, "allow_inf_nan", None) is False:
                kw.append("allow_inf_nan=False")
        if field.description:
            kw.append(f"description={source_value(field.description)}")
        head = f"{indent}{name}: {type_text(field.annotation, typing_names)} = Field("
        line = head + ", ".join(kw) + ")"
        out.append(line if len(line) <= 120 else f"{head}\n{indent}    {', '.join(kw)}\n{indent})")
    return out


def source_value(value: Any) -> str:
    """A field default or description as source: strings in double quotes (the templates' style)."""
    return json.dumps(value, ensure_ascii=False) if isinstance(value, str) else repr(value)


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
        written = []
        try:
            folder.mkdir(parents=True, exist_ok=True)
            for init in (out / "controllers" / "__init__.py", folder / "__init__.py"):
                if not init.exists():
                    init.write_text("", encoding="utf-8")
            for n, text in texts.items():
                path = folder / f"{n}.py"
                path.write_text(text, encoding="utf-8")
                written.append(path)
        except OSError as exc:
            reason = exc.strerror or exc
            raise BundleError(f"out: cannot write the bundle under {out} ({reason})", param="out") from None
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
