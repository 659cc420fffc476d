"""Rewrite the golden tables on purpose, and say which ones changed.

Run it (``make golden``, ``python -m tests.golden.regenerate`` or
``python tests/golden/regenerate.py``) only in a commit that means to change
the model's behaviour, and say why in that commit's message.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make ``tests.golden`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.golden.cases import CASES, GOLDEN_DIR, Case
from tests.golden.tables import first_difference, parse_table, render_csv, render_sidecar


def _old_vs_new(case: Case, csv_text: str, sidecar_text: str) -> str:
    """A short note on how the stored files differ from the new texts."""
    try:
        old = parse_table(case.csv_path.read_text(encoding="utf-8"),
                          case.sidecar_path.read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError) as exc:
        return f"old files unreadable ({exc})"
    note = first_difference(old, parse_table(csv_text, sidecar_text))
    return note or "weekly values identical; sidecar (dtypes, attributes or summary) changed"


def regenerate_case(case: Case) -> str:
    """Run one case and rewrite its files if their text changed.

    Args:
        case: The golden case.

    Returns:
        A one-line status: ``new``, ``unchanged`` or ``CHANGED`` with the first difference.
    """
    res = case.run()
    csv_text = render_csv(res.weekly)
    sidecar_text = render_sidecar(res.weekly, res.summary, case.describe())
    if not case.csv_path.exists() or not case.sidecar_path.exists():
        status = "new"
    elif (case.csv_path.read_text(encoding="utf-8") == csv_text
          and case.sidecar_path.read_text(encoding="utf-8") == sidecar_text):
        return "unchanged"
    else:
        status = f"CHANGED: {_old_vs_new(case, csv_text, sidecar_text)}"
    case.csv_path.write_text(csv_text, encoding="utf-8")
    case.sidecar_path.write_text(sidecar_text, encoding="utf-8")
    return status


def remove_stale() -> list[str]:
    """Delete stored tables whose case is no longer in :data:`CASES`; return their names."""
    names = {c.name for c in CASES}
    stale = sorted(p for p in GOLDEN_DIR.glob("*.csv") if p.stem not in names)
    for p in stale:
        p.unlink()
        p.with_suffix(".json").unlink(missing_ok=True)
    return [p.stem for p in stale]


def main() -> int:
    """Regenerate every golden case and print a line per table.

    Returns:
        The process exit code (0).
    """
    changed = 0
    for case in CASES:
        status = regenerate_case(case)
        changed += status != "unchanged"
        print(f"{case.name:<20} {status}")
    for name in remove_stale():
        changed += 1
        print(f"{name:<20} REMOVED (no longer a case)")
    print(f"{changed} of {len(CASES)} golden table(s) written in {GOLDEN_DIR}"
          if changed else "all golden tables unchanged")
    return 0


if __name__ == "__main__":
    sys.exit(main())
