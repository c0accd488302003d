"""Files at the boundary: written so a reader never sees half of one (temporary file, then rename), and read only
when they are regular files (a pipe or a device would block or never end)."""

from __future__ import annotations

import contextlib
import itertools
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

TYPE_CHECKING = False  # (typing.TYPE_CHECKING without importing typing: 3 ms of every command's start)
if TYPE_CHECKING:
    from typing import IO

TMP_SUFFIX = ".drugpolicy-kg.tmp"  # our temporary files, and only ours, end so: only these are ever cleaned up
PENDING: set[str] = set()  # temporary files being written now (removed by abandon_pending on a hard stop)


def abandon_pending() -> None:
    """Remove the temporary files being written now: for a command stopped from another thread (a time limit,
    Ctrl-C) that leaves with ``os._exit``. A file already renamed into place is whole and stays."""
    for tmp in list(PENDING):
        with contextlib.suppress(OSError):
            os.unlink(tmp)


_SERIAL = itertools.count()


def open_temporary(target: Path, st: os.stat_result | None, scratch: Path | None = None) -> tuple[int, str]:
    """A new temporary file beside ``target`` (its folder made if need be), or in ``scratch`` (a
    :func:`scratch_folder` of the same file system), this process's alone (created exclusively; its name ends in
    TMP_SUFFIX), open for writing, with the permissions the file is to keep: the replaced file's, or what the umask
    gives a new one. (A name from the process id and a counter, not ``tempfile.mkstemp``'s random one: a site writes
    thousands of pages, and mkstemp, the chmod after it and the folder made each time took a third of a millisecond
    a page.)"""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    where = target.parent if scratch is None else Path(scratch)
    for _ in range(1000):
        tmp = os.path.join(where, f".{target.name[:100]}.{os.getpid()}-{next(_SERIAL)}{TMP_SUFFIX}")
        try:
            fd = os.open(tmp, flags, 0o666)  # (the umask applies, as to any new file)
        except FileExistsError:  # (left by a killed process of the same id, or put there by someone: another name)
            continue
        except FileNotFoundError:
            where.mkdir(parents=True, exist_ok=True)
            continue
        if st is not None:
            if hasattr(os, "fchmod"):
                os.fchmod(fd, st.st_mode & 0o777)  # as the file was
            else:  # pragma: no cover - Windows before Python 3.13
                os.chmod(tmp, st.st_mode & 0o777)
        return fd, tmp
    raise FileExistsError(f"no temporary file could be made beside {target}")


@contextlib.contextmanager
def scratch_folder(folder: str | os.PathLike[str]) -> Iterator[Path]:
    """A hidden folder of this process's own in ``folder``, for the temporary files of many :func:`atomic_write`
    calls into ``folder`` (each still renamed onto its target: a reader sees whole files only); removed after.

    Two processes that create thousands of files in one folder at once wait on each other: on this machine's ext4,
    45,000 pages made and renamed by two processes took 21 s, against 2.4 s for one process alone; with their
    temporary files made in folders of their own, 2.6-6 s. A killed process's folder, named as its temporary files
    are, is removed with them (:func:`clear_after_kill`, and by the next command after an hour)."""
    import shutil

    path = Path(folder) / f".{os.getpid()}-{next(_SERIAL)}{TMP_SUFFIX}"
    path.mkdir(parents=True)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def read_regular(path: str | os.PathLike[str], what: str = "file", limit: int | None = None) -> bytes:
    """The bytes of a regular file, at most ``limit``; anything else is one InputError naming it. A FIFO, a device or
    a folder is refused from the opened descriptor itself (no hang on a FIFO with no writer, no race with a rename).

    >>> read_regular("/dev/null")
    Traceback (most recent call last):
    ...
    drugpolicy_kg.errors.InputError: /dev/null: not a regular file (a device, a pipe or a folder): a file is refused
    """
    import stat

    from drugpolicy_kg.errors import InputError

    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise InputError(f"{what} not found", str(path)) from None
    except OSError as exc:
        raise InputError(f"cannot read the {what}: {exc.strerror}", str(path)) from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise InputError(f"not a regular file (a device, a pipe or a folder): a {what} is refused", str(path))
    with os.fdopen(fd, "rb") as fh:
        try:
            data = fh.read() if limit is None else fh.read(limit + 1)
        except OSError as exc:
            raise InputError(f"cannot read the {what}: {exc.strerror}", str(path)) from None
    if limit is not None and len(data) > limit:
        raise InputError(f"larger than {limit:,} bytes: too large for a {what}", str(path))
    return data


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str], mode: str = "w", encoding: str | None = "utf-8",
                 newline: str | None = None, durable: bool = True, scratch: Path | None = None) -> Iterator[IO]:
    """Open a temporary file beside ``path`` (or in ``scratch``: see :func:`scratch_folder`); on success rename it
    over ``path``.

    On any error the temporary file is removed and ``path`` is left as it was. ``durable`` flushes the file to the
    disk before the rename, so it survives a power cut too; the pages of a site (thousands of files a command can
    write again) skip that, which saved 13% of `views` at 100k triples. A killed process leaves them whole either way.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
    >>> with atomic_write(p) as fh:
    ...     _ = fh.write("hello")
    >>> p.read_text()
    'hello'
    """
    import stat

    from drugpolicy_kg.errors import InputError

    target = Path(path)
    binary = "b" in mode
    try:
        st = os.stat(target)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise InputError(f"cannot write here: {exc.strerror}", str(target)) from None
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise InputError("is a folder: give a file name to write", str(target))
    if st is not None and not stat.S_ISREG(st.st_mode):  # a device or a pipe (/dev/null, /dev/stdout): write into it,
        with open(target, mode, encoding=None if binary else encoding,  # never rename a file onto it
                  newline=None if binary else newline) as fh:
            yield fh
        return
    fd, tmp = open_temporary(target, st, scratch)
    PENDING.add(tmp)
    try:
        with os.fdopen(fd, mode, encoding=None if binary else encoding, newline=None if binary else newline) as fh:
            yield fh
            fh.flush()
            if durable:
                os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    finally:
        PENDING.discard(tmp)


def write_page(path: str | os.PathLike[str], text: str, scratch: Path | None = None) -> bool:
    """Write ``text`` (UTF-8) to ``path`` as :func:`atomic_write` does (not flushed to the disk: a page of a site),
    unless the file already holds exactly those bytes: then it is left as it is (its time too). Returns whether it
    was written. A site written again over itself rewrites only the pages that changed: replacing 45,000 unchanged
    pages (a new file made, renamed over the old, the old one freed) took 10 s of the 80 s `views` took at a
    million triples; comparing reads each page once (45,732 pages read twice, each with a stat: 1.8 s).

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "page.html"
    >>> write_page(p, "<p>é</p>"), write_page(p, "<p>é</p>"), write_page(p, "<p>e</p>"), p.read_text()
    (True, False, True, '<p>e</p>')
    """
    import stat

    data = text.encode("utf-8")
    try:
        st = os.stat(path)
    except OSError:
        st = None
    if st is not None and stat.S_ISREG(st.st_mode) and st.st_size == len(data):
        try:
            with open(path, "rb") as fh:
                same = fh.read(len(data) + 1) == data
        except OSError:
            same = False
        if same:
            return False
    with atomic_write(path, "wb", durable=False, scratch=scratch) as fh:
        fh.write(data)
    return True


def write_all(files: dict[Path, bytes] | Iterable[tuple[Path, bytes]], journal: Path | None = None) -> list[Path]:
    """Write several files as one change: every file to a temporary beside its target first, then all renamed in
    one step during which Ctrl-C and SIGTERM wait. Interrupted or failing before that step, no target changes and
    the temporaries are removed; so a reader sees all the old files or all the new ones, never a mix. ``files`` may
    be pairs made one at a time (a generator): each file's bytes are written, and can be let go, before the next is
    made.

    A SIGKILL or a power cut cannot be made to wait: with a ``journal``, the renames are recorded there (written
    whole, after every temporary is on disk) before the first one is made, and the journal is removed after the
    last; :func:`finish_interrupted` completes a change the journal records, so the next command that reads the
    files finds all of them new."""
    import json

    staged: list[tuple[str, Path]] = []
    written: list[Path] = []
    try:
        for target, data in (files.items() if isinstance(files, dict) else files):
            target = Path(target)
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.exists() and not target.is_file():
                from drugpolicy_kg.errors import InputError

                raise InputError("exists and is not a regular file: not replaced", str(target))
            fd, tmp = open_temporary(target, target.stat() if target.exists() else None)
            staged.append((tmp, target))
            written.append(target)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            data = None  # (let go before the next file is made)
        with uninterrupted():  # the commit: nothing interrupts it
            if journal is not None:
                record = json.dumps({"renames": [[str(Path(t).resolve()), str(Path(d).resolve())] for t, d in staged]})
                with atomic_write(journal, "w") as fh:
                    fh.write(record)
            for tmp, target in staged:
                os.replace(tmp, target)
            staged = []
            if journal is not None:
                Path(journal).unlink()
    finally:
        for tmp, _ in staged:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
    return [Path(t) for t in written]


@contextlib.contextmanager
def uninterrupted() -> Iterator[None]:
    """Ctrl-C and SIGTERM wait until the block has ended, then act as they would have.

    Blocking the two signals in this thread is not enough: the kernel hands a signal sent to the process to any
    thread that does not block it (the engine's own threads, RocksDB's), and Python then runs its handler in the
    main thread wherever that stands, in the middle of the renames too. So in the main thread the Python handlers
    are also set aside for the block, what arrives is noted, and the handler that was set is called after it (the
    command's, which unwinds as Ctrl-C does; the default, which ends the process). In another thread, where no
    Python handler runs, the signals are blocked as before."""
    import signal
    import threading

    wanted = (signal.SIGINT, signal.SIGTERM)
    if threading.current_thread() is not threading.main_thread():
        old = signal.pthread_sigmask(signal.SIG_BLOCK, set(wanted))
        try:
            yield
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, old)
        return
    heard: list[tuple[int, object]] = []
    previous = {sig: signal.getsignal(sig) for sig in wanted}
    for sig in wanted:
        signal.signal(sig, lambda signum, frame: heard.append((signum, frame)))
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)
        if heard:
            signum, frame = heard[0]
            handler = previous[signum]
            if callable(handler):
                handler(signum, frame)  # (raises KeyboardInterrupt: Python's for Ctrl-C, the command's for SIGTERM)
            elif handler in (signal.SIG_DFL, None):
                signal.raise_signal(signum)


def finish_interrupted(journal: Path) -> int:
    """Complete the change a :func:`write_all` journal records, if one was cut short (by SIGKILL, a power cut): each
    recorded temporary still there is renamed onto its target, then the journal is removed. Returns the files
    completed (0 when there was nothing to do). A journal that cannot be read is removed: it was never committed."""
    import json

    journal = Path(journal)
    if not journal.is_file():
        return 0
    try:
        renames = json.loads(journal.read_text(encoding="utf-8"))["renames"]
        pairs = [(Path(t), Path(d)) for t, d in renames]
    except (OSError, ValueError, KeyError, TypeError):
        pairs = []
    done = 0
    for tmp, target in pairs:
        if tmp.is_file() and tmp.parent == target.parent and tmp.name.endswith(TMP_SUFFIX):
            os.replace(tmp, target)
            done += 1
    journal.unlink(missing_ok=True)
    return done


LOCK_NAME = ".drugpolicy-kg.lock"
STALE_AFTER = 3600.0  # seconds: a temporary file this old was left by a killed process


def output_folder(folder: str | os.PathLike[str]) -> Path:
    """The folder a command is to write into, refused at once (before any work) where a file of that name exists.

    >>> output_folder("/dev/null")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    drugpolicy_kg.errors.InputError: /dev/null: exists and is not a folder: give a folder to write into
    """
    path = Path(folder)
    if path.exists() and not path.is_dir():
        from drugpolicy_kg.errors import InputError

        raise InputError("exists and is not a folder: give a folder to write into", str(path))
    return path


def clear_after_kill(folder: str | os.PathLike[str], wait: float = 2.0) -> None:
    """Remove every temporary file of ours in ``folder`` once its lock is free (waiting at most ``wait`` seconds for
    it): called by a helper process whose command died without cleaning up (SIGKILL), so that the files it was
    writing do not wait an hour for the next run to remove them. Where another command holds the lock after that
    time, its files are not ours to remove, and nothing is."""
    import time

    from drugpolicy_kg.locks import exclusive

    path = Path(folder)
    try:
        fh = open(path / LOCK_NAME, "a+")  # noqa: SIM115 - closed below
    except OSError:
        return
    with fh:
        deadline = time.monotonic() + wait
        while not exclusive(fh.fileno(), blocking=False):  # the dying command's lock goes with its last thread
            if time.monotonic() > deadline:
                return
            time.sleep(0.02)
        _remove_ours(path)


def _remove_ours(path: Path, older_than: float | None = None) -> None:
    """Remove the temporary files of ours in ``path`` and below (those modified more than ``older_than`` seconds ago,
    if given): what a killed run left. Only call it holding the folder's lock."""
    import shutil
    import time

    now = time.time()
    for tmp in path.rglob(f".*{TMP_SUFFIX}"):  # only what this project wrote (a scratch_folder too)
        with contextlib.suppress(OSError):
            if older_than is None or now - tmp.stat().st_mtime > older_than:
                if tmp.is_dir() and not tmp.is_symlink():
                    shutil.rmtree(tmp)
                else:
                    tmp.unlink()


@contextlib.contextmanager
def folder_lock(folder: str | os.PathLike[str], timeout: float = 600.0) -> Iterator[Path]:
    """Hold an exclusive lock on an output folder, so two commands writing it take turns.

    While the lock is held, temporary files that a killed run left behind (older than an hour)
    are removed.

    >>> import tempfile
    >>> with folder_lock(tempfile.mkdtemp()) as d:
    ...     (d / LOCK_NAME).exists()
    True
    """
    import time

    from drugpolicy_kg.locks import exclusive

    path = output_folder(folder)
    path.mkdir(parents=True, exist_ok=True)
    fh = open(path / LOCK_NAME, "a+")  # noqa: SIM115 - closed in finally
    try:
        deadline = time.monotonic() + timeout
        while True:
            if exclusive(fh.fileno(), blocking=False):
                break
            if time.monotonic() > deadline:
                from drugpolicy_kg.errors import BusyError

                raise BusyError(f"another drugpolicy-kg command holds the lock on {path}; try again when it "
                                "has finished") from None
            time.sleep(0.1)
        _remove_ours(path, older_than=STALE_AFTER)
        yield path
    finally:
        fh.close()


SITE_LIST = ".drugpolicy-kg-files"  # the files a site's last run wrote, one relative path a line (see prune_site)


def prune_site(folder: str | os.PathLike[str], written) -> list[str]:
    """After a run has written a site into ``folder`` (holding its lock): remove the files the run before listed as
    its own and this one did not write (``written``: paths in ``folder``), then list this run's. A page of an entity
    the data no longer holds, a network page past the new last one, would otherwise stay, stale, beside the pages
    that replaced them. Only a regular file the last list names is removed, inside ``folder``, and not one changed
    since that list was written (another command's now); a folder that has no list (an older run's, or never a
    site) loses nothing. Returns the paths removed.

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> for name in ("a.html", "b.html", "mine.txt"):
    ...     _ = (d / name).write_text(name)
    >>> prune_site(d, [d / "a.html", d / "b.html"]), prune_site(d, [d / "a.html"]), sorted(p.name for p in d.iterdir())
    ([], ['b.html'], ['.drugpolicy-kg-files', 'a.html', 'mine.txt'])
    """
    import stat

    root = Path(folder)
    names = sorted({os.path.relpath(p, root) for p in written} - {SITE_LIST})
    listed = root / SITE_LIST
    try:
        when = listed.stat().st_mtime
        earlier = listed.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeError):
        when, earlier = 0.0, []
    inside, keep, removed = root.resolve(), set(names), []
    for name in earlier:
        if not name or name in keep:
            continue
        path = root / name
        with contextlib.suppress(OSError, ValueError):
            if inside not in path.parent.resolve().parents and path.parent.resolve() != inside:
                continue  # (a name that leads out of the folder: not a site's file)
            st = path.lstat()
            if stat.S_ISREG(st.st_mode) and st.st_mtime <= when:
                path.unlink()
                removed.append(name)
    with atomic_write(listed, durable=False) as fh:
        fh.write("".join(name + "\n" for name in names if "\n" not in name))
    return removed
