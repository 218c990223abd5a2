"""minibatch worker host: runs an Azure ML parallel-run entry script (DESIGN.md §5-§6).

Stdlib-only, Python >= 3.8, shipped in the npm package; nothing is ever pip-installed. minibatch
starts it through minibatch_host.py, which imports this module (so its compiled code is cached).

Worker mode (started by the Node pool, src/workers/python-worker.ts):

    <python> -u minibatch_host.py

    fd 3  JSON lines from the parent: init, run, cancel, shutdown
    fd 4  JSON lines to the parent: hello, ready | init_failed, result | run_failed, cancelled,
          bye  (the types are in src/workers/protocol.ts; keep both in step). Answers to runs
          leave in groups; the run in progress is in a small file the parent reads (RunState).
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

    REQUEST.json holds {"init": <init message>, "run": <run message>}. Runs init() and one run() in
    the foreground, attached to the terminal (stdin/stdout inherited, so breakpoint() and pdb work),
    prints what run() returned and how minibatch would count it, calls shutdown(), and exits 0 when
    every item of the mini-batch would succeed, 1 otherwise.
"""

import collections
import faulthandler
import importlib.util
import json
import logging
import math
import mmap
import os
import select
import signal
import struct
import sys
import threading
import time
import traceback
import types

PROTOCOL_VERSION = 3

# inspect.CO_VARARGS, without importing inspect.
CO_VARARGS = 0x04

HERE = os.path.dirname(os.path.abspath(__file__))
SHIMS = os.path.join(HERE, 'shims')
AZUREML_SHIMS = os.path.join(HERE, 'shims_azureml')
HOST_FILE = os.path.abspath(__file__)

# Exit statuses of the host itself (the parent logs them; user code may use others).
EXIT_INIT_FAILED = 3
EXIT_ORPHANED = 4

# Bound once: an entry script named json.py or time.py must not change what the host calls.
_dumps = json.JSONEncoder(separators=(',', ':')).encode
_quote = json.encoder.encode_basestring_ascii  # a str as a JSON string, in C
_decode = json.JSONDecoder().decode  # a str; json.loads would check its argument first
_clock = time.perf_counter

# A queued run starts only after the pipe was checked for a `cancel` within this many seconds.
CANCEL_CHECK_S = 0.001
# Answers wait about this long (and at most until the main thread lets go of the GIL) to leave together.
GROUP_S = 0.001
# Held answers past this size leave at once: a group of big results must not grow without bound.
GROUP_MAX_CHARS = 1 << 16

ENTRY_LOG_FORMAT = '%(asctime)s %(levelname)s %(name)s [pid %(process)d] %(message)s'
EXPECTED = 'a list, tuple, generator or pandas DataFrame with one result per item'


def elapsed_ms(t0):
    return round((_clock() - t0) * 1000, 3)


class BadReturn(Exception):
    """run() returned something minibatch cannot count, or rows that do not fit a table."""


class MiniBatchContext:
    """The second argument of a two-argument run(), as on Azure ML."""

    __slots__ = ('minibatch_index', 'partition_key_value')

    def __init__(self, minibatch_index, partition_key_value):
        self.minibatch_index = minibatch_index
        self.partition_key_value = partition_key_value

    def __repr__(self):
        return 'MiniBatchContext(minibatch_index=%r, partition_key_value=%r)' % (
            self.minibatch_index, self.partition_key_value)


# ---------------------------------------------------------------------------------------------
# Errors as data

def error_of(exc):
    """{type, message, traceback} of an exception, without the host's own frames."""
    te = traceback.TracebackException(type(exc), exc, exc.__traceback__)
    te.stack = traceback.StackSummary.from_list(
        [f for f in te.stack if f.filename != HOST_FILE and not f.filename.startswith('<frozen importlib')])
    return {'type': type(exc).__name__, 'message': str(exc), 'traceback': ''.join(te.format())}


def bad_entry(message):
    return {'type': 'BadEntryScript', 'message': message, 'traceback': ''}


# ---------------------------------------------------------------------------------------------
# The entry script

class Entry:
    """The imported entry script: its run() and how to call it."""

    def __init__(self, module, run, two_args, shutdown, row_format):
        self.module = module
        self.run = run
        self.two_args = two_args
        self.shutdown = shutdown
        self.row_format = row_format


def configure_logging(init, also_terminal=False):
    """`logging` and EntryScript().logger write to the entry log with timestamps (DESIGN §7)."""
    handler = logging.FileHandler(init['entryLogFile'], mode='a', encoding='utf-8')
    handler.setFormatter(logging.Formatter(ENTRY_LOG_FORMAT))
    root = logging.getLogger()
    root.addHandler(handler)
    if also_terminal:
        terminal = logging.StreamHandler(sys.stderr)
        terminal.setFormatter(logging.Formatter(ENTRY_LOG_FORMAT))
        root.addHandler(terminal)
    root.setLevel(init['loggingLevel'])


def install_shims(init):
    """azureml_user always; the azureml.core shim only when the real azureml.core is absent (DESIGN §5)."""
    sys.path.insert(1, SHIMS)
    import _minibatch_context  # noqa: E402 -- lives in SHIMS
    _minibatch_context.configure(init)
    try:
        real = importlib.util.find_spec('azureml.core') is not None
    except Exception:  # 'azureml' itself missing, or a broken install
        real = False
    if not real:
        # A namespace package (no azureml/__init__.py), so other azureml.* packages still import.
        sys.path.append(AZUREML_SHIMS)


def load_entry(init):
    """chdir, sys.path, sys.argv, shims, logging; then import the entry script as a module."""
    entry_path = init['entry']
    working_dir = init['workingDir']
    os.chdir(working_dir)
    sys.path.insert(0, working_dir)
    sys.argv = [entry_path] + list(init['args'])
    install_shims(init)
    # Not '__main__': the script's `if __name__ == '__main__':` block must not run (DESIGN §5).
    name = os.path.splitext(os.path.basename(entry_path))[0]
    if name in sys.modules:
        name = 'minibatch_entry_' + name
    spec = importlib.util.spec_from_file_location(name, entry_path)
    if spec is None or spec.loader is None:
        raise ImportError('cannot import %s as a Python module' % entry_path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def takes_context(run):
    """run(mini_batch, mini_batch_context) when run() accepts a second positional argument."""
    code = getattr(run, '__code__', None)
    if type(run) is types.FunctionType and code is not None and not hasattr(run, '__wrapped__'):
        # A plain function: its code says it, without importing inspect (a worker's start-up).
        return bool(code.co_flags & CO_VARARGS) or code.co_argcount >= 2
    import inspect
    try:
        params = inspect.signature(run).parameters.values()
    except (TypeError, ValueError):
        return False
    positional = 0
    for p in params:
        if p.kind == p.VAR_POSITIONAL:
            return True
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            positional += 1
    return positional >= 2


def start_entry(init, also_terminal=False):
    """Logging, then import the entry and call init(). Returns (Entry, None) or (None, error)."""
    try:
        configure_logging(init, also_terminal)
        module = load_entry(init)
    except BaseException as exc:  # SystemExit at import time is an init failure too
        return None, error_of(exc)
    run = getattr(module, 'run', None)
    if not callable(run):
        return None, bad_entry('%s defines no run(mini_batch) function' % init['entry'])
    user_init = getattr(module, 'init', None)
    if callable(user_init):
        try:
            user_init()
        except BaseException as exc:
            return None, error_of(exc)
    shutdown = getattr(module, 'shutdown', None)
    return Entry(module, run, takes_context(run), shutdown if callable(shutdown) else None, init['rowFormat']), None


# ---------------------------------------------------------------------------------------------
# Counting and rows (DESIGN §4)

def describe(value, items):
    """A BadReturn message: what run() returned and what is expected."""
    t = type(value)
    what = 'None' if value is None else 'a %s' % (t.__name__ if t.__module__ == 'builtins' else t.__module__ + '.' + t.__qualname__)
    hint = ''
    if value is None:
        hint = ' (does run() end with a `return`?)'
    elif isinstance(value, (str, bytes)):
        hint = ' (wrap a single value in a list: `return [value]`)'
    elif isinstance(value, dict):
        hint = ' (return a list with one dict per item)'
    elif t.__module__ == 'numpy':
        hint = ' (convert it with `.tolist()`)'
    elif hasattr(value, '__iter__'):
        hint = ' (wrap it in list(...))'
    return 'run() returned %s; expected %s of the mini-batch (%d items)%s' % (what, EXPECTED, items, hint)


def cell(v):
    """A JSON-safe value for a table cell: numpy scalars become Python values, NaN becomes null."""
    t = type(v)
    if v is None or t is str or t is int or t is bool:
        return v
    if t is float:
        return v if math.isfinite(v) else None
    if t is list or t is tuple:
        return [cell(x) for x in v]
    if t is dict:
        return {str(k): cell(x) for k, x in v.items()}
    if t.__module__ == 'numpy' and hasattr(v, 'item'):
        try:
            return cell(v.item())
        except Exception:
            pass
    pd = sys.modules.get('pandas')
    if pd is not None:
        try:
            if pd.isna(v) is True:  # NaT, NA
                return None
        except Exception:
            pass
    if isinstance(v, bool):
        return bool(v)
    if isinstance(v, int):
        return int(v)
    if isinstance(v, float):
        return cell(float(v))
    return str(v)


def table_of_list(result):
    """A header and rows: the first dict's keys, or one column `result`."""
    if not result:
        return {'kind': 'table', 'columns': [], 'values': []}
    first = result[0]
    if not isinstance(first, dict):
        values = []
        for i, r in enumerate(result):
            if isinstance(r, dict):
                raise BadReturn('row %d of what run() returned is a dict, but row 0 is a %s, so the rows '
                                'have one column `result`; return dicts in every row or in none' % (i, type(first).__name__))
            values.append([cell(r)])
        return {'kind': 'table', 'columns': ['result'], 'values': values}
    keys = list(first.keys())
    header = first.keys()
    values = []
    for i, r in enumerate(result):
        if not isinstance(r, dict):
            raise BadReturn('row %d of what run() returned is a %s, but row 0 is a dict, whose keys are the '
                            'header %r; return a dict in every row' % (i, type(r).__name__, [str(k) for k in keys]))
        if r.keys() != header:
            missing = [str(k) for k in keys if k not in r]
            extra = [str(k) for k in r if k not in header]
            raise BadReturn('row %d of what run() returned does not fit the header %r (the keys of row 0): %s'
                            % (i, [str(k) for k in keys],
                               ', '.join(filter(None, ['missing %r' % missing if missing else '',
                                                       'extra %r' % extra if extra else '']))))
        values.append([cell(r[k]) for k in keys])
    return {'kind': 'table', 'columns': [str(k) for k in keys], 'values': values}


def rows_of_frame(df, fmt):
    if fmt == 'lines':
        # ParallelRunStep's txt: values space-separated, no header, no index.
        return {'kind': 'lines', 'lines': [' '.join(map(str, row)) for row in df.itertuples(index=False, name=None)]}
    return {'kind': 'table', 'columns': [str(c) for c in df.columns],
            'values': [[cell(v) for v in row] for row in df.itertuples(index=False, name=None)]}


def count(result, items, fmt):
    """(succeeded, rows) of what run() returned; raises BadReturn for anything else."""
    pd = sys.modules.get('pandas')  # a DataFrame can only come from a loaded pandas
    if pd is not None and isinstance(result, pd.DataFrame):
        return min(len(result), items), (None if fmt == 'none' else rows_of_frame(result, fmt))
    if isinstance(result, types.GeneratorType):
        result = list(result)  # exceptions raised while generating are run()'s own
    elif not isinstance(result, (list, tuple)):
        raise BadReturn(describe(result, items))
    if fmt == 'none':
        rows = None
    elif fmt == 'lines':
        rows = {'kind': 'lines', 'lines': [str(r) for r in result]}
    else:
        rows = table_of_list(result)
    return min(len(result), items), rows


def mini_batch_of(msg):
    """What run() is given, and how many items it holds: the paths, or a table's rows as a DataFrame."""
    table = msg.get('table')
    if table is None:
        items = msg['items']  # a fresh list per message: run() may keep or change it
        return items, len(items)
    import _minibatch_tabular  # beside this file; imports pandas
    frame = _minibatch_tabular.read_slice(msg['items'][0], table)
    return frame, len(frame)


def call_run(entry, msg, mini_batch):
    if entry.two_args:
        ctx = msg['context']
        return entry.run(mini_batch, MiniBatchContext(ctx['minibatch_index'], ctx.get('partition_key_value')))
    return entry.run(mini_batch)


# ---------------------------------------------------------------------------------------------
# Worker mode

class Channel:
    """fd 4: JSON lines, each written whole (a pipe write may be partial).

    The answers to runs (`result`, `run_failed`, `cancelled`) are held and leave in groups: written
    by the flusher thread about GROUP_S after the first of a group was held (even while a long run()
    goes on), by the main thread at once when it has nothing left to run, and before any other
    message. One write and one wake-up of the parent for many short mini-batches. Which run is in
    progress is in the run-state file (RunState), so the parent still knows, when a process dies or
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


class RunState:
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
    """fd 3, read by the main thread; a watchdog thread sees the parent's death (DESIGN §6).

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
    that nothing is left behind (issue 3: no orphaned Python processes, ever). We are the group's
    leader (the pool starts us detached), so this never reaches the orchestrator's own group."""
    try:
        if os.getpgid(0) == os.getpid():
            os.killpg(0, signal.SIGKILL)
    except OSError:
        pass
    os._exit(EXIT_ORPHANED)


def serve():
    # Ctrl-C reaches the whole process group; it is the orchestrator's to handle (DESIGN §6).
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
    state = RunState(None)
    while True:
        msg = inbox.get(state)
        if msg is None:
            break
        kind = msg['type']
        if kind == 'run':
            serve_run(entry, msg, out, state)
        elif kind == 'init':
            t0 = _clock()
            state = RunState(msg['stateFile'])
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


# ---------------------------------------------------------------------------------------------
# Debug mode

def show(value):
    pd = sys.modules.get('pandas')
    if pd is not None and isinstance(value, pd.DataFrame):
        text = repr(value)  # pandas truncates a large frame itself
    else:
        import reprlib
        r = reprlib.Repr()
        r.maxlist = r.maxtuple = 20
        r.maxdict = 10
        r.maxstring = r.maxother = 400
        r.maxlevel = 4
        text = r.repr(value)
    return text if len(text) <= 4000 else text[:4000] + ' ... (%d characters in all)' % len(text)


def say(text):
    print('minibatch debug: ' + text, flush=True)


def debug(request_path):
    with open(request_path, encoding='utf-8') as f:
        request = json.load(f)
    init, msg = request['init'], request['run']
    say('importing %s and calling init()' % init['entry'])
    t0 = _clock()
    entry, error = start_entry(init, also_terminal=True)
    if error is not None:
        say('init failed after %.0f ms: %s: %s' % ((_clock() - t0) * 1000, error['type'], error['message']))
        if error['traceback']:
            print(error['traceback'], end='', file=sys.stderr, flush=True)
        return 1
    try:
        mini_batch, items = mini_batch_of(msg)
    except BaseException as exc:
        error = error_of(exc)
        say('reading the mini-batch failed: %s: %s' % (error['type'], error['message']))
        print(error['traceback'], end='', file=sys.stderr, flush=True)
        return 1
    say('init done in %.0f ms; calling run() on mini-batch %d (%d items)%s'
        % ((_clock() - t0) * 1000, msg['context']['minibatch_index'], items,
           ' with a mini_batch_context' if entry.two_args else ''))
    status = 1
    t0 = _clock()
    try:
        result = call_run(entry, msg, mini_batch)
        if isinstance(result, types.GeneratorType):
            result = list(result)
            say('run() returned a generator; materialized, it holds:')
        ms = (_clock() - t0) * 1000
        say('run() returned in %.0f ms: %s' % (ms, show(result)))
        succeeded, rows = count(result, items, entry.row_format)
    except BadReturn as exc:
        say('the try would fail (BadReturn): %s' % exc)
    except BaseException as exc:
        error = error_of(exc)
        say('run() raised %s: %s; the try would fail and be retried up to runMaxTry times' % (error['type'], error['message']))
        print(error['traceback'], end='', file=sys.stderr, flush=True)
    else:
        failed = items - succeeded
        say('counted: %d of %d items succeeded, %d failed%s' % (
            succeeded, items, failed,
            ' (a short return: not retried; the mini-batch counts as failed for allowedFailedCount/allowedFailedPercent)'
            if failed else ''))
        if rows is not None:
            n = len(rows['lines']) if rows['kind'] == 'lines' else len(rows['values'])
            say('%d rows for the append_row file%s' % (
                n, ', columns %s' % rows['columns'] if rows['kind'] == 'table' else ''))
        status = 0 if failed == 0 else 1
    if entry.shutdown is not None:
        say('calling shutdown()')
        try:
            entry.shutdown()
        except BaseException:
            traceback.print_exc()
            status = 1
    return status


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
            serve()
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


def main(argv):
    if len(argv) == 2 and argv[0] == '--debug':
        sys.exit(debug(argv[1]))
    if len(argv) == 2 and argv[0] == '--fork-server':
        fork_server(json.loads(argv[1]))
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
    serve()

