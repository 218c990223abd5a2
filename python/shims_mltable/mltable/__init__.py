"""minibatch's offline `mltable` (docs/AZURE.md): enough of Azure's `mltable` package for entry scripts
and notebooks that load local MLTables. Importable only where the real package is not installed: its
folder is appended at the end of sys.path.

MLTable files are parsed by minibatch's own parser (src/data/mltable-source.ts, run with the Node
that runs minibatch), and rows are read by the code the workers read tables with
(_minibatch_host/tabular.py), so a table reads here as it reads in a run. Remote paths and what this
module does not do raise NotSupportedError, saying to install the real `mltable`.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile

PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SOURCE = os.path.join(PYTHON_DIR, '..', 'dist', 'data', 'mltable-source.js')
INSTALL = 'install the real mltable package (pip install mltable) for this'

__all__ = ['MLTable', 'NotSupportedError', 'load', 'from_delimited_files', 'from_json_lines_files',
           'from_parquet_files', 'from_paths']


class NotSupportedError(Exception):
    """What the offline mltable does not do, and what to do instead."""


def _local(path):
    text = str(path)
    if '://' in text or text.startswith('azureml:'):
        raise NotSupportedError('%s is a remote path, which minibatch\'s offline mltable cannot read: %s'
                                % (text, INSTALL))
    return os.path.abspath(text)


def load(uri, storage_options=None, ml_client=None):
    """The MLTable at `uri`: a folder holding an `MLTable` file, or that file."""
    if storage_options is not None or ml_client is not None:
        raise NotSupportedError('load() with storage_options or ml_client: ' + INSTALL)
    path = _local(uri)
    if os.path.isdir(path):
        path = os.path.join(path, 'MLTable')
    if not os.path.isfile(path):
        raise FileNotFoundError('no MLTable file at %s: give a folder holding an MLTable file, or the file' % path)
    return MLTable(_resolve(path))


def _resolve(path):
    node = os.environ.get('MINIBATCH_NODE') or 'node'
    done = subprocess.run([node, SOURCE, path], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if done.returncode != 0:
        raise ValueError(done.stderr.decode('utf-8', 'replace').strip())
    return json.loads(done.stdout)


def _from(paths, read):
    """An MLTable of `paths` ([{'file' | 'folder' | 'pattern': ...}]) read by `read` (a
    transformation, or None), written as an MLTable file and parsed by the one parser."""
    lines = ['paths:']
    for entry in paths:
        if not isinstance(entry, dict) or len(entry) != 1 or next(iter(entry)) not in ('file', 'folder', 'pattern'):
            raise ValueError("each path is a dict with one key, 'file', 'folder' or 'pattern': got %r" % (entry,))
        kind, value = next(iter(entry.items()))
        lines.append('  - %s: %s' % (kind, json.dumps(_local(value))))
    if read is not None:
        lines += ['transformations:', '  - ' + json.dumps(read)]
    folder = tempfile.mkdtemp(prefix='mltable-')
    try:
        path = os.path.join(folder, 'MLTable')
        with open(path, 'w') as f:
            f.write('\n'.join(lines) + '\n')
        return MLTable(_resolve(path))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def from_delimited_files(paths, header='all_files_same_headers', delimiter=',', support_multi_line=False,
                         empty_as_string=False, encoding='utf8', include_path_column=False,
                         infer_column_types=True):
    if infer_column_types is not True:
        raise NotSupportedError('infer_column_types other than True: ' + INSTALL)
    return _from(paths, {'read_delimited': {
        'header': header, 'delimiter': delimiter, 'support_multi_line': support_multi_line,
        'empty_as_string': empty_as_string, 'encoding': encoding, 'include_path_column': include_path_column}})


def from_json_lines_files(paths, invalid_lines='error', encoding='utf8', include_path_column=False):
    return _from(paths, {'read_json_lines': {
        'invalid_lines': invalid_lines, 'encoding': encoding, 'include_path_column': include_path_column}})


def from_parquet_files(paths, include_path_column=False):
    return _from(paths, {'read_parquet': {'include_path_column': include_path_column}})


def from_paths(paths):
    return _from(paths, None)


class MLTable:
    """A local MLTable: its files, how they are read, and steps added by take/skip/keep/drop."""

    def __init__(self, source, steps=()):
        self._source = source
        self._steps = tuple(steps)

    @property
    def paths(self):
        return [dict(p) for p in self._source['paths']]

    def _with(self, step):
        return MLTable(self._source, self._steps + (step,))

    def take(self, count=20):
        return self._with(('take', int(count)))

    def skip(self, count):
        return self._with(('skip', int(count)))

    def keep_columns(self, columns):
        return self._with(('keep', [columns] if isinstance(columns, str) else list(columns)))

    def drop_columns(self, columns):
        return self._with(('drop', [columns] if isinstance(columns, str) else list(columns)))

    def show(self, count=20):
        return self.take(count).to_pandas_dataframe()

    def to_pandas_dataframe(self):
        import pandas as pd
        read = self._source['read']
        files = self._source['files']
        if read is None:
            # A file dataset's rows are its files, as the mltable package shows them.
            frame = pd.DataFrame({'Path': [f['path'] for f in files]})
        else:
            frame = _read_table(pd, read, files)
        for kind, arg in self._steps:
            if kind == 'take':
                frame = frame.iloc[:arg]
            elif kind == 'skip':
                frame = frame.iloc[arg:]
            elif kind == 'keep':
                frame = frame[arg]
            else:
                frame = frame.drop(columns=arg)
        return frame.reset_index(drop=True)

    def __repr__(self):
        return 'MLTable(paths=%r, files=%d)' % (self.paths, len(self._source['files']))


def _read_table(pd, read, files):
    """Every row of the listed files, each file read whole by the workers' reading code, then the
    table's skip and take over them all."""
    if PYTHON_DIR not in sys.path:
        sys.path.append(PYTHON_DIR)
    from _minibatch_host import tabular
    fmt = read['format']
    frames = []
    first_header = None
    for i, f in enumerate(files):
        path = f['path']
        if fmt['kind'] == 'parquet':
            frame = _read_parquet(pd, tabular, path)
        else:
            with open(path, 'rb') as handle:
                body = handle.read()
            header_mode = fmt.get('header')
            head, has_header = b'', fmt['kind'] == 'delimited' and header_mode != 'no_header'
            if header_mode == 'from_first_file':
                if fmt['encoding'] in ('utf16', 'utf32'):
                    raise NotSupportedError('header: from_first_file with encoding %s: %s' % (fmt['encoding'], INSTALL))
                if i == 0:
                    first_header = body.split(b'\n', 1)[0] + b'\n'
                else:
                    head = first_header or b''
                    has_header = bool(head)
            frame = tabular.parse(pd, fmt, head, body, has_header, path)
        frames.append(tabular.shaped(pd, frame, read, fmt, path, f['pathColumns']))
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    end = None if read['takeRows'] is None else read['skipRows'] + read['takeRows']
    return frame.iloc[read['skipRows']:end]


def _read_parquet(pd, tabular, path):
    try:
        return pd.read_parquet(path)
    except ImportError:
        return tabular.decode_with_node(pd, path, 0, 2 ** 53)
