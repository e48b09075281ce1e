"""Run one step of scripts/test.sh and print its wall time and CPU seconds: usage
`python scripts/timed.py LABEL COMMAND...`; exits with the command's status.

The CPU is that command's own and its children's, taken with os.wait4 on that one process. Bash's
`time` cannot give this while the side lane runs: it reports every child the shell reaps during the
step, so the side lane's whole CPU landed in whichever pytest pass was running when it ended.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time


def main() -> int:
    label, *command = sys.argv[1:]
    started = time.monotonic()
    try:
        child = subprocess.Popen(command)
    except OSError as exc:
        print(f"   step {label}: could not start {command[0]}: {exc}", flush=True)
        return 127
    # Passed on, so stopping the run stops the step (its own process group is the shell's).
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda number, _frame: child.send_signal(number))
    while True:  # a signal's handler runs and the wait goes on (PEP 475)
        try:
            _, status, usage = os.wait4(child.pid, 0)
            break
        except KeyboardInterrupt:
            continue  # the child got the same SIGINT from the terminal; wait for it to end
    print(
        f"   step {label}: {time.monotonic() - started:.3f} s wall, "
        f"{usage.ru_utime:.3f} s user + {usage.ru_stime:.3f} s sys CPU",
        flush=True,
    )
    code = os.waitstatus_to_exitcode(status)
    return code if code >= 0 else 128 - code


if __name__ == "__main__":
    sys.exit(main())
