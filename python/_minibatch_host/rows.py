"""Counting and rows: how many items of a mini-batch run() answered for, and its rows shaped for
the output file (`lines` for txt, `table` for csv/jsonl/parquet); anything else is a BadReturn.

A table's `dtypes` name each column's kind (`int`, `float`, `bool`, `string`, `object`, `null`) for the
Parquet writer, which cannot tell 1.0 from 1 once the cells are JSON."""

import math
import sys
import types

EXPECTED = 'a list, tuple, generator or pandas DataFrame with one result per item'


class BadReturn(Exception):
    """run() returned something minibatch cannot count, or rows that do not fit a table."""


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
        return {'kind': 'table', 'columns': [], 'values': [], 'dtypes': []}
    first = result[0]
    if not isinstance(first, dict):
        values = []
        for i, r in enumerate(result):
            if isinstance(r, dict):
                raise BadReturn('row %d of what run() returned is a dict, but row 0 is a %s, so the rows '
                                'have one column `result`; return dicts in every row or in none' % (i, type(first).__name__))
            values.append([cell(r)])
        return {'kind': 'table', 'columns': ['result'], 'values': values, 'dtypes': kinds_of(values, 1)}
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
    return {'kind': 'table', 'columns': [str(k) for k in keys], 'values': values, 'dtypes': kinds_of(values, len(keys))}


# Cell types (after cell()) by kind; None is a null of any kind.
_KIND_OF_TYPE = {bool: 'bool', int: 'int', float: 'float', str: 'string'}


def column_kind(values, c):
    """Column c's kind from its cells: one kind (nulls aside), ints with floats are floats, a mix
    of anything else `object`; a column of nulls only is `null` (it fits any kind)."""
    seen = {type(row[c]) for row in values}
    seen.discard(type(None))
    kinds = {_KIND_OF_TYPE.get(t, 'object') for t in seen}
    if kinds == {'int', 'float'}:
        return 'float'
    return kinds.pop() if len(kinds) == 1 else ('object' if kinds else 'null')


def kinds_of(values, width):
    return [column_kind(values, c) for c in range(width)]


# numpy dtype kinds: signed and unsigned integers, floats, booleans; the rest is judged by its cells.
_KIND_OF_DTYPE = {'i': 'int', 'u': 'int', 'f': 'float', 'b': 'bool'}


def kinds_of_frame(df, values):
    return [_KIND_OF_DTYPE.get(getattr(dtype, 'kind', 'O')) or column_kind(values, c)
            for c, dtype in enumerate(df.dtypes)]


def rows_of_frame(df, fmt):
    if fmt == 'lines':
        # ParallelRunStep's txt: values space-separated, no header, no index.
        return {'kind': 'lines', 'lines': [' '.join(map(str, row)) for row in df.itertuples(index=False, name=None)]}
    values = [[cell(v) for v in row] for row in df.itertuples(index=False, name=None)]
    return {'kind': 'table', 'columns': [str(c) for c in df.columns], 'values': values,
            'dtypes': kinds_of_frame(df, values)}


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
