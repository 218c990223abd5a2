/**
 * The `minibatch` executable (src/cli/minibatch.sh): a shell script that starts Node on the command
 * line, found through the links npm makes, and that keeps NODE_EXTRA_CA_CERTS out of Node's
 * start-up (Node 20 parses those certificates on every start) while a user's script still sees it.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MINIBATCH_VERSION } from '../../src/core/version.js';
import { CLI, runCli } from '../helpers/cli.js';
import { makeModule, moduleArgs, names } from '../helpers/module.js';

let home: string;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'minibatch-executable-'));
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

describe('the minibatch executable', () => {
  it('starts through a chain of relative links, as npm links it into a bin folder', async () => {
    const bin = join(home, 'node_modules', '.bin');
    mkdirSync(bin, { recursive: true });
    symlinkSync(relative(bin, CLI), join(bin, 'minibatch'));
    symlinkSync(join('node_modules', '.bin', 'minibatch'), join(home, 'mb'));
    for (const start of [join(bin, 'minibatch'), join(home, 'mb')]) {
      const r = await runCli(['--version'], { executable: start });
      expect(r.stderr).toBe('');
      expect(r.stdout.trim()).toBe(MINIBATCH_VERSION);
    }
  });

  it("keeps NODE_EXTRA_CA_CERTS out of Node's start-up, and gives it back to the entry script", async () => {
    const m = makeModule({ entry: 'ca_env', files: names(2), settings: { outputAction: 'append_row' } });
    try {
      const certificates = join(home, 'company-ca.pem');
      const r = await runCli([...moduleArgs(m), '--processes', '1'], { env: { NODE_EXTRA_CA_CERTS: certificates, MINIBATCH_EXTRA_CA_CERTS: undefined } });
      expect(r.exitCode).toBe(0);
      const rows = readFileSync(join(m.out, 'parallel_run_step.txt'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as unknown);
      expect(rows).toHaveLength(2);
      for (const row of rows) {
        expect(row).toEqual({
          orchestrator: { NODE_EXTRA_CA_CERTS: null, MINIBATCH_EXTRA_CA_CERTS: certificates },
          worker: { NODE_EXTRA_CA_CERTS: certificates, MINIBATCH_EXTRA_CA_CERTS: null },
        });
      }
    } finally {
      rmSync(m.root, { recursive: true, force: true });
    }
  });
});
