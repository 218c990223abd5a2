/**
 * The help texts cannot drift: every option that `minibatch --help` or a command's `--help`
 * mentions (in its options, its description or any option's text) is one that command accepts, or
 * is named with the command that does (`run --backend`); and the README's command table lists
 * exactly the commands there are, each with options it accepts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';
import { REPO_ROOT } from '../helpers/cli.js';

const program = buildProgram();
const commands = new Map(program.commands.map((c) => [c.name(), c] as const));

/** Taken out of the arguments before parsing (main.ts), so every command accepts it. */
const GLOBAL = ['--no-color', '--help', '-h'];

function accepts(command: Command, flag: string): boolean {
  if (GLOBAL.includes(flag)) return true;
  if (command === program && (flag === '--version' || flag === '-V')) return true;
  return command.options.some((o) => o.long === flag || o.short === flag);
}

/** `--flag`s mentioned in `text`, with the command each belongs to (`run --backend`: run's). */
function mentions(text: string, own: Command): { readonly flag: string; readonly command: Command; readonly command_name: string }[] {
  return [...text.matchAll(/(?:\b([a-z][a-z-]*) )?(--[a-z][a-z0-9-]*)/g)].map((m) => {
    const named = m[1] === undefined ? undefined : commands.get(m[1]);
    const command = named ?? own;
    return { flag: m[2] ?? '', command, command_name: command.name() };
  });
}

describe('help', () => {
  it('minibatch --help: every option it offers is accepted', () => {
    const options = program.helpInformation().split('\nCommands:')[0] ?? '';
    for (const { flag, command } of mentions(options, program)) expect(accepts(command, flag), `minibatch --help offers ${flag}`).toBe(true);
  });

  it.each([...commands.keys()].filter((name) => name !== 'help'))('minibatch %s --help: every option it mentions is accepted', (name) => {
    const command = commands.get(name) as Command;
    const text = command.helpInformation();
    const wrong = mentions(text, command)
      .filter(({ flag, command: c }) => !accepts(c, flag))
      .map(({ flag, command_name }) => `${command_name} ${flag}`);
    expect(wrong, `minibatch ${name} --help:\n${text}`).toEqual([]);
  });

  it('no option shows a default that means nothing (an empty list)', () => {
    for (const command of program.commands) {
      expect(command.helpInformation(), `minibatch ${command.name()} --help`).not.toMatch(/\(default:\s+\[\]\)/);
    }
  });

  it("agrees with the README's command table: the same commands, each with options it accepts", () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    const rows = [...readme.matchAll(/^\| `minibatch ([a-z-]+)([^`]*)`/gm)].map((m) => ({ name: m[1] ?? '', usage: m[2] ?? '' }));
    expect(rows.map((r) => r.name).sort()).toEqual([...commands.keys()].filter((n) => n !== 'help').sort());
    for (const row of rows) {
      const command = commands.get(row.name) as Command;
      for (const { flag, command: c } of mentions(row.usage, command)) expect(accepts(c, flag), `README: minibatch ${row.name} … ${flag}`).toBe(true);
    }
  });
});
