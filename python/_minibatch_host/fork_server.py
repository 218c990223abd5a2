"""Fork-server mode: one Python start-up for the first workers of a pool; forks one worker per
[name, slot], reports them on fd 3, and reaps them."""

import json
import os
import signal

from . import serving


def fork_server(slots):
    """Forks a worker per (name, slot) from this one start-up, then reaps them (see the docstring)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    status = 3
    forked = {}
    for i, (name, slot) in enumerate(slots):
        base = 4 + 4 * i
        pid = os.fork()
        if pid == 0:
            # The worker: its own process group (a timeout kills what run() started), its own fds
            # only, so that the parent sees its pipes close when it dies, and its name.
            os.setpgid(0, 0)
            for target, source in ((3, base), (4, base + 1), (1, base + 2), (2, base + 3)):
                os.dup2(source, target)
            os.closerange(5, 5 + 4 * len(slots))
            os.environ['MINIBATCH_WORKER_ID'] = name
            os.environ['MINIBATCH_WORKER_SLOT'] = str(slot)
            serving.serve()
            os._exit(0)  # serve() exits; never fall back into the server's loop
        try:
            # Here too, so that the group exists before the parent hears of the pid and may kill it.
            os.setpgid(pid, pid)
        except OSError:
            pass  # the child did it first, or is already gone
        forked[pid] = slot
        report(status, {'type': 'forked', 'slot': slot, 'pid': pid})
    os.closerange(4, 4 + 4 * len(slots))
    while forked:
        pid, wait_status = os.wait()
        if forked.pop(pid, None) is None:
            continue
        if os.WIFSIGNALED(wait_status):
            number = os.WTERMSIG(wait_status)
            try:
                code, sig = None, signal.Signals(number).name
            except ValueError:
                code, sig = None, 'SIG%d' % number
        else:
            code, sig = os.WEXITSTATUS(wait_status), None
        report(status, {'type': 'exited', 'pid': pid, 'code': code, 'signal': sig})


def report(fd, msg):
    try:
        os.write(fd, (json.dumps(msg) + '\n').encode())
    except OSError:
        pass  # the orchestrator is gone: its workers see it and exit, and are reaped all the same
