"""Reading a tabular mini-batch into a pandas DataFrame (docs/TABULAR.md).

A mini-batch of a table is a byte range of whole records of one file, planned by the orchestrator
(src/data/table-plan.ts); the worker reads that range itself, with the file's header record in
front, so rows never pass through the orchestrator. pandas parses the bytes exactly as it would
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


def codec_of(f, encoding):
    if encoding not in WIDE:
        return ENCODINGS[encoding]
    f.seek(0)
    head = f.read(4)
    return next(codec for bom, codec in WIDE[encoding] if head.startswith(bom))


# convert_column_types' types -> what DataFrame.astype takes.
COLUMN_TYPES = {'int': 'int64', 'float': 'float64', 'boolean': 'bool', 'string': 'object'}


def read_slice(path, table):
    """The rows of `path` that `table` ({read, slice}, src/workers/protocol.ts TableTask) names."""
    import pandas as pd
    read, part = table['read'], table['slice']
    fmt = read['format']
    if fmt['kind'] == 'parquet':
        return shaped(pd, read_parquet(pd, path, part['start'], part['end']), read, fmt, path)
    header = part['header']
    with open(path, 'rb') as f:
        codec = codec_of(f, fmt['encoding']) if fmt['kind'] == 'delimited' else 'utf-8'
        head = b''
        if header is not None:
            f.seek(header[0])
            head = f.read(header[1] - header[0])
        f.seek(part['start'])
        body = f.read(part['end'] - part['start'])
    kind = fmt['kind']
    if kind == 'delimited':
        frame = pd.read_csv(
            io.BytesIO(head + body) if head else io.BytesIO(body),
            sep=fmt['delimiter'],
            header=None if header is None else 0,
            encoding=codec,
            keep_default_na=not fmt['emptyAsString'],
        )
    elif kind == 'json_lines':
        frame = pd.read_json(io.BytesIO(body), lines=True, encoding='utf-8')
    else:
        raise ValueError('minibatch cannot read %s tables in the worker' % kind)
    return shaped(pd, frame, read, fmt, path)


def shaped(pd, frame, read, fmt, path):
    """keep_columns, drop_columns, convert_column_types, then the Path column."""
    if read['keepColumns'] is not None:
        frame = frame[[c for c in read['keepColumns']]]
    if read['dropColumns']:
        frame = frame.drop(columns=list(read['dropColumns']))
    for column, kind in read['columnTypes'].items():
        if kind == 'datetime':
            frame[column] = pd.to_datetime(frame[column])
        else:
            frame[column] = frame[column].astype(COLUMN_TYPES[kind])
    if fmt['includePathColumn']:
        frame['Path'] = path
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
