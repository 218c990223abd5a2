"""Reading a tabular mini-batch into a pandas DataFrame (docs/TABULAR.md).

A mini-batch of a table is a byte range of whole records of one file, planned by the orchestrator
(src/data/table-plan.ts), or with partition keys the byte ranges of one key combination's records
in each file (src/data/table-keys.ts); the worker reads them itself, with the file's header record
in front, so rows never pass through the orchestrator. pandas parses the bytes exactly as it would
parse those rows of the file, so the columns and dtypes are pandas' own.

Imported only when a mini-batch is a table: file datasets never import pandas.
"""

import io
import json
import os
import subprocess

# MLTable's encoding names -> Python codecs. A BOM is skipped by the planner (the header starts after it).
ENCODINGS = {
    'utf8': 'utf-8', 'utf8bom': 'utf-8', 'iso88591': 'latin-1', 'latin1': 'latin-1',
    'ascii': 'ascii', 'windows1252': 'cp1252',
}

# UTF-16 and UTF-32: the codec of the file's byte order, from its byte order mark (the planner's
# rule, src/data/table-records.ts: little-endian without one). The slices read start after the mark.
WIDE = {
    'utf16': ((b'\xfe\xff', 'utf-16-be'), (b'\xff\xfe', 'utf-16-le'), (b'', 'utf-16-le')),
    'utf32': ((b'\x00\x00\xfe\xff', 'utf-32-be'), (b'\xff\xfe\x00\x00', 'utf-32-le'), (b'', 'utf-32-le')),
}


def codec_of(path, encoding):
    if encoding not in WIDE:
        return ENCODINGS[encoding]
    with open(path, 'rb') as f:
        head = f.read(4)
    return next(codec for bom, codec in WIDE[encoding] if head.startswith(bom))


# convert_column_types' types -> what DataFrame.astype takes.
COLUMN_TYPES = {'int': 'int64', 'float': 'float64', 'boolean': 'bool', 'string': 'object'}


def read_table(paths, table):
    """The rows of `paths` that `table` ({read, slice, headerPaths, pathColumns}, src/core/tries.ts
    TableTask) names, as one DataFrame."""
    import pandas as pd
    read, part = table['read'], table['slice']
    fmt = read['format']
    header_paths = table.get('headerPaths') or [None] * len(paths)
    path_columns = table.get('pathColumns') or [{}] * len(paths)
    if part.get('kind') == 'keys':
        frames = []
        for path, piece, header_path, columns in zip(paths, part['parts'], header_paths, path_columns):
            frame = read_key_rows(pd, path, fmt, piece, header_path, part['keys'], part['values'], columns)
            frames.append(shaped(pd, frame, read, fmt, path, columns))
        return pd.concat(frames, ignore_index=True) if len(frames) != 1 else frames[0]
    path = paths[0]
    if fmt['kind'] == 'parquet':
        return shaped(pd, read_parquet(pd, path, part['start'], part['end']), read, fmt, path, path_columns[0])
    header = part['header']
    head = read_bytes(header_paths[0] or path, [header]) if header is not None else b''
    body = read_bytes(path, [(part['start'], part['end'])])
    return shaped(pd, parse(pd, fmt, head, body, header is not None, path), read, fmt, path, path_columns[0])


def read_bytes(path, ranges):
    """The bytes of `ranges` ([start, end) pairs, in order) of `path`, one after another."""
    with open(path, 'rb') as f:
        out = []
        for start, end in ranges:
            f.seek(start)
            out.append(f.read(end - start))
    return b''.join(out)


def parse(pd, fmt, head, body, has_header, path, **options):
    """Records (with their header record in front) of `path` as pandas reads them."""
    kind = fmt['kind']
    if kind == 'delimited':
        return pd.read_csv(
            io.BytesIO(head + body),
            sep=fmt['delimiter'],
            header=0 if has_header else None,
            encoding=codec_of(path, fmt['encoding']),
            keep_default_na=not fmt['emptyAsString'] and 'dtype' not in options,
            **options)
    if kind == 'json_lines':
        return pd.read_json(io.BytesIO(body), lines=True, encoding='utf-8')
    raise ValueError('minibatch cannot read %s tables in the worker' % kind)


def read_key_rows(pd, path, fmt, piece, header_path, keys, values, path_columns):
    """One file's rows of a partition-key mini-batch (src/data/table-keys.ts): its ranges, less the
    rows of other combinations that merged ranges hold, told apart by the key fields as planning read
    them (text as written; JSON values)."""
    # Keys from the path hold for every row of the file.
    wanted = [(k, v) for k, v in zip(keys, values) if k not in path_columns]
    if fmt['kind'] == 'parquet':
        return parquet_key_rows(pd, path, piece['ranges'], wanted)
    header = piece['header']
    head = read_bytes(header_path or path, [header]) if header is not None else b''
    body = read_bytes(path, piece['ranges'])
    if fmt['kind'] == 'json_lines':
        lines = [line for line in body.splitlines(True) if line.strip() and json_matches(json.loads(line), wanted)]
        return parse(pd, fmt, b'', b''.join(lines), False, path)
    frame = parse(pd, fmt, head, body, header is not None, path)
    if not wanted:
        return frame
    columns = [k if header is not None else int(k) for k, _ in wanted]
    text = parse(pd, fmt, head, body, header is not None, path, usecols=columns, dtype=str).fillna('')
    mask = None
    for (key, value), column in zip(wanted, columns):
        same = text[column] == ('' if value is None else value)
        mask = same if mask is None else mask & same
    return frame[mask.values].reset_index(drop=True)


def parquet_key_rows(pd, path, ranges, wanted):
    """A Parquet file's rows in `ranges` (row numbers), less those whose keys are not `wanted`'s
    values: the span from the first range to the last is decoded once, then its rows picked."""
    first, last = ranges[0][0], ranges[-1][1]
    span = read_parquet(pd, path, first, last)
    frame = span.iloc[[r - first for start, end in ranges for r in range(start, end)]].reset_index(drop=True)
    mask = None
    for key, value in wanted:
        column = frame[key]
        same = column.isna() if value is None else (column == value)
        mask = same if mask is None else mask & same
    return frame if mask is None else frame[mask.values].reset_index(drop=True)


def json_matches(record, wanted):
    for key, want in wanted:
        value = record.get(key) if isinstance(record, dict) else None
        if isinstance(value, (dict, list)):
            value = json.dumps(value, separators=(',', ':'), ensure_ascii=False)
        if want is None or value is None:
            if want is not value:
                return False
        elif isinstance(want, bool) or isinstance(value, bool):
            if type(want) is not type(value) or want != value:
                return False
        elif want != value:
            return False
    return True


def key_values(frame, keys, values):
    """mini_batch_context.partition_key_value: each key's value as the DataFrame holds it (pandas'
    type), or as planning read it when the DataFrame has no such column."""
    out = {}
    for key, value in zip(keys, values):
        if key in frame.columns and len(frame):
            cell = frame[key].iloc[0]
            try:
                missing = bool(frame[key].isna().iloc[0])
            except (TypeError, ValueError):
                missing = False
            value = None if missing else (cell.item() if hasattr(cell, 'item') else cell)
        out[key] = value
    return out


def shaped(pd, frame, read, fmt, path, path_columns):
    """The MLTable's column steps in the order it lists them (src/core/table-format.ts ColumnStep):
    `Path` is a column from the read on (include_path_column), the partition format's columns arrive
    at their step, so a later drop_columns or keep_columns sees both."""
    if fmt['includePathColumn']:
        frame = frame.assign(Path=path)
    steps = read['columnSteps']
    # A partition format from an MLTable without a read transformation (the format given by
    # --input-format) has no place among the steps: its columns come right after the read.
    if path_columns and not any(s['step'] == 'partition_columns' for s in steps):
        steps = [{'step': 'partition_columns'}] + list(steps)
    for step in steps:
        kind = step['step']
        if kind == 'partition_columns':
            frame = frame.assign(**path_columns)
        elif kind == 'keep_columns':
            frame = frame[list(step['columns'])]
        elif kind == 'drop_columns':
            frame = frame.drop(columns=list(step['columns']))
        else:
            for column, type_name in step['types'].items():
                if type_name == 'datetime':
                    frame = frame.assign(**{column: pd.to_datetime(frame[column])})
                else:
                    frame = frame.astype({column: COLUMN_TYPES[type_name]})
    return frame


# The Node-side decoder (src/data/parquet-decode.ts), built beside this folder in the package.
DECODER = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'dist', 'data', 'parquet-decode.js')


def read_parquet(pd, path, start, end):
    """Rows [start, end) of a Parquet file: with pyarrow when importable, else decoded by Node."""
    try:
        import pyarrow.parquet as pq
    except ImportError:
        return decode_with_node(pd, path, start, end)
    parquet = pq.ParquetFile(path)
    first, groups = 0, []
    for i in range(parquet.num_row_groups):
        rows = parquet.metadata.row_group(i).num_rows
        if first < end and first + rows > start:
            groups.append((i, first))
        first += rows
    frame = parquet.read_row_groups([i for i, _ in groups]).to_pandas()
    offset = start - groups[0][1] if groups else 0
    return frame.iloc[offset:offset + (end - start)].reset_index(drop=True)


def decode_with_node(pd, path, start, end):
    import numpy as np
    node = os.environ.get('MINIBATCH_NODE') or 'node'
    done = subprocess.run([node, DECODER, path, str(start), str(end)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if done.returncode != 0:
        raise RuntimeError('decoding rows %d-%d of %s failed: %s' % (start, end, path, done.stderr.decode('utf-8', 'replace').strip()))
    out = done.stdout
    newline = out.index(b'\n')
    head = json.loads(out[:newline])
    at = newline + 1
    columns = {}
    for column in head['columns']:
        data = out[at:at + column['bytes']]
        at += column['bytes']
        if column['dtype'] == 'json':
            columns[column['name']] = pd.Series(json.loads(data), dtype=object) if head['rows'] else pd.Series([], dtype=object)
        else:
            columns[column['name']] = np.frombuffer(data, dtype=np.dtype(column['dtype']).newbyteorder('<'))
    frame = pd.DataFrame(columns)
    # JSON columns of numbers with nulls become float64 with NaN, as pandas reads them from Parquet.
    return frame.infer_objects()
