"""`Dataset.get_by_name(workspace, name)`: a bound input of the job, as a file dataset."""

import os

from _minibatch_context import context

from . import _local


class FileDataset:
    """The files of a bound input (a folder, or one file)."""

    def __init__(self, name, path):
        self.name = name
        self.path = path

    def _files(self):
        if os.path.isfile(self.path):
            return [self.path]
        return sorted(os.path.join(d, f) for d, _, fs in os.walk(self.path) for f in fs)

    def to_path(self):
        """Paths relative to the input, each starting with /, as Azure's FileDataset.to_path."""
        base = os.path.dirname(self.path) if os.path.isfile(self.path) else self.path
        return ['/' + os.path.relpath(f, base) for f in self._files()]

    def download(self, target_path=None, overwrite=False):
        """Nothing to download: the files are here. Returns their paths."""
        return self._files()

    def mount(self, mount_point=None):
        raise _local.unsupported('FileDataset', 'mount')

    def as_mount(self):
        return self.path

    def as_download(self):
        return self.path

    def __getattr__(self, name):
        if name.startswith('__'):
            raise AttributeError(name)
        raise _local.unsupported('FileDataset', name)

    def __repr__(self):
        return 'FileDataset(name=%r, path=%r, local)' % (self.name, self.path)


class Dataset:
    File = FileDataset

    @staticmethod
    def get_by_name(workspace, name, version='latest'):
        inputs = context.get('inputs', {})
        if name in inputs:
            return FileDataset(name, inputs[name])
        raise LookupError(
            'Dataset.get_by_name(%r): no bound input has that name (the bound ones are %s); datasets '
            'registered in an Azure workspace are not reachable offline (%s)'
            % (name, ', '.join(repr(n) for n in sorted(inputs)) or 'none', _local.INSTALL_REAL))
