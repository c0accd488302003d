"""The command's process: the ``drugpolicy-kg`` script and ``python -m drugpolicy_kg``.

SIGTERM is answered as Ctrl-C is from the process's first instant: the handler is set before the command's modules
are imported (a SIGTERM while they were being imported had ended the process with the system's default, -15, not
the documented 130), and :func:`drugpolicy_kg.cli.run` keeps one until the process has left.
"""

import signal
import sys


def run() -> None:
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # (raises KeyboardInterrupt, as Ctrl-C does)
    try:
        from drugpolicy_kg.cli import run as command
    except KeyboardInterrupt:  # nothing was begun
        sys.stderr.write("drugpolicy-kg: interrupted\n")
        sys.exit(130)
    command()


if __name__ == "__main__":
    run()
