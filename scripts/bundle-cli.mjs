// `npm run build`, second step: bundles the command line (src/cli/main.ts) into
// dist/cli/minibatch.cjs and its launcher (src/cli/launcher.ts) into dist/cli/main.cjs, and puts
// beside them the `minibatch` executable (src/cli/minibatch.sh), which starts Node on main.cjs.
// The library entry (dist/index.js) and its types stay tsc's.
//
// Why a bundle: `minibatch run` is started once per job and its start-up is part of every job's
// time. Unbundled, it loads ~180 files (72 of them yaml's) through Node's ESM loader.
// Why CommonJS: the launcher compiles it with a V8 code cache, which Node 20 offers for scripts
// only, not for ES modules. What only some commands need (`resume`, `status`, the Redis backend)
// still loads only when used: in a CommonJS bundle, esbuild turns each `import()` of our own files
// into a module initialised on first use, and their packages' `require` calls run only then.
// better-sqlite3 (native), bullmq and ioredis (large, Redis runs only) and cli-progress (loaded
// with createRequire, terminals only) stay packages.
import { build } from 'esbuild';
import { chmodSync, copyFileSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist', 'cli');
rmSync(join(outdir, 'chunks'), { recursive: true, force: true }); // from builds before the launcher

/**
 * `entry` as one CommonJS file, dist/cli/<name>.cjs. CommonJS has no import.meta: a module's own URL
 * (package-root.ts, progress.ts, the launcher's) is its file's. The banner repeats esbuild's
 * "use strict" first, where a directive must be to count.
 */
function bundleCommonJs(name, entry, options = {}) {
  return build({
    absWorkingDir: root,
    entryPoints: { [name]: entry },
    outdir,
    outExtension: { '.js': '.cjs' },
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    define: { 'import.meta.url': '__minibatchFileUrl' },
    banner: { js: `"use strict";\nconst __minibatchFileUrl = require('node:url').pathToFileURL(__filename).href;` },
    logLevel: 'warning',
    ...options,
  });
}

await bundleCommonJs('minibatch', 'src/cli/main.ts', {
  external: ['better-sqlite3', 'bullmq', 'ioredis', 'cli-progress', 'hono', '@hono/node-server'],
  sourcemap: 'linked',
});

// The launcher compiles the bundle as a plain script, which cannot run `import()`: each must have
// become a lazily initialised module (our files) or a `require` (packages).
const bundled = readFileSync(join(outdir, 'minibatch.cjs'), 'utf8');
// A type in a comment (`/** @type {typeof import('…')} */`, as hyparquet writes) is no import.
const dynamic = bundled
  .split('\n')
  .findIndex((line) => /\bimport\(/.test(line.replace(/\/\*.*?\*\//g, '')) && !/^\s*(\/\/|\*)/.test(line));
if (dynamic !== -1) throw new Error(`dist/cli/minibatch.cjs:${dynamic + 1} still has an import(): bundle it, or require() the package`);

// The launcher: CommonJS too, and one file, because Node starts an ES module entry through its
// module loader, ~8 ms more of every command than a CommonJS one (bench/).
await bundleCommonJs('main', 'src/cli/launcher.ts');
rmSync(join(outdir, 'main.js'), { force: true }); // the launcher of builds before this one
// The web page of `minibatch ui` and `minibatch report` (src/ui/page/): one script and one style,
// served by the server and inlined into reports. A browser bundle: ECharts is compiled in, only
// the charts and components the page uses.
await build({
  absWorkingDir: root,
  entryPoints: [
    { in: 'src/ui/page/main.ts', out: 'page' },
    { in: 'src/ui/page/style.css', out: 'page' },
  ],
  outdir: join(root, 'dist', 'ui-page'),
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: ['chrome110', 'firefox110', 'safari16'],
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
});

// The `minibatch` executable: a shell script that starts Node on main.cjs (src/cli/minibatch.sh says why).
const executable = join(outdir, 'minibatch');
copyFileSync(join(root, 'src', 'cli', 'minibatch.sh'), executable);
chmodSync(executable, 0o755);
