/**
 * GPUs for the worker slots, as ParallelRunStep shares them: with at least as many devices as
 * processes, slot i sees only device i (CUDA_VISIBLE_DEVICES), and keeps it across replacement;
 * with fewer, no slot is restricted and all see every device. Devices are found with
 * `nvidia-smi -L` (per machine), or given with `--gpus 0,1` / `none` (docs/AZURE.md).
 */
import { spawnSync } from 'node:child_process';
import type { GpuChoice } from '../spec/types.js';

/** How long `nvidia-smi -L` may take before this machine counts as having no GPU. */
const NVIDIA_SMI_TIMEOUT_MS = 10_000;

export interface GpuAssignment {
  /** Device ids found or given. */
  readonly devices: readonly string[];
  /** The device of each slot (index = slot), or null when slots are not restricted. */
  readonly perSlot: readonly string[] | null;
  /** Where the devices came from, for `explain`. */
  readonly source: string;
}

/** `GPU 0: NVIDIA A100 (UUID: GPU-…)` lines → `0`, `1`, … */
export function parseNvidiaSmiList(text: string): string[] {
  return [...text.matchAll(/^GPU (\d+):/gm)].map((m) => m[1] ?? '');
}

export function detectGpus(choice: GpuChoice): { devices: string[]; source: string } {
  if (choice.kind === 'none') return { devices: [], source: '--gpus none' };
  if (choice.kind === 'devices') return { devices: [...choice.devices], source: '--gpus' };
  const found = spawnSync('nvidia-smi', ['-L'], { encoding: 'utf8', timeout: NVIDIA_SMI_TIMEOUT_MS });
  if (found.error !== undefined || found.status !== 0) return { devices: [], source: 'nvidia-smi -L found none' };
  return { devices: parseNvidiaSmiList(found.stdout), source: 'nvidia-smi -L' };
}

export function assignGpus(choice: GpuChoice, processes: number): GpuAssignment {
  const { devices, source } = detectGpus(choice);
  const perSlot = devices.length > 0 && devices.length >= processes ? devices.slice(0, processes) : null;
  return { devices, perSlot, source };
}
