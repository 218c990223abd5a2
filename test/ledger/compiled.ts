/**
 * The sources, transpiled to plain JavaScript in a temporary folder, so that a child `node` process
 * (which we can `kill -9`) runs the real ledger code. Type-only imports vanish; `.js` specifiers
 * already point at the emitted files; `node_modules` is linked so `better-sqlite3` resolves.
 */
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

const PROJECT = resolve(import.meta.dirname, '..', '..');

/** Transpiles `src/**` under `outDir`; returns the path of the emitted `src`. */
export function compileSources(outDir: string): string {
  const src = join(PROJECT, 'src');
  for (const file of walk(src)) {
    if (!file.endsWith('.ts')) continue;
    const { outputText } = ts.transpileModule(readFileSync(file, 'utf8'), {
      compilerOptions: {
        module: ts.ModuleKind.ESNext,
        target: ts.ScriptTarget.ES2022,
        verbatimModuleSyntax: true,
      },
      fileName: file,
    });
    const out = join(outDir, 'src', relative(src, file)).replace(/\.ts$/, '.js');
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, outputText);
  }
  writeFileSync(join(outDir, 'package.json'), '{"type":"module"}\n');
  symlinkSync(join(PROJECT, 'node_modules'), join(outDir, 'node_modules'));
  return join(outDir, 'src');
}

function* walk(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else yield path;
  }
}
