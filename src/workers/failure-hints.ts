/**
 * What to do about the common first failures of an entry script, recognised from the error Python
 * reported and what the worker wrote to stderr: an argparse exit (minibatch appends `--output PATH`,
 * as Azure did), a module the interpreter cannot import, a syntax error. The hint names the
 * interpreter that ran, because each of these may depend on it.
 */
import type { WorkerError } from '../core/tries.js';

/** The line a hint starts with, in tracebacks and on the terminal. */
export const HINT_PREFIX = 'hint: ';

const CHOOSE_PYTHON = 'choose another with --python PATH (or `python:` in the job file, or amlEnvironment.python.interpreterPath)';

/** A hint for `error` (and the stderr lines the process wrote, `tail`), or null when none fits. */
export function hintFor(error: WorkerError, tail: string, python: string): string | null {
  const unrecognized = /error: unrecognized arguments: .*--output\b/.test(tail);
  if (error.type === 'SystemExit' && (unrecognized || error.traceback.includes('argparse.py'))) {
    return unrecognized
      ? 'argparse exited: minibatch appends `--output PATH` (the outputData folder) to the entry script\'s arguments, ' +
          'as Azure did; parse them with `parser.parse_known_args()`, which leaves arguments it does not declare alone.'
      : 'argparse exited: its message is in the stderr lines above. The arguments are the module\'s `args` ' +
          '(`minibatch explain` shows them rendered), then `--output PATH`; use `parse_known_args()`, as on Azure.';
  }
  if (error.type === 'ModuleNotFoundError' || error.type === 'ImportError') {
    const name = /No module named '([^']+)'/.exec(error.message)?.[1];
    const what = name === undefined ? 'the module' : `\`${name.split('.')[0] ?? name}\``;
    return `the entry script ran with ${python}, which cannot import ${what}: install it there ` +
      `(\`${python} -m pip install …\`), or ${CHOOSE_PYTHON}.`;
  }
  if (error.type === 'SyntaxError' || error.type === 'IndentationError' || error.type === 'TabError') {
    const place = syntaxErrorPlace(error);
    return `${place === null ? 'a syntax error' : `a syntax error at ${place}`}, as ${python} parses it` +
      ' (a newer Python\'s syntax? then ' + CHOOSE_PYTHON + ').';
  }
  return null;
}

/** `error` with its hint (if one fits) as the last line of its traceback, where every log shows it. */
export function withHint(error: WorkerError, tail: string, python: string): WorkerError {
  const hint = hintFor(error, tail, python);
  if (hint === null || error.traceback.includes(HINT_PREFIX)) return error;
  const traceback = error.traceback === '' || error.traceback.endsWith('\n') ? error.traceback : `${error.traceback}\n`;
  return { ...error, traceback: `${traceback}${HINT_PREFIX}${hint}` };
}

/** `file:line` of a SyntaxError, from its traceback (`File "x.py", line 2`) or its message. */
function syntaxErrorPlace(error: WorkerError): string | null {
  const frames = [...error.traceback.matchAll(/File "([^"]+)", line (\d+)/g)];
  const last = frames.at(-1);
  if (last !== undefined) return `${last[1]}:${last[2]}`;
  const inMessage = /\(([^,()]+), line (\d+)\)/.exec(error.message);
  return inMessage === null ? null : `${inMessage[1]}:${inMessage[2]}`;
}
