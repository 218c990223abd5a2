"""Worker mode: the host serves the orchestrator on its pipes (fd 3 in, fd 4 out) until `shutdown`
or the orchestrator's death; the run in progress is in the run-state file (RunStateFile)."""

import collections
import faulthandler
import json
import logging
import mmap
import os
import select
import signal
import struct
import sys
import threading
import time
import traceback

from .entry import _clock, call_run, elapsed_ms, error_of, mini_batch_of, start_entry
from .rows import BadReturn, count

PROTOCOL_VERSION = 5  # keep in step with src/workers/protocol.ts

# Exit statuses of the host itself (the parent logs them; user code may use others).
EXIT_INIT_FAILED = 3
EXIT_ORPHANED = 4

# Bound once: an entry script named json.py must not change what the host calls.
_dumps = json.JSONEncoder(separators=(',', ':')).encode
_quote = json.encoder.encode_basestring_ascii  # a str as a JSON string, in C
_decode = json.JSONDecoder().decode  # a str; json.loads would check its argument first

# A queued run starts only after the pipe was checked for a `cancel` within this many seconds.
CANCEL_CHECK_S = 0.001
# Answers wait about this long (and at most until the main thread lets go of the GIL) to leave together.
GROUP_S = 0.001
# Held answers past this size leave at once: a group of big results must not grow without bound.
GROUP_MAX_CHARS = 1 << 16


class Channel:
    """fd 4: JSON lines, each written whole (a pipe write may be partial).

    The answers to runs (`result`, `run_failed`, `cancelled`) are held and leave in groups: written
    by the flusher thread about GROUP_S after the first of a group was held (even while a long run()
    goes on), by the main thread at once when it has nothing left to run, and before any other
    message. One write and one wake-up of the parent for many short mini-batches. Which run is in
    progress is in the run-state file (RunStateFile), so the parent still knows, when a process dies or
    hangs with answers held, which run did it: the runs before it finished.
    """

    def __init__(self, fd):
        self.fd = fd
        self.held = ''
        self.lock = threading.Lock()
        self.holding = threading.Event()
        threading.Thread(target=self._flusher, name='minibatch-flusher', daemon=True).start()

    def later(self, msg):
        self.hold(_dumps(msg) + '\n')

    def hold(self, line):
        with self.lock:
            if not self.held:
                self.holding.set()
            self.held += line
            full = len(self.held) >= GROUP_MAX_CHARS
        if full:
            self.flush()

    def send(self, msg):
        self.later(msg)
        self.flush()

    def later_result(self, rid, succeeded, rows, started_at, ms):
        """The answer of every mini-batch, formatted without the general encoder when it has no rows (bench/)."""
        if rows is not None:
            self.later({'type': 'result', 'id': rid, 'succeeded': succeeded, 'rows': rows, 'startedAt': started_at,
                        'durationMs': ms})
            return
        self.hold('{"type":"result","id":%s,"succeeded":%d,"rows":null,"startedAt":%d,"durationMs":%.4f}\n'
                  % (_quote(rid), succeeded, started_at, ms))

    def flush(self):
        with self.lock:
            if not self.held:
                return
            data = self.held.encode('utf-8')
            self.held = ''
            self.holding.clear()
            fd = self.fd
            try:
                while data:
                    data = data[os.write(fd, data):]
            except OSError:  # the parent is gone
                orphaned()

    def _flusher(self):
        while True:
            self.holding.wait()
            time.sleep(GROUP_S)
            self.flush()


class RunStateFile:
    """The run-state file the parent made for this worker (`stateFile` in `init`): 16 bytes, the id
    of the run last started and when it started (time.monotonic(), in ms: the parent reads the same
    clock), as two little-endian doubles; the id is negated once that run has ended and the host
    waits for its next message. Written before each run() and before each wait through a shared
    mapping, a store to memory rather than a system call. The parent reads it on its timeout timer,
    when it rebalances, and when the process dies (src/workers/run-state.ts)."""

    def __init__(self, path):
        self.mm = None
        self.fd = None
        self.rid = 0.0
        self.started = 0.0
        if path is None:  # debug mode: nobody watches
            return
        fd = os.open(path, os.O_RDWR)
        try:
            self.mm = mmap.mmap(fd, 16)
            os.close(fd)
        except (OSError, ValueError):  # a file system without shared mappings: a write per run
            self.fd = fd

    def running(self, rid):
        self.rid = float(rid)
        self.started = time.monotonic() * 1000
        self._write(self.rid)

    def waiting(self):
        """The last run has ended, every answer has left, and the host waits for its pipe."""
        if self.rid > 0:
            self._write(-self.rid)

    def _write(self, rid):
        if self.mm is not None:
            struct.pack_into('<dd', self.mm, 0, rid, self.started)
        elif self.fd is not None:
            os.pwrite(self.fd, struct.pack('<dd', rid, self.started), 0)


class Inbox:
    """fd 3, read by the main thread; a watchdog thread sees the parent's death (docs/ARCHITECTURE.md, "Host channels").

    The watchdog polls fd 3 for hang-up only: it never reads, never takes the GIL while waiting,
    and so costs nothing per mini-batch, yet exits the process even while run() is busy.
    Before a queued message is taken, whatever has arrived is read (at most every CANCEL_CHECK_S),
    so that a `cancel` overtakes the prefetched `run` it withdraws.
    """

    def __init__(self, fd, out):
        self.fd = fd
        self.out = out
        self.checked_at = 0.0
        self.parts = []
        self.messages = collections.deque()
        self.shutting_down = False
        self.ready = select.poll()
        self.ready.register(fd, select.POLLIN)
        threading.Thread(target=self._watch, name='minibatch-watchdog', daemon=True).start()

    def _watch(self):
        hangup = select.poll()
        hangup.register(self.fd, 0)  # POLLHUP and POLLERR are reported whatever the mask
        while True:
            for _fd, event in hangup.poll():
                if event & (select.POLLHUP | select.POLLERR | select.POLLNVAL):
                    if not self.shutting_down:
                        orphaned()  # the orchestrator died: exit now, whatever run() is doing
                    return

    def _read(self):
        self.checked_at = _clock()
        data = os.read(self.fd, 65536)
        if not data:
            if not self.shutting_down:
                orphaned()
            self.messages.append(None)
            return
        if b'\n' not in data:  # part of a long message: joined once it is whole
            self.parts.append(data)
            return
        if self.parts:
            self.parts.append(data)
            data = b''.join(self.parts)
            self.parts = []
        whole, _, rest = data.rpartition(b'\n')
        if rest:
            self.parts.append(rest)
        # Decoded once for all the lines (no UTF-8 sequence holds a newline byte): json.loads of each
        # line's bytes would detect and decode per message, and cost more than parsing it (bench/).
        for line in whole.decode('utf-8').split('\n'):
            msg = _decode(line)
            kind = msg['type']
            if kind == 'cancel':
                self._withdraw(msg['id'])
                continue
            if kind == 'shutdown':
                self.shutting_down = True
            self.messages.append(msg)

    def _withdraw(self, rid):
        """A `cancel`: the run, if it still waits here, is dropped and answered at once (the parent
        gives it to another worker). One already started or answered is not affected."""
        for msg in self.messages:
            if msg is not None and msg['type'] == 'run' and msg['id'] == rid:
                self.messages.remove(msg)
                self.out.later({'type': 'cancelled', 'id': rid})
                return

    def get(self, state):
        # (When empty, the blocking read below takes all.) Short runs are not followed by a poll
        # each: a system call per mini-batch cost more than the mini-batch (bench/).
        if self.messages and _clock() - self.checked_at >= CANCEL_CHECK_S:
            if self.ready.poll(0):
                self._read()
            else:
                self.checked_at = _clock()
        while not self.messages:
            self.out.flush()  # nothing left to run: what is held leaves now
            state.waiting()
            self._read()
        return self.messages.popleft()


def orphaned():
    """The orchestrator is gone: take our process group with us (processes run() started too), so
    that nothing is left behind (no orphaned Python processes, ever). We are the group's
    leader (the pool starts us detached), so this never reaches the orchestrator's own group."""
    try:
        if os.getpgid(0) == os.getpid():
            os.killpg(0, signal.SIGKILL)
    except OSError:
        pass
    os._exit(EXIT_ORPHANED)


def serve():
    # Ctrl-C reaches the whole process group; it is the orchestrator's to handle (docs/ARCHITECTURE.md, "Host channels").
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # On a timeout the parent sends SIGTERM: dump where run() was stuck to the stderr log, then die.
    faulthandler.register(signal.SIGTERM, file=sys.stderr, all_threads=False, chain=True)
    # The protocol pipes must not leak into the user's subprocesses.
    os.set_inheritable(3, False)
    os.set_inheritable(4, False)
    out = Channel(4)
    out.send({'type': 'hello', 'version': PROTOCOL_VERSION, 'pid': os.getpid(), 'executable': sys.executable,
              'pythonVersion': '%d.%d.%d' % sys.version_info[:3]})
    inbox = Inbox(3, out)
    entry = None
    state = RunStateFile(None)
    while True:
        msg = inbox.get(state)
        if msg is None:
            break
        kind = msg['type']
        if kind == 'run':
            serve_run(entry, msg, out, state)
        elif kind == 'init':
            t0 = _clock()
            state = RunStateFile(msg['stateFile'])
            entry, error = start_entry(msg)
            ms = elapsed_ms(t0)
            if error is not None:
                out.send({'type': 'init_failed', 'error': error, 'durationMs': ms})
                finish(EXIT_INIT_FAILED)
            out.send({'type': 'ready', 'durationMs': ms})
        elif kind == 'shutdown':
            break
    out.flush()
    if entry is not None and entry.shutdown is not None:
        try:
            entry.shutdown()
        except BaseException:
            traceback.print_exc()
    out.send({'type': 'bye'})
    finish(0)


def serve_run(entry, msg, out, state):
    """Runs one mini-batch: the run-state file says so first; its answer is held (Channel)."""
    rid = msg['id']
    state.running(rid)
    started_at = int(time.time() * 1000)
    t0 = _clock()
    try:
        mini_batch, items = mini_batch_of(msg)  # counted before run() can change the list
        succeeded, rows = count(call_run(entry, msg, mini_batch), items, entry.row_format)
    except BadReturn as exc:
        out.later({'type': 'run_failed', 'id': rid, 'failure': 'bad_return',
                   'error': {'type': 'BadReturn', 'message': str(exc), 'traceback': ''}, 'startedAt': started_at,
                   'durationMs': elapsed_ms(t0)})
    except BaseException as exc:  # SystemExit from run() fails the try, not the worker
        out.later({'type': 'run_failed', 'id': rid, 'failure': 'raised', 'error': error_of(exc), 'startedAt': started_at,
                   'durationMs': elapsed_ms(t0)})
    else:
        out.later_result(rid, succeeded, rows, started_at, elapsed_ms(t0))


def finish(code):
    """Exit without joining the user's non-daemon threads (they would hang the exit); atexit still runs."""
    try:
        import atexit
        atexit._run_exitfuncs()
    except BaseException:
        pass
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
    os._exit(code)
