"""Reading a network from a two-column edge-list file."""

from __future__ import annotations

import csv
import io
import os
import re
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from sim.errors import ScenarioError
from sim.network.assembly import _from_pairs
from sim.network.checks import _check_n

# Edge-list files at least this big are parsed with pandas' C reader first.
_FAST_PARSE_MIN_BYTES = 1 << 20
# First fields that mark an edge-list header line even when node ids are labels.
_HEADER_NAMES = frozenset(
    {
        "source", "target", "src", "dst", "from", "to", "u", "v", "i", "j",
        "node1", "node2", "node_1", "node_2", "head", "tail", "id1", "id2",
        "source_id", "target_id", "from_id", "to_id", "ego", "alter",
    }
)  # fmt: skip
_INT_RE = re.compile(r"[+-]?[0-9]+")
_INTS_RE = re.compile(r"[+-]?[0-9]+(?:\n[+-]?[0-9]+)*")


_EXPECTED = "expected two node ids separated by whitespace or a comma"
_WORD_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")


def _line_error(file: Path, lineno: int, line: str | None, what: str) -> ScenarioError:
    """An error about one line, showing the line only when ``line`` is given.

    Callers pass the line only once the file has shown itself to be an edge
    list (an earlier line held an edge), so that a file given by mistake
    (``network.path = "/etc/passwd"``) never has its content echoed.
    """
    shown = ""
    if line is not None:
        shown = f": {line if len(line) <= 80 else line[:77] + '...'!r}"
    return ScenarioError.one("network.path", f"line {lineno}: {what}{shown}", file=file)


def _is_number(field: str) -> bool:
    """Whether a field reads as a number (``5``, ``0.5``, ``1e3``, ``nan``)."""
    try:
        float(field)
    except ValueError:
        return False
    return True


def _header_like(fields: list[str]) -> bool:
    """Whether a line could be a header: two words (``source,target``, ``u v``), no numbers."""
    return len(fields) == 2 and all(
        _WORD_RE.fullmatch(f) is not None and not _is_number(f) for f in fields
    )


def _split_line(line: str) -> list[str] | None:
    """Fields of one edge-list line, or None for a blank/comment line."""
    body = line.split("#", 1)[0].strip()
    if not body:
        return None
    if "," in body:
        return [f.strip() for f in body.split(",")]
    return body.split()


def _int_tokens(tokens: list[str]) -> bool:
    """Whether every token is a plain decimal integer (one regex pass)."""
    return bool(tokens) and _INTS_RE.fullmatch("\n".join(tokens)) is not None


def _parse_text(
    text: str, file: Path, n: int
) -> tuple[np.ndarray, np.ndarray, list[str] | None]:
    """Parse edge-list text line by line, reporting the first bad line.

    Returns the endpoint arrays and, for a file of labels, the labels in
    consumer order (None for integer ids).
    """
    us: list[str] = []
    vs: list[str] = []
    linenos: list[int] = []
    lines = text.splitlines()
    for lineno, line in enumerate(lines, start=1):
        body = line.partition("#")[0] if "#" in line else line
        if "," in body:
            fields = body.split(",")
            if len(fields) == 2:
                fields = [fields[0].strip(), fields[1].strip()]
        else:
            fields = body.split()
            if not fields:
                continue
        if len(fields) != 2 or not fields[0] or not fields[1]:
            seen_edge = len(us) > 1 or (len(us) == 1 and not _header_like([us[0], vs[0]]))
            raise _line_error(file, lineno, line if seen_edge else None, _EXPECTED)
        us.append(fields[0])
        vs.append(fields[1])
        linenos.append(lineno)

    if us and _header_like([us[0], vs[0]]) and (
        (len(us) > 1 and _int_tokens(us[1:]) and _int_tokens(vs[1:]))
        or {us[0].lower(), vs[0].lower()} <= _HEADER_NAMES
    ):
        del us[0], vs[0], linenos[0]  # a header line
    if not us:
        raise ScenarioError.one(
            "network.path",
            f"has no edges; {_EXPECTED} on each line (an optional first line may name "
            "the two columns, e.g. source,target)",
            file=file,
        )

    if _int_tokens(us) and _int_tokens(vs):
        try:
            u = np.fromiter(map(int, us), dtype=np.int64, count=len(us))
            v = np.fromiter(map(int, vs), dtype=np.int64, count=len(vs))
            bad = np.flatnonzero((u < 0) | (u >= n) | (v < 0) | (v >= n))
            first = int(bad[0]) if bad.size else None
        except OverflowError:  # an id beyond 64 bits: find it the slow way
            first = next(
                i for i, (a, b) in enumerate(zip(us, vs, strict=True))
                if not (0 <= int(a) < n and 0 <= int(b) < n)
            )  # fmt: skip
        if first is not None:
            a, b = us[first], vs[first]
            wrong = a if not 0 <= int(a) < n else b
            lineno = linenos[first]
            raise _line_error(
                file,
                lineno,
                lines[lineno - 1] if first else None,
                f"node id {wrong} is out of range; integer ids must be in [0, {n}) "
                f"for {n} consumers",
            )
        return u, v, None

    _check_not_mixed(us, vs, linenos, lines, file)
    # file order (first mention), never sorted: n0, n1, ..., n10 stay in that order
    labels = list(dict.fromkeys(x for pair in zip(us, vs, strict=True) for x in pair))
    if len(labels) > n:
        raise ScenarioError.one(
            "network.path",
            f"{len(labels)} distinct node labels but only {n} consumers",
            file=file,
        )
    index = {label: i for i, label in enumerate(labels)}
    u = np.fromiter(map(index.__getitem__, us), dtype=np.int64, count=len(us))
    v = np.fromiter(map(index.__getitem__, vs), dtype=np.int64, count=len(vs))
    return u, v, labels


def _check_not_mixed(
    us: list[str], vs: list[str], linenos: list[int], lines: list[str], file: Path
) -> None:
    """Refuse ids that mix integers and labels: almost always a typo.

    A single mistyped id (``10,x``) would otherwise turn every id into a label
    and renumber all consumers in label order without a word.
    """
    ints = [(bool(_INT_RE.fullmatch(a)), bool(_INT_RE.fullmatch(b)))
            for a, b in zip(us, vs, strict=True)]
    n_int = sum(x + y for x, y in ints)
    total = 2 * len(ints)
    if n_int in (0, total):
        return
    mostly_int = n_int * 2 > total
    odd = next(i for i, pair in enumerate(ints) if (not mostly_int) in pair)
    lineno = linenos[odd]
    if mostly_int:
        what = (f"a node id that is not an integer, where {n_int} of {total} ids are "
                "integer consumer ids")
    else:
        what = (f"an integer node id among labels ({total - n_int} of {total} ids are "
                "labels); use integer consumer ids throughout, or labels throughout "
                "(e.g. prefix them: n10)")
    raise _line_error(file, lineno, lines[lineno - 1] if odd else None, what)


def _parse_fast(raw: bytes, n: int) -> tuple[np.ndarray, np.ndarray] | None:
    """Parse an integer edge list with pandas' C reader.

    Returns None whenever the file is anything but clean in-range integer
    pairs (with an optional header); the line-by-line parser then decides.
    """
    head = io.BytesIO(raw)
    header_row = None
    sep = None
    for row, line_bytes in enumerate(head):
        if row > 1000:
            return None
        try:
            fields = _split_line(line_bytes.decode("utf-8"))
        except UnicodeDecodeError:
            return None
        if fields is None:
            continue
        if len(fields) != 2:
            return None
        sep = "," if b"," in line_bytes.split(b"#", 1)[0] else r"\s+"
        if not all(_INT_RE.fullmatch(f) for f in fields):
            if not _header_like(fields):
                return None  # not clean integers, not a header: the line parser reports it
            header_row = row
        break
    if sep is None:
        return None
    try:
        import pandas as pd

        frame = pd.read_csv(
            io.BytesIO(raw),
            sep=sep,
            header=None,
            comment="#",
            skiprows=None if header_row is None else [header_row],
            quoting=csv.QUOTE_NONE,
            skipinitialspace=True,
            skip_blank_lines=True,
            encoding="utf-8",
            engine="c",
        )
    except Exception:  # any parser complaint: the line-by-line parser reports it
        return None
    if frame.shape[1] != 2 or not all(
        np.issubdtype(dt, np.integer) and dt != np.uint64 for dt in frame.dtypes
    ):
        return None
    u = frame.iloc[:, 0].to_numpy(dtype=np.int64)
    v = frame.iloc[:, 1].to_numpy(dtype=np.int64)
    if u.size and (min(u.min(), v.min()) < 0 or max(u.max(), v.max()) >= n):
        return None
    return u, v


def load_edgelist(path: str | Path, n: int) -> sp.csr_array:
    """Load a network from a two-column edge-list file.

    Each line holds two node ids separated by whitespace or a comma; ``#``
    starts a comment and blank lines are skipped. The first line may be a
    header: it is one when both its fields are words that do not read as
    numbers (``source,target``, ``u v``) and either every other line is integer
    pairs or its fields are usual column names (``source``/``target``,
    ``from``/``to``, ``u``/``v``...); a first line such as ``5 x`` or ``0.5,1``
    is data, and refused as a bad id. If every id is an integer, ids are
    consumer indices and must lie in ``[0, n)``; otherwise every id is a label
    (string) and the ``L`` distinct labels become consumers ``0..L-1`` in the
    order the file first mentions them (never sorted, so ``n2`` stays before
    ``n10``), which needs ``L <= n``; :func:`edgelist_labels` gives them. A
    file that mixes integer ids and labels is refused (a mistyped id would
    otherwise renumber every consumer), and so is a file without edges.
    Consumers no line mentions are isolated; self-loops and repeated ties are
    dropped.

    Errors name the line number and what was expected; they quote the line
    only after an earlier line has held an edge, so the content of a file
    that is not an edge list is never echoed.

    Args:
        path: The edge-list file.
        n: Number of consumers.

    Returns:
        The symmetric CSR adjacency.

    Raises:
        ScenarioError: If the file is missing, unreadable or has no edges, a line
            is malformed (file and line number are shown), an id is out of
            range, or there are more labels than consumers (all under
            ``network.path``).
    """
    return _read(path, n)[0]


def edgelist_labels(path: str | Path, n: int) -> list[str | None] | None:
    """The node labels of an edge-list file of labels, in consumer order.

    Reads the file again (label files are read line by line, so this costs
    about what loading it did).

    Args:
        path: The edge-list file.
        n: Number of consumers.

    Returns:
        ``n`` labels (None for consumers no line mentions), or None for a
        file of integer consumer ids.

    Raises:
        ScenarioError: As :func:`load_edgelist`.
    """
    labels = _read(path, n)[1]
    return None if labels is None else [*labels, *[None] * (n - len(labels))]


def _read(path: str | Path, n: int) -> tuple[sp.csr_array, list[str] | None]:
    """Load an edge-list file: the adjacency and its labels (None for integer ids)."""
    n = _check_n(n)
    if not isinstance(path, (str, os.PathLike)) or not str(path):
        raise ScenarioError.one("network.path", "must be the path of an edge-list file", path)
    file = Path(path)
    if not file.exists():
        raise ScenarioError.one("network.path", "edge-list file not found", file=file)
    if file.is_dir():
        raise ScenarioError.one("network.path", "is a folder, not an edge-list file", file=file)
    try:
        raw = file.read_bytes()
    except OSError as exc:
        raise ScenarioError.one(
            "network.path", f"cannot read the edge-list file: {exc.strerror or exc}", file=file
        ) from None
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    fast = _parse_fast(raw, n) if len(raw) >= _FAST_PARSE_MIN_BYTES else None
    parsed = None if fast is None else (*fast, None)
    if parsed is None:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            lineno = raw[: exc.start].count(b"\n") + 1
            raise ScenarioError.one(
                "network.path",
                f"line {lineno}: not UTF-8 text (bad byte at offset {exc.start})",
                file=file,
            ) from None
        parsed = _parse_text(text, file, n)
    return _from_pairs(parsed[0], parsed[1], n), parsed[2]
