"""Argument types shared by the ``trustsim`` subcommands."""

from __future__ import annotations

import argparse
from collections.abc import Callable


def whole_number(minimum: int, meaning: str = "") -> Callable[[str], int]:
    """An argparse ``type`` accepting whole numbers of at least ``minimum``.

    Args:
        minimum: Smallest allowed value.
        meaning: What the smallest value means, added to the error (e.g.
            ``"0 runs in this process"``).

    Returns:
        The converter.
    """

    def convert(text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
        if v < minimum:
            extra = f" ({meaning})" if meaning else ""
            raise argparse.ArgumentTypeError(f"must be at least {minimum}{extra}, got {v}")
        return v

    convert.__name__ = f"whole number >= {minimum}"
    return convert
