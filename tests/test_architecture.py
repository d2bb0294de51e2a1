"""The import graph has the shape ``docs/architecture.md`` draws: layers, pure kernels, no cycles.

The layer and no-cycle contracts are import-linter's (``[tool.importlinter]`` in pyproject.toml);
the graph is grimp's, built from the sources with lazy imports inside functions included, so a
shortcut taken inside a function body is caught too.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import grimp
import pytest
from importlinter import cli as importlinter_cli

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("uptrade")


def test_import_linter_contracts_are_kept(capsys: pytest.CaptureFixture[str]) -> None:
    code = importlinter_cli.lint_imports(config_filename=str(PYPROJECT), no_cache=True)
    report = capsys.readouterr().out
    assert code == 0, report
    assert "Contracts: 2 kept, 0 broken." in report, report


def test_every_module_is_in_a_layer(graph: grimp.ImportGraph) -> None:
    """A new top-level module must take a place in the layers, or the contract says nothing about it."""
    config = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["tool"]["importlinter"]["contracts"]
    layers = next(c["layers"] for c in config if c["type"] == "layers")
    names = [name.strip() for layer in layers for name in layer.split("|")]  # "a | b": independent siblings
    stray = sorted(
        m for m in graph.modules if m != "uptrade" and not any(m == x or m.startswith(f"{x}.") for x in names)
    )
    assert not stray, f"modules outside every layer: {stray}"


def _is_kernel(module: str) -> bool:
    return ".nb." in module or module.endswith((".nb", "_nb"))


def test_kernels_import_no_other_uptrade_code(graph: grimp.ImportGraph) -> None:
    """``*_nb`` modules and ``indicators.nb``: pure numba over arrays, importing only other kernels."""
    kernels = sorted(m for m in graph.modules if _is_kernel(m))
    assert len(kernels) > 5, kernels
    for module in kernels:
        above = sorted(m for m in graph.find_modules_directly_imported_by(module) if not _is_kernel(m))
        assert not above, f"kernel {module} imports {above}"
