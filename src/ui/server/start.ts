/**
 * `minibatch ui`'s server: loopback by default; on any other address it requires a token, printed
 * in the URL at start (as Jupyter does), since run logs and tracebacks may hold secrets.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { EnvironmentError } from '../../core/errors.js';
import { createApp } from './app.js';

export interface UiOptions {
  readonly dir: string;
  /** 0: any free port. */
  readonly port: number;
  readonly host: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export interface RunningUi {
  /** The URL to open, with the token when there is one. */
  readonly url: string;
  close(): Promise<void>;
}

export const DEFAULT_UI_PORT = 8265;
export const DEFAULT_UI_HOST = '127.0.0.1';

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export async function startUi(options: UiOptions): Promise<RunningUi> {
  const token = isLoopback(options.host) ? null : randomBytes(24).toString('hex');
  const app = createApp({ dir: options.dir, token, ...(options.env === undefined ? {} : { env: options.env }) });
  const server = createAdaptorServer({ fetch: app.fetch });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      const why = error.code === 'EADDRINUSE' ? 'it is in use' : error.code === 'EADDRNOTAVAIL' ? 'that address is not on this machine' : error.message;
      reject(new EnvironmentError('PORT_UNAVAILABLE', `cannot serve on ${options.host}:${options.port}: ${why}; choose another with --port or --host`, { cause: error }));
    });
    server.listen(options.port, options.host.replace(/^\[(.*)\]$/, '$1'), () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const shown = options.host === '0.0.0.0' || options.host === '::' ? 'localhost' : host;
  const url = `http://${shown}:${address.port}/${token === null ? '' : `?token=${token}`}`;
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        // Live pages hold their event streams open: end them too.
        if ('closeAllConnections' in server) server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Opens `url` in the desktop's browser; best effort (a server without a desktop has none). */
export function openBrowser(url: string): void {
  const command = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  try {
    const child = spawn(command, [url], { detached: true, stdio: 'ignore' });
    child.on('error', () => process.stderr.write(`minibatch ui: could not open a browser (${command}); open ${url} yourself\n`));
    child.unref();
  } catch {
    process.stderr.write(`minibatch ui: could not open a browser; open ${url} yourself\n`);
  }
}
