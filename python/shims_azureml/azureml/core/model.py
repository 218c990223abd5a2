"""`Model`: bound model inputs first (a ModelDirectory input, a deployment's model), then the local
model registry (MINIBATCH_MODEL_REGISTRY; default .minibatch/models), which runs share: one run's
`register_model` is the next run's `Model.list`.

The registry holds <registry>/<name>/<version>/model.json and the model's own file or folder
beside it, copied at registration.
"""

import json
import os
import re
import shutil

from _minibatch_context import context

from . import _local


def _norm(name):
    # 'Model Input', 'model_input' and 'model-input' name the same port (snake_case, as on the command line).
    return re.sub(r'[\s_\-]+', '_', str(name).strip()).lower()


class ModelNotFoundError(LookupError):
    """No bound model input and no registered model has that name (and version)."""


def _versions(name):
    folder = os.path.join(_local.registry_dir(), name)
    try:
        return sorted(int(v) for v in os.listdir(folder) if v.isdigit())
    except FileNotFoundError:
        return []


def _read(name, version):
    with open(os.path.join(_local.registry_dir(), name, str(version), 'model.json'), encoding='utf-8') as f:
        return json.load(f)


def _matches_tags(record_tags, tags):
    """Azure's `tags` filter: a list of names, or of [name, value] pairs (a dict is taken too)."""
    if not tags:
        return True
    items = tags.items() if isinstance(tags, dict) else tags
    for tag in items:
        if isinstance(tag, (list, tuple)):
            key, value = tag[0], tag[1]
            if str(record_tags.get(key)) != str(value):
                return False
        elif tag not in record_tags:
            return False
    return True


class Model:
    """A registered model (name, version, tags, properties, description) in the local registry."""

    def __init__(self, workspace=None, name=None, id=None, tags=None, properties=None, version=None, run_id=None, **_kwargs):
        if id is not None and name is None:
            name, _, found = id.partition(':')
            version = version or (found or None)
        if name is None:
            raise ValueError('Model(workspace, name, version) needs a name')
        versions = _versions(name)
        candidates = [int(version)] if version is not None else list(reversed(versions))
        for candidate in candidates:
            if candidate not in versions:
                continue
            record = _read(name, candidate)
            if _matches_tags(record.get('tags', {}), tags) and _matches_tags(record.get('properties', {}), properties):
                self._load(workspace, record)
                return
        raise ModelNotFoundError(
            'Model %r%s is not in the local model registry (%s): register it with `minibatch model register %s PATH` '
            '(or Run.register_model, Model.register), or point MINIBATCH_MODEL_REGISTRY at the registry that has it'
            % (name, '' if version is None else ' version %s' % version, _local.registry_dir(), name))

    def _load(self, workspace, record):
        from .workspace import Workspace
        self.workspace = workspace if workspace is not None else Workspace()
        self.name = record['name']
        self.version = record['version']
        self.id = '%s:%s' % (self.name, self.version)
        self.tags = record.get('tags', {})
        self.properties = record.get('properties', {})
        self.description = record.get('description')
        self.created_time = record.get('created_time')
        self.run_id = record.get('run_id')
        self.url = record['path']

    @property
    def path(self):
        return self.url

    @classmethod
    def _register(cls, model_path, model_name, tags=None, properties=None, description=None, run_id=None):
        if not os.path.exists(model_path):
            raise FileNotFoundError('register_model(%r): %s does not exist' % (model_name, os.path.abspath(model_path)))
        folder = os.path.join(_local.registry_dir(), model_name)
        os.makedirs(folder, exist_ok=True)
        # Workers of a run may register at once: a version is taken by creating its folder.
        version = (_versions(model_name) or [0])[-1] + 1
        while True:
            try:
                os.mkdir(os.path.join(folder, str(version)))
                break
            except FileExistsError:
                version += 1
        target_dir = os.path.join(folder, str(version))
        target = os.path.join(target_dir, os.path.basename(os.path.normpath(model_path)))
        if os.path.isdir(model_path):
            shutil.copytree(model_path, target)
        else:
            shutil.copyfile(model_path, target)
        record = {'name': model_name, 'version': version, 'path': target, 'tags': dict(tags or {}),
                  'properties': dict(properties or {}), 'description': description,
                  'created_time': _local.now(), 'run_id': run_id}
        partial = os.path.join(target_dir, 'model.json.partial')
        with open(partial, 'w', encoding='utf-8') as f:
            json.dump(record, f, indent=2)
        os.replace(partial, os.path.join(target_dir, 'model.json'))
        return cls(None, model_name, version=version)

    @classmethod
    def register(cls, workspace, model_path, model_name, tags=None, properties=None, description=None, **_kwargs):
        return cls._register(model_path, model_name, tags, properties, description)

    @staticmethod
    def list(workspace, name=None, tags=None, properties=None, run_id=None, latest=False, **_kwargs):
        """Registered models, newest version first per name; filtered as Azure's Model.list is."""
        root = _local.registry_dir()
        names = [name] if name is not None else (sorted(os.listdir(root)) if os.path.isdir(root) else [])
        found = []
        for each in names:
            for version in reversed(_versions(each)):
                try:
                    record = _read(each, version)
                except FileNotFoundError:
                    continue  # being registered
                if not _matches_tags(record.get('tags', {}), tags) or not _matches_tags(record.get('properties', {}), properties):
                    continue
                if run_id is not None and record.get('run_id') != run_id:
                    continue
                found.append(Model(workspace, each, version=version))
                if latest:
                    break
        return found

    def download(self, target_dir='.', exist_ok=False, **_kwargs):
        """Copies the model into target_dir; returns its path there."""
        target = os.path.join(target_dir, os.path.basename(self.url))
        if os.path.exists(target) and not exist_ok:
            raise FileExistsError('Model.download: %s exists (pass exist_ok=True to replace it)' % target)
        os.makedirs(target_dir, exist_ok=True)
        if os.path.isdir(self.url):
            shutil.copytree(self.url, target, dirs_exist_ok=True)
        else:
            shutil.copyfile(self.url, target)
        return target

    @staticmethod
    def get_model_path(model_name, version=None, _workspace=None):
        """A bound model input of that name; else the registered model; else the only bound model input."""
        models = context['models']
        if model_name in models and version is None:
            return models[model_name]
        wanted = _norm(model_name)
        for name, path in models.items():
            if _norm(name) == wanted and version is None:
                return path
        if _versions(model_name):
            return Model(None, model_name, version=version).url
        if len(models) == 1 and version is None:
            return next(iter(models.values()))
        if not models:
            raise ModelNotFoundError(
                'Model.get_model_path(%r): no bound model input and no registered model has that name; '
                'register it with `minibatch model register %s PATH` (the local registry is %s), or declare a '
                'ModelDirectory input (or a deployment model) and bind it' % (model_name, model_name, _local.registry_dir()))
        raise ModelNotFoundError(
            'Model.get_model_path(%r): no bound model input has that name (the bound ones are %s), and the '
            'local registry (%s) has no such model: register it with `minibatch model register %s PATH`'
            % (model_name, ', '.join(repr(n) for n in sorted(models)), _local.registry_dir(), model_name))

    def __getattr__(self, name):
        if name.startswith('__'):
            raise AttributeError(name)
        raise _local.unsupported('Model', name)

    def __repr__(self):
        return 'Model(name=%r, version=%r, local)' % (self.name, self.version)
