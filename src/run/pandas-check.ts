/** pandas is needed only when a job reads tables; then its absence stops the run before it starts. */
import { hasTables } from '../data/dataset.js';
import type { ResolvedJob } from '../spec/types.js';
import { checkPandas, type Interpreter } from '../workers/interpreter.js';

/** For `.then` after resolving a job's interpreter: checks that it imports pandas when the job reads tables. */
export function pandasFor(job: ResolvedJob): (found: Interpreter) => Promise<Interpreter> {
  return async (found) => {
    if (hasTables(job)) await checkPandas(found.executable);
    return found;
  };
}
