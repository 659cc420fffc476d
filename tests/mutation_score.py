"""Run mutation testing on the mechanisms and print the score (``make mutation``).

What is mutated: every function of ``sim/mechanisms/``, ``sim/rng.py`` and
``sim/graph_ops.py``, and the model's escalation, consent and churn wiring:
``TrustModel.brand_level``, ``TrustModel._churn_step`` and, in
``TrustModel.step``, the lines of section 0 (escalation and consent), the
lines that name the consent gate or a violation, and section 7 (the adaptive
policy's complaint rate and next state; the recorder call excluded). The
other lines of ``step`` wire perception, word of mouth and purchases; their
mechanisms are mutated in their own modules.

mutmut 3 (configured in ``[tool.mutmut]`` of pyproject.toml) generates the
mutants, learns which of the fast test files call each function, and runs only
those tests per mutant. This script runs it in two passes (the selection of
``step`` lines needs the generated mutants), then reads the results and prints
``killed/total`` and every survivor. Timeouts count as killed.

Usage: ``python tests/mutation_score.py [--workers N] [--score-only]``.
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MUTANTS = ROOT / "mutants"
SEP = "\u01c1"  # mutmut's separator in method mutant names
STEP = f"sim.model.x{SEP}TrustModel{SEP}step"
WHOLE = (
    "sim.mechanisms.*",
    "sim.rng.*",
    "sim.graph_ops.*",
    f"sim.model.x{SEP}TrustModel{SEP}brand_level__mutmut_*",
    f"sim.model.x{SEP}TrustModel{SEP}_churn_step__mutmut_*",
)
"""Glob patterns of the functions mutated in full."""

WIRING_WORDS = re.compile(r"gate|violation|consent")
"""Lines of ``step`` outside sections 0 and 7 that still belong to consent wiring."""

KILLED = {1, 3, 24, -24, 36, 152, 255}
"""mutmut exit codes that mean a test failed (or the mutant timed out)."""


def _mutmut(names: list[str], workers: int) -> None:
    cmd = [sys.executable, "-m", "mutmut", "run", "--max-children", str(workers), *names]
    done = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, check=False)
    if done.returncode not in (0, 1):
        raise SystemExit(f"mutmut run failed with exit code {done.returncode}")


def _wiring_lines(orig: list[str]) -> set[int]:
    """Indices of the lines of ``step``'s source that belong to the wiring under test."""
    keep: set[int] = set()
    section = None
    in_record = False
    for i, line in enumerate(orig):
        m = re.match(r"\s*# (\d)\. ", line)
        if m:
            section = int(m.group(1))
        if "self.recorder.record(" in line:
            in_record = True
        if section in (0, 7) and not in_record:
            keep.add(i)
        elif WIRING_WORDS.search(line):
            keep.add(i)
        if in_record and line.rstrip().endswith(")"):
            in_record = False
    return keep


def step_mutants() -> list[str]:
    """Names of the ``step`` mutants that change a wiring line."""
    src = (MUTANTS / "sim" / "model.py").read_text().splitlines()
    spans = json.loads((MUTANTS / "sim" / "model.py.spans").read_text())["spans"]
    prefix = STEP.removeprefix("sim.model.")
    lo, hi = spans[f"{prefix}__mutmut_orig"]
    orig = src[lo : hi]  # the body: the def line differs by name
    keep = _wiring_lines(orig)
    names = []
    for key, (a, b) in spans.items():
        if not re.fullmatch(rf"{re.escape(prefix)}__mutmut_\d+", key):
            continue
        body = src[a : b]
        ops = difflib.SequenceMatcher(None, orig, body, autojunk=False).get_opcodes()
        changed = {
            i for tag, i1, i2, _, _ in ops if tag != "equal" for i in range(i1, max(i2, i1 + 1))
        }
        if changed & keep:
            names.append(f"sim.model.{key}")
    return sorted(names)


def results(patterns: list[str]) -> dict[str, int | None]:
    """Exit code per mutant name matching one of ``patterns`` (globs or exact names)."""
    import fnmatch

    out: dict[str, int | None] = {}
    for meta in MUTANTS.rglob("*.py.meta"):
        codes = json.loads(meta.read_text())["exit_code_by_key"]
        for name, code in codes.items():
            if name in patterns or any(fnmatch.fnmatchcase(name, p) for p in patterns):
                out[name] = code
    return out


def main() -> None:
    """Run mutmut on the selection and print the score and the survivors."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--score-only", action="store_true", help="read the last results only")
    args = ap.parse_args()
    if not args.score_only:
        _mutmut(list(WHOLE), args.workers)  # also generates every mutant
    steps = step_mutants()
    if not args.score_only:
        _mutmut(steps, args.workers)
    codes = results([*WHOLE, *steps])
    not_run = sorted(k for k, c in codes.items() if c is None)
    if not_run:
        # mutmut leaves a mutant's result empty when it never ran it, most often because
        # the clean test run failed ("failed to collect stats"): no score to report
        raise SystemExit(
            f"{len(not_run)} of {len(codes)} mutants were never run (first: {not_run[0]}); "
            "the selected tests probably fail without mutations: run them with "
            "'python -m pytest tests/test_mech_*.py tests/test_rng.py tests/test_graph_ops.py "
            "tests/test_model_wiring.py' and see 'python -m mutmut run' for the error"
        )
    killed = sorted(k for k, c in codes.items() if c in KILLED)
    alive = sorted(k for k, c in codes.items() if c not in KILLED)
    for name in alive:
        print(f"survived ({codes[name]}): {name}")
    total = len(codes)
    share = 100 * len(killed) / max(total, 1)
    print(f"mutation score: {len(killed)}/{total} killed = {share:.1f}%")


if __name__ == "__main__":
    main()
