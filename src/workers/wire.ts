/**
 * Encoding and parsing of the JSON-lines protocol (docs/ARCHITECTURE.md, "Host channels"). The host
 * is ours, so a malformed line means a broken or foreign host (or user code writing to fd 4): the
 * worker is then treated as crashed, never trusted half-way.
 */
import type { Rows, WorkerError } from '../core/tries.js';
import type { ParentMessage, RunRequest, WorkerMessage, WorkerMessageType } from './protocol.js';

export function encodeMessage(message: ParentMessage): string {
  return JSON.stringify(message) + '\n';
}

/**
 * `encodeMessage` of a `run`, formatted directly (the same text): one is sent per mini-batch, and
 * the generic encoder walking its nested object cost more than the rest of sending it (bench/).
 */
export function encodeRun(run: RunRequest): string {
  const { context } = run;
  return (
    `{"type":"run","id":${JSON.stringify(run.id)},"attempt":${run.attempt},"items":${JSON.stringify(run.items)},` +
    `"context":{"minibatch_index":${context.minibatch_index},"partition_key_value":${JSON.stringify(context.partition_key_value)},` +
    `"dataset_root":${JSON.stringify(context.dataset_root)}},` +
    `"table":${run.table === null ? 'null' : JSON.stringify(run.table)}}\n`
  );
}

export type Parsed = { readonly ok: true; readonly message: WorkerMessage } | { readonly ok: false; readonly problem: string };

type Fields = Record<string, unknown>;

const isString = (v: unknown): v is string => typeof v === 'string';
const isNumber = (v: unknown): v is number => typeof v === 'number';

function isWorkerError(v: unknown): v is WorkerError {
  if (typeof v !== 'object' || v === null) return false;
  const e = v as Fields;
  return isString(e['type']) && isString(e['message']) && isString(e['traceback']);
}

function isRows(v: unknown): v is Rows | null {
  if (v === null) return true;
  if (typeof v !== 'object') return false;
  const r = v as Fields;
  if (r['kind'] === 'lines') return Array.isArray(r['lines']);
  return r['kind'] === 'table' && Array.isArray(r['columns']) && Array.isArray(r['values']);
}

/** Checks the fields each message type needs; the values inside rows are the writer's to judge. */
const VALIDATORS: { readonly [T in WorkerMessageType]: (m: Fields) => boolean } = {
  hello: (m) => isNumber(m['version']) && isNumber(m['pid']) && isString(m['executable']) && isString(m['pythonVersion']),
  ready: (m) => isNumber(m['durationMs']),
  init_failed: (m) => isWorkerError(m['error']) && isNumber(m['durationMs']),
  result: (m) =>
    isString(m['id']) && isNumber(m['succeeded']) && isRows(m['rows']) && isNumber(m['startedAt']) && isNumber(m['durationMs']),
  run_failed: (m) =>
    isString(m['id']) &&
    (m['failure'] === 'raised' || m['failure'] === 'bad_return') &&
    isWorkerError(m['error']) &&
    isNumber(m['startedAt']) &&
    isNumber(m['durationMs']),
  cancelled: (m) => isString(m['id']),
  bye: () => true,
};

export function parseWorkerMessage(line: string): Parsed {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { ok: false, problem: `not JSON: ${clip(line)}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, problem: `not a message object: ${clip(line)}` };
  }
  const fields = value as Fields;
  const type = fields['type'];
  if (!isString(type) || !Object.hasOwn(VALIDATORS, type)) {
    return { ok: false, problem: `unknown message type: ${clip(line)}` };
  }
  if (!VALIDATORS[type as WorkerMessageType](fields)) {
    return { ok: false, problem: `malformed ${type} message: ${clip(line)}` };
  }
  return { ok: true, message: value as WorkerMessage };
}

function clip(line: string): string {
  return line.length <= 200 ? line : `${line.slice(0, 200)}… (${line.length} characters)`;
}

/**
 * Splits a decoded stream into lines; a partial line waits for the next chunk. Linear in the
 * input even for a line of many megabytes (a big result's rows) arriving in many chunks.
 */
export class LineSplitter {
  private readonly parts: string[] = [];

  push(chunk: string, onLine: (line: string) => void): void {
    let nl = chunk.indexOf('\n');
    if (nl === -1) {
      this.parts.push(chunk);
      return;
    }
    let start = 0;
    if (this.parts.length > 0) {
      this.parts.push(chunk.slice(0, nl));
      onLine(this.parts.join(''));
      this.parts.length = 0;
      start = nl + 1;
      nl = chunk.indexOf('\n', start);
    }
    while (nl !== -1) {
      onLine(chunk.slice(start, nl));
      start = nl + 1;
      nl = chunk.indexOf('\n', start);
    }
    if (start < chunk.length) this.parts.push(chunk.slice(start));
  }
}
