"""Where the offline azureml.core keeps what a run records (docs/AZURE.md).

Metrics go to <run-dir>/logs/metrics.jsonl, one JSON line each; uploads to <run-dir>/artifacts/;
registered models to the local model registry (MINIBATCH_MODEL_REGISTRY, shared by runs).
"""

import datetime
import json
import os

INSTALL_REAL = 'install azureml-core to use the real one'


def unsupported(owner, name):
    return AttributeError(
        'minibatch provides a small offline azureml.core; %s.%s is not part of it (%s)' % (owner, name, INSTALL_REAL))


def run_dir():
    """The run directory; a script started outside minibatch records under the current folder."""
    return os.environ.get('MINIBATCH_RUN_DIR') or os.path.join(os.getcwd(), '.minibatch', 'offline-run')


def registry_dir():
    return os.environ.get('MINIBATCH_MODEL_REGISTRY') or os.path.join(os.getcwd(), '.minibatch', 'models')


def now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat()


def _jsonable(value):
    # numpy scalars and arrays, pandas values: what metrics usually are.
    for method in ('item', 'tolist'):
        if hasattr(value, method):
            try:
                return getattr(value, method)()
            except Exception:
                pass
    return str(value)


def append_metric(record):
    """One JSON line per call, appended whole (O_APPEND), so workers of a run may share the file."""
    path = os.path.join(run_dir(), 'logs', 'metrics.jsonl')
    os.makedirs(os.path.dirname(path), exist_ok=True)
    line = json.dumps(record, default=_jsonable, sort_keys=False) + '\n'
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line.encode('utf-8'))
    finally:
        os.close(fd)
