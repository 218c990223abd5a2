/** pandas is needed only when a job reads tables; then its absence stops the run before it starts. */
import { hasTables, type Dataset } from '../data/dataset.js';
import { checkPandas, type Interpreter } from '../workers/interpreter.js';

/** For `.then` after resolving a job's interpreter: checks that it imports pandas when the dataset holds tables. */
export function pandasFor(dataset: Dataset): (found: Interpreter) => Promise<Interpreter> {
  return async (found) => {
    if (hasTables(dataset)) await checkPandas(found.executable);
    return found;
  };
}
