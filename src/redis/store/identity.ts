/**
 * Who serves a run: each agent (a `minibatch worker`, or the orchestrator's own) has a name made of
 * its host and pid, which prefixes its Python workers' names (`host-1234-worker-0`: log files,
 * `MINIBATCH_WORKER_ID`, the try log) so that several agents on one machine never share a file.
 *
 * Its BullMQ Worker is named `<agent>|<processes>`. BullMQ names the Worker's Redis connection
 * after it, and `Queue.getWorkers()` lists those connections: the orchestrator learns from that
 * list alone which machines serve the run and with how many processes, and a machine that dies
 * leaves it as its connection drops. No heartbeat of our own.
 */
import { hostname } from 'node:os';

export interface AgentIdentity {
  /** `<host>-<pid>`: prefixes worker names. */
  readonly name: string;
  readonly host: string;
  /** Python worker processes it runs; 0 for the orchestrator's stalled-job checker. */
  readonly processes: number;
}

/** This process as an agent. Host names are reduced to characters safe in file and client names. */
export function agentIdentity(processes: number, host: string = hostname()): AgentIdentity {
  const safeHost = host.replace(/[^A-Za-z0-9_.-]/g, '-') || 'host';
  return { name: `${safeHost}-${process.pid}`, host: safeHost, processes };
}

/** The `name` option of the agent's BullMQ Worker. */
export function bullWorkerName(agent: AgentIdentity): string {
  return `${agent.name}|${agent.host}|${agent.processes}`;
}

/** An entry of `Queue.getWorkers()` (its `rawname` is `<prefix>:<queue>:w:<worker name>`), or null for other clients. */
export function parseBullWorker(client: Readonly<Record<string, string>>): AgentIdentity | null {
  const raw = client.rawname ?? '';
  const at = raw.lastIndexOf(':w:');
  if (at < 0) return null;
  const [name, host, processes] = raw.slice(at + 3).split('|');
  const count = Number(processes);
  if (!name || !host || !Number.isSafeInteger(count) || count < 0) return null;
  return { name, host, processes: count };
}
