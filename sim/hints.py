"""The one "did you mean" hint for a mistyped name.

Every message that suggests a correction for an unknown key, KPI, market or
level name is built here, so that they all read the same way.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def close_matches(word: str, choices: Iterable[str], *, n: int = 1,
                  cutoff: float = 0.6) -> list[str]:
    """The names in ``choices`` closest to ``word``, best first.

    Args:
        word: The mistyped name.
        choices: The names that exist.
        n: At most this many suggestions.
        cutoff: Similarity (0-1) below which a name is not suggested.

    Returns:
        Up to ``n`` names (possibly none).
    """
    return difflib.get_close_matches(word, list(choices), n=n, cutoff=cutoff)


def did_you_mean(word: str, choices: Iterable[str], *, n: int = 1, cutoff: float = 0.6,
                 prefix: str = "") -> str:
    """``did you mean 'x'?`` (or ``'x', 'y'``) for a mistyped name, else ``""``.

    Args:
        word: The mistyped name.
        choices: The names that exist.
        n: At most this many suggestions.
        cutoff: Similarity (0-1) below which a name is not suggested.
        prefix: Put before the hint when there is one (e.g. ``"; "``).

    Returns:
        The hint, or an empty string when nothing is close.

    Example:
        >>> did_you_mean("retension", ["retention", "revenue"])
        "did you mean 'retention'?"
    """
    hits = close_matches(word, choices, n=n, cutoff=cutoff)
    return f"{prefix}did you mean {', '.join(map(repr, hits))}?" if hits else ""


def hint_or_allowed(word: str, choices: Iterable[str], *, cutoff: float = 0.6) -> str:
    """A "did you mean" hint, or the list of allowed names when nothing is close.

    Args:
        word: The mistyped name.
        choices: The names that exist (listed in this order when nothing is close).
        cutoff: Similarity (0-1) below which a name is not suggested.

    Returns:
        ``"did you mean 'x'?"`` or ``"allowed: ['a', 'b']"``.
    """
    choices = list(choices)
    return did_you_mean(word, choices, cutoff=cutoff) or f"allowed: {choices}"
