"""Errors of the sweep machinery (bad specs are :class:`sim.errors.ScenarioError`).

Layer: errors; in sim.sweep: errors (the bottom).
"""

from __future__ import annotations


class SweepError(ValueError):
    """A user error about a sweep folder or how a sweep is run (one clear message)."""


class SweepUsageError(SweepError):
    """A bad command-line option or combination of them (the CLI exits 2)."""


class SweepInterrupted(KeyboardInterrupt):
    """A sweep stopped by Ctrl-C; finished runs are kept.

    Attributes:
        out: The sweep folder.
        done: Runs finished (saved) so far, including earlier sessions.
        total: Runs in the sweep.
        resume_hint: The command that resumes it.
    """

    def __init__(self, out: str, done: int, total: int, resume_hint: str) -> None:
        self.out = out
        self.done = done
        self.total = total
        self.resume_hint = resume_hint
        super().__init__(str(self))

    def __str__(self) -> str:
        return (
            f"interrupted: {self.done} of {self.total} runs are finished and saved in "
            f"{self.out}; resume with: {self.resume_hint}"
        )
