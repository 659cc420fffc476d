"""Files written safely, and the one JSON policy.

Two rules keep every file the package writes safe:

* **No silent overwrite.** :func:`prepare_output_dir` refuses a folder that
  already exists unless ``force`` is given (then files of the same name are
  replaced and other files are left alone; nothing is deleted).
* **No half files.** Every file is written to a hidden temporary name *inside
  the same folder* and moved into place with :func:`os.replace` (atomic on
  POSIX and Windows), so an interrupted write leaves either the old file, the
  new file, or nothing, and never writes outside the output folder.

JSON policy (:func:`to_jsonable`, used by every JSON file written: result
folders, comparisons, sweep folders): numpy scalars and arrays become plain
Python numbers and lists, tuples become lists, keys become strings, and NaN
and infinities become ``null``.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import secrets
import tomllib
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.errors import ScenarioError

if TYPE_CHECKING:
    import pandas as pd


class OutputExistsError(FileExistsError):
    """The output folder exists and overwriting was not asked for."""

    def __init__(self, path: Path) -> None:
        super().__init__(
            f"output folder already exists: {path} "
            "(choose another --out, or pass --force to replace its files)"
        )
        self.path = path


def timestamp(now: datetime | None = None) -> str:
    """Return a folder-name-safe local timestamp such as ``20240131-154502``.

    Args:
        now: The time to format (default: now).
    """
    return (now or datetime.now()).strftime("%Y%m%d-%H%M%S")


def default_output_dir(
    name: str, root: str | Path = "results", now: datetime | None = None
) -> Path:
    """Return a fresh ``<root>/<name>-<timestamp>`` folder path that does not exist yet.

    If two runs start within the same second, ``-2``, ``-3``... is appended.

    Args:
        name: Scenario name (characters unsafe in file names become ``_``).
        root: Parent folder.
        now: Time for the stamp (default: now).

    Returns:
        A path that did not exist when checked.
    """
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name) or "scenario"
    base = Path(root) / f"{safe}-{timestamp(now)}"
    path, k = base, 1
    while path.exists():
        k += 1
        path = base.with_name(f"{base.name}-{k}")
    return path


def check_output_dir(path: str | Path, *, force: bool = False) -> Path:
    """Fail early, before a long run, if the output folder cannot be used.

    Nothing is created.

    Args:
        path: The folder.
        force: Allow an existing folder.

    Returns:
        The folder as a :class:`~pathlib.Path`.

    Raises:
        OutputExistsError: If it exists and ``force`` is false.
        NotADirectoryError: If the path exists and is a file.
    """
    p = Path(path)
    if p.exists():
        if not p.is_dir():
            raise NotADirectoryError(f"output path exists and is not a folder: {p}")
        if not force:
            raise OutputExistsError(p)
    return p


def prepare_output_dir(path: str | Path, *, force: bool = False) -> Path:
    """Create the output folder, refusing an existing one unless ``force``.

    Args:
        path: The folder.
        force: Allow an existing folder (files written later replace files of
            the same name; nothing else is touched).

    Returns:
        The folder as a :class:`~pathlib.Path`.

    Raises:
        OutputExistsError: If it exists and ``force`` is false.
        NotADirectoryError: If the path exists and is a file.
    """
    p = check_output_dir(path, force=force)
    p.mkdir(parents=True, exist_ok=True)
    return p


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on success move it into place.

    The temporary file lives in the same folder (so :func:`os.replace` is an
    atomic rename) and is named ``.<name>.<random>.tmp``; the caller's writer
    creates it. If the body raises
    (including ``KeyboardInterrupt``), the temporary file is removed and
    ``path`` is left as it was.

    Args:
        path: The final file.

    Yields:
        The temporary path to write to.
    """
    final = Path(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    # Not created here (mkstemp would make it 0600): the writer creates it with
    # the usual permissions. The random part keeps concurrent writers apart.
    tmp = final.with_name(f".{final.name}.{secrets.token_hex(6)}.tmp")
    try:
        yield tmp
        os.replace(tmp, final)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def write_text(path: str | Path, text: str) -> Path:
    """Write text atomically (UTF-8).

    Args:
        path: The final file.
        text: Its content.

    Returns:
        The final path.
    """
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_with(path: str | Path, writer: Callable[[Path], Any]) -> Path:
    """Write a file atomically with a function that writes to a given path.

    Args:
        path: The final file.
        writer: Called with the temporary path, e.g. ``df.to_parquet``.

    Returns:
        The final path.
    """
    with atomic_path(path) as tmp:
        writer(tmp)
    return Path(path)


def to_jsonable(obj: Any) -> Any:
    """Plain JSON data under the package's one JSON policy.

    Numpy scalars and arrays become Python numbers and lists, tuples become
    lists, mapping keys become strings, and NaN and infinities become ``None``
    (written ``null``).

    Args:
        obj: Nested dicts, lists, tuples, numpy scalars/arrays and plain values.

    Returns:
        Data :func:`json.dumps` writes without ``NaN`` or ``Infinity``.

    Example:
        >>> to_jsonable({"a": np.float64("nan"), "b": np.arange(2)})
        {'a': None, 'b': [0, 1]}
    """
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def dumps_json(data: Any, *, indent: int | None = 2) -> str:
    """JSON text under the one policy (see :func:`to_jsonable`), ending in a newline.

    Args:
        data: The data.
        indent: Indentation (None for one line).

    Returns:
        The text.
    """
    return json.dumps(to_jsonable(data), indent=indent, allow_nan=False) + "\n"


def write_json(path: str | Path, data: Any) -> Path:
    """Write JSON atomically (indented, NaN written as ``null``).

    Args:
        path: The final file.
        data: JSON-serialisable data (numpy scalars and arrays allowed).

    Returns:
        The final path.
    """
    return write_text(path, dumps_json(data))


def write_csv(df: pd.DataFrame, path: str | Path) -> None:
    """Write a table as CSV with Arrow's writer: about six times faster than pandas.

    One million consumers take about 1.7 s instead of 10.6 s. Booleans are
    written ``true``/``false``, missing values as empty fields and strings in
    quotes; pandas, R and spreadsheets read that back. Tables Arrow cannot
    convert fall back to ``DataFrame.to_csv``. Not atomic by itself: pass it
    to :func:`write_with`.

    Args:
        df: The table (its index is not written).
        path: The file.
    """
    import pyarrow as pa
    from pyarrow import csv as pacsv

    try:
        table = pa.Table.from_pandas(df, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        df.to_csv(path, index=False)
        return
    pacsv.write_csv(table, str(path), write_options=pacsv.WriteOptions(quoting_style="needed"))


def read_toml(path: str | Path) -> dict[str, Any]:
    """Read a TOML file, turning I/O and syntax errors into ScenarioError.

    Args:
        path: The file.

    Returns:
        The parsed table.

    Raises:
        ScenarioError: If the file is missing, unreadable or not valid TOML.
    """
    p = Path(path)
    if not p.is_file():
        raise ScenarioError.one("", "file not found", None, p)
    try:
        with p.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError.one("", f"not valid TOML: {exc}", None, p) from None
    except OSError as exc:
        raise ScenarioError.one("", f"cannot read file: {exc.strerror}", None, p) from None
