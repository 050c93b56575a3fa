"""Run a command in a real pseudo-terminal and read everything it drew there."""
from __future__ import annotations

import os
import pty
import subprocess


def run_in_terminal(cmd: list[str], *, stderr_to_terminal: bool = True, timeout: float = 120) -> tuple[int, str]:
    """The exit code and the whole screen output (escape sequences included) of ``cmd``
    run with a terminal as its stdout (and stderr, unless ``stderr_to_terminal`` is false)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(cmd, stdout=slave, stderr=slave if stderr_to_terminal else subprocess.DEVNULL)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    code = proc.wait(timeout=timeout)
    os.close(master)
    return code, b"".join(chunks).decode("utf-8", "replace")
