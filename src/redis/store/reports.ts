/**
 * Why a worker machine does not serve a run (its inputs are not readable there, its Python cannot
 * start the entry script), told to the orchestrator so that the user sees it where they started
 * the run, not only in a terminal on another machine ("reports the ones that cannot").
 */
import type { Redis } from 'ioredis';
import type { RedisKeys } from './keys.js';

export type ReportKind = 'inputs_unreadable' | 'cannot_start';

export interface AgentReport {
  readonly agent: string;
  readonly kind: ReportKind;
  readonly message: string;
}

export async function writeReport(redis: Redis, keys: RedisKeys, runId: string, report: AgentReport): Promise<void> {
  await redis.hset(keys.reports(runId), report.agent, JSON.stringify({ kind: report.kind, message: report.message }));
}

export async function readReports(redis: Redis, keys: RedisKeys, runId: string): Promise<AgentReport[]> {
  const hash = await redis.hgetall(keys.reports(runId));
  const reports: AgentReport[] = [];
  for (const [agent, text] of Object.entries(hash)) {
    try {
      const value = JSON.parse(text) as { kind?: unknown; message?: unknown };
      if ((value.kind === 'inputs_unreadable' || value.kind === 'cannot_start') && typeof value.message === 'string') {
        reports.push({ agent, kind: value.kind, message: value.message });
      }
    } catch {
      // Written by something else: not ours to print.
    }
  }
  return reports;
}
