"""The offline run's `experiment`, with its `workspace`."""


class Experiment:
    def __init__(self, workspace, name, **_kwargs):
        from .workspace import Workspace
        self.workspace = workspace if workspace is not None else Workspace()
        self.name = name

    def __repr__(self):
        return 'Experiment(name=%r, local)' % self.name
