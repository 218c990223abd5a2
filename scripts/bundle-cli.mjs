// `npm run build`, second step: bundles the command line (src/cli/main.ts) into dist/cli/main.js,
// over what tsc emitted there. Why: `minibatch run` is started once per job and its start-up is
// part of every job's time (issue 3). Unbundled, it loads ~180 files (72 of them yaml's) through
// Node's ESM loader: ~50 ms of a 0.25 s run of one file. The library entry (dist/index.js) and
// its types stay tsc's.
//
// Code splitting keeps what commands import lazily (resume, status, the Redis backend) out of
// start-up; a single bundle would load bullmq and ioredis on every run and start slower than no
// bundle at all. better-sqlite3 (native), bullmq and ioredis (large, Redis runs only) and
// cli-progress (loaded with createRequire, terminals only) stay packages.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist', 'cli');
rmSync(join(outdir, 'chunks'), { recursive: true, force: true }); // chunk names change with their content

await build({
  absWorkingDir: root,
  entryPoints: { main: 'src/cli/main.ts' },
  outdir,
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['better-sqlite3', 'bullmq', 'ioredis', 'cli-progress'],
  // commander and yaml are CommonJS and require Node's built-ins; an ES module has no `require`.
  banner: { js: "import { createRequire as __minibatchRequire } from 'node:module'; const require = __minibatchRequire(import.meta.url);" },
  sourcemap: 'linked',
  logLevel: 'warning',
});
