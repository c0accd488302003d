"""Answers kept beside the store: what ``query`` and ``trace`` printed, read back when the same question is asked
again of the same store.

A store's folder is named by its inputs (see :mod:`drugpolicy_kg.graph.store`) and never changes once built, so an
answer computed on it stays right for as long as the question, its options and the code that wrote it are the same.
The key holds all of them: the store's folder, the command and every option that shapes the output (the terminal's
width for a table), the installed Oxigraph's files, and a stamp of this package's files (their names, sizes and times: an
edited module or template asks afresh). What may differ from one run to the next is never kept: a query calling
``RAND``, ``NOW``, ``UUID``, ``STRUUID`` or ``BNODE`` (anywhere in its text, so a string that names one is
not kept either), a query allowed to reach the network, an answer over :data:`ENTRY_LIMIT`.

Each answer is one file, ``<key>.answer``: a SHA-256 of the bytes, then the bytes, written whole or not at all
(:func:`~drugpolicy_kg.atomic.atomic_write`); a file whose digest does not match is ignored and asked afresh. The
folder holds at most :data:`FOLDER_LIMIT` bytes: past it, the answers least recently read go first. A folder that
cannot be written (a read-only cache) is passed by: the command answers as if nothing were kept.

The first answer of a question costs what the engine takes (`query corroboration` groups 31,000 statements: 0.4 s on
the shipped graph); later ones cost the command's start and one file read. ``--fresh`` asks the store again.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import re
import stat
from pathlib import Path

ENTRY_LIMIT = 16 * 2**20  # bytes: a larger answer is not kept (a CONSTRUCT of the whole graph is a file to write)
FOLDER_LIMIT = 64 * 2**20  # bytes of answers beside one store (of the six kept); past it, the least recently read go
SUFFIX = ".answer"
UNSTABLE = re.compile(r"\b(?:RAND|NOW|UUID|STRUUID|BNODE)\s*\(", re.IGNORECASE)
_STAMP: str | None = None


def code_stamp() -> str:
    """A digest of this package's files (see :func:`stamp_of`), once per process."""
    global _STAMP  # noqa: PLW0603 - computed once per process
    if _STAMP is None:
        _STAMP = stamp_of(Path(__file__).resolve().parent.parent)
    return _STAMP


CODE_FILES = (".py", ".rq", ".html", ".css", ".js", ".json", ".ttl")  # what of the package shapes an answer


def stamp_of(root: Path, suffixes: tuple[str, ...] | None = CODE_FILES) -> str:
    """A digest of the files under ``root`` that shape an answer (those ending in ``suffixes``; None: every file),
    their relative names, sizes and modification times: any edit changes it, so an answer rendered by older code is
    never read back. About 1 ms for this package's files."""
    seen = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            if suffixes is None or name.endswith(suffixes):
                path = os.path.join(folder, name)
                with contextlib.suppress(OSError):
                    st = os.stat(path)
                    seen.append((os.path.relpath(path, root), st.st_size, st.st_mtime_ns))
    return hashlib.sha256(json.dumps([str(root), seen]).encode()).hexdigest()


@functools.cache
def engine_stamp() -> str:
    """What names the installed Oxigraph, without importing it (4 ms): a stamp of its package's files."""
    from importlib.util import find_spec

    spec = find_spec("pyoxigraph")
    if spec is None or not spec.origin:
        return "no pyoxigraph"
    return stamp_of(Path(spec.origin).parent, None)


def unstable(query_text: str) -> bool:
    """Whether a query may answer differently each run (a random number, the time, a fresh identifier)."""
    return UNSTABLE.search(query_text) is not None


class Answers:
    """The answers kept in ``folder`` (None: nothing is kept, as for a store in memory).

    >>> import tempfile
    >>> kept = Answers(Path(tempfile.mkdtemp()) / "answers")
    >>> key = kept.key("query", "SELECT * {}", "table")
    >>> kept.get(key) is None
    True
    >>> kept.keep(key, b"rows")
    >>> kept.get(key)
    b'rows'
    """

    def __init__(self, folder: Path | None, entry_limit: int = ENTRY_LIMIT, folder_limit: int = FOLDER_LIMIT):
        self.folder = folder
        self.entry_limit = entry_limit
        self.folder_limit = folder_limit

    @classmethod
    def beside(cls, graph_store) -> Answers:
        """The answers kept beside a :class:`~drugpolicy_kg.graph.store.GraphStore` (named with the package's
        version, as its other memos are)."""
        return cls(graph_store.memo("answers", ""))

    @classmethod
    def of_built(cls, project) -> Answers:
        """The answers beside the store of the project's current inputs if it is built, found without opening it
        (none if it is not: the command builds it)."""
        from drugpolicy_kg.graph.store import GraphStore, memo_in

        location = GraphStore.built_location(project)
        return cls(None if location is None else memo_in(location, "answers", ""))

    def key(self, *parts) -> str:
        """The name of the answer to the question ``parts`` (strings, numbers, booleans, None, lists of them)."""
        whole = [code_stamp(), engine_stamp(), str(self.folder), *parts]
        return hashlib.sha256(json.dumps(whole, ensure_ascii=True).encode("ascii")).hexdigest()

    def _path(self, key: str) -> Path | None:
        if self.folder is None or not re.fullmatch(r"[0-9a-f]{64}", key):
            return None
        return self.folder / (key + SUFFIX)

    def get(self, key: str) -> bytes | None:
        """The answer kept under ``key``, or None where there is none or it is not whole."""
        path = self._path(key)
        if path is None:
            return None
        try:  # (a regular file only: a FIFO or a device put there would block or never end)
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            return None
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return None
            with os.fdopen(fd, "rb") as fh:
                fd = None
                digest, data = fh.read(32), fh.read()
        except OSError:
            return None
        finally:
            if fd is not None:
                os.close(fd)
        if len(digest) != 32 or hashlib.sha256(data).digest() != digest:
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # read now: the last to go when the folder is full
        return data

    def keep(self, key: str, data: bytes | str) -> None:
        """Keep ``data`` (text as UTF-8) as the answer to ``key``; an answer over the entry limit, or a folder that
        cannot take it, is passed by."""
        from drugpolicy_kg.atomic import atomic_write
        from drugpolicy_kg.errors import DrugPolicyKGError

        data = data.encode("utf-8") if isinstance(data, str) else data
        path = self._path(key)
        if path is None or len(data) > self.entry_limit:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            if path.is_symlink() or (path.exists() and not path.is_file()):
                return  # (something else stands there: left alone, and never written into)
            with atomic_write(path, "wb", durable=False) as fh:
                fh.write(hashlib.sha256(data).digest())
                fh.write(data)
        except (OSError, DrugPolicyKGError):
            return
        self._trim()

    def _trim(self) -> None:
        """Remove the answers least recently read until the folder is within its limit again (to three quarters of
        it, so that the next few answers do not each trim)."""
        entries = []
        with contextlib.suppress(OSError), os.scandir(self.folder) as it:
            for entry in it:
                if entry.name.endswith(SUFFIX):
                    with contextlib.suppress(OSError):
                        st = entry.stat()
                        entries.append((st.st_mtime_ns, st.st_size, entry.path))
        total = sum(size for _, size, _ in entries)
        if total <= self.folder_limit:
            return
        for _, size, path in sorted(entries):
            if total <= self.folder_limit * 3 // 4:
                break
            with contextlib.suppress(OSError):
                os.unlink(path)
                total -= size
