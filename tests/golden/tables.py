"""Exact text form of a weekly table: a CSV that diffs in git plus a JSON sidecar.

``<name>.csv`` holds the values, one row per week; floats are written with
``repr``, the shortest text that reads back to the same double, so the file
round-trips bit for bit (apart from NaN payloads, which no comparison sees).
``<name>.json`` holds each column's dtype, the run's summary and its
provenance attributes (without the package version, which changes on every
release without changing behaviour).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

_IGNORED_ATTRS = ("version",)
"""Attributes left out of the sidecar: they change without behaviour changing."""


def _format_cell(kind: str) -> Callable[[Any], str]:
    """The exact text writer for one numpy dtype kind."""
    if kind == "f":
        return lambda x: repr(float(x))
    if kind in "iu":
        return lambda x: str(int(x))
    if kind == "b":
        return lambda x: "True" if x else "False"
    return str


def _parse_column(texts: list[str], dtype: str, column: str) -> pd.Series:
    """Read one column back from its text cells at its stored dtype."""
    kind = pd.api.types.pandas_dtype(dtype).kind
    if kind == "f":
        values: Any = np.array([float(t) for t in texts], dtype=dtype)
    elif kind in "iu":
        values = np.array([int(t) for t in texts], dtype=dtype)
    elif kind == "b":
        if not set(texts) <= {"True", "False"}:
            raise ValueError(f"column {column!r}: bool cells must be True or False")
        values = np.array([t == "True" for t in texts], dtype=bool)
    else:
        values = texts
    return pd.Series(values, dtype=dtype, name=column)


def _check_writable(df: pd.DataFrame) -> None:
    """Refuse tables this format cannot round-trip exactly, naming the column."""
    if not isinstance(df.index, pd.RangeIndex) or df.index.start != 0 or df.index.step != 1:
        raise ValueError(f"golden tables need a 0..n-1 RangeIndex, got {df.index!r}")
    for col in df.columns:
        s = df[col]
        if s.dtype.kind in "fiub":
            continue
        if not pd.api.types.is_string_dtype(s.dtype) or isinstance(s.dtype, pd.CategoricalDtype):
            raise TypeError(
                f"column {col!r} has dtype {s.dtype}; golden tables hold float, int, bool "
                "and str columns only"
            )
        if s.isna().any():
            raise ValueError(f"column {col!r}: missing values in a str column do not round-trip")


def render_csv(df: pd.DataFrame) -> str:
    """The exact CSV text of a table.

    Args:
        df: A table with a 0..n-1 RangeIndex and float, int, bool or str columns.

    Returns:
        Header line of column names, then one line per row.

    Raises:
        TypeError: A column has a dtype the format does not cover.
        ValueError: The index is not a plain range, or a str column has missing values.
    """
    _check_writable(df)
    writers = [_format_cell(df[c].dtype.kind) for c in df.columns]
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\n")
    out.writerow(df.columns)
    for row in zip(*(df[c].to_numpy() for c in df.columns), strict=True):
        out.writerow(w(x) for w, x in zip(writers, row, strict=True))
    return buf.getvalue()


def render_sidecar(df: pd.DataFrame, summary: dict[str, Any], case: dict[str, Any]) -> str:
    """The JSON sidecar text: the case, column dtypes, attributes and summary.

    Args:
        df: The weekly table.
        summary: The run's final KPIs (``res.summary``).
        case: What was run (scenario name and overrides).

    Returns:
        Indented JSON text ending in a newline.
    """
    attrs = {k: v for k, v in df.attrs.items() if k not in _IGNORED_ATTRS}
    data = {
        "case": case,
        "dtypes": {str(c): str(df[c].dtype) for c in df.columns},
        "attrs": attrs,
        "summary": summary,
    }
    return json.dumps(data, indent=2) + "\n"


def parse_table(csv_text: str, sidecar_text: str) -> pd.DataFrame:
    """Rebuild a table from its CSV and sidecar texts, dtypes and attributes included.

    Args:
        csv_text: Text written by :func:`render_csv`.
        sidecar_text: Text written by :func:`render_sidecar`.

    Returns:
        The table, equal cell for cell and dtype for dtype to the one rendered.

    Raises:
        ValueError: The CSV header does not match the sidecar's columns.
    """
    rows = list(csv.reader(io.StringIO(csv_text)))
    header, body = rows[0], rows[1:]
    dtypes = json.loads(sidecar_text)["dtypes"]
    if header != list(dtypes):
        raise ValueError(f"CSV columns {header} differ from the sidecar's {list(dtypes)}")
    cells = list(zip(*body, strict=True)) if body else [() for _ in header]
    df = pd.DataFrame(
        {c: _parse_column(list(t), dtypes[c], c) for c, t in zip(header, cells, strict=True)}
    )
    df.attrs.update(json.loads(sidecar_text)["attrs"])
    return df


def read_sidecar(path: Path) -> dict[str, Any]:
    """The parsed JSON sidecar at ``path``."""
    return json.loads(path.read_text(encoding="utf-8"))


def _mismatch(a: pd.Series, b: pd.Series) -> np.ndarray:
    """Rows where two same-dtype columns differ; NaN equals NaN, -0.0 differs from 0.0."""
    x, y = a.to_numpy(), b.to_numpy()
    if a.dtype.kind == "f":
        nan_x, nan_y = np.isnan(x), np.isnan(y)
        same = (nan_x & nan_y) | ((x == y) & (np.signbit(x) == np.signbit(y)))
        return ~same
    return ~np.asarray(x == y, dtype=bool)


def _cell(df: pd.DataFrame, col: str, row: int) -> Any:
    """One cell as a plain Python value, so messages read ``0.1``, not ``np.float64(0.1)``."""
    x = df[col].iloc[row]
    return x.item() if isinstance(x, np.generic) else x


def first_difference(expected: pd.DataFrame, actual: pd.DataFrame) -> str | None:
    """Describe the first way ``actual`` differs from ``expected``, or None if identical.

    Columns, length and dtypes are checked first; then values, NaN-aware and
    bit-exact, reporting the earliest week that differs and which columns do.

    Args:
        expected: The stored golden table.
        actual: A fresh run's table.

    Returns:
        A one-paragraph description, or None when the tables are identical.
    """
    if list(expected.columns) != list(actual.columns):
        missing = [c for c in expected.columns if c not in actual.columns]
        extra = [c for c in actual.columns if c not in expected.columns]
        return (f"columns differ: missing {missing}, new {extra} "
                f"(or reordered: expected {list(expected.columns)})")
    if len(expected) != len(actual):
        return f"row count differs: expected {len(expected)} weeks, got {len(actual)}"
    for col in expected.columns:
        if expected[col].dtype != actual[col].dtype:
            return (f"column {col!r}: dtype differs: expected {expected[col].dtype}, "
                    f"got {actual[col].dtype}")
    masks = {c: _mismatch(expected[c], actual[c]) for c in expected.columns}
    bad = {c: m for c, m in masks.items() if m.any()}
    if not bad:
        return None
    row = min(int(np.argmax(m)) for m in bad.values())
    week = _cell(expected, "week", row) if "week" in expected.columns else row
    cols = [c for c, m in bad.items() if m[row]]
    shown = "; ".join(
        f"{c}: expected {_cell(expected, c, row)!r}, got {_cell(actual, c, row)!r}"
        for c in cols[:5]
    )
    more = f" (+{len(cols) - 5} more columns)" if len(cols) > 5 else ""
    cells = sum(int(m.sum()) for m in bad.values())
    return (f"first difference at week {week} (row {row}) in {len(cols)} column(s): "
            f"{shown}{more}; {cells} differing cells in {len(bad)} columns overall")
