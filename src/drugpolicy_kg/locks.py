"""File locks that work on every platform: py-filelock's native descriptor lock (``flock`` on Unix, ``LockFileEx``
on Windows) for exclusive locks, so two commands building one store or writing one folder take turns.

A store that a process is reading is held with a shared lock (``flock(LOCK_SH)``) on Unix, so that the cleanup of
old stores passes it by. Windows has no shared descriptor lock in filelock; there the hold is not taken, and what
keeps a store in use is Windows itself: a folder with open files cannot be renamed, and the cleanup's rename fails
and leaves it alone.
"""

from __future__ import annotations

import os


def exclusive(fd: int, blocking: bool = True) -> bool:
    """Lock the open descriptor ``fd`` exclusively; without ``blocking``, False when another process holds it."""
    from filelock import lock_descriptor

    return lock_descriptor(fd, blocking=blocking)


def shared(fd: int) -> None:
    """Hold ``fd`` with a shared lock, waiting while an exclusive one is held (Unix; see the module's note on
    Windows)."""
    if os.name != "posix":
        return
    import fcntl

    fcntl.flock(fd, fcntl.LOCK_SH)
