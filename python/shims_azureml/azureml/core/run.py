"""`Run.get_context()`: an offline run. Metrics go to <run-dir>/logs/metrics.jsonl (one JSON line
each, which `minibatch status` and the UI read) and to the entry log; uploads go to
<run-dir>/artifacts/; `register_model` registers into the local model registry."""

import logging
import os
import shutil

from . import _local

_logger = logging.getLogger('azureml.core.run')


class Run:
    """The offline run of this worker."""

    _offline = None

    def __init__(self):
        self.id = 'OfflineRun_' + os.environ.get('MINIBATCH_RUN_ID', 'minibatch')
        self.tags = {}
        self.properties = {}
        self.parent = self
        self._status = 'Running'
        from .experiment import Experiment
        self.experiment = Experiment(None, os.environ.get('MINIBATCH_RUN_ID', 'minibatch'))

    @classmethod
    def get_context(cls, allow_offline=True, **_kwargs):
        if cls._offline is None:
            cls._offline = cls()
        return cls._offline

    def _record(self, kind, name, value, description='', step=None):
        _local.append_metric({
            'time': _local.now(), 'worker': os.environ.get('MINIBATCH_WORKER_ID', ''), 'name': name,
            'kind': kind, 'value': value, 'step': step, 'description': description or '',
        })

    def log(self, name, value, description='', step=None):
        _logger.info('metric %s = %r%s', name, value, '' if step is None else ' (step %s)' % step)
        self._record('log', name, value, description, step)

    def log_list(self, name, value, description=''):
        _logger.info('metric %s = %r', name, list(value))
        self._record('list', name, list(value), description)

    def log_row(self, name, description=None, **kwargs):
        _logger.info('metric %s row %r', name, kwargs)
        self._record('row', name, kwargs, description)

    def log_table(self, name, value, description=''):
        _logger.info('metric %s table %r', name, value)
        self._record('table', name, value, description)

    def log_image(self, name, path=None, plot=None, description=''):
        folder = os.path.join(_local.run_dir(), 'artifacts', 'images')
        os.makedirs(folder, exist_ok=True)
        if plot is not None:
            target = os.path.join(folder, name + '.png')
            plot.savefig(target)
        elif path is not None:
            target = os.path.join(folder, name + (os.path.splitext(path)[1] or '.png'))
            shutil.copyfile(path, target)
        else:
            raise ValueError('Run.log_image(%r) needs a path or a plot' % (name,))
        _logger.info('image %s %s', name, target)
        self._record('image', name, target, description)

    def tag(self, key, value=None):
        self.tags[key] = value
        _logger.info('tag %s = %r', key, value)

    def set_tags(self, tags):
        for key, value in tags.items():
            self.tag(key, value)

    def get_tags(self):
        return dict(self.tags)

    def add_properties(self, properties):
        self.properties.update(properties)

    def get_properties(self):
        return dict(self.properties)

    def upload_file(self, name, path_or_stream):
        """Copies a file (or a stream's bytes) to <run-dir>/artifacts/<name>."""
        target = os.path.join(_local.run_dir(), 'artifacts', name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if hasattr(path_or_stream, 'read'):
            data = path_or_stream.read()
            with open(target, 'wb') as f:
                f.write(data if isinstance(data, bytes) else data.encode('utf-8'))
        else:
            shutil.copyfile(path_or_stream, target)
        return target

    def upload_folder(self, name, path):
        """Copies a folder to <run-dir>/artifacts/<name>."""
        target = os.path.join(_local.run_dir(), 'artifacts', name)
        shutil.copytree(path, target, dirs_exist_ok=True)
        return target

    def get_file_names(self):
        root = os.path.join(_local.run_dir(), 'artifacts')
        return sorted(os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs)

    def register_model(self, model_name, model_path=None, tags=None, properties=None, description=None, **_kwargs):
        """Registers `model_path` (relative to the working folder, or an uploaded artifact) in the local registry."""
        from .model import Model
        path = model_path or 'outputs'
        if not os.path.isabs(path) and not os.path.exists(path):
            uploaded = os.path.join(_local.run_dir(), 'artifacts', path)
            if os.path.exists(uploaded):
                path = uploaded
        return Model._register(path, model_name, tags, properties, description, run_id=self.id)

    def get_metrics(self, name=None):
        import json
        latest = {}
        try:
            with open(os.path.join(_local.run_dir(), 'logs', 'metrics.jsonl'), encoding='utf-8') as f:
                for line in f:
                    record = json.loads(line)
                    if name is None or record['name'] == name:
                        latest[record['name']] = record['value']
        except FileNotFoundError:
            pass
        return latest

    def get_status(self):
        return self._status

    def complete(self, _set_status=True):
        self._status = 'Completed'

    def fail(self, error_details=None, **_kwargs):
        self._status = 'Failed'

    def flush(self):
        pass

    def __getattr__(self, name):
        if name.startswith('__'):
            raise AttributeError(name)
        raise _local.unsupported('Run', name)

    def __repr__(self):
        return 'Run(id=%r, offline)' % self.id
