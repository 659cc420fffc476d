"""Error types raised for bad user input.

Every error a user can cause by a scenario, a market file or an edge-list file
is a :class:`ScenarioError` (a ``ValueError``), whose message names the file,
the key path and what is allowed, so that no traceback from deep inside numpy
ever reaches a user.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

EXIT_INTERRUPTED = 130
"""Exit code of every entry point interrupted by Ctrl-C (128 + SIGINT, as shells report it)."""


def dotted_key(key: str) -> str:
    """A key path with list items in dotted form: ``events[0].week`` -> ``events.0.week``.

    Args:
        key: A dotted key path, possibly with ``[n]`` item indices.

    Returns:
        The same path with every ``[n]`` written ``.n``.
    """
    return re.sub(r"\[(\d+)\]", r".\1", key.strip())


class InputWarning(UserWarning):
    """Input that is valid but probably not what was meant (the message names file and key).

    The command line prints these as one ``warning:`` line each, and
    ``trustsim validate`` lists them under the file.
    """


@dataclass(frozen=True)
class Problem:
    """One problem found in user input.

    Attributes:
        key: Dotted key path (``"network.mean_degree"``) or ``""`` for the file.
        message: What is wrong and what is allowed.
        value: The offending value, if any (kept short in messages).
        file: The file the value came from, if known.
    """

    key: str
    message: str
    value: object = None
    file: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}: " if self.file else ""
        key = f"{self.key}: " if self.key else ""
        val = ""
        if self.value is not None:
            text = repr(self.value)
            val = f" (got {text if len(text) <= 200 else text[:197] + '...'})"
        return f"{where}{key}{self.message}{val}"


@dataclass
class ScenarioError(ValueError):
    """Invalid user input: one or more :class:`Problem` entries.

    Attributes:
        problems: Every problem found (validation collects them all).
    """

    problems: list[Problem] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def __str__(self) -> str:
        if len(self.problems) == 1:
            return str(self.problems[0])
        lines = [f"{len(self.problems)} problems:"]
        lines += [f"  - {p}" for p in self.problems]
        return "\n".join(lines)

    @classmethod
    def one(
        cls, key: str, message: str, value: object = None, file: str | Path | None = None
    ) -> ScenarioError:
        """Build an error with a single problem.

        Args:
            key: Dotted key path of the bad value ("" for a whole file).
            message: What is wrong and what is allowed.
            value: The offending value.
            file: The file it came from.

        Returns:
            The error, ready to raise.
        """
        return cls([Problem(key, message, value, None if file is None else str(file))])

    def blaming(self, keys: Iterable[str], source: str = "--set") -> ScenarioError:
        """The same problems, with ``source`` as the "file" of those an override caused.

        Args:
            keys: Dotted keys that were overridden (from ``--set`` and the like).
            source: What to name as the origin of those problems.

        Returns:
            A new error; problems under no overridden key keep their file.
        """
        keys = [dotted_key(k) for k in keys]

        def caused(key: str) -> bool:
            key = dotted_key(key)  # factors[0].key -> factors.0.key
            return any(key == k or key.startswith(k + ".") for k in keys)

        return ScenarioError([
            Problem(p.key, p.message, p.value, source) if caused(p.key) else p
            for p in self.problems
        ])

