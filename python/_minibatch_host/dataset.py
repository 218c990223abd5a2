"""mini_batch_context.dataset for a mini-batch of a partitioned file dataset. See docs/MLTABLE.md.

On Azure ML, a run with partition_keys hands run() the input dataset filtered to the mini-batch's
key values: a FileDataset whose to_path() lists its files relative to the dataset's root, with a
leading '/'. minibatch's stands for the same files (those of the mini-batch), relative to the
MLTable's folder. The tabular counterpart (to_pandas_dataframe()) belongs with tabular inputs.
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
