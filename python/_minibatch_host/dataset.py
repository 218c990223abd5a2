"""mini_batch_context.dataset: a mini-batch's data as Azure's dataset objects offered it. See
docs/MLTABLE.md and docs/TABULAR.md.

On Azure ML, a run with partition_keys hands run() the input dataset filtered to the mini-batch's
key values: a FileDataset whose to_path() lists its files relative to the dataset's root, with a
leading '/', or a TabularDataset whose to_pandas_dataframe() gives its rows. minibatch's stand for
the same files (those of the mini-batch, relative to the MLTable's folder) or rows (those of the
mini-batch, with or without partition keys).
"""

import os

# Files named in the repr before it says how many more there are.
REPR_FILES = 3


class FileDataset:
    """The files of one mini-batch, as Azure's FileDataset offers them to run()."""

    __slots__ = ('_paths', '_root', 'partition_key_value')

    def __init__(self, paths, root, partition_key_value):
        self._paths = list(paths)
        self._root = root
        self.partition_key_value = partition_key_value

    def to_path(self):
        """Each file's path relative to the dataset's root, with '/' separators and a leading '/'."""
        return ['/' + os.path.relpath(p, self._root).replace(os.sep, '/') for p in self._paths]

    def __len__(self):
        return len(self._paths)

    def __repr__(self):
        shown = self.to_path()[:REPR_FILES]
        more = len(self._paths) - len(shown)
        files = ', '.join(repr(p) for p in shown) + (', … %d more' % more if more > 0 else '')
        return 'FileDataset(root=%r, partition_key_value=%r, files=[%s])' % (
            self._root, self.partition_key_value, files)


class TabularDataset:
    """The rows of one tabular mini-batch, as Azure's TabularDataset offers them to run()."""

    __slots__ = ('_frame', '_files', 'partition_key_value')

    def __init__(self, frame, files, partition_key_value):
        self._frame = frame
        self._files = list(files)
        self.partition_key_value = partition_key_value

    def to_pandas_dataframe(self):
        """The mini-batch's rows: a fresh copy of run()'s frame at each call, so changing it leaves that frame alone."""
        return self._frame.copy()

    def __len__(self):
        return len(self._frame)

    def __repr__(self):
        shown = [os.path.basename(p) for p in self._files[:REPR_FILES]]
        more = len(self._files) - len(shown)
        files = ', '.join(repr(p) for p in shown) + (', … %d more' % more if more > 0 else '')
        keys = '' if self.partition_key_value is None else 'partition_key_value=%r, ' % (self.partition_key_value,)
        return 'TabularDataset(%srows=%d, columns=%r, files=[%s])' % (
            keys, len(self._frame), [str(c) for c in self._frame.columns], files)
