/**
 * File names that are not valid UTF-8 are listed, keyed, stored, resumed and handed to `run()`
 * byte-exact (as Python's `os.fsdecode` gives them), never dropped: a Latin-1 `caf\xe9.txt`,
 * `bad-\xff\xfe.txt`, and a folder whose own name is not UTF-8.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fsDecode, fsEncode } from '../../src/data/fs-names.js';
import { listFiles } from '../../src/data/list.js';
import { runCli } from '../helpers/cli.js';
import { makeModule, moduleArgs } from '../helpers/module.js';
import { collect } from './tree.js';

/** Names as bytes: two that are not UTF-8, one that is, and one in a folder that is not. */
const NAMES: readonly Buffer[] = [
  Buffer.from('caf\xe9.txt', 'latin1'),
  Buffer.concat([Buffer.from('bad-'), Buffer.of(0xff, 0xfe), Buffer.from('.txt')]),
  Buffer.from('good-é.txt'),
  Buffer.concat([Buffer.from('dir-'), Buffer.of(0xe9), Buffer.from('/inner.txt')]),
];

function writeNames(data: string): void {
  for (const [i, name] of NAMES.entries()) {
    const path = Buffer.concat([Buffer.from(`${data}/`), name]);
    const slash = path.lastIndexOf('/');
    mkdirSync(path.subarray(0, slash), { recursive: true });
    writeFileSync(path, `content ${i}\n`);
  }
}

describe('names that are not UTF-8', () => {
  it('decode and encode as Python does (surrogateescape), byte for byte', () => {
    for (const bytes of [...NAMES, Buffer.of(0xed, 0xa0, 0x80), Buffer.of(0xc0, 0xaf), Buffer.from('😀'), Buffer.of(0xf0, 0x9f)]) {
      expect(fsEncode(fsDecode(bytes)).equals(bytes)).toBe(true);
    }
    expect(fsDecode(Buffer.from('caf\xe9', 'latin1'))).toBe('caf\udce9');
    expect(fsDecode(Buffer.from('😀é'))).toBe('😀é');
  });

  it('are listed, each once, with the bytes of their names', async () => {
    const m = makeModule({ entry: 'name_bytes', files: [] });
    writeNames(m.data);
    const items = await collect(listFiles(m.data));
    expect(items.map((i) => fsEncode(i.rel).toString('hex')).sort()).toEqual(NAMES.map((n) => n.toString('hex')).sort());
  });

  it('reach run() byte-exact, and a run killed midway resumes to each row once', async () => {
    const m = makeModule({ entry: 'name_bytes', files: [], settings: { outputAction: 'append_row' } });
    writeNames(m.data);
    const args = [...moduleArgs(m), '--mini-batch-size', '1', '--processes', '1'];
    const killed = await runCli(args, { env: { MINIBATCH_TEST_KILL_AT: 'committed:2' } });
    expect(killed.signal).toBe('SIGKILL');
    const r = await runCli(['resume', m.runDir, '--no-progress'], { env: { MINIBATCH_TEST_KILL_AT: undefined } });
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('4 succeeded, 0 partial, 0 failed, 0 not run (of 4)');
    const rows = readFileSync(join(m.out, 'parallel_run_step.txt'), 'utf8').trim().split('\n').sort();
    const basenames = NAMES.map((n) => n.subarray(n.lastIndexOf('/') + 1));
    expect(rows).toEqual(basenames.map((n, i) => `${n.toString('hex')} content ${i}`).sort());
  });
});
