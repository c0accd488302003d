"""Exceptions, and the exit codes the command line maps them to.

Exit codes are a contract (docs/commands.md, "Exit codes"):

==== ===========================================================
0    success; the data conforms
1    the data does not conform, or a check found something
2    bad input or usage: a file that does not parse, an unknown name
3    a remote SPARQL endpoint failed (refused, timed out, HTTP error)
==== ===========================================================
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_NONCONFORMING = 1
EXIT_BAD_INPUT = 2
EXIT_ENDPOINT = 3
EXIT_BUSY = 4          # another command holds the lock on the folder or store
EXIT_INTERNAL = 70     # a bug (sysexits' EX_SOFTWARE): one line, and the traceback with DRUGPOLICY_KG_DEBUG=1


class DrugPolicyKGError(Exception):
    """Base of every error this package raises on purpose."""

    exit_code = EXIT_BAD_INPUT


class UsageError(DrugPolicyKGError, ValueError):
    """A bad option, an unknown name or format, a missing folder. ``choices``: what the user may pick from (a name
    that could mean several things), printed one per line after the message."""

    def __init__(self, message: str, choices: list[str] | None = None):
        super().__init__(message)
        self.choices = list(choices or [])


class InputError(DrugPolicyKGError, ValueError):
    """A file that cannot be read or parsed; names the file, line and column.

    >>> str(InputError("bad syntax", path="data/x.ttl", line=3, column=7))
    'data/x.ttl:3:7: bad syntax'
    """

    def __init__(self, message: str, path: str | None = None, line: int | None = None, column: int | None = None):
        self.message, self.path, self.line, self.column = message, path, line, column
        where = ":".join(str(x) for x in (path, line, column) if x is not None)
        super().__init__(f"{where}: {message}" if where else message)


class EndpointError(DrugPolicyKGError, ConnectionError):
    """A remote SPARQL endpoint refused, timed out, or answered with an error."""

    exit_code = EXIT_ENDPOINT


class BusyError(DrugPolicyKGError):
    """Another drugpolicy-kg command holds the lock: not bad input, try again later."""

    exit_code = EXIT_BUSY


def json_loads(text: str | bytes):
    """``json.loads`` for text from outside (a draft, a server's answer, a cache file): nesting too deep for Python's
    reader is a ValueError like any other malformed JSON, not a RecursionError that reads as a bug.

    >>> json_loads("[" * 100000 + "]" * 100000)
    Traceback (most recent call last):
    ...
    ValueError: JSON nested too deeply to read
    """
    import json

    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("JSON nested too deeply to read") from None
