// The marker key that shows when Redis last lost its keys (a FLUSHALL, a restart without
// persistence, a failover to an empty replica): whichever node finds it missing sets it again,
// with the wall-clock time it did so. A missing lease means an expired one, a dead node, only
// while the marker is older than a broker session: before that, live nodes may not have
// renewed yet.
import { randomUUID } from 'node:crypto';

export const REDIS_MEMORY_MARKER = 'memory';
export const REDIS_MEMORY_MARKER_TTL_MS = 365 * 24 * 3600 * 1000;

/** A new marker value: when it was set, and a nonce (two nodes racing tell theirs apart). */
export function newMemoryMarker(nowMs: number): string {
  return `${nowMs}:${randomUUID()}`;
}

/**
 * How long ago Redis was last found without its keys, by the marker's value: 0 when it has no
 * marker (it lost them now) or one this code did not write.
 */
export function memoryMarkerAgeMs(marker: string | null, nowMs: number): number {
  const setAtMs = Number(marker?.split(':')[0]);
  return Number.isSafeInteger(setAtMs) ? Math.max(0, nowMs - setAtMs) : 0;
}
