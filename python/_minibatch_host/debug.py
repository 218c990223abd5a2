"""Debug mode (`minibatch debug`): init() and one run() in the foreground, attached to the terminal,
saying what minibatch would make of what run() returned."""

import json
import sys
import traceback
import types

from .entry import _clock, call_run, error_of, mini_batch_of, start_entry
from .rows import BadReturn, count


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


def post_mortem(exc):
    """pdb in the frame that raised `exc`, on the terminal (`minibatch debug --pdb`)."""
    import pdb
    say('starting pdb post mortem where %s was raised (`q` quits)' % type(exc).__name__)
    pdb.post_mortem(exc.__traceback__)


def debug(request_path):
    with open(request_path, encoding='utf-8') as f:
        request = json.load(f)
    init, msg, use_pdb = request['init'], request['run'], request.get('pdb', False)
    say('importing %s and calling init()' % init['entry'])
    t0 = _clock()
    raised = []
    entry, error = start_entry(init, also_terminal=True, on_exception=raised.append)
    if error is not None:
        say('init failed after %.0f ms: %s: %s' % ((_clock() - t0) * 1000, error['type'], error['message']))
        if error['traceback']:
            print(error['traceback'], end='', file=sys.stderr, flush=True)
        if use_pdb and raised:
            post_mortem(raised[-1])
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
        if use_pdb:
            post_mortem(exc)
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
