"""A small offline `azureml.core` for entry scripts written for Azure ML (docs/ARCHITECTURE.md, "Entry script").

minibatch puts this on sys.path only when the real azureml-core is not installed. It covers what
parallel-run entry scripts commonly use: `Run.get_context()` (an offline run whose metrics go to
the entry log) and `Model.get_model_path(name)` (the bound ModelDirectory input).
"""

from .model import Model
from .run import Run

__all__ = ['Model', 'Run']
