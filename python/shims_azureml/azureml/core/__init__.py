"""A small offline `azureml.core` for entry scripts written for Azure ML (docs/AZURE.md).

minibatch puts this on sys.path only when the real azureml-core is not installed. It covers what
entry scripts commonly use: `Run.get_context()` (an offline run: metrics to the run directory's
logs/metrics.jsonl, uploads to its artifacts/, `register_model`), `Workspace.from_config()`, `Model`
(bound model inputs, then a local model registry shared by runs) and `Dataset.get_by_name` of a
bound input. Anything else says so by name and points at installing azureml-core.
"""

from .dataset import Dataset
from .experiment import Experiment
from .model import Model
from .run import Run
from .workspace import Workspace

__all__ = ['Dataset', 'Experiment', 'Model', 'Run', 'Workspace']


def __getattr__(name):
    """`from azureml.core import Environment` imports; using it says it is not offered offline."""
    if name.startswith('__'):
        raise AttributeError(name)
    from ._local import unsupported

    class Unsupported:
        def __init__(self, *args, **kwargs):
            raise unsupported('azureml.core', name)

        def __init_subclass__(cls, **kwargs):
            raise unsupported('azureml.core', name)

    Unsupported.__name__ = Unsupported.__qualname__ = name
    return Unsupported
