"""A small offline `azureml.core` for entry scripts written for Azure ML (DESIGN.md §5; docs/AZURE.md).

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
