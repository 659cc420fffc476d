"""The one lookup of built-in files: scenarios, market presets and sweeps.

Built-in files live in the repository's ``scenarios/`` folder (in an installed
wheel: ``sim/_scenarios``), with market presets in ``markets/`` and sweep
files in ``sweeps/`` below it. Every reader that accepts "a path or the name
of a built-in file" resolves it here.
"""

from __future__ import annotations

from pathlib import Path

from sim.errors import ScenarioError


def builtin_dir() -> Path:
    """Return the folder of the scenarios shipped with the package.

    In a source checkout that is the repository's ``scenarios/``; in an
    installed wheel it is ``sim/_scenarios``.
    """
    here = Path(__file__).resolve().parent
    for cand in (here / "_scenarios", here.parent / "scenarios"):
        if cand.is_dir():
            return cand
    return here.parent / "scenarios"


def builtin_names(folder: str = "") -> list[str]:
    """Names (file stems) of the built-in ``.toml`` files of one folder, sorted.

    Args:
        folder: Sub-folder of the built-in scenarios (``"markets"``, ``"sweeps"``),
            or ``""`` for the scenarios themselves.

    Returns:
        The names.
    """
    home = builtin_dir() / folder if folder else builtin_dir()
    return sorted(p.stem for p in home.glob("*.toml"))


def builtin_file(name: str, folder: str = "") -> Path | None:
    """The built-in file called ``name`` (with or without ``.toml``), if there is one.

    Args:
        name: A bare file name.
        folder: Sub-folder of the built-in scenarios.

    Returns:
        The file, or None.
    """
    if "/" in name or "\\" in name:
        return None
    home = builtin_dir() / folder if folder else builtin_dir()
    for cand in (home / name, home / f"{name}.toml"):
        if cand.is_file():
            return cand
    return None


def find_file(ref: str | Path, folder: str = "") -> Path:
    """A path as given if it is a file, else a built-in file by name.

    ``load_scenario("baseline")`` and ``trustsim run baseline`` therefore work
    from any folder.

    Args:
        ref: A path, or the name of a file in the built-in ``scenarios/``
            folder (``folder`` below it), with or without ``.toml``.
        folder: Sub-folder of the built-in scenarios (``"sweeps"``, ``"markets"``).

    Returns:
        The file.

    Raises:
        ScenarioError: If there is no such file; for a bare name, the message
            lists the built-in names.
    """
    p = Path(ref)
    if p.is_file():
        return p
    name = str(ref)
    found = builtin_file(name, folder)
    if found is not None:
        return found
    bare = "/" not in name and "\\" not in name
    names = ", ".join(builtin_names(folder))
    more = f"; built-in {folder or 'scenarios'}: {names}" if bare and names else ""
    raise ScenarioError.one("", f"file not found{more}", None, p)


def locate(ref: str | Path, folder: str = "") -> Path:
    """:func:`find_file`, or the path as given when there is no such file.

    For callers that load the path next, so that loading reports the missing
    file (with the built-in names) in its usual words.

    Args:
        ref: A path, or the name of a built-in file.
        folder: Sub-folder of the built-in scenarios.

    Returns:
        The file found, else ``Path(ref)``.
    """
    try:
        return find_file(ref, folder)
    except ScenarioError:
        return Path(ref)
