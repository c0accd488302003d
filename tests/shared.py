"""What a command prints on the shipped project, run once for the whole test session and shared by the tests that
read it, across pytest-xdist's workers (a file lock makes the others wait for the first and read its answer).

The shipped project does not change while the suite runs (tests that change data change a copy), so a command's
answer on it is the same for every test that asks; ``validate`` on the whole graph takes 12-20 s, and five tests
read what it prints."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path


def shared_folder() -> Path:
    """A folder of this test session, the same for every worker (set before the workers start)."""
    return Path(os.environ["DRUGPOLICY_KG_TEST_SHARED"])


def shipped(*argv: str) -> tuple[int, str, str]:
    """The exit code, standard output and standard error of ``drugpolicy-kg ARGV`` on the shipped project, run in a
    fresh process as a user runs it (not a terminal: the default width)."""
    from filelock import FileLock

    key = hashlib.sha256(json.dumps(argv).encode()).hexdigest()[:16]
    answer = shared_folder() / f"run-{key}.json"
    with FileLock(str(answer.with_suffix(".lock"))):
        if answer.is_file():
            return tuple(json.loads(answer.read_text(encoding="utf-8")))
        env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
        proc = subprocess.run([sys.executable, "-m", "drugpolicy_kg.cli", *argv], capture_output=True, text=True,
                              env=env, timeout=600, check=False)
        got = (proc.returncode, proc.stdout, proc.stderr)
        tmp = answer.with_suffix(".tmp")
        tmp.write_text(json.dumps(got), encoding="utf-8")
        tmp.replace(answer)
        return got
