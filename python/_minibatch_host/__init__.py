"""minibatch worker host: runs an Azure ML parallel-run entry script.

Stdlib-only, Python >= 3.8, shipped in the npm package; nothing is ever pip-installed. minibatch
starts it through minibatch_host.py, which imports this package (so its compiled code is cached).
One module per part: entry (the user's entry script), rows (counting and rows), serving (worker
mode), fork_server, debug, dataset (mini_batch_context.dataset with partition keys).

Worker mode (started by the Node pool, src/workers/python-worker.ts):

    <python> -u minibatch_host.py

    fd 3  JSON lines from the parent: init, run, cancel, shutdown
    fd 4  JSON lines to the parent: hello, ready | init_failed, result | run_failed, cancelled,
          bye  (the types are in src/workers/protocol.ts; keep both in step). Answers to runs
          leave in groups; the run in progress is in a small file the parent reads (RunStateFile).
    fd 1/2  the user's stdout/stderr log files, never parsed

Fork-server mode (the first workers of a pool, src/workers/fork-server.ts):

    <python> -u minibatch_host.py --fork-server '[["worker-0", 0], ["worker-1", 1]]'

    One Python start-up for all of them: forks one worker per [name, slot] and reports on fd 3
    {"type": "forked", "slot", "pid"} and {"type": "exited", "pid", "code", "signal"} lines.
    Worker i's fds are 4+4i (its fd 3), 5+4i (its fd 4), 6+4i and 7+4i (its stdout and stderr);
    each becomes a worker as above, in its own process group (made before its pid is reported, so
    that the parent can kill the group at once). The server exits once they all have.

Debug mode (`minibatch debug`):

    <python> minibatch_host.py --debug REQUEST.json

    REQUEST.json holds {"init": <init message>, "run": <run message>, "pdb": <bool>}. Runs init()
    and one run() in the foreground, attached to the terminal (stdin/stdout inherited, so
    breakpoint() and pdb work; with "pdb", pdb starts post mortem when init() or run() raises),
    prints what run() returned and how minibatch would count it, calls shutdown(), and exits 0 when
    every item of the mini-batch would succeed, 1 otherwise.
"""

import json
import os
import sys

from . import fork_server as _fork_server
from . import serving


def main(argv):
    if len(argv) == 2 and argv[0] == '--debug':
        from .debug import debug
        sys.exit(debug(argv[1]))
    if len(argv) == 2 and argv[0] == '--fork-server':
        _fork_server.fork_server(json.loads(argv[1]))
        # At once: the server ran no user code and holds nothing to flush, and the parent waits for
        # its exit, which the interpreter's shutdown would delay by milliseconds.
        os._exit(0)
    usage = 'usage: minibatch_host.py [--debug REQUEST.json] (without --debug, minibatch starts it with fds 3 and 4)'
    if argv:
        print(usage, file=sys.stderr)
        sys.exit(2)
    try:
        os.fstat(3)
        os.fstat(4)
    except OSError:
        print(usage, file=sys.stderr)
        sys.exit(2)
    serving.serve()
