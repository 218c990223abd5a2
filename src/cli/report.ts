/**
 * `minibatch report <run-dir> [-o report.html]`: the run's page as one self-contained HTML file
 * (no network needed to open it). Default: `<run-dir>/logs/report.html`, where runs write it as
 * they end.
 */
import type { Command } from 'commander';

interface ReportFlags {
  readonly output?: string;
}

export function register(program: Command): void {
  program
    .command('report')
    .description("write a run's page as one self-contained HTML file (read-only; works while it runs)")
    .argument('<run-dir>', 'the run directory')
    .option('-o, --output <file>', 'where to write it (default: <run-dir>/logs/report.html)')
    .action(async (runDir: string, flags: ReportFlags) => {
      // Loaded here, not on every start-up of `minibatch` (see main.ts).
      const { writeReport } = await import('../ui/report.js');
      const file = writeReport(runDir, flags.output);
      process.stdout.write(`report: ${file}\n`);
    });
}
