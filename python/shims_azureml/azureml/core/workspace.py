"""`Workspace.from_config()` / `Workspace.get(...)`: a local workspace (nothing in Azure is reached)."""

import json
import os

from . import _local


class Workspace:
    """A local workspace: its models are the local model registry's."""

    def __init__(self, subscription_id=None, resource_group=None, workspace_name=None, **_kwargs):
        self.subscription_id = subscription_id or 'local'
        self.resource_group = resource_group or 'local'
        self.name = workspace_name or 'local'
        self.location = 'local'

    @classmethod
    def from_config(cls, path=None, auth=None, _logger=None, _file_name=None):
        """Reads config.json (as Azure's does) when there is one, for its names; works without."""
        for candidate in [path, os.path.join(os.getcwd(), '.azureml', 'config.json'), os.path.join(os.getcwd(), 'config.json')]:
            if candidate and os.path.isfile(candidate):
                with open(candidate, encoding='utf-8') as f:
                    config = json.load(f)
                return cls(config.get('subscription_id'), config.get('resource_group'), config.get('workspace_name'))
        return cls()

    @classmethod
    def get(cls, name, auth=None, subscription_id=None, resource_group=None, **_kwargs):
        return cls(subscription_id, resource_group, name)

    @property
    def models(self):
        from .model import Model
        return {m.name: m for m in Model.list(self, latest=True)}

    def __getattr__(self, name):
        if name.startswith('__'):
            raise AttributeError(name)
        raise _local.unsupported('Workspace', name)

    def __repr__(self):
        return 'Workspace(name=%r, local)' % self.name
