"""`Run.get_context()`: an offline run whose log calls write to the entry log."""

import logging
import os

_logger = logging.getLogger('azureml.core.run')

_UNSUPPORTED = ('minibatch provides a small offline azureml.core; Run.%s is not part of it '
                '(install azureml-core to use the real one)')


class Run:
    """The offline run of this worker; metrics and tags go to the entry log."""

    _offline = None

    def __init__(self):
        self.id = 'OfflineRun_' + os.environ.get('MINIBATCH_RUN_ID', 'minibatch')
        self.tags = {}
        self.parent = self

    @classmethod
    def get_context(cls, allow_offline=True, **_kwargs):
        if cls._offline is None:
            cls._offline = cls()
        return cls._offline

    def log(self, name, value, description='', step=None):
        _logger.info('metric %s = %r%s', name, value, '' if step is None else ' (step %s)' % step)

    def log_list(self, name, value, description=''):
        _logger.info('metric %s = %r', name, list(value))

    def log_row(self, name, description=None, **kwargs):
        _logger.info('metric %s row %r', name, kwargs)

    def log_table(self, name, value, description=''):
        _logger.info('metric %s table %r', name, value)

    def log_image(self, name, path=None, plot=None, description=''):
        _logger.info('image %s %s', name, path if path is not None else '(plot)')

    def tag(self, key, value=None):
        self.tags[key] = value
        _logger.info('tag %s = %r', key, value)

    def set_tags(self, tags):
        for key, value in tags.items():
            self.tag(key, value)

    def get_tags(self):
        return dict(self.tags)

    def flush(self):
        pass

    def complete(self):
        pass

    def __getattr__(self, name):
        if name.startswith('__'):
            raise AttributeError(name)
        raise AttributeError(_UNSUPPORTED % name)

    def __repr__(self):
        return 'Run(id=%r, offline)' % self.id
