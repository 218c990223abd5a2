/**
 * The first lines of a run on the terminal: where it is, and which Python runs the entry script
 * (what a `ModuleNotFoundError` or a syntax error depends on, so it is said before anything fails).
 */
import type { Interpreter } from '../workers/interpreter.js';

export function formatInterpreter(interpreter: Interpreter): string {
  return `python: ${interpreter.executable} (Python ${interpreter.version})\n`;
}
