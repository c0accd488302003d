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


# ------------------------------------------------------------------ secrets --

_SECRETS: set[str] = set()
SECRET_PREFIX = 6  # this many leading characters of a secret (or of its encoding) are enough to hide it


def register_secret(user: str | None, password: str | None) -> None:
    """Remember a credential, so that no message this process prints shows it: the password, and the encodings a
    server or a library may echo (Basic authorization's base64 of ``user:password``, the percent-encoded password)."""
    import base64
    import urllib.parse

    if not password:
        return
    pair = base64.b64encode(f"{user or ''}:{password}".encode()).decode()
    for secret in (password, pair, pair.rstrip("="), urllib.parse.quote(password, safe="")):
        if len(secret) >= 4:
            _SECRETS.add(secret)


def scrub(text: str) -> str:
    """``text`` without credentials: a URL's user and password (``scheme://user:pw@host`` is shown
    ``scheme://***@host``), and every registered secret, whole or cut short (a message cut at 200 characters may end
    with the first characters of an encoded header).

    >>> register_secret("ana", "S3CRETPW#x")
    >>> scrub("http://admin:S3CRETPW#x@host/q failed; header: Basic YW5hOlMzQ1JFVFBXI3g=")
    'http://***@host/q failed; header: Basic ***'
    >>> scrub("the server said: Authorization: Basic YW5hOlMzQ1JF")
    'the server said: Authorization: Basic ***'
    """
    import re

    text = re.sub(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s?]*@", r"\1***@", text)
    for secret in sorted(_SECRETS, key=len, reverse=True):
        for k in range(len(secret), min(SECRET_PREFIX, len(secret)) - 1, -1):
            if secret[:k] in text:
                text = text.replace(secret[:k], "***")
    return text
