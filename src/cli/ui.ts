/**
 * `minibatch ui [dir] [--port P] [--host H] [--open]`: a read-only web view of the runs under
 * `<dir>/.minibatch/runs` and those started elsewhere with --run-dir (docs/UI.md). Serves until
 * Ctrl-C.
 */
import type { Command } from 'commander';
import { UsageError } from '../core/errors.js';

interface UiFlags {
  readonly port?: string;
  readonly host?: string;
  readonly open?: boolean;
}

export function register(program: Command): void {
  program
    .command('ui')
    .description('serve a live web view of the runs (read-only; loopback unless --host says otherwise)')
    .argument('[dir]', 'the folder whose .minibatch/runs to show, besides the runs remembered (default: .)')
    .option('--port <port>', 'the port (0: any free one; default 8265)')
    .option('--host <host>', 'the address to listen on; any but loopback requires the token printed at start (default 127.0.0.1)')
    .option('--open', "open the page in this desktop's browser")
    .action(async (dir: string | undefined, flags: UiFlags) => {
      // Loaded here, not on every start-up of `minibatch` (see main.ts).
      const { DEFAULT_UI_HOST, DEFAULT_UI_PORT, openBrowser, startUi } = await import('../ui/server/start.js');
      const port = flags.port === undefined ? DEFAULT_UI_PORT : Number(flags.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        throw new UsageError(`--port ${flags.port ?? ''}: not a port number; give 0 to 65535 (0: any free port)`);
      }
      const ui = await startUi({ dir: dir ?? '.', port, host: flags.host ?? DEFAULT_UI_HOST });
      process.stdout.write(`minibatch ui: serving ${ui.url}\n(read-only; Ctrl-C stops it)\n`);
      if (flags.open === true) openBrowser(ui.url);
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          void ui.close().then(resolve);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });
}
