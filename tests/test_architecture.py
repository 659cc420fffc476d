"""The package's layers hold: import contracts, no import cycle, no oversized module.

See docs/architecture.md. import-linter checks the contracts in pyproject.toml
(``[tool.importlinter]``); it does not forbid a cycle inside one layer, so the
import graph of ``sim`` (every import, including those inside functions and
under ``TYPE_CHECKING``) is also checked for cycles here.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import grimp
import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parents[1]
SIM = ROOT / "sim"
MAX_LINES = 500
"""Modules longer than this must say why in their docstring (mentioning "500 lines")."""


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("sim", include_external_packages=False, cache_dir=None)


def import_cycles(edges: list[tuple[str, str]]) -> list[list[str]]:
    """Every elementary cycle of a directed import graph, each from its smallest name."""
    cycles = []
    for c in nx.simple_cycles(nx.DiGraph(edges)):
        i = c.index(min(c))
        cycles.append(c[i:] + c[:i])
    return sorted(cycles, key=lambda c: (len(c), c))


def sim_edges(graph: grimp.ImportGraph) -> list[tuple[str, str]]:
    return [(m, t) for m in graph.modules for t in graph.find_modules_directly_imported_by(m)]


def test_import_contracts_are_kept(tmp_path: Path) -> None:
    lint = Path(sys.executable).with_name("lint-imports")  # the venv's, as in `make test`
    if not lint.exists():
        found = shutil.which("lint-imports")
        assert found, "import-linter is not installed: pip install -e '.[dev]'"
        lint = Path(found)
    done = subprocess.run(
        [str(lint), "--no-cache", "--config", str(ROOT / "pyproject.toml")],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout


def test_the_import_graph_has_no_cycle(graph: grimp.ImportGraph) -> None:
    cycles = import_cycles(sim_edges(graph))
    assert cycles == [], "import cycles: " + "; ".join(" -> ".join(c + c[:1]) for c in cycles[:5])


def test_the_cycle_check_sees_a_cycle() -> None:
    edges = [("sim.b", "sim.c"), ("sim.c", "sim.a"), ("sim.a", "sim.b"), ("sim.c", "sim.d")]
    assert import_cycles(edges) == [["sim.a", "sim.b", "sim.c"]]
    assert import_cycles(edges[1:]) == []


def test_the_graph_counts_imports_inside_functions_and_type_checking(
    graph: grimp.ImportGraph,
) -> None:
    # sim.cli imports the application layer only inside its command functions,
    # and sim.compare_figure imports sim.compare only under TYPE_CHECKING.
    assert "sim.app.run_folder" in graph.find_modules_directly_imported_by("sim.cli")
    assert "sim.compare" in graph.find_modules_directly_imported_by("sim.compare_figure")


def test_nothing_imports_the_package_root(graph: grimp.ImportGraph) -> None:
    assert graph.find_modules_that_directly_import("sim") == set()


def test_no_module_is_oversized_without_a_reason() -> None:
    long = []
    for path in sorted(SIM.rglob("*.py")):
        lines = path.read_text(encoding="utf-8").splitlines()
        if len(lines) <= MAX_LINES:
            continue
        doc = ast.get_docstring(ast.parse("\n".join(lines))) or ""
        if "500 lines" not in " ".join(doc.split()):
            long.append(f"{path.relative_to(ROOT)} ({len(lines)} lines)")
    assert long == [], f"over {MAX_LINES} lines without a reason: {', '.join(long)}"
