// The lag of a group over time, sampled at each poll while its page is open, kept bounded.
import type { Group } from '@tributary/client';
import { appendBounded } from './bounded';

/** Samples kept: at one poll every few seconds, several minutes. */
export const LAG_SAMPLES_MAX = 120;

export interface LagSample {
  atMs: number;
  /** The lag summed over every partition with a committed offset. */
  total: number;
}

export function totalLag(group: Group): number {
  return group.offsets.reduce((sum, o) => sum + (o.lag ?? 0), 0);
}

export function addSample(history: readonly LagSample[], group: Group, atMs: number): LagSample[] {
  return appendBounded(history, [{ atMs, total: totalLag(group) }], LAG_SAMPLES_MAX);
}
