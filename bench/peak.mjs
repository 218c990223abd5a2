// Preloaded into the orchestrator (NODE_OPTIONS="--import bench/peak.mjs" dist/cli/minibatch …) by
// bench/run.mjs for its memory rows only: at exit, writes the Node process's own peak RSS
// (getrusage RUSAGE_SELF, so the Python workers are not counted) to $MINIBATCH_BENCH_PEAK_FILE.
// The timed comparisons run without it: preloading a module costs Node start-up time.
import { writeFileSync } from 'node:fs';

const file = process.env.MINIBATCH_BENCH_PEAK_FILE;
if (file) {
  process.on('exit', () => {
    writeFileSync(file, JSON.stringify({ maxRssKb: process.resourceUsage().maxRSS }));
  });
}
