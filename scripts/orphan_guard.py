"""`python scripts/orphan_guard.py PARENT_PID PROGRAM [ARG ...]` (Linux): run PROGRAM so
that it gets SIGTERM when the process PARENT_PID dies, however that process dies (even by
SIGKILL), instead of living on as an orphan.

It asks the kernel for the signal (prctl PR_SET_PDEATHSIG), checks that its parent is still
PARENT_PID (it may have died before the request took effect), then becomes PROGRAM in the
same process (exec, PROGRAM looked up on PATH): same pid, same process group. `make run`
starts its web server, worker and beat through it, and the tests start their Celery
workers, beat and `make run` itself through it."""

import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1

if __name__ == "__main__":
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != int(sys.argv[1]):
        sys.exit(1)  # the parent died before the request took effect
    os.execvp(sys.argv[2], sys.argv[2:])
