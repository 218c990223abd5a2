/**
 * Node arguments that let a child `node` run this repository's TypeScript directly: a module hook
 * that transpiles `.ts` with the project's own `typescript` and maps `./x.js` imports to `./x.ts`.
 * (Node 20 cannot strip types; the hooks are a data: URL so no loader file needs linting.)
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const typescript = pathToFileURL(createRequire(import.meta.url).resolve('typescript')).href;

const HOOKS = `
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from ${JSON.stringify(typescript)};
export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context);
  } catch (error) {
    if (/^\\.{1,2}\\//.test(specifier) && specifier.endsWith('.js')) return next(specifier.slice(0, -3) + '.ts', context);
    throw error;
  }
}
export async function load(url, context, next) {
  if (!url.endsWith('.ts')) return next(url, context);
  const fileName = fileURLToPath(url);
  const { outputText } = ts.transpileModule(readFileSync(fileName, 'utf8'), {
    fileName,
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
  });
  return { format: 'module', source: outputText, shortCircuit: true };
}
`;

const REGISTER = `import { register } from 'node:module'; register(${JSON.stringify(
  `data:text/javascript,${encodeURIComponent(HOOKS)}`,
)});`;

export const NODE_TS_ARGS: readonly string[] = ['--no-warnings', '--import', `data:text/javascript,${encodeURIComponent(REGISTER)}`];
