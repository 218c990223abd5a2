/**
 * Colour where it helps a reader (a failure red, a success green, a warning yellow), through
 * picocolors (tiny: `minibatch run` loads it on every start). Off when the stream is not a
 * terminal, with NO_COLOR (https://no-color.org) or `--no-color`, and for TERM=dumb; FORCE_COLOR
 * turns it on anywhere.
 */
import { createColors } from 'picocolors';

export type Colors = ReturnType<typeof createColors>;

/** Set by the CLI when `--no-color` is given, wherever it is on the command line. */
let disabled = false;

export function disableColors(): void {
  disabled = true;
}

/** Colours for text written to `stream`: each is the identity when colour is off there. */
export function colorsFor(stream: NodeJS.WriteStream, env: Readonly<Record<string, string | undefined>> = process.env): Colors {
  return createColors(colorEnabled(stream, env));
}

export function colorEnabled(stream: NodeJS.WriteStream, env: Readonly<Record<string, string | undefined>> = process.env): boolean {
  if (disabled || (env.NO_COLOR ?? '') !== '') return false;
  if ((env.FORCE_COLOR ?? '') !== '' && env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true && env.TERM !== 'dumb';
}

/** Plain text: for files (job_result.txt) and programs. */
export const NO_COLORS: Colors = createColors(false);
