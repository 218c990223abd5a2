/**
 * What a dead worker last wrote to its stderr log: the best clue to a crash, and, after a timeout,
 * where `run()` was stuck (the host registers faulthandler on SIGTERM, docs/ARCHITECTURE.md, "Host channels").
 */
import { open } from 'node:fs/promises';
import { dirname, sep } from 'node:path';

/** Enough for a faulthandler stack or a Python fatal error, small enough for job_error.txt. */
const TAIL_BYTES = 4096;
const TAIL_LINES = 25;

/** The last lines written to `path` since byte `from` (what this process wrote), or '' if none. */
export async function readTail(path: string, from: number): Promise<string> {
  try {
    const file = await open(path, 'r');
    try {
      const { size } = await file.stat();
      const start = Math.max(from, size - TAIL_BYTES);
      if (size <= start) return '';
      const buffer = Buffer.alloc(size - start);
      await file.read(buffer, 0, buffer.length, start);
      let text = buffer.toString('utf8');
      if (start > from) text = text.slice(text.indexOf('\n') + 1); // drop a partial first line
      return text.trimEnd().split('\n').slice(-TAIL_LINES).join('\n');
    } finally {
      await file.close();
    }
  } catch {
    return '';
  }
}

/**
 * The last faulthandler dump in `tail` (`Stack (most recent call first):` and its frames, or a
 * `Fatal Python error` with its threads), without the host's own frames (those of the files beside
 * `hostScript`: the host module it starts, the shims), or ''.
 */
export function faulthandlerDump(tail: string, hostScript: string): string {
  const fatal = tail.lastIndexOf('Fatal Python error');
  const markers = ['Stack (most recent call first):', 'Current thread 0x'];
  const at = fatal !== -1 ? fatal : Math.max(...markers.map((m) => tail.lastIndexOf(m)));
  if (at === -1) return '';
  const hostFrame = `File "${dirname(hostScript)}${sep}`;
  return tail
    .slice(at)
    .trimEnd()
    .split('\n')
    .filter((line) => !line.includes(hostFrame))
    .join('\n');
}
