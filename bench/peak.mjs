// Preloaded into the orchestrator (NODE_OPTIONS="--import bench/peak.mjs" dist/cli/minibatch …) by
// bench/run.mjs: at exit, writes the Node process's own peak RSS and CPU time (getrusage
// RUSAGE_SELF, so the Python workers are not counted) to $MINIBATCH_BENCH_PEAK_FILE.
import { writeFileSync } from 'node:fs';

const file = process.env.MINIBATCH_BENCH_PEAK_FILE;
if (file) {
  process.on('exit', () => {
    const u = process.resourceUsage();
    writeFileSync(file, JSON.stringify({ maxRssKb: u.maxRSS, userUs: u.userCPUTime, systemUs: u.systemCPUTime }));
  });
}
