/** Runs the built `minibatch` on a pseudo-terminal (util-linux `script`): what a terminal shows. */
import { spawn } from 'node:child_process';
import { CLI } from './cli.js';

export interface TerminalResult {
  /** Everything written to the terminal, escape sequences included. */
  readonly screen: string;
  readonly exitCode: number | null;
}

/**
 * `minibatch ...args` on a terminal `columns` wide (else as wide as `script` makes it); `onScreen`
 * sees the screen so far each time something is written.
 */
export async function onTerminal(args: readonly string[], columns?: number, onScreen?: (screen: string) => void): Promise<TerminalResult> {
  const quote = (s: string): string => `'${s.replaceAll("'", "'\\''")}'`;
  const command = `${columns === undefined ? '' : `stty cols ${columns}; `}${[CLI, ...args].map(quote).join(' ')}`;
  // -e: script exits with the command's code; -q: no banner; the typescript goes nowhere.
  const child = spawn('script', ['-qec', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, TERM: 'xterm' } });
  child.stdin.end();
  let screen = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    screen += chunk;
    onScreen?.(screen);
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (screen += chunk));
  const exitCode = await new Promise<number | null>((resolve) => child.once('close', resolve));
  return { screen, exitCode };
}

/** `screen` without its escape sequences (colours, cursor moves) and carriage returns (a terminal's line ends are `\r\n`). */
export function plainText(screen: string): string {
  // eslint-disable-next-line no-control-regex
  return screen.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replaceAll('\r', '');
}
