// What the scenarios need from a peer (NATS, Redis): whether it is there (and if not, why), what
// its acknowledgement means for durability, which local process to watch for CPU and memory,
// and how to remove everything this run created on it.
import { findProcessByName } from '../../common/processes';
import { type WatchedServer } from '../measure';
import { type Durability, type PeerSummary } from '../results';

export interface PeerUnavailable {
  name: 'nats' | 'redis';
  address: string;
  reason: string;
}

export interface Peer {
  readonly summary: PeerSummary;
  /** The server process on this machine, or why its CPU and RSS are n/a. */
  readonly server: WatchedServer | { reason: string };
  /** Removes every stream or key this run created (by its prefix). */
  removeAll(): Promise<void>;
  close(): Promise<void>;
}

export function isPeer<P extends Peer>(peer: P | PeerUnavailable): peer is P {
  return !('reason' in peer);
}

/** The durability of a peer's rows: what its acknowledgement means (unknown when unreachable). */
export function peerDurability(peer: Peer | PeerUnavailable): {
  durability: Durability;
  durabilityNote: string;
} {
  if (!isPeer(peer)) return { durability: 'unknown', durabilityNote: '' };
  return { durability: peer.summary.durability, durabilityNote: peer.summary.durabilityNote };
}

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]', '']);

/**
 * The server behind `address` when it runs here and is the only process of its name (the
 * runner did not start it, so it knows it by name only).
 */
export function watchByName(address: string, comm: string): WatchedServer | { reason: string } {
  let host = '';
  try {
    host = new URL(address.includes('://') ? address : `tcp://${address}`).hostname;
  } catch {
    return { reason: `cannot tell the host of ${address}` };
  }
  if (!LOCAL_HOSTS.has(host)) return { reason: `${comm} runs on ${host}, not here` };
  const found = findProcessByName(comm);
  return 'pid' in found ? { pid: found.pid, ownChild: false } : found;
}

export function watchText(server: WatchedServer | { reason: string }, comm: string): string {
  return 'pid' in server
    ? `${comm} pid ${server.pid} (not started by the runner, not pinned: VmRSS sampled)`
    : `n/a: ${server.reason}`;
}

export function errorText(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}
