"""The one error type the command line turns into a single line and exit code 2."""

from __future__ import annotations


class LaaciqError(Exception):
    """A user-facing failure: bad input, a missing tool, a malformed file.

    The message is one line that names what is wrong and, where there is one, the fix.
    """


class InternalCheckError(LaaciqError):
    """Lean and the numerics disagree (a checked theorem failed its numeric check)."""
