"""The command's process: the ``drugpolicy-kg`` script and ``python -m drugpolicy_kg``.

SIGTERM is answered as Ctrl-C is from the process's first instant. While the command's modules are imported, both
signals are only noted, and the process leaves with 130 once the import is done: a KeyboardInterrupt raised inside
an import can come out as another error (Python wraps it in a RuntimeError where it lands in a class's
``__set_name__``), which printed a traceback and ended with 1. A SIGTERM before any handler had ended the process
with the system's default, -15. :func:`drugpolicy_kg.cli.run` keeps a handler until the process has left.
"""

import signal
import sys


def run() -> None:
    noted: list[int] = []
    previous = signal.getsignal(signal.SIGINT)
    if previous is not signal.SIG_IGN:  # (a process started with Ctrl-C ignored, as `nohup` does, keeps it so)
        signal.signal(signal.SIGINT, lambda signum, frame: noted.append(signum))
    signal.signal(signal.SIGTERM, lambda signum, frame: noted.append(signum))
    from drugpolicy_kg.cli import run as command

    signal.signal(signal.SIGTERM, signal.default_int_handler)  # (raises KeyboardInterrupt, as Ctrl-C does)
    if previous is not None:  # (None: a handler not set from Python, left as it is)
        signal.signal(signal.SIGINT, previous)
    if noted:  # nothing was begun
        sys.stderr.write("drugpolicy-kg: interrupted\n")
        sys.exit(130)
    command()


if __name__ == "__main__":
    run()
