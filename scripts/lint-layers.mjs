// The layer rule of docs/ARCHITECTURE.md ("Layers"), as an ESLint rule: a module under src/ imports
// only from its own folder or from folders below it. An upward import fails `npm run lint`.
//
// Written here rather than as `no-restricted-imports` patterns because it must see dynamic
// `import()` too (the Redis backend is loaded that way) and judge each path by where it resolves,
// whatever the depth of the importing file.
import { dirname, relative, resolve, sep } from 'node:path';

/** Lowest first. A folder may import from itself and from any folder before it. */
export const LAYERS = ['core', 'spec', 'data', 'workers', 'ledger', 'report', 'redis', 'run', 'cli'];

const SRC = resolve(import.meta.dirname, '..', 'src');

/** The layer a path under src/ belongs to: its first folder; a file at src/ itself is the top. */
function layerOf(path) {
  const rel = relative(SRC, path);
  if (rel.startsWith('..')) return null;
  const parts = rel.split(sep);
  return parts.length === 1 ? 'index' : parts[0];
}

function rank(layer) {
  return layer === 'index' ? LAYERS.length : LAYERS.indexOf(layer);
}

/** @type {import('eslint').Rule.RuleModule} */
const importsDownward = {
  meta: {
    type: 'problem',
    docs: { description: 'src/ folders import only from folders below them (docs/ARCHITECTURE.md, Layers)' },
    schema: [],
  },
  create(context) {
    const from = layerOf(context.filename);
    if (from === null) return {};
    const check = (node, source) => {
      if (source?.type !== 'Literal' || typeof source.value !== 'string' || !source.value.startsWith('.')) return;
      const to = layerOf(resolve(dirname(context.filename), source.value));
      if (to === null || to === from) return;
      if (rank(to) === -1 || rank(from) === -1) {
        const unknown = rank(from) === -1 ? from : to;
        context.report({ node, message: `src/${unknown}/ is not in the layer list (scripts/lint-layers.mjs): add it where it belongs` });
      } else if (rank(to) > rank(from)) {
        context.report({
          node,
          message:
            `src/${from}/ imports '${source.value}' from src/${to === 'index' ? 'index.ts' : to + '/'}, a layer above it ` +
            `(order: ${LAYERS.join(' < ')}): move what both need down, or declare it in src/${from}/`,
        });
      }
    };
    return {
      ImportDeclaration: (node) => check(node, node.source),
      ExportNamedDeclaration: (node) => check(node, node.source),
      ExportAllDeclaration: (node) => check(node, node.source),
      ImportExpression: (node) => check(node, node.source),
    };
  },
};

export const layersPlugin = { rules: { 'imports-downward': importsDownward } };
