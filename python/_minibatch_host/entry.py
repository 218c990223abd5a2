"""The user's entry script: imported as a module with Azure ML's surroundings (working folder,
sys.argv, the azureml shims, logging), its init() called, and its run() called with a mini-batch.
Errors come back as data ({type, message, traceback}) without the host's own frames."""

import importlib.util
import logging
import os
import sys
import time
import traceback
import types

# inspect.CO_VARARGS, without importing inspect.
CO_VARARGS = 0x04

PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
PYTHON_DIR = os.path.dirname(PACKAGE_DIR)
SHIMS = os.path.join(PYTHON_DIR, 'shims')
AZUREML_SHIMS = os.path.join(PYTHON_DIR, 'shims_azureml')
MLTABLE_SHIMS = os.path.join(PYTHON_DIR, 'shims_mltable')

# Bound once: an entry script named time.py must not change what the host calls.
_clock = time.perf_counter

ENTRY_LOG_FORMAT = '%(asctime)s %(levelname)s %(name)s [pid %(process)d] %(message)s'


def elapsed_ms(t0):
    return round((_clock() - t0) * 1000, 3)


class MiniBatchContext:
    """The second argument of a two-argument run(), as on Azure ML."""

    __slots__ = ('minibatch_index', 'partition_key_value', 'dataset')

    def __init__(self, minibatch_index, partition_key_value, dataset=None):
        self.minibatch_index = minibatch_index
        self.partition_key_value = partition_key_value
        # The mini-batch's data as Azure's dataset objects offer it: a table's rows, or with
        # partition keys over files its files; else None.
        self.dataset = dataset

    def __repr__(self):
        return 'MiniBatchContext(minibatch_index=%r, partition_key_value=%r)' % (
            self.minibatch_index, self.partition_key_value)


def context_of(msg, mini_batch):
    """The MiniBatchContext of a `run` message: its context, and for a table the mini-batch's rows."""
    ctx = msg['context']
    table = msg.get('table')
    if table is not None:
        from .dataset import TabularDataset  # only tables need it
        keys = table['slice'].get('keys')
        values = None
        if keys is not None:
            from .tabular import key_values
            values = key_values(mini_batch, keys, table['slice']['values'])
        return MiniBatchContext(ctx['minibatch_index'], values, TabularDataset(mini_batch, msg['items'], values))
    root = ctx.get('dataset_root')
    dataset = None
    if root is not None:
        from .dataset import FileDataset  # only partitioned runs need it
        dataset = FileDataset(msg['items'], root, ctx.get('partition_key_value'))
    return MiniBatchContext(ctx['minibatch_index'], ctx.get('partition_key_value'), dataset)


def error_of(exc):
    """{type, message, traceback} of an exception, without the host's own frames."""
    te = traceback.TracebackException(type(exc), exc, exc.__traceback__)
    te.stack = traceback.StackSummary.from_list(
        [f for f in te.stack if os.path.dirname(f.filename) != PACKAGE_DIR and not f.filename.startswith('<frozen importlib')])
    return {'type': type(exc).__name__, 'message': str(exc), 'traceback': ''.join(te.format())}


def bad_entry(message):
    return {'type': 'BadEntryScript', 'message': message, 'traceback': ''}


class Entry:
    """The imported entry script: its run() and how to call it."""

    def __init__(self, module, run, two_args, shutdown, row_format):
        self.module = module
        self.run = run
        self.two_args = two_args
        self.shutdown = shutdown
        self.row_format = row_format


def configure_logging(init, also_terminal=False):
    """`logging` and EntryScript().logger write to the entry log with timestamps (docs/ARCHITECTURE.md, "Run directory")."""
    # Owner-only, like the run's other logs (docs/ROBUSTNESS.md): made so before logging opens it.
    os.close(os.open(init['entryLogFile'], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600))
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
    """azureml_user always; the azureml.core shim only when the real azureml.core is absent, the offline mltable only when no real one is found first (docs/ARCHITECTURE.md, "Entry script")."""
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
    # Last on the path: a real `mltable` installed anywhere before it is the one imported.
    sys.path.append(MLTABLE_SHIMS)


def assign_gpu():
    """This slot's device, when the slots share out GPUs one each (ParallelRunStep's rule); the
    slot is kept by a replacement worker, and so is its device."""
    devices = os.environ.get('MINIBATCH_SLOT_DEVICES', '')
    if not devices:
        return
    slot = int(os.environ.get('MINIBATCH_WORKER_SLOT', '0') or 0)
    devices = devices.split(',')
    os.environ['CUDA_VISIBLE_DEVICES'] = devices[slot] if slot < len(devices) else ''


def load_entry(init):
    """chdir, sys.path, sys.argv, shims, logging; then import the entry script as a module."""
    entry_path = init['entry']
    working_dir = init['workingDir']
    os.chdir(working_dir)
    # The code folder first, then the entry's own: an entry script in a sub-folder imports its
    # sibling packages from the code root, as on Azure ML.
    code_dir = init.get('codeDir', working_dir)
    sys.path.insert(0, working_dir)
    if code_dir != working_dir:
        sys.path.insert(0, code_dir)
    assign_gpu()
    sys.argv = [entry_path] + list(init['args'])
    install_shims(init)
    # Not '__main__': the script's `if __name__ == '__main__':` block must not run (docs/ARCHITECTURE.md, "Entry script").
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


def start_entry(init, also_terminal=False, on_exception=None):
    """Logging, then import the entry and call init(). Returns (Entry, None) or (None, error).
    `on_exception` is handed what the import or init() raised (debug mode's pdb needs its frames)."""
    try:
        configure_logging(init, also_terminal)
        module = load_entry(init)
    except BaseException as exc:  # SystemExit at import time is an init failure too
        if on_exception is not None:
            on_exception(exc)
        return None, error_of(exc)
    run = getattr(module, 'run', None)
    if not callable(run):
        return None, bad_entry('%s defines no run(mini_batch) function' % init['entry'])
    user_init = getattr(module, 'init', None)
    if callable(user_init):
        try:
            user_init()
        except BaseException as exc:
            if on_exception is not None:
                on_exception(exc)
            return None, error_of(exc)
    shutdown = getattr(module, 'shutdown', None)
    return Entry(module, run, takes_context(run), shutdown if callable(shutdown) else None, init['rowFormat']), None


def mini_batch_of(msg):
    """What run() is given, and how many items it holds: the paths, or a table's rows as a DataFrame."""
    table = msg.get('table')
    if table is None:
        items = msg['items']  # a fresh list per message: run() may keep or change it
        return items, len(items)
    from . import tabular  # imports pandas when it reads
    frame = tabular.read_table(msg['items'], table)
    # A partition-key combination is one item: run() answers for the partition (src/ledger/inputs.ts).
    return frame, 1 if table['slice'].get('kind') == 'keys' else len(frame)


def call_run(entry, msg, mini_batch):
    if entry.two_args:
        return entry.run(mini_batch, context_of(msg, mini_batch))
    return entry.run(mini_batch)
