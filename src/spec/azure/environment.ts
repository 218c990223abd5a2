/**
 * A v2 `environment` (an `azureml:name:version` reference, or inline with `image` and
 * `conda_file`). minibatch builds no environments: the entry runs with the interpreter the user
 * chooses, so the environment is reduced to a note that says which one (docs/AZURE.md).
 */
import type { YamlPath } from '../diagnostics.js';
import { formatPath } from '../diagnostics.js';
import type { Environment } from '../types.js';
import type { CompileContext } from './compile-context.js';

const ENVIRONMENT_KEYS = ['name', 'version', 'image', 'conda_file', 'build', 'description', 'tags', 'os_type', 'inference_config', '$schema'];
const HOW_CHOSEN = 'the entry runs with --python if given, else python3 on PATH';

export function compileEnvironment(ctx: CompileContext, path: YamlPath): Environment {
  const none: Environment = { kind: 'amlEnvironment', interpreterPath: null, declaredDependencies: [] };
  const env = ctx.value(path);
  const where = formatPath(path);
  if (env === undefined || env === null) return none;
  if (typeof env === 'string') {
    ctx.diags.note(path, `${where} \`${env}\` is not built here: ${HOW_CHOSEN}`, 'key');
    return { ...none, declaredDependencies: [env] };
  }
  if (typeof env !== 'object' || Array.isArray(env)) {
    ctx.diags.error(path, `${where} must be azureml:NAME:VERSION or a mapping (image, conda_file)`);
    return none;
  }
  ctx.strictKeys(path, ENVIRONMENT_KEYS);
  const spec = env as Record<string, unknown>;
  const conda = typeof spec.conda_file === 'string' ? spec.conda_file : null;
  const image = typeof spec.image === 'string' ? spec.image : null;
  const parts = [image === null ? null : `image \`${image}\``, conda === null ? null : `conda_file \`${conda}\``].filter((p) => p !== null);
  ctx.diags.note(path, `${where}${parts.length > 0 ? ` (${parts.join(', ')})` : ''} is not built here: ${HOW_CHOSEN}; install what it lists into that interpreter`, 'key');
  if (image !== null && conda === null) return { kind: 'image', image };
  return { ...none, declaredDependencies: conda === null ? [] : [conda] };
}
