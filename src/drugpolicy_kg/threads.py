"""Work run in a thread of its own, waited for with a deadline: the caller (the main thread) hears Ctrl-C and
SIGTERM at once, and leaves the work behind when the time is up, whatever it is blocked in (a query in the engine,
a server that sends a byte a second)."""

from __future__ import annotations

import contextlib
import threading
import time


class Overdue(TimeoutError):
    """The time given was up before the work ended (the work itself may still be running)."""


def within(seconds: float, work, name: str = "drugpolicy-kg-work", collect: bool = False,
           overdue: str = "the time was up before the work ended"):
    """Return what ``work()`` returns, or raise what it raised, or :class:`Overdue` (``overdue`` its message) after
    ``seconds``. The thread is a daemon: left behind, it ends with the process.

    ``collect`` collects garbage in the worker before it ends. Oxigraph's result objects may only be freed by the
    thread that made them, and rdflib's SPARQL parser (pyparsing) leaves cycles that hold them on every query it
    reads: its caught exceptions keep their frames, and through them the callers' frames and locals. Left to the main
    thread, they were freed at exit with a "PyQuerySolutions is unsendable" line on stderr after every `query`. A
    collection costs under 0.1 s, measured after `views`.

    >>> within(5, lambda: 42)
    42
    >>> within(0.2, lambda: time.sleep(5), overdue="too slow")
    Traceback (most recent call last):
    ...
    drugpolicy_kg.threads.Overdue: too slow
    """
    worker = Background(work, name, collect)
    deadline = time.monotonic() + seconds
    while not worker.done():
        worker.thread.join(0.1)
        if not worker.done() and time.monotonic() > deadline:
            raise Overdue(overdue)
    return worker.result()


class Background:
    """``work()`` started in a daemon thread now; :meth:`result` waits for it (hearing Ctrl-C while it waits) and
    returns what it returned or raises what it raised. The engine answers queries of two threads at once (it lets go
    of the GIL while it evaluates), so independent passes over the store overlap on a second core. ``collect``: see
    :func:`within`.

    >>> Background(lambda: 6 * 7).result()
    42
    """

    def __init__(self, work, name: str = "drugpolicy-kg-work", collect: bool = False):
        self.box: dict = {}

        def run():
            try:
                self.box["value"] = work()
            except BaseException as exc:  # noqa: BLE001 - handed to the caller
                import traceback

                # drop the frames' locals here: the engine's result objects may only be freed by the thread that made them
                traceback.clear_frames(exc.__traceback__)
                self.box["error"] = exc
            finally:
                if collect:
                    import gc

                    gc.collect()

        self.thread = threading.Thread(target=run, name=name, daemon=True)
        self.thread.start()

    def done(self) -> bool:
        return not self.thread.is_alive()

    def result(self):
        while self.thread.is_alive():
            self.thread.join(0.1)
        if "error" in self.box:
            raise self.box["error"]
        return self.box["value"]


def die_with_parent() -> None:  # pragma: no cover - runs in a child process
    """Linux: this process gets SIGTERM when the process that started it dies, even by SIGKILL (elsewhere nothing).
    Called in a child between fork and exec, or first thing in a worker process."""
    import signal
    import sys

    if not sys.platform.startswith("linux"):
        return
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG = 1


def start_helper(target: str, *args: str, **popen):
    """Start ``target`` ("package.module:function") in a Python process of its own (``python -c``: nothing of the
    caller's ``__main__`` is run again), ``args`` its ``sys.argv[1:]``; ``popen``: the rest of
    :class:`subprocess.Popen`'s arguments (its pipes). On Linux it ends when this process does, even by SIGKILL
    (:func:`die_with_parent`; elsewhere nothing does that, and Windows refuses the hook)."""
    import subprocess
    import sys

    module, function = target.split(":")
    return subprocess.Popen(  # noqa: S603 - this Python, this package
        [sys.executable, "-c", f"from {module} import {function}; {function}()", *args],
        preexec_fn=die_with_parent if sys.platform.startswith("linux") else None, **popen)


def write_all(stream, data: bytes) -> None:
    """Write every byte of ``data`` to ``stream`` (a pipe to or from a helper process), then flush it. One ``write``
    of a buffered pipe may take less than it is given and say so only in what it returns: with the process traced
    (py-spy, a debugger), a write of 27 MB returned after 68,800 to 855,232 bytes, no error raised, and the process
    ended with 0, its reader left with the rest missing.

    >>> import io
    >>> out = io.BytesIO(); write_all(out, b"abc"); out.getvalue()
    b'abc'
    """
    view = memoryview(data)
    while view:
        try:
            n = stream.write(view)
        except BlockingIOError as exc:  # (what it took before it would have waited)
            n = exc.characters_written
        if not n:  # (would block, or took nothing: asked again after a pause)
            time.sleep(0.001)
            continue
        view = view[n:]
    stream.flush()


def read_exactly(stream, n: int) -> bytes:
    """``n`` bytes from ``stream`` (a helper's pipe), fewer only where it ends first: one ``read(n)`` of a pipe may
    return less than ``n`` before its end (see :func:`write_all`); a read that would wait (``None``) is asked again.

    >>> import io
    >>> read_exactly(io.BytesIO(b"abcdef"), 4), read_exactly(io.BytesIO(b"ab"), 4)
    (b'abcd', b'ab')
    """
    chunks, left = [], n
    while left > 0:
        chunk = stream.read(left)
        if chunk is None:  # (would block: a blocking pipe says so only under a tracer's stops)
            time.sleep(0.001)
            continue
        if not chunk:  # its end
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def last_line(said: bytes) -> str:
    """The last line of what a process wrote (its standard error: its last word on why it ended), "" if nothing.

    >>> last_line(b"Traceback ...\\n  ...\\nOSError: no store here\\n"), last_line(b"")
    ('OSError: no store here', '')
    """
    lines = said.decode("utf-8", "replace").strip().splitlines()
    return lines[-1] if lines else ""


def few_heaps(arenas: int = 2) -> None:
    """Linux (glibc): let the threads started from now on share at most ``arenas`` heaps (``mallopt(M_ARENA_MAX)``);
    elsewhere nothing. Each thread that allocates may otherwise get a heap of its own, and what is freed in one
    stays with it, in pieces no trim hands back: building the store at a million triples (the engine's threads
    write it) from a command's thread left the command 90 MB resident before it read anything; 35 MB with two
    heaps set before the command's first thread started, 61 MB set only when the build began. The process keeps
    the setting."""
    import sys

    if not sys.platform.startswith("linux"):
        return
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").mallopt(-8, arenas)  # M_ARENA_MAX


def one_blas_thread() -> None:
    """The numerical library's matrix products in the thread that asks for them, not in a pool of its own (set before
    numpy is first imported; the processes a command starts inherit it). ``views`` runs two processes on two cores,
    each busy: OpenBLAS's threads, started for a page layout's product, then competed with the other process, and
    waited for work spinning (a layout took 0.48 s of CPU where one thread took 0.35 s). A setting the user made is
    kept."""
    import os

    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, "1")


@contextlib.contextmanager
def collector_off():
    """Python's cyclic garbage collector off for a while (then as it was): for a pass that makes a great many
    objects that live on, or that make no cycles, whose collections walk them again and again and find nothing.
    Unpickling the whole-graph network at 1M took 0.86 s with it, 0.33 s without; its full collections took 10.4 s
    of `views`' process and 8.7 s of its other (now about 4 s each), and about 3.5 s of `validate` on the second
    shape of data at 1M (38.5-39.2 s with them, 34.1-36.1 s without, 13 MB more held)."""
    import gc

    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def give_back_memory() -> None:
    """Linux (glibc): hand the heap's free pages back to the system (``malloc_trim``); elsewhere nothing. After a
    one-time pass that made and dropped much (building the store, reading every quote from it), the C library keeps
    the freed memory for the process: at a million triples, 257 MB after building the store (345 -> 88 MB resident
    once given back), and a command that goes on to draw the views held it to its end."""
    import sys

    if not sys.platform.startswith("linux"):
        return
    import ctypes
    import gc

    gc.collect()  # (what only the collector frees goes first)
    with contextlib.suppress(OSError, AttributeError):  # (another C library: no such call)
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def leave_network() -> bool:
    """Linux: this process leaves the machine's network for user and network namespaces of its own, with no interface
    but a loopback that is down: whatever a query makes of itself in the engine (SERVICE, LOAD), it reaches nothing.
    The process keeps its own user and group ids (mapped to themselves), so its files are read and written as before.
    Whether it took: not on other systems, not in a process that already runs threads (the kernel refuses), and not
    where unprivileged namespaces are not allowed; then the query guard is the only fence, as before.

    Called first thing by a command that needs no network (every one but ``push``, ``serve`` and ``query`` with
    ``--endpoint`` or ``--allow-network``), and by ``serve``'s engine workers between fork and exec."""
    import os
    import sys

    if not sys.platform.startswith("linux") or threading.active_count() > 1:
        return False
    import ctypes

    uid, gid = os.getuid(), os.getgid()
    try:
        if ctypes.CDLL("libc.so.6", use_errno=True).unshare(0x10000000 | 0x40000000) != 0:  # CLONE_NEWUSER | CLONE_NEWNET
            return False
    except (OSError, AttributeError):
        return False
    for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
        try:  # (the ids as they were; without a map they would read as "nobody")
            with open(f"/proc/self/{name}", "w") as fh:
                fh.write(text)
        except OSError:
            break
    return True
