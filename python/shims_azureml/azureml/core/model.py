"""`Model.get_model_path(name)`: the bound ModelDirectory input, by name or the only one."""

import re

from _minibatch_context import context


def _norm(name):
    # 'Model Input', 'model_input' and 'model-input' name the same port (snake_case).
    return re.sub(r'[\s_\-]+', '_', str(name).strip()).lower()


class ModelNotFoundError(LookupError):
    """The name matches no bound ModelDirectory input."""


class Model:
    """Registered models are not available offline; bound ModelDirectory inputs stand in for them."""

    @staticmethod
    def get_model_path(model_name, version=None, _workspace=None):
        models = context['models']
        if model_name in models:
            return models[model_name]
        wanted = _norm(model_name)
        for name, path in models.items():
            if _norm(name) == wanted:
                return path
        if len(models) == 1:
            return next(iter(models.values()))
        if not models:
            raise ModelNotFoundError(
                'Model.get_model_path(%r): the module has no bound ModelDirectory input; '
                'declare an input of type ModelDirectory and bind it to the model folder' % (model_name,))
        raise ModelNotFoundError(
            'Model.get_model_path(%r): no bound ModelDirectory input has that name; the bound ones are %s'
            % (model_name, ', '.join(repr(n) for n in sorted(models))))
